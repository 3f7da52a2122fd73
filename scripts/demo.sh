#!/usr/bin/env bash
# demo.sh BUILD_DIR OUT_DIR: analyzes the bundled sample dataset and writes its report.
set -euo pipefail
build=${1:-build}
out=${2:-demo}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
rm -f "$out/sample.db"
"$build/analyze/ciot-analyze" -o "$out/sample.db" "$top/datasets/sample"
tables="summary captures flows destinations countries sankey parties organizations encryption encryption-heatmap encryption-firmware tls certificates protocols cert-issues validation validation-pairs pii pii-kinds"
for table in $tables; do
  for format in csv json md; do
    "$build/report/ciot-report" "$out/sample.db" "$table" --format "$format" -o "$out/$table.$format"
  done
done
echo
cat "$out/summary.md"
echo
cat "$out/organizations.md"
echo
echo "demo: database $out/sample.db; reports in $out/ ($tables; each as csv, json, md)"
