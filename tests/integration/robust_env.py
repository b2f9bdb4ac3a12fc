"""robust_env.py - what the robustness suites (test_malformed.py,
test_flood.py, test_soak.py) share: one namespace, VM and packet lab per
test file, counter readers for the console, and the "still serving?"
check.

    e, vm = Env.get(t, "malformed", dhcp=True)   # booted once per file
    before = nstat(vm); ...; check_alive(e, vm)

Env.get boots the file's VM through the runner's shared-VM pool (so a VM
that died is rebooted, and the pool kills it at the end) inside a
namespace the Env creates; with dhcp=True dnsmasq in the namespace leases
198.18.0.2 to it for 12 h. The namespace, dnsmasq and the lab process end
when the runner exits (atexit), each by its own PID.
"""

import atexit
import os
import re
import subprocess
import tempfile
import time

from netns import GUEST_ADDR, NetNS, READY_RE
from pktlab import PHANTOM, PacketLab

MAC = "52:54:00:12:34:56"  # QEMU's default for the first NIC


class Env:
    """A test file's namespace, dnsmasq, VM and packet lab."""

    _all = {}

    @classmethod
    def get(cls, t, name, dhcp=False, **vm_args):
        """The Env called name, created on first use; its VM attached."""
        e = cls._all.get(name)
        if e is None:
            e = cls._all[name] = cls(dhcp, vm_args)
        return e, e.attach(t)

    def __init__(self, dhcp, vm_args):
        self.ns = NetNS()
        self.ns.create()
        self.dir = tempfile.mkdtemp(prefix="skiff-robust-")
        self.dnsmasq = None
        self.lab = None
        self.vm = None
        self.vm_pid = None
        self.vm_args = dict(nic="e1000", smp=2,
                            config="ip=dhcp" if dhcp
                            else f"ip={GUEST_ADDR}/24")
        self.vm_args.update(vm_args)
        atexit.register(self.close)
        if dhcp:
            self.start_dnsmasq()

    def start_dnsmasq(self):
        argv = ["ip", "netns", "exec", self.ns.name, "dnsmasq",
                "--no-daemon", "--conf-file=/dev/null", "--port=0",
                f"--dhcp-leasefile={self.dir}/leases",
                f"--pid-file={self.dir}/dnsmasq.pid",
                f"--interface={self.ns.tap}", "--bind-interfaces",
                "--no-ping", "--dhcp-authoritative",
                f"--dhcp-range={GUEST_ADDR},{GUEST_ADDR},255.255.255.0,12h",
                f"--dhcp-host={MAC},{GUEST_ADDR}"]
        self.dnsmasq_log = open(os.path.join(self.dir, "dnsmasq.log"), "w")
        self.dnsmasq = subprocess.Popen(argv, stdout=self.dnsmasq_log,
                                        stderr=subprocess.STDOUT)

    def attach(self, t):
        """The shared VM at its prompt, with its lease and the lab ready."""
        vm = t.shared_vm(**self.vm_args, **self.ns.qemu_args())
        if vm.pid != self.vm_pid:  # first use, or rebooted after a death
            m = vm.wait_for(READY_RE, timeout=90, start=0)
            assert m.group("ip") == GUEST_ADDR, m.group(0)
            vm.resync()  # a fresh prompt, wherever the ready line fell
            if self.lab is None:
                self.lab = PacketLab(self.ns, m.group("mac"))
            tap_mac = self.lab.run("result = TAP_MAC")
            out = vm.cmd(f"ip neigh add {PHANTOM} lladdr {tap_mac} dev eth0")
            assert out.strip() == "", f"ip neigh add: {out}"
            self.vm, self.vm_pid = vm, vm.pid
        return vm

    def close(self):
        if self.lab:
            self.lab.close()
            self.lab = None
        if self.dnsmasq and self.dnsmasq.poll() is None:
            self.dnsmasq.terminate()  # its own PID: ip netns exec execs it
            self.dnsmasq.wait(timeout=10)
        self.ns.delete()


# ---- reading counters ------------------------------------------------------

def nstat(vm):
    out = vm.cmd("nstat -a", timeout=20)
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^(\w+)\s+(\d+)", out, re.M)}


def arp_stats(vm):
    out = vm.cmd("ip -s -s neigh", timeout=20)
    m = re.search(r"arp_cache: (.*)\n\s*rx: (.*)", out)
    assert m, f"ip -s -s neigh printed no table statistics:\n{out}"
    words = (m.group(1) + " " + m.group(2)).split()
    return {words[i]: int(words[i + 1]) for i in range(0, len(words) - 1, 2)}


