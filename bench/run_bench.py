#!/usr/bin/python3
"""changewatch benchmark suite (issue 9): whole processes against the GDAL floors and OTB.

Run through scripts/bench.sh (which installs otb-bin, builds Release and calls this). Stdlib only.

Every row is a whole process run under /usr/bin/time -v: one warm-up run (page cache, lazy
loading), then --runs runs; the row reports the median wall time, the median CPU time (user +
sys, children included) and the largest peak RSS of those runs. Rows:

  read floor    bench_floors read: both images once, full-width block-row strips, GDAL_CACHEMAX=64,
                GDAL_NUM_THREADS=threads (GDAL decodes the tiles of one request in parallel)
  write floor   bench_floors write: the outputs that changewatch wrote (score.tif, mask.tif),
                loaded into MEM untimed, then written as COGs with changewatch's creation
                options; the timed part only (it holds the outputs in memory by definition)
  cva, irmad    changewatch change BEFORE AFTER --method M --threads T
  OTB MAD       otbcli_MultivariateAlterationDetector, ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS=T,
                its defaults otherwise (4-band Float32 output)
  ships         changewatch count AFTER --detector ships (one scene)
  job           changewatch run on a config with one AOI (ships detector) over the pair: warp,
                footprints, change (irmad), ships on both dates, evidence
  gdalwarp      gdalwarp of both scenes onto the job's AOI grid (bilinear, -multi, NUM_THREADS)
  warp (engine) bench_warp: the same two warps through changewatch's warped VRTs, every tile
                read once in the engine's bounded pipeline (issue 3)

Inputs (bench/gen_pair) are cached in $CW_BENCH_CACHE (default bench/.cache).
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

# changewatch's batch commands carve their heap from address space advised for transparent huge
# pages (core/process_heap.hpp); every other process of the suite (the floors, gdalwarp,
# bench_warp, OTB) gets glibc's own equivalent, so that no ratio credits changewatch with it.
PEER_HEAP = {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_time_v(text):
    def field(name):
        m = re.search(re.escape(name) + r":\s*(.+)", text)
        if not m:
            raise RuntimeError(f"/usr/bin/time output lacks '{name}'")
        return m.group(1).strip()

    parts = [float(p) for p in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = 0.0
    for p in parts:
        wall = wall * 60 + p
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    rss = float(field("Maximum resident set size (kbytes)")) / 1024.0
    return wall, cpu, rss


class Runner:
    def __init__(self, args):
        self.args = args
        self.tmp = os.path.join(args.cache, "work")
        os.makedirs(self.tmp, exist_ok=True)

    def once(self, cmd, env=None, prepare=None):
        if prepare:
            prepare()
        tfile = os.path.join(self.tmp, "time.txt")
        full_env = dict(os.environ)
        full_env.update(env or {})
        p = subprocess.run(["/usr/bin/time", "-v", "-o", tfile] + cmd, env=full_env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-3000:]}")
        with open(tfile) as f:
            wall, cpu, rss = parse_time_v(f.read())
        return wall, cpu, rss, p.stdout

    def measure(self, label, cmd, env=None, prepare=None, inner=None, warmup=True):
        """Median of runs after a warm-up. inner(stdout) -> seconds replaces the wall time."""
        log(f"{label}: {' '.join(cmd)}")
        if warmup:
            self.once(cmd, env, prepare)
        walls, cpus, rsss, inners = [], [], [], []
        for _ in range(self.args.runs):
            w, c, r, out = self.once(cmd, env, prepare)
            walls.append(w)
            cpus.append(c)
            rsss.append(r)
            if inner:
                inners.append(inner(out))
        res = {"wall": statistics.median(inners if inner else walls),
               "cpu": statistics.median(cpus), "rss": max(rsss),
               "walls": inners if inner else walls}
        log(f"  -> {res['wall']:.2f} s, cpu {res['cpu']:.2f} s, {res['rss']:.0f} MiB")
        return res


def gdalinfo_json(path):
    return json.loads(subprocess.check_output(["gdalinfo", "-json", path], text=True))


def ensure_inputs(args, size, variant):
    d = os.path.join(args.cache, f"{size}-{variant}")
    b, a = os.path.join(d, "before_20250301.tif"), os.path.join(d, "after_20250401.tif")
    if not (os.path.exists(b) and os.path.exists(a)):
        log(f"generating {size}² {variant} pair in {d}")
        cmd = [os.path.join(args.build, "bench", "gen_pair"), str(size), d]
        if variant == "deflate":
            cmd.append("--deflate")
        subprocess.run(cmd, check=True)
    return b, a


def job_config(args, size, before, after):
    """A one-AOI config over the pair; returns (config path, grid from `plan --json`)."""
    d = os.path.dirname(before)
    ext = gdalinfo_json(before)["wgs84Extent"]["coordinates"][0]
    ul, ll, lr, ur = ext[0], ext[1], ext[2], ext[3]
    west, east = max(ul[0], ll[0]), min(ur[0], lr[0])
    south, north = max(ll[1], lr[1]), min(ul[1], ur[1])
    dx, dy = (east - west) * 0.005, (north - south) * 0.005
    bbox = [west + dx, south + dy, east - dx, north - dy]
    cfg = os.path.join(d, "job.yaml")
    with open(cfg, "w") as f:
        f.write(f"""# generated by bench/run_bench.py
