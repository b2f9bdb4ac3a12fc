#!/usr/bin/env python3
"""mkseed_stack.py [OUTDIR] - the seed corpus of tests/fuzz/fuzz_stack.c.

Each seed is what a client would put on the wire in a real exchange with
Skiff's HTTP server and echo app, as fuzz_stack's records:
    [delay: u16 ms, big-endian] [length: u16, big-endian] [frame]
Frames go from the peer 198.18.0.1 (52:54:00:ab:cd:ef) to Skiff at
198.18.0.2 (52:54:00:12:34:56). TCP ACK numbers are relative to the
server's ISN (1 acknowledges its SYN, 0 all the server has sent), as the
harness reads them; on the harness's own connection (port 40000 -> 80,
peer ISN 0x01000000) the handshake is already done. A client ACKs every
second full segment of a response: acks(n) sends as many ACKs as the
response of n bytes would draw, 5 ms apart.

Writes to tests/fuzz/corpus/stack/ by default (run from the repo root).
"""
import os
import struct
import sys

OUR_MAC = bytes.fromhex("525400123456")
PEER_MAC = bytes.fromhex("525400abcdef")
OUR_IP = bytes([198, 18, 0, 2])
PEER_IP = bytes([198, 18, 0, 1])
HARNESS_PORT = 40000
HARNESS_ISS = 0x01000000
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(proto, payload, ident=1):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                      0x4000, 64, proto, 0, PEER_IP, OUR_IP)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    frame = OUR_MAC + PEER_MAC + b"\x08\x00" + hdr + payload
    return frame + b"\0" * max(0, 60 - len(frame))


def tcp(sport, dport, seq, ack, flags, data=b"", window=65535, mss=None):
    opts = struct.pack("!BBH", 2, 4, mss) if mss else b""
    off = (20 + len(opts)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF if flags & ACK else 0, off << 4,
                      flags, window, 0, 0) + opts + data
    pseudo = PEER_IP + OUR_IP + struct.pack("!BBH", 0, 6, len(seg))
    c = csum(pseudo + seg)
    return ipv4(6, seg[:16] + struct.pack("!H", c) + seg[18:])


