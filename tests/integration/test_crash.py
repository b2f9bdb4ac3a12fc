"""Crash reports: every deliberate failure of the `crash` command prints
the report an operator needs (what, where, a symbolized backtrace naming
the right functions) and stops the machine; panic=reboot resets it.
"""

import re

from skiff_qemu import expect_panic, expect_ubsan, time_limit


def crash(t, kind, config=None):
    """Boot, run `crash KIND`, return the text of the report."""
    vm = t.vm(smp=1, config=config)
    vm.fail_on_panic = False
    vm.wait_prompt(60)
    start = len(vm.text)
    vm.send(f"crash {kind}\r")
    vm.wait_for(r"---\[ end Kernel panic: .* \]---\n.*(System halted|resetting)",
                timeout=30)
    return vm, vm.text[start:]


def assert_trace(report, *functions):
    trace = report[report.index("Call trace:"):]
    for fn in functions:
        assert re.search(rf"#\d+\s+[0-9a-f]{{16}} {re.escape(fn)}[.+]", trace), \
            f"backtrace does not name {fn}:\n{trace}"


@expect_panic
@time_limit(120)
def test_panic(t):
    vm, r = crash(t, "panic")
    assert "Kernel panic on cpu 0: crash: deliberate panic" in r, r
    assert_trace(r, "crash_panic", "cmd_crash", "shell_poll", "kmain")
    assert "System halted" in r  # the wait matched it; "." may lag


@expect_panic
@time_limit(120)
def test_null_dereference(t):
    vm, r = crash(t, "null")
    assert "#PF page fault" in r and \
        "page fault at 0000000000000000: not present write" in r, r
    assert re.search(r"RIP: [0-9a-f]{16} RSP:", r), "no register dump"
    assert_trace(r, "crash_null", "cmd_crash")


@expect_panic
@time_limit(120)
def test_stack_overflow(t):
    vm, r = crash(t, "overflow")
    assert "#DF double fault" in r and "is in a stack guard page" in r, r
    assert re.search(r"the frame above \d+ more times", r), r
    assert_trace(r, "crash_recurse", "cmd_crash")
    assert "end Kernel panic: stack overflow" in r


@expect_panic
@time_limit(120)
def test_lock_recursion(t):
    vm, r = crash(t, "lock-recursion")
    assert "spin_lock: recursion on lock 'crash_test' by cpu 0" in r, r
    assert_trace(r, "spin_lock", "cmd_crash")


@expect_panic
@time_limit(120)
def test_lock_unowned(t):
    vm, r = crash(t, "lock-unowned")
    assert "spin_unlock: lock 'crash_test' held by cpu -1, released by " \
        "cpu 0" in r, r
    assert_trace(r, "spin_unlock", "cmd_crash")


@expect_panic
@time_limit(120)
def test_lock_wait(t):
    vm, r = crash(t, "lock-wait")
    assert "crash_wait_locked: waiting with 1 spinlock(s) held on cpu 0" \
        in r, r
    assert_trace(r, "might_sleep", "cmd_crash")


@expect_panic
@time_limit(120)
def test_panic_reboot(t):
    """panic=reboot resets the machine (QEMU runs with -no-reboot, so the
    reset ends it)."""
    vm, r = crash(t, "panic", config="panic=reboot")
    assert "panic=reboot: resetting" in r, r
    status = vm.wait_exit(30)
    assert status == 0, f"QEMU exit status {status}"


def lockup(t, kind, what, *functions):
    """`crash KIND` wedges CPU 0 for 12 s: the watchdog reports where, the
    machine keeps running and the shell answers again afterwards."""
    vm = t.vm(smp=2)
    vm.wait_prompt(60)
    start = len(vm.text)
    vm.send(f"crash {kind}\r")
    vm.wait_for(r"\*\*\* watchdog: end of report", timeout=40)
    report = vm.text[start:]
    assert re.search(rf"\*\*\* watchdog: {what} \(.*\) on cpu 0, stuck for "
                     r"\d+ s", report), report
    assert_trace(report, *functions)
    vm.wait_prompt(30)
    out = vm.cmd("uptime")
    assert "up " in out, out


@time_limit(120)
def test_soft_lockup(t):
    lockup(t, "softlockup", "soft lockup", "crash_spin_softirq",
           "do_softirq", "cmd_crash")


@time_limit(120)
def test_hard_lockup(t):
    lockup(t, "hardlockup", "hard lockup", "crash_hardlockup", "cmd_crash")


@expect_panic
@time_limit(120)
def test_stack_smash(t):
    """A local array overrun changes the per-boot stack canary; the
    function's epilogue notices before returning and the report names it."""
    vm, r = crash(t, "stack-smash")
    assert "stackprotector: per-boot canary from " in vm.text, \
        "no stackprotector boot line"
    assert re.search(r"Kernel panic on cpu 0: stack-protector: kernel stack "
                     r"is corrupted in: crash_stack_smash\+0x[0-9a-f]+ ", r), r
    assert_trace(r, "__stack_chk_fail", "crash_stack_smash", "cmd_crash")
    assert "System halted" in r


@expect_ubsan
@time_limit(120)
def test_ubsan_report(t):
    """Undefined behaviour is reported by the kernel's UBSan runtime, one
    line per site naming check, file:line and function, and the machine
    goes on; the same site is not reported twice."""
    vm = t.vm(smp=1)
    vm.wait_prompt(60)
    out = vm.cmd("crash ubsan")
    for check, detail in (
            ("signed-integer-overflow",
             "2147483647 + 1 cannot be represented in type 'int'"),
            ("shift-out-of-bounds", "shift exponent 40 is too large"),
            ("array-index-out-of-bounds",
             "index 8 is out of range for type 'int [8]'")):
        assert re.search(rf"UBSAN: {check} at kernel/crash\.c:\d+:\d+ in "
                         rf"crash_ubsan\S*: {re.escape(detail)}", out), \
            f"no {check} report:\n{out}"
    m = re.search(r"(\d+) new findings", out)
    assert m and int(m.group(1)) >= 3, out  # UBSAN=1 adds object-size
    again = vm.cmd("crash ubsan")
    assert "UBSAN:" not in again and "0 new findings" in again, again
    assert "up " in vm.cmd("uptime")
