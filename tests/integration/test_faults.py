"""Faults (issue 9): HTTP downloads and TCP echo round trips under each
netem profile, through the impairment relay (impair.py: this kernel has
no sch_netem), with every byte checked by SHA-256.

Skiff boots on virtio-net with its NIC on the relay (QEMU's UDP socket
on the namespace's loopback <-> impair.py <-> the tap; 198.18.0.1 is
Linux, 198.18.0.2 is Skiff). Each profile impairs both directions:

    loss       10 % of the frames dropped
    reorder    50 % of the frames held back behind 1..3 later ones
               (or 50 ms)
    duplicate  5 % of the frames sent twice
    corrupt    2 % of the frames with one byte flipped past the
               Ethernet header
    delay      50 ms with 20 ms of jitter (frames overtake each other)
    all        all of the above at once

For each profile the relay is restarted with it (the VM keeps running)
and, at the same time, one client fetches /bytes/N (checked against the
known pattern's SHA-256) and another sends M random bytes through the
echo port (TCP 7) and reads them back (SHA-256 of both sides). Then the
relay is made clean again and the guest must still answer ping and HTTP,
have logged no panic, hold no TCP connection but its listeners, and have
its heap, free pages and slab objects back at the baseline taken before
the first profile. The relay's counters must show the profile's
impairment happened in both directions.

Issue 9's sizes, N = 64 MiB and M = 16 MiB, one test (and one boot) per
profile: `make test` runs the five single profiles at these sizes and the
combined one at an eighth of them (8 MiB and 2 MiB); the combined one at
full size is in the slow tier (`make test SLOW=1`; see the note at
full()). With RACK, PRR and undo (issue 9), on the shared machine with
two to four other VMs running: duplicate 10 s, corrupt 18 s, reorder
12 s, loss 105 s, delay 54 s, all 1,595 s (42 KB/s, near what 10 % loss
each way allows); before that work 4 s, 42 s, 152 s, 393 s, 801 s and
32 minutes. SKIFF_FAULT_HTTP_MIB / SKIFF_FAULT_ECHO_MIB override the
full sizes (for measuring). The VM runs with http.write_timeout=120 (see
WRITE_TIMEOUT).
"""

import json
import os
import re
import time

from netns import GUEST_ADDR, PYTHON, READY_RE, NetNS
from robust_env import mem, settle_mem
from skiff_qemu import slow, time_limit, waits
from test_http import pattern_sha

MIB = 1 << 20
HERE = os.path.dirname(os.path.abspath(__file__))  # httpc.py's directory
# The client gives up on a connection that moves no byte for this long;
# the worst RTO backoff these profiles produce is a few seconds.
IO_TIMEOUT = 120
HTTP_PORT = 80
ECHO_PORT = 7

PROFILES = {
    "loss": "loss=10",
    "reorder": "reorder=50",
    "duplicate": "duplicate=5",
    "corrupt": "corrupt=2",
    "delay": "delay_ms=50 jitter_ms=20",
    "all": "loss=10 reorder=50 duplicate=5 corrupt=2 delay_ms=50 "
           "jitter_ms=20",
}
# What the relay must have done in each direction for each profile.
EVIDENCE = {
    "loss": ("lost",),
    "reorder": ("reordered",),
    "duplicate": ("duplicated",),
    "corrupt": ("corrupted",),
    "delay": (),
    "all": ("lost", "reordered", "duplicated", "corrupted"),
}
SEEDS = {name: i + 11 for i, name in enumerate(PROFILES)}

# Both transfers at once, each in its own thread; one JSON line out.
CLIENT = """
import hashlib, json, os, socket, sys, threading, time
sys.path.insert(0, {here!r})
import httpc
GUEST, HTTP_N, ECHO_N, IO = {addr!r}, {http_n}, {echo_n}, {io}
httpc.TIMEOUT = IO
out = {{}}

def download():
    t0 = time.time()
    try:
        out["http"] = httpc.cmd_download(GUEST, {http_port},
                                         "/bytes/%d" % HTTP_N)
    except OSError as e:
        out["http"] = {{"error": repr(e)}}
    out["http"]["seconds"] = round(time.time() - t0, 1)

def echo():
    t0 = time.time()
    data = os.urandom(ECHO_N)
    got = hashlib.sha256()
    n = [0]
    try:
        s = socket.create_connection((GUEST, {echo_port}), timeout=IO)
        def reader():
            try:
                while n[0] < ECHO_N:
                    b = s.recv(1 << 16)
                    if not b:
                        break
                    got.update(b)
                    n[0] += len(b)
            except OSError as e:
                out["echo_reader"] = repr(e)
        r = threading.Thread(target=reader)
        r.start()
        # Not sendall: its timeout bounds the whole call, this one each
        # send (IO is an idle limit, like the reader's).
        view, off = memoryview(data), 0
        while off < ECHO_N:
            off += s.send(view[off:off + 65536])
        r.join()
        s.close()
        out["echo"] = {{"length": n[0], "match": n[0] == ECHO_N and
                        got.digest() == hashlib.sha256(data).digest()}}
    except OSError as e:
        out["echo"] = {{"error": repr(e), "length": n[0]}}
    out["echo"]["seconds"] = round(time.time() - t0, 1)

threads = [threading.Thread(target=f) for f in (download, echo)]
for th in threads:
    th.start()
for th in threads:
    th.join()
print(json.dumps(out))
"""


