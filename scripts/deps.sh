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
  libgtest-dev libgmock-dev lmdb-utils curl openssl ca-certificates procps iproute2
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "ispbox: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "ispbox: need root or sudo to install packages" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
