#!/bin/sh
# Run each libFuzzer target for SECONDS with its seed corpus (copied, so
# the repository's corpus is not grown by a run).
set -eu
secs=$1
shift
failed=0
for bin in "$@"; do
	name=$(basename "$bin")
	seeds="tests/fuzz/corpus/${name#fuzz_}"
	work=$(mktemp -d)
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
	if "$bin" -max_total_time="$secs" -print_final_stats=0 \
	    -artifact_prefix="build/fuzz/${name}-" "$work" \
	    > "build/fuzz/$name.log" 2>&1; then
		echo "fuzz $name: ${secs}s, no crash ($(ls "$work" | wc -l) inputs)"
	else
		echo "fuzz $name: FAILED, see build/fuzz/$name.log"
		tail -n 30 "build/fuzz/$name.log"
		failed=1
	fi
	rm -rf "$work"
done
exit $failed
