#!/usr/bin/env bash
# Installs, from Debian's apt only, everything connect-auth needs to build, test and benchmark.
# Idempotent: packages already present are skipped without touching the network.
set -euo pipefail

build_pkgs=(
  cmake ninja-build ccache g++ pkg-config git curl openssl
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsodium-dev libsqlite3-dev libsqlitecpp-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
)
test_pkgs=(
  libgtest-dev libgmock-dev libbenchmark-dev libcpp-jwt-dev
  clang-14 libclang-rt-14-dev python3 python3-requests nodejs
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
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
