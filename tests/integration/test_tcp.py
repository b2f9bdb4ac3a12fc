"""TCP through the echo service (RFC 862 on TCP 7) against Linux.

Skiff boots with the NIC on a tap in a private namespace (198.18.0.1 is
Linux, 198.18.0.2 is Skiff). From the Linux side:

- e1000 and virtio: `ss -tan` lists the echo listener; the SYN-ACK to a
  real Linux SYN, captured with tshark on the tap, carries MSS, SACK-
  permitted, timestamps (echoing the SYN's) and window scale, and one to
  a scapy SYN the same; 10 MiB of random bytes go through the echo port
  while a reader thread takes the echo back, the SHA-256 of what came back
  matches, and Linux's TCP_INFO shows timestamps, SACK and window scaling
  negotiated; a SYN to a closed port gets a RST.
- The same 10 MiB through the impairment relay (impair.py: loss 5 %,
  reorder 25 %, duplicate 2 %, corrupt 1 %, delay 10 ms, both ways) on
  virtio, 2 MiB on e1000, in bounded time; the relay's counters show
  every impairment happened in both directions, Skiff's that it
  retransmitted.
- With the Linux peer's net.ipv4.tcp_sack, tcp_timestamps and
  tcp_window_scaling turned off one at a time (in the test's namespace
  only), 2 MiB still echo correctly and TCP_INFO shows that option off.
- 1,000 echo connections open at once, each echoing its own message.
- A SYN flood (raw frames, random sources in 198.18.0.0/15 outside the
  on-link /24, ~5,000 SYNs/s, at most 50,000) during which a real client
  still connects and echoes, and Skiff's TcpExtSyncookiesSent rises. Skiff
  answers the random sources through its gateway 198.18.0.1 (Linux in the
  namespace), which does not forward (ip_forward=0) and has no route out:
  the test checks both, and that Linux dropped the SYN-ACKs as
  IpInAddrErrors; nothing leaves the namespace.
"""

import re
import time

from netns import GUEST_ADDR, HOST_ADDR, PYTHON, Capture, NetNS, READY_RE
from pktlab import syn_flood
from skiff_qemu import exclusive, slow, time_limit, waits

ECHO_PORT = 7
MIB = 1024 * 1024
# issue 4's path: tc netem loss 5% reorder 25% duplicate 2% corrupt 1%
# delay 10ms, here from impair.py (no sch_netem on this kernel).
LOSSY = "loss=5 reorder=25 duplicate=2 corrupt=1 delay_ms=10 seed=4"

# One connection: `size` random bytes out, the echo read back by a thread;
# prints what came back, the SHA-256 match and the negotiated options from
# Linux's TCP_INFO (tcpi_options: 1 timestamps, 2 SACK, 4 window scaling).
BULK = """
import hashlib, os, socket, struct, threading, time
N = {size}
data = os.urandom(N)
s = socket.create_connection(("{addr}", {port}), timeout={io_timeout})
info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
opts, ws = info[5], info[6]
print("options ts=%d sack=%d wscale=%d snd_wscale=%d rcv_wscale=%d" % (
    opts & 1, opts >> 1 & 1, opts >> 2 & 1, ws & 15, ws >> 4))
got = hashlib.sha256()
count = [0]
def reader():
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        got.update(b)
        count[0] += len(b)
t = threading.Thread(target=reader, daemon=True)
t.start()
t0 = time.time()
view, off = memoryview(data), 0
while off < N:  # send() per chunk: the timeout bounds a stall, not the total
    off += s.send(view[off:off + 65536])
s.shutdown(socket.SHUT_WR)
t.join({join_timeout})
dt = time.time() - t0
info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
print("retransmits (Linux) %d" % struct.unpack_from("I", info, 100)[0])
print("received", count[0], "in %.1f s" % dt)
print("match", got.hexdigest() == hashlib.sha256(data).hexdigest())
"""

CLOSED = f"""
import socket
s = socket.socket()
s.settimeout(5)
try:
    s.connect(("{GUEST_ADDR}", 4444))
    print("connected?!")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
"""

