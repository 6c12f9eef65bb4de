#include "imaging/water_mask.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "core/error.hpp"

namespace cw::imaging {
namespace {

int oddPx(int px) {
  return std::max(1, px) | 1;
}

// q-quantile of `values` where mask != 0, from a strided sample (enough for a threshold).
double quantile(const cv::Mat& values, const cv::Mat& mask, double q) {
  std::vector<float> v;
  const size_t total = static_cast<size_t>(values.rows) * values.cols;
  const int stride = std::max<int>(1, static_cast<int>(std::sqrt(total / 250000.0)));
  for (int y = 0; y < values.rows; y += stride) {
    const float* pv = values.ptr<float>(y);
    const uchar* pm = mask.ptr<uchar>(y);
    for (int x = 0; x < values.cols; x += stride) {
      if (pm[x] && std::isfinite(pv[x])) v.push_back(pv[x]);
    }
  }
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1)));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

// Otsu (1979) threshold over the valid values, on a 256-bin histogram spanning the 0.5..99.5 %
// quantiles so a few extreme values do not squeeze the histogram into one bin.
double otsu(const cv::Mat& values, const cv::Mat& mask) {
  const double lo = quantile(values, mask, 0.005);
  const double hi = quantile(values, mask, 0.995);
  if (!(hi > lo)) return lo;
  constexpr int kBins = 256;
  std::vector<double> hist(kBins, 0.0);
  for (int y = 0; y < values.rows; ++y) {
    const float* pv = values.ptr<float>(y);
    const uchar* pm = mask.ptr<uchar>(y);
    for (int x = 0; x < values.cols; ++x) {
      if (!pm[x] || !std::isfinite(pv[x])) continue;
      const int b = std::clamp(static_cast<int>((pv[x] - lo) / (hi - lo) * kBins), 0, kBins - 1);
      hist[b] += 1.0;
    }
  }
  double total = 0.0, sumAll = 0.0;
  for (int i = 0; i < kBins; ++i) {
    total += hist[i];
    sumAll += i * hist[i];
  }
  double w0 = 0.0, sum0 = 0.0, best = -1.0;
  int bestBin = kBins / 2;
  for (int i = 0; i < kBins - 1; ++i) {
    w0 += hist[i];
    sum0 += i * hist[i];
    const double w1 = total - w0;
    if (w0 <= 0.0 || w1 <= 0.0) continue;
    const double m0 = sum0 / w0, m1 = (sumAll - sum0) / w1;
    const double between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      bestBin = i;
    }
  }
  return lo + (bestBin + 1.0) / kBins * (hi - lo);
}

int bandIndex(const std::vector<BandRole>& roles, BandRole role) {
  for (size_t i = 0; i < roles.size(); ++i) {
    if (roles[i] == role) return static_cast<int>(i);
  }
  return -1;
}

cv::Mat validOrAll(const cv::Mat& valid, cv::Size size) {
  return valid.empty() ? cv::Mat(size, CV_8U, cv::Scalar(255)) : valid;
}

}  // namespace

bool isSar(const std::vector<BandRole>& roles) {
  return bandIndex(roles, BandRole::Vv) >= 0 || bandIndex(roles, BandRole::Vh) >= 0;
}

WaterCue waterCue(const DetectionTile& tile) {
  if (!tile.water.empty()) return WaterCue::KnownMask;
  if (isSar(tile.roles)) return WaterCue::Backscatter;
  if (bandIndex(tile.roles, BandRole::Nir) >= 0 && bandIndex(tile.roles, BandRole::Green) >= 0) {
    return WaterCue::NirDarkness;
  }
  return WaterCue::ColourModel;
}

