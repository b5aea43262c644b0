#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the ispbox appliance disk image from Debian 12's packages and ispbox's own .debs:
#
#   image/build.sh [--no-build]
#
# 1. a Release build of this checkout and its .deb packages (CPack) in ISPBOX_BUILD_DIR
# 2. a Debian 12 tree with mmdebstrap (minbase + kernel, systemd, FreeRADIUS, snmpd, ...), then
#    ispbox's .debs installed with apt and rootfs/overlay on top (image/customize.sh)
# 3. a disk image (MBR): 1 EFI system partition (FAT, UEFI loader), 2 root (ext4, read-only at
#    run time), 3 state (ext4, /var/lib/ispbox, empty until the first boot); GRUB for BIOS in the
#    gap after the MBR and for UEFI on the ESP (removable-media path); serial console ttyS0
# 4. ispbox.raw and ispbox.qcow2 in ISPBOX_IMAGE_DIR
#
# Needs root (mmdebstrap's root mode and the tree's ownership) and Debian's package mirror, as
# configured for apt on this machine (ISPBOX_IMAGE_SOURCES: a sources.list or .sources file).
# Environment: ISPBOX_BUILD_DIR (default build-pkg), ISPBOX_IMAGE_DIR (default
# ISPBOX_BUILD_DIR/image), ISPBOX_STATE_MB (state partition, default 512), ISPBOX_KERNEL_ARGS
# (extra kernel command line, e.g. an ip= static address), ISPBOX_IMAGE_SUITE (default bookworm).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
BUILD=$(realpath -m "${ISPBOX_BUILD_DIR:-build-pkg}")
OUT=$(realpath -m "${ISPBOX_IMAGE_DIR:-$BUILD/image}")
STATE_MB=${ISPBOX_STATE_MB:-512}
ESP_MB=32
SUITE=${ISPBOX_IMAGE_SUITE:-bookworm}
KERNEL_ARGS=${ISPBOX_KERNEL_ARGS:-}
no_build=0
[ "${1:-}" = --no-build ] && no_build=1
die() {
  echo "image/build.sh: $*" >&2
  exit 1
}
[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap root mode, file ownership in the image)"
SOURCES=${ISPBOX_IMAGE_SOURCES:-}
if [ -z "$SOURCES" ]; then
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    if [ -s "$f" ] && grep -qE '^(Types:.*\bdeb\b|deb )' "$f"; then SOURCES=$f && break; fi
  done
fi
[ -n "$SOURCES" ] || die "no apt sources for Debian found; set ISPBOX_IMAGE_SOURCES"

t0=$(date +%s)
scripts/deps.sh
image/deps.sh

# 1. Release build and packages.
if [ $no_build -eq 0 ]; then
  launcher=()
  command -v ccache >/dev/null &&
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DISPBOX_BUILD_TESTS=OFF \
    -DISPBOX_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
  cmake --build "$BUILD"
fi
mkdir -p "$OUT"
rm -rf "$OUT/debs"
cpack -G DEB -B "$OUT/debs" --config "$BUILD/CPackConfig.cmake" >/dev/null
rm -rf "$OUT/debs/_CPack_Packages"
echo "image: packages: $(cd "$OUT/debs" && echo *.deb)"

