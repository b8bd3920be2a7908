#!/usr/bin/env bash
# A private, throw-away PostgreSQL 15 for the tests (the ctest fixture `postgres`,
# tests/storage/postgres/CMakeLists.txt):
#
#   bash scripts/test-postgres.sh start DIR   # initdb + start; the URL is then in DIR/url
#   bash scripts/test-postgres.sh stop DIR    # stop it and remove DIR
#   bash scripts/test-postgres.sh pause DIR   # stop the server (fast), keep its data and port
#   bash scripts/test-postgres.sh resume DIR  # start it again on the same data and port
#
# The server listens on a free port of 127.0.0.1 only, its Unix socket (if any) lives in DIR,
# and it uses scram-sha-256 with a password generated here, written only into DIR/url (0600).
# Durability is off (fsync, full_page_writes): the data lives as long as one test run; with
# CA_PG_DURABLE=1 (bench/storage.sh) it is on, as in production.
# PostgreSQL refuses to run as root, so as root every server command runs as the `postgres`
# system user (created by Debian's package) and the cluster directory is owned by it.
# Installs postgresql-15 with apt-get when it is missing, like scripts/install-deps.sh.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|pause|resume DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case "$dir" in
  /*) ;;
  *) dir="$(pwd)/$dir" ;;
esac

pg_version=15
bin=/usr/lib/postgresql/$pg_version/bin

ensure_installed() {
  if [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ]; then return; fi
  local sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  echo "test-postgres: installing postgresql-$pg_version" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "postgresql-$pg_version" \
    >/dev/null
}

# Runs a server command as the user that may run it (from /, which every user may enter).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# The cluster directory: DIR/cluster when the server's user can reach it, else a private
# directory under /tmp (a build tree below a home directory of mode 0700, say). DIR/cluster-path
# records which, for `stop`.
cluster_of() {
  if [ -f "$dir/cluster-path" ]; then cat "$dir/cluster-path"; fi
}

stop_cluster() {
  local cluster
  cluster=$(cluster_of)
  if [ -n "$cluster" ] && [ -f "$cluster/data/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" stop -D "$cluster/data" -m fast -w -t 60 >/dev/null 2>&1 ||
      as_pg "$bin/pg_ctl" stop -D "$cluster/data" -m immediate -w -t 30 >/dev/null 2>&1 || true
  fi
  if [ -n "$cluster" ] && [ "$cluster" != "$dir/cluster" ]; then rm -rf -- "$cluster"; fi
  rm -rf -- "$dir"
}

random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_cluster() {
  ensure_installed
  stop_cluster  # whatever an interrupted earlier run left behind
  mkdir -p "$dir"
  chmod 0711 "$dir"  # the server's user passes through to DIR/cluster; DIR/url stays 0600
  local cluster="$dir/cluster"
  if [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$cluster"
    chown postgres: "$cluster"
    if ! runuser -u postgres -- test -w "$cluster"; then
      rmdir "$cluster"
      cluster=$(mktemp -d /tmp/connect-auth-pg.XXXXXX)
      chown postgres: "$cluster"
    fi
  else
    mkdir -p "$cluster"
  fi
  chmod 0700 "$cluster"
  echo "$cluster" >"$dir/cluster-path"

  local password
  password=$(random_hex 16)
  (umask 077 && echo "$password" >"$cluster/pwfile")
  [ "$(id -u)" -eq 0 ] && chown postgres: "$cluster/pwfile"
  # An ICU default collation (en-US orders "a" before "B") where the server has ICU, so the
  # tests prove that the schema's COLLATE "C" columns sort by byte whatever the default is.
  local init=("$bin/initdb" -D "$cluster/data" -U postgres --pwfile="$cluster/pwfile"
    --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --no-sync --no-instructions)
  if ! as_pg "${init[@]}" --locale-provider=icu --icu-locale=en-US --locale=C.UTF-8 \
    >"$cluster/initdb.log" 2>&1; then
    rm -rf -- "$cluster/data"
    as_pg "${init[@]}" --locale=C.UTF-8 >"$cluster/initdb.log" 2>&1 || {
      cat "$cluster/initdb.log" >&2
      exit 1
    }
  fi
  rm -f -- "$cluster/pwfile"

  # A socket path longer than sun_path (107 bytes) cannot be bound: then TCP only.
  local sockets="$cluster"
  [ ${#cluster} -gt 90 ] && sockets=""
  # CA_PG_DURABLE=1 (the benchmarks): commits are fsynced, as in production.
  local durable=off
  [ "${CA_PG_DURABLE:-0}" = 1 ] && durable=on
  local preload=""
  [ -f "/usr/lib/postgresql/$pg_version/lib/pg_stat_statements.so" ] && preload=pg_stat_statements
  cat >>"$cluster/data/postgresql.conf" <<EOF
# connect-auth tests (scripts/test-postgres.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockets'
max_connections = 200
shared_buffers = 32MB
fsync = $durable
synchronous_commit = $durable
full_page_writes = $durable
shared_preload_libraries = '$preload'
log_min_messages = warning
log_min_error_statement = panic
EOF

  # A random free port; if another process takes it first, the start fails and we try again.
  local port attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + $(od -An -tu2 -N2 /dev/urandom | tr -d ' ') % 40000))
    port_in_use "$port" && continue
    if as_pg "$bin/pg_ctl" start -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
      -o "-p $port" >/dev/null 2>&1; then
      (umask 077 && echo "postgresql://postgres:$password@127.0.0.1:$port/postgres" >"$dir/url")
      echo "$port" >"$dir/port"
      echo "test-postgres: PostgreSQL $pg_version on 127.0.0.1:$port, cluster $cluster" >&2
      return 0
    fi
  done
  echo "test-postgres: the server did not start; its log:" >&2
  tail -n 30 "$cluster/server.log" >&2 || true
  exit 1
}

# A database outage for the multi-node tests: connections are cut (-m fast), the data and the
# port stay, so `resume` brings back the same database at the same URL.
pause_cluster() {
  local cluster
  cluster=$(cluster_of)
  [ -n "$cluster" ] && [ -f "$cluster/data/postmaster.pid" ] || {
    echo "test-postgres: no running cluster in $dir" >&2
    exit 1
  }
  as_pg "$bin/pg_ctl" stop -D "$cluster/data" -m fast -w -t 60 >/dev/null
}

resume_cluster() {
  local cluster port
  cluster=$(cluster_of)
  port=$(cat "$dir/port")
  [ -n "$cluster" ] && [ -n "$port" ] || {
    echo "test-postgres: no cluster in $dir" >&2
    exit 1
  }
  as_pg "$bin/pg_ctl" start -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
    -o "-p $port" >/dev/null
}

case "$cmd" in
  start) start_cluster ;;
  stop) stop_cluster ;;
  pause) pause_cluster ;;
  resume) resume_cluster ;;
  *) usage ;;
esac
