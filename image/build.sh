#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the ispbox appliance disk image from Debian 12's packages and ispbox's own .debs:
#
#   image/build.sh [--no-build]
#
# 1. a Release build of this checkout and its .deb packages (CPack) in ISPBOX_BUILD_DIR
# 2. a Debian 12 tree with mmdebstrap (minbase + kernel, systemd, FreeRADIUS, snmpd, RAUC, ...),
#    then ispbox's .debs installed with apt and rootfs/overlay on top (image/customize.sh)
# 3. a disk image (MBR, fixed disk identifier): 1 EFI system partition (FAT: GRUB's A/B menu and
#    environment, the UEFI loader), 2 root slot A (ext4, read-only at run time), 3 root slot B
#    (empty until the first update), 4 state (ext4, /var/lib/ispbox, empty until the first boot);
#    GRUB for BIOS in the gap after the MBR and for UEFI on the ESP (removable-media path);
#    serial console ttyS0
# 4. ispbox.raw and ispbox.qcow2, and ispbox-VERSION.raucb, the same root as a signed RAUC update
#    bundle for boxes already running (`ispbox-upgrade FILE.raucb`), in ISPBOX_IMAGE_DIR
#
# Needs root (mmdebstrap's root mode and the tree's ownership) and Debian's package mirror, as
# configured for apt on this machine (ISPBOX_IMAGE_SOURCES: a sources.list or .sources file).
# Environment: ISPBOX_BUILD_DIR (default build-pkg), ISPBOX_IMAGE_DIR (default
# ISPBOX_BUILD_DIR/image), ISPBOX_STATE_MB (state partition, default 512), ISPBOX_KERNEL_ARGS
# (extra kernel command line, e.g. an ip= static address), ISPBOX_IMAGE_SUITE (default bookworm),
# ISPBOX_RAUC_CERT / ISPBOX_RAUC_KEY / ISPBOX_RAUC_KEYRING (the update signing certificate, its
# key, and the CA the image trusts; default: a development PKI made once in
# ISPBOX_BUILD_DIR/rauc-dev-pki, fine for testing, not for boxes in the field),
# ISPBOX_IMAGE_VERSION (the bundle's version, default `git describe`).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
BUILD=$(realpath -m "${ISPBOX_BUILD_DIR:-build-pkg}")
OUT=$(realpath -m "${ISPBOX_IMAGE_DIR:-$BUILD/image}")
STATE_MB=${ISPBOX_STATE_MB:-512}
ESP_MB=32
# The MBR disk identifier: the slots are found as PARTUUID=<id>-02 and -03 (grub.cfg, RAUC's
# system.conf), since both slots carry the same file system label and UUID after an update.
DISK_ID=15b0ca5e
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
VERSION=${ISPBOX_IMAGE_VERSION:-$(git describe --always --dirty 2>/dev/null || echo dev)}

# The update signing PKI: a CA the image trusts (its keyring) and a certificate that signs bundles.
PKI="$BUILD/rauc-dev-pki"
RAUC_CERT=${ISPBOX_RAUC_CERT:-$PKI/signing.crt}
RAUC_KEY=${ISPBOX_RAUC_KEY:-$PKI/signing.key}
RAUC_KEYRING=${ISPBOX_RAUC_KEYRING:-$PKI/ca.crt}
if [ -z "${ISPBOX_RAUC_KEY:-}" ] && [ ! -s "$PKI/signing.key" ]; then
  mkdir -p "$PKI"
  (
    cd "$PKI"
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -subj "/O=ispbox/CN=ispbox development update CA" -keyout ca.key -out ca.crt \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/O=ispbox/CN=ispbox development update signing" -keyout signing.key -out signing.csr 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n' >signing.ext
    openssl x509 -req -in signing.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile signing.ext -out signing.crt 2>/dev/null
    rm -f signing.csr signing.ext
  )
  echo "image: made a development update-signing PKI in $PKI (set ISPBOX_RAUC_* for real boxes)"
