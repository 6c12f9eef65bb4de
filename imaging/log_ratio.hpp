#pragma once
// SAR log-ratio change detection (Dekker 1998; Bazi, Bruzzone & Melgani 2005):
// score = |log((F(I2) + eps) / (F(I1) + eps))| with F a speckle filter (option `filter`: median
// (default, 3x3), lee, enhanced_lee or none; see speckle_filter.hpp), thresholded by Otsu
// (default) or Kittler-Illingworth on the sample scores, or a fixed value (threshold_value > 0).
// The score is symmetric in the two dates. The method reads filter_radius pixels around a tile
// (haloPx()).
// eps guards log(0) on dark pixels (BMP SAR amplitudes contain zeros); by default it is solved
// in fit() as 1 % of the median filtered intensity of the sample, so it follows the data's scale
// (uint8 amplitude, linear sigma0 or dB-free intensity alike). For the Lee filters the squared
// speckle variation coefficient Cu^2 = 1/ENL comes from option `enl`, or, with enl = 0, is
// estimated in fit() as the median of v/m^2 over the sample (local moments of both dates), so
// it is one global value for every tile.
// Input: single-band intensity or amplitude (CV_32FC1); multi-band tiles are rejected.
// Validated on the real pairs (tests/imaging/test_change_accuracy.cpp): defaults reach kappa
// >= 0.89 on Ottawa and >= 0.85 on Bern (the measured values are printed by the test).
#include <map>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "imaging/change_method.hpp"
#include "imaging/params.hpp"
#include "imaging/registry.hpp"
#include "imaging/speckle_filter.hpp"
#include "imaging/thresholds.hpp"

namespace cw::imaging {

class LogRatioMethod : public ChangeMethod {
 public:
  static constexpr const char* kName = "logratio";

  static std::vector<OptionSpec> options();
  explicit LogRatioMethod(const Params& params);
  LogRatioMethod() : LogRatioMethod(Params(options())) {}

  std::string name() const override { return kName; }
  int haloPx() const override { return m_filter.haloPx() + m_postRadiusPx; }
  cv::Mat sampleTile(const ChangeTile& tile, const cv::Rect& core) const override;
  void fit(const cv::Mat& samples) override;
  cv::Mat score(const ChangeTile& tile) const override;
  double threshold() const override { return m_threshold; }
  std::map<std::string, std::vector<double>> solved() const override;

 private:
  SpeckleFilterOptions m_filter;
  int m_postRadiusPx = 1;
  double m_epsOption = 0.0;
  ThresholdMethod m_thresholdMethod = ThresholdMethod::Otsu;
  double m_fixedThreshold = 0.0;
  float m_eps = 1.0f;
  double m_threshold = 0.0;
  bool m_fitted = false;
};

// Adds LogRatioMethod::kName with its options to the registry (called by registerBuiltins()).
void registerLogRatioMethod(Registry& registry);

}  // namespace cw::imaging
