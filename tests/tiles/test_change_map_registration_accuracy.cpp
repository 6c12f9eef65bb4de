// Co-registration accuracy of the change map on grids too small for 256-px windows (an AOI of a
// few hundred pixels): the shift must still be estimated from several windows and applied.
#include <catch2/catch.hpp>

#include "tests/tiles/tile_test_support.hpp"
#include "tiles/change_map.hpp"

using namespace cw;
namespace fs = std::filesystem;

TEST_CASE(
    "co-registration on a 300 x 240 px grid recovers (-1.44, 0.84) px within 0.05 px and applies "
    "it",
    "[integration]") {
  const fs::path dir = test::scratchDir("small_shift");
  const int w = 300, h = 240;
  cv::Mat big(h + 20, w + 20, CV_32F);
  cv::randu(big, 0, 255);
  cv::GaussianBlur(big, big, {0, 0}, 2.0);
  // AFTER(x, y) = 1.1 * BEFORE(x + 1.4375, y - 0.84375) + 20: a feature at p in BEFORE is at
  // p + (-1.4375, 0.84375) in AFTER (the simulator's date-1 shift), with gain and offset.
  cv::Mat before = big(cv::Rect(10, 10, w, h)).clone();
  cv::Mat after;
  const cv::Matx23d M(1, 0, 10 + 1.4375, 0, 1, 10 - 0.84375);
  cv::warpAffine(big, after, M, {w, h}, cv::INTER_LANCZOS4 | cv::WARP_INVERSE_MAP);
  after = after * 1.1 + 20.0;
  const auto grid = test::utmGrid(w, h);
  test::writeTif(dir / "before.tif", before, grid);
  test::writeTif(dir / "after.tif", after, grid);
  tiles::ChangeInputs in;
  in.grid = tiles::GridSpec::fromDataset(*tiles::openRaster((dir / "before.tif").string()));
  in.before.path = (dir / "before.tif").string();
  in.after.path = (dir / "after.tif").string();
  tiles::ChangeMapOptions o;
  o.threads = 2;
  test::AbsDiffMethod m;
  const auto r = tiles::runChangeMap(in, m, o, dir / "out");
  INFO("shift " << r.shiftPx << " from " << r.shiftWindows << " windows, confidence "
                << r.shiftConfidence);
  CHECK(r.shiftApplied);
  CHECK(r.shiftWindows >= 4);
  CHECK(r.shiftPx.x == Approx(-1.4375).margin(0.05));
  CHECK(r.shiftPx.y == Approx(0.84375).margin(0.05));
  fs::remove_all(dir);
}
