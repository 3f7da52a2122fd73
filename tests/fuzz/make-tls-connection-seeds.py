#!/usr/bin/env python3
"""make-tls-connection-seeds.py: writes the seed inputs of fuzz-tls-connection.c into
tests/fuzz/corpus-tls-connection/, in the target's packet format, from the handshake bytes of
tests/fuzz/corpus-tls/ (real handshakes of the shared corpus) wrapped in TLS or DTLS records and
cut into TCP segments (some out of order, some sent twice, one cut short by the capture) or UDP
datagrams. What is not in corpus-tls (ClientKeyExchange, Finished, application data: encrypted
bytes; a QUIC Initial's header) is made up, with a fixed random seed, so that the output is the
same on every run.

Run from anywhere:  python3 tests/fuzz/make-tls-connection-seeds.py
The input format is described above LLVMFuzzerTestOneInput in fuzz-tls-connection.c; this script
keeps a copy of the target's sequence-number bookkeeping to pick, for each TCP segment, a move that
lands on the sequence number wanted.
"""
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "corpus-tls")
OUT = os.path.join(HERE, "corpus-tls-connection")
M32 = 0xFFFFFFFF
rng = random.Random(20261122)


def read(name):
    with open(os.path.join(SRC, name), "rb") as f:
        return f.read()


def noise(n):
    return bytes(rng.randrange(256) for _ in range(n))


def record(ctype, body, version=b"\x03\x03"):
    """TLS records of one content type; split where a body is longer than 16384 bytes."""
    out = b""
    for i in range(0, len(body), 16384):
        part = body[i:i + 16384]
        out += bytes([ctype]) + version + struct.pack(">H", len(part)) + part
    return out


def records(ctype, body, cuts, version=b"\x03\x03"):
    """One body in several records, cut at the given offsets (a message across records)."""
    bounds = [0] + list(cuts) + [len(body)]
    return b"".join(record(ctype, body[a:b], version) for a, b in zip(bounds, bounds[1:]))


def handshake(msg_type, body):
    return bytes([msg_type]) + struct.pack(">I", len(body))[1:] + body


def dtls_record(ctype, epoch, seq, body, version=b"\xfe\xfd"):
    return bytes([ctype]) + version + struct.pack(">H", epoch) + struct.pack(">Q", seq)[2:] + \
        struct.pack(">H", len(body)) + body


def dtls_fragment(message, off, length):
    """A DTLS handshake message (12-byte header) cut to the fragment [off, off + length)."""
    head, body = message[:12], message[12:]
    return head[:6] + struct.pack(">I", off)[1:] + struct.pack(">I", length)[1:] + body[off:off + length]


CCS = b"\x01"
# DTLS ServerHelloDone: type 14, length 0, message_seq 2, fragment_offset 0, fragment_length 0
SERVER_HELLO_DONE_DTLS = b"\x0e" + b"\x00" * 3 + b"\x00\x02" + b"\x00" * 6
FIN, SYN, RST = 0x04, 0x02, 0x08  # bits of the packet header's first byte


