#!/usr/bin/env bash
# End-to-end HTTP benchmark of connect-auth against an nginx ceiling, on this machine, over
# loopback only. See bench/README.md for what is measured and how to read the table.
#
#   bench/run.sh [--quick] [--binary PATH] [--duration S] [--connections N] ...   (--help)
#
# Everything it starts (connect-auth, nginx, wrk) runs from a private temporary directory and is
# stopped on exit; nothing is sent anywhere but 127.0.0.1. Results: a table on stdout and JSON
# in build/bench-results.json (outside git).
set -euo pipefail

BENCH_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd -- "$BENCH_DIR/.." && pwd)

# ------------------------------------------------------------------ settings (flags override env)
DURATION=${BENCH_DURATION:-}
WARMUP=${BENCH_WARMUP:-}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-1}
SERVER_THREADS=${BENCH_SERVER_THREADS:-1 2}
TRANSPORTS=${BENCH_TRANSPORTS:-https http}
BASE_KEYS=${BENCH_BASE_KEYS:-1000}
BULK_KEYS=${BENCH_KEYS:-100000}
KEYS_TRANSPORT=${BENCH_KEYS_TRANSPORT:-http}
KEYS_THREADS=${BENCH_KEYS_THREADS:-1}
BINARY=${BENCH_BINARY:-$REPO_DIR/build/src/connect-auth}
NGINX=${BENCH_NGINX:-/usr/sbin/nginx}
OUTPUT=${BENCH_OUTPUT:-$REPO_DIR/build/bench-results.json}
PIN=${BENCH_PIN:-1}
BODY_BYTES_DEFAULT=380  # nginx body size when no token response is available (--only nginx)
ONLY=all                # all | nginx
DO_KEYS=1
DO_ACCESS_LOG=1
QUICK=0
KEEP=0
STRICT=0
REPEAT=${BENCH_REPEAT:-1}
WAIT_IDLE=${BENCH_WAIT_IDLE:-0}
BUSY_LIMIT=15  # % of all CPUs used by others before a run above which figures are suspect

usage() {
  cat <<EOF
usage: bench/run.sh [options]

Measures, with wrk over loopback keep-alive connections:
  nginx fixed token-sized JSON body (the ceiling), (b) v3 token issuance, (c) GET /rest/v3/accounts,
  over HTTPS and plain HTTP, with 1 and 2 server threads; idle RSS on a fresh data dir and with
  ${BULK_KEYS} API keys; (d) issuance with ${BULK_KEYS} keys vs ${BASE_KEYS} keys.

options (environment variable in brackets):
  --quick               ~1-minute run: --duration 2 --warmup 1 (unless given explicitly)
  --binary PATH         connect-auth binary [BENCH_BINARY] (default: build/src/connect-auth)
  --duration S          seconds per measurement [BENCH_DURATION] (default 10)
  --warmup S            seconds of discarded load before each measurement [BENCH_WARMUP] (default 2)
  --repeat N            measure everything N times, in rotation, and report the median [BENCH_REPEAT]
                        (default 1)
  --connections N       wrk connections [BENCH_CONNECTIONS] (default 64)
  --wrk-threads N       wrk threads [BENCH_WRK_THREADS] (default 1)
  --threads "1 2"       server thread counts to test [BENCH_SERVER_THREADS]
  --transports "https http"  [BENCH_TRANSPORTS]
  --keys N              API keys for the memory/lookup test [BENCH_KEYS] (default 100000)
  --base-keys N         baseline key count for (d) [BENCH_BASE_KEYS] (default 1000)
  --no-keys             skip the bulk-key memory and (d) measurements
  --no-access-log-run   skip the extra run with the access log on
  --no-pin              never pin with taskset [BENCH_PIN=0]
  --only nginx          measure only the nginx ceiling (no connect-auth binary needed)
  --output PATH         JSON results [BENCH_OUTPUT] (default build/bench-results.json)
  --wait-idle S         on a shared machine: before the run and before each measurement, wait
                        until other processes leave the CPUs idle (below ${BUSY_LIMIT}% busy), spending
                        at most S seconds waiting in all [BENCH_WAIT_IDLE] (default 0: never wait)
  --strict              exit 1 if a target is missed or a run saw errors
  --keep                keep the temporary directory (logs, configs, data dir)
  -h, --help            this text
EOF
}

die() {
  echo "bench: error: $*" >&2
  exit 1
}
say() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

