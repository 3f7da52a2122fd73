#!/usr/bin/env bash
# The lifecycle paper's camera (../shared/data/nku-camera: 192.168.1.165, 7 step captures) analyzed
# with --entropy paper, each step's encrypted / unencrypted / unknown ratios printed beside the
# authors' own (authors-results/*_analysis.csv; their unknown is 1 - encrypted - unencrypted), and
# checked within 0.05 on the steps where ciot and the authors agree (docs/encryption.md, "Against
# the lifecycle authors' own results", says why the others differ). ciot's ratios are shares of the
# device's TCP and UDP frame bytes (ICMP is outside the authors' totals), unencrypted = text,
# compressed and media, unknown = unknown and omitted.
source "$(dirname "$0")/lib.sh"
: "${CIOT_DATA:?}"
cam=$CIOT_DATA/nku-camera
[ -d "$cam/authors-results" ] || { echo "FAIL: the camera's captures are not at $cam" >&2; exit 1; }

steps="setup idle_local idle_remote speak_local speak_remote update delete"
agree=" speak_local update delete " # within 0.05 on all three ratios
tolerance=0.05

for step in $steps; do
  case $step in
    setup) phase=setup ;;
    idle_*) phase=idle ;;
    delete) phase=deletion ;;
    *) phase=interaction ;;
  esac
  "$CIOT_ANALYZE" -q -o "$work/cam.db" --device cam --ip 192.168.1.165 --entropy paper --phase "$phase" \
    --subphase "$step" "$cam/xiaobai_Y2camera_$step.pcap" 2>/dev/null || fail "$step: ciot-analyze exit $?"
done
expect_eq "steps stored" "$(q "$work/cam.db" 'SELECT count(*) FROM captures')" 7
q "$work/cam.db" "SELECT value FROM meta WHERE key = 'encryption_method'" | grep -q "paper mode" &&
  pass "paper mode recorded" || fail "meta.encryption_method does not say paper mode"

# step|encrypted|unencrypted per capture
q "$work/cam.db" "SELECT c.subphase,
    1.0 * sum(f.encrypted_bytes) / sum(f.encrypted_bytes + f.text_bytes + f.compressed_bytes + f.media_bytes + f.unknown_bytes + f.omitted_bytes),
    1.0 * sum(f.text_bytes + f.compressed_bytes + f.media_bytes) / sum(f.encrypted_bytes + f.text_bytes + f.compressed_bytes + f.media_bytes + f.unknown_bytes + f.omitted_bytes)
  FROM flows f JOIN captures c ON c.id = f.capture_id WHERE f.transport IN ('tcp', 'udp')
  GROUP BY c.id" >"$work/ciot"

printf '%-13s %-23s %-23s %s\n' step "authors enc/unenc/unkn" "ciot enc/unenc/unkn" "max diff"
for step in $steps; do
  csv=$cam/authors-results/xiaobai_Y2camera1_${step}_analysis.csv
  a_enc=$(awk -F, '$1 == "encrypted" {print $2}' "$csv")
  a_un=$(awk -F, '$1 == "unencrypted" {print $2}' "$csv")
  line=$(grep "^$step|" "$work/ciot" || true)
  [ -n "$line" ] || { fail "$step: no TCP or UDP payload stored"; continue; }
  IFS='|' read -r _ c_enc c_un <<<"$line"
  row=$(awk -v ae="$a_enc" -v au="$a_un" -v ce="$c_enc" -v cu="$c_un" 'function abs(x) { return x < 0 ? -x : x }
    BEGIN { ak = 1 - ae - au; ck = 1 - ce - cu
      d = abs(ae - ce); if (abs(au - cu) > d) d = abs(au - cu); if (abs(ak - ck) > d) d = abs(ak - ck)
      printf "%.3f / %.3f / %.3f   %.3f / %.3f / %.3f   %.3f\n", ae, au, ak, ce, cu, ck, d }')
  printf '%-13s %s\n' "$step" "$row"
  diff=${row##* }
  if [[ $agree == *" $step "* ]]; then
    awk -v d="$diff" -v t="$tolerance" 'BEGIN { exit !(d <= t) }' &&
      pass "$step within $tolerance of the authors" || fail "$step: $diff from the authors' ratios (tolerance $tolerance)"
  fi
done
finish
