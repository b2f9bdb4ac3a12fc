#!/usr/bin/env python3
"""impair.py - a userspace stand-in for `tc qdisc ... netem` (this CI
kernel has no sch_netem).

QEMU's NIC is attached to a UDP socket on the namespace's loopback
(`-netdev dgram`, one Ethernet frame per datagram) instead of the tap;
this relay, running in the same namespace, owns the tap (opened with
TUNSETIFF, IFF_TAP | IFF_NO_PI) and forwards frames both ways, impairing
each direction on its own:

    python3 impair.py --tap tap0 --listen 127.0.0.1:17001 \\
        --peer 127.0.0.1:17002 --spec "loss=5 reorder=25 delay_ms=10" \\
        --stats /tmp/x.json --max-seconds 900

The spec is a list of KEY=VALUE words; a key applies to both directions,
or to one with a `to_guest.` (tap -> QEMU) or `to_host.` (QEMU -> tap)
prefix:

    loss=P         drop P % of the frames
    duplicate=P    send P % of the frames twice (the copy is impaired on
                   its own: it may be delayed or held back differently)
    corrupt=P      XOR one random byte after the 14-byte Ethernet header
                   with a random non-zero value, in P % of the frames
    delay_ms=D     hold every frame D ms ...
    jitter_ms=J    ... plus or minus up to J ms, uniformly (frames may
                   overtake each other by the jitter, as with netem)
    reorder=P      P % of the frames (after the delay) are held back
                   until 1..reorder_gap later frames of the same direction
                   have gone out, or reorder_ms has passed: they arrive
                   out of order
    reorder_gap=N  at most N frames overtake a held frame (default 3)
    reorder_ms=T   longest hold of a reordered frame (default 50)
    seed=S         the RNG seed (default 1), so a run can be repeated
    limit=N        at most N frames waiting per direction; more are
                   dropped and counted as overflow (default 10000)

The order for each frame is loss, corrupt, duplicate, delay, reorder.
Every decision comes from one random.Random(seed).

It is bounded: it exits after --max-seconds, on SIGTERM/SIGINT, or when
its parent dies (run it under `setpriv --pdeathsig KILL`). It prints
`impair: ready` once the tap and the socket are open, and its counters
as one JSON line `impair: counters {...}` at exit; SIGUSR1 writes the
same counters to --stats (atomically, with a growing "seq").
"""

import argparse
import fcntl
import heapq
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ETH_HLEN = 14
MAX_FRAME = 65536
DIRECTIONS = ("to_guest", "to_host")
PERCENT_KEYS = ("loss", "duplicate", "corrupt", "reorder")
DEFAULTS = {"loss": 0.0, "duplicate": 0.0, "corrupt": 0.0, "reorder": 0.0,
            "delay_ms": 0.0, "jitter_ms": 0.0, "reorder_gap": 3,
            "reorder_ms": 50.0, "limit": 10000}
COUNTERS = ("frames", "bytes", "lost", "corrupted", "duplicated",
            "reordered", "overflow", "delivered", "send_errors")


class SpecError(ValueError):
    pass


def _number(key, text):
    try:
        value = float(text)
    except ValueError:
        raise SpecError(f"{key}: '{text}' is not a number") from None
    if value < 0 or value != value:
        raise SpecError(f"{key}: '{text}' must be >= 0")
    if key in PERCENT_KEYS and value > 100:
        raise SpecError(f"{key}: '{text}' is over 100 %")
    if key in ("reorder_gap", "limit"):
        if value != int(value) or value < 1:
            raise SpecError(f"{key}: '{text}' must be a whole number >= 1")
        return int(value)
    return value


