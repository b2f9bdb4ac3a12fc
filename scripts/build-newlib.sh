#!/usr/bin/env bash
# Build newlib (Debian's newlib-source) for the x86_64-elf target with the
# host gcc and the kernel's code model; install into $1 (build/newlib).
# Runs once: the Makefile only calls it when $1/lib/libc.a is missing.
set -euo pipefail
out=$(realpath -m "$1")
work="$out.work"
tarball=$(ls /usr/src/newlib/newlib-*.tar.* | head -n1)
rm -rf "$work" && mkdir -p "$work/obj"
tar -C "$work" -xf "$tarball"
src=$(ls -d "$work"/newlib-*/ | head -n1)

# Kernel code model, no red zone (interrupts use the current stack), no PIC.
cflags="-O2 -g -mcmodel=kernel -mno-red-zone -fno-pic -fno-pie -ffreestanding"
cflags="$cflags -fno-stack-protector -fno-omit-frame-pointer -fno-tree-vectorize"
cflags="$cflags -w"
cd "$work/obj"
# Newlib's configure wants target tools named x86_64-elf-*; the host's are
# the same binutils and gcc, so point at them directly.
"$src/configure" --target=x86_64-elf --prefix="$out" --disable-multilib \
	--disable-newlib-supplied-syscalls --enable-newlib-reent-small \
	--disable-newlib-fvwrite-in-streamio --enable-newlib-nano-malloc=no \
	--disable-newlib-multithread --enable-newlib-io-long-long \
	--enable-newlib-io-c99-formats --disable-nls \
	CC_FOR_TARGET=gcc AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld \
	RANLIB_FOR_TARGET=ranlib NM_FOR_TARGET=nm OBJDUMP_FOR_TARGET=objdump \
	CFLAGS_FOR_TARGET="$cflags" >"$work/configure.log" 2>&1
make -j"$(nproc)" all-target-newlib >"$work/build.log" 2>&1 ||
	{ tail -40 "$work/build.log"; exit 1; }
make install-target-newlib >"$work/install.log" 2>&1
# Lay the result out flat: include/ and lib/ under $out.
if [ -d "$out/x86_64-elf" ]; then
	rm -rf "$out/include" "$out/lib"
	mv "$out/x86_64-elf/include" "$out/include"
	mv "$out/x86_64-elf/lib" "$out/lib"
	rm -rf "$out/x86_64-elf"
fi
rm -rf "$work"
echo "newlib: built $(ls "$out/lib"/*.a | xargs -n1 basename | tr '\n' ' ')"
