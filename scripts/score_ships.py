#!/usr/bin/python3
"""Independent scorer of ship detections against the by-eye labels in tests/fixtures/ship_labels/.

    scripts/score_ships.py LABELS.json DETECTIONS.geojson [--tol-px N] [--data-root DIR]
        [--kind KIND] [--ignore-small-craft] [--sure-only] [--min-length-px N]
        [--use-px-properties] [--json]

LABELS.json: one image's labels (format in tests/fixtures/ship_labels/README.md): ship centres in
the image's pixel grid, origin at the top-left corner of the top-left pixel (pixel centres at
i+0.5), with class anchor | berth | underway.

DETECTIONS.geojson: a FeatureCollection of Point features, or Polygon / MultiPolygon features
(their centroid is used), as `changewatch count` writes it.
  - Georeferenced image (a geotransform and a CRS; the Vancouver GeoTIFFs): the geometry is read
    as WGS84 lon/lat in RFC 7946 order and projected into the image's CRS and pixel grid with
    GDAL/OSR. --use-px-properties reads the x_px / y_px properties instead.
  - Image without georeferencing (the Planet PNGs): the position comes from the
    properties x_px / y_px, or else centroid_px = [x, y]; both are taken in the labels'
    convention (pixel centres at i+0.5), which is what changewatch writes. A feature with neither
    is used only when the file states that its geometry is in pixel coordinates (changewatch's
    "crs_note" for non-georeferenced rasters); otherwise the script stops with an error rather
    than guess.
  --kind KIND keeps only features whose property "kind" equals KIND (e.g. ship).

Matching: one-to-one, greedy nearest-first. Every (label, detection) pair closer than the label's
tolerance is a candidate; candidates are taken in order of increasing distance, each label and
each detection at most once. Tolerance: --tol-px N if given, else max(3 px, 0.5 x length_px).
A detection that matches no label is a false alarm.

Don't-care labels: with --ignore-small-craft (labels flagged small_craft), --sure-only (labels
with confidence "likely") or --min-length-px N (labels shorter than N px) those labels are
neither truth nor false alarms: they still take part in the matching, and a detection matched to
one is dropped from the detected count instead of counting as a false alarm.

Per class: truth = labels of that class; matched = those labels matched by a detection of any
class; recall = matched / truth. If the detections carry the booleans "berthed" / "underway"
(changewatch does), each detection also gets a predicted class (underway if underway, else berth
if berthed, else anchor), and the class row shows detected = detections predicted in that class
and precision = the share of those that matched a label (of any class). Without those
properties the class rows show recall only.

Written against the Python standard library, numpy-free, and GDAL's Python bindings (only for
georeferenced images), so it shares no code with changewatch.
"""
import argparse
import json
import math
import os
import sys

CLASSES = ("anchor", "berth", "underway")


def default_data_root():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "shared", "data"))


def centroid(geom):
    """Centroid (x, y) of a GeoJSON geometry in its own coordinates; None if empty."""
    t = geom.get("type") if geom else None
    c = geom.get("coordinates") if geom else None
    if t == "Point":
        return float(c[0]), float(c[1])
    if t == "MultiPoint" and c:
        return sum(p[0] for p in c) / len(c), sum(p[1] for p in c) / len(c)
    if t == "Polygon":
        return ring_centroid(c[0])
    if t == "MultiPolygon":
        acc_a = acc_x = acc_y = 0.0
        for poly in c:
            a, x, y = ring_moments(poly[0])
            acc_a += a
            acc_x += x
            acc_y += y
        if abs(acc_a) > 1e-30:
            return acc_x / acc_a, acc_y / acc_a
        pts = [p for poly in c for p in poly[0]]
        return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
    return None


def ring_moments(ring):
    a = x = y = 0.0
    for i in range(len(ring) - 1):
        x0, y0 = ring[i][0], ring[i][1]
        x1, y1 = ring[i + 1][0], ring[i + 1][1]
        cr = x0 * y1 - x1 * y0
        a += cr
        x += (x0 + x1) * cr
        y += (y0 + y1) * cr
    return a / 2.0, x / 6.0, y / 6.0


