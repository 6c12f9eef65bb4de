// AOI grids (UTM, antimeridian, polar) and warping scenes onto them.
#include <catch2/catch.hpp>

#include <gdal_priv.h>
#include <opencv2/core.hpp>

#include "tests/test_support.hpp"
#include "tiles/aoi_grid.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/scene_warp.hpp"

using namespace cw::tiles;
using cw::test::TempDir;
namespace fs = std::filesystem;

namespace {

// A UTM 33N Float32 GeoTIFF whose pixel (c, r) holds c + 1000 r, 10 m pixels.
fs::path makeRamp(const fs::path& path, int epsg, double x0, double y0, int w, int h) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  GdalDataset ds(drv->Create(path.c_str(), w, h, 1, GDT_Float32, nullptr));
  OGRSpatialReference srs;
  srs.importFromEPSG(epsg);
  ds->SetSpatialRef(&srs);
  double gt[6] = {x0, 10.0, 0.0, y0, 0.0, -10.0};
  ds->SetGeoTransform(gt);
  cv::Mat m(h, w, CV_32F);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) m.at<float>(r, c) = static_cast<float>(c + 1000 * r);
  REQUIRE(ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, w, h, m.data, w, h, GDT_Float32, 0, 0,
                                         nullptr) == CE_None);
  return path;
}

cv::Mat readAll(const std::string& path, int band) {
  auto ds = openRaster(path);
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize();
  cv::Mat m(h, w, CV_32F);
  REQUIRE(ds->GetRasterBand(band)->RasterIO(GF_Read, 0, 0, w, h, m.data, w, h, GDT_Float32, 0, 0,
                                            nullptr) == CE_None);
  return m;
}

}  // namespace

TEST_CASE("aoi grid: UTM zone of the centroid, UPS near the poles", "[unit]") {
  CHECK(metricEpsgFor(29.0, 41.0) == 32635);
  CHECK(metricEpsgFor(-73.9, 40.7) == 32618);
  CHECK(metricEpsgFor(151.2, -33.9) == 32756);
  CHECK(metricEpsgFor(10.0, 85.0) == 32661);
  CHECK(metricEpsgFor(10.0, -82.0) == 32761);
}

TEST_CASE("aoi grid: the extent is snapped to whole pixels and covers the AOI", "[unit]") {
  AoiGridRequest r{
      {{29.0, 41.0}, {29.05, 41.0}, {29.05, 41.04}, {29.0, 41.04}, {29.0, 41.0}}, 3.0, 0};
  const GridSpec g = makeAoiGrid(r);
  CHECK(g.epsg() == 32635);
  CHECK(g.geoTransform[1] == 3.0);
  CHECK(g.geoTransform[5] == -3.0);
  CHECK(std::fmod(g.geoTransform[0], 3.0) == Approx(0.0).margin(1e-6));
  CHECK(std::fmod(g.geoTransform[3], 3.0) == Approx(0.0).margin(1e-6));
  // ~4.2 km x 4.4 km at 3 m, plus the envelope of a rectangle turned by the grid convergence
  // (2 degrees east of the zone's central meridian).
  CHECK(g.width == Approx(1436).margin(3));
  CHECK(g.height == Approx(1513).margin(3));
}

TEST_CASE("aoi grid: an AOI crossing the antimeridian gets a compact grid", "[unit]") {
  // [179.9, -17, -179.9, -16.9] as the config stores it: east continued past 180.
  AoiGridRequest r{
      {{179.9, -17.0}, {180.1, -17.0}, {180.1, -16.9}, {179.9, -16.9}, {179.9, -17.0}}, 10.0, 0};
  const GridSpec g = makeAoiGrid(r);
  // ~21 km wide, not ~40,000 km.
  CHECK(g.width == Approx(2130).margin(40));
  CHECK(g.height == Approx(1110).margin(40));
  const auto [lon, lat] =
      gridToLonLat(g, g.geoTransform[0] + g.width * 5.0, g.geoTransform[3] - g.height * 5.0);
  CHECK(std::abs(std::abs(lon) - 180.0) < 0.01);
  CHECK(lat == Approx(-16.95).margin(0.01));
}

