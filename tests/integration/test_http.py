"""The HTTP/1.1 server (apps/httpd) against Linux clients.

Skiff boots with the NIC on a tap in a private namespace (198.18.0.1 is
Linux, 198.18.0.2 is Skiff); the clients (curl, wrk, ab and
tests/integration/httpc.py) run in the namespace:

- GET/HEAD/304/206/416/404/405/501/400/414/431/505 with exact statuses and
  headers; path climbing above the root refused;
- 1 MiB and 100 MiB downloads of /bytes/N with matching SHA-256;
- 100 pipelined requests in one write answered in order;
- 500 concurrent keep-alive connections, each used twice;
- slow clients (slowloris) answered 408 at http.header_timeout while
  normal requests keep being served;
- /metrics parses as Prometheus text and its counters match what the test
  sent; /status is JSON naming the NIC and its address;
- a short wrk and `ab -k` run without errors;
- 1 MiB and 100 MiB downloads with 2 % loss each way (impair.py);
- `make run`'s set-up (QEMU user network, ip=dhcp, host forward 8080->80)
  serves the site; files in \\www on the boot volume override and extend
  the built-in site.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile

from netns import GUEST_ADDR, PYTHON, READY_RE, NetNS
from skiff_qemu import exclusive, time_limit

HERE = os.path.dirname(os.path.abspath(__file__))
HTTPC = os.path.join(HERE, "httpc.py")
PORT = 80
HEADER_TIMEOUT = 3


def boot(t, ns, nic, extra="", impair=None):
    vm = t.vm(nic=nic, smp=2,
              config=f"ip={GUEST_ADDR}/24 http.header_timeout="
                     f"{HEADER_TIMEOUT} {extra}".strip(),
              **ns.qemu_args(impair=impair))
    m = vm.wait_for(READY_RE, timeout=90)
    assert m.group("ip") == GUEST_ADDR, m.group(0)
    assert int(m.group("http")) == PORT, m.group(0)
    vm.wait_prompt(30)
    return vm, m.group("mac")


def httpc(ns, *args, timeout=120):
    p = ns.run([PYTHON, HTTPC, *map(str, args)], timeout=timeout)
    assert p.returncode == 0, f"httpc {args[0]}: {p.stdout}{p.stderr}"
    return json.loads(p.stdout)


def raw(ns, text, head_only=""):
    """Send one request (or several) as bytes; the parsed responses."""
    r = httpc(ns, "raw", GUEST_ADDR, PORT, text.encode("latin-1").hex(),
              head_only)
    return r["responses"], r["closed"]


def one(ns, text, head=False):
    rs, closed = raw(ns, text, "0" if head else "")
    assert len(rs) >= 1 and "status" in rs[0], f"{text!r}: {rs}"
    return rs[0], closed


def hdr(r, name):
    v = r["headers"].get(name.lower())
    return v[0] if v else None


def pattern_sha(n):
    block = b"0123456789abcdef" * 4096
    h = hashlib.sha256()
    while n:
        k = min(n, len(block))
        h.update(block[:k])
        n -= k
    return h.hexdigest()


# ---- checks -------------------------------------------------------------

def check_get_head(ns):
    r, _ = one(ns, "GET / HTTP/1.1\r\nHost: skiff\r\n\r\n")
    assert r["status"] == 200 and r["version"] == "HTTP/1.1", r
    assert hdr(r, "content-type") == "text/html; charset=utf-8", r
    assert int(hdr(r, "content-length")) == r["body_len"] > 0, r
    assert "Skiff" in r["body"] and 'href="/status"' in r["body"], r
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+-[0-9a-f]{8}"',
                        hdr(r, "etag")), r
    for h in ("date", "last-modified"):
        assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT",
                            hdr(r, h)), (h, r)
    assert hdr(r, "accept-ranges") == "bytes", r
    h, _ = one(ns, "HEAD / HTTP/1.1\r\nHost: skiff\r\n\r\n", head=True)
    assert h["status"] == 200 and h["body_len"] == 0, h
    for k in ("content-length", "etag", "last-modified", "content-type"):
        assert hdr(h, k) == hdr(r, k), (k, h, r)
    # The same through curl, as an operator would.
    p = ns.run(["curl", "-sS", "--max-time", "20", f"http://{GUEST_ADDR}/"])
    assert p.returncode == 0 and p.stdout == r["body"], p.stderr
    return r


def check_conditional(ns, page):
    etag, lm = hdr(page, "etag"), hdr(page, "last-modified")
    r, _ = one(ns, f"GET / HTTP/1.1\r\nHost: s\r\nIf-None-Match: {etag}\r\n\r\n")
    assert r["status"] == 304 and r["body_len"] == 0, r
    assert hdr(r, "etag") == etag, r
    r, _ = one(ns, "GET / HTTP/1.1\r\nHost: s\r\nIf-None-Match: \"x\"\r\n\r\n")
    assert r["status"] == 200, r
    r, _ = one(ns, f"GET / HTTP/1.1\r\nHost: s\r\nIf-Modified-Since: {lm}\r\n\r\n")
    assert r["status"] == 304, r
    r, _ = one(ns, "GET / HTTP/1.1\r\nHost: s\r\n"
               "If-Modified-Since: Thu, 01 Jan 1970 00:00:01 GMT\r\n\r\n")
    assert r["status"] == 200, r


def check_ranges(ns, page):
    size = page["body_len"]
    r, _ = one(ns, "GET / HTTP/1.1\r\nHost: s\r\nRange: bytes=0-9\r\n\r\n")
    assert r["status"] == 206 and r["body"] == page["body"][:10], r
    assert hdr(r, "content-range") == f"bytes 0-9/{size}", r
    r, _ = one(ns, "GET / HTTP/1.1\r\nHost: s\r\nRange: bytes=-5\r\n\r\n")
    assert r["status"] == 206 and r["body"] == page["body"][-5:], r
    r, _ = one(ns, f"GET / HTTP/1.1\r\nHost: s\r\nRange: bytes={size}-\r\n\r\n")
    assert r["status"] == 416, r
    assert hdr(r, "content-range") == f"bytes */{size}", r


# (request, expected status, must the server close?)
ERRORS = [
    ("GET /no/such/file HTTP/1.1\r\nHost: s\r\n\r\n", 404, False),
    ("POST / HTTP/1.1\r\nHost: s\r\nContent-Length: 3\r\n\r\nabc", 405, False),
    ("BREW / HTTP/1.1\r\nHost: s\r\n\r\n", 501, False),
    ("GET / HTTP/1.1\r\n\r\n", 400, True),  # no Host
    ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, True),
    ("GET / HTTP/1.1\r\nHost: s\r\nContent-Length: 1\r\n"
     "Transfer-Encoding: chunked\r\n\r\n", 400, True),
    ("GET / HTTP/1.1\r\nHost: s\r\nX: a\r\n b\r\n\r\n", 400, True),  # obs-fold
    ("GET /%zz HTTP/1.1\r\nHost: s\r\n\r\n", 400, True),
    ("GET /../etc/passwd HTTP/1.1\r\nHost: s\r\n\r\n", 400, True),
    ("GET /a/%2e%2e/%2e%2e/x HTTP/1.1\r\nHost: s\r\n\r\n", 400, True),
    ("GET / HTTP/2.0\r\nHost: s\r\n\r\n", 505, True),
    ("GET /" + "a" * 9000 + " HTTP/1.1\r\nHost: s\r\n\r\n", 414, True),
    ("GET / HTTP/1.1\r\nHost: s\r\n" + "X-A: b\r\n" * 120 + "\r\n", 431, True),
    ("GET / HTTP/1.1\r\nHost: s\r\nContent-Length: 2000000\r\n\r\n", 413, True),
]


def check_errors(ns):
    for req, status, must_close in ERRORS:
        r, closed = one(ns, req)
        assert r["status"] == status, (req[:60], r)
        if status == 405:
            assert hdr(r, "allow") == "GET, HEAD", r
        if must_close:
            assert closed and hdr(r, "connection") == "close", (req[:60], r)


def check_downloads(ns):
    for n in (1 << 20, 100 << 20):
        r = httpc(ns, "download", GUEST_ADDR, PORT, f"/bytes/{n}",
                  timeout=300)
        assert r["status_line"].startswith("HTTP/1.1 200"), r
        assert r["length"] == n and r["sha256"] == pattern_sha(n), r
        print(f"  /bytes/{n}: {r['seconds']} s")


def check_pipeline(ns):
    r = httpc(ns, "pipeline", GUEST_ADDR, PORT, 100)
    assert r["count"] == 100 and r["statuses"] == [200], r
    assert r["lengths"] == list(range(1, 101)), r  # in order
    assert r["closed"], r


def check_concurrent(ns, n=500):
    r = httpc(ns, "concurrent", GUEST_ADDR, PORT, n, timeout=300)
    assert r["connected"] == n and r["codes"] == {"200": 2 * n}, r


def check_slowloris(ns):
    r = httpc(ns, "slowloris", GUEST_ADDR, PORT, 20, HEADER_TIMEOUT + 4,
              timeout=120)
    assert r["normal"] and set(r["normal"]) == {200}, r
    assert r["slow_answers"] == [408] * 20, r


PROM_SAMPLE = re.compile(
    r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"'
    r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*)?\})? (-?[0-9.eE+]+|NaN|[+-]Inf)$')


def parse_prometheus(text):
    """The text exposition format, strictly: {name{labels}: value}."""
    samples, typed = {}, {}
    assert text.endswith("\n"), "no final newline"
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "untyped", "summary",
                            "histogram"), line
            assert name not in typed, f"second TYPE for {name}"
            typed[name] = kind
        elif line.startswith("#"):
            continue
        else:
            m = PROM_SAMPLE.match(line)
            assert m, f"bad sample line {line!r}"
            key = m.group(1) + (m.group(2) or "")
            assert key not in samples, f"duplicate sample {key}"
            samples[key] = float(m.group(5))
    return samples


def metrics(ns):
    r, _ = one(ns, "GET /metrics HTTP/1.1\r\nHost: s\r\n\r\n")
    assert r["status"] == 200, r
    assert hdr(r, "content-type").startswith("text/plain; version=0.0.4"), r
    return parse_prometheus(r["body"])


def check_metrics(ns):
    before = metrics(ns)
    for _ in range(3):
        one(ns, "GET /missing HTTP/1.1\r\nHost: s\r\n\r\n")
    after = metrics(ns)
    k = 'skiff_http_requests_total{code="404"}'
    assert after[k] - before[k] == 3, (before[k], after[k])
    k = 'skiff_http_requests_total{code="200"}'
    assert after[k] - before[k] == 1, (before[k], after[k])  # one /metrics
    for name in ("skiff_netstat_Ip_InReceives", "skiff_netstat_Udp_NoPorts",
                 'skiff_network_receive_packets_total{device="eth0"}',
                 "skiff_memory_free_bytes", "skiff_http_connections_active",
                 'skiff_http_timeouts_total{kind="header"}'):
        assert name in after, name
    assert after['skiff_http_timeouts_total{kind="header"}'] >= 20
    assert after['skiff_network_receive_packets_total{device="eth0"}'] > 0


def check_status(ns, mac):
    r, _ = one(ns, "GET /status HTTP/1.1\r\nHost: s\r\n\r\n")
    assert r["status"] == 200 and hdr(r, "content-type") == \
        "application/json", r
    s = json.loads(r["body"])
    assert s["version"] and s["uptime_s"] >= 0 and s["cpus"] == 2, s
    nic = s["nics"][0]
    assert nic["mac"] == mac and f"{GUEST_ADDR}/24" in nic["addresses"], s
    assert s["http"]["responses"]["200"] >= 1, s


def check_load_tools(ns):
    p = ns.run(["wrk", "-t1", "-c8", "-d3s", f"http://{GUEST_ADDR}/"],
               timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Socket errors" not in p.stdout, p.stdout
    assert "Non-2xx" not in p.stdout, p.stdout
    m = re.search(r"(\d+) requests in", p.stdout)
    assert m and int(m.group(1)) > 0, p.stdout
    p = ns.run(["ab", "-k", "-q", "-n", "1000", "-c", "8",
                f"http://{GUEST_ADDR}/"], timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert re.search(r"Complete requests:\s+1000", p.stdout), p.stdout
    assert re.search(r"Failed requests:\s+0", p.stdout), p.stdout
    assert "Non-2xx" not in p.stdout, p.stdout


@time_limit(600)
def test_http_e1000(t):
    with NetNS() as ns:
        vm, mac = boot(t, ns, "e1000")
        page = check_get_head(ns)
        check_conditional(ns, page)
        check_ranges(ns, page)
        check_errors(ns)
        check_pipeline(ns)
        check_downloads(ns)
        check_slowloris(ns)
        check_metrics(ns)
        check_status(ns, mac)
        check_concurrent(ns)
        check_load_tools(ns)
        out = vm.cmd("httpd")
        assert re.search(r"timeouts: header [1-9]", out), out


@time_limit(400)
def test_http_virtio(t):
    with NetNS() as ns:
        boot(t, ns, "virtio")
        page = check_get_head(ns)
        check_ranges(ns, page)
        r, _ = one(ns, "GET /debug/pcap HTTP/1.1\r\nHost: s\r\n\r\n")
        assert r["status"] == 404, r  # http.pcap is off by default
        check_pipeline(ns)
        check_downloads(ns)


@time_limit(240)
def test_http_make_run_network(t):
    """What `make run` sets up: QEMU's user network with DHCP and a host
    forward 127.0.0.1:8080 -> 80; curl from the host side gets the site.
    (Inside a namespace of the test's own, so the port is private.)"""
    with NetNS() as ns:
        vm = t.vm(nic="e1000", smp=2, wrap=ns.qemu_args()["wrap"],
                  netdev="user,id=n0,restrict=on,"
                         "hostfwd=tcp:127.0.0.1:8080-:80")
        m = vm.wait_for(READY_RE, timeout=120)
        assert m.group("ip").startswith("10.0.2."), m.group(0)
        p = ns.run(["curl", "-sS", "-i", "--max-time", "30",
                    "http://127.0.0.1:8080/"], timeout=60)
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("HTTP/1.1 200 OK"), p.stdout[:200]
        assert "<h1>Skiff</h1>" in p.stdout, p.stdout[:400]


def make_iso(build, site, out_dir):
    """An ISO like the Makefile's, with `site` as the boot volume's \\www."""
    esp = os.path.join(out_dir, "esp")
    os.makedirs(os.path.join(esp, "EFI", "BOOT"))
    shutil.copy(os.path.join(build, "skiff.efi"),
                os.path.join(esp, "EFI", "BOOT", "BOOTX64.EFI"))
    shutil.copytree(site, os.path.join(esp, "www"))
    img = os.path.join(out_dir, "esp.img")
    subprocess.run(["mkfs.fat", "-C", "-n", "SKIFF", img, "8192"],
                   check=True, capture_output=True)
    subprocess.run(["mcopy", "-s", "-i", img, os.path.join(esp, "EFI"),
                    os.path.join(esp, "www"), "::/"], check=True)
    iso = os.path.join(out_dir, "site.iso")
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-o", iso,
                    "-V", "SKIFF", "-R", "-J", "-append_partition", "2",
                    "0xef", img, "-e", "--interval:appended_partition_2:all::",
                    "-no-emul-boot", "-isohybrid-gpt-basdat", esp],
                   check=True, capture_output=True)
    return iso


