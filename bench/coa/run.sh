#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# CoA/Disconnect benchmark: ispboxd's enforcer beside the reference a shell-out tool is bound by.
#
#   bench/coa/run.sh [BUILD_DIR [N]]      (default build-rel, N = 10000)
#
# Prints:
#   * latency from an API call (suspend/unsuspend) to the CoA-Request arriving at the NAS:
#     p50 / p99 over 200 calls (target p99 < 50 ms);
#   * a mass suspend of N subscribers online on a NAS stand-in (FreeRADIUS, listen type = coa): time
#     until every request is answered or timed out, and the peak in flight (limit 32);
#   * the reference: `radclient` sending the same N Disconnect-Requests from a file to the same
#     stand-in (-p 32, the same in-flight limit), and the ratio.
# Needs a Release build: cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
#   -DISPBOX_BUILD_TESTS=OFF && ninja -C build-rel
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath "${1:-$ROOT/build-rel}")
N=${2:-10000}
SECRET=bench-coa-secret
[ -x "$BUILD/bench/coa_bench" ] || { echo "no $BUILD/bench/coa_bench: build it first" >&2; exit 2; }
[ -f "$BUILD/rlm_isp/rlm_isp.so" ] || { echo "no rlm_isp.so in $BUILD/rlm_isp" >&2; exit 2; }
RADDB=$BUILD/freeradius/raddb
[ -r "$RADDB/radiusd.conf" ] || RADDB=/etc/freeradius/3.0

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ispbox-coa-bench.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_udp() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_udp)

# The NAS stand-in: FreeRADIUS's stock dictionaries and policies, one CoA listener that ACKs all.
ISPBOX_FR_USER=self ISPBOX_FR_RADDB=$RADDB "$ROOT/scripts/freeradius-config.sh" "$WORK/raddb" \
  "$WORK/unused" "$(free_udp)" "$(free_udp)" "$BUILD/rlm_isp" >/dev/null
rm -f "$WORK/raddb/sites-enabled/ispbox" "$WORK/raddb/mods-enabled/isp"
printf 'client bench {\n  ipaddr = 127.0.0.1\n  secret = "%s"\n}\n' "$SECRET" >"$WORK/raddb/clients.conf"
cat >"$WORK/raddb/sites-enabled/nas" <<CONF
server nas {
  listen {
    type = coa
    ipaddr = 127.0.0.1
    port = $PORT
  }
  recv-coa {
    ok
  }
  send-coa {
    ok
  }
}
CONF
freeradius -f -d "$WORK/raddb" -l "$WORK/radius.log" &
PIDS+=($!)
for _ in $(seq 200); do grep -q "Ready to process requests" "$WORK/radius.log" 2>/dev/null && break; sleep 0.05; done
grep -q "Ready to process requests" "$WORK/radius.log" || { cat "$WORK/radius.log"; exit 1; }

echo "== ispboxd: API -> CoA latency, and a mass suspend of $N sessions (limit 32 in flight)"
OURS=$("$BUILD/bench/coa_bench" --nas-port "$PORT" --secret "$SECRET" --dir "$WORK" --count "$N")
echo "$OURS"

echo "== reference: radclient sends $N Disconnect-Requests from a file (-p 32)"
python3 - "$N" >"$WORK/disconnect.txt" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print(f'User-Name = "u{i:06d}"\nAcct-Session-Id = "8{1000000 + i}"\n'
          f'Framed-IP-Address = 10.{64 + i // 65536}.{(i // 256) % 256}.{i % 256}\n'
          f'NAS-IP-Address = 127.0.0.1\n')
PY
# radclient rescans its whole packet list per reply: chunks of 2,000 keep it from being its own
# bottleneck (what a careful shell-out tool would do).
split -l $((2000 * 5)) "$WORK/disconnect.txt" "$WORK/chunk."
start=$(date +%s.%N)
for f in "$WORK"/chunk.*; do
  radclient -q -f "$f" -p 32 -r 3 -t 1 127.0.0.1:"$PORT" disconnect "$SECRET" || true
done
end=$(date +%s.%N)
REF=$(python3 -c "print(f'{$end - $start:.3f}')")
echo "radclient_s=$REF"

MASS=$(sed -n 's/.*mass_s=\([0-9.]*\).*/\1/p' <<<"$OURS")
P99=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<<"$OURS")
python3 - "$MASS" "$REF" "$P99" "$N" <<'PY'
import sys
mass, ref, p99, n = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print(f"== summary: mass suspend of {n}: ispboxd {mass:.2f} s (target < 10 s), radclient {ref:.2f} s: "
      f"ispboxd takes {mass / ref:.2f}x radclient's time; API->CoA p99 {p99:.2f} ms (target < 50 ms)")
PY
