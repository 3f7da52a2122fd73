#!/usr/bin/env bash
# A run killed anywhere leaves a database that is consistent at its last commit (issue 19): each
# capture file is one transaction, and the destinations are computed by a last one that marks the
# database complete (meta 'complete'). ciot-analyze is killed with SIGKILL after a random delay
# (seeded: CIOT_KILL_SEED, default 19; CIOT_KILL_TRIES tries, default 8) within the time an
# uninterrupted run takes; each time the database must open, pass PRAGMA integrity_check and hold
# only whole captures (every capture row with all its flows); while it is incomplete every export
# is refused with a message saying so; and a rerun over the same inputs gives exports identical
# to an uninterrupted run's. Then two runs write one database at once: both land their captures.
source "$(dirname "$0")/lib.sh"
sample=$CIOT_SOURCE_DIR/datasets/sample
RANDOM=${CIOT_KILL_SEED:-19}
tries=${CIOT_KILL_TRIES:-8}
exports=$("$CIOT_REPORT" --help | awk '/^Tables:/ { t = 1; next } t && /^  [a-z]/ { print $1 } t && /^$/ { t = 0 }')
[ -n "$exports" ] || fail "ciot-report --help lists no exports"

# every export of a database, concatenated (an export that fails says so in its place)
all_exports() {
  local t
  for t in $exports; do echo "== $t"; "$CIOT_REPORT" "$1" "$t" 2>&1 || echo "exit $?"; done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# waits (up to 20 s) for a file to appear while the process runs
wait_for() { # file pid
  local i
  for i in $(seq 1 4000); do [ -e "$1" ] || ! kill -0 "$2" 2>/dev/null && return; sleep 0.005; done
}

# the time from the database's creation (the tool's start-up before it: loading the geolocation
# data, nDPI) to the end of the run, where the kills fall
"$CIOT_ANALYZE" -q -o "$work/ref.db" "$sample" 2>/dev/null & pid=$!
wait_for "$work/ref.db" "$pid"
start=$(now_ms)
wait "$pid" || fail "uninterrupted run"
took_ms=$(($(now_ms) - start))
all_exports "$work/ref.db" >"$work/ref.txt"
echo "an uninterrupted run took $took_ms ms from the database's creation"

# whole captures: every capture's flows column counts its rows in flows, and its decode events sum
# to its skipped and malformed frames
partial_captures() {
  q "$1" "SELECT count(*) FROM captures c WHERE c.flows <> (SELECT count(*) FROM flows f WHERE f.capture_id = c.id)
          OR c.skipped_frames + c.malformed_frames <> (SELECT coalesce(sum(frames), 0) FROM decode_events e
                                                       WHERE e.capture_id = c.id)"
}

incomplete_seen=0
for try in $(seq 1 "$tries"); do
  db=$work/kill-$try.db
  delay_ms=$((RANDOM % (took_ms + 50)))
  "$CIOT_ANALYZE" -q -o "$db" "$sample" 2>/dev/null &
  pid=$!
  wait_for "$db" "$pid"
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ ! -e "$db" ]; then pass "try $try: killed after $delay_ms ms, before the database was made"; continue; fi
  expect_eq "try $try (killed after $delay_ms ms): integrity_check" "$(q "$db" 'PRAGMA integrity_check')" "ok"
  expect_eq "try $try: captures not whole" "$(partial_captures "$db")" "0"
  captures=$(q "$db" "SELECT count(*) FROM captures" 2>/dev/null || echo none)
  complete=$(q "$db" "SELECT value FROM meta WHERE key = 'complete'" 2>/dev/null || echo none)
  if [ "$complete" = 1 ]; then
    pass "try $try: complete ($captures captures) before the kill"
  else
    incomplete_seen=$((incomplete_seen + 1))
    for t in summary parties countries organizations; do
      status=0
      "$CIOT_REPORT" "$db" "$t" >/dev/null 2>"$work/err.txt" || status=$?
      if [ "$status" -ne 0 ] && { grep -q 'incomplete database' "$work/err.txt" ||
                                   { [ "$captures" = none ] && [ -s "$work/err.txt" ]; }; }; then :
      else fail "try $try: $t on an incomplete database ($captures captures): exit $status, '$(cat "$work/err.txt")'"; fi
    done
    pass "try $try: incomplete ($captures captures stored), its exports refused"
  fi
  "$CIOT_ANALYZE" -q -o "$db" "$sample" 2>/dev/null || fail "try $try: the rerun"
  all_exports "$db" >"$work/kill-$try.txt"
  if cmp -s "$work/ref.txt" "$work/kill-$try.txt"; then pass "try $try: the rerun's exports are the uninterrupted run's"
  else fail "try $try: the rerun's exports differ"; diff "$work/ref.txt" "$work/kill-$try.txt" | head -20 >&2; fi
done
echo "$incomplete_seen of $tries kills left an incomplete database"

# two runs at once on one database: the sample and a second dataset, both land every capture
# (the device's addresses as in report.sh)
other=$work/other.json
printf '{"ciot_manifest": 1, "name": "other", "devices": [{"id": "speaker", "category": "speaker",
 "ip": ["192.168.2.222", "2001:b07:a3d:c112:9726:f643:a838:b0c4"]}],
 "captures": [{"file": "%s", "device": "speaker", "phase": "interaction"}, {"file": "%s", "device": "speaker", "phase": "idle"}]}\n' \
  "$CIOT_CORPUS/ndpi/tls_malicious_sha1.pcapng" "$CIOT_CORPUS/ndpi/ssl-cert-name-mismatch.pcap" >"$other"
"$CIOT_ANALYZE" -q -o "$work/both.db" "$sample" 2>"$work/a.err" & a=$!
"$CIOT_ANALYZE" -q -o "$work/both.db" "$other" 2>"$work/b.err" & b=$!
sa=0; sb=0
wait "$a" || sa=$?
wait "$b" || sb=$?
expect_eq "two runs at once: exit statuses" "$sa $sb" "0 0"
[ "$sa$sb" = 00 ] || cat "$work/a.err" "$work/b.err" >&2
expect_eq "two runs at once: captures stored (the sample's and 2)" "$(q "$work/both.db" 'SELECT count(*) FROM captures')" \
  "$(($(q "$work/ref.db" 'SELECT count(*) FROM captures') + 2))"
expect_eq "two runs at once: every flow has its destination" \
  "$(q "$work/both.db" 'SELECT count(*) FROM flows WHERE id NOT IN (SELECT flow_id FROM destinations)')" "0"
expect_eq "two runs at once: complete" "$(q "$work/both.db" "SELECT value FROM meta WHERE key = 'complete'")" "1"
finish