cv::Mat brightnessBand(const cv::Mat& image, const std::vector<BandRole>& roles) {
  if (image.empty()) throw Error("brightness band: empty image");
  if (static_cast<int>(roles.size()) != image.channels()) {
    throw Error("brightness band: " + std::to_string(roles.size()) + " band roles for " +
                std::to_string(image.channels()) + " channels");
  }
  std::vector<cv::Mat> bands;
  cv::split(image, bands);
  std::vector<int> use;
  const int nir = bandIndex(roles, BandRole::Nir);
  if (isSar(roles)) {
    for (size_t i = 0; i < roles.size(); ++i) {
      if (roles[i] == BandRole::Vv || roles[i] == BandRole::Vh) use.push_back(static_cast<int>(i));
    }
  } else if (nir >= 0) {
    // Hulls are bright in the NIR against water that absorbs it: the best single contrast band.
    use.push_back(nir);
  } else {
    // The visible and grey bands; a band no unit reads (Other, SWIR) is never taken for grey.
    for (size_t i = 0; i < roles.size(); ++i) {
      const BandRole r = roles[i];
      if (r == BandRole::Blue || r == BandRole::Green || r == BandRole::Red ||
          r == BandRole::Grey) {
        use.push_back(static_cast<int>(i));
      }
    }
    if (use.empty()) throw Error("brightness band: " + *brightnessBands().check(roles));
  }
  cv::Mat out = cv::Mat::zeros(image.size(), CV_32F);
  for (int i : use) {
    cv::Mat b;
    bands[i].convertTo(b, CV_32F);
    out += b;
  }
  return out / static_cast<double>(use.size());
}

cv::Mat nirWater(const cv::Mat& image, const std::vector<BandRole>& roles, const cv::Mat& valid,
                 double ndwiThreshold) {
  const int g = bandIndex(roles, BandRole::Green), n = bandIndex(roles, BandRole::Nir);
  if (g < 0 || n < 0) throw Error("NIR water mask needs green and nir bands");
  cv::Mat green, nir;
  cv::extractChannel(image, green, g);
  cv::extractChannel(image, nir, n);
  green.convertTo(green, CV_32F);
  nir.convertTo(nir, CV_32F);
  // Water absorbs NIR: it is the dark class of log NIR (Otsu), whatever the product's scaling.
  // NDWI alone is not enough: rescaled L2A crops (sen2ships Busan) put water at NDWI ~0.1 and
  // the city at ~0, so an NDWI split separates vegetation from everything else.
  // The offset (5 % of the median) keeps water clipped to 0 by a product's scaling (Honolulu:
  // a quarter of the pixels) from becoming a class of its own.
  const cv::Mat v = validOrAll(valid, image.size());
  cv::Mat logNir;
  cv::blur(nir, logNir, cv::Size(3, 3));
  const double offset = std::max(1e-3, 0.05 * quantile(logNir, v, 0.5));
  cv::log(cv::max(logNir, 0.0) + offset, logNir);
  const double split = otsu(logNir, v);
  const cv::Mat ndwi = (green - nir) / cv::max(green + nir, 1e-6);
  cv::Mat water = (logNir < split) & (ndwi > ndwiThreshold);
  return water & v;
}

cv::Mat backscatterWater(const cv::Mat& image, const std::vector<BandRole>& roles,
                         const cv::Mat& valid, int smoothPx) {
  const cv::Mat v = validOrAll(valid, image.size());
  cv::Mat intensity = brightnessBand(image, roles);
  intensity.setTo(0, v == 0);
  // Mean over valid pixels only, so nodata borders do not darken the shore into water.
  cv::Mat vf;
  v.convertTo(vf, CV_32F, 1.0 / 255.0);
  cv::Mat sum, count;
  const cv::Size k(oddPx(smoothPx), oddPx(smoothPx));
  cv::blur(intensity, sum, k);
  cv::blur(vf, count, k);
  cv::Mat mean = sum / cv::max(count, 1e-6);
  cv::Mat db;
  cv::log(cv::max(mean, 1e-10), db);
  db *= 10.0 / std::log(10.0);
  const double thr = otsu(db, v);
  cv::Mat water = db < thr;
  return water & v;
}