fi
for f in "$RAUC_CERT" "$RAUC_KEY" "$RAUC_KEYRING"; do [ -s "$f" ] || die "no $f"; done

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
INCLUDE+=,snmp,lmdb-utils,rauc,grub-common
# Our .debs go in like Debian's (apt resolves their dependencies); the hook makes them visible
# inside the tree while dpkg installs them.
deb_args=()
for f in "$OUT"/debs/*.deb; do deb_args+=("--include=$f"); done
mmdebstrap --mode=root --variant=minbase --include="$INCLUDE" "${deb_args[@]}" \
  --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
  --customize-hook="\"$SRC/image/customize.sh\" \"\$1\" \"$SRC/rootfs/overlay\" $DISK_ID \"$RAUC_KEYRING\"" \
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
mmd -i "$WORK/esp.img" ::/EFI ::/EFI/BOOT ::/grub
mcopy -i "$WORK/esp.img" "$BOOTDIR/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
# The A/B menu and its environment: slot A holds this build and is good; B is empty.
sed -e "s|@KERNEL_ARGS@|$KERNEL_ARGS|" -e "s|@DISK_ID@|$DISK_ID|g" image/esp/grub.cfg >"$WORK/grub.cfg"
grub-editenv "$WORK/grubenv" create
grub-editenv "$WORK/grubenv" set ORDER="A B" A_OK=1 A_TRY=0 B_OK=0 B_TRY=0
mcopy -i "$WORK/esp.img" "$WORK/grub.cfg" "$WORK/grubenv" ::/grub/

RAW="$OUT/ispbox.raw"
total_mb=$((1 + ESP_MB + 2 * root_mb + STATE_MB + 1))
rm -f "$RAW"
truncate -s "${total_mb}M" "$RAW"
# MiB-aligned partitions; type ef is the EFI system partition (UEFI firmware finds it on MBR
# disks too), and the first MiB holds GRUB's BIOS core image.
sfdisk -q "$RAW" <<TABLE
label: dos
label-id: 0x$DISK_ID
start=1MiB, size=${ESP_MB}MiB, type=ef, bootable
size=${root_mb}MiB, type=83
size=${root_mb}MiB, type=83
size=${STATE_MB}MiB, type=83
TABLE
dd if="$WORK/esp.img" of="$RAW" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$WORK/root.img" of="$RAW" bs=1M seek=$((1 + ESP_MB)) conv=notrunc,sparse status=none
dd if="$WORK/state.img" of="$RAW" bs=1M seek=$((1 + ESP_MB + 2 * root_mb)) conv=notrunc,sparse status=none
# GRUB for BIOS: boot.img's code in the MBR (the partition table stays), core.img from sector 1
# (boot.img's default kernel sector; grub-mkimage filled core.img's own sector list).
core_sectors=$((($(stat -c %s "$BOOTDIR/core.img") + 511) / 512))
[ $core_sectors -lt 2047 ] || die "core.img does not fit before the first partition"
dd if="$BOOTDIR/boot.img" of="$RAW" bs=440 count=1 conv=notrunc status=none
dd if="$BOOTDIR/core.img" of="$RAW" bs=512 seek=1 conv=notrunc status=none

# 4. qcow2 for VMs, and the update bundle: the same root, in a file system only as big as it
# needs (RAUC grows it to the slot), signed; its hook carries the box's identity over.
qemu-img convert -O qcow2 "$RAW" "$OUT/ispbox.qcow2"
rm -f "$WORK/root.img" "$WORK/state.img" "$WORK/esp.img"
B="$WORK/bundle"
mkdir -p "$B"
tree_mb=$(du -sm --exclude=./proc --exclude=./sys "$R" | cut -f1)
mkfs.ext4 -q -F -L ispbox-root -E root_owner=0:0 -d "$R" "$B/rootfs.ext4" "$(((tree_mb * 11 / 10 + 64 + 63) / 64 * 64))M"
install -m 0755 image/rauc-hook.sh "$B/hook.sh"
cat >"$B/manifest.raucm" <<MANIFEST
[update]
compatible=ispbox-debian12-amd64
version=$VERSION
description=ispbox appliance root file system

[bundle]
format=verity

[hooks]
filename=hook.sh

[image.rootfs]
filename=rootfs.ext4
hooks=post-install
MANIFEST
rm -f "$OUT"/ispbox-*.raucb
BUNDLE="$OUT/ispbox-$VERSION.raucb"
rauc --cert "$RAUC_CERT" --key "$RAUC_KEY" --keyring "$RAUC_KEYRING" bundle "$B" "$BUNDLE" >/dev/null
rm -rf "$B"
[ "${ISPBOX_IMAGE_KEEP_TREE:-0}" = 1 ] || rm -rf "$R"

echo "image: $RAW ($(du -h --apparent-size "$RAW" | cut -f1) raw, $(du -h "$RAW" | cut -f1) used)"
echo "image: $OUT/ispbox.qcow2 ($(du -h "$OUT/ispbox.qcow2" | cut -f1))"
echo "image: $BUNDLE ($(du -h "$BUNDLE" | cut -f1), RAUC update bundle, version $VERSION)"
echo "image: partitions: ESP ${ESP_MB} MiB, root slots A and B ${root_mb} MiB each, state ${STATE_MB} MiB;" \
  "built in $(($(date +%s) - t0)) s"
