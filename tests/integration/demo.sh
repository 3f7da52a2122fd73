#!/usr/bin/env bash
# make demo's report on the sample (scripts/demo.sh): every export in every format, every export that
# the sample's real camera must fill has rows, the ones it cannot fill say why in the index
# (README.md) and on the terminal, and the run ends by saying where the report is.
source "$(dirname "$0")/lib.sh"
build=$(dirname "$(dirname "$CIOT_ANALYZE")")
[ -x "$build/report/ciot-report" ] || { echo "FAIL: no ciot-report beside $CIOT_ANALYZE" >&2; exit 1; }
out=$work/demo
bash "$CIOT_SOURCE_DIR/scripts/demo.sh" "$build" "$out" >"$work/stdout" 2>"$work/stderr" ||
  { cat "$work/stderr" >&2; fail "scripts/demo.sh exit status"; }
tables=$(sed -n 's/^tables="\(.*\)"$/\1/p' "$CIOT_SOURCE_DIR/scripts/demo.sh")
[ -n "$tables" ] || fail "no table list in scripts/demo.sh"
# without a row on the sample, each for a reason the sample has: no capture tagged pre or post, no
# certificate-interception test
empty=" encryption-firmware validation validation-pairs "
for table in $tables; do
  for format in csv json md; do
    [ -s "$out/$table.$format" ] || fail "$table.$format missing or empty"
  done
  rows=$(sqlite3 :memory: "SELECT json_array_length(CAST(readfile('$out/$table.json') AS TEXT))")
  if [[ $empty == *" $table "* ]]; then
    expect_eq "$table: no row on the sample" "$rows" 0
    grep -q "^| \[$table\]($table.md) | 0 | .*\*\*no .*\*\* |$" "$out/README.md" &&
      pass "$table: README.md says why it is empty" || fail "$table: README.md gives no reason for the empty export"
    grep -q "^demo: $table: no " "$work/stdout" && pass "$table: the terminal says why it is empty" ||
      fail "$table: the terminal gives no reason for the empty export"
  else
    [ "$rows" -gt 0 ] && pass "$table: $rows rows" || fail "$table: no row on the sample"
    grep -q "^| \[$table\]($table.md) | $rows | " "$out/README.md" || fail "$table: README.md does not list $rows rows"
  fi
done
# the camera fills the paper's analyses with real numbers: the overseas and home shares, every party
# kind it has, TLS 1.2 with certificates, the three encryption groups, a PII finding
expect_eq "camera countries (CN and abroad)" \
  "$(grep -c '^category,camera,all,' "$out/countries.csv")" 3
[ "$(grep -c '^xiaobai_camera,camera,.*,CN,' "$out/destinations.csv")" -gt 10 ] && pass "camera destinations in CN" ||
  fail "camera destinations in CN"
expect_eq "camera TLS 1.2 connections with a leaf certificate" \
  "$(grep '^xiaobai_camera,' "$out/tls.csv" | grep -c ',TLS1.2,TLS1.2,.*,[0-9a-f]\{64\},')" 3
expect_eq "camera encryption groups" \
  "$(grep '^category,camera,camera,all,' "$out/encryption.csv" | cut -d, -f6 | sort -u | paste -sd' ')" \
  "encrypted omitted unencrypted unknown"
expect_eq "pii rows are the camera's" "$(tail -n +2 "$out/pii.csv" | cut -d, -f1 | sort -u)" xiaobai_camera
expect_eq "parties of the camera: support and third" \
  "$(grep '^camera,all,' "$out/parties.csv" | awk -F, '$5 > 0 {print $3}' | paste -sd' ')" "support third"
tail -4 "$work/stdout" | head -1 | grep -q "^demo: the report is $out/report.html: open it in a browser" &&
  pass "the run ends by saying where the report is" || fail "the last lines do not say where the report is"
[ -s "$out/report.html" ] && grep -q '<h1>ciot report: ' "$out/report.html" && pass "report.html written" ||
  fail "no report.html"
drawn=$(grep -c '^wrote ' "$out/figures.txt" || true)
[ "$drawn" -ge 6 ] && pass "$drawn figures drawn" || fail "only $drawn figures drawn on the sample"
expect_eq "figures in report.html" "$(grep -c '<svg' "$out/report.html")" "$drawn"
finish
