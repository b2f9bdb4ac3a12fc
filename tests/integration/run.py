#!/usr/bin/env python3
"""run.py - Skiff's integration test runner (plain Python, no pytest).

    python3 tests/integration/run.py --build build [--filter SUBSTR] [--list]
                                     [--slow] [--jobs N]

Finds tests/integration/test_*.py, and in each, in file order, every
function named test_*; it takes one argument, the test context `t`:

    t.shared_vm(**kw)  a booted VM (at its prompt) shared by every test that
                       asks for the same arguments; booted on first use,
                       rebooted if a test left it dead.  For read-only checks.
    t.vm(**kw)         a VM of the test's own, started (not yet at a prompt),
                       killed when the test ends.  For destructive tests.
    t.iso, t.build, t.name, t.log_path

kw are skiff_qemu.Qemu's arguments (smp, mem, nic, config, extra_args, ...).
A test passes if it returns, fails if it raises; it also fails if a VM it
used printed a kernel panic during the test.  Each test has a time limit
(default 180 s; @skiff_qemu.time_limit(N) to change it). A test marked
@skiff_qemu.expect_panic makes the guest panic on purpose;
@skiff_qemu.expect_ubsan triggers UBSan reports on purpose (any other
test fails on a `UBSAN:` report line, which only a `make UBSAN=1` kernel
prints outside `crash ubsan`).

--jobs N runs tests N at a time (parallel.py): each in a child runner
(run.py --child --only NAME ...). A file's tests run in one child, one
after the other; every file that uses shared VMs goes to one child, so a
shared VM is never booted twice at once; a test marked
@skiff_qemu.exclusive (floods, soak: their load or timing would
disturb, or be disturbed by, a neighbour) runs alone,
before the rest. The longest work starts first, by the durations of the
last run (BUILD/integration/durations.txt, else the committed
tests/integration/durations.txt).

The serial output of every VM a test used goes to
BUILD/integration/logs/<test>.log (for a shared VM: everything since its
boot).  Prints `PASS name (Ns)` or `FAIL name: reason` per test and writes
"passed failed" to BUILD/integration/results.  Exits 1 if any test failed.
"""

import argparse
import importlib.util
import os
import re
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import skiff_qemu  # noqa: E402
from skiff_qemu import HarnessError, Qemu  # noqa: E402

DEFAULT_LIMIT = 180
SHARED_BOOT_TIMEOUT = 60
MAX_SHARED_ALIVE = 1  # idle VMs still cost CPU on this 2-core machine


class TimeLimit(BaseException):
    """Raised by SIGALRM when a test overruns its limit (a backstop: the
    harness's waits normally stop at the deadline themselves)."""


class SharedPool:
    """VMs shared between tests, keyed by their Qemu arguments."""

    def __init__(self, runner):
        self.runner = runner
        self.vms = {}  # key -> Qemu
        self.failed = {}  # key -> reason the boot failed
        self.failed_text = {}  # key -> its serial text, for the first test
        self.order = []  # keys, least recently used first

    @staticmethod
    def key(kw):
        return tuple(sorted((k, repr(v)) for k, v in kw.items()))

    @staticmethod
    def describe(kw):
        if not kw:
            return "default"
        return "-".join(f"{k}{v}" for k, v in sorted(kw.items()))

    def get(self, kw):
        key = self.key(kw)
        if key in self.failed:
            raise HarnessError(f"shared VM '{self.describe(kw)}' failed to "
                               f"boot earlier: {self.failed[key]}")
        vm = self.vms.get(key)
        if vm is not None:
            try:
                vm.resync()
            except HarnessError:
                vm.kill()
                vm = None
                del self.vms[key]
        if vm is None:
            vm = self._boot(key, kw)
        self.order = [k for k in self.order if k != key] + [key]
        return vm

    def _boot(self, key, kw):
        while len(self.vms) >= MAX_SHARED_ALIVE:
            old = self.order.pop(0)
            if old in self.vms:
                self.vms.pop(old).kill()
        name = "shared-" + _safe(self.describe(kw))
        vm = Qemu(self.runner.iso, name=name,
                  log_path=os.path.join(self.runner.log_dir, name + ".log"),
                  **kw)
        vm.start()
        self.vms[key] = vm
        try:
            vm.wait_prompt(SHARED_BOOT_TIMEOUT)
        except HarnessError as e:
            vm.kill()
            del self.vms[key]
            self.failed[key] = str(e).split("\n")[0]
            self.failed_text[key] = vm.text
            raise
        return vm

    def drop(self, vm):
        for key, v in list(self.vms.items()):
            if v is vm:
                del self.vms[key]
        vm.kill()

    def close(self):
        for vm in self.vms.values():
            vm.kill()
        self.vms.clear()


