#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Server CPU time per RADIUS request: rlm_isp against FreeRADIUS references, side by side in one run.
#
#   bench/radius/run.sh [options] [MODULE_DIR [N [M]]]
#
#   MODULE_DIR  directory holding rlm_isp.so (default build-rel/rlm_isp)
#   N           subscribers (default 100000)
#   M           measured requests per configuration and packet kind (default 50000)
#
# Options:
#   --only LIST     comma-separated subset of floor,floor-ma,floor-reply,files,files-ma,sql,isp
#                   (default: all)
#   --state DIR     use a copy of an ispbox state holding subscribers user000000.. with passwords
#                   pw000000.. (as fill_store.py writes them) and the NAS 127.0.0.1, whose secret
#                   every configuration then uses; DIR itself is never modified
#   --ispboxd PATH  ispboxd that checks the state fill_store.py wrote: it must read a subscriber and
#                   the NAS back through its API (default MODULE_DIR/../appliance/ispboxd)
#   --no-verify     do not start ispboxd to check the state (not recommended)
#   --parallel P    radclient -p (default 64; radclient is unstable beyond 256)
#   --rounds R      measure every configuration R times, alternating, and report the median
#                   (default 3; 1 for a quick look)
#   --keep          keep the work directory (configs, logs, packet files) and print its path
#   --check-targets exit 4 when rlm_isp misses a target (runs that fail their checks always exit 1)
#
# Environment:
#   PYTHON                             interpreter with Debian's python3-lmdb and python3-protobuf
#                                      (default /usr/bin/python3)
#   ISPBOX_BENCH_ISP_ACCT_DURABILITY   what to print for rlm_isp's accounting durability (default:
#                                      worked out from the environment flags in store/env.cc (an
#                                      LMDB commit fsyncs unless one says otherwise), the module's
#                                      RLM_ISP_ACCOUNTING log line (Interim-Updates journaled or
#                                      committed before the answer), and a check that every session
#                                      holds its last answered update after radiusd is killed with
#                                      SIGKILL and started again; the commits counted during the
#                                      interims say how many packets each commit held)
#   ISPBOX_BENCH_RADCLIENT_CHUNK       packets per radclient invocation (default 5000): radclient
#                                      rescans all its packets per reply, so one big file makes it
#                                      the bottleneck (2,000/s at 50,000 packets)
#   TMPDIR                             where the work directory is made
#
# Configurations, each a private FreeRADIUS (freeradius -f, never -X) on free loopback ports:
#   floor  no lookup: unlang sets Auth-Type Accept; accounting { ok }
#   files  rlm_files with the N users (Access-Request only)
#   floor-ma, files-ma  floor and files signing their Access-Accepts with Message-Authenticator, as
#          rlm_isp does: the BlastRADIUS fix, which draft-ietf-radext-deprecating-radius makes a
#          MUST for every reply to an Access-Request, and which Debian 12's FreeRADIUS 3.2.1 does
#          not do unless told to (Access-Request only)
#   floor-reply  no lookup, but FreeRADIUS does all the work rlm_isp's Access-Accept asks of it:
#          unlang copies the request's password into control:Cleartext-Password for pap to
#          check, adds the reply attributes rlm_isp answers the benchmark's plan with (constants:
#          Mikrotik-Rate-Limit, Acct-Interim-Interval, a Class of the same length) and signs.
#          Not a target: it splits rlm_isp's cost into FreeRADIUS's share (floor-reply / floor)
#          and the module's own (isp / floor-reply) (Access-Request only)
#   sql    rlm_sql, stock PostgreSQL schema and queries, on a private PostgreSQL cluster
#          (unix socket in the work directory; fsync and synchronous_commit as shipped: on)
#   isp    rlm_isp with scripts/freeradius-config.sh's configuration (its full policy, dynamic
#          clients from the store)
# All servers run side by side; one is sent packets at a time. Within a round the configurations
# take turns part by part (ISPBOX_BENCH_RADCLIENT_CHUNK packets, under a second each), so load
# that comes and goes on the host falls on all of them alike. CPU is read from each radiusd
# process's CPU clock (clock_getcpuclockid(3): all threads, in ns; split into user and system as
# /proc/PID/stat's utime and stime are), and for sql from /proc/PID/stat of the postmaster and all
# its children (reaped children included, in clock ticks), before and after the round, after letting cleanup_delay
# expire so the requests' clean-up is counted too. Accounting: S = min(N, M) sessions get an Accounting-Start first (not measured),
# then each round sends M Interim-Updates over them with growing counters. Every
# Access-Request must be answered with Access-Accept and every Accounting-Request answered, and the
# accounting must be found recorded afterwards, or the run fails: a misconfiguration cannot produce
# a fast figure.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
ALL_CONFIGS=(floor floor-ma floor-reply files files-ma sql isp)
SETTLE_S=6 # radiusd.conf cleanup_delay (5) + 1: requests are freed that long after the reply
CHUNK=${ISPBOX_BENCH_RADCLIENT_CHUNK:-5000} # packets per radclient run (see gen.py split)

