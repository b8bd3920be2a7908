#!/usr/bin/env bash
# The v4 benchmark, in one run on this machine (see bench/README.md, "v4 benchmark"):
#   1. `openssl speed rsa2048` sign rate (1 core, and -multi <cores> for context);
#   2. the raw argon2id rate at the parameters of the stored password hash, on as many threads
#      as the server's password pool;
#   3. the v4 REFRESH_TOKEN grant (durable), chained, C connections;
#   4. the v4 PASSWORD grant, rate vs (2);
#   5. v3 token latency (paced wrk) alone and while PASSWORD grants saturate their pool.
# Targets: (3) >= 70 % of (1), (4) >= 90 % of (2), v3 p99 under (4)'s load < 5 ms.
#
#   bench/v4.sh [--quick] [--no-build] [--duration S] ...   (--help)
#
# Everything it starts runs from a private temporary directory over 127.0.0.1 and is stopped on
# exit. Results: a table on stdout and JSON in build-bench/bench-v4-results.json (outside git).
set -euo pipefail

BENCH_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd -- "$BENCH_DIR/.." && pwd)

# ------------------------------------------------------------------ settings (flags override env)
BUILD_DIR=${BENCH_BUILD_DIR:-$REPO_DIR/build-bench}
BINARY=${BENCH_BINARY:-}
LOADGEN=${BENCH_V4LOAD:-}
DURATION=${BENCH_DURATION:-}
WARMUP=${BENCH_WARMUP:-}
SPEED_SECONDS=${BENCH_SPEED_SECONDS:-}
TRANSPORT=${BENCH_TRANSPORT:-https}
SERVER_THREADS=${BENCH_SERVER_THREADS:-0}  # 0: the server's default (one per core)
REFRESH_CONNECTIONS=${BENCH_REFRESH_CONNECTIONS:-32}
PASSWORD_CONNECTIONS=${BENCH_PASSWORD_CONNECTIONS:-8}
PROBE_CONNECTIONS=${BENCH_PROBE_CONNECTIONS:-4}
PROBE_DELAY_MS=${BENCH_PROBE_DELAY_MS:-10}
POOL=${BENCH_PASSWORD_POOL:-$(nproc)}  # the server's password.workers default: one per core
OUTPUT=${BENCH_OUTPUT:-}
WAIT_IDLE=${BENCH_WAIT_IDLE:-0}
SERVER_SETTINGS=()  # --set KEY=VALUE: server config keys, passed as CONNECT_AUTH_* variables
BUILD=1
QUICK=0
KEEP=0
STRICT=0
BUSY_LIMIT=15  # % of all CPUs used by others before a measurement above which figures are suspect

