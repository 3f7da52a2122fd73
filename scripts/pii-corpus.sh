#!/usr/bin/env bash
# pii-corpus.sh [BUILD_DIR] [CORPUS_DIR]: the PII search over every capture of the corpus (nDPI's
# and tcpdump's test suites): matches per kind, and each kind's most frequent values with where they
# were found, to be checked by hand (docs/pii.md records the last check). The corpus is public test
# data, so the values themselves are printed (ciot-analyze --pii-values); never run this with that
# flag on a real lab dataset you mean to share.
#
# Every file is analyzed with --all-flows (the corpus is not one device's traffic) into one
# temporary database; files ciot-analyze refuses are counted, not fatal.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
corpus=${2:-${CIOT_CORPUS:-$top/../shared/corpus}}
analyze=$build/analyze/ciot-analyze
report=$build/report/ciot-report
[ -x "$analyze" ] && [ -x "$report" ] || { echo "pii-corpus: build first (make build)" >&2; exit 1; }
[ -d "$corpus" ] || { echo "pii-corpus: no corpus at $corpus" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapfile -t files < <(find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
status=0
"$analyze" -q -j 2 --all-flows --pii-values -o "$work/pii.db" "${files[@]}" 2>"$work/stderr" || status=$?
refused=$(grep -c ': ' "$work/stderr" || true)
db=$work/pii.db
echo "files: ${#files[@]}, refused by ciot-analyze: $refused (exit $status)"
sqlite3 "$db" "SELECT 'clear bytes searched: ' || sum(pii_searched_bytes) || ' in ' ||
                      count(CASE WHEN pii_searched_bytes > 0 THEN 1 END) || ' flows' FROM flows"
echo
echo "== matches per kind (kind, source, matches, distinct values, files) =="
sqlite3 -column "$db" "SELECT kind, method, sum(count) AS matches, count(DISTINCT value_hash) AS dvalues,
                              count(DISTINCT file) AS files FROM pii_view GROUP BY kind, method
                       ORDER BY matches DESC"
echo
echo "== top values per kind (kind, value, location, protocol, matches, first file) =="
sqlite3 -separator ' | ' "$db" "
  WITH v AS (SELECT kind, value, min(location) AS location, min(app_proto) AS proto, sum(count) AS n,
                    min(replace(file, '$corpus/', '')) AS file FROM pii_view GROUP BY kind, value),
       r AS (SELECT v.*, row_number() OVER (PARTITION BY kind ORDER BY n DESC, value) AS k FROM v)
  SELECT kind, value, location, proto, n, file FROM r WHERE k <= ${PII_TOP:-8} ORDER BY kind, k"
