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
"""

import itertools
import os
import subprocess

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
        if self.created:
            _ip("netns", "del", self.name, check=False)
            self.created = False

    def sysctl(self, key, value):
        self.run(["sysctl", "-q", "-w", f"{key}={value}"], check=True)

    def qemu_args(self):
        """Keyword arguments for skiff_qemu.Qemu / t.vm()."""
        return {
            "wrap": ["ip", "netns", "exec", self.name],
            "netdev": f"tap,id=n0,ifname={self.tap},script=no,downscript=no",
        }

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

    def tap_stat(self, name):
        """A counter of the tap as Linux sees it, e.g. tx_packets."""
        p = self.run(["cat", f"/sys/class/net/{self.tap}/statistics/{name}"],
                     check=True)
        return int(p.stdout.strip())
