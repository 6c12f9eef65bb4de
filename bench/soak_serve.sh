#!/usr/bin/env bash
# Soak of `changewatch serve`: 20,000 mixed requests from wrk on loopback, RSS sampled throughout.
#   bench/soak_serve.sh [--out OUT] [--build DIR] [--requests N] [--cache-mb M] [--connections C] [--login]
# OUT is a run folder; without it a simulator run (1024 px, 3 dates) is made in a temp folder. The
# run is copied first, because the soak writes reviews. The mix (each request's expected status is
# known): 40 % map tiles of every job (zooms 12-17, four layers: more distinct tiles than the cache
# holds, so it evicts and re-renders), 30 % API and viewer files, 20 % bad paths (traversal plain
# and percent-encoded, unknown jobs, tiles outside the pyramid, bad query values: expect 4xx),
# 10 % review POSTs (half valid: 200; half invalid: 400).
# wrk runs one connection per thread, so each response is matched to the request that caused it.
# Reports: whether serve survived, RSS start/peak/end against the bounds (tile cache + GDAL block
# cache), responses whose status differs from the expected one, requests/s, p50/p99 latency.
# Exits 1 on a crash, an unexpected status or RSS growth in the second half beyond 8 MiB.
# With --build build-fuzz (or build-asan) it soaks the ASan+UBSan binary: any sanitizer report or
# leak at the SIGINT shutdown fails the soak (set ASAN_OPTIONS/LSAN_OPTIONS as scripts/test.sh does).
# With --login, serve runs with --users (docs/access.md) and every request carries a session of
# one of: a reviewer of every AOI, a viewer, a reviewer scoped to the first AOI, a forged cookie,
# or none; the expected statuses follow (401 without a session, 403 for a viewer's POST or a
# missing CSRF token, 404 for the scoped user's requests of another AOI).
# Needs wrk (Debian; scripts/setup.sh --bench).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=""
build=build
requests=20000
cacheMb=16
gdalCacheMb=32
conns=4
login=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift ;;
    --build) build=$2; shift ;;
    --requests) requests=$2; shift ;;
    --cache-mb) cacheMb=$2; shift ;;
    --connections) conns=$2; shift ;;
    --login) login=1 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "soak_serve.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
bin=${CW_BINARY:-"$here/../$build/changewatch"}
[ -x "$bin" ] || { echo "soak_serve.sh: no $bin (build it, or pass --build DIR)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "soak_serve.sh: needs wrk (scripts/setup.sh --bench)" >&2; exit 2; }
work=$(mktemp -d /tmp/cw-soak.XXXXXX)
pid=""
sampler=""
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  [ -n "$pid" ] && { kill -INT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$out" ]; then
  echo "making a simulator run in $work/sim"
  "$bin" -q simulate --out "$work/sim" --size 1024 --dates 3 --seed 7 >/dev/null
  (cd "$work/sim" && "$bin" -q run config.yaml >/dev/null)
  out="$work/sim/out"
fi
cp -r "$out" "$work/out"
rm -f "$work/out/reviews.jsonl" "$work/out/audit.jsonl"

usersArgs=()
if [ "$login" = 1 ]; then
  firstAoi=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['aois'][0]['id'])" "$work/out/plan.json")
  for u in "rev reviewer all" "vic viewer all" "pat reviewer $firstAoi"; do
    set -- $u
    echo "pw-$1" | "$bin" users add "$work/users.json" "$1" --role "$2" --aoi "$3" >/dev/null
  done
  usersArgs=(--users "$work/users.json")
fi
log="$work/serve.log"
GDAL_CACHEMAX=$gdalCacheMb "$bin" serve "$work/out" --port 0 --tile-cache-mb "$cacheMb" \
  --viewer "$here/../viewer" "${usersArgs[@]}" > "$log" 2>&1 &
pid=$!
for _ in $(seq 300); do grep -q 'http://' "$log" && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1)
[ -n "$url" ] || { echo "serve did not start:"; cat "$log"; exit 1; }
rssKb() { awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0; }
rssStart=$(rssKb)
echo "server $url (pid $pid), RSS at start $((rssStart / 1024)) MiB; tile cache $cacheMb MiB, GDAL cache $gdalCacheMb MiB"

