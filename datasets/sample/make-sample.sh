#!/usr/bin/env bash
# make-sample.sh: regenerates the ciot sample dataset (datasets/sample/) from two sources, read in
# place beside the repository (../shared relative to its root; see LICENSE-captures.md):
#
# - xiaobai_camera: the lifecycle paper's own camera (Xiaobai Y2), seven step captures of a real
#   lifecycle experiment from its authors' public dataset (Apache-2.0), ../shared/data/nku-camera.
#   It is the sample's one device recorded as a lifecycle study: the demo's report shows real
#   destinations, encryption and TLS because of it. The files are copied unchanged (renamed to
#   ciot's <device>/<device>_<step>.pcap), with the authors' timetable and their LICENSE, and their
#   SHA-256 checked against the copies the sample was made from, so that a changed source is
#   noticed instead of shipped.
# - tuya_light, sonos_speaker, nest_sensor: real captures of the nDPI project's test suite
#   (LGPL-3.0, github.com/ntop/nDPI tests/cfgs/default/pcap), ../shared/corpus/ndpi, cut into
#   four slices each. They are kept for the categories (light, speaker, sensor) they add.
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
#
# manifest.json is written by hand (what each device is and why each phase label was chosen is
# not in the captures); the packets and bytes it records per camera step are capinfos' counts of
# the files below.
set -euo pipefail
export LC_ALL=C TZ=UTC

out="$(cd "$(dirname "$0")" && pwd)"
shared="$(dirname "$0")/../../../shared"
src="${CIOT_NDPI_CORPUS:-$shared/corpus/ndpi}"
cam="${CIOT_NKU_CAMERA:-$shared/data/nku-camera}"
[ -d "$src" ] || { echo "make-sample.sh: $src: no such directory (nDPI test captures)" >&2; exit 1; }
[ -d "$cam" ] || { echo "make-sample.sh: $cam: no such directory (the lifecycle dataset's camera)" >&2; exit 1; }

# --- xiaobai_camera: Xiaobai Y2 camera at 192.168.1.165, April 16 2024, captured by the lifecycle
# paper's authors in their lab in China. Copied byte for byte: the authors' files are already one
# pcap per step, and rewriting them would gain nothing and lose the proof that they are theirs.
# The watch_local and watch_remote steps of their timetable have no capture in their repository.
(
	cd "$cam"
	sha256sum --quiet -c - <<-'EOF'
	c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4  LICENSE
	bf02996dfcdb58f72a0716327ad394e004a74cae28dfeec4acf38aeaa8523f35  xiaobai_Y2camera.txt
	a250a4ba8c7ed0b72983b8ca36a143abb9a5acd7d16bed0d6c9d4d9f943d47d7  xiaobai_Y2camera_setup.pcap
	2464e03db02f5a9408c0f2fe720c137c99808ab93cf5280f5b63c1f7b619feaf  xiaobai_Y2camera_idle_local.pcap
	d7f14d138327cc0ed34933c177587426a308427a108db85796663b049170189a  xiaobai_Y2camera_idle_remote.pcap
	edde6438881b5de06ab142d6dd3ed1267e2fc2c1b7139a123f0f4a1507c3f0f9  xiaobai_Y2camera_speak_local.pcap
	56f9fc26c5193a76fbfa5dfb1b6a5601de7781bca3e0240ee74152fcda737e79  xiaobai_Y2camera_speak_remote.pcap
	47c4aac3c425cb76a43e44831cd91b97099e3c79f6a02fe0180ad153083ab273  xiaobai_Y2camera_update.pcap
	8d2bb7f9937dd73d1c499567253d80e5f4387af87856bae35a0b21213a0817ba  xiaobai_Y2camera_delete.pcap
	EOF
) || { echo "make-sample.sh: $cam: files differ from those the sample was made from" >&2; exit 1; }
mkdir -p "$out/xiaobai_camera"
for step in setup idle_local idle_remote speak_local speak_remote update delete; do
	cp "$cam/xiaobai_Y2camera_$step.pcap" "$out/xiaobai_camera/xiaobai_camera_$step.pcap"
done
cp "$cam/xiaobai_Y2camera.txt" "$out/xiaobai_camera/xiaobai_Y2camera.txt"
cp "$cam/LICENSE" "$out/xiaobai_camera/LICENSE"
chmod 644 "$out"/xiaobai_camera/*

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
