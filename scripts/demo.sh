#!/usr/bin/env bash
# demo.sh BUILD_DIR OUT_DIR: analyzes the bundled sample dataset and writes its report.
#
# The report is OUT_DIR/report.html (one self-contained page: the tables in the paper's shape, every
# figure, every export; ciot-report --html), the figures as SVG in OUT_DIR/figures/, and every export
# in every format, plus OUT_DIR/README.md: one line per export with its
# row count, and for an export without rows the reason, said in words. An empty file reads as a
# failure ("did the PII search run?"); "no PII found in clear text" is a result. The reasons below
# are what an empty export means on a dataset ciot analyzed without error; the sample's own are
# pinned by tests/integration/demo.sh.
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
"$build/report/ciot-report" "$out/sample.db" --html "$out/report.html"
"$build/report/ciot-report" "$out/sample.db" --svg "$out/figures" >"$out/figures.txt"

# what each export is, in one line (README.md's index)
what() {
  case $1 in
    summary) echo "the dataset: devices, categories, hours, packets, bytes, phases (the lifecycle paper's Table 6)" ;;
    captures) echo "one row per capture file: device, phase, step, frames, flows" ;;
    flows) echo "every flow, oriented device to remote, with nDPI's protocol and bytes each way" ;;
    destinations) echo "who each remote end is: name, domain, country, AS, organization, party" ;;
    countries) echo "country shares per device, category and phase, and overseas (Figures 1 and 2)" ;;
    sankey) echo "category to country edges (Figure 1)" ;;
    parties) echo "first, support and third parties per phase (Table 1)" ;;
    organizations) echo "the organizations contacted (Table 2)" ;;
    encryption) echo "encrypted, unencrypted and unknown shares per device and category (section 4.1)" ;;
    encryption-heatmap) echo "the same per category and phase (Figure 3)" ;;
    encryption-firmware) echo "encryption before and after a firmware update" ;;
    tls) echo "every TLS, DTLS and QUIC connection: versions, cipher suites, SNI, outcome" ;;
    certificates) echo "every certificate seen, with its findings" ;;
    protocols) echo "TLS versions and proprietary protocols per device (Table 3)" ;;
    cert-issues) echo "certificate findings per version and category (Table 4)" ;;
    validation) echo "certificate-validation outcomes of interception tests (Table 5)" ;;
    validation-pairs) echo "the interception tests' connections, pair by pair" ;;
    pii) echo "personal data found in clear text" ;;
    pii-kinds) echo "personal data per kind and category" ;;
  esac
}
# why an export has no row, when it has none
why_empty() {
  case $1 in
    encryption-firmware) echo "no capture is tagged with a firmware update (firmware pre and post)" ;;
    validation | validation-pairs) echo "no certificate-interception capture in the dataset (guides/certificate-interception.md)" ;;
    pii | pii-kinds) echo "no PII found in clear text" ;;
    tls | certificates | protocols | cert-issues) echo "no TLS, DTLS or QUIC connection" ;;
    countries | sankey | parties | organizations) echo "no traffic to the Internet" ;;
    *) echo "no rows" ;;
  esac
}
rows() { sqlite3 :memory: "SELECT json_array_length(CAST(readfile('$out/$1.json') AS TEXT))"; }

{
  echo "# ciot demo: the sample dataset"
  echo
  echo "Made by \`make demo\` (scripts/demo.sh) from \`datasets/sample/\`; where its captures come from and their"
  echo "licences: \`datasets/sample/LICENSE-captures.md\`. The manifest's description:"
  echo
  echo "> $(sqlite3 :memory: "SELECT json_extract(CAST(readfile('$top/datasets/sample/manifest.json') AS TEXT), '\$.description')")"
  echo
  echo "Database: \`sample.db\`. Every export is"
  echo "here as \`.csv\`, \`.json\` and \`.md\`; the columns are documented in \`docs/exports.md\`. The camera's numbers"
  echo "are compared with its authors' own in \`docs/authors-comparison.md\`."
  echo
  echo "| export | rows | what |"
  echo "|---|--:|---|"
  for table in $tables; do
    n=$(rows "$table")
    if [ "$n" -gt 0 ]; then
      echo "| [$table]($table.md) | $n | $(what "$table") |"
    else
      echo "| [$table]($table.md) | 0 | $(what "$table"): **$(why_empty "$table")** |"
    fi
  done
  echo
  echo "## Reading the sample"
  echo
  echo "- Only the camera (\`xiaobai_camera\`) was captured as a lifecycle experiment; the light, speaker and"
  echo "  sensor are slices of nDPI test captures under phase labels they were not recorded as."
  echo "- The camera's overseas traffic is three China Telecom addresses that DB-IP Lite (the version"
  echo "  \`scripts/fetch-geo.sh\` pins) places in the US and Germany; the authors' ip-api.com placed them in China"
  echo "  in 2024. Byte for byte, the camera's destinations are the authors' own (docs/authors-comparison.md)."
  echo "- The camera's update step is interaction without a firmware tag (no image was downloaded), so"
  echo "  encryption-firmware has no row."
  echo
  echo "## Summary"
  echo
  cat "$out/summary.md"
} >"$out/README.md"

echo
cat "$out/summary.md"
echo
cat "$out/organizations.md"
echo
for table in $tables; do
  n=$(rows "$table")
  [ "$n" -gt 0 ] || echo "demo: $table: $(why_empty "$table")"
done
echo
sed 's/^/demo: figures: /' "$out/figures.txt"
echo "demo: the report is $out/report.html: open it in a browser (one file, nothing fetched);"
echo "demo: the exports are in $out/: $out/README.md lists every export, its rows, and why any is empty;"
echo "demo: main files $out/summary.md, $out/countries.md, $out/parties.md, $out/organizations.md, $out/encryption.md,"
echo "demo:   $out/tls.md, $out/certificates.md, $out/pii.md; every export as csv, json and md; database $out/sample.db"
