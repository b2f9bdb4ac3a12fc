"""The benchmark scripts still work (tests/bench/bench.py --smoke).

A smoke run measures nothing worth reading and asserts no performance: it
boots Skiff once in the benchmark's own namespace, runs the echo latency
client for 2 s and writes the report (table, CSV, JSON). Checked: exit
status 0, the table's rows, an echo p50/p99 figure for Skiff, the CSV's
columns; and that a bad argument is refused with exit status 2 and a
message naming it. The Linux peer is not built or booted here. The same
for tests/bench/faults.py: Skiff under one fault profile with tiny sizes.
"""

import csv
import os
import re
import subprocess
import sys

from skiff_qemu import exclusive, time_limit

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "bench", "bench.py")


@time_limit(150)
def test_bench_arguments(t):
    p = subprocess.run([sys.executable, BENCH, "--nics", "e1000,token-ring"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "--nics: unknown NIC 'token-ring'" in p.stderr, p.stderr
    p = subprocess.run([sys.executable, BENCH, "--guests", "bsd"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "unknown guest 'bsd'" in p.stderr, p.stderr


@exclusive
@time_limit(150)
def test_bench_smoke(t):
    out = os.path.join(t.build, "bench-smoke")
    p = subprocess.run([sys.executable, BENCH, "--smoke", "--build", t.build,
                        "--out", out], capture_output=True, text=True,
                       timeout=140)
    text = p.stdout + p.stderr
    assert p.returncode == 0, text
    assert "benchmark stopped" not in text, text
    assert re.search(r"Skiff benchmark, .* \(SMOKE\)", text), text
    row = re.search(r"echo 64 B round trip p99\s+us\s+(\S+)", text)
    assert row and re.match(r"[\d,.]+$", row.group(1)), text
    assert re.search(r"QEMU start to ready line\s+s\s+[\d.]+", text), text
    with open(os.path.join(out, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    assert rows and set(rows[0]) == {"nic", "figure", "unit", "better",
                                     "skiff", "linux", "skiff_advantage"}
    p50 = [r for r in rows if r["figure"].startswith("4 echo 64 B round "
                                                      "trip p50")]
    assert p50 and float(p50[0]["skiff"].split()[0].replace(",", "")) > 0, \
        p50
    assert os.path.exists(os.path.join(out, "results.json"))


FAULTS = os.path.join(HERE, "..", "bench", "faults.py")


@time_limit(150)
def test_bench_faults_smoke(t):
    """tests/bench/faults.py (Skiff and Linux under the fault profiles)
    still works: Skiff only, one profile, 256 KiB of HTTP and 64 KiB of
    echo; its line, its table row and its CSV row; a bad profile is
    refused with exit status 2."""
    out = os.path.join(t.build, "bench-smoke")
    p = subprocess.run([sys.executable, FAULTS, "--profiles", "loss,hail"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "hail" in p.stderr, p.stderr
    p = subprocess.run([sys.executable, FAULTS, "--build", t.build, "--out",
                        out, "--guests", "skiff", "--profiles", "duplicate",
                        "--http-mib", "0.25", "--echo-mib", "0.0625",
                        "--limit", "90"],
                       capture_output=True, text=True, timeout=140)
    text = p.stdout + p.stderr
    assert p.returncode == 0, text
    assert re.search(r"skiff duplicate: 0.25 MiB HTTP in [\d.]+ s, 0.0625 "
                     r"MiB echo in [\d.]+ s, [\d.]+ s in all, ok", text), text
    assert re.search(r"^duplicate\s+duplicate=5\s+\d+$", text, re.M), text
    with open(os.path.join(out, "faults.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [(r["guest"], r["profile"], r["ok"]) for r in rows] == \
        [("skiff", "duplicate", "True")], rows


GUESTPROF = os.path.join(HERE, "..", "bench", "guestprof.py")


@time_limit(150)
def test_guestprof_smoke(t):
    """tests/bench/guestprof.py (the guest's RIP sampled through QMP)
    still works: 2 s under the echo client, at least one function with
    samples, the idle loop among them; a bad argument exits 2."""
    p = subprocess.run([sys.executable, GUESTPROF, "--seconds", "0"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--seconds" in p.stderr, p.stderr
    p = subprocess.run([sys.executable, GUESTPROF, "--build", t.build,
                        "--load", "echo", "--seconds", "2", "--top", "50"],
                       capture_output=True, text=True, timeout=140)
    text = p.stdout + p.stderr
    assert p.returncode == 0, text
    m = re.search(r"(\d+) samples of the guest's RIP in 2 s", text)
    assert m and int(m.group(1)) > 0, text
    rows = re.findall(r"^\s*([\d.]+)% +(\d+)  (\S+)$", text, re.M)
    assert rows, text
    assert sum(int(r[1]) for r in rows) <= int(m.group(1)), text
    assert any(r[2] == "cpu_idle_loop" for r in rows), text
