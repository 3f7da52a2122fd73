#!/usr/bin/env bash
# Every capture of the shared corpus (nDPI's and tcpdump's test suites, fuzzed and crafted files
# among them) goes through ciot-analyze: no crash, no sanitizer report, every failure a
# "file: reason" line, and the database consistent afterwards. --all-flows stores every flow, so the
# store is exercised on every file, not only on single-device captures.
source "$(dirname "$0")/lib.sh"
need_corpus
mapfile -t files < <(find "$CIOT_CORPUS/ndpi" "$CIOT_CORPUS/tcpdump" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | LC_ALL=C sort)
echo "files: ${#files[@]}"
status=0
"$CIOT_ANALYZE" -q -j 2 --all-flows -o "$work/corpus.db" "${files[@]}" 2>"$work/stderr" || status=$?
case $status in
  0|1) pass "exit status $status" ;;
  *) fail "exit status $status (a crash or a sanitizer report)"; tail -40 "$work/stderr" >&2 ;;
esac
if grep -E 'AddressSanitizer|LeakSanitizer|runtime error|Segmentation|Assertion' "$work/stderr" >&2; then
  fail "sanitizer or crash output"
fi
# every line of stderr names a file from the list, then a reason, or is the database's attribution
# warning (bare files name no brand; at most five devices are named, the rest counted)
bad=$(grep -vF "$work/corpus.db: warning: " "$work/stderr" | grep -cvE '^/[^:]+\.(pcap|pcapng|cap): .+' || true)
expect_eq "attribution warnings about brands, at most 6 lines" \
  "$(grep -cF "$work/corpus.db: warning: device" "$work/stderr" | awk '{print ($1 <= 10)}')" 1
expect_eq "stderr lines not of the form 'file: reason'" "$bad" 0
# every file is accounted for: stored, or named on stderr with the reason it was not
stored=$(q "$work/corpus.db" 'SELECT count(DISTINCT file) FROM captures')
refused=$(grep -v ': warning: ' "$work/stderr" | cut -d: -f1 | sort -u | grep -c . || true)
echo "stored: $stored, refused with a reason: $refused, truncated warnings: $(grep -c ': warning: ' "$work/stderr" || true)"
expect_eq "stored + refused" "$((stored + refused))" "${#files[@]}"
# the database is consistent: the flow rows of each capture are the ones it counts
expect_eq "integrity" "$(q "$work/corpus.db" 'PRAGMA integrity_check')" ok
expect_eq "captures whose flow rows differ from their count" \
  "$(q "$work/corpus.db" 'SELECT count(*) FROM captures c WHERE c.flows != (SELECT count(*) FROM flows f WHERE f.capture_id = c.id)')" 0
expect_eq "frames accounted (ip + skipped + malformed = frames)" \
  "$(q "$work/corpus.db" 'SELECT count(*) FROM captures WHERE ip_packets + skipped_frames + malformed_frames != frames')" 0
# a known-corrupt file is refused by name
grep -q 'fuzz-2021-10-13.pcap: record at offset 24: captured length 524501 exceeds 262144' "$work/stderr" &&
  pass "corrupt record reported" || fail "fuzz-2021-10-13.pcap not reported as corrupt"
finish
