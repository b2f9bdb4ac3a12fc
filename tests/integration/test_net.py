"""The NICs and the IPv4 core, for each of e1000, e1000e and virtio-net.

Each test boots Skiff with the NIC on a tap in a private namespace
(198.18.0.1 is Linux, 198.18.0.2 is Skiff) and checks, from real Linux
tools: the ready line, ping (plain, 8000 and 65000 bytes: fragments both
ways, and a flood), arping, the appliance's own ping, ICMP port
unreachable for a closed UDP port, crafted bad frames counted and dropped
while ping keeps working, and that the appliance's RX counters match what
the tap sent.
"""

import re
import time

from netns import GUEST_ADDR, HOST_ADDR, NetNS, PYTHON, READY_RE
from skiff_qemu import time_limit


def boot(t, ns, nic, smp=2):
    vm = t.vm(nic=nic, smp=smp, config=f"ip={GUEST_ADDR}/24",
              **ns.qemu_args())
    m = vm.wait_for(READY_RE, timeout=90)
    assert m.group("ip") == GUEST_ADDR, m.group(0)
    vm.wait_prompt(30)
    return vm, m.group("mac")


def ping(ns, *args, timeout=120):
    p = ns.run(["ping", "-n", *args, GUEST_ADDR], timeout=timeout)
    m = re.search(r"(\d+) packets transmitted, (\d+) received", p.stdout)
    assert m, f"ping {args} printed no summary:\n{p.stdout}{p.stderr}"
    return int(m.group(1)), int(m.group(2)), p.stdout


def check_ping(ns):
    sent, got, out = ping(ns, "-c", "20", "-i", "0.2", "-W", "2")
    assert sent == 20 and got == 20, f"ping -c 20: {got}/{sent}\n{out}"


def check_fragments(ns):
    for size, count in ((8000, 3), (65000, 2)):
        sent, got, out = ping(ns, "-c", str(count), "-s", str(size),
                              "-W", "5", "-i", "0.5")
        assert got == sent == count, f"ping -s {size}: {got}/{sent}\n{out}"


def check_flood(ns):
    sent, got, out = ping(ns, "-f", "-c", "5000", "-W", "1", timeout=240)
    assert sent == 5000 and got >= 4995, \
        f"ping -f -c 5000: {got}/{sent} answered (need 99.9 %)\n{out}"


def check_arping(ns, mac):
    """Every ARP probe arping sends is answered with Skiff's MAC. arping
    also counts Skiff's own ARP requests for the host (its neighbour entry
    revalidated in Linux's PROBE state) as responses, and with -w
    it stops once it has -c responses: each such request can cut off the
    reply to the last probe. So: replies plus Skiff's requests cover the
    probes, and at least two probes were answered."""
    p = ns.run(["arping", "-c", "3", "-w", "10", "-I", ns.tap, GUEST_ADDR],
               timeout=30)
    replies = re.findall(r"reply from [\d.]+ \[([0-9A-Fa-f:]{17})\]",
                         p.stdout)
    requests = re.findall(r"request from [\d.]+ \[([0-9A-Fa-f:]{17})\]",
                          p.stdout)
    sent = re.search(r"Sent (\d+) probes", p.stdout)
    assert sent and int(sent.group(1)) >= 1, f"arping: {p.stdout}{p.stderr}"
    assert len(replies) >= 2 and \
        len(replies) + len(requests) >= int(sent.group(1)), \
        f"arping: {len(replies)} replies to {sent.group(1)} probes\n{p.stdout}"
    assert all(r.lower() == mac for r in replies + requests), (replies, mac)


def check_guest_ping(vm):
    out = vm.cmd(f"ping -c 3 {HOST_ADDR}", timeout=40)
    assert re.search(r"3 packets transmitted, 3 (packets )?received", out), \
        f"appliance ping:\n{out}"


def check_udp_unreachable(ns):
    got = ns.udp_probe(GUEST_ADDR, 9)
    assert got == "port unreachable", f"UDP probe to a closed port: {got}"


