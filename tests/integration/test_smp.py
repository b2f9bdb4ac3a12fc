"""Several CPUs: the in-kernel selftest on 1 and 4 CPUs, and `cpus`."""

import re

from skiff_qemu import time_limit

SUMMARY_RE = re.compile(r"^selftest: (\d+) passed, (\d+) failed\s*$", re.M)


def _selftest(vm):
    out = vm.cmd("selftest", timeout=150)
    found = SUMMARY_RE.findall(out)
    assert found, f"no 'selftest: N passed, M failed' line:\n{out}"
    last = [ln for ln in out.split("\n") if ln.strip()][-1]
    assert SUMMARY_RE.match(last), \
        f"selftest output does not end with its summary:\n{out}"
    passed, failed = int(found[-1][0]), int(found[-1][1])
    bad = [ln for ln in out.split("\n") if re.search(r"(?i)fail", ln)]
    assert failed == 0, f"selftest: {passed} passed, {failed} failed:\n" + \
        "\n".join(bad[:30])
    assert passed > 0, f"selftest ran nothing:\n{out}"


@time_limit(240)
def test_selftest_smp1(t):
    _selftest(t.shared_vm(smp=1))


@time_limit(240)
def test_selftest_smp4(t):
    _selftest(t.shared_vm(smp=4))


def test_cpus_smp4(t):
    out = t.shared_vm(smp=4).cmd("cpus")
    rows = [re.match(r"\s*cpu\s*(\d+)\b", ln) for ln in out.split("\n")]
    ids = sorted(int(m.group(1)) for m in rows if m)
    assert ids == [0, 1, 2, 3], \
        f"`cpus` with -smp 4 should list cpu0..cpu3:\n{out}"