output: {os.path.join(args.cache, 'work', 'job-default')}
threads: 0
window: {{start: 2025-01-01, end: 2025-12-31}}
pairing: {{strategy: consecutive, max_gap_days: 400}}
scenes:
  - folder: {d}
    glob: "*_2025????.tif"
    time_pattern: "_(\\\\d{{8}})"
sensor:
  profile: generic
  bands: {{blue: 1, green: 2, red: 3, nir: 4}}
  cloud_band: 0
min_coverage: 0.2
grid: {{pixel_size_m: 10, epsg: 32633, resampling: bilinear}}
change:
  method: irmad
  open_radius_m: 10
  close_radius_m: 10
  min_area_m2: 2000
aois:
  - id: bench_port
    name: Bench port
    kind: port
    bbox: [{bbox[0]:.7f}, {bbox[1]:.7f}, {bbox[2]:.7f}, {bbox[3]:.7f}]
    detectors:
      - name: ships
""")
    plan = json.loads(subprocess.check_output([args.cw, "plan", cfg, "--json"], text=True))
    grid = plan["aois"][0]["grid"]
    if len(plan["jobs"]) != 1:
        raise RuntimeError(f"{cfg}: expected one job, plan has {len(plan['jobs'])}")
    return cfg, grid


def schedule(args, size, variant, threads, row):
    """Measured runs for a row, or None to skip it. The full suite fits in ~40 min on 2 cores:
    at 16384² the change rows run at 2 threads on the uncompressed pair only, and the slow
    whole-scene rows there (OTB, gdalwarp, job) run once without a warm-up (their inputs are in
    the page cache from the rows before), and so does the job beyond 4096²; the table's runs
    column says so."""
    large = size >= 16384
    if args.quick:
        if variant == "deflate" and threads == 1:
            return None
        if row in ("read", "cva", "irmad"):
            return args.runs
        if variant != "raw" or threads != 2:
            return None
        if row == "otb" or row == "ships":
            return args.runs if size == 8192 else None
        if row in ("job", "gdalwarp"):
            return args.runs if size == 4096 else None
        return None
    if large and (variant == "deflate" or threads == 1):
        return None
    if variant == "deflate" and threads == 1 and size > 4096:
        return None  # the DEFLATE speed-up is measured at 4096²
    if row in ("read", "cva", "irmad"):
        return 1 if large else args.runs
    if variant != "raw":
        return None
    if threads != 2:
        return None  # the 1 → 2 thread speed-up is a target for cva and irmad only
    if row == "otb":
        return 1 if large else args.runs
    if row == "ships":
        return None if large else args.runs
    if row == "gdalwarp":
        return 1 if large else args.runs
    if row == "job":
        # One run beyond 4096² (a job is ~10× a change run; the suite has to fit in a session).
        return args.runs if size <= 4096 else 1
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="4096² and 8192², 1 run per row after the warm-up, a subset of rows (~10 min)")
    ap.add_argument("--sizes", default=None, help="comma-separated sizes (default 4096,8192,16384)")
    ap.add_argument("--runs", type=int, default=None,
                    help="measured runs per row after the warm-up (default 3; 1 with --quick)")
    ap.add_argument("--rows", default="read,cva,irmad,otb,ships,job,gdalwarp,encoding",
                    help="rows to measure")
    ap.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    ap.add_argument("--cache", default=os.environ.get("CW_BENCH_CACHE", os.path.join(HERE, ".cache")))
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--json", default=None, help="also write the raw rows as JSON here")
    ap.add_argument("--resume", action="store_true",
                    help="keep the rows already in --json and measure only the missing ones")
    args = ap.parse_args()
    if args.runs is None:
        args.runs = 1 if args.quick else 3
    args.cw = os.path.join(args.build, "changewatch")
    floors = os.path.join(args.build, "bench", "bench_floors")
    sizes = [int(s) for s in (args.sizes or ("4096,8192" if args.quick else "4096,8192,16384")).split(",")]
    rows_wanted = set(args.rows.split(","))
    os.makedirs(args.cache, exist_ok=True)
    r = Runner(args)
    gdal_env = {"GDAL_CACHEMAX": "64"}
    load_before = os.getloadavg()
    t_start = time.time()
    rows = []  # dicts: size, variant, threads, row, wall, cpu, rss, runs, note
    if args.resume and args.json and os.path.exists(args.json):
        with open(args.json) as f:
            old = json.load(f)
        rows = old["rows"]
        load_before = tuple(old["meta"]["load_before"])
        t_start -= old["meta"]["minutes"] * 60.0
        log(f"resuming with {len(rows)} rows from {args.json}")

    def have(size, variant, threads, row):
        return any((x["size"], x["variant"], x["threads"], x["row"]) == (size, variant, threads, row)
                   for x in rows)

    encodings = []

    def write_results(final=False):
        load_after = os.getloadavg()
        meta = dict(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), runs=args.runs,
                    mode="quick" if args.quick else "full", sizes=sizes, final=final,
                    load_before=load_before, load_after=load_after,
                    minutes=(time.time() - t_start) / 60.0, cpus=os.cpu_count(),
                    gdal=subprocess.check_output(["gdal-config", "--version"], text=True).strip(),
                    commit=subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                          stdout=subprocess.PIPE, text=True).stdout.strip())
        if args.json:
            with open(args.json, "w") as f:
                json.dump(dict(meta=meta, rows=rows, encodings=encodings), f, indent=1)
        history = kept_history(args.out)
        with open(args.out, "w") as f:
            f.write(render(meta, rows, encodings))
            f.write(history)
        return meta

    def add(size, variant, threads, row, res, runs, note=""):
        rows.append(dict(size=size, variant=variant, threads=threads, row=row, note=note,
                         runs=runs, **res))
        write_results()  # after every row, so an interrupted suite still leaves its figures

    def out_dir(name):
        return os.path.join(r.tmp, name)

    def fresh(p):
        return lambda: (shutil.rmtree(p, ignore_errors=True), os.makedirs(p, exist_ok=True))

    def measure(label, cmd, env, runs, prepare=None, inner=None):
        if cmd[0] != args.cw:
            env = dict(env, **PEER_HEAP)
        saved = args.runs
        args.runs = runs
        try:
            return r.measure(label, cmd, env, prepare=prepare, inner=inner,
                             warmup=runs > 1 or args.quick)
        finally:
            args.runs = saved

    otb = shutil.which("otbcli_MultivariateAlterationDetector")
    for size in sizes:
        for variant in ("raw", "deflate"):
            plans = {(t, row): schedule(args, size, variant, t, row)
                     for t in (1, 2) for row in ("read", "cva", "irmad", "otb", "ships", "job", "gdalwarp")}
            if not any(v for (t, row), v in plans.items() if row in rows_wanted):
                continue
            before, after = ensure_inputs(args, size, variant)
            for t in (1, 2):
                def want(row):
                    return plans[(t, row)] if row in rows_wanted else None
                env = dict(gdal_env, GDAL_NUM_THREADS=str(t))
                tag = f"{size}-{variant}-t{t}"
                if want("read") and not have(size, variant, t, "read floor"):
                    add(size, variant, t, "read floor",
                        measure(f"read {tag}", [floors, "read", before, after], env, want("read")),
                        want("read"))
                for m in ("cva", "irmad"):
                    n = want(m)
                    if not n or have(size, variant, t, f"write floor ({m})"):
                        continue
                    rows[:] = [x for x in rows
                               if (x["size"], x["variant"], x["threads"], x["row"]) != (size, variant, t, m)]
                    o = out_dir(f"{m}-{tag}")
                    add(size, variant, t, m,
                        measure(f"{m} {tag}", [args.cw, "change", before, after, "--out", o,
                                               "--method", m, "--threads", str(t)],
                                env, n, prepare=fresh(o)), n)
                    wo = out_dir(f"wfloor-{m}-{tag}")
                    add(size, variant, t, f"write floor ({m})",
                        measure(f"write floor {m} {tag}",
                                [floors, "write", wo, f"{o}/score.tif:AVERAGE",
                                 f"{o}/mask.tif:NEAREST", "--threads", str(t)], env, n,
                                inner=lambda s: float(s.split()[1])), n)
                    shutil.rmtree(wo, ignore_errors=True)
                    shutil.rmtree(o, ignore_errors=True)
                if want("ships") and not have(size, variant, t, "ships"):
                    add(size, variant, t, "read floor (after only)",
                        measure(f"read after {tag}", [floors, "read", after], env, want("ships")),
                        want("ships"))
                    o = out_dir(f"ships-{tag}")
                    add(size, variant, t, "ships",
                        measure(f"ships {tag}", [args.cw, "count", after, "--out", o,
                                                 "--detector", "ships", "--threads", str(t)],
                                env, want("ships"), prepare=fresh(o)), want("ships"))
                    shutil.rmtree(o, ignore_errors=True)
                if (want("job") and not have(size, variant, t, "job")) or \
                        (want("gdalwarp") and not have(size, variant, t, "gdalwarp")):
                    cfg, grid = job_config(args, size, before, after)
                    gt = grid["geotransform"]
                    w, h = grid["width"], grid["height"]
                    te = [gt[0], gt[3] + gt[5] * h, gt[0] + gt[1] * w, gt[3]]
                if want("gdalwarp") and not have(size, variant, t, "gdalwarp"):
                    o = out_dir(f"gdalwarp-{tag}")
                    warp = ["gdalwarp", "-q", "-overwrite", "-t_srs", f"EPSG:{grid['epsg']}",
                            "-te"] + [f"{v:.6f}" for v in te] + \
                           ["-ts", str(w), str(h), "-r", "bilinear", "-multi", "-wo",
                            f"NUM_THREADS={t}", "-co", "TILED=YES", "-dstalpha"]
                    script = " && ".join(
                        " ".join(warp + [src, os.path.join(o, name)])
                        for src, name in ((before, "before.tif"), (after, "after.tif")))
                    add(size, variant, t, "gdalwarp",
                        measure(f"gdalwarp {tag}", ["sh", "-c", script], env, want("gdalwarp"),
                                prepare=fresh(o)), want("gdalwarp"),
                        note=f"both scenes onto the {w}×{h} AOI grid")
                    shutil.rmtree(o, ignore_errors=True)
                    # The engine's own warp + tiling path on the same grid (issue 3).
                    add(size, variant, t, "warp (engine)",
                        measure(f"warp {tag}", [os.path.join(args.build, "bench", "bench_warp"),
                                                "--te"] + [f"{v:.6f}" for v in te] +
                                ["--ts", str(w), str(h), "--epsg", str(grid["epsg"]),
                                 "--threads", str(t), before, after], env, want("gdalwarp")),
                        want("gdalwarp"))
                if want("job") and not have(size, variant, t, "job"):
                    o = out_dir(f"job-{tag}")
                    add(size, variant, t, "job",
                        measure(f"job {tag}", [args.cw, "run", cfg, "--out", o, "--threads",
                                               str(t)], env, want("job"), prepare=fresh(o)),
                        want("job"), note=f"AOI grid {w}×{h}")
                    shutil.rmtree(o, ignore_errors=True)
                # OTB last: at 16384² it is the slowest row and the one to drop if time runs out.
                if want("otb") and otb and not have(size, variant, t, "OTB MAD"):
                    o = out_dir(f"otb-{tag}")
                    add(size, variant, t, "OTB MAD",
                        measure(f"otb {tag}", [otb, "-in1", before, "-in2", after,
                                               "-out", os.path.join(o, "mad.tif")],
                                {"ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS": str(t)}, want("otb"),
                                prepare=fresh(o)), want("otb"))
                    shutil.rmtree(o, ignore_errors=True)

    # Score encoding and compression, measured on real scores (cva and irmad at 8192², 2 threads).
    if "encoding" in rows_wanted and 8192 in sizes and not args.quick:
        before, after = ensure_inputs(args, 8192, "raw")
        for m in ("cva", "irmad"):
            for enc in ("float32", "uint16"):
                o = out_dir(f"enc-{m}-{enc}")
                shutil.rmtree(o, ignore_errors=True)
                subprocess.run([args.cw, "change", before, after, "--out", o, "--method", m,
                                "--threads", "2", "--score-encoding", enc], check=True,
                               stdout=subprocess.DEVNULL, env=dict(os.environ, **gdal_env))
                for comp, level, pred in (("ZSTD", 1, False), ("ZSTD", 1, True),
                                          ("DEFLATE", 1, False), ("DEFLATE", 6, True)):
                    wo = out_dir(f"enc-{m}-w")
                    cmd = [floors, "write", wo, f"{o}/score.tif:AVERAGE", "--threads", "2",
                           "--compress", comp, "--level", str(level)] + (["--predictor"] if pred else [])
                    res = measure(f"encoding {m} {enc} {comp}-{level}{' pred' if pred else ''}", cmd,
                                  gdal_env, 1, inner=lambda s: float(s.split()[1]))
                    out = subprocess.check_output(cmd, text=True, env=dict(os.environ, **gdal_env))
                    nbytes = int(re.search(r"bytes (\d+)", out).group(1))
                    encodings.append(dict(method=m, dtype=enc, comp=comp, level=level, pred=pred,
                                          wall=res["wall"], cpu=res["cpu"], mib=nbytes / 1048576.0))
                    write_results()
                    shutil.rmtree(wo, ignore_errors=True)
                shutil.rmtree(o, ignore_errors=True)

    meta = write_results(final=True)
    log(f"wrote {args.out} ({meta['minutes']:.1f} min)")


def kept_history(path):
    """The hand-written "## History" section at the end of RESULTS.md (dated notes on what moved
    the figures), which a new run keeps below its freshly rendered tables."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return ""
    at = text.find("\n## History\n")
    return text[at:] if at >= 0 else ""


