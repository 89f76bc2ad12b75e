#!/bin/sh
# Run each cmocka runner given, show its output, and close with the number
# of test cases passed and failed over all runners.
passed=0
failed=0
bad=""
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ]; then
		bad="$bad $t"
		# a runner that died without its summary still counts as failed
		[ -z "$f" ] && failed=$((failed + 1))
	fi
done
[ -n "$bad" ] && echo "failed runners:$bad"
echo "unit: $passed passed, $failed failed"
[ -z "$bad" ]
