#include <catch2/catch.hpp>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <random>

#include "detector_test_support.hpp"
#include "imaging/cfar.hpp"
#include "imaging/registry.hpp"
#include "imaging/ship_detector.hpp"
#include "imaging/water_mask.hpp"

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

// The seed threshold is in sigmas of the water clutter: with no sigma floor, a hull (z_threshold
// + 1) sigma above Gaussian or gamma clutter is found, one (z_threshold - 1) sigma above is not.
TEST_CASE("ship detector finds a ship on Gaussian and gamma clutter at its z threshold", "[unit]") {
  for (const std::string law : {"gauss", "gamma"}) {
    ShipDetectorOptions o;
    o.zThreshold = 6.0;
    o.zGrow = 3.0;
    o.sigmaFloor = 0.0;
    o.minLengthM = 60.0;  // a lone speckle pixel grown by the hysteresis is not a 150 m hull
    o.polarity = "bright";
    const ShipDetector det(o);
    const double sd = clutterSd(law);
    for (const double k : {o.zThreshold + 1.0, o.zThreshold - 1.0}) {
      DetectionTile tile = clutterTile(200, 10.0, law, 11);
      drawShip(tile, {100.5, 100.5}, 150.0, 40.0, 30.0, static_cast<float>(100.0 + k * sd));
      const auto found = det.detect(tile);
      INFO(law << " contrast " << k << " sigma: " << found.size() << " detections");
      if (k > o.zThreshold) {
        REQUIRE(found.size() == 1);
        CHECK(std::hypot(found[0].centroidPx.x - 100.5, found[0].centroidPx.y - 100.5) < 1.5);
        CHECK_FALSE(found[0].berthed);
      } else {
        CHECK(found.empty());
      }
    }
  }
}

// The sigma floor: 8-bit water quantised to one level has sigma ~0.5, so a wave crest 6 levels
// above it would be z ~ 12; with the default floor (a share of the water mean of 60) it is < 1.
TEST_CASE("ships: the sigma floor keeps wave crests on quantised water out", "[unit]") {
  DetectionTile tile = clutterTile(200, 10.0, "gauss", 4);
  const cv::Mat noise = tile.image.clone();
  tile.image = cv::Mat(200, 200, CV_32F, cv::Scalar(60.0f));
  tile.image.setTo(61.0f, noise > 100.0f);                    // one quantisation level of texture
  tile.image(cv::Rect(50, 50, 2, 2)).setTo(66.0f);            // a wave crest
  drawShip(tile, {140.5, 140.5}, 150.0, 40.0, 30.0, 180.0f);  // a white hull
  const auto found = ShipDetector().detect(tile);
  REQUIRE(found.size() == 1);
  CHECK(found[0].centroidPx.x == Approx(140.5).margin(1.5));
  ShipDetectorOptions o;
  o.sigmaFloor = 0.0;
  o.minAreaPx = 1.0;
  o.minLengthM = 0.0;
  CHECK(ShipDetector(o).detect(tile).size() == 2);  // without the floor the crest is a "ship"
}

TEST_CASE("ships: a ship underway is one detection at the head of its wake", "[unit]") {
  DetectionTile tile = clutterTile(300, 10.0, "gauss", 8);
  // Heading 90 (east): a 500 m foam trail west of a 150 m hull, touching it.
  drawShip(tile, {125.0, 150.5}, 500.0, 20.0, 90.0, 190.0f);
  drawShip(tile, {157.5, 150.5}, 150.0, 30.0, 90.0, 400.0f);
  const auto found = ShipDetector().detect(tile);
  REQUIRE(found.size() == 1);
  CHECK(found[0].underway);
  CHECK(found[0].centroidPx.x == Approx(157.5).margin(2.0));
  CHECK(found[0].lengthM == Approx(150.0).margin(20.0));
  // The same hull without its wake is not underway.
  DetectionTile still = clutterTile(300, 10.0, "gauss", 8);
  drawShip(still, {157.5, 150.5}, 150.0, 30.0, 90.0, 400.0f);
  const auto s = ShipDetector().detect(still);
  REQUIRE(s.size() == 1);
  CHECK_FALSE(s[0].underway);
}

