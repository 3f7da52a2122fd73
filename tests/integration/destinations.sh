#!/usr/bin/env bash
# Destinations on real captures: the sample dataset and the IoT devices of nDPI's test captures.
# Every flow to the Internet has a country, and every flow to an address the device looked up
# carries the name of that lookup: the expected name is worked out here, independently of ciot's
# DNS parser, from tshark's reading of the same responses (the last answer before the flow, else the
# first after it). The exports agree with the destinations table.
source "$(dirname "$0")/lib.sh"
need_corpus
db=$work/dest.db
sample=$CIOT_SOURCE_DIR/datasets/sample
"$CIOT_ANALYZE" -q -o "$db" "$sample" 2>"$work/stderr" || { cat "$work/stderr" >&2; fail "ciot-analyze on the sample"; }
# IoT devices of the nDPI corpus as bare captures: with the device found automatically where one
# host is in every flow, else (several hosts, or broadcasts only) every flow kept with --all-flows
iot="alexa-app.pcapng:auto nest_log_sink.pcap:auto sonos.pcapng:all tplink_shp.pcap:all tuya_lp.pcap:all
     xiaomi.pcap:all mqtt.pcap:all coap_mqtt.pcap:all"
for entry in $iot; do
  f=${entry%%:*}
  flags=()
  [ "${entry##*:}" = all ] && flags=(--all-flows)
  "$CIOT_ANALYZE" -q -o "$db" --device "iot_${f%%.*}" "${flags[@]}" "$CIOT_CORPUS/ndpi/$f" 2>"$work/stderr" ||
    { cat "$work/stderr" >&2; fail "ciot-analyze $f"; }
done

expect_eq "every flow has a destinations row" \
  "$(q "$db" 'SELECT count(*) FROM flows f LEFT JOIN destinations t ON t.flow_id = f.id WHERE t.flow_id IS NULL')" "0"
expect_eq "local flows are local" \
  "$(q "$db" "SELECT count(*) FROM flows f JOIN destinations t ON t.flow_id = f.id WHERE (f.remote_scope = 'local') <> (t.country = 'local')")" "0"
internet=$(q "$db" "SELECT count(*) FROM flows WHERE remote_scope = 'internet'")
[ "$internet" -gt 20 ] || fail "only $internet flows to the Internet: the inputs changed?"
# coap_mqtt.pcap's IPv6 lab network uses bbbb::/16, which no registry has allocated: "unknown" is right
expect_eq "Internet flows (of $internet) without a country, outside the unallocated bbbb::/16" \
  "$(q "$db" "SELECT count(*) FROM flows f JOIN destinations t ON t.flow_id = f.id WHERE f.remote_scope = 'internet' AND t.country = 'unknown' AND f.remote_ip NOT LIKE 'bbbb:%'")" "0"
expect_eq "flows to bbbb::/16: country unknown, no AS" \
  "$(q "$db" "SELECT count(*) || ' ' || sum(t.country = 'unknown' AND t.asn IS NULL) FROM flows f JOIN destinations t ON t.flow_id = f.id WHERE f.remote_ip LIKE 'bbbb:%'")" "3 3"
expect_eq "Internet flows without an AS, outside bbbb::/16" \
  "$(q "$db" "SELECT count(*) FROM destination_view WHERE country <> 'local' AND asn IS NULL AND remote_ip NOT LIKE 'bbbb:%'")" "0"
expect_eq "every Internet flow has a party" \
  "$(q "$db" "SELECT count(*) FROM destinations WHERE country <> 'local' AND party NOT IN ('first','support','third')")" "0"

# tshark's DNS answers received by each capture's device: file, time (us), client, question, address
: >"$work/answers.csv"
while IFS='|' read -r file; do
  tshark -r "$file" -Y 'dns.flags.response == 1 && (udp.srcport == 53 || tcp.srcport == 53)' -T fields \
    -E separator='|' -E occurrence=a -E aggregator=' ' \
    -e frame.time_epoch -e ip.dst -e ipv6.dst -e dns.qry.name -e dns.a -e dns.aaaa 2>/dev/null |
    awk -F'|' -v file="$file" '{
      split($1, t, "."); us = t[1] substr(t[2] "000000", 1, 6)
      client = $2 != "" ? $2 : $3
      n = split($5 " " $6, addrs, " ")
      for (i = 1; i <= n; i++) if (addrs[i] != "") print file "|" us "|" client "|" tolower($4) "|" addrs[i]
    }' >>"$work/answers.csv"
done < <(q "$db" 'SELECT DISTINCT file FROM captures')
nanswers=$(wc -l <"$work/answers.csv")
[ "$nanswers" -gt 20 ] || fail "only $nanswers DNS answers in the inputs: the inputs changed?"
sqlite3 -batch "$db" <<EOF >"$work/naming.txt"
.separator |
CREATE TEMP TABLE ts_answers (file TEXT, ts_us INTEGER, client TEXT, query TEXT, address TEXT);
.mode list
.import $work/answers.csv ts_answers
-- the device's own answers: the response went to one of its addresses
CREATE TEMP TABLE dev_answers AS
  SELECT c.device_id, a.ts_us, a.query, a.address FROM ts_answers a
  JOIN captures c ON c.file = a.file
  WHERE a.client IN (SELECT value FROM json_each(c.device_addresses));
