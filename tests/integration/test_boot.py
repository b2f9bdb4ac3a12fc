"""Boot, power off, and a bad configuration: the foundation's contract.

Each check here boots its own VM except the first, which boots the default
shared VM that test_shell.py goes on to use.
"""

import os
import re
import shutil
import time

from skiff_qemu import BANNER_RE, PROMPT_RE, time_limit


def test_banner_and_prompt(t):
    """The banner, then the prompt within 60 s of QEMU starting; no panic."""
    vm = t.shared_vm()  # waits up to 60 s for the prompt
    prompt = vm.find(PROMPT_RE)
    banner = vm.find(BANNER_RE)
    assert banner and banner.start() < prompt.start(), \
        "no line starting with 'Skiff ' before the first prompt\n" + vm.tail()
    panic = vm.panic_text()
    assert not panic, f"panic text in the boot log: {panic}"
    # Where the boot time went: every kmain stage, in order, in ms.
    stages = vm.find(r"boot: stages ms: (.*)")
    assert stages and stages.start() < prompt.start(), \
        "no 'boot: stages ms:' line before the prompt\n" + vm.tail()
    names = re.findall(r"([a-z+]+) \d+\.\d", stages.group(1))
    assert names == ["early", "mm", "paging", "acpi+config", "irq+clocks",
                     "smp", "net", "pci+drivers", "apps", "netfilter",
                     "netconfig"], stages.group(0)
    # The clock: a quick calibration, refined over the boot (>= 10 ms).
    ref = r"(HPET|ACPI PM timer)"
    quick = vm.find(r"time: TSC ([\d.]+) MHz, calibrated against the " + ref)
    refined = vm.find(r"time: TSC ([\d.]+) MHz, refined over (\d+) ms "
                      r"against the " + ref)
    assert quick and refined and quick.start() < refined.start(), vm.tail()
    assert int(refined.group(2)) >= 10, refined.group(0)
    assert refined.group(3) == quick.group(2), refined.group(0)


@time_limit(120)
def test_poweroff(t):
    """`poweroff` (ACPI S5) makes QEMU exit by itself within 20 s.

    Without -no-reboot, so a reset (say a triple fault) reboots instead of
    exiting and cannot pass for a power-off."""
    vm = t.vm(no_reboot=False)
    vm.wait_prompt(60)
    vm.send("poweroff\r")
    status = vm.wait_exit(20)
    assert status == 0, f"QEMU exit status {status} after poweroff"


@time_limit(150)
def test_bad_config(t):
    """Unknown keys and bad values are named on the console, defaults kept,
    and the boot goes on to the prompt."""
    vm = t.vm(config="bogus=1 mtu=99999 log=info")
    vm.wait_prompt(60)
    lines = vm.text.split("\n")
    config_lines = [ln for ln in lines if "config:" in ln]
    for key in ("bogus", "mtu"):
        assert any(key in ln for ln in config_lines), \
            f"no 'config:' line naming {key!r}; config lines: {config_lines}"
    out = vm.cmd("config")
    assert re.search(r"\bmtu\s*[=:]?\s*1500\b", out), \
        f"`config` does not show mtu=1500:\n{out}"


@time_limit(150)
def test_nic_behind_bridge(t):
    """PCI enumeration follows bridges: a NIC behind a PCIe root port (on
    the bus the firmware numbered behind it) is found and bound."""
    vm = t.vm(nic=None, extra_args=[
        "-device", "pcie-root-port,id=rp1,chassis=1,slot=1",
        "-netdev", "user,id=n1,restrict=on",
        "-device", "virtio-net-pci,netdev=n1,bus=rp1"])
    vm.wait_prompt(90)
    bridge = vm.find(r"pci: (00:[0-9a-f]{2}\.\d) 1b36:000c class 0604")
    assert bridge, "the root port is not listed\n" + vm.tail()
    nic = vm.find(r"pci: (0[1-9a-f]:00\.0) bound to virtio_net")
    assert nic, "no virtio NIC bound behind the bridge\n" + vm.tail()
    out = vm.cmd("ip link", timeout=30)
    assert "eth0" in out, out


def _screendump(sock_path, out_path, timeout=20):
    """The VGA screen as (width, height, RGB bytes), through QEMU's
    human monitor on a unix socket (`screendump` writes a PPM)."""
    import socket
    import time
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    try:
        s.sendall(f"screendump {out_path}\n".encode())
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            time.sleep(0.3)
            if os.path.exists(out_path) and os.path.getsize(out_path) > 100:
                break
        time.sleep(0.3)  # the file is written in one go; let it finish
    finally:
        s.close()
    with open(out_path, "rb") as f:
        data = f.read()
    os.unlink(out_path)
    magic, w, h, maxval, rest = data.split(maxsplit=4)
    assert magic == b"P6" and maxval == b"255", data[:20]
    return int(w), int(h), rest


def _fg_pixels(w, rgb, y0, y1):
    """Pixels of the console's text colour (0xc0c0c0) in rows [y0, y1)."""
    row = w * 3
    band = rgb[y0 * row:y1 * row]
    return sum(1 for i in range(0, len(band), 3)
               if band[i:i + 3] == b"\xc0\xc0\xc0")


@time_limit(150)
def test_framebuffer_console(t):
    """The screen (console=both, the default) shows the boot log once the
    kernel is idle: drawing is deferred to the idle loop, so check that it
    happens, that the firmware's screen is cleared below the text, and that
    a command's output appears."""
    import tempfile
    tmp = tempfile.mkdtemp(prefix="skiff-fb-")
    sock = os.path.join(tmp, "mon.sock")
    try:
        vm = t.vm(extra_args=["-monitor", f"unix:{sock},server=on,wait=off"])
        vm.wait_prompt(90)
        time.sleep(1)
        w, h, rgb = _screendump(sock, os.path.join(tmp, "a.ppm"))
        assert _fg_pixels(w, rgb, 0, 16) > 100, "no text on the first row"
        bottom = rgb[(h - 16) * w * 3:]
        assert bottom == b"\x00" * len(bottom), "bottom row not cleared"
        before = _fg_pixels(w, rgb, 0, h)
        vm.cmd("help", timeout=30)
        time.sleep(1)
        w, h, rgb = _screendump(sock, os.path.join(tmp, "b.ppm"))
        assert _fg_pixels(w, rgb, 0, h) > before, \
            "the help text did not reach the screen"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
