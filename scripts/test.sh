#!/usr/bin/env bash
# The README's test command (and what .ci/run calls): installs what is missing (apt), builds, and
# runs every test:
#   1. the release build: unit tests + integration tests against the real binary (CTest);
#   2. an ASan+UBSan build: the same suite again, sanitizers aborting on the first finding;
#   3. the libFuzzer targets, briefly, over their checked-in corpora (clang-14).
# Ends with one summary line; exits non-zero if anything failed.
# Options: --quick (release build only), FUZZ_SECONDS=N (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc)
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
# Relative paths in the cache key, so a fresh clone elsewhere reuses earlier compilations.
export CCACHE_BASEDIR="$root"
export CCACHE_NOHASHDIR=true

bash scripts/install-deps.sh test

passed=0
failed=0
failures=()

# Runs one CTest suite; counts its tests from CTest's summary line.
run_suite() {
  local name=$1 dir=$2
  local log="$dir/ctest-summary.log"
  set +o errexit
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600) 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -o errexit
  local line total bad
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1 || true)
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
  if [ -z "$line" ]; then
    total=0
    bad=1
  fi
  passed=$((passed + total - bad))
  failed=$((failed + bad))
  if [ "$rc" -ne 0 ] || [ "$bad" -ne 0 ]; then
    failures+=("$name")
    [ "$bad" -eq 0 ] && failed=$((failed + 1))
  fi
}

build() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  ninja -C "$dir"
}

echo "== release build and tests"
build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONNECT_AUTH_TESTS=ON -DCONNECT_AUTH_BENCH=ON
run_suite release build

if [ "$quick" -eq 0 ]; then
  echo "== ASan+UBSan build and tests"
  build build-asan -DCMAKE_BUILD_TYPE=Debug -DCONNECT_AUTH_SANITIZE=ON -DCONNECT_AUTH_TESTS=ON \
    -DCONNECT_AUTH_BENCH=OFF
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite sanitizers build-asan

  echo "== fuzzers"
  if bash fuzz/run.sh "${FUZZ_SECONDS:-15}"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("fuzzers")
  fi
fi

echo
if [ "$failed" -eq 0 ]; then
  echo "ALL TESTS PASSED"
else
  echo "FAILED: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
