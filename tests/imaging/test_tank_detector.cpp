#include <catch2/catch.hpp>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <random>

#include "imaging/registry.hpp"
#include "imaging/tank_detector.hpp"

using namespace cw::imaging;

namespace {

DetectionTile groundTile(int size, double pixelSizeM, unsigned seed) {
  DetectionTile t;
  t.image = cv::Mat(size, size, CV_32F);
  cv::randn(t.image, 100.0, 6.0);
  (void)seed;
  t.roles = {BandRole::Grey};
  t.valid = cv::Mat(size, size, CV_8U, cv::Scalar(255));
  t.pixelSizeM = pixelSizeM;
  return t;
}

// A bright tank of `diameterM`; with a shadow, a dark disc offset towards `shadowAzimuthDeg`
// (compass) is drawn first, so a crescent shows on that side.
void drawTank(DetectionTile& t, cv::Point2d centrePx, double diameterM, bool shadow,
              double shadowAzimuthDeg = 135.0) {
  const double r = diameterM / t.pixelSizeM / 2.0;
  constexpr int kShift = 4;  // sub-pixel drawing
  auto fixed = [](double v) { return static_cast<int>(std::lround((v - 0.5) * (1 << kShift))); };
  if (shadow) {
    const double a = shadowAzimuthDeg * CV_PI / 180.0;
    const cv::Point2d c = centrePx + cv::Point2d(std::sin(a), -std::cos(a)) * (0.45 * r);
    cv::circle(t.image, {fixed(c.x), fixed(c.y)}, fixed(r + 0.5), cv::Scalar(35.0), cv::FILLED,
               cv::LINE_8, kShift);
  }
  cv::circle(t.image, {fixed(centrePx.x), fixed(centrePx.y)}, fixed(r + 0.5), cv::Scalar(190.0),
             cv::FILLED, cv::LINE_8, kShift);
}

}  // namespace

TEST_CASE("tanks: drawn tanks with shadows are found with the right diameter", "[unit]") {
  cv::setRNGSeed(1);
  for (const double px : {0.5, 1.0, 2.0, 3.0}) {
    DetectionTile t = groundTile(static_cast<int>(360.0 / px), px, 1);
    const std::vector<std::pair<cv::Point2d, double>> tanks = {{{90.0 / px, 90.0 / px}, 20.0},
                                                               {{250.0 / px, 100.0 / px}, 40.0},
                                                               {{120.0 / px, 260.0 / px}, 55.0},
                                                               {{270.0 / px, 270.0 / px}, 30.0}};
    for (const auto& [c, d] : tanks) drawTank(t, c, d, true);
    const auto found = TankDetector().detect(t);
    INFO("pixel size " << px << " m: " << found.size() << " tanks");
    CHECK(found.size() == tanks.size());
    for (const auto& [c, d] : tanks) {
      const Detection* match = nullptr;
      for (const auto& f : found) {
        if (std::hypot(f.centroidPx.x - c.x, f.centroidPx.y - c.y) < 0.25 * d / px) match = &f;
      }
      INFO("tank of " << d << " m at " << c);
      REQUIRE(match != nullptr);
      CHECK(match->lengthM == Approx(d).margin(std::max(px, 0.05 * d)));
      CHECK(match->headingDeg == Approx(135.0).margin(360.0 / 16 * 1.5));
    }
  }
}

TEST_CASE("tanks: a round bright roof without shadow and a roundabout are rejected", "[unit]") {
  cv::setRNGSeed(2);
  DetectionTile t = groundTile(200, 1.0, 2);
  drawTank(t, {60.0, 60.0}, 40.0, false);  // flat round roof: no crescent
  // Roundabout: dark ring road around a grass island, dark on every side.
  cv::circle(t.image, {140, 140}, 24, cv::Scalar(40.0), cv::FILLED);
  cv::circle(t.image, {140, 140}, 14, cv::Scalar(120.0), cv::FILLED);
  CHECK(TankDetector().detect(t).empty());
  drawTank(t, {60.0, 150.0}, 30.0, true);  // control: a real tank in the same tile
  CHECK(TankDetector().detect(t).size() == 1);
}

TEST_CASE("tanks: registry creates the same detector as the direct type", "[unit]") {
  const auto* entry = Registry::builtins().detector("tanks");
  REQUIRE(entry != nullptr);
  Params p(entry->options);
  const auto byName = Registry::builtins().createDetector("tanks", p);
  const TankDetector direct;
  CHECK(byName->name() == "tanks");
  CHECK(byName->haloPx(1.0) == direct.haloPx(1.0));
  cv::setRNGSeed(3);
  DetectionTile t = groundTile(160, 1.0, 3);
  drawTank(t, {80.0, 80.0}, 40.0, true);
  const auto a = byName->detect(t), b = direct.detect(t);
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  CHECK(a[0].centroidPx == b[0].centroidPx);
  p.setNumber("min_diameter_m", 80.0);
  CHECK_THROWS_WITH(Registry::builtins().createDetector("tanks", p),
                    "tanks: min_diameter_m must be <= max_diameter_m");
}
