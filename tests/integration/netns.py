"""netns.py - a private network namespace with a tap device for one VM.

    with NetNS() as ns:                  # creates skiffN, tap0 198.18.0.1/24
        vm = t.vm(nic="e1000", config="ip=198.18.0.2/24", **ns.qemu_args())
        ns.run(["ping", "-c", "3", "198.18.0.2"])

Rules this file keeps (DESIGN.md tests, and the workplace's): addresses only
from 198.18.0.0/15, no route out of the namespace (not even a default
route), IPv6 off on the tap so the only frames are the test's, every
command bounded in time, the namespace deleted at the end. QEMU runs inside
the namespace (so the tap is reachable) and is killed by the test harness,
by its own PID, before the namespace goes.

Impaired links (a userspace netem, see impair.py): with
`ns.qemu_args(impair="loss=5 reorder=25 duplicate=2 corrupt=1 delay_ms=10")`
QEMU's NIC goes to a UDP socket on the namespace's loopback and the relay
impair.py, started here inside the namespace, forwards its frames to and
from the tap. `ns.set_impair(spec)` restarts the relay with other settings
(the VM keeps running), `ns.impair_stats()` reads its counters,
`ns.stop_impair()` ends it (by its PID) and returns the final counters.
"""

import itertools
import json
import os
import re
import select
import signal
import subprocess
import tempfile
import time

# The contract line, whole: up to its newline, so a line still arriving is
# never matched half-way (ip=198 of ip=198.18.0.2).
READY_RE = (r"skiff: ready ip=(?P<ip>[\d.]+) mac=(?P<mac>[0-9a-f:]{17}) "
            r"http=(?P<http>\d+) echo=(?P<echo>\d+)\n")
HOST_ADDR = "198.18.0.1"
GUEST_ADDR = "198.18.0.2"
PREFIX = 24
_seq = itertools.count()
# Debian's interpreter, which has python3-scapy (a pyenv python may not).
PYTHON = "/usr/bin/python3"
IMPAIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "impair.py")
# UDP ports of the relay and of QEMU on the namespace's own loopback (each
# namespace has its own, so fixed numbers never collide between tests).
RELAY_PORT = 17001
QEMU_PORT = 17002
IMPAIR_MAX_SECONDS = 1200  # the relay's own bound, past any test's limit


class NetNSError(Exception):
    pass


def _ip(*args, check=True):
    p = subprocess.run(["ip", *args], capture_output=True, text=True,
                       timeout=20)
    if check and p.returncode != 0:
        raise NetNSError(f"ip {' '.join(args)}: {p.stderr.strip()}")
    return p


