#!/usr/bin/env python3
"""bench.py - Skiff against Linux + nginx, side by side, in one run.

    python3 tests/bench/bench.py [--quick] [--nics e1000,virtio]
                                 [--guests skiff,linux] [--build build]
                                 [--out build/bench] [--smoke]

For each NIC model and each guest, one at a time, the guest boots with the
same QEMU settings (q35, TCG, -cpu max, -smp 1, -m 512M, the same NIC model
and MAC, OVMF from an ISO, a tap in a network namespace this script creates
in 198.18.0.0/15), the same load generators run from the namespace, every
measurement follows a warm-up and the median of the repetitions is kept:

  1 keep-alive requests/s on the small page (wrk, 1 thread, 16 connections)
  2 new connections/s (ab, no -k, 16 concurrent)
  3 bulk: one 256 MiB download (/bytes/268435456 on Skiff, a 256 MiB file
    on nginx), MiB/s
  4 p50/p99 of 64-byte TCP echo round trips (echo_lat.c against port 7)
  5 idle keep-alive connections held (up to a cap) and guest memory per
    connection (Skiff: `mem`; Linux: /proc/meminfo, both over the console)
  6 boot: QEMU start to the ready line and to the first HTTP 200; the
    kernel's own time to ready (Skiff's "up in N ms", Linux's uptime when
    nginx answers)
  7 host CPU-seconds of the QEMU process per 1,000 keep-alive requests
    (utime + stime from /proc/PID/stat)
  8 EFI image size, and the smallest -m with which the guest still serves
plus the NIC path with no stack: Skiff booted with app=reflect under
pktgen.c. Its packet rate (frames through the tap in both directions, 128
in flight) is the ceiling, and each guest's packet rate during workload 1
(counted the same way) is given as a fraction of it; its round trip of one
130-byte frame at a time (the size of the echo workload's frames) is the
latency floor under workload 4.

Until Skiff has an HTTP server, its HTTP figures read "n/a (no HTTP
server)". Output: the table on stdout, results.csv, results.json and PNG
plots (gnuplot) in --out. A benchmark never fails the build: this exits 0
whatever it measured (2 only for bad arguments).

--quick: one NIC, one repetition, short runs, a small connection cap and
one -m probe (64M): about two minutes. --smoke: Skiff only, one boot, the
echo client for 2 s and the report code, to keep the scripts working
(tests/integration/test_bench_smoke.py runs it).
"""

import argparse
import csv
import datetime
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from netns import GUEST_ADDR, NetNS  # noqa: E402
from skiff_qemu import PANIC_RE, HarnessError, NIC_MODELS, Qemu  # noqa: E402

MAC = "52:54:00:12:34:56"
BULK_BYTES = 256 * 1024 * 1024
ECHO_PORT = 7
EXTRA_SOURCES = [f"198.18.0.{i}" for i in range(11, 17)]
NA_HTTP = "n/a (no HTTP server)"
SKIFF_READY = re.compile(r"skiff: ready ip=\S+ mac=\S+ http=\d+ echo=\d+\n")
LINUX_READY = re.compile(r"linux-bench: ready .* uptime_s=(?P<up>[\d.]+)\n")
SKIFF_UP = re.compile(r"up in (\d+) ms")
# OVMF could not start the image from the CD (e.g. too little memory) and
# went on to network boot, or faulted while starting it, or Skiff's boot
# stub gave up (`skiff boot: ... cannot continue; halting.`, e.g. out of
# memory under 64 MiB): the boot failed.
FIRMWARE_GAVE_UP = re.compile(r"failed to load Boot\S* \"UEFI QEMU DVD-ROM"
                              r"|!!!! X64 Exception Type"
                              r"|skiff boot: cannot continue; halting")


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---- settings ---------------------------------------------------------------


class Settings:
    def __init__(self, a):
        self.quick = a.quick
        self.smoke = a.smoke
        self.build = os.path.abspath(a.build)
        self.out = os.path.abspath(a.out)
        self.nics = a.nics.split(",")
        self.guests = a.guests.split(",")
        w = getattr(a, "workloads", "all").split(",")
        self.workloads = set(WORKLOADS) if "all" in w else set(w)
        self.mem = "512M"
        if a.quick or a.smoke:
            self.duration, self.warmup, self.reps = 2.0, 0.5, 1
            self.conn_cap, self.hold_seconds = 1000, 30
            self.mem_probes = [64]
            self.bulk_limit = 20
        else:
            self.bulk_limit = 120
            self.duration, self.warmup, self.reps = 10.0, 3.0, 3
            self.conn_cap, self.hold_seconds = 100000, 300
            self.mem_probes = [24, 32, 48, 64, 96, 128, 192, 256, 384]
        if getattr(a, "conn_cap", None):
            self.conn_cap = a.conn_cap


WORKLOADS = ("keepalive", "bulk", "echo", "newconn", "idle", "reflect",
             "minmem")


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Skiff vs Linux + nginx benchmark (see the docstring)")
    ap.add_argument("--quick", action="store_true",
                    help="about two minutes: one NIC, short runs")
    ap.add_argument("--smoke", action="store_true",
                    help="Skiff only, one boot, echo for 2 s (for tests)")
    ap.add_argument("--nics", default=None,
                    help="comma-separated: e1000,virtio (quick: e1000)")
    ap.add_argument("--guests", default=None,
                    help="comma-separated: skiff,linux")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=None,
                    help="output folder (default BUILD/bench)")
    ap.add_argument("--workloads", default="all",
                    help="comma-separated subset of keepalive,bulk,echo,"
                    "newconn,idle,reflect,minmem (default all)")
    ap.add_argument("--conn-cap", type=int, default=None,
                    help="idle connections to aim for (default 100000; "
                    "QUICK 1000)")
    ap.add_argument("--replot", action="store_true",
                    help="no run: table, CSV and plots again from "
                    "OUT/results.json")
    a = ap.parse_args(argv)
    if a.nics is None:
        a.nics = "e1000" if (a.quick or a.smoke) else "e1000,virtio"
    if a.guests is None:
        a.guests = "skiff" if a.smoke else "skiff,linux"
    if a.out is None:
        a.out = os.path.join(a.build, "bench-smoke" if a.smoke else "bench")
    for n in a.nics.split(","):
        if n not in NIC_MODELS:
            ap.error(f"--nics: unknown NIC '{n}' (e1000, e1000e, virtio)")
    for g in a.guests.split(","):
        if g not in ("skiff", "linux"):
            ap.error(f"--guests: unknown guest '{g}' (skiff, linux)")
    for w in a.workloads.split(","):
        if w not in WORKLOADS + ("all",):
            ap.error(f"--workloads: unknown workload '{w}' "
                     f"({','.join(WORKLOADS)})")
    return a


