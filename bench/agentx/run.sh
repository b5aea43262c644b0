#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A walk of ISPBOX-MIB's ONU table (N rows, 7 columns) through snmpd, side by side in one run:
#   agentx       snmpd as AgentX master, the rows in ispbox-agentx's tables (bench_agent subagent:
#                the library ispbox-agentx runs, with N generated ONUs: the OLT store does not
#                exist yet, so the rows come from a generator, not from LMDB)
#   floor        the same tables served by a Net-SNMP master agent directly (no snmpd, no AgentX)
#   pass_persist the same rows from a pass_persist script under snmpd (what operators do today)
# and the subagent's memory with N ONUs and M subscribers (subscribers from a real store).
#
#   bench/agentx/run.sh [--onus N] [--subscribers M] [--repetitions R] [--rounds K] [BUILD_DIR]
#
#   BUILD_DIR   a Release build holding bench/bench_agent (default build-rel)
#   N           ONU rows (default 100000); M subscribers in the store (default 100000)
#   R           snmpbulkwalk -Cr (max-repetitions, default 50)
#   K           walks per configuration, alternating; the median is reported (default 3)
# All on loopback, private directories and free ports; SNMPv2c with a private community for all
# three (v3's per-packet crypto would be the same for each and only blur the difference).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ONUS=100000 SUBS=100000 REPS=50 ROUNDS=3 BUILD="$ROOT/build-rel"
while [ $# -gt 0 ]; do
  case $1 in
  --onus) ONUS=$2; shift 2 ;;
  --subscribers) SUBS=$2; shift 2 ;;
  --repetitions) REPS=$2; shift 2 ;;
  --rounds) ROUNDS=$2; shift 2 ;;
  -h | --help) sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) BUILD=$1; shift ;;
  esac
done
BIN="$BUILD/bench/bench_agent"
[ -x "$BIN" ] || { echo "no $BIN: build Release first (see README, Benchmarks)" >&2; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_udp() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now_ns() { date +%s%N; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
anon_kb() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status"; }
# CPU clock ticks (user + system) of processes and their live children.
cpu_ticks() {
  local t=0 p
  for p in "$@" $(for q in "$@"; do pgrep -P "$q" || true; done); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
HZ=$(getconf CLK_TCK)
ENTRY=.1.3.6.1.4.1.8072.9999.9999.2718.1.5.1
export SNMP_PERSISTENT_DIR="$WORK/tools" SNMPCONFPATH="$WORK/tools" MIBS=""
mkdir -p "$WORK/tools/cert_indexes" "$WORK/a" "$WORK/p"

echo "ispbox agentx bench: $ONUS ONU rows x 7 columns, $SUBS subscribers, -Cr$REPS, $ROUNDS rounds"
t0=$(now_ns)
"$BIN" fill-store --state-dir "$WORK/state" --subscribers "$SUBS"
echo "  store with $SUBS subscribers written in $(( ($(now_ns) - t0) / 1000000 )) ms"

start_snmpd() { # dir port extra-config...
  local dir=$1 port=$2; shift 2
  { echo "rocommunity bench 127.0.0.1"; echo "dontLogTCPWrappersConnects yes"; printf '%s\n' "$@"; } >"$dir/snmpd.conf"
  SNMP_PERSISTENT_DIR="$dir" snmpd -f -I -smux -C -c "$dir/snmpd.conf" -Lf "$dir/snmpd.log" "udp:127.0.0.1:$port" &
  PIDS+=($!)
}
wait_answer() { # port oid
  for _ in $(seq 1 300); do
    snmpget -v2c -c bench -r0 -t1 -On "127.0.0.1:$1" "$2" 2>/dev/null | grep -qv "No Such" && return 0
    sleep 0.1
  done
  echo "no answer on port $1 for $2" >&2; exit 1
}

# agentx: snmpd + the subagent (with the store, for the memory figure)
PA=$(free_udp)
start_snmpd "$WORK/a" "$PA" "master agentx" "agentXSocket unix:$WORK/a/agentx.sock" "agentXTimeout 10"
sleep 0.5
t0=$(now_ns)
"$BIN" subagent --socket "unix:$WORK/a/agentx.sock" --onus "$ONUS" --state-dir "$WORK/state" \
  >"$WORK/a/ready" 2>"$WORK/a/subagent.log" &
SUBAGENT=$!
PIDS+=($SUBAGENT)
wait_answer "$PA" "$ENTRY.2.1.1.1"
echo "  subagent loaded and registered in $(( ($(now_ns) - t0) / 1000000 )) ms"

# floor: the same tables in a master agent of their own
PF=$(free_udp)
SNMPD_A=${PIDS[0]}
"$BIN" master --listen "udp:127.0.0.1:$PF" --onus "$ONUS" >"$WORK/floor.ready" 2>"$WORK/floor.log" &
FLOOR=$!
PIDS+=($FLOOR)
wait_answer "$PF" "$ENTRY.2.1.1.1"

# pass_persist: a second snmpd with the script
PP=$(free_udp)
start_snmpd "$WORK/p" "$PP" "pass_persist ${ENTRY%.1} /usr/bin/python3 $HERE/onu_pass_persist.py $ONUS"
SNMPD_P=${PIDS[-1]}
wait_answer "$PP" "$ENTRY.2.1.1.1"

# Memory: the subagent with N ONUs and M subscribers, and an empty one for comparison.
EMPTY_SOCK="$WORK/a/empty.sock"
"$BIN" subagent --socket "unix:$EMPTY_SOCK" --onus 0 >"$WORK/empty.ready" 2>/dev/null &
EMPTY=$!
PIDS+=($EMPTY)
sleep 1

walk() { # port -> "lines ms"
  local t s n
  t=$(now_ns)
  n=$(snmpbulkwalk -v2c -c bench -Cr"$REPS" -r1 -t10 -On -Oq "127.0.0.1:$1" "$ENTRY" | grep "^$ENTRY\." | grep -vc "No more variables")
  s=$(( ($(now_ns) - t) / 1000000 ))
  echo "$n $s"
}
declare -A MS CPU
for cfg in agentx floor pass_persist; do MS[$cfg]=""; CPU[$cfg]=""; done
EXPECT=$((ONUS * 7))
for r in $(seq 1 "$ROUNDS"); do
  for cfg in agentx floor pass_persist; do
    case $cfg in
    agentx) p=$PA procs="$SNMPD_A $SUBAGENT" ;;
    floor) p=$PF procs="$FLOOR" ;;
    pass_persist) p=$PP procs="$SNMPD_P" ;; # and its python3 child
    esac
    # shellcheck disable=SC2086
    c0=$(cpu_ticks $procs)
    read -r n ms < <(walk "$p")
    # shellcheck disable=SC2086
    c1=$(cpu_ticks $procs)
    CPU[$cfg]="${CPU[$cfg]} $(( (c1 - c0) * 1000 / HZ ))"
    if [ "$n" -ne "$EXPECT" ]; then
      echo "  $cfg round $r: walked $n varbinds, expected $EXPECT: run rejected" >&2; exit 1
    fi
    MS[$cfg]="${MS[$cfg]} $ms"
    echo "  round $r $cfg: $n varbinds in $ms ms, agent-side CPU $(( (c1 - c0) * 1000 / HZ )) ms"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