class NetNS:
    def __init__(self, tap="tap0", host_addr=HOST_ADDR, prefix=PREFIX):
        self.name = f"skiff{os.getpid()}n{next(_seq)}"
        self.tap = tap
        self.host_addr = host_addr
        self.prefix = prefix
        self.created = False
        self.relay = None  # the impair.py Popen, while it runs
        self.relay_dir = None
        self.impair_counters = None  # the last relay's final counters

    def __enter__(self):
        self.create()
        return self

    def __exit__(self, *exc):
        self.delete()

    def create(self):
        _ip("netns", "add", self.name)
        self.created = True
        self.sysctl("net.ipv6.conf.all.disable_ipv6", "1")
        self.sysctl("net.ipv6.conf.default.disable_ipv6", "1")
        _ip("-n", self.name, "link", "set", "lo", "up")
        _ip("-n", self.name, "tuntap", "add", "dev", self.tap, "mode", "tap")
        _ip("-n", self.name, "addr", "add",
            f"{self.host_addr}/{self.prefix}", "dev", self.tap)
        _ip("-n", self.name, "link", "set", self.tap, "up")

    def delete(self):
        self.stop_impair()
        if self.relay_dir:
            for f in os.listdir(self.relay_dir):
                os.remove(os.path.join(self.relay_dir, f))
            os.rmdir(self.relay_dir)
            self.relay_dir = None
        if self.created:
            _ip("netns", "del", self.name, check=False)
            self.created = False

    def sysctl(self, key, value):
        self.run(["sysctl", "-q", "-w", f"{key}={value}"], check=True)

    def qemu_args(self, impair=None):
        """Keyword arguments for skiff_qemu.Qemu / t.vm(). With `impair`
        (an impair.py spec, "" for a clean relay) the NIC goes through
        the relay, which is started now."""
        wrap = ["ip", "netns", "exec", self.name]
        if impair is None:
            return {
                "wrap": wrap,
                "netdev": f"tap,id=n0,ifname={self.tap},script=no,"
                          f"downscript=no",
            }
        self.set_impair(impair)
        return {
            "wrap": wrap,
            "netdev": f"dgram,id=n0,local.type=inet,local.host=127.0.0.1,"
                      f"local.port={QEMU_PORT},remote.type=inet,"
                      f"remote.host=127.0.0.1,remote.port={RELAY_PORT}",
        }

    def set_impair(self, spec, max_seconds=IMPAIR_MAX_SECONDS):
        """(Re)start the relay between the tap and QEMU's socket with the
        impairments in `spec`; returns once it has the tap open. Frames
        that arrive while it restarts are lost (a few ms)."""
        self.stop_impair()
        if self.relay_dir is None:
            self.relay_dir = tempfile.mkdtemp(prefix="skiff-impair-")
        out_path = os.path.join(self.relay_dir, "relay.out")
        argv = ["setpriv", "--pdeathsig", "KILL", "--",
                "ip", "netns", "exec", self.name, PYTHON, IMPAIR,
                "--tap", self.tap, "--listen", f"127.0.0.1:{RELAY_PORT}",
                "--peer", f"127.0.0.1:{QEMU_PORT}", "--spec", spec,
                "--stats", os.path.join(self.relay_dir, "stats.json"),
                "--max-seconds", str(max_seconds)]
        with open(out_path, "w") as out:
            self.relay = subprocess.Popen(argv, stdout=out,
                                          stderr=subprocess.STDOUT)
        end = time.monotonic() + 15
        while time.monotonic() < end:
            text = _read(out_path)
            if "impair: ready" in text:
                return
            if self.relay.poll() is not None:
                break
            time.sleep(0.05)
        self.stop_impair()
        raise NetNSError(f"impair.py did not start: {_read(out_path)}")

    def impair_stats(self, timeout=5):
        """The running relay's counters: {"to_guest": {...}, "to_host":
        {...}} with frames, bytes, lost, corrupted, duplicated, reordered,
        overflow, delivered, send_errors."""
        if self.relay is None or self.relay.poll() is not None:
            raise NetNSError("no impair relay running")
        path = os.path.join(self.relay_dir, "stats.json")
        old = json.loads(_read(path) or '{"seq": 0}')["seq"]
        self.relay.send_signal(signal.SIGUSR1)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            text = _read(path)
            if text and json.loads(text)["seq"] > old:
                return json.loads(text)
            time.sleep(0.05)
        raise NetNSError("impair relay did not write its counters")

    def stop_impair(self):
        """End the relay (SIGTERM to its PID, SIGKILL after 5 s); returns
        its final counters (also kept in self.impair_counters)."""
        proc, self.relay = self.relay, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        text = _read(os.path.join(self.relay_dir, "relay.out"))
        m = re.search(r"^impair: counters (.*)$", text, re.M)
        self.impair_counters = json.loads(m.group(1)) if m else None
        return self.impair_counters

    def run(self, argv, timeout=60, check=False, input=None):
        """Run argv inside the namespace; returns CompletedProcess."""
        p = subprocess.run(["ip", "netns", "exec", self.name, *argv],
                           capture_output=True, text=True, timeout=timeout,
                           input=input)
        if check and p.returncode != 0:
            raise NetNSError(f"{' '.join(argv)} exited {p.returncode}:\n"
                             f"{p.stdout}{p.stderr}")
        return p

    def python(self, code, timeout=60):
        """Run a Python snippet (scapy available) inside the namespace."""
        return self.run([PYTHON, "-c", code], timeout=timeout)

    def udp_probe(self, addr, port, timeout=5):
        """Send one datagram from a connected UDP socket and report what
        came back: "reply", "port unreachable" (Linux turns the ICMP error
        into ECONNREFUSED) or "timeout"."""
        code = f"""
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout({timeout})
s.connect(("{addr}", {port}))
s.send(b"probe")
try:
    s.recv(100)
    print("reply")
except ConnectionRefusedError:
    print("port unreachable")
except socket.timeout:
    print("timeout")
"""
        p = self.python(code, timeout=timeout + 15)
        return p.stdout.strip() or p.stderr.strip()

    def snmp(self):
        """The namespace's own MIB counters (/proc/net/snmp and netstat)
        named as nstat names them: TcpActiveOpens, TcpExtTCPSynRetrans,
        IpInAddrErrors..."""
        out = {}
        for f in ("snmp", "netstat"):
            text = self.run(["cat", f"/proc/net/{f}"], check=True).stdout
            lines = [ln.split() for ln in text.splitlines()]
            for head, vals in zip(lines[::2], lines[1::2]):
                group = head[0].rstrip(":")
                for k, v in zip(head[1:], vals[1:]):
                    out[group + k] = int(v)
        return out

    def tap_stat(self, name):
        """A counter of the tap as Linux sees it, e.g. tx_packets."""
        p = self.run(["cat", f"/sys/class/net/{self.tap}/statistics/{name}"],
                     check=True)
        return int(p.stdout.strip())


