#!/usr/bin/env bash
# Tile latency and memory of `changewatch serve` under load from a second process on loopback.
#   bench/bench_serve.sh OUT [BUILD_DIR]
# OUT is a run folder (e.g. from `changewatch simulate` + `run`). Lists every tile of every job at
# zooms 13..17 for the four layers, then:
#   cold  one sequential pass over all tiles (each rendered once; p50/p95 of render + encode)
#   warm  wrk, 2 threads x 8 connections, cycling the same tiles (all cache hits)
#   RSS   of the server before, after 10,000 warm requests and after 10,000 more (must not grow)
# Needs wrk (Debian; scripts/setup.sh --bench).
set -euo pipefail
out=${1:?usage: bench_serve.sh OUT [BUILD_DIR]}
build=${2:-build}
here=$(cd "$(dirname "$0")" && pwd)
bin=${CW_BINARY:-"$here/../$build/changewatch"}
work=$(mktemp -d)
log="$work/serve.log"
"$bin" serve "$out" --port 0 --tile-cache-mb 256 > "$log" 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q 'http://' "$log" && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$log")
echo "server $url (pid $pid)"
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$pid/status"; }

python3 - "$url" "$work/paths.txt" <<'PY'
import json, math, sys, time, urllib.request
url, paths = sys.argv[1], sys.argv[2]
jobs = json.load(urllib.request.urlopen(url + "/api/jobs"))
def tile(lon, lat, z):
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
lst = []
for j in jobs:
    b = j.get("bounds")
    if not b: continue
    for z in range(13, 18):
        x0, y0 = tile(b[0], b[3], z); x1, y1 = tile(b[2], b[1], z)
        for layer in ("before", "after", "score", "mask"):
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    lst.append(f"/tiles/{j['id']}/{layer}/{z}/{x}/{y}.png")
open(paths, "w").write("\n".join(lst) + "\n")
lat = []
for p in lst:
    t = time.perf_counter(); r = urllib.request.urlopen(url + p); r.read(); lat.append((time.perf_counter() - t) * 1000)
    assert r.status == 200
lat.sort()
pct = lambda q: lat[min(len(lat) - 1, int(q * (len(lat) - 1)))]
print(f"cold: {len(lat)} tiles, p50 {pct(0.5):.1f} ms, p95 {pct(0.95):.1f} ms, max {lat[-1]:.1f} ms")
PY

cat > "$work/tiles.lua" <<LUA
local paths, i = {}, 0
for line in io.lines("$work/paths.txt") do paths[#paths + 1] = line end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format("warm: %d requests, %d errors, p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, %.0f req/s\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
LUA
echo "RSS after cold pass: $(rss)"
# wrk runs for a duration; ~10,000 requests each round at the measured rate.
wrk -t2 -c8 -d5s -s "$work/tiles.lua" "$url" | grep -E '^warm'
echo "RSS after round 1: $(rss)"
wrk -t2 -c8 -d5s -s "$work/tiles.lua" "$url" | grep -E '^warm'
echo "RSS after round 2: $(rss)"