usage() {
  cat <<EOF
usage: bench/v4.sh [options]

Measures, over loopback: openssl speed rsa2048; raw argon2id (libsodium) on the password pool's
thread count; the v4 refresh grant (chained, durable) and password grant with bench/v4load; v3
token p50/p99 with a paced wrk, idle and while password grants saturate their pool.

options (environment variable in brackets):
  --quick                 short run: --duration 3 --warmup 1 --speed-seconds 3 (unless given)
  --no-build              use the binaries as they are (default: cmake-build them first)
  --build-dir DIR         where to build [BENCH_BUILD_DIR] (default build-bench)
  --binary PATH           connect-auth binary [BENCH_BINARY] (default DIR/src/connect-auth)
  --v4load PATH           load generator [BENCH_V4LOAD] (default DIR/bench/v4load/v4load)
  --duration S            measured seconds per load [BENCH_DURATION] (default 10)
  --warmup S              seconds of discarded load before each [BENCH_WARMUP] (default 2)
  --speed-seconds S       openssl speed -seconds [BENCH_SPEED_SECONDS] (default 10)
  --transport https|http  [BENCH_TRANSPORT] (default https, the dev certificate as CA)
  --threads N             server event-loop threads, 0 = its default [BENCH_SERVER_THREADS]
  --refresh-connections N [BENCH_REFRESH_CONNECTIONS] (default 32; one refresh family each)
  --password-connections N  [BENCH_PASSWORD_CONNECTIONS] (default 8)
  --probe-connections N   wrk connections for the v3 probe [BENCH_PROBE_CONNECTIONS] (default 4)
  --probe-delay-ms MS     pause per probe connection between requests [BENCH_PROBE_DELAY_MS]
                          (default 10)
  --set KEY=VALUE         a server config key for this run, e.g. --set grants.workers=8
                          (repeatable; passed as CONNECT_AUTH_GRANTS_WORKERS=8; default: none)
  --pool N                argon2 threads = the server's password pool [BENCH_PASSWORD_POOL]
                          (default: CPU count, the server's default)
  --output PATH           JSON results [BENCH_OUTPUT] (default DIR/bench-v4-results.json)
  --wait-idle S           on a shared machine: before each measurement, wait until other
                          processes leave the CPUs idle (below ${BUSY_LIMIT}% busy for 3 s), spending
                          at most S seconds waiting in all [BENCH_WAIT_IDLE] (default 0: never wait)
  --strict                exit 1 if a target is missed or a run saw errors
  --keep                  keep the temporary directory (server log, data dir)
  -h, --help              this text
EOF
}

die() {
  echo "v4 bench: error: $*" >&2
  exit 1
}
say() { echo "[v4 bench $(date +%H:%M:%S)] $*" >&2; }

while (($# > 0)); do
  case $1 in
    --quick) QUICK=1 ;;
    --no-build) BUILD=0 ;;
    --build-dir) BUILD_DIR=${2:?}; shift ;;
    --binary) BINARY=${2:?}; shift ;;
    --v4load) LOADGEN=${2:?}; shift ;;
    --duration) DURATION=${2:?}; shift ;;
    --warmup) WARMUP=${2:?}; shift ;;
    --speed-seconds) SPEED_SECONDS=${2:?}; shift ;;
    --transport) TRANSPORT=${2:?}; shift ;;
    --threads) SERVER_THREADS=${2:?}; shift ;;
    --refresh-connections) REFRESH_CONNECTIONS=${2:?}; shift ;;
    --password-connections) PASSWORD_CONNECTIONS=${2:?}; shift ;;
    --probe-connections) PROBE_CONNECTIONS=${2:?}; shift ;;
    --probe-delay-ms) PROBE_DELAY_MS=${2:?}; shift ;;
    --pool) POOL=${2:?}; shift ;;
    --set) SERVER_SETTINGS+=("${2:?}"); shift ;;
    --output) OUTPUT=${2:?}; shift ;;
    --wait-idle) WAIT_IDLE=${2:?}; shift ;;
    --strict) STRICT=1 ;;
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
  shift
done

if [[ -z $DURATION ]]; then DURATION=$((QUICK ? 3 : 10)); fi
if [[ -z $WARMUP ]]; then WARMUP=$((QUICK ? 1 : 2)); fi
if [[ -z $SPEED_SECONDS ]]; then SPEED_SECONDS=$((QUICK ? 3 : 10)); fi
BINARY=${BINARY:-$BUILD_DIR/src/connect-auth}
LOADGEN=${LOADGEN:-$BUILD_DIR/bench/v4load/v4load}
OUTPUT=${OUTPUT:-$BUILD_DIR/bench-v4-results.json}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
for pair in "duration:$DURATION" "warmup:$WARMUP" "speed-seconds:$SPEED_SECONDS" \
  "threads:$SERVER_THREADS" "refresh-connections:$REFRESH_CONNECTIONS" \
  "password-connections:$PASSWORD_CONNECTIONS" "probe-connections:$PROBE_CONNECTIONS" \
  "probe-delay-ms:$PROBE_DELAY_MS" "pool:$POOL" "wait-idle:$WAIT_IDLE"; do
  is_uint "${pair#*:}" || die "--${pair%%:*} must be a non-negative integer (got '${pair#*:}')"
done
((DURATION >= 1 && DURATION <= 600)) || die "--duration must be 1..600 seconds"
((WARMUP <= 60)) || die "--warmup must be 0..60 seconds"
((SPEED_SECONDS >= 1 && SPEED_SECONDS <= 60)) || die "--speed-seconds must be 1..60"
((REFRESH_CONNECTIONS >= 1 && PASSWORD_CONNECTIONS >= 1 && PROBE_CONNECTIONS >= 1)) ||
  die "connection counts must be at least 1"
