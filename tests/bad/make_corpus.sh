#!/bin/sh
# The members of the bad-input corpus (tests/bad/README.md) that are too large, or too binary, to
# commit. Written into DIR, which the tests pass (a temp folder); run by hand to look at them:
#   tests/bad/make_corpus.sh /tmp/cw-corpus
#
#   config_100mb.yaml   a 100 MB config (one key, then comment lines): refused on its size before
#                       any parsing
#   huge_header.tif     a ~300-byte GeoTIFF (UTM 35N) whose header claims 1,000,000 x 1,000,000
#                       pixels in one strip, with no pixel data behind it
#   ungeoreferenced.tif the same kind of header at 64 x 64 with its pixels but no CRS tags
set -eu
dir=${1:?usage: make_corpus.sh DIR}
mkdir -p "$dir"

# head closes the pipe after 100 MiB; yes then dies of SIGPIPE, which is the intent.
{ printf 'output: out\n'; yes '# padding of a hostile 100 MB config ............................................' || true; } |
  head -c 104857600 >"$dir/config_100mb.yaml"

python3 - "$dir" <<'PY'
import struct, sys, os
out = sys.argv[1]

def tiff(path, width, height, georef, pixels):
    # Classic little-endian TIFF, one 8-bit band in one strip; entries sorted by tag.
    entries = []  # (tag, type, count, value-bytes)
    SHORT, LONG, DOUBLE = 3, 4, 12
    def e(tag, typ, vals):
        fmt = {SHORT: "H", LONG: "I", DOUBLE: "d"}[typ]
        entries.append((tag, typ, len(vals), struct.pack("<%d%s" % (len(vals), fmt), *vals)))
    strip = len(pixels) if pixels else 0xFFFFFFFF
    e(256, LONG, [width]); e(257, LONG, [height]); e(258, SHORT, [8]); e(259, SHORT, [1])
    e(262, SHORT, [1]); e(273, LONG, [0])  # patched below
    e(277, SHORT, [1]); e(278, LONG, [height]); e(279, LONG, [strip]); e(284, SHORT, [1])
    if georef:
        e(33550, DOUBLE, [3.0, 3.0, 0.0])
        e(33922, DOUBLE, [0, 0, 0, 500000.0, 4540000.0, 0])
        # GeoKeyDirectory: projected model, pixel is area, EPSG:32635 (WGS 84 / UTM 35N)
        e(34735, SHORT, [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32635])
    n = len(entries)
    ifd_size = 2 + 12 * n + 4
    extra_at = 8 + ifd_size
    extra = b""
    blobs = {}
    for tag, typ, count, data in entries:
        if len(data) > 4:
            blobs[tag] = extra_at + len(extra)
            extra += data
    data_at = extra_at + len(extra)
    ifd = struct.pack("<H", n)
    for tag, typ, count, data in entries:
        if tag == 273:
            data = struct.pack("<I", data_at)
        if len(data) > 4:
            ifd += struct.pack("<HHII", tag, typ, count, blobs[tag])
        else:
            ifd += struct.pack("<HHI", tag, typ, count) + data.ljust(4, b"\0")
    ifd += struct.pack("<I", 0)
    with open(path, "wb") as f:
        f.write(b"II*\0" + struct.pack("<I", 8) + ifd + extra + (pixels or b""))

tiff(os.path.join(out, "huge_header.tif"), 1000000, 1000000, True, None)
tiff(os.path.join(out, "ungeoreferenced.tif"), 64, 64, False, bytes(range(64)) * 64)
PY