def parse_spec(spec):
    """'loss=5 to_host.delay_ms=3 seed=2' -> (seed, {dir: params})."""
    params = {d: dict(DEFAULTS) for d in DIRECTIONS}
    seed = 1
    for word in spec.split():
        key, eq, value = word.partition("=")
        if not eq:
            raise SpecError(f"'{word}': expected KEY=VALUE")
        if key == "seed":
            try:
                seed = int(value)
            except ValueError:
                raise SpecError(f"seed: '{value}' is not an integer") from None
            continue
        prefix, dot, name = key.rpartition(".")
        dirs = DIRECTIONS if not dot else (prefix,)
        if dot and prefix not in DIRECTIONS:
            raise SpecError(f"'{key}': the prefix must be to_guest. or "
                            f"to_host.")
        if name not in DEFAULTS:
            raise SpecError(f"'{key}': unknown key (known: seed, "
                            f"{', '.join(DEFAULTS)})")
        for d in dirs:
            params[d][name] = _number(key, value)
    return seed, params


class Direction:
    """One way through the relay: a delay heap, then the reorder stage."""

    def __init__(self, name, params, rng, send):
        self.name = name
        self.p = params
        self.rng = rng
        self.send = send  # callable(frame) -> None, may raise OSError
        self.delayed = []  # heap of (due, seq, frame)
        self.held = []  # [frames still to overtake, deadline, frame]
        self.seq = 0
        self.c = dict.fromkeys(COUNTERS, 0)

    def _chance(self, percent):
        return percent > 0 and self.rng.random() * 100 < percent

    def waiting(self):
        return len(self.delayed) + len(self.held)

    def accept(self, frame, now):
        """A frame read from the source side."""
        self.c["frames"] += 1
        self.c["bytes"] += len(frame)
        if self._chance(self.p["loss"]):
            self.c["lost"] += 1
            return
        if len(frame) > ETH_HLEN and self._chance(self.p["corrupt"]):
            frame = self._corrupt(frame)
        copies = 1
        if self._chance(self.p["duplicate"]):
            self.c["duplicated"] += 1
            copies = 2
        for _ in range(copies):
            self._delay(frame, now)

    def _corrupt(self, frame):
        self.c["corrupted"] += 1
        buf = bytearray(frame)
        at = self.rng.randrange(ETH_HLEN, len(buf))
        buf[at] ^= self.rng.randrange(1, 256)
        return bytes(buf)

    def _delay(self, frame, now):
        if self.waiting() >= self.p["limit"]:
            self.c["overflow"] += 1
            return
        d = self.p["delay_ms"]
        j = self.p["jitter_ms"]
        if j:
            d = max(0.0, d + self.rng.uniform(-j, j))
        self.seq += 1
        heapq.heappush(self.delayed, (now + d / 1000.0, self.seq, frame))

    def run(self, now):
        """Release every frame whose time has come."""
        while self.delayed and self.delayed[0][0] <= now:
            frame = heapq.heappop(self.delayed)[2]
            if self._chance(self.p["reorder"]):
                self.c["reordered"] += 1
                gap = self.rng.randint(1, self.p["reorder_gap"])
                self.held.append([gap, now + self.p["reorder_ms"] / 1000.0,
                                  frame])
                continue
            self._emit(frame)
            self._overtaken(now)
        self._expire(now)

    def _overtaken(self, now):
        """One frame went out: every held frame has been passed once."""
        due = []
        for h in self.held:
            h[0] -= 1
            if h[0] <= 0:
                due.append(h)
        for h in due:
            self.held.remove(h)
            self._emit(h[2])

    def _expire(self, now):
        late = [h for h in self.held if h[1] <= now]
        for h in late:
            self.held.remove(h)
            self._emit(h[2])

    def _emit(self, frame):
        try:
            self.send(frame)
            self.c["delivered"] += 1
        except OSError:
            self.c["send_errors"] += 1

    def next_due(self):
        times = [h[1] for h in self.held]
        if self.delayed:
            times.append(self.delayed[0][0])
        return min(times) if times else None

    def flush(self):
        """At exit: whatever is still waiting goes out now, in order."""
        while self.delayed:
            self._emit(heapq.heappop(self.delayed)[2])
        for h in self.held:
            self._emit(h[2])
        self.held = []


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    ifr = struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI)
    fcntl.ioctl(fd, TUNSETIFF, ifr)
    return fd


