#include "imaging/cfar.hpp"

#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "imaging/error.hpp"

namespace cw::imaging {
namespace {

int oddAtLeast(double px, int minimum) {
  int v = std::max(minimum, static_cast<int>(std::lround(px)));
  return v | 1;
}

template <typename T>
inline double boxSum(const cv::Mat& s, int y0, int x0, int y1, int x1) {
  // Sum over rows [y0, y1) and cols [x0, x1) of the integral image `s`.
  return static_cast<double>(s.at<T>(y1, x1)) - s.at<T>(y0, x1) - s.at<T>(y1, x0) + s.at<T>(y0, x0);
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
              double maxMaskedFraction, const cv::Mat& nodata, double maxNodataFraction,
              double censorZ) {
  if (band.type() != CV_32F) throw Error("CFAR: band must be CV_32F");
  if (usable.type() != CV_8U || usable.size() != band.size()) {
    throw Error("CFAR: usable mask must be CV_8U of the band's size");
  }
  if (w.target < 1 || w.guard <= w.target || w.background <= w.guard) {
    throw Error("CFAR: windows must satisfy 1 <= target < guard < background");
  }
  if (!nodata.empty() && (nodata.type() != CV_8U || nodata.size() != band.size())) {
    throw Error("CFAR: nodata mask must be CV_8U of the band's size");
  }
  cv::Mat use01 = usable != 0;
  use01 /= 255;
  cv::Mat nd;
  if (!nodata.empty()) {
    cv::Mat nd01 = nodata != 0;
    nd01 /= 255;
    cv::integral(nd01, nd, CV_32S);
  }
  cv::Mat x = band.clone();
  x.setTo(0.0f, (use01 == 0) | (band != band));  // unusable and NaN pixels add nothing
  cv::Mat s, sq, n;
  cv::integral(x, s, sq, CV_64F, CV_64F);
  cv::integral(use01, n, CV_32S);
  // Ring statistics: `s`, `sq`, `ns` over the usable pixels that are not censored; the coverage
  // rules use `n` (all usable pixels), so a censored ship does not count as land.
  cv::Mat ns = n;
  const cv::Mat st = s;  // the target window always sums the uncensored values

  const int ht = w.target / 2, hg = w.guard / 2, hb = w.background / 2;
  const double fullRing =
      static_cast<double>(w.background) * w.background - static_cast<double>(w.guard) * w.guard;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const int rows = band.rows, cols = band.cols;
  // Windows are clipped at the image edge: beyond it is "not imaged here", not land or nodata.
  // A tiled driver only clips at the grid edge, because its halo covers every window of the
  // pixels it keeps.
  struct Box {
    int y0, x0, y1, x1;
    double area() const { return static_cast<double>(y1 - y0) * (x1 - x0); }
  };
  auto box = [&](int y, int x, int h) {
    return Box{std::max(0, y - h), std::max(0, x - h), std::min(rows, y + h + 1),
               std::min(cols, x + h + 1)};
  };
  // `prev`: the first pass; a pixel whose ring lost no censored pixel keeps its z.
  auto pass = [&](const cv::Mat* prev) {
    cv::Mat z(band.size(), CV_32F, cv::Scalar(nan));
    for (int y = 0; y < rows; ++y) {
      float* pz = z.ptr<float>(y);
      const uchar* pu = use01.ptr<uchar>(y);
      for (int x0 = 0; x0 < cols; ++x0) {
        if (!pu[x0]) continue;
        const Box t = box(y, x0, ht), g = box(y, x0, hg), o = box(y, x0, hb);
        const double nt = boxSum<int>(n, t.y0, t.x0, t.y1, t.x1);
        if (nt < t.area()) continue;
        const double ringArea = o.area() - g.area();
        // At least half of the full ring must lie inside the image for stable statistics.
        if (ringArea < 0.5 * fullRing) continue;
        const double nRing =
            boxSum<int>(n, o.y0, o.x0, o.y1, o.x1) - boxSum<int>(n, g.y0, g.x0, g.y1, g.x1);
        if (nRing < (1.0 - maxMaskedFraction) * ringArea || nRing < 2.0) continue;
        if (!nd.empty() && boxSum<int>(nd, o.y0, o.x0, o.y1, o.x1) > maxNodataFraction * o.area()) {
          continue;
        }
        const double nStat =
            boxSum<int>(ns, o.y0, o.x0, o.y1, o.x1) - boxSum<int>(ns, g.y0, g.x0, g.y1, g.x1);
        if (nStat < 2.0) continue;
        if (prev && nStat == nRing) {
          pz[x0] = prev->at<float>(y, x0);
          continue;
        }
        const double sRing =
            boxSum<double>(s, o.y0, o.x0, o.y1, o.x1) - boxSum<double>(s, g.y0, g.x0, g.y1, g.x1);
        const double qRing =
            boxSum<double>(sq, o.y0, o.x0, o.y1, o.x1) - boxSum<double>(sq, g.y0, g.x0, g.y1, g.x1);
        const double mu = sRing / nStat;
        const double var = std::max(0.0, qRing / nStat - mu * mu);
        const double sigma = std::max(std::sqrt(var), 1e-6 * (std::abs(mu) + 1.0));
        const double target = boxSum<double>(st, t.y0, t.x0, t.y1, t.x1) / nt;
        pz[x0] = static_cast<float>((target - mu) / sigma);
      }
    }
    return z;
  };
  cv::Mat z = pass(nullptr);
  if (censorZ > 0.0) {
    // Censored (two-pass) CFAR: a bright ship in another ship's ring inflates sigma_bg by orders
    // of magnitude in SAR (simulator: z ~ 3.5 for a 140 m ship 60 px from a 285 m one). Pass 1
    // finds the clear outliers; pass 2 recomputes the ring statistics without them (grown by
    // 2 px for the hull's blurred edge).
    cv::Mat outlier = (cv::abs(z) > censorZ) & (z == z);
    cv::dilate(outlier, outlier, cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5}));
    cv::Mat keep = (use01 != 0) & (outlier == 0);
    keep /= 255;
    cv::Mat xc = x.clone();
    xc.setTo(0.0f, keep == 0);
    // Fresh matrices: `st` keeps the first pass's buffer.
    cv::Mat s2, sq2, ns2;
    cv::integral(xc, s2, sq2, CV_64F, CV_64F);
    cv::integral(keep, ns2, CV_32S);
    s = s2;
    sq = sq2;
    ns = ns2;
    z = pass(&z);
  }
  return z;
}

}  // namespace cw::imaging
