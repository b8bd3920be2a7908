#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 in build-fuzz/ and runs each for N seconds
# (default 20) over a scratch copy of its checked-in corpus in build-fuzz/corpus/, so
# fuzz/corpus/ is never written. Crash inputs go to build-fuzz/artifacts/. Exits non-zero if any
# target crashes, leaks, times out or fails to build.
#
#   fuzz/run.sh [seconds] [target...]
#
# FUZZ_BUILD_DIR overrides the build directory (default build-fuzz/), e.g. to fuzz a work tree
# without disturbing another build; naming targets runs only those.
#
# A crash input worth keeping is added to fuzz/corpus/<target>/ by hand once it is fixed.
set -euo pipefail

seconds="${1:-20}"
if ! [[ "${seconds}" =~ ^[0-9]+$ ]] || [[ "${seconds}" -eq 0 ]]; then
  echo "usage: $0 [seconds>0]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-${root}/build-fuzz}"
targets=(fuzz_client_credential fuzz_jwt fuzz_json_text fuzz_v4_body fuzz_form)
# Inputs a little beyond each parser's own cap, so the cap itself is exercised.
declare -A max_len=([fuzz_client_credential]=1200 [fuzz_jwt]=9000 [fuzz_json_text]=4096
                    [fuzz_v4_body]=4096 [fuzz_form]=4096)
if (($# > 1)); then
  targets=("${@:2}")
  for target in "${targets[@]}"; do
    if [[ -z "${max_len[${target}]:-}" ]]; then
      echo "unknown fuzz target: ${target}" >&2
      exit 2
    fi
  done
fi

cmake -S "${root}" -B "${build}" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCONNECT_AUTH_FUZZ=ON -DCONNECT_AUTH_TESTS=OFF -DCONNECT_AUTH_BENCH=OFF
cmake --build "${build}" --target "${targets[@]}"

# UBSan findings are crashes, not warnings.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"

mkdir -p "${build}/artifacts"
failed=()
for target in "${targets[@]}"; do
  work="${build}/corpus/${target}"
  rm -rf "${work}"
  mkdir -p "${work}"
  cp "${root}/fuzz/corpus/${target}/." "${work}/" -R
  args=(
    "-max_total_time=${seconds}"
    "-max_len=${max_len[${target}]}"
    "-timeout=10"
    "-rss_limit_mb=2048"
    "-print_final_stats=1"
    "-artifact_prefix=${build}/artifacts/${target}-"
  )
  if [[ -f "${root}/fuzz/dict/${target}.dict" ]]; then
    args+=("-dict=${root}/fuzz/dict/${target}.dict")
  fi
  echo "=== ${target}: ${seconds}s over $(ls "${work}" | wc -l) seed inputs"
  if ! "${build}/fuzz/${target}" "${args[@]}" "${work}"; then
    failed+=("${target}")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "FAILED: ${failed[*]} (inputs in ${build}/artifacts/)" >&2
  exit 1
fi
echo "all fuzz targets ran ${seconds}s without a crash"