die() {
  echo "bench/radius: $*" >&2
  exit 1
}
note() { echo "bench/radius: $*" >&2; }
usage() {
  sed -n '3,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

ONLY="" STATE_IN="" ISPBOXD="" VERIFY=1 PARALLEL=64 KEEP=0 CHECK_TARGETS=0 ROUNDS=3
POS=()
while [ $# -gt 0 ]; do
  case $1 in
    --only) ONLY=${2:?}; shift 2 ;;
    --state) STATE_IN=${2:?}; shift 2 ;;
    --ispboxd) ISPBOXD=${2:?}; shift 2 ;;
    --no-verify) VERIFY=0; shift ;;
    --parallel) PARALLEL=${2:?}; shift 2 ;;
    --rounds) ROUNDS=${2:?}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --check-targets) CHECK_TARGETS=1; shift ;;
    -h | --help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) POS+=("$1"); shift ;;
  esac
done
[ ${#POS[@]} -le 3 ] || usage
MODULE_DIR=${POS[0]:-$ROOT/build-rel/rlm_isp}
N=${POS[1]:-100000}
M=${POS[2]:-50000}
for v in "$N" "$M" "$PARALLEL" "$ROUNDS"; do [[ $v =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $v"; done
[ "$PARALLEL" -le 256 ] || die "--parallel above 256 makes radclient unreliable"
[ "$N" -le 999999 ] || die "N is at most 999999 (user%06d names)"

CONFIGS=()
if [ -n "$ONLY" ]; then
  IFS=, read -r -a CONFIGS <<<"$ONLY"
  for c in "${CONFIGS[@]}"; do
    [[ " ${ALL_CONFIGS[*]} " == *" $c "* ]] || die "--only: unknown configuration $c"
  done
else
  CONFIGS=("${ALL_CONFIGS[@]}")
fi
want() { [[ " ${CONFIGS[*]} " == *" $1 "* ]]; }

# ---- 1. packages ----
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  note "installing ${missing[*]}"
  if [ -n "$SUDO" ]; then command -v sudo >/dev/null || die "need root or sudo to install ${missing[*]}"; fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}
PKGS=(freeradius freeradius-utils python3 procps)
want sql && PKGS+=(postgresql freeradius-postgresql)
want isp && PKGS+=(python3-lmdb python3-protobuf protobuf-compiler curl)
install_missing "${PKGS[@]}"
[ -x "$PY" ] || die "no $PY (set PYTHON)"
if want isp; then
  "$PY" -c 'import lmdb, google.protobuf' 2>/dev/null ||
    die "$PY cannot import lmdb and google.protobuf (Debian's python3-lmdb, python3-protobuf): set PYTHON"
fi
[ -r /etc/freeradius/3.0/radiusd.conf ] ||
  die "cannot read /etc/freeradius/3.0 (owned by freerad, mode 2750): run as root or in group freerad"
if want isp; then
  [ -f "$MODULE_DIR/rlm_isp.so" ] || die "no rlm_isp.so in $MODULE_DIR (build it, or --only floor,files,sql)"
  MODULE_DIR=$(realpath "$MODULE_DIR")
  [ -x "$ROOT/scripts/freeradius-config.sh" ] || [ -f "$ROOT/scripts/freeradius-config.sh" ] ||
    die "no scripts/freeradius-config.sh"
  ISPBOXD=${ISPBOXD:-$MODULE_DIR/../appliance/ispboxd}
  if [ "$VERIFY" = 1 ] && [ -z "$STATE_IN" ] && [ ! -x "$ISPBOXD" ]; then
    die "no ispboxd at $ISPBOXD to check the state (build it, pass --ispboxd, or --no-verify)"
  fi
fi
TICKS=$(getconf CLK_TCK)

# ---- work directory and clean-up ----
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ispbox-radius-bench.XXXXXX")
chmod 755 "$WORK" # the private PostgreSQL runs as user postgres when we are root
PIDS=()
PGDATA=""
PGBIN=""
as_pg() { # initdb and pg_ctl need a current directory they can read
  if [ "$(id -u)" -eq 0 ]; then (cd "$WORK" && runuser -u postgres -- "$@"); else "$@"; fi
}
forget_pid() { # PID: no longer ours to stop
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
stop_pid() { # PID: TERM, up to 10 s, then KILL
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$? pid
  set +e
  for pid in "${PIDS[@]}"; do [ -n "$pid" ] && stop_pid "$pid"; done
  if [ -n "$PGDATA" ] && [ -f "$PGDATA/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1
    if [ -f "$PGDATA/postmaster.pid" ]; then
      pid=$(head -1 "$PGDATA/postmaster.pid")
      [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null
    fi
  fi
  if [ "$KEEP" = 1 ]; then note "work directory kept: $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

freeport() { "$PY" "$HERE/gen.py" freeport "$1"; }
SECRET=$("$PY" -c 'import secrets; print(secrets.token_hex(12))')
printf '%s\n' "$SECRET" >"$WORK/secret"
TAG="b$("$PY" -c 'import secrets; print(secrets.token_hex(3))')"

# ---- 2. data ----
S=$((N < M ? N : M)) # accounting sessions: each gets Start, then M interims round-robin
W=$((M / 5 < 1000 ? (M < 1000 ? M : 1000) : M / 5)) # warm-up Access-Requests
mkdir -p "$WORK/data"
note "generating $N subscribers and the packet files"
if want files || want files-ma || want sql; then "$PY" "$HERE/gen.py" users "$N" "$WORK/data"; fi
"$PY" "$HERE/gen.py" auth "$N" "$W" 1 "$WORK/data/auth-warmup.txt"
"$PY" "$HERE/gen.py" auth "$N" "$M" 2 "$WORK/data/auth.txt"
"$PY" "$HERE/gen.py" acct-start "$N" "$S" "$TAG" "$WORK/data/acct-start.txt"
for f in auth-warmup auth acct-start; do "$PY" "$HERE/gen.py" split "$WORK/data/$f.txt" "$CHUNK"; done

if want sql; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$PGBIN/initdb" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
  PGDIR="$WORK/pg"
  PGDATA="$PGDIR/data"
  PGPORT=$(freeport tcp) # only names the socket: the cluster listens on no TCP address
  mkdir -p "$PGDIR"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PGDIR"; fi
  note "private PostgreSQL cluster in $PGDIR"
  as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --no-sync >"$PGDIR/initdb.log" 2>&1 ||
    { cat "$PGDIR/initdb.log" >&2; die "initdb failed"; }
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDIR/postgres.log" -w -t 60 \
    -o "-c listen_addresses='' -k $PGDIR -p $PGPORT" start >/dev/null ||
    { cat "$PGDIR/postgres.log" >&2; die "PostgreSQL did not start"; }
  PGPID=$(head -1 "$PGDATA/postmaster.pid")
  psql_() { as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$PGDIR" -p "$PGPORT" -U postgres "$@"; }
  psql_ -d postgres -c 'CREATE DATABASE radius'
  psql_ -d radius </etc/freeradius/3.0/mods-config/sql/main/postgresql/schema.sql >/dev/null
  chmod 644 "$WORK/data/radcheck.tsv" "$WORK/data/radreply.tsv"
  chmod 755 "$WORK/data"
  psql_ -d radius -c "\\copy radcheck (username, attribute, op, value) FROM '$WORK/data/radcheck.tsv'"
  psql_ -d radius -c "\\copy radreply (username, attribute, op, value) FROM '$WORK/data/radreply.tsv'"
  psql_ -d radius -c 'VACUUM ANALYZE'
  PG_SETTINGS=$(psql_ -d radius -At -c "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name)
    FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'wal_sync_method')")
  PG_VERSION=$(psql_ -d radius -At -c 'SHOW server_version')
fi

if want isp; then
  STATE="$WORK/state"
  command -v protoc >/dev/null || die "no protoc"
  mkdir -p "$WORK/pb"
  protoc --python_out="$WORK/pb" -I "$ROOT/store" "$ROOT/store/records.proto"
  if [ -n "$STATE_IN" ]; then
    # A copy: the run adds sessions, which would make the next run's users "already online".
    [ -f "$STATE_IN/data.mdb" ] || die "--state $STATE_IN: no data.mdb"
    mkdir -p "$STATE"
    if command -v mdb_copy >/dev/null; then
      mdb_copy "$STATE_IN" "$STATE" || die "--state: mdb_copy $STATE_IN failed" # consistent while in use
    else
      cp "$STATE_IN/data.mdb" "$STATE/"
    fi
    SECRET=$("$PY" "$HERE/fill_store.py" nas-secret "$STATE" "$WORK/pb" 127.0.0.1) ||
      die "--state: no NAS 127.0.0.1 in $STATE_IN"
    printf '%s\n' "$SECRET" >"$WORK/secret"
    have=$("$PY" "$HERE/fill_store.py" count "$STATE" subscribers)
    [ "$have" -ge "$N" ] || die "--state: $have subscribers in $STATE_IN, fewer than N=$N"
    [ "$("$PY" "$HERE/fill_store.py" count "$STATE" sessions)" = 0 ] ||
      die "--state: $STATE_IN holds sessions: its users would be rejected as already online"
    note "using a copy of $STATE_IN: it must hold user%06d / pw%06d for 0..N-1, as fill_store.py writes"
  else
    note "writing $N subscribers into $STATE"
    "$PY" "$HERE/fill_store.py" fill "$STATE" "$N" "$SECRET" "$WORK/pb"
  fi
  # A state given with --state was written by ispbox itself (and its copy has no admin.token).
  if [ "$VERIFY" = 1 ] && [ -z "$STATE_IN" ]; then
    note "checking the state with $ISPBOXD"
    mkdir -p "$WORK/ispboxd"
    cat >"$WORK/ispboxd/ispboxd.toml" <<EOF
[state]
dir = "$STATE"
[api]
listen = "127.0.0.1"
port = 0
threads = 1
[log]
level = "warning"
EOF
    "$ISPBOXD" -c "$WORK/ispboxd/ispboxd.toml" >"$WORK/ispboxd/log" 2>&1 &
    IPID=$!
    PIDS+=("$IPID")
    for _ in $(seq 200); do
      [ -s "$STATE/api.url" ] && break
      kill -0 "$IPID" 2>/dev/null || { cat "$WORK/ispboxd/log" >&2; die "ispboxd exited on the written state"; }
      sleep 0.1
    done
    [ -s "$STATE/api.url" ] || { cat "$WORK/ispboxd/log" >&2; die "ispboxd did not start"; }
    URL=$(cat "$STATE/api.url")
    TOKEN=$(cat "$STATE/admin.token")
    get() { curl -fsS -H "Authorization: Bearer $TOKEN" "$URL$1"; }
    body=$(get /api/v1/subscribers/user000001) || die "ispboxd: GET subscribers/user000001 failed"
    grep -q '"user000001"' <<<"$body" && grep -q 'bench-20m' <<<"$body" ||
      die "ispboxd returned an unexpected subscriber: $body"
    last=$(printf 'user%06d' $((N - 1)))
    get "/api/v1/subscribers/$last" >/dev/null || die "ispboxd: GET subscribers/$last failed"
    get /api/v1/nas/bench-nas | grep -q '127.0.0.1' || die "ispboxd: NAS bench-nas not readable"
    stop_pid "$IPID"
    forget_pid "$IPID"
    rm -f "$STATE/api.url"
  fi
fi

# ---- 3. FreeRADIUS configurations ----
# A trimmed private copy of Debian's configuration (as scripts/freeradius-config.sh does), running
# as the invoking user, with one site holding the listeners and the sections under test.
ref_conf() { # NAME AUTH_PORT ACCT_PORT AUTHORIZE PREACCT ACCOUNTING [MODULE...]
  local name=$1 auth=$2 acct=$3 authorize=$4 preacct=$5 accounting=$6
  shift 6
  local d="$WORK/$name/raddb" m signing=$'\t\tok'
  # FreeRADIUS computes the value when it encodes the reply (as for rlm_isp's, which adds it in
  # its post-auth).
  if [[ $name == *-ma || $name == floor-reply ]]; then signing=$'\t\tupdate reply {\n\t\t\t&Message-Authenticator := 0x00\n\t\t}'; fi
  mkdir -p "$d" "$WORK/$name/run"
  cp -a /etc/freeradius/3.0/. "$d/"
  rm -rf "$d/certs" "$d/sites-enabled" "$d/mods-enabled"
  mkdir -p "$d/sites-enabled" "$d/mods-enabled"
  for m in always attr_filter chap expr mschap pap "$@"; do ln -s "../mods-available/$m" "$d/mods-enabled/$m"; done
  sed -i -E -e "s|^raddbdir = .*|raddbdir = $d|" -e "s|^logdir = .*|logdir = $WORK/$name|" \
    -e "s|^run_dir = .*|run_dir = $WORK/$name/run|" -e 's/^(\s*)(user|group) = /\1# \2 = /' \
    "$d/radiusd.conf"
  grep -qxF "raddbdir = $d" "$d/radiusd.conf" || die "unexpected radiusd.conf layout"
  cat >"$d/clients.conf" <<EOF
client bench {
	ipaddr = 127.0.0.1
	secret = $SECRET
}
EOF
  cat >"$d/sites-enabled/bench" <<EOF
server bench {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = $auth
	}
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = $acct
	}
	authorize {
$authorize
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
	}
	preacct {
$preacct
	}
	accounting {
$accounting
	}
	post-auth {
$signing
	}
}
EOF
}

make_conf() { # NAME AUTH_PORT ACCT_PORT
  local name=$1 auth=$2 acct=$3 d="$WORK/$1/raddb"
  case $name in
    floor | floor-ma)
      ref_conf "$name" "$auth" "$acct" $'\t\tupdate control {\n\t\t\t&Auth-Type := Accept\n\t\t}' \
        $'\t\tok' $'\t\tok'
      ;;
    floor-reply)
      # rlm_isp's Access-Accept for a subscriber of fill_store.py's plan, less the lookups: its
      # Class is "ispbox:<profile>:<plan>:<fingerprint>", 32 bytes here.
      ref_conf "$name" "$auth" "$acct" "$(
        printf '\t\tupdate control {\n\t\t\t&Cleartext-Password := &User-Password\n'
        printf '\t\t\t&Auth-Type := PAP\n\t\t}\n'
        printf '\t\tupdate reply {\n\t\t\t&Mikrotik-Rate-Limit := "10M/20M"\n'
        printf '\t\t\t&Acct-Interim-Interval := 300\n'
        printf '\t\t\t&Class := "ispbox:normal:bench-20m:00000000"\n\t\t}'
      )" $'\t\tok' $'\t\tok'
      ;;
    files | files-ma)
      ref_conf "$name" "$auth" "$acct" $'\t\tfiles\n\t\tpap' $'\t\tok' $'\t\tok' files
      cp "$WORK/data/authorize" "$d/mods-config/files/authorize"
      ;;
    sql)
      ref_conf sql "$auth" "$acct" $'\t\tsql\n\t\tpap' $'\t\tacct_unique' $'\t\tsql' sql
      # Stock module and queries; only the driver and the connection change. The pool stays
      # stock (start 5, max = thread pool max 32): a smaller max fails requests outright when
      # more threads than connections are busy.
      sed -i -E -e 's|^(\s*)dialect = "sqlite"|\1dialect = "postgresql"|' \
        -e 's|^(\s*)driver = "rlm_sql_null"|\1driver = "rlm_sql_${dialect}"|' \
        -e "s|^(\\s*)radius_db = \"radius\"|\\1radius_db = \"dbname=radius host=$PGDIR port=$PGPORT user=postgres\"|" \
        "$d/mods-available/sql"
      grep -q 'dialect = "postgresql"' "$d/mods-available/sql" &&
        grep -q 'driver = "rlm_sql_${dialect}"' "$d/mods-available/sql" &&
        grep -q "host=$PGDIR" "$d/mods-available/sql" || die "unexpected mods-available/sql layout"
      ;;
    isp)
      # A dynamic client lives 60 s in production; when it expires the packet that triggers the
      # new lookup is dropped and radclient waits out its timeout. One lookup a minute costs
      # nothing per request, so the benchmark keeps the client for the whole run.
      ISPBOX_FR_USER=self ISPBOX_FR_LOG_DIR="$WORK/isp" ISPBOX_FR_CLIENT_LIFETIME=3600 \
        bash "$ROOT/scripts/freeradius-config.sh" "$d" "$STATE" "$auth" "$acct" "$MODULE_DIR" >&2
      ;;
  esac
  chmod -R a+rX "$WORK/$name"
}

