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

passed=0
failed=0
failures=()

# A stage that failed as a whole (a build, the fuzzers) counts as one failure. Every function
# here returns 0: under `set -e` a failing stage must never end the script before the summary.
stage_failed() {
  failed=$((failed + 1))
  failures+=("$1")
  echo "== $1: FAILED" >&2
}

# Runs one CTest suite; counts its tests from CTest's summary line.
run_suite() {
  local name=$1 dir=$2
  local log="$dir/ctest-summary.log"
  local rc=0
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600) 2>&1 | tee "$log" || rc=$?
  local line total=0 bad=1
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1 || true)
  if [ -n "$line" ]; then
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    bad=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
  fi
  passed=$((passed + total - bad))
  failed=$((failed + bad))
  if [ "$rc" -ne 0 ] || [ "$bad" -ne 0 ]; then
    failures+=("$name")
    if [ "$bad" -eq 0 ]; then failed=$((failed + 1)); fi
  fi
  return 0
}

# Configures and builds; fails (without ending the script: callers test it) when either step
# does. A stage whose build failed runs none of its tests, so no stale binary can pass them.
build() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null && ninja -C "$dir"
}

# A dependency that cannot be installed fails the builds that need it; say so and go on.
if ! bash scripts/install-deps.sh test; then
  stage_failed "install-deps"
fi

echo "== release build and tests"
if build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONNECT_AUTH_TESTS=ON -DCONNECT_AUTH_BENCH=ON
then
  run_suite release build
else
  stage_failed "release build"
fi

if [ "$quick" -eq 0 ]; then
  echo "== ASan+UBSan build and tests"
  if build build-asan -DCMAKE_BUILD_TYPE=Debug -DCONNECT_AUTH_SANITIZE=ON \
    -DCONNECT_AUTH_TESTS=ON -DCONNECT_AUTH_BENCH=OFF; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      run_suite sanitizers build-asan
  else
    stage_failed "sanitizers build"
  fi

  echo "== fuzzers"
  if bash fuzz/run.sh "${FUZZ_SECONDS:-15}"; then
    passed=$((passed + 1))
  else
    stage_failed "fuzzers"
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