def render(meta, rows, encodings):
    def find(size, variant, threads, row):
        for x in rows:
            if (x["size"], x["variant"], x["threads"], x["row"]) == (size, variant, threads, row):
                return x
        return None

    def fmt(v, spec=".2f"):
        return "–" if v is None else format(v, spec)

    L = []
    L.append("# Benchmark results\n")
    L.append(f"Generated by `scripts/bench.sh{' --quick' if meta['mode'] == 'quick' else ''}` on "
             f"{meta['date']} (commit {meta['commit']}, GDAL {meta['gdal']}, {meta['cpus']} cores). "
             f"Each row: median of its runs (column *runs*, normally {meta['runs']}) of the whole "
             f"process after a warm-up (rows with 1 run have no warm-up: their inputs are in the page cache "
             f"from the rows before) "
             f"(`/usr/bin/time -v`); CPU = user + sys; peak RSS = the largest of the runs. "
             f"Load average (1/5/15 min) before: {' / '.join(f'{v:.2f}' for v in meta['load_before'])}, "
             f"after: {' / '.join(f'{v:.2f}' for v in meta['load_after'])} (anything else running "
             f"on the same cores makes single figures noisy; the ratios compare rows of the same "
             f"run). Suite time {meta['minutes']:.1f} min.\n")
    L.append("Inputs: `bench/gen_pair` 4-band UInt16 pairs, EPSG:32633 at 10 m, tiled 512, pixel "
             "interleave; *raw* = uncompressed, *deflate* = DEFLATE + PREDICTOR=2. Floors: "
             "`bench/bench_floors` (plain GDAL). The write floor writes the files that run "
             "produced (score.tif + mask.tif) from memory with changewatch's creation options; "
             "its RSS is not comparable (it holds both rasters in memory by definition). "
             "changewatch's heap uses transparent huge pages (core/process_heap.hpp); every "
             "other process here runs with `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`, glibc's "
             "equivalent, so the floors and peers have the same advantage.\n")
    L.append("| size | input | threads | row | runs | wall s | CPU s | peak RSS MiB | ÷ floors | ÷ floors (CPU) | OTB ÷ this | 1→2 threads |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    order = ["read floor", "write floor (cva)", "cva", "write floor (irmad)", "irmad", "OTB MAD",
             "read floor (after only)", "ships", "gdalwarp", "warp (engine)", "job"]
    sizes = sorted({x["size"] for x in rows})
    for size in sizes:
        for variant in ("raw", "deflate"):
            for threads in (1, 2):
                for name in order:
                    x = find(size, variant, threads, name)
                    if not x:
                        continue
                    rd = find(size, variant, threads, "read floor")
                    ratio = cratio = otb_ratio = speed = None
                    if name in ("cva", "irmad"):
                        wf = find(size, variant, threads, f"write floor ({name})")
                        if rd and wf:
                            ratio = x["wall"] / (rd["wall"] + wf["wall"])
                            cratio = x["cpu"] / (rd["cpu"] + wf["cpu"])
                        o = find(size, "raw", threads, "OTB MAD") if variant == "raw" else None
                        if o:
                            otb_ratio = o["wall"] / x["wall"]
                    elif name == "ships":
                        ra = find(size, variant, threads, "read floor (after only)")
                        if ra:
                            ratio = x["wall"] / ra["wall"]
                            cratio = x["cpu"] / ra["cpu"]
                    elif name == "warp (engine)":
                        gw = find(size, variant, threads, "gdalwarp")
                        if gw:
                            ratio = x["wall"] / gw["wall"]
                            cratio = x["cpu"] / gw["cpu"]
                    elif name == "job":
                        gw = find(size, variant, threads, "gdalwarp")
                        wf = find(size, variant, threads, "write floor (irmad)")
                        if rd and gw and wf:
                            ratio = x["wall"] / (rd["wall"] + gw["wall"] + wf["wall"])
                            cratio = x["cpu"] / (rd["cpu"] + gw["cpu"] + wf["cpu"])
                    one = find(size, variant, 1, name) if threads == 2 else None
                    if one:
                        speed = one["wall"] / x["wall"]
                    extra = ""
                    if name == "ships" and x["wall"] > 0:
                        extra = f" ({size * size / 1e6 / x['wall']:.1f} MP/s)"
                    L.append(f"| {size}² | {variant} | {threads} | {name}{extra} | {x['runs']} | {x['wall']:.2f} | "
                             f"{x['cpu']:.2f} | {x['rss']:.0f} | {fmt(ratio)} | {fmt(cratio)} | {fmt(otb_ratio)} | "
                             f"{fmt(speed)} |")
    L.append("")
    L.append("Ratios: cva/irmad ÷ (read floor + that method's write floor); ships ÷ (read floor of "
             "the one scene); job ÷ (read floor + gdalwarp + irmad write floor); warp (engine) ÷ gdalwarp; OTB ÷ this = OTB "
             "MAD wall ÷ this row's wall at the same size and threads; 1→2 threads = wall at 1 "
             "thread ÷ wall at 2.\n")

    # Targets.
    L.append("## Targets\n")
    L.append("| metric | target | measured |")
    L.append("|---|---|---|")
    for m in ("cva", "irmad"):
        for variant in ("raw", "deflate"):
            vals = []
            for size in sizes:
                x = find(size, variant, 2, m)
                rd = find(size, variant, 2, "read floor")
                wf = find(size, variant, 2, f"write floor ({m})")
                if x and rd and wf:
                    vals.append(f"{size}²: {x['wall'] / (rd['wall'] + wf['wall']):.2f}")
            if vals and m == "cva":
                L.append(f"| cva ÷ (read + write floor), {variant}, 2 threads | ≤ 1.3 | {', '.join(vals)} |")
            elif vals:
                L.append(f"| irmad ÷ (read + write floor), {variant}, 2 threads | (no target) | {', '.join(vals)} |")
    vals = []
    for size in sizes:
        x, o = find(size, "raw", 2, "irmad"), find(size, "raw", 2, "OTB MAD")
        if x and o:
            vals.append(f"{size}²: {o['wall'] / x['wall']:.2f}× ({o['wall']:.1f} s vs {x['wall']:.1f} s)")
    L.append(f"| OTB MAD ÷ irmad, 2 threads | ≥ 5 | {', '.join(vals) or '–'} |")
    vals = []
    for size in sizes:
        x = find(size, "raw", 2, "job")
        rd, gw, wf = (find(size, "raw", 2, n) for n in ("read floor", "gdalwarp", "write floor (irmad)"))
        if x and rd and gw and wf:
            vals.append(f"{size}²: {x['wall'] / (rd['wall'] + gw['wall'] + wf['wall']):.2f}")
    L.append(f"| job ÷ (read + gdalwarp + write floor), 2 threads | ≤ 3 | {', '.join(vals) or '–'} |")
    for name in ("cva", "irmad", "ships", "job", "OTB MAD", "gdalwarp"):
        vals = []
        for size in sizes:
            xs = [x["rss"] for x in rows if x["size"] == size and x["row"] == name]
            if xs:
                vals.append(f"{size}²: {max(xs):.0f}")
        if vals:
            tgt = "≤ 512, flat" if name in ("cva", "irmad", "ships", "job") else "(peer)"
            L.append(f"| peak RSS MiB, {name} (max over inputs and threads) | {tgt} | {', '.join(vals)} |")
    vals = [f"{x['size']}²: {x['rss']:.0f} MiB" for x in rows if x["row"] == "job"]
    if vals:
        L.append(f"| peak RSS of a whole job (issue 3) | < 1024 MiB at 16384² | {', '.join(vals)} |")
    for m in ("cva", "irmad"):
        vals = []
        for size in sizes:
            for variant in ("raw", "deflate"):
                a, b = find(size, variant, 1, m), find(size, variant, 2, m)
                if a and b:
                    vals.append(f"{size}² {variant}: {a['wall'] / b['wall']:.2f}")
        if vals:
            L.append(f"| {m} 1→2 threads speed-up | ≥ 1.7 | {', '.join(vals)} |")
    L.append("")

    if encodings:
        L.append("## Score encoding and compression (8192² score.tif, COG with overviews, 2 threads, 1 run each)\n")
        L.append("| method | score type | compression | write s | process CPU s | size MiB |")
        L.append("|---|---|---|---|---|---|")
        for e in encodings:
            c = e["comp"] + (f" level {e['level']}" if e["comp"] != "LZW" else "") + \
                (" + predictor" if e["pred"] else "")
            L.append(f"| {e['method']} | {e['dtype']} | {c} | {e['wall']:.2f} | {e['cpu']:.2f} | {e['mib']:.0f} |")
        L.append("")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