def ring_centroid(ring):
    a, x, y = ring_moments(ring)
    if abs(a) < 1e-30:  # degenerate ring: mean of its vertices
        pts = ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring
        return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
    return x / a, y / a


class Georef:
    """lon/lat (WGS84, lon first) -> continuous pixel coordinates of the image."""

    def __init__(self, path):
        from osgeo import gdal, osr

        gdal.UseExceptions()
        ds = gdal.Open(path)
        gt = ds.GetGeoTransform(can_return_null=True)
        wkt = ds.GetProjection()
        if gt is None or not wkt:
            raise ValueError("not georeferenced")
        self.inv = gdal.InvGeoTransform(gt)
        srs = osr.SpatialReference()
        srs.ImportFromWkt(wkt)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        wgs = osr.SpatialReference()
        wgs.SetWellKnownGeogCS("WGS84")
        wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        self.ct = osr.CoordinateTransformation(wgs, srs)

    def to_px(self, lon, lat):
        e, n, _ = self.ct.TransformPoint(lon, lat)
        inv = self.inv
        return (inv[0] + inv[1] * e + inv[2] * n, inv[3] + inv[4] * e + inv[5] * n)


def open_georef(image_path):
    if not os.path.exists(image_path):
        return None, "image not found at %s" % image_path
    try:
        return Georef(image_path), None
    except ImportError:
        return None, "GDAL Python bindings (osgeo) missing"
    except Exception as e:  # not georeferenced, or unreadable
        return None, str(e)


def feature_px_props(props):
    if props.get("x_px") is not None and props.get("y_px") is not None:
        return float(props["x_px"]), float(props["y_px"])
    c = props.get("centroid_px")
    if isinstance(c, (list, tuple)) and len(c) >= 2:
        return float(c[0]), float(c[1])
    return None


def predicted_class(props):
    if "underway" not in props and "berthed" not in props:
        return None
    if props.get("underway") in (True, 1, "true"):
        return "underway"
    if props.get("berthed") in (True, 1, "true"):
        return "berth"
    return "anchor"


def load_detections(path, georef, use_px_props, kind):
    doc = json.load(open(path))
    feats = doc.get("features", []) if doc.get("type") == "FeatureCollection" else [doc]
    note = str(doc.get("crs_note", "")).lower()
    geometry_is_pixels = "pixel coordinates" in note or "not georeferenced" in note
    dets, how = [], set()
    for f in feats:
        props = f.get("properties") or {}
        if kind and props.get("kind") != kind:
            continue
        xy = None
        if georef is not None and not use_px_props and not geometry_is_pixels:
            c = centroid(f.get("geometry"))
            if c is not None:
                xy = georef.to_px(c[0], c[1])
                how.add("geometry lon/lat -> image CRS -> pixel")
        if xy is None:
            xy = feature_px_props(props)
            if xy is not None:
                how.add("properties x_px/y_px or centroid_px")
        if xy is None and geometry_is_pixels:
            xy = centroid(f.get("geometry"))
            if xy is not None:
                how.add("geometry as pixel coordinates (file's crs_note)")
        if xy is None and georef is not None and not geometry_is_pixels:
            c = centroid(f.get("geometry"))  # --use-px-properties, but this feature has none
            if c is not None:
                xy = georef.to_px(c[0], c[1])
                how.add("geometry lon/lat -> image CRS -> pixel")
        if xy is None:
            sys.exit("%s: a feature has no usable position (no geometry usable for this image "
                     "and no x_px/y_px or centroid_px property)" % path)
        dets.append({"x": xy[0], "y": xy[1], "cls": predicted_class(props)})
    return dets, sorted(how)


def match(labels, dets, tol_px):
    pairs = []
    for i, l in enumerate(labels):
        tol = tol_px if tol_px is not None else max(3.0, 0.5 * float(l.get("length_px") or 0))
        for j, d in enumerate(dets):
            dist = math.hypot(d["x"] - l["x"], d["y"] - l["y"])
            if dist <= tol:
                pairs.append((dist, i, j))
    pairs.sort()
    l2d, d2l = {}, {}
    for dist, i, j in pairs:
        if i in l2d or j in d2l:
            continue
        l2d[i] = j
        d2l[j] = i
    return l2d, d2l


