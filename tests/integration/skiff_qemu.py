"""skiff_qemu - boot the Skiff ISO in QEMU and talk to its serial console.

One Qemu object is one QEMU process: q35, TCG, -cpu max, OVMF (with its own
copy of the variable store in a temporary directory), isa-debug-exit at
0xf4, the ISO as a CD-ROM, and COM1 on QEMU's stdio chardev, i.e. on two
pipes to this process.  A background thread reads the serial output into a
buffer; everything the tests match against is the *clean* text: ANSI escape
sequences, carriage returns and other control characters removed.  The
clean text also goes to every attached log file, with harness notes on
lines that start with "##harness## ".

    with Qemu(iso, smp=4, config="log=debug", log_path="x.log") as vm:
        vm.wait_prompt()
        out = vm.cmd("uptime")          # text between the echo and the prompt
        vm.send("poweroff\\r")
        vm.wait_exit(20)

Matching is sequential like pexpect: wait_for() searches from a cursor and
moves the cursor past the match, so two waits for the same text find two
occurrences.  find()/text never move the cursor.

Every wait is bounded by its own timeout and by the test's deadline (set by
the runner with set_deadline), so a hung guest fails the test instead of
hanging the run.  QEMU is started under `setpriv --pdeathsig KILL`, so it
dies with the harness even if the harness is killed with SIGKILL; kill()
(always reached through the context manager or the runner's cleanup) ends
only the PID this object started.

Later network tests add a tap device in a test namespace by passing
`netdev="tap,id=n0,ifname=...,script=no,downscript=no"` (the id must be n0)
and `wrap=["ip", "netns", "exec", NAME]`; nothing else here needs to change.
"""

import codecs
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
QEMU = os.environ.get("SKIFF_QEMU", "qemu-system-x86_64")  # override for a custom build

# Same device names as the Makefile's QEMU_NIC_* variables.
NIC_MODELS = {
    "e1000": "e1000",
    "e1000e": "e1000e",
    "virtio": "virtio-net-pci,disable-legacy=on",
}

PROMPT = "skiff> "
PROMPT_RE = re.compile(PROMPT)  # no regex metacharacters in it
BANNER_RE = re.compile(r"^Skiff ", re.M)
PANIC_RE = re.compile(r"Kernel panic|\*\*\* exception")
UBSAN_RE = re.compile(r"UBSAN: \S+ at ")  # kernel/ubsan.c's report line
# The end of a panic report, and how long to wait for it after its start.
PANIC_END_RE = re.compile(r"---\[ end Kernel panic|^System halted", re.M)
PANIC_GRACE = 5.0

# Slow machine? SKIFF_TIMEOUT_SCALE=2 doubles every timeout.
TIME_SCALE = float(os.environ.get("SKIFF_TIMEOUT_SCALE", "1") or 1)

# CSI, OSC, two-byte escapes and charset selection; and the same shapes cut
# off at the end of a read, held back until the rest arrives.
_ANSI_RE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|[()*+][0-9A-Za-z]|[@-Z\\-_a-z=<>])"
)
_ANSI_TAIL_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?|[()*+])?\Z")
_CTRL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class HarnessError(Exception):
    """Something the guest did (or did not do) that fails the test."""


class Timeout(HarnessError):
    pass


class QemuExited(HarnessError):
    pass


class KernelPanic(HarnessError):
    pass


_deadline = None  # absolute time.monotonic() for the running test, or None
_live = set()  # every Qemu still running, for emergency cleanup


def set_deadline(when):
    """The runner sets the current test's deadline (monotonic seconds)."""
    global _deadline
    _deadline = when


def scaled(seconds):
    return seconds * TIME_SCALE


def kill_all():
    """Kill every QEMU this process started and has not yet reaped."""
    for vm in list(_live):
        vm.kill()


def time_limit(seconds):
    """Decorator: the runner's time limit for one test function."""

    def mark(fn):
        fn.time_limit = seconds
        return fn

    return mark


def slow(fn):
    """Decorator: a long test (minutes) left out of `make test`; it runs
    with `make test SLOW=1` (run.py --slow) or when named by --filter."""
    fn.slow = True
    return fn


