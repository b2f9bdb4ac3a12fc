#!/usr/bin/env python3
"""hold_conns.py - open idle keep-alive connections until failure or a cap.

    hold_conns.py ADDR PORT CAP [--src A,B,...] [--http] [--seconds S]

Opens TCP connections to ADDR:PORT, at most 256 still being set up at a
time, spread over the source addresses --src (each gives ~64k ports with a
wide ip_local_port_range). With --http each connection sends one
keep-alive `GET /` and counts as held once the whole response (headers and
Content-Length body) is in; without, once connected. It stops opening
when CAP are held, after 20 failures (refused, reset, closed, no answer in
10 s) or after S seconds (default 300), then prints

    held=N failures=F reason=cap|failures|time lost=L peak=P seconds=T

(L: held connections the peer closed or reset while opening went on, no
longer counted in N; P: the most held at once) and
keeps every connection open (idle), reading commands on stdin:

    alive        print `alive=M`: the held connections still open (none
                 closed or reset by the peer meanwhile); keep holding
    raise CAP    open more, up to CAP held in all (failures counted
                 afresh, S seconds again), then print the held line again
    done / EOF   print `alive=M` and close them all
"""

import argparse
import errno
import os
import resource
import select
import socket
import sys
import time

INFLIGHT = 256
SETUP_TIMEOUT = 10.0
MAX_FAILURES = 20
REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: keep-alive\r\n\r\n"


class Conn:
    __slots__ = ("sock", "started", "buf", "need", "sent")

    def __init__(self, sock):
        self.sock = sock
        self.started = time.monotonic()
        self.buf = b""
        self.need = None  # total bytes of the response, once headers are in
        self.sent = False  # the request is out


def raise_nofile(want):
    """Room for `want` descriptors: root may raise the hard limit too (up
    to fs.nr_open); otherwise the soft limit goes up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def response_done(c):
    """True once c.buf holds a whole HTTP response."""
    if c.need is None:
        end = c.buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        length = 0
        for line in c.buf[:end].split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip() or 0)
        c.need = end + 4 + length
    return len(c.buf) >= c.need


class Holder:
    def __init__(self, args):
        self.args = args
        self.ep = select.epoll()
        self.pending = {}  # fd -> Conn being set up
        self.held = {}  # fd -> socket
        self.lost = 0  # held ones the peer closed while ramping
        self.peak = 0  # the most held at once
        self.failures = 0
        self.next_src = 0
        self.said = set()

    def open_one(self):
        srcs = self.args.src
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except OSError as e:  # out of descriptors or memory here
            self.note(e)
            return
        s.setblocking(False)
        try:
            if srcs:
                s.bind((srcs[self.next_src % len(srcs)], 0))
                self.next_src += 1
            err = s.connect_ex((self.args.addr, self.args.port))
        except OSError as e:  # e.g. no local port left
            err = e.errno
        if err not in (0, errno.EINPROGRESS):
            s.close()
            self.note(OSError(err, os.strerror(err)))
            return
        c = Conn(s)
        self.pending[s.fileno()] = c
        self.ep.register(s.fileno(), select.EPOLLOUT | select.EPOLLIN)

    def note(self, e):
        """A failure of this side (not the server's): counted, and the
        first of each kind said on stderr."""
        self.failures += 1
        if str(e) not in self.said:
            self.said.add(str(e))
            print(f"hold_conns: {e}", file=sys.stderr, flush=True)

    def fail(self, fd):
        c = self.pending.pop(fd)
        self.ep.unregister(fd)
        c.sock.close()
        self.failures += 1

    def hold(self, fd):
        c = self.pending.pop(fd)
        self.ep.modify(fd, select.EPOLLRDHUP)
        self.held[fd] = c.sock
        self.peak = max(self.peak, len(self.held))

    def drop_held(self, fd):
        """The peer closed or reset a held connection (e.g. the server was
        killed): no longer held, counted as lost."""
        self.ep.unregister(fd)
        self.held.pop(fd).close()
        self.lost += 1

    def event(self, fd, ev):
        c = self.pending.get(fd)
        if c is None:
            if fd in self.held:
                self.drop_held(fd)
            return
        if ev & (select.EPOLLERR | select.EPOLLHUP):
            return self.fail(fd)
        if ev & select.EPOLLOUT and not c.sent:
            if c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                return self.fail(fd)
            if not self.args.http:
                return self.hold(fd)
            try:
                c.sock.send(REQUEST)
            except OSError:
                return self.fail(fd)
            c.sent = True
            self.ep.modify(fd, select.EPOLLIN)
            return
        if ev & select.EPOLLIN:
            try:
                data = c.sock.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                return self.fail(fd)
            if not data:
                return self.fail(fd)
            c.buf += data
            if response_done(c):
                self.hold(fd)

    def expire(self):
        now = time.monotonic()
        for fd in [fd for fd, c in self.pending.items()
                   if now - c.started > SETUP_TIMEOUT]:
            self.fail(fd)

    def ramp(self):
        end = time.monotonic() + self.args.seconds
        reason = "cap"
        while len(self.held) < self.args.cap:
            if self.failures >= MAX_FAILURES:
                reason = "failures"
                break
            if time.monotonic() > end:
                reason = "time"
                break
            room = self.args.cap - len(self.held) - len(self.pending)
            for _ in range(min(INFLIGHT - len(self.pending), room)):
                self.open_one()
            for fd, ev in self.ep.poll(0.05, self.nfds()):
                self.event(fd, ev)
            self.expire()
        for fd in list(self.pending):  # still being set up: not held
            self.pending.pop(fd).sock.close()
        return reason

    def nfds(self):
        # epoll's default maxevents is 1023: ask for all of them at once.
        return len(self.held) + len(self.pending) + 1

    def alive(self):
        dead = 0
        for fd, ev in self.ep.poll(0, self.nfds()):
            if fd in self.held and ev & (select.EPOLLRDHUP | select.EPOLLERR
                                         | select.EPOLLHUP):
                dead += 1
        return len(self.held) - dead


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("cap", type=int)
    ap.add_argument("--src", default="", help="source addresses, a,b,c")
    ap.add_argument("--http", action="store_true")
    ap.add_argument("--seconds", type=float, default=300)
    args = ap.parse_args()
    args.src = [a for a in args.src.split(",") if a]
    raise_nofile(args.cap + 1024)
    h = Holder(args)
    while True:
        t0 = time.monotonic()
        reason = h.ramp()
        print(f"held={len(h.held)} failures={h.failures} reason={reason} "
              f"lost={h.lost} peak={h.peak} "
              f"seconds={time.monotonic() - t0:.1f}", flush=True)
        cmd = sys.stdin.readline().split()
        while cmd[:1] == ["alive"]:
            print(f"alive={h.alive()}", flush=True)
            cmd = sys.stdin.readline().split()
        if cmd[:1] != ["raise"] or len(cmd) != 2:
            break
        args.cap, h.failures = int(cmd[1]), 0
        raise_nofile(args.cap + 1024)
    print(f"alive={h.alive()}", flush=True)
    for s in h.held.values():
        s.close()
    os._exit(0)


if __name__ == "__main__":
    main()
