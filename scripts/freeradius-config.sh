#!/usr/bin/env bash
# Writes a FreeRADIUS 3.2 configuration directory that runs rlm_isp against an ispbox state:
#
#   scripts/freeradius-config.sh OUT_DIR STATE_DIR AUTH_PORT ACCT_PORT MODULE_DIR
#
# then: freeradius -f -d OUT_DIR (or -X for a debug trace).
#
# OUT_DIR is a copy of Debian's /etc/freeradius/3.0 (or ISPBOX_FR_RADDB), trimmed to what ispbox
# uses (pap, chap, mschap, rlm_isp; no EAP, no stock sites), with the templates of rlm_isp/config/:
# the isp module (mods-enabled/isp), the ispbox site (listeners on the given ports,
# sites-enabled/ispbox) and a clients.conf with no static clients (every NAS comes from the store,
# as a dynamic client).
# MODULE_DIR holds rlm_isp.so (the build's rlm_isp/ directory, or /usr/lib/freeradius).
# OUT_DIR is replaced if this script wrote it before; any other non-empty directory is refused.
#
# Environment (all optional):
#   ISPBOX_FR_RADDB            the configuration to start from (default /etc/freeradius/3.0; the
#                              tests use the build's pristine copy, <build>/freeradius/raddb)
#   ISPBOX_FR_LISTEN           address of the listeners (default 127.0.0.1; * for all IPv4)
#   ISPBOX_FR_USER             user (and group) the server drops to: "self" keeps the invoking
#                              user; default freerad when run as root (Debian's), else self
#   ISPBOX_FR_LOG_DIR          logdir (default OUT_DIR/log; radius.log is written there)
#   ISPBOX_FR_RUN_DIR          run_dir, where the pid file goes (default OUT_DIR/run)
#   ISPBOX_FR_TEMPLATES        rlm_isp's templates (default rlm_isp/config beside this script;
#                              the ispbox-freeradius package installs them in
#                              /usr/share/ispbox/freeradius)
#   ISPBOX_FR_CLIENT_LIFETIME  seconds a NAS definition is cached before it is looked up again
#                              (default 60)
#   ISPBOX_FR_REJECT_DELAY     seconds an Access-Reject is held back (radiusd.conf reject_delay,
#                              may be a decimal; default: the configuration's own, Debian's 1;
#                              the tests use 0)
#   ISPBOX_FR_INTERIM_JOURNAL  yes (default): rlm_isp answers Interim-Updates from its journal;
#                              no: after an fsync'd commit each (docs/radius.md, Accounting)
#   ISPBOX_FR_INTERIM_COMMIT   ms between commits of the Interim-Update journal (rlm_isp's
#                              interim_commit_interval, 10 to 60000; default 100)
set -euo pipefail

