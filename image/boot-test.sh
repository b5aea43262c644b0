#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The appliance's boot test, one command: builds the image (image/build.sh), boots it in qemu
# (TCG: KVM hung at boot on this kind of machine) and checks it from the host through forwarded
# ports on free loopback ports, as an ISP would use the box:
#
#   image/boot-test.sh [--no-build] [--uefi]
#
#   - the admin API answers /api/v1/health over HTTPS (the first-boot certificate)
#   - a plan, a NAS (the host, as qemu's user network shows it) and a subscriber are created
#     through the API, and radtest gets Access-Accept from FreeRADIUS with rlm_isp
#   - snmpget over SNMPv3 (the first-boot credentials) reads sysUpTime from snmpd, and a scalar
#     of ISPBOX-MIB through ispbox-agentx (skipped while the subagent's package is not built)
#   - the root is read-only, the state partition is /var/lib/ispbox, no unit failed
#   - an in-place upgrade with the .debs (ispbox-upgrade) and a reboot keep the state
#   - an A/B update: the RAUC bundle (on a second, read-only disk) goes into slot B, the box
#     boots B and confirms it, keeping the state and its identity; then a boot of B that is never
#     confirmed makes GRUB fall back to slot A
# and prints figures: image size, time from power-on to all services ready, idle memory of each
# daemon. Secrets are read through the QEMU guest agent, as the hypervisor's administrator can.
#
# Environment: ISPBOX_BUILD_DIR / ISPBOX_IMAGE_DIR (as image/build.sh), ISPBOX_BOOT_TIMEOUT
# (seconds, default 600), ISPBOX_MIB_SCALAR_OID (numeric OID of the ISPBOX-MIB scalar read;
# default ispboxSubscribersTotal.0), ISPBOX_QEMU_ACCEL (default tcg).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
BUILD=$(realpath -m "${ISPBOX_BUILD_DIR:-build-pkg}")
OUT=$(realpath -m "${ISPBOX_IMAGE_DIR:-$BUILD/image}")
BOOT_TIMEOUT=${ISPBOX_BOOT_TIMEOUT:-600}
build=1 uefi=0
for a in "$@"; do
  case $a in
  --no-build) build=0 ;;
  --uefi) uefi=1 ;;
  *) echo "usage: $0 [--no-build] [--uefi]" >&2; exit 64 ;;
  esac
done

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "== $*"; }

image/deps.sh
if [ $build -eq 1 ]; then image/build.sh; fi
[ -s "$OUT/ispbox.qcow2" ] || fail "no image in $OUT (run image/build.sh)"
bundles=("$OUT"/ispbox-*.raucb)
[ -s "${bundles[0]}" ] || fail "no RAUC bundle in $OUT (run image/build.sh)"
BUNDLE=${bundles[0]}

T=$(mktemp -d)
QEMU_PID=""
cleanup() {
  if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
    kill "$QEMU_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$QEMU_PID" 2>/dev/null || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
free_port() { # tcp|udp
  python3 - "$1" <<'PY'
import socket, sys
kind = socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM
s = socket.socket(socket.AF_INET, kind)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}
API_PORT=$(free_port tcp)
RAD_PORT=$(free_port udp)
SNMP_PORT=$(free_port udp)
while [ "$SNMP_PORT" = "$RAD_PORT" ]; do SNMP_PORT=$(free_port udp); done

# The built image stays pristine: the VM writes to an overlay.
qemu-img create -q -f qcow2 -b "$OUT/ispbox.qcow2" -F qcow2 "$T/disk.qcow2"
# The update bundle reaches the box on a second disk, as on a USB stick.
mkdir "$T/bundle"
ln "$BUNDLE" "$T/bundle/" 2>/dev/null || cp "$BUNDLE" "$T/bundle/"
mkfs.ext4 -q -F -L ispbox-bundle -d "$T/bundle" "$T/bundle.img" "$(($(du -m "$BUNDLE" | cut -f1) * 11 / 10 + 32))M"
rm -rf "$T/bundle"
firmware=()
if [ $uefi -eq 1 ]; then
  cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/vars.fd"
  firmware=(-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
    -drive "if=pflash,format=raw,file=$T/vars.fd")
fi
QGA="$T/qga.sock"
qga() { python3 "$SRC/image/qga.py" "$QGA" "$@"; }

step "booting $(basename "$OUT/ispbox.qcow2") ($([ $uefi -eq 1 ] && echo UEFI || echo BIOS), ${ISPBOX_QEMU_ACCEL:-tcg})"
t_start=$(date +%s.%N)
qemu-system-x86_64 -accel "${ISPBOX_QEMU_ACCEL:-tcg}" -m 1024 -smp 2 -display none \
  "${firmware[@]}" -serial "file:$T/console.log" -monitor none \
  -drive "file=$T/disk.qcow2,format=qcow2,if=virtio" \
  -drive "file=$T/bundle.img,format=raw,if=virtio,readonly=on" \
  -nic "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$API_PORT-:8443,hostfwd=udp:127.0.0.1:$RAD_PORT-:1812,hostfwd=udp:127.0.0.1:$SNMP_PORT-:161" \
  -chardev "socket,path=$QGA,server=on,wait=off,id=qga0" -device virtio-serial \
  -device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0 \
  -pidfile "$T/qemu.pid" -daemonize
QEMU_PID=$(cat "$T/qemu.pid")
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[1]) - float(sys.argv[2]):.1f}')" "$(date +%s.%N)" "$t_start"; }

