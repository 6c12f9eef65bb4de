#include "imaging/tank_detector.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "imaging/detector_options.hpp"
#include "imaging/water_mask.hpp"

namespace cw::imaging {
namespace {

constexpr int kSectors = 16;

TankDetectorOptions fromParams(const Params& p) {
  TankDetectorOptions o;
  o.minDiameterM = p.number("min_diameter_m");
  o.maxDiameterM = p.number("max_diameter_m");
  o.circleQuality = p.number("circle_quality");
  o.edgeThreshold = p.number("edge_threshold");
  o.shadowContrast = p.number("shadow_contrast");
  return o;
}

int normWindowPx(const TankDetectorOptions& o, double px) {
  return static_cast<int>(std::lround(4.0 * o.maxDiameterM / px)) | 1;
}

// The band normalised by its local mean and standard deviation, and that standard deviation.
struct LocalNorm {
  cv::Mat norm, sd;
};

// Local normalisation over valid pixels only (nodata must not pull the mean), in a win² window.
LocalNorm localNormalisation(const cv::Mat& band, const cv::Mat& valid, int win) {
  cv::Mat vf;
  valid.convertTo(vf, CV_32F, 1.0 / 255.0);
  cv::Mat b = band.mul(vf);
  const cv::Size k(win, win);
  cv::Mat sum, sq, cnt;
  cv::blur(b, sum, k);
  cv::blur(b.mul(b), sq, k);
  cv::blur(vf, cnt, k);
  cnt = cv::max(cnt, 1e-3);
  cv::Mat mean = sum / cnt;
  LocalNorm ln;
  cv::sqrt(cv::max(sq / cnt - mean.mul(mean), 1e-6), ln.sd);
  ln.norm = (band - mean) / ln.sd;
  return ln;
}

// Circles (x, y, radius) of the gradient Hough transform on the normalised band, in pixel-index
// units of the tile; radii from minR to maxR pixels.
std::vector<cv::Vec3f> houghCircles(const cv::Mat& norm, const cv::Mat& valid,
                                    const TankDetectorOptions& o, double minR, double maxR) {
  // Tank roofs are bright; clipping everything darker than the local mean removes the shadow's
  // own outline, which would otherwise pull the fitted circle towards the shadow.
  cv::Mat norm8;
  cv::Mat clipped = cv::min(cv::max(norm, 0.0), 4.0);
  clipped.convertTo(norm8, CV_8U, 60.0, 0.0);
  norm8.setTo(0, valid == 0);

  // The gradient Hough transform is unreliable below ~8 px radius: small tanks are searched on
  // an upsampled band and the circles scaled back.
  const double up = std::clamp(8.0 / minR, 1.0, 3.0);
  if (up > 1.0) cv::resize(norm8, norm8, cv::Size(), up, up, cv::INTER_LINEAR);
  std::vector<cv::Vec3f> circles;
  cv::HoughCircles(norm8, circles, cv::HOUGH_GRADIENT_ALT, 1.5, std::max(2.0, 2.0 * minR * up),
                   o.edgeThreshold / up, o.circleQuality,  // gradients shrink by `up`
                   std::max(1, static_cast<int>(std::floor(minR * up))),
                   static_cast<int>(std::ceil(maxR * up)));
  for (auto& c : circles) {
    // Back to pixel-index units of the tile (pixel i covers [i, i+1) * up in the upsampled band).
    c[0] = static_cast<float>((c[0] + 0.5) / up - 0.5);
    c[1] = static_cast<float>((c[1] + 0.5) / up - 0.5);
    // Edges sit on the outer boundary pixels: the fitted radius is ~0.5 px too large.
    c[2] = static_cast<float>(c[2] / up - 0.5);
  }
  return circles;
}

// Compact bright components: below ~7 px radius the gradient Hough transform misses tanks or
// misplaces them by a pixel or two, while a thresholded roof gives its centre and area exactly.
// Each disc-like component replaces the circles it matches, or is added.
void addCompactComponents(const cv::Mat& norm, const cv::Mat& valid, double minR, double maxR,
                          std::vector<cv::Vec3f>& circles) {
  cv::Mat bright = (norm > 1.0) & valid;
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(bright, labels, stats, centroids, 8, CV_32S);
  std::vector<std::vector<cv::Point2f>> pts(n);
  for (int y = 0; y < labels.rows; ++y) {
    const int* pl = labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x) {
      if (pl[x]) pts[pl[x]].emplace_back(static_cast<float>(x), static_cast<float>(y));
    }
  }
  for (int i = 1; i < n; ++i) {
    const double area = stats.at<int>(i, cv::CC_STAT_AREA);
    const double r = std::sqrt(area / CV_PI);
    if (r < minR - 1.0 || r > maxR + 1.0) continue;
    cv::Point2f ec;
    float er = 0.0f;
    cv::minEnclosingCircle(pts[i], ec, er);
    // Discs fill >= 0.7 of their enclosing circle (+0.5 px), squares (roofs) <= 2/pi = 0.64.
    if (area / (CV_PI * (er + 0.5) * (er + 0.5)) < 0.7) continue;
    const cv::Vec3f comp(static_cast<float>(centroids.at<double>(i, 0)),
                         static_cast<float>(centroids.at<double>(i, 1)), static_cast<float>(r));
    bool replaced = false;
    for (auto& c : circles) {
      if (std::hypot(c[0] - comp[0], c[1] - comp[1]) < 0.5 * std::max(c[2], comp[2]) &&
          std::abs(c[2] - comp[2]) < 0.3 * comp[2] + 1.0) {
        c = comp;
        replaced = true;
      }
    }
    if (!replaced) circles.push_back(comp);
  }
}

// Sector means of the annulus just outside the circle (cx, cy, r) over valid pixels, by compass
// sector (0 = north, clockwise); empty when a sector has no valid pixel.
std::vector<double> annulusSectorMeans(const cv::Mat& band, const cv::Mat& valid, double cx,
                                       double cy, double r) {
  std::vector<double> sSum(kSectors, 0.0), sCnt(kSectors, 0.0);
  const double r0 = r + 0.5, r1 = 1.5 * r + 1.0;
  const int x0 = std::max(0, static_cast<int>(cx - r1)),
            x1 = std::min(band.cols - 1, static_cast<int>(cx + r1));
  const int y0 = std::max(0, static_cast<int>(cy - r1)),
            y1 = std::min(band.rows - 1, static_cast<int>(cy + r1));
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      if (!valid.at<uchar>(y, x)) continue;
      const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      const double rr = std::hypot(dx, dy);
      if (rr < r0 || rr > r1) continue;
      double az = std::atan2(dx, -dy);  // compass azimuth, 0 = north
      if (az < 0) az += 2.0 * CV_PI;
      const int s = std::min(kSectors - 1, static_cast<int>(az / (2.0 * CV_PI) * kSectors));
      sSum[s] += band.at<float>(y, x);
      sCnt[s] += 1.0;
    }
  }
  std::vector<double> m(kSectors);
  bool complete = true;
  for (int s = 0; s < kSectors; ++s) {
    if (sCnt[s] < 1.0) complete = false;
    m[s] = sCnt[s] > 0 ? sSum[s] / sCnt[s] : 0.0;
  }
  if (!complete) return {};
  return m;
}

