#!/usr/bin/env bash
# The guides and the tool cannot disagree: guides/protocols.md is what ciot-capture prints from the
# protocol files, and every ciot-capture option the guides use is one ciot-capture has.
source "$(dirname "$0")/lib.sh"
: "${CIOT_CAPTURE:?}"
guides=$CIOT_SOURCE_DIR/guides

if diff -u "$guides/protocols.md" <("$CIOT_CAPTURE" --show-protocol all --markdown) >"$work/diff"; then
  pass "guides/protocols.md matches the protocol files"
else
  fail "guides/protocols.md differs from ciot-capture --show-protocol all --markdown (regenerate it):"
  head -40 "$work/diff" >&2
fi

"$CIOT_CAPTURE" --help >"$work/help"
# options on the guides' ciot-capture command lines, continuation lines included
awk '/ciot-capture/ { on = 1 } on { print } !/\\$/ { on = 0 }' "$guides"/*.md |
  grep -o -- '--[a-z][a-z-]*' | sort -u >"$work/used"
[ -s "$work/used" ] || fail "no ciot-capture options found in the guides"
while read -r opt; do
  grep -q -- "$opt\\b" "$work/help" && pass "guides use $opt, which --help documents" ||
    fail "the guides use $opt, which ciot-capture --help does not know"
done <"$work/used"
# every command of the command language (capture/lib/command.h) has its row in the guide: typed at
# the terminal (section 5.2, all but the scripts' wait and exec) and in scripts (section 7)
mapfile -t commands < <(sed -n 's/^ \*   \([a-z][a-z]*\) .*/\1/p' "$CIOT_SOURCE_DIR/capture/lib/command.h")
[ "${#commands[@]}" -ge 9 ] || fail "found ${#commands[@]} commands in command.h"
for c in "${commands[@]}"; do
  grep -Eq "^\| \`$c( [^\`|]*)?\` \|" "$guides/lifecycle.md" && pass "the scripts' table has $c" ||
    fail "guides/lifecycle.md: no row for the script command $c"
  case $c in wait | exec) continue ;; esac
  grep -Eq "^\| \`$c( [^\`|]*)?\` Enter \|" "$guides/lifecycle.md" && pass "the terminal's table has $c" ||
    fail "guides/lifecycle.md: no row for $c typed at the terminal"
done
finish