while (($# > 0)); do
  case $1 in
    --quick) QUICK=1 ;;
    --binary) BINARY=${2:?--binary needs a path}; shift ;;
    --duration) DURATION=${2:?}; shift ;;
    --warmup) WARMUP=${2:?}; shift ;;
    --repeat) REPEAT=${2:?}; shift ;;
    --connections) CONNECTIONS=${2:?}; shift ;;
    --wrk-threads) WRK_THREADS=${2:?}; shift ;;
    --threads) SERVER_THREADS=${2:?}; shift ;;
    --transports) TRANSPORTS=${2:?}; shift ;;
    --keys) BULK_KEYS=${2:?}; shift ;;
    --base-keys) BASE_KEYS=${2:?}; shift ;;
    --no-keys) DO_KEYS=0 ;;
    --no-access-log-run) DO_ACCESS_LOG=0 ;;
    --no-pin) PIN=0 ;;
    --only) ONLY=${2:?}; shift ;;
    --output) OUTPUT=${2:?}; shift ;;
    --strict) STRICT=1 ;;
    --wait-idle) WAIT_IDLE=${2:?}; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
  shift
done

if [[ -z $DURATION ]]; then DURATION=$((QUICK ? 2 : 10)); fi
if [[ -z $WARMUP ]]; then WARMUP=$((QUICK ? 1 : 2)); fi

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
for pair in "duration:$DURATION" "warmup:$WARMUP" "connections:$CONNECTIONS" \
  "wrk-threads:$WRK_THREADS" "keys:$BULK_KEYS" "base-keys:$BASE_KEYS" \
  "keys-threads:$KEYS_THREADS" "wait-idle:$WAIT_IDLE" "repeat:$REPEAT"; do
  is_uint "${pair#*:}" || die "--${pair%%:*} must be a non-negative integer (got '${pair#*:}')"
done
((DURATION >= 1 && DURATION <= 600)) || die "--duration must be 1..600 seconds"
((WARMUP <= 60)) || die "--warmup must be 0..60 seconds"
((WAIT_IDLE <= 3600)) || die "--wait-idle must be 0..3600 seconds"
((REPEAT >= 1 && REPEAT <= 20)) || die "--repeat must be 1..20"
((CONNECTIONS >= WRK_THREADS && WRK_THREADS >= 1 && CONNECTIONS <= 10000)) ||
  die "need 1 <= wrk threads <= connections <= 10000"
((BASE_KEYS >= 1 && BULK_KEYS > BASE_KEYS && BULK_KEYS <= 10000000)) ||
  die "need 1 <= --base-keys < --keys <= 10000000"