# The SYN-ACK's options, with scapy (Linux answers the SYN-ACK with a RST:
# it never sent the SYN from a socket).
SYNACK = f"""
from scapy.all import IP, TCP, sr1, conf
conf.verb = 0
syn = IP(dst="{GUEST_ADDR}") / TCP(sport=40123, dport={ECHO_PORT}, flags="S",
    seq=1000, options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123, 0)),
                       ("NOP", None), ("WScale", 7)])
r = sr1(syn, timeout=5)
print("flags", r[TCP].flags if r else None)
print("options", dict((k, v) for k, v in r[TCP].options) if r else None)
"""

# A short echo exchange on one new connection (used with tshark).
SHORT = f"""
import socket
s = socket.create_connection(("{GUEST_ADDR}", {ECHO_PORT}), timeout=20)
s.sendall(b"hello skiff")
got = b""
while len(got) < 11:
    b = s.recv(100)
    if not b:
        break
    got += b
s.close()
print("echo", got)
"""


def boot(t, ns, nic, impair=None, config=""):
    vm = t.vm(nic=nic, smp=2, config=f"ip={GUEST_ADDR}/24 {config}".strip(),
              **ns.qemu_args(impair=impair))
    m = vm.wait_for(READY_RE, timeout=90)
    assert m.group("ip") == GUEST_ADDR, m.group(0)
    vm.wait_prompt(30)
    return vm, m.group("mac")


def nstat(vm):
    out = vm.cmd("nstat -a", timeout=20)
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^(\w+)\s+(\d+)", out, re.M)}


def bulk(ns, size, io_timeout=20, join_timeout=120):
    """Echo `size` random bytes; returns the client's output."""
    code = BULK.format(size=size, addr=GUEST_ADDR, port=ECHO_PORT,
                       io_timeout=io_timeout, join_timeout=join_timeout)
    p = ns.run([PYTHON, "-c", code], timeout=join_timeout + 60)
    assert f"received {size} " in p.stdout, \
        f"bulk echo of {size} bytes: {p.stdout}{p.stderr}"
    assert "match True" in p.stdout, p.stdout
    return p.stdout


def options(out):
    m = re.search(r"options ts=(\d) sack=(\d) wscale=(\d)", out)
    assert m, out
    return {"ts": int(m.group(1)), "sack": int(m.group(2)),
            "wscale": int(m.group(3))}


def tshark_synack(ns):
    """Capture the SYN and SYN-ACK of one real Linux connection to echo on
    the tap; returns (syn, synack) as dicts of the fields below."""
    fields = ["tcp.flags.ack", "tcp.option_kind", "tcp.options.mss_val",
              "tcp.options.timestamp.tsval", "tcp.options.timestamp.tsecr",
              "tcp.options.wscale.shift"]
    bpf = f"tcp port {ECHO_PORT} and tcp[tcpflags] & tcp-syn != 0"
    with Capture(ns, bpf, fields, count=2, duration=40) as cap:
        p = ns.run([PYTHON, "-c", SHORT], timeout=40)
        assert "echo b'hello skiff'" in p.stdout, p.stdout + p.stderr
        rows = cap.wait(30)
    assert len(rows) == 2, f"tshark: {rows}\n{cap.stderr}"
    syn, synack = sorted(rows, key=lambda r: r["tcp.flags.ack"])
    return syn, synack


def check_synack_tshark(ns):
    syn, sa = tshark_synack(ns)
    kinds = set(sa["tcp.option_kind"].split(","))
    # RFC 9293 3.2 (MSS 2), RFC 2018 (SACK-permitted 4), RFC 7323 (TS 8,
    # window scale 3)
    missing = {"2": "MSS", "4": "SACK-permitted", "8": "timestamps",
               "3": "window scale"}
    missing = [n for k, n in missing.items() if k not in kinds]
    assert not missing, f"SYN-ACK lacks {', '.join(missing)}: {sa}"
    assert sa["tcp.options.mss_val"] == "1460", sa
    assert sa["tcp.options.timestamp.tsecr"] == \
        syn["tcp.options.timestamp.tsval"], (syn, sa)
    assert 0 <= int(sa["tcp.options.wscale.shift"]) <= 14, sa


