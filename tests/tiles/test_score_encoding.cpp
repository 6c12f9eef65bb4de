// ChangeMap performance options: the scaled UInt16 score (scale/offset metadata round-trips to
// the float score) and the fit windows of large grids (a staggered subset of blocks, identical
// for any tiling and thread count).
#include <catch2/catch.hpp>

#include "tests/tiles/tile_test_support.hpp"
#include "tiles/change_map.hpp"

using namespace cw;
namespace fs = std::filesystem;

namespace {

tiles::ChangeMapResult runWith(const fs::path& dir, const fs::path& out, tiles::ChangeMapOptions o,
                               imaging::ChangeMethod& m) {
  tiles::ChangeInputs in;
  in.grid = tiles::GridSpec::fromDataset(*tiles::openRaster((dir / "before.tif").string()));
  in.before.path = (dir / "before.tif").string();
  in.after.path = (dir / "after.tif").string();
  o.coregister = false;
  return tiles::runChangeMap(in, m, o, out);
}

}  // namespace

TEST_CASE("scaled UInt16 score: scale/offset metadata give back the float score", "[integration]") {
  const fs::path dir = test::scratchDir("score_u16");
  const auto pair = test::makePair(400, 300, 2, 5);
  const auto grid = test::utmGrid(400, 300);
  test::writeTif(dir / "before.tif", pair.before, grid);
  test::writeTif(dir / "after.tif", pair.after, grid);
  tiles::ChangeMapOptions o;
  o.threads = 2;
  o.tileSizePx = 128;
  test::AbsDiffMethod mf, mu;
  const auto f = runWith(dir, dir / "f32", o, mf);
  o.scoreEncoding = tiles::ChangeMapOptions::ScoreEncoding::UInt16;
  const auto u = runWith(dir, dir / "u16", o, mu);

  REQUIRE(u.threshold == f.threshold);
  CHECK(u.scoreScale == Approx(f.threshold / tiles::kScoreUInt16AtThreshold).epsilon(1e-12));
  CHECK(u.scoreOffset == 0.0);
  auto ds = tiles::openRaster(u.scorePath.string());
  GDALRasterBand* b = ds->GetRasterBand(1);
  CHECK(b->GetRasterDataType() == GDT_UInt16);
  CHECK(std::string(ds->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE")) == "COG");
  int hasScale = 0, hasOffset = 0, hasNodata = 0;
  CHECK(b->GetScale(&hasScale) == u.scoreScale);
  CHECK(b->GetOffset(&hasOffset) == 0.0);
  CHECK(hasScale);
  CHECK(b->GetNoDataValue(&hasNodata) == 65535.0);
  CHECK(hasNodata);

  // Decision products do not depend on the encoding.
  CHECK(cv::countNonZero(test::readBand(f.maskPath, 1, CV_8U) !=
                         test::readBand(u.maskPath, 1, CV_8U)) == 0);
  CHECK(u.changedPixels == f.changedPixels);
  REQUIRE(u.polygons.size() == f.polygons.size());
  for (std::size_t i = 0; i < u.polygons.size(); ++i) {
    CHECK(u.polygons[i].meanScore == Approx(f.polygons[i].meanScore).margin(u.scoreScale));
  }

  // code * scale + offset is the float score within scale / 2 (below saturation); no-decision
  // pixels are 65535 exactly where the float score is NaN.
  const cv::Mat sf = test::readBand(f.scorePath);
  const cv::Mat codes = test::readBand(u.scorePath);  // raw codes as float
  long long compared = 0, saturated = 0;
  for (int y = 0; y < sf.rows; ++y) {
    for (int x = 0; x < sf.cols; ++x) {
      const float s = sf.at<float>(y, x), c = codes.at<float>(y, x);
      if (std::isnan(s)) {
        CHECK(c == 65535.0f);
        continue;
      }
      REQUIRE(c < 65535.0f);
      if (c == 65534.0f) {
        ++saturated;
        CHECK(s >= 65533.5 * u.scoreScale);
        continue;
      }
      const double back = c * u.scoreScale + u.scoreOffset;
      if (std::abs(back - s) > u.scoreScale * 0.5 + 1e-4 * std::abs(s)) {
        FAIL("pixel " << x << "," << y << ": score " << s << ", decoded " << back);
      }
      ++compared;
    }
  }
  CHECK(compared > 0.9 * sf.total());
  // GDAL's own unscaling gives the same values (what rasterio / xarray readers apply).
  CHECK(saturated < compared);
  fs::remove_all(dir);
}

TEST_CASE("fit windows: a large grid reads a subset of blocks, identically for any tiling",
          "[integration]") {
  const fs::path dir = test::scratchDir("fit_windows");
  const auto pair = test::makePair(700, 520, 1, 23);
  const auto grid = test::utmGrid(700, 520);
  test::writeTif(dir / "before.tif", pair.before, grid);  // 128-px blocks
  test::writeTif(dir / "after.tif", pair.after, grid);
  tiles::ChangeMapOptions o;
  o.maxSamplePixels = 20000;  // 4 × 20000 < 700 × 520: the fit reads one block in 5
  test::AbsDiffMethod m1, m2, m3;
  o.tileSizePx = 512;
  o.threads = 1;
  const auto a = runWith(dir, dir / "a", o, m1);
  o.tileSizePx = 64;
  o.threads = 2;
  const auto b = runWith(dir, dir / "b", o, m2);
  o.tileSizePx = 0;
  const auto c = runWith(dir, dir / "c", o, m3);
  CHECK(a.fitBlockEvery == 5);
  CHECK(a.samplePixels <= 20000);
  CHECK(a.samplePixels > 10000);
  CHECK(a.threshold == b.threshold);
  CHECK(a.threshold == c.threshold);
  const cv::Mat ma = test::readBand(a.maskPath, 1, CV_8U);
  CHECK(cv::countNonZero(ma != test::readBand(b.maskPath, 1, CV_8U)) == 0);
  CHECK(cv::countNonZero(ma != test::readBand(c.maskPath, 1, CV_8U)) == 0);
  // The subset still fits a usable threshold: the generated changes are found.
  const cv::Mat truth = pair.truth != 0;
  const double recall = double(cv::countNonZero(truth & (ma == 1))) / cv::countNonZero(truth);
  CHECK(recall > 0.95);
  fs::remove_all(dir);
}
