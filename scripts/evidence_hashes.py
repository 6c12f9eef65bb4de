#!/usr/bin/env python3
"""Evidence hashes of the demo and simulator runs, to prove a refactoring changed no output.

    scripts/evidence_hashes.py CHANGEWATCH WORKDIR > hashes.txt
    scripts/evidence_hashes.py CHANGEWATCH WORKDIR --check tests/fixtures/evidence_hashes.txt

Runs four configs in WORKDIR: the demo (configs/demo.yaml on `simulate --seed 7 --size 2048
--dates 4 --ais`, as scripts/demo.sh runs it), an optical simulator run with AIS, a SAR simulator run,
and the optical run again with one thread. For every evidence file under each output folder it
prints `<run>/<relative path> <sha256>`, and for every job.json the hash it records for each file.

Two kinds of bytes are not evidence and are normalized before hashing, nothing else:
  - the software version (`git describe`, baked in at configure time) in product.h5, item.json
    and the report, and so item.json's checksum and size of product.h5 and the file addresses
    h5dump prints for object references (a longer version moves them);
  - the absolute path of WORKDIR in text files (plans, verdicts, STAC links).
product.h5 is hashed through `h5dump` without the attributes that name the version. job.json
(start/finish times, timings), manifest.json and its signature carry times and the host; their
file hashes are covered through the files themselves.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP_NAMES = {"job.json", "manifest.json", "manifest.json.sig", ".lock"}
SKIP_DIRS = {".work", ".cache"}
TEXT_SUFFIXES = (".json", ".geojson", ".csv", ".html", ".yaml", ".tsv")


def run(args, cwd):
    proc = subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        sys.exit(f"evidence_hashes: {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}")


def software_version(cw):
    out = subprocess.run([cw, "--version"], stdout=subprocess.PIPE, text=True, check=True).stdout
    m = re.search(r"\(([^)]*)\)", out)
    return m.group(1) if m else ""


def h5_bytes(path, version):
    """h5dump text without the file name and without the attributes that carry the version."""
    text = subprocess.run(["h5dump", path], stdout=subprocess.PIPE, text=True, check=True).stdout
    kept, block, depth = [], [], 0
    for line in text.splitlines()[1:]:
        if depth == 0 and line.strip().startswith("ATTRIBUTE "):
            block, depth = [line], line.count("{") - line.count("}")
            continue
        if depth > 0:
            block.append(line)
            depth += line.count("{") - line.count("}")
            if depth == 0 and not (version and any(version in x for x in block)):
                kept += block
            continue
        kept.append(line)
    # Object references print as file addresses, which move when the version's length changes.
    return re.sub(r"(DATASET|GROUP) \d+ ", r"\1 ", "\n".join(kept)).encode()


def stac_item_bytes(path):
    """item.json without the checksum and size of product.h5, whose bytes carry the version."""
    with open(path) as f:
        item = json.load(f)
    for asset in item.get("assets", {}).values():
        if asset.get("href", "").endswith(".h5"):
            asset.pop("file:checksum", None)
            asset.pop("file:size", None)
    return json.dumps(item, sort_keys=True).encode()


def file_bytes(path, work, version):
    if path.endswith(".h5"):
        return h5_bytes(path, version)
    if os.path.basename(path) == "item.json":
        data = stac_item_bytes(path)
        return data.replace(work.encode(), b"$WORK").replace(version.encode(), b"$VERSION")
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(TEXT_SUFFIXES):
        data = data.replace(work.encode(), b"$WORK")
        if version:
            data = data.replace(version.encode(), b"$VERSION")
    return data


def hash_tree(name, out, work, version):
    rows = []
    for dirpath, dirnames, filenames in os.walk(out):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for fn in sorted(filenames):
            path = os.path.join(dirpath, fn)
            rel = os.path.relpath(path, out)
            if fn == "job.json":
                with open(path) as f:
                    files = json.load(f).get("files", {})
                for key in sorted(files):
                    if key not in ("item.json", "product.h5"):  # version-bearing: hashed normalized
                        rows.append(f"{name}/{rel}#{key} {files[key]['sha256']}")
            if fn in SKIP_NAMES:
                continue
            digest = hashlib.sha256(file_bytes(path, work, version)).hexdigest()
            rows.append(f"{name}/{rel} {digest}")
    return rows


def simulate_and_run(cw, work, name, sim_args, config=None, threads=None):
    folder = os.path.join(work, name)
    run([cw, "simulate", "--out", folder] + sim_args, work)
    cfg = config or os.path.join(folder, "config.yaml")
    if threads is not None:
        with open(cfg) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write(re.sub(r"(?m)^threads: .*$", f"threads: {threads}", text))
    run([cw, "run", cfg], work)
    out = os.path.join(folder, "out") if config is None else os.path.join(work, "demo", "out")
    return out


def demo_run(cw, work):
    os.makedirs(os.path.join(work, "configs"), exist_ok=True)
    cfg = os.path.join(work, "configs", "demo.yaml")
    shutil.copy(os.path.join(ROOT, "configs", "demo.yaml"), cfg)
    return simulate_and_run(cw, work, "demo",
                            ["--seed", "7", "--size", "2048", "--dates", "4", "--ais"], config=cfg)


def main():
    args = sys.argv[1:]
    if len(args) not in (2, 4) or (len(args) == 4 and args[2] != "--check"):
        sys.exit(__doc__)
    cw, work = os.path.abspath(args[0]), os.path.abspath(args[1])
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    version = software_version(cw)
    outs = [("demo", demo_run(cw, work)),
            ("sim_optical_ais", simulate_and_run(
                cw, work, "sim_optical_ais", ["--seed", "3", "--size", "1024", "--dates", "3", "--ais"])),
            ("sim_sar", simulate_and_run(
                cw, work, "sim_sar", ["--seed", "5", "--size", "1024", "--dates", "3", "--sensor", "sar"])),
            ("sim_optical_ais_1thread", simulate_and_run(
                cw, work, "sim_optical_ais_1thread",
                ["--seed", "3", "--size", "1024", "--dates", "3", "--ais"], threads=1))]
    rows = []
    for name, out in outs:
        rows += hash_tree(name, out, os.path.dirname(out) if name != "demo" else work, version)
    if len(args) == 2:
        print("\n".join(rows))
        return
    # The one-thread run must equal the default-thread run, besides the recorded hashes.
    with open(args[3]) as f:
        expected = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    missing = sorted(set(expected) - set(rows))
    extra = sorted(set(rows) - set(expected))
    for line in missing:
        print("expected, not produced:", line)
    for line in extra:
        print("produced, not expected:", line)
    print(f"{len(rows)} hashes compared, {len(missing)} missing, {len(extra)} unexpected")
    sys.exit(1 if missing or extra else 0)


if __name__ == "__main__":
    main()
