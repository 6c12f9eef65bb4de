#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <random>

#include "detector_test_support.hpp"
#include "imaging/cfar.hpp"
#include "imaging/registry.hpp"
#include "imaging/ship_detector.hpp"
#include "imaging/water_mask.hpp"

namespace fs = std::filesystem;
using namespace cw::imaging;

namespace {

// A single-band "SAR-like" tile (role Grey) that is all water (known mask), filled with clutter.
DetectionTile clutterTile(int size, double pixelSizeM, const std::string& law, unsigned seed) {
  DetectionTile t;
  t.image = cv::Mat(size, size, CV_32F);
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss(100.0f, 10.0f);
  std::gamma_distribution<float> gamma(4.0f, 25.0f);  // mean 100, sd 50 (4-look intensity)
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      t.image.at<float>(y, x) = law == "gamma" ? gamma(rng) : gauss(rng);
    }
  }
  t.roles = {BandRole::Grey};
  t.valid = cv::Mat(size, size, CV_8U, cv::Scalar(255));
  t.water = cv::Mat(size, size, CV_8U, cv::Scalar(255));
  t.pixelSizeM = pixelSizeM;
  return t;
}

// Draws a filled ship of the given physical size (heading 0 = north): every pixel whose centre
// lies inside the rotated rectangle.
void drawShip(DetectionTile& t, cv::Point2d centrePx, double lengthM, double widthM,
              double headingDeg, float value) {
  const double h = headingDeg * CV_PI / 180.0;
  const double ax = std::sin(h), ay = -std::cos(h);  // long axis in image coordinates
  const double halfL = lengthM / t.pixelSizeM / 2.0, halfW = widthM / t.pixelSizeM / 2.0;
  const int r = static_cast<int>(halfL + halfW) + 2;
  for (int y = static_cast<int>(centrePx.y) - r; y <= static_cast<int>(centrePx.y) + r; ++y) {
    for (int x = static_cast<int>(centrePx.x) - r; x <= static_cast<int>(centrePx.x) + r; ++x) {
      if (x < 0 || y < 0 || x >= t.image.cols || y >= t.image.rows) continue;
      const double dx = x + 0.5 - centrePx.x, dy = y + 0.5 - centrePx.y;
      const double u = dx * ax + dy * ay, v = -dx * ay + dy * ax;
      if (std::abs(u) <= halfL && std::abs(v) <= halfW) t.image.at<float>(y, x) = value;
    }
  }
}

// Population mean and sd of the clutter law used above.
double clutterSd(const std::string& law) {
  return law == "gamma" ? 50.0 : 10.0;
}

}  // namespace

TEST_CASE("CFAR threshold from PFA matches the Gaussian tail", "[unit]") {
  CHECK(cfarThresholdFromPfa(0.5 * std::erfc(5.0 / std::sqrt(2.0))) == Approx(5.0).epsilon(1e-9));
  CHECK(cfarThresholdFromPfa(std::pow(10.0, -6.5)) == Approx(4.98103).epsilon(1e-5));
  CHECK(cfarThresholdFromPfa(0.0013498980316301) == Approx(3.0).epsilon(1e-6));
  CHECK_THROWS_WITH(cfarThresholdFromPfa(0.7), "CFAR: pfa must be in (0, 0.5)");
}

TEST_CASE("CFAR detects a target just above the PFA threshold and not just below it", "[unit]") {
  for (const std::string law : {"gauss", "gamma"}) {
    const double pfa = 1e-6;
    const double t = cfarThresholdFromPfa(pfa);
    const CfarWindowsPx w{3, 21, 61};
    DetectionTile tile = clutterTile(160, 10.0, law, 7);
    const cv::Mat usable(tile.image.size(), CV_8U, cv::Scalar(255));
    // Background statistics the CFAR will estimate at the target (ring around (80, 80)).
    cv::Mat ringMask(tile.image.size(), CV_8U, cv::Scalar(0));
    ringMask(cv::Rect(80 - 30, 80 - 30, 61, 61)).setTo(255);
    ringMask(cv::Rect(80 - 10, 80 - 10, 21, 21)).setTo(0);
    cv::Scalar mu, sd;
    cv::meanStdDev(tile.image, mu, sd, ringMask);
    INFO(law << ": t = " << t << ", ring mu " << mu[0] << " sd " << sd[0]);
    CHECK(sd[0] == Approx(clutterSd(law)).epsilon(0.1));

    for (const double k : {t + 0.25, t - 0.25}) {
      DetectionTile target = tile;
      target.image = tile.image.clone();
      target.image(cv::Rect(78, 78, 5, 5)).setTo(cv::Scalar(mu[0] + k * sd[0]));
      const cv::Mat z = cfarZ(target.image, usable, w);
      const float zc = z.at<float>(80, 80);
      INFO("contrast " << k << " sigma, z at target " << zc);
      CHECK(zc == Approx(k).margin(0.02));
      CHECK((zc > t) == (k > t));
    }
  }
}