usage() {
  echo "usage: $0 OUT_DIR STATE_DIR AUTH_PORT ACCT_PORT MODULE_DIR" >&2
  exit 2
}
[ $# -eq 5 ] || usage
OUT=$1 STATE=$2 AUTH_PORT=$3 ACCT_PORT=$4 MODULE_DIR=$5
TEMPLATES=${ISPBOX_FR_TEMPLATES:-"$(cd "$(dirname "$0")/.." && pwd)/rlm_isp/config"}
SRC=${ISPBOX_FR_RADDB:-/etc/freeradius/3.0}
LISTEN=${ISPBOX_FR_LISTEN:-127.0.0.1}
LIFETIME=${ISPBOX_FR_CLIENT_LIFETIME:-60}
REJECT_DELAY=${ISPBOX_FR_REJECT_DELAY:-}
INTERIM_JOURNAL=${ISPBOX_FR_INTERIM_JOURNAL:-yes}
INTERIM_COMMIT=${ISPBOX_FR_INTERIM_COMMIT:-100}
RUN_AS=${ISPBOX_FR_USER:-self}
[ "$(id -u)" -ne 0 ] || RUN_AS=${ISPBOX_FR_USER:-freerad}

die() {
  echo "freeradius-config: $*" >&2
  exit 1
}
for p in "$AUTH_PORT" "$ACCT_PORT" "$LIFETIME"; do
  [[ $p =~ ^[0-9]+$ ]] || die "not a number: $p"
done
[ -z "$REJECT_DELAY" ] || [[ $REJECT_DELAY =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
  die "ISPBOX_FR_REJECT_DELAY is not a number of seconds: $REJECT_DELAY"
[ "$INTERIM_JOURNAL" = yes ] || [ "$INTERIM_JOURNAL" = no ] ||
  die "ISPBOX_FR_INTERIM_JOURNAL is not yes or no: $INTERIM_JOURNAL"
[[ $INTERIM_COMMIT =~ ^[0-9]+$ ]] && [ "$INTERIM_COMMIT" -ge 10 ] && [ "$INTERIM_COMMIT" -le 60000 ] ||
  die "ISPBOX_FR_INTERIM_COMMIT is not 10 to 60000 (ms): $INTERIM_COMMIT"
[ "$AUTH_PORT" != "$ACCT_PORT" ] || die "auth and acct ports are the same ($AUTH_PORT)"
[ -f "$MODULE_DIR/rlm_isp.so" ] || die "no rlm_isp.so in $MODULE_DIR"
[ -r "$SRC/radiusd.conf" ] ||
  die "cannot read $SRC/radiusd.conf (Debian's is for root and group freerad only): run as root," \
    "join group freerad, or set ISPBOX_FR_RADDB to a readable copy (<build>/freeradius/raddb)"
[ "$RUN_AS" = self ] || [ "$(id -u)" -eq 0 ] || die "ISPBOX_FR_USER=$RUN_AS needs root"
[ "$RUN_AS" = self ] || id "$RUN_AS" >/dev/null 2>&1 || die "no such user: $RUN_AS"
OUT=$(realpath -m "$OUT")
STATE=$(realpath -m "$STATE")
MODULE_DIR=$(realpath "$MODULE_DIR")
LOG_DIR=$(realpath -m "${ISPBOX_FR_LOG_DIR:-$OUT/log}")
RUN_DIR=$(realpath -m "${ISPBOX_FR_RUN_DIR:-$OUT/run}")
[ -f "$TEMPLATES/isp" ] || die "no rlm_isp templates in $TEMPLATES"

if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
  [ -f "$OUT/.ispbox-generated" ] || die "$OUT exists and was not written by this script"
  rm -rf "$OUT"
fi
mkdir -p "$OUT"
cp -a "$SRC/." "$OUT/"
touch "$OUT/.ispbox-generated"

# What ispbox does not use: EAP and its certificates, the stock sites, most modules. The
# policies in policy.d stay: they are only compiled where a site names them.
rm -rf "$OUT/certs" "$OUT/sites-enabled" "$OUT/mods-enabled"
mkdir -p "$OUT/sites-enabled" "$OUT/mods-enabled" "$RUN_DIR" "$LOG_DIR"
for m in always attr_filter chap expr mschap pap; do
  ln -s "../mods-available/$m" "$OUT/mods-enabled/$m"
done

# Templates: @NAME@ placeholders; values are escaped for sed's replacement side.
esc() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }
render() {
  sed -e "s|@STATE_DIR@|$(esc "$STATE")|g" -e "s|@LISTEN@|$(esc "$LISTEN")|g" \
    -e "s|@AUTH_PORT@|$AUTH_PORT|g" -e "s|@ACCT_PORT@|$ACCT_PORT|g" \
    -e "s|@CLIENT_LIFETIME@|$LIFETIME|g" -e "s|@INTERIM_COMMIT@|$INTERIM_COMMIT|g" \
    -e "s|@INTERIM_JOURNAL@|$INTERIM_JOURNAL|g" "$1" >"$2"
}
render "$TEMPLATES/isp" "$OUT/mods-available/isp"
ln -s ../mods-available/isp "$OUT/mods-enabled/isp"
render "$TEMPLATES/ispbox" "$OUT/sites-available/ispbox"
ln -s ../sites-available/ispbox "$OUT/sites-enabled/ispbox"
render "$TEMPLATES/clients.conf" "$OUT/clients.conf"

# radiusd.conf: everything under OUT_DIR, modules from MODULE_DIR first.
conf="$OUT/radiusd.conf"
sed -i -E \
  -e "s|^raddbdir = .*|raddbdir = $(esc "$OUT")|" \
  -e "s|^logdir = .*|logdir = $(esc "$LOG_DIR")|" \
  -e "s|^run_dir = .*|run_dir = $(esc "$RUN_DIR")|" \
  -e "s|^libdir = .*|libdir = $(esc "$MODULE_DIR"):/usr/lib/freeradius|" \
  "$conf"
if [ "$RUN_AS" = self ]; then
  sed -i -E -e 's/^(\s*)(user|group) = /\1# \2 = /' "$conf"
else
  group=$(id -gn "$RUN_AS")
  sed -i -E -e "s/^(\\s*)user = .*/\\1user = $RUN_AS/" -e "s/^(\\s*)group = .*/\\1group = $group/" \
    "$conf"
  # The server reads its configuration and writes logs and the state after dropping privileges.
  chown -R "$RUN_AS:$group" "$OUT" "$LOG_DIR" "$RUN_DIR"
  if command -v runuser >/dev/null && ! runuser -u "$RUN_AS" -- test -w "$STATE" 2>/dev/null; then
    echo "freeradius-config: warning: $RUN_AS cannot write $STATE; rlm_isp will not start" >&2
  fi
fi
if ! grep -qxF "raddbdir = $OUT" "$conf" || ! grep -qF "libdir = $MODULE_DIR:" "$conf"; then
  die "$conf does not have the expected layout (raddbdir/libdir lines): FreeRADIUS changed?"
fi
if [ -n "$REJECT_DELAY" ]; then
  sed -i -E -e "s/^(\s*)reject_delay = .*/\1reject_delay = $REJECT_DELAY/" "$conf"
  grep -qE "^\s*reject_delay = $REJECT_DELAY\$" "$conf" ||
    die "$conf has no reject_delay line to set: FreeRADIUS changed?"
fi

# The server may drop to another user: it must be able to read every file.
chmod -R a+rX "$OUT"
