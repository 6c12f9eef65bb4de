#include "imaging/irmad.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

#include "core/error.hpp"
#include "imaging/change_sample.hpp"
#include "imaging/chi_square.hpp"
#include "imaging/row_chunks.hpp"

namespace cw::imaging {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Symmetric inverse square root through the eigen-decomposition, with eigenvalues floored
// relative to the largest so a constant band does not make the problem singular.
cv::Mat inverseSqrtSym(const cv::Mat& s) {
  cv::Mat evals, evecs;
  cv::eigen(s, evals, evecs);
  const double top = std::max(evals.at<double>(0), 1e-300);
  cv::Mat d = cv::Mat::zeros(s.size(), CV_64F);
  for (int i = 0; i < s.rows; ++i) {
    d.at<double>(i, i) = 1.0 / std::sqrt(std::max(evals.at<double>(i), top * 1e-12));
  }
  return evecs.t() * d * evecs;
}

struct Cca {
  cv::Mat a, b;  // rows = canonical vectors
  std::vector<double> rho;
};

Cca solveCca(const cv::Mat& cov, int p) {
  const cv::Mat s11 = cov(cv::Rect(0, 0, p, p));
  const cv::Mat s22 = cov(cv::Rect(p, p, p, p));
  const cv::Mat s12 = cov(cv::Rect(p, 0, p, p));
  const cv::Mat s21 = s12.t();
  const cv::Mat w11 = inverseSqrtSym(s11);
  const cv::Mat w22 = inverseSqrtSym(s22);
  const cv::Mat s22inv = w22 * w22;
  cv::Mat k = w11 * s12 * s22inv * s21 * w11;
  k = 0.5 * (k + k.t());
  cv::Mat evals, evecs;
  cv::eigen(k, evals, evecs);  // descending, rows are eigenvectors
  Cca out;
  out.a = cv::Mat(p, p, CV_64F);
  out.b = cv::Mat(p, p, CV_64F);
  out.rho.resize(p);
  for (int i = 0; i < p; ++i) {
    const double rho = std::sqrt(std::clamp(evals.at<double>(i), 0.0, 1.0));
    cv::Mat a = w11 * evecs.row(i).t();  // unit variance: a' S11 a = u'u = 1
    const cv::Mat corr = s11 * a;
    if (cv::sum(corr)[0] < 0.0) a = -a;
    cv::Mat b = s22inv * s21 * a;
    const double varB = cv::Mat(b.t() * s22 * b).at<double>(0);
    b /= std::sqrt(std::max(varB, 1e-300));
    cv::Mat(a.t()).copyTo(out.a.row(i));
    cv::Mat(b.t()).copyTo(out.b.row(i));
    out.rho[i] = rho;
  }
  return out;
}

// Per-pixel Z with compile-time band count (P = 0: run-time-sized). Each row is first split
// into band planes, so that the MAD variates are computed across pixels: every loop over x is a
// plain multiply-add over contiguous floats that the compiler vectorizes. (Computing the P
// variates of one pixel as the vector lanes, from the interleaved row, was ~9 % of an irmad
// run's CPU at 8192²: broadcasts and a horizontal sum per pixel.)
template <int P>
void chiSquareKernel(const float* coef, int p, const cv::Mat& before, const cv::Mat& after,
                     const cv::Mat& valid, cv::Mat& z) {
  const int bands = P > 0 ? P : p;
  const int w = before.cols;
  // coef layout, transposed: A[j][i] at coef[j*bands + i], B[j][i] at coef[(bands + j)*bands + i],
  // offsets c[i] at coef[2*bands*bands + i].
  const float* ca = coef;
  const float* cb = coef + bands * bands;
  const float* cc = coef + 2 * bands * bands;
  std::vector<float> buf(static_cast<size_t>(w) * (2 * bands + 1));
  float* planes = buf.data();                              // before 0..p-1, after p..2p-1
  float* t = planes + static_cast<size_t>(w) * 2 * bands;  // one variate
  for (int y = 0; y < before.rows; ++y) {
    const float* xb = before.ptr<float>(y);
    const float* xa = after.ptr<float>(y);
    for (int x = 0; x < w; ++x) {
      for (int j = 0; j < bands; ++j) {
        planes[static_cast<size_t>(j) * w + x] = xb[static_cast<size_t>(x) * bands + j];
        planes[static_cast<size_t>(bands + j) * w + x] = xa[static_cast<size_t>(x) * bands + j];
      }
    }
    float* out = z.ptr<float>(y);
    std::fill(out, out + w, 0.0f);
    for (int i = 0; i < bands; ++i) {
      const float c0 = -cc[i];
      for (int x = 0; x < w; ++x) t[x] = c0;
      for (int j = 0; j < bands; ++j) {
        const float ka = ca[j * bands + i], kb = cb[j * bands + i];
        const float* pb = planes + static_cast<size_t>(j) * w;
        const float* pa = planes + static_cast<size_t>(bands + j) * w;
        for (int x = 0; x < w; ++x) t[x] += ka * pb[x] - kb * pa[x];
      }
      for (int x = 0; x < w; ++x) out[x] += t[x] * t[x];
    }
    if (!valid.empty()) {
      const unsigned char* v = valid.ptr<unsigned char>(y);
      for (int x = 0; x < w; ++x) {
        if (!v[x]) out[x] = kNaN;
      }
    }
  }
}

// P(no change) of one row: the chi-square survival function of Z with p degrees of freedom;
// for even p without chiSquareSf's log (exp(-Z/2) times the Poisson sum).
inline double noChangeWeight(double z, int p) {
  if (p % 2 == 0) {
    const double h = 0.5 * z;
    return std::exp(-h) * chiSquareEvenSum(h, p);
  }
  return chiSquareSf(z, p);
}

// A model's MAD variates as linear forms of one row: t_i = sum_j wa_ij x_j - wb_ij y_j - c_i.
struct ZCoefficients {
  std::vector<double> wa, wb, c;
};

// Z = sum_i t_i^2 of one row (x: p before values, y: p after values).
inline double rowZ(const ZCoefficients& k, const float* x, const float* y, int p) {
  double z = 0.0;
  for (int i = 0; i < p; ++i) {
    double t = -k.c[i];
    for (int j = 0; j < p; ++j) t += k.wa[i * p + j] * x[j] - k.wb[i * p + j] * y[j];
    z += t * t;
  }
  return z;
}

ZCoefficients zCoefficients(const IrmadModel& m) {
  const int p = m.bands;
  ZCoefficients k{std::vector<double>(p * p), std::vector<double>(p * p), std::vector<double>(p)};
  for (int i = 0; i < p; ++i) {
    k.c[i] = 0.0;
    for (int j = 0; j < p; ++j) {
      k.wa[i * p + j] = m.a.at<double>(i, j) / m.sigma[i];
      k.wb[i * p + j] = m.b.at<double>(i, j) / m.sigma[i];
      k.c[i] += k.wa[i * p + j] * m.meanBefore[j] - k.wb[i * p + j] * m.meanAfter[j];
    }
  }
  return k;
}

// Weighted moments of the rows [before after] (2p values each) about a fixed centre c:
// sw = sum w, s1 = sum w (v - c), s2 = sum w (v - c)(v - c)' (q x q, row-major, full square).
// About the previous mean the centred sums keep their precision in one pass.
struct Moments {
  double sw = 0.0;
  std::vector<double> s1, s2;
};

// One pass of an IR-MAD iteration over rows [r0, r1), P = p at compile time (0: run-time p). With
// a model (k != nullptr) it stores each row's Z and no-change weight and weighs the moments by it;
// without, every row weighs 1. acc = [sw, s1 (q), s2 (q*q)]. s2 is one product
// (sqrt(w) V)'(sqrt(w) V) of the chunk's centred rows (cv::mulTransposed): a running sum per
// row kept q*q accumulators in memory.
template <int P>
void irmadRowPass(int p, const ZCoefficients* k, const double* centre, const cv::Mat& before,
                  const cv::Mat& after, int r0, int r1, double* z, double* w, double* acc) {
  const int bands = P > 0 ? P : p;
  const int q = 2 * bands;
  double* s1 = acc + 1;
  cv::Mat scaled(r1 - r0, q, CV_64F);
  for (int r = r0; r < r1; ++r) {
    const float* x = before.ptr<float>(r);
    const float* y = after.ptr<float>(r);
    double wr = 1.0;
    if (k) {
      const double zr = rowZ(*k, x, y, bands);
      wr = noChangeWeight(zr, bands);
      z[r] = zr;
      w[r] = wr;
    }
    const double root = std::sqrt(wr);
    double* v = scaled.ptr<double>(r - r0);
    for (int j = 0; j < bands; ++j) {
      v[j] = x[j] - centre[j];
      v[bands + j] = y[j] - centre[bands + j];
    }
    acc[0] += wr;
    for (int j = 0; j < q; ++j) {
      s1[j] += wr * v[j];
      v[j] *= root;
    }
  }
  cv::Mat s2;
  cv::mulTransposed(scaled, s2, true);
  for (int j = 0; j < q * q; ++j) acc[1 + q + j] = s2.at<double>(j / q, j % q);
}

// irmadRowPass over all rows in fixed chunks, in parallel; partials added in chunk order, so the
// moments do not depend on the thread count.
Moments irmadPass(int p, const ZCoefficients* k, const std::vector<double>& centre,
                  const cv::Mat& before, const cv::Mat& after, cv::Mat& z, cv::Mat& w) {
  const int n = before.rows, q = 2 * p, width = 1 + q + q * q;
  std::vector<double> partial(static_cast<size_t>(chunkCount(n)) * width, 0.0);
  double* zp = k ? z.ptr<double>() : nullptr;
  double* wp = k ? w.ptr<double>() : nullptr;
  forEachChunk(n, [&](int c, int r0, int r1) {
    double* acc = partial.data() + static_cast<size_t>(c) * width;
    switch (p) {
      case 1:
        irmadRowPass<1>(p, k, centre.data(), before, after, r0, r1, zp, wp, acc);
        break;
      case 2:
        irmadRowPass<2>(p, k, centre.data(), before, after, r0, r1, zp, wp, acc);
        break;
      case 3:
        irmadRowPass<3>(p, k, centre.data(), before, after, r0, r1, zp, wp, acc);
        break;
      case 4:
        irmadRowPass<4>(p, k, centre.data(), before, after, r0, r1, zp, wp, acc);
        break;
      case 6:
        irmadRowPass<6>(p, k, centre.data(), before, after, r0, r1, zp, wp, acc);
        break;
      case 8:
        irmadRowPass<8>(p, k, centre.data(), before, after, r0, r1, zp, wp, acc);
        break;
      default:
        irmadRowPass<0>(p, k, centre.data(), before, after, r0, r1, zp, wp, acc);
        break;
    }
  });
  Moments m;
  m.s1.assign(q, 0.0);
  m.s2.assign(static_cast<size_t>(q) * q, 0.0);
  for (std::size_t c = 0; c < partial.size() / width; ++c) {
    const double* pc = partial.data() + c * width;
    m.sw += pc[0];
    for (int j = 0; j < q; ++j) m.s1[j] += pc[1 + j];
    for (int j = 0; j < q * q; ++j) m.s2[j] += pc[1 + q + j];
  }
  return m;
}

}  // namespace

