#!/usr/bin/env python3
"""profile.py - where one Skiff workload's cost goes, from its counters.

    python3 tests/bench/profile.py [--nic e1000|virtio] [--bulk-mib N]
                                   [--wrk-s S] [--config "KEY=V ..."]

Boots Skiff (HTTP) on a tap in a network namespace it creates, then runs
(a) one download of /bytes/N and (b) wrk -t1 -c16 for S seconds on `/`,
and for each prints the host CPU-seconds of QEMU, the guest's own counter
deltas per MiB or per request: interrupts (`irq`), NIC doorbells/kicks,
register writes and polls (`ethtool -S eth0`), packets both ways, NAPI
polls (`softnet`) and TCP segments (`nstat`). Console commands run only
between the measured workloads, so they do not disturb them; then `top`
runs for 3 s under each load again (a long download, a 30 s wrk) to show
the guest's CPU split. A diagnostic tool, not a benchmark: it prints
figures and exits 0.
"""

import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from netns import GUEST_ADDR, NetNS  # noqa: E402
from skiff_qemu import NIC_MODELS, Qemu  # noqa: E402

READY = r"skiff: ready ip=\S+"


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def counters(vm):
    """Every `name: value` of ethtool -S, irq totals, softnet, nstat."""
    c = {}
    out = vm.cmd("ethtool -S eth0", timeout=30)
    for name, v in re.findall(r"^\s+(\w+): (\d+)$", out, re.M):
        c["nic." + name] = int(v)
    out = vm.cmd("irq", timeout=30)
    for line in out.splitlines():
        m = re.match(r"\s*(\d+):\s+((?:\d+\s+)+)(.*)$", line)
        if m:
            total = sum(int(x) for x in m.group(2).split())
            c["irq." + m.group(3).split()[-1]] = total
    out = vm.cmd("softnet", timeout=30)
    m = re.search(r"cpu0\s+(\d+)\s+(\d+)\s+(\d+)", out)
    if m:
        c["softnet.processed"], c["softnet.runs"] = int(m[1]), int(m[3])
    out = vm.cmd("nstat -a -z Tcp*", timeout=30)
    for name, v in re.findall(r"^(Tcp\w+)\s+(\d+)", out, re.M):
        c["nstat." + name] = int(v)
    return c


def top_during(vm, ns, argv, seconds):
    """`top` over `seconds` while argv runs in the namespace: where the
    guest's CPU goes (softirq, apps, idle) under that load."""
    p = subprocess.Popen(["ip", "netns", "exec", ns.name] + argv,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        out = vm.cmd(f"top -d {seconds} -n 1", timeout=seconds + 60)
    finally:
        p.kill()
        p.wait()
    for line in out.splitlines():
        if re.match(r"\s*(CPU|cpu\d|eth\d|NIC)", line):
            print("   top:", line.strip())


def show(title, unit, units, cpu, before, after):
    print(f"== {title}: {units:.1f} {unit}, QEMU CPU {cpu:.2f} s "
          f"({cpu / units * 1000:.2f} ms per {unit})")
    for k in sorted(after):
        d = after[k] - before.get(k, 0)
        if d and not k.endswith("bytes"):
            print(f"   {k:44s} {d:>10}  {d / units:>10.2f} per {unit}")


def run(a):
    with NetNS() as ns:
        cfg = f"ip={GUEST_ADDR}/24 {a.config}".strip()
        vm = Qemu(os.path.join(a.build, "skiff.iso"), smp=1, mem="512M",
                  nic=f"{NIC_MODELS[a.nic]},mac=52:54:00:12:34:56",
                  config=cfg, name="profile", **ns.qemu_args())
        with vm:
            vm.wait_for(READY, timeout=300)
            up = vm.find(r"up in (\d+) ms")
            print(f"kernel entry to ready: {up.group(1) if up else '?'} ms")
            for line in re.findall(r"^.*(?:features|virtio-net|e1000).*$",
                                   vm.text, re.M)[:6]:
                print("  boot:", line)
            if a.boot_log:
                print(vm.text[:vm.find(READY).end()])
            vm.resync(30)
            ns.run(["curl", "-s", "-o", "/dev/null", f"http://{GUEST_ADDR}/"])
            n = a.bulk_mib << 20
            b, c0, t0 = counters(vm), cpu_seconds(vm.pid), time.monotonic()
            p = ns.run(["curl", "-s", "-o", "/dev/null", "-w",
                        "%{size_download}",
                        f"http://{GUEST_ADDR}/bytes/{n}"], timeout=600)
            t1, c1 = time.monotonic(), cpu_seconds(vm.pid)
            got = int(p.stdout or 0)
            print(f"bulk: {got} bytes in {t1 - t0:.2f} s = "
                  f"{got / (t1 - t0) / 2**20:.1f} MiB/s")
            show("bulk", "MiB", got / 2**20, c1 - c0, b, counters(vm))
            top_during(vm, ns, ["curl", "-s", "-o", "/dev/null", "-m", "30",
                                f"http://{GUEST_ADDR}/bytes/{1 << 40}"], 3)
            b, c0 = counters(vm), cpu_seconds(vm.pid)
            p = ns.run(["wrk", "-t1", "-c16", f"-d{a.wrk_s}s", "--timeout",
                        "5s", f"http://{GUEST_ADDR}/"], timeout=a.wrk_s + 60)
            c1 = cpu_seconds(vm.pid)
            reqs = re.search(r"(\d+) requests in", p.stdout)
            rps = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
            print(f"keep-alive: {rps.group(1) if rps else '?'} req/s")
            if reqs:
                show("keep-alive", "req", int(reqs.group(1)), c1 - c0, b,
                     counters(vm))
            top_during(vm, ns, ["wrk", "-t1", "-c16", "-d30s",
                                f"http://{GUEST_ADDR}/"], 3)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nic", default="e1000", choices=sorted(NIC_MODELS))
    ap.add_argument("--bulk-mib", type=int, default=64)
    ap.add_argument("--wrk-s", type=int, default=5)
    ap.add_argument("--config", default="")
    ap.add_argument("--boot-log", action="store_true",
                    help="print the serial log up to the ready line")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    run(ap.parse_args())


if __name__ == "__main__":
    main()
