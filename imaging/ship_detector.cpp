#include "imaging/ship_detector.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "imaging/detector_options.hpp"
#include "imaging/error.hpp"

namespace cw::imaging {

std::vector<OptionSpec> ShipDetector::optionSpecs() {
  const ShipDetectorOptions d;
  return {
      numberOption("pfa", "CFAR probability of false alarm per pixel (Gaussian threshold)", d.pfa,
                   1e-15, 0.1),
      numberOption("target_window_m", "CFAR target window width, m", d.targetWindowM, 0.0, 1000.0),
      numberOption("guard_window_m", "CFAR guard window width (>= largest ship), m", d.guardWindowM,
                   1.0, 1e4),
      numberOption("background_window_m", "CFAR background window width, m", d.backgroundWindowM,
                   2.0, 2e4),
      numberOption("max_nodata_fraction",
                   "fraction of nodata tolerated in the background window (0 = none)",
                   d.maxNodataFraction, 0.0, 0.9),
      numberOption("max_land_fraction",
                   "fraction of land (or nodata) tolerated in the background ring",
                   d.maxLandFraction, 0.0, 0.9),
      numberOption("min_length_m", "shortest ship kept, m", d.minLengthM, 0.0, 1e4),
      numberOption("max_length_m", "longest ship kept, m", d.maxLengthM, 1.0, 1e4),
      numberOption("min_elongation", "smallest length/width kept", d.minElongation, 1.0, 100.0),
      numberOption("max_elongation", "largest length/width kept (wakes are thinner)",
                   d.maxElongation, 1.0, 1000.0),
      numberOption("shore_margin_m", "water mask erosion before detection, m", d.shoreMarginM, 0.0,
                   5000.0),
      numberOption("ndwi_threshold", "NDWI above this is water (optical with NIR)",
                   d.water.ndwiThreshold, -1.0, 1.0),
      numberOption("colour_distance", "RGB water model: Mahalanobis radius", d.water.colourDistance,
                   0.5, 50.0),
      numberOption("min_water_region_m2", "water regions smaller than this are ignored",
                   d.water.minRegionM2, 0.0, 1e12),
      choiceOption("polarity", "hull polarity: auto = both for optical, bright for SAR",
                   {"auto", "bright", "dark", "both"}, "auto"),
  };
}

ShipDetector::ShipDetector(ShipDetectorOptions options) : m_options(std::move(options)) {
  if (m_options.minLengthM > m_options.maxLengthM) {
    throw UsageError("ships: min_length_m must be <= max_length_m");
  }
  if (m_options.guardWindowM >= m_options.backgroundWindowM) {
    throw UsageError("ships: guard_window_m must be smaller than background_window_m");
  }
  cfarThresholdFromPfa(m_options.pfa);
}

namespace {
ShipDetectorOptions fromParams(const Params& p) {
  ShipDetectorOptions o;
  o.pfa = p.number("pfa");
  o.targetWindowM = p.number("target_window_m");
  o.guardWindowM = p.number("guard_window_m");
  o.backgroundWindowM = p.number("background_window_m");
  o.maxLandFraction = p.number("max_land_fraction");
  o.maxNodataFraction = p.number("max_nodata_fraction");
  o.minLengthM = p.number("min_length_m");
  o.maxLengthM = p.number("max_length_m");
  o.minElongation = p.number("min_elongation");
  o.maxElongation = p.number("max_elongation");
  o.shoreMarginM = p.number("shore_margin_m");
  o.water.ndwiThreshold = p.number("ndwi_threshold");
  o.water.colourDistance = p.number("colour_distance");
  o.water.minRegionM2 = p.number("min_water_region_m2");
  o.polarity = p.choice("polarity");
  return o;
}
// Mean of the visible bands when the image also has NIR (the brightness band is NIR then);
// empty otherwise (SAR, or visible-only images whose brightness band already is this mean).
cv::Mat visibleMean(const cv::Mat& image, const std::vector<BandRole>& roles) {
  if (isSar(roles)) return {};
  bool nir = false;
  std::vector<int> vis;
  for (size_t i = 0; i < roles.size(); ++i) {
    if (roles[i] == BandRole::Nir) nir = true;
    if (roles[i] == BandRole::Blue || roles[i] == BandRole::Green || roles[i] == BandRole::Red) {
      vis.push_back(static_cast<int>(i));
    }
  }
  if (!nir || vis.empty()) return {};
  std::vector<cv::Mat> bands;
  cv::split(image, bands);
  cv::Mat out = cv::Mat::zeros(image.size(), CV_32F);
  for (int i : vis) {
    cv::Mat b;
    bands[i].convertTo(b, CV_32F);
    out += b;
  }
  return out / static_cast<double>(vis.size());
}
}  // namespace

ShipDetector::ShipDetector(const Params& params) : ShipDetector(fromParams(params)) {}

int ShipDetector::haloPx(double pixelSizeM) const {
  const CfarWindowsPx w = cfarWindowsPx(m_options.targetWindowM, m_options.guardWindowM,
                                        m_options.backgroundWindowM, pixelSizeM);
  // Censored CFAR: a pixel's second-pass z depends on the first-pass z of its ring pixels (grown
  // by 2 px), whose windows reach another half background further; the tile result equals the
  // untiled one only if that whole reach is inside the padded tile.
  return 2 * (w.background / 2) + 2 +
         static_cast<int>(std::ceil(m_options.maxLengthM / 2.0 / pixelSizeM)) + 2;
}

ComponentShape componentShape(const std::vector<cv::Point>& pixels, double pixelSizeM) {
  // The rectangle over pixel centres spans one pixel less than the object; add it back.
  // Relative to the first pixel, so the float result does not depend on where the tile starts.
  std::vector<cv::Point2f> centres;
  centres.reserve(pixels.size());
  const cv::Point o = pixels.empty() ? cv::Point() : pixels.front();
  for (const auto& p : pixels) {
    centres.emplace_back(static_cast<float>(p.x - o.x), static_cast<float>(p.y - o.y));
  }
  const cv::RotatedRect r = cv::minAreaRect(centres);
  cv::Point2f v[4];
  r.points(v);
  const cv::Point2f a = v[1] - v[0], b = v[2] - v[1];
  const double la = std::hypot(a.x, a.y), lb = std::hypot(b.x, b.y);
  const cv::Point2f axis = la >= lb ? a : b;
  ComponentShape s;
  s.lengthM = (std::max(la, lb) + 1.0) * pixelSizeM;
  s.widthM = (std::min(la, lb) + 1.0) * pixelSizeM;
  // Image y points south, so north is -y; compass angle measured clockwise from north.
  double h = std::atan2(axis.x, -axis.y) * 180.0 / CV_PI;
  h = std::fmod(h + 360.0, 180.0);
  if (h >= 180.0 - 1e-9) h = 0.0;
  s.headingDeg = h;
  s.centrePx = {static_cast<double>(r.center.x) + o.x + 0.5,
                static_cast<double>(r.center.y) + o.y + 0.5};
  return s;
}

std::vector<Detection> ShipDetector::detect(const DetectionTile& tile) const {
  const auto& o = m_options;
  if (tile.image.empty()) return {};
  const double px = tile.pixelSizeM;
  if (!(px > 0.0)) throw Error("ships: pixel size must be > 0 m");
  const cv::Mat valid =
      tile.valid.empty() ? cv::Mat(tile.image.size(), CV_8U, cv::Scalar(255)) : tile.valid;

  const cv::Mat water = waterMask(tile, o.water);
  const cv::Mat usable = water & valid;
  if (cv::countNonZero(usable) == 0) return {};
  const cv::Mat band = brightnessBand(tile.image, tile.roles);
  const CfarWindowsPx w = cfarWindowsPx(o.targetWindowM, o.guardWindowM, o.backgroundWindowM, px);
  const double t = cfarThresholdFromPfa(o.pfa);
  cv::Mat z = cfarZ(band, usable, w, o.maxLandFraction, valid == 0, o.maxNodataFraction, t);
  const cv::Mat visible = visibleMean(tile.image, tile.roles);
  if (!visible.empty()) {
    // NIR shows bright hulls against water that absorbs it, but a dark (black-painted) hull is
    // about as dark as water there (simulator: z ~ 4 in NIR vs ~ -25 in the visible mean).
    // Test both and keep the stronger z per pixel: at most twice the PFA.
    const cv::Mat zv =
        cfarZ(visible, usable, w, o.maxLandFraction, valid == 0, o.maxNodataFraction, t);
    cv::Mat stronger = cv::abs(zv) > cv::abs(z);
    zv.copyTo(z, stronger);
  }

  std::string polarity = o.polarity;
  if (polarity == "auto") polarity = isSar(tile.roles) ? "bright" : "both";
  cv::Mat hit;
  if (polarity == "bright") {
    hit = z > t;
  } else if (polarity == "dark") {
    hit = z < -t;
  } else {
    hit = (z > t) | (z < -t);
  }

  // Search area: water shrunk by the shore margin, so quays, piers and beaches never fire.
  cv::Mat search = usable.clone();
  const int marginPx = static_cast<int>(std::lround(o.shoreMarginM / px));
  if (marginPx > 0) {
    cv::erode(
        search, search,
        cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * marginPx + 1, 2 * marginPx + 1)));
  }
  hit &= search;
  // A hull's bright deck and dark shadow side, or its superstructure, can split into pieces
  // one or two pixels apart.
  cv::morphologyEx(hit, hit, cv::MORPH_CLOSE,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
  hit &= search;

  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(hit, labels, stats, centroids, 8, CV_32S);
  std::vector<std::vector<cv::Point>> pixels(n);
  for (int y = 0; y < labels.rows; ++y) {
    const int* pl = labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x) {
      if (pl[x]) pixels[pl[x]].emplace_back(x, y);
    }
  }
  std::vector<Detection> out;
  for (int i = 1; i < n; ++i) {
    const ComponentShape s = componentShape(pixels[i], px);
    if (s.lengthM < o.minLengthM || s.lengthM > o.maxLengthM) continue;
    const double elongation = s.lengthM / std::max(s.widthM, px);
    if (elongation < o.minElongation || elongation > o.maxElongation) continue;
    double peak = 0.0;
    for (const auto& p : pixels[i]) {
      const float zi = z.at<float>(p);
      if (std::isfinite(zi)) peak = std::max(peak, static_cast<double>(std::abs(zi)));
    }
    Detection d;
    d.kind = "ship";
    d.centroidPx = s.centrePx;
    d.lengthM = s.lengthM;
    d.widthM = s.widthM;
    d.headingDeg = s.headingDeg;
    d.areaM2 = stats.at<int>(i, cv::CC_STAT_AREA) * px * px;
    d.score = peak;
    out.push_back(d);
  }
  return out;
}

void registerShipDetector(Registry& registry) {
  registry.add(DetectorEntry{
      ShipDetector::kName,
      "ships on water: two-parameter CFAR (SNAP/Crisp 2004) on a water mask, length 15-400 m",
      ShipDetector::optionSpecs(),
      [](const Params& p) { return std::make_unique<ShipDetector>(p); }});
}

}  // namespace cw::imaging