wait_ready() { # waits for the guest agent and systemd to finish booting; prints the state
  qga ping "$BOOT_TIMEOUT" || { tail -40 "$T/console.log" >&2; fail "the guest agent never answered"; }
  state=$(qga exec /bin/systemctl is-system-running --wait || true)
  state=$(echo "$state" | tail -1)
  if [ "$state" != running ]; then
    qga exec /bin/systemctl --failed --no-legend >&2 || true
    qga exec /bin/journalctl -b -p warning --no-pager -n 60 >&2 || true
    fail "system is $state after boot"
  fi
  # A unit that failed and then came back on restart is a bug too (a read-only root, usually).
  if qga exec /bin/journalctl -b --no-pager -o cat | grep -E "^Failed to start " >"$T/failed-units"; then
    cat "$T/failed-units" >&2
    fail "units failed during boot"
  fi
}
wait_ready
t_ready=$(elapsed)
API="https://127.0.0.1:$API_PORT/api/v1"
qga read /var/lib/ispbox/tls/api.crt >"$T/api.crt"
for _ in $(seq 1 60); do
  curl -sf --max-time 5 --cacert "$T/api.crt" "$API/health" -o "$T/health.json" && break
  sleep 1
done
[ -s "$T/health.json" ] || fail "no /api/v1/health through the forwarded port $API_PORT"
t_api=$(elapsed)
step "ready: systemd running at ${t_ready}s, API from the host at ${t_api}s: $(cat "$T/health.json")"
grep -q "ispbox appliance" "$T/console.log" 2>/dev/null ||
  grep -q "ispbox: admin API" "$T/console.log" || fail "the console does not say where the API and secrets are"
grep -q "admin token in /var/lib/ispbox/admin.token" "$T/console.log" ||
  fail "the console does not say where the admin token is"

step "read-only root, state partition, secrets"
qga exec /bin/findmnt -no OPTIONS / | tr ',' '\n' | grep -qx ro || fail "/ is not read-only"
qga exec /bin/findmnt -no SOURCE,FSTYPE /var/lib/ispbox | grep -q ext4 || fail "/var/lib/ispbox is not its own file system"
TOKEN=$(qga read /var/lib/ispbox/admin.token | tr -d '\n')
[ -n "$TOKEN" ] || fail "no admin token"
qga read /var/lib/ispbox/secrets/snmpv3.txt >"$T/snmpv3.txt"
root_pw=$(qga read /var/lib/ispbox/secrets/root.password)
[ -n "$root_pw" ] || fail "no console root password"

api() { curl -sS --max-time 10 --cacert "$T/api.crt" -H "Authorization: Bearer $TOKEN" "$@"; }
step "API: plan, NAS, subscriber"
SECRET=$(openssl rand -hex 8)
# qemu's user network: the host reaches the guest from 10.0.2.2.
api -f -o /dev/null "$API/nas" -d "{\"name\":\"boot-test-host\",\"ip\":\"10.0.2.2\",\"secret\":\"$SECRET\",\"require_message_authenticator\":false}" || fail "POST /nas"
api -f -o /dev/null "$API/plans" -d '{"name":"boot-test-10m","download_bps":10000000,"upload_bps":2000000}' || fail "POST /plans"
api -f -o /dev/null "$API/subscribers" -d '{"username":"boot-test","password":"boot-test-pw","plan":"boot-test-10m"}' || fail "POST /subscribers"
api -f "$API/subscribers/boot-test" | grep -q '"username":"boot-test"' || fail "GET /subscribers/boot-test"

