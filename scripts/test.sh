#!/usr/bin/env bash
# The test command: installs what is missing, builds with AddressSanitizer and UBSan, runs every
# test with CTest. Build directory: build-test/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DISPBOX_SANITIZE=ON \
  -DISPBOX_BUILD_BENCH=ON >/dev/null
cmake --build build-test
cd build-test
exec ctest --output-on-failure --timeout 600 -j "$(nproc)"
