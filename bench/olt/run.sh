#!/usr/bin/env bash
# OLT polling benchmark (issue 5), ours and the reference side by side in one run:
#  1. a full poll (all data classes) of a generated 2,048-ONU ZTE C320 (2 cards x 16 PON x 64
#     ONUs) served by snmpsimd: requests sent against the minimal GETBULK plan (target <= 1.1x);
#  2. its wall time against snmpbulkwalk of the same columns one after another (target: faster,
#     within the per-OLT in-flight limit of 4);
#  3. OLTS (default 50) such OLTs polled concurrently, each answer delayed by DELAY_MS (default 5)
#     with snmpsim's delay module, against a 60 s cycle. snmpsimd is single-threaded Python, so
#     the OLTs are spread over SIMS (default 4) snmpsimd processes; on a small machine the
#     simulator, not the poller, is then the bottleneck (the script prints both CPU figures).
# Uses free ports and a private directory; stops what it starts.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OLTS=${OLTS:-50}
DELAY_MS=${DELAY_MS:-5}
SIMS=${SIMS:-4}

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

echo "== 3: $OLTS OLTs at once, ${DELAY_MS} ms agent delay per answer, $SIMS snmpsimd processes"
python3 tests/olt/gen_zte_snmprec.py --out "$WORK/delayed.snmprec" --cards 2 --pons 16 --onus 64 \
  --delay-ms "$DELAY_MS" 2>/dev/null
TARGETS=()
SIM_PORTS=()
for s in $(seq 0 $((SIMS - 1))); do
  mkdir -p "$WORK/sim$s/data"
  SIM_PORTS+=("$(free_udp_port)")
done
for i in $(seq 0 $((OLTS - 1))); do
  s=$((i % SIMS))
  ln -s "$WORK/delayed.snmprec" "$WORK/sim$s/data/olt$i.snmprec"
  TARGETS+=("127.0.0.1:${SIM_PORTS[$s]}:olt$i")
done
for s in $(seq 0 $((SIMS - 1))); do start_sim "$WORK/sim$s" "${SIM_PORTS[$s]}"; done
for s in $(seq 0 $((SIMS - 1))); do wait_sim "${SIM_PORTS[$s]}" "olt$s"; done
# Every community's index is built on its first use: warm them all before timing.
for t in "${TARGETS[@]}"; do
  snmpget -v2c -c "${t##*:}" -t 60 -r 0 "127.0.0.1:$(cut -d: -f2 <<<"$t")" 1.3.6.1.2.1.1.3.0 \
    >/dev/null 2>&1 || true
done
RESULT=$(/usr/bin/time -f "poller_cpu_s=%U+%S" "$BENCH" "${TARGETS[@]}" 2>&1 || true)
echo "ispbox:       $RESULT"
WALL=$(sed -nE 's/.*wall_s=([0-9.]+).*/\1/p' <<<"$RESULT")
python3 -c "w=float('${WALL:-0}' or 0); print(f'cycle: {w:.1f} s of 60 s -> ' + ('fits' if 0 < w <= 60 else 'does NOT fit'))"
