# fuzz.mk - libFuzzer targets, included by the top Makefile. Paths are
# relative to the repo root.
#
#   make fuzz-build   build each tests/fuzz/fuzz_<name>.c with clang and
#                     the sources in FUZZ_SRCS_<name> into $(BUILD)/fuzz/
#   make fuzz-smoke   run each for $(FUZZ_SMOKE_SECONDS) s (default 10)
#   make fuzz         run each for $(FUZZ_SECONDS) s (default 600)
#
# Both run FUZZ_JOBS fuzzers at a time (default: the number of CPUs).
#
# A run starts from tests/fuzz/corpus/<name>/, copied into
# $(BUILD)/fuzz/corpus-<name>/ where libFuzzer adds what it finds (the
# repo's corpus is never written). Crashes go to
# $(BUILD)/fuzz/artifacts-<name>/. Both run targets print one line per
# fuzzer, write "passed failed" to $(BUILD)/fuzz/results (passed: no crash
# found) and fail at the end if any fuzzer failed.
#
# To add a fuzzer: write tests/fuzz/fuzz_<name>.c, seed
# tests/fuzz/corpus/<name>/, and add a FUZZ_SRCS_<name> line below naming
# the sources it needs (without one it gets <dir>/<name>.c for the first
# of kernel, kernel/mm, net, drivers, drivers/net, apps that has it).

BUILD ?= build
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_CC ?= clang
FUZZ_CFLAGS ?= -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Iinclude
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
FUZZ_Q := $(if $(filter-out 0,$(V)),,@)

# HOST_SRCS, NET_HOST_SRCS: the host shim and the host-built network stack
# (tests/host/host.h), e.g. FUZZ_SRCS_frame := $(NET_HOST_SRCS).
include tests/host/host.mk

FUZZ_SRCS_config := kernel/config.c
# One frame into the whole host-built stack (eth0 with 198.18.0.2/24);
# its console commands use kernel/config.c's address parser.
IPV4_CONFIG_SRC := $(filter-out $(NET_HOST_SRCS),kernel/config.c)
FUZZ_SRCS_frame := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)
FUZZ_SRCS_udp := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC) apps/echo/echo.c
FUZZ_SRCS_tcp_wire := net/tcp_wire.c net/checksum.c net/tcp_sack.c
# Packet capture (diag): filter expressions and the line formatter.
FUZZ_SRCS_capture_filter := net/capture_filter.c net/capture_fmt.c

fuzz_default_srcs = $(firstword $(wildcard $(addsuffix /$(1).c,\
	kernel kernel/mm net drivers drivers/net apps)))

FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))
FUZZ_HDRS := $(wildcard include/skiff/*.h include/skiff/net/*.h) $(HOST_HDRS)

define FUZZ_RULE
FUZZ_SRCS_$(1) ?= $(call fuzz_default_srcs,$(1))
$(FUZZ_DIR)/fuzz_$(1): tests/fuzz/fuzz_$(1).c $$(FUZZ_SRCS_$(1)) $$(FUZZ_HDRS)
	@mkdir -p $$(@D)
	@rm -f $$@
	@echo "  FUZZCC  $$@"
	$(FUZZ_Q)$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ tests/fuzz/fuzz_$(1).c \
		$$(FUZZ_SRCS_$(1)) || echo "fuzz: fuzz_$(1): build failed"
endef
# (The rules are made at the end of this file, after every FUZZ_SRCS_*
# line: a rule's prerequisites are expanded when it is made.)

# $(call FUZZ_RUN,seconds): run every fuzzer for that long, FUZZ_JOBS at
# a time (tests/fuzz/run_one.sh prints each one's line as it ends), then
# count their status files.
define FUZZ_RUN
	@mkdir -p $(FUZZ_DIR); \
	printf '%s\n' $(FUZZ_NAMES) | xargs -P $(FUZZ_JOBS) -I{} \
		bash tests/fuzz/run_one.sh $(FUZZ_DIR) {} $(1); \
	pass=0; fail=0; \
	for n in $(FUZZ_NAMES); do \
		st=$(FUZZ_DIR)/fuzz_$$n.status; \
		if [ -f $$st ] && grep -q '  ok$$' $$st; then \
			pass=$$((pass + 1)); \
		else \
			[ -f $$st ] || echo "fuzz: fuzz_$$n: no result"; \
			fail=$$((fail + 1)); \
		fi; \
	done; \
	echo "$$pass $$fail" >$(FUZZ_DIR)/results; \
	echo "fuzz: $$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]
endef

.PHONY: fuzz-build fuzz-smoke fuzz
fuzz-build: $(FUZZ_BINS)

fuzz-smoke: fuzz-build
	$(call FUZZ_RUN,$(FUZZ_SMOKE_SECONDS))

fuzz: fuzz-build
	$(call FUZZ_RUN,$(FUZZ_SECONDS))
FUZZ_SRCS_dhcp := net/dhcp.c net/dhcp_wire.c
# The packet filter's rule parser and packet reader (pure).
FUZZ_SRCS_rules := net/netfilter/nf_rule.c net/netfilter/nf_match.c
FUZZ_SRCS_tcp := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC)
# The HTTP request parser (apps/httpd/), pure.
FUZZ_SRCS_http := apps/httpd/http_parse.c
# The whole appliance: the stack with the HTTP server and echo, frames and
# clock steps from the input (tests/fuzz/fuzz_stack.c).
FUZZ_SRCS_stack := $(NET_HOST_SRCS) $(IPV4_CONFIG_SRC) $(HOST_HTTPD_SRCS)

# Last: every FUZZ_SRCS_* above is set by now.
$(foreach n,$(FUZZ_NAMES),$(eval $(call FUZZ_RULE,$(n))))