def ratio(a, b):
    return None if b == 0 else a / b


def fmt(v):
    return "-" if v is None else "%.3f" % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("labels")
    ap.add_argument("detections")
    ap.add_argument("--tol-px", type=float, default=None,
                    help="fixed match radius in pixels (default: max(3, 0.5 x length_px) per label)")
    ap.add_argument("--data-root", default=os.environ.get("CHANGEWATCH_DATA", default_data_root()),
                    help="folder the labels' image path is relative to (default ../shared/data "
                         "beside the repository, or $CHANGEWATCH_DATA)")
    ap.add_argument("--kind", default=None, help="keep only detections with this 'kind' property")
    ap.add_argument("--ignore-small-craft", action="store_true")
    ap.add_argument("--sure-only", action="store_true")
    ap.add_argument("--min-length-px", type=float, default=None)
    ap.add_argument("--use-px-properties", action="store_true",
                    help="take x_px/y_px from the properties even for a georeferenced image")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    a = ap.parse_args()

    lab = json.load(open(a.labels))
    labels = lab["ships"]
    image_path = os.path.join(a.data_root, lab["image"])
    georef, why = open_georef(image_path)
    dets, how = load_detections(a.detections, georef, a.use_px_properties, a.kind)

    def dont_care(l):
        if a.ignore_small_craft and l.get("small_craft"):
            return True
        if a.sure_only and l.get("confidence") != "sure":
            return True
        if a.min_length_px is not None and float(l.get("length_px") or 0) < a.min_length_px:
            return True
        return False

    l2d, d2l = match(labels, dets, a.tol_px)
    care = [not dont_care(l) for l in labels]
    kept = [j for j in range(len(dets)) if not (j in d2l and not care[d2l[j]])]
    truth = sum(care)
    matched = sum(1 for i in range(len(labels)) if care[i] and i in l2d)
    detected = len(kept)
    false_alarms = sum(1 for j in kept if j not in d2l)
    res = {"image": lab["image"], "labels": os.path.basename(a.labels),
           "detections": os.path.basename(a.detections),
           "georeferenced": georef is not None, "position_source": how,
           "tolerance": "%g px" % a.tol_px if a.tol_px is not None else "max(3, 0.5*length_px)",
           "dont_care_labels": len(labels) - truth,
           "all": {"truth": truth, "detected": detected, "matched": matched,
                   "false_alarms": false_alarms, "precision": ratio(matched, detected),
                   "recall": ratio(matched, truth)}, "classes": {}}
    have_cls = any(d["cls"] is not None for d in dets)
    for c in CLASSES:
        t = sum(1 for i, l in enumerate(labels) if care[i] and l["class"] == c)
        m = sum(1 for i, l in enumerate(labels) if care[i] and l["class"] == c and i in l2d)
        row = {"truth": t, "matched": m, "recall": ratio(m, t)}
        if have_cls:
            dc = [j for j in kept if dets[j]["cls"] == c]
            row["detected"] = len(dc)
            row["precision"] = ratio(sum(1 for j in dc if j in d2l), len(dc))
        res["classes"][c] = row

    if a.json:
        print(json.dumps(res, indent=1))
        return
    print("image      %s" % res["image"])
    print("positions  %s%s" % (", ".join(how) or "(no detections)",
                               "" if georef is not None else "  [image not georeferenced: %s]" % why))
    print("tolerance  %s; don't-care labels: %d" % (res["tolerance"], res["dont_care_labels"]))
    print("%-9s %6s %9s %8s %10s %7s" % ("class", "truth", "detected", "matched", "precision",
                                         "recall"))
    r = res["all"]
    print("%-9s %6d %9d %8d %10s %7s   false alarms %d" % (
        "all", r["truth"], r["detected"], r["matched"], fmt(r["precision"]), fmt(r["recall"]),
        r["false_alarms"]))
    for c in CLASSES:
        r = res["classes"][c]
        print("%-9s %6d %9s %8d %10s %7s" % (c, r["truth"], r.get("detected", "-"), r["matched"],
                                             fmt(r.get("precision")), fmt(r["recall"])))


if __name__ == "__main__":
    main()
