#!/usr/bin/python3
"""Inputs and floors for bench_change.sh (numpy + GDAL python, independent of changewatch).

  bench_change_io.py generate SIZE DIR [--deflate]   before.tif / after.tif, 4-band UInt16,
                                                     EPSG:32633 at 10 m, tiled 512, pixel interleave
  bench_change_io.py read BEFORE AFTER               read floor: every block of both, once
  bench_change_io.py write SIZE DIR                  write floor: score (Float32) + mask (Byte)
                                                     COGs from memory, changewatch's options
"""
import sys

import numpy as np
from osgeo import gdal

gdal.UseExceptions()


def generate(size, out, deflate):
    rng = np.random.default_rng(1)
    opts = ["TILED=YES", "BLOCKXSIZE=512", "BLOCKYSIZE=512", "INTERLEAVE=PIXEL", "BIGTIFF=IF_SAFER"]
    if deflate:
        opts += ["COMPRESS=DEFLATE", "PREDICTOR=2"]
    drv = gdal.GetDriverByName("GTiff")
    dss = [drv.Create(f"{out}/{n}.tif", size, size, 4, gdal.GDT_UInt16, opts) for n in ("before", "after")]
    for ds in dss:
        ds.SetGeoTransform([500000, 10, 0, 5000000, 0, -10])
        ds.SetProjection("EPSG:32633")
    for y0 in range(0, size, 512):
        h = min(512, size - y0)
        base = rng.integers(500, 3000, size=(h, size), dtype=np.int32)
        change = np.zeros((h, size), bool)
        # Blocky changes: a few per strip.
        for _ in range(size // 512):
            x = int(rng.integers(0, size - 64)); yy = int(rng.integers(0, max(1, h - 32)))
            change[yy:yy + 32, x:x + 64] = True
        for b in range(4):
            bb = base + rng.integers(-50, 50, size=base.shape)
            aa = (base * 1.1 + 30 + rng.integers(-50, 50, size=base.shape)).astype(np.int32)
            aa[change] += 2000
            dss[0].GetRasterBand(b + 1).WriteArray(np.clip(bb, 0, 65535).astype(np.uint16), 0, y0)
            dss[1].GetRasterBand(b + 1).WriteArray(np.clip(aa, 0, 65535).astype(np.uint16), 0, y0)
    for ds in dss:
        ds.FlushCache()


def read(paths):
    total = 0
    for p in paths:
        ds = gdal.Open(p)
        w, h = ds.RasterXSize, ds.RasterYSize
        for y0 in range(0, h, 512):
            buf = ds.ReadRaster(0, y0, w, min(512, h - y0))
            total += len(buf)
    print(f"read {total >> 20} MiB")


def write(size, out):
    mem = gdal.GetDriverByName("MEM")
    score = mem.Create("", size, size, 1, gdal.GDT_Float32)
    rng = np.random.default_rng(2)
    for y0 in range(0, size, 1024):
        h = min(1024, size - y0)
        score.GetRasterBand(1).WriteArray(rng.random((h, size), dtype=np.float32) * 50, 0, y0)
    score.GetRasterBand(1).SetNoDataValue(float("nan"))
    mask = mem.Create("", size, size, 1, gdal.GDT_Byte)
    for y0 in range(0, size, 1024):
        h = min(1024, size - y0)
        mask.GetRasterBand(1).WriteArray((rng.random((h, size)) > 0.97).astype(np.uint8), 0, y0)
    mask.GetRasterBand(1).SetNoDataValue(255)
    import time
    t0 = time.time()
    for ds, name, rs in ((score, "score", "AVERAGE"), (mask, "mask", "NEAREST")):
        gdal.Translate(f"{out}/{name}.tif", ds, format="COG",
                       creationOptions=["COMPRESS=ZSTD", "LEVEL=1", f"OVERVIEW_RESAMPLING={rs}",
                                        "NUM_THREADS=2", "BIGTIFF=IF_SAFER"])
    print(f"write-only {time.time() - t0:.3f} s")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "generate":
        generate(int(sys.argv[2]), sys.argv[3], "--deflate" in sys.argv)
    elif cmd == "read":
        read(sys.argv[2:4])
    elif cmd == "write":
        write(int(sys.argv[2]), sys.argv[3])
