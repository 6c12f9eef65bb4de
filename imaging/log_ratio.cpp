#include "imaging/log_ratio.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "imaging/change_sample.hpp"
#include "imaging/error.hpp"

namespace cw::imaging {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kEpsFractionOfMedian = 0.01;

void checkSingleBand(const ChangeTile& tile) {
  checkChangeTile(tile, LogRatioMethod::kName);
  if (tile.before.channels() != 1) {
    throw UsageError("logratio: needs single-band intensity images, got " +
                     std::to_string(tile.before.channels()) + " bands");
  }
}

double median(std::vector<float> v) {
  if (v.empty()) return 0.0;
  const size_t k = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

inline float logRatio(float a, float b, float eps) { return std::fabs(std::log((b + eps) / (a + eps))); }

}  // namespace

std::vector<OptionSpec> LogRatioMethod::options() {
  std::vector<OptionSpec> o;
  o.push_back({"filter", "speckle filter applied to both dates before the ratio", 0, 0, 0,
               {"median", "lee", "enhanced_lee", "none"}, "median"});
  o.push_back({"filter_radius", "speckle filter radius in pixels (window 2r+1; median: 1 or 2)", 1,
               1, 15, {}, ""});
  o.push_back({"enl", "equivalent number of looks for the Lee filters; 0 = estimate from the data",
               0.0, 0.0, 1e6, {}, ""});
  o.push_back({"damping", "enhanced Lee damping factor", 1.0, 0.0, 100.0, {}, ""});
  o.push_back({"eps",
               "added to both intensities before the ratio; 0 = 1 % of the median filtered "
               "intensity",
               0.0, 0.0, 1e30, {}, ""});
  o.push_back({"threshold", "data-driven threshold on |log ratio|: otsu or kittler", 0, 0, 0,
               {"otsu", "kittler"}, "otsu"});
  o.push_back({"threshold_value", "fixed threshold on |log ratio|; 0 = data-driven", 0.0, 0.0,
               1e30, {}, ""});
  return o;
}

LogRatioMethod::LogRatioMethod(const Params& params) {
  m_filter.kind = parseSpeckleFilter(params.choice("filter"));
  m_filter.radiusPx = static_cast<int>(params.number("filter_radius"));
  if (m_filter.kind == SpeckleFilterKind::Median && m_filter.radiusPx > 2) {
    throw UsageError("logratio: median filter_radius must be 1 or 2 pixels");
  }
  m_enl = params.number("enl");
  m_filter.damping = params.number("damping");
  if (m_enl > 0.0) m_filter.cu2 = 1.0 / m_enl;
  m_epsOption = params.number("eps");
  m_thresholdMethod = parseThresholdMethod(params.choice("threshold"));
  m_fixedThreshold = params.number("threshold_value");
}

bool LogRatioMethod::usesMoments() const {
  return m_filter.kind == SpeckleFilterKind::Lee || m_filter.kind == SpeckleFilterKind::EnhancedLee;
}

cv::Mat LogRatioMethod::sampleTile(const ChangeTile& tile, const cv::Rect& core) const {
  checkSingleBand(tile);
  const auto pts = latticePixels(tile, core);
  // Median/none: the filtered intensities. Lee filters: (I, m, v) per date, because Cu^2 is only
  // known after fit() has seen every tile.
  std::vector<cv::Mat> planes;
  if (usesMoments()) {
    for (const cv::Mat* img : {&tile.before, &tile.after}) {
      cv::Mat m, v;
      maskedLocalMoments(*img, tile.valid, m_filter.radiusPx, m, v);
      planes.push_back(*img);
      planes.push_back(m);
      planes.push_back(v);
    }
  } else {
    planes.push_back(speckleFilter(tile.before, tile.valid, m_filter));
    planes.push_back(speckleFilter(tile.after, tile.valid, m_filter));
  }
  const int cols = kSampleCoordCols + static_cast<int>(planes.size());
  cv::Mat out(static_cast<int>(pts.size()), cols, CV_32F);
  for (size_t i = 0; i < pts.size(); ++i) {
    float* row = out.ptr<float>(static_cast<int>(i));
    row[0] = static_cast<float>(tile.originPx.x + pts[i].x);
    row[1] = static_cast<float>(tile.originPx.y + pts[i].y);
    for (size_t k = 0; k < planes.size(); ++k) row[2 + k] = planes[k].at<float>(pts[i]);
  }
  return out;
}

void LogRatioMethod::fit(const cv::Mat& samples) {
  const cv::Mat rows = canonicalSampleOrder(samples);
  const int expectCols = kSampleCoordCols + (usesMoments() ? 6 : 2);
  if (rows.cols != expectCols) throw Error("logratio: sample rows have an unexpected layout");
  const int n = rows.rows;
  if (n < 20) {
    throw Error("logratio: " + std::to_string(n) +
                " valid sample pixels are too few to fit (need at least 20)");
  }
  if (usesMoments() && m_enl <= 0.0) {
    std::vector<float> cv2;
    cv2.reserve(2 * n);
    for (int i = 0; i < n; ++i) {
      const float* r = rows.ptr<float>(i);
      for (int d = 0; d < 2; ++d) {
        const float m = r[3 + 3 * d], v = r[4 + 3 * d];
        if (m > 0.0f) cv2.push_back(v / (m * m));
      }
    }
    m_filter.cu2 = std::max(median(std::move(cv2)), 1e-6);
  }
  std::vector<float> f1(n), f2(n);
  for (int i = 0; i < n; ++i) {
    const float* r = rows.ptr<float>(i);
    if (!usesMoments()) {
      f1[i] = r[2];
      f2[i] = r[3];
    } else {
      const float cu2 = static_cast<float>(m_filter.cu2);
      const bool enh = m_filter.kind == SpeckleFilterKind::EnhancedLee;
      const float damp = static_cast<float>(m_filter.damping);
      f1[i] = enh ? enhancedLeeValue(r[2], r[3], r[4], cu2, damp) : leeValue(r[2], r[3], r[4], cu2);
      f2[i] = enh ? enhancedLeeValue(r[5], r[6], r[7], cu2, damp) : leeValue(r[5], r[6], r[7], cu2);
    }
  }
  if (m_epsOption > 0.0) {
    m_eps = static_cast<float>(m_epsOption);
  } else {
    std::vector<float> both(f1);
    both.insert(both.end(), f2.begin(), f2.end());
    const double med = median(std::move(both));
    m_eps = static_cast<float>(med > 0.0 ? kEpsFractionOfMedian * med : 1e-6);
  }
  if (m_fixedThreshold > 0.0) {
    m_threshold = m_fixedThreshold;
  } else {
    cv::Mat lr(n, 1, CV_32F);
    for (int i = 0; i < n; ++i) lr.at<float>(i) = logRatio(f1[i], f2[i], m_eps);
    m_threshold = autoThreshold(m_thresholdMethod, lr);
  }
  m_fitted = true;
}

cv::Mat LogRatioMethod::score(const ChangeTile& tile) const {
  if (!m_fitted) throw Error("logratio: score() called before fit()");
  checkSingleBand(tile);
  const cv::Mat f1 = speckleFilter(tile.before, tile.valid, m_filter);
  const cv::Mat f2 = speckleFilter(tile.after, tile.valid, m_filter);
  cv::Mat out(tile.before.size(), CV_32F);
  for (int y = 0; y < out.rows; ++y) {
    const float* a = f1.ptr<float>(y);
    const float* b = f2.ptr<float>(y);
    const unsigned char* v = tile.valid.ptr<unsigned char>(y);
    float* o = out.ptr<float>(y);
    for (int x = 0; x < out.cols; ++x) o[x] = v[x] ? logRatio(a[x], b[x], m_eps) : kNaN;
  }
  return out;
}

std::map<std::string, std::vector<double>> LogRatioMethod::solved() const {
  std::map<std::string, std::vector<double>> s;
  s["eps"] = {m_eps};
  s["threshold"] = {m_threshold};
  if (usesMoments()) s["cu2"] = {m_filter.cu2};
  return s;
}

void registerLogRatioMethod(Registry& registry) {
  registry.add(ChangeMethodEntry{LogRatioMethod::kName,
                                 "SAR log-ratio |log(I2/I1)| after a speckle filter (3x3 median by default), Otsu threshold; single-band inputs",
                                 LogRatioMethod::options(),
                                 [](const Params& p) { return std::make_unique<LogRatioMethod>(p); }});
}

}  // namespace cw::imaging