read -r -a THREAD_LIST <<<"$SERVER_THREADS"
read -r -a TRANSPORT_LIST <<<"$TRANSPORTS"
((${#THREAD_LIST[@]} > 0 && ${#TRANSPORT_LIST[@]} > 0)) || die "empty --threads or --transports"
for t in "${THREAD_LIST[@]}" "$KEYS_THREADS"; do
  { is_uint "$t" && ((t >= 1 && t <= 256)); } || die "server thread counts must be 1..256 (got '$t')"
done
for t in "${TRANSPORT_LIST[@]}" "$KEYS_TRANSPORT"; do
  [[ $t == http || $t == https ]] || die "transports are 'https' and 'http' (got '$t')"
done
[[ $ONLY == all || $ONLY == nginx ]] || die "--only takes 'nginx'"

# ------------------------------------------------------------------ prerequisites
for tool in wrk curl python3 openssl timeout; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "'$tool' is missing (scripts/install-deps.sh bench installs the benchmark tools)"
done
[[ -x $NGINX ]] || die "no nginx at $NGINX (apt-get install nginx-light)"
NCPU=$(nproc)
if ((PIN)) && ! command -v taskset >/dev/null 2>&1; then
  say "taskset not found: running without CPU pinning"
  PIN=0
fi
if [[ $ONLY == all ]]; then
  [[ -x $BINARY ]] || die "connect-auth binary not found at $BINARY
  build it: cmake -S . -B build -G Ninja && ninja -C build connect-auth   (or pass --binary PATH)"
  BINARY=$(cd -- "$(dirname -- "$BINARY")" && pwd)/$(basename -- "$BINARY")
  if ((DO_KEYS)) && ! command -v sqlite3 >/dev/null 2>&1; then
    say "installing sqlite3 (Debian package) to bulk-load API keys"
    sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    DEBIAN_FRONTEND=noninteractive timeout 300 "${sudo_cmd[@]}" \
      apt-get install -y -qq --no-install-recommends sqlite3 >/dev/null ||
      die "could not install sqlite3; install it or pass --no-keys"
  fi
else
  DO_KEYS=0
  DO_ACCESS_LOG=0
fi
# A stray CONNECT_AUTH_* variable in the caller's environment would change what is measured.
while IFS= read -r name; do
  say "ignoring $name from the environment"
  unset "$name"
done < <(compgen -e | grep '^CONNECT_AUTH_' || true)

# ------------------------------------------------------------------ process bookkeeping
WORK=$(mktemp -d "${TMPDIR:-/tmp}/connect-auth-bench.XXXXXX")
TRACKED=()  # pids of everything started in the background

track() { TRACKED+=("$1"); }
untrack() {
  local keep=() p
  for p in "${TRACKED[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  TRACKED=("${keep[@]}")
}
alive() {  # running and not a zombie
  local state
  state=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}
# Stops one process we started: SIGTERM, up to 10 s to exit, then SIGKILL.
stop_pid() {
  local pid=$1 i
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      say "pid $pid ignored SIGTERM for 10 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
  untrack "$pid"
}
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${TRACKED[@]}"; do stop_pid "$pid"; done
  if ((KEEP)); then
    say "kept $WORK"
  else
    rm -rf -- "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
json_get() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
json_str() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }
# Percentage of all CPUs busy over 0.3 s: load from other processes (a build, a test run)
# skews every figure, so it is sampled before each measurement and reported.
cpu_busy_pct() {
  local f1 f2 t1=0 t2=0 i1 i2 v
  read -r -a f1 </proc/stat
  sleep 0.3
  read -r -a f2 </proc/stat
  for v in "${f1[@]:1:8}"; do t1=$((t1 + v)); done
  for v in "${f2[@]:1:8}"; do t2=$((t2 + v)); done
  i1=$((f1[4] + f1[5]))
  i2=$((f2[4] + f2[5]))
  if ((t2 > t1)); then echo $((100 * ((t2 - t1) - (i2 - i1)) / (t2 - t1))); else echo 0; fi
}
# Waits, within what is left of the --wait-idle budget, until the CPUs have stayed below
# BUSY_LIMIT for $1 seconds in a row. Returns at once when --wait-idle is 0.
IDLE_BUDGET_END=$((SECONDS + WAIT_IDLE))
wait_for_idle() {
  local quiet_needed=$1 quiet_start=$SECONDS busy next_note=$SECONDS
  while ((SECONDS < IDLE_BUDGET_END)); do
    busy=$(cpu_busy_pct)
    if ((busy > BUSY_LIMIT)); then
      quiet_start=$SECONDS
      if ((SECONDS >= next_note)); then
        say "waiting for other load to stop (CPUs ${busy}% busy; $((IDLE_BUDGET_END - SECONDS)) s of --wait-idle left)"
        next_note=$((SECONDS + 60))
      fi
      sleep 1
    elif ((SECONDS - quiet_start >= quiet_needed)); then
      return 0
    fi
  done
}
# CPU time (utime + stime, clock ticks, all threads) of process $1 and its direct children:
# connect-auth is one process; nginx's work is done by the master's worker children.
proc_tree_ticks() {
  local pids=("$1") kids f p line fields total=0
  for f in /proc/"$1"/task/*/children; do
    kids=()
    read -r -a kids <"$f" 2>/dev/null || true
    pids+=("${kids[@]}")
  done
  for p in "${pids[@]}"; do
    line=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    read -r -a fields <<<"${line##*) }"
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
rss_kb() { awk -v k="${2:-VmRSS}:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

META="$WORK/meta.jsonl"        # one {"key": value} object per line, merged by report.py
RESULTS="$WORK/results.jsonl"  # one object per measurement
: >"$META"
: >"$RESULTS"
meta() { printf '{"%s": %s}\n' "$1" "$2" >>"$META"; }

# CPU pinning for a run with $1 server threads: the server on CPUs 0..T-1 and wrk on the rest,
# when there are more CPUs than server threads; otherwise everything shares all CPUs.
SERVER_PIN=()
WRK_PIN=()
PIN_DESC=""
plan_pinning() {
  local t=$1
  if ((PIN && NCPU > t)); then
    SERVER_PIN=(taskset -c "0-$((t - 1))")
    WRK_PIN=(taskset -c "$t-$((NCPU - 1))")
    PIN_DESC="server CPU 0-$((t - 1)), wrk CPU $t-$((NCPU - 1))"
  else
    SERVER_PIN=()
    WRK_PIN=()
    PIN_DESC="none (server and wrk share $NCPU CPUs)"
  fi
}

# Polls URL until it answers 200; gives up after $3 seconds or when process $2 has exited.
wait_ready() {
  local url=$1 pid=$2 limit=$3 log=$4 deadline code
  deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    alive "$pid" || die "process $pid exited before it was ready; log: $(tail -n 5 "$log" 2>/dev/null)"
    code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 1 "$url" 2>/dev/null || true)
    [[ $code == 200 ]] && return 0
    sleep 0.1
  done
  die "$url not ready after ${limit}s; log: $(tail -n 5 "$log" 2>/dev/null)"
}

# ------------------------------------------------------------------ connect-auth
SERVER_PID=""
SERVER_URL=""
SERVER_SEQ=0
STARTUP_MS=0
# start_server DATA_DIR TRANSPORT THREADS ACCESS_LOG(true|false) [READY_TIMEOUT_S]
start_server() {
  local data=$1 transport=$2 threads=$3 access=$4 limit=${5:-30} port log t0
  port=$(free_port)
  SERVER_SEQ=$((SERVER_SEQ + 1))
  log="$WORK/server-$SERVER_SEQ.log"
  local args=(--data-dir "$data" serve --listen "127.0.0.1:$port" --threads "$threads")
  if [[ $transport == http ]]; then args+=(--insecure-http); fi
  t0=$(date +%s%N)
  # env and taskset exec the server, so $! is the server's own pid (for /proc/PID/status).
  env CONNECT_AUTH_LOG_ACCESS="$access" "${SERVER_PIN[@]}" "$BINARY" "${args[@]}" \
    >"$log.out" 2>"$log" </dev/null &
  SERVER_PID=$!
  track "$SERVER_PID"
  SERVER_URL="$transport://127.0.0.1:$port"
  wait_ready "$SERVER_URL/health/ready" "$SERVER_PID" "$limit" "$log"
  STARTUP_MS=$((($(date +%s%N) - t0) / 1000000))
}
stop_server() {
  if [[ -n $SERVER_PID ]]; then stop_pid "$SERVER_PID"; fi
  SERVER_PID=""
}

cli() { timeout 60 "$BINARY" --data-dir "$DATA" "$@" </dev/null; }

TOKEN=""
TOKEN_BYTES=0
fetch_token() {  # $1: server URL. Sets TOKEN and TOKEN_BYTES; checks /rest/v3/accounts too.
  local body="$WORK/token-response.json" code
  code=$(curl -sk --max-time 5 -o "$body" -w '%{http_code}' -X POST -H "user: $USER_HEADER" \
    "$1/rest/v3/oauth/token?grant_type=client_credentials") || die "token request to $1 failed"
  [[ $code == 200 ]] || die "token request answered $code: $(head -c 300 "$body")"
  TOKEN=$(json_get access_token <"$body")
  TOKEN_BYTES=$(wc -c <"$body")
  code=$(curl -sk --max-time 5 -o "$WORK/accounts.json" -w '%{http_code}' \
    -H "Authorization: Bearer $TOKEN" "$1/rest/v3/accounts") || die "accounts request failed"
  [[ $code == 200 ]] || die "GET /rest/v3/accounts answered $code: $(head -c 300 "$WORK/accounts.json")"
  grep -q "$ACCOUNT_GUID" "$WORK/accounts.json" || die "the bench account is missing from /rest/v3/accounts"
}

tls_info() {  # "$1:$2" -> "TLSv1.3 TLS_AES_256_GCM_SHA384 X25519" as negotiated by default
  timeout 5 openssl s_client -brief -connect "$1:$2" </dev/null 2>&1 |
    awk -F': ' '/^Protocol version/ { p = $2 } /^Ciphersuite/ { c = $2 }
      /^(Server|Peer) Temp Key/ { split($2, k, ","); g = k[1] }
      END { print p " " c " " g }' || true
}

# ------------------------------------------------------------------ measurement
# Context of the next measurement, recorded with it.
CUR_SERVER=""
CUR_TRANSPORT=""
CUR_THREADS=0
CUR_KEYS=0
CUR_ACCESS=false
CUR_REP=1
# measure SCENARIO URL LUA_SCRIPT [PID_FOR_RSS]
measure() {
  local scenario=$1 url=$2 script="$BENCH_DIR/wrk/$3.lua" pid=${4:-} out line rss_idle=0 rss_after=0
  local busy
  wait_for_idle 2
  if [[ $3 == bearer ]]; then  # a fresh token, in case waiting took longer than its lifetime
    fetch_token "${url%%/rest/*}"
    export BENCH_BEARER_TOKEN=$TOKEN
  fi
  busy=$(cpu_busy_pct)
  if ((busy > BUSY_LIMIT)); then say "warning: CPUs ${busy}% busy before this run (other processes)"; fi
  if [[ -n $pid ]]; then rss_idle=$(rss_kb "$pid"); fi
  local wrk_cmd=(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" --timeout 5s -s "$script")
  if ((WARMUP > 0)); then
    "${WRK_PIN[@]}" timeout $((WARMUP + 30)) "${wrk_cmd[@]}" -d"${WARMUP}s" "$url" \
      >/dev/null 2>&1 || say "warm-up of $scenario $CUR_TRANSPORT T=$CUR_THREADS failed"
  fi
  local ticks0=0 ticks1=0 t0 t1
  if [[ -n $pid ]]; then ticks0=$(proc_tree_ticks "$pid"); fi
  t0=$(date +%s%N)
  out=$("${WRK_PIN[@]}" timeout $((DURATION + 30)) "${wrk_cmd[@]}" -d"${DURATION}s" "$url" 2>&1) ||
    die "wrk failed for $scenario $url: $out"
  t1=$(date +%s%N)
  if [[ -n $pid ]]; then ticks1=$(proc_tree_ticks "$pid"); fi
  line=$(grep '^BENCH_RESULT ' <<<"$out" | sed 's/^BENCH_RESULT //' || true)
  [[ -n $line ]] || die "wrk printed no result for $scenario $url: $out"
  if [[ -n $pid ]]; then rss_after=$(rss_kb "$pid"); fi
  printf '{"scenario": "%s", "server": "%s", "transport": "%s", "threads": %d, "keys": %d, "access_log": %s, "pinning": "%s", "wrk_threads": %d, "connections": %d, "duration_s": %d, "rss_kb_before": %d, "rss_kb_after": %d, "cpu_busy_pct_before": %d, "repetition": %d, "server_cpu_s": %s, "wall_s": %s, "wrk": %s}\n' \
    "$scenario" "$CUR_SERVER" "$CUR_TRANSPORT" "$CUR_THREADS" "$CUR_KEYS" "$CUR_ACCESS" \
    "$PIN_DESC" "$WRK_THREADS" "$CONNECTIONS" "$DURATION" "$rss_idle" "$rss_after" "$busy" "$CUR_REP" \
    "$(awk -v t=$((ticks1 - ticks0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", t / hz }')" \
    "$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", ns / 1e9 }')" "$line" \
    >>"$RESULTS"
  python3 - "$line" "$scenario" "$CUR_TRANSPORT" "$CUR_THREADS" "$CUR_KEYS" "$CUR_REP/$REPEAT" <<'PY' >&2
import json, sys
r = json.loads(sys.argv[1]); l = r["latency_us"]; e = r["errors"]
bad = sum(e.values())
rep = "" if sys.argv[6].endswith("/1") else f" #{sys.argv[6]}"
keys = f" keys={sys.argv[5]}" if int(sys.argv[5]) > 1 else ""
print(f"[bench]   {sys.argv[2]:<16} {sys.argv[3]:<5} T={sys.argv[4]}{keys}{rep}: {r['rps']:>9,.0f} req/s  "
      f"p50 {l['p50']/1000:.2f} ms  p99 {l['p99']/1000:.2f} ms" + (f"  ERRORS {e}" if bad else ""))
PY
}

# ------------------------------------------------------------------ nginx
NGINX_PID=""
NGINX_HTTP_PORT=0
NGINX_HTTPS_PORT=0
NGINX_BODY_BYTES=0
start_nginx() {  # WORKERS BODY_BYTES CERT KEY
  local workers=$1 prefix="$WORK/nginx-$1" body
  mkdir -p "$prefix"
  NGINX_HTTP_PORT=$(free_port)
  NGINX_HTTPS_PORT=$(free_port)
  # A body shaped like a token response, padded to the same number of bytes.
  body=$(python3 -c 'import sys
n = int(sys.argv[1]); head = "{\"expires_in\":\"1200\",\"token_type\":\"Bearer\",\"access_token\":\""
print(head + "x" * max(0, n - len(head) - 2) + "\"}")' "$2")
  NGINX_BODY_BYTES=${#body}
  sed -e "s|@WORKERS@|$workers|g" -e "s|@PREFIX@|$prefix|g" -e "s|@CERT@|$3|g" \
    -e "s|@KEY@|$4|g" -e "s|@HTTP_PORT@|$NGINX_HTTP_PORT|g" \
    -e "s|@HTTPS_PORT@|$NGINX_HTTPS_PORT|g" -e "s|@BODY@|$body|g" \
    "$BENCH_DIR/nginx.conf.in" >"$prefix/nginx.conf"
  timeout 30 "$NGINX" -q -t -p "$prefix/" -e "$prefix/error.log" -c "$prefix/nginx.conf" ||
    die "nginx rejected $prefix/nginx.conf: $(tail -n 5 "$prefix/error.log" 2>/dev/null)"
  "${SERVER_PIN[@]}" "$NGINX" -p "$prefix/" -e "$prefix/error.log" -c "$prefix/nginx.conf" \
    >"$prefix/stdout.log" 2>&1 </dev/null &
  NGINX_PID=$!
  track "$NGINX_PID"
  wait_ready "http://127.0.0.1:$NGINX_HTTP_PORT/" "$NGINX_PID" 15 "$prefix/error.log"
  wait_ready "https://127.0.0.1:$NGINX_HTTPS_PORT/" "$NGINX_PID" 15 "$prefix/error.log"
}
stop_nginx() {
  if [[ -n $NGINX_PID ]]; then stop_pid "$NGINX_PID"; fi
  NGINX_PID=""
}

# ------------------------------------------------------------------ bulk API keys
# Adds random keys, all owned by the bench user and linked to the bench account, until the
# database in $1 holds $2 keys. Their secret hashes are random: they are never used to authenticate.
# The server must be stopped (it loads everything at start).
fill_keys() {  # DATA_DIR WANTED_KEYS
  local db="$1/connect-auth.db" want=$2 have add col
  for col in api_id user_id secret_hash generation created_at updated_at; do
    [[ $(sqlite3 "$db" "SELECT count(*) FROM pragma_table_info('api_keys') WHERE name = '$col'") == 1 ]] ||
      die "api_keys has no column $col: the schema changed; update fill_keys in bench/run.sh"
  done
  have=$(sqlite3 "$db" "SELECT count(*) FROM api_keys")
  add=$((want - have))
  ((add > 0)) || return 0
  # API ids: 25 symbols of [A-Z0-9] like real ones (upper-case hex is a subset), random so the
  # key index sees a realistic spread rather than one long shared prefix.
  timeout 300 sqlite3 "$db" <<SQL || die "bulk insert of $add API keys failed"
.bail on
.timeout 10000
BEGIN IMMEDIATE;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $add)
INSERT INTO api_keys (api_id, user_id, secret_hash, generation, created_at, updated_at)
SELECT substr(hex(randomblob(13)), 1, 25), $USER_ID, randomblob(32), 1,
       CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER)
FROM n;
INSERT INTO api_key_accounts (api_id, account_guid)
SELECT api_id, '$ACCOUNT_GUID' FROM api_keys
WHERE api_id NOT IN (SELECT api_id FROM api_key_accounts);
COMMIT;
SQL
  have=$(sqlite3 "$db" "SELECT count(*) FROM api_keys")
  ((have == want)) || die "expected $want API keys after the bulk insert, found $have"
}

# ================================================================== the run
wait_for_idle 5
busy=$(cpu_busy_pct)
meta cpu_busy_pct_at_start "$busy"
if ((busy > BUSY_LIMIT)); then
  say "warning: other processes use ${busy}% of the CPUs: figures will be unreliable"
fi
say "work dir $WORK; $NCPU CPUs; wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s, ${WARMUP}s warm-up"
meta config "$(python3 -c 'import json, sys
a = sys.argv
print(json.dumps({"duration_s": int(a[1]), "warmup_s": int(a[2]), "connections": int(a[3]),
  "wrk_threads": int(a[4]), "server_threads": [int(t) for t in a[5].split()],
  "transports": a[6].split(), "base_keys": int(a[7]), "bulk_keys": int(a[8]),
  "keys_transport": a[9], "keys_threads": int(a[10]), "pin": a[11] == "1", "cpus": int(a[12]),
  "quick": a[13] == "1", "only": a[14], "repeat": int(a[15])}))' \
  "$DURATION" "$WARMUP" "$CONNECTIONS" "$WRK_THREADS" \
  "$SERVER_THREADS" "$TRANSPORTS" "$BASE_KEYS" "$BULK_KEYS" "$KEYS_TRANSPORT" "$KEYS_THREADS" \
  "$PIN" "$NCPU" "$QUICK" "$ONLY" "$REPEAT")"
meta host "$(json_str "$(uname -srm); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')")"
meta tools "$(json_str "$(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2); $("$NGINX" -v 2>&1 | cut -d' ' -f3); $(openssl version | cut -d' ' -f1-2)")"
meta git "$(json_str "$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo "no commit")")"

CERT=""
CERT_KEY=""
BODY_BYTES=""  # nginx body size: the first token response's size
TLS_CONNECT_AUTH=""
TLS_NGINX=""

if [[ $ONLY == all ]]; then
  meta binary "$(json_str "$BINARY")"
  meta binary_mtime "$(json_str "$(date -r "$BINARY" '+%Y-%m-%d %H:%M:%S')")"
  # Run a copy: a rebuild during the run must not swap the binary between measurements.
  cp -- "$BINARY" "$WORK/connect-auth"
  BINARY="$WORK/connect-auth"

  # --- idle memory on a fresh data dir (same transport and threads as the key runs below)
  plan_pinning "$KEYS_THREADS"
  say "fresh data dir: starting connect-auth ($KEYS_TRANSPORT, $KEYS_THREADS thread(s)) for idle RSS"
  start_server "$WORK/fresh" "$KEYS_TRANSPORT" "$KEYS_THREADS" false
  sleep 1
  meta rss_fresh_kb "$(rss_kb "$SERVER_PID")"
  meta startup_fresh_ms "$STARTUP_MS"
  stop_server

  # --- records: one account, one user with a role on it, one real API key
  DATA="$WORK/data"
  say "creating the bench account, user and API key with the admin CLI"
  ACCOUNT_GUID=$(cli --json account create --company "Bench Co" --country US | json_get accountGuid)
  USER_ID=$(printf '%s\n' 'bench-password-1' |
    timeout 60 "$BINARY" --data-dir "$DATA" --json user create --user-name bench@example.test |
    json_get userId)
  cli user grant --user-name bench@example.test --account "$ACCOUNT_GUID" --role ADMINISTRATOR >/dev/null
  key_json=$(cli --json key create --user-name bench@example.test --account "$ACCOUNT_GUID")
  API_ID=$(json_get apiId <<<"$key_json")
  API_SECRET=$(json_get apiSecret <<<"$key_json")
  USER_HEADER=$(printf '%s:%s' "$API_ID" "$API_SECRET" | base64 -w0)
  export BENCH_USER_HEADER=$USER_HEADER
  [[ $USER_ID =~ ^[0-9]+$ && -n $ACCOUNT_GUID && -n $API_ID ]] || die "unexpected CLI output"
fi

ensure_nginx_cert() {  # connect-auth's dev certificate when there is one, else a generated one
  [[ -z $CERT ]] || return 0
  if [[ -f ${DATA:-/nonexistent}/tls/dev-cert.pem ]]; then
    CERT="$DATA/tls/dev-cert.pem"
    CERT_KEY="$DATA/tls/dev-key.pem"
    meta nginx_certificate '"connect-auth development certificate (shared)"'
  else
    CERT="$WORK/cert.pem"
    CERT_KEY="$WORK/key.pem"
    timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout "$CERT_KEY" -out "$CERT" -days 2 -subj /CN=localhost \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1 ||
      die "openssl could not create a certificate for nginx"
    meta nginx_certificate '"generated ECDSA P-256 self-signed certificate"'
  fi
}
nginx_url() {  # TRANSPORT -> URL of the running nginx
  if [[ $1 == https ]]; then
    echo "https://127.0.0.1:$NGINX_HTTPS_PORT/rest/v3/oauth/token"
  else
    echo "http://127.0.0.1:$NGINX_HTTP_PORT/rest/v3/oauth/token"
  fi
}

# Main runs. For each thread count and transport, the nginx ceiling and (b) and (c) are measured
# back to back (repeated --repeat times in rotation), so that drift in the machine's speed hits
# the ceiling and the figures compared with it alike. nginx stays up, idle, while connect-auth
# is measured, and the other way round.
for threads in "${THREAD_LIST[@]}"; do
  plan_pinning "$threads"
  say "== $threads server thread(s); pinning: $PIN_DESC"
  CUR_THREADS=$threads
  CUR_ACCESS=false
  for transport in "${TRANSPORT_LIST[@]}"; do
    CUR_TRANSPORT=$transport
    if [[ $ONLY == all ]]; then
      start_server "$DATA" "$transport" "$threads" false
      fetch_token "$SERVER_URL"
      if [[ -z $BODY_BYTES ]]; then BODY_BYTES=$TOKEN_BYTES; fi
      if [[ $transport == https && -z $TLS_CONNECT_AUTH ]]; then
        TLS_CONNECT_AUTH=$(tls_info 127.0.0.1 "${SERVER_URL##*:}")
      fi
    fi
    if [[ -z $NGINX_PID ]]; then
      ensure_nginx_cert
      start_nginx "$threads" "${BODY_BYTES:-$BODY_BYTES_DEFAULT}" "$CERT" "$CERT_KEY"
      if [[ -z $TLS_NGINX ]]; then TLS_NGINX=$(tls_info 127.0.0.1 "$NGINX_HTTPS_PORT"); fi
    fi
    for ((rep = 1; rep <= REPEAT; rep++)); do
      CUR_REP=$rep
      CUR_SERVER=nginx CUR_KEYS=0
      measure nginx "$(nginx_url "$transport")" get "$NGINX_PID"
      if [[ $ONLY == all ]]; then
        CUR_SERVER=connect-auth CUR_KEYS=1
        measure token "$SERVER_URL/rest/v3/oauth/token?grant_type=client_credentials" token "$SERVER_PID"
        measure accounts "$SERVER_URL/rest/v3/accounts" bearer "$SERVER_PID"
      fi
    done
    stop_server
  done
  stop_nginx
done
meta nginx_body_bytes "$NGINX_BODY_BYTES"
meta token_response_bytes "$TOKEN_BYTES"
meta tls_connect_auth "$(json_str "$TLS_CONNECT_AUTH")"
meta tls_nginx "$(json_str "$TLS_NGINX")"

if ((DO_ACCESS_LOG)); then
  threads=${THREAD_LIST[0]}
  transport=${TRANSPORT_LIST[0]}
  plan_pinning "$threads"
  say "== extra: access log on ($transport, $threads thread(s))"
  CUR_SERVER=connect-auth CUR_TRANSPORT=$transport CUR_THREADS=$threads CUR_KEYS=1 CUR_ACCESS=true
  start_server "$DATA" "$transport" "$threads" true
  fetch_token "$SERVER_URL"
  for ((rep = 1; rep <= REPEAT; rep++)); do
    CUR_REP=$rep
    measure token_access_log "$SERVER_URL/rest/v3/oauth/token?grant_type=client_credentials" token "$SERVER_PID"
  done
  stop_server
fi

if ((DO_KEYS)); then
  # Two copies of the bench data dir (same records, same signing key), one filled to
  # BASE_KEYS keys and one to BULK_KEYS; both servers run side by side, idle while the other is
  # measured, and are measured alternately.
  plan_pinning "$KEYS_THREADS"
  say "== (d) issuance and memory with $BASE_KEYS vs $BULK_KEYS API keys ($KEYS_TRANSPORT, $KEYS_THREADS thread(s); pinning: $PIN_DESC)"
  CUR_SERVER=connect-auth CUR_TRANSPORT=$KEYS_TRANSPORT CUR_THREADS=$KEYS_THREADS CUR_ACCESS=false
  declare -A KEY_PID=() KEY_URL=()
  for keys in "$BASE_KEYS" "$BULK_KEYS"; do
    cp -a -- "$DATA" "$WORK/data-$keys"
    t0=$(date +%s%N)
    fill_keys "$WORK/data-$keys" "$keys"
    say "   $keys keys in the database (insert took $((($(date +%s%N) - t0) / 1000000)) ms)"
    start_server "$WORK/data-$keys" "$KEYS_TRANSPORT" "$KEYS_THREADS" false 120
    meta "startup_${keys}_keys_ms" "$STARTUP_MS"
    sleep 1
    meta "rss_${keys}_keys_kb" "$(rss_kb "$SERVER_PID")"
    KEY_PID[$keys]=$SERVER_PID
    KEY_URL[$keys]=$SERVER_URL
    fetch_token "$SERVER_URL"
  done
  for ((rep = 1; rep <= REPEAT; rep++)); do
    CUR_REP=$rep
    for keys in "$BASE_KEYS" "$BULK_KEYS"; do
      CUR_KEYS=$keys
      measure token_keys "${KEY_URL[$keys]}/rest/v3/oauth/token?grant_type=client_credentials" token "${KEY_PID[$keys]}"
    done
  done
  for keys in "$BASE_KEYS" "$BULK_KEYS"; do
    meta "hwm_${keys}_keys_kb" "$(rss_kb "${KEY_PID[$keys]}" VmHWM)"
    stop_pid "${KEY_PID[$keys]}"
  done
  SERVER_PID=""
fi

mkdir -p "$(dirname -- "$OUTPUT")"
report_args=(--results "$RESULTS" --meta "$META" --output "$OUTPUT")
if ((STRICT)); then report_args+=(--strict); fi
python3 "$BENCH_DIR/report.py" "${report_args[@]}"
