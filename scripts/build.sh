#!/usr/bin/env bash
# Configures and builds changewatch with Ninja and ccache.
#   scripts/build.sh [BUILD_DIR] [extra cmake args...]   (default build dir: build, Release)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="${CW_BUILD_TYPE:-Release}" "$@" >/dev/null
jobs=$(nproc)
cmake --build "$dir" -j "$jobs"
