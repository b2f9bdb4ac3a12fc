"""pktlab.py - one long-lived scapy process inside a test namespace.

Importing scapy costs seconds on this machine; a malformed-packet suite
sends dozens of small batches. PacketLab starts `python3 pktlab.py` once
inside the namespace (scapy imported once, one AF_PACKET socket on the
tap) and runs snippets in it:

    lab = PacketLab(ns, guest_mac="52:54:00:12:34:56")
    lab.run("send([eth() / IP(dst=GUEST) / ICMP()])")
    got = lab.run("result = len(frames_from_guest(1.0))")

The snippets see scapy's names and the helpers below (eth, send,
sniff_guest, Conn, ...); whatever they assign to `result` comes back
(JSON). A snippet that raises fails the call with the namespace side's
traceback. Every call is bounded by a timeout; close() ends the process
(by its own PID). Nothing here sends a packet by itself.

Raw TCP connections (Conn) come from PHANTOM, an address of the tap's
subnet that Linux does not own: the test pins it to the tap's MAC in
Skiff's ARP table (`ip neigh add`), so Skiff's segments reach the tap and
Linux, which owns no socket for them, drops them instead of answering
with RSTs.
"""

import json
import os
import subprocess
import sys

GUEST = "198.18.0.2"
HOST = "198.18.0.1"
PHANTOM = "198.18.0.3"
PYTHON = "/usr/bin/python3"


class LabError(Exception):
    pass


class PacketLab:
    def __init__(self, ns, guest_mac, timeout=60):
        self.ns = ns
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns.name, PYTHON, "-u",
             os.path.abspath(__file__), ns.tap, guest_mac],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.run("result = 'ready'", timeout=timeout)

    def run(self, code, timeout=60):
        """Run a snippet in the namespace; return its `result`."""
        if self.proc.poll() is not None:
            raise LabError(f"pktlab exited: {self.proc.stderr.read()}")
        self.proc.stdin.write(json.dumps({"code": code}) + "\n")
        self.proc.stdin.flush()
        import select
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            self.close()
            raise LabError(f"pktlab: no answer within {timeout} s to:\n"
                           f"{code}")
        line = self.proc.stdout.readline()
        if not line:
            raise LabError(f"pktlab exited: {self.proc.stderr.read()}")
        reply = json.loads(line)
        if not reply["ok"]:
            raise LabError(f"pktlab snippet failed:\n{code}\n"
                           f"{reply['error']}")
        return reply["result"]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def syn_flood(guest, guest_mac, tap, port, max_syns, pps, seed):
    """Python source (for a snippet run inside the namespace) of a bounded
    SYN flood at guest:port: hand-built raw frames on the tap from random
    sources in 198.18.0.0/15 outside 198.18.0.0/24 (so the guest answers
    through its gateway, Linux, which drops the SYN-ACKs, instead of
    ARPing for each; hping3 --rand-source would pick any IPv4 address).
    The source defines `th`, a thread (not yet started) that sends at
    most max_syns SYNs at about pps a second, `done`, an Event that stops
    it early, `sent`, a one-element list with the count so far, and
    `raw`, the AF_PACKET socket to close afterwards."""
    return f"""
import random, socket, struct, threading, time
rng = random.Random({seed})
dst_ip = socket.inet_aton({guest!r})
dst_mac = bytes.fromhex({guest_mac.replace(":", "")!r})
src_mac = bytes.fromhex(open("/sys/class/net/{tap}/address").read().strip()
                        .replace(":", ""))
raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
raw.bind(({tap!r}, 0))

def csum(b):
    if len(b) % 2:
        b += b"\\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def syn(i):
    while True:
        host = rng.getrandbits(17)
        if host >> 8:  # not in 198.18.0.0/24
            break
    src = struct.pack("!I", (198 << 24) | (18 << 16) | host)
    tcp = struct.pack("!HHIIBBHHH", rng.randint(1024, 65535), {port},
                      rng.getrandbits(32), 0, 6 << 4, 0x02, 64240, 0, 0)
    tcp += b"\\x02\\x04\\x05\\xb4"  # MSS 1460
    c = csum(src + dst_ip + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xffff, 0,
                     64, 6, 0, src, dst_ip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\\x08\\x00" + ip + tcp

done = threading.Event()
sent = [0]

def flood():
    t0 = time.time()
    while sent[0] < {max_syns} and not done.is_set():
        raw.send(syn(sent[0]))
        sent[0] += 1
        if sent[0] % 50 == 0:
            ahead = t0 + sent[0] / {pps} - time.time()
            if ahead > 0:
                time.sleep(ahead)

th = threading.Thread(target=flood)
"""


# ---- the namespace side ------------------------------------------------------