// The darkest run of three adjacent sectors and how far it, and the opposite run, lie below the
// median sector, in local standard deviations.
struct Crescent {
  int sector = 0;  // middle sector of the darkest run
  double depth = 0.0, oppositeDepth = 0.0;
};

// Shadow crescent of the sector means `m` (kSectors of them) around one circle.
Crescent darkestCrescent(const std::vector<double>& m, double localSd) {
  std::vector<double> sorted = m;
  std::nth_element(sorted.begin(), sorted.begin() + kSectors / 2, sorted.end());
  const double median = sorted[kSectors / 2];
  // Darkest run of three adjacent sectors: a crescent, not a single dark pixel cluster.
  int best = 0;
  double bestMean = 1e300;
  for (int s = 0; s < kSectors; ++s) {
    const double run = (m[(s + kSectors - 1) % kSectors] + m[s] + m[(s + 1) % kSectors]) / 3.0;
    if (run < bestMean) {
      bestMean = run;
      best = s;
    }
  }
  const double opposite =
      (m[(best + kSectors / 2 - 1) % kSectors] + m[(best + kSectors / 2) % kSectors] +
       m[(best + kSectors / 2 + 1) % kSectors]) /
      3.0;
  Crescent c;
  c.sector = best;
  c.depth = (median - bestMean) / localSd;
  c.oppositeDepth = (median - opposite) / localSd;
  return c;
}

}  // namespace