def check_synack_scapy(ns):
    p = ns.run([PYTHON, "-c", SYNACK], timeout=30)
    assert "flags SA" in p.stdout, p.stdout + p.stderr
    assert "'MSS': 1460" in p.stdout, p.stdout
    assert "'Timestamp': (" in p.stdout and ", 123)" in p.stdout, p.stdout
    assert "'WScale': " in p.stdout, p.stdout
    assert "'SAckOK': b''" in p.stdout, p.stdout


def run_all(t, nic):
    with NetNS() as ns:
        vm, _ = boot(t, ns, nic)
        try:
            out = vm.cmd("ss -tan", timeout=20)
            assert re.search(rf"LISTEN\s+0\s+\d+\s+0\.0\.0\.0:{ECHO_PORT}\s",
                             out), f"ss -tan:\n{out}"
            check_synack_scapy(ns)
            check_synack_tshark(ns)
            out = bulk(ns, 10 * MIB)
            assert options(out) == {"ts": 1, "sack": 1, "wscale": 1}, out
            p = ns.run([PYTHON, "-c", CLOSED], timeout=30)
            assert "refused" in p.stdout, p.stdout + p.stderr
        finally:
            vm.kill()


@time_limit(300)
def test_tcp_e1000(t):
    run_all(t, "e1000")


@time_limit(300)
def test_tcp_virtio(t):
    run_all(t, "virtio")


def run_impaired(t, nic, size):
    """`size` bytes through loss, reordering, duplicates, corruption and
    delay."""
    with NetNS() as ns:
        vm, _ = boot(t, ns, nic, impair=LOSSY)
        try:
            out = bulk(ns, size, io_timeout=60, join_timeout=400)
            c = ns.stop_impair()
            mib = nstat(vm)
        finally:
            vm.kill()
    for d in ("to_guest", "to_host"):
        for what in ("lost", "reordered", "duplicated", "corrupted"):
            assert c[d][what] > 0, f"the relay never {what} {d}: {c}"
    assert mib.get("TcpRetransSegs", 0) > 0, mib  # it did recover losses
    keys = ("TcpRetransSegs", "TcpExtTCPTimeouts", "TcpExtTCPFastRetrans",
            "TcpExtTCPSackRecovery", "TcpExtTCPRenoRecovery",
            "TcpExtTCPLossProbes", "TcpExtTCPLostRetransmit",
            "TcpExtTCPDSACKRecv", "TcpExtPAWSEstab", "TcpInCsumErrors",
            "TcpExtTCPOFOQueue")
    lost = {d: c[d]["lost"] for d in ("to_guest", "to_host")}
    print(f"    {nic}: {out.strip().splitlines()[-2]}; relay lost {lost}; " +
          ", ".join(f"{k} {mib.get(k, 0)}" for k in keys))


# Issue 4's 10 MiB on virtio. Under these impairments Skiff's TCP moves
# about 50-70 KB/s (still about 400 RTOs per 10 MiB, see README's known
# limits), so 10 MiB takes ~155-200 s. It waits on timers, not on the CPU,
# so it runs beside other tests (@waits, run.py --jobs) in make test; e1000
# moves 2 MiB through the same impairments.
@waits
@time_limit(540)
def test_tcp_impaired_virtio_10mib(t):
    run_impaired(t, "virtio", 10 * MIB)


@waits
@time_limit(300)
def test_tcp_impaired_e1000(t):
    run_impaired(t, "e1000", 2 * MIB)


