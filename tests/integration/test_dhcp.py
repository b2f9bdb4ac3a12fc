"""The DHCP client (RFC 2131) against dnsmasq, on e1000 and virtio-net.

dnsmasq runs in the test's namespace on the tap (198.18.0.1), serving
198.18.0.0/24 with its shortest lease (2 minutes) and T1 = 20 s, T2 = 40 s
sent as options 58/59, so that a renewal (unicast REQUEST at T1, ACK)
happens within the test. A host entry for the VM's MAC gives it a fixed
address (198.18.0.77) and a hostname; router, DNS server and MTU options
come with it. The test checks: the ready line shows the leased address,
Linux pings it, `dhcp` shows the lease, options were applied (`ip route`,
`ip link` mtu), and dnsmasq's log and the console show the renewal; then
`dhcp release` (dnsmasq logs the RELEASE, the address stops answering)
and `dhcp renew` (the lease is back, ping answers).
A conflict test puts the leased address on the Linux side too: the
client's RFC 5227 probe gets Linux's ARP reply, it sends DHCPDECLINE, waits
10 s and starts over; dnsmasq then offers another address from the range,
which binds.
An expiry test (e1000 only, about 150 s) stops dnsmasq once bound: the
client renews at T1 (unicast), rebinds at T2 (broadcast), and at expiry
removes the address and starts over; dnsmasq started again hands the lease
back.
dnsmasq runs in the foreground (--no-daemon), bounded by the test, and is
killed by its own PID.
"""

import os
import re
import subprocess
import tempfile
import time

from netns import HOST_ADDR, NetNS, READY_RE
from skiff_qemu import slow, time_limit

LEASED = "198.18.0.77"
MAC = "52:54:00:12:34:56"  # QEMU's default for the first NIC


