"""UDP and the echo service (RFC 862) on e1000, e1000e and virtio-net.

Skiff boots with the NIC on a tap in a private namespace (198.18.0.1 is
Linux, 198.18.0.2 is Skiff). From the Linux side: socat and nc -u round
trips through UDP echo on port 7; datagrams of 1, 1472, 8000 (fragmented
both ways) and 65507 bytes come back byte-exact; a burst of 300 paced
datagrams all come back; a closed port answers ICMP port unreachable; a
datagram with a bad checksum is counted (UdpInCsumErrors) and not echoed,
one with a zero checksum is echoed; `ss -uan` lists the echo socket and
nstat's Udp counters match the traffic.
"""

import re
import time

from netns import GUEST_ADDR, HOST_ADDR, NetNS, PYTHON, READY_RE
from skiff_qemu import time_limit

ECHO_PORT = 7


def boot(t, ns, nic):
    vm = t.vm(nic=nic, smp=2, config=f"ip={GUEST_ADDR}/24",
              **ns.qemu_args())
    m = vm.wait_for(READY_RE, timeout=90)
    assert m.group("ip") == GUEST_ADDR, m.group(0)
    assert int(m.group("echo")) == ECHO_PORT, m.group(0)
    vm.wait_prompt(30)
    return vm, m.group("mac")


def nstat(vm):
    out = vm.cmd("nstat -a", timeout=20)
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^(\w+)\s+(\d+)", out, re.M)}


def check_socat(ns):
    p = ns.run(["socat", "-t", "3", "-T", "3", "-",
                f"UDP:{GUEST_ADDR}:{ECHO_PORT}"],
               input="hello from socat\n", timeout=20)
    assert p.stdout == "hello from socat\n", \
        f"socat: {p.stdout!r} {p.stderr!r}"


def check_nc(ns):
    p = ns.run(["nc", "-u", "-w", "2", GUEST_ADDR,
                str(ECHO_PORT)], input="hello from nc\n", timeout=20)
    assert "hello from nc" in p.stdout, f"nc -u: {p.stdout!r} {p.stderr!r}"


SIZES = f"""
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect(("{GUEST_ADDR}", {ECHO_PORT}))
for size in (0, 1, 1472, 8000, 65507):
    data = os.urandom(size)
    for attempt in range(3):
        s.send(data)
        try:
            got = s.recv(70000)
            break
        except socket.timeout:
            got = None
    print(size, "ok" if got == data else "BAD %r" % (None if got is None else len(got)))
"""

BURST = f"""
import os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.settimeout(3)
s.connect(("{GUEST_ADDR}", {ECHO_PORT}))
sent = {{}}
for i in range(300):
    d = i.to_bytes(4, "big") + os.urandom(i % 900)
    sent[i] = d
    s.send(d)
    if i % 16 == 15:
        time.sleep(0.02)
got = 0
try:
    while got < 300:
        d = s.recv(2000)
        if sent.get(int.from_bytes(d[:4], "big")) == d:
            got += 1
except socket.timeout:
    pass
print("echoed", got)
"""


CSUM = f"""
import socket, sys
from scapy.all import Ether, IP, UDP, Raw, sendp, sniff, conf, get_if_hwaddr
conf.verb = 0
dst, tap = sys.argv[1], sys.argv[2]
eth = Ether(src=get_if_hwaddr(tap), dst=dst)
good = bytes(eth / IP(src="{HOST_ADDR}", dst="{GUEST_ADDR}") /
             UDP(sport=41000, dport={ECHO_PORT}) / Raw(b"badsum"))
bad = bytearray(good); bad[-1] ^= 0xff        # payload changed, sum kept
zero = eth / IP(src="{HOST_ADDR}", dst="{GUEST_ADDR}") / \\
    UDP(sport=41001, dport={ECHO_PORT}, chksum=0) / Raw(b"zerosum")
got = sniff(iface=tap, timeout=4, count=1,
            lfilter=lambda p: UDP in p and p[UDP].dport in (41000, 41001),
            started_callback=lambda: (sendp(Ether(bytes(bad)), iface=tap),
                                      sendp(zero, iface=tap)))
print("replies", [(p[UDP].dport, bytes(p[UDP].payload)) for p in got])
"""


def check_sizes(ns):
    p = ns.python(SIZES, timeout=60)
    lines = p.stdout.split("\n")
    for size in (0, 1, 1472, 8000, 65507):
        assert f"{size} ok" in lines, \
            f"echo of {size} bytes:\n{p.stdout}{p.stderr}"


def check_burst(ns):
    p = ns.python(BURST, timeout=60)
    m = re.search(r"echoed (\d+)", p.stdout)
    assert m and int(m.group(1)) == 300, f"burst: {p.stdout}{p.stderr}"


def check_unreachable(ns):
    got = ns.udp_probe(GUEST_ADDR, 4444)
    assert got == "port unreachable", f"UDP probe to a closed port: {got}"


def check_checksums(ns, vm, mac):
    before = nstat(vm)
    p = ns.run([PYTHON, "-c", CSUM, mac, ns.tap], timeout=30)
    assert "replies [(41001, b'zerosum')]" in p.stdout, \
        f"checksum probes: {p.stdout}{p.stderr}"
    after = nstat(vm)
    rose = after.get("UdpInCsumErrors", 0) - before.get("UdpInCsumErrors", 0)
    assert rose == 1, f"UdpInCsumErrors {before} -> {after}"


def check_ss_and_counters(vm, base):
    out = vm.cmd("ss -uan", timeout=20)
    assert re.search(rf"UNCONN\s+0\s+0\s+0\.0\.0\.0:{ECHO_PORT}\s", out), \
        f"ss -uan:\n{out}"
    now = nstat(vm)

    def rose(name):
        return now.get(name, 0) - base.get(name, 0)
    # socat 1 + nc 1 + sizes >= 5 + burst 300 + zero-checksum 1.
    assert rose("UdpInDatagrams") >= 308, (base, now)
    assert rose("UdpOutDatagrams") == rose("UdpInDatagrams"), (base, now)
    assert rose("UdpNoPorts") >= 1, (base, now)
    assert now.get("UdpRcvbufErrors", 0) == 0, now


def run_all(t, nic):
    with NetNS() as ns:
        vm, mac = boot(t, ns, nic)
        try:
            base = nstat(vm)
            check_socat(ns)
            check_nc(ns)
            check_sizes(ns)
            check_burst(ns)
            check_unreachable(ns)
            check_checksums(ns, vm, mac)
            check_ss_and_counters(vm, base)
        finally:
            vm.kill()


@time_limit(300)
def test_e1000(t):
    run_all(t, "e1000")


@time_limit(300)
def test_e1000e(t):
    run_all(t, "e1000e")


@time_limit(300)
def test_virtio(t):
    run_all(t, "virtio")
