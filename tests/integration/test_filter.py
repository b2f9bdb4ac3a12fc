"""The packet filter, on e1000 and virtio-net.

Skiff boots with a rule set from `filter=` config words (policy DROP,
ICMP echo and established flows allowed, TCP 22 and every other TCP port
REJECTed with a reset, TCP 23 DROPped, UDP ports 9/10/12 REJECTed with
three ICMP kinds, UDP 11 DROPped, UDP 7 allowed). From the namespace:

- scapy probes each port a known number of times and checks the answer
  byte by byte (RST/ACK with ACK = SEQ + 1, ICMP type 3 with the right
  code, silence for DROP), then `filter -L INPUT -v -n` must show exactly
  that many packets on each rule;
- a ping of 8000 bytes (fragments both ways) passes the echo rule;
- nmap -sS sees TCP echo (7) open, REJECTed ports closed (RST) and the
  DROPped one filtered, and each rule counts exactly the SYNs nmap sent
  to its ports (--packet-trace); nmap -sU sees closed / filtered /
  open|filtered as the rules say;
- a ping that is running survives a rule inserted to drop NEW flows,
  while a new ping is refused; so does a TCP echo connection (it keeps
  echoing; a new connection times out and the rule counts its SYNs);
- a rule that does not parse is refused at the console with the bad word.
"""

import json
import re
import subprocess
import time

from netns import GUEST_ADDR, HOST_ADDR, NetNS, PYTHON, READY_RE
from skiff_qemu import time_limit


RULES = [
    "-P INPUT DROP",
    "-A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT",
    "-A INPUT -p icmp --icmp-type echo-request -j ACCEPT",
    "-A INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset",
    "-A INPUT -p tcp --dport 23 -j DROP",
    "-A INPUT -p tcp --dport 7 -j ACCEPT",
    "-A INPUT -p udp --dport 7 -j ACCEPT",
    "-A INPUT -p udp --dport 9 -j REJECT --reject-with icmp-admin-prohibited",
    "-A INPUT -p udp --dport 10 -j REJECT --reject-with icmp-host-unreachable",
    "-A INPUT -p udp --dport 11 -j DROP",
    "-A INPUT -p udp --dport 12 -j REJECT",
    "-A INPUT -p tcp -j REJECT --reject-with tcp-reset",
]
# Rule numbers in INPUT (from 1) of the rules probed below.
R_EST, R_PING, R_T22, R_T23, R_T7, R_U7, R_U9, R_U10, R_U11, R_U12, \
    R_TCP = range(1, 12)

PROBES = f"""
import json
from scapy.all import IP, TCP, UDP, ICMP, sr1, conf
conf.verb = 0
dst = "{GUEST_ADDR}"
out = {{}}

def tcp(port, seq):
    r = sr1(IP(dst=dst) / TCP(sport=41000 + port, dport=port, flags="S",
                              seq=seq), timeout=2)
    if r is None or not r.haslayer(TCP):
        return None
    t = r[TCP]
    return [str(t.flags), t.seq, t.ack, t.sport, t.dport]

def udp(port):
    r = sr1(IP(dst=dst) / UDP(sport=42000, dport=port) / b"probe",
            timeout=2)
    if r is None:
        return None
    if r.haslayer(ICMP):
        return ["icmp", r[ICMP].type, r[ICMP].code]
    if r.haslayer(UDP):
        return ["udp", bytes(r[UDP].payload).decode(errors="replace")]
    return ["other"]

for i in range(3):
    out.setdefault("t22", []).append(tcp(22, 1000 + i))
    out.setdefault("t23", []).append(tcp(23, 2000 + i))
    out.setdefault("t80", []).append(tcp(80, 3000 + i))
    for p in (7, 9, 10, 11, 12, 13):
        out.setdefault("u%d" % p, []).append(udp(p))
print(json.dumps(out))
"""


