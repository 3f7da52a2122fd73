#!/usr/bin/env bash
# cost.sh REV [ARGS...]: what the working tree's ciot-analyze costs over revision REV's, in
# instructions executed on the benchmark capture (callgrind), which unlike wall-clock time does not
# move with the machine's load. For questions such as "what does the encryption stage add?"
# (docs/encryption.md: scripts/cost.sh 8316c70). ARGS go to ciot-analyze (default --all-flows).
# Takes a few minutes: callgrind runs each build once, about 50 times slower than natively.
set -euo pipefail
rev=${1:?usage: scripts/cost.sh REV [ciot-analyze arguments]}
shift
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--all-flows)
top=$(cd "$(dirname "$0")/.." && pwd)
command -v valgrind >/dev/null || { echo "cost.sh: valgrind is needed (apt install valgrind)" >&2; exit 1; }
pcap=$top/build-bench/bench.pcap
[ -f "$pcap" ] || { echo "cost.sh: $pcap is missing: run make bench once first" >&2; exit 1; }
work=$(mktemp -d)
trap 'git -C "$top" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$top" worktree add --detach "$work/base" "$rev" >/dev/null
ln -s "$top/datasets/geo" "$work/base/datasets/geo"
for tree in "$work/base" "$top"; do
  cmake -S "$tree" -B "$tree/build-cost" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$tree/build-cost" -j2 --target ciot-analyze >/dev/null
done
count() { # tree
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$1/build-cost/analyze/ciot-analyze" -q \
    "${args[@]}" -o "$work/cost.db" "$pcap" 2>&1 | sed -n 's/.*I *refs: *//p' | tr -d ,
  rm -f "$work/cost.db"
}
base=$(count "$work/base")
now=$(count "$top")
awk -v b="$base" -v n="$now" -v r="$rev" 'BEGIN {
  printf "instructions: %s at %s, %s now: %+.1f %%\n", b, r, n, (n - b) * 100 / b }'
