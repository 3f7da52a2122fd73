#!/usr/bin/env bash
# compare.sh BASE_ANALYZE NEW_ANALYZE [CASE...]: runs the golden cases (cases.txt) with two builds of
# ciot-analyze and compares their dumps directly, columns listed with their positions (dump.sh
# --positions): no expected file is involved, and a column that a change of the code moved shows,
# which run.sh, whose dumps list columns by name, lets pass. Prints the first 100 lines of each
# differing case's diff; exit status 1 when any differs. The environment is run.sh's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 2 ] || { echo "usage: compare.sh BASE_ANALYZE NEW_ANALYZE [CASE...]" >&2; exit 2; }
base=$1 new=$2
shift 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CIOT_ANALYZE=$base "$here/run.sh" --positions --dump-to "$out/base" "$@" >/dev/null
CIOT_ANALYZE=$new "$here/run.sh" --positions --dump-to "$out/new" "$@" >/dev/null
status=0
for f in "$out"/base/*.dump; do
  name=$(basename "$f" .dump)
  if cmp -s "$f" "$out/new/$name.dump"; then
    echo "same: $name"
  else
    echo "DIFFERS: $name (first 100 lines of the diff):"
    diff -u --label "base/$name.dump" --label "new/$name.dump" "$f" "$out/new/$name.dump" | head -100 || true
    status=1
  fi
done
exit $status
