#!/usr/bin/env bash
# AIS ingest and matching benchmarks (issue 20); never run by ctest.
#   bench/bench_ais.sh [BUILD_DIR] [WORK_DIR]
# Generates MarineCadastre CSVs of 1 M and 10 M rows (~110 and ~1,100 MB) in WORK_DIR (default
# /tmp/cw_bench_ais), then for each: `cat > /dev/null` (warm cache, median of 3), the ingest at 2
# threads (median of 3, /usr/bin/time -v for the peak RSS), and the matching of 10,000 detections
# against 1,000,000 fixes. Prints markdown rows for bench/RESULTS.md.
set -euo pipefail
build="${1:-build}"
work="${2:-/tmp/cw_bench_ais}"
bin="$build/bench/bench_ais"
mkdir -p "$work"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for rows in 1000000 10000000; do
  f="$work/ais_${rows}.csv"
  [ -f "$f" ] || "$bin" generate "$f" "$rows"
  mb=$(( $(stat -c %s "$f") / 1048576 ))
  cat "$f" > /dev/null
  cat_s=$(for i in 1 2 3; do /usr/bin/time -f %e cat "$f" 2>&1 >/dev/null; done | median)
  ingest=()
  rss=()
  for i in 1 2 3; do
    out=$(/usr/bin/time -f "rss_kb %M" "$bin" ingest "$f" 2 2>&1)
    ingest+=("$(echo "$out" | awk '/^ingest_s/ {print $2}')")
    rss+=("$(echo "$out" | awk '/^rss_kb/ {print int($2 / 1024)}')")
    line=$(echo "$out" | grep '^ingest_s')
  done
  ing_s=$(printf '%s\n' "${ingest[@]}" | median)
  rss_max=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
  ratio=$(awk -v a="$ing_s" -v b="$cat_s" 'BEGIN {printf "%.2f", a / b}')
  echo "| ingest | $rows rows ($mb MiB) | cat ${cat_s} s | ingest ${ing_s} s | ratio ${ratio} | peak RSS ${rss_max} MiB | $line |"
done
out=$("$bin" match)
echo "| match | 10,000 detections x 1,000,000 fixes | $out |"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
