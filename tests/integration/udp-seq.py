#!/usr/bin/env python3
"""udp-seq.py: the numbered UDP traffic of the integration tests' lab (tests/integration/netlab.sh).

  send  --bind IP[:PORT] --to IP:PORT --rate R [--count N] [--count-file F] [--ready-file F]
        Sends datagrams "ciot-seq NNNNNNNN ..." (8-digit zero-padded counter from 0, padded with
        '.' to 32 bytes) at R per second, until SIGTERM/SIGINT or N sent; then writes the number
        sent to F (atomically) and exits 0 (1 if a send failed). F_ready is created once the
        socket is bound, just before the first datagram.
  recv  --bind IP:PORT [--count-file F]
        A sink: reads datagrams so none draws an ICMP port unreachable; on SIGTERM writes the
        number received to F.
  dns   NAME --bind IP --to IP:PORT [--timeout S]
        One DNS query (type A) for NAME; prints the A records of the answer; exit 0 on any
        answer, 1 on none in time. Used where dig is missing and a port must be given.

Numbers can be read back with `tshark -o data.show_as_text:TRUE -T fields -e data.text` (the
counter is characters 10-17; data.text is empty without that option) or `-e data.data` (hex; the
counter is hex digits 19-34). tshark shows port 9999 (the namespaces) as data, but port 19999
(the loopback fallback) as GPRS-NS: give `-d udp.port==PORT,data`.
"""
import argparse
import os
import select
import signal
import socket
import struct
import sys
import time

PAYLOAD_LEN = 32


def addr(text, default_port=None):
    host, sep, port = text.rpartition(":")
    if not sep:
        if default_port is None:
            raise argparse.ArgumentTypeError(f"{text}: IP:PORT expected")
        return text, default_port
    return host, int(port)


def write_count(path, n):
    if path:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{n}\n")
        os.replace(tmp, path)


class Stop:
    """SIGTERM/SIGINT set a flag and wake the select() the loops sleep in."""

    def __init__(self):
        self.stopped = False
        self.rfd, wfd = os.pipe()
        os.set_blocking(wfd, False)
        signal.set_wakeup_fd(wfd)
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, self.handler)

    def handler(self, signum, frame):
        self.stopped = True

    def wait(self, seconds, fds=()):
        """Sleeps up to seconds or until a signal or one of fds is readable; returns the readable fds."""
        if self.stopped:
            return []
        ready, _, _ = select.select([self.rfd, *fds], [], [], max(seconds, 0))
        if self.rfd in ready:
            os.read(self.rfd, 64)
        return [f for f in ready if f is not self.rfd]


def send(a):
    stop = Stop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(addr(a.bind, 0))
    dest = addr(a.to)
    if a.ready_file:
        open(a.ready_file, "w").close()
    sent, rc = 0, 0
    start = time.monotonic()
    while not stop.stopped and (a.count is None or sent < a.count):
        due = start + sent / a.rate
        now = time.monotonic()
        if due > now:
            stop.wait(due - now)
            continue  # re-check the flag and the clock
        msg = f"ciot-seq {sent:08d} ".encode().ljust(PAYLOAD_LEN, b".")
        try:
            sock.sendto(msg, dest)
        except OSError as e:
            print(f"udp-seq: send {sent}: {e}", file=sys.stderr)
            rc = 1
            break
        sent += 1
    write_count(a.count_file, sent)
    return rc


def recv(a):
    stop = Stop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(addr(a.bind))
    sock.setblocking(False)
    got = 0
    while not stop.stopped:
        if stop.wait(3600, [sock]):
            try:
                while True:
                    sock.recvfrom(2048)
                    got += 1
            except BlockingIOError:
                pass
    write_count(a.count_file, got)
    return 0


def dns(a):
    qid = os.getpid() & 0xFFFF
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in a.name.rstrip(".").split(".")) + b"\0"
    q += struct.pack("!HH", 1, 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((a.bind, 0))
    sock.settimeout(a.timeout)
    sock.sendto(q, addr(a.to, 53))
    try:
        while True:
            r = sock.recv(4096)
            if len(r) >= 12 and struct.unpack("!H", r[:2])[0] == qid:
                break
    except socket.timeout:
        print(f"udp-seq: no DNS answer for {a.name}", file=sys.stderr)
        return 1
    an = struct.unpack("!H", r[6:8])[0]
    i = 12
    while r[i]:  # the question's name (not compressed)
        i += r[i] + 1
    i += 5
    for _ in range(an):
        if r[i] & 0xC0 == 0xC0:
            i += 2
        else:
            while r[i]:
                i += r[i] + 1
            i += 1
        typ, _, _, rdlen = struct.unpack("!HHIH", r[i:i + 10])
        i += 10
        if typ == 1 and rdlen == 4:
            print(socket.inet_ntoa(r[i:i + 4]))
        i += rdlen
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("--bind", default="0.0.0.0")
    s.add_argument("--to", required=True)
    s.add_argument("--rate", type=float, required=True)
    s.add_argument("--count", type=int)
    s.add_argument("--count-file")
    s.add_argument("--ready-file")
    r = sub.add_parser("recv")
    r.add_argument("--bind", required=True)
    r.add_argument("--count-file")
    d = sub.add_parser("dns")
    d.add_argument("name")
    d.add_argument("--bind", default="0.0.0.0")
    d.add_argument("--to", required=True)
    d.add_argument("--timeout", type=float, default=2)
    a = p.parse_args()
    if a.cmd == "send" and not a.rate > 0:
        p.error("--rate must be > 0")
    try:
        return {"send": send, "recv": recv, "dns": dns}[a.cmd](a)
    except OSError as e:
        print(f"udp-seq {a.cmd}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