@time_limit(240)
def test_http_www_override(t):
    """Files in \\www on the boot volume replace built-in ones of the same
    path and add new ones, without rebuilding."""
    tmp = tempfile.mkdtemp(prefix="skiff-site-")
    try:
        site = os.path.join(tmp, "site")
        os.makedirs(os.path.join(site, "docs"))
        with open(os.path.join(site, "index.html"), "w") as f:
            f.write("<html><body>operator's own index</body></html>\n")
        with open(os.path.join(site, "docs", "index.html"), "w") as f:
            f.write("docs index\n")
        with open(os.path.join(site, "notes.txt"), "w") as f:
            f.write("plain notes\n")
        t.iso = make_iso(t.build, site, tmp)
        with NetNS() as ns:
            boot(t, ns, "e1000")
            r, _ = one(ns, "GET / HTTP/1.1\r\nHost: s\r\n\r\n")
            assert r["status"] == 200 and "operator's own" in r["body"], r
            r, _ = one(ns, "GET /notes.txt HTTP/1.1\r\nHost: s\r\n\r\n")
            assert r["status"] == 200 and r["body"] == "plain notes\n", r
            assert hdr(r, "content-type") == "text/plain; charset=utf-8", r
            r, _ = one(ns, "GET /docs HTTP/1.1\r\nHost: s\r\n\r\n")
            assert r["status"] == 301 and hdr(r, "location") == "/docs/", r
            r, _ = one(ns, "GET /docs/ HTTP/1.1\r\nHost: s\r\n\r\n")
            assert r["status"] == 200 and r["body"] == "docs index\n", r
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@time_limit(240)
def test_http_debug_pcap(t):
    """`capture start icmp`, five pings, `capture stop`: /debug/pcap (with
    http.pcap=on) is a pcap file tshark reads, holding exactly those
    echo requests and replies. (Without http.pcap it is 404: see
    test_http_virtio.)"""
    with NetNS() as ns:
        vm, _ = boot(t, ns, "e1000", extra="http.pcap=on")
        out = vm.cmd("capture start icmp")
        assert "error" not in out.lower(), out
        p = ns.run(["ping", "-c", "5", "-i", "0.2", "-W", "2", GUEST_ADDR],
                   timeout=30)
        assert " 0% packet loss" in p.stdout, p.stdout
        vm.cmd("capture stop")
        path = os.path.join(tempfile.mkdtemp(prefix="skiff-pcap-"), "c.pcap")
        try:
            p = ns.run(["curl", "-sS", "-D", "-", "-o", path, "--max-time",
                        "30", f"http://{GUEST_ADDR}/debug/pcap"], timeout=60)
            assert p.returncode == 0 and " 200 " in p.stdout.split("\n")[0], \
                p.stdout + p.stderr
            assert "application/vnd.tcpdump.pcap" in p.stdout, p.stdout
            p = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields",
                                "-e", "ip.src", "-e", "ip.dst",
                                "-e", "icmp.type"],
                               capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stderr
            rows = [tuple(line.split("\t")) for line in p.stdout.splitlines()]
            host = "198.18.0.1"
            assert rows.count((host, GUEST_ADDR, "8")) == 5, rows
            assert rows.count((GUEST_ADDR, host, "0")) == 5, rows
            assert len(rows) == 10, rows
        finally:
            shutil.rmtree(os.path.dirname(path), ignore_errors=True)