((POOL >= 1 && POOL <= 256)) || die "--pool must be 1..256"
[[ $TRANSPORT == https || $TRANSPORT == http ]] || die "--transport is https or http"
SERVER_ENV=(CONNECT_AUTH_LOG_ACCESS=false)
for setting in "${SERVER_SETTINGS[@]}"; do
  [[ $setting =~ ^([a-z0-9_.]+)=(.*)$ ]] || die "--set takes KEY=VALUE (got '$setting')"
  key=${BASH_REMATCH[1]}
  SERVER_ENV+=("CONNECT_AUTH_$(tr '.a-z' '_A-Z' <<<"$key")=${BASH_REMATCH[2]}")
done

# ------------------------------------------------------------------ prerequisites
for tool in wrk curl python3 openssl sqlite3 timeout; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "'$tool' is missing (scripts/install-deps.sh bench installs the benchmark tools)"
done
# A stray CONNECT_AUTH_* variable would change what is measured (or stop the server starting).
while IFS= read -r name; do
  say "ignoring $name from the environment"
  unset "$name"
done < <(compgen -e | grep '^CONNECT_AUTH_' || true)

if ((BUILD)); then
  say "building connect-auth and v4load in $BUILD_DIR (RelWithDebInfo)"
  generator=()
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]] && command -v ninja >/dev/null 2>&1; then
    generator=(-G Ninja)
  fi
  cmake -S "$REPO_DIR" -B "$BUILD_DIR" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCONNECT_AUTH_TESTS=OFF -DCONNECT_AUTH_BENCH=ON >/dev/null ||
    die "cmake configure failed"
  cmake --build "$BUILD_DIR" --target connect-auth v4load -j"$(nproc)" >"$BUILD_DIR/v4-build.log" 2>&1 ||
    die "build failed; see $BUILD_DIR/v4-build.log:
$(grep -m 10 -E 'error|Error' "$BUILD_DIR/v4-build.log")"
fi
[[ -x $BINARY ]] || die "connect-auth binary not found at $BINARY (drop --no-build or pass --binary)"
[[ -x $LOADGEN ]] || die "v4load not found at $LOADGEN (drop --no-build or pass --v4load)"

# ------------------------------------------------------------------ process bookkeeping
WORK=$(mktemp -d "${TMPDIR:-/tmp}/connect-auth-v4bench.XXXXXX")
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
# Percentage of all CPUs busy over 0.3 s: other processes' load skews every figure, so it is
# sampled before each measurement and reported.
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
META="$WORK/meta.jsonl"        # one {"key": value} object per line, merged by v4_report.py
RESULTS="$WORK/results.jsonl"  # one {"name": ..., ...} object per measurement
: >"$META"
: >"$RESULTS"
meta() { printf '{"%s": %s}\n' "$1" "$2" >>"$META"; }
result() { printf '{"name": "%s", "cpu_busy_pct_before": %d, "data": %s}\n' "$1" "$2" "$3" >>"$RESULTS"; }
# Waits, within what is left of the --wait-idle budget, until the CPUs have stayed below
# BUSY_LIMIT for 3 s in a row. Returns at once when --wait-idle is 0.
IDLE_BUDGET_END=$((SECONDS + WAIT_IDLE))
wait_for_idle() {
  local quiet_start=$SECONDS busy next_note=$SECONDS
  while ((SECONDS < IDLE_BUDGET_END)); do
    busy=$(cpu_busy_pct)
    if ((busy > BUSY_LIMIT)); then
      quiet_start=$SECONDS
      if ((SECONDS >= next_note)); then
        say "waiting for other load to stop (CPUs ${busy}% busy; $((IDLE_BUDGET_END - SECONDS)) s of --wait-idle left)"
        next_note=$((SECONDS + 60))
      fi
      sleep 1
    elif ((SECONDS - quiet_start >= 3)); then
      return 0
    fi
  done
}
check_busy() {  # waits (--wait-idle), then prints the busy % and warns about it
  local busy
  wait_for_idle
  busy=$(cpu_busy_pct)
  if ((busy > BUSY_LIMIT)); then say "warning: CPUs ${busy}% busy before this run (other processes)"; fi
  echo "$busy"
}

# ------------------------------------------------------------------ connect-auth
cp -- "$BINARY" "$WORK/connect-auth"  # a rebuild during the run must not swap the binary
BINARY="$WORK/connect-auth"
DATA="$WORK/data"
cli() { timeout 60 "$BINARY" --data-dir "$DATA" "$@" </dev/null; }

