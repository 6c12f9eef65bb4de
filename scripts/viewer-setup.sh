#!/usr/bin/env bash
# Installs the viewer's npm packages (Leaflet for the page, playwright-core for the browser test)
# from viewer/package-lock.json with `npm ci`. Skips the install when node_modules already matches
# the lockfile. The browser itself is Debian's chromium (scripts/setup.sh), never a download.
set -euo pipefail
cd "$(dirname "$0")/../viewer"
if ! command -v npm >/dev/null 2>&1; then
  echo "viewer-setup: npm not found (scripts/setup.sh installs it)" >&2
  exit 1
fi
if [ -f node_modules/.package-lock.json ] && [ -f node_modules/leaflet/dist/leaflet.js ] &&
   [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "viewer-setup: node_modules up to date"
  exit 0
fi
npm ci --no-audit --no-fund
