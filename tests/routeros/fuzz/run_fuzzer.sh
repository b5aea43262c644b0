#!/usr/bin/env bash
# Runs the RouterOS decoder under libFuzzer (Debian's clang and libclang-rt-14-dev) for a while,
# adding new interesting inputs to the kept corpus (tests/routeros/fuzz/corpus).
#   tests/routeros/fuzz/run_fuzzer.sh [seconds, default 300]
set -euo pipefail
cd "$(dirname "$0")/../../.."
secs="${1:-300}"
command -v clang++ >/dev/null || { echo "needs clang (apt-get install clang libclang-rt-14-dev)"; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
  tests/routeros/fuzz/decoder_fuzz.cc drivers/routeros/codec.cc drivers/routeros/charset.cc \
  -o "$out/decoder_fuzz"
mkdir -p "$out/new"
# New finds go to a scratch directory first, then are merged (minimised) into the kept corpus.
"$out/decoder_fuzz" -max_total_time="$secs" -max_len=4096 -rss_limit_mb=1024 \
  -print_final_stats=1 "$out/new" tests/routeros/fuzz/corpus
"$out/decoder_fuzz" -merge=1 tests/routeros/fuzz/corpus "$out/new"
echo "corpus: $(ls tests/routeros/fuzz/corpus | wc -l) inputs"
