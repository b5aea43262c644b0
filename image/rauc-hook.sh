#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RAUC bundle hook of ispbox's update bundles (image/build.sh puts it in every bundle). After RAUC
# has written a new root slot, it carries over what belongs to this box rather than to the
# release, from the running root to the new one:
#   - /etc/machine-id (the box keeps its identity; the image ships "uninitialized")
#   - root's password hash (set at first boot; the image has none)
#   - configuration the operator changed: ispbox's conffiles that differ from the packaged
#     version (dpkg's checksums tell), and the network (/etc/systemd/network, /etc/hostname,
#     /etc/hosts)
# The state partition (/var/lib/ispbox) is shared by both slots and needs nothing.
# RAUC calls it as `hook.sh slot-post-install` with RAUC_SLOT_CLASS and RAUC_SLOT_MOUNT_POINT set.
set -eu
[ "${1:-}" = slot-post-install ] || exit 0
[ "${RAUC_SLOT_CLASS:-}" = rootfs ] || exit 0
NEW=${RAUC_SLOT_MOUNT_POINT:?}
OLD=${ISPBOX_HOOK_OLD_ROOT:-}
log() { echo "ispbox-rauc-hook: $*"; }

if [ -s "$OLD/etc/machine-id" ] && [ "$(cat "$OLD/etc/machine-id")" != uninitialized ]; then
  cp -p "$OLD/etc/machine-id" "$NEW/etc/machine-id"
  log "machine-id carried over"
fi

hash=$(awk -F: '$1 == "root" { print $2 }' "$OLD/etc/shadow")
if [ -n "$hash" ]; then
  awk -F: -v OFS=: -v h="$hash" '$1 == "root" { $2 = h } { print }' "$NEW/etc/shadow" >"$NEW/etc/shadow.ispbox"
  chmod --reference="$NEW/etc/shadow" "$NEW/etc/shadow.ispbox"
  chown --reference="$NEW/etc/shadow" "$NEW/etc/shadow.ispbox"
  mv "$NEW/etc/shadow.ispbox" "$NEW/etc/shadow"
  log "root password carried over"
fi

# Conffiles of ispbox's packages as dpkg records them: " /etc/ispbox/ispboxd.toml <md5>".
dpkg-query --admindir="$OLD/var/lib/dpkg" -W -f='${Conffiles}\n' 'ispbox*' 2>/dev/null |
  while read -r path md5 _; do
    [ -n "$path" ] && [ -f "$OLD$path" ] || continue
    [ "$(md5sum <"$OLD$path" | cut -d' ' -f1)" = "$md5" ] && continue # unchanged: take the new one
    mkdir -p "$NEW$(dirname "$path")"
    cp -p "$OLD$path" "$NEW$path"
    log "changed configuration carried over: $path"
  done

for f in /etc/hostname /etc/hosts; do
  if [ -f "$OLD$f" ] && ! cmp -s "$OLD$f" "$NEW$f"; then cp -p "$OLD$f" "$NEW$f" && log "$f carried over"; fi
done
if [ -d "$OLD/etc/systemd/network" ]; then
  mkdir -p "$NEW/etc/systemd/network"
  for f in "$OLD"/etc/systemd/network/*; do
    [ -f "$f" ] || continue
    if ! cmp -s "$f" "$NEW/etc/systemd/network/$(basename "$f")"; then
      cp -p "$f" "$NEW/etc/systemd/network/" && log "network configuration carried over: $(basename "$f")"
    fi
  done
fi
