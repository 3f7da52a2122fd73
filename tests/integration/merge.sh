#!/usr/bin/env bash
# Datasets past one machine (issue 19): a database per capture (ciot-analyze --shard K/N with N the
# number of captures), merged with ciot-report merge, is the database one run over everything
# writes. On the sample dataset (4 devices, 19 captures): every export of ciot-report (destinations,
# countries' normalized shares, parties, coverage and every average) byte for byte in CSV, and
# every table of the database as the golden test dumps it (ids included: the merge numbers them as
# a -j 1 run does) but meta's merged_parts; then parts of three captures and more analyzed with -j 2
# and merged in another order. Then what a merge must refuse, leaving OUT as it was and no
# temporary file: parts hashed under random PII keys, parts made with other options, a capture in
# two parts, an incomplete part, OUT naming a part or something not a regular file.
source "$(dirname "$0")/lib.sh"
sample=$CIOT_SOURCE_DIR/datasets/sample
key=$CIOT_SOURCE_DIR/tests/golden/pii.key
dump=$CIOT_SOURCE_DIR/tests/golden/dump.sh
exports=$("$CIOT_REPORT" --help | awk '/^Tables:/ { t = 1; next } t && /^  [a-z]/ { print $1 } t && /^$/ { t = 0 }')
[ -n "$exports" ] || fail "ciot-report --help lists no exports"

# the whole dataset at once, one file after another (the numbering a merge reproduces)
"$CIOT_ANALYZE" -q -j 1 --pii-key "$key" -o "$work/all.db" "$sample" || fail "the direct run"

n=$("$CIOT_ANALYZE" --list-captures "$sample" | wc -l)
expect_eq "captures listed" "$n" 19
expect_eq "captures of part 2/5" "$("$CIOT_ANALYZE" --list-captures --shard 2/5 "$sample" | wc -l)" 4

# one database per capture, two jobs at a time
mkdir "$work/parts"
# (xargs replaces its -I string wherever it appears: {} appears in no temporary folder's name)
seq 1 "$n" | xargs -P 2 -I {} "$CIOT_ANALYZE" -q -j 1 --pii-key "$key" --shard {}/"$n" \
  -o "$work/parts/part-{}.db" "$sample" || fail "a per-capture run"
expect_eq "per-capture databases" "$(ls "$work/parts" | wc -l)" "$n"
expect_eq "a part's shard" "$(q "$work/parts/part-7.db" "SELECT value FROM meta WHERE key = 'shard'")" "7/19 of 19 captures"
"$CIOT_REPORT" merge "$work/merged.db" "$work"/parts/part-*.db || fail "merge of the per-capture databases"

# every export, byte for byte
same=0
for t in $exports; do
  "$CIOT_REPORT" "$work/all.db" "$t" >"$work/a.csv" 2>&1 || echo "exit $?" >>"$work/a.csv"
  "$CIOT_REPORT" "$work/merged.db" "$t" >"$work/b.csv" 2>&1 || echo "exit $?" >>"$work/b.csv"
  if cmp -s "$work/a.csv" "$work/b.csv"; then same=$((same + 1)); else
    fail "export $t of the merge differs from the direct run's:"; diff "$work/a.csv" "$work/b.csv" | head -10 >&2
  fi
done
expect_eq "exports identical to the direct run's" "$same" "$(echo $exports | wc -w)"
for t in destinations countries parties coverage encryption; do
  rows=$("$CIOT_REPORT" "$work/merged.db" "$t" | wc -l)
  [ "$rows" -gt 1 ] && pass "export $t has $((rows - 1)) rows" || fail "export $t of the merge is empty"
done

