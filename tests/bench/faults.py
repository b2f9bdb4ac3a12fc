#!/usr/bin/env python3
"""faults.py - Skiff and the Linux + nginx peer under issue 9's fault
profiles: the same relay, the same client, the same sizes, one guest at a
time.

    python3 tests/bench/faults.py [--build build] [--out build/bench]
        [--guests skiff,linux] [--profiles loss,reorder,...]
        [--http-mib 64] [--echo-mib 16] [--limit 3600]

For each guest (booted once, virtio-net, -smp 1, -m 512M, through
tests/integration/impair.py as test_faults.py does) and each profile of
test_faults.PROFILES, with the profile's seed: one HTTP download of
--http-mib MiB (Skiff: /bytes/N; Linux: a file of zeros made in the
guest's /srv) and, at the same time, an echo round trip of --echo-mib MiB
of random bytes (port 7 on both), every byte checked by SHA-256. Prints
one line per run and a table of seconds, Skiff against Linux; writes
faults.csv to --out. This is a benchmark, not a test: it exits 0 whatever
it measured (2 for bad arguments). It shows what a stack can do on each
impaired path: where Linux needs minutes too (10 % loss each way, or the
combined profile at 100 ms of RTT), the time is the path's, not Skiff's.

The Linux guest is the benchmark's (build-linux-guest.sh, cached in
--out); it is built here if missing.
"""

import argparse
import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from netns import GUEST_ADDR, PYTHON, NetNS  # noqa: E402
from skiff_qemu import Qemu  # noqa: E402
import test_faults  # noqa: E402
from test_http import pattern_sha  # noqa: E402

MIB = 1 << 20
MAC = "52:54:00:12:34:56"
LINUX_FILE = "/ref.bin"  # in nginx's root, /srv