def boot(t, ns, nic):
    words = [f"ip={GUEST_ADDR}/24"] + [f'filter="{r}"' for r in RULES]
    vm = t.vm(nic=nic, smp=2, config=" ".join(words), **ns.qemu_args())
    m = vm.wait_for(READY_RE, timeout=90)
    assert m.group("ip") == GUEST_ADDR, m.group(0)
    vm.wait_for(r"filter: 11 INPUT, 0 OUTPUT, 0 FORWARD rules", timeout=5,
                start=0)
    vm.wait_prompt(30)
    return vm


def rule_counters(vm):
    """Packets per INPUT rule (from 1) and the policy's, from -L -v -n."""
    out = vm.cmd("filter -L INPUT -v -n", timeout=20)
    pol = re.search(r"Chain INPUT \(policy DROP (\d+) packets", out)
    assert pol, f"filter -L:\n{out}"
    rows = re.findall(r"^\s*(\d+)\s+(\d+)\s+(ACCEPT|DROP|REJECT|LOG)\s",
                      out, re.M)
    assert len(rows) == len(RULES) - 1, f"filter -L:\n{out}"
    return {i + 1: int(r[0]) for i, r in enumerate(rows)}, \
        int(pol.group(1)), out


def check_probes(ns, vm):
    vm.cmd("filter -Z", timeout=20)
    p = ns.python(PROBES, timeout=120)
    assert p.returncode == 0, f"probes: {p.stdout}{p.stderr}"
    res = json.loads(p.stdout.strip().splitlines()[-1])
    for i, r in enumerate(res["t22"]):
        # RFC 9293 3.10.7.1: SYN without ACK -> <SEQ=0><ACK=SEQ+1><RST,ACK>
        assert r and r[0] == "RA" and r[1] == 0 and r[2] == 1000 + i + 1 \
            and r[3] == 22, f"TCP 22: {r}"
    assert all(r and r[0] == "RA" for r in res["t80"]), res["t80"]
    assert res["t23"] == [None] * 3, f"TCP 23 (DROP): {res['t23']}"
    # UDP 7 is ACCEPTed: the echo app answers (or, without it, the UDP
    # layer's port unreachable comes back: the filter let it through).
    assert res["u7"] in ([["udp", "probe"]] * 3, [["icmp", 3, 3]] * 3), \
        res["u7"]
    assert res["u9"] == [["icmp", 3, 13]] * 3, res["u9"]
    assert res["u10"] == [["icmp", 3, 1]] * 3, res["u10"]
    assert res["u11"] == [None] * 3, res["u11"]
    assert res["u12"] == [["icmp", 3, 3]] * 3, res["u12"]
    assert res["u13"] == [None] * 3, res["u13"]  # policy DROP
    # Exactly as many packets per rule as probes sent: 3 each; none of
    # the probes' answers came back in (the replies are outbound).
    counts, policy, out = rule_counters(vm)
    want = {R_T22: 3, R_T23: 3, R_T7: 0, R_U7: 3, R_U9: 3, R_U10: 3, R_U11: 3,
            R_U12: 3, R_TCP: 3}
    echo = res["u7"][0] == ["udp", "probe"]
    if echo:
        # Same 4-tuple three times: the first is NEW (rule 5), the echo
        # reply makes the flow ESTABLISHED, the next two match rule 1;
        # so do Linux's port-unreachables for the replies (RELATED).
        want[R_U7] = 1
        assert counts[R_EST] >= 2, f"ESTABLISHED rule: {counts[R_EST]}\n{out}"
    for rule, n in want.items():
        assert counts[rule] == n, f"rule {rule}: {counts[rule]} != {n}\n{out}"
    assert policy == 3, f"policy: {policy} packets != 3 (UDP 13)\n{out}"


def check_fragments(ns):
    """INPUT sees the reassembled datagram, OUTPUT the whole reply before
    it is fragmented: a large ping passes the echo-request rule."""
    p = ns.run(["ping", "-n", "-c", "2", "-i", "0.5", "-s", "8000", "-W",
                "5", GUEST_ADDR], timeout=40)
    assert re.search(r"2 packets transmitted, 2 received", p.stdout), \
        f"ping -s 8000 through the filter:\n{p.stdout}{p.stderr}"