# every table, ids included, as the golden test dumps them; but meta's own to a run or a merge
# (when it ran, how many parts) and so meta's row count
norm() {
  "$dump" "$1" | grep -v "^'last_run_at'\|^'merged_parts'" | awk '/^== table meta/ { m = 1 } m && /^rows / { m = 0; next } { print }'
}
norm "$work/all.db" >"$work/all.dump"
same_dump() { # name db
  if norm "$2" | diff "$work/all.dump" - >"$work/dump.diff"; then pass "$1: every table as the direct run's"
  else fail "$1: its tables differ from the direct run's:"; head -20 "$work/dump.diff" >&2; fi
}
same_dump "per-capture merge" "$work/merged.db"
expect_eq "meta merged_parts" "$(q "$work/merged.db" "SELECT value FROM meta WHERE key = 'merged_parts'")" "$n"
expect_eq "meta complete" "$(q "$work/merged.db" "SELECT value FROM meta WHERE key = 'complete'")" 1
expect_eq "meta shard (a part's own)" "$(q "$work/merged.db" "SELECT count(*) FROM meta WHERE key LIKE 'shard%'")" 0

# chunks: three parts, each with -j 2 (its captures stored as they finish), merged in another order
for k in 1 2 3; do
  "$CIOT_ANALYZE" -q -j 2 --pii-key "$key" --shard $k/3 -o "$work/chunk-$k.db" "$sample" || fail "chunk $k"
done
"$CIOT_REPORT" merge -q "$work/chunks.db" "$work/chunk-3.db" "$work/chunk-1.db" "$work/chunk-2.db" ||
  fail "merge of three chunks"
same_dump "merge of three -j 2 chunks" "$work/chunks.db"

# refusals: each names the cause, leaves OUT as it was, and no temporary file
echo "not a database" >"$work/out.db"
refused() { # name expected-message part...
  local name=$1 msg=$2
  shift 2
  if "$CIOT_REPORT" merge "$work/out.db" "$@" 2>"$work/err"; then fail "$name: merged"
  elif ! grep -q -- "$msg" "$work/err"; then fail "$name: the message does not say \"$msg\": $(cat "$work/err")"
  else pass "$name refused: $(cat "$work/err")"; fi
  expect_eq "$name: OUT untouched" "$(cat "$work/out.db")" "not a database"
}
"$CIOT_ANALYZE" -q --shard 1/3 -o "$work/random-1.db" "$sample"
"$CIOT_ANALYZE" -q --shard 2/3 -o "$work/random-2.db" "$sample"
refused "random PII keys" "pii_key" "$work/random-1.db" "$work/random-2.db"
"$CIOT_ANALYZE" -q -j 2 --pii-key "$key" --entropy paper --shard 2/3 -o "$work/paper-2.db" "$sample"
refused "other options" "meta encryption_method" "$work/chunk-1.db" "$work/paper-2.db"
refused "a capture in two parts" "is also in" "$work/chunk-1.db" "$work/chunk-2.db" "$work/chunk-1.db"
cp "$work/chunk-2.db" "$work/incomplete.db"
q "$work/incomplete.db" "UPDATE meta SET value = '0' WHERE key = 'complete'"
refused "an incomplete part" "incomplete database" "$work/chunk-1.db" "$work/incomplete.db"
refused "parts of two shardings" "parts of one sharding" "$work/chunk-1.db" "$work/parts/part-2.db"
if "$CIOT_REPORT" merge "$work/chunk-1.db" "$work/chunk-1.db" "$work/chunk-2.db" 2>"$work/err"; then
  fail "OUT naming a part: merged"
else pass "OUT naming a part refused: $(cat "$work/err")"; fi
ln -s "$work/chunk-2.db" "$work/link.db"
if "$CIOT_REPORT" merge "$work/link.db" "$work/chunk-1.db" 2>"$work/err"; then fail "OUT a symlink: merged"
else pass "OUT a symlink refused: $(cat "$work/err")"; fi
same_dump "chunk 1 after the refusals" "$work/chunks.db"
expect_eq "temporary files left" "$(ls "$work" | grep -c '\.tmp\.' || true)" 0
finish