radius_check() {
  out=$(radtest -t pap boot-test boot-test-pw "127.0.0.1:$RAD_PORT" 0 "$SECRET" 2>&1 || true)
  grep -q "Received Access-Accept" <<<"$out" || { echo "$out" >&2; fail "radtest: no Access-Accept"; }
  grep -q "Mikrotik-Rate-Limit" <<<"$out" || { echo "$out" >&2; fail "radtest: no rate limit in the Access-Accept"; }
  out=$(radtest -t pap boot-test wrong-pw "127.0.0.1:$RAD_PORT" 0 "$SECRET" 2>&1 || true)
  grep -q "Received Access-Reject" <<<"$out" || { echo "$out" >&2; fail "radtest with a wrong password: no Access-Reject"; }
}
step "RADIUS: radtest through port $RAD_PORT"
radius_check
echo "Access-Accept (and Access-Reject for a wrong password)"

step "SNMPv3 through port $SNMP_PORT"
v3() { sed -n "s/^$1=//p" "$T/snmpv3.txt"; }
snmp_v3=(-v3 -l authPriv -u "$(v3 user)" -a SHA -A "$(v3 auth_passphrase)" -x AES -X "$(v3 priv_passphrase)" -t 5 -r 3 -On)
MIBS= snmpget "${snmp_v3[@]}" "127.0.0.1:$SNMP_PORT" 1.3.6.1.2.1.1.3.0 | tee "$T/snmp.out" | grep -q Timeticks ||
  fail "snmpget sysUpTime over SNMPv3"
cat "$T/snmp.out"
MIBS= snmpget -v2c -c public -t 2 -r 0 "127.0.0.1:$SNMP_PORT" 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1 &&
  fail "snmpd answers the public community"
if ls "$OUT"/debs/ispbox-agentx_*.deb >/dev/null 2>&1; then
  # ispboxSubscribersTotal.0 (agentx/mib/ISPBOX-MIB.txt): the boot test created one subscriber.
  ISPBOX_MIB_SCALAR_OID=${ISPBOX_MIB_SCALAR_OID:-1.3.6.1.4.1.8072.9999.9999.2718.1.1.1.0}
  MIBS= snmpget "${snmp_v3[@]}" "127.0.0.1:$SNMP_PORT" "$ISPBOX_MIB_SCALAR_OID" | tee "$T/mib.out"
  grep -qE "No Such|No more" "$T/mib.out" && fail "ISPBOX-MIB scalar $ISPBOX_MIB_SCALAR_OID not served"
else
  echo "SKIP: ISPBOX-MIB scalar: the ispbox-agentx package is not built yet (no agentx target)"
fi

step "figures"
raw_mb=$(($(stat -c %s "$OUT/ispbox.raw") / 1048576))
raw_used=$(du -m "$OUT/ispbox.raw" | cut -f1)
qcow_mb=$(du -m "$OUT/ispbox.qcow2" | cut -f1)
echo "image size: raw ${raw_mb} MiB (${raw_used} MiB allocated), qcow2 ${qcow_mb} MiB"
echo "power-on to all services ready: ${t_ready} s (systemd), admin API answering the host: ${t_api} s" \
  "(qemu TCG, no KVM)"
qga exec /usr/bin/systemd-analyze | head -1 | sed 's/^/guest: /'
sleep 5 # idle
qga exec /bin/ps -o rss=,comm= -C ispboxd,freeradius,snmpd,ispbox-agentx |
  awk '{printf "idle memory (RSS): %-14s %6.1f MiB\n", $2, $1 / 1024}'
qga exec /usr/bin/free -m | sed -n 2p | awk '{print "guest memory used: " $3 " MiB of " $2 " MiB"}'