TEST_CASE("aoi grid: a polar AOI works in UPS", "[unit]") {
  AoiGridRequest r{{{10.0, 86.0}, {12.0, 86.0}, {12.0, 86.2}, {10.0, 86.2}, {10.0, 86.0}}, 10.0, 0};
  const GridSpec g = makeAoiGrid(r);
  CHECK(g.epsg() == 32661);
  CHECK(g.width > 100);
  CHECK(g.height > 100);
}

TEST_CASE("warp: a raster onto a grid shifted by whole pixels lands exactly", "[unit]") {
  TempDir d("cwwarp");
  const auto src = makeRamp(d / "ramp.tif", 32633, 500000.0, 4600000.0, 64, 48);
  auto ds = openRaster(src.string());
  GridSpec g = GridSpec::fromDataset(*ds);
  // Shift the target grid by 5 columns right and 3 rows down, and make it smaller.
  g.geoTransform[0] += 5 * 10.0;
  g.geoTransform[3] -= 3 * 10.0;
  g.width = 40;
  g.height = 30;
  writeWarpedVrt({src.string(), {1}, std::nullopt, "bilinear", true}, g, d / "w.vrt");
  const cv::Mat v = readAll((d / "w.vrt").string(), 1);
  const cv::Mat alpha = readAll((d / "w.vrt").string(), 2);
  for (int r = 0; r < g.height; ++r) {
    for (int c = 0; c < g.width; ++c) {
      INFO(c << "," << r);
      REQUIRE(v.at<float>(r, c) == Approx((c + 5) + 1000.0 * (r + 3)).margin(1e-3));
      REQUIRE(alpha.at<float>(r, c) == 255.0f);
    }
  }
}

TEST_CASE("warp: a UTM 33N scene onto a grid in UTM 34N keeps positions", "[unit]") {
  TempDir d("cwwarp2");
  // Near the 33/34 boundary (lon 18 E), 10 m pixels.
  const auto src = makeRamp(d / "ramp.tif", 32633, 780000.0, 4650000.0, 200, 200);
  auto ds = openRaster(src.string());
  const GridSpec s = GridSpec::fromDataset(*ds);
  // The AOI: the middle of the scene, projected to 34N.
  const auto c0 = gridToLonLat(s, 780000.0 + 500.0, 4650000.0 - 500.0);
  const auto c1 = gridToLonLat(s, 780000.0 + 1500.0, 4650000.0 - 1500.0);
  AoiGridRequest r{{{c0.first, c1.second},
                    {c1.first, c1.second},
                    {c1.first, c0.second},
                    {c0.first, c0.second},
                    {c0.first, c1.second}},
                   10.0,
                   32634};
  const GridSpec g = makeAoiGrid(r);
  CHECK(g.epsg() == 32634);
  writeWarpedVrt({src.string(), {1}, std::nullopt, "bilinear", true}, g, d / "w.vrt");
  const cv::Mat v = readAll((d / "w.vrt").string(), 1);
  // Each grid pixel centre, taken back to 33N, must hold the ramp value of that position.
  OGRSpatialReference s34, s33;
  s34.importFromEPSG(32634);
  s33.importFromEPSG(32633);
  s34.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  s33.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> t(OGRCreateCoordinateTransformation(&s34, &s33));
  int checked = 0;
  for (int r2 = 10; r2 < g.height - 10; r2 += 17) {
    for (int c2 = 10; c2 < g.width - 10; c2 += 13) {
      auto p = g.pixelToMap(c2 + 0.5, r2 + 0.5);
      double x = p.x, y = p.y;
      REQUIRE(t->Transform(1, &x, &y));
      const double col = (x - 780000.0) / 10.0 - 0.5, row = (4650000.0 - y) / 10.0 - 0.5;
      // GDAL's approximate transformer errs by at most 0.125 px.
      CHECK(v.at<float>(r2, c2) == Approx(col + 1000.0 * row).margin(0.15 * 1000 + 0.15));
      ++checked;
    }
  }
  CHECK(checked > 20);
}
