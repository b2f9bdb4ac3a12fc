#!/usr/bin/env python3
"""pcap2seed.py - turn a capture of traffic with Skiff into a seed for
fuzz_tcp's frame mode (see tests/fuzz/fuzz_tcp.c).

    python3 tests/fuzz/pcap2seed.py CAPTURE.pcap OUT_SEED [GUEST_MAC]

Keeps the frames the peer sent (source MAC not Skiff's), in order, each as
a record [delay][ctl][length][frame]: delay is the gap to the previous
frame in 16 ms steps (at most 255). A TCP segment of a connection whose
SYN the capture holds has its seq/ack rewritten relative to the peer's and
Skiff's initial sequence numbers, with ctl bit 0 (relative) and bit 1
(recompute checksums) set, so the fuzzer's run, where Skiff picks another
ISN, still follows the captured conversation. Reads classic pcap (the
format tcpdump -w writes), Ethernet link type.
"""

import struct
import sys

GUEST_MAC_DEFAULT = "52:54:00:12:34:56"


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        endian = "<"
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        endian = ">"
    else:
        raise SystemExit(f"{path}: not a classic pcap file")
    nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        raise SystemExit(f"{path}: link type {linktype}, want Ethernet (1)")
    off, frames = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        t = sec + frac / (1e9 if nano else 1e6)
        frames.append((t, data[off:off + incl]))
        off += incl
    return frames


def tcp_fields(frame):
    """(ip header offset, ihl, sport, dport, flags) of an IPv4/TCP frame,
    or None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = 14
    ihl = (frame[ip] & 0xf) * 4
    if frame[ip] >> 4 != 4 or frame[ip + 9] != 6 or \
            len(frame) < ip + ihl + 20:
        return None
    if struct.unpack("!H", frame[ip + 6:ip + 8])[0] & 0x3fff:
        return None  # a fragment
    th = ip + ihl
    sport, dport = struct.unpack("!HH", frame[th:th + 4])
    return ip, ihl, sport, dport, frame[th + 13]


def convert(frames, guest_mac):
    guest = bytes.fromhex(guest_mac.replace(":", ""))
    peer_isn, our_isn = {}, {}  # (peer port, our port) -> ISN
    for _, f in frames:  # learn the ISNs from the handshakes
        tf = tcp_fields(f)
        if not tf:
            continue
        ip, ihl, sport, dport, flags = tf
        seq = struct.unpack("!I", f[ip + ihl + 4:ip + ihl + 8])[0]
        if flags & 0x02 and not flags & 0x10 and f[6:12] != guest:
            peer_isn[(sport, dport)] = seq
        elif flags & 0x12 == 0x12 and f[6:12] == guest:
            our_isn[(dport, sport)] = seq
    out, last = bytearray(), None
    for t, f in frames:
        if f[6:12] == guest:
            continue  # Skiff's own frames are not input
        delay = 0 if last is None else min(255, int((t - last) / 0.016))
        last = t
        f, ctl = bytearray(f), 0
        tf = tcp_fields(f)
        if tf and not (tf[4] & 0x02):
            ip, ihl, sport, dport, _ = tf
            key = (sport, dport)
            if key in peer_isn and key in our_isn:
                th = ip + ihl
                seq, ack = struct.unpack("!II", f[th + 4:th + 12])
                f[th + 4:th + 12] = struct.pack(
                    "!II", (seq - peer_isn[key] - 1) & 0xffffffff,
                    (ack - our_isn[key] - 1) & 0xffffffff)
                ctl = 3
        out += bytes([delay, ctl]) + struct.pack("!H", len(f)) + f
    return bytes([1]) + bytes(out)  # first byte: frame mode


def main():
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    mac = sys.argv[3] if len(sys.argv) == 4 else GUEST_MAC_DEFAULT
    seed = convert(read_pcap(sys.argv[1]), mac)
    with open(sys.argv[2], "wb") as f:
        f.write(seed)
    print(f"{sys.argv[2]}: {len(seed)} bytes")


if __name__ == "__main__":
    main()
