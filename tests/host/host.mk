# host.mk - source lists for building Skiff code on the host (unit tests
# and fuzzers) on top of the host shim (tests/host/host.h explains it).
# Included by tests/unit/unit.mk and tests/fuzz/fuzz.mk; paths are
# relative to the repo root.
#
#   HOST_SRCS      the shim: kernel services on the host (locks, fake
#                  clock, timer wheel, softirqs, pages, slab caches,
#                  printk and shell capture). Enough for one net/ file:
#                    UNIT_SRCS_skb := $(HOST_SRCS) net/skbuff.c
#   NET_CORE_SRCS  the device layer: skbs, devices, NAPI, qdisc,
#                  Ethernet, ARP (no IPv4), and kernel/config.c, whose
#                  rate and size parsers the tc command uses
#   NET_HOST_SRCS  the whole host-built stack: the shim, the fake
#                  Ethernet device and every net/*.c:
#                    UNIT_SRCS_foo := $(NET_HOST_SRCS)
#                    FUZZ_SRCS_frame := $(NET_HOST_SRCS)
#   HOST_HTTPD_SRCS  the HTTP server and the echo app on top of it, with
#                  the kernel pieces they need (tests/host/httpd_host.h):
#                    $(NET_HOST_SRCS) kernel/config.c $(HOST_HTTPD_SRCS)
#                  (kernel/config.c only if NET_HOST_SRCS lacks it)

ifndef HOST_MK_INCLUDED
HOST_MK_INCLUDED := 1

HOST_SRCS := tests/host/platform.c kernel/timer_wheel.c kernel/mm/slab.c
HOST_SRCS += kernel/trace.c # tracepoints (diag): net/ calls trace()
HOST_HDRS := tests/host/host.h
NET_CORE_SRCS := net/skbuff.c net/dev.c net/sched.c net/gso.c net/checksum.c net/ethernet.c \
	net/ether_wire.c net/arp.c net/arp_wire.c kernel/config.c
NET_HOST_SRCS := $(HOST_SRCS) tests/host/fakedev.c $(wildcard net/*.c)
HOST_HTTPD_SRCS := tests/host/httpd_host.c tests/host/tcp_peer.c \
	apps/echo/echo.c \
	$(filter-out apps/httpd/zz_%,$(wildcard apps/httpd/*.c))
HOST_HDRS += tests/host/httpd_host.h tests/host/tcp_peer.h

endif