# Under "all", one segment (or its ACK) lost 7 times in a row backs TCP's
# retransmission timer off past 30 s; the default http.write_timeout (30 s
# without progress) then aborts the download with a RST, as it would a
# reader that stopped. The test is about the bytes, so it waits longer.
WRITE_TIMEOUT = 120


def boot(t, ns):
    vm = t.vm(nic="virtio", smp=2,
              config=f"ip={GUEST_ADDR}/24 http.write_timeout={WRITE_TIMEOUT}",
              **ns.qemu_args(impair=""))
    m = vm.wait_for(READY_RE, timeout=90)
    assert m.group("ip") == GUEST_ADDR, m.group(0)
    vm.wait_prompt(30)
    return vm


def transfer(ns, http_n, echo_n, limit):
    """Both transfers at once; returns the client's results."""
    code = CLIENT.format(here=HERE, addr=GUEST_ADDR, http_n=http_n,
                         echo_n=echo_n, io=IO_TIMEOUT, http_port=HTTP_PORT,
                         echo_port=ECHO_PORT)
    p = ns.run([PYTHON, "-c", code], timeout=limit)
    assert p.returncode == 0 and p.stdout.strip(), \
        f"client: {p.stdout}{p.stderr}"
    r = json.loads(p.stdout.strip().splitlines()[-1])
    r["http"]["match"] = r["http"].get("sha256") == pattern_sha(http_n)
    return r


HEALTH = """
import socket, subprocess
p = subprocess.run(["ping", "-n", "-c", "3", "-i", "0.2", "-W", "2",
                    GUEST], capture_output=True, text=True, timeout=30)
s = socket.create_connection((GUEST, 80), timeout=20)
s.sendall(b"GET / HTTP/1.1\\r\\nHost: s\\r\\nConnection: close\\r\\n\\r\\n")
r = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    r += b
print(p.stdout.count("bytes from"), r.split(b"\\r\\n")[0].decode())
"""


def check_healthy(ns, vm, base, mark, name):
    """On a clean link again: ping and HTTP answer, no panic since mark,
    no connection left but the listeners, memory back at base."""
    ns.set_impair("")
    p = ns.run([PYTHON, "-c", HEALTH.replace("GUEST", repr(GUEST_ADDR))],
               timeout=90)
    assert p.stdout.strip() == "3 HTTP/1.1 200 OK", \
        f"after {name}: ping/HTTP: {p.stdout}{p.stderr}"
    panic = vm.panic_text(mark)
    assert panic is None, f"after {name}: {panic}"
    # A FIN lost at the very end is retransmitted with backoff.
    end = time.monotonic() + 90
    while True:
        ss = vm.cmd("ss -tan", timeout=30)
        left = [ln for ln in ss.splitlines()[1:]
                if ln.split() and ln.split()[0] not in ("LISTEN", "TIME-WAIT")]
        if not left or time.monotonic() > end:
            break
        time.sleep(5)
    assert not left, f"after {name}: connections left:\n{ss}"
    settle_mem(vm, base, timeout=60)


