#!/usr/bin/env bash
# Installs everything connect-auth needs to build, test and benchmark: Debian's apt packages, and
# for the tests the npm packages of tests/node (from its package-lock.json, with `npm ci`).
# Idempotent: packages already present are skipped without touching the network.
set -euo pipefail

build_pkgs=(
  cmake ninja-build ccache g++ pkg-config git curl openssl
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsodium-dev libsqlite3-dev libsqlitecpp-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libcurl4-openssl-dev libpq-dev
)
test_pkgs=(
  libgtest-dev libgmock-dev libbenchmark-dev libcpp-jwt-dev
  clang-14 libclang-rt-14-dev python3 python3-requests python3-requests-oauthlib nodejs
  postgresql-15 haproxy
)
bench_pkgs=(wrk nginx-light procps sqlite3)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node may come from outside Debian (e.g. a preinstalled v20); any node >= 18 has fetch.
if command -v node >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs/}")
fi
# npm comes with a preinstalled node; Debian packages it apart from nodejs.
if [ "${1:-build}" != build ] && ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -ne 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The integration tests' Node programs (tests/node) use npm packages pinned by its
# package-lock.json: `npm ci` when node_modules is missing or older than the lock file (npm
# rewrites node_modules/.package-lock.json at every install).
if [ "${1:-build}" != build ]; then
  node_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/node"
  if [ -f "$node_dir/package-lock.json" ] &&
     { [ ! -f "$node_dir/node_modules/.package-lock.json" ] ||
       [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; }; then
    command -v npm >/dev/null 2>&1 || { echo "install-deps: npm is required" >&2; exit 1; }
    echo "install-deps: npm ci in tests/node" >&2
    (cd "$node_dir" && npm ci --no-audit --no-fund >/dev/null)
  fi
fi