step "in-place upgrade with the .debs keeps the state"
qga exec /bin/mkdir -p /tmp/upgrade >/dev/null
for f in "$OUT"/debs/*.deb; do qga write "$f" "/tmp/upgrade/$(basename "$f")"; done
qga exec /bin/sh -c '/usr/sbin/ispbox-upgrade /tmp/upgrade/*.deb' >"$T/upgrade.log" 2>&1 ||
  { cat "$T/upgrade.log" >&2; fail "ispbox-upgrade"; }
tail -3 "$T/upgrade.log"
qga exec /bin/findmnt -no OPTIONS / | tr ',' '\n' | grep -qx ro || fail "/ stayed read-write after the upgrade"
for _ in $(seq 1 60); do api -f -o /dev/null "$API/health" && break; sleep 1; done
api -f "$API/subscribers/boot-test" | grep -q '"username":"boot-test"' || fail "the subscriber is gone after the upgrade"
radius_check
echo "after the upgrade: subscriber kept, Access-Accept"

reboot_guest() { # reboots and waits until the new boot is ready
  local boot_id new_id=""
  boot_id=$(qga read /proc/sys/kernel/random/boot_id)
  qga exec /bin/systemctl reboot >/dev/null 2>&1 || true
  t_start=$(date +%s.%N)
  for _ in $(seq 1 "$BOOT_TIMEOUT"); do
    new_id=$(timeout 10 python3 "$SRC/image/qga.py" "$QGA" read /proc/sys/kernel/random/boot_id 2>/dev/null || true)
    [ -n "$new_id" ] && [ "$new_id" != "$boot_id" ] && break
    sleep 2
  done
  [ "$new_id" != "$boot_id" ] || fail "the guest did not reboot"
  wait_ready
}
state_kept() { # $1: after what
  [ "$(qga read /var/lib/ispbox/admin.token | tr -d '\n')" = "$TOKEN" ] || fail "the admin token changed ($1)"
  [ "$(qga read /var/lib/ispbox/secrets/root.password)" = "$root_pw" ] || fail "the root password file changed ($1)"
  for _ in $(seq 1 60); do api -f -o /dev/null "$API/health" && break; sleep 1; done
  api -f "$API/subscribers/boot-test" | grep -q '"username":"boot-test"' || fail "the subscriber is gone ($1)"
  radius_check
}
booted_slot() { qga read /proc/cmdline | sed -n 's/.*rauc\.slot=\([AB]\).*/\1/p'; }
grubenv() { qga exec /usr/bin/grub-editenv /boot/efi/grub/grubenv list; }

step "reboot keeps the state and the secrets"
[ "$(booted_slot)" = A ] || fail "the first boot is not from slot A"
reboot_guest
echo "second boot: ready in $(elapsed) s"
state_kept "after a reboot"
echo "after the reboot: token, secrets and subscriber kept, Access-Accept"

step "A/B update: $(basename "$BUNDLE") into slot B"
machine_id=$(qga read /etc/machine-id)
shadow_root=$(qga exec /usr/bin/awk -F: '$1 == "root" { print $2 }' /etc/shadow)
qga exec /bin/mkdir -p /run/bundle >/dev/null
qga exec /bin/mount -o ro LABEL=ispbox-bundle /run/bundle >/dev/null || fail "mounting the bundle disk"
t_install=$(date +%s)
QGA_EXEC_TIMEOUT=1800 qga exec /usr/sbin/ispbox-upgrade "/run/bundle/$(basename "$BUNDLE")" >"$T/rauc.log" 2>&1 ||
  { tail -30 "$T/rauc.log" >&2; fail "ispbox-upgrade with the bundle"; }
grep -E "ispbox-rauc-hook|ispbox-upgrade" "$T/rauc.log" || true
echo "bundle installed in $(($(date +%s) - t_install)) s"
grubenv | grep -qx 'ORDER=B A' || { grubenv >&2; fail "RAUC did not make slot B the next boot"; }
reboot_guest
[ "$(booted_slot)" = B ] || { grubenv >&2; fail "the box did not boot slot B after the update"; }
echo "slot B: ready in $(elapsed) s"
env_b=$(grubenv)
grep -qx B_OK=1 <<<"$env_b" && grep -qx B_TRY=0 <<<"$env_b" ||
  { echo "$env_b" >&2; fail "slot B was not confirmed (ispbox-mark-good)"; }
[ "$(qga read /etc/machine-id)" = "$machine_id" ] || fail "the machine ID changed with the slot"
[ "$(qga exec /usr/bin/awk -F: '$1 == "root" { print $2 }' /etc/shadow)" = "$shadow_root" ] ||
  fail "the console root password changed with the slot"
qga exec /bin/findmnt -no OPTIONS / | tr ',' '\n' | grep -qx ro || fail "slot B's root is not read-only"
state_kept "after the A/B update"
echo "slot B: confirmed; state, machine ID, root password kept; Access-Accept"

step "a boot of slot B that is never confirmed falls back to slot A"
# What GRUB sees after B booted and hung before ispbox-mark-good: B_TRY=1.
qga exec /usr/bin/grub-editenv /boot/efi/grub/grubenv set B_TRY=1 >/dev/null
reboot_guest
[ "$(booted_slot)" = A ] || { grubenv >&2; fail "GRUB did not fall back to slot A"; }
state_kept "after falling back to slot A"
echo "fell back to slot A in $(elapsed) s; state kept, Access-Accept"
echo "boot test: PASS"