cv::Mat colourModelWater(const cv::Mat& image, const std::vector<BandRole>& roles,
                         const cv::Mat& valid, int smoothPx, double colourDistance,
                         double textureFactor) {
  const cv::Mat v = validOrAll(valid, image.size());
  const int p = image.channels();
  cv::Mat img;
  image.convertTo(img, CV_32FC(p));
  // Colour of a small neighbourhood: JPEG blocks and wave texture would otherwise widen the model.
  cv::Mat colour;
  cv::blur(img, colour, cv::Size(5, 5));
  cv::Mat bright = brightnessBand(img, roles);
  cv::Mat mean, sq, var;
  const cv::Size k(oddPx(smoothPx), oddPx(smoothPx));
  cv::blur(bright, mean, k);
  cv::blur(bright.mul(bright), sq, k);
  cv::Mat texture;
  cv::sqrt(cv::max(sq - mean.mul(mean), 0.0), texture);

  // Seed: the darkest tenth of the most homogeneous third of the image.
  const double stdQ = quantile(texture, v, 0.33);
  cv::Mat homogeneous = (texture <= stdQ) & v;
  const double darkQ = quantile(mean, homogeneous, 0.10);
  cv::Mat region = homogeneous & (mean <= darkQ);
  if (cv::countNonZero(region) < 50) return cv::Mat::zeros(image.size(), CV_8U);

  const cv::Mat samples = colour.reshape(1, image.rows * image.cols);
  const cv::Mat tex = texture.reshape(1, image.rows * image.cols);
  for (int iteration = 0; iteration < 3; ++iteration) {
    // Fit mean/covariance of colour and the texture level on the current region.
    const cv::Mat mask = region.reshape(1, image.rows * image.cols);
    std::vector<int> rows;
    const int stride = std::max(1, cv::countNonZero(region) / 200000);
    int seen = 0;
    for (int i = 0; i < mask.rows; ++i) {
      if (mask.at<uchar>(i) && (seen++ % stride) == 0) rows.push_back(i);
    }
    cv::Mat data(static_cast<int>(rows.size()), p, CV_32F);
    std::vector<float> texVals;
    texVals.reserve(rows.size());
    for (size_t r = 0; r < rows.size(); ++r) {
      samples.row(rows[r]).copyTo(data.row(static_cast<int>(r)));
      texVals.push_back(tex.at<float>(rows[r]));
    }
    cv::Mat cov, mu;
    cv::calcCovarMatrix(data, cov, mu, cv::COVAR_NORMAL | cv::COVAR_ROWS | cv::COVAR_SCALE, CV_64F);
    // A floor on the spread: an 8-bit seed of nearly one colour would give a singular model.
    cov += cv::Mat::eye(p, p, CV_64F) * 4.0;
    cv::Mat icov = cov.inv(cv::DECOMP_SVD);
    std::nth_element(texVals.begin(), texVals.begin() + texVals.size() / 2, texVals.end());
    const double texLimit = textureFactor * std::max(1.0f, texVals[texVals.size() / 2]);

    cv::Mat next(image.size(), CV_8U, cv::Scalar(0));
    const double r2 = colourDistance * colourDistance;
    std::vector<double> d(p);
    for (int y = 0; y < image.rows; ++y) {
      const float* pc = colour.ptr<float>(y);
      const float* pt = texture.ptr<float>(y);
      const uchar* pv = v.ptr<uchar>(y);
      uchar* pn = next.ptr<uchar>(y);
      for (int x = 0; x < image.cols; ++x) {
        if (!pv[x] || pt[x] > texLimit) continue;
        for (int c = 0; c < p; ++c) d[c] = pc[x * p + c] - mu.at<double>(c);
        double m = 0.0;
        for (int a = 0; a < p; ++a) {
          const double* ia = icov.ptr<double>(a);
          for (int b = 0; b < p; ++b) m += d[a] * ia[b] * d[b];
        }
        if (m <= r2) pn[x] = 255;
      }
    }
    if (cv::countNonZero(next) < 50) break;
    region = next;
  }
  return region;
}

