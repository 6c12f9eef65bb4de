#include "imaging/cva.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "imaging/change_sample.hpp"
#include "imaging/irmad.hpp"
#include "imaging/row_chunks.hpp"

namespace cw::imaging {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kInvariantProbability = 0.95;

struct LineFit {
  double gain = 1.0, offset = 0.0;
};

// Orthogonal (total least squares) regression y = gain * x + offset over the selected rows:
// both dates carry noise, so ordinary least squares would bias the gain towards 0.
LineFit orthogonalRegression(const cv::Mat& x, const cv::Mat& y, const std::vector<int>& rows) {
  double sx = 0, sy = 0;
  for (int r : rows) {
    sx += x.at<float>(r);
    sy += y.at<float>(r);
  }
  const double n = static_cast<double>(rows.size());
  const double mx = sx / n, my = sy / n;
  double sxx = 0, syy = 0, sxy = 0;
  for (int r : rows) {
    const double dx = x.at<float>(r) - mx, dy = y.at<float>(r) - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  LineFit f;
  if (std::fabs(sxy) < 1e-12 * std::sqrt(sxx * syy + 1e-300)) {
    f.gain = 1.0;
  } else {
    f.gain = (syy - sxx + std::sqrt((syy - sxx) * (syy - sxx) + 4.0 * sxy * sxy)) / (2.0 * sxy);
  }
  f.offset = my - f.gain * mx;
  return f;
}

double meanOf(const cv::Mat& col, const std::vector<int>& rows) {
  double s = 0;
  for (int r : rows) s += col.at<float>(r);
  return s / rows.size();
}

double stdOf(const cv::Mat& col, const std::vector<int>& rows, double mean) {
  double s = 0;
  for (int r : rows) {
    const double d = col.at<float>(r) - mean;
    s += d * d;
  }
  return std::sqrt(s / std::max<size_t>(rows.size() - 1, 1));
}

// Rows of the sample that IR-MAD finds invariant (no-change probability above
// kInvariantProbability), in increasing order.
std::vector<int> irmadInvariantRows(const cv::Mat& before, const cv::Mat& after) {
  const int p = before.cols;
  const int n = before.rows;
  cv::Mat weights;
  const IrmadModel model =
      fitIrmad(evenlySpacedRows(before, IrmadMethod::kMaxIterationRows),
               evenlySpacedRows(after, IrmadMethod::kMaxIterationRows), IrmadOptions{});
  // Weights of every sample row under the model fitted on the thinned rows.
  weights = irmadNoChangeWeights(irmadChiSquareRows(model, before, after), p);
  std::vector<int> invariant;
  for (int i = 0; i < n; ++i) {
    if (weights.at<double>(i) > kInvariantProbability) invariant.push_back(i);
  }
  // Too few invariant pixels (a scene that changed almost everywhere): fall back to the most
  // likely unchanged half rather than fail.
  if (static_cast<int>(invariant.size()) < 10 * p) {
    std::vector<std::pair<double, int>> byWeight(n);
    for (int i = 0; i < n; ++i) byWeight[i] = {-weights.at<double>(i), i};
    std::sort(byWeight.begin(), byWeight.end());
    invariant.clear();
    for (int i = 0; i < n / 2; ++i) invariant.push_back(byWeight[i].second);
    std::sort(invariant.begin(), invariant.end());
  }
  return invariant;
}

// One band's normalization: the score's gains and offset (gb, ga, off) and, for the job record,
// after ~ gain * before + bandOffset and the no-change noise scale.
struct BandNormalization {
  double gb = 1.0, ga = 1.0, off = 0.0;
  double gain = 1.0, bandOffset = 0.0, scale = 1.0;
};

// Fits one band's normalization (xb, xa: its before and after sample columns).
BandNormalization normalizeBand(CvaMethod::Normalization normalization, const cv::Mat& xb,
                                const cv::Mat& xa, const std::vector<int>& invariant,
                                const std::vector<int>& all) {
  BandNormalization b;
  if (normalization == CvaMethod::Normalization::Irmad) {
    const LineFit f = orthogonalRegression(xb, xa, invariant);
    // Difference on the invariant set, to scale each band by its no-change noise.
    double s = 0, s2 = 0;
    for (int r : invariant) {
      const double d = xa.at<float>(r) - f.gain * xb.at<float>(r) - f.offset;
      s += d;
      s2 += d * d;
    }
    const double m = s / invariant.size();
    const double sd = std::sqrt(std::max(s2 / invariant.size() - m * m, 1e-12));
    b.gain = f.gain;
    b.bandOffset = f.offset;
    b.scale = sd;
    b.gb = f.gain / sd;
    b.ga = 1.0 / sd;
    b.off = f.offset / sd;
  } else if (normalization == CvaMethod::Normalization::ZScore) {
    const double mb = meanOf(xb, all), ma = meanOf(xa, all);
    const double sb = std::max(stdOf(xb, all, mb), 1e-12), sa = std::max(stdOf(xa, all, ma), 1e-12);
    b.gb = 1.0 / sb;
    b.ga = 1.0 / sa;
    b.off = ma / sa - mb / sb;
    b.gain = sa / sb;
    b.bandOffset = ma - mb * sa / sb;
  }
  return b;
}

// Change magnitude of every sample row (rows of before / after), for the data-driven threshold.
cv::Mat sampleMagnitudes(const cv::Mat& before, const cv::Mat& after,
                         const std::vector<float>& beforeGain, const std::vector<float>& afterGain,
                         const std::vector<float>& offset) {
  const int n = before.rows;
  const int p = before.cols;
  cv::Mat mag(n, 1, CV_32F);
  forEachChunk(n, [&](int, int r0, int r1) {
    for (int i = r0; i < r1; ++i) {
      double acc = 0;
      for (int j = 0; j < p; ++j) {
        const double d = afterGain[j] * after.at<float>(i, j) -
                         beforeGain[j] * before.at<float>(i, j) - offset[j];
        acc += d * d;
      }
      mag.at<float>(i) = static_cast<float>(std::sqrt(acc));
    }
  });
  return mag;
}

template <int P>
void magnitudeKernel(const float* gb, const float* ga, const float* off, int p,
                     const cv::Mat& before, const cv::Mat& after, const cv::Mat& valid,
                     cv::Mat& out) {
  const int bands = P > 0 ? P : p;
  for (int y = 0; y < before.rows; ++y) {
    const float* xb = before.ptr<float>(y);
    const float* xa = after.ptr<float>(y);
    const unsigned char* v = valid.ptr<unsigned char>(y);
    float* o = out.ptr<float>(y);
    for (int x = 0; x < before.cols; ++x) {
      const float* pb = xb + static_cast<size_t>(x) * bands;
      const float* pa = xa + static_cast<size_t>(x) * bands;
      float acc = 0.0f;
      for (int j = 0; j < bands; ++j) {
        const float d = ga[j] * pa[j] - gb[j] * pb[j] - off[j];
        acc += d * d;
      }
      o[x] = v[x] ? std::sqrt(acc) : kNaN;
    }
  }
}

}  // namespace

std::vector<OptionSpec> CvaMethod::options() {
  std::vector<OptionSpec> o;
  o.push_back({"normalization",
               "relative radiometric normalization: irmad (orthogonal regression on IR-MAD "
               "invariant pixels), zscore (per band and date), none",
               0,
               0,
               0,
               {"irmad", "zscore", "none"},
               "irmad"});
  o.push_back({"threshold",
               "data-driven threshold on the change magnitude: otsu or kittler",
               0,
               0,
               0,
               {"otsu", "kittler"},
               "otsu"});
  o.push_back({"threshold_value",
               "fixed threshold on the magnitude instead of the data-driven one; 0 = data-driven",
               0.0,
               0.0,
               1e30,
               {},
               ""});
  return o;
}

CvaMethod::CvaMethod(const Params& params) {
  const std::string& n = params.choice("normalization");
  m_normalization = n == "zscore" ? Normalization::ZScore
                    : n == "none" ? Normalization::None
                                  : Normalization::Irmad;
  m_thresholdMethod = parseThresholdMethod(params.choice("threshold"));
  m_fixedThreshold = params.number("threshold_value");
}

cv::Mat CvaMethod::sampleTile(const ChangeTile& tile, const cv::Rect& core) const {
  checkChangeTile(tile, kName);
  return sampleBandPairs(tile, core);
}

void CvaMethod::fit(const cv::Mat& samples) {
  const cv::Mat rows = canonicalSampleOrder(samples);
  if ((rows.cols - kSampleCoordCols) % 2 != 0 || rows.cols <= kSampleCoordCols) {
    throw Error("cva: sample rows must be [gx, gy, before p, after p]");
  }
  const int p = (rows.cols - kSampleCoordCols) / 2;
  const int n = rows.rows;
  if (n < 20 * p) {
    std::ostringstream os;
    os << "cva: " << n << " valid sample pixels are too few to fit " << p
       << " bands (need at least " << 20 * p << ")";
    throw Error(os.str());
  }
  const cv::Mat before = rows.colRange(kSampleCoordCols, kSampleCoordCols + p);
  const cv::Mat after = rows.colRange(kSampleCoordCols + p, kSampleCoordCols + 2 * p);

  std::vector<int> all(n);
  for (int i = 0; i < n; ++i) all[i] = i;
  const std::vector<int> invariant =
      m_normalization == Normalization::Irmad ? irmadInvariantRows(before, after) : all;
  m_invariantPixels = static_cast<int>(invariant.size());

  m_beforeGain.assign(p, 1.0f);
  m_afterGain.assign(p, 1.0f);
  m_offset.assign(p, 0.0f);
  m_gain.assign(p, 1.0);
  m_bandOffset.assign(p, 0.0);
  m_scale.assign(p, 1.0);
  for (int j = 0; j < p; ++j) {
    const cv::Mat xb = before.col(j).clone(), xa = after.col(j).clone();
    const BandNormalization b = normalizeBand(m_normalization, xb, xa, invariant, all);
    m_gain[j] = b.gain;
    m_bandOffset[j] = b.bandOffset;
    m_scale[j] = b.scale;
    m_beforeGain[j] = static_cast<float>(b.gb);
    m_afterGain[j] = static_cast<float>(b.ga);
    m_offset[j] = static_cast<float>(b.off);
  }

  if (m_fixedThreshold > 0.0) {
    m_threshold = m_fixedThreshold;
  } else {
    const cv::Mat mag = sampleMagnitudes(before, after, m_beforeGain, m_afterGain, m_offset);
    m_threshold = autoThreshold(m_thresholdMethod, mag);
  }
  m_fitted = true;
}

cv::Mat CvaMethod::score(const ChangeTile& tile) const {
  if (!m_fitted) throw Error("cva: score() called before fit()");
  checkChangeTile(tile, kName);
  const int p = tile.before.channels();
  if (p != static_cast<int>(m_offset.size())) {
    throw Error("cva: tile has " + std::to_string(p) + " bands, the fit had " +
                std::to_string(m_offset.size()));
  }
  cv::Mat out(tile.before.size(), CV_32F);
  const float *gb = m_beforeGain.data(), *ga = m_afterGain.data(), *off = m_offset.data();
  switch (p) {
    case 1:
      magnitudeKernel<1>(gb, ga, off, p, tile.before, tile.after, tile.valid, out);
      break;
    case 2:
      magnitudeKernel<2>(gb, ga, off, p, tile.before, tile.after, tile.valid, out);
      break;
    case 3:
      magnitudeKernel<3>(gb, ga, off, p, tile.before, tile.after, tile.valid, out);
      break;
    case 4:
      magnitudeKernel<4>(gb, ga, off, p, tile.before, tile.after, tile.valid, out);
      break;
    case 6:
      magnitudeKernel<6>(gb, ga, off, p, tile.before, tile.after, tile.valid, out);
      break;
    default:
      magnitudeKernel<0>(gb, ga, off, p, tile.before, tile.after, tile.valid, out);
      break;
  }
  return out;
}

std::map<std::string, std::vector<double>> CvaMethod::solved() const {
  std::map<std::string, std::vector<double>> s;
  s["gain"] = m_gain;
  s["offset"] = m_bandOffset;
  s["difference_scale"] = m_scale;
  s["invariant_pixels"] = {static_cast<double>(m_invariantPixels)};
  s["threshold"] = {m_threshold};
  return s;
}

void registerCvaMethod(Registry& registry) {
  registry.add(ChangeMethodEntry{
      CvaMethod::kName,
      "change vector analysis: magnitude of the radiometrically normalized difference vector "
      "(IR-MAD invariant pixels + orthogonal regression), Otsu threshold",
      CvaMethod::options(), [](const Params& p) { return std::make_unique<CvaMethod>(p); },
      AutoInput::Never, BandNeeds{}});
}

}  // namespace cw::imaging