class Capture:
    """tshark on the namespace's tap, one row (a dict of `fields`) per
    packet that matches the capture filter `bpf`; bounded by `duration`
    seconds and at most `count` packets.

        with Capture(ns, "tcp dst port 7", ["tcp.flags"]) as cap:
            ...                      # tshark is capturing already
        rows = cap.rows              # after the with block
    """

    def __init__(self, ns, bpf, fields, count=None, duration=120):
        self.argv = ["ip", "netns", "exec", ns.name, "tshark", "-i", ns.tap,
                     "-n", "-l", "-a", f"duration:{duration}", "-f", bpf,
                     "-T", "fields", "-E", "separator=|",
                     "-E", "occurrence=a"]
        if count:
            self.argv += ["-c", str(count)]
        for f in fields:
            self.argv += ["-e", f]
        self.fields = fields
        self.proc = None
        self.rows = []
        self.stderr = ""

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        try:
            self.stderr = self._wait_capturing()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _wait_capturing(self, timeout=30):
        """tshark prints "Capturing on 'tap0'" when it starts dumpcap and
        "Capture started." once dumpcap has the interface open (4.0);
        packets sent between the two are not seen."""
        fd = self.proc.stderr.fileno()
        seen = b""
        end = time.monotonic() + timeout
        while b"Capture started" not in seen:
            left = end - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise NetNSError("tshark did not start capturing:\n" +
                                 seen.decode(errors="replace"))
            if select.select([fd], [], [], min(left, 0.5))[0]:
                seen += os.read(fd, 4096)
        time.sleep(0.5)  # margin: the message is sent as capture begins
        return seen.decode(errors="replace")

    def wait(self, timeout=60):
        """Wait for tshark to end by itself (count or duration)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        return self.stop()

    def stop(self):
        """Stop tshark (SIGINT to its PID, then SIGKILL); return the rows."""
        proc, self.proc = self.proc, None
        if proc is None:
            return self.rows
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        self.stderr += err.decode(errors="replace")
        n = len(self.fields)
        self.rows = [dict(zip(self.fields, line.split("|")))
                     for line in out.decode(errors="replace").splitlines()
                     if line.count("|") == n - 1]
        return self.rows


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""