cv::Mat cleanWaterMask(const cv::Mat& raw, const cv::Mat& valid, double maxHolePx,
                       double minRegionPx) {
  const cv::Mat v = validOrAll(valid, raw.size());
  cv::Mat water = raw.clone();
  const cv::Mat k3 = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3));
  cv::morphologyEx(water, water, cv::MORPH_OPEN, k3);
  cv::morphologyEx(water, water, cv::MORPH_CLOSE, k3);

  // Fill holes: land components enclosed by water (not touching the image edge or nodata) and
  // smaller than a large ship are ships, buoys or wakes on water.
  cv::Mat land = (water == 0) & v;
  cv::Mat labels, stats, centroids;
  int n = cv::connectedComponentsWithStats(land, labels, stats, centroids, 8, CV_32S);
  cv::Mat touchesEdge(1, n, CV_8U, cv::Scalar(0));
  const cv::Mat invalid = v == 0;
  for (int y = 0; y < labels.rows; ++y) {
    const int* pl = labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x) {
      if (!pl[x]) continue;
      const bool edge = x == 0 || y == 0 || x == labels.cols - 1 || y == labels.rows - 1;
      bool nearInvalid = false;
      if (!edge) {
        nearInvalid = invalid.at<uchar>(y - 1, x) || invalid.at<uchar>(y + 1, x) ||
                      invalid.at<uchar>(y, x - 1) || invalid.at<uchar>(y, x + 1);
      }
      if (edge || nearInvalid) touchesEdge.at<uchar>(pl[x]) = 1;
    }
  }
  std::vector<uchar> fill(n, 0);
  for (int i = 1; i < n; ++i) {
    fill[i] = !touchesEdge.at<uchar>(i) && stats.at<int>(i, cv::CC_STAT_AREA) <= maxHolePx;
  }
  for (int y = 0; y < labels.rows; ++y) {
    const int* pl = labels.ptr<int>(y);
    uchar* pw = water.ptr<uchar>(y);
    for (int x = 0; x < labels.cols; ++x) {
      if (pl[x] && fill[pl[x]]) pw[x] = 255;
    }
  }

  n = cv::connectedComponentsWithStats(water, labels, stats, centroids, 8, CV_32S);
  std::vector<uchar> keep(n, 0);
  for (int i = 1; i < n; ++i) keep[i] = stats.at<int>(i, cv::CC_STAT_AREA) >= minRegionPx;
  for (int y = 0; y < labels.rows; ++y) {
    const int* pl = labels.ptr<int>(y);
    uchar* pw = water.ptr<uchar>(y);
    for (int x = 0; x < labels.cols; ++x) pw[x] = keep[pl[x]] ? 255 : 0;
  }
  return water & v;
}

cv::Mat waterMask(const DetectionTile& tile, const WaterMaskOptions& o) {
  const double px = tile.pixelSizeM;
  if (!(px > 0.0)) throw Error("water mask: pixel size must be > 0 m");
  const cv::Mat v = validOrAll(tile.valid, tile.image.size());
  if (!tile.water.empty()) {
    if (tile.water.size() != tile.image.size()) throw Error("water mask: size differs from image");
    return tile.water & v;
  }
  const int smoothPx = static_cast<int>(std::lround(o.smoothM / px));
  cv::Mat raw;
  switch (waterCue(tile)) {
    case WaterCue::NirDarkness:
      raw = nirWater(tile.image, tile.roles, v, o.ndwiThreshold);
      break;
    case WaterCue::Backscatter:
      // A small box: speckle averages out over ~10 looks, while a wide box would merge ships
      // moored alongside piers into the land.
      raw = backscatterWater(tile.image, tile.roles, v, std::max(3, smoothPx / 3));
      break;
    case WaterCue::ColourModel:
      raw =
          colourModelWater(tile.image, tile.roles, v, smoothPx, o.colourDistance, o.textureFactor);
      break;
    case WaterCue::KnownMask:
      break;
  }
  const double px2 = px * px;
  return cleanWaterMask(raw, v, o.maxHoleM2 / px2, o.minRegionM2 / px2);
}

}  // namespace cw::imaging
