#!/usr/bin/env bash
# Install every Debian package Skiff's build and tests need, once.
# Called by the Makefile when a needed tool is missing; safe to run again.
set -euo pipefail

PKGS=(
  # build
  build-essential gnu-efi binutils xorriso mtools dosfstools gdisk
  newlib-source texinfo bison flex
  clang lld llvm libclang-rt-14-dev clang-format
  # run
  qemu-system-x86 ovmf
  console-data  # the 8x16 PSF font the framebuffer console draws with
  # host unit tests
  libcmocka-dev pkg-config
  # integration tests and peers
  iproute2 iputils-ping iputils-arping python3 python3-scapy socat netcat-openbsd
  procps util-linux  # sysctl in test namespaces; setpriv for QEMU cleanup
  curl tshark nmap hping3 dnsmasq-base wrk apache2-utils
  # benchmark (tests/bench/): the Linux peer's busybox, initramfs and
  # modules.dep tools, plots. Its kernel, nginx and the EFI stub are fetched
  # with `apt-get download` by build-linux-guest.sh, not installed.
  busybox-static cpio gzip kmod gnuplot-nox
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