declare -A RPIDS APORT CPORT
start_server() { # NAME
  local name=$1 log="$WORK/$1/radius.log" pid
  : >"$log"
  freeradius -f -d "$WORK/$name/raddb" -l "$log" &
  pid=$!
  PIDS+=("$pid")
  RPIDS[$name]=$pid
  for _ in $(seq 1200); do
    grep -q 'Ready to process requests' "$log" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -20 "$log" >&2
  die "$name: FreeRADIUS did not start (log above, config in $WORK/$name/raddb; --keep keeps it)"
}
stop_server() { # NAME
  local pid=${RPIDS[$1]:-}
  [ -n "$pid" ] || return 0
  stop_pid "$pid"
  forget_pid "$pid"
  RPIDS[$1]=""
}

# radclient over one part of a packet file (gen.py split): PART KIND PORT OUT; appends its output
# to OUT and adds what it counted to NAME's tallies: answers (ACC REJ LOS), radclient's CPU ticks
# (TCK), time spent sending (WALL, ns)
declare -A ACC REJ LOS TCK WALL
send_part() {
  local name=$1 part=$2 kind=$3 port=$4 out=$5 a r l ts te
  ts=$(date +%s%N)
  "$PY" "$HERE/gen.py" run "$out.part-ticks" radclient -f "$part" -p "$PARALLEL" -r 3 -t 5 -s -q \
    -S "$WORK/secret" "127.0.0.1:$port" "$kind" >"$out.part" 2>&1 || true
  te=$(date +%s%N)
  cat "$out.part" >>"$out"
  read -r a r l < <("$PY" "$HERE/gen.py" stats "$out.part")
  ACC[$name]=$((${ACC[$name]:-0} + a)) REJ[$name]=$((${REJ[$name]:-0} + r))
  LOS[$name]=$((${LOS[$name]:-0} + l)) TCK[$name]=$((${TCK[$name]:-0} + $(cat "$out.part-ticks")))
  WALL[$name]=$((${WALL[$name]:-0} + te - ts)) # ns
}
tally_reset() { # NAME
  ACC[$1]=0 REJ[$1]=0 LOS[$1]=0 TCK[$1]=0 WALL[$1]=0
}