IrmadModel fitIrmad(const cv::Mat& before, const cv::Mat& after, const IrmadOptions& opt,
                    cv::Mat* noChangeWeights) {
  if (before.type() != CV_32F || after.type() != CV_32F || before.size() != after.size()) {
    throw Error("irmad: before and after samples must be n x p CV_32F of the same size");
  }
  const int p = before.cols;
  const int n = before.rows;
  if (p < 1) throw Error("irmad: no bands");
  if (p > 64) throw Error("irmad: at most 64 bands are supported");
  if (n < 20 * p) {
    std::ostringstream os;
    os << "irmad: " << n << " valid sample pixels are too few to fit " << p
       << " bands (need at least " << 20 * p << ")";
    throw Error(os.str());
  }
  cv::Mat w = cv::Mat::ones(n, 1, CV_64F);
  cv::Mat z(n, 1, CV_64F);
  IrmadModel m;
  m.bands = p;
  std::vector<double> lastRho(p, -1.0);
  const int q = 2 * p;
  // One pass per iteration: the pass that gives the rows their Z and weight under model k also
  // sums the weighted moments for model k + 1, about model k's mean (the first pass, with every
  // weight 1, about the first row). (Separate mean, covariance, Z and weight passes were ~0.18 s
  // of a 2-thread fit of 262,144 rows over 30 iterations.)
  std::vector<double> centre(q);
  for (int j = 0; j < p; ++j) {
    centre[j] = before.at<float>(0, j);
    centre[p + j] = after.at<float>(0, j);
  }
  Moments mom = irmadPass(p, nullptr, centre, before, after, z, w);
  for (int it = 1; it <= std::max(1, opt.maxIterations); ++it) {
    const double sw = mom.sw;
    if (!(sw > 2.0)) throw Error("irmad: no-change weights vanished; pair has no common signal");
    std::vector<double> d(q), mean(q);
    for (int j = 0; j < q; ++j) {
      d[j] = mom.s1[j] / sw;
      mean[j] = centre[j] + d[j];
    }
    cv::Mat covMat(q, q, CV_64F);
    for (int j = 0; j < q; ++j) {
      for (int l = j; l < q; ++l) {
        covMat.at<double>(j, l) = covMat.at<double>(l, j) = mom.s2[j * q + l] / sw - d[j] * d[l];
      }
    }
    for (int j = 0; j < 2 * p; ++j) {
      if (!(covMat.at<double>(j, j) > 0.0)) {
        throw Error("irmad: band " + std::to_string(j % p + 1) + " of the " +
                    (j < p ? "before" : "after") + " image is constant over the sample");
      }
    }
    Cca cca = solveCca(covMat, p);
    m.a = cca.a;
    m.b = cca.b;
    m.rho = cca.rho;
    m.meanBefore.assign(mean.begin(), mean.begin() + p);
    m.meanAfter.assign(mean.begin() + p, mean.end());
    m.sigma.resize(p);
    for (int i = 0; i < p; ++i) m.sigma[i] = std::sqrt(std::max(2.0 * (1.0 - m.rho[i]), 1e-12));
    m.iterations = it;
    double delta = 0.0;
    for (int i = 0; i < p; ++i) delta = std::max(delta, std::fabs(m.rho[i] - lastRho[i]));
    lastRho = m.rho;
    const ZCoefficients k = zCoefficients(m);
    centre = mean;
    mom = irmadPass(p, &k, centre, before, after, z, w);
    if (delta < opt.tolerance) {
      m.converged = true;
      break;
    }
  }
  if (noChangeWeights) *noChangeWeights = w;
  return m;
}