@time_limit(300)
def test_tcp_peer_options_off(t):
    """The peer refusing each option in turn: the transfer stays correct,
    and the option is really off (Linux's TCP_INFO)."""
    with NetNS() as ns:
        vm, _ = boot(t, ns, "virtio")
        try:
            base = options(bulk(ns, 2 * MIB))  # all on (see run_all)
            for key, opt in (("tcp_sack", "sack"), ("tcp_timestamps", "ts"),
                             ("tcp_window_scaling", "wscale")):
                ns.sysctl(f"net.ipv4.{key}", "0")
                out = bulk(ns, 2 * MIB)
                got = options(out)
                want = dict(base, **{opt: 0})
                assert got == want, f"{key}=0: {got} != {want}\n{out}"
                ns.sysctl(f"net.ipv4.{key}", "1")
        finally:
            vm.kill()


# Many connections open at once, each echoing its own message.
CONCURRENT = f"""
import resource, selectors, socket, time
N = 1000
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
t0 = time.time()
socks = []
try:
    for i in range(N):
        socks.append(socket.create_connection(("{GUEST_ADDR}", {ECHO_PORT}),
                                              timeout=20))
except OSError as e:
    print("connect %d failed: %s" % (len(socks), e))
print("open", len(socks), "in %.1f s" % (time.time() - t0))
want = {{}}
sel = selectors.DefaultSelector()
for i, s in enumerate(socks):
    msg = b"connection %04d " % i * 4
    s.sendall(msg)
    want[s] = [msg, b""]
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
ok = 0
end = time.time() + 120
while want and time.time() < end:
    for key, _ in sel.select(1):
        s = key.fileobj
        try:
            b = s.recv(4096)
        except BlockingIOError:
            continue
        w = want[s]
        w[1] += b
        if not b or len(w[1]) >= len(w[0]):
            ok += w[1] == w[0]
            sel.unregister(s)
            del want[s]
print("echoed %d of %d (%d waiting) in %.1f s" % (ok, len(socks), len(want),
                                                  time.time() - t0))
for s in socks:
    s.close()
print("ok", ok)
"""


@time_limit(360)
def test_tcp_concurrent(t):
    with NetNS() as ns:
        vm, _ = boot(t, ns, "virtio")
        try:
            p = ns.run([PYTHON, "-c", CONCURRENT], timeout=240)
            assert "ok 1000" in p.stdout, p.stdout + p.stderr
            # Every connection closes (CurrEstab counts ESTABLISHED and
            # CLOSE-WAIT, as Linux's does), then only the listener is left
            # (and TIME-WAIT, which ss -a lists as Linux's does).
            end = time.monotonic() + 60
            while nstat(vm).get("TcpCurrEstab", 0) and \
                    time.monotonic() < end:
                time.sleep(2)
            for _ in range(10):
                out = vm.cmd("ss -tan", timeout=60)
                rows = [r for r in out.splitlines()[1:]
                        if r and not r[0].isspace()]
                if all(r.startswith(("LISTEN", "TIME-WAIT")) for r in rows):
                    break
                time.sleep(2)
            assert all(r.startswith(("LISTEN", "TIME-WAIT")) for r in rows), out
            print("    " + "; ".join(p.stdout.strip().splitlines()))
        finally:
            vm.kill()


# Two echo connections: one keeps sending a byte a second, the other is
# idle; with echo.idle_timeout=3 Skiff closes the idle one (its FIN: recv
# returns b"") and keeps the busy one.
IDLE = """
import socket, time
busy = socket.create_connection(("{addr}", {port}), timeout=10)
idle = socket.create_connection(("{addr}", {port}), timeout=10)
t0 = time.time()
for i in range(6):
    busy.sendall(b"x")
    assert busy.recv(1) == b"x"
    time.sleep(1)
idle.settimeout(10)
got = idle.recv(1)
print("idle closed after %.1f s: %r" % (time.time() - t0, got))
busy.sendall(b"y")
print("busy still echoes: %r" % busy.recv(1))
"""