def nmap(ns, *args):
    p = ns.run(["nmap", "-n", "-Pn", "--max-retries", "1",
                "--host-timeout", "120s", *args, GUEST_ADDR], timeout=180)
    assert p.returncode == 0, f"nmap {args}: {p.stdout}{p.stderr}"
    return dict(re.findall(r"^(\d+/(?:tcp|udp))\s+(\S+)", p.stdout, re.M)), \
        p.stdout


def check_nmap(ns, vm):
    """nmap -sS against the TCP rules: echo (7) open, REJECT (22 and the
    catch-all) closed by a RST, DROP (23) filtered; every SYN nmap sent,
    (from its --packet-trace), is counted once by the rule that took
    it. Then nmap -sU against the UDP rules."""
    vm.cmd("filter -Z", timeout=20)
    tcp, out = nmap(ns, "-sS", "--packet-trace", "-p", "7,21-24,80")
    syns = {}
    for port in re.findall(rf"^SENT \([\d.]+s\) TCP [\d.]+:\d+ > "
                           rf"{re.escape(GUEST_ADDR)}:(\d+) S ", out, re.M):
        syns[int(port)] = syns.get(int(port), 0) + 1
    assert tcp == {"7/tcp": "open", "21/tcp": "closed", "22/tcp": "closed",
                   "23/tcp": "filtered", "24/tcp": "closed",
                   "80/tcp": "closed"}, out
    assert set(syns) == {7, 21, 22, 23, 24, 80}, f"SYNs seen: {syns}"
    counts, policy, listing = rule_counters(vm)
    want = {R_T7: syns[7], R_T22: syns[22], R_T23: syns[23],
            R_TCP: syns[21] + syns[24] + syns[80]}
    for rule, n in want.items():
        assert counts[rule] == n, \
            f"rule {rule}: {counts[rule]} packets for {n} SYNs ({syns})\n" \
            f"{listing}"
    udp, out = nmap(ns, "-sU", "-p", "9-13")
    assert udp == {"9/udp": "filtered", "10/udp": "filtered",
                   "11/udp": "open|filtered", "12/udp": "closed",
                   "13/udp": "open|filtered"}, out


