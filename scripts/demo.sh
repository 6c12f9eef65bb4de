#!/usr/bin/env bash
# The demo: installs dependencies, builds in Release, generates the demo scenes with the
# simulator and runs the main job on the embedded demo config (configs/demo.yaml).
#   scripts/demo.sh [--size PX] [--dates K]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
size=2048
dates=4
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --dates) dates="$2"; shift 2 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

scripts/setup.sh
scripts/viewer-setup.sh    # Leaflet for the review page (npm ci, from viewer/package-lock.json)
scripts/build.sh build
cw="$root/build/changewatch"

echo "== generating demo scenes and their AIS feed (seed 7, ${size} px, ${dates} dates) in demo/"
"$cw" simulate --out demo --seed 7 --size "$size" --dates "$dates" --ais
echo "== validating configs/demo.yaml"
"$cw" validate configs/demo.yaml
echo "== plan"
"$cw" plan configs/demo.yaml
echo "== run"
"$cw" run configs/demo.yaml

out="$root/demo/out"
echo
echo "Evidence is in $out:"
echo "  report        $out/report.html"
echo "  verdicts      $out/corroboration.csv"
echo "  per job       $out/<aoi>/<before>_<after>/ (evidence.geojson, vessels.geojson, score.tif, mask.tif, product.h5, chips/)"
echo "  AIS           $out/port_alpha/ais.gpkg   (the feed's fixes near the port; open it in QGIS)"
echo "  manifest      $out/manifest.json   (check it: build/changewatch verify $out)"
if "$cw" --help 2>/dev/null | grep -q '^  serve'; then
  echo
  echo "Open the review viewer:"
  echo "  build/changewatch serve $out      then browse http://127.0.0.1:8080/"
fi
