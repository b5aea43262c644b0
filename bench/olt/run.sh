#!/usr/bin/env bash
# OLT polling benchmark (issue 5), ours and the reference side by side in one run:
#  1. a full poll (all data classes) of a generated 2,048-ONU ZTE C320 (2 cards x 16 PON x 64
#     ONUs) served by snmpsimd: requests sent against the minimal GETBULK plan (target <= 1.1x);
#  2. its wall time against snmpbulkwalk of the same columns one after another (target: faster,
#     within the per-OLT in-flight limit of 4);
#  3. OLTS (default 50) such OLTs polled concurrently through ispboxd's own poller and store
#     (olt_cycle_bench), each answer delayed by DELAY_MS (default 5) with snmpsim's delay module,
#     against a 60 s cycle. snmpsimd is single-threaded Python (no worker option in Debian's
#     0.4.5), so the OLTs are SIMS (default 10) processes' UDP endpoints, several per process, all
#     serving one recording indexed once. The script prints the simulators' CPU beside the
#     poller's: on a small machine the simulators, not the poller, are the limit.
# Uses free ports and a private directory; stops what it starts.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OLTS=${OLTS:-50}
DELAY_MS=${DELAY_MS:-5}
SIMS=${SIMS:-10}
PARTS=${PARTS:-"single cycle"} # "single": parts 1-2, "cycle": part 3

scripts/deps.sh
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DISPBOX_BUILD_TESTS=OFF \
  -DISPBOX_BUILD_RLM_ISP=OFF >/dev/null
cmake --build build-bench --target olt_bench >/dev/null
BENCH="$ROOT/build-bench/bench/olt_bench"

WORK=$(mktemp -d)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_udp_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
USER_ARGS=()
[ "$(id -u)" -eq 0 ] && USER_ARGS=(--process-user=nobody --process-group=nogroup)
start_sim() { # dir port
  mkdir -p "$1/cache" && chmod 755 "$1" "$1/data" && chmod 777 "$1/cache"
  snmpsimd --data-dir="$1/data" --cache-dir="$1/cache" --agent-udpv4-endpoint="127.0.0.1:$2" \
    --logging-method=null "${USER_ARGS[@]}" >/dev/null 2>&1 &
  PIDS+=($!)
}
wait_sim() { # port community
  for _ in $(seq 1 600); do
    snmpget -v2c -c "$2" -t 0.5 -r 0 "127.0.0.1:$1" 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "snmpsimd on $1 did not answer" >&2
  return 1
}

if [[ " $PARTS " == *" single "* ]]; then
echo "== 1-2: one 2,048-ONU C320"
mkdir -p "$WORK/one/data"
python3 tests/olt/gen_zte_snmprec.py --out "$WORK/one/data/c320.snmprec" --cards 2 --pons 16 \
  --onus 64 2>/dev/null
PORT=$(free_udp_port)
start_sim "$WORK/one" "$PORT"
wait_sim "$PORT" c320
"$BENCH" "127.0.0.1:$PORT:c320" >/dev/null # warm snmpsimd's caches
OURS=$("$BENCH" "127.0.0.1:$PORT:c320")
echo "ispbox:       $OURS"
COLUMNS=$("$BENCH" "127.0.0.1:$PORT:c320" --print-columns)
REF_PDUS=0
T0=$(date +%s.%N)
for c in $COLUMNS; do
  # snmpbulkwalk walks one column at a time; -Cr25 = our max-repetitions.
  snmpbulkwalk -v2c -c c320 -Cr25 -On -t 3 -r 2 "127.0.0.1:$PORT" "$c" >/dev/null 2>&1 || true
done
T1=$(date +%s.%N)
REF_S=$(python3 -c "print(f'{$T1 - $T0:.3f}')")
OURS_S=$(sed -E 's/.*wall_s=([0-9.]+).*/\1/' <<<"$OURS")
echo "snmpbulkwalk: $(wc -w <<<"$COLUMNS") columns one after another, wall_s=$REF_S"
python3 -c "
ours=$OURS_S; ref=$REF_S
r=float('$(sed -E 's/.*ratio=([0-9.]+).*/\1/' <<<"$OURS")')
print(f'requests / minimal GETBULK plan = {r:.3f} (target <= 1.1)')
print(f'wall time: ispbox {ours:.3f} s, snmpbulkwalk {ref:.3f} s, ratio {ours/ref:.3f} (target < 1)')"
fi

if [[ " $PARTS " == *" cycle "* ]]; then
echo "== 3: $OLTS OLTs at once through ispboxd's poller, ${DELAY_MS} ms agent delay," \
  "$SIMS snmpsimd processes"
