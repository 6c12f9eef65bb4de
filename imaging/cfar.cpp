#include "imaging/cfar.hpp"

#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "core/error.hpp"

namespace cw::imaging {
namespace {

int oddAtLeast(double px, int minimum) {
  int v = std::max(minimum, static_cast<int>(std::lround(px)));
  return v | 1;
}

// Throws unless the band, the masks and the windows are what cfarZ needs.
void checkCfarInputs(const cv::Mat& band, const cv::Mat& usable, const CfarWindowsPx& w,
                     const CfarOptions& o) {
  if (band.type() != CV_32F) throw Error("CFAR: band must be CV_32F");
  if (usable.type() != CV_8U || usable.size() != band.size()) {
    throw Error("CFAR: usable mask must be CV_8U of the band's size");
  }
  if (w.target < 1 || w.guard <= w.target || w.background <= w.guard) {
    throw Error("CFAR: windows must satisfy 1 <= target < guard < background");
  }
  for (const cv::Mat* m : {&o.nodata, &o.evaluate}) {
    if (!m->empty() && (m->type() != CV_8U || m->size() != band.size())) {
      throw Error("CFAR: nodata and evaluate masks must be CV_8U of the band's size");
    }
  }
}

// The 0/1 masks and integral images one CFAR run works on.
struct CfarIntegrals {
  cv::Mat use01;     // usable pixels, 0/1
  cv::Mat test01;    // pixels under test, 0/1
  cv::Mat x;         // the band, 0 where unusable or NaN
  cv::Mat nd;        // integral of nodata (CV_32S), empty without a nodata mask
  cv::Mat st, ntI;   // integrals of the band and count over the pixels under test
  cv::Mat s, sq, n;  // integrals of x, x² and the usable count
  // Ring statistics: `s`, `sq`, `ns` over the usable pixels that are not censored; the coverage
  // rules use `n` (all usable pixels), so a censored ship does not count as land. The target
  // window sums `st` / `ntI` over the pixels under test, uncensored.
  cv::Mat ns;
};

// The masks and integral images of a first (uncensored) CFAR pass.
CfarIntegrals cfarIntegrals(const cv::Mat& band, const cv::Mat& usable, const CfarOptions& o) {
  CfarIntegrals in;
  in.use01 = usable != 0;
  in.use01 /= 255;
  // Pixels under test: usable ones, plus `evaluate` (e.g. land protrusions judged against water).
  in.test01 = o.evaluate.empty() ? in.use01 : ((usable != 0) | (o.evaluate != 0)) / 255;
  if (!o.nodata.empty()) {
    cv::Mat nd01 = o.nodata != 0;
    nd01 /= 255;
    cv::integral(nd01, in.nd, CV_32S);
  }
  in.x = band.clone();
  in.x.setTo(0.0f, (in.use01 == 0) | (band != band));  // unusable and NaN pixels add nothing
  cv::Mat xt = band.clone();
  xt.setTo(0.0f, (in.test01 == 0) | (band != band));
  cv::integral(xt, in.st, CV_64F);
  cv::integral(in.test01, in.ntI, CV_32S);
  cv::integral(in.x, in.s, in.sq, CV_64F, CV_64F);
  cv::integral(in.use01, in.n, CV_32S);
  in.ns = in.n;
  return in;
}

// Per row and window half-size: the clamped rows of the window and the integral images' rows
// there, so the per-pixel work is clamping x and four loads per box sum.
struct Rows {
  int y0 = 0, y1 = 0;
  const int *n0 = nullptr, *n1 = nullptr, *ns0 = nullptr, *ns1 = nullptr, *nd0 = nullptr,
            *nd1 = nullptr, *nt0 = nullptr, *nt1 = nullptr;
  const double *s0 = nullptr, *s1 = nullptr, *q0 = nullptr, *q1 = nullptr, *st0 = nullptr,
               *st1 = nullptr;
};

// The window rows of image row y for half-size h, clipped to the `rows` rows of the image.
Rows rowsOf(const CfarIntegrals& in, int rows, int y, int h) {
  Rows r;
  r.y0 = std::max(0, y - h);
  r.y1 = std::min(rows, y + h + 1);
  r.n0 = in.n.ptr<int>(r.y0);
  r.n1 = in.n.ptr<int>(r.y1);
  r.ns0 = in.ns.ptr<int>(r.y0);
  r.ns1 = in.ns.ptr<int>(r.y1);
  r.nt0 = in.ntI.ptr<int>(r.y0);
  r.nt1 = in.ntI.ptr<int>(r.y1);
  if (!in.nd.empty()) {
    r.nd0 = in.nd.ptr<int>(r.y0);
    r.nd1 = in.nd.ptr<int>(r.y1);
  }
  r.s0 = in.s.ptr<double>(r.y0);
  r.s1 = in.s.ptr<double>(r.y1);
  r.q0 = in.sq.ptr<double>(r.y0);
  r.q1 = in.sq.ptr<double>(r.y1);
  r.st0 = in.st.ptr<double>(r.y0);
  r.st1 = in.st.ptr<double>(r.y1);
  return r;
}

// Box sum between integral rows r0, r1 and columns x0, x1:
// (I[y1][x1] - I[y0][x1]) - I[y1][x0] + I[y0][x0], in that order, in double.
template <typename T>
double boxSum(const T* r0, const T* r1, int x0, int x1) {
  return static_cast<double>(r1[x1]) - r0[x1] - r1[x0] + r0[x0];
}

// One CFAR pass: z of every pixel under test (NaN where no decision). `prev`: the first pass; a
// pixel whose ring lost no censored pixel keeps its z.
cv::Mat cfarPass(const cv::Mat& band, const CfarIntegrals& in, const CfarWindowsPx& w,
                 const CfarOptions& o, const cv::Mat* prev) {
  const int ht = w.target / 2, hg = w.guard / 2, hb = w.background / 2;
  const double fullRing =
      static_cast<double>(w.background) * w.background - static_cast<double>(w.guard) * w.guard;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const int rows = band.rows, cols = band.cols;
  // Windows are clipped at the image edge: beyond it is "not imaged here", not land or nodata.
  // A tiled driver only clips at the grid edge, because its halo covers every window of the
  // pixels it keeps.
  cv::Mat z(band.size(), CV_32F, cv::Scalar(nan));
  for (int y = 0; y < rows; ++y) {
    float* pz = z.ptr<float>(y);
    const float* pp = prev ? prev->ptr<float>(y) : nullptr;
    const uchar* pu = in.test01.ptr<uchar>(y);
    const Rows rt = rowsOf(in, rows, y, ht), rg = rowsOf(in, rows, y, hg),
               ro = rowsOf(in, rows, y, hb);
    const double ht2 = rt.y1 - rt.y0, hg2 = rg.y1 - rg.y0, ho2 = ro.y1 - ro.y0;
    for (int x = 0; x < cols; ++x) {
      if (!pu[x]) continue;
      const int tx0 = std::max(0, x - ht), tx1 = std::min(cols, x + ht + 1);
      const int gx0 = std::max(0, x - hg), gx1 = std::min(cols, x + hg + 1);
      const int ox0 = std::max(0, x - hb), ox1 = std::min(cols, x + hb + 1);
      const double tArea = ht2 * (tx1 - tx0);
      const double nt = boxSum(rt.nt0, rt.nt1, tx0, tx1);
      if (nt < tArea) continue;
      const double oArea = ho2 * (ox1 - ox0);
      const double ringArea = oArea - hg2 * (gx1 - gx0);
      // At least half of the full ring must lie inside the image for stable statistics.
      if (ringArea < 0.5 * fullRing) continue;
      const double nRing = boxSum(ro.n0, ro.n1, ox0, ox1) - boxSum(rg.n0, rg.n1, gx0, gx1);
      if (nRing < (1.0 - o.maxMaskedFraction) * ringArea || nRing < 2.0) continue;
      if (ro.nd0 && boxSum(ro.nd0, ro.nd1, ox0, ox1) > o.maxNodataFraction * oArea) continue;
      const double nStat = boxSum(ro.ns0, ro.ns1, ox0, ox1) - boxSum(rg.ns0, rg.ns1, gx0, gx1);
      if (nStat < 2.0) continue;
      if (pp && nStat == nRing) {
        pz[x] = pp[x];
        continue;
      }
      const double sRing = boxSum(ro.s0, ro.s1, ox0, ox1) - boxSum(rg.s0, rg.s1, gx0, gx1);
      const double qRing = boxSum(ro.q0, ro.q1, ox0, ox1) - boxSum(rg.q0, rg.q1, gx0, gx1);
      const double mu = sRing / nStat;
      const double var = std::max(0.0, qRing / nStat - mu * mu);
      const double floor = std::max(o.sigmaFloorRel * std::abs(mu), 1e-6 * (std::abs(mu) + 1.0));
      const double sigma = std::max(std::sqrt(var), floor);
      const double target = boxSum(rt.st0, rt.st1, tx0, tx1) / nt;
      pz[x] = static_cast<float>((target - mu) / sigma);
    }
  }
  return z;
}

// Leaves the outliers of a first pass (|z| > censorZ, grown by 2 px) out of the ring statistics
// `s`, `sq` and `ns`.
void censorOutliers(CfarIntegrals& in, const cv::Mat& z, double censorZ) {
  cv::Mat outlier = (cv::abs(z) > censorZ) & (z == z);
  cv::dilate(outlier, outlier, cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5}));
  cv::Mat keep = (in.use01 != 0) & (outlier == 0);
  keep /= 255;
  cv::Mat xc = in.x.clone();
  xc.setTo(0.0f, keep == 0);
  cv::Mat s2, sq2, ns2;
  cv::integral(xc, s2, sq2, CV_64F, CV_64F);
  cv::integral(keep, ns2, CV_32S);
  in.s = s2;
  in.sq = sq2;
  in.ns = ns2;
}

}  // namespace

