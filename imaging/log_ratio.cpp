#include "imaging/log_ratio.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "imaging/change_sample.hpp"

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

// A difference of logs rather than the log of a quotient: floating-point subtraction is exactly
// antisymmetric, so swapping the dates gives bit-identical scores.
inline float logRatio(float a, float b, float eps) {
  return std::fabs(std::log(b + eps) - std::log(a + eps));
}

}  // namespace

std::vector<OptionSpec> LogRatioMethod::options() {
  std::vector<OptionSpec> o;
  o.push_back({"filter",
               "speckle filter applied to both dates before the ratio",
               0,
               0,
               0,
               {"lee", "median", "enhanced_lee", "none"},
               "lee"});
  o.push_back({"filter_radius",
               "speckle filter radius in pixels (window 2r+1; median: 1 or 2)",
               2,
               1,
               15,
               {},
               "",
               /*integer=*/true});
  o.push_back({"post_filter_radius",
               "median filter radius applied to the |log ratio| image (0 = none, 1 = 3x3)",
               0,
               0,
               1,
               {},
               "",
               /*integer=*/true});
  o.push_back({"enl",
               "equivalent number of looks of the speckle, for the Lee filters",
               4.0,
               0.1,
               1e6,
               {},
               ""});
  o.push_back({"damping", "enhanced Lee damping factor", 1.0, 0.0, 100.0, {}, ""});
  o.push_back({"eps",
               "added to both intensities before the ratio; 0 = 1 % of the median filtered "
               "intensity",
               0.0,
               0.0,
               1e30,
               {},
               ""});
  o.push_back({"threshold",
               "data-driven threshold on |log ratio|: otsu or kittler",
               0,
               0,
               0,
               {"otsu", "kittler"},
               "otsu"});
  o.push_back({"threshold_value",
               "fixed threshold on |log ratio|; 0 = data-driven",
               0.0,
               0.0,
               1e30,
               {},
               ""});
  return o;
}

LogRatioMethod::LogRatioMethod(const Params& params) {
  m_filter.kind = parseSpeckleFilter(params.choice("filter"));
  m_filter.radiusPx = static_cast<int>(params.number("filter_radius"));
  if (m_filter.kind == SpeckleFilterKind::Median && m_filter.radiusPx > 2) {
    throw UsageError("logratio: median filter_radius must be 1 or 2 pixels");
  }
  m_postRadiusPx = static_cast<int>(params.number("post_filter_radius"));
  m_filter.cu2 = 1.0 / params.number("enl");
  m_filter.damping = params.number("damping");
  m_epsOption = params.number("eps");
  m_thresholdMethod = parseThresholdMethod(params.choice("threshold"));
  m_fixedThreshold = params.number("threshold_value");
}

cv::Mat LogRatioMethod::sampleTile(const ChangeTile& tile, const cv::Rect& core) const {
  checkSingleBand(tile);
  const auto pts = latticePixels(tile, core);
  // The filtered intensities of both dates over the post filter's window around each lattice
  // pixel (NaN where invalid): fit() needs eps before it can form ratios, and then reproduces
  // score()'s post median exactly. Window pixels outside the tile replicate the edge, as
  // cv::medianBlur does; inside the grid the halo makes that case impossible.
  const cv::Mat f1 = speckleFilter(tile.before, tile.valid, m_filter);
  const cv::Mat f2 = speckleFilter(tile.after, tile.valid, m_filter);
  const int r = m_postRadiusPx, win = (2 * r + 1) * (2 * r + 1);
  cv::Mat out(static_cast<int>(pts.size()), kSampleCoordCols + 2 * win, CV_32F);
  for (size_t i = 0; i < pts.size(); ++i) {
    float* row = out.ptr<float>(static_cast<int>(i));
    row[0] = static_cast<float>(tile.originPx.x + pts[i].x);
    row[1] = static_cast<float>(tile.originPx.y + pts[i].y);
    int k = 0;
    for (int dy = -r; dy <= r; ++dy) {
      for (int dx = -r; dx <= r; ++dx, ++k) {
        const int y = std::clamp(pts[i].y + dy, 0, tile.valid.rows - 1);
        const int x = std::clamp(pts[i].x + dx, 0, tile.valid.cols - 1);
        const bool ok = tile.valid.at<unsigned char>(y, x) != 0;
        row[2 + k] = ok ? f1.at<float>(y, x) : kNaN;
        row[2 + win + k] = ok ? f2.at<float>(y, x) : kNaN;
      }
    }
  }
  return out;
}

void LogRatioMethod::fit(const cv::Mat& samples) {
  const cv::Mat rows = canonicalSampleOrder(samples);
  const int win = (2 * m_postRadiusPx + 1) * (2 * m_postRadiusPx + 1);
  if (rows.cols != kSampleCoordCols + 2 * win) {
    throw Error("logratio: sample rows have an unexpected layout");
  }
  const int n = rows.rows;
  if (n < 20) {
    throw Error("logratio: " + std::to_string(n) +
                " valid sample pixels are too few to fit (need at least 20)");
  }
  const int centre = win / 2;
  if (m_epsOption > 0.0) {
    m_eps = static_cast<float>(m_epsOption);
  } else {
    std::vector<float> both;
    both.reserve(2 * n);
    for (int i = 0; i < n; ++i) {
      both.push_back(rows.at<float>(i, 2 + centre));
      both.push_back(rows.at<float>(i, 2 + win + centre));
    }
    const double med = median(std::move(both));
    m_eps = static_cast<float>(med > 0.0 ? kEpsFractionOfMedian * med : 1e-6);
  }
  if (m_fixedThreshold > 0.0) {
    m_threshold = m_fixedThreshold;
  } else {
    cv::Mat lr(n, 1, CV_32F);
    std::vector<float> w(win);
    for (int i = 0; i < n; ++i) {
      const float* r = rows.ptr<float>(i);
      for (int k = 0; k < win; ++k) {
        const float a = r[2 + k], b = r[2 + win + k];
        w[k] = std::isnan(a) ? 0.0f : logRatio(a, b, m_eps);
      }
      std::nth_element(w.begin(), w.begin() + win / 2, w.end());
      lr.at<float>(i) = w[win / 2];
    }
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
    // Invalid pixels enter the post median as "no change", so nodata never spreads change.
    for (int x = 0; x < out.cols; ++x) o[x] = v[x] ? logRatio(a[x], b[x], m_eps) : 0.0f;
  }
  if (m_postRadiusPx > 0) {
    cv::Mat median;
    cv::medianBlur(out, median, 2 * m_postRadiusPx + 1);
    out = median;
  }
  out.setTo(kNaN, tile.valid == 0);
  return out;
}

std::map<std::string, std::vector<double>> LogRatioMethod::solved() const {
  std::map<std::string, std::vector<double>> s;
  s["eps"] = {m_eps};
  s["threshold"] = {m_threshold};
  return s;
}

void registerLogRatioMethod(Registry& registry) {
  registry.add(
      ChangeMethodEntry{LogRatioMethod::kName,
                        "SAR log-ratio |log(I2/I1)| after a speckle filter (Lee 5x5, ENL 4 "
                        "by default), Otsu threshold; single-band inputs",
                        LogRatioMethod::options(),
                        [](const Params& p) { return std::make_unique<LogRatioMethod>(p); },
                        AutoInput::SingleBand, BandNeeds{}});
}

}  // namespace cw::imaging