std::vector<OptionSpec> TankDetector::optionSpecs() {
  const TankDetectorOptions d;
  return {
      numberOption("min_diameter_m", "smallest tank diameter, m", d.minDiameterM, 1.0, 1000.0),
      numberOption("max_diameter_m", "largest tank diameter, m", d.maxDiameterM, 1.0, 1000.0),
      numberOption("circle_quality", "Hough circle quality (1 = perfect circle)", d.circleQuality,
                   0.1, 1.0),
      numberOption("edge_threshold", "Canny high threshold on the normalised band (0-255)",
                   d.edgeThreshold, 1.0, 1000.0),
      numberOption("shadow_contrast", "shadow depth in local standard deviations", d.shadowContrast,
                   0.0, 100.0),
  };
}

TankDetector::TankDetector(TankDetectorOptions options) : m_options(options) {
  if (m_options.minDiameterM > m_options.maxDiameterM) {
    throw UsageError("tanks: min_diameter_m must be <= max_diameter_m");
  }
}

TankDetector::TankDetector(const Params& params) : TankDetector(fromParams(params)) {}

int TankDetector::haloPx(double pixelSizeM) const {
  return normWindowPx(m_options, pixelSizeM) / 2 +
         static_cast<int>(std::ceil(m_options.maxDiameterM / pixelSizeM)) + 2;
}

std::vector<Detection> TankDetector::detect(const DetectionTile& tile) const {
  const auto& o = m_options;
  if (tile.image.empty()) return {};
  const double px = tile.pixelSizeM;
  if (!(px > 0.0)) throw Error("tanks: pixel size must be > 0 m");
  const cv::Mat valid =
      tile.valid.empty() ? cv::Mat(tile.image.size(), CV_8U, cv::Scalar(255)) : tile.valid;
  const cv::Mat band = brightnessBand(tile.image, tile.roles);
  const LocalNorm ln = localNormalisation(band, valid, normWindowPx(o, px));

  const double minR = o.minDiameterM / px / 2.0, maxR = o.maxDiameterM / px / 2.0;
  std::vector<cv::Vec3f> circles = houghCircles(ln.norm, valid, o, minR, maxR);
  addCompactComponents(ln.norm, valid, minR, maxR, circles);

  std::vector<Detection> out;
  for (const auto& c : circles) {
    // HoughCircles centres are in pixel-index units; ours put pixel centres at +0.5.
    const double cx = c[0] + 0.5, cy = c[1] + 0.5, r = c[2];
    const double d = 2.0 * r * px;
    if (d < o.minDiameterM - px || d > o.maxDiameterM + px) continue;
    const cv::Point ci(static_cast<int>(cx), static_cast<int>(cy));
    if (!cv::Rect(0, 0, band.cols, band.rows).contains(ci) || !valid.at<uchar>(ci)) continue;
    if (!tile.water.empty() && tile.water.at<uchar>(ci)) continue;

    const std::vector<double> m = annulusSectorMeans(band, valid, cx, cy, r);
    if (m.empty()) continue;
    const Crescent cr = darkestCrescent(m, ln.sd.at<float>(ci));
    if (cr.depth < o.shadowContrast || std::abs(cr.oppositeDepth) > 0.5 * cr.depth) continue;

    Detection det;
    det.kind = "tank";
    det.centroidPx = {cx, cy};
    det.lengthM = d;
    det.widthM = d;
    det.areaM2 = CV_PI * d * d / 4.0;
    det.headingDeg = (cr.sector + 0.5) * 360.0 / kSectors;
    det.score = cr.depth;
    out.push_back(det);
  }
  return out;
}

void registerTankDetector(Registry& registry) {
  registry.add(
      DetectorEntry{TankDetector::kName,
                    "circular storage tanks: Hough circles 15-60 m confirmed by a shadow crescent",
                    TankDetector::optionSpecs(),
                    [](const Params& p) { return std::make_unique<TankDetector>(p); }});
}

}  // namespace cw::imaging