class Flow:
    """Builds one input: the first byte, then packets. Mirrors the target's sequence numbers."""

    def __init__(self, udp=False, wrap0=False, wrap1=False, small=16):
        assert 1 <= small <= 32
        self.udp = udp
        self.first = (1 if udp else 0) | (2 if wrap0 else 0) | (4 if wrap1 else 0) | ((small - 1) << 3)
        base = [0xFFFFFF00 if wrap0 else 1000, 0xFFFFFFF0 if wrap1 else 0x40000000]
        self.next, self.prev, self.origin = list(base), list(base), list(base)
        self.out = bytes([self.first])

    def _moves(self, d):
        n, p, o = self.next[d], self.prev[d], self.origin[d]
        for a in range(256):
            yield 0, 0, n
            yield 1, a, n + a
            yield 2, a, n - a
            yield 3, a, n + a * 4096
            yield 4, a, n - a * 4096
            yield 5, a, p + a
            yield 6, a, o + a

    def packet(self, d, payload=b"", flags=0, seq=None, cut=0, ts_jump=False):
        """seq: the absolute sequence number wanted (TCP), None for the next in order."""
        move, amount = 0, 0
        if seq is None:
            seq = self.next[d]
        seq &= M32
        for m, a, s in self._moves(d):
            if s & M32 == seq:
                move, amount = m, a
                break
        else:
            raise ValueError("no move reaches sequence number %#x" % seq)
        assert len(payload) < 65536 and cut % 16 == 0 and cut // 16 < 128
        h0 = d | flags | move << 4 | (0x80 if ts_jump else 0)
        self.out += bytes([h0, amount]) + struct.pack(">H", len(payload)) + bytes([cut // 16]) + payload
        if not self.udp:
            if flags & SYN:
                self.origin[d] = (seq + 1) & M32
            self.prev[d] = seq
            self.next[d] = (seq + (1 if flags & SYN else 0) + len(payload) + cut) & M32
        return seq

    def handshake_start(self):
        """SYN and SYN-ACK: each stream then starts at its ISN + 1 (self.origin)."""
        self.packet(0, flags=SYN)
        self.packet(1, flags=SYN)

    def segments(self, d, stream, cuts, order=None, again=()):
        """Sends the stream of direction d (starting at origin) cut at `cuts`, in `order` (indexes
        of the pieces), then the pieces of `again` a second time."""
        bounds = [0] + list(cuts) + [len(stream)]
        pieces = list(zip(bounds, bounds[1:]))
        start = self.origin[d]
        for i in list(order if order is not None else range(len(pieces))) + list(again):
            a, b = pieces[i]
            self.packet(d, stream[a:b], seq=start + a)
        return start + len(stream)

    def write(self, name):
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(self.out)
        print("%-32s %5d bytes" % (name, len(self.out)))


def tls12_full():
    """TLS 1.2 over TCP, a whole handshake and data both ways, then FINs. The server flight (its
    Certificate split across two records) comes in segments with one pair swapped and the last
    segment sent again."""
    f = Flow(small=16)
    f.handshake_start()
    ch = record(22, read("tls12-client-hello"), b"\x03\x01")
    f.segments(0, ch, [100])
    flight = read("tls12-server-flight")
    server = records(22, flight, [3000])
    # pieces: [0,1000) [1000,1100) [1100,1250) [1250,...): the third before the second, the first again
    cuts = [1000, 1100, 1250] + list(range(2650, len(server), 1400))
    order = [0, 2, 1] + list(range(3, len(cuts) + 1))
    f.segments(1, server, cuts, order=order, again=[len(cuts)])
    client = record(22, handshake(16, b"\x41\x04" + noise(65))) + record(20, CCS) + record(22, noise(40))
    f.packet(0, client)
    f.packet(1, record(20, CCS) + record(22, noise(40)))
    f.packet(0, record(23, noise(300)))
    f.packet(1, record(23, noise(1200)) + record(23, noise(64)))
    f.packet(0, record(21, noise(26)), flags=FIN, ts_jump=True)
    f.packet(1, flags=FIN)
    f.write("tcp-tls12-full")


def tls13_hello_retry():
    """TLS 1.3 over TCP: Chrome's ClientHello (three segments, the third before the second
    and then again), a
    HelloRetryRequest, ChangeCipherSpec and the same ClientHello again (the real second one differs
    in its key share only, which is not read), a ServerHello accepting a PSK, then encrypted
    records: the server's flight, the client's Finished, data, and a short record (an alert) before
    the server's FIN."""
    f = Flow(small=8)
    f.handshake_start()
    ch = record(22, read("tls13-client-hello-chrome"), b"\x03\x01")
    start = f.origin[0]
    f.packet(0, ch[:100])
    f.packet(0, ch[300:], seq=start + 300)
    f.packet(0, ch[100:300], seq=start + 100)
    f.packet(0, ch[300:])  # sent again by the client, which saw no ACK for it
    f.packet(1, record(22, read("hello-retry-request")) + record(20, CCS))
    f.packet(0, record(20, CCS))
    f.packet(0, ch)
    f.packet(1, record(22, read("tls13-server-hello-psk")) + record(23, noise(1100)))
    f.packet(0, record(23, noise(53)))
    f.packet(0, record(23, noise(400)))
    f.packet(1, record(23, noise(900)))
    f.packet(1, record(23, noise(19)), flags=FIN, ts_jump=True)
    f.packet(0, flags=FIN)
    f.write("tcp-tls13-hello-retry")


def tls12_client_alert():
    """TLS 1.2 over TCP: the ClientHello in three segments, the middle one sent again overlapping;
    the server flight with its last segment cut short by the capture after the Certificate (a hole
    that never fills: no ServerKeyExchange, no ServerHelloDone);
    the client refuses with a fatal unknown_ca and a RST."""
    f = Flow(small=4)
    f.handshake_start()
    ch = record(22, read("tls12-client-hello"), b"\x03\x03")
    start = f.origin[0]
    f.packet(0, ch[:60], seq=start)
    f.packet(0, ch[60:120], seq=start + 60)
    f.packet(0, ch[40:130], seq=start + 40)
    f.packet(0, ch[130:], seq=start + 130)
    # three records: the third starts with ServerKeyExchange (offset 4463 of the flight)
    server = records(22, read("tls12-server-flight"), [1500, 4463])
    s = f.origin[1]
    for a in range(0, 4200, 1400):
        f.packet(1, server[a:a + 1400], seq=s + a)
    rest = server[4200:]
    kept = 300  # the second record (the Certificate's end) ends 273 bytes in
    lost = len(rest) - kept  # what the capture did not keep, rounded up to the format's 16-byte units
    f.packet(1, rest[:kept], seq=s + 4200, cut=(lost + 15) // 16 * 16)
    f.packet(0, record(21, b"\x02\x30"), flags=RST, ts_jump=True)
    f.write("tcp-tls12-client-alert")


def sslv2_hello():
    """An SSLv2 ClientHello over TCP in three segments, the third before the second (the first
    payload of a flow must start like TLS: the tracker decides on it); the server answers with a
    TLS 1.2 flight in one record per message, and closes first."""
    f = Flow(small=32)
    f.handshake_start()
    hello = read("sslv2-client-hello")
    start = f.origin[0]
    f.packet(0, hello[:40])
    f.packet(0, hello[80:], seq=start + 80)
    f.packet(0, hello[40:80], seq=start + 40)
    flight = read("tls12-server-flight")
    msgs, o = [], 0
    while o < len(flight):
        n = 4 + int.from_bytes(flight[o + 1:o + 4], "big")
        msgs.append(flight[o:o + n])
        o += n
    stream = b"".join(record(22, m) for m in msgs)
    f.segments(1, stream, list(range(1448, len(stream), 1448)))
    f.packet(1, flags=FIN, ts_jump=True)
    f.packet(0, flags=FIN)
    f.write("tcp-sslv2-client-hello")


def midstream_wrap():
    """A TCP capture that starts after the handshake (no SYN, no hello), both directions' sequence
    numbers wrapping past 2^32: application data, a segment far past the window that starts a
    record (a gap), one that does not, a close_notify in clear and FINs."""
    f = Flow(wrap0=True, wrap1=True, small=12)
    f.packet(1, record(23, noise(700)))  # crosses 2^32
    f.packet(0, record(23, noise(300)))
    f.packet(0, record(23, noise(100)) + record(23, noise(40)))
    f.packet(1, record(23, noise(200)), seq=f.next[1] + 20 * 4096)
    f.packet(1, noise(100), seq=f.next[1] + 30 * 4096)
    f.packet(1, record(23, noise(200)), seq=f.next[1] + 200)
    f.packet(1, record(21, b"\x01\x00"), flags=FIN, ts_jump=True)
    f.packet(0, record(21, b"\x01\x00"), flags=FIN)
    f.write("tcp-midstream-wrap")


def dtls_handshake():
    """DTLS over UDP: a ClientHello with a cookie in two fragments (the second first, then both,
    so that the first is a retransmission), a HelloVerifyRequest before it, a ServerHello, then
    ChangeCipherSpec and epoch-1 records both ways."""
    f = Flow(udp=True, small=20)
    ch = read("dtls-client-hello-cookie")
    body_len = len(ch) - 12
    frag1 = dtls_fragment(ch, 0, 50)
    frag2 = dtls_fragment(ch, 50, body_len - 50)
    f.packet(0, dtls_record(22, 0, 0, frag2, b"\xfe\xff"))
    f.packet(1, dtls_record(22, 0, 0, read("dtls-hello-verify-request"), b"\xfe\xff"))
    f.packet(0, dtls_record(22, 0, 1, frag1, b"\xfe\xff") + dtls_record(22, 0, 2, frag2, b"\xfe\xff"))
    f.packet(1, dtls_record(22, 0, 1, read("dtls-server-hello")) +
             dtls_record(22, 0, 2, SERVER_HELLO_DONE_DTLS))
    f.packet(0, dtls_record(20, 0, 3, CCS) + dtls_record(22, 1, 0, noise(48)))
    f.packet(1, dtls_record(20, 0, 3, CCS) + dtls_record(22, 1, 0, noise(48)))
    f.packet(0, dtls_record(23, 1, 1, noise(120)))
    f.packet(1, dtls_record(23, 1, 1, noise(80)))
    f.packet(0, dtls_record(21, 1, 2, noise(26)), ts_jump=True)
    f.write("udp-dtls-handshake")


def quic_initial():
    """QUIC v1 over UDP: a client Initial whose capture kept 80 of its 1200 bytes, the server's
    Initial, then short-header packets."""
    f = Flow(udp=True, small=8)
    dcid, scid = noise(8), noise(8)
    initial = b"\xc3\x00\x00\x00\x01" + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid + \
        b"\x00\x44\xa0" + noise(80 - 26)
    assert len(initial) == 80
    f.packet(0, initial, cut=1120)
    f.packet(1, b"\xc1\x00\x00\x00\x01\x08" + scid + b"\x08" + noise(8) + b"\x00\x40\x75" + noise(100))
    f.packet(0, b"\x43" + scid + noise(40))
    f.packet(1, b"\x41" + dcid + noise(200))
    f.write("udp-quic-v1-initial")


if __name__ == "__main__":
    tls12_full()
    tls13_hello_retry()
    tls12_client_alert()
    sslv2_hello()
    midstream_wrap()
    dtls_handshake()
    quic_initial()
