#!/usr/bin/python3
"""Checks that product.h5 files open in xarray (engine="h5netcdf") with named dimensions.

Usage: check_h5_xarray.py PRODUCT.h5 [...]. Exits 0 when every file has score and mask on
(y, x), a time coordinate of 2 dates, x/y coordinates in metres and no phony_dim; otherwise
prints what is wrong and exits 1. Uses Debian's python3-xarray and python3-h5netcdf.
"""
import sys

import xarray as xr


def check(path):
    problems = []
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        dims = set(ds.dims)
        phony = [d for d in dims if str(d).startswith("phony_dim")]
        if phony:
            problems.append(f"phony dimensions {phony}")
        for var in ("score", "mask"):
            if var not in ds.variables:
                problems.append(f"no variable {var}")
            elif ds[var].dims != ("y", "x"):
                problems.append(f"{var} dims are {ds[var].dims}, expected ('y', 'x')")
        if ds.sizes.get("time") != 2:
            problems.append(f"time has {ds.sizes.get('time')} values, expected 2")
        for c in ("x", "y"):
            if c not in ds.coords or ds[c].attrs.get("units") != "m":
                problems.append(f"coordinate {c} missing or not in metres")
        if ds.attrs.get("Conventions") != "CF-1.8":
            problems.append(f"Conventions is {ds.attrs.get('Conventions')!r}")
        if "score" in ds.variables and ds["score"].attrs.get("grid_mapping") != "crs":
            problems.append("score has no grid_mapping 'crs'")
        summary = f"{dict(ds.sizes)} vars={sorted(ds.data_vars)}"
    if problems:
        print(f"{path}: " + "; ".join(problems))
        return False
    print(f"{path}: OK {summary}")
    return True


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    ok = all([check(p) for p in sys.argv[1:]])
    sys.exit(0 if ok else 1)
