#!/usr/bin/env python3
"""capture_seeds.py - record small captures of real traffic with the
booted ISO and turn them into fuzz_tcp frame-mode seeds (run as root,
after `make all`; the repo keeps the results, so this runs only when the
seeds should be renewed):

    python3 tests/fuzz/capture_seeds.py [--build build]

Boots Skiff (e1000, 198.18.0.2) on a tap in a private namespace, and for
each scenario runs tcpdump on the tap while Linux talks to it: ping
(plain and fragmented), UDP echo, a TCP echo session with a half-close, a
SYN to a closed port, ARP. Writes tests/fuzz/pcaps/<name>.pcap and
tests/fuzz/corpus/tcp/pcap_<name> (pcap2seed.py).
"""

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, HERE)

from netns import GUEST_ADDR, NetNS, PYTHON, READY_RE  # noqa: E402
from skiff_qemu import Qemu  # noqa: E402
import pcap2seed  # noqa: E402

TCP_SESSION = f"""
import socket
s = socket.create_connection(("{GUEST_ADDR}", 7), timeout=10)
for i in range(4):
    msg = b"seed %d " % i * (40 + 300 * i)
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        got += s.recv(65536)
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
s.close()
"""

UDP = f"""
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(3)
for n in (1, 100, 1400, 3000):
    u.sendto(b"u" * n, ("{GUEST_ADDR}", 7))
    u.recvfrom(65536)
"""

CLOSED = f"""
import socket
s = socket.socket()
s.settimeout(3)
try:
    s.connect(("{GUEST_ADDR}", 4444))
except OSError:
    pass
"""

SCENARIOS = {
    "ping": ["ping", "-n", "-c", "3", "-i", "0.2", GUEST_ADDR],
    "ping_frag": ["ping", "-n", "-c", "2", "-s", "3000", "-i", "0.3",
                  GUEST_ADDR],
    "udp_echo": [PYTHON, "-c", UDP],
    "tcp_echo": [PYTHON, "-c", TCP_SESSION],
    "tcp_closed": [PYTHON, "-c", CLOSED],
    "arping": ["arping", "-c", "2", "-w", "3", "-I", "tap0", GUEST_ADDR],
}


def capture(ns, name, argv, out_dir):
    pcap = os.path.join(out_dir, name + ".pcap")
    dump = subprocess.Popen(
        ["ip", "netns", "exec", ns.name, "tcpdump", "-i", ns.tap, "-U",
         "-s", "2048", "-w", pcap],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    ns.run(argv, timeout=60)
    time.sleep(1)
    dump.terminate()
    dump.wait(timeout=10)
    return pcap


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    pcaps = os.path.join(HERE, "pcaps")
    corpus = os.path.join(HERE, "corpus", "tcp")
    os.makedirs(pcaps, exist_ok=True)
    with NetNS() as ns:
        vm = Qemu(os.path.join(args.build, "skiff.iso"), name="seeds",
                  nic="e1000", config=f"ip={GUEST_ADDR}/24",
                  **ns.qemu_args())
        with vm:
            m = vm.wait_for(READY_RE, timeout=90)
            mac = m.group("mac")
            for name, argv in SCENARIOS.items():
                pcap = capture(ns, name, argv, pcaps)
                seed = pcap2seed.convert(pcap2seed.read_pcap(pcap), mac)
                path = os.path.join(corpus, "pcap_" + name)
                with open(path, "wb") as f:
                    f.write(seed)
                print(f"{name}: {os.path.getsize(pcap)} bytes of pcap, "
                      f"seed {len(seed)} bytes")


if __name__ == "__main__":
    main()