class Dnsmasq:
    def __init__(self, ns, workdir):
        self.log = os.path.join(workdir, "dnsmasq.log")
        self.argv = [
            "ip", "netns", "exec", ns.name, "dnsmasq", "--no-daemon",
            "--conf-file=/dev/null", "--port=0", "--log-dhcp",
            f"--pid-file={workdir}/dnsmasq.pid",
            f"--dhcp-leasefile={workdir}/leases",
            f"--interface={ns.tap}", "--bind-interfaces", "--no-ping",
            "--dhcp-authoritative",
            "--dhcp-range=198.18.0.50,198.18.0.99,255.255.255.0,2m",
            f"--dhcp-host={MAC},{LEASED},skiffbox",
            f"--dhcp-option=option:router,{HOST_ADDR}",
            f"--dhcp-option=option:dns-server,{HOST_ADDR}",
            "--dhcp-option=option:mtu,1400",
            "--dhcp-option=option:T1,20",
            "--dhcp-option=option:T2,40",
        ]
        self.proc = None

    def start(self):
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen(self.argv, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        time.sleep(1)
        assert self.proc.poll() is None, f"dnsmasq exited: {self.text()}"

    def text(self):
        with open(self.log) as f:
            return f.read()

    def stop(self):
        # `ip netns exec` execs dnsmasq: the PID is dnsmasq's own.
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc:
            self.out.close()


def wait_log(dns, pattern, count, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if len(re.findall(pattern, dns.text())) >= count:
            return
        time.sleep(0.5)
    raise AssertionError(f"dnsmasq log: wanted {count} x {pattern!r}:\n"
                         f"{dns.text()[-3000:]}")


def check_lease(t, nic):
    with NetNS() as ns, tempfile.TemporaryDirectory() as work:
        dns = Dnsmasq(ns, work)
        dns.start()
        vm = None
        try:
            vm = t.vm(nic=nic, config="ip=dhcp", **ns.qemu_args())
            m = vm.wait_for(READY_RE, timeout=120)
            assert m.group("ip") == LEASED, m.group(0)
            assert m.group("mac") == MAC, m.group(0)
            vm.wait_prompt(30)
            p = ns.run(["ping", "-n", "-c", "3", "-W", "2", LEASED],
                       timeout=30)
            assert " 0% packet loss" in p.stdout, p.stdout + p.stderr

            out = vm.cmd("dhcp", timeout=20)
            assert "state BOUND" in out, out
            assert f"lease {LEASED}/24 from {HOST_ADDR}, 120 s" in out, out
            assert "T1 20 s, T2 40 s" in out, out
            assert f"router {HOST_ADDR} mtu 1400 hostname skiffbox" in out, \
                out
            assert f"dns {HOST_ADDR}" in out, out
            assert re.search(r"renew \(T1\) in \d+ s", out), out
            route = vm.cmd("ip route", timeout=20)
            assert re.search(rf"default via {HOST_ADDR}", route), route
            link = vm.cmd("ip link", timeout=20)
            assert "mtu 1400" in link, link

            # The renewal at T1: a unicast REQUEST with ciaddr, an ACK.
            wait_log(dns, r"DHCPACK\(\w+\) " + re.escape(LEASED), 2, 60)
            vm.wait_for(r"dhcp: eth0: renewed " + re.escape(LEASED),
                        timeout=20)
            log = dns.text()
            assert re.search(r"DHCPREQUEST\(\w+\) " + re.escape(LEASED),
                             log), log
            out = vm.cmd("dhcp", timeout=20)
            assert "state BOUND" in out and "ack 2" in out, out
            p = ns.run(["ping", "-n", "-c", "2", "-W", "2", LEASED],
                       timeout=30)
            assert " 0% packet loss" in p.stdout, p.stdout + p.stderr

            # The operator: `dhcp release` gives the lease back (dnsmasq
            # logs the RELEASE) and the address goes; `dhcp renew` asks
            # again and the lease comes back.
            out = vm.cmd("dhcp release", timeout=20)
            assert f"dhcp: released {LEASED}" in out, out
            wait_log(dns, r"DHCPRELEASE\(\w+\) " + re.escape(LEASED), 1,
                     20)
            out = vm.cmd("dhcp", timeout=20)
            assert "state INIT (released" in out and "release 1;" in out, \
                out
            p = ns.run(["ping", "-n", "-c", "2", "-W", "1", LEASED],
                       timeout=30)
            assert ", 0 received" in p.stdout, p.stdout + p.stderr
            mark = vm.mark()
            out = vm.cmd("dhcp renew", timeout=20)
            assert "dhcp: discovering" in out, out
            vm.wait_for(r"dhcp: eth0: bound " + re.escape(LEASED),
                        timeout=60, start=mark)
            p = ns.run(["ping", "-n", "-c", "2", "-W", "2", LEASED],
                       timeout=30)
            assert " 0% packet loss" in p.stdout, p.stdout + p.stderr
        finally:
            if vm:
                vm.kill()
            dns.stop()


def check_conflict(t, nic):
    with NetNS() as ns, tempfile.TemporaryDirectory() as work:
        ns.run(["ip", "addr", "add", f"{LEASED}/32", "dev", ns.tap],
               check=True)
        dns = Dnsmasq(ns, work)
        dns.start()
        vm = None
        try:
            vm = t.vm(nic=nic, config="ip=dhcp", **ns.qemu_args())
            vm.wait_for(r"offered address in use \(ARP probe\); declining",
                        timeout=120)
            wait_log(dns, r"DHCPDECLINE\(\w+\) " + re.escape(LEASED), 1, 20)
            # dnsmasq marks a declined address and offers another one from
            # the range; that one probes clean.
            m = vm.wait_for(READY_RE, timeout=120)
            octets = m.group("ip").split(".")
            assert m.group("ip") != LEASED, m.group(0)
            assert octets[:3] == ["198", "18", "0"], m.group(0)
            assert 50 <= int(octets[3]) <= 99, m.group(0)
            vm.wait_prompt(30)
            out = vm.cmd("dhcp", timeout=20)
            assert "state BOUND" in out, out
            assert re.search(r"decline [1-9]", out), out
            assert re.search(r"conflicts [1-9]", out), out
        finally:
            if vm:
                vm.kill()
            dns.stop()


def check_expiry(t, nic):
    with NetNS() as ns, tempfile.TemporaryDirectory() as work:
        dns = Dnsmasq(ns, work)
        dns.start()
        vm = None
        try:
            vm = t.vm(nic=nic, config="ip=dhcp", **ns.qemu_args())
            m = vm.wait_for(READY_RE, timeout=120)
            assert m.group("ip") == LEASED, m.group(0)
            vm.wait_prompt(30)
            dns.stop()
            # Renew at T1 and rebind at T2 go unanswered; at 120 s the
            # lease ends.
            vm.wait_for(r"lease of " + re.escape(LEASED) +
                        r"/24 ended; address removed", timeout=150)
            out = vm.cmd("dhcp", timeout=20)
            assert "state SELECTING" in out, out
            assert "expiries 1" in out, out
            assert re.search(r"request [3-9]", out), out  # renew, rebind
            addr = vm.cmd("ip addr", timeout=20)
            assert LEASED not in addr, addr
            mark = vm.mark()
            dns = Dnsmasq(ns, work)
            dns.start()
            vm.wait_for(r"dhcp: eth0: bound " + re.escape(LEASED),
                        timeout=90, start=mark)
            p = ns.run(["ping", "-n", "-c", "2", "-W", "2", LEASED],
                       timeout=30)
            assert " 0% packet loss" in p.stdout, p.stdout + p.stderr
        finally:
            if vm:
                vm.kill()
            dns.stop()


@time_limit(300)
def test_dhcp_e1000(t):
    check_lease(t, "e1000")


@time_limit(300)
def test_dhcp_virtio(t):
    check_lease(t, "virtio")


@time_limit(300)
def test_dhcp_conflict_e1000(t):
    check_conflict(t, "e1000")


@slow  # dnsmasq's shortest lease is 2 min; unit tests cover expiry
@time_limit(360)
def test_dhcp_expiry_e1000(t):
    check_expiry(t, "e1000")