def ipfrag(vm):
    out = vm.cmd("ipfrag", timeout=20)
    m = re.search(r"FRAG: inuse (\d+) memory (\d+) evicted (\d+)", out)
    assert m, f"ipfrag: {out}"
    return {"inuse": int(m.group(1)), "memory": int(m.group(2)),
            "evicted": int(m.group(3))}


def dhcp_state(vm):
    out = vm.cmd("dhcp", timeout=20)
    m = re.search(r"state (\w+) xid 0x([0-9a-f]+)", out)
    ign = re.search(r"ignored (\d+)", out)
    lease = re.search(r"lease ([\d./]+) from ([\d.]+)", out)
    assert m and ign and lease, f"dhcp: {out}"
    return {"state": m.group(1), "xid": int(m.group(2), 16),
            "ignored": int(ign.group(1)), "lease": lease.group(1)}


def rose(before, after, name):
    return after.get(name, 0) - before.get(name, 0)


def check_rose(before, after, want):
    """Every counter in want rose by at least its value."""
    bad = {k: rose(before, after, k) for k, n in want.items()
           if rose(before, after, k) < n}
    assert not bad, (f"counters did not rise enough: got {bad}, want "
                     f"{want}\nafter: {after}")


def check_tcp_rose(before, after, want):
    """TCP counters, when nstat shows them (not yet on every branch)."""
    if "TcpInSegs" in after:
        check_rose(before, after, want)


# ---- is it still serving? ---------------------------------------------------

ALIVE = f"""
import socket, subprocess
p = subprocess.run(["ping", "-n", "-c", "3", "-i", "0.2", "-W", "2",
                    GUEST], capture_output=True, text=True, timeout=30)
ping = p.stdout.count("bytes from")
s = socket.create_connection((GUEST, 7), timeout=10)
s.sendall(b"still alive?")
tcp = b""
while len(tcp) < 12:
    b = s.recv(100)
    if not b:
        break
    tcp += b
s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.sendto(b"udp alive?", (GUEST, 7))
try:
    udp = u.recvfrom(100)[0]
except socket.timeout:
    udp = b""
u.close()
result = [ping, tcp.decode(), udp.decode()]
"""


def check_alive(e, vm):
    ping, tcp, udp = e.lab.run(ALIVE, timeout=60)
    assert ping == 3, f"ping after the test: {ping}/3 answered"
    assert tcp == "still alive?", f"TCP echo after the test: {tcp!r}"
    assert udp == "udp alive?", f"UDP echo after the test: {udp!r}"
    assert "up " in vm.cmd("uptime")


def mem(vm):
    """From `mem`: the heap's break in KiB (newlib's malloc grows it and
    gives back only its top, so it measures the high-water mark: a leak
    under steady load keeps raising it), free pages, and each slab
    cache's active objects."""
    out = vm.cmd("mem", timeout=20)
    heap = re.search(r"heap:\s+(\d+) KiB used of (\d+) MiB", out)
    free = re.search(r"pages:.* (\d+) MiB free", out)
    assert heap and free, f"mem: {out}"
    slabs = {m.group(1): int(m.group(2)) for m in re.finditer(
        r"^\s+(\S+)\s+(\d+)\s+\d+\s+\d+\s+\d+\s+\d+$", out, re.M)}
    return {"heap_kib": int(heap.group(1)), "free_mib": int(free.group(1)),
            "heap_limit_mib": int(heap.group(2)), "slabs": slabs,
            "text": out}


TCP_CHUNK_KIB = 2  # TCP_CHUNK_BYTES: the tcp_chunk slab's object


def tcp_mem_limit_mib(vm):
    """tcp.mem as the kernel computed it (its boot line)."""
    m = vm.find(r"tcp: \d+ established buckets, memory limit (\d+) MiB")
    assert m, "no tcp init line in the boot log"
    return int(m.group(1))


def check_caps(vm, now, tcp_limit_mib, what=""):
    """Memory within its caps: the heap's break under its limit, TCP's
    chunks under tcp.mem, and pages left free."""
    assert now["heap_kib"] <= now["heap_limit_mib"] * 1024, \
        f"{what}heap over its cap:\n{now['text']}"
    chunks_kib = now["slabs"].get("tcp_chunk", 0) * TCP_CHUNK_KIB
    assert chunks_kib <= tcp_limit_mib * 1024, \
        f"{what}TCP buffers {chunks_kib} KiB over tcp.mem " \
        f"{tcp_limit_mib} MiB:\n{now['text']}"
    assert now["free_mib"] > 0, f"{what}no free pages left:\n{now['text']}"


