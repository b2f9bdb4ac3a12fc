# Skiff - build, run and test. `make` builds the three images; `make run`
# boots the ISO in QEMU; `make test` runs every test tier. See README.md.

BUILD ?= build
NIC ?= e1000
SMP ?= 2
MEM ?= 512M
CFG ?=
DEBUG_LOCKS ?= 1
V ?= 0

ifeq ($(V),0)
Q := @
else
Q :=
endif

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

# ---- dependencies: a fresh Debian 12 needs only make and root -----------

DEPS_STAMP := $(BUILD)/.deps-ok
$(DEPS_STAMP): scripts/deps.sh
	$(Q)bash scripts/deps.sh
	$(Q)mkdir -p $(BUILD) && touch $@

.PHONY: deps
deps: $(DEPS_STAMP)

# ---- newlib, built once for the kernel's code model ----------------------

NEWLIB ?= $(BUILD)/newlib
NEWLIB_STAMP := $(NEWLIB)/lib/libc.a
$(NEWLIB_STAMP): scripts/build-newlib.sh | $(DEPS_STAMP)
	@echo "  NEWLIB  $(NEWLIB) (once, about a minute)"
	$(Q)bash scripts/build-newlib.sh $(NEWLIB)

# ---- the kernel ----------------------------------------------------------

KERNEL_DIRS := kernel kernel/arch/x86_64 kernel/mm drivers drivers/net \
	net net/netfilter apps apps/httpd apps/echo