def addr(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


class Relay:
    def __init__(self, args):
        self.seed, params = parse_spec(args.spec)
        self.rng = random.Random(self.seed)
        self.tap = open_tap(args.tap)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(addr(args.listen))
        self.sock.setblocking(False)
        self.peer = addr(args.peer)
        self.stats_path = args.stats
        self.stats_seq = 0
        self.end = time.monotonic() + args.max_seconds
        self.stop = False
        self.dirs = {
            "to_guest": Direction("to_guest", params["to_guest"], self.rng,
                                  self._to_qemu),
            "to_host": Direction("to_host", params["to_host"], self.rng,
                                 self._to_tap),
        }
        self.foreign = 0  # datagrams from somewhere other than the peer
        self.params = params

    def _to_qemu(self, frame):
        self.sock.sendto(frame, self.peer)

    def _to_tap(self, frame):
        os.write(self.tap, frame)

    def counters(self):
        return {"seed": self.seed, "foreign": self.foreign,
                **{n: dict(d.c) for n, d in self.dirs.items()}}

    def write_stats(self):
        if not self.stats_path:
            return
        self.stats_seq += 1
        tmp = self.stats_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"seq": self.stats_seq, **self.counters()}, f)
        os.replace(tmp, self.stats_path)

    def _read_tap(self, now):
        for _ in range(64):
            try:
                frame = os.read(self.tap, MAX_FRAME)
            except BlockingIOError:
                return
            self.dirs["to_guest"].accept(frame, now)

    def _read_sock(self, now):
        for _ in range(64):
            try:
                frame, src = self.sock.recvfrom(MAX_FRAME)
            except BlockingIOError:
                return
            if src != self.peer:
                self.foreign += 1
                continue
            self.dirs["to_host"].accept(frame, now)

    def _timeout(self, now):
        dues = [d.next_due() for d in self.dirs.values()]
        dues = [x for x in dues if x is not None] + [self.end]
        # A signal does not interrupt poll() (PEP 475): look at
        # self.stop at least every 0.2 s.
        return min(0.2, max(0.0, min(dues) - now))

    def loop(self):
        poll = select.poll()
        poll.register(self.tap, select.POLLIN)
        poll.register(self.sock.fileno(), select.POLLIN)
        while not self.stop:
            now = time.monotonic()
            if now >= self.end:
                print("impair: --max-seconds reached", flush=True)
                break
            for fd, _ in poll.poll(self._timeout(now) * 1000.0):
                now = time.monotonic()
                if fd == self.tap:
                    self._read_tap(now)
                else:
                    self._read_sock(now)
            now = time.monotonic()
            for d in self.dirs.values():
                d.run(now)
        for d in self.dirs.values():
            d.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tap", required=True, help="tap device to open")
    ap.add_argument("--listen", required=True, help="HOST:PORT to bind")
    ap.add_argument("--peer", required=True, help="QEMU's HOST:PORT")
    ap.add_argument("--spec", default="", help="impairments (see above)")
    ap.add_argument("--stats", help="counters file, written on SIGUSR1")
    ap.add_argument("--max-seconds", type=float, default=900.0)
    args = ap.parse_args()
    try:
        relay = Relay(args)
    except SpecError as e:
        print(f"impair: bad spec: {e}", file=sys.stderr, flush=True)
        return 2

    def on_stop(signum, frame):
        relay.stop = True

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGUSR1, lambda s, f: relay.write_stats())
    print(f"impair: ready tap={args.tap} listen={args.listen} "
          f"peer={args.peer} seed={relay.seed} "
          f"params={json.dumps(relay.params, sort_keys=True)}", flush=True)
    relay.loop()
    relay.write_stats()
    print("impair: counters " + json.dumps(relay.counters()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