CRAFTED = f"""
import sys
from scapy.all import Ether, IP, ICMP, Raw, sendp, conf, get_if_hwaddr
conf.verb = 0
dst = sys.argv[1]
src = get_if_hwaddr("{{tap}}")
eth = Ether(src=src, dst=dst)
good = IP(src="{HOST_ADDR}", dst="{GUEST_ADDR}") / ICMP() / (b"x" * 32)
frames = []
bad = bytearray(bytes(eth / good)); bad[14 + 10] ^= 0xff     # checksum
frames.append(bytes(bad))
bad = bytearray(bytes(eth / good)); bad[14] = 0x44           # IHL 4
frames.append(bytes(bad))
bad = bytearray(bytes(eth / good)); bad[14 + 2:14 + 4] = (1400).to_bytes(2, "big")
frames.append(bytes(bad))                                    # tot_len > frame
frames.append(bytes(eth / good)[:14 + 12])                   # truncated header
p1 = eth / IP(src="{HOST_ADDR}", dst="{GUEST_ADDR}", id=77, flags="MF", frag=0, proto=1) / Raw(b"A" * 64)
p2 = eth / IP(src="{HOST_ADDR}", dst="{GUEST_ADDR}", id=77, frag=4, proto=1) / Raw(b"B" * 64)
frames += [bytes(p1), bytes(p2)]                             # overlap at 32
for f in frames:
    sendp(Ether(f), iface="{{tap}}")
print("sent", len(frames))
"""


def nstat(vm):
    out = vm.cmd("nstat -a", timeout=20)
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^(\w+)\s+(\d+)", out, re.M)}


def check_crafted(ns, vm, mac):
    before = nstat(vm)
    p = ns.run([PYTHON, "-c", CRAFTED.replace("{tap}", ns.tap), mac],
               timeout=60)
    assert "sent 6" in p.stdout, f"scapy: {p.stdout}{p.stderr}"
    time.sleep(1)
    after = nstat(vm)

    def rose(name):
        return after.get(name, 0) - before.get(name, 0)
    hdr = rose("IpInHdrErrors") + rose("IpExtInTruncatedPkts")
    assert hdr >= 4, f"bad headers not counted: {before} -> {after}"
    assert rose("IpReasmFails") >= 1, f"overlap not counted: {after}"
    sent, got, out = ping(ns, "-c", "3", "-i", "0.3", "-W", "2")
    assert got == 3, f"ping after crafted frames: {got}/3\n{out}"


def rx_packets(vm):
    out = vm.cmd("ip -s link show eth0", timeout=20)
    m = re.search(r"RX:.*\n\s*(\d+)\s+(\d+)", out)
    assert m, f"ip -s link: no RX line:\n{out}"
    return int(m.group(2))


def counters_now(ns, vm):
    """(frames the tap sent, frames the appliance counted) at this moment."""
    return ns.tap_stat("tx_packets"), rx_packets(vm)


def check_counters(ns, vm, base):
    """Every frame Linux sent since `base` was counted by the appliance
    (firmware may send frames before Skiff boots, so compare deltas)."""
    time.sleep(1)
    tap_tx, rx = counters_now(ns, vm)
    sent, counted = tap_tx - base[0], rx - base[1]
    assert sent > 5000 and counted == sent, \
        f"tap sent {sent} frames since boot, appliance counted {counted}"


def run_all(t, nic):
    with NetNS() as ns:
        vm, mac = boot(t, ns, nic)
        try:
            base = counters_now(ns, vm)
            check_ping(ns)
            check_arping(ns, mac)
            check_guest_ping(vm)
            check_udp_unreachable(ns)
            check_fragments(ns)
            check_crafted(ns, vm, mac)
            check_flood(ns)
            check_counters(ns, vm, base)
        finally:
            vm.kill()


@time_limit(600)
def test_e1000(t):
    run_all(t, "e1000")


@time_limit(600)
def test_e1000e(t):
    run_all(t, "e1000e")


@time_limit(600)
def test_virtio(t):
    run_all(t, "virtio")