SERVER_PID=""
SERVER_URL=""
start_server() {
  local port args
  port=$(free_port)
  args=(--data-dir "$DATA" serve --listen "127.0.0.1:$port")
  if ((SERVER_THREADS > 0)); then args+=(--threads "$SERVER_THREADS"); fi
  if [[ $TRANSPORT == http ]]; then args+=(--insecure-http); fi
  env "${SERVER_ENV[@]}" "$BINARY" "${args[@]}" >"$WORK/server.out" 2>"$WORK/server.log" </dev/null &
  SERVER_PID=$!
  track "$SERVER_PID"
  SERVER_URL="$TRANSPORT://127.0.0.1:$port"
  local deadline=$((SECONDS + 30)) code
  while ((SECONDS < deadline)); do
    alive "$SERVER_PID" || die "connect-auth exited at start: $(tail -n 5 "$WORK/server.log")"
    code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 1 "$SERVER_URL/health/ready" || true)
    [[ $code == 200 ]] && return 0
    sleep 0.1
  done
  die "connect-auth not ready after 30 s: $(tail -n 5 "$WORK/server.log")"
}

CURL_TLS=()
v4_post() {  # BODY_FILE OUT_FILE -> prints the status
  curl -s "${CURL_TLS[@]}" --max-time 30 -o "$2" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data-binary "@$1" "$SERVER_URL/rest/v4/oauth/token" ||
    echo 000
}

# ================================================================== the run
say "work dir $WORK; $(nproc) CPUs; ${DURATION}s per load after ${WARMUP}s warm-up"
meta config "$(python3 -c 'import json, sys
a = sys.argv
print(json.dumps({"duration_s": int(a[1]), "warmup_s": int(a[2]), "speed_seconds": int(a[3]),
  "transport": a[4], "server_threads": int(a[5]), "refresh_connections": int(a[6]),
  "password_connections": int(a[7]), "probe_connections": int(a[8]),
  "probe_delay_ms": int(a[9]), "password_pool": int(a[10]), "quick": a[11] == "1",
  "cpus": int(a[12]), "server_settings": a[13:]}))' "$DURATION" "$WARMUP" "$SPEED_SECONDS" "$TRANSPORT" "$SERVER_THREADS" \
  "$REFRESH_CONNECTIONS" "$PASSWORD_CONNECTIONS" "$PROBE_CONNECTIONS" "$PROBE_DELAY_MS" "$POOL" \
  "$QUICK" "$(nproc)" "${SERVER_SETTINGS[@]}")"
meta host "$(json_str "$(uname -srm); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')")"
meta tools "$(json_str "$(openssl version | cut -d' ' -f1-2); $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)")"
meta git "$(json_str "$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo "no commit")")"
meta binary_mtime "$(json_str "$(date -r "$BINARY" '+%Y-%m-%d %H:%M:%S')")"
meta cpu_busy_pct_at_start "$(check_busy)"

# --- records: one account, one user with a role on it (the v4 logins), one API key (v3 probe)
USER_NAME=v4bench@example.test
PASSWORD="v4-bench-password-$RANDOM$RANDOM"
say "seeding a fresh data dir with the admin CLI"
ACCOUNT_GUID=$(cli --json account create --company "Bench Co" --country US | json_get accountGuid)
printf '%s\n' "$PASSWORD" | timeout 60 "$BINARY" --data-dir "$DATA" --json user create \
  --user-name "$USER_NAME" >/dev/null || die "user create failed"
cli user grant --user-name "$USER_NAME" --account "$ACCOUNT_GUID" --role ADMINISTRATOR >/dev/null
key_json=$(cli --json key create --user-name "$USER_NAME" --account "$ACCOUNT_GUID")
export BENCH_USER_HEADER
BENCH_USER_HEADER=$(printf '%s:%s' "$(json_get apiId <<<"$key_json")" \
  "$(json_get apiSecret <<<"$key_json")" | base64 -w0)

start_server
CA="$DATA/tls/dev-cert.pem"
LOAD_TLS=()
if [[ $TRANSPORT == https ]]; then
  [[ -f $CA ]] || die "no development certificate at $CA"
  CURL_TLS=(--cacert "$CA")
  LOAD_TLS=(--ca "$CA")
fi
export V4LOAD_PASSWORD=$PASSWORD

# --- is v4 there? One login and one refresh, checked before anything is measured. Bodies go
# through files in the private work dir: secrets on a command line show up in `ps`.
python3 -c 'import json, os, sys
print(json.dumps({"scope": "OFFLINE_ACCESS", "userName": sys.argv[1],
                  "password": os.environ["V4LOAD_PASSWORD"], "grantType": "PASSWORD"}))' \
  "$USER_NAME" >"$WORK/login-request.json"
