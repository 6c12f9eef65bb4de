#!/usr/bin/env bash
# changewatch benchmark suite (issue 9): changewatch against the GDAL read/write floors, gdalwarp
# and Orfeo ToolBox, as whole processes, written to bench/RESULTS.md.
#
#   scripts/bench.sh [--quick] [-- extra bench/run_bench.py options]
#
#   --quick        4096² and 8192², 1 run per row after the warm-up, fewer rows (~5-10 min)
#   (default)      4096², 8192², 16384²; median of 3 runs; change rows at 1 and 2 threads (~30 min quiet)
#   --help         this text and bench/run_bench.py's options (--sizes, --runs, --rows, --out)
#
# Environment: CW_BENCH_CACHE (generated inputs, default bench/.cache, ~7 GB with the
# 16384² pair), CW_BENCH_BUILD (build folder, default build-bench).
# Steps: installs otb-bin if missing (scripts/setup.sh --bench), builds the Release targets it
# needs, generates and caches the inputs (bench/gen_pair), measures, writes bench/RESULTS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CW_BENCH_BUILD:-$root/build-bench}
args=()
for a in "$@"; do
  case "$a" in
    -h|--help)
      sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
      echo
      /usr/bin/python3 "$root/bench/run_bench.py" --help
      exit 0 ;;
    --) ;;
    *) args+=("$a") ;;
  esac
done

if ! command -v otbcli_MultivariateAlterationDetector >/dev/null || ! command -v gdalwarp >/dev/null; then
  echo "bench: installing otb-bin (scripts/setup.sh --bench)" >&2
  "$root/scripts/setup.sh" --bench
fi
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build" -j "$(nproc)" changewatch gen_pair bench_floors bench_warp >/dev/null

exec /usr/bin/python3 "$root/bench/run_bench.py" --build "$build" "${args[@]}"