def run_profile(t, ns, vm, base, name, http_n, echo_n, limit):
    mark = vm.mark()
    # The relay's own bound (20 minutes by default) must outlast the
    # transfer: the combined profile's 64 MiB take about an hour.
    ns.set_impair(f"{PROFILES[name]} seed={SEEDS[name]}",
                  max_seconds=limit + 300)
    t0 = time.monotonic()
    r = transfer(ns, http_n, echo_n, limit)
    secs = time.monotonic() - t0
    c = ns.stop_impair()
    failed = not (r["http"].get("match") and r["echo"].get("match"))
    # What Skiff still holds of a transfer that failed (a stall shows as
    # a connection with data queued and no progress).
    ss = vm.cmd("ss -tani", timeout=30) if failed else ""
    note = (f"{name} ({PROFILES[name]}): {http_n // MIB} MiB HTTP in "
            f"{r['http'].get('seconds')} s, {echo_n / MIB:g} MiB echo in "
            f"{r['echo'].get('seconds')} s, {secs:.0f} s in all")
    print("    " + note, flush=True)
    assert r["http"].get("status_line", "").startswith("HTTP/1.1 200") and \
        r["http"].get("length") == http_n and r["http"].get("match"), \
        f"{note}: download {r}\nss -tani:\n{ss}"
    assert r["echo"].get("length") == echo_n and r["echo"].get("match"), \
        f"{note}: echo {r}\nss -tani:\n{ss}"
    for d in ("to_guest", "to_host"):
        for what in EVIDENCE[name]:
            assert c[d][what] > 0, f"{note}: the relay never {what} {d}: {c}"
        assert c[d]["overflow"] == 0, f"{note}: relay overflow {c}"
    check_healthy(ns, vm, base, mark, name)
    return secs


def run_profiles(t, names, http_n, echo_n, limit):
    with NetNS() as ns:
        vm = boot(t, ns)
        base = mem(vm)
        took = {}
        for name in names:
            took[name] = run_profile(t, ns, vm, base, name, http_n, echo_n,
                                     limit)
        out = vm.cmd("nstat -a", timeout=30)
        keys = ("TcpRetransSegs", "TcpExtTCPTimeouts", "TcpExtTCPFastRetrans",
                "TcpExtTCPSackRecovery", "TcpInCsumErrors",
                "TcpExtTCPOFOQueue", "TcpExtTCPDSACKRecv",
                "TcpExtTCPSACKReorder", "TcpExtTCPLostRetransmit",
                "TcpExtTCPLossProbes", "TcpExtTCPDSACKUndo",
                "TcpExtTCPFullUndo", "TcpExtTCPPartialUndo",
                "TcpExtTCPLossUndo", "TcpExtTCPSpuriousRTOs",
                "TcpExtTCPOFODrop", "TcpExtTCPRcvQDrop", "TcpExtPAWSEstab")
        mib = {m.group(1): m.group(2) for m in
               re.finditer(r"^(\w+)\s+(\d+)", out, re.M)}
        print("    " + ", ".join(f"{k} {mib.get(k, 0)}" for k in keys))
        return took


# Issue 9's sizes, one profile per test (and boot). `make test` runs the
# five single profiles at these sizes (each in a child of its own beside
# the other tests: they wait on the path more than they compute) and the
# combined one at an eighth of them; the combined one at full size is in
# the slow tier: its 10 % loss each way at about 100 ms of RTT holds any
# standard TCP near 50-100 KB/s (Mathis et al.), so 64 MiB take 20
# minutes or more. Linux + nginx behind the same relay (tests/bench/
# faults.py) took 1,268 s, and did not finish in 2,400 s in a second,
# busier run; Skiff 1,595 s.
HTTP_FULL = int(float(os.environ.get("SKIFF_FAULT_HTTP_MIB", "64")) * MIB)
ECHO_FULL = int(float(os.environ.get("SKIFF_FAULT_ECHO_MIB", "16")) * MIB)
FULL_LIMIT = 5400  # the combined profile's transfer, slow tier
CI_LIMIT = 900  # a single profile's transfer in make test (loss: ~105 s)


def full(name, http_n=HTTP_FULL, echo_n=ECHO_FULL, tier="ci"):
    limit = FULL_LIMIT if tier == "slow" else CI_LIMIT

    @time_limit(limit + 300)
    def test(t):
        run_profiles(t, [name], http_n, echo_n, limit=limit)
    test = slow(test) if tier == "slow" else waits(test)
    size = "full" if http_n == HTTP_FULL else f"{http_n // MIB}mib"
    test.__name__ = f"test_faults_{size}_{name}"
    test.__doc__ = (f"{http_n / MIB:g} MiB of HTTP and {echo_n / MIB:g} MiB "
                    f"of echo under '{PROFILES[name]}'.")
    return test


test_faults_full_loss = full("loss")
test_faults_full_reorder = full("reorder")
test_faults_full_duplicate = full("duplicate")
test_faults_full_corrupt = full("corrupt")
test_faults_full_delay = full("delay")
test_faults_8mib_all = full("all", HTTP_FULL // 8, ECHO_FULL // 8)
test_faults_full_all = full("all", tier="slow")
