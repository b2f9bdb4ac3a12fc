"""app=reflect: the L2 reflector (net/reflect.c), on e1000 and virtio-net.

Skiff boots with app=reflect and a static address on a tap in a private
namespace. From the Linux side, raw frames of EtherType 0x88b5 (local
experimental) go to the guest through an AF_PACKET socket: every unicast
frame (60, 61, 200, 1514 bytes, random payloads) comes back with the MACs
swapped and the payload unchanged; a broadcast frame comes back from the
guest's own address; a frame with a multicast source is dropped and
counted. The console still works and `reflect` counts what happened; the
benchmark's packet generator (tests/bench/pktgen.c) gets replies and no
bad ones for one second.
"""

import os
import re
import subprocess

from netns import GUEST_ADDR, NetNS
from skiff_qemu import time_limit

HERE = os.path.dirname(os.path.abspath(__file__))
PKTGEN_SRC = os.path.join(HERE, "..", "bench", "pktgen.c")

FRAMES = r"""
import os, socket, select, sys, time
ETH = 0x88b5
tap, guest = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH))
s.bind((tap, ETH))
me = s.getsockname()[4]
PACKET_IGNORE_OUTGOING = 23
s.setsockopt(263, PACKET_IGNORE_OUTGOING, 1)

def exchange(frame, wait=2.0):
    s.send(frame)
    end = time.time() + wait
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.time()))
        if not r:
            break
        got = s.recv(2048)
        if got[14:] .startswith(frame[14:30]):
            return got
    return None

def head(dst, src):
    return dst + src + ETH.to_bytes(2, "big")

for size in (60, 61, 200, 1514):
    body = b"SKIFFREFLECT" + os.urandom(size - 26)
    frame = head(guest, me) + body
    got = None
    for attempt in range(3):
        got = exchange(frame)
        if got:
            break
    if got is None:
        print("unicast", size, "NO REPLY"); continue
    ok = got[0:6] == me and got[6:12] == guest and got[12:14] == frame[12:14] \
        and got[14:14 + len(body)] == body and len(got) in (size, size + 4)
    print("unicast", size, "ok" if ok else "BAD %s" % got[:32].hex())

body = b"SKIFFBROADCAST" + os.urandom(46)
got = exchange(head(b"\xff" * 6, me) + body)
ok = got is not None and got[0:6] == me and got[6:12] == guest and got[14:74] == body
print("broadcast", "ok" if ok else "BAD %r" % (got and got[:32].hex()))

body = b"SKIFFGROUPSRC" + os.urandom(47)
got = exchange(head(guest, b"\x01\x00\x5e\x00\x00\x01") + body, wait=1.0)
print("groupsrc", "dropped" if got is None else "ANSWERED")
"""


def build_pktgen(t):
    out = os.path.join(t.build, "bench", "pktgen")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-o", out, PKTGEN_SRC],
                   check=True, timeout=60)
    return out


def counters(vm):
    out = vm.cmd("reflect")
    assert "reflect: on" in out, out
    return {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", out)}


def check_reflect(t, nic):
    pktgen = build_pktgen(t)
    with NetNS() as ns:
        vm = t.vm(nic=nic, smp=1, config=f"ip={GUEST_ADDR}/24 app=reflect",
                  **ns.qemu_args())
        m = vm.wait_for(r"skiff: ready ip=\S+ mac=(?P<mac>[0-9a-f:]{17}) .*\n",
                        timeout=90)
        mac = m.group("mac")
        vm.wait_for(r"reflect: on\b", timeout=20, start=0)
        vm.resync()
        before = counters(vm)

        p = ns.python(FRAMES.replace("sys.argv[1]", repr(ns.tap))
                      .replace("sys.argv[2]", repr(mac)), timeout=60)
        lines = p.stdout.split("\n")
        assert p.returncode == 0, p.stdout + p.stderr
        for size in (60, 61, 200, 1514):
            assert f"unicast {size} ok" in lines, p.stdout + p.stderr
        assert "broadcast ok" in lines, p.stdout
        assert "groupsrc dropped" in lines, p.stdout

        after = counters(vm)
        assert after["reflected"] - before["reflected"] >= 5, (before, after)
        assert after["group_dest"] - before["group_dest"] >= 1, (before, after)
        assert after["bad_source"] - before["bad_source"] == 1, (before, after)

        g = ns.run([pktgen, ns.tap, mac, "1", "16"], timeout=30)
        assert g.returncode == 0, g.stdout + g.stderr
        stats = dict(re.findall(r"(\w+)=([\d.]+)", g.stdout))
        assert int(stats["replies"]) > 0, g.stdout
        assert int(stats["bad"]) == 0, g.stdout
        assert 0 < float(stats["p50_us"]) <= float(stats["p99_us"]), g.stdout
        # One echo-sized frame at a time: the latency floor's run.
        w = ns.run([pktgen, ns.tap, mac, "1", "1", "130"], timeout=30)
        assert w.returncode == 0, w.stdout + w.stderr
        one = dict(re.findall(r"(\w+)=([\d.]+)", w.stdout))
        assert int(one["replies"]) > 0 and int(one["bad"]) == 0, w.stdout
        assert 0 < float(one["p50_us"]) <= float(one["p99_us"]), w.stdout
        final = counters(vm)
        assert final["reflected"] - after["reflected"] >= \
            int(stats["replies"]) + int(one["replies"]), \
            (after, final, g.stdout, w.stdout)
        assert "reflect" in vm.cmd("help reflect")


@time_limit(240)
def test_reflect_e1000(t):
    check_reflect(t, "e1000")


@time_limit(240)
def test_reflect_virtio(t):
    check_reflect(t, "virtio")
