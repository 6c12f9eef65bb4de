#pragma once
// Speckle filters for SAR intensity images (CV_32F, single band), with validity masks:
//   median       3x3 or 5x5 (cv::medianBlur, which handles float only up to 5x5);
//   Lee          (Lee 1980): m + k (I - m), k = (v - m^2 Cu^2) / (v (1 + Cu^2)) clamped to [0, 1];
//   enhanced Lee (Lopes, Touzi & Nezry 1990): the local mean where Ci <= Cu, the pixel where
//                Ci >= Cmax = sqrt(1 + 2 Cu^2), an exponentially damped blend in between;
// with m, v the local mean and variance over a (2r+1)^2 box of *valid* pixels (normalized box
// filters), Ci = sqrt(v)/m and Cu^2 = 1/ENL the squared speckle variation coefficient.
// Invalid pixels never contribute: the Lee filters use masked moments, and the median sees
// invalid pixels replaced by the masked local mean. A filter with radius r reads r pixels
// around each output pixel, so a tiled caller needs a halo of haloPx() = r.
// The pointwise parts (leeValue, enhancedLeeValue) are exposed so that a fit pass can sample
// (I, m, v) once and apply a Cu^2 solved later.
// Validated through the SAR log-ratio accuracy tests (tests/imaging/test_change_accuracy.cpp,
// kappa Ottawa / Bern): Lee 5x5 ENL 4 0.934 / 0.861, median 3x3 0.892 / 0.856, enhanced Lee 5x5
// ENL 4 0.909 / 0.782, no filter 0.816 / 0.698; tests/imaging/test_speckle_filter.cpp checks
// that constant images pass unchanged and that invalid pixels do not leak into neighbours.
// All functions are pure and thread-safe.
#include <string>

#include <opencv2/core.hpp>

namespace cw::imaging {

enum class SpeckleFilterKind { None, Median, Lee, EnhancedLee };

struct SpeckleFilterOptions {
  SpeckleFilterKind kind = SpeckleFilterKind::Median;
  int radiusPx = 1;      // window (2r+1)^2; median supports r = 1 or 2
  double cu2 = 0.25;     // Cu^2 = 1/ENL for the Lee filters
  double damping = 1.0;  // enhanced Lee damping factor
  int haloPx() const { return kind == SpeckleFilterKind::None ? 0 : radiusPx; }
};

// "none" | "median" | "lee" | "enhanced_lee"; throws cw::UsageError otherwise.
SpeckleFilterKind parseSpeckleFilter(const std::string& name);

// Local mean and variance over the valid pixels of a (2r+1)^2 box. `valid` is CV_8U (non-zero =
// valid) or empty (all valid). Where a window holds no valid pixel, mean = var = 0.
void maskedLocalMoments(const cv::Mat& image, const cv::Mat& valid, int radiusPx, cv::Mat& mean,
                        cv::Mat& var);

inline float leeValue(float i, float m, float v, float cu2) {
  if (!(v > 0.0f)) return m;
  float k = (v - m * m * cu2) / (v * (1.0f + cu2));
  k = k < 0.0f ? 0.0f : (k > 1.0f ? 1.0f : k);
  return m + k * (i - m);
}

float enhancedLeeValue(float i, float m, float v, float cu2, float damping);

// Filters `image` (CV_32F) and returns a CV_32F image of the same size. Output at invalid pixels
// is unspecified (callers mask them).
cv::Mat speckleFilter(const cv::Mat& image, const cv::Mat& valid, const SpeckleFilterOptions& opt);

}  // namespace cw::imaging
