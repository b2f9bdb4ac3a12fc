"""Transmit offloads (issue 8's performance pass), through the booted ISO on
a tap in a private namespace (198.18.0.1 Linux, 198.18.0.2 Skiff):

- virtio-net with offloads (the default): a download arrives whole (its
  SHA-256 checked), the driver handed the device TSO frames (ethtool -S
  counts them), and a capture of it read by tshark shows GSO frames whole
  (IP length above the MTU, as Linux's tcpdump shows them) with valid IP
  and TCP checksums although the NIC computes them;
- e1000 with nic.offload=off: the same download, no TSO frame, no
  checksum offload, every captured frame at most MTU-sized and valid.
"""

import os
import re
import shutil
import subprocess
import tempfile

from netns import GUEST_ADDR, READY_RE, NetNS
from skiff_qemu import time_limit
from test_http import pattern_sha  # /bytes/N's body

SIZE = 400_000  # a few hundred segments: several TSO frames
HOST = "198.18.0.1"


def boot(t, ns, nic, extra=""):
    vm = t.vm(nic=nic, smp=1,
              config=f"ip={GUEST_ADDR}/24 http.pcap=on {extra}".strip(),
              **ns.qemu_args())
    vm.wait_for(READY_RE, timeout=90)
    vm.wait_prompt(30)
    return vm


def download_captured(ns, vm, tmp):
    """Capture port 80 while downloading SIZE bytes; the pcap's path."""
    out = vm.cmd("capture start tcp port 80")
    assert "error" not in out.lower(), out
    p = ns.run(["sh", "-c", f"curl -sS --max-time 60 "
                f"http://{GUEST_ADDR}/bytes/{SIZE} | sha256sum"], timeout=90)
    assert p.stdout.split()[0] == pattern_sha(SIZE), p.stdout + p.stderr
    vm.cmd("capture stop")
    path = os.path.join(tmp, "c.pcap")
    p = ns.run(["curl", "-sS", "-o", path, "--max-time", "60",
                f"http://{GUEST_ADDR}/debug/pcap"], timeout=90)
    assert p.returncode == 0, p.stderr
    return path


def outgoing_frames(path):
    """(ip.len, ip checksum status, tcp checksum status) of every frame
    Skiff sent, with tshark verifying both checksums (1 = good)."""
    p = subprocess.run(
        ["tshark", "-n", "-r", path, "-o", "ip.check_checksum:TRUE",
         "-o", "tcp.check_checksum:TRUE", "-T", "fields", "-E",
         "separator=|", "-e", "ip.src", "-e", "ip.len",
         "-e", "ip.checksum.status", "-e", "tcp.checksum.status"],
        capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    rows = [ln.split("|") for ln in p.stdout.splitlines() if ln]
    return [(int(r[1]), r[2], r[3]) for r in rows if r[0] == GUEST_ADDR]


def nic_stat(vm, name):
    m = re.search(rf"^\s+{name}: (\d+)$", vm.cmd("ethtool -S eth0"), re.M)
    assert m, f"no {name} in ethtool -S"
    return int(m.group(1))


@time_limit(240)
def test_tso_capture_virtio(t):
    with NetNS() as ns:
        vm = boot(t, ns, "virtio")
        assert "HOST_TSO4" in vm.text, "virtio-net did not negotiate TSO"
        tmp = tempfile.mkdtemp(prefix="skiff-offload-")
        try:
            frames = outgoing_frames(download_captured(ns, vm, tmp))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        assert frames, "nothing captured"
        assert any(length > 1500 for length, _, _ in frames), frames
        assert all(ip == "1" and tcp == "1" for _, ip, tcp in frames), \
            [f for f in frames if f[1:] != ("1", "1")]
        assert nic_stat(vm, "tx_queue_0_tso_frames") > 0
        assert nic_stat(vm, "tx_queue_0_csum_offload") > 0


@time_limit(240)
def test_offload_off_e1000(t):
    with NetNS() as ns:
        vm = boot(t, ns, "e1000", "nic.offload=off")
        tmp = tempfile.mkdtemp(prefix="skiff-offload-")
        try:
            frames = outgoing_frames(download_captured(ns, vm, tmp))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        assert len(frames) > SIZE // 1500, len(frames)
        assert all(length <= 1500 for length, _, _ in frames), \
            max(f[0] for f in frames)
        assert all(ip == "1" and tcp == "1" for _, ip, tcp in frames), \
            [f for f in frames if f[1:] != ("1", "1")]
        assert nic_stat(vm, "tx_tso_frames") == 0
        assert nic_stat(vm, "tx_csum_offload") == 0
