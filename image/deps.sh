#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian 12 packages the image builder and the boot test need, when any is missing.
set -euo pipefail
PACKAGES=(mmdebstrap qemu-system-x86 qemu-utils dosfstools mtools fdisk e2fsprogs ovmf
  grub-pc-bin grub-efi-amd64-bin grub-common rauc squashfs-tools freeradius-utils snmp curl openssl python3 iproute2)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "ispbox image: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