CfarWindowsPx cfarWindowsPx(double targetM, double guardM, double backgroundM, double pixelSizeM) {
  if (!(pixelSizeM > 0.0)) throw Error("CFAR: pixel size must be > 0 m");
  CfarWindowsPx w;
  w.target = oddAtLeast(targetM / pixelSizeM, 1);
  w.guard = oddAtLeast(guardM / pixelSizeM, w.target + 2);
  w.background = oddAtLeast(backgroundM / pixelSizeM, w.guard + 2);
  return w;
}

double cfarThresholdFromPfa(double pfa) {
  if (!(pfa > 0.0 && pfa < 0.5)) throw Error("CFAR: pfa must be in (0, 0.5)");
  // Solve 0.5 * erfc(t / sqrt 2) = pfa by bisection: erfc is monotone, and this stays accurate
  // for tiny PFAs where 1 - 2 pfa rounds towards 1 (erfinv form loses digits there).
  double lo = 0.0, hi = 40.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (0.5 * std::erfc(mid / std::sqrt(2.0)) > pfa) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return 0.5 * (lo + hi);
}

cv::Mat cfarZ(const cv::Mat& band, const cv::Mat& usable, const CfarWindowsPx& w,
              const CfarOptions& o) {
  checkCfarInputs(band, usable, w, o);
  CfarIntegrals in = cfarIntegrals(band, usable, o);
  cv::Mat z = cfarPass(band, in, w, o, nullptr);
  if (o.censorZ > 0.0) {
    // Censored (two-pass) CFAR: a bright ship in another ship's ring inflates sigma_bg by orders
    // of magnitude in SAR (simulator: z ~ 3.5 for a 140 m ship 60 px from a 285 m one). Pass 1
    // finds the clear outliers; pass 2 recomputes the ring statistics without them (grown by
    // 2 px for the hull's blurred edge).
    censorOutliers(in, z, o.censorZ);
    z = cfarPass(band, in, w, o, &z);
  }
  return z;
}

}  // namespace cw::imaging
