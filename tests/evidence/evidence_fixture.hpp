#pragma once
// A small synthetic job for the evidence tests: a 200 x 160 px UTM 33N grid at 10 m, before and
// after 4-band UInt16 scenes identical except for a bright 30 x 30 px block (the "change") and two
// ships, the change mask and score on the grid, and hand-made evidence structs that match them.
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>

#include "evidence/evidence_types.hpp"
#include "evidence/job_evidence_writer.hpp"

namespace cw::evidence::test {

namespace fs = std::filesystem;

inline fs::path freshDir(const std::string& name) {
  const fs::path p =
      fs::temp_directory_path() / ("cw_evidence_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

inline std::string readBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline GridInfo testGrid() {
  GridInfo g;
  OGRSpatialReference srs;
  srs.importFromEPSG(32633);
  char* wkt = nullptr;
  srs.exportToWkt(&wkt);
  g.wkt = wkt;
  CPLFree(wkt);
  g.epsg = 32633;
  g.geotransform = {500000.0, 10.0, 0.0, 6000000.0, 0.0, -10.0};
  g.width = 200;
  g.height = 160;
  g.pixelSizeM = 10.0;
  return g;
}

inline LonLat pixelToLonLat(const GridInfo& g, double x, double y) {
  OGRSpatialReference grid, wgs84;
  grid.importFromEPSG(g.epsg);
  wgs84.SetWellKnownGeogCS("WGS84");
  grid.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&grid, &wgs84));
  double ex = g.geotransform[0] + x * g.geotransform[1];
  double ny = g.geotransform[3] + y * g.geotransform[5];
  ct->Transform(1, &ex, &ny);
  return {ex, ny};
}

// Writes a GeoTIFF on the grid; `value(band, x, y)` gives each pixel.
inline void writeRaster(const fs::path& path, const GridInfo& g, int bands, GDALDataType type,
                        const std::function<double(int, int, int)>& value,
                        const double* nodata = nullptr) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  std::unique_ptr<GDALDataset> ds(
      drv->Create(path.c_str(), g.width, g.height, bands, type, nullptr));
  ds->SetGeoTransform(const_cast<double*>(g.geotransform.data()));
  ds->SetProjection(g.wkt.c_str());
  std::vector<double> row(static_cast<size_t>(g.width));
  for (int b = 1; b <= bands; ++b) {
    if (nodata) ds->GetRasterBand(b)->SetNoDataValue(*nodata);
    for (int y = 0; y < g.height; ++y) {
      for (int x = 0; x < g.width; ++x) row[static_cast<size_t>(x)] = value(b, x, y);
      if (ds->GetRasterBand(b)->RasterIO(GF_Write, 0, y, g.width, 1, row.data(), g.width, 1,
                                         GDT_Float64, 0, 0) != CE_None)
        throw std::runtime_error("fixture raster write failed");
    }
  }
}

// Change block: columns 140..169, rows 20..49. Ships (after): (50, 40) and (120, 100); before
// has only the first. Rows 150..159 of the mask are "no decision" (cloud).
constexpr int kBlockX = 140, kBlockY = 20, kBlockSide = 30;

inline bool inBlock(int x, int y) {
  return x >= kBlockX && x < kBlockX + kBlockSide && y >= kBlockY && y < kBlockY + kBlockSide;
}

inline double texture(int b, int x, int y) {
  return 800.0 + 100.0 * b + ((x * 37 + y * 91 + b * 13) % 211);
}

struct JobFixture {
  fs::path outDir;
  fs::path jobDir;
  JobEvidence ev;
  JobEvidenceSources src;
};