# radclient over all the parts of a packet file: FILE KIND PORT OUT; sets ACCEPTED REJECTED LOST
send() {
  local file=$1 kind=$2 port=$3 out=$4 part
  tally_reset _send
  : >"$out"
  for part in "$file".[0-9][0-9][0-9]; do send_part _send "$part" "$kind" "$port" "$out"; done
  ACCEPTED=${ACC[_send]} REJECTED=${REJ[_send]} LOST=${LOS[_send]}
}

# measure KIND ROUND FILE COUNT NAME...: one line of results.tsv (report.py reads it) per
# configuration. The configurations take turns part by part (a part is a few thousand packets,
# under a second), so load that comes and goes on the host falls on all of them alike; measured
# one after the other, a burst of it lands on whichever one is running and moves the ratios by
# more than the differences measured. Each server's CPU is read across the whole round: what it
# spends while the others have their turn (timers; rlm_isp's background commits) is its own. The
# servers must have been idle for SETTLE_S already; this waits SETTLE_S after the last answer, so
# the requests' clean-up (cleanup_delay) is counted too.
measure() {
  local kind=$1 round=$2 file=$3 count=$4 name part t0 t1 b0 b1 k0 k1 p0=0 p1=0 sum=0 label
  shift 4
  label=Access-Requests
  [ "$kind" = auth ] || label="Accounting Interim-Updates"
  local names=("$@")
  declare -A U0 S0 U1 S1 PORTS OUTS
  for name in "${names[@]}"; do
    if [ "$kind" = auth ]; then PORTS[$name]=${APORT[$name]}; else PORTS[$name]=${CPORT[$name]}; fi
    OUTS[$name]="$WORK/$name/radclient-$kind-$round.out"
    : >"${OUTS[$name]}"
    tally_reset "$name"
  done
  note "${names[*]}: $count $label each, taking turns (round $round of $ROUNDS)"
  read -r b0 k0 < <("$PY" "$HERE/gen.py" busy)
  t0=$(date +%s.%N)
  for name in "${names[@]}"; do
    read -r U0[$name] S0[$name] < <("$PY" "$HERE/gen.py" cpu radiusd "${RPIDS[$name]}")
    if [ "$name" = sql ]; then p0=$("$PY" "$HERE/gen.py" cpu pgtree "$PGPID"); fi
  done
  for part in "$file".[0-9][0-9][0-9]; do
    for name in "${names[@]}"; do
      send_part "$name" "$part" "$kind" "${PORTS[$name]}" "${OUTS[$name]}"
    done
  done
  sleep "$SETTLE_S"
  for name in "${names[@]}"; do
    read -r U1[$name] S1[$name] < <("$PY" "$HERE/gen.py" cpu radiusd "${RPIDS[$name]}")
    if [ "$name" = sql ]; then p1=$("$PY" "$HERE/gen.py" cpu pgtree "$PGPID"); fi
    # µs of radiusd (precise) against ticks for the others (all /proc offers for them).
    sum=$((sum + (U1[$name] - U0[$name] + S1[$name] - S0[$name]) * TICKS / 1000000 + TCK[$name]))
  done
  t1=$(date +%s.%N)
  read -r b1 k1 < <("$PY" "$HERE/gen.py" busy)
  for name in "${names[@]}"; do
    # Kernel threads come and go (kworkers): a negative difference is one that exited. Others:
    # whatever the host was busy with apart from the radiusds, PostgreSQL, radclient and kernel
    # threads, over the whole round (the same figure on every configuration's line).
    "$PY" - "$kind" "$name" "$round" "$count" "$TICKS" $((U1[$name] - U0[$name])) \
      $((S1[$name] - S0[$name])) $([ "$name" = sql ] && echo $(((p1 - p0) * 1000000 / TICKS)) || echo 0) \
      "$((WALL[$name] / 1000000))e-3" "$t0" "$t1" $((b1 - b0)) $((k1 - k0)) $((sum + p1 - p0)) \
      "${ACC[$name]}" "${REJ[$name]}" "${LOS[$name]}" >>"$WORK/results.tsv" <<'EOF2'
import sys
(kind, name, rnd, count, tps, ut, st, pg, wall, t0, t1, busy, kt, ours, acc, rej,
 lost) = sys.argv[1:]
tps, ut, st, pg, busy, kt, ours = map(int, (tps, ut, st, pg, busy, kt, ours))
window = float(t1) - float(t0)
kt = max(0, kt)
others = max(0, busy - kt - ours)
# ut, st, pg in µs; kt and others in clock ticks, as /proc/stat counts them.
print("\t".join(map(str, (kind, name, rnd, count, 1000000, ut, st, pg, wall,
                          round(kt * 100.0 / tps / window, 1),
                          round(others * 100.0 / tps / window, 1), acc, rej, lost))))
EOF2
    if [ "${ACC[$name]}" != "$count" ] || [ "${REJ[$name]}" != 0 ] || [ "${LOS[$name]}" != 0 ]; then
      note "$name: $kind round $round: INVALID: ${ACC[$name]} answered, ${REJ[$name]} rejected, ${LOS[$name]} lost of $count"
    fi
  done
}