def log(msg):
    print(f"[faults {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def boot(args, ns, guest):
    if guest == "skiff":
        iso = os.path.join(args.build, "skiff.iso")
        config = (f"ip={GUEST_ADDR}/24 "
                  f"http.write_timeout={test_faults.WRITE_TIMEOUT}")
        ready, prompt = r"skiff: ready ip=", "skiff> "
    else:
        iso = os.path.join(args.out, "linux.iso")
        config = None
        ready, prompt = r"linux-bench: ready", "linux# "
    vm = Qemu(iso, smp=1, mem="512M", nic=f"virtio-net-pci,mac={MAC}",
              config=config, name=f"faults-{guest}",
              log_path=os.path.join(args.out, "logs", f"faults-{guest}.log"),
              **ns.qemu_args(impair=""))
    vm.prompt_re = re.compile(prompt)
    vm.start()
    vm.wait_for(ready, timeout=240)
    if guest == "linux":
        vm.wait_for(r"linux-bench: (bulk.bin ready|no bulk.bin)",
                    timeout=240, start=0)
    vm.resync(30)
    return vm


def prepare(vm, guest, http_n):
    """The download's path and its body's SHA-256."""
    if guest == "skiff":
        return f"/bytes/{http_n}", pattern_sha(http_n)
    vm.cmd("rm -f /bulk/bulk.bin", timeout=30)  # room in RAM for ours
    vm.cmd(f"head -c {http_n} /dev/zero > /srv{LINUX_FILE}", timeout=120)
    h, zeros, left = hashlib.sha256(), bytes(MIB), http_n
    while left:
        h.update(zeros[:min(left, MIB)])
        left -= min(left, MIB)
    return LINUX_FILE, h.hexdigest()


def run_profile(args, ns, name, path, want):
    ns.set_impair(f"{test_faults.PROFILES[name]} "
                  f"seed={test_faults.SEEDS[name]}",
                  max_seconds=args.limit + 300)
    code = test_faults.CLIENT.format(
        here=os.path.join(ROOT, "tests", "integration"), addr=GUEST_ADDR,
        http_n=args.http_n, echo_n=args.echo_n, io=test_faults.IO_TIMEOUT,
        http_port=80, echo_port=7)
    code = code.replace('"/bytes/%d" % HTTP_N', repr(path))
    t0 = time.monotonic()
    try:
        p = ns.run([PYTHON, "-c", code], timeout=args.limit)
        r = json.loads(p.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        r = {"http": {"error": f"not done within --limit {args.limit} s"},
             "echo": {}}
    except (ValueError, IndexError) as e:
        r = {"http": {"error": f"the client printed no result ({e})"},
             "echo": {}}
    secs = time.monotonic() - t0
    ns.stop_impair()
    ns.set_impair("")
    http_ok = r["http"].get("sha256") == want
    echo_ok = bool(r["echo"].get("match"))
    why = [f"{k}: " + (r[k].get("error") or
                       f"{r[k].get('length')} bytes, SHA-256 differs")
           for k, good in (("http", http_ok), ("echo", echo_ok)) if not good]
    return {"http_s": r["http"].get("seconds"),
            "echo_s": r["echo"].get("seconds"), "total_s": round(secs, 1),
            "ok": http_ok and echo_ok, "error": "; ".join(why)}


def run_guest(args, guest):
    results = {}
    with NetNS() as ns:
        vm = boot(args, ns, guest)
        try:
            path, want = prepare(vm, guest, args.http_n)
            for name in args.profiles:
                r = run_profile(args, ns, name, path, want)
                results[name] = r
                log(f"{guest} {name}: {args.http_mib:g} MiB HTTP in "
                    f"{r['http_s']} s, {args.echo_mib:g} MiB echo in "
                    f"{r['echo_s']} s, {r['total_s']} s in all, "
                    f"{'ok' if r['ok'] else 'FAILED: ' + r['error']}")
        finally:
            vm.kill()
    return results


def report(args, all_results):
    rows = []
    print(f"\nFault profiles, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
          f": {args.http_mib:g} MiB HTTP + {args.echo_mib:g} MiB echo at "
          f"once, virtio-net, TCG; seconds until both are done")
    print(f"{'profile':<10} {'spec':<58} " +
          " ".join(f"{g:>8}" for g in args.guests))
    for name in args.profiles:
        cells = []
        for g in args.guests:
            r = all_results.get(g, {}).get(name)
            cells.append("-" if r is None else
                         (f"{r['total_s']:.0f}" if r["ok"] else "failed"))
            if r is not None:
                rows.append([g, name, test_faults.PROFILES[name],
                             args.http_mib, args.echo_mib, r["http_s"],
                             r["echo_s"], r["total_s"], r["ok"]])
        print(f"{name:<10} {test_faults.PROFILES[name]:<58} " +
              " ".join(f"{c:>8}" for c in cells))
    path = os.path.join(args.out, "faults.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["guest", "profile", "spec", "http_mib", "echo_mib",
                    "http_s", "echo_s", "total_s", "ok"])
        w.writerows(rows)
    log(f"results: {path}")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default=None, help="default BUILD/bench")
    ap.add_argument("--guests", default="skiff,linux")
    ap.add_argument("--profiles", default=",".join(test_faults.PROFILES))
    ap.add_argument("--http-mib", type=float, default=64)
    ap.add_argument("--echo-mib", type=float, default=16)
    ap.add_argument("--limit", type=int, default=3600,
                    help="seconds per profile and guest")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    args.out = os.path.abspath(args.out or os.path.join(args.build, "bench"))
    args.guests = [g for g in args.guests.split(",") if g]
    args.profiles = [p for p in args.profiles.split(",") if p]
    bad = [g for g in args.guests if g not in ("skiff", "linux")]
    bad += [p for p in args.profiles if p not in test_faults.PROFILES]
    if bad or not args.guests or not args.profiles or \
            args.http_mib <= 0 or args.echo_mib <= 0 or args.limit <= 0:
        ap.error(f"bad guests/profiles/sizes: {', '.join(bad) or 'empty'}")
    args.http_n = int(args.http_mib * MIB)
    args.echo_n = int(args.echo_mib * MIB)
    return args


def main():
    args = parse_args()
    os.makedirs(os.path.join(args.out, "logs"), exist_ok=True)
    if "linux" in args.guests:
        try:
            subprocess.run(["bash", os.path.join(HERE, "build-linux-guest.sh"),
                            args.out], check=True, timeout=900)
        except (subprocess.SubprocessError, OSError) as e:
            log(f"no Linux guest ({e}): Skiff only")
            args.guests = [g for g in args.guests if g != "linux"]
    results = {}
    for g in args.guests:
        try:
            results[g] = run_guest(args, g)
        except Exception as e:  # a benchmark reports, it does not fail
            log(f"{g}: {type(e).__name__}: {e}")
    report(args, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
