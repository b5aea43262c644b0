#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mmdebstrap customize hook of image/build.sh: turns the Debian 12 tree in $1 into the ispbox
# appliance (the overlay of rootfs/overlay, services, boot loader images). ispbox's packages are
# already installed: mmdebstrap installed them with apt, with their dependencies from Debian.
#   image/customize.sh ROOTDIR OVERLAY_DIR DISK_ID RAUC_KEYRING
set -euo pipefail
R=$1 OVERLAY=$2 DISK_ID=$3 KEYRING=$4
in_root() { chroot "$R" "$@"; }
for p in ispbox ispboxd ispbox-common; do
  in_root dpkg-query -W -f='${Status}\n' "$p" | grep -q 'install ok installed' ||
    { echo "customize: package $p is not installed" >&2; exit 1; }
done

# The overlay: files only the image has (fstab, network, journald, RAUC, maintenance tools).
cp -a "$OVERLAY/." "$R/"
sed -i "s|@DISK_ID@|$DISK_ID|g" "$R/etc/rauc/system.conf"
install -m 0644 "$KEYRING" "$R/etc/rauc/keyring.pem"
in_root systemctl enable systemd-networkd.service systemd-resolved.service \
  ispbox-image-firstboot.service ispbox-firstboot.service ispboxd.service freeradius.service \
  snmpd.service ispbox-console.service ispbox-mark-good.service >/dev/null 2>&1
if [ -f "$R/lib/systemd/system/ispbox-agentx.service" ]; then
  in_root systemctl enable ispbox-agentx.service >/dev/null 2>&1
fi
# A read-only root has no use for these: they want to write /var or /etc at every boot.
in_root systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
  e2scrub_reap.service dpkg-db-backup.timer >/dev/null 2>&1 || true
ln -sf ../run/systemd/resolve/stub-resolv.conf "$R/etc/resolv.conf"
# Units with StateDirectory= (systemd-logind's /var/lib/systemd/linger, ...) fail on a read-only
# root unless the directory exists already: make them now.
sed -n 's/^StateDirectory=//p' "$R"/lib/systemd/system/*.service | tr ' ' '\n' | sort -u |
  while read -r d; do [ -z "$d" ] || mkdir -p "$R/var/lib/$d"; done
[ -d "$R/var/lib/systemd/linger" ] || { echo "customize: no StateDirectory found for logind" >&2; exit 1; }

# Each machine makes its own identity and secrets at first boot: nothing from the build stays.
echo uninitialized >"$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id"
find "$R/var/lib/ispbox" -mindepth 1 -delete
rm -f "$R/etc/ssh/ssh_host_"* 2>/dev/null || true
usermod -R "$R" -p '*' root # no password until the first boot sets one
mkdir -p "$R/boot/efi"

# Boot loader images, made here with the tree's own GRUB: BIOS core.img (written after the MBR)
# and the UEFI removable-media loader. Both find the EFI system partition by its label and read
# the A/B boot menu there (image/esp/grub.cfg); every module it uses is built in, so the ESP holds
# no GRUB modules that could disagree with the loader.
cat >"$R/tmp/early.cfg" <<'CFG'
search --no-floppy --label ISPBOX-EFI --set=root
set prefix=($root)/grub
CFG
MODS="normal linux ext2 fat part_msdos part_gpt search search_label configfile echo test serial
  terminal boot gzio ls cat reboot halt loadenv regexp"
# shellcheck disable=SC2086
in_root grub-mkimage -O i386-pc -o /tmp/core.img -c /tmp/early.cfg -p /grub \
  biosdisk $MODS
# shellcheck disable=SC2086
in_root grub-mkimage -O x86_64-efi -o /tmp/BOOTX64.EFI -c /tmp/early.cfg -p /grub \
  efi_gop efi_uga $MODS
mkdir -p "$R/usr/lib/ispbox/boot"
mv "$R/tmp/core.img" "$R/tmp/BOOTX64.EFI" "$R/usr/lib/ispbox/boot/"
cp "$R/usr/lib/grub/i386-pc/boot.img" "$R/usr/lib/ispbox/boot/"
rm -f "$R/tmp/early.cfg"
[ -e "$R/vmlinuz" ] && [ -e "$R/initrd.img" ] || { echo "customize: no /vmlinuz or /initrd.img" >&2; exit 1; }
in_root apt-get clean
