#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang + ASan + UBSan) in build-fuzz/ and runs each for a
# bounded time from its committed seed corpus fuzz/corpus/<name>/.
#   scripts/fuzz.sh                    every target, 60 s each
#   scripts/fuzz.sh --time N           N seconds per target
#   scripts/fuzz.sh config stac        only these targets (config declarations stac serve_router serve_auth)
#   scripts/fuzz.sh --no-build         use the targets already built in build-fuzz/
# Crashes, leaks, UB, uncaught exceptions and slow units are written to fuzz/findings/<name>-*;
# exits 1 when there is any (reproduce with build-fuzz/fuzz/fuzz_<name> FILE), 0 otherwise.
# Inputs found along the way that add coverage go to build-fuzz/corpus/<name>/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=60
build=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds=${2:?--time needs a number of seconds}; shift ;;
    --time=*) seconds=${1#--time=} ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[ ${#targets[@]} -gt 0 ] || targets=(config declarations stac serve_router serve_auth)
for t in "${targets[@]}"; do
  [ -d "fuzz/corpus/$t" ] || { echo "fuzz.sh: unknown target $t" >&2; exit 2; }
done
case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: --time needs whole seconds" >&2; exit 2 ;; esac

command -v clang++-14 >/dev/null || { echo "fuzz.sh: needs clang-14 (scripts/setup.sh)" >&2; exit 2; }
dir=build-fuzz
# -O1 and line tables only: fast enough to fuzz, quick to build, readable stack traces. The same
# configuration as scripts/test.sh --sanitize, plus the coverage hooks libFuzzer steers by.
[ "$build" = 1 ] && CC=clang-14 CXX=clang++-14 cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCW_FUZZ=ON -DCW_FUZZ_COVERAGE=ON -DCW_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" >/dev/null
[ "$build" = 1 ] && cmake --build "$dir" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

mkdir -p fuzz/findings
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
for t in "${targets[@]}"; do
  work="$dir/corpus/$t"
  mkdir -p "$work"
  before=$(find fuzz/findings -name "$t-*" | wc -l)
  echo "== fuzz_$t: $seconds s from fuzz/corpus/$t ($(find "fuzz/corpus/$t" -type f | wc -l) seeds)"
  # -timeout: a unit slower than 20 s is a finding (a hang on hostile input).
  # -rss_limit_mb: above 3 GiB is a finding (memory blow-up, e.g. an alias bomb).
  if ! "$dir/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 \
      -print_final_stats=1 -artifact_prefix="fuzz/findings/$t-" "$work" "fuzz/corpus/$t" \
      > "$dir/fuzz_$t.log" 2>&1; then
    failed+=("$t")
  elif [ "$(find fuzz/findings -name "$t-*" | wc -l)" != "$before" ]; then
    failed+=("$t")
  fi
  grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$dir/fuzz_$t.log" | tr '\n' ' '
  echo
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in: ${failed[*]} (see fuzz/findings/ and $dir/fuzz_<name>.log)" >&2
  exit 1
fi
echo "fuzz.sh: no findings"
