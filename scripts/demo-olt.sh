#!/usr/bin/env bash
# The DEMO OLT that run.sh starts: snmpsimd serving a generated ZTE C320 recording (2 cards x 16
# PON ports x 64 ONUs, tests/olt/gen_zte_snmprec.py), so a newcomer sees ONUs in the API. It is not
# a real OLT: its values never change, and writes are kept only in snmpsimd's memory.
#
#   demo-olt.sh prepare DIR            generate the recording (once)
#   demo-olt.sh run DIR PORT           exec snmpsimd on 127.0.0.1:PORT (run.sh tracks its PID)
#   demo-olt.sh register URL TOKEN PORT
#                                      wait for it, then add (or re-point) OLT "demo-olt"
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
prepare)
  DIR=$2
  mkdir -p "$DIR/data" "$DIR/cache"
  chmod 755 "$DIR" "$DIR/data"
  chmod 777 "$DIR/cache" # snmpsimd writes its index as nobody when started as root
  [ -s "$DIR/data/demo.snmprec" ] ||
    python3 tests/olt/gen_zte_snmprec.py --out "$DIR/data/demo.snmprec" --cards 2 --pons 16 \
      --onus 64 --writable --name-prefix demo-onu
  ;;
run)
  DIR=$2 PORT=$3
  USER_ARGS=()
  [ "$(id -u)" -eq 0 ] && USER_ARGS=(--process-user=nobody --process-group=nogroup)
  exec snmpsimd --data-dir="$DIR/data" --cache-dir="$DIR/cache" \
    --agent-udpv4-endpoint="127.0.0.1:$PORT" --logging-method=null "${USER_ARGS[@]}"
  ;;
register)
  URL=$2 TOKEN=$3 PORT=$4
  for _ in $(seq 1 150); do
    snmpget -v2c -c demo -t 0.3 -r 0 "127.0.0.1:$PORT" 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1 && break
    sleep 0.2
  done
  api() { curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "$@"; }
  BODY="{\"address\":\"127.0.0.1\",\"port\":$PORT,\"snmp\":{\"version\":\"2c\",\"community\":\"demo\"},
    \"demo\":true,\"description\":\"DEMO OLT: snmpsimd serving a generated ZTE C320 recording\"}"
  if api "$URL/api/v1/olts/demo-olt"; then
    api -X PATCH "$URL/api/v1/olts/demo-olt" -d "$BODY"
  else
    api "$URL/api/v1/olts" -d "{\"id\":\"demo-olt\",${BODY#\{}"
  fi
  ;;
*)
  echo "usage: $0 prepare DIR | run DIR PORT | register URL TOKEN PORT" >&2
  exit 64
  ;;
esac
