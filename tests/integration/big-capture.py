#!/usr/bin/env python3
"""big-capture.py SRC.pcap OUT N: writes to OUT (a FIFO, so that nothing reaches the disk) a classic
pcap past 4 GiB: SRC's records, then N UDP frames of 65,042 bytes (one flow from the device
192.168.242.15 to 203.0.113.7:9999, payloads of zeros, 1 ms apart), then SRC's records again, so
that packets are read on both sides of the 4 GiB mark. Prints nothing; inputs-lab.sh knows the
sizes. SRC must be a little-endian microsecond pcap of Ethernet frames."""
import struct
import sys

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, 'rb').read()
header, records = data[:24], data[24:]
payload = 65000
eth = bytes.fromhex('00005e005301') + bytes.fromhex('18b430263440') + b'\x08\x00'
ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + 8 + payload, 0, 0, 64, 17, 0,
                 bytes([192, 168, 242, 15]), bytes([203, 0, 113, 7]))
udp = struct.pack('>HHHH', 40000, 9999, 8 + payload, 0)
frame = eth + ip + udp + bytes(payload)
caplen = len(frame)
# the fillers start a second after SRC's first record
sec = struct.unpack_from('<I', records, 0)[0] + 1
with open(out, 'wb', buffering=1 << 20) as f:
    f.write(header)
    f.write(records)
    for i in range(n):
        f.write(struct.pack('<IIII', sec + i // 1000, (i % 1000) * 1000, caplen, caplen))
        f.write(frame)
    f.write(records)