# 2. The tree.
WORK="$OUT/work"
rm -rf "$WORK"
mkdir -p "$WORK"
INCLUDE=linux-image-amd64,systemd-sysv,udev,initramfs-tools,kmod,procps,iproute2,iputils-ping
INCLUDE+=,systemd-resolved,dbus,qemu-guest-agent,grub-pc-bin,grub-efi-amd64-bin,e2fsprogs
INCLUDE+=,dosfstools,ca-certificates,openssl,curl,less,nano,freeradius,freeradius-utils,snmpd
INCLUDE+=,snmp,lmdb-utils
# Our .debs go in like Debian's (apt resolves their dependencies); the hook makes them visible
# inside the tree while dpkg installs them.
deb_args=()
for f in "$OUT"/debs/*.deb; do deb_args+=("--include=$f"); done
mmdebstrap --mode=root --variant=minbase --include="$INCLUDE" "${deb_args[@]}" \
  --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
  --customize-hook="\"$SRC/image/customize.sh\" \"\$1\" \"$SRC/rootfs/overlay\" \"$KERNEL_ARGS\"" \
  "$SUITE" "$WORK/rootfs" "$SOURCES"
R="$WORK/rootfs"

# 3. File systems, each made from its part of the tree, then one disk.
BOOTDIR="$R/usr/lib/ispbox/boot"
root_mb=$(du -sm --exclude=./proc --exclude=./sys "$R" | cut -f1)
root_mb=$(((root_mb * 13 / 10 + 300 + 63) / 64 * 64)) # room for upgrades: 30% + 300 MiB
mkfs.ext4 -q -F -L ispbox-root -E root_owner=0:0 -d "$R" "$WORK/root.img" "${root_mb}M"
state_dir="$WORK/state-empty"
mkdir -p "$state_dir"
mkfs.ext4 -q -F -L ispbox-state -E root_owner=0:0 -d "$state_dir" "$WORK/state.img" "${STATE_MB}M"
mkfs.vfat -n ISPBOX-EFI -C "$WORK/esp.img" $((ESP_MB * 1024)) >/dev/null
mmd -i "$WORK/esp.img" ::/EFI ::/EFI/BOOT
mcopy -i "$WORK/esp.img" "$BOOTDIR/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI

RAW="$OUT/ispbox.raw"
total_mb=$((1 + ESP_MB + root_mb + STATE_MB + 1))
rm -f "$RAW"
truncate -s "${total_mb}M" "$RAW"
# MiB-aligned partitions; type ef is the EFI system partition (UEFI firmware finds it on MBR
# disks too), and the first MiB holds GRUB's BIOS core image.
sfdisk -q "$RAW" <<TABLE
label: dos
start=1MiB, size=${ESP_MB}MiB, type=ef, bootable
size=${root_mb}MiB, type=83
size=${STATE_MB}MiB, type=83
TABLE
dd if="$WORK/esp.img" of="$RAW" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$WORK/root.img" of="$RAW" bs=1M seek=$((1 + ESP_MB)) conv=notrunc,sparse status=none
dd if="$WORK/state.img" of="$RAW" bs=1M seek=$((1 + ESP_MB + root_mb)) conv=notrunc,sparse status=none
# GRUB for BIOS: boot.img's code in the MBR (the partition table stays), core.img from sector 1
# (boot.img's default kernel sector; grub-mkimage filled core.img's own sector list).
core_sectors=$((($(stat -c %s "$BOOTDIR/core.img") + 511) / 512))
[ $core_sectors -lt 2047 ] || die "core.img does not fit before the first partition"
dd if="$BOOTDIR/boot.img" of="$RAW" bs=440 count=1 conv=notrunc status=none
dd if="$BOOTDIR/core.img" of="$RAW" bs=512 seek=1 conv=notrunc status=none

# 4. qcow2 for VMs.
qemu-img convert -O qcow2 "$RAW" "$OUT/ispbox.qcow2"
rm -f "$WORK/root.img" "$WORK/state.img" "$WORK/esp.img"
[ "${ISPBOX_IMAGE_KEEP_TREE:-0}" = 1 ] || rm -rf "$R"

echo "image: $RAW ($(du -h --apparent-size "$RAW" | cut -f1) raw, $(du -h "$RAW" | cut -f1) used)"
echo "image: $OUT/ispbox.qcow2 ($(du -h "$OUT/ispbox.qcow2" | cut -f1))"
echo "image: partitions: ESP ${ESP_MB} MiB, root ${root_mb} MiB, state ${STATE_MB} MiB;" \
  "built in $(($(date +%s) - t0)) s"