// A candidate is judged on the valid water of its window: a ship 25 px from a nodata stripe is
// found; the CFAR's own no-nodata rule (SNAP's) still exists as an option.
TEST_CASE("ships beside nodata are judged on the valid part of their window", "[unit]") {
  DetectionTile tile = clutterTile(200, 10.0, "gauss", 3);
  tile.valid(cv::Rect(150, 0, 50, 200)).setTo(0);
  drawShip(tile, {125.0, 100.0}, 150.0, 40.0, 0.0, 300.0f);
  drawShip(tile, {40.5, 100.5}, 150.0, 40.0, 0.0, 300.0f);
  ShipDetectorOptions o;
  o.guardWindowM = 310.0;
  o.backgroundWindowM = 610.0;  // half-width 30 px: (120 + 30) touches the stripe
  const auto found = ShipDetector(o).detect(tile);
  REQUIRE(found.size() == 2);
  CHECK(found[0].centroidPx.x + found[1].centroidPx.x == Approx(165.5).margin(2.0));

  CfarOptions c;
  c.nodata = tile.valid == 0;
  c.maxNodataFraction = 0.0;
  const cv::Mat z =
      cfarZ(tile.image, tile.valid.clone(), cfarWindowsPx(10.0, 310.0, 610.0, 10.0), c);
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
    const ShipDetector det;
    const auto found = det.detect(tile);
    INFO("pixel size " << px << " m");
    REQUIRE(found.size() == 1);
    CHECK(found[0].lengthM == Approx(200.0).margin(px));
    CHECK(found[0].widthM == Approx(40.0).margin(px));
    CHECK(found[0].areaM2 == Approx(8000.0).epsilon(0.1));
    REQUIRE(found[0].outlinePx.size() == 4);
    CHECK(std::hypot(found[0].outlinePx[0].x - found[0].outlinePx[2].x,
                     found[0].outlinePx[0].y - found[0].outlinePx[2].y) *
              px ==
          Approx(std::hypot(200.0, 40.0)).margin(2 * px));
    CHECK(det.haloPx(px) >= static_cast<int>(600.0 / px + 200.0 / px));
  }
}

// Two hulls moored side by side (a ship-to-ship transfer, like the simulator's pair): 126 x 21 m
// and 99 x 16 m, 12 m of water between them, 3 m pixels blurred by the sensor PSF. At the grow
// level the blurred edges bridge the gap: without the raft rule it is one 40 m wide candidate.
TEST_CASE("ships: two hulls moored side by side are two detections", "[unit]") {
  DetectionTile tile = clutterTile(400, 3.0, "gauss", 21);
  const double kGapM = 12.0;
  const double h = 100.0 * CV_PI / 180.0;
  const cv::Point2d across(std::cos(h), std::sin(h));  // perpendicular to the hull axis
  const cv::Point2d first(200.0, 200.0);
  const cv::Point2d second = first + across * ((21.0 + 16.0) / 2.0 + kGapM) / 3.0;
  drawShip(tile, first, 126.0, 21.0, 100.0, 300.0f);
  drawShip(tile, second, 99.0, 16.0, 103.0, 280.0f);
  cv::GaussianBlur(tile.image, tile.image, cv::Size(0, 0), 1.2);
  const auto found = ShipDetector().detect(tile);
  REQUIRE(found.size() == 2);
  const bool firstIsLonger = found[0].lengthM > found[1].lengthM;
  const auto& longer = found[firstIsLonger ? 0 : 1];
  const auto& shorter = found[firstIsLonger ? 1 : 0];
  // Centres within 2 px (6 m) of the drawn ones, lengths within 3 px.
  CHECK(cv::norm(longer.centroidPx - first) < 2.0);
  CHECK(cv::norm(shorter.centroidPx - second) < 2.0);
  CHECK(longer.lengthM == Approx(126.0).margin(9.0));
  CHECK(shorter.lengthM == Approx(99.0).margin(9.0));

  ShipDetectorOptions o;
  o.raftWidthRatio = 1.0;  // the rule off: the bridged pair is one wide candidate
  const auto merged = ShipDetector(o).detect(tile);
  REQUIRE(merged.size() == 1);
  CHECK(merged[0].widthM > 40.0);
}