class TestContext:
    def __init__(self, runner, name):
        self.runner = runner
        self.name = name
        self.build = runner.build
        self.iso = runner.iso
        self.log_path = os.path.join(runner.log_dir, _safe(name) + ".log")
        self.own = []  # VMs this test started
        self.used = []  # (vm, text mark at first use, log handle or None)

    def vm(self, **kw):
        n = len(self.own) + 1
        path = self.log_path if n == 1 else self.log_path[:-4] + f"-{n}.log"
        vm = Qemu(self.iso, name=f"{self.name}-{n}", log_path=path, **kw)
        self.own.append(vm)
        self.used.append((vm, 0, None))
        return vm.start()

    def shared_vm(self, **kw):
        try:
            vm = self.runner.pool.get(kw)
        except HarnessError:
            text = self.runner.pool.failed_text.pop(SharedPool.key(kw), "")
            with open(self.log_path, "a") as f:
                f.write(text + "\n##harness## shared VM did not boot; see "
                        f"shared-{_safe(SharedPool.describe(kw))}.log\n")
            raise
        if not any(v is vm for v, _, _ in self.used):
            self.used.append((vm, vm.mark(), vm.attach_log(self.log_path)))
        return vm

    def finish(self):
        """End of test: release VMs; return the first panic line and the
        first UBSan report line that appeared (or None)."""
        panic = ubsan = None
        for vm, mark, handle in self.used:
            panic = panic or vm.panic_text(mark)
            ubsan = ubsan or vm.panic_text(mark, skiff_qemu.UBSAN_RE)
            if handle is not None:
                vm.detach_log(handle)
        for vm in self.own:
            vm.kill()
        return panic, ubsan

    def kill_all_used(self):
        for vm, _, _ in self.used:
            self.runner.pool.drop(vm)


class Runner:
    def __init__(self, build, filters, slow=False, only=None, child=False):
        self.build = os.path.abspath(build)
        self.iso = os.path.join(self.build, "skiff.iso")
        self.out_dir = os.path.join(self.build, "integration")
        self.log_dir = os.path.join(self.out_dir, "logs")
        self.filters = filters
        self.slow = slow
        self.skipped_slow = 0
        self.only = only or []  # exact test names (a --jobs child)
        self.child = child
        self.pool = SharedPool(self)
        self.passed = 0
        self.failed = 0

    def discover(self):
        tests = []
        for fname in sorted(os.listdir(HERE)):
            if not (fname.startswith("test_") and fname.endswith(".py")):
                continue
            stem = fname[:-3]
            spec = importlib.util.spec_from_file_location(
                stem, os.path.join(HERE, fname))
            mod = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(mod)
            except Exception:
                tests.append((stem[5:] + ".<import>", _import_error(fname)))
                continue
            for attr, fn in vars(mod).items():
                if attr.startswith("test_") and callable(fn) \
                        and getattr(fn, "__module__", None) == stem:
                    tests.append((f"{stem[5:]}.{attr[5:]}", fn))
        if self.only:
            tests = [(n, f) for n, f in tests if n in self.only]
        elif self.filters:
            tests = [(n, f) for n, f in tests
                     if any(s in n for s in self.filters)]
        elif not self.slow:  # @slow tests: only when asked for
            kept = [(n, f) for n, f in tests if not getattr(f, "slow", False)]
            self.skipped_slow = len(tests) - len(kept)
            tests = kept
        return tests

    def run_one(self, name, fn):
        limit = skiff_qemu.scaled(getattr(fn, "time_limit", DEFAULT_LIMIT))
        t = TestContext(self, name)
        if os.path.exists(t.log_path):
            os.remove(t.log_path)
        start = time.monotonic()
        skiff_qemu.set_deadline(start + limit)
        error = None
        signal.setitimer(signal.ITIMER_REAL, limit + 5)
        try:
            fn(t)
        except TimeLimit:
            error = f"time limit of {limit:.0f} s reached"
        except AssertionError as e:
            error = str(e) or "assertion failed:\n" + _where(e)
        except HarnessError as e:
            error = str(e)
        except Exception as e:
            error = f"{type(e).__name__}: {e}\n{_where(e)}"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            skiff_qemu.set_deadline(None)
        if error and "time limit" in error:
            t.kill_all_used()  # whatever it hung on is not trustworthy
        panic, ubsan = t.finish()
        if panic and not error and not getattr(fn, "expect_panic", False):
            error = f"kernel panic during the test: {panic.strip()}"
        if ubsan and not error and not getattr(fn, "expect_ubsan", False):
            error = f"undefined behaviour during the test: {ubsan.strip()}"
        secs = time.monotonic() - start
        if error:
            self.failed += 1
            first, _, rest = error.partition("\n")
            print(f"FAIL {name}: {first} ({secs:.1f}s; log {t.log_path})")
            for line in rest.rstrip().split("\n") if rest.strip() else []:
                print("     | " + line)
        else:
            self.passed += 1
            print(f"PASS {name} ({secs:.1f}s)")
        sys.stdout.flush()

    def run(self, tests):
        os.makedirs(self.log_dir, exist_ok=True)
        if not self.filters and not self.child:
            for f in os.listdir(self.log_dir):
                if f.endswith(".log"):
                    os.remove(os.path.join(self.log_dir, f))
        missing = [p for p in (self.iso, skiff_qemu.OVMF_CODE,
                               skiff_qemu.OVMF_VARS) if not os.path.exists(p)]
        for name, fn in tests:
            if missing:
                self.failed += 1
                print(f"FAIL {name}: missing {', '.join(missing)}")
                continue
            self.run_one(name, fn)
        self.pool.close()


