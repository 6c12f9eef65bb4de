#!/usr/bin/env bash
# Builds the Debian package changewatch_<version>_amd64.deb with CPack, into BUILD_DIR/package/.
#   scripts/package.sh [BUILD_DIR]        (default build dir: build, Release)
# The package installs /usr/bin/changewatch, the viewer with Leaflet under
# /usr/share/changewatch/viewer, and the example configs under /usr/share/changewatch/configs; its
# Depends come from dpkg-shlibdeps. Install it with: apt install ./changewatch_<version>_amd64.deb
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
scripts/viewer-setup.sh             # Leaflet for the viewer (npm ci; build-time only)
scripts/build.sh "$dir"
rm -f "$dir"/package/changewatch_*.deb
(cd "$dir" && cpack -G DEB >/dev/null)
deb=$(ls "$dir"/package/changewatch_*_amd64.deb)
dpkg-deb -f "$deb" Package Version Architecture Depends Suggests
echo "package.sh: built $deb"
echo "package.sh: install it with: apt install ./$deb"
