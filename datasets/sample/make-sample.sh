#!/usr/bin/env bash
# make-sample.sh: regenerates the ciot sample dataset (datasets/sample/) from real captures of the
# nDPI project's test suite (LGPL-3.0, github.com/ntop/nDPI tests/cfgs/default/pcap), read from
# ../shared/corpus/ndpi relative to the repository root. See LICENSE-captures.md.
#
# Each device file keeps only packets with the device's own IPv4 address as source or destination
# (ARP and other non-IP frames are dropped), written as classic pcap with Ethernet link type. The
# four lifecycle phase files of a device are consecutive slices of that traffic: by time from the
# start of the source capture (frame.time_relative), or by frame number in the source capture
# where the capture is too short to slice by time. The sources were not recorded as lifecycle
# experiments: the phase labels mark slices for exercising ciot, not what the device was doing.
#
# Requires tshark (Wireshark 4.0 was used). The output is deterministic: classic pcap files carry
# no writer name or date, so re-running produces byte-identical files.
set -euo pipefail
export LC_ALL=C TZ=UTC

out="$(cd "$(dirname "$0")" && pwd)"
src="${CIOT_NDPI_CORPUS:-$(dirname "$0")/../../../shared/corpus/ndpi}"
[ -d "$src" ] || { echo "make-sample.sh: $src: no such directory (nDPI test captures)" >&2; exit 1; }

# slice DEVICE PHASE SOURCE FILTER: writes DEVICE/DEVICE_PHASE.pcap with the source's packets
# that match the display filter (single pass, frame numbers and times are the source file's).
slice() {
	local device=$1 phase=$2 source=$3 filter=$4
	mkdir -p "$out/$device"
	local err
	if ! err=$(tshark -n -r "$src/$source" -Y "$filter" -F pcap -w "$out/$device/${device}_$phase.pcap" 2>&1); then
		printf '%s\n' "$err" >&2
		exit 1
	fi
	# tshark's warning about running as root is noise here; anything else is shown
	printf '%s\n' "$err" | grep -v -e '^$' -e '^Running as user "root"' >&2 || true
}

# --- tuya_light: Tuya Wi-Fi device, MAC 38:1f:8d:45:1e:b5 (Tuya Smart OUI), IP 192.168.242.202.
# tuya_lp.pcap: its UDP 6667 LAN discovery broadcasts (protocol 3.3, productKey key8u54q9dtru5jw),
# one every 5 s, 8 in 36 s; sliced at 10, 20 and 30 s: 2 broadcasts per phase.
d=tuya_light f=tuya_lp.pcap a='ip.addr==192.168.242.202'
slice $d setup       $f "$a && frame.time_relative < 10"
slice $d interaction $f "$a && frame.time_relative >= 10 && frame.time_relative < 20"
slice $d idle        $f "$a && frame.time_relative >= 20 && frame.time_relative < 30"
slice $d deletion    $f "$a && frame.time_relative >= 30"

# --- sonos_speaker: Sonos player, MAC 34:7e:5c:ff:a2:6e, IP 192.168.1.70 (TLS server on port 1443,
# certificate CN=347E5CFFA26E, O=Sonos, Inc). sonos.pcapng frames 1-44: one TLS session opened by
# a controller at 192.168.1.29, 88 ms long, sliced by frame number: TCP and TLS handshake (1-20),
# application data (21-31, 32-37), TLS close_notify, FIN and RST (38-44). Frames 45-61 are
# another pair of Sonos players (192.168.15.36/37) and are left out.
d=sonos_speaker f=sonos.pcapng a='ip.addr==192.168.1.70 && eth.addr==34:7e:5c:ff:a2:6e'
slice $d setup       $f "$a && frame.number in {1..20}"
slice $d interaction $f "$a && frame.number in {21..31}"
slice $d idle        $f "$a && frame.number in {32..37}"
slice $d deletion    $f "$a && frame.number in {38..44}"

# --- nest_sensor: Nest device (firmware string 3.1.4rc3, Weave log sink; most likely a Nest
# Protect), MAC 18:b4:30:26:34:40 (Nest Labs OUI), IP 192.168.242.15. nest_log_sink.pcap: 1 h 52 min
# of DNS to the gateway, a long-lived TCP 11095 connection to the Nest service (keep-alive every
# minute) and log uploads to weave-logsink.nest.com every 30 min or so; sliced at 1700, 3500 and
# 5100 s, in quiet moments between uploads, so that every slice holds one or two uploads.
d=nest_sensor f=nest_log_sink.pcap a='ip.addr==192.168.242.15'
slice $d setup       $f "$a && frame.time_relative < 1700"
slice $d interaction $f "$a && frame.time_relative >= 1700 && frame.time_relative < 3500"
slice $d idle        $f "$a && frame.time_relative >= 3500 && frame.time_relative < 5100"
slice $d deletion    $f "$a && frame.time_relative >= 5100"
