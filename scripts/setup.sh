#!/usr/bin/env bash
# Installs every build and test dependency of changewatch from Debian's packages.
# Idempotent: packages already present are skipped. Runs as root or through sudo,
# waiting on the dpkg lock instead of failing on it.
#   scripts/setup.sh            build + test dependencies
#   scripts/setup.sh --bench    also Orfeo ToolBox (otb-bin) for the benchmarks
set -euo pipefail

pkgs=(
  build-essential cmake ninja-build ccache pkg-config git
  libgdal-dev gdal-bin libopencv-dev libtbb-dev
  libhdf5-dev hdf5-tools libyaml-cpp-dev catch2 libcli11-dev
  libcpp-httplib-dev nlohmann-json3-dev libssl-dev zlib1g-dev libsodium-dev libbrotli-dev
  python3 python3-xarray python3-h5netcdf python3-numpy python3-gdal python3-opencv python3-jsonschema
  slurm-wlm munge
  chromium
  clang libclang-rt-14-dev clang-format
  libdlib-dev
  file time
)
for arg in "$@"; do
  case "$arg" in
    --bench) pkgs+=(otb-bin hyperfine wrk) ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

# Node.js may come from elsewhere (with its own npm); Debian's npm would conflict with it.
command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup.sh: all ${#pkgs[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "setup.sh: installing ${missing[*]}"
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup.sh: done"