cv::Mat irmadNoChangeWeights(const cv::Mat& z, int p) {
  const int n = z.rows;
  cv::Mat w(n, 1, CV_64F);
  forEachChunk(n, [&](int, int r0, int r1) {
    for (int r = r0; r < r1; ++r) w.at<double>(r) = noChangeWeight(z.at<double>(r), p);
  });
  return w;
}

// Z of each sample row, streamed: no n x 2p temporaries, so the memory is the sample itself plus
// one double per row; the values are those of the fit's passes (rowZ).
cv::Mat irmadChiSquareRows(const IrmadModel& model, const cv::Mat& before, const cv::Mat& after) {
  const int p = model.bands, n = before.rows;
  const ZCoefficients k = zCoefficients(model);
  cv::Mat z(n, 1, CV_64F);
  forEachChunk(n, [&](int, int r0, int r1) {
    for (int r = r0; r < r1; ++r)
      z.at<double>(r) = rowZ(k, before.ptr<float>(r), after.ptr<float>(r), p);
  });
  return z;
}

cv::Mat irmadChiSquareImage(const IrmadModel& model, const cv::Mat& before, const cv::Mat& after,
                            const cv::Mat& valid) {
  const int p = model.bands;
  if (before.depth() != CV_32F || before.channels() != p || after.type() != before.type() ||
      after.size() != before.size()) {
    throw Error("irmad: images must be CV_32FC" + std::to_string(p) + " of the same size");
  }
  if (p > 64) throw Error("irmad: at most 64 bands are supported");
  std::vector<float> coef(static_cast<size_t>(p) * (2 * p + 1));
  for (int i = 0; i < p; ++i) {
    double offset = 0.0;
    for (int j = 0; j < p; ++j) {
      const double a = model.a.at<double>(i, j) / model.sigma[i];
      const double b = model.b.at<double>(i, j) / model.sigma[i];
      coef[static_cast<size_t>(j) * p + i] = static_cast<float>(a);
      coef[static_cast<size_t>(p + j) * p + i] = static_cast<float>(b);
      offset += a * model.meanBefore[j] - b * model.meanAfter[j];
    }
    coef[static_cast<size_t>(2 * p) * p + i] = static_cast<float>(offset);
  }
  cv::Mat z(before.size(), CV_32F);
  switch (p) {
    case 1:
      chiSquareKernel<1>(coef.data(), p, before, after, valid, z);
      break;
    case 2:
      chiSquareKernel<2>(coef.data(), p, before, after, valid, z);
      break;
    case 3:
      chiSquareKernel<3>(coef.data(), p, before, after, valid, z);
      break;
    case 4:
      chiSquareKernel<4>(coef.data(), p, before, after, valid, z);
      break;
    case 5:
      chiSquareKernel<5>(coef.data(), p, before, after, valid, z);
      break;
    case 6:
      chiSquareKernel<6>(coef.data(), p, before, after, valid, z);
      break;
    case 7:
      chiSquareKernel<7>(coef.data(), p, before, after, valid, z);
      break;
    case 8:
      chiSquareKernel<8>(coef.data(), p, before, after, valid, z);
      break;
    default:
      chiSquareKernel<0>(coef.data(), p, before, after, valid, z);
      break;
  }
  return z;
}

