#!/usr/bin/env python3
"""httpc.py - the HTTP client side of the integration tests, run inside
the test's network namespace (`ns.run([PYTHON, httpc.py, ...])`). Every
command prints one JSON object on stdout; test_http.py asserts on it.

    httpc.py raw ADDR PORT HEX          send bytes, read until close/idle;
                                        every response parsed
    httpc.py download ADDR PORT PATH    one GET: status, length, sha256
    httpc.py pipeline ADDR PORT N       N requests in one write
    httpc.py concurrent ADDR PORT N     N keep-alive connections, two
                                        requests each
    httpc.py slowloris ADDR PORT N SECS N connections that trickle a header
                                        while normal requests go on
Standard library only; every socket has a timeout.
"""

import hashlib
import json
import socket
import sys
import time

TIMEOUT = 30


def parse_responses(data, head_only=()):
    """Split a byte stream into responses: [{status, headers, body}].
    head_only: indexes of responses to HEAD requests (no body)."""
    out = []
    while data:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            out.append({"partial": data[:200].decode("latin-1")})
            break
        head = data[:end].decode("latin-1").split("\r\n")
        data = data[end + 4:]
        parts = head[0].split(" ", 2)
        headers = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            headers.setdefault(k.strip().lower(), []).append(v.strip())
        n = 0
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        if (len(out) not in head_only and status not in (204, 304)
                and "content-length" in headers):
            n = int(headers["content-length"][0])
        body, data = data[:n], data[n:]
        out.append({"version": parts[0], "status": status,
                    "reason": parts[2] if len(parts) > 2 else "",
                    "headers": headers,
                    "body": body.decode("latin-1"), "body_len": len(body)})
    return out


def read_all(s, idle=3.0):
    """Read until the peer closes or nothing arrives for `idle` s."""
    s.settimeout(idle)
    chunks, closed = [], False
    try:
        while True:
            b = s.recv(1 << 16)
            if not b:
                closed = True
                break
            chunks.append(b)
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    return b"".join(chunks), closed


def cmd_raw(addr, port, hexreq, head_only=""):
    s = socket.create_connection((addr, int(port)), timeout=TIMEOUT)
    s.sendall(bytes.fromhex(hexreq))
    data, closed = read_all(s)
    s.close()
    heads = {int(i) for i in head_only.split(",") if i}
    return {"responses": parse_responses(data, heads), "closed": closed}


def pattern_sha(n):
    h = hashlib.sha256()
    block = b"0123456789abcdef" * 4096
    while n:
        k = min(n, len(block))
        h.update(block[:k])
        n -= k
    return h.hexdigest()


def cmd_download(addr, port, path):
    s = socket.create_connection((addr, int(port)), timeout=TIMEOUT)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {addr}\r\n"
              "Connection: close\r\n\r\n".encode())
    t0 = time.time()
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = s.recv(65536)
        if not b:
            break
        buf += b
    head, _, rest = buf.partition(b"\r\n\r\n")
    h = hashlib.sha256(rest)
    n = len(rest)
    s.settimeout(120)
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        h.update(b)
        n += len(b)
    s.close()
    lines = head.decode("latin-1").split("\r\n")
    return {"status_line": lines[0], "length": n, "sha256": h.hexdigest(),
            "seconds": round(time.time() - t0, 2)}


def cmd_pipeline(addr, port, n):
    n = int(n)
    reqs = []
    for i in range(n):
        last = "Connection: close\r\n" if i == n - 1 else ""
        reqs.append(f"GET /bytes/{i + 1} HTTP/1.1\r\nHost: x\r\n{last}\r\n")
    s = socket.create_connection((addr, int(port)), timeout=TIMEOUT)
    s.sendall("".join(reqs).encode())  # one write
    data, closed = read_all(s, idle=10)
    s.close()
    rs = parse_responses(data)
    return {"count": len(rs), "closed": closed,
            "statuses": sorted({r.get("status", 0) for r in rs}),
            "lengths": [r.get("body_len", -1) for r in rs]}


def one_request(s, path):
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = s.recv(4096)
        if not b:
            return 0
        buf += b
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    n = 0
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.lower() == "content-length":
            n = int(v)
    while len(body) < n:
        b = s.recv(65536)
        if not b:
            return 0
        body += b
    return int(lines[0].split()[1])


def cmd_concurrent(addr, port, n):
    n = int(n)
    socks, errors = [], []
    for i in range(n):
        try:
            socks.append(socket.create_connection((addr, int(port)),
                                                  timeout=TIMEOUT))
        except OSError as e:
            errors.append(f"connect {i}: {e}")
    codes = {}
    for rnd in range(2):  # the second round reuses every connection
        for s in socks:
            try:
                c = one_request(s, "/")
            except OSError as e:
                c = 0
                errors.append(str(e))
            codes[c] = codes.get(c, 0) + 1
    for s in socks:
        s.close()
    return {"connected": len(socks), "codes": codes, "errors": errors[:5]}


def cmd_slowloris(addr, port, n, secs):
    n, secs = int(n), float(secs)
    slow = [socket.create_connection((addr, int(port)), timeout=TIMEOUT)
            for _ in range(n)]
    for s in slow:
        s.sendall(b"GET / HTTP/1.1\r\n")
    t0 = time.time()
    normal, step = [], 0
    closed_at = {}
    while time.time() - t0 < secs:
        for i, s in enumerate(slow):  # one header byte each per round
            if i in closed_at:
                continue
            try:
                s.sendall(b"X")  # a header name that never ends
            except OSError:
                closed_at[i] = round(time.time() - t0, 1)
        c = socket.create_connection((addr, int(port)), timeout=TIMEOUT)
        normal.append(one_request(c, "/"))
        c.close()
        step += 1
        time.sleep(0.5)
    answers = []
    for i, s in enumerate(slow):
        data, closed = read_all(s, idle=2)
        rs = parse_responses(data)
        answers.append(rs[0]["status"] if rs and "status" in rs[0] else 0)
        s.close()
    return {"normal": normal, "slow_answers": answers,
            "send_failed_at": closed_at}


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"raw": cmd_raw, "download": cmd_download, "pipeline": cmd_pipeline,
          "concurrent": cmd_concurrent, "slowloris": cmd_slowloris}[cmd]
    print(json.dumps(fn(*args)))


if __name__ == "__main__":
    main()