# ---- tools ------------------------------------------------------------------


def build_tools(s):
    """Compile the C clients into OUT; returns {name: path}."""
    os.makedirs(s.out, exist_ok=True)
    tools = {}
    for name in ("echo_lat", "pktgen"):
        src = os.path.join(HERE, name + ".c")
        dst = os.path.join(s.out, name)
        if not os.path.exists(dst) or \
                os.path.getmtime(dst) < os.path.getmtime(src):
            subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-o", dst, src],
                           check=True, timeout=120)
        tools[name] = dst
    tools["hold"] = os.path.join(HERE, "hold_conns.py")
    return tools


def build_linux_guest(s):
    subprocess.run(["bash", os.path.join(HERE, "build-linux-guest.sh"),
                    s.out], check=True, timeout=900)
    return os.path.join(s.out, "linux.iso")


def median(values):
    values = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(values) if values else None


# ---- guests -----------------------------------------------------------------


class Guest:
    """What differs between Skiff and the Linux peer; QEMU is the same."""

    def __init__(self, key, s):
        self.key = key
        self.name = {"skiff": "Skiff", "linux": "Linux"}[key]
        if key == "skiff":
            self.iso = os.path.join(s.build, "skiff.iso")
            self.efi = os.path.join(s.build, "skiff.efi")
            self.ready = SKIFF_READY
            self.prompt = re.compile("skiff> ")
            self.bulk_path = f"/bytes/{BULK_BYTES}"
        else:
            self.iso = os.path.join(s.out, "linux.iso")
            self.efi = os.path.join(s.out, "linux.efi")
            self.ready = LINUX_READY
            self.prompt = re.compile("linux# ")
            self.bulk_path = "/bulk.bin"
        self.has_http = None  # found out at the first boot

    def config(self, app="http"):
        # Skiff reads its address from QEMU's fw_cfg; the Linux peer has it
        # in its initramfs. Nothing else on the QEMU line differs.
        if self.key == "skiff":
            # nginx is set up for the benchmark (keepalive_requests
            # 100000); Skiff's connection cap is raised past the idle
            # workload's 100,000 the same way.
            return f"ip={GUEST_ADDR}/24 app={app} http.max_conns=200000"
        return None

    def memory_used_kib(self, vm):
        if self.key == "skiff":
            out = vm.cmd("mem", timeout=30)
            orders = re.search(r"free blocks by order:([\d ]+)", out)
            heap = re.search(r"heap:\s+(\d+) KiB used", out)
            free_pages = sum(int(n) << o for o, n in
                             enumerate(orders.group(1).split()))
            return int(heap.group(1)) - free_pages * 4
        # Every reading alike: reclaimable caches (page cache, unused
        # dentries and inodes) are dropped first, so what a reading sees
        # is memory in use, not cache that may or may not have been
        # reclaimed since the last one. Socket inodes in use stay.
        vm.cmd("sync; echo 3 > /proc/sys/vm/drop_caches", timeout=60)
        out = vm.cmd("cat /proc/meminfo", timeout=30)
        info = dict(re.findall(r"^(\w+):\s+(\d+) kB", out, re.M))
        return int(info["MemTotal"]) - int(info["MemFree"])


