#!/usr/bin/env python3
"""guestprof.py - where Skiff's vCPU spends its time under one load.

    python3 tests/bench/guestprof.py [--nic e1000|virtio] [--load wrk|bulk|echo]
                                     [--conns N] [--seconds S] [--top N]
                                     [--config "KEY=V ..."] [--build DIR]

Boots Skiff on a tap in a network namespace it creates, starts the load
from the namespace (`wrk -t1 -cN` on /, one endless /bytes download, or
the echo latency client), and samples the guest's instruction pointer
through QEMU's monitor (QMP `info registers`, about 300 times a second)
for S seconds. Each RIP is resolved against kernel.elf's symbols (nm) and
the functions are printed by share of the samples.

Unlike a profiler inside the guest, this sees everything: code with
interrupts off, the halt in the idle loop (the guest's idle share), and
time QEMU spends emulating a device register access, which is charged to
the instruction that made it (e1000's TDT write in `e1000_flush_xmit`
includes QEMU sending the frames). Host-side costs (TCG translation, the
tap) are `perf top -p QEMU_PID`'s business. A diagnostic tool, not a
benchmark: it prints the table and exits 0; exit status 2 for a bad
argument, 1 when the guest does not boot or QMP does not answer.
"""

import argparse
import bisect
import collections
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from netns import GUEST_ADDR, NetNS  # noqa: E402
from skiff_qemu import NIC_MODELS, Qemu  # noqa: E402

READY = r"skiff: ready ip=\S+"
ECHO_PORT = 7


class Symbols:
    """Text symbols of kernel.elf, for address -> function."""

    def __init__(self, elf):
        out = subprocess.run(["nm", "-n", elf], capture_output=True,
                             text=True, check=True).stdout
        self.addrs, self.names = [], []
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW":
                self.addrs.append(int(parts[0], 16))
                self.names.append(parts[2])

    def name(self, addr):
        i = bisect.bisect_right(self.addrs, addr) - 1
        return self.names[i] if i >= 0 else f"{addr:#x}"


class Qmp:
    """The smallest QMP client: one command at a time, events skipped."""

    def __init__(self, path, timeout=20):
        end = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.2)
        self.sock.settimeout(timeout)
        self.f = self.sock.makefile("rw")
        self.f.readline()  # the greeting
        self.execute("qmp_capabilities")

    def execute(self, cmd, **args):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg) + "\n")
        self.f.flush()
        while True:
            reply = json.loads(self.f.readline())
            if "error" in reply:
                raise RuntimeError(f"QMP {cmd}: {reply['error']}")
            if "return" in reply:
                return reply["return"]

    def rip(self):
        text = self.execute("human-monitor-command",
                            **{"command-line": "info registers"})
        m = re.search(r"RIP=([0-9a-f]+)", text)
        return int(m.group(1), 16) if m else None


def load_argv(a, build):
    url = f"http://{GUEST_ADDR}"
    if a.load == "wrk":
        return ["wrk", "-t1", f"-c{a.conns}", f"-d{a.seconds + 4}s", url + "/"]
    if a.load == "bulk":
        return ["curl", "-s", "-o", "/dev/null", "-m", str(a.seconds + 4),
                f"{url}/bytes/{1 << 40}"]
    client = os.path.join(build, "bench", "echo_lat")
    if not os.path.exists(client):
        os.makedirs(os.path.dirname(client), exist_ok=True)  # a clean build
        subprocess.run(["gcc", "-O2", "-o", client,
                        os.path.join(HERE, "echo_lat.c")], check=True)
    return [client, GUEST_ADDR, str(ECHO_PORT), str(a.seconds + 4), "64"]


def sample(qmp, syms, seconds):
    hist, n = collections.Counter(), 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        rip = qmp.rip()
        if rip is not None:
            hist[syms.name(rip)] += 1
            n += 1
        time.sleep(0.002)
    return hist, n


def run(a):
    syms = Symbols(os.path.join(a.build, "kernel.elf"))
    with tempfile.TemporaryDirectory() as tmp, NetNS() as ns:
        path = os.path.join(tmp, "qmp.sock")
        cfg = f"ip={GUEST_ADDR}/24 {a.config}".strip()
        vm = Qemu(os.path.join(a.build, "skiff.iso"), smp=1, mem="512M",
                  nic=f"{NIC_MODELS[a.nic]},mac=52:54:00:12:34:56",
                  config=cfg, name="guestprof",
                  extra_args=["-qmp", f"unix:{path},server=on,wait=off"],
                  **ns.qemu_args())
        with vm:
            vm.wait_for(READY, timeout=300)
            vm.resync(30)
            qmp = Qmp(path)
            load = subprocess.Popen(["ip", "netns", "exec", ns.name] +
                                    load_argv(a, a.build),
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
            try:
                time.sleep(1.5)  # past the load's start
                hist, n = sample(qmp, syms, a.seconds)
            finally:
                out = load.communicate(timeout=a.seconds + 60)[0]
    tail = [ln.strip() for ln in out.splitlines() if ln.strip()][-3:]
    print(f"load ({a.load} on {a.nic}): {' / '.join(tail)}")
    print(f"{n} samples of the guest's RIP in {a.seconds} s")
    for name, c in hist.most_common(a.top):
        print(f"{c * 100 / max(n, 1):6.2f}% {c:6d}  {name}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nic", default="e1000", choices=sorted(NIC_MODELS))
    ap.add_argument("--load", default="wrk", choices=("wrk", "bulk", "echo"))
    ap.add_argument("--conns", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--config", default="")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = ap.parse_args()
    if a.conns < 1 or a.seconds < 1 or a.top < 1:
        ap.error("--conns, --seconds and --top must be at least 1")
    try:
        run(a)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        print(f"guestprof: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