def check_established_survives(ns, vm):
    """An echo flow that is running keeps its replies after a rule that
    drops NEW is put first; a new one gets nothing."""
    old = subprocess.Popen(
        ["ip", "netns", "exec", ns.name, "ping", "-n", "-i", "0.2", "-c",
         "40", "-W", "2", GUEST_ADDR],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(2)
        vm.cmd("filter -I INPUT 1 -m state --state NEW -j DROP", timeout=20)
        new = ns.run(["ping", "-n", "-c", "3", "-W", "1", GUEST_ADDR],
                     timeout=30)
        out, _ = old.communicate(timeout=60)
    finally:
        if old.poll() is None:
            old.kill()
            old.wait()
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    assert m and int(m.group(2)) >= 38, f"running ping:\n{out}"
    assert re.search(r"3 packets transmitted, 0 received", new.stdout), \
        f"new ping should be dropped:\n{new.stdout}"
    counts = vm.cmd("filter -L INPUT -v -n --line-numbers", timeout=20)
    assert re.search(r"^1\s+3\s+\d+\s+DROP", counts, re.M), counts
    vm.cmd("filter -D INPUT 1", timeout=20)
    ct = vm.cmd("conntrack -L", timeout=20)
    assert re.search(rf"^icmp\s+1\s+\d+\s+src={HOST_ADDR} dst={GUEST_ADDR} "
                     r"sport=\d+ dport=\d+ \[ASSURED\]", ct, re.M), ct


# One TCP echo connection that lives across a rule dropping NEW flows: it
# echoes, waits for "go" on stdin (the harness inserts the rule), echoes
# again; then a new connection (with tcp_syn_retries=1, a few seconds of
# SYN retransmissions) must time out.
TCP_SURVIVES = f"""
import socket, sys, time
def echo(s, msg):
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        b = s.recv(100)
        if not b:
            break
        got += b
    return got == msg
s = socket.create_connection(("{GUEST_ADDR}", 7), timeout=10)
print("before", echo(s, b"before the rule"), flush=True)
sys.stdin.readline()
ok = sum(echo(s, b"after the rule %d" % i) for i in range(10))
print("after", ok, flush=True)
t0 = time.time()
n = socket.socket()
try:
    n.connect(("{GUEST_ADDR}", 7))
    print("new connected")
except OSError as e:
    print("new failed after %.0f s: %s" % (time.time() - t0, e), flush=True)
sys.stdin.readline()
print("still", echo(s, b"still here"), flush=True)
s.close()
"""


def check_tcp_established_survives(ns, vm):
    """A TCP echo connection keeps echoing after `-m state --state NEW -j
    DROP` goes first in INPUT; a new connection gets nothing, and the
    rule counts exactly its SYNs (Linux's TcpActiveOpens +
    TcpExtTCPSynRetrans in the namespace)."""
    ns.sysctl("net.ipv4.tcp_syn_retries", "1")
    vm.cmd("filter -Z", timeout=20)
    client = subprocess.Popen(
        ["ip", "netns", "exec", ns.name, PYTHON, "-c", TCP_SURVIVES],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        first = client.stdout.readline()
        assert first.strip() == "before True", first + client.stdout.read()
        vm.cmd("filter -I INPUT 1 -m state --state NEW -j DROP", timeout=20)
        before = ns.snmp()
        client.stdin.write("go\n")
        client.stdin.flush()
        out = client.stdout.readline() + client.stdout.readline()
        after = ns.snmp()
        ct = vm.cmd("conntrack -L", timeout=20)
        out += client.communicate("close\n", timeout=30)[0]
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    assert "after 10" in out, f"established TCP flow after the rule:\n{out}"
    assert re.search(r"new failed after \d+ s: .*timed out", out), \
        f"a new connection should time out:\n{out}"
    syns = sum(after[k] - before[k]
               for k in ("TcpActiveOpens", "TcpExtTCPSynRetrans"))
    counts = vm.cmd("filter -L INPUT -v -n --line-numbers", timeout=20)
    assert syns >= 2 and re.search(rf"^1\s+{syns}\s+\d+\s+DROP", counts,
                                   re.M), \
        f"the NEW rule should count the {syns} SYNs:\n{out}\n{counts}"
    vm.cmd("filter -D INPUT 1", timeout=20)
    assert "still True" in out, out
    assert re.search(rf"^tcp\s+6\s+\d+\s+ESTABLISHED\s+src={HOST_ADDR} "
                     rf"dst={GUEST_ADDR} sport=\d+ dport=7 .*\[ASSURED\]",
                     ct, re.M), ct


def check_bad_rule(vm):
    out = vm.cmd("filter -A INPUT -p tcp --dport 99999 -j DROP", timeout=20)
    assert "bad rule at word 6 '99999'" in out, out
    assert "^^^^^" in out, out
    out = vm.cmd("filter -L INPUT", timeout=20)
    assert "99999" not in out, out


def run_all(t, nic):
    with NetNS() as ns:
        vm = boot(t, ns, nic)
        try:
            check_probes(ns, vm)
            check_fragments(ns)
            check_nmap(ns, vm)
            check_established_survives(ns, vm)
            check_tcp_established_survives(ns, vm)
            check_bad_rule(vm)
        finally:
            vm.kill()


@time_limit(600)
def test_filter_e1000(t):
    run_all(t, "e1000")


@time_limit(600)
def test_filter_virtio(t):
    run_all(t, "virtio")