// ---------------------------------------------------------------------------------------------

std::vector<OptionSpec> IrmadMethod::options() {
  std::vector<OptionSpec> o;
  o.push_back({"max_iterations",
               "maximum number of IR-MAD iterations (CCA solves)",
               30,
               1,
               1000,
               {},
               "",
               /*integer=*/true});
  o.push_back({"tolerance",
               "stop when every canonical correlation moves by less than this",
               1e-4,
               1e-12,
               1.0,
               {},
               ""});
  o.push_back({"threshold",
               "data-driven threshold on sqrt(Z) of the fit sample: otsu or kittler "
               "(Kittler-Illingworth)",
               0,
               0,
               0,
               {"otsu", "kittler"},
               "otsu"});
  o.push_back({"threshold_value",
               "fixed change probability in (0, 1) instead of the data-driven threshold; 0 = "
               "data-driven",
               0.0,
               0.0,
               0.999999999999,
               {},
               ""});
  o.push_back({"score",
               "score written per pixel: significance = -log10(1 - P(change)), probability = "
               "P(change) = chi2_p(Z), z = the chi-square statistic Z",
               0,
               0,
               0,
               {"significance", "probability", "z"},
               "significance"});
  return o;
}

IrmadMethod::IrmadMethod(const Params& params) {
  m_options.maxIterations = static_cast<int>(params.number("max_iterations"));
  m_options.tolerance = params.number("tolerance");
  m_thresholdMethod = parseThresholdMethod(params.choice("threshold"));
  m_fixedProbability = params.number("threshold_value");
  const std::string& s = params.choice("score");
  m_score = s == "probability" ? Score::Probability : s == "z" ? Score::Z : Score::Significance;
}

