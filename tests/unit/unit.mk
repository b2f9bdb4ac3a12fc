# unit.mk - host unit tests (cmocka), included by the top Makefile.
# Paths are relative to the repo root.
#
#   make unit   build each tests/unit/test_<name>.c with the host gcc and
#               the sources in UNIT_SRCS_<name>, run every binary (a failing
#               or unbuildable one does not stop the rest), print one line
#               per binary, write "passed failed" to $(BUILD)/unit/results,
#               and fail at the end if any test failed.
#
# To add a test: write tests/unit/test_<name>.c. It is linked with
# <dir>/<name>.c for the first source directory that has one (kernel,
# kernel/mm, net, drivers, drivers/net, apps); if it needs other or more
# sources, add a UNIT_SRCS_<name> line below.

BUILD ?= build
UNIT_DIR := $(BUILD)/unit
UNIT_CC ?= gcc
UNIT_CFLAGS ?= -std=gnu11 -Wall -Wextra -Werror -g -O1 \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -Iinclude
UNIT_LDLIBS ?= -lcmocka
UNIT_Q := $(if $(filter-out 0,$(V)),,@)

# HOST_SRCS, NET_CORE_SRCS, NET_HOST_SRCS: the host shim and the host-built
# network stack (tests/host/host.h says how a test uses them).
include tests/host/host.mk

UNIT_SRCS_timer_wheel := kernel/timer_wheel.c
UNIT_SRCS_config := kernel/config.c
UNIT_SRCS_buddy := kernel/mm/buddy.c
UNIT_SRCS_slab := kernel/mm/slab.c kernel/mm/buddy.c
UNIT_SRCS_shell_line := kernel/shell_line.c
UNIT_SRCS_skb := $(HOST_SRCS) net/skbuff.c
UNIT_SRCS_ether := $(HOST_SRCS) net/skbuff.c net/ethernet.c net/ether_wire.c
UNIT_SRCS_arp := $(HOST_SRCS) tests/host/fakedev.c $(NET_CORE_SRCS)
UNIT_SRCS_netdev := $(UNIT_SRCS_arp)

# IPv4, ICMP, FIB, reassembly: the wire code alone, or the whole stack
# (whose console commands parse addresses with kernel/config.c; added
# here unless NET_HOST_SRCS already has it).
IPV4_CONFIG_SRC := $(filter-out $(NET_HOST_SRCS),kernel/config.c)
UNIT_SRCS_ip_wire := net/ip_wire.c net/checksum.c net/icmp_wire.c
UNIT_SRCS_ipv4 := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)
UNIT_SRCS_icmp := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)
UNIT_SRCS_reasm := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)
UNIT_SRCS_route := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)
UNIT_SRCS_udp := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC) apps/echo/echo.c
UNIT_SRCS_echo := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC) apps/echo/echo.c

# TCP building blocks (tcp-algos): pure files, tested alone.
UNIT_SRCS_tcp_wire := net/tcp_wire.c net/checksum.c
UNIT_SRCS_tcp_cong := net/tcp_cong.c net/tcp_cubic.c
UNIT_SRCS_tcp_isn := $(HOST_SRCS) net/tcp_isn.c net/tcp_syncookie.c

unit_default_srcs = $(firstword $(wildcard $(addsuffix /$(1).c,\
	kernel kernel/mm net drivers drivers/net apps)))