: >"$WORK/results.tsv"
: >"$WORK/recorded.tsv"
echo "${CONFIGS[*]}" >"$WORK/configs"
ACCT_CONFIGS=()
# Accounting replies carry no Message-Authenticator and no reply attributes: the -ma variants and
# floor-reply would measure floor again.
for name in "${CONFIGS[@]}"; do
  [[ $name == files* || $name == *-ma || $name == floor-reply ]] || ACCT_CONFIGS+=("$name")
done

# All servers run side by side; only the one being measured gets packets.
for name in "${CONFIGS[@]}"; do
  APORT[$name]=$(freeport udp)
  CPORT[$name]=$(freeport udp)
  while [ "${CPORT[$name]}" = "${APORT[$name]}" ]; do CPORT[$name]=$(freeport udp); done
  make_conf "$name" "${APORT[$name]}" "${CPORT[$name]}"
  note "$name: FreeRADIUS on 127.0.0.1:${APORT[$name]} (auth), ${CPORT[$name]} (acct); $W warm-up Access-Requests"
  start_server "$name"
  send "$WORK/data/auth-warmup.txt" auth "${APORT[$name]}" "$WORK/$name/radclient-warmup.out"
  if [ "$ACCEPTED" != "$W" ]; then
    tail -20 "$WORK/$name/radius.log" >&2
    die "$name: warm-up: $ACCEPTED of $W accepted ($REJECTED rejected, $LOST lost): misconfigured"
  fi
