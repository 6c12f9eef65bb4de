#!/usr/bin/env bash
# Installs dependencies, builds and runs the whole test suite with ctest.
#   scripts/test.sh              Release build in build/, full suite
#   scripts/test.sh --sanitize   ASan+UBSan build in build-asan/, full suite
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

sanitize=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

scripts/setup.sh

if [ "$sanitize" = 1 ]; then
  dir=build-asan
  CW_BUILD_TYPE=RelWithDebInfo scripts/build.sh "$dir" -DCW_SANITIZE=ON
  export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
  dir=build
  scripts/build.sh "$dir"
fi

# Optional fixtures that some tests use; each script starts what it needs and the trap stops it.
cleanup() { :; }
trap 'cleanup' EXIT
if [ -x scripts/test-hooks.sh ]; then
  # shellcheck source=/dev/null
  source scripts/test-hooks.sh
fi

ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" --timeout 900