UNIT_NAMES := $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst %,$(UNIT_DIR)/test_%,$(UNIT_NAMES))
UNIT_HDRS := $(wildcard include/skiff/*.h include/skiff/net/*.h) $(HOST_HDRS)

# A binary that fails to build is removed and reported; `unit` counts it
# as one failed test instead of stopping.
define UNIT_RULE
UNIT_SRCS_$(1) ?= $(call unit_default_srcs,$(1))
$(UNIT_DIR)/test_$(1): tests/unit/test_$(1).c $$(UNIT_SRCS_$(1)) $$(UNIT_HDRS)
	@mkdir -p $$(@D)
	@rm -f $$@
	@echo "  HOSTCC  $$@"
	$(UNIT_Q)$$(UNIT_CC) $$(UNIT_CFLAGS) -o $$@ tests/unit/test_$(1).c \
		$$(UNIT_SRCS_$(1)) $$(UNIT_LDLIBS) || \
		echo "unit: test_$(1): build failed"
endef
# (The rules are made at the end of this file, after every UNIT_SRCS_*
# line: a rule's prerequisites are expanded when it is made.)

# Each cmocka group ends with "[  PASSED  ] N test(s)." (a binary may run
# several groups: the counts are summed) and, if any failed,
# "[  FAILED  ] N test(s), listed below:". A binary that dies without
# saying (a sanitizer report, a leak) counts as one more failure.
.PHONY: unit
unit: $(UNIT_BINS)
	@mkdir -p $(UNIT_DIR); pass=0; fail=0; \
	for n in $(UNIT_NAMES); do \
		bin=$(UNIT_DIR)/test_$$n; log=$$bin.log; \
		if [ ! -x $$bin ]; then \
			echo "unit: test_$$n: build failed"; \
			fail=$$((fail + 1)); continue; \
		fi; \
		CMOCKA_MESSAGE_OUTPUT=stdout \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			$$bin >$$log 2>&1; rc=$$?; \
		p=$$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' \
			$$log | awk '{ s += $$1 } END { print s + 0 }'); \
		f=$$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' \
			$$log | awk '{ s += $$1 } END { print s + 0 }'); \
		p=$${p:-0}; f=$${f:-0}; \
		if [ $$rc -ne 0 ] && [ $$f -eq 0 ]; then f=1; fi; \
		if [ $$f -eq 0 ]; then st=ok; else st="FAILED, see $$log"; fi; \
		printf 'unit: %-18s %4d passed, %d failed  %s\n' \
			test_$$n $$p $$f "$$st"; \
		pass=$$((pass + p)); fail=$$((fail + f)); \
	done; \
	echo "$$pass $$fail" >$(UNIT_DIR)/results; \
	echo "unit: $$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

# DHCP client: the pure state machine and wire format alone; the driver
# and the RFC 5227 probe on the host-built stack.
UNIT_SRCS_dhcp := net/dhcp.c net/dhcp_wire.c
UNIT_SRCS_arp_probe := $(HOST_SRCS) tests/host/fakedev.c $(NET_CORE_SRCS)
UNIT_SRCS_dhcp_client := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)

# The packet filter (net/netfilter/) on the host-built stack.
UNIT_SRCS_netfilter := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC) \
	$(wildcard net/netfilter/*.c)

# TCP (the core) on the host-built stack.
UNIT_SRCS_tcp := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)
# TCP's header prediction and loss recovery, on the host-built stack.
UNIT_SRCS_tcp_fastpath := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)
UNIT_SRCS_tcp_recovery := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)

# The HTTP request parser (apps/httpd/), pure: tested alone.
UNIT_SRCS_http_parse := apps/httpd/http_parse.c
# TCP's chunked rings and memory limit (tcp_ring.c counts in the TCP MIB).
UNIT_SRCS_tcp_ring := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)

# Transmit offloads (perf): GSO header math and software segmentation.
UNIT_SRCS_gso := $(HOST_SRCS) net/skbuff.c net/gso.c net/checksum.c

# Packet capture (diag): the pure filter and formatter, alone.
UNIT_SRCS_capture_filter := net/capture_filter.c
UNIT_SRCS_capture_fmt := net/capture_fmt.c net/capture_filter.c
UNIT_SRCS_capture := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)
UNIT_SRCS_shell_complete := kernel/shell_complete.c
UNIT_SRCS_trace := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)
# The L2 reflector of app=reflect (bench), on the host-built stack.
UNIT_SRCS_reflect := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)

# The HTTP server on the host-built stack, driven by a scripted client.
UNIT_SRCS_httpd := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC) $(HOST_HTTPD_SRCS)

# The socket event loop on the host-built stack (robust).
UNIT_SRCS_sock_loop := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)

# Last: every UNIT_SRCS_* above is set by now.
$(foreach n,$(UNIT_NAMES),$(eval $(call UNIT_RULE,$(n))))
