#!/usr/bin/env bash
# Every log identifier the code uses is documented in docs/log-messages.md, and vice versa.
set -euo pipefail
cd "$(dirname "$0")/.."
dirs=()
for d in common store appliance rlm_isp agentx drivers; do [ -d "$d" ] && dirs+=("$d"); done
# C++ logs with ISPBOX_LOG(level, "ID"); rlm_isp's C shim with ISPBOX_LOG_ID("ID").
used=$( (grep -rhoE 'ISPBOX_LOG\([A-Za-z]+, "[A-Z0-9_]+"' --include='*.cc' --include='*.h' "${dirs[@]}"
         grep -rhoE 'ISPBOX_LOG_ID\("[A-Z0-9_]+"\)' --include='*.c' "${dirs[@]}") |
         sed -E 's/.*"([A-Z0-9_]+)".*/\1/' | sort -u)
documented=$(grep -oE '^\| `[A-Z0-9_]+`' docs/log-messages.md | tr -d '|` ' | sort -u)
[ -n "$used" ] || { echo "no log identifiers found: the pattern is broken"; exit 1; }
missing=$(comm -23 <(echo "$used") <(echo "$documented"))
stale=$(comm -13 <(echo "$used") <(echo "$documented"))
[ -z "$missing" ] || { echo "undocumented log identifiers:"; echo "$missing"; }
[ -z "$stale" ] || { echo "documented but never logged:"; echo "$stale"; }
[ -z "$missing$stale" ]