def boot(s, ns, guest, nic, mem=None, app="http", timeout=150, log_name=None):
    """Start the guest and wait for its ready line and shell. Returns
    (vm, figures): seconds to the ready line, the kernel's own time."""
    log_path = os.path.join(s.out, "logs",
                            log_name or f"{guest.key}-{nic}.log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    if os.path.exists(log_path):
        os.unlink(log_path)
    vm = Qemu(guest.iso, smp=1, mem=mem or s.mem,
              nic=f"{NIC_MODELS[nic]},mac={MAC}", config=guest.config(app),
              log_path=log_path, name=f"{guest.key}-{nic}", **ns.qemu_args())
    vm.prompt_re = guest.prompt
    t0 = time.monotonic()
    vm.start()
    figures = {}
    try:
        first_200, ready_at = poll_http_200(ns, vm, guest, timeout)
        m = vm.wait_for(guest.ready, timeout=timeout, start=0)
        figures["boot_ready_s"] = ready_at - t0
        if guest.key == "skiff":
            up = vm.find(SKIFF_UP)
            figures["kernel_ready_ms"] = int(up.group(1)) if up else None
        else:
            figures["kernel_ready_ms"] = float(m.group("up")) * 1000
        figures["boot_200_s"] = first_200 - t0 if first_200 else None
        if guest.key == "linux":
            vm.wait_for(r"linux-bench: (bulk.bin ready|no bulk.bin)",
                        timeout=120, start=0)
            if not vm.find(r"bulk.bin ready \(268435456 bytes\)|no bulk"):
                log(f"  {guest.name}: the bulk file is not complete")
        vm.resync(30)
    except Exception:
        vm.kill()
        raise
    return vm, figures


def http_code(ns, path="/", timeout=2):
    p = ns.run(["curl", "-s", "-o", "/dev/null", "-m", str(timeout),
                "-w", "%{http_code}", f"http://{GUEST_ADDR}{path}"],
               timeout=timeout + 10)
    return p.stdout.strip()


def poll_http_200(ns, vm, guest, timeout):
    """Poll / until it answers 200, watching for the ready line meanwhile
    (about every 0.1 s). Returns the monotonic times (first 200, ready
    line); the first is None when the guest has no HTTP server (nothing
    answers 200 for 5 s after its ready line)."""
    end = time.monotonic() + timeout
    first_200 = ready_at = None
    while time.monotonic() < end:
        if not vm.alive():
            raise HarnessError(f"{guest.name} QEMU exited during boot\n"
                               f"{vm.tail()}")
        failed = vm.find(PANIC_RE) or vm.find(FIRMWARE_GAVE_UP)
        if failed:
            time.sleep(1)  # the rest of the report
            raise HarnessError(f"{guest.name} did not boot: "
                               f"{failed.group(0)}\n{vm.tail()}")
        if ready_at is None and vm.find(guest.ready):
            ready_at = time.monotonic()
        if first_200 is None and http_code(ns, timeout=1) == "200":
            first_200 = time.monotonic()
            guest.has_http = True
        if first_200 and ready_at:
            return first_200, ready_at
        if ready_at and not first_200 and time.monotonic() - ready_at > 5:
            guest.has_http = False
            return None, ready_at
        time.sleep(0.05)
    raise HarnessError(f"{guest.name}: no HTTP 200 or no ready line in "
                       f"{timeout} s\n{vm.tail()}")


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tap_packets(ns):
    return ns.tap_stat("rx_packets") + ns.tap_stat("tx_packets")


# ---- workloads --------------------------------------------------------------


def run_wrk(s, ns, seconds):
    p = ns.run(["wrk", "-t1", "-c16", f"-d{max(1, round(seconds))}s",
                "--timeout", "5s", f"http://{GUEST_ADDR}/"],
               timeout=seconds + 60)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
    reqs = re.search(r"(\d+) requests in", p.stdout)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
    if not rps or not reqs:
        raise HarnessError(f"wrk: {p.stdout}{p.stderr}")
    return float(rps.group(1)), int(reqs.group(1)), \
        int(bad.group(1)) if bad else 0


def keepalive(s, ns, vm):
    """Workloads 1 and 7, and the HTTP packet rate for the ceiling."""
    run_wrk(s, ns, s.warmup)
    rates, cpu, pps = [], [], []
    for _ in range(s.reps):
        c0, k0, t0 = cpu_seconds(vm.pid), tap_packets(ns), time.monotonic()
        rps, reqs, bad = run_wrk(s, ns, s.duration)
        c1, k1, t1 = cpu_seconds(vm.pid), tap_packets(ns), time.monotonic()
        if bad:
            log(f"  wrk: {bad} non-2xx responses")
        rates.append(rps)
        cpu.append((c1 - c0) / reqs * 1000 if reqs else None)
        pps.append((k1 - k0) / (t1 - t0))
    return {"keepalive_rps": median(rates), "cpu_per_1k": median(cpu),
            "http_pps": median(pps)}


def run_ab(s, ns, seconds):
    p = ns.run(["ab", "-q", "-c", "16", "-t", str(max(1, round(seconds))),
                "-n", "10000000", "-s", "10", f"http://{GUEST_ADDR}/"],
               timeout=seconds + 60)
    rps = re.search(r"Requests per second:\s+([\d.]+)", p.stdout)
    failed = re.search(r"Failed requests:\s+(\d+)", p.stdout)
    if not rps:
        tail = [ln for ln in (p.stdout + p.stderr).splitlines() if ln.strip()]
        raise HarnessError("ab: " + " / ".join(tail[-2:]))
    if failed and int(failed.group(1)):
        log(f"  ab: {failed.group(1)} failed requests")
    return float(rps.group(1))


def new_conns(s, ns):
    run_ab(s, ns, s.warmup)
    return {"conn_rps": median([run_ab(s, ns, s.duration)
                                for _ in range(s.reps)])}


def bulk(s, ns, guest):
    """Workload 3. The download is bounded to s.bulk_limit seconds (QUICK
    20, else 120); past that the rate of what arrived is taken, noted as
    partial."""
    rates, partial = [], None
    for _ in range(s.reps):
        p = ns.run(["curl", "-s", "-o", "/dev/null", "-m", str(s.bulk_limit),
                    "-w", "%{http_code} %{size_download} %{time_total}",
                    f"http://{GUEST_ADDR}{guest.bulk_path}"],
                   timeout=s.bulk_limit + 60)
        parts = p.stdout.split()
        if len(parts) != 3 or parts[0] != "200":
            raise HarnessError(f"bulk download: {p.stdout!r} {p.stderr!r}")
        got, secs = int(parts[1]), float(parts[2])
        if got != BULK_BYTES:
            if p.returncode != 28 or got == 0:  # 28: curl's time limit
                raise HarnessError(f"bulk download: {got} of {BULK_BYTES} "
                                   f"bytes (curl exit {p.returncode})")
            partial = f"{got / 2**20:.0f} of 256 MiB in {secs:.0f} s"
            log(f"  bulk: partial, {partial}")
        rates.append(got / secs / 2**20)
    res = {"bulk_mibs": median(rates)}
    if partial:
        res["bulk_partial"] = partial
    return res


def echo_latency(s, ns, tools):
    """Workload 4. A round trip that never completes (5 s) ends the run;
    the figures before it are kept and marked as such."""
    ns.run([tools["echo_lat"], GUEST_ADDR, str(ECHO_PORT),
            str(s.warmup)], timeout=s.warmup + 30)
    p50, p99, failures = [], [], []
    for _ in range(s.reps):
        p = ns.run([tools["echo_lat"], GUEST_ADDR, str(ECHO_PORT),
                    str(s.duration), "64"], timeout=s.duration + 30)
        m = re.search(r"samples=(\d+) p50_us=([\d.]+) p99_us=([\d.]+)",
                      p.stdout)
        if not m:
            raise HarnessError(f"echo_lat: {p.stdout}{p.stderr}")
        if "failed=1" in p.stdout:
            failures.append(f"after {m.group(1)} round trips: "
                            f"{p.stderr.strip().splitlines()[0]}")
            log(f"  echo_lat failed {failures[-1]}")
        p50.append(float(m.group(2)))
        p99.append(float(m.group(3)))
    res = {"echo_p50_us": median(p50), "echo_p99_us": median(p99)}
    if failures:
        res["echo_failed"] = failures[0]
    return res


PER_CLIENT = 18000  # sockets per hold_conns process (RLIMIT_NOFILE here)
MEM_STEP = 20000  # connections held when memory is read (or the cap)
# The kernel killed a process (Linux's OOM killer, or a fatal signal it
# reports on the console).
KILLED_RE = re.compile(r"Out of memory: Killed process \d+ \((?P<oom>[^)]+)\)"
                       r"|(?P<segv>\S+)\[\d+\]: segfault at")


class Holders:
    """Several hold_conns processes sharing the connections (a process may
    not have more descriptors than RLIMIT_NOFILE allows), each from its
    own source address; `ramp(total)` raises them all to `total`."""

    def __init__(self, s, ns, tools, final):
        self.n = max(1, -(-final // PER_CLIENT))
        self.s, self.ns, self.tools = s, ns, tools
        self.procs = []
        self.held = self.peak = self.lost = 0
        self.reasons = []

    def share(self, total, i):
        return total // self.n + (1 if i < total % self.n else 0)

    def start(self, total):
        srcs = [self.ns.host_addr] + EXTRA_SOURCES
        for i in range(self.n):
            argv = ["ip", "netns", "exec", self.ns.name, sys.executable,
                    self.tools["hold"], GUEST_ADDR, "80",
                    str(self.share(total, i)), "--http", "--seconds",
                    str(self.s.hold_seconds), "--src", srcs[i % len(srcs)]]
            self.procs.append(subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True))
        self.read_held()

    def tell(self, line):
        for p in self.procs:
            p.stdin.write(line + "\n")
            p.stdin.flush()

    def read_held(self):
        self.held = self.peak = self.lost = 0
        self.reasons = []
        for p in self.procs:
            line = p.stdout.readline()
            m = re.search(r"held=(\d+) failures=(\d+) reason=(\w+) "
                          r"lost=(\d+) peak=(\d+)", line)
            if not m:
                p.wait(timeout=30)
                err = [ln for ln in p.stderr.read().splitlines()
                       if ln.strip()]
                raise HarnessError(f"hold_conns: {line.strip()} "
                                   f"{' / '.join(err[-2:])}")
            self.held += int(m.group(1))
            self.reasons.append(m.group(3))
            self.lost += int(m.group(4))
            self.peak += int(m.group(5))

    def raise_to(self, total):
        for i, p in enumerate(self.procs):
            p.stdin.write(f"raise {self.share(total, i)}\n")
            p.stdin.flush()
        self.read_held()

    def alive(self, last=False):
        """Connections still open by the clients' account."""
        self.tell("done" if last else "alive")
        alive = 0
        for p in self.procs:
            a = re.search(r"alive=(\d+)", p.stdout.readline())
            alive += int(a.group(1)) if a else 0
        return alive

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    p.stdin.close()
                    p.wait(timeout=60)
                except (subprocess.TimeoutExpired, OSError):
                    p.kill()
                    p.wait()


def server_killed(vm, guest, since):
    """Why the guest's server is gone, or None: a kill the console shows
    after mark `since` (Linux's OOM killer, a segfault), nginx no longer
    running, or a Skiff panic."""
    m = vm.find(KILLED_RE, start=since)
    if m and m.group("oom"):
        return f"the OOM killer killed {m.group('oom')} ({m.group(0)})"
    if m:
        return f"{m.group('segv')} was killed by a segfault ({m.group(0)})"
    if guest.key == "linux" and vm.alive():
        if not re.search(r"^\d+", vm.cmd("pidof nginx", timeout=30), re.M):
            return "nginx is no longer running"
    panic = vm.panic_text()
    if panic or not vm.alive():
        return f"the guest crashed: {panic or 'QEMU exited'}"
    return None


def idle_conns(s, ns, vm, guest, tools):
    """Workload 5: hold idle keep-alive connections, read guest memory.
    Memory is read at a fixed step (MEM_STEP, or the cap if smaller) that
    both guests hold, while every connection of the reading is alive
    (checked with the clients, and the server not killed); then the
    connections are raised to the cap, or until failure, for the held
    figure. A server killed on the way (Linux's OOM killer) is detected
    from the console and reported as the reason the count stopped."""
    if guest.key == "linux":  # the bulk file's RAM goes back to the pool
        vm.cmd("rm -f /bulk/bulk.bin", timeout=30)
    since = vm.mark()
    step = min(MEM_STEP, s.conn_cap)
    before = guest.memory_used_kib(vm)
    h = Holders(s, ns, tools, s.conn_cap)
    res = {}
    try:
        h.start(step)
        time.sleep(1)
        during = guest.memory_used_kib(vm)
        alive = h.alive()
        killed = server_killed(vm, guest, since)
        log(f"  memory at {h.held} held: +{during - before} KiB, alive "
            f"{alive}{', ' + killed if killed else ''}")
        res["mem_conns"] = h.held
        if h.held and alive == h.held and not h.lost and not killed:
            res["bytes_per_conn"] = (during - before) * 1024 / h.held
        else:
            res["mem_note"] = (f"no memory figure: of {h.held} held at the "
                               f"reading, {alive} alive"
                               f"{', ' + killed if killed else ''}")
        if step < s.conn_cap and not killed:
            h.raise_to(s.conn_cap)
            killed = server_killed(vm, guest, since)
        alive = h.alive(last=True)
    finally:
        h.close()
    held = h.peak if killed else h.held
    res["idle_conns"] = held
    if killed:
        res["idle_stopped"] = f"held {held:,} until {killed}"
    log(f"  held {held} ({h.n} clients: {', '.join(sorted(set(h.reasons)))}"
        f"; lost {h.lost}), alive at the end {alive}"
        f"{'; ' + killed if killed else ''}")
    return res


def measure_guest(s, ns, guest, nic, tools):
    """Every workload on one guest. The idle-connection workload gets a
    freshly booted guest (memory as after boot, nothing left over from the
    connection churn before it), and so does any workload after one that
    crashed the guest (the crash is reported)."""
    log(f"{guest.name} on {nic}: boot")
    vm, res = boot(s, ns, guest, nic)
    state = {"vm": vm}
    log(f"  ready in {res['boot_ready_s']:.1f} s, first 200 "
        f"{res['boot_200_s'] and round(res['boot_200_s'], 1)} s")
    # Connection churn (ab) last before the fresh boot: what it leaves
    # behind (TIME_WAIT, memory) does not weigh on the other workloads.
    steps = [("echo", "echo latency", False,
              lambda v: echo_latency(s, ns, tools))]
    if guest.has_http:
        steps = [("keepalive", "keep-alive", False,
                  lambda v: keepalive(s, ns, v)),
                 ("bulk", "bulk", False, lambda v: bulk(s, ns, guest))] + \
            steps + [("newconn", "new connections", False,
                      lambda v: new_conns(s, ns)),
                     ("idle", "idle connections", True,
                      lambda v: idle_conns(s, ns, v, guest, tools))]
    if s.smoke:
        steps = [st for st in steps if st[0] == "echo"]
    steps = [st[1:] for st in steps if st[0] in s.workloads]
    if steps and steps[0][0] == "idle connections":
        steps[0] = (steps[0][0], False, steps[0][2])  # already fresh
    res["has_http"] = guest.has_http
    try:
        for label, fresh, fn in steps:
            run_step(s, ns, guest, nic, state, res, label, fresh, fn)
    finally:
        state["vm"].kill()
    return res


def run_step(s, ns, guest, nic, state, res, label, fresh, fn):
    vm = state["vm"]
    if fresh or not vm.alive() or vm.panic_text():
        vm.kill()
        log(f"  {label}: a fresh boot")
        vm, _ = boot(s, ns, guest, nic, log_name=f"{guest.key}-{nic}-"
                     f"{label.replace(' ', '-')}.log")
        state["vm"] = vm
    log(f"  {label}")
    try:
        res.update(fn(vm))
    except (HarnessError, subprocess.TimeoutExpired, OSError) as e:
        log(f"  {label} failed: {str(e).splitlines()[0]}")
        res[f"error_{label}"] = str(e).splitlines()[0]
    panic = vm.panic_text()
    if panic:
        log(f"  {guest.name} crashed during {label}: {panic}")
        res[f"panic_{label}"] = panic


# The echo workload's frames: Ethernet 14 + IPv4 20 + TCP with timestamps 32
# + 64 bytes of data. The reflector's round trips use frames of this size.
ECHO_FRAME_LEN = 130


def pktgen(s, ns, tools, seconds, window, frame_len=60):
    """One pktgen run; returns its figures and the tap's frames per second
    in both directions while it ran."""
    k0, t0 = tap_packets(ns), time.monotonic()
    p = ns.run([tools["pktgen"], ns.tap, MAC, str(seconds), str(window),
                str(frame_len)], timeout=seconds + 30)
    k1, t1 = tap_packets(ns), time.monotonic()
    m = re.search(r"pps=(\d+) p50_us=([\d.]+) p99_us=([\d.]+)", p.stdout)
    if not m:
        raise HarnessError(f"pktgen: {p.stdout}{p.stderr}")
    log(f"  {p.stdout.strip()}")
    return {"replies_ps": float(m.group(1)), "tap_pps": (k1 - k0) / (t1 - t0),
            "p50_us": float(m.group(2)), "p99_us": float(m.group(3))}


def reflect_ceiling(s, ns, nic, tools):
    """The NIC path with no stack: its packet rate (128 frames in flight;
    frames through the tap in both directions, as the HTTP packet rate is
    counted) and its round-trip latency (one echo-sized frame at a time;
    the floor under the echo workload)."""
    guest = Guest("skiff", s)
    log(f"Skiff app=reflect on {nic}: pktgen")
    vm, _ = boot(s, ns, guest, nic, app="reflect",
                 log_name=f"skiff-reflect-{nic}.log")
    try:
        vm.wait_for(r"reflect: on\b", timeout=20, start=0)
        pktgen(s, ns, tools, s.warmup, 128)
        rates = [pktgen(s, ns, tools, s.duration, 128)["tap_pps"]
                 for _ in range(s.reps)]
        lat = [pktgen(s, ns, tools, s.duration, 1, ECHO_FRAME_LEN)
               for _ in range(s.reps)]
        return {"reflect_pps": median(rates),
                "reflect_p50_us": median([r["p50_us"] for r in lat]),
                "reflect_p99_us": median([r["p99_us"] for r in lat])}
    finally:
        vm.kill()


def serves(s, ns, guest, nic, tools, mib):
    """Does the guest boot and serve with -m MIB? HTTP 200 on / when it
    has an HTTP server, else an echo round trip."""
    had_http = guest.has_http
    try:
        vm, _ = boot(s, ns, guest, nic, mem=f"{mib}M", timeout=150,
                     log_name=f"{guest.key}-mem{mib}.log")
    except (HarnessError, subprocess.TimeoutExpired) as e:
        return False, str(e).splitlines()[0]
    finally:
        booted_http, guest.has_http = guest.has_http, had_http
    try:
        if had_http and not booted_http:
            return False, "booted, but no HTTP 200 on /"
        if had_http:
            code = http_code(ns, timeout=10)
            return code == "200", f"HTTP {code or 'no answer'}"
        p = ns.run([tools["echo_lat"], GUEST_ADDR, str(ECHO_PORT), "1"],
                   timeout=30)
        return p.returncode == 0, "echo " + ("ok" if p.returncode == 0
                                             else p.stderr.strip()[:80])
    finally:
        vm.kill()


def min_memory(s, ns, guest, nic, tools):
    """Workload 8: bisect the probes (512M is known to work)."""
    probes = s.mem_probes
    lo, hi = -1, len(probes)  # probes[hi] serves (512 beyond the list)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        ok, why = serves(s, ns, guest, nic, tools, probes[mid])
        log(f"  {guest.name} -m {probes[mid]}M: "
            f"{'serves' if ok else 'does not serve'} ({why})")
        if ok:
            hi = mid
        else:
            lo = mid
    if hi == len(probes):
        return f">{probes[-1]}"  # none of the probes serves
    if hi == 0:
        return f"<={probes[0]}"  # the smallest probe serves
    return probes[hi]  # serves there, not at the probe below


# ---- the run ----------------------------------------------------------------


def setup_namespace(ns):
    ns.sysctl("net.ipv4.ip_local_port_range", "1024 65535")
    ns.sysctl("net.ipv4.tcp_tw_reuse", "1")
    for a in EXTRA_SOURCES:
        ns.run(["ip", "addr", "add", f"{a}/24", "dev", ns.tap], check=True)


def run_nic(s, nic, guests, tools, results):
    with NetNS() as ns:
        setup_namespace(ns)
        for g in guests:
            try:
                results[nic][g.key] = measure_guest(s, ns, g, nic, tools)
            except (HarnessError, subprocess.TimeoutExpired, OSError) as e:
                log(f"{g.name} on {nic} failed: {str(e).splitlines()[0]}")
                results[nic][g.key] = {"error": str(e).splitlines()[0]}
        if s.smoke or "skiff" not in [g.key for g in guests] or \
                "reflect" not in s.workloads:
            return
        try:
            results[nic].update(reflect_ceiling(s, ns, nic, tools))
        except (HarnessError, subprocess.TimeoutExpired, OSError) as e:
            log(f"reflector on {nic} failed: {str(e).splitlines()[0]}")


def run_memory(s, nic, guests, tools, results):
    with NetNS() as ns:
        setup_namespace(ns)
        for g in guests:
            log(f"{g.name}: smallest -m that serves (probes {s.mem_probes})")
            results["min_mem"][g.key] = min_memory(s, ns, g, nic, tools)


def run(s):
    os.makedirs(s.out, exist_ok=True)
    tools = build_tools(s)
    guests = [Guest(k, s) for k in s.guests]
    for g in list(guests):
        if g.key == "linux":
            try:
                build_linux_guest(s)
            except (subprocess.CalledProcessError,
                    subprocess.TimeoutExpired) as e:
                log(f"no Linux peer (its build failed: {e}); Skiff alone")
                guests.remove(g)
                continue
        if not os.path.exists(g.iso):
            raise SystemExit(f"bench: no {g.iso} (run make first)")
    results = {nic: {} for nic in s.nics}
    results["min_mem"] = {}
    results["image_kib"] = {g.key: os.path.getsize(g.efi) / 1024
                            for g in guests}
    for nic in s.nics:
        run_nic(s, nic, guests, tools, results)
    if not s.smoke and "minmem" in s.workloads:
        run_memory(s, s.nics[0], guests, tools, results)
    results["has_http"] = {g.key: g.has_http for g in guests}
    return results


# ---- the report -------------------------------------------------------------

# key, label, unit, better ("high"/"low"), needs HTTP
FIGURES = [
    ("keepalive_rps", "1 keep-alive requests/s (wrk -t1 -c16)", "req/s",
     "high", True),
    ("conn_rps", "2 new connections/s (ab -c16, no -k)", "conn/s", "high",
     True),
    ("bulk_mibs", "3 bulk 256 MiB download", "MiB/s", "high", True),
    ("echo_p50_us", "4 echo 64 B round trip p50", "us", "low", False),
    ("echo_p99_us", "4 echo 64 B round trip p99", "us", "low", False),
    ("idle_conns", "5 idle keep-alive connections held", "conns", "high",
     True),
    ("bytes_per_conn", "5 guest memory per idle connection", "bytes",
     "low", True),
    ("boot_ready_s", "6 QEMU start to ready line", "s", "low", False),
    ("boot_200_s", "6 QEMU start to first HTTP 200", "s", "low", True),
    ("kernel_ready_ms", "6 kernel's own time to ready", "ms", "low", False),
    ("cpu_per_1k", "7 host CPU per 1,000 requests", "CPU-s", "low", True),
    ("http_pps", "ceiling: packets/s during workload 1", "pkt/s", "high",
     True),
]


# Which workload (measure_guest's step label) makes a figure.
FIGURE_STEP = {"keepalive_rps": "keep-alive", "cpu_per_1k": "keep-alive",
               "http_pps": "keep-alive", "conn_rps": "new connections",
               "bulk_mibs": "bulk", "echo_p50_us": "echo latency",
               "echo_p99_us": "echo latency", "idle_conns":
               "idle connections", "bytes_per_conn": "idle connections"}


def cell(res, key, guest, needs_http):
    """(value, mark): the figure, and "stalled"/"partial" when it stands
    for a run that did not finish."""
    r = res.get(guest, {})
    if not r:
        return None, None  # not run
    if "error" in r:
        return "failed", None
    if needs_http and r.get("has_http") is False:
        return NA_HTTP, None
    v = r.get(key)
    step = FIGURE_STEP.get(key)
    if v is None and step and r.get(f"error_{step}"):
        return "failed", None
    if key.startswith("echo_") and r.get("echo_failed"):
        return v, "stalled"  # a round trip never came back
    if key == "bulk_mibs" and r.get("bulk_partial"):
        return v, "partial"  # cut at the time limit
    if key == "idle_conns" and r.get("idle_stopped"):
        # held until the server was killed (the note says how)
        return v, "OOM kill" if "OOM" in r["idle_stopped"] else "killed"
    if key == "bytes_per_conn" and v is None and r.get("mem_note"):
        return "n/a (see note)", None
    return v, None


def mem_conns_label(res):
    """At how many held connections memory was read: in the figure's
    label when both guests read at the same count, else per cell."""
    ns = {g: res.get(g, {}).get("mem_conns") for g in ("skiff", "linux")}
    got = {n for n in ns.values() if n}
    return f" (at {got.pop():,} held)" if len(got) == 1 else "", \
        ns if len(got) > 1 else {}


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if isinstance(v, int) or abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def marked(v, mark):
    return f"{fmt(v)} ({mark})" if mark else fmt(v)


def advantage(skiff, linux, better):
    """How many times better Skiff is (>1: Skiff ahead)."""
    if not isinstance(skiff, (int, float)) or \
            not isinstance(linux, (int, float)) or not skiff or not linux:
        return None
    return skiff / linux if better == "high" else linux / skiff


def rows(results, s):
    out = []
    for nic in s.nics:
        res = results.get(nic, {})
        at, at_each = mem_conns_label(res)
        for key, label, unit, better, needs_http in FIGURES:
            sk, sk_mark = cell(res, key, "skiff", needs_http)
            lx, lx_mark = cell(res, key, "linux", needs_http)
            if key == "bytes_per_conn":
                label += at
                if at_each.get("skiff") and sk_mark is None:
                    sk_mark = f"at {at_each['skiff']:,}"
                if at_each.get("linux") and lx_mark is None:
                    lx_mark = f"at {at_each['linux']:,}"
            ratio = None if "stalled" in (sk_mark, lx_mark) or \
                (key == "bytes_per_conn" and at_each) else \
                advantage(sk, lx, better)
            out.append({"nic": nic, "figure": label, "unit": unit,
                        "better": better, "skiff": sk, "linux": lx,
                        "skiff_mark": sk_mark, "linux_mark": lx_mark,
                        "ratio": ratio})
        ceiling = res.get("reflect_pps")
        out.append({"nic": nic, "figure": "ceiling: reflector packets/s",
                    "unit": "pkt/s", "better": "high", "skiff": ceiling,
                    "linux": None, "ratio": None})
        for q in ("50", "99"):
            out.append({"nic": nic, "unit": "us", "better": "low",
                        "figure": f"floor: reflector {ECHO_FRAME_LEN} B "
                        f"round trip p{q}", "linux": None, "ratio": None,
                        "skiff": res.get(f"reflect_p{q}_us")})
        for g in ("skiff", "linux"):
            rate = res.get(g, {}).get("http_pps")
            frac = rate / ceiling if rate and ceiling else None
            if frac is not None or g == "skiff":
                out.append({"nic": nic, "unit": "fraction", "better": "high",
                            "figure": f"ceiling: {g} HTTP pkt/s / reflector",
                            "skiff": frac if g == "skiff" else None,
                            "linux": frac if g == "linux" else None,
                            "ratio": None})
    img = results.get("image_kib", {})
    out.append({"nic": "-", "figure": "8 EFI image size", "unit": "KiB",
                "better": "low", "skiff": img.get("skiff"),
                "linux": img.get("linux"),
                "ratio": advantage(img.get("skiff"), img.get("linux"),
                                   "low")})
    mm = results.get("min_mem", {})
    out.append({"nic": s.nics[0], "figure": "8 smallest -m that serves",
                "unit": "MiB", "better": "low", "skiff": mm.get("skiff"),
                "linux": mm.get("linux"),
                "ratio": advantage(mm.get("skiff"), mm.get("linux"), "low")})
    return out


def notes(results, s):
    """One line per workload that failed or stalled, to read under the
    table."""
    out = []
    for nic in s.nics:
        for g, r in results.get(nic, {}).items():
            if not isinstance(r, dict):
                continue
            for k, v in sorted(r.items()):
                if k in ("error", "echo_failed") or \
                        k.startswith(("error_", "panic_")):
                    what = k.replace("error_", "").replace(
                        "panic_", "crash during ").replace("_", " ")
                    out.append(f"note: {g} on {nic}: {what}: {v}")
                elif k in ("idle_stopped", "mem_note"):
                    out.append(f"note: {g} on {nic}: idle connections: {v}")
    return out


def print_table(table, stamp, s, extra=()):
    head = ("NIC", "figure", "unit", "Skiff", "Linux", "Skiff adv.")
    lines = [(r["nic"], r["figure"], r["unit"],
              marked(r["skiff"], r.get("skiff_mark")),
              marked(r["linux"], r.get("linux_mark")),
              f"{r['ratio']:.2f}x" if r["ratio"] else "-")
             for r in table]
    w = [max(len(x[i]) for x in lines + [head]) for i in range(6)]
    text = [f"Skiff benchmark, {stamp}{' (QUICK)' if s.quick else ''}"
            f"{' (SMOKE)' if s.smoke else ''}: -smp 1 -m {s.mem}, TCG; "
            f"medians of {s.reps}, {s.duration:g} s runs",
            "  ".join(h.ljust(w[i]) for i, h in enumerate(head)),
            "  ".join("-" * x for x in w)]
    text += ["  ".join(c.ljust(w[i]) for i, c in enumerate(ln))
             for ln in lines]
    text.append("Skiff adv. = how many times better Skiff is (higher is "
                "better for rates, lower for times, memory, sizes).")
    text += list(extra)
    print("\n".join(text), flush=True)
    return "\n".join(text)


def write_csv(table, path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["nic", "figure", "unit", "better", "skiff", "linux",
                    "skiff_advantage"])
        for r in table:
            w.writerow([r["nic"], r["figure"], r["unit"], r["better"],
                        r["skiff"] if r["skiff"] is not None else "",
                        r["linux"] if r["linux"] is not None else "",
                        f"{r['ratio']:.4f}" if r["ratio"] else ""])


def plot(table, s):
    """advantage.png: Skiff's advantage per figure and NIC (log scale);
    rates.png: absolute rates of both guests. gnuplot, when present."""
    if not shutil.which("gnuplot"):
        log("gnuplot not found: no plots")
        return
    made = []
    adv = [r for r in table if r["ratio"]]
    if adv:
        dat = os.path.join(s.out, "advantage.dat")
        with open(dat, "w") as f:
            for i, r in enumerate(adv):
                short = r["figure"].split(" (")[0]
                label = f"{short} [{r['nic']}]".replace('"', "'")
                f.write(f'{i} {r["ratio"]:.4f} "{label}"\n')
        gp_plot(s, "advantage.png", f"""
set title "Skiff's advantage over Linux + nginx (x times better; 1 = even)"
set logscale x 2
set style fill solid 0.6
set xlabel "x times better (log scale): right of 1 Skiff is ahead, left behind"
set yrange [-1:{len(adv)}]
set arrow from 1, graph 0 to 1, graph 1 nohead dt 2
plot "{dat}" using (1):1:($2 < 1 ? $2 : 1):($2 < 1 ? 1 : $2):($1-0.35):($1+0.35):ytic(3) \\
     with boxxyerror lc rgb "#2e8b57" notitle, \\
     "" using ($2 < 1 ? $2 : 1/0):1:($2):(1):($1-0.35):($1+0.35) \\
     with boxxyerror lc rgb "#c0392b" notitle
""", height=max(300, 28 * len(adv) + 120))
        made.append("advantage.png")
    rates = [r for r in table if r["unit"] in ("req/s", "conn/s", "MiB/s")
             and (isinstance(r["skiff"], (int, float)) or
                  isinstance(r["linux"], (int, float)))]
    if rates:
        dat = os.path.join(s.out, "rates.dat")
        with open(dat, "w") as f:
            for r in rates:
                short = r["figure"].split(" (")[0][2:]
                label = f"{short} [{r['nic']}]".replace('"', "'")
                sk = r["skiff"] if isinstance(r["skiff"], (int, float)) else 0
                lx = r["linux"] if isinstance(r["linux"], (int, float)) else 0
                f.write(f'"{label}" {sk} {lx}\n')
        gp_plot(s, "rates.png", f"""
set title "Rates (higher is better; log scale)"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.7
set logscale y
set xtics rotate by -20
plot "{dat}" using 2:xtic(1) title "Skiff", "" using 3 title "Linux + nginx"
""", height=420)
        made.append("rates.png")
    if made:
        log(f"plots: {', '.join(os.path.join(s.out, m) for m in made)}")


def gp_plot(s, name, body, height=400):
    script = (f'set terminal pngcairo size 900,{height} font "sans,9"\n'
              f'set output "{os.path.join(s.out, name)}"\n{body}')
    p = subprocess.run(["gnuplot"], input=script, text=True,
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        log(f"gnuplot {name}: {p.stderr.strip()[:300]}")


# Issue 8's targets: (text, figure, test on (Skiff, Linux)).
TARGETS = [
    ("keep-alive requests/s >= 5x Linux", "keepalive_rps",
     lambda sk, lx: sk / lx >= 5),
    ("new connections/s >= 5x Linux", "conn_rps", lambda sk, lx: sk / lx >= 5),
    ("host CPU per request <= 1/5 of Linux's", "cpu_per_1k",
     lambda sk, lx: sk <= lx / 5),
    ("bulk throughput >= 2x Linux", "bulk_mibs", lambda sk, lx: sk / lx >= 2),
    ("p99 echo latency <= 1/3 of Linux's", "echo_p99_us",
     lambda sk, lx: sk <= lx / 3),
    ("100,000 idle connections held in 512 MiB", "idle_conns",
     lambda sk, lx: sk >= 100000),
    ("memory per idle connection below Linux's", "bytes_per_conn",
     lambda sk, lx: sk < lx),
    ("boot to first HTTP 200 faster than Linux", "boot_200_s",
     lambda sk, lx: sk < lx),
    ("kernel entry to ready under 100 ms", "kernel_ready_ms",
     lambda sk, lx: sk < 100),
]


def target_detail(key, sk, lx):
    """What a target's figures stand for, when it needs saying."""
    if key == "bytes_per_conn":
        return f", both with {sk['mem_conns']:,} connections held and alive"
    if key == "idle_conns" and lx.get("idle_stopped"):
        return f"; Linux {lx['idle_stopped']}"
    if key == "echo_p99_us" and sk.get("floor_p99_us"):
        return (f"; the NIC path alone, the reflector with no stack: "
                f"{fmt(sk['floor_p99_us'])}")
    return ""


def target_lines(results, s):
    out = []
    for nic in s.nics:
        res = results.get(nic, {})
        for text, key, test in TARGETS:
            sk, lx = res.get("skiff", {}), res.get("linux", {})
            if res.get("reflect_p99_us"):
                sk = dict(sk, floor_p99_us=res["reflect_p99_us"])
            a, b = sk.get(key), lx.get(key)
            stalled = key.startswith("echo_") and sk.get("echo_failed")
            if key == "idle_conns" and s.conn_cap < 100000:
                out.append(f"{nic:7} {text}: not measured (the cap is "
                           f"{s.conn_cap:,})")
                continue
            at_a, at_b = sk.get("mem_conns"), lx.get("mem_conns")
            if key == "bytes_per_conn" and at_a and at_b and at_a != at_b:
                out.append(f"{nic:7} {text}: not compared (Skiff read at "
                           f"{fmt(at_a)} held, Linux at {fmt(at_b)})")
                continue
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
                    and b and not stalled:
                verdict = "met" if test(a, b) else "NOT met"
                out.append(f"{nic:7} {text}: {verdict} (Skiff {fmt(a)}, "
                           f"Linux {fmt(b)}{target_detail(key, sk, lx)})")
            else:
                why, _ = cell(res, key, "skiff", True)
                out.append(f"{nic:7} {text}: not measured (Skiff: "
                           f"{fmt(why) if not stalled else 'stalled'})")
        ceiling, rate = res.get("reflect_pps"), res.get("skiff", {}).get(
            "http_pps")
        if ceiling and rate:
            out.append(f"{nic:7} HTTP packet rate >= 1/2 of the reflector: "
                       f"{'met' if rate >= ceiling / 2 else 'NOT met'} "
                       f"({fmt(rate)} of {fmt(ceiling)} pkt/s)")
        else:
            out.append(f"{nic:7} HTTP packet rate >= 1/2 of the reflector: "
                       f"not measured")
    kib = results.get("image_kib", {}).get("skiff")
    if kib:
        out.append(f"-       EFI image under 1 MiB: "
                   f"{'met' if kib < 1024 else 'NOT met'} ({kib:.0f} KiB)")
    mm = results.get("min_mem", {}).get("skiff")
    if mm is not None:
        ok = mm in ("<=64",) or (isinstance(mm, int) and mm <= 64) or \
            (isinstance(mm, str) and mm.startswith("<=") and
             int(mm[2:]) <= 64)
        out.append(f"-       serves with -m 64M: {'met' if ok else 'NOT met'}"
                   f" (smallest: {mm} MiB)")
    return out


def report(results, s, stamp=None):
    stamp = stamp or datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")
    table = rows(results, s)
    text = print_table(table, stamp, s, notes(results, s))
    with open(os.path.join(s.out, "results.json"), "w") as f:
        json.dump({"date": stamp, "quick": s.quick, "smoke": s.smoke,
                   "settings": {k: getattr(s, k) for k in (
                       "duration", "warmup", "reps", "conn_cap",
                       "mem_probes", "bulk_limit", "mem")},
                   "results": results, "table": table}, f, indent=1,
                  default=str)
    targets = target_lines(results, s)
    print("Targets of issue 8:\n  " + "\n  ".join(targets), flush=True)
    with open(os.path.join(s.out, "table.txt"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(s.out, "targets.txt"), "w") as f:
        f.write("\n".join(targets) + "\n")
    write_csv(table, os.path.join(s.out, "results.csv"))
    plot(table, s)
    log(f"results: {s.out}/results.csv, results.json, table.txt")


def replot(s):
    """The report again from a saved run (its own settings)."""
    with open(os.path.join(s.out, "results.json")) as f:
        saved = json.load(f)
    results = saved["results"]
    nics = [k for k in results if k not in ("min_mem", "image_kib",
                                             "has_http")]
    s.__init__(argparse.Namespace(
        quick=saved.get("quick", False), smoke=saved.get("smoke", False),
        build=s.build, out=s.out, nics=",".join(nics),
        guests=",".join(s.guests)))
    for k, v in saved.get("settings", {}).items():
        setattr(s, k, v)
    report(results, s, stamp=saved.get("date"))
    return 0


def main(argv):
    a = parse_args(argv)
    s = Settings(a)
    if a.replot:
        return replot(s)
    # Killed (make interrupted, a timeout): unwind, so QEMU is stopped and
    # the namespace deleted by the context managers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    t0 = time.monotonic()
    try:
        results = run(s)
        report(results, s)
    except SystemExit:
        raise
    except Exception as e:  # a benchmark never fails the build
        log(f"benchmark stopped: {type(e).__name__}: {e}")
        return 0
    log(f"done in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
