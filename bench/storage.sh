#!/usr/bin/env bash
# The storage benchmark (issue "many nodes, one database"), in one run on this machine:
# v3 token issuance and the durable v4 refresh grant on
#   (a) one node on SQLite (the default), (b) one node on PostgreSQL 15, (c) two nodes on it,
# reporting requests/s, server CPU per request (all nodes' utime+stime over the measured
# window) and, on PostgreSQL, the database's CPU and its transactions and statements per refresh
# (pg_stat_statements: COMMITs and all statements, logins and feed polls included). PostgreSQL runs durable (fsync, synchronous_commit on), in a
# private cluster on 127.0.0.1 (scripts/test-postgres.sh), stopped on exit with everything else.
# These machines have two cores: compare CPU per request, not throughput, across (b) and (c).
#
#   bench/storage.sh [--no-build] [--duration S] [--connections N] [--keep]
set -euo pipefail

BENCH_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd -- "$BENCH_DIR/.." && pwd)
BUILD_DIR=${BENCH_BUILD_DIR:-$REPO_DIR/build-bench}
DURATION=10
WARMUP=2
CONNECTIONS=32
BUILD=1
KEEP=0
while (($#)); do
  case $1 in
    --no-build) BUILD=0 ;;
    --duration) DURATION=${2:?}; shift ;;
    --connections) CONNECTIONS=${2:?}; shift ;;
    --build-dir) BUILD_DIR=${2:?}; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (--help)" >&2; exit 2 ;;
  esac
  shift
done
say() { echo "storage-bench: $*" >&2; }
die() { say "$*"; exit 1; }
for tool in wrk curl python3 psql; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing (scripts/install-deps.sh bench)"
done
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^CONNECT_AUTH_' || true)

if ((BUILD)); then
  say "building connect-auth and v4load in $BUILD_DIR"
  cmake -S "$REPO_DIR" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCONNECT_AUTH_TESTS=OFF -DCONNECT_AUTH_BENCH=ON >/dev/null
  cmake --build "$BUILD_DIR" --target connect-auth v4load >/dev/null
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/connect-auth-storage-bench.XXXXXX")
cp -- "$BUILD_DIR/src/connect-auth" "$WORK/connect-auth"
BINARY=$WORK/connect-auth
LOADGEN=$BUILD_DIR/bench/v4load/v4load
[[ -x $LOADGEN ]] || die "v4load not found at $LOADGEN"

PIDS=()
cleanup() {
  local rc=$? pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -f $WORK/pg/url ]] && bash "$REPO_DIR/scripts/test-postgres.sh" stop "$WORK/pg" >/dev/null 2>&1
  if ((KEEP)); then say "kept $WORK"; else rm -rf -- "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