code=$(v4_post "$WORK/login-request.json" "$WORK/login.json")
[[ $code == 200 ]] || die "PASSWORD login answered $code: $(head -c 300 "$WORK/login.json")"
python3 -c 'import json, sys
print(json.dumps({"scope": "OFFLINE_ACCESS", "refreshToken": json.load(sys.stdin)["refreshToken"],
                  "grantType": "REFRESH_TOKEN"}))' <"$WORK/login.json" >"$WORK/refresh-request.json" ||
  die "the login response has no refreshToken: $(head -c 300 "$WORK/login.json")"
code=$(v4_post "$WORK/refresh-request.json" "$WORK/refresh.json")
[[ $code == 200 ]] || die "REFRESH_TOKEN grant answered $code: $(head -c 300 "$WORK/refresh.json")"
say "v4 PASSWORD and REFRESH_TOKEN grants answer 200"

# --- the parameters the server verifies passwords at: those of the stored hash (after a login,
# in case the server rehashes on login).
stored=$(sqlite3 -readonly "file:$DATA/connect-auth.db?mode=ro" \
  "SELECT password_hash FROM users WHERE user_name = '$USER_NAME'" 2>/dev/null || true)
[[ $stored =~ ^\$argon2id\$v=19\$m=([0-9]+),t=([0-9]+),p=([0-9]+)\$ ]] ||
  die "cannot read the argon2id parameters of the stored hash (got '${stored:0:40}')"
HASH_M=${BASH_REMATCH[1]} HASH_T=${BASH_REMATCH[2]} HASH_P=${BASH_REMATCH[3]}
meta stored_hash_parameters "$(json_str "m=$HASH_M,t=$HASH_T,p=$HASH_P")"
if [[ $HASH_M != 19456 || $HASH_T != 2 || $HASH_P != 1 ]]; then
  say "note: the stored hash uses m=$HASH_M,t=$HASH_T,p=$HASH_P, not the configured m=19456,t=2,p=1;"
  say "      the raw argon2id rate is measured at the stored parameters (what the server verifies)"
fi

# --- 1. RSA-2048 sign rate (the server is idle)
speed() {  # extra openssl args... -> sign/s from the last "+F2:" line of -mr output
  timeout $((4 * SPEED_SECONDS + 60)) openssl speed -mr -seconds "$SPEED_SECONDS" "$@" rsa2048 2>/dev/null |
    awk -F: '/^\+F2:/ { v = $4 } END { if (v == "") exit 1; print v }'
}
say "1. openssl speed -seconds $SPEED_SECONDS rsa2048 (1 core, then -multi $(nproc))"
busy=$(check_busy)
sign1=$(speed) || die "openssl speed failed"
multi=$(nproc)
signN=$(speed -multi "$multi") || die "openssl speed -multi failed"
result openssl_speed "$busy" "{\"sign_per_s_1\": $sign1, \"sign_per_s_multi\": $signN, \"multi\": $multi}"
say "   RSA-2048 sign: $sign1/s on 1 core, $signN/s with -multi $multi"

# --- 2. raw argon2id
say "2. raw argon2id m=$HASH_M t=$HASH_T on $POOL threads"
busy=$(check_busy)
out=$("$LOADGEN" argon2 --threads "$POOL" --memory-kib "$HASH_M" --iterations "$HASH_T" \
  -d "$DURATION" -w "$WARMUP") || die "v4load argon2 failed"
result argon2 "$busy" "$out"

# load MODE CONNECTIONS [DURATION] -> v4load's JSON line (with the server's CPU in the window)
load() {
  local mode=$1 conns=$2 duration=${3:-$DURATION}
  timeout $((duration + WARMUP + 300)) "$LOADGEN" "$mode" --url "$SERVER_URL" "${LOAD_TLS[@]}" \
    --user "$USER_NAME" -c "$conns" -d "$duration" -w "$WARMUP" --server-pid "$SERVER_PID" ||
    die "v4load $mode failed (server log: $(tail -n 3 "$WORK/server.log"))"
}
summary() {  # JSON line -> one progress line
  python3 - "$1" <<'PY' >&2
import json, sys
d = json.loads(sys.argv[1]); l = d["latency_ms"]; w = d["window"]
extra = f"  503: {w['unavailable_503']}  429: {w['throttled_429']}" if d["mode"] == "password" else ""
errs = (f"  ERRORS: {w['errors']} (whole run {d['whole_run']['errors']})"
        if d["whole_run"]["errors"] else "")
print(f"   {d['mode']}: {d['rps']:,.1f}/s  p50 {l['p50']:.2f} ms  p99 {l['p99']:.2f} ms{extra}{errs}")
PY
}