inline JobFixture makeJob(const fs::path& outDir) {
  JobFixture f;
  f.outDir = outDir;
  const GridInfo g = testGrid();
  const fs::path scenes = outDir.parent_path() / (outDir.filename().string() + "_scenes");
  fs::create_directories(scenes);
  JobInfo& info = f.ev.info;
  info.aoiId = "port-a";
  info.aoiName = "Port A";
  info.aoiKind = "port";
  info.before = {"S1", (scenes / "before.tif").string(), std::string(64, 'a'),
                 "2024-03-01T10:00:00Z"};
  info.after = {"S2", (scenes / "after.tif").string(), std::string(64, 'b'),
                "2024-03-11T10:00:00Z"};
  info.grid = g;
  info.method = "cva";
  info.configHash = std::string(64, 'c');
  f.jobDir = outDir / info.aoiId / info.pairId();
  fs::create_directories(f.jobDir);

  auto ship = [](int x, int y, int sx, int sy) {
    return std::abs(x - sx) <= 1 && std::abs(y - sy) <= 4;
  };
  writeRaster(info.before.path, g, 4, GDT_UInt16,
              [&](int b, int x, int y) { return ship(x, y, 50, 40) ? 4000.0 : texture(b, x, y); });
  writeRaster(info.after.path, g, 4, GDT_UInt16, [&](int b, int x, int y) {
    if (inBlock(x, y)) return 3000.0 + b;
    if (ship(x, y, 50, 40) || ship(x, y, 120, 100)) return 4000.0;
    return texture(b, x, y);
  });
  writeRaster(f.jobDir / "mask.tif", g, 1, GDT_Byte, [&](int, int x, int y) {
    return y >= 150 ? 255.0 : inBlock(x, y) ? 1.0 : 0.0;
  });
  const double nan = std::numeric_limits<double>::quiet_NaN();
  writeRaster(
      f.jobDir / "score.tif", g, 1, GDT_Float32,
      [&](int, int x, int y) {
        return y >= 150 ? nan : inBlock(x, y) ? 0.9 : 0.01 * ((x + y) % 10);
      },
      &nan);

  ChangePolygon c;
  const int x0 = kBlockX, y0 = kBlockY, x1 = kBlockX + kBlockSide, y1 = kBlockY + kBlockSide;
  c.rings = {{pixelToLonLat(g, x0, y0), pixelToLonLat(g, x0, y1), pixelToLonLat(g, x1, y1),
              pixelToLonLat(g, x1, y0), pixelToLonLat(g, x0, y0)}};
  c.areaM2 = kBlockSide * kBlockSide * 100.0;
  c.meanScore = 0.9;
  c.pixelCount = kBlockSide * kBlockSide;
  c.bboxPx = {x0, y0, kBlockSide, kBlockSide};
  f.ev.changes.push_back(c);

  auto det = [&](const std::string& scene, double x, double y, double score) {
    DetectionRecord d;
    d.kind = "ships";
    const LonLat ll = pixelToLonLat(g, x + 0.5, y + 0.5);
    d.lon = ll[0];
    d.lat = ll[1];
    d.xPx = x + 0.5;
    d.yPx = y + 0.5;
    d.lengthM = 90;
    d.widthM = 30;
    d.headingDeg = 0;
    d.areaM2 = 2700;
    d.score = score;
    d.sceneId = scene;
    return d;
  };
  f.ev.detections = {det("S1", 50, 40, 7.5), det("S2", 50, 40, 7.0), det("S2", 120, 100, 6.0)};

  const Ring full = {pixelToLonLat(g, 0, 0), pixelToLonLat(g, 0, 150), pixelToLonLat(g, 200, 150),
                     pixelToLonLat(g, 200, 0), pixelToLonLat(g, 0, 0)};
  for (const SceneRef* s : {&info.before, &info.after}) {
    Footprint fp;
    fp.sceneId = s->id;
    fp.timeIso = s->timeIso;
    fp.validFraction = 150.0 / 160.0;
    fp.imagedFraction = 1.0;
    fp.areaM2 = 200.0 * 150.0 * 100.0;
    fp.polygons = {{full}};
    f.ev.footprints.push_back(fp);
    SceneCount sc;
    sc.sceneId = s->id;
    sc.timeIso = s->timeIso;
    sc.kind = "ships";
    sc.count = s->id == "S1" ? 1 : 2;
    sc.footprint = fp;
    f.ev.counts.push_back(sc);
  }
  f.ev.params = {{"shift_px", {0.25, -0.5}}, {"threshold", {0.42}}};

  f.src.chips.beforePath = info.before.path;
  f.src.chips.afterPath = info.after.path;
  f.src.chips.maskPath = (f.jobDir / "mask.tif").string();
  f.src.product.scorePath = (f.jobDir / "score.tif").string();
  f.src.product.maskPath = (f.jobDir / "mask.tif").string();
  f.src.product.chunkPx = 64;
  return f;
}

}  // namespace cw::evidence::test
