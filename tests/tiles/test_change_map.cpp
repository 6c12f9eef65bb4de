// ChangeMap end to end on generated GeoTIFF pairs: determinism of the masks, polygon areas and
// GeoJSON coordinates on a UTM grid, co-registration, and the COG outputs.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "tests/tiles/tile_test_support.hpp"
#include "tiles/change_map.hpp"

using namespace cw;
namespace fs = std::filesystem;

namespace {

tiles::ChangeMapResult run(const fs::path& dir, const fs::path& out, int tile, int threads,
                           imaging::ChangeMethod& m, bool coregister = false,
                           double minAreaM2 = 0.0) {
  tiles::ChangeInputs in;
  in.grid = tiles::GridSpec::fromDataset(*tiles::openRaster((dir / "before.tif").string()));
  in.before.path = (dir / "before.tif").string();
  in.after.path = (dir / "after.tif").string();
  tiles::ChangeMapOptions o;
  o.tileSizePx = tile;
  o.threads = threads;
  o.coregister = coregister;
  o.minAreaM2 = minAreaM2;
  o.openRadiusM = 10;
  o.closeRadiusM = 10;
  return tiles::runChangeMap(in, m, o, out);
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

TEST_CASE("change masks are byte-identical for tiles 64/512 and 1/2 threads", "[integration]") {
  const fs::path dir = test::scratchDir("determinism");
  const auto pair = test::makePair(700, 520, 3, 11);
  const auto grid = test::utmGrid(700, 520);
  test::writeTif(dir / "before.tif", pair.before, grid);
  test::writeTif(dir / "after.tif", pair.after, grid);
  test::AbsDiffMethod m1, m2, m3;
  const auto a = run(dir, dir / "a", 512, 1, m1, false, 500);
  const auto b = run(dir, dir / "b", 64, 2, m2, false, 500);
  const auto c = run(dir, dir / "c", 64, 1, m3, false, 500);
  const cv::Mat ma = test::readBand(a.maskPath, 1, CV_8U);
  CHECK(cv::countNonZero(ma != test::readBand(b.maskPath, 1, CV_8U)) == 0);
  CHECK(cv::countNonZero(ma != test::readBand(c.maskPath, 1, CV_8U)) == 0);
  CHECK(a.threshold == b.threshold);
  CHECK(a.changedPixels == b.changedPixels);
  CHECK(a.polygons.size() == b.polygons.size());
  CHECK(slurp(a.geojsonPath) == slurp(b.geojsonPath));
  // The generated changes are found: most truth pixels are change, few others.
  const cv::Mat truth = pair.truth != 0;
  const double recall = double(cv::countNonZero(truth & (ma == 1))) / cv::countNonZero(truth);
  const double falseAlarm = double(cv::countNonZero(~truth & (ma == 1))) / cv::countNonZero(~truth);
  CHECK(recall > 0.95);
  CHECK(falseAlarm < 0.01);
  // Outputs are COGs with nodata set, and no temp file is left behind.
  auto ds = tiles::openRaster(a.maskPath.string());
  CHECK(std::string(ds->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE")) == "COG");
  int has = 0;
  CHECK(ds->GetRasterBand(1)->GetNoDataValue(&has) == 255);
  CHECK(has);
  auto sds = tiles::openRaster(a.scorePath.string());
  CHECK(sds->GetRasterBand(1)->GetRasterDataType() == GDT_Float32);
  sds->GetRasterBand(1)->GetNoDataValue(&has);
  CHECK(has);
  for (const auto& e : fs::directory_iterator(dir / "a")) {
    CHECK(e.path().filename().string().rfind('.', 0) != 0);
  }
  fs::remove_all(dir);
}

TEST_CASE("a known rectangle on a UTM grid: area in m2, pixel count, lon,lat GeoJSON",
          "[integration]") {
  const fs::path dir = test::scratchDir("polygon");
  // Grid corner (499800, 5000200) in EPSG:32633 at 10 m; the change covers columns 20..39 and
  // rows 20..49, i.e. x 500000..500200, y 4999700..5000000: 20 × 30 px = 60 000 m².
  const auto grid = test::utmGrid(100, 80);
  cv::Mat before(80, 100, CV_32F, cv::Scalar(100)), after = before.clone();
  after(cv::Rect(20, 20, 20, 30)).setTo(300);
  after(cv::Rect(70, 60, 2, 2)).setTo(300);  // 400 m²: removed by a 1000 m² minimum area
  test::writeTif(dir / "before.tif", before, grid);
  test::writeTif(dir / "after.tif", after, grid);
  test::AbsDiffMethod m(0, 50.0);
  tiles::ChangeInputs in;
  in.grid = grid;
  in.before.path = (dir / "before.tif").string();
  in.after.path = (dir / "after.tif").string();
  tiles::ChangeMapOptions o;
  o.coregister = false;
  o.minAreaM2 = 1000;
  o.tileSizePx = 32;
  const auto r = tiles::runChangeMap(in, m, o, dir / "out");
  REQUIRE(r.polygons.size() == 1);
  CHECK(r.polygons[0].areaM2 == Approx(60000.0).epsilon(1e-9));
  CHECK(r.polygons[0].pixelCount == 600);
  CHECK(r.polygons[0].meanScore == Approx(200.0));
  CHECK(r.polygons[0].boundsPx == cv::Rect(20, 20, 20, 30));
  CHECK(r.changedPixels == 600);
  CHECK(r.changedAreaM2 == Approx(60000.0));
  // The small change is burnt out of the mask as well.
  const cv::Mat mask = test::readBand(r.maskPath, 1, CV_8U);
  CHECK(cv::countNonZero(mask == 1) == 600);
  CHECK(mask.at<uchar>(60, 70) == 0);

  const auto j = nlohmann::json::parse(slurp(r.geojsonPath));
  REQUIRE(j["features"].size() == 1);
  const auto& f = j["features"][0];
  CHECK(f["properties"]["area_m2"].get<double>() == Approx(60000.0));
  CHECK(f["properties"]["pixel_count"].get<int>() == 600);
  // x = 500000 is the central meridian of zone 33 (15°E); gdaltransform gives
  // (500000, 5000000) -> 15.0, 45.153477183 and (500000, 4999700) -> 15.0, 45.150776677.
  double minLon = 1e9, maxLat = -1e9, minLat = 1e9;
  for (const auto& p : f["geometry"]["coordinates"][0]) {
    minLon = std::min(minLon, p[0].get<double>());
    maxLat = std::max(maxLat, p[1].get<double>());
    minLat = std::min(minLat, p[1].get<double>());
  }
  CHECK(minLon == Approx(15.0).margin(1e-6));
  CHECK(maxLat == Approx(45.153477183).margin(2e-6));
  CHECK(minLat == Approx(45.150776677).margin(2e-6));
  CHECK(j.contains("bbox"));  // RFC 7946 writer with bbox
  fs::remove_all(dir);
}

TEST_CASE("co-registration recovers a known sub-pixel shift and applies it", "[integration]") {
  const fs::path dir = test::scratchDir("shift");
  const int w = 800, h = 800;
  cv::Mat big(h + 20, w + 20, CV_32F);
  cv::randu(big, 0, 255);
  cv::GaussianBlur(big, big, {0, 0}, 2.0);
  // AFTER(x, y) = BEFORE(x + 1.5, y - 0.75): a pure translation, nothing else changed.
  cv::Mat before = big(cv::Rect(10, 10, w, h)).clone();
  cv::Mat after;
  const cv::Matx23d M(1, 0, 10 - 1.5, 0, 1, 10 + 0.75);
  cv::warpAffine(big, after, M, {w, h}, cv::INTER_CUBIC | cv::WARP_INVERSE_MAP);
  const auto grid = test::utmGrid(w, h);
  test::writeTif(dir / "before.tif", before, grid);
  test::writeTif(dir / "after.tif", after, grid);
  test::AbsDiffMethod m1, m2;
  const auto off = run(dir, dir / "off", 256, 2, m1, false);
  const auto on = run(dir, dir / "on", 256, 2, m2, true);
  CHECK(on.shiftApplied);
  CHECK(on.shiftWindows >= 9);
  CHECK(on.shiftPx.x == Approx(1.5).margin(0.2));
  CHECK(on.shiftPx.y == Approx(-0.75).margin(0.2));
  // After the shift the residual difference is small: the fitted mean |diff| drops.
  CHECK(on.threshold < 0.5 * off.threshold);
  fs::remove_all(dir);
}

TEST_CASE("mismatched inputs give clear errors", "[unit]") {
  const fs::path dir = test::scratchDir("errors");
  const auto grid = test::utmGrid(50, 40);
  test::writeTif(dir / "before.tif", cv::Mat(40, 50, CV_32FC2, cv::Scalar(1, 2)), grid);
  test::writeTif(dir / "after.tif", cv::Mat(40, 50, CV_32F, cv::Scalar(1)), grid);
  test::writeTif(dir / "nodata.tif", cv::Mat(40, 50, CV_32FC2, cv::Scalar(0, 0)), grid, 0.0);
  test::AbsDiffMethod m;
  tiles::ChangeInputs in;
  in.grid = grid;
  in.before.path = (dir / "before.tif").string();
  in.after.path = (dir / "after.tif").string();
  CHECK_THROWS_WITH(tiles::runChangeMap(in, m, {}, dir / "out"),
                    "band counts differ: before has 2, after has 1");
  in.after.path = (dir / "nodata.tif").string();
  CHECK_THROWS_WITH(tiles::runChangeMap(in, m, {}, dir / "out"),
                    Catch::Contains("no pixel is valid in both images"));
  in.after.path = (dir / "missing.tif").string();
  CHECK_THROWS_WITH(tiles::runChangeMap(in, m, {}, dir / "out"),
                    Catch::EndsWith("missing.tif: no such file"));
  CHECK_FALSE(fs::exists(dir / "out" / "score.tif"));
  fs::remove_all(dir);
}

TEST_CASE("many small changes below the minimum area are all burnt out of the mask",
          "[integration]") {
  // Regression: burning several small polygons out at once read one burn value per band and
  // geometry past a 2-element array and crashed on the demo scenes.
  const fs::path dir = test::scratchDir("smallmany");
  const auto grid = test::utmGrid(120, 120);
  cv::Mat before(120, 120, CV_32F, cv::Scalar(100)), after = before.clone();
  after(cv::Rect(10, 10, 40, 40)).setTo(300);  // 16 000 m²: kept
  int small = 0;
  for (int y = 60; y < 115; y += 8) {
    for (int x = 60; x < 115; x += 8) {
      after(cv::Rect(x, y, 2, 2)).setTo(300);  // 400 m² each: removed
      ++small;
    }
  }
  REQUIRE(small > 40);
  test::writeTif(dir / "before.tif", before, grid);
  test::writeTif(dir / "after.tif", after, grid);
  test::AbsDiffMethod m(0, 50.0);
  tiles::ChangeInputs in;
  in.grid = grid;
  in.before.path = (dir / "before.tif").string();
  in.after.path = (dir / "after.tif").string();
  tiles::ChangeMapOptions o;
  o.coregister = false;
  o.minAreaM2 = 1000;
  const auto r = tiles::runChangeMap(in, m, o, dir / "out");
  REQUIRE(r.polygons.size() == 1);
  CHECK(r.changedPixels == 1600);
  const cv::Mat mask = test::readBand(r.maskPath, 1, CV_8U);
  CHECK(cv::countNonZero(mask == 1) == 1600);
}
