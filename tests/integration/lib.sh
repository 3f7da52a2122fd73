# lib.sh: shared helpers of the integration tests (sourced, not run).
# The test's environment gives CIOT_ANALYZE, CIOT_REPORT, CIOT_SOURCE_DIR and CIOT_CORPUS.
set -euo pipefail

: "${CIOT_ANALYZE:?}" "${CIOT_REPORT:?}" "${CIOT_SOURCE_DIR:?}" "${CIOT_CORPUS:?}"
# a sanitizer report must fail a test by itself, whatever the tool's own exit status would be
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:exitcode=86:print_stacktrace=1}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
expect_eq() { # name actual expected
  if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1: got '$2', expected '$3'"; fi
}
q() { sqlite3 -batch -noheader "$1" "$2"; }
need_corpus() {
  [ -d "$CIOT_CORPUS/ndpi" ] && [ -d "$CIOT_CORPUS/tcpdump" ] ||
    { echo "FAIL: the shared corpus is not at $CIOT_CORPUS (expected ../shared/corpus beside the checkout)" >&2; exit 1; }
}
finish() {
  if [ "$failures" -gt 0 ]; then echo "$failures failure(s)" >&2; exit 1; fi
  echo "all passed"
}
