#!/usr/bin/env bash
# The HTML report (ciot-report DB --html FILE) of the sample dataset, checked as a reader and a
# browser see it: one self-contained file (no script, no stylesheet, image or font to fetch), every
# figure of the registry inline or said not drawn and why, the same as --svg draws, the same bytes
# from the same database, a hostile device name shown as text; then opened in headless Chromium
# (Debian's, installed by scripts/setup.sh): no console message, no request that the page makes
# (the browser's own update checks are told apart by their isolation key: a page's requests carry
# file://), and the figures in the DOM. Writes a screenshot beside the test's output when
# CIOT_HTML_SCREENSHOT names a file, for a person to look at.
source "$(dirname "$0")/lib.sh"
command -v chromium >/dev/null || { echo "FAIL: chromium is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

"$CIOT_ANALYZE" -q -o "$work/s.db" "$CIOT_SOURCE_DIR/datasets/sample" 2>/dev/null || fail "ciot-analyze exit $?"
"$CIOT_REPORT" "$work/s.db" --html "$work/r.html" || fail "ciot-report --html exit $?"
[ -s "$work/r.html" ] || { fail "no report written"; finish; }

# self-contained: nothing to run, nothing to fetch (the SVG namespace is a name, not a fetch; a URL
# in a table's text, such as a published figure's source, is text)
sed 's| xmlns="http://www.w3.org/2000/svg"||g' "$work/r.html" >"$work/bare.html"
for pattern in '<script' 'src=' '@import' 'url(' '<link' '<iframe' '<object' '<embed' 'xlink:href' '="http'; do
  if grep -q -i -F "$pattern" "$work/bare.html"; then fail "the page holds $pattern"; else pass "no $pattern"; fi
done
grep -o 'href="[^"]*"' "$work/r.html" | grep -v '^href="#' && fail "a link leaves the page" || pass "links stay in the page"

# every figure: drawn inline, or said not drawn; as many as --svg writes
"$CIOT_REPORT" "$work/s.db" --svg "$work/svg" >"$work/svg.out" || fail "--svg exit $?"
drawn=$(grep -c '^wrote ' "$work/svg.out" || true)
inline=$(grep -c '<svg' "$work/r.html" || true)
expect_eq "figures inline (as --svg draws)" "$inline" "$drawn"
figures=$("$CIOT_REPORT" --help | sed -n '/^Figures (SVG):/,/^$/p' | awk 'NF && !/^Figures/ {print $1}')
[ -n "$figures" ] || fail "no figures listed by --help"
for f in $figures; do
  grep -q "id=\"figure-$f\"" "$work/r.html" && pass "figure $f has its section" || fail "figure $f missing"
done
for part in dataset guesses method tables table1 table2 table3 table4 table5 pii firmware reference figures exports; do
  grep -q "id=\"$part\"" "$work/r.html" && pass "part $part" || fail "part $part missing"
done
exports=$("$CIOT_REPORT" --help | sed -n '/^Tables:/,/^$/p' | awk 'NF && !/^Tables/ {print $1}')
for e in $exports; do
  grep -q "<summary><b>$e</b>" "$work/r.html" && pass "export $e one click away" || fail "export $e missing"
done

# the same database, the same bytes
"$CIOT_REPORT" "$work/s.db" --html "$work/r2.html" && cmp -s "$work/r.html" "$work/r2.html" &&
  pass "deterministic" || fail "two reports of one database differ"

# a hostile name is text
cp "$work/s.db" "$work/h.db"
q "$work/h.db" "UPDATE devices SET name = '<script>alert(1)</script>&\"x' WHERE id = (SELECT min(id) FROM devices)"
"$CIOT_REPORT" "$work/h.db" --html "$work/h.html" || fail "ciot-report --html on a hostile name: exit $?"
if grep -q -F '<script>alert' "$work/h.html"; then fail "a device name became markup"; else pass "hostile name escaped"; fi
grep -q -F '&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;x' "$work/h.html" && pass "hostile name shown" ||
  fail "the hostile name is not shown escaped"

# a real browser
chrome=(chromium --headless=new --no-sandbox --disable-gpu --disable-background-networking
  --disable-component-update --disable-sync --no-first-run --disable-default-apps
  --user-data-dir="$work/profile" --enable-logging=stderr --v=0)
timeout 120 "${chrome[@]}" --log-net-log="$work/net.json" --dump-dom "file://$work/r.html" >"$work/dom.html" \
  2>"$work/chromium.err" || fail "chromium exit $?"
if grep -q 'CONSOLE' "$work/chromium.err"; then
  grep 'CONSOLE' "$work/chromium.err" >&2
  fail "console messages"
else
  pass "no console message"
fi
python3 - "$work/net.json" <<'PY' && pass "the page requests nothing" || fail "the page made requests"
import json, sys
events = json.load(open(sys.argv[1]))["events"]
page = set()
for e in events:
    p = e.get("params", {})
    if "file://" in str(p.get("network_isolation_key", "")) and "url" in p:
        page.add(p["url"])
urls = {}
for e in events:
    p = e.get("params", {})
    if "url" in p:
        urls.setdefault(e["source"]["id"], p["url"])
req = {e["source"]["id"] for e in events if "file://" in str(e.get("params", {}).get("network_isolation_key", ""))}
bad = sorted({urls[i] for i in req if i in urls and not urls[i].startswith("file:")})
for u in bad:
    print("page request:", u, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
dom_svgs=$(grep -o '<svg' "$work/dom.html" | wc -l)
expect_eq "figures in the browser's DOM" "$dom_svgs" "$inline"
if [ -n "${CIOT_HTML_SCREENSHOT:-}" ]; then
  timeout 120 "${chrome[@]}" --hide-scrollbars --window-size=1280,6000 --screenshot="$CIOT_HTML_SCREENSHOT" \
    "file://$work/r.html" 2>/dev/null && echo "screenshot: $CIOT_HTML_SCREENSHOT"
fi
finish
