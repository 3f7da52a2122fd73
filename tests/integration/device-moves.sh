#!/usr/bin/env bash
# A device that takes a new DHCP lease mid-step (a reset or reboot: every setup and deletion step),
# and a step in which the device sent nothing (issue 16). Built at test time from the lifecycle
# paper's camera (../shared/data/nku-camera: 192.168.1.165, MAC 78:df:72:24:69:4d), read in place:
# in each of its 7 step captures the frames after the middle one are rewritten by tcprewrite to
# 192.168.1.201. Without --mac every step must be stored, found by the camera's MAC with both
# addresses, with exactly the flows --mac gives; and a step file holding no frame (the camera
# silent) is stored with zero traffic, said on stderr, and counted in the phase's devices.
source "$(dirname "$0")/lib.sh"
: "${CIOT_DATA:?}"
cam=$CIOT_DATA/nku-camera
mac=78:df:72:24:69:4d
[ -d "$cam" ] || { echo "FAIL: the camera's captures are not at $cam" >&2; exit 1; }

moved=()
for f in "$cam"/xiaobai_Y2camera_*.pcap; do
  step=$(basename "$f" .pcap)
  n=$(capinfos -M -c "$f" | awk '/Number of packets/ {print $NF}')
  h=$((n / 2))
  editcap -r "$f" "$work/a.pcap" "1-$h"
  editcap -r "$f" "$work/b.pcap" "$((h + 1))-$n"
  tcprewrite --pnat=192.168.1.165/32:192.168.1.201/32 --fixcsum -i "$work/b.pcap" -o "$work/b2.pcap"
  mergecap -a -w "$work/$step.pcap" "$work/a.pcap" "$work/b2.pcap"
  moved+=("$work/$step.pcap")
done
expect_eq "steps rewritten" "${#moved[@]}" 7

status=0
"$CIOT_ANALYZE" -q -o "$work/auto.db" --device cam "${moved[@]}" 2>"$work/err" || status=$?
expect_eq "without --mac: exit" "$status" 0
expect_eq "without --mac: steps stored" "$(q "$work/auto.db" 'SELECT count(*) FROM captures')" 7
expect_eq "found by the camera's MAC, both addresses, in every step" \
  "$(q "$work/auto.db" "SELECT DISTINCT device_method || ' ' || device_mac || ' ' || device_addresses FROM captures")" \
  "auto $mac [\"192.168.1.165\",\"192.168.1.201\"]"
expect_eq "the address change said for every step" "$(grep -c "found automatically by its MAC $mac .* used 2 addresses" "$work/err")" 7
"$CIOT_ANALYZE" -q -o "$work/mac.db" --device cam --mac "$mac" "${moved[@]}" 2>/dev/null || fail "with --mac: exit $?"
flows_of() {
  q "$1" "SELECT replace(c.file, rtrim(c.file, replace(c.file, '/', '')), ''), f.transport, f.device_ip, f.device_port,
    f.remote_ip, f.remote_port, f.first_us, f.last_us, f.packets_out, f.bytes_out, f.packets_in, f.bytes_in, f.app_proto
    FROM flows f JOIN captures c ON c.id = f.capture_id ORDER BY 1, 2, 3, 4, 5, 6, 7"
}
flows_of "$work/auto.db" >"$work/auto.flows"
flows_of "$work/mac.db" >"$work/mac.flows"
n=$(wc -l <"$work/auto.flows")
[ "$n" -gt 0 ] && cmp -s "$work/auto.flows" "$work/mac.flows" && pass "the same $n flows with and without --mac" ||
  fail "flows differ: $(diff "$work/auto.flows" "$work/mac.flows" | head -5)"
expect_eq "no flow of the camera left out" "$(q "$work/auto.db" 'SELECT sum(other_flows) FROM captures')" 0
expect_eq "flows at the new address" \
  "$(q "$work/auto.db" "SELECT count(*) > 0 FROM flows WHERE device_ip = '192.168.1.201'")" 1

# a silent step: ciot-capture's file of a step without a packet (the pcap header alone)
mkdir -p "$work/ds/cam_camera"
head -c 24 "$cam/xiaobai_Y2camera_delete.pcap" >"$work/ds/cam_camera/cam_camera_delete.pcap"
for input in "--mac $mac" ""; do
  rm -f "$work/s.db"; status=0
  # shellcheck disable=SC2086
  "$CIOT_ANALYZE" -q -o "$work/s.db" --device cam_camera $input --phase deletion "$work/ds/cam_camera/cam_camera_delete.pcap" \
    2>"$work/err" || status=$?
  expect_eq "silent step (${input:-auto}): exit" "$status" 0
  grep -q "warning: no IP traffic to or from the device" "$work/err" && pass "silent step (${input:-auto}) said" ||
    fail "silent step message: $(cat "$work/err")"
  expect_eq "silent step (${input:-auto}) stored with zero traffic" \
    "$(q "$work/s.db" "SELECT phase || ' ' || frames || ' ' || flows || ' ' || device_bytes FROM captures")" "deletion 0 0 0"
  "$CIOT_REPORT" "$work/s.db" parties >"$work/parties.csv"
  grep -q "^camera,deletion,first,1,0,0.000$" "$work/parties.csv" && pass "silent step (${input:-auto}): the device counted in parties" ||
    fail "parties: $(cat "$work/parties.csv")"
done
finish
