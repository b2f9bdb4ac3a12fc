"""The impairment relay (impair.py, the userspace netem) checked end to end.

Skiff boots on virtio-net with its NIC on the relay (QEMU's UDP socket on
the namespace's loopback <-> impair.py <-> the tap; 198.18.0.1 is Linux,
198.18.0.2 is Skiff). Linux gets a permanent neighbour entry for Skiff so
that no ARP frame shares the impairment with the pings. Then, restarting
the relay between steps while the VM runs, ping from Linux shows:

- a clean relay passes every frame (100 of 100 pings; relay counters:
  nothing lost, every frame delivered);
- to_guest.loss=50 roughly halves the replies (35..65 of 100 %), and the
  relay's counters add up (frames = lost + delivered) and agree with ping;
- to_host.duplicate=100 doubles every reply (ping's "+N duplicates");
- delay_ms=40 jitter_ms=10 puts every RTT at 60 ms or more;
- to_guest.corrupt=100 loses every ping, and Skiff counts each corrupted
  frame as an IP header or ICMP checksum error in `nstat`;
- to_host.reorder=50 makes replies arrive out of order (icmp_seq printed
  out of sequence), none lost;
- a bad spec is refused with a message naming the key.
"""

import re

from netns import GUEST_ADDR, NetNS, NetNSError, READY_RE
from skiff_qemu import time_limit


def ping(ns, count, interval, *extra, all_back=True):
    """With all_back, ping waits (up to a deadline) for every reply, so a
    late one on a loaded machine is not taken for a lost one; without,
    it waits two RTTs after the last request (iputils)."""
    wait = ["-w", str(int(count * interval) + 15)] if all_back else \
        ["-W", "2"]
    p = ns.run(["ping", "-n", "-c", str(count), "-i", str(interval), *wait,
                *extra, GUEST_ADDR], timeout=count * interval + 30)
    m = re.search(r"(\d+) packets transmitted, (\d+) received", p.stdout)
    assert m, f"ping printed no summary:\n{p.stdout}{p.stderr}"
    return int(m.group(1)), int(m.group(2)), p.stdout


def nstat(vm):
    out = vm.cmd("nstat -a", timeout=20)
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^(\w+)\s+(\d+)", out, re.M)}


def check_clean(ns):
    sent, got, out = ping(ns, 100, 0.02)
    # ping -w sends until 100 replies are in: on a loaded machine one more
    # may leave before the 100th reply lands; every one must come back.
    assert got == sent >= 100, f"clean relay: {got}/{sent}\n{out}"
    c = ns.stop_impair()
    for d in ("to_guest", "to_host"):
        assert c[d]["frames"] >= 100 and c[d]["lost"] == 0 and \
            c[d]["delivered"] == c[d]["frames"], f"clean relay: {c}"


def check_loss(ns):
    ns.set_impair("to_guest.loss=50 seed=7")
    sent, got, out = ping(ns, 100, 0.02, all_back=False)
    c = ns.stop_impair()
    g, h = c["to_guest"], c["to_host"]
    assert 35 <= got <= 65, f"loss=50: {got}/{sent} answered\n{out}\n{c}"
    assert g["frames"] == g["lost"] + g["delivered"], c
    assert h["lost"] == 0 and h["delivered"] == h["frames"], c
    # Every ping that got through was answered, and only those (give or
    # take an ARP exchange, or a reply later than ping waits for).
    assert got <= g["delivered"] <= got + 5 and h["frames"] >= got, \
        f"relay counters vs ping: {got} replies, {c}"


def check_duplicate(ns):
    ns.set_impair("to_host.duplicate=100")
    sent, got, out = ping(ns, 20, 0.05)
    c = ns.stop_impair()
    # ping stops at the 20th reply, maybe before that one's copy.
    dups = re.search(r"\+(\d+) duplicates", out)
    assert got == 20 and dups and int(dups.group(1)) >= 19, \
        f"duplicate=100:\n{out}"
    h = c["to_host"]
    assert h["duplicated"] == h["frames"] and \
        h["delivered"] == 2 * h["frames"], c


def check_delay(ns):
    ns.set_impair("delay_ms=40 jitter_ms=10")
    sent, got, out = ping(ns, 20, 0.05)
    ns.stop_impair()
    m = re.search(r"rtt min/avg/max/mdev = ([\d.]+)/", out)
    assert got == 20 and m and float(m.group(1)) >= 60.0, \
        f"delay 2 x (40 +- 10) ms: {out}"


def check_corrupt(ns, vm):
    names = ("IpInHdrErrors", "IpExtInTruncatedPkts", "IcmpInCsumErrors")
    before = nstat(vm)
    ns.set_impair("to_guest.corrupt=100 seed=3")
    sent, got, out = ping(ns, 20, 0.05, all_back=False)
    c = ns.stop_impair()
    after = nstat(vm)
    counted = sum(after.get(n, 0) - before.get(n, 0) for n in names)
    assert got == 0, f"corrupt=100: {got} pings answered\n{out}"
    assert c["to_guest"]["corrupted"] == c["to_guest"]["frames"] == 20, c
    assert counted == 20, \
        f"Skiff counted {counted} of 20 corrupted frames: " + \
        ", ".join(f"{n} {after.get(n, 0) - before.get(n, 0)}" for n in names)


def check_reorder(ns):
    ns.set_impair("to_host.reorder=50 to_host.reorder_ms=100 seed=5")
    sent, got, out = ping(ns, 50, 0.01)
    c = ns.stop_impair()
    seqs = [int(s) for s in re.findall(r"icmp_seq=(\d+)", out)]
    late = sum(1 for a, b in zip(seqs, seqs[1:]) if b < a)
    assert got == 50, f"reorder=50 lost replies: {got}/50\n{out}"
    assert late >= 1 and c["to_host"]["reordered"] >= 1, \
        f"reorder=50: replies came back in order ({c})\n{out}"


def check_bad_spec(ns):
    try:
        ns.set_impair("loss=150")
    except NetNSError as e:
        assert "loss: '150' is over 100 %" in str(e), str(e)
    else:
        raise AssertionError("impair.py accepted loss=150")


@time_limit(240)
def test_impair_relay(t):
    with NetNS() as ns:
        vm = t.vm(nic="virtio", smp=2, config=f"ip={GUEST_ADDR}/24",
                  **ns.qemu_args(impair=""))
        try:
            m = vm.wait_for(READY_RE, timeout=90)
            vm.wait_prompt(30)
            ns.run(["ip", "neigh", "replace", GUEST_ADDR, "lladdr",
                    m.group("mac"), "dev", ns.tap, "nud", "permanent"],
                   check=True)
            check_clean(ns)
            check_loss(ns)
            check_duplicate(ns)
            check_delay(ns)
            check_corrupt(ns, vm)
            check_reorder(ns)
            check_bad_spec(ns)
        finally:
            vm.kill()