A=$(echo "${MS[agentx]}" | median) F=$(echo "${MS[floor]}" | median) P=$(echo "${MS[pass_persist]}" | median)
CA=$(echo "${CPU[agentx]}" | median) CF=$(echo "${CPU[floor]}" | median) CP=$(echo "${CPU[pass_persist]}" | median)
RSS=$(rss_kb "$SUBAGENT") RSS0=$(rss_kb "$EMPTY") ANON=$(anon_kb "$SUBAGENT") ANON0=$(anon_kb "$EMPTY")

echo
printf '%-14s %10s %12s %10s %14s %10s\n' configuration "walk ms" "us/varbind" "vs agentx" \
  "CPU us/varbind" "vs agentx"
for cfg in floor agentx pass_persist; do
  case $cfg in agentx) m=$A c=$CA ;; floor) m=$F c=$CF ;; pass_persist) m=$P c=$CP ;; esac
  awk -v c="$cfg" -v m="$m" -v n="$EXPECT" -v a="$A" -v cpu="$c" -v ca="$CA" \
    'BEGIN {printf "%-14s %10d %12.2f %9.2fx %14.2f %9.2fx\n", c, m, m * 1000 / n, m / a,
            cpu * 1000 / n, (ca > 0 ? cpu / ca : 0)}'
done
echo "(CPU: the agent side only: snmpd + subagent, the master agent, snmpd + the script)"
echo
awk -v a="$A" -v f="$F" -v p="$P" 'BEGIN {
  printf "agentx / floor: %.2f (snmpd turns each GETBULK into AgentX GETNEXTs)\n", a / f
  printf "pass_persist / agentx: %.2f\n", p / a }'
echo "subagent memory with $ONUS ONUs and $SUBS subscribers: VmRSS $((RSS / 1024)) MiB" \
  "($((RSS0 / 1024)) MiB empty), of which private (RssAnon) $((ANON / 1024)) MiB" \
  "($((ANON0 / 1024)) MiB empty): $(( (ANON - ANON0) * 1024 / (ONUS + SUBS) )) bytes per row;" \
  "the rest is shared: libraries and the LMDB pages read, in the page cache"
