#!/usr/bin/env bash
# Installs dependencies, builds and runs the whole test suite with ctest.
#   scripts/test.sh                  Release build in build/, full suite
#   scripts/test.sh --sanitize       clang ASan+UBSan+LSan build in build-asan/, full suite
#   scripts/test.sh --with-sanitize  both, one after the other (what .ci/run does); fails if either does
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

normal=1
sanitize=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) normal=0; sanitize=1 ;;
    --with-sanitize) normal=1; sanitize=1 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

scripts/setup.sh

# Optional fixtures that some tests use; each script starts what it needs and the trap stops it.
cleanup() { :; }
trap 'cleanup' EXIT
if [ -x scripts/test-hooks.sh ]; then
  # shellcheck source=/dev/null
  source scripts/test-hooks.sh
fi

status=0
if [ "$normal" = 1 ]; then
  scripts/build.sh build
  ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 900 || status=1
fi

if [ "$sanitize" = 1 ]; then
  # clang (Debian's clang-14) with ASan+UBSan, configured as scripts/fuzz.sh configures
  # build-fuzz but without libFuzzer's coverage hooks in the libraries (CW_FUZZ_COVERAGE=OFF: they
  # slow every test and only a fuzzer reads them), so CI also compiles and links the fuzz targets.
  # -O1: the level ASan is documented for; line tables only: readable reports, quick builds.
  # No NDEBUG: asserts stay on. CW_SANITIZE_DIR picks another folder (e.g. build-fuzz).
  dir=${CW_SANITIZE_DIR:-build-asan}
  CC=clang-14 CXX=clang++-14 CW_BUILD_TYPE=RelWithDebInfo scripts/build.sh "$dir" \
    -DCW_SANITIZE=ON -DCW_FUZZ=ON -DCW_FUZZ_COVERAGE=OFF \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only"
  # Leaks are errors; scripts/lsan.supp lists only third-party ones, each with the reason.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" --timeout 900 || status=1
fi
exit "$status"
