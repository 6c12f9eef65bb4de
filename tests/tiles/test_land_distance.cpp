// Distance to land for the ship-to-ship shore condition (tiles/land_distance.hpp): metres from a
// known mask within a pixel, unknown (nullopt) where land may lie beyond the grid edge or under
// nodata, and nodata never counted as land.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "tile_test_support.hpp"
#include "tiles/aoi_grid.hpp"
#include "tiles/land_distance.hpp"

using namespace cw;
namespace fs = std::filesystem;

namespace {

// A 200×200 UTM 33N grid at 10 m (2 km a side).
const tiles::GridSpec kGrid = test::utmGrid(200, 200);

// (lon, lat) of grid pixel position (col, row) (corner at integers).
std::pair<double, double> lonLatAt(double col, double row) {
  const cv::Point2d m = kGrid.pixelToMap(col, row);
  return tiles::gridToLonLat(kGrid, m.x, m.y);
}

std::optional<double> distanceAt(const tiles::LandDistance& d, double col, double row) {
  const auto [lon, lat] = lonLatAt(col, row);
  return d.distanceM(lon, lat);
}

// Land in the columns x < landCols, water elsewhere.
cv::Mat westLand(int landCols) {
  cv::Mat land(kGrid.height, kGrid.width, CV_8U, cv::Scalar(0));
  land.colRange(0, landCols).setTo(255);
  return land;
}

}  // namespace

TEST_CASE("land distance: 50 px from the land edge at 10 m/px is 500 m, 5 px inside land -50 m",
          "[tiles][unit]") {
  const tiles::LandDistance d(westLand(20), cv::Mat(), kGrid);
  CHECK(d.pixelSizeM() == Approx(10.0));
  // Land edge at x = 20; the point at x = 70, 100 px from the top and bottom edges.
  const auto m = distanceAt(d, 70.0, 100.0);
  REQUIRE(m.has_value());
  CHECK(*m == Approx(500.0).margin(10.0));
  // On land, negative: minus the distance to the water, x = 15 is 50 m inside (+/- a pixel);
  // at x = 5 the grid edge is nearer than the water (water could lie beyond it): unknown.
  const auto onLand = distanceAt(d, 15.0, 100.0);
  REQUIRE(onLand.has_value());
  CHECK(*onLand == Approx(-50.0).margin(10.0));
  CHECK_FALSE(distanceAt(d, 5.0, 100.0).has_value());
}

TEST_CASE("land distance: nearest land beyond the grid edge, or a point off the grid, is unknown",
          "[tiles][unit]") {
  const tiles::LandDistance d(westLand(10), cv::Mat(), kGrid);
  // 180 px from the land, 10 px from the east edge: land may lie just beyond it.
  CHECK_FALSE(distanceAt(d, 190.0, 100.0).has_value());
  // 40 px from the land, 60 px from the nearest edge: known.
  const auto near = distanceAt(d, 50.0, 60.0);
  REQUIRE(near.has_value());
  CHECK(*near == Approx(400.0).margin(10.0));
  // Off the grid.
  CHECK_FALSE(distanceAt(d, 250.0, 100.0).has_value());
  CHECK_FALSE(distanceAt(d, 50.0, -5.0).has_value());
  // A grid with no land at all knows no distance anywhere.
  const tiles::LandDistance water(westLand(0), cv::Mat(), kGrid);
  CHECK_FALSE(distanceAt(water, 100.0, 100.0).has_value());
}

TEST_CASE("land distance: nodata is not land, and land under it is unknown", "[tiles][unit]") {
  // A scene's learned water: 0 (not water) on land AND on nodata; `known` tells them apart.
  cv::Mat notWater = westLand(20);
  cv::Mat known(kGrid.height, kGrid.width, CV_8U, cv::Scalar(255));
  known.colRange(100, 120).setTo(0);  // a nodata strip 30 px east of the point
  notWater.colRange(100, 120).setTo(255);
  const tiles::LandDistance d(notWater, known, kGrid);
  // Were the strip land, the point at x = 70 would be 300 m from it. It is not land, and it is
  // nearer than the known land (500 m), which could continue under it: unknown.
  CHECK_FALSE(distanceAt(d, 70.0, 100.0).has_value());
  // West of the land's 50 px the strip is farther than the land: the land's distance stands.
  const auto west = distanceAt(d, 40.0, 100.0);
  REQUIRE(west.has_value());
  CHECK(*west == Approx(200.0).margin(10.0));
  // A nodata strip farther than the land leaves the distance as it is.
  cv::Mat known2(kGrid.height, kGrid.width, CV_8U, cv::Scalar(255));
  known2.colRange(150, 170).setTo(0);
  const tiles::LandDistance d2(westLand(20), known2, kGrid);
  const auto m = distanceAt(d2, 70.0, 100.0);
  REQUIRE(m.has_value());
  CHECK(*m == Approx(500.0).margin(10.0));
}

TEST_CASE("land distance: from a water mask raster, decimated to an overview, within its pixel",
          "[tiles][unit]") {
  const fs::path dir = test::scratchDir("land_distance");
  cv::Mat water(kGrid.height, kGrid.width, CV_8U, cv::Scalar(255));
  water.colRange(0, 20).setTo(0);
  test::writeTif(dir / "water.tif", water, kGrid);
  const auto full = tiles::LandDistance::fromWaterMask(dir / "water.tif", kGrid);
  const auto m = distanceAt(full, 70.0, 100.0);
  REQUIRE(m.has_value());
  CHECK(*m == Approx(500.0).margin(10.0));
  // At most 100 px a side: 20 m pixels, the same distance within one of them.
  const auto coarse = tiles::LandDistance::fromWaterMask(dir / "water.tif", kGrid, 100);
  CHECK(coarse.pixelSizeM() == Approx(20.0));
  const auto c = distanceAt(coarse, 70.0, 100.0);
  REQUIRE(c.has_value());
  CHECK(*c == Approx(500.0).margin(20.0));
  // A mask of another size than the grid is an error naming it.
  CHECK_THROWS_WITH(tiles::LandDistance::fromWaterMask(dir / "water.tif", test::utmGrid(100, 100)),
                    Catch::Contains("water.tif: water mask is 200x200 px, the grid"));
  fs::remove_all(dir);
}
