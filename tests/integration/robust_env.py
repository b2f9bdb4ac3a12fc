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
    heap = re.search(r"heap:\s+(\d+) KiB used", out)
    free = re.search(r"pages:.* (\d+) MiB free", out)
    assert heap and free, f"mem: {out}"
    slabs = {m.group(1): int(m.group(2)) for m in re.finditer(
        r"^\s+(\S+)\s+(\d+)\s+\d+\s+\d+\s+\d+\s+\d+$", out, re.M)}
    return {"heap_kib": int(heap.group(1)), "free_mib": int(free.group(1)),
            "slabs": slabs, "text": out}


def settle_mem(vm, base, slack_kib=1024, timeout=60):
    """Wait until the heap's break, free pages and every slab cache's
    active objects are back within a small slack of base."""
    end = time.monotonic() + timeout
    while True:
        now = mem(vm)
        grown = {k: v - base["slabs"].get(k, 0)
                 for k, v in now["slabs"].items()
                 if v > base["slabs"].get(k, 0) + 16}
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
