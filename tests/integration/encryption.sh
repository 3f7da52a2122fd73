#!/usr/bin/env bash
# Encryption classes on real captures of the corpus, per capture, against what tshark sees in the
# same files (counted in this run): TLS application data and QUIC are encrypted, DNS, plain HTTP
# and MQTT are unencrypted text, DNSSEC material is encrypted; the per-flow class counts add up to
# the flows' payload packets; the exports agree with the table.
source "$(dirname "$0")/lib.sh"
need_corpus
db=$work/enc.db
nd=$CIOT_CORPUS/ndpi
files="tls-appdata.pcap tls_1.3_unidirectional_client.pcapng quic-29.pcap quic-33.pcapng quic_t51.pcap dns.pcap
       dns_fragmented.pcap http.pcapng http-lines-split.pcap mqtt.pcap NTPv4.pcap"
for f in $files; do
  "$CIOT_ANALYZE" -q --all-flows -o "$db" --device "c_${f%%.*}" --category other "$nd/$f" 2>"$work/stderr" ||
    { cat "$work/stderr" >&2; fail "ciot-analyze $f"; }
done
# packets of class C in the flows of capture F whose nDPI protocol matches LIKE pattern P
count() { # file pattern class
  q "$db" "SELECT coalesce(sum(k.packets), 0) FROM flow_classes k JOIN flows f ON f.id = k.flow_id
           JOIN captures c ON c.id = f.capture_id WHERE c.file LIKE '%/$1' AND f.app_proto LIKE '$2' AND k.class = '$3'"
}
total() { # file pattern
  q "$db" "SELECT coalesce(sum(k.packets), 0) FROM flow_classes k JOIN flows f ON f.id = k.flow_id
           JOIN captures c ON c.id = f.capture_id WHERE c.file LIKE '%/$1' AND f.app_proto LIKE '$2'"
}
ts() { tshark -r "$nd/$1" -Y "$2" 2>/dev/null | wc -l; }
at_least() { # name actual minimum
  if [ "$2" -ge "$3" ]; then pass "$1: $2 >= $3"; else fail "$1: got $2, expected at least $3"; fi
}

# TLS: every frame tshark decodes application data in is encrypted here (continuation segments
# too, so ours is at least tshark's); tls-appdata.pcap starts after the handshake: nothing is text
appdata=$(ts tls-appdata.pcap 'tls.app_data')
[ "$appdata" -gt 10 ] || fail "tls-appdata.pcap: tshark sees only $appdata application-data frames"
at_least "tls-appdata.pcap TLS encrypted packets (tshark: $appdata frames with application data)" \
  "$(count tls-appdata.pcap 'TLS%' encrypted)" "$appdata"
expect_eq "tls-appdata.pcap TLS packets not encrypted" \
  "$(($(total tls-appdata.pcap 'TLS%') - $(count tls-appdata.pcap 'TLS%' encrypted)))" "0"
# TLS 1.3: the ClientHello in clear is text, the rest encrypted
expect_eq "TLS 1.3 ClientHello frames in clear (tshark) = text packets" \
  "$(count tls_1.3_unidirectional_client.pcapng 'TLS%' text)" "$(ts tls_1.3_unidirectional_client.pcapng 'tls.handshake.type == 1')"
at_least "TLS 1.3 encrypted packets" "$(count tls_1.3_unidirectional_client.pcapng 'TLS%' encrypted)" \
  "$(ts tls_1.3_unidirectional_client.pcapng 'tls.app_data')"

# QUIC: every packet encrypted, as many as tshark's QUIC frames
for f in quic-29.pcap quic-33.pcapng quic_t51.pcap; do
  expect_eq "$f QUIC packets encrypted (tshark's QUIC frames)" "$(count $f 'QUIC%' encrypted)" "$(ts $f quic)"
  expect_eq "$f QUIC packets not encrypted" "$(($(total $f 'QUIC%') - $(count $f 'QUIC%' encrypted)))" "0"
done

# DNS: text; DNSSEC keys and signatures encrypted
expect_eq "dns.pcap DNS packets text (tshark's DNS frames)" "$(count dns.pcap 'DNS%' text)" "$(ts dns.pcap dns)"
expect_eq "dns.pcap DNS packets not text" "$(($(total dns.pcap 'DNS%') - $(count dns.pcap 'DNS%' text)))" "0"
dnssec=$(ts dns_fragmented.pcap 'dns.rrsig.signature || dns.dnskey.public_key')
[ "$dnssec" -gt 0 ] || fail "dns_fragmented.pcap: tshark sees no DNSSEC records"
at_least "dns_fragmented.pcap encrypted (DNSSEC; tshark: $dnssec messages, ours counts their fragments)" \
  "$(count dns_fragmented.pcap 'DNS%' encrypted)" "$dnssec"