# Downloads through the impairment relay (impair.py: this kernel has no
# sch_netem): 2 % of the frames lost in each direction and 5 ms of delay.
LOSSY_HTTP = "loss=2 delay_ms=5"


def impaired_downloads(t, sizes):
    with NetNS() as ns:
        vm, _ = boot(t, ns, "virtio", impair=LOSSY_HTTP)
        for n in sizes:
            r = httpc(ns, "download", GUEST_ADDR, PORT, f"/bytes/{n}",
                      timeout=900)
            assert r["status_line"].startswith("HTTP/1.1 200"), r
            assert r["length"] == n and r["sha256"] == pattern_sha(n), r
            print(f"  /bytes/{n} with loss: {r['seconds']} s")
        c = ns.stop_impair()
        out = vm.cmd("nstat -a TcpRetransSegs", timeout=30)
    for d in ("to_guest", "to_host"):
        assert c[d]["lost"] > 0, f"the relay lost nothing {d}: {c}"
    m = re.search(r"TcpRetransSegs\s+(\d+)", out)
    assert m and int(m.group(1)) > 0, out  # losses were recovered


@time_limit(600)
def test_http_impaired_downloads(t):
    """1 MiB and 100 MiB of /bytes with 2 % loss each way: byte-exact
    (about 2 minutes under TCG)."""
    impaired_downloads(t, (1 << 20, 100 << 20))