TEST_CASE("ship detector finds a ship on Gaussian and gamma clutter at the PFA threshold",
          "[unit]") {
  for (const std::string law : {"gauss", "gamma"}) {
    ShipDetectorOptions o;
    o.pfa = 1e-6;
    o.targetWindowM = 30.0;  // 3 px at 10 m: averages speckle, as SNAP does
    o.guardWindowM = 410.0;
    o.backgroundWindowM = 810.0;
    o.shoreMarginM = 0.0;
    o.polarity = "bright";
    const ShipDetector det(o);
    const double t = cfarThresholdFromPfa(o.pfa);
    const double sd = clutterSd(law);
    for (const double k : {t + 1.0, t - 1.0}) {
      DetectionTile tile = clutterTile(200, 10.0, law, 11);
      drawShip(tile, {100.5, 100.5}, 150.0, 40.0, 30.0, static_cast<float>(100.0 + k * sd));
      const auto found = det.detect(tile);
      INFO(law << " contrast " << k << " sigma (t = " << t << "): " << found.size()
               << " detections");
      if (k > t) {
        REQUIRE(found.size() == 1);
        CHECK(std::hypot(found[0].centroidPx.x - 100.5, found[0].centroidPx.y - 100.5) < 1.5);
      } else {
        CHECK(found.empty());
      }
    }
  }
}

TEST_CASE("CFAR makes no decision in a window that touches nodata", "[unit]") {
  DetectionTile tile = clutterTile(200, 10.0, "gauss", 3);
  // Nodata stripe at x >= 150; a bright ship 25 px left of it: within the background window.
  tile.valid(cv::Rect(150, 0, 50, 200)).setTo(0);
  drawShip(tile, {125.0, 100.0}, 150.0, 40.0, 0.0, 300.0f);
  drawShip(tile, {40.5, 100.5}, 150.0, 40.0, 0.0, 300.0f);  // far from nodata: the control
  ShipDetectorOptions o;
  o.shoreMarginM = 0.0;
  o.targetWindowM = 10.0;
  o.guardWindowM = 310.0;
  o.backgroundWindowM = 610.0;  // half-width 30 px: (120 + 30) touches the stripe
  const ShipDetector det(o);
  const auto found = det.detect(tile);
  REQUIRE(found.size() == 1);
  CHECK(found[0].centroidPx.x == Approx(40.5).margin(1.0));

  const cv::Mat usable = tile.valid.clone();
  const cv::Mat z = cfarZ(tile.image, usable, cfarWindowsPx(10.0, 310.0, 610.0, 10.0));
  for (int y = 0; y < 200; ++y) {
    for (int x = 120; x < 200; ++x) REQUIRE(std::isnan(z.at<float>(y, x)));
  }
  CHECK(std::isfinite(z.at<float>(100, 60)));
}

TEST_CASE("ship length and width in metres are right on a 3 m and a 10 m grid", "[unit]") {
  // The same 200 m x 40 m ship drawn at both resolutions.
  for (const double px : {3.0, 10.0}) {
    const int size = static_cast<int>(1400.0 / px);
    DetectionTile tile = clutterTile(size, px, "gauss", 5);
    drawShip(tile, {size / 2.0, size / 2.0}, 200.0, 40.0, 0.0, 200.0f);
    ShipDetectorOptions o;
    o.shoreMarginM = 0.0;
    const auto found = ShipDetector(o).detect(tile);
    INFO("pixel size " << px << " m");
    REQUIRE(found.size() == 1);
    CHECK(found[0].lengthM == Approx(200.0).margin(px));
    CHECK(found[0].widthM == Approx(40.0).margin(px));
    CHECK(found[0].areaM2 == Approx(8000.0).epsilon(0.1));
    CHECK(ShipDetector(o).haloPx(px) >= static_cast<int>(400.0 / px + 200.0 / px));
  }
}