def udp(sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    pseudo = PEER_IP + OUR_IP + struct.pack("!BBH", 0, 17, len(seg))
    c = csum(pseudo + seg) or 0xFFFF
    return ipv4(17, seg[:6] + struct.pack("!H", c) + seg[8:])


def record(frame, delay=0, raw=False):
    return struct.pack("!HH", delay, len(frame) | (0x8000 if raw else 0)) \
        + frame


HEAD_LEN = 160  # about the header of a response


class Conn:
    """The client side of one connection: its sequence numbers."""

    def __init__(self, sport, dport=80, iss=None, open_=True):
        self.sport, self.dport = sport, dport
        self.seq = (iss if iss is not None else HARNESS_ISS) + 1
        self.ack = 0  # relative: all the server sent
        self.iss = iss

    def syn(self):
        return record(tcp(self.sport, self.dport, self.iss, 0, SYN,
                          window=64240, mss=1460))

    def seg(self, flags, data=b"", delay=0, window=65535):
        r = record(tcp(self.sport, self.dport, self.seq, self.ack, flags,
                       data, window), delay)
        self.seq += len(data) + (1 if flags & (FIN | SYN) else 0)
        return r

    def send(self, data, delay=0, window=65535):
        out = b""
        for i in range(0, len(data), 1460):
            out += self.seg(PSH | ACK, data[i:i + 1460],
                            delay if i == 0 else 0, window)
        return out

    def handshake_ack(self):
        """The third segment of the handshake: ACK 1, the server's SYN."""
        return record(tcp(self.sport, self.dport, self.seq, 1, ACK), 1)

    def acks(self, total, delay=5, mss=1460):
        """The ACKs a client sends for a response of `total` bytes (with
        its header): one per two full segments, at least one."""
        n = max(1, (total + HEAD_LEN + 2 * mss - 1) // (2 * mss))
        return b"".join(self.seg(ACK, delay=delay) for _ in range(n))


def req(path, method="GET", extra=""):
    return ("%s %s HTTP/1.1\r\nHost: skiff\r\n%s\r\n" %
            (method, path, extra)).encode()


def seeds():
    s = {}
    h = Conn(HARNESS_PORT)
    s["get_bytes"] = h.send(req("/bytes/100")) + \
        h.acks(100) + \
        h.send(req("/bytes/4000"), delay=20) + \
        h.acks(4000) + h.seg(FIN | ACK, delay=50)

    h = Conn(HARNESS_PORT)
    s["pipeline3"] = h.send(req("/") + req("/style.css", "HEAD") +
                            req("/bytes/10")) + h.acks(3000) + \
        h.send(req("/metrics"), delay=100) + h.acks(8000)

    h = Conn(HARNESS_PORT)
    s["ranges"] = h.send(req("/big.txt", extra="Range: bytes=10-99\r\n")) + \
        h.acks(400) + \
        h.send(req("/big.txt", extra='If-None-Match: "x"\r\n')) + \
        h.acks(20400) + \
        h.send(req("/status", extra="Connection: close\r\n"), delay=10) + \
        h.acks(2000) + h.seg(FIN | ACK, delay=10)

    h = Conn(HARNESS_PORT)
    s["slowloris"] = h.send(b"GET / HTTP/1.1\r\nHost: a\r\n") + \
        h.send(b"X-A: b\r\n", delay=4000) + \
        h.send(b"X-B: c\r\n", delay=4000) + h.seg(ACK, delay=3000) + \
        h.acks(200)

    h = Conn(HARNESS_PORT)
    s["zero_window"] = h.send(req("/bytes/1000000"), window=0) + \
        h.seg(ACK, delay=5000, window=0) + \
        h.seg(ACK, delay=20000, window=0) + h.seg(ACK, delay=10000)

    h = Conn(HARNESS_PORT)
    s["bad_then_linger"] = h.send(req("/../etc")) + h.acks(200) + \
        h.send(b"more after the error", delay=100) + \
        h.seg(FIN | ACK, delay=100)

    h = Conn(HARNESS_PORT)
    s["rst"] = h.send(req("/bytes/50000")) + h.acks(3000) + \
        record(tcp(HARNESS_PORT, 80, h.seq, 0, RST), 10)

    c = Conn(40001, iss=5000)
    s["second_conn"] = c.syn() + c.handshake_ack() + \
        c.send(req("/index.html")) + c.acks(800) + \
        c.send(req("/nope", "DELETE"), delay=10) + c.acks(200) + \
        c.seg(FIN | ACK, delay=10) + c.acks(1, delay=10)

    e = Conn(40002, dport=7, iss=9000)
    s["echo"] = e.syn() + e.handshake_ack() + \
        e.send(b"hello, echo") + e.acks(11) + e.seg(FIN | ACK, delay=5) + \
        record(udp(40003, 7, b"udp echo"), 5)

    h = Conn(HARNESS_PORT)
    s["redirect_304_416"] = h.send(req("/docs")) + h.acks(200) + \
        h.send(req("/big.txt", extra="If-Modified-Since: "
                   "Tue, 14 Nov 2023 22:13:20 GMT\r\n"), delay=5) + \
        h.acks(200) + \
        h.send(req("/big.txt", extra="Range: bytes=99999-\r\n"), delay=5) + \
        h.acks(200) + h.send(req("/debug/pcap"), delay=5) + h.acks(200) + \
        h.send(req("/metrics", "HEAD"), delay=5) + h.acks(200)

    h = Conn(HARNESS_PORT)
    s["http10"] = h.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") \
        + h.acks(600) + \
        h.send(b"GET /style.css HTTP/1.0\r\n\r\n", delay=5) + h.acks(200) + \
        h.seg(FIN | ACK, delay=5)

    # http.max_conns is 4 in the harness: the harness's connection and
    # three more are served, the fifth gets 503.
    s["max_conns"] = b""
    conns = [Conn(40010 + i, iss=20000 + 1000 * i) for i in range(4)]
    for c in conns:
        s["max_conns"] += c.syn() + c.handshake_ack()
    for c in conns:
        s["max_conns"] += c.send(req("/"), delay=2) + c.acks(600)
    for c in conns:
        s["max_conns"] += c.seg(FIN | ACK, delay=2)

    h = Conn(HARNESS_PORT)
    s["pipeline100"] = h.send(b"".join(
        b"GET /n%d HTTP/1.1\r\nHost:a\r\n\r\n" % i for i in range(100))) + \
        h.acks(20000, delay=2)

    h = Conn(HARNESS_PORT)
    bad = bytearray(tcp(HARNESS_PORT, 80, h.seq, 1, PSH | ACK, req("/")))
    bad[14 + 20 + 16] ^= 0x40  # the TCP checksum, sent raw: dropped
    s["raw_bad_csum"] = record(bytes(bad), 0, raw=True) + h.send(req("/"))
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus/stack"
    os.makedirs(out, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("mkseed_stack: %d seeds in %s" % (len(seeds()), out))


if __name__ == "__main__":
    main()
