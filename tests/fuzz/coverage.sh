#!/bin/sh
# make fuzz-coverage: run each libFuzzer target for SECONDS from its seed
# corpus, then replay what it found with -print_coverage=1 and add up the
# edges covered per source file of the product (every target together: a
# file's edges count as covered if any target covered them).  Prints one
# line per file: covered/total edges and the percentage.
set -eu
secs=$1
shift
out=build/fuzz/coverage
rm -rf "$out"
mkdir -p "$out"
for bin in "$@"; do
	name=$(basename "$bin")
	seeds="tests/fuzz/corpus/${name#fuzz_}"
	work="$out/$name.corpus"
	mkdir -p "$work"
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
	"$bin" -max_total_time="$secs" -print_final_stats=0 \
	    -artifact_prefix="$out/${name}-" "$work" > "$out/$name.run" 2>&1 ||
	    { echo "fuzz-coverage: $name crashed, see $out/$name.run"; exit 1; }
	"$bin" -runs=0 -print_coverage=1 "$work" > "$out/$name.cov" 2>&1
done
# "COVERED_FUNC: hits: H edges: C/T NAME FILE:LINE" (UNCOVERED: "0/T");
# per function the best of the targets, then per file the sum
cat "$out"/*.cov | awk '
/^(UN)?COVERED_FUNC:/ {
	for (i = 1; i <= NF; i++)
		if ($i == "edges:") {
			split($(i + 1), e, "/")
			fn = $(i + 2)
			path = $(i + 3)
			break
		}
	sub(/:[0-9]+$/, "", path)
	if (path !~ /\/(alg|conf|esp|hasync|ike|ike\/v2|ipc|lib|vrrp)\/[^\/]+\.c$/)
		next
	n = split(path, c, "/")
	file = c[n - 1] "/" c[n]
	if (c[n - 2] == "ike" && c[n - 1] == "v2")
		file = "ike/v2/" c[n]
	key = file SUBSEP fn
	if (!(key in tot)) {
		tot[key] = e[2]
		cov[key] = 0
	}
	if (e[1] + 0 > cov[key])
		cov[key] = e[1] + 0
}
END {
	for (k in tot) {
		split(k, p, SUBSEP)
		ft[p[1]] += tot[k]
		fc[p[1]] += cov[k]
	}
	for (f in ft)
		printf "%-22s %6d/%-6d %5.1f%%\n", f, fc[f], ft[f],
		    ft[f] ? 100 * fc[f] / ft[f] : 0
}' | sort