KERNEL_C := $(foreach d,$(KERNEL_DIRS),$(wildcard $(d)/*.c))
KERNEL_S := $(foreach d,$(KERNEL_DIRS),$(wildcard $(d)/*.S))
KERNEL_OBJ := $(patsubst %.c,$(BUILD)/k/%.o,$(KERNEL_C)) \
	$(patsubst %.S,$(BUILD)/k/%.o,$(KERNEL_S)) $(BUILD)/k/version.o \
	$(BUILD)/k/www_builtin.o

-include drivers/fbcon.mk

GIT_REV := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
# The commit's date, not the clock: an unchanged tree does not relink.
GIT_DATE := $(shell git log -1 --format=%cd --date=format:%Y-%m-%d 2>/dev/null || echo unknown)
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie \
	-mcmodel=kernel -mno-red-zone -fno-omit-frame-pointer \
	-mno-omit-leaf-frame-pointer -fno-optimize-sibling-calls \
	-fno-stack-protector -fno-strict-aliasing -fno-common \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
	-nostdinc -isystem $(shell gcc -print-file-name=include) \
	-isystem $(NEWLIB)/include -Iinclude -Ikernel/arch/x86_64/include \
	-DCONFIG_DEBUG_LOCKS=$(DEBUG_LOCKS) -MMD -MP
KLDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack \
	--no-warn-rwx-segments -T linker.ld

# ---- robust: kernel hardening ----------------------------------------------
# Stack protector: one per-boot random guard word (kernel/stackprotector.c).
# UBSAN=1: the whole kernel with the UndefinedBehaviorSanitizer checks that
# work freestanding, reporting through kernel/ubsan.c (recoverable: one
# console line per site). kernel/crash.c always has three of them, for
# `crash ubsan`. A flags stamp rebuilds every object when UBSAN= changes.
UBSAN ?= 0
UBSAN_CHECKS := shift,signed-integer-overflow,integer-divide-by-zero,bounds,$\
	null,alignment,vla-bound,object-size,bool,enum,builtin,$\
	pointer-overflow,nonnull-attribute,returns-nonnull-attribute,unreachable
KCFLAGS := $(filter-out -fno-stack-protector,$(KCFLAGS)) \
	-fstack-protector-strong -mstack-protector-guard=global
ifeq ($(UBSAN),1)
KCFLAGS += -fsanitize=$(UBSAN_CHECKS) -DCONFIG_UBSAN=1
endif
$(BUILD)/k/kernel/crash.o: KCFLAGS += \
	-fsanitize=signed-integer-overflow,shift,bounds
KFLAGS_STAMP := $(BUILD)/k/.kcflags
$(KFLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	$(Q)echo '$(KCFLAGS)' > $@.tmp
	$(Q)cmp -s $@.tmp $@ 2>/dev/null && rm $@.tmp || mv $@.tmp $@

$(BUILD)/k/%.o: %.c $(NEWLIB_STAMP) Makefile $(KFLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)gcc $(KCFLAGS) -c $< -o $@

$(BUILD)/k/%.o: %.S Makefile $(KFLAGS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)gcc $(KCFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(BUILD)/k/version.c: FORCE
	@mkdir -p $(dir $@)
	$(Q)printf 'const char skiff_version[] = "0.1.0";\nconst char skiff_build[] = "%s %s";\n' \
		"$(GIT_REV)" "$(GIT_DATE)" > $@.tmp
	$(Q)cmp -s $@.tmp $@ 2>/dev/null && rm $@.tmp || mv $@.tmp $@

$(BUILD)/k/version.o: $(BUILD)/k/version.c
	$(Q)gcc $(KCFLAGS) -c $< -o $@

# The default site (www/) compiled in; files in \www on the boot volume
# override and extend it at run time (apps/httpd/content.c).
WWW_FILES := $(shell find www -type f 2>/dev/null)
$(BUILD)/k/www_builtin.c: $(WWW_FILES) scripts/www2c.py
	@mkdir -p $(dir $@)
	@echo "  WWW     $@ ($(words $(WWW_FILES)) files)"
	$(Q)python3 scripts/www2c.py www $@

$(BUILD)/k/www_builtin.o: $(BUILD)/k/www_builtin.c $(NEWLIB_STAMP)
	$(Q)gcc $(KCFLAGS) -c $< -o $@

$(BUILD)/kernel.elf: $(KERNEL_OBJ) linker.ld $(NEWLIB_STAMP)
	@echo "  LD      $@"
	$(Q)ld $(KLDFLAGS) -o $@ $(KERNEL_OBJ) $(NEWLIB)/lib/libc.a \
		$(shell gcc -print-libgcc-file-name)

# ---- the UEFI boot stage (GNU-EFI), carrying the kernel inside ------------

EFI_INC := -I/usr/include/efi -I/usr/include/efi/x86_64
EFI_CFLAGS := -std=gnu11 -O2 -fpic -fshort-wchar -mno-red-zone \
	-fno-stack-protector -ffreestanding -fno-strict-aliasing \
	-DEFI_FUNCTION_WRAPPER -DGNU_EFI_USE_MS_ABI -maccumulate-outgoing-args \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	$(EFI_INC) -Iinclude
EFI_LDFLAGS := -nostdlib -znocombreloc -T /usr/lib/elf_x86_64_efi.lds \
	-shared -Bsymbolic -L/usr/lib /usr/lib/crt0-efi-x86_64.o

$(BUILD)/boot/main.o: boot/main.c include/skiff/boot_info.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)gcc $(EFI_CFLAGS) -c $< -o $@

# The kernel travels inside the EFI image, without debug info but with its
# symbol table (for backtraces); build/kernel.elf keeps everything for gdb.
$(BUILD)/boot/kernel_blob.o: $(BUILD)/kernel.elf
	@mkdir -p $(BUILD)/boot/blob
	$(Q)strip --strip-debug -o $(BUILD)/boot/blob/kernel.elf $<
	$(Q)cd $(BUILD)/boot/blob && objcopy -I binary -O elf64-x86-64 \
		-B i386:x86-64 --rename-section .data=.rodata.kernel,alloc,load,readonly,data,contents \
		--add-section .note.GNU-stack=/dev/null kernel.elf ../kernel_blob.o

$(BUILD)/skiff.efi: $(BUILD)/boot/main.o $(BUILD)/boot/kernel_blob.o
	@echo "  EFI     $@"
	$(Q)ld $(EFI_LDFLAGS) $^ -o $(BUILD)/boot/skiff.so -lefi -lgnuefi
	$(Q)objcopy -j .text -j .sdata -j .data -j .rodata -j .dynamic \
		-j .dynsym -j .rel -j .rela -j .rel.* -j .rela.* -j .reloc \
		--target efi-app-x86_64 --subsystem=10 $(BUILD)/boot/skiff.so $@

# ---- images: FAT ESP, hybrid ISO, GPT disk --------------------------------

ESP := $(BUILD)/esp

$(BUILD)/esp.img: $(BUILD)/skiff.efi skiff.cfg $(WWW_FILES)
	@echo "  ESP     $@"
	$(Q)rm -rf $(ESP) && mkdir -p $(ESP)/EFI/BOOT
	$(Q)cp $(BUILD)/skiff.efi $(ESP)/EFI/BOOT/BOOTX64.EFI
	$(Q)cp skiff.cfg $(ESP)/skiff.cfg
	$(Q)cp -r www $(ESP)/www
	$(Q)kib=$$(( $$(du -sk $(ESP) | cut -f1) * 5 / 4 + 2048 )); \
		rm -f $@; mkfs.fat -C -n SKIFF $@ $$kib >/dev/null
	$(Q)mcopy -s -i $@ $(ESP)/* ::/

$(BUILD)/skiff.iso: $(BUILD)/esp.img
	@echo "  ISO     $@"
	$(Q)rm -f $@ && xorriso -as mkisofs -quiet -o $@ -V SKIFF -R -J \
		-append_partition 2 0xef $< \
		-e --interval:appended_partition_2:all:: -no-emul-boot \
		-isohybrid-gpt-basdat $(ESP) 2>&1 | grep -v -e '^xorriso' -e '^$$' || true
	$(Q)test -s $@

$(BUILD)/skiff.img: $(BUILD)/esp.img
	@echo "  IMG     $@"
	$(Q)esp_sectors=$$(( $$(stat -c %s $<) / 512 )); \
		rm -f $@; truncate -s $$(( (esp_sectors + 2048 + 64) * 512 )) $@; \
		sgdisk -q -n 1:2048:+$$esp_sectors -t 1:ef00 -c 1:SKIFF-ESP $@ >/dev/null; \
		dd if=$< of=$@ bs=512 seek=2048 conv=notrunc status=none

.PHONY: all
all: $(BUILD)/skiff.efi $(BUILD)/skiff.iso $(BUILD)/skiff.img
	@for f in $^ $(BUILD)/kernel.elf; do \
		printf '  %-22s %8d KiB\n' "$$f" $$(( ($$(stat -c %s $$f) + 1023) / 1024 )); done

# ---- running ---------------------------------------------------------------

OVMF_CODE := /usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS := /usr/share/OVMF/OVMF_VARS_4M.fd
QEMU_NIC_e1000 := e1000
QEMU_NIC_e1000e := e1000e
QEMU_NIC_virtio := virtio-net-pci,disable-legacy=on
QEMU_BASE = qemu-system-x86_64 -machine q35 -accel tcg -cpu max \
	-smp $(SMP) -m $(MEM) -no-reboot \
	-drive if=pflash,format=raw,readonly=on,file=$(OVMF_CODE) \
	-drive if=pflash,format=raw,file=$(BUILD)/ovmf_vars.fd \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-cdrom $(BUILD)/skiff.iso \
	$(if $(CFG),-fw_cfg name=opt/skiff/cmdline$(,)string="$(CFG)")
, := ,
QEMU_NET = -netdev user,id=n0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=tcp:127.0.0.1:7007-:7 \
	-device $(QEMU_NIC_$(NIC)),netdev=n0

$(BUILD)/ovmf_vars.fd: | $(DEPS_STAMP)
	$(Q)cp $(OVMF_VARS) $@

.PHONY: run debug
run: all $(BUILD)/ovmf_vars.fd
	@echo "Booting Skiff (serial console below; Ctrl-A X quits QEMU)"
	$(QEMU_BASE) $(QEMU_NET) -display none -serial mon:stdio

debug: all $(BUILD)/ovmf_vars.fd
	$(Q)printf '%s\n' 'set architecture i386:x86-64' \
		'symbol-file $(BUILD)/kernel.elf' 'target remote 127.0.0.1:1234' \
		'hbreak kmain' 'echo Skiff: continue with c; kmain is a hardware breakpoint\n' \
		> $(BUILD)/skiff.gdb
	@echo "QEMU is halted with a GDB server on 127.0.0.1:1234."
	@echo "In another terminal: gdb -x $(BUILD)/skiff.gdb"
	$(QEMU_BASE) $(QEMU_NET) -display none -serial mon:stdio -s -S

# ---- benchmarks (tests/bench/, see README "Benchmarks") -------------------
# `make bench`: Skiff against a Linux + nginx guest on e1000 and virtio-net,
# about 30 minutes; `make bench QUICK=1`: one NIC, short runs, ~2 minutes.
# Prints the table; results.csv, results.json and PNG plots go to
# $(BUILD)/bench/. A benchmark never fails the build (bench.py exits 0).

QUICK ?=
BENCH_ARGS ?=

.PHONY: bench bench-linux-guest
bench-linux-guest: $(DEPS_STAMP)
	$(Q)bash tests/bench/build-linux-guest.sh $(BUILD)/bench

# bench.py builds the peer itself (cached) and goes on without it if that
# fails, so an unreachable package archive still gives Skiff's figures.
bench: all
	$(Q)python3 tests/bench/bench.py --build $(BUILD) \
		$(if $(filter-out 0,$(QUICK)),--quick) $(BENCH_ARGS) || true

# `make bench-faults`: Skiff and the Linux peer under issue 9's fault
# profiles (tests/bench/faults.py; 64 MiB HTTP + 16 MiB echo each, about
# an hour and a half in all, most of it the combined profile on both).
# FAULTS_ARGS="--profiles delay,reorder --http-mib 16" for a part.
FAULTS_ARGS ?=
.PHONY: bench-faults
bench-faults: all
	$(Q)python3 tests/bench/faults.py --build $(BUILD) $(FAULTS_ARGS) || true

# ---- tests -----------------------------------------------------------------

-include tests/unit/unit.mk
-include tests/fuzz/fuzz.mk

.PHONY: test integration
# Integration tests run TEST_JOBS at a time (tests/integration/parallel.py;
# floods, soak and impaired transfers still run alone).
TEST_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
integration: all $(BUILD)/ovmf_vars.fd
	$(Q)python3 tests/integration/run.py --build $(BUILD) \
		--jobs $(TEST_JOBS) $(if $(filter 1,$(SLOW)),--slow)

test: $(DEPS_STAMP)
	$(Q)bash tests/run_all.sh $(BUILD)

# `make integration-ubsan`: UBSAN_TESTS (the malformed-packet suite and the
# UBSan report test) on a UBSAN=1 kernel built in $(BUILD)/ubsan with this
# build's newlib. run.py fails a test whose VM printed a UBSan report.
UBSAN_TESTS ?= malformed. crash.ubsan_report
.PHONY: integration-ubsan
integration-ubsan: $(NEWLIB_STAMP) $(DEPS_STAMP)
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/ubsan NEWLIB=$(NEWLIB) \
		DEPS_STAMP=$(DEPS_STAMP) UBSAN=1 all
	$(Q)python3 tests/integration/run.py --build $(BUILD)/ubsan \
		--jobs $(TEST_JOBS) $(foreach f,$(UBSAN_TESTS),--filter $(f))

# ---- robust: the long soak --------------------------------------------------
# Mixed load against one VM for SOAK_MINUTES, then memory and counters
# back at their baseline (tests/integration/test_soak.py; `make test` runs
# it for 2 minutes).
SOAK_MINUTES ?= 30
.PHONY: soak
soak: all $(BUILD)/ovmf_vars.fd
	$(Q)SKIFF_SOAK_MINUTES=$(SOAK_MINUTES) python3 tests/integration/run.py \
		--build $(BUILD) --filter soak.

# ---- format: every C file as clang-format (.clang-format) writes it -------
# `make format-check` counts each tracked .c/.h file as one test (results in
# BUILD/format/results for tests/run_all.sh); `make format` rewrites them.
# Hand-laid tables sit between /* clang-format off */ and on.
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null || \
	find apps boot drivers include kernel net tests -name '*.[ch]')
.PHONY: format format-check
format: $(DEPS_STAMP)
	$(Q)clang-format -i $(FORMAT_FILES)
format-check: $(DEPS_STAMP)
	$(Q)mkdir -p $(BUILD)/format
	$(Q)pass=0; fail=0; for f in $(FORMAT_FILES); do \
		if clang-format --dry-run --Werror "$$f" 2>/dev/null; then \
			pass=$$((pass + 1)); \
		else \
			fail=$$((fail + 1)); \
			echo "format: $$f differs from clang-format's output:"; \
			clang-format "$$f" | diff -u "$$f" - | head -20; \
		fi; \
	done; \
	echo "format: $$pass files as clang-format writes them, $$fail not"; \
	echo "$$pass $$fail" > $(BUILD)/format/results; \
	test $$fail -eq 0

.PHONY: clean distclean FORCE
clean:
	rm -rf $(BUILD)/k $(BUILD)/gen $(BUILD)/boot $(BUILD)/unit $(BUILD)/fuzz $(BUILD)/esp* \
		$(BUILD)/*.efi $(BUILD)/*.iso $(BUILD)/*.img $(BUILD)/kernel.elf
distclean:
	rm -rf $(BUILD)

-include $(KERNEL_OBJ:.o=.d)