done
sleep "$SETTLE_S"
for round in $(seq "$ROUNDS"); do
  measure auth "$round" "$WORK/data/auth.txt" "$M" "${CONFIGS[@]}"
done

if [ ${#ACCT_CONFIGS[@]} -gt 0 ]; then
  for name in "${ACCT_CONFIGS[@]}"; do
    note "$name: $S Accounting-Start (the sessions the interims update; also the warm-up)"
    send "$WORK/data/acct-start.txt" acct "${CPORT[$name]}" "$WORK/$name/radclient-start.out"
    [ "$ACCEPTED" = "$S" ] || note "$name: only $ACCEPTED of $S Accounting-Start answered"
  done
  sleep "$SETTLE_S"
  COMMITS=0
  for round in $(seq "$ROUNDS"); do
    # Counters grow from round to round, as a NAS's do.
    rm -f "$WORK/data/acct-interim.txt".[0-9][0-9][0-9]
    "$PY" "$HERE/gen.py" acct-interim "$N" "$S" "$M" "$TAG" "$WORK/data/acct-interim.txt" \
      $((1 + (round - 1) * ((M + S - 1) / S)))
    "$PY" "$HERE/gen.py" split "$WORK/data/acct-interim.txt" "$CHUNK"
    txn0=0
    if [ -n "${RPIDS[isp]:-}" ]; then txn0=$("$PY" "$HERE/fill_store.py" txnid "$STATE"); fi
    measure acct "$round" "$WORK/data/acct-interim.txt" "$M" "${ACCT_CONFIGS[@]}"
    if [ -n "${RPIDS[isp]:-}" ]; then
      COMMITS=$((COMMITS + $("$PY" "$HERE/fill_store.py" txnid "$STATE") - txn0))
    fi
  done
fi

# Recorded? Every session started must carry the interims' session time, in the server's own
# store; and what it takes for the answer to mean "stored durably".
UPDATED=$((S < M ? S : M))
PACKETS=$((M * ROUNDS))
for name in "${ACCT_CONFIGS[@]}"; do
  case $name in
    floor) printf 'floor\t1\tno: nothing is recorded\n' >>"$WORK/recorded.tsv" ;;
    sql)
      got=$(psql_ -d radius -At -c "SELECT count(*) FROM radacct WHERE acctsessionid LIKE '$TAG-%' AND acctsessiontime >= 300")
      if [ "$got" = "$UPDATED" ]; then
        printf 'sql\t1\tyes: PostgreSQL COMMIT before the answer (%s); %s/%s sessions updated\n' \
          "$PG_SETTINGS" "$got" "$UPDATED" >>"$WORK/recorded.tsv"
      else
        printf 'sql\t0\tradacct has %s of %s sessions with interim data\n' "$got" "$UPDATED" >>"$WORK/recorded.tsv"
      fi
      ;;
    isp)
      # Killed, not stopped: what the store holds afterwards was recorded before the answers went
      # out, not written at a clean shutdown. Interim-Updates answered from the journal are in
      # LMDB only once the next server has started and applied it, as a restarted radiusd does.
      kill -KILL "${RPIDS[isp]}" 2>/dev/null || true
      wait "${RPIDS[isp]}" 2>/dev/null || true
      forget_pid "${RPIDS[isp]}"
      RPIDS[isp]=""
      read -r _ _ exact_killed < <("$PY" "$HERE/fill_store.py" sessions "$STATE" "$WORK/pb" \
        "$TAG" "$S" "$M" "$ROUNDS")
      start_server isp
      journal=$(grep -o 'RLM_ISP_ACCOUNTING: .*' "$WORK/isp/radius.log" | tail -1)
      recovered=$(sed -n 's/.*; \([0-9]*\) left by a stopped server applied.*/\1/p' <<<"$journal")
      read -r got timed exact < <("$PY" "$HERE/fill_store.py" sessions "$STATE" "$WORK/pb" \
        "$TAG" "$S" "$M" "$ROUNDS")
      if [ -n "${ISPBOX_BENCH_ISP_ACCT_DURABILITY:-}" ]; then
        dur=$ISPBOX_BENCH_ISP_ACCT_DURABILITY
      elif grep -qE 'MDB_(NOSYNC|NOMETASYNC|MAPASYNC)' "$ROOT/store/env.cc"; then
        dur="UNKNOWN: store/env.cc sets an LMDB no-sync flag; $COMMITS commits for $PACKETS packets"
      elif [[ $journal == *"answered once journaled"* ]]; then
        # LMDB commits fsync (no no-sync flag); the journal is a shared file mapping, not fsynced.
        dur="journal: in a file mapping when answered (survives SIGKILL, not a power cut, after which each session's next update carries its counters again), in LMDB with fsync within 100 ms, $COMMITS commits for $PACKETS packets"
      else
        dur="yes: LMDB commit (fsync) before the answer, $COMMITS commits for $PACKETS packets"
        [ "$COMMITS" -ge "$PACKETS" ] || dur="$dur (group commit)"
      fi
      if [ "$got" -ge "$S" ] && [ "$exact" -eq "$UPDATED" ]; then
        printf 'isp\t1\t%s; after SIGKILL %s/%s sessions hold their last update, %s/%s once restarted (%s journaled updates applied)\n' \
          "$dur" "$exact_killed" "$UPDATED" "$exact" "$UPDATED" "${recovered:-0}" >>"$WORK/recorded.tsv"
      else
        printf 'isp\t0\tafter SIGKILL and a restart the store holds %s sessions (%s started), %s with interim data, %s with the last update (%s expected)\n' \
          "$got" "$S" "$timed" "$exact" "$UPDATED" >>"$WORK/recorded.tsv"
      fi
      ;;
  esac
done
for name in "${CONFIGS[@]}"; do stop_server "$name"; done

# ---- 5. report ----
{
  echo "RADIUS server CPU per request: $N subscribers, $M requests per measurement, radclient -p $PARALLEL on the same host"
  echo "Access-Request: PAP, $W warm-up requests first; Interim-Update: $S sessions started first, updated round-robin"
  echo "rlm_isp, floor-ma and files-ma sign Access-Accept with Message-Authenticator (BlastRADIUS); floor and files, as shipped, do not"
  echo "$(nproc) CPUs; freeradius $(dpkg-query -W -f='${Version}' freeradius)${PG_VERSION:+; PostgreSQL $PG_VERSION}; CPU = radiusd's process CPU clock (ns), PostgreSQL's utime+stime from /proc ($TICKS ticks/s)"
} >"$WORK/header.txt"
rc=0
targets=()
if [ "$CHECK_TARGETS" = 1 ]; then targets=(--check-targets); fi
"$PY" "$HERE/report.py" "$WORK" "${targets[@]}" || rc=$?
exit $rc