# The request list: one line per request, "<expected status> <method> <session> <path> [<json body>]",
# session: 0 none, k the k-th line of sessions.txt ("<cookie> <csrf>"), -k that cookie without the
# CSRF token.
python3 - "$url" "$work/requests.txt" "$requests" "$login" "$work/sessions.txt" <<'PY'
import json, math, random, sys, urllib.request
url, path, n, login, sessionsPath = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
rnd = random.Random(7)
sessions = []  # (cookie, csrf, role, aois)
if login:
    for user in ("rev", "vic", "pat"):
        req = urllib.request.Request(url + "/api/login", data=json.dumps({"user": user, "password": "pw-" + user}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            cookie = r.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
            body = json.load(r)
        s = json.load(urllib.request.urlopen(urllib.request.Request(url + "/api/session", headers={"Cookie": "cw_session=" + cookie})))
        sessions.append((cookie, body["csrf"], body["role"], s["aois"]))
    sessions.append(("f" * 64, "e" * 64, "forged", []))
with open(sessionsPath, "w") as f:
    for c, t, _, _ in sessions: f.write(f"{c} {t}\n")
def get(p):
    h = {"Cookie": "cw_session=" + sessions[0][0]} if login else {}
    return json.load(urllib.request.urlopen(urllib.request.Request(url + p, headers=h)))
jobs = get("/api/jobs")
aois = sorted({j["aoi"] for j in jobs})
def tile(lon, lat, z):
    k = 2 ** z
    return int((lon + 180) / 360 * k), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * k)
tiles, ids, chips = [], [], []
for j in jobs:
    fc = get("/api/evidence?job=" + j["id"])
    for f in fc["features"]:
        ids.append(f["id"])
        for k in ("chip_before", "chip_after"):
            c = f["properties"].get(k)
            if c: chips.append(f"/files/{j['id']}/{c}")
    b = j.get("bounds")
    if not b: continue
    for z in range(12, 18):
        x0, y0 = tile(b[0], b[3], z); x1, y1 = tile(b[2], b[1], z)
        for layer in ("before", "after", "score", "mask"):
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    tiles.append(f"/tiles/{j['id']}/{layer}/{z}/{x}/{y}.png")
api = ["/", "/app.js", "/style.css", "/api/aois", "/api/jobs", "/api/verdicts", "/api/reviews"]
api += [f"/api/jobs?aoi={a}" for a in aois] + [f"/api/evidence?job={j['id']}" for j in jobs] + chips[:50]
j0 = jobs[0]["id"]
bad = [(404, "/../../etc/passwd"), (404, "/files/%2e%2e/%2e%2e/etc/passwd"), (404, f"/files/{j0}/../../plan.json"),
       (404, f"/files/{j0}/score.tif"), (404, "/files/.work/x.json"), (404, "/tiles/nope/x/mask/1/0/0.png"),
       (404, f"/tiles/{j0}/mask/30/0/0.png"), (404, f"/tiles/{j0}/mask/3/9/0.png"), (404, f"/tiles/{j0}/glow/3/0/0.png"),
       (404, "/api/evidence?job=../../etc"), (404, "/api/evidence?job="), (404, "/nope"), (404, "//etc/passwd"),
       (404, "/vendor/leaflet/../../../../etc/passwd"), (404, "/%00"), (404, "/app.js%00.png")]
posts = []
for i in range(200):
    eid = rnd.choice(ids) if ids else "none"
    posts.append((200 if ids else 400, {"evidence_id": eid, "decision": rnd.choice(["confirmed", "rejected", "unsure"]),
                                        "reviewer": f"soak{i % 7}", "comment": "soak test " + "x" * rnd.randint(0, 200)}))
    posts.append(rnd.choice([(404, {"evidence_id": "nope", "decision": "confirmed"})] + [(400, b) for b in [
                                   {"evidence_id": eid, "decision": "maybe"},
                                   {"evidence_id": eid, "decision": "unsure", "comment": "c" * 5000},
                                   {"evidence_id": 7, "decision": "unsure"}, [1, 2, 3]]]))
public = {"/", "/app.js", "/style.css", "/auth.js"}
def aoiOf(p):
    for j in jobs:
        if "/" + j["id"] + "/" in p or "job=" + j["id"] in p: return j["aoi"]
    for a in aois:
        if f'"evidence_id": "{a}-' in p: return a
    return None
def expect(status, method, p):
    """(status, session) for a request whose unauthenticated-mode status is `status`."""
    if not login: return status, 0
    k = rnd.randrange(len(sessions) + 1)  # 0: no session
    pp = p.split("?")[0].lower()
    if status == 404 and (".." in pp or "//" in pp or "%00" in pp or "%2e%2e" in pp): return 404, k  # refused before sign-in
    if p.split("?")[0] in public and method == "GET": return status, k
    if k == 0 or sessions[k - 1][2] == "forged": return 401, k
    cookie, csrf, role, userAois = sessions[k - 1]
    if method == "POST":
        if rnd.random() < 0.1: return 403, -k  # no CSRF token
        if role == "viewer": return 403, k
    a = aoiOf(p)
    scoped = "*" not in userAois
    if scoped and a is not None and a not in userAois and status in (200, 400): return 404, k
    if scoped and p.startswith("/files/") and p.count("/") == 2 and status == 200: return 404, k
    return status, k
with open(path, "w") as f:
    def line(status, method, p, body=None):
        st, k = expect(status, method, p if body is None else p + " " + json.dumps(body))
        f.write(f"{st} {method} {k} {p}" + ("" if body is None else " " + json.dumps(body)) + "\n")
    for i in range(n):
        r = rnd.random()
        if r < 0.40 and tiles:
            line(200, "GET", rnd.choice(tiles))
        elif r < 0.70:
            line(200, "GET", rnd.choice(api))
        elif r < 0.90:
            s, p = rnd.choice(bad); line(s, "GET", p)
        else:
            s, body = rnd.choice(posts); line(s, "POST", "/api/reviews", body)
    f.write(f"{401 if login else 400} POST 0 /api/reviews {{not json\n")
print(f"{n} requests over {len(tiles)} distinct tiles, {len(ids)} evidence ids, {len(jobs)} jobs" +
      (f", {len(sessions)} sessions (reviewer, viewer, scoped reviewer, forged) and none" if login else ""))
PY

per=$(( (requests + conns - 1) / conns ))
cat > "$work/soak.lua" <<LUA
-- Each thread has one connection (-c = -t), so responses arrive in the order of its requests.
local sessions = {}
for line in io.lines("$work/sessions.txt") do
  local c, t = line:match("^(%S+) (%S+)$")
  sessions[#sessions + 1] = {cookie = c, csrf = t}
end
local reqs = {}
for line in io.lines("$work/requests.txt") do
  local s, m, k, rest = line:match("^(%d+) (%u+) (-?%d+) (.*)$")
  local p, body = rest:match("^(%S+) (.*)$")
  if not p then p = rest end
  local h = {}
  k = tonumber(k)
  if k ~= 0 then
    local sess = sessions[math.abs(k)]
    h["Cookie"] = "cw_session=" .. sess.cookie
    if k > 0 then h["X-CSRF-Token"] = sess.csrf end
  end
  if body then h["Content-Type"] = "application/json" end
  reqs[#reqs + 1] = {status = tonumber(s), method = m, path = p, body = body, headers = h}
end
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end
-- bad and wrong are globals: done() reads them from each thread with thread:get.
local n, i, sent, done_, last = 0, 0, 0, 0, nil
bad, wrong = 0, ""
function init(args)
  n = #reqs
  i = id * $per
end
function request()
  i = i % n + 1
  last = reqs[i]
  sent = sent + 1
  return wrk.format(last.method, last.path, last.headers, last.body)
end
function response(status, headers, body)
  done_ = done_ + 1
  if status ~= last.status then
    bad = bad + 1
    if #wrong < 2000 then wrong = wrong .. status .. " (expected " .. last.status .. ") " .. last.method .. " " .. last.path .. "\n" end
  end
  if done_ == $per then
    -- wrk's main thread sleeps for the whole -d; the script sends it SIGINT once every thread
    -- has left a marker, so the reported duration (and requests/s) is the real one.
    local f = io.open("$work/done." .. id, "w")
    f:close()
    wrk.thread:stop()
  end
end
function done(summary, latency, requests)
  local mismatched, msgs = 0, ""
  for _, t in ipairs(threads) do
    mismatched = mismatched + t:get("bad")
    msgs = msgs .. t:get("wrong")
  end
  io.write(string.format("RESULT requests=%d socket_errors=%d unexpected_status=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.1f\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    mismatched, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(msgs)
end
LUA

# RSS every 100 ms while the load runs.
( while kill -0 "$pid" 2>/dev/null; do echo "$(date +%s.%N) $(rssKb)"; sleep 0.1; done ) > "$work/rss.txt" &
sampler=$!
# Two halves of requests/2 each: growth between the end of the first and the end of the second
# half is what a leak would show once the caches have filled.
half=$(( requests / 2 ))
results=()
rssHalf=()
for round in 1 2; do
  per=$(( (half + conns - 1) / conns ))
  sed "s/done_ == [0-9]*/done_ == $per/; s/i = id \* [0-9]*/i = id * $per + ($round - 1) * $half/" \
    "$work/soak.lua" > "$work/soak$round.lua"
  rm -f "$work"/done.*
  wrk -t"$conns" -c"$conns" -d3600s --timeout 30s -s "$work/soak$round.lua" "$url" > "$work/wrk$round.txt" 2>&1 &
  wrkPid=$!
  while kill -0 "$wrkPid" 2>/dev/null && [ "$(ls "$work"/done.* 2>/dev/null | wc -l)" -lt "$conns" ]; do
    sleep 0.1
  done
  kill -INT "$wrkPid" 2>/dev/null || true
  wait "$wrkPid" || true
  results+=("$(grep '^RESULT' "$work/wrk$round.txt" || echo "RESULT missing: $(tail -3 "$work/wrk$round.txt")")")
  rssHalf+=("$(rssKb)")
done
sleep 0.3
kill "$sampler" 2>/dev/null || true
sampler=""

alive=yes
kill -0 "$pid" 2>/dev/null || alive=no
rssPeak=$(awk 'BEGIN {m = 0} $2 > m {m = $2} END {print m}' "$work/rss.txt")
rssEnd=$(rssKb)
echo
for round in 1 2; do
  echo "half $round: ${results[$((round - 1))]#RESULT }"
  grep -v '^RESULT' "$work/wrk$round.txt" | grep -E '^[0-9]+ \(expected' | sort | uniq -c | sort -rn | head -10 || true
done
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
echo "serve alive after the soak: $alive"
echo "RSS MiB: start $(mib "$rssStart"), after half 1 $(mib "${rssHalf[0]}"), after half 2 $(mib "${rssHalf[1]}"), peak $(mib "$rssPeak"), end $(mib "$rssEnd")"
echo "bounds MiB: tile cache $cacheMb + GDAL block cache $gdalCacheMb; growth start->peak $(mib $((rssPeak - rssStart))), half 1->half 2 $(mib $((rssHalf[1] - rssHalf[0])))"
lines=$(wc -l < "$work/out/reviews.jsonl" 2>/dev/null || echo 0)
torn=$(python3 -c "
import json,sys
n=0
for l in open(sys.argv[1]):
    try: json.loads(l)
    except Exception: n+=1
print(n)" "$work/out/reviews.jsonl" 2>/dev/null || echo 0)
echo "reviews.jsonl: $lines lines, $torn not valid JSON"
# Both logs are hash chains appended from several server threads at once: each must be whole.
chains=$(python3 -c "
import hashlib, json, os, sys
out = []
for name in ('reviews.jsonl', 'audit.jsonl'):
    p = os.path.join(sys.argv[1], name)
    if not os.path.exists(p): out.append(name + ': absent'); continue
    prev, ok, n = '0' * 64, True, 0
    for n, l in enumerate(open(p, 'rb').read().split(b'\\n')[:-1], 1):
        j = json.loads(l)
        ok = ok and j.get('seq') == n and j.get('prev') == prev
        prev = hashlib.sha256(l).hexdigest()
    out.append(f'{name}: {n} lines, chain {\"intact\" if ok else \"BROKEN\"}')
print('; '.join(out))" "$work/out")
echo "$chains"
case "$chains" in *BROKEN*) torn=chain ;; esac
# Stop it the way a user does (SIGINT): it must exit 0, and under ASan its leak check runs now.
serveRc=0
if [ "$alive" = yes ]; then
  kill -INT "$pid"
  wait "$pid" || serveRc=$?
  pid=""
  echo "serve exit status after SIGINT: $serveRc"
fi
if grep -qE 'Sanitizer|runtime error|terminate called|Segmentation' "$log"; then
  echo "serve log has errors:"; grep -E 'Sanitizer|runtime error|terminate|Segmentation|#[0-9] ' "$log" | head -30
  alive=no
fi
[ "$serveRc" = 0 ] || alive=no
fail=0
[ "$alive" = yes ] || fail=1
for r in "${results[@]}"; do
  case "$r" in *unexpected_status=0\ *) ;; *) fail=1 ;; esac
  case "$r" in *socket_errors=0\ *) ;; *) fail=1 ;; esac
done
[ "$torn" = 0 ] || fail=1
# Under ASan the quarantine of freed memory grows RSS by design; the leak check covers that build.
if grep -qa __asan_init "$bin"; then
  echo "ASan binary: RSS growth not judged (quarantine); LeakSanitizer checked the shutdown"
elif [ $((rssHalf[1] - rssHalf[0])) -gt 8192 ]; then
  echo "RSS grew by more than 8 MiB in the second half"; fail=1
fi
[ "$fail" = 0 ] && echo "soak: OK" || echo "soak: FAILED"
exit "$fail"