at_least "dns_fragmented.pcap text (messages without DNSSEC records)" "$(count dns_fragmented.pcap 'DNS%' text)" \
  "$(ts dns_fragmented.pcap 'dns && !(dns.rrsig.signature || dns.dnskey.public_key)')"

# plain HTTP and MQTT: unencrypted, never encrypted
for f in http.pcapng http-lines-split.pcap; do
  at_least "$f HTTP text packets (tshark's requests and responses)" "$(count $f 'HTTP%' text)" \
    "$(ts $f 'http.request || http.response')"
  expect_eq "$f HTTP packets encrypted" "$(count $f 'HTTP%' encrypted)" "0"
done
expect_eq "mqtt.pcap MQTT packets text (tshark's MQTT frames)" "$(count mqtt.pcap 'MQTT%' text)" "$(ts mqtt.pcap mqtt)"
expect_eq "mqtt.pcap MQTT packets not text" "$(($(total mqtt.pcap 'MQTT%') - $(count mqtt.pcap 'MQTT%' text)))" "0"

# every packet with a payload is in exactly one class: class packets = packets with payload (tshark)
for f in dns.pcap mqtt.pcap quic-29.pcap; do
  expect_eq "$f classified packets = tshark's packets with a TCP/UDP payload" \
    "$(q "$db" "SELECT sum(k.packets) FROM flow_classes k JOIN flows f ON f.id = k.flow_id JOIN captures c ON c.id = f.capture_id WHERE c.file LIKE '%/$f'")" \
    "$(ts $f 'tcp.len > 0 || udp.length > 8')"
done

# no flow of a known encrypted protocol is called proprietary; the method is recorded
expect_eq "proprietary encryption on TLS/QUIC/DNS flows" \
  "$(q "$db" "SELECT count(*) FROM flows WHERE proprietary_encryption AND (app_proto LIKE 'TLS%' OR app_proto LIKE 'QUIC%' OR app_proto LIKE 'DNS%')")" "0"
case "$(q "$db" "SELECT value FROM meta WHERE key = 'encryption_method'")" in
  *"length-aware mode: encrypted above 0.95, text below 0.75"*) pass "encryption_method recorded" ;;
  *) fail "encryption_method not recorded as expected" ;;
esac

# the paper's mode: recorded in the database; the protocol rules do not depend on the mode (its
# effect on the entropy step is measured by the calibration in tests/unit/test-entropy.c)
paper=$work/paper.db
"$CIOT_ANALYZE" -q --all-flows --entropy paper -o "$paper" --device c_mqtt --category other "$nd/mqtt.pcap" "$nd/quic-29.pcap"
case "$(q "$paper" "SELECT value FROM meta WHERE key = 'encryption_method'")" in
  *"paper mode: encrypted above 0.9, text below 0.4), omitted below 20 bytes"*) pass "paper mode recorded" ;;
  *) fail "paper mode not recorded as expected" ;;
esac
expect_eq "paper mode: QUIC still encrypted" \
  "$(q "$paper" "SELECT sum(encrypted_packets) FROM flows WHERE app_proto LIKE 'QUIC%'")" "$(ts quic-29.pcap quic)"

# exports: per device the byte shares add up to 1; the heatmap's groups too
"$CIOT_REPORT" "$db" encryption -o "$work/encryption.csv"
expect_eq "device byte shares add up to 1" \
  "$(awk -F, '$1 == "device" { s[$2 "/" $4] += $9 } END { bad = 0; for (k in s) if (s[k] < 0.99999 || s[k] > 1.00001) bad++; print bad }' "$work/encryption.csv")" "0"
expect_eq "encryption export packets = table" \
  "$(awk -F, '$1 == "device" && $4 == "all" { s += $7 } END { print s }' "$work/encryption.csv")" \
  "$(q "$db" 'SELECT sum(packets) FROM flow_classes')"
"$CIOT_REPORT" "$db" encryption-heatmap -o "$work/heatmap.csv"
expect_eq "heatmap shares add up to 1 per category and phase" \
  "$(awk -F, 'NR > 1 { s[$1 "/" $2] += $4 } END { bad = 0; for (k in s) if (s[k] < 0.99999 || s[k] > 1.00001) bad++; print bad }' "$work/heatmap.csv")" "0"
finish
