#!/usr/bin/python3
"""Independent scorer of a change mask against ground truth.

    scripts/score_mask.py MASK TRUTH [--unchanged UNCHANGED] [--json]

MASK: changewatch mask.tif (0 = no change, 1 = change, 255 = no decision; 255 counts as "no
change", since the method made no claim). TRUTH: an image whose non-zero pixels (255 in the
benchmark sets) are change. With --unchanged (Taizhou), only labelled pixels are scored: change
where TRUTH is non-zero, no change where UNCHANGED is non-zero; every other pixel is ignored.
Multi-band truth images (grey stored as RGB) use band 1.

Prints kappa, F1, precision, recall, overall accuracy (OA) and the confusion counts.
Written against numpy and GDAL's Python bindings only, so it shares no code with changewatch.
"""
import argparse
import json
import sys

import numpy as np
from osgeo import gdal

gdal.UseExceptions()


def band1(path):
    ds = gdal.Open(path)
    return ds.GetRasterBand(1).ReadAsArray()


def score(mask, truth, scored):
    pred = (mask == 1) & scored
    true = (truth != 0) & scored
    tp = int(np.sum(pred & true))
    fp = int(np.sum(pred & ~true))
    fn = int(np.sum(~pred & true & scored))
    tn = int(np.sum(~pred & ~true & scored))
    n = tp + fp + fn + tn
    oa = (tp + tn) / n
    pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    kappa = (oa - pe) / (1 - pe) if pe < 1 else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return dict(kappa=kappa, f1=f1, precision=precision, recall=recall, oa=oa,
                tp=tp, fp=fp, fn=fn, tn=tn, scored=n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mask")
    ap.add_argument("truth")
    ap.add_argument("--unchanged", help="image whose non-zero pixels are labelled no-change")
    ap.add_argument("--json", action="store_true", help="print JSON")
    a = ap.parse_args()
    mask = band1(a.mask)
    truth = band1(a.truth)
    if mask.shape != truth.shape:
        sys.exit(f"score_mask: size differs: mask {mask.shape} vs truth {truth.shape}")
    if a.unchanged:
        unchanged = band1(a.unchanged)
        scored = (truth != 0) | (unchanged != 0)
    else:
        scored = np.ones(mask.shape, dtype=bool)
    r = score(mask, truth, scored)
    if a.json:
        print(json.dumps(r))
    else:
        print("kappa {kappa:.4f}  F1 {f1:.4f}  precision {precision:.4f}  recall {recall:.4f}  "
              "OA {oa:.4f}  (TP {tp} FP {fp} FN {fn} TN {tn}, {scored} px scored)".format(**r))


if __name__ == "__main__":
    main()