TEST_CASE("ship heading and length from a drawn rotated rectangle", "[unit]") {
  for (const double heading : {0.0, 30.0, 75.0, 90.0, 135.0, 160.0}) {
    DetectionTile tile = clutterTile(500, 3.0, "gauss", 9);
    drawShip(tile, {250.0, 250.0}, 180.0, 30.0, heading, 220.0f);
    ShipDetectorOptions o;
    o.shoreMarginM = 0.0;
    const auto found = ShipDetector(o).detect(tile);
    INFO("heading " << heading);
    REQUIRE(found.size() == 1);
    double diff = std::fmod(std::abs(found[0].headingDeg - heading), 180.0);
    diff = std::min(diff, 180.0 - diff);
    CHECK(diff < 2.0);
    CHECK(found[0].headingDeg >= 0.0);
    CHECK(found[0].headingDeg < 180.0);
    CHECK(found[0].lengthM == Approx(180.0).margin(2 * 3.0));
    CHECK(found[0].widthM == Approx(30.0).margin(2 * 3.0));
  }
}

TEST_CASE("ships: dark hulls are found on optical data, not on SAR", "[unit]") {
  DetectionTile tile = clutterTile(400, 3.0, "gauss", 13);
  drawShip(tile, {200.0, 200.0}, 150.0, 25.0, 45.0, 20.0f);
  ShipDetectorOptions o;
  o.shoreMarginM = 0.0;
  CHECK(ShipDetector(o).detect(tile).size() == 1);  // Grey = optical: both polarities
  tile.roles = {BandRole::Vv};
  CHECK(ShipDetector(o).detect(tile).empty());  // SAR: bright only
}

TEST_CASE("ships: land never fires, even when bright and ship-shaped", "[unit]") {
  DetectionTile tile = clutterTile(500, 3.0, "gauss", 17);
  tile.water(cv::Rect(0, 0, 500, 150)).setTo(0);              // land strip at the top
  drawShip(tile, {250.0, 75.0}, 150.0, 25.0, 90.0, 300.0f);   // a "ship" on land
  drawShip(tile, {250.0, 148.0}, 150.0, 25.0, 90.0, 300.0f);  // a pier end on the shore
  ShipDetectorOptions o;
  o.maxLandFraction = 0.9;  // allow decisions near the shore, so only the margin protects
  const auto found = ShipDetector(o).detect(tile);
  CHECK(found.empty());
}

TEST_CASE("ships: registry creates the same detector as the direct type", "[unit]") {
  const auto* entry = Registry::builtins().detector("ships");
  REQUIRE(entry != nullptr);
  Params p(entry->options);
  p.setNumber("min_length_m", 20.0);
  const auto byName = Registry::builtins().createDetector("ships", p);
  ShipDetectorOptions o;
  o.minLengthM = 20.0;
  const ShipDetector direct(o);
  CHECK(byName->name() == "ships");
  CHECK(byName->haloPx(3.0) == direct.haloPx(3.0));
  DetectionTile tile = clutterTile(400, 3.0, "gauss", 21);
  drawShip(tile, {200.0, 200.0}, 120.0, 20.0, 60.0, 200.0f);
  const auto a = byName->detect(tile), b = direct.detect(tile);
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  CHECK(a[0].centroidPx == b[0].centroidPx);
  CHECK(a[0].lengthM == b[0].lengthM);
  CHECK_THROWS_WITH(Registry::builtins().createDetector("boats", p), "unknown detector 'boats'");
}

// Planet ~3 m RGB scenes (JPEG data) of San Francisco Bay, no labels. Checked: ships are found
// and every detection sits on the water mask, at least shore_margin_m from land. The overlays in
// docs/detections/scene_N.png (red boxes = detections, blue = water outline) were judged by eye.
TEST_CASE("ships on Planet port scenes: ships found, none on land", "[real]") {
  const fs::path dir = fs::path(CW_SHARED_DATA) / "ports_nolabel";
  if (!fs::exists(dir)) {
    WARN("no " << dir << "; skipped");
    return;
  }
  const ShipDetector det;
  for (int i = 1; i <= 4; ++i) {
    const auto path = dir / ("scene_" + std::to_string(i) + ".png");
    DetectionTile tile = cw::test::readTile(path.string(), 3.0);
    const cv::Mat water = waterMask(tile, det.options().water);
    const auto found = det.detect(tile);
    cw::test::writeOverlay(
        (fs::path(CW_SOURCE_DIR) / "docs/detections" / ("scene_" + std::to_string(i) + ".png"))
            .string(),
        tile, found, water, 0.4);
    // Distance of every pixel to the nearest non-water pixel, in metres.
    cv::Mat dist;
    cv::distanceTransform(water, dist, cv::DIST_L2, 5);
    dist *= tile.pixelSizeM;
    INFO("scene " << i << ": " << found.size() << " ships");
    CHECK(found.size() > 0);
    for (const auto& d : found) {
      const cv::Point c(static_cast<int>(d.centroidPx.x), static_cast<int>(d.centroidPx.y));
      CHECK(water.at<uchar>(c) == 255);
      CHECK(dist.at<float>(c) >= det.options().shoreMarginM);
    }
  }
}