cv::Mat IrmadMethod::sampleTile(const ChangeTile& tile, const cv::Rect& core) const {
  checkChangeTile(tile, kName);
  return sampleBandPairs(tile, core);
}

double IrmadMethod::scoreOfZ(double z) const {
  switch (m_score) {
    case Score::Z:
      return z;
    case Score::Probability:
      return chiSquareCdf(z, m_model.bands);
    case Score::Significance:
      return -logChiSquareSf(z, m_model.bands) / std::log(10.0);
  }
  return z;
}

void IrmadMethod::fit(const cv::Mat& samples) {
  const cv::Mat rows = canonicalSampleOrder(samples);
  if ((rows.cols - kSampleCoordCols) % 2 != 0 || rows.cols <= kSampleCoordCols) {
    throw Error("irmad: sample rows must be [gx, gy, before p, after p]");
  }
  const int p = (rows.cols - kSampleCoordCols) / 2;
  const cv::Mat before = rows.colRange(kSampleCoordCols, kSampleCoordCols + p);
  const cv::Mat after = rows.colRange(kSampleCoordCols + p, kSampleCoordCols + 2 * p);
  const cv::Mat thin = evenlySpacedRows(rows, kMaxIterationRows);
  m_model = fitIrmad(thin.colRange(kSampleCoordCols, kSampleCoordCols + p),
                     thin.colRange(kSampleCoordCols + p, kSampleCoordCols + 2 * p), m_options);
  if (m_fixedProbability > 0.0) {
    // Invert the CDF by bisection on Z: the CDF is monotone and this runs once.
    double lo = 0.0, hi = 1.0;
    while (chiSquareCdf(hi, p) < m_fixedProbability) hi *= 2.0;
    for (int i = 0; i < 200; ++i) {
      const double mid = 0.5 * (lo + hi);
      (chiSquareCdf(mid, p) < m_fixedProbability ? lo : hi) = mid;
    }
    m_thresholdZ = 0.5 * (lo + hi);
  } else {
    const cv::Mat z = irmadChiSquareRows(m_model, before, after);
    cv::Mat rootZ;
    cv::sqrt(z, rootZ);
    rootZ.convertTo(rootZ, CV_32F);
    const double t = autoThreshold(m_thresholdMethod, rootZ);
    m_thresholdZ = t * t;
  }
  m_threshold = scoreOfZ(m_thresholdZ);
  m_fitted = true;
}

