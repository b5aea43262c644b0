#!/usr/bin/env bash
# Installs the Debian 12 packages ispbox needs to build, run and test, when any is missing.
# Used by run.sh and test.sh; safe to run again (it does nothing when all are there).
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config
  # libraries (all from Debian, see README "Dependencies")
  liblmdb-dev libboost-dev libcpp-httplib-dev nlohmann-json3-dev libtomlplusplus-dev
  libprotobuf-dev protobuf-compiler libssl-dev
  # tests and tools
  libgtest-dev libgmock-dev lmdb-utils curl openssl ca-certificates procps iproute2 python3
  # an independent RouterOS API client, to check our simulator against (tests/routeros)
  python3-librouteros
  # rlm_isp: the server it loads into, radtest/radclient, the libraries its headers include, and
  # apt-get source + xz for its header overlay (rlm_isp/build/freeradius_headers.cmake)
  freeradius freeradius-utils libfreeradius-dev libtalloc-dev libpcre3-dev dpkg-dev xz-utils
  # ispbox-agentx: the agent library, snmpd as AgentX master, the managers' tools and snmptrapd
  # for tests, smilint for ISPBOX-MIB (base MIBs: scripts/ietf-mibs.sh)
  libsnmp-dev snmpd snmp snmptrapd smitools
  # OLT polling: snmpsimd plays the OLT in tests, the demo and bench/olt
  snmpsim
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

# rlm_isp's build runs `apt-get source freeradius=<installed version>`: that needs deb-src entries
# for the same mirrors and suites as the binary packages. Added once, only when there are none.
if ! apt-cache showsrc --only-source freeradius 2>/dev/null | grep -q '^Package:'; then
  SRC_SUDO=""
  [ "$(id -u)" -ne 0 ] && SRC_SUDO="sudo"
  if ! grep -qsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/*; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      echo "ispbox: adding /etc/apt/sources.list.d/ispbox-deb-src.sources" >&2
      sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
        $SRC_SUDO tee /etc/apt/sources.list.d/ispbox-deb-src.sources >/dev/null
    elif grep -qsE '^deb ' /etc/apt/sources.list; then
      echo "ispbox: adding /etc/apt/sources.list.d/ispbox-deb-src.list" >&2
      sed -nE 's/^deb /deb-src /p' /etc/apt/sources.list |
        $SRC_SUDO tee /etc/apt/sources.list.d/ispbox-deb-src.list >/dev/null
    fi
  fi
  $SRC_SUDO apt-get update -qq
  apt-cache showsrc --only-source freeradius 2>/dev/null | grep -q '^Package:' ||
    echo "ispbox: warning: no deb-src entry for freeradius; rlm_isp will not configure" >&2
fi

# SNMPv2-SMI and friends for smilint/snmptranslate (Debian ships none; see the script). Not fatal:
# without them only the ISPBOX-MIB checks fail, and they say why.
ietf_mibs() {
  "$(dirname "$0")/ietf-mibs.sh" || echo "ispbox: warning: IETF base MIBs not fetched" >&2
}
if [ ${#missing[@]} -eq 0 ]; then
  ietf_mibs
  exit 0
fi

echo "ispbox: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "ispbox: need root or sudo to install packages" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
ietf_mibs
