#!/usr/bin/python3
"""Overlays of ship detections on the real images of ../shared/data, for docs/detections/.

usage: scripts/ship_overlays.py [BUILD_DIR/changewatch] [OUT_DIR]
Writes OUT_DIR/<image>.jpg. Runs `changewatch count --detector ships` (default options) on every real image with ship truth,
and draws on a contrast-stretched copy: the truth (green: COCO boxes or hand labels; dark green:
small craft, don't-care), and the detections as crosses (red: at anchor, magenta: berthed,
cyan: underway). Prints precision and recall per image with the rules of
tests/cli/test_ships_real.cpp. Needs Debian's python3-gdal, python3-numpy and python3-opencv.
"""
import json, math, os, subprocess, sys, tempfile
import numpy as np
import cv2
from osgeo import gdal

gdal.PushErrorHandler('CPLQuietErrorHandler')
here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
cw = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, 'build', 'changewatch')
out_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, 'docs', 'detections')
data = os.path.join(root, '..', 'shared', 'data')
labels_dir = os.path.join(root, 'tests', 'fixtures', 'ship_labels')
TRAIN = {'busan', 'casablanca', '20190317', '20190531', '20200311', 'scene_1', 'scene_2'}


def count(image, work, extra=()):
    out = os.path.join(work, os.path.splitext(os.path.basename(image))[0])
    subprocess.run([cw, 'count', image, '--detector', 'ships', '--out', out, *extra],
                   check=True, capture_output=True)
    fc = json.load(open(os.path.join(out, 'detections.geojson')))
    return [f['properties'] for f in fc['features']]


def stretched(image, bands):
    ds = gdal.Open(image)
    a = np.dstack([ds.GetRasterBand(b).ReadAsArray().astype(np.float32) for b in bands])
    lo, hi = np.percentile(a, [1, 99.5])
    return np.clip((a - lo) / max(hi - lo, 1e-6) * 255, 0, 255).astype(np.uint8)[:, :, ::-1].copy()


def greedy(det, truth, tol):
    pairs = sorted((math.hypot(d['x_px'] - t['x'], d['y_px'] - t['y']), i, j)
                   for i, d in enumerate(det) for j, t in enumerate(truth)
                   if math.hypot(d['x_px'] - t['x'], d['y_px'] - t['y']) <= tol(t))
    ui, uj, m = set(), set(), []
    for _, i, j in pairs:
        if i not in ui and j not in uj:
            ui.add(i); uj.add(j); m.append((i, j))
    return m


def draw(img, det, name, scale):
    img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    for d in det:
        colour = (255, 255, 0) if d.get('underway') else (255, 0, 255) if d.get('berthed') else (0, 0, 255)
        cv2.drawMarker(img, (int(d['x_px'] * scale), int(d['y_px'] * scale)), colour,
                       cv2.MARKER_CROSS, 14, 2)
    cv2.imwrite(os.path.join(out_dir, name + '.jpg'), img, [cv2.IMWRITE_JPEG_QUALITY, 80])


def port(name, work):
    d = os.path.join(data, 's2_ports', name)
    vrt = os.path.join(work, name + '.vrt')
    gdal.BuildVRT(vrt, [os.path.join(d, b + '.tif') for b in ('B02', 'B03', 'B04', 'B08')], separate=True)
    det = count(vrt, work)
    boxes = [a['bbox'] for a in json.load(open(os.path.join(d, 'labels_coco.json')))['annotations']]
    used, tp = set(), 0
    for p in det:
        for i, (bx, by, bw, bh) in enumerate(boxes):
            if i not in used and bx - 2 <= p['x_px'] <= bx + bw + 2 and by - 2 <= p['y_px'] <= by + bh + 2:
                used.add(i); tp += 1; break
    img, s = stretched(vrt, [3, 2, 1]), 2
    img = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_NEAREST)
    for bx, by, bw, bh in boxes:
        cv2.rectangle(img, (int(bx * s), int(by * s)), (int((bx + bw) * s), int((by + bh) * s)), (0, 255, 0), 1)
    draw(img, [dict(p, x_px=p['x_px'], y_px=p['y_px']) for p in det], 's2_' + name, 1)
    return len(boxes), len(det), tp, ''


def labelled(image, label_file, out_name, work, extra=()):
    det = count(image, work, extra)
    lab = json.load(open(label_file))['ships']
    m = greedy(det, lab, lambda t: max(3.0, 0.5 * (t.get('length_px') or 6)))
    dont = {i for i, j in m if lab[j].get('small_craft')}
    hits = [(i, j) for i, j in m if not lab[j].get('small_craft')]
    truth = [t for t in lab if not t.get('small_craft')]
    per = {}
    for t in truth:
        per.setdefault(t['class'], [0, 0])[1] += 1
    for _, j in hits:
        per[lab[j]['class']][0] += 1
    img = stretched(image, [1, 2, 3])
    for t in lab:
        colour = (0, 110, 0) if t.get('small_craft') else (0, 255, 0)
        cv2.circle(img, (int(t['x']), int(t['y'])), int(max(5, 0.6 * (t.get('length_px') or 6))), colour, 1)
    draw(img, det, out_name, 1)
    classes = ' '.join(f'{k} {v[0]}/{v[1]}' for k, v in sorted(per.items()))
    return len(truth), len(det) - len(dont), len(hits), classes


def main():
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for p in ('busan', 'casablanca', 'honolulu'):
            rows.append(('s2_' + p, p in TRAIN) + port(p, work))
        van = os.path.join(data, 's2_vancouver')
        for f in sorted(os.listdir(van)):
            if f.endswith('.tif'):
                date = f.split('_')[2]
                rows.append(('vancouver_' + date, date in TRAIN) + labelled(
                    os.path.join(van, f), os.path.join(labels_dir, f[:-4] + '.json'), 'vancouver_' + date, work))
        for i in range(1, 5):
            rows.append((f'planet_scene_{i}', f'scene_{i}' in TRAIN) + labelled(
                os.path.join(data, 'ports_nolabel', f'scene_{i}.png'),
                os.path.join(labels_dir, f'planet_scene_{i}.json'), f'planet_scene_{i}', work, ['--pixel-size', '3']))
    print('| image | set | truth | detected | matched | precision | recall | per class |')
    print('|---|---|---|---|---|---|---|---|')
    for name, train, truth, found, tp, classes in rows:
        p = f'{tp / found:.2f}' if found else '–'
        r = f'{tp / truth:.2f}' if truth else '–'
        print(f'| {name} | {"tuning" if train else "held out"} | {truth} | {found} | {tp} | {p} | {r} | {classes} |')


if __name__ == '__main__':
    main()
