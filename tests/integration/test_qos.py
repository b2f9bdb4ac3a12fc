"""The egress shaper (tbf, a token bucket in front of pfifo_fast's bands),
through the booted ISO on a tap in a private namespace (198.18.0.1 Linux,
198.18.0.2 Skiff):

- virtio-net (TSO on, so GSO frames must be cut to the burst) booted with
  tbf.rate=8mbit: the boot log names the shaper, `tc qdisc show` says tbf
  at 8Mbit; a 1.5 MB download arrives whole (its SHA-256) and takes at
  least (size - burst) / rate (only a lower bound: the shaper never lets
  more through than the bucket allows, and a slow host cannot make a
  transfer faster); tc counts the bytes and at least one overlimit;
- `tc qdisc del dev eth0 root`: pfifo_fast again, the download whole;
- `tc qdisc replace dev eth0 root tbf rate 4mbit burst 20k`: the download
  takes at least (size - burst) / rate at the new rate;
- e1000 booted with bad tbf values: each is named on the console (a value
  the parser refuses, and a burst that cannot hold 1 ms at the rate,
  refused when the shaper is set up, with the reason); the appliance
  serves through pfifo_fast.
"""

import re
import time

from netns import GUEST_ADDR, READY_RE, NetNS
from skiff_qemu import time_limit
from test_http import pattern_sha  # /bytes/N's body

SIZE = 1_500_000


def boot(t, ns, nic, extra):
    vm = t.vm(nic=nic, smp=1, config=f"ip={GUEST_ADDR}/24 {extra}",
              **ns.qemu_args())
    vm.wait_for(READY_RE, timeout=90)
    vm.wait_prompt(30)
    return vm


def download(ns):
    """Seconds for SIZE bytes from /bytes/N, their SHA-256 checked."""
    t0 = time.monotonic()
    p = ns.run(["sh", "-c", f"curl -sS --max-time 60 "
                f"http://{GUEST_ADDR}/bytes/{SIZE} | sha256sum"], timeout=90)
    secs = time.monotonic() - t0
    assert p.stdout.split()[0] == pattern_sha(SIZE), p.stdout + p.stderr
    return secs


def shaped_download(ns, rate, burst, label):
    """A download at rate bytes/s through a burst-byte bucket: it cannot
    take less than (SIZE - burst) / rate."""
    secs = download(ns)
    floor = (SIZE - burst) / rate
    print(f"    {label}: {SIZE} bytes in {secs:.2f} s "
          f"(the rate allows no less than {floor:.2f} s)")
    assert secs >= 0.95 * floor, (secs, floor)


def tc(vm):
    """(kind, rate, burst, sent bytes, dropped, overlimits) of eth0."""
    out = vm.cmd("tc qdisc show dev eth0")
    head = re.search(r"^qdisc (\w+) \d+: root dev eth0"
                     r"(?: rate (\S+) burst (\d+)b)?", out, re.M)
    sent = re.search(r"Sent (\d+) bytes \d+ pkt \(dropped (\d+), "
                     r"overlimits (\d+)", out)
    assert head and sent, out
    return (head[1], head[2], int(head[3] or 0), int(sent[1]), int(sent[2]),
            int(sent[3]))


@time_limit(240)
def test_tbf_shapes_virtio(t):
    with NetNS() as ns:
        vm = boot(t, ns, "virtio", "tbf.rate=8mbit")
        assert "HOST_TSO4" in vm.text, "virtio-net did not negotiate TSO"
        assert re.search(r"net: eth0: tbf shaper, rate 8Mbit burst 10000 "
                         r"bytes limit 60000 bytes \(50 ms\)", vm.text), \
            vm.tail()
        kind, rate, burst, sent0, _, over0 = tc(vm)
        assert (kind, rate, burst) == ("tbf", "8Mbit", 10000)

        shaped_download(ns, 1_000_000, burst, "8mbit")
        _, _, _, sent, dropped, over = tc(vm)
        assert sent - sent0 >= SIZE, (sent0, sent)
        assert over > over0, (over0, over)

        out = vm.cmd("tc qdisc del dev eth0 root")
        assert "tc:" not in out, out
        assert tc(vm)[0] == "pfifo_fast"
        secs = download(ns)
        print(f"    pfifo_fast: {SIZE} bytes in {secs:.2f} s")

        out = vm.cmd("tc qdisc replace dev eth0 root tbf rate 4mbit "
                     "burst 20k")
        assert "tc:" not in out, out
        kind, rate, burst, _, _, _ = tc(vm)
        assert (kind, rate, burst) == ("tbf", "4Mbit", 20480)
        shaped_download(ns, 500_000, burst, "4mbit")
        assert vm.panic_text(0) is None


@time_limit(180)
def test_tbf_bad_config_e1000(t):
    with NetNS() as ns:
        vm = boot(t, ns, "e1000", "tbf.rate=fast tbf.burst=100 "
                  "tbf.rate=100mbit tbf.burst=2000")
        assert re.search(r"bad value for 'tbf\.rate': 'fast' \(want off or "
                         r"a rate", vm.text), vm.tail()
        assert re.search(r"bad value for 'tbf\.burst': '100' \(want auto "
                         r"or 1514\.\.64m", vm.text), vm.tail()
        assert re.search(r"net: eth0: tbf\.rate=100Mbit not applied: burst "
                         r"2000 bytes is less than 1 ms at the rate \(12500 "
                         r"bytes\)", vm.text), vm.tail()
        assert tc(vm)[0] == "pfifo_fast"
        download(ns)