cv::Mat IrmadMethod::score(const ChangeTile& tile) const {
  if (!m_fitted) throw Error("irmad: score() called before fit()");
  checkChangeTile(tile, kName);
  cv::Mat z = irmadChiSquareImage(m_model, tile.before, tile.after, tile.valid);
  if (m_score == Score::Z) return z;
  const int p = m_model.bands;
  const bool even = p % 2 == 0;
  if (even && m_score == Score::Significance) {
    // -log10 SF = (h - log(sum_{k < p/2} h^k / k!)) / ln 10 with h = Z / 2, the log taken by
    // OpenCV's vectorized cv::log over the tile: the per-pixel libm log in double was ~6 % of
    // an irmad run's CPU (perf, 8192²). Float precision, as the score is stored.
    cv::Mat sum(z.size(), CV_32F);
    const float invLn10 = static_cast<float>(1.0 / std::log(10.0));
    for (int y = 0; y < z.rows; ++y) {
      const float* zr = z.ptr<float>(y);
      float* sr = sum.ptr<float>(y);
      for (int x = 0; x < z.cols; ++x) {
        sr[x] = chiSquareEvenSum(zr[x] == zr[x] ? 0.5f * zr[x] : 0.0f, p);
      }
    }
    cv::log(sum, sum);
    for (int y = 0; y < z.rows; ++y) {
      float* zr = z.ptr<float>(y);
      const float* lr = sum.ptr<float>(y);
      for (int x = 0; x < z.cols; ++x) zr[x] = (0.5f * zr[x] - lr[x]) * invLn10;  // NaN stays NaN
    }
    return z;
  }
  const double invLn10 = 1.0 / std::log(10.0);
  for (int y = 0; y < z.rows; ++y) {
    float* row = z.ptr<float>(y);
    for (int x = 0; x < z.cols; ++x) {
      const float zz = row[x];
      if (std::isnan(zz)) continue;
      double logSf;
      if (even) {
        // Closed form inline: this loop runs once per pixel of the scene.
        const double h = 0.5 * zz;
        logSf = -h + std::log(chiSquareEvenSum(h, p));
      } else {
        logSf = logChiSquareSf(zz, p);
      }
      row[x] =
          static_cast<float>(m_score == Score::Probability ? -std::expm1(logSf) : -logSf * invLn10);
    }
  }
  return z;
}

std::map<std::string, std::vector<double>> IrmadMethod::solved() const {
  std::map<std::string, std::vector<double>> s;
  s["rho"] = m_model.rho;
  s["sigma"] = m_model.sigma;
  s["iterations"] = {static_cast<double>(m_model.iterations)};
  s["converged"] = {m_model.converged ? 1.0 : 0.0};
  s["threshold_z"] = {m_thresholdZ};
  s["mean_before"] = m_model.meanBefore;
  s["mean_after"] = m_model.meanAfter;
  return s;
}

void registerIrmadMethod(Registry& registry) {
  registry.add(ChangeMethodEntry{IrmadMethod::kName,
                                 "IR-MAD (Nielsen 2007): iteratively reweighted MAD variates, "
                                 "chi-square change significance, Otsu threshold on sqrt(Z)",
                                 IrmadMethod::options(),
                                 [](const Params& p) { return std::make_unique<IrmadMethod>(p); },
                                 AutoInput::MultiBand, BandNeeds{}});
}

}  // namespace cw::imaging
