#!/usr/bin/env bash
# changewatch change vs the GDAL read floor and write floor (issue 4/9), whole processes.
#   bench/bench_change.sh [SIZE ...]        default: 4096 8192; env THREADS (2), RUNS (3),
#                                          METHODS ("cva irmad"), CACHE (/tmp/cw_bench)
# Inputs are generated once per size and cached. Each row is the median of RUNS runs (after one
# warm-up) of wall time, with CPU time and peak RSS from /usr/bin/time. The write floor is the
# time of the COG writes alone (from memory, same creation options as changewatch).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CW=${CW:-$here/../build/changewatch}
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
METHODS=${METHODS:-"cva irmad"}
CACHE=${CACHE:-/tmp/cw_bench}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(4096 8192)
export GDAL_CACHEMAX=64

# median of RUNS runs of "$@": prints "wall user+sys maxrss_MiB"
measure() {
  local out=() i
  "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; return 1; }   # warm-up
  for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -o "$CACHE/.time" -f '%e %U %S %M' "$@" >/dev/null 2>&1
    out+=("$(tail -1 "$CACHE/.time")")
  done
  printf '%s\n' "${out[@]}" | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2) {
    printf "%.2f %.2f %.0f\n", $1, $2 + $3, $4 / 1024 }'
}

echo "| size | row | wall s | cpu s | peak RSS MiB | ratio to floors |"
echo "|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  d=$CACHE/$n
  if [ ! -f "$d/after.tif" ]; then
    mkdir -p "$d"
    /usr/bin/python3 "$here/bench_change_io.py" generate "$n" "$d"
  fi
  read -r rw rc rm < <(measure /usr/bin/python3 "$here/bench_change_io.py" read "$d/before.tif" "$d/after.tif")
  # python startup and numpy import are part of the process; subtract an empty run.
  read -r ew ec em < <(measure /usr/bin/python3 -c "import numpy; from osgeo import gdal")
  wfloor=()
  for ((i = 0; i < RUNS; i++)); do
    wfloor+=("$(/usr/bin/python3 "$here/bench_change_io.py" write "$n" "$d" | awk '{print $2}')")
  done
  ww=$(printf '%s\n' "${wfloor[@]}" | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)')
  rfloor=$(awk -v a="$rw" -v b="$ew" 'BEGIN { printf "%.2f", a - b }')
  floors=$(awk -v a="$rfloor" -v b="$ww" 'BEGIN { printf "%.2f", a + b }')
  echo "| ${n}² | read floor | $rfloor | | $rm | |"
  echo "| ${n}² | write floor | $ww | | | |"
  for m in $METHODS; do
    read -r cw cc cm < <(measure "$CW" change "$d/before.tif" "$d/after.tif" --out "$d/out_$m" \
      --method "$m" --threads "$THREADS")
    ratio=$(awk -v a="$cw" -v b="$floors" 'BEGIN { printf "%.2f", a / b }')
    echo "| ${n}² | changewatch $m ($THREADS threads) | $cw | $cc | $cm | $ratio × (read + write floor) |"
  done
done