# --- 3. refresh grant
say "3. v4 refresh grant: $REFRESH_CONNECTIONS connections, one chained family each"
busy=$(check_busy)
out=$(load refresh "$REFRESH_CONNECTIONS")
result refresh "$busy" "$out"
summary "$out"

# --- 4. password grant, then raw argon2id again: the machine's speed drifts by several per
# cent within minutes, so the reference is the mean of a measurement before and one right after.
say "4. v4 password grant: $PASSWORD_CONNECTIONS connections, no scope (no refresh family)"
busy=$(check_busy)
out=$(load password "$PASSWORD_CONNECTIONS")
result password "$busy" "$out"
summary "$out"
say "4b. raw argon2id again, right after the password grants"
busy=$(check_busy)
out=$("$LOADGEN" argon2 --threads "$POOL" --memory-kib "$HASH_M" --iterations "$HASH_T" \
  -d "$DURATION" -w "$WARMUP") || die "v4load argon2 failed"
result argon2_after "$busy" "$out"

# --- 5. v3 latency, paced wrk, alone and under password load
probe() {  # -> wrk's BENCH_RESULT JSON
  local out line
  out=$(BENCH_DELAY_MS=$PROBE_DELAY_MS timeout $((DURATION + 30)) wrk -t1 -c"$PROBE_CONNECTIONS" \
    --timeout 5s -d"${DURATION}s" -s "$BENCH_DIR/wrk/token_paced.lua" \
    "$SERVER_URL/rest/v3/oauth/token?grant_type=client_credentials" 2>&1) || die "wrk failed: $out"
  line=$(grep '^BENCH_RESULT ' <<<"$out" | sed 's/^BENCH_RESULT //' || true)
  [[ -n $line ]] || die "wrk printed no result: $out"
  echo "$line"
}
say "5a. v3 token p99, paced wrk -c$PROBE_CONNECTIONS (${PROBE_DELAY_MS} ms pause), server otherwise idle"
busy=$(check_busy)
out=$(probe)
result v3_idle "$busy" "$out"

say "5b. the same while $PASSWORD_CONNECTIONS connections saturate the password pool"
busy=$(check_busy)
# The password load starts first and runs its warm-up, then wrk measures inside its window,
# which is 1 s longer than wrk's so that the pool stays saturated until wrk is done.
load password "$PASSWORD_CONNECTIONS" $((DURATION + 1)) >"$WORK/password-under-probe.json" &
LOAD_PID=$!
track "$LOAD_PID"
sleep "$WARMUP"
sleep 0.2  # the window opens after the load generator's setup, too
out=$(probe)
wait "$LOAD_PID" || die "the password load under the v3 probe failed"
untrack "$LOAD_PID"
result v3_under_password "$busy" "$out"
result password_under_probe "$busy" "$(cat "$WORK/password-under-probe.json")"
summary "$(cat "$WORK/password-under-probe.json")"

# --- the server must still be healthy, and report its RSS
alive "$SERVER_PID" || die "connect-auth died during the run: $(tail -n 5 "$WORK/server.log")"
meta server_rss_kb_end "$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$SERVER_PID/status")"
meta server_hwm_kb "$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$SERVER_PID/status")"
stop_pid "$SERVER_PID"
SERVER_PID=""
if grep -qiE '"level":"(error|critical)"|\[(error|critical)\]' "$WORK/server.log"; then
  say "the server logged errors: $(grep -iE 'error|critical' "$WORK/server.log" | head -n 3)"
  meta server_log_errors "$(json_str "$(grep -iE 'error|critical' "$WORK/server.log" | head -n 5)")"
fi

mkdir -p "$(dirname -- "$OUTPUT")"
report_args=(--results "$RESULTS" --meta "$META" --output "$OUTPUT")
if ((STRICT)); then report_args+=(--strict); fi
python3 "$BENCH_DIR/v4_report.py" "${report_args[@]}"