def _safe(name):
    return re.sub(r"[^A-Za-z0-9_.=-]", "_", name)


def _where(e):
    tb = traceback.extract_tb(e.__traceback__)
    own = [fr for fr in tb if os.path.basename(fr.filename).startswith("test_")]
    frames = own[-1:] or tb[-1:]
    return "".join(traceback.format_list(frames)).rstrip()


def _import_error(fname):
    err = traceback.format_exc()

    def test(t):
        raise HarnessError(f"cannot import {fname}\n{err}")

    return test


def _on_alarm(signum, frame):
    raise TimeLimit()


def _on_term(signum, frame):
    raise SystemExit(128 + signum)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--build", default="build", help="build directory")
    ap.add_argument("--filter", action="append", default=[],
                    help="run tests whose name contains this (repeatable)")
    ap.add_argument("--list", action="store_true", help="list tests and exit")
    ap.add_argument("--slow", action="store_true",
                    help="also run the tests marked @slow")
    ap.add_argument("--jobs", type=int, default=1,
                    help="run this many tests at a time (default 1)")
    ap.add_argument("--only", action="append", default=[],
                    help=argparse.SUPPRESS)  # exact names, for a child
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    runner = Runner(args.build, args.filter, args.slow, args.only,
                    args.child)
    tests = runner.discover()
    if args.list:
        for name, _ in tests:
            print(name)
        return 0
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGHUP, _on_term)
    if args.child:
        try:
            runner.run(tests)
        finally:
            skiff_qemu.kill_all()
        return 0
    t0 = time.monotonic()
    try:
        if args.jobs > 1:
            import parallel
            os.makedirs(runner.log_dir, exist_ok=True)
            if not runner.filters:
                for f in os.listdir(runner.log_dir):
                    if f.endswith(".log"):
                        os.remove(os.path.join(runner.log_dir, f))
            parallel.run(runner, tests, args.jobs, __file__)
        else:
            runner.run(tests)
    except BaseException:
        runner.failed += 1  # interrupted: never report a clean run
        raise
    finally:
        skiff_qemu.kill_all()
        os.makedirs(runner.out_dir, exist_ok=True)
        with open(os.path.join(runner.out_dir, "results"), "w") as f:
            f.write(f"{runner.passed} {runner.failed}\n")
    if runner.skipped_slow:
        print(f"integration: {runner.skipped_slow} slow tests not run "
              "(make test SLOW=1 runs them)")
    print(f"integration: {runner.passed} passed, {runner.failed} failed "
          f"in {time.monotonic() - t0:.0f} s (logs in {runner.log_dir})")
    return 1 if runner.failed else 0


if __name__ == "__main__":
    sys.exit(main())