// One wide hull with bright gunwales (two bright stripes side by side along its length, a dimmer
// deck between them) is not a raft: the deck between the stripes is far brighter than water.
TEST_CASE("ships: a hull with two bright stripes along its deck stays one detection", "[unit]") {
  DetectionTile tile = clutterTile(400, 3.0, "gauss", 22);
  drawShip(tile, {200.0, 200.0}, 150.0, 54.0, 0.0, 220.0f);  // deck: z about 8
  drawShip(tile, {194.0, 200.0}, 150.0, 9.0, 0.0, 400.0f);   // gunwales: z about 20
  drawShip(tile, {206.0, 200.0}, 150.0, 9.0, 0.0, 400.0f);
  cv::GaussianBlur(tile.image, tile.image, cv::Size(0, 0), 1.2);
  const auto found = ShipDetector().detect(tile);
  REQUIRE(found.size() == 1);
  CHECK(found[0].lengthM == Approx(150.0).margin(9.0));
  CHECK(found[0].widthM == Approx(54.0).margin(9.0));
}

TEST_CASE("ship heading and length from a drawn rotated rectangle", "[unit]") {
  for (const double heading : {0.0, 30.0, 75.0, 90.0, 135.0, 160.0}) {
    DetectionTile tile = clutterTile(500, 3.0, "gauss", 9);
    drawShip(tile, {250.0, 250.0}, 180.0, 30.0, heading, 220.0f);
    const auto found = ShipDetector().detect(tile);
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

// Polarity only (no sigma floor: with the default floor of 15 % of the water mean, a hull would
// have to be darker than water by 90 % of its brightness to reach z = 6).
TEST_CASE("ships: dark hulls are found on optical data, not on SAR", "[unit]") {
  DetectionTile tile = clutterTile(400, 3.0, "gauss", 13);
  drawShip(tile, {200.0, 200.0}, 150.0, 25.0, 45.0, 20.0f);
  ShipDetectorOptions o;
  o.sigmaFloor = 0.0;
  CHECK(ShipDetector(o).detect(tile).size() == 1);  // Grey = optical: both polarities
  tile.roles = {BandRole::Vv};
  CHECK(ShipDetector(o).detect(tile).empty());  // SAR: bright only
}

// Land core never fires; a hull alongside the quay does, as berthed, when the water mask shows
// it as water, and so does a hull moored bow-on that the water mask absorbed into the land (a
// protrusion narrower than max_beam_m). A hull alongside and absorbed into the quay is not found:
// the opening cannot tell it from a wider quay (docs/accuracy.md).
TEST_CASE("ships: hulls alongside or bow-on to a quay are found and berthed", "[unit]") {
  DetectionTile tile = clutterTile(500, 3.0, "gauss", 17);
  tile.water(cv::Rect(0, 0, 500, 150)).setTo(0);              // quay: land strip at the top
  tile.image(cv::Rect(0, 0, 500, 150)).setTo(250.0f);         // bright concrete
  drawShip(tile, {250.0, 75.0}, 150.0, 25.0, 90.0, 400.0f);   // a "ship" on land
  drawShip(tile, {120.0, 155.0}, 150.0, 25.0, 90.0, 300.0f);  // alongside, on water
  // Bow-on, 120 m out from the quay (shorter than max_protrusion_m, so not a jetty), and taken
  // for land by the water mask.
  drawShip(tile, {380.0, 170.0}, 120.0, 25.0, 0.0, 300.0f);
  tile.water(cv::Rect(375, 150, 10, 40)).setTo(0);
  const auto found = ShipDetector().detect(tile);
  REQUIRE(found.size() == 2);
  for (const auto& d : found) {
    CHECK(d.berthed);
    CHECK(d.centroidPx.y > 150.0);
  }
  CHECK(found[0].centroidPx.x + found[1].centroidPx.x == Approx(500.0).margin(4.0));
  CHECK(found[0].lengthM + found[1].lengthM == Approx(270.0).margin(20.0));
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
  CHECK_THROWS_WITH(Registry::builtins().createDetector("boats", p),
                    "unknown detector 'boats' (registered: ships, tanks, blobs, vehicles)");
}
