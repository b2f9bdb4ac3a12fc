#!/usr/bin/env bash
# build-linux-guest.sh OUT - the Linux + nginx peer guest of the benchmark.
#
# Everything comes from Debian packages fetched with `apt-get download` and
# unpacked with `dpkg -x` (nothing is installed on the host):
#   linux-image-amd64   the kernel (an EFI stub) and its modules
#   nginx-light         resolved to the real nginx binary it depends on
#   systemd-boot-efi    linuxx64.efi.stub, to make one EFI application
# plus the host's busybox-static and a static echo server built here.
#
# The kernel, the initramfs and the command line become one unified kernel
# image (UKI): OUT/linux.efi.  It is put on a FAT ESP as EFI/BOOT/BOOTX64.EFI
# and into a hybrid ISO (OUT/linux.iso) made exactly like build/skiff.iso, so
# OVMF boots both guests the same way: removable media, default boot file,
# no UEFI shell in between (a startup.nsh would add the shell's countdown).
#
# The guest: 198.18.0.2/24 on eth0, the e1000/e1000e/virtio-net modules
# loaded in modules.dep order, nginx (worker_processes 1, access_log off,
# sendfile on, keepalive_requests 100000) serving /index.html (612 bytes,
# as nginx's own default page) and /bulk.bin (256 MiB, made at boot in
# tmpfs when the memory allows), the echo service on TCP 7, and a shell on
# the serial console.  When nginx answers it prints
#   linux-bench: ready ip=198.18.0.2 http=80 echo=7
# The output is cached: a second run with unchanged inputs does nothing.
set -euo pipefail

OUT=${1:-build/bench}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DL=$OUT/dl
WORK=$OUT/linux-work
STAMP=$OUT/linux.stamp
GUEST_IP=198.18.0.2
CMDLINE="console=ttyS0,115200 quiet panic=-1"

inputs_hash() {
	cat "$0" "$HERE/echo_srv.c" "$HERE"/linux-guest/* /usr/bin/busybox | sha256sum | cut -c1-16
}

if [[ -f $STAMP && -f $OUT/linux.iso && $(cat "$STAMP") == "$(inputs_hash)" ]]; then
	echo "  LINUX   $OUT/linux.iso (cached)"
	exit 0
fi

for tool in apt-get dpkg-deb depmod objcopy cpio gzip mkfs.fat mcopy xorriso busybox; do
	command -v "$tool" >/dev/null || {
		echo "build-linux-guest: $tool is missing (run scripts/deps.sh)" >&2
		exit 1
	}
done

# fetch PKG: download PKG's .deb into $DL (once) and print its path.
fetch() {
	local deb
	deb=$(ls "$DL"/"$1"_*.deb 2>/dev/null | head -1 || true)
	if [[ -z $deb ]]; then
		# A fresh machine may have no package lists yet: update once.
		(cd "$DL" && apt-get download -q "$1" >/dev/null 2>&1) ||
			{ apt-get update -qq >/dev/null 2>&1 &&
				(cd "$DL" && apt-get download -q "$1" >/dev/null 2>&1); } || {
			echo "build-linux-guest: apt-get download $1 failed" >&2
			exit 1
		}
		deb=$(ls "$DL"/"$1"_*.deb | head -1)
	fi
	echo "$deb"
}

# real_dep DEB PATTERN: the first Depends of a metapackage matching PATTERN.
real_dep() {
	dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' |
		grep -E "$2" | head -1
}

mkdir -p "$DL"
chmod 755 "$DL" # apt's _apt user writes here
meta_k=$(fetch linux-image-amd64)
kpkg=$(real_dep "$meta_k" '^linux-image-[0-9]')
meta_n=$(fetch nginx-light)
npkg=$(real_dep "$meta_n" '^nginx$')
deb_k=$(fetch "$kpkg")
deb_n=$(fetch "$npkg")
deb_s=$(fetch systemd-boot-efi)
echo "  LINUX   $kpkg, $npkg ($(basename "$deb_n")), busybox $(busybox | head -1 | cut -d' ' -f2)"

rm -rf "$WORK"
mkdir -p "$WORK"/{k,n,s}
dpkg -x "$deb_k" "$WORK/k"
dpkg -x "$deb_n" "$WORK/n"
dpkg -x "$deb_s" "$WORK/s"
KVER=$(ls "$WORK/k/lib/modules")
# The package has no modules.dep (depmod runs at install time): make it.
depmod -b "$WORK/k" "$KVER"

ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,sbin,etc/nginx,lib/modules,lib64,proc,sys,dev,tmp,run,srv,root}
mkdir -p "$ROOT"/var/{log/nginx,lib/nginx} "$ROOT"/usr/{bin,sbin}
cp /usr/bin/busybox "$ROOT/bin/busybox"

# Modules in dependency order: modules.dep lists each module's
# dependencies, deepest last; load those first, each once.
MODDIR=$WORK/k/lib/modules/$KVER
declare -A loaded=()
order=()
add_module() {
	local name=$1 line deps d
	[[ -n ${loaded[$name]:-} ]] && return
	line=$(grep -E "(^|/)$name\.ko(\.[a-z]+)?:" "$MODDIR/modules.dep" || true)
	[[ -n $line ]] || {
		echo "build-linux-guest: module $name not in modules.dep" >&2
		exit 1
	}
	deps=${line#*:}
	for d in $(echo "$deps" | tr ' ' '\n' | tac); do
		add_module "$(basename "$d" | sed 's/\.ko.*//')"
	done
	loaded[$name]=1
	cp "$MODDIR/${line%%:*}" "$ROOT/lib/modules/"
	order+=("$(basename "${line%%:*}")")
}
for m in virtio_pci virtio_net e1000 e1000e; do add_module "$m"; done
printf '%s\n' "${order[@]}" >"$ROOT/etc/modules.order"
echo "  LINUX   modules: ${order[*]}"