cmake --build build-bench --target olt_cycle_bench >/dev/null
CYCLE="$ROOT/build-bench/bench/olt_cycle_bench"
mkdir -p "$WORK/cycle/data"
# The delay module on one object in 60, waiting 5 ms: a full 60-object GETBULK answer waits
# 5 ms, as with 1/60 of it on every object, for much less simulator CPU.
python3 tests/olt/gen_zte_snmprec.py --out "$WORK/cycle/data/c320.snmprec" --cards 2 --pons 16 \
  --onus 64 --delay-ms "$DELAY_MS" --delay-every 60 2>/dev/null
# All the ports at once, every socket held until the last is bound: ports asked for one by one
# can come back twice.
mapfile -t PORTS < <(python3 -c '
import socket, sys
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))' "$OLTS")
mkdir -p "$WORK/cycle/cache" && chmod 755 "$WORK/cycle" "$WORK/cycle/data" &&
  chmod 777 "$WORK/cycle/cache"
SIM_PIDS=()
sim_on() { # one snmpsimd (the lightweight v1/v2c architecture) answering on these ports
  local args=() p
  for p in "$@"; do args+=("--agent-udpv4-endpoint=127.0.0.1:$p"); done
  snmpsimd --v2c-arch --data-dir="$WORK/cycle/data" --cache-dir="$WORK/cycle/cache" \
    "${args[@]}" --logging-method=null "${USER_ARGS[@]}" >/dev/null 2>&1 &
  PIDS+=($!)
  SIM_PIDS+=($!)
}
sim_cpu() { # seconds of CPU the simulators have used so far
  local t=0 p
  for p in "${SIM_PIDS[@]}"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  python3 -c "print($t / $(getconf CLK_TCK))"
}
# Index the recording once: every simulator reads the same file and shares the cache.
sim_on "${PORTS[0]}"
wait_sim "${PORTS[0]}" c320
kill "${SIM_PIDS[0]}"
wait "${SIM_PIDS[0]}" 2>/dev/null || true
unset 'PIDS[-1]' # gone: never signal a reused PID
SIM_PIDS=()
for s in $(seq 0 $((SIMS - 1))); do # OLT endpoints dealt out round-robin
  MINE=()
  for i in $(seq "$s" "$SIMS" $((OLTS - 1))); do MINE+=("${PORTS[$i]}"); done
  [ "${#MINE[@]}" -gt 0 ] && sim_on "${MINE[@]}"
done
for i in $(seq 0 $((OLTS - 1))); do wait_sim "${PORTS[$i]}" c320; done
TARGETS=()
for i in $(seq 0 $((OLTS - 1))); do TARGETS+=("127.0.0.1:${PORTS[$i]}:c320"); done
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
SIM0=$(sim_cpu)
RESULT=$("$CYCLE" "${TARGETS[@]}" --inflight 4 --budget-s 60 2>"$WORK/cycle/poller.log" || true)
SIM1=$(sim_cpu)
echo "ispbox:       $RESULT"
echo "poller log:   $(grep -c OLT_POLL_FAILED "$WORK/cycle/poller.log" || true) OLT_POLL_FAILED" \
  "(a class timed out and was retried), $(grep -vc OLT_POLL_FAILED "$WORK/cycle/poller.log" || true)" \
  "other lines"
python3 - "$SIM0" "$SIM1" "$OLTS" "$RESULT" <<'PY'
import re
import sys

sim = float(sys.argv[2]) - float(sys.argv[1])
olts = int(sys.argv[3])
f = dict(re.findall(r"(\w+)=([\w.]+)", sys.argv[4]))
cycle, poller = float(f.get("cycle_s", 0)), float(f.get("poller_cpu_s", 0))
fits = f.get("failed") == "0" and 0 < cycle <= 60
print(f"cycle: {cycle:.1f} s of 60 s -> " + ("fits" if fits else "does NOT fit"))
print(f"PDUs: {f.get('pdus')} in all, {f.get('class_pdus_per_olt')} per OLT for its four classes "
      f"(resends {f.get('resends')}, timeouts {f.get('timeouts')}); most in flight to one OLT "
      f"{f.get('peak_inflight_per_olt')}, limit {f.get('inflight_limit')}")
print(f"CPU: snmpsimd {sim:.1f} s ({sim / olts:.2f} s per OLT), ispbox poller {poller:.1f} s "
      f"(loop thread {f.get('loop_cpu_s')} s, store writer {f.get('store_cpu_s')} s)")
if cycle > 0:
    who = "the simulators" if sim > poller else "the poller"
    print(f"over the cycle: simulators {sim / cycle:.2f} cores, poller {poller / cycle:.2f} cores"
          f" -> {who} set the pace")
PY
fi
