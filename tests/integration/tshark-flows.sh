#!/usr/bin/env bash
# Flow counts agree with an independent tool: for real captures of the corpus, the device's TCP
# and UDP flows counted by ciot equal tshark's conversations (tshark -z conv,tcp / conv,udp
# filtered on the device's address), measured live in this run. tshark has no idle timeout, so
# ciot runs with --idle-timeout set beyond each capture's length; the default timeouts are
# checked on captures whose flows never idle that long.
source "$(dirname "$0")/lib.sh"
need_corpus
command -v tshark >/dev/null || { echo "FAIL: tshark is missing (scripts/setup.sh installs it)" >&2; exit 1; }
# capture   device address   idle timeout for ciot (default or none)
cases="
alexa-app.pcapng 172.16.42.216 default
nest_log_sink.pcap 192.168.242.15 none
tls-appdata.pcap 192.168.2.100 none
sonos.pcapng 192.168.1.70 default
wechat.pcap 192.168.1.103 none
1kxun.pcap 192.168.2.126 default
synscan.pcap 172.16.0.8 default
whatsapp.pcap 192.168.2.100 default
ethereum.pcap 192.168.1.184 default
netflix.pcap 192.168.1.7 default
opera-vpn.pcapng 192.168.1.29 default
dns_doh.pcap 172.20.10.4 default
"
compared=0
while read -r name ip timeout; do
  [ -n "$name" ] || continue
  f=$CIOT_CORPUS/ndpi/$name
  [ -f "$f" ] || { fail "$name is not in the corpus"; continue; }
  db=$work/${name%%.*}.db
  extra=()
  [ "$timeout" = none ] && extra=(--idle-timeout 1000000000)
  "$CIOT_ANALYZE" -q -o "$db" --ip "$ip" "${extra[@]}" "$f" || { fail "$name: ciot-analyze exit $?"; continue; }
  filter="ip.addr==$ip"
  case $ip in *:*) filter="ipv6.addr==$ip" ;; esac
  for transport in tcp udp; do
    theirs=$(tshark -r "$f" -q -z "conv,$transport,$filter" 2>/dev/null | grep -c '<->' || true)
    ours=$(q "$db" "SELECT count(*) FROM flows WHERE transport = '$transport'")
    expect_eq "$name $transport flows (tshark $theirs)" "$ours" "$theirs"
    compared=$((compared + 1))
  done
done <<<"$cases"
echo "compared $compared flow counts"
finish