# nginx and the shared libraries it needs (the host is the same Debian
# release, so ldd on the unpacked binary finds the same libraries).
cp "$WORK/n/usr/sbin/nginx" "$ROOT/usr/sbin/nginx"
ldd "$WORK/n/usr/sbin/nginx" | grep -oE '/[^ ]+\.so[^ ]*' | sort -u | while read -r lib; do
	mkdir -p "$ROOT$(dirname "$lib")"
	cp -L "$lib" "$ROOT$lib"
done

gcc -O2 -Wall -Wextra -static -o "$ROOT/usr/sbin/echo_srv" "$HERE/echo_srv.c"
cp "$HERE/linux-guest/index.html" "$ROOT/srv/index.html"
cp "$HERE/linux-guest/nginx.conf" "$ROOT/etc/nginx/nginx.conf"
cp "$HERE/linux-guest/init" "$ROOT/init"
chmod 755 "$ROOT/init"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOT/etc/group"
size=$(stat -c %s "$ROOT/srv/index.html")
[[ $size == 612 ]] || {
	echo "build-linux-guest: index.html is $size bytes, not 612" >&2
	exit 1
}

(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9) >"$WORK/initrd.gz"

# The UKI: systemd-stub with the kernel, initrd and command line as
# sections (the addresses only need to be above the stub and apart).
printf '%s' "$CMDLINE" >"$WORK/cmdline.txt"
printf 'NAME="Skiff bench peer (Debian %s, nginx)"\n' "$KVER" >"$WORK/os-release"
objcopy \
	--add-section .osrel="$WORK/os-release" --change-section-vma .osrel=0x20000 \
	--add-section .cmdline="$WORK/cmdline.txt" --change-section-vma .cmdline=0x30000 \
	--add-section .linux="$WORK/k/boot/vmlinuz-$KVER" --change-section-vma .linux=0x2000000 \
	--add-section .initrd="$WORK/initrd.gz" --change-section-vma .initrd=0x3000000 \
	"$WORK/s/usr/lib/systemd/boot/efi/linuxx64.efi.stub" "$OUT/linux.efi"

# ESP and hybrid ISO, the same recipe as the Makefile's for Skiff.
ESP=$WORK/esp
mkdir -p "$ESP/EFI/BOOT"
cp "$OUT/linux.efi" "$ESP/EFI/BOOT/BOOTX64.EFI"
kib=$(($(du -sk "$ESP" | cut -f1) * 5 / 4 + 2048))
rm -f "$WORK/esp.img"
mkfs.fat -C -n LINUXBENCH "$WORK/esp.img" "$kib" >/dev/null
mcopy -s -i "$WORK/esp.img" "$ESP"/* ::/
rm -f "$OUT/linux.iso"
xorriso -as mkisofs -quiet -o "$OUT/linux.iso" -V LINUXBENCH -R -J \
	-append_partition 2 0xef "$WORK/esp.img" \
	-e --interval:appended_partition_2:all:: -no-emul-boot \
	-isohybrid-gpt-basdat "$ESP" 2>&1 | grep -v -e '^xorriso' -e '^$' || true
test -s "$OUT/linux.iso"
cp "$WORK/k/boot/vmlinuz-$KVER" "$OUT/linux-vmlinuz"
inputs_hash >"$STAMP"
printf '  LINUX   %s (%d KiB; UKI %d KiB)\n' "$OUT/linux.iso" \
	$(($(stat -c %s "$OUT/linux.iso") / 1024)) $(($(stat -c %s "$OUT/linux.efi") / 1024))
