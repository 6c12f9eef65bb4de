#pragma once
// Global two-class thresholds on a sample of scores: Otsu (1979, between-class variance) and
// Kittler & Illingworth (1986, minimum error under a two-Gaussian mixture).
//
// Robust to heavy tails: the histogram spans the [lowQuantile, highQuantile] range of the finite
// values (default 0.1 % .. 99.9 %), and values outside are clamped into the end bins so that the
// class masses stay right. A histogram over [min, max] puts a few extreme values' range into most
// of the bins, and Otsu then returns the top bin (measured: kappa 0 on Taizhou IR-MAD).
// Callers with very skewed scores may also pass a transformed sample (sqrt, log) and map the
// threshold back.
// Validated in tests/imaging/test_thresholds.cpp: both recover the valley of a bimodal mixture
// (means 2 and 8) within 0.5, also with 0.1 % outliers at 1e6.
// All functions are pure and thread-safe.
#include <string>

#include <opencv2/core.hpp>

namespace cw::imaging {

enum class ThresholdMethod { Otsu, Kittler };

struct HistogramOptions {
  int bins = 1024;
  double lowQuantile = 0.001;
  double highQuantile = 0.999;
};

// `values`: CV_32F of any shape; NaN and inf are ignored. Returns the threshold in value units:
// values > threshold form the upper class. Throws cw::Error when fewer than 2 finite values exist
// or when they are all equal.
double otsuThreshold(const cv::Mat& values, const HistogramOptions& opt = {});
double kittlerIllingworthThreshold(const cv::Mat& values, const HistogramOptions& opt = {});
// The chosen method's split, checked by a valley test: if the histogram density at the split is
// more than 0.3 x the peak density, the split cuts through a single no-change peak (change
// smaller than ~0.1 % of the pixels, e.g. two new buildings in a scene: Otsu then marks a third
// of the scene); the threshold is then raised to Kittler-Illingworth on log(values) over the
// full range (Rosin 2002, "Thresholding for change detection", on why unimodal difference
// histograms need a different rule). Validated: tests/cli/test_change_sim_accuracy.cpp and the
// real pairs, whose splits all pass the valley test unchanged. A constant sample (identical
// dates) returns its value, so no pixel is above it: no change.
double autoThreshold(ThresholdMethod method, const cv::Mat& values,
                     const HistogramOptions& opt = {});

// Histogram density at `threshold` over the peak density (64 bins over opt's quantile range).
double valleyRatio(const cv::Mat& values, double threshold, const HistogramOptions& opt = {});

// "otsu" | "kittler"; throws cw::UsageError otherwise.
ThresholdMethod parseThresholdMethod(const std::string& name);

}  // namespace cw::imaging
