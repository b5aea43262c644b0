#!/usr/bin/env bash
# Fetches the IETF base MIB modules (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF, ...) that ISPBOX-MIB
# imports, so that smilint and snmptranslate can load it. Debian ships none of them (it treats the
# IETF MIBs as non-free; snmp-mibs-downloader is not installable here), so they come from the npm
# registry's `net-snmp` package (a JavaScript SNMP library carrying plain copies of them), pinned
# by version and SHA-256. Nothing is installed: the modules are unpacked, one file per module
# name, into the cache directory, which MIBDIRS / SMIPATH then point at.
#
# Usage: scripts/ietf-mibs.sh [DIR]   (default: $ISPBOX_MIB_CACHE or .cache/ietf-mibs)
# Prints nothing and does nothing when DIR already holds the modules.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-${ISPBOX_MIB_CACHE:-$(pwd)/.cache/ietf-mibs}}
VERSION=3.29.2
SHA256=a89a7a7e29638b5353aa246563821172754ff1980bfc4b5dbd09dc1b217c6f04
MODULES=(SNMPv2-SMI SNMPv2-TC SNMPv2-CONF SNMPv2-MIB IF-MIB IANAifType-MIB)

have_all() { for m in "${MODULES[@]}"; do [ -s "$DIR/$m" ] || return 1; done; }
have_all && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tgz="$work/net-snmp-$VERSION.tgz"
if command -v npm >/dev/null; then
  (cd "$work" && npm pack --silent "net-snmp@$VERSION" >/dev/null)
else
  curl -fsSL -o "$tgz" "https://registry.npmjs.org/net-snmp/-/net-snmp-$VERSION.tgz"
fi
echo "$SHA256  $tgz" | sha256sum -c --quiet - ||
  { echo "ispbox: net-snmp-$VERSION.tgz does not match its pinned SHA-256" >&2; exit 1; }
tar -xzf "$tgz" -C "$work" package/lib/mibs
mkdir -p "$DIR"
for m in "${MODULES[@]}"; do
  install -m 0644 "$work/package/lib/mibs/$m.mib" "$DIR/$m"
done
echo "ispbox: IETF base MIB modules in $DIR" >&2
