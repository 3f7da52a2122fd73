#!/usr/bin/env bash
# jobs.sh: -j N on one capture file (shard.c: one thread reads the file, tracks flows and runs
# nDPI, N workers each analyze a share of the flows) gives the same database as -j 1. For each
# capture below, analyzed alone with --all-flows, every table and view (tests/golden/dump.sh,
# ids included) of -j 2 and -j 3 must be byte for byte -j 1's. The captures cover what the merge
# must put back in one worker's order: TLS certificates shared by flows of different workers,
# DNS answers, IP fragments, IPv6, QUIC, nDPI's memory of hosts across flows (Ookla, mining,
# STUN and WhatsApp calls, LRU caches), lifecycle steps (a timetable splitting one file), and
# captures large enough for the ring to wrap many times.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
need_corpus

dump=$CIOT_SOURCE_DIR/tests/golden/dump.sh
key=$CIOT_SOURCE_DIR/tests/golden/pii.key  # a fixed key: PII value hashes are the same every run
captures=(
  ndpi/netflix.pcap ndpi/1kxun.pcap ndpi/reddit.pcap ndpi/instagram.pcap ndpi/iphone.pcap
  ndpi/long_tls_certificate.pcap ndpi/tls_verylong_certificate.pcap ndpi/dns_fragmented.pcap
  ndpi/ip_fragmented_garbage.pcap ndpi/http_ipv6.pcap ndpi/gquic.pcap ndpi/mining.pcapng
  ndpi/lru_ipv6_caches.pcapng ndpi/bittorrent.pcap ndpi/dns.pcap ndpi/alexa-app.pcapng
)
captures+=(ndpi/ookla.pcap ndpi/whatsapp_voice_and_message.pcap ndpi/stun_wa_call.pcapng ndpi/zoom.pcap
  ndpi/teams.pcap ndpi/stun_msteams_unidir.pcapng ndpi/stun_signal.pcapng)

analyze() { # out.db jobs capture [options]
  local db=$1 j=$2 cap=$3; shift 3
  rm -f "$db"
  "$CIOT_ANALYZE" -q --all-flows --pii-key "$key" -j "$j" "$@" -o "$db" "$cap" > /dev/null 2> "$db.err" || true
}

for c in "${captures[@]}"; do
  f=$CIOT_CORPUS/$c
  [ -f "$f" ] || { fail "$c: not in the corpus"; continue; }
  analyze "$work/j1.db" 1 "$f"
  [ -s "$work/j1.db" ] || { fail "$c: -j 1 wrote no database ($(head -1 "$work/j1.db.err"))"; continue; }
  bash "$dump" "$work/j1.db" > "$work/j1.dump"
  flows=$(q "$work/j1.db" 'select count(*) from flows')
  for j in 2 3; do
    analyze "$work/j$j.db" "$j" "$f"
    bash "$dump" "$work/j$j.db" > "$work/j$j.dump" 2>/dev/null || true
    if cmp -s "$work/j1.dump" "$work/j$j.dump"; then
      pass "$c: -j $j = -j 1 ($flows flows, every table)"
    else
      fail "$c: -j $j differs from -j 1:"
      diff "$work/j1.dump" "$work/j$j.dump" | head -10 >&2
    fi
  done
done

# one file cut into lifecycle steps by its timetable (the golden lifecycle case's camera): flows
# end at each step's end, in the reading thread and in every worker alike
golden=$CIOT_SOURCE_DIR/tests/golden
mkdir -p "$work/lc/acme_camera"
ln -s "$CIOT_CORPUS/ndpi/netflix.pcap" "$work/lc/acme_camera/acme_camera.pcap"
cp "$golden/lifecycle.in/acme_camera/acme_camera.txt" "$work/lc/acme_camera/"
for j in 1 2 3; do
  analyze "$work/t$j.db" "$j" "$work/lc" --ip-table "$golden/lifecycle-ip.csv"
  bash "$dump" --subst "$work/lc=LC" "$work/t$j.db" > "$work/t$j.dump" 2>/dev/null || true
done
steps=$(q "$work/t1.db" 'select count(*) from captures' 2>/dev/null || echo 0)
if [ "$steps" -gt 1 ] && cmp -s "$work/t1.dump" "$work/t2.dump" && cmp -s "$work/t1.dump" "$work/t3.dump"; then
  pass "netflix.pcap cut into $steps lifecycle steps: -j 2 and -j 3 = -j 1"
else
  fail "netflix.pcap cut into lifecycle steps ($steps): -j 2 or -j 3 differs from -j 1 ($(head -1 "$work/t1.db.err"))"
  diff "$work/t1.dump" "$work/t2.dump" | head -10 >&2
fi
finish