def _serve(tap, guest_mac):
    import random
    import select
    import time
    import traceback
    import scapy.all as sc
    from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw  # noqa: F401

    sc.conf.verb = 0
    tap_mac = sc.get_if_hwaddr(tap)
    sock = sc.conf.L2socket(iface=tap)

    def eth(dst=guest_mac, src=tap_mac):
        return Ether(src=src, dst=dst)

    def send(frames, pps=None):
        """Send frames (packets or bytes); optionally at most pps a second."""
        gap = 1.0 / pps if pps else 0
        for f in frames:
            sock.send(f if isinstance(f, (bytes, bytearray)) else bytes(f))
            if gap:
                time.sleep(gap)
        return len(frames)

    def ip_fix(frame):
        """Recompute the IPv4 header checksum of an edited frame, over
        IHL*4 bytes (at least 20, at most what the frame holds), so a
        crafted header fails only the check it is meant to fail."""
        b = bytearray(frame)
        n = min(max((b[14] & 0xf) * 4, 20), len(b) - 14) & ~1
        b[24:26] = b"\0\0"
        s = sum(int.from_bytes(b[14 + i:16 + i], "big") for i in range(0, n, 2))
        while s >> 16:
            s = (s & 0xffff) + (s >> 16)
        b[24:26] = (~s & 0xffff).to_bytes(2, "big")
        return bytes(b)

    def drain():
        while select.select([sock], [], [], 0)[0]:
            sock.recv()

    def sniff_guest(seconds, pred=lambda p: True, count=None):
        """Frames from Skiff's MAC for `seconds` (or until count match)."""
        got = []
        end = time.time() + seconds
        while time.time() < end and (count is None or len(got) < count):
            if not select.select([sock], [], [], max(0, end - time.time()))[0]:
                break
            p = sock.recv()
            if p is not None and p.haslayer(Ether) and \
                    p[Ether].src == guest_mac and pred(p):
                got.append(p)
        return got

    class Conn:
        """A TCP connection to Skiff driven by hand, from PHANTOM."""

        def __init__(self, dport=7, sport=None, options=None,
                     src=PHANTOM):
            self.src, self.dport = src, dport
            self.sport = sport or random.randint(20000, 60000)
            self.iss = random.randint(0, 2**32 - 1)
            self.snd_nxt = self.iss
            opts = options if options is not None else [("MSS", 1460)]
            drain()
            send([self.frame("S", seq=self.iss, ack=0, options=opts)])
            sa = self.expect(lambda t: t.flags.S and t.flags.A, 5)
            if not sa:
                raise RuntimeError("no SYN-ACK from Skiff")
            self.synack = sa
            self.irs = sa.seq
            self.rcv_nxt = (sa.seq + 1) & 0xffffffff
            self.snd_nxt = (self.iss + 1) & 0xffffffff
            self.send("A")

        def frame(self, flags, seq=None, ack=None, payload=b"", **kw):
            seq = self.snd_nxt if seq is None else seq
            ack = self.rcv_nxt if ack is None else ack
            kw.setdefault("window", 65535)
            return (eth() / IP(src=self.src, dst=GUEST) /
                    TCP(sport=self.sport, dport=self.dport, flags=flags,
                        seq=seq & 0xffffffff, ack=ack & 0xffffffff, **kw) /
                    Raw(payload))

        def send(self, flags, payload=b"", advance=True, **kw):
            send([self.frame(flags, payload=payload, **kw)])
            if advance and "seq" not in kw:
                self.snd_nxt = (self.snd_nxt + len(payload)) & 0xffffffff

        def mine(self, p):
            return p.haslayer(TCP) and p[IP].dst == self.src and \
                p[TCP].dport == self.sport and p[TCP].sport == self.dport

        def expect(self, pred, seconds):
            got = sniff_guest(seconds, lambda p: self.mine(p) and
                              pred(p[TCP]), count=1)
            return got[0][TCP] if got else None

        def segments(self, seconds):
            return [p[TCP] for p in sniff_guest(seconds, self.mine)]

        def read_echo(self, nbytes, seconds):
            """Collect nbytes of in-order payload, ACKing as it comes."""
            data = b""
            end = time.time() + seconds
            while len(data) < nbytes and time.time() < end:
                for t in self.segments(0.3):
                    body = bytes(t.payload)
                    if body and t.seq == self.rcv_nxt:
                        data += body
                        self.rcv_nxt = (self.rcv_nxt + len(body)) & \
                            0xffffffff
                if data:
                    self.send("A")
            return data

        def reset(self):
            self.send("R", advance=False)

    g = {k: getattr(sc, k) for k in dir(sc) if not k.startswith("_")}
    g.update(eth=eth, send=send, drain=drain, ip_fix=ip_fix, sniff_guest=sniff_guest,
             Conn=Conn, GUEST=GUEST, HOST=HOST, PHANTOM=PHANTOM,
             GUEST_MAC=guest_mac, TAP=tap, TAP_MAC=tap_mac, random=random,
             time=time, sock=sock)
    for line in sys.stdin:
        req = json.loads(line)
        g["result"] = None
        try:
            exec(req["code"], g)
            reply = {"ok": True, "result": g["result"]}
        except Exception:
            reply = {"ok": False, "error": traceback.format_exc()}
        sys.stdout.write(json.dumps(reply, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2])