-- (captures of one device only: with --all-flows, flows are not one device's)
CREATE TEMP TABLE expected AS
  SELECT f.id AS flow_id,
    coalesce((SELECT query FROM dev_answers a WHERE a.device_id = c.device_id AND a.address = f.remote_ip
              AND a.ts_us <= f.first_us ORDER BY a.ts_us DESC LIMIT 1),
             (SELECT query FROM dev_answers a WHERE a.device_id = c.device_id AND a.address = f.remote_ip
              ORDER BY a.ts_us LIMIT 1)) AS name
  FROM flows f JOIN captures c ON c.id = f.capture_id WHERE c.device_method <> 'none';
SELECT 'looked-up flows', count(*) FROM expected WHERE name IS NOT NULL;
SELECT 'unnamed', count(*) FROM expected e JOIN destinations t USING (flow_id) WHERE e.name IS NOT NULL AND t.name IS NULL;
SELECT 'dns name differs', count(*) FROM expected e JOIN destinations t USING (flow_id) WHERE e.name IS NOT NULL AND t.dns_name IS NOT e.name;
SELECT 'named without a lookup', count(*) FROM expected e JOIN destinations t USING (flow_id) WHERE e.name IS NULL AND t.dns_name IS NOT NULL;
SELECT 'example', f.remote_ip, e.name, t.dns_name FROM expected e JOIN destinations t USING (flow_id) JOIN flows f ON f.id = e.flow_id
  WHERE e.name IS NOT NULL AND t.dns_name IS NOT e.name LIMIT 5;
EOF
looked=$(grep '^looked-up flows|' "$work/naming.txt" | cut -d'|' -f2)
[ "${looked:-0}" -gt 10 ] || fail "only ${looked:-0} flows to looked-up addresses: the inputs changed?"
expect_eq "looked-up flows ($looked) without a name" "$(grep '^unnamed|' "$work/naming.txt" | cut -d'|' -f2)" "0"
expect_eq "looked-up flows whose DNS name differs from tshark's" "$(grep '^dns name differs|' "$work/naming.txt" | cut -d'|' -f2)" "0"
expect_eq "flows named by DNS without a lookup in tshark" "$(grep '^named without a lookup|' "$work/naming.txt" | cut -d'|' -f2)" "0"
grep '^example|' "$work/naming.txt" >&2 || true

# the flow's own name: tshark's SNI and Host for the same connections
while IFS='|' read -r file; do
  tshark -r "$file" -Y 'tls.handshake.extensions_server_name || http.host' -T fields -E separator='|' \
    -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport \
    -e tls.handshake.extensions_server_name -e http.host 2>/dev/null |
    awk -F'|' -v file="$file" '{
      host = $7 != "" ? $7 : $8; sub(/:[0-9]+$/, "", host)
      print file "|" ($1 != "" ? $1 : $2) "|" $3 "|" ($4 != "" ? $4 : $5) "|" $6 "|" tolower(host) }'
done < <(q "$db" 'SELECT DISTINCT file FROM captures') | sort -u >"$work/sni.csv"
nsni=$(wc -l <"$work/sni.csv")
sqlite3 -batch "$db" <<EOF >"$work/sni.txt"
.separator |
CREATE TEMP TABLE ts_sni (file TEXT, src TEXT, sport INTEGER, dst TEXT, dport INTEGER, host TEXT);
.import $work/sni.csv ts_sni
SELECT 'flows', count(DISTINCT f.id) FROM ts_sni s JOIN captures c ON c.file = s.file JOIN flows f ON f.capture_id = c.id
  AND f.device_ip = s.src AND f.device_port = s.sport AND f.remote_ip = s.dst AND f.remote_port = s.dport;
SELECT 'mismatch', count(*) FROM ts_sni s JOIN captures c ON c.file = s.file JOIN flows f ON f.capture_id = c.id
  AND f.device_ip = s.src AND f.device_port = s.sport AND f.remote_ip = s.dst AND f.remote_port = s.dport
  JOIN destinations t ON t.flow_id = f.id WHERE t.name IS NOT s.host
  -- a Host that is an address is no name (the DNS name, if any, names the flow)
  AND NOT (s.host GLOB '[0-9]*.[0-9]*.[0-9]*.[0-9]*' OR s.host GLOB '*:*' OR s.host GLOB '\[*');
EOF
nsniflows=$(grep '^flows|' "$work/sni.txt" | cut -d'|' -f2)
[ "${nsniflows:-0}" -gt 5 ] || fail "only ${nsniflows:-0} flows with SNI or Host ($nsni in tshark): the inputs changed?"
expect_eq "flows ($nsniflows) whose name is not tshark's SNI or Host" "$(grep '^mismatch|' "$work/sni.txt" | cut -d'|' -f2)" "0"

# the exports agree with the table
"$CIOT_REPORT" "$db" destinations -o "$work/destinations.csv"
expect_eq "destinations export: bytes" \
  "$(awk -F, 'NR > 1 { s += $(NF-3) } END { print s }' "$work/destinations.csv")" \
  "$(q "$db" 'SELECT sum(bytes) FROM destination_view')"
"$CIOT_REPORT" "$db" countries -o "$work/countries.csv"
expect_eq "device shares add up to 1 per device and phase" \
  "$(q "$db" "SELECT 0")" \
  "$(awk -F, '$1 == "device" { s[$2 "/" $3] += $7 } END { bad = 0; for (k in s) if (s[k] < 0.99999 || s[k] > 1.00001) bad++; print bad }' "$work/countries.csv")"
expect_eq "overall bytes = Internet bytes" \
  "$(awk -F, '$1 == "all" && $3 == "all" { s += $6 } END { print s }' "$work/countries.csv")" \
  "$(q "$db" "SELECT sum(bytes) FROM destination_view WHERE country <> 'local'")"
finish