@time_limit(120)
def test_echo_idle_timeout(t):
    """echo.idle_timeout: an idle echo connection is closed and counted
    by `echod`; one that moves a byte a second stays."""
    with NetNS() as ns:
        vm, _ = boot(t, ns, "virtio", config="echo.idle_timeout=3")
        try:
            assert "idle timeout 3s" in vm.text, "echo's init line"
            p = ns.run([PYTHON, "-c", IDLE.format(addr=GUEST_ADDR,
                                                  port=ECHO_PORT)],
                       timeout=60)
            assert "idle closed after" in p.stdout and ": b''" in \
                p.stdout, p.stdout + p.stderr
            assert "busy still echoes: b'y'" in p.stdout, p.stdout
            out = vm.cmd("echod", timeout=20)
            assert re.search(r"tcp: 0 open, 2 accepted, 1 closed idle "
                             r"\(echo.idle_timeout 3s\)", out), out
            print("    " + p.stdout.strip().replace("\n", "; "))
        finally:
            vm.kill()


# SYNs from random sources, built by hand and sent as raw frames on the tap
# (hping3 --rand-source would pick any IPv4 address; these stay in
# 198.18.0.0/15, outside 198.18.0.0/24 so that Skiff answers through its
# gateway instead of ARPing for each). A real client connects and echoes
# while the flood runs; the flood stops when the client is done or at
# MAX SYNs, whichever is first.
FLOOD = """
import socket, time
th.start()
time.sleep(1)  # 5,000 SYNs: past the backlog and the conntrack cap
at_start = sent[0]
ok = 0
t0 = time.time()
for i in range(5):
    try:
        s = socket.create_connection(("{guest}", {port}), timeout=20)
        s.settimeout(20)
        msg = b"during the flood %d" % i
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            b = s.recv(100)
            if not b:
                break
            got += b
        s.close()
        ok += got == msg
    except OSError as e:
        print("client", i, "failed:", e)
active = th.is_alive()
done.set()
th.join(30)
print("client ok %d of 5 in %.1f s; flood active %s; SYNs %d before the "
      "client, %d in all" % (ok, time.time() - t0, active, at_start, sent[0]))
"""


@exclusive
@time_limit(300)
def test_tcp_syn_flood(t):
    with NetNS() as ns:
        vm, mac = boot(t, ns, "virtio", config=f"gw={HOST_ADDR}")
        try:
            # Nothing can leave: one connected /24, no default route, and
            # Linux in the namespace does not forward.
            routes = ns.run(["ip", "route", "show", "table", "all"],
                            check=True).stdout
            ours = [r for r in routes.splitlines() if "table local" not in r]
            assert len(ours) == 1 and \
                ours[0].startswith(f"198.18.0.0/24 dev {ns.tap} "), routes
            fwd = ns.run(["sysctl", "-n", "net.ipv4.ip_forward"]).stdout
            assert fwd.strip() == "0", fwd
            before = nstat(vm)
            addr_errors = ns.snmp()["IpInAddrErrors"]
            code = syn_flood(GUEST_ADDR, mac, ns.tap, ECHO_PORT, 50000, 5000,
                             11) + FLOOD.format(guest=GUEST_ADDR,
                                                port=ECHO_PORT)
            p = ns.run([PYTHON, "-c", code], timeout=150)
            m = re.search(r"client ok (\d) of 5 .* flood active (\w+); "
                          r"SYNs (\d+) before the client", p.stdout)
            assert m, p.stdout + p.stderr
            after = nstat(vm)
            if m.group(1) != "5" or m.group(2) != "True":
                raise AssertionError(
                    f"the real client during the flood: {p.stdout.strip()}\n"
                    f"conntrack -S: {vm.cmd('conntrack -S', timeout=20)}\n" +
                    ", ".join(f"{k} +{after[k] - before.get(k, 0)}"
                              for k in after if k.startswith("Tcp")))
            sent = after.get("TcpExtSyncookiesSent", 0) - \
                before.get("TcpExtSyncookiesSent", 0)
            assert sent > 0, \
                f"TcpExtSyncookiesSent did not rise ({p.stdout.strip()})"
            dropped = ns.snmp()["IpInAddrErrors"] - addr_errors
            assert dropped > 0, "no SYN-ACK reached the namespace"
            print(f"    {p.stdout.strip()}; SyncookiesSent +{sent}; "
                  f"SYN-ACKs dropped by Linux (InAddrErrors) {dropped}")
        finally:
            vm.kill()
