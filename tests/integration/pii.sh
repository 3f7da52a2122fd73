#!/usr/bin/env bash
# The PII search on real captures of the corpus, against values read off the same files with tshark
# in this run: the MACs of RADIUS Calling-Station-Id attributes, the SIP From addresses, the SSDP
# LOCATION addresses; the mDNS device id; and nothing from a TLS capture whose clear handshake
# holds names and addresses (docs/pii.md: protected protocols are not searched).
source "$(dirname "$0")/lib.sh"
need_corpus
nd=$CIOT_CORPUS/ndpi
db=$work/pii.db
files="radius_false_positive.pcapng fuzz-2020-02-16-11740.pcap FAX-Call-t38-CA-TDM-SIP-FB-1.pcap 1kxun.pcap telegram.pcap
       tls-appdata.pcap"
for f in $files; do
  [ -f "$nd/$f" ] || continue
  "$CIOT_ANALYZE" -q --all-flows --pii-values -o "$db" --device "c_${f%%.*}" --category other \
    "$nd/$f" 2>"$work/stderr" || { cat "$work/stderr" >&2; fail "ciot-analyze $f"; }
done
# values of kind K found in capture F
found() { q "$db" "SELECT DISTINCT value FROM pii_view WHERE file LIKE '%/$1' AND kind = '$2' ORDER BY 1"; }

# RADIUS: every Calling-Station-Id that is a MAC, normalised to aa:bb:cc:dd:ee:ff
f=fuzz-2020-02-16-11740.pcap
want=$(tshark -r "$nd/$f" -T fields -e radius.Calling_Station_Id 2>/dev/null | tr ',' '\n' |
  grep -Ei '^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$' | tr 'A-F-' 'a-f:' | sort -u)
got=$(found "$f" mac)
[ -n "$want" ] || fail "$f: tshark found no Calling-Station-Id"
missing=$(comm -23 <(echo "$want") <(echo "$got") | wc -l)
expect_eq "$f: RADIUS client MACs ($(echo "$want" | wc -l)) all found" "$missing" 0

# SIP: the user@host of every From header is found as an e-mail-shaped identifier
f=FAX-Call-t38-CA-TDM-SIP-FB-1.pcap
want=$(tshark -r "$nd/$f" -T fields -e sip.from.addr 2>/dev/null | sed -n 's/^sips\{0,1\}:\([^;>]*@[A-Za-z0-9.-]*\.[A-Za-z]\{2,\}\).*/\1/p' |
  tr 'A-Z' 'a-z' | sort -u)
got=$(found "$f" email)
[ -n "$want" ] || fail "$f: tshark found no SIP From address"
missing=$(comm -23 <(echo "$want") <(echo "$got") | wc -l)
expect_eq "$f: SIP From addresses ($(echo "$want" | wc -l)) all found" "$missing" 0

# SSDP: every private LOCATION host is found in a header
f=1kxun.pcap
want=$(tshark -r "$nd/$f" -Y ssdp -T fields -e http.location 2>/dev/null |
  sed -n 's#^http://\(10\.[0-9.]*\|192\.168\.[0-9.]*\|172\.[0-9.]*\)[:/].*#\1#p' | sort -u)
got=$(q "$db" "SELECT DISTINCT value FROM pii_view WHERE file LIKE '%/$f' AND kind = 'private-ip'
               AND location = 'header' ORDER BY 1")
[ -n "$want" ] || fail "$f: tshark found no SSDP LOCATION"
missing=$(comm -23 <(echo "$want") <(echo "$got") | wc -l)
expect_eq "$f: SSDP LOCATION addresses ($(echo "$want" | wc -l)) all found" "$missing" 0

# mDNS: a device id in a TXT record, in DNS
expect_eq "telegram.pcap: the mDNS MAC" "$(q "$db" "SELECT group_concat(DISTINCT value) FROM pii_view
  WHERE file LIKE '%/telegram.pcap' AND kind = 'mac' AND location = 'dns' AND app_proto LIKE '%MDNS%'")" \
  "$(tshark -r "$nd/telegram.pcap" -Y mdns -T fields -e dns.txt 2>/dev/null | tr ',' '\n' |
     grep -oEi '([0-9a-f]{2}:){5}[0-9a-f]{2}' | tr 'A-F' 'a-f' | sort -u | paste -sd,)"

# TLS: nothing searched, nothing found
expect_eq "tls-appdata.pcap: bytes searched" "$(q "$db" "SELECT sum(f.pii_searched_bytes) FROM flows f
  JOIN captures c ON c.id = f.capture_id WHERE c.file LIKE '%/tls-appdata.pcap' AND f.app_proto LIKE 'TLS%'")" 0
expect_eq "tls-appdata.pcap: matches" "$(q "$db" "SELECT count(*) FROM pii_view WHERE file LIKE '%/tls-appdata.pcap'")" 0

# every stored hash is 32 hex digits; the values were kept as asked
expect_eq "malformed hashes" "$(q "$db" "SELECT count(*) FROM pii_matches WHERE length(value_hash) <> 32
  OR value_hash GLOB '*[^0-9a-f]*' OR value IS NULL")" 0
finish
