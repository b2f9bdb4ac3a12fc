"""The serial shell: help, errors, version, mem, uptime.

All read-only, on the default shared VM (-smp 2, no NIC).
"""

import re
import time

COMMANDS = ("version", "uptime", "mem", "log", "config", "cpus", "timers",
            "softirqs", "locks", "selftest", "reboot", "poweroff")


def test_help_lists_commands(t):
    out = t.shared_vm().cmd("help")
    missing = [c for c in COMMANDS if not re.search(rf"\b{c}\b", out)]
    assert not missing, f"`help` does not list {missing}:\n{out}"


def test_unknown_command(t):
    out = t.shared_vm().cmd("frobnicate")
    want = "frobnicate: command not found (try 'help')"
    assert want in out.split("\n"), f"expected {want!r}, got:\n{out}"


def test_help_uptime_usage(t):
    out = t.shared_vm().cmd("help uptime")
    assert "command not found" not in out, out
    assert re.search(r"(?im)^\s*(usage:\s*)?uptime\b", out), \
        f"`help uptime` prints no usage line:\n{out}"


def test_version(t):
    out = t.shared_vm().cmd("version")
    assert "Skiff" in out, f"`version` has no 'Skiff':\n{out}"


def test_mem(t):
    out = t.shared_vm().cmd("mem")
    assert "MiB" in out, f"`mem` shows no MiB line:\n{out}"


def _uptime(vm):
    out = vm.cmd("uptime")
    m = re.search(r"\bup\s+(\d+(?:\.\d+)?)\s*s\b", out)
    assert m, f"cannot parse `uptime` output:\n{out}"
    return float(m.group(1))


def test_uptime_advances(t):
    """Two readings about 2 s of wall time apart differ by 1 to 10 s."""
    vm = t.shared_vm()
    first = _uptime(vm)
    time.sleep(2)  # the interval being measured, not a wait for readiness
    second = _uptime(vm)
    delta = second - first
    assert 1.0 <= delta <= 10.0, \
        f"uptime went from {first} to {second} s ({delta:+.3f} s) in ~2 s"
