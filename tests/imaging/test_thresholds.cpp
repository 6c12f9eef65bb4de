#include <catch2/catch.hpp>

#include <random>

#include "imaging/thresholds.hpp"

using namespace cw::imaging;

namespace {

// 80 % N(2, 0.7^2) and 20 % N(8, 1^2): the densities cross near 4.9; any sensible split lies
// in the valley between 3.5 and 6.
cv::Mat bimodal(int n, double outlierFraction, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> low(2.f, 0.7f), high(8.f, 1.f);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  cv::Mat v(n, 1, CV_32F);
  for (int i = 0; i < n; ++i) {
    const float r = u(rng);
    v.at<float>(i) = r < outlierFraction ? 1e6f : (r < 0.8f ? low(rng) : high(rng));
  }
  return v;
}

}  // namespace

TEST_CASE("Otsu and Kittler-Illingworth split a bimodal histogram in its valley",
          "[unit][imaging]") {
  const cv::Mat v = bimodal(50000, 0.0, 1);
  const double otsu = otsuThreshold(v);
  const double ki = kittlerIllingworthThreshold(v);
  INFO("otsu " << otsu << " kittler " << ki);
  CHECK(otsu > 3.5);
  CHECK(otsu < 6.0);
  CHECK(ki > 3.5);
  CHECK(ki < 6.0);
  // The minimum-error split of this mixture is at the density crossing, about 4.9.
  CHECK(ki == Approx(4.9).margin(0.5));
}

TEST_CASE("thresholds ignore NaN and survive extreme outliers", "[unit][imaging]") {
  cv::Mat v = bimodal(50000, 0.001, 2);
  for (int i = 0; i < 1000; ++i) v.at<float>(i * 7) = std::numeric_limits<float>::quiet_NaN();
  const double otsu = otsuThreshold(v);
  const double ki = kittlerIllingworthThreshold(v);
  INFO("otsu " << otsu << " kittler " << ki);
  CHECK(otsu > 3.5);
  CHECK(otsu < 6.0);
  CHECK(ki > 3.5);
  CHECK(ki < 6.0);
  // With the histogram over [min, max] instead, the split lands between the data and 1e6.
  HistogramOptions full;
  full.lowQuantile = 0.0;
  full.highQuantile = 1.0;
  CHECK(otsuThreshold(v, full) > 100.0);
}

TEST_CASE("thresholds reject degenerate samples with a clear error", "[unit][imaging]") {
  cv::Mat constant(100, 1, CV_32F, cv::Scalar(3.0f));
  CHECK_THROWS_WITH(otsuThreshold(constant), "otsu: all values are equal, no threshold exists");
  cv::Mat one(1, 1, CV_32F, cv::Scalar(1.0f));
  CHECK_THROWS_WITH(kittlerIllingworthThreshold(one),
                    "kittler: fewer than 2 finite values to threshold");
  CHECK_THROWS_WITH(parseThresholdMethod("triangle"),
                    "threshold: 'triangle' is not one of: otsu, kittler");
}

TEST_CASE("the automatic threshold of a constant score (identical dates) leaves nothing above it",
          "[unit][imaging]") {
  cv::Mat constant(100, 1, CV_32F, cv::Scalar(0.0f));
  for (auto method : {ThresholdMethod::Otsu, ThresholdMethod::Kittler}) {
    const double t = autoThreshold(method, constant);
    CHECK(cv::countNonZero(constant > t) == 0);
  }
}