json_get() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
cpu_ticks() {  # utime+stime of the given pids, in clock ticks
  local total=0 pid f
  for pid in "$@"; do
    read -r -a f < <(sed -E 's/^.*\) //' "/proc/$pid/stat")
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}
HZ=$(getconf CLK_TCK)
# utime+stime of every PostgreSQL process (the database's own CPU), in clock ticks.
pg_ticks() {
  local total=0 pid f
  for pid in $(pgrep -x postgres || true); do
    read -r -a f < <(sed -E 's/^.*\) //' "/proc/$pid/stat" 2>/dev/null) || continue
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

say "starting a durable PostgreSQL 15"
CA_PG_DURABLE=1 bash "$REPO_DIR/scripts/test-postgres.sh" start "$WORK/pg" >/dev/null 2>&1 ||
  die "PostgreSQL did not start"
ADMIN_URL=$(cat "$WORK/pg/url")
with_db() { python3 -c 'import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$ADMIN_URL" "$1"; }
psql_q() { psql "$1" -XAtq -c "$2"; }
psql_q "$ADMIN_URL" "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null

RESULTS=$WORK/results.jsonl
: >"$RESULTS"

# run NAME STORE_URL NODES: seeds a fresh store, starts NODES servers on it, measures.
run() {
  local name=$1 url=$2 nodes=$3 data=$WORK/$1 i port
  mkdir -p "$data"
  export CONNECT_AUTH_STORE_URL=$url
  local cli=(timeout 60 "$BINARY" --data-dir "$data")
  local guid user=bench@example.test password="bench-password-$RANDOM$RANDOM"
  guid=$("${cli[@]}" --json account create --company "Bench Co" --country US | json_get accountGuid)
  printf '%s\n' "$password" | "${cli[@]}" user create --user-name "$user" >/dev/null
  "${cli[@]}" user grant --user-name "$user" --account "$guid" --role ADMINISTRATOR >/dev/null
  local key
  key=$("${cli[@]}" --json key create --user-name "$user" --account "$guid")
  export BENCH_USER_HEADER
  BENCH_USER_HEADER=$(printf '%s:%s' "$(json_get apiId <<<"$key")" "$(json_get apiSecret <<<"$key")" | base64 -w0)
  local urls=() pids=()
  for ((i = 0; i < nodes; i++)); do
    port=$(free_port)
    "$BINARY" --data-dir "$data" serve --listen "127.0.0.1:$port" --insecure-http \
      >"$data/node$i.out" 2>"$data/node$i.log" </dev/null &
    pids+=($!)
    PIDS+=($!)
    urls+=("http://127.0.0.1:$port")
    until curl -sf -o /dev/null "http://127.0.0.1:$port/health/ready"; do sleep 0.1; done
  done
  # --- durable refresh, the connections split over the nodes, one v4load per node
  local pg_db="" outs=()
  [[ $url == postgresql* ]] && pg_db=${url##*/}
  export V4LOAD_PASSWORD=$password
  local db0 db1
  db0=$(pg_ticks)
  [[ -n $pg_db ]] && psql_q "$ADMIN_URL" "SELECT pg_stat_statements_reset()" >/dev/null
  for ((i = 0; i < nodes; i++)); do
    "$LOADGEN" refresh --url "${urls[$i]}" --user "$user" -c $((CONNECTIONS / nodes)) \
      -d "$DURATION" -w "$WARMUP" --server-pid "${pids[$i]}" >"$data/refresh$i.json" &
    outs+=($!)
  done
  for i in "${outs[@]}"; do wait "$i"; done
  db1=$(pg_ticks)
  local after_tx=0 statements=0
  if [[ -n $pg_db ]]; then
    # pg_stat_statements counts at each statement's end (pg_stat_database may lag by seconds):
    # COMMITs are the transactions, every other statement of this database the statements.
    after_tx=$(psql_q "$ADMIN_URL" "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$pg_db' AND s.query = 'COMMIT'")
    statements=$(psql_q "$ADMIN_URL" "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$pg_db' AND s.query NOT ILIKE '%pg_stat%'")
  fi
  # --- v3 issuance (never touches the store), wrk on the first node
  local v3 c0 c1
  c0=$(cpu_ticks "${pids[0]}")
  v3=$(wrk -t1 -c16 -d"${DURATION}s" -s "$BENCH_DIR/wrk/token.lua" \
    "${urls[0]}/rest/v3/oauth/token?grant_type=client_credentials" 2>&1 |
    awk '/Requests\/sec/ {print $2}')
  c1=$(cpu_ticks "${pids[0]}")
  python3 - "$name" "$nodes" "$HZ" "$db0" "$db1" 0 "$after_tx" "$statements" \
    "$v3" "$c0" "$c1" "$DURATION" "$data"/refresh*.json >>"$RESULTS" <<'PY'
import json, sys
name, nodes, hz, t0, t1, tx0, tx1, st, v3, c0, c1, dur = sys.argv[1:13]
runs = [json.load(open(f)) for f in sys.argv[13:]]
ok = sum(r["window"]["ok"] for r in runs)
errors = sum(r["whole_run"]["errors"] for r in runs)
# Server CPU within v4load's measured window (after its logins and warm-up), summed over nodes.
whole = sum(r["whole_run"]["ok"] for r in runs) or 1
cpu_s = sum(r["server_cpu_s"] for r in runs)
v3_rps = float(v3 or 0)
print(json.dumps({
  "config": name, "nodes": int(nodes),
  "refresh_per_s": round(sum(r["rps"] for r in runs), 1), "refresh_errors": errors,
  "refresh_p99_ms": max(r["latency_ms"]["p99"] for r in runs),
  "server_cpu_us_per_refresh": round(cpu_s * 1e6 / ok, 1) if ok else None,
  # The database's CPU over the whole load (logins and warm-up included), per refresh.
  "db_cpu_us_per_refresh": (round((int(t1) - int(t0)) / int(hz) * 1e6 / whole, 1)
                            if name.startswith("pg") else None),
  "pg_transactions_per_refresh": round(int(tx1) / whole, 2) if int(tx1) else None,
  "pg_statements_per_refresh": round(int(st) / whole, 2) if int(st) else None,
  "v3_per_s": round(v3_rps, 1),
  "server_cpu_us_per_v3": round((int(c1) - int(c0)) / int(hz) * 1e6 / (v3_rps * float(dur)), 1) if v3_rps else None,
}))
PY
  for i in "${pids[@]}"; do kill -TERM "$i"; wait "$i" 2>/dev/null || true; done
  PIDS=()
  unset CONNECT_AUTH_STORE_URL
}

say "(a) one node, SQLite"
run sqlite_1node "sqlite://$WORK/sqlite_1node/connect-auth.db" 1
for n in 1 2; do
  psql_q "$ADMIN_URL" "CREATE DATABASE bench_pg_${n}node" >/dev/null
  say "($([[ $n == 1 ]] && echo b || echo c)) $n node(s), PostgreSQL"
  run "pg_${n}node" "$(with_db "bench_pg_${n}node")" "$n"
done

python3 - "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cols = ["config", "refresh_per_s", "server_cpu_us_per_refresh", "db_cpu_us_per_refresh",
        "pg_transactions_per_refresh",
        "pg_statements_per_refresh", "refresh_p99_ms", "refresh_errors", "v3_per_s",
        "server_cpu_us_per_v3"]
print("| " + " | ".join(cols) + " |")
print("|" + "---|" * len(cols))
for r in rows:
    print("| " + " | ".join("–" if r.get(c) is None else str(r.get(c)) for c in cols) + " |")
base = next(r for r in rows if r["config"] == "sqlite_1node")["server_cpu_us_per_refresh"]
for r in rows:
    if r["config"] != "sqlite_1node" and base and r["server_cpu_us_per_refresh"]:
        print(f"{r['config']}: refresh server CPU {r['server_cpu_us_per_refresh'] / base:.2f}x SQLite's")
PY