def exclusive(fn):
    """Decorator: with run.py --jobs, the test runs with nothing else
    running (it loads the machine, or its timing would suffer)."""
    fn.exclusive = True
    return fn


def waits(fn):
    """Decorator: the test spends its time waiting (retransmission timers,
    an impaired link's delays) more than computing; with run.py --jobs N
    it runs in a pool of its own, up to N such tests beside the N others,
    each test in its own child."""
    fn.waits = True
    return fn


def expect_ubsan(fn):
    """Decorator: the test triggers undefined behaviour on purpose (crash
    ubsan), so UBSan report lines in its VM's output are not by themselves
    a failure (the test checks them)."""
    fn.expect_ubsan = True
    return fn


def expect_panic(fn):
    """Decorator: the test makes the guest panic on purpose, so a panic in
    its VM's output is not by itself a failure (the test checks it)."""
    fn.expect_panic = True
    return fn


class _Cleaner:
    """Turns raw serial bytes into clean text, across read boundaries."""

    def __init__(self):
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._held = ""

    def feed(self, data, final=False):
        text = self._held + self._utf8.decode(data, final)
        self._held = ""
        tail = _ANSI_TAIL_RE.search(text)
        if tail and not final and len(text) - tail.start() < 256:
            self._held = text[tail.start():]
            text = text[: tail.start()]
        text = _ANSI_RE.sub("", text)
        return _CTRL_RE.sub("", text)  # keeps \n and \t


