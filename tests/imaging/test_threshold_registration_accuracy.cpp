// Accuracy of the two pieces that made the simulator change maps right: the valley test on the
// automatic threshold (imaging/thresholds.hpp) and the Gauss-Newton shift refinement
// (imaging/coregistration.hpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include <opencv2/imgproc.hpp>

#include "imaging/coregistration.hpp"
#include "imaging/thresholds.hpp"

using namespace cw::imaging;

namespace {

// Magnitudes of 4-band N(0, 1) no-change differences, plus `changed` values at 40.
cv::Mat rareChange(int n, int changed) {
  std::mt19937 rng(7);
  std::normal_distribution<float> g(0.0f, 1.0f);
  cv::Mat v(n + changed, 1, CV_32F);
  for (int i = 0; i < n; ++i) {
    float a = 0;
    for (int b = 0; b < 4; ++b) {
      const float d = g(rng);
      a += d * d;
    }
    v.at<float>(i) = std::sqrt(a);
  }
  for (int i = 0; i < changed; ++i) v.at<float>(n + i) = 40.0f + 0.5f * g(rng);
  return v;
}

}  // namespace

TEST_CASE("threshold: 0.03 % change beyond one no-change peak is not split inside the peak",
          "[unit][imaging]") {
  const cv::Mat v = rareChange(1'000'000, 300);
  const double otsu = otsuThreshold(v);
  INFO("otsu " << otsu << " valley ratio " << valleyRatio(v, otsu));
  CHECK(otsu < 4.0);  // the plain split cuts the chi(4) peak (max no-change ~ 6.5)
  CHECK(valleyRatio(v, otsu) > 0.3);
  for (auto m : {ThresholdMethod::Otsu, ThresholdMethod::Kittler}) {
    const double t = autoThreshold(m, v);
    const cv::Mat noChange = v.rowRange(0, 1'000'000);
    const double falseFraction = cv::countNonZero(noChange > t) / 1e6;
    INFO((m == ThresholdMethod::Otsu ? "otsu" : "kittler")
         << " auto " << t << ", no-change above it " << falseFraction << ", split "
         << (m == ThresholdMethod::Otsu ? otsuThreshold(v) : kittlerIllingworthThreshold(v)));
    CHECK(falseFraction <= 0.001);  // Otsu's split marks ~30 % here
    CHECK(t < 39.0);                // every change is kept
  }
}

TEST_CASE("threshold: a bimodal split passes the valley test unchanged", "[unit][imaging]") {
  std::mt19937 rng(3);
  std::normal_distribution<float> a(2.0f, 1.0f), b(8.0f, 1.0f);
  cv::Mat v(20000, 1, CV_32F);
  for (int i = 0; i < v.rows; ++i) v.at<float>(i) = i % 4 ? a(rng) : b(rng);
  const double otsu = otsuThreshold(v);
  CHECK(valleyRatio(v, otsu) < 0.3);
  CHECK(autoThreshold(ThresholdMethod::Otsu, v) == otsu);
}

TEST_CASE("shift refinement: a Lanczos (-1.4375, 0.84375) px shift with gain/offset within 0.05 px",
          "[unit][imaging]") {
  cv::Mat noise(300, 300, CV_32F), big;
  cv::randu(noise, 0, 255);
  cv::GaussianBlur(noise, big, {0, 0}, 1.5);
  const cv::Point2d truth(-1.4375, 0.84375);
  const cv::Rect inner(22, 22, 256, 256);
  const cv::Mat reference = big(inner).clone();
  // moving(x + truth) = reference(x): sample the big image at x + inner.tl - truth.
  cv::Mat moving;
  const cv::Matx23d m(1, 0, inner.x - truth.x, 0, 1, inner.y - truth.y);
  cv::warpAffine(big, moving, m, inner.size(), cv::INTER_LANCZOS4 | cv::WARP_INVERSE_MAP);
  moving = moving * 0.9 + 35.0;
  const ShiftEstimate e = estimateShift(reference, moving);
  INFO("estimated " << e.shiftPx);
  CHECK(e.shiftPx.x == Approx(truth.x).margin(0.05));
  CHECK(e.shiftPx.y == Approx(truth.y).margin(0.05));
}
