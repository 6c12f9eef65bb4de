// Shore polygons (issue 16, "a user-supplied land or harbour polygon in any OGR format with a
// shore buffer"): land or water polygons in another CRS land on the scene grid within a pixel,
// the buffer moves the shore by its metres, and bad files are named before any run.
#include <catch2/catch.hpp>

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <fstream>

#include "core/error.hpp"
#include "tile_test_support.hpp"
#include "tiles/aoi_grid.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/shore_mask.hpp"

using namespace cw;
namespace fs = std::filesystem;

namespace {

// A 60×40 UTM 33N grid at 10 m; the polygon covers the columns x < 20 (200 m), written in WGS84
// lon/lat as a GeoJSON file (its vertices densified so the UTM edge stays straight).
const tiles::GridSpec kGrid = test::utmGrid(60, 40);

void writeWestPolygon(const fs::path& path, double xCut = 20.0) {
  std::string coords;
  auto add = [&](double col, double row) {
    const cv::Point2d m = kGrid.pixelToMap(col, row);
    const auto [lon, lat] = tiles::gridToLonLat(kGrid, m.x, m.y);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s[%.9f,%.9f]", coords.empty() ? "" : ",", lon, lat);
    coords += buf;
  };
  for (int r = -5; r <= 45; r += 5) add(xCut, r);
  add(-10, 45);
  add(-10, -5);
  add(xCut, -5);
  std::ofstream(path) << R"({"type":"FeatureCollection","features":[{"type":"Feature",)"
                      << R"("properties":{},"geometry":{"type":"Polygon","coordinates":[[)"
                      << coords << "]]}}]}";
}

cv::Mat readMask(const fs::path& path) {
  tiles::GdalDataset ds = tiles::openRaster(path.string());
  cv::Mat m(ds->GetRasterYSize(), ds->GetRasterXSize(), CV_8U);
  REQUIRE(ds->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, m.cols, m.rows, m.data, m.cols, m.rows,
                                         GDT_Byte, 0, 0) == CE_None);
  return m;
}

// First water column of row `row` (the shore), or -1.
int shoreColumn(const cv::Mat& m, int row) {
  for (int x = 0; x < m.cols; ++x) {
    if (m.at<uchar>(row, x) == 255) return x;
  }
  return -1;
}

}  // namespace

TEST_CASE("shore mask: WGS84 land polygons land on a UTM grid within a pixel", "[shore]") {
  const fs::path dir = test::scratchDir("shore");
  writeWestPolygon(dir / "land.geojson");
  tiles::ShoreSource s{(dir / "land.geojson").string(), "", true, 0.0};
  tiles::checkShoreSource(s);
  CHECK(tiles::writeShoreWaterMask(s, kGrid, dir / "water.tif") == 1);
  const cv::Mat m = readMask(dir / "water.tif");
  for (int row : {0, 20, 39}) CHECK(std::abs(shoreColumn(m, row) - 20) <= 1);
  CHECK(cv::countNonZero(m(cv::Rect(22, 0, 38, 40))) == 38 * 40);  // east of the shore: water
  CHECK(cv::countNonZero(m(cv::Rect(0, 0, 18, 40))) == 0);         // west: land
  CHECK(tiles::describeShore(s) == "land polygons land.geojson");
  fs::remove_all(dir);
}

TEST_CASE("shore mask: the buffer moves the shore seaward (+) or landward (-) by its metres",
          "[shore]") {
  const fs::path dir = test::scratchDir("shore_buffer");
  writeWestPolygon(dir / "poly.geojson");
  for (const bool land : {true, false}) {
    for (const double buffer : {50.0, -50.0}) {
      tiles::ShoreSource s{(dir / "poly.geojson").string(), "", land, buffer};
      tiles::writeShoreWaterMask(s, kGrid, dir / "water.tif");
      const cv::Mat m = readMask(dir / "water.tif");
      INFO("land " << land << ", buffer " << buffer);
      if (land) {
        // Land west of x = 20; +50 m = 5 px seaward: water from x = 25 (from 15 at -50 m).
        CHECK(std::abs(shoreColumn(m, 20) - (buffer > 0 ? 25 : 15)) <= 1);
      } else {
        // Water west of x = 20: the row's water ends at the shore, which moves the same way.
        const int lastWater = shoreColumn(255 - m, 20) - 1;
        CHECK(std::abs(lastWater + 1 - (buffer > 0 ? 15 : 25)) <= 1);
      }
    }
  }
  fs::remove_all(dir);
}

TEST_CASE("shore mask: a bad shore file is named before any run", "[shore]") {
  const fs::path dir = test::scratchDir("shore_bad");
  CHECK_THROWS_WITH(tiles::checkShoreSource({(dir / "none.gpkg").string(), "", true, 0.0}),
                    Catch::Contains("none.gpkg") && Catch::Contains("no such file"));
  std::ofstream(dir / "points.geojson")
      << R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{},)"
      << R"("geometry":{"type":"Point","coordinates":[15,45]}}]})";
  CHECK_THROWS_WITH(tiles::checkShoreSource({(dir / "points.geojson").string(), "", true, 0.0}),
                    Catch::Contains("no polygon layer"));
  writeWestPolygon(dir / "land.geojson");
  CHECK_THROWS_WITH(tiles::checkShoreSource({(dir / "land.geojson").string(), "coast", true, 0.0}),
                    Catch::Contains("no layer 'coast'"));
  tiles::GridSpec pixelGrid;
  pixelGrid.width = pixelGrid.height = 10;
  CHECK_THROWS_AS(tiles::writeShoreWaterMask({(dir / "land.geojson").string(), "", true, 0.0},
                                             pixelGrid, dir / "w.tif"),
                  UsageError);
  fs::remove_all(dir);
}