def settle_mem(vm, base, slack_kib=1024, timeout=60, allow=None):
    """Wait until the heap's break, free pages and every slab cache's
    active objects are back within a small slack of base. `allow` lets
    some caches stay higher by a bound: {"tcp_sock": 300} for a test whose
    300 connections the server closed, each in TIME-WAIT for 60 s (`ss`
    lists only sockets an app holds, so it cannot count them)."""
    allow = allow or {}
    end = time.monotonic() + timeout
    while True:
        now = mem(vm)
        grown = {k: v - base["slabs"].get(k, 0)
                 for k, v in now["slabs"].items()
                 if v > base["slabs"].get(k, 0) + 16 + allow.get(k, 0)}
        if now["heap_kib"] <= base["heap_kib"] + slack_kib and \
                now["free_mib"] >= base["free_mib"] - 2 and not grown:
            return now
        if time.monotonic() > end:
            raise AssertionError(
                f"memory not back at baseline after {timeout} s: heap "
                f"{base['heap_kib']} -> {now['heap_kib']} KiB, free pages "
                f"{base['free_mib']} -> {now['free_mib']} MiB, slab "
                f"objects grown {grown}\n{now['text']}")
        time.sleep(3)


def httpd_stats(vm):
    """The `httpd` console command's counters: active, idle, accepted,
    refused, timeouts_header/idle/write, parse_errors, and responses by
    status ({"408": n, ...})."""
    out = vm.cmd("httpd", timeout=20)
    c = re.search(r"connections: (\d+) active \((\d+) idle\), (\d+) "
                  r"accepted, (\d+) refused", out)
    t = re.search(r"timeouts: header (\d+), idle (\d+), write (\d+); parse "
                  r"errors (\d+)", out)
    r = re.search(r"responses:(.*)", out)
    assert c and t and r, f"httpd: {out}"
    st = dict(zip(("active", "idle", "accepted", "refused"),
                  map(int, c.groups())))
    st.update(zip(("timeouts_header", "timeouts_idle", "timeouts_write",
                   "parse_errors"), map(int, t.groups())))
    st["responses"] = {k: int(v) for k, v in
                       re.findall(r"(\d+)=(\d+)", r.group(1))}
    return st


HTTP_GET = """
import socket
def http_get(path="/", timeout=20):
    s = socket.create_connection((GUEST, 80), timeout=timeout)
    s.sendall(b"GET %s HTTP/1.1\\r\\nHost: s\\r\\nConnection: close\\r\\n\\r\\n"
              % path.encode())
    r = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        r += b
    s.close()
    head, _, body = r.partition(b"\\r\\n\\r\\n")
    line = head.split(b"\\r\\n")[0].split()
    return int(line[1]) if len(line) > 1 else 0, len(body)
"""


def check_http(e):
    """HTTP still answers: GET / is a 200 with a body."""
    status, n = e.lab.run(HTTP_GET + "result = http_get()", timeout=60)
    assert status == 200 and n > 0, f"GET / after the test: {status}, {n} B"


def under_watch(vm, fn, what, every=2.0):
    """Run fn() in a thread while polling `mem` on the console every
    `every` s: memory must stay within its caps (check_caps) throughout.
    Returns (fn's result, peaks) with peaks = {"heap_kib", "min_free_mib",
    and each slab cache's most active objects}."""
    import threading
    tcp_limit = tcp_mem_limit_mib(vm)
    out = {}

    def run():
        try:
            out["r"] = fn()
        except BaseException as x:  # re-raised below
            out["error"] = x

    th = threading.Thread(target=run)
    th.start()
    peaks = {"heap_kib": 0, "min_free_mib": 1 << 30, "polls": 0}
    try:
        while th.is_alive():
            th.join(every)
            now = mem(vm)
            peaks["polls"] += 1
            check_caps(vm, now, tcp_limit, f"during {what}: ")
            peaks["heap_kib"] = max(peaks["heap_kib"], now["heap_kib"])
            peaks["min_free_mib"] = min(peaks["min_free_mib"],
                                        now["free_mib"])
            for k, v in now["slabs"].items():
                peaks[k] = max(peaks.get(k, 0), v)
    finally:
        th.join()
    if "error" in out:
        raise out["error"]
    return out["r"], peaks
