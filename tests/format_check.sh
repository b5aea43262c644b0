#!/usr/bin/env bash
# Our C and C++ sources follow .clang-format. Skipped (exit 77) where clang-format is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "clang-format not installed: skipped"; exit 77; }
git ls-files --cached --others --exclude-standard -- '*.cc' '*.h' '*.c' |
  xargs -r clang-format --dry-run --Werror
