#!/usr/bin/env bash
# ISPBOX-MIB is clean: `smilint -l 6` prints nothing (its exit code proves nothing), snmptranslate
# loads it without a word on stderr, and the root in agentx/oids.h is the one the MIB defines.
# The IETF base modules come from scripts/ietf-mibs.sh (run by scripts/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=${ISPBOX_MIB_CACHE:-$(pwd)/.cache/ietf-mibs}
MIB=agentx/mib/ISPBOX-MIB.txt
[ -s "$BASE/SNMPv2-SMI" ] || { echo "no IETF base MIBs in $BASE: run scripts/deps.sh"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# A module smilint cannot find makes it parse ours as SMIv1 and still exit 0: check it is there.
out=$(SMIPATH="$BASE:/usr/share/snmp/mibs" smilint -l 6 "$MIB" 2>&1)
if [ -n "$out" ]; then echo "smilint -l 6 $MIB:"; echo "$out"; fail=1; fi

export MIBDIRS="$BASE:/usr/share/snmp/mibs:$(pwd)/agentx/mib" SNMP_PERSISTENT_DIR="$work"
export SNMPCONFPATH="$work"
mkdir -p "$work/cert_indexes" # else snmptranslate says it created it
err="$work/err"
root=$(snmptranslate -m ISPBOX-MIB -On ISPBOX-MIB::ispboxMIB 2>"$err") || fail=1
if [ -s "$err" ]; then echo "snmptranslate -m ISPBOX-MIB:"; cat "$err"; fail=1; fi
# Every object must resolve (a typo in an OBJECT-TYPE's parent would not stop smilint at level 6).
snmptranslate -m ISPBOX-MIB -Tp ISPBOX-MIB::ispboxMIB >"$work/tree" 2>"$err" || fail=1
if [ -s "$err" ]; then echo "snmptranslate -Tp:"; cat "$err"; fail=1; fi
for name in ispboxSubMonthUpload ispboxOnuSubscriber ispboxSubscriberIsolated ispboxSessOutputOctets; do
  grep -q "$name" "$work/tree" || { echo "snmptranslate -Tp lacks $name"; fail=1; }
done

code=".$(sed -nE 's/.*kRoot\[\] = \{([0-9, ]+)\};.*/\1/p' agentx/oids.h | tr -d ' ' | tr ',' '.')"
if [ "$root" != "$code" ]; then
  echo "root mismatch: the MIB says '$root', agentx/oids.h says '$code'"
  fail=1
fi
exit $fail
