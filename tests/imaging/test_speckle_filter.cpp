#include <catch2/catch.hpp>

#include <random>

#include "imaging/speckle_filter.hpp"

using namespace cw::imaging;

namespace {

SpeckleFilterOptions options(SpeckleFilterKind kind, int radius) {
  SpeckleFilterOptions o;
  o.kind = kind;
  o.radiusPx = radius;
  return o;
}

}  // namespace

TEST_CASE("speckle filters leave a constant image unchanged", "[unit][imaging]") {
  const cv::Mat flat(20, 24, CV_32F, cv::Scalar(42.0f));
  for (auto kind : {SpeckleFilterKind::Median, SpeckleFilterKind::Lee,
                    SpeckleFilterKind::EnhancedLee, SpeckleFilterKind::None}) {
    const cv::Mat out = speckleFilter(flat, cv::Mat(), options(kind, 2));
    CHECK(cv::norm(out, flat, cv::NORM_INF) < 1e-4);
  }
}

TEST_CASE("speckle filters reduce 4-look speckle variance", "[unit][imaging]") {
  std::mt19937 rng(3);
  std::gamma_distribution<float> g(4.0f, 25.0f);  // mean 100, Cu^2 = 1/4
  cv::Mat img(64, 64, CV_32F);
  for (int i = 0; i < img.rows * img.cols; ++i) img.at<float>(i) = g(rng);
  cv::Scalar m0, s0;
  cv::meanStdDev(img, m0, s0);
  for (auto kind :
       {SpeckleFilterKind::Median, SpeckleFilterKind::Lee, SpeckleFilterKind::EnhancedLee}) {
    cv::Scalar m, s;
    cv::meanStdDev(speckleFilter(img, cv::Mat(), options(kind, 2)), m, s);
    CHECK(s[0] < 0.6 * s0[0]);
    CHECK(m[0] == Approx(m0[0]).epsilon(0.1));
  }
}

TEST_CASE("invalid pixels do not leak into their neighbours", "[unit][imaging]") {
  cv::Mat img(21, 21, CV_32F, cv::Scalar(10.0f));
  cv::Mat valid(21, 21, CV_8U, cv::Scalar(255));
  img.at<float>(10, 10) = 1e9f;  // nodata value
  valid.at<unsigned char>(10, 10) = 0;
  img.at<float>(3, 3) = std::numeric_limits<float>::quiet_NaN();
  valid.at<unsigned char>(3, 3) = 0;
  for (auto kind :
       {SpeckleFilterKind::Median, SpeckleFilterKind::Lee, SpeckleFilterKind::EnhancedLee}) {
    const cv::Mat out = speckleFilter(img, valid, options(kind, 2));
    cv::Mat d;
    cv::absdiff(out, cv::Scalar(10.0f), d);
    d.setTo(0, valid == 0);
    CHECK(cv::norm(d, cv::NORM_INF) < 1e-3);
  }
}

TEST_CASE("speckle filter options reject what they cannot do", "[unit][imaging]") {
  CHECK_THROWS_WITH(parseSpeckleFilter("frost"),
                    "speckle filter: 'frost' is not one of: none, median, lee, enhanced_lee");
  CHECK_THROWS_WITH(speckleFilter(cv::Mat(8, 8, CV_32F, cv::Scalar(1)), cv::Mat(),
                                  options(SpeckleFilterKind::Median, 3)),
                    "speckle filter: median radius must be 1 or 2 pixels (float images)");
  CHECK(options(SpeckleFilterKind::Lee, 2).haloPx() == 2);
  CHECK(options(SpeckleFilterKind::None, 2).haloPx() == 0);
}
