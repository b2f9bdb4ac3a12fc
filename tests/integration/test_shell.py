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


def test_boot_services_code_zeroed_then_free(t):
    """Boot-services code is held back at boot, zeroed from the idle loop
    and then given to the page allocator: the boot line names its size,
    a later line says it is done, and `mem` then has none left to zero
    and at least that much more in total than at boot."""
    vm = t.shared_vm()
    m = vm.find(r"mm: (\d+) MiB free in pages, .*\((\d+) KiB of its code "
                r"zeroed from the idle loop first\)")
    assert m, "no `mm:` boot line with the boot-services code to zero"
    at_boot_mib, code_kib = int(m.group(1)), int(m.group(2))
    assert code_kib > 0, f"OVMF left no boot-services code? {m.group(0)}"
    done = vm.wait_for(r"mm: (\d+) KiB of boot-services code zeroed and "
                       r"free, \d+ ms after boot", timeout=60, start=0)
    assert int(done.group(1)) == code_kib, done.group(0)
    out = vm.cmd("mem")
    pages = re.search(r"pages:\s+(\d+) MiB total, .*\((\d+) KiB still to "
                      r"zero\)", out)
    assert pages, f"`mem` has no pages line with the bytes to zero:\n{out}"
    assert int(pages.group(2)) == 0, out
    assert int(pages.group(1)) * 1024 >= at_boot_mib * 1024 + code_kib - 1024, \
        f"total pages did not grow by the zeroed code:\n{out}"


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


def _timer_softirq_runs(vm):
    out = vm.cmd("softirqs")
    runs = re.search(r"^TIMER\s+(\d+)", out, re.M)
    longest = re.search(r"^max_us\s+TIMER\s+(\d+)", out, re.M)
    assert runs and longest, f"`softirqs` has no TIMER rows:\n{out}"
    return int(runs.group(1))


def _ticks(vm, fired=False):
    out = vm.cmd("timers")
    m = re.search(r"^cpu0\s+\d+\s+\S+\s+(\d+)\s+\d+\s+\d+\s+(\d+)", out,
                  re.M)
    assert m, f"cannot parse `timers`:\n{out}"
    if not fired or int(m.group(1)) == 0:
        return int(m.group(2))
    assert re.search(r"^cpu0 slowest callback: \S+, \d+ us$", out, re.M), \
        f"`timers` names no slowest callback:\n{out}"
    return int(m.group(2))


def test_timer_softirq_only_when_due(t):
    """TIMER_SOFTIRQ runs when a timer is due (and as the watchdog's
    heartbeat), not on every tick: with the tick left running (nohz=off),
    over ~1 s of an idle shell, far fewer runs than ticks. `softirqs` shows
    each softirq's longest run and `timers` the slowest callback."""
    vm = t.shared_vm(config="nohz=off")
    assert "tickless idle: off (nohz=off)" in vm.cmd("timers")
    runs0, ticks0 = _timer_softirq_runs(vm), _ticks(vm)
    deadline = time.monotonic() + 30
    ticks1 = ticks0
    while ticks1 - ticks0 < 1000 and time.monotonic() < deadline:
        time.sleep(1)  # until 1,000 ticks (1 s of guest time) are counted
        ticks1 = _ticks(vm, fired=True)
    runs1 = _timer_softirq_runs(vm)
    ticks, runs = ticks1 - ticks0, runs1 - runs0
    assert ticks >= 1000, f"only {ticks} ticks on cpu0 in 30 s"
    assert 0 < runs < ticks // 4, \
        f"TIMER_SOFTIRQ ran {runs} times in {ticks} ticks"


def _tick_stops(vm):
    out = vm.cmd("timers")
    m = re.search(r"^tickless idle: (\S+); .*cpu0 (\d+)", out, re.M)
    assert m, f"`timers` has no tickless idle line:\n{out}"
    return m.group(1), int(m.group(2))


def _fired(vm):
    out = vm.cmd("timers")
    m = re.search(r"^cpu0\s+\d+\s+\S+\s+(\d+)", out, re.M)
    assert m, f"cannot parse `timers`:\n{out}"
    return int(m.group(1))


def test_tickless_idle(t):
    """nohz=on (the default): an idle CPU stops its tick and sleeps until
    its next timer, so over 2 s of an idle shell cpu0 counts far fewer than
    the 2,000 ticks of HZ=1000, stops its tick, and its timers (conntrack's
    collector runs every 100 ms) still fire. (Until the firmware's pages
    are zeroed, a second or so after boot, the tick stays on.)"""
    vm = t.shared_vm()
    vm.wait_for(r"boot-services code zeroed and free", timeout=60, start=0)
    state, stops0 = _tick_stops(vm)
    assert state == "on", vm.cmd("timers")
    ticks0, fired0 = _ticks(vm), _fired(vm)
    time.sleep(2)
    ticks1, fired1 = _ticks(vm), _fired(vm)
    _, stops1 = _tick_stops(vm)
    assert ticks1 - ticks0 < 1000, \
        f"{ticks1 - ticks0} ticks in 2 s of idle: the tick did not stop"
    assert stops1 > stops0, f"the tick was never stopped ({stops0})"
    assert fired1 - fired0 >= 5, \
        f"only {fired1 - fired0} timers fired in 2 s with the tick stopped"