class Qemu:
    """One QEMU process running the Skiff ISO, serial console on pipes."""

    def __init__(self, iso, smp=2, mem="512M", nic=None, config=None,
                 extra_args=(), log_path=None, name="vm", no_reboot=True,
                 netdev="user,id=n0,restrict=on", wrap=()):
        """
        iso        path of skiff.iso
        smp, mem   -smp and -m
        nic        None for no NIC, else "e1000" | "e1000e" | "virtio" or
                   any QEMU -device model, attached to `netdev`
        config     the fw_cfg opt/skiff/cmdline string, or None
        extra_args more QEMU arguments, appended last
        log_path   file for the whole serial output (more with attach_log)
        no_reboot  pass -no-reboot: a guest reset ends QEMU
        netdev     the -netdev for the NIC (its id must be n0)
        wrap       command prefix, e.g. ["ip", "netns", "exec", "ns"]
        """
        self.iso = str(iso)
        self.smp = smp
        self.mem = mem
        self.nic = nic
        self.config = config
        self.extra_args = list(extra_args)
        self.name = name
        self.no_reboot = no_reboot
        self.netdev = netdev
        self.wrap = list(wrap)
        self.stderr_text = ""
        self._proc = None
        self._tmpdir = None
        self._cond = threading.Condition()
        self._text = ""  # clean serial text, only ever appended to
        self._cursor = 0  # where wait_for starts searching
        self._eof = False
        self._logs = []
        self._threads = []
        self._started_at = None
        self.prompt_re = PROMPT_RE
        self.fail_on_panic = True  # waits end early on a kernel panic
        if log_path:
            self.attach_log(log_path, replay=False)

    # ---- lifecycle --------------------------------------------------------

    def argv(self, vars_path):
        a = [QEMU, "-machine", "q35", "-accel", "tcg", "-cpu", "max",
             "-smp", str(self.smp), "-m", str(self.mem),
             "-display", "none", "-monitor", "none", "-parallel", "none",
             "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
             "-drive", f"if=pflash,format=raw,file={vars_path}",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
             "-cdrom", self.iso,
             "-chardev", "stdio,id=ser0,signal=off",
             "-serial", "chardev:ser0"]
        if self.no_reboot:
            a.append("-no-reboot")
        if self.config is not None:
            value = self.config.replace(",", ",,")  # QEMU option escaping
            a += ["-fw_cfg", f"name=opt/skiff/cmdline,string={value}"]
        if self.nic:
            model = NIC_MODELS.get(self.nic, self.nic)
            a += ["-netdev", self.netdev, "-device", f"{model},netdev=n0"]
        else:
            a += ["-nic", "none"]
        return self.wrap + a + self.extra_args

    def start(self):
        if not os.path.exists(self.iso):
            raise HarnessError(f"no ISO at {self.iso} (run make first)")
        self._tmpdir = tempfile.mkdtemp(prefix="skiff-qemu-")
        vars_path = os.path.join(self._tmpdir, "OVMF_VARS.fd")
        shutil.copyfile(OVMF_VARS, vars_path)
        argv = ["setpriv", "--pdeathsig", "KILL", "--"] + self.argv(vars_path)
        self._note("start: " + " ".join(argv))
        self._proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=self._tmpdir, bufsize=0)
        self._started_at = time.monotonic()
        _live.add(self)
        for target, stream in ((self._read_serial, self._proc.stdout),
                               (self._read_stderr, self._proc.stderr)):
            t = threading.Thread(target=target, args=(stream,), daemon=True,
                                 name=f"{self.name}-{target.__name__}")
            t.start()
            self._threads.append(t)
        return self

    @property
    def pid(self):
        return self._proc.pid if self._proc else None

    def alive(self):
        return self._proc is not None and self._proc.poll() is None

    @property
    def exit_status(self):
        """QEMU's exit status, or None while it runs.  isa-debug-exit value
        v gives (v << 1) | 1; ACPI poweroff and -no-reboot resets give 0."""
        return self._proc.poll() if self._proc else None

    def wall_seconds(self):
        """Wall-clock seconds since QEMU started."""
        return time.monotonic() - self._started_at if self._started_at else 0.0

    def wait_exit(self, timeout=20):
        """Wait for QEMU to exit by itself; return its exit status.  A
        kernel panic printed meanwhile ends the wait with KernelPanic."""
        end = self._end(timeout)
        since = self.mark()
        panic_end = None
        while True:
            try:
                status = self._proc.wait(timeout=0.25)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if panic_end is None and self.fail_on_panic and \
                    self.find(PANIC_RE, since):
                panic_end = now + PANIC_GRACE
            if panic_end is not None and (
                    now >= panic_end or self.find(PANIC_END_RE, since)):
                raise KernelPanic(
                    f"kernel panic while waiting for QEMU to exit: "
                    f"{self.panic_text(since)}\n{self.tail(3000)}")
            if now >= end:
                raise Timeout(f"QEMU still running after {timeout:.0f} s"
                              f"{self._deadline_note(end)}\n{self.tail()}")
        self._join_readers()
        self._note(f"QEMU exited with status {status}")
        return status

    def kill(self):
        """Stop QEMU (the PID we started, nobody else) and clean up."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            self._note("killing QEMU pid %d" % proc.pid)
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc is not None:
            for f in (proc.stdin,):
                try:
                    f.close()
                except OSError:
                    pass
            self._join_readers()
        _live.discard(self)
        for f in self._logs:
            f.close()
        self._logs = []
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    close = kill

    def __enter__(self):
        if self._proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.kill()
        return False

    # ---- logs --------------------------------------------------------------

    def attach_log(self, path, replay=True):
        """Also write the serial text to `path`; with replay, everything so
        far first.  Returns a handle for detach_log."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        f = open(path, "a", encoding="utf-8", errors="replace")
        with self._cond:
            if replay and self._text:
                nl = "" if self._text.endswith("\n") else "\n"
                f.write(f"{self._text}{nl}##harness## ---- test starts ----\n")
            self._logs.append(f)
        return f

    def detach_log(self, f):
        with self._cond:
            if f in self._logs:
                self._logs.remove(f)
        f.close()

    def _note(self, msg):
        with self._cond:
            nl = "" if not self._text or self._text.endswith("\n") else "\n"
            self._write_logs(f"{nl}##harness## {msg}\n")

    def _write_logs(self, s):
        for f in self._logs:
            try:
                f.write(s)
                f.flush()
            except (OSError, ValueError):
                pass

    # ---- serial input and output -----------------------------------------

    def _read_serial(self, stream):
        cleaner = _Cleaner()
        fd = stream.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            text = cleaner.feed(data, final=not data)
            with self._cond:
                if text:
                    self._text += text
                    self._write_logs(text)
                if not data:
                    self._eof = True
                self._cond.notify_all()
            if not data:
                return

    def _read_stderr(self, stream):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.stderr_text += line + "\n"
            self._note("qemu stderr: " + line)

    def _join_readers(self):
        for t in self._threads:
            t.join(timeout=5)

    def send(self, text):
        """Type `text` on COM1 (no newline added; Enter is "\\r")."""
        if not self.alive():
            raise QemuExited(f"QEMU is not running (status {self.exit_status})")
        self._note(f"send {text!r}")
        try:
            self._proc.stdin.write(text.encode())
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise QemuExited(f"QEMU stdin closed: {e}") from e

    @property
    def text(self):
        """All clean serial text so far."""
        with self._cond:
            return self._text

    def mark(self):
        """A position in the text, for find(..., start=mark) later."""
        with self._cond:
            return len(self._text)

    def find(self, pattern, start=0):
        """Search the text so far without waiting or moving the cursor."""
        with self._cond:
            return _compile(pattern).search(self._text, start)

    def tail(self, n=1500):
        t = self.text[-n:]
        return "---- last serial output ----\n" + t + "\n----"

    def _end(self, timeout):
        end = time.monotonic() + scaled(timeout)
        if _deadline is not None:
            end = min(end, _deadline)
        return end

    @staticmethod
    def _deadline_note(end):
        if _deadline is not None and end >= _deadline:
            return " (the test's time limit)"
        return ""

    def wait_for(self, pattern, timeout=30, start=None):
        """Wait until `pattern` (str or compiled; strings are re.M) appears
        at or after the cursor (or `start`); move the cursor past it and
        return the match (positions index .text).  A kernel panic in the
        searched text ends the wait early with KernelPanic (unless
        self.fail_on_panic is False), once the report is complete."""
        rx = _compile(pattern)
        end = self._end(timeout)
        panic_end = None
        with self._cond:
            pos = self._cursor if start is None else start
            while True:
                m = rx.search(self._text, pos)
                if m:
                    self._cursor = max(self._cursor, m.end())
                    return m
                if self._eof:
                    break
                now = time.monotonic()
                if panic_end is None and self.fail_on_panic and \
                        PANIC_RE.search(self._text, pos):
                    panic_end = now + PANIC_GRACE
                if panic_end is not None and (
                        now >= panic_end or
                        PANIC_END_RE.search(self._text, pos)):
                    break
                left = end - now
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.5))
        if panic_end is not None:
            raise KernelPanic(
                f"kernel panic while waiting for {rx.pattern!r}: "
                f"{self.panic_text(pos)}\n{self.tail(3000)}")
        if self._eof:
            self.wait_exit(5)
            raise QemuExited(
                f"QEMU exited (status {self.exit_status}) while waiting for "
                f"{rx.pattern!r}\n{self.stderr_text}{self.tail()}")
        raise Timeout(f"no {rx.pattern!r} within {scaled(timeout):.0f} s"
                      f"{self._deadline_note(end)}\n{self.tail()}")

    def wait_prompt(self, timeout=60):
        return self.wait_for(self.prompt_re, timeout)

    def cmd(self, line, timeout=30):
        """Run one shell command; return its output: the text between the
        echoed command line and the next prompt, without the final newline.
        Call it with the shell at its prompt (after wait_prompt or cmd)."""
        with self._cond:
            sent_at = len(self._text)
        self.send(line + "\r")
        end = time.monotonic() + scaled(timeout)
        echo = self.wait_for(re.escape(line) + r"[ \t]*\n", timeout,
                             start=sent_at)
        left = max(0.1, (end - time.monotonic()) / TIME_SCALE)
        prompt = self.wait_for(self.prompt_re, left, start=echo.end())
        out = self.text[echo.end():prompt.start()]
        return out[:-1] if out.endswith("\n") else out

    def resync(self, timeout=15):
        """Bring the shell to a fresh prompt (empty command line)."""
        with self._cond:
            at = len(self._text)
        self.send("\r")
        self.wait_for(self.prompt_re, timeout, start=at)

    def panic_text(self, start=0, pattern=PANIC_RE):
        """The panic/exception line (or another pattern's) if the guest
        printed one after start."""
        m = self.find(pattern, start)
        if not m:
            return None
        text = self.text
        a = text.rfind("\n", 0, m.start()) + 1
        b = text.find("\n", m.end())
        return text[a: b if b >= 0 else len(text)]


def _compile(pattern):
    return pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, re.M)
