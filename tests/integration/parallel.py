"""parallel.py - run.py --jobs N: the integration tests, N at a time.

Units of work, each run by a child runner (run.py --child --only NAME ...)
that prints the usual PASS/FAIL lines:
  - the tests of one file, in file order (a file's tests may rely on their
    order, and keep their per-file set-up cheap);
  - every file that asks for shared VMs (t.shared_vm), together, so that
    two children never boot or log the same shared VM;
  - each @skiff_qemu.exclusive test alone. Exclusive units run first, one
    at a time with nothing else running; then the rest, N at a time, the
    longest first (durations of the last run, see load_durations);
  - each @skiff_qemu.waits test alone (unless its file uses shared VMs),
    in a pool of its own: after the
    exclusive units, up to N of them run beside the N others (they wait on
    timers more than they compute), the longest first.

The parent streams each child's lines as they come (whole lines, so they
never interleave within a line), counts them, and reports a test its child
never reported (the child died) as failed. The children start their own
QEMUs, netns and relays; the parent only starts children, and on SIGTERM
or an exception kills their process groups.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SECONDS = 20.0  # a test with no recorded duration
RESULT_RE = re.compile(r"^(PASS|FAIL) (\S+?)(?::| \()")
SECONDS_RE = re.compile(r"\((\d+(?:\.\d+)?)s[;)]")


def load_durations(out_dir):
    """name -> seconds, from the last run here, else the committed file."""
    for path in (os.path.join(out_dir, "durations.txt"),
                 os.path.join(HERE, "durations.txt")):
        try:
            with open(path) as f:
                rows = [line.split() for line in f if line.strip()
                        and not line.startswith("#")]
            return {r[0]: float(r[1]) for r in rows if len(r) == 2}
        except (OSError, ValueError):
            continue
    return {}


def save_durations(out_dir, measured):
    old = load_durations(out_dir)
    old.update(measured)
    path = os.path.join(out_dir, "durations.txt")
    with open(path + ".tmp", "w") as f:
        f.write("# test seconds: the last run's durations (parallel.py "
                "orders work by them)\n")
        for name in sorted(old):
            f.write(f"{name} {old[name]:.1f}\n")
    os.replace(path + ".tmp", path)


def _uses_shared_vms(module):
    try:
        with open(os.path.join(HERE, f"test_{module}.py")) as f:
            return "shared_vm(" in f.read()
    except OSError:
        return False


def make_units(tests, durations):
    """(exclusive, waiting, others): lists of (cost, [names]); exclusive
    units in test order, the others longest first."""
    exclusive, waiting, groups, order = [], [], {}, []
    for name, fn in tests:
        cost = durations.get(name, DEFAULT_SECONDS)
        if getattr(fn, "exclusive", False):
            exclusive.append((cost, [name]))
            continue
        module = name.split(".", 1)[0]
        shared = _uses_shared_vms(module)
        if getattr(fn, "waits", False) and not shared:
            waiting.append((cost, [name]))
            continue
        key = "<shared>" if shared else module
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(name)
    rest = [(sum(durations.get(n, DEFAULT_SECONDS) for n in groups[k]),
             groups[k]) for k in order]
    rest.sort(key=lambda u: -u[0])
    waiting.sort(key=lambda u: -u[0])
    return exclusive, waiting, rest


class Child:
    def __init__(self, runner, names, run_py, out):
        self.names = names
        self.reported = set()
        self.out = out
        argv = [sys.executable, run_py, "--build", runner.build, "--child"]
        for n in names:
            argv += ["--only", n]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, text=True,
            bufsize=1)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.out.line(line.rstrip("\n"), self)

    def done(self):
        return self.proc.poll() is not None and not self.reader.is_alive()

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


class Output:
    """Prints the children's lines and counts their results."""

    def __init__(self, runner):
        self.runner = runner
        self.lock = threading.Lock()
        self.durations = {}

    def line(self, text, child):
        with self.lock:
            m = RESULT_RE.match(text)
            if m and m.group(2) in child.names:
                child.reported.add(m.group(2))
                if m.group(1) == "PASS":
                    self.runner.passed += 1
                else:
                    self.runner.failed += 1
                d = SECONDS_RE.search(text)
                if d:
                    self.durations[m.group(2)] = float(d.group(1))
            print(text)
            sys.stdout.flush()

    def unreported(self, child):
        status = child.proc.returncode
        for name in child.names:
            if name not in child.reported:
                self.line(f"FAIL {name}: its runner exited (status "
                          f"{status}) before reporting it", child)


def run(runner, tests, jobs, run_py):
    durations = load_durations(runner.out_dir)
    exclusive, waiting, rest = make_units(tests, durations)
    out = Output(runner)
    pools = {"waits": [], "rest": []}

    def reap():
        for pool in pools.values():
            for c in [c for c in pool if c.done()]:
                pool.remove(c)
                out.unreported(c)

    def start(pool, names):
        pools[pool].append(Child(runner, names, run_py, out))

    try:
        for _, names in exclusive:
            start("rest", names)
            while pools["rest"]:
                time.sleep(0.2)
                reap()
        queues = {"waits": list(waiting), "rest": list(rest)}
        while any(queues.values()) or any(pools.values()):
            for pool, queue in queues.items():
                while queue and len(pools[pool]) < jobs:
                    start(pool, queue.pop(0)[1])
            time.sleep(0.2)
            reap()
    finally:
        for pool in pools.values():
            for c in pool:
                c.kill()
        os.makedirs(runner.out_dir, exist_ok=True)
        save_durations(runner.out_dir, out.durations)
