// gen_pair: a large 4-band UInt16 before/after pair for the benchmarks, written in streaming
// block rows (memory O(width × 512), not O(scene)), deterministic for a given size.
//
//   gen_pair SIZE OUTDIR [--deflate]
//
// Writes OUTDIR/before_20250301.tif and OUTDIR/after_20250401.tif: SIZE × SIZE, 4 bands
// described blue, green, red, nir; EPSG:32633 at 10 m; tiled 512 × 512, pixel interleave;
// uncompressed, or DEFLATE + PREDICTOR=2 with --deflate. Content is a coarse landscape so that
// every step has realistic work: a bay of water (low NIR) with ships (bright hulls, 10–30 px),
// land in 64-px fields with per-field reflectance, ±40 DN noise; AFTER has a per-band gain and
// offset and a few hundred changed fields (vegetation cleared). Files are written to temp names
// and renamed, so an interrupted run never leaves a truncated cache entry.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal_priv.h>

namespace {

namespace fs = std::filesystem;

uint32_t hash3(uint32_t a, uint32_t b, uint32_t c) {
  uint32_t h = a * 0x9E3779B1u ^ (b + 0x7F4A7C15u) * 0x85EBCA77u ^ (c + 0x165667B1u) * 0xC2B2AE3Du;
  h ^= h >> 15;
  h *= 0x2C1B3C6Du;
  h ^= h >> 12;
  h *= 0x297A2D39u;
  h ^= h >> 15;
  return h;
}

struct Scene {
  int size;
  bool water(int x, int y) const {
    const double shore = size * 0.35 + size * 0.05 * std::sin(y / 700.0);
    return x < shore;
  }
  // A ship hull in a 256-px cell of water: one ship per cell with probability 1/4.
  bool ship(int x, int y) const {
    const int cx = x >> 8, cy = y >> 8;
    const uint32_t h = hash3(cx, cy, 7);
    if (h % 4) return false;
    const int len = 10 + int(h >> 8) % 21, wid = 3 + int(h >> 16) % 3;
    const int ox = (cx << 8) + 40 + int(h >> 4) % 150, oy = (cy << 8) + 40 + int(h >> 12) % 150;
    const bool horizontal = (h >> 24) & 1;
    const int dx = x - ox, dy = y - oy;
    return horizontal ? (dx >= 0 && dx < len && dy >= 0 && dy < wid)
                      : (dx >= 0 && dx < wid && dy >= 0 && dy < len);
  }
  bool changedField(int fx, int fy) const { return hash3(fx, fy, 11) % 97 == 0; }
};

void writeImage(const Scene& s, const fs::path& path, bool after, bool deflate) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  CPLStringList co;
  co.SetNameValue("TILED", "YES");
  co.SetNameValue("BLOCKXSIZE", "512");
  co.SetNameValue("BLOCKYSIZE", "512");
  co.SetNameValue("INTERLEAVE", "PIXEL");
  co.SetNameValue("BIGTIFF", "IF_SAFER");
  if (deflate) {
    co.SetNameValue("COMPRESS", "DEFLATE");
    co.SetNameValue("PREDICTOR", "2");
    co.SetNameValue("NUM_THREADS", "ALL_CPUS");
  }
  const fs::path tmp = path.string() + ".part";
  GDALDataset* ds = drv->Create(tmp.c_str(), s.size, s.size, 4, GDT_UInt16, co.List());
  if (!ds) {
    std::fprintf(stderr, "gen_pair: cannot create %s: %s\n", tmp.c_str(), CPLGetLastErrorMsg());
    std::exit(1);
  }
  double gt[6] = {500000.0, 10.0, 0.0, 5000000.0, 0.0, -10.0};
  ds->SetGeoTransform(gt);
  OGRSpatialReference srs;
  srs.importFromEPSG(32633);
  ds->SetSpatialRef(&srs);
  const char* names[4] = {"blue", "green", "red", "nir"};
  const GDALColorInterp ci[4] = {GCI_BlueBand, GCI_GreenBand, GCI_RedBand, GCI_Undefined};
  for (int b = 0; b < 4; ++b) {
    ds->GetRasterBand(b + 1)->SetDescription(names[b]);
    ds->GetRasterBand(b + 1)->SetColorInterpretation(ci[b]);
  }
  const float gain[4] = {1.08f, 1.05f, 1.10f, 0.95f};
  const float offset[4] = {30, -20, 45, 60};
  const int rows = 512;
  std::vector<uint16_t> buf(static_cast<std::size_t>(s.size) * rows * 4);
  for (int y0 = 0; y0 < s.size; y0 += rows) {
    const int h = std::min(rows, s.size - y0);
    for (int r = 0; r < h; ++r) {
      const int y = y0 + r;
      uint16_t* row = buf.data() + static_cast<std::size_t>(r) * s.size * 4;
      for (int x = 0; x < s.size; ++x) {
        float v[4];
        const uint32_t n = hash3(x, y, after ? 2 : 1);
        if (s.water(x, y)) {
          v[0] = 800;
          v[1] = 900;
          v[2] = 600;
          v[3] = 300;
          if (s.ship(x, y)) {
            v[0] = 2600;
            v[1] = 2800;
            v[2] = 2700;
            v[3] = 2500;
          }
        } else {
          const int fx = x >> 6, fy = y >> 6;
          const uint32_t f = hash3(fx, fy, 3);
          const float k = 0.7f + 0.6f * float(f % 1000) / 1000.0f;
          v[0] = 500 * k;
          v[1] = 800 * k;
          v[2] = 700 * k;
          v[3] = 2600 * k;
          if (after && s.changedField(fx, fy)) {
            v[0] += 900;
            v[1] += 800;
            v[2] += 1500;
            v[3] -= 1400;
          }
        }
        for (int b = 0; b < 4; ++b) {
          float o = v[b] + float(int((n >> (b * 8)) & 0xFF) - 128) * (40.0f / 128.0f);
          if (after) o = o * gain[b] + offset[b];
          row[x * 4 + b] = static_cast<uint16_t>(std::clamp(o, 1.0f, 65535.0f));
        }
      }
    }
    if (ds->RasterIO(GF_Write, 0, y0, s.size, h, buf.data(), s.size, h, GDT_UInt16, 4, nullptr, 8,
                     GSpacing(8) * s.size, 2, nullptr) != CE_None) {
      std::fprintf(stderr, "gen_pair: write failed: %s\n", CPLGetLastErrorMsg());
      std::exit(1);
    }
    ds->FlushCache(false);
  }
  GDALClose(ds);
  fs::rename(tmp, path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: gen_pair SIZE OUTDIR [--deflate]\n");
    return 2;
  }
  const int size = std::atoi(argv[1]);
  const fs::path out = argv[2];
  const bool deflate = argc > 3 && std::string(argv[3]) == "--deflate";
  if (size < 512 || size > 65536) {
    std::fprintf(stderr, "gen_pair: SIZE must be 512..65536\n");
    return 2;
  }
  GDALAllRegister();
  GDALSetCacheMax64(GIntBig(64) << 20);
  fs::create_directories(out);
  const Scene s{size};
  writeImage(s, out / "before_20250301.tif", false, deflate);
  writeImage(s, out / "after_20250401.tif", true, deflate);
  return 0;
}
