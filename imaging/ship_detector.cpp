#include "imaging/ship_detector.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "imaging/detector_options.hpp"

namespace cw::imaging {

std::vector<OptionSpec> ShipDetector::optionSpecs() {
  const ShipDetectorOptions d;
  return {
      numberOption("z_threshold", "seed: |z| in (floored) sigmas of the local water clutter",
                   d.zThreshold, 1.0, 1000.0),
      numberOption("z_threshold_sar",
                   "seed for SAR (VV/VH): speckle is heavier-tailed than optical sea clutter",
                   d.zThresholdSar, 1.0, 1000.0),
      numberOption("z_grow", "hysteresis: |z| of pixels joined to a seed", d.zGrow, 0.5, 1000.0),
      numberOption("guard_window_m", "CFAR guard box width, m", d.guardWindowM, 1.0, 1e4),
      numberOption("background_window_m", "CFAR background box width, m", d.backgroundWindowM, 2.0,
                   2e4),
      numberOption("min_water_share", "valid water share of the ring needed for a decision",
                   d.minWaterShare, 0.001, 1.0),
      numberOption("sigma_floor", "clutter sigma floor, as a fraction of the local water mean",
                   d.sigmaFloor, 0.0, 1.0),
      numberOption("min_area_px", "smallest ship kept, pixels", d.minAreaPx, 1.0, 1e6),
      numberOption("min_length_m", "shortest ship kept, m", d.minLengthM, 0.0, 1e4),
      numberOption("min_width_px", "narrowest ship kept, pixels (1-px streaks are clutter)",
                   d.minWidthPx, 0.0, 100.0),
      numberOption("max_length_m", "longest ship kept, m", d.maxLengthM, 1.0, 1e4),
      numberOption("max_elongation", "largest length/width kept without a hull at its head",
                   d.maxElongation, 1.0, 1000.0),
      numberOption("max_beam_m", "land thinner than this may be a hull alongside, m", d.maxBeamM,
                   0.0, 1000.0),
      numberOption("max_protrusion_m",
                   "narrow land longer than this is a jetty, not a hull moored bow-on, m",
                   d.maxProtrusionM, 0.0, 1e4),
      numberOption("shore_rim_m", "rim around the land core left out of the search, m", d.shoreRimM,
                   0.0, 1000.0),
      numberOption("min_water_contact",
                   "berthed candidates: water share of the pixels around them (a hull sticks out)",
                   d.minWaterContact, 0.0, 1.0),
      numberOption("raft_width_ratio",
                   "candidates at least this wide for their length are checked for hulls moored "
                   "side by side (1 = never)",
                   d.raftWidthRatio, 0.0, 1.0),
      numberOption("wake_ratio", "candidate / head length above which the rest is a wake",
                   d.wakeRatio, 1.0, 100.0),
      numberOption("ndwi_threshold", "NIR water cue: NDWI must also exceed this",
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
  if (m_options.zGrow > m_options.zThreshold) {
    throw UsageError("ships: z_grow must be <= z_threshold");
  }
}

namespace {
ShipDetectorOptions fromParams(const Params& p) {
  ShipDetectorOptions o;
  o.zThreshold = p.number("z_threshold");
  o.zGrow = p.number("z_grow");
  o.zThresholdSar = p.number("z_threshold_sar");
  o.guardWindowM = p.number("guard_window_m");
  o.backgroundWindowM = p.number("background_window_m");
  o.minWaterShare = p.number("min_water_share");
  o.sigmaFloor = p.number("sigma_floor");
  o.minAreaPx = p.number("min_area_px");
  o.minLengthM = p.number("min_length_m");
  o.minWidthPx = p.number("min_width_px");
  o.maxLengthM = p.number("max_length_m");
  o.maxElongation = p.number("max_elongation");
  o.maxBeamM = p.number("max_beam_m");
  o.shoreRimM = p.number("shore_rim_m");
  o.maxProtrusionM = p.number("max_protrusion_m");
  o.wakeRatio = p.number("wake_ratio");
  o.minWaterContact = p.number("min_water_contact");
  o.raftWidthRatio = p.number("raft_width_ratio");
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

cv::Mat disk(int radiusPx) {
  return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radiusPx + 1, 2 * radiusPx + 1));
}

// Where a ship may be: water, and land protrusions thinner than a hull, minus the shore rim.
struct SearchAreas {
  cv::Mat water;   // valid water
  cv::Mat search;  // pixels where a ship's seed may lie
  cv::Mat grow;    // pixels a ship may extend over: the search area plus the shore rim
  cv::Mat quay;    // land core grown by the rim and one pixel: reaching it means berthed
};

SearchAreas searchAreas(const DetectionTile& tile, const cv::Mat& valid,
                        const ShipDetectorOptions& o) {
  const double px = tile.pixelSizeM;
  SearchAreas a;
  a.water = waterMask(tile, o.water) & valid;
  // Nodata counts as land for the opening, so a land/nodata edge does not make protrusions.
  const cv::Mat landOrNodata = a.water == 0;
  const int beamRadius = static_cast<int>(std::ceil(o.maxBeamM / px / 2.0));
  cv::Mat core = landOrNodata.clone();
  if (beamRadius > 0) cv::morphologyEx(landOrNodata, core, cv::MORPH_OPEN, disk(beamRadius));
  core &= valid;
  // Narrow land longer than a hull moored bow-on is a jetty or breakwater: part of the land.
  cv::Mat protrusion = landOrNodata & (core == 0) & valid, labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(protrusion, labels, stats, centroids, 8, CV_32S);
  const double maxPx = o.maxProtrusionM / px;
  std::vector<uchar> jetty(n, 0);
  for (int i = 1; i < n; ++i) {
    jetty[i] = std::hypot(stats.at<int>(i, cv::CC_STAT_WIDTH),
                          stats.at<int>(i, cv::CC_STAT_HEIGHT)) > maxPx;
  }
  for (int y = 0; y < labels.rows; ++y) {
    const int* pl = labels.ptr<int>(y);
    uchar* pc = core.ptr<uchar>(y);
    for (int x = 0; x < labels.cols; ++x) {
      if (jetty[pl[x]]) pc[x] = 255;
    }
  }
  const int rimPx = static_cast<int>(std::lround(o.shoreRimM / px));
  cv::Mat rim = core.clone();
  if (rimPx > 0) cv::dilate(core, rim, disk(rimPx));
  // SAR: bright land is bright at any width (speckle, double bounce), so protrusions are not
  // searched there; hulls alongside must show as water-side candidates.
  a.grow = isSar(tile.roles) ? a.water.clone()
                             : cv::Mat((a.water | (landOrNodata & (core == 0))) & valid);
  a.search = a.grow & (rim == 0);
  // A hull alongside reaches into the rim: a candidate that does is berthed.
  cv::dilate(core, a.quay, disk(rimPx + 1));
  return a;
}

// Signed clutter z of the brightness band (and, with NIR, of the visible mean: a dark hull is
// about as dark as water in NIR but not in the visible), the stronger per pixel; `visible` keeps
// the visible mean's own z (empty without one).
struct ClutterZ {
  cv::Mat z;
  cv::Mat visible;
};

ClutterZ clutterZ(const DetectionTile& tile, const SearchAreas& a, const ShipDetectorOptions& o,
                  double seedZ) {
  // SAR: a 3 x 3 px target window averages speckle, as SNAP's target window does; a single
  // 4-look pixel exceeds mu + 6 sigma far too often for a per-pixel test.
  const double targetPx = isSar(tile.roles) ? 3.0 : 1.0;
  const CfarWindowsPx w = cfarWindowsPx(targetPx * tile.pixelSizeM, o.guardWindowM,
                                        o.backgroundWindowM, tile.pixelSizeM);
  CfarOptions c;
  c.maxMaskedFraction = 1.0 - o.minWaterShare;
  c.censorZ = std::min(3.0, seedZ);
  c.sigmaFloorRel = o.sigmaFloor;
  c.evaluate = a.grow;
  ClutterZ out;
  out.z = cfarZ(brightnessBand(tile.image, tile.roles), a.water, w, c);
  const cv::Mat visible = visibleMean(tile.image, tile.roles);
  if (!visible.empty()) {
    out.visible = cfarZ(visible, a.water, w, c);
    cv::Mat stronger = cv::abs(out.visible) > cv::abs(out.z);
    out.visible.copyTo(out.z, stronger);
  }
  return out;
}

// Pixels of each hysteresis component: |z| >= grow inside the grow area, connected to a pixel
// with |z| >= seed inside the search area, of the polarity asked for.
std::vector<std::vector<cv::Point>> hysteresis(const cv::Mat& z, const SearchAreas& a,
                                               const std::string& polarity, double seed,
                                               double grow) {
  cv::Mat low, high;
  if (polarity == "bright") {
    low = z >= grow;
    high = z >= seed;
  } else if (polarity == "dark") {
    low = z <= -grow;
    high = z <= -seed;
  } else {
    low = cv::abs(z) >= grow;
    high = cv::abs(z) >= seed;
  }
  low &= a.grow;
  // A hull's bright deck and dark shadow side, SAR point scatterers, or a superstructure split
  // a hull into pieces a pixel or two apart.
  cv::morphologyEx(low, low, cv::MORPH_CLOSE,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
  low &= a.grow;
  high &= a.search;
  cv::Mat labels;
  const int n = cv::connectedComponents(low, labels, 8, CV_32S);
  std::vector<uchar> seeded(n, 0);
  std::vector<std::vector<cv::Point>> pixels(n);
  for (int y = 0; y < labels.rows; ++y) {
    const int* pl = labels.ptr<int>(y);
    const uchar* ph = high.ptr<uchar>(y);
    for (int x = 0; x < labels.cols; ++x) {
      if (!pl[x]) continue;
      pixels[pl[x]].emplace_back(x, y);
      if (ph[x]) seeded[pl[x]] = 1;
    }
  }
  std::vector<std::vector<cv::Point>> out;
  for (int i = 1; i < n; ++i) {
    if (seeded[i]) out.push_back(std::move(pixels[i]));
  }
  return out;
}

// The bright head of a candidate: pixels with |z| >= level 8-connected to the peak pixel.
std::vector<cv::Point> headOf(const std::vector<cv::Point>& pixels, const cv::Mat& z,
                              double level) {
  cv::Rect box = cv::boundingRect(pixels);
  cv::Mat in(box.size(), CV_8U, cv::Scalar(0));
  cv::Point peak = pixels.front();
  for (const auto& p : pixels) {
    if (std::abs(z.at<float>(p)) >= level) in.at<uchar>(p - box.tl()) = 255;
    if (std::abs(z.at<float>(p)) > std::abs(z.at<float>(peak))) peak = p;
  }
  cv::Mat labels;
  cv::connectedComponents(in, labels, 8, CV_32S);
  const int id = labels.at<int>(peak - box.tl());
  std::vector<cv::Point> head;
  for (const auto& p : pixels) {
    if (labels.at<int>(p - box.tl()) == id) head.push_back(p);
  }
  return head;
}

// The dark hull of a candidate: its largest 8-connected set of pixels darker than the water in
// the visible (zVisible <= -level). Foam is never darker than the water, so behind a dark hull
// underway the wake, however bright, is not part of it.
std::vector<cv::Point> darkPartOf(const std::vector<cv::Point>& pixels, const cv::Mat& zVisible,
                                  double level) {
  if (zVisible.empty()) return {};
  const cv::Rect box = cv::boundingRect(pixels);
  cv::Mat in(box.size(), CV_8U, cv::Scalar(0));
  for (const auto& p : pixels) {
    if (zVisible.at<float>(p) <= -level) in.at<uchar>(p - box.tl()) = 255;
  }
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(in, labels, stats, centroids, 8, CV_32S);
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (!best || stats.at<int>(i, cv::CC_STAT_AREA) > stats.at<int>(best, cv::CC_STAT_AREA))
      best = i;
  }
  std::vector<cv::Point> part;
  for (const auto& p : pixels) {
    if (best && labels.at<int>(p - box.tl()) == best) part.push_back(p);
  }
  return part;
}

// Share of water in a ring 2-3 px around a component (the pixels right next to it are often
// mixed, and a water mask that absorbed a hull usually absorbed them too).
double waterContact(const std::vector<cv::Point>& pixels, const cv::Mat& water) {
  const cv::Rect box = cv::boundingRect(pixels);
  const cv::Rect grown =
      (box + cv::Size(6, 6) - cv::Point(3, 3)) & cv::Rect(0, 0, water.cols, water.rows);
  cv::Mat in(grown.size(), CV_8U, cv::Scalar(0));
  for (const auto& p : pixels) in.at<uchar>(p - grown.tl()) = 255;
  cv::Mat inner, ring;
  cv::dilate(in, inner, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3)));
  cv::dilate(in, ring, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(7, 7)));
  ring &= (inner == 0);
  const double n = cv::countNonZero(ring);
  return n > 0 ? cv::countNonZero(ring & water(grown)) / n : 0.0;
}

double peakAbsZ(const std::vector<cv::Point>& pixels, const cv::Mat& z) {
  double peak = 0.0;
  for (const auto& p : pixels) {
    const float zi = z.at<float>(p);
    if (std::isfinite(zi)) peak = std::max(peak, static_cast<double>(std::abs(zi)));
  }
  return peak;
}

// Hulls moored side by side (a ship-to-ship transfer, a raft at a berth) bridge into one
// candidate at the grow level: the water between them is only a few pixels wide and the edges of
// both hulls pass z_grow. A candidate at least `raftWidthRatio` as wide as it is long is split
// when its cores (pixels of the peak's polarity with |z| >= max(seed, 0.5 x peak), as in
// headOf) form two or more hull-like parts (each >= minLengthM and >= kRaftMinElongation times
// as long as wide, axes within kRaftMaxAxisDeg) lying beside each other, not end to end, with
// water between them (z below half the core level on the line between their centres). Every
// candidate pixel then goes to its nearest core part, so each hull keeps its own edges. One hull
// whose deck and superstructure break into pieces gives pieces end to end: not split.
constexpr double kRaftMinElongation = 2.0;
constexpr double kRaftMaxAxisDeg = 20.0;

double axisDifferenceDeg(double a, double b) {
  const double d = std::fmod(std::abs(a - b), 180.0);
  return std::min(d, 180.0 - d);
}

// Whether the line between two part centres crosses water: a pixel of (signed) z below half the
// core level. Two bright stripes along one hull's gunwales are side by side too, but the deck
// between them is far brighter than water.
bool waterBetween(const cv::Mat& z, cv::Point2d a, cv::Point2d b, float sign, double level) {
  const int steps = static_cast<int>(std::ceil(2.0 * cv::norm(b - a)));
  for (int i = 0; i <= steps; ++i) {
    const cv::Point2d p = a + (b - a) * (static_cast<double>(i) / std::max(steps, 1));
    const int x = static_cast<int>(std::floor(p.x)), y = static_cast<int>(std::floor(p.y));
    if (x < 0 || y < 0 || x >= z.cols || y >= z.rows) continue;
    if (sign * z.at<float>(y, x) < 0.5 * level) return true;
  }
  return false;
}

// Hull-like core parts of a candidate (in `box` coordinates: labels, and the qualifying ids).
std::vector<int> raftCores(const std::vector<cv::Point>& pixels, const cv::Mat& z, double level,
                           double px, const ShipDetectorOptions& o, const cv::Rect& box,
                           cv::Mat& labels) {
  cv::Point peak = pixels.front();
  for (const auto& p : pixels) {
    if (std::abs(z.at<float>(p)) > std::abs(z.at<float>(peak))) peak = p;
  }
  const float sign = z.at<float>(peak) >= 0.0f ? 1.0f : -1.0f;
  cv::Mat in(box.size(), CV_8U, cv::Scalar(0));
  for (const auto& p : pixels) {
    if (sign * z.at<float>(p) >= level) in.at<uchar>(p - box.tl()) = 255;
  }
  const int n = cv::connectedComponents(in, labels, 8, CV_32S);
  std::vector<std::vector<cv::Point>> parts(n);
  for (const auto& p : pixels) {
    const int id = labels.at<int>(p - box.tl());
    if (id) parts[id].push_back(p);
  }
  std::vector<int> cores;
  std::vector<ComponentShape> shapes;
  for (int i = 1; i < n; ++i) {
    if (static_cast<double>(parts[i].size()) < o.minAreaPx) continue;
    const ComponentShape s = componentShape(parts[i], px);
    if (s.lengthM < o.minLengthM || s.lengthM < kRaftMinElongation * s.widthM) continue;
    cores.push_back(i);
    shapes.push_back(s);
  }
  // Side by side: every pair of parts roughly parallel, their centres offset across the axis
  // by more than along it.
  for (size_t a = 0; a < shapes.size(); ++a) {
    for (size_t b = a + 1; b < shapes.size(); ++b) {
      if (axisDifferenceDeg(shapes[a].headingDeg, shapes[b].headingDeg) > kRaftMaxAxisDeg) {
        return {};
      }
      const double h = shapes[a].headingDeg * CV_PI / 180.0;
      const cv::Point2d axis(std::sin(h), -std::cos(h)),
          d = shapes[b].centrePx - shapes[a].centrePx;
      const double along = std::abs(d.dot(axis)), across = std::abs(d.x * axis.y - d.y * axis.x);
      if (along >= across) return {};
      if (!waterBetween(z, shapes[a].centrePx, shapes[b].centrePx, sign, level)) return {};
    }
  }
  return cores.size() >= 2 ? cores : std::vector<int>{};
}

std::vector<std::vector<cv::Point>> raftHulls(std::vector<cv::Point> pixels, const cv::Mat& z,
                                              double seed, double px,
                                              const ShipDetectorOptions& o) {
  std::vector<std::vector<cv::Point>> out;
  const ComponentShape whole = componentShape(pixels, px);
  if (whole.widthM < o.raftWidthRatio * whole.lengthM) {
    out.push_back(std::move(pixels));
    return out;
  }
  const cv::Rect box = cv::boundingRect(pixels);
  cv::Mat labels;
  const std::vector<int> cores =
      raftCores(pixels, z, std::max(seed, 0.5 * peakAbsZ(pixels, z)), px, o, box, labels);
  if (cores.empty()) {
    out.push_back(std::move(pixels));
    return out;
  }
  // Nearest core part for every pixel of the box (distance transform to the cores, with the
  // label of the nearest core pixel).
  cv::Mat notCore(box.size(), CV_8U, cv::Scalar(255)), dist, nearest;
  std::vector<int> partOfCore(static_cast<size_t>(box.area()) + 1, -1);
  for (size_t k = 0; k < cores.size(); ++k) notCore.setTo(0, labels == cores[k]);
  cv::distanceTransform(notCore, dist, nearest, cv::DIST_L2, cv::DIST_MASK_5, cv::DIST_LABEL_PIXEL);
  for (size_t k = 0; k < cores.size(); ++k) {
    for (int y = 0; y < box.height; ++y) {
      for (int x = 0; x < box.width; ++x) {
        if (labels.at<int>(y, x) == cores[k])
          partOfCore[nearest.at<int>(y, x)] = static_cast<int>(k);
      }
    }
  }
  out.resize(cores.size());
  for (const auto& p : pixels) {
    const int k = partOfCore[nearest.at<int>(p - box.tl())];
    out[static_cast<size_t>(k)].push_back(p);
  }
  return out;
}

}  // namespace

ShipDetector::ShipDetector(const Params& params) : ShipDetector(fromParams(params)) {}

int ShipDetector::haloPx(double pixelSizeM) const {
  const CfarWindowsPx w =
      cfarWindowsPx(pixelSizeM, m_options.guardWindowM, m_options.backgroundWindowM, pixelSizeM);
  // Censored CFAR: a pixel's second-pass z depends on the first-pass z of its ring pixels (grown
  // by 2 px), whose windows reach another half background further; the tile result equals the
  // untiled one only if that whole reach, the land opening and the hull are inside the tile.
  const int opening = 2 * static_cast<int>(std::ceil(m_options.maxBeamM / pixelSizeM / 2.0));
  return 2 * (w.background / 2) + 2 +
         static_cast<int>(std::ceil(m_options.maxLengthM / 2.0 / pixelSizeM)) + opening + 4;
}

cv::Mat ShipDetector::sceneWater(const DetectionTile& overview) const {
  return waterMask(overview, m_options.water);
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
  // Corners of the rectangle over the pixel squares: each side pushed out by half a pixel.
  const double len = std::max(la, lb) + 1.0, wid = std::min(la, lb) + 1.0;
  const cv::Point2d u = la >= lb ? cv::Point2d(a.x / std::max(la, 1e-9), a.y / std::max(la, 1e-9))
                                 : cv::Point2d(b.x / std::max(lb, 1e-9), b.y / std::max(lb, 1e-9));
  const cv::Point2d n(-u.y, u.x);
  for (const auto& [su, sn] : {std::pair{-1, -1}, {1, -1}, {1, 1}, {-1, 1}}) {
    s.cornersPx.push_back(s.centrePx + u * (su * len / 2.0) + n * (sn * wid / 2.0));
  }
  return s;
}

std::vector<Detection> ShipDetector::detect(const DetectionTile& tile) const {
  return run(tile, cv::Rect(0, 0, tile.image.cols, tile.image.rows)).detections;
}

DetectionReport ShipDetector::detectInCore(const DetectionTile& tile, const cv::Rect& core) const {
  return run(tile, core);
}

DetectionReport ShipDetector::run(const DetectionTile& tile, const cv::Rect& core) const {
  const auto& o = m_options;
  DetectionReport report;
  if (tile.image.empty()) return report;
  const double px = tile.pixelSizeM;
  if (!(px > 0.0)) throw Error("ships: pixel size must be > 0 m");
  const cv::Mat valid =
      tile.valid.empty() ? cv::Mat(tile.image.size(), CV_8U, cv::Scalar(255)) : tile.valid;
  const SearchAreas areas = searchAreas(tile, valid, o);
  if (cv::countNonZero(areas.water) == 0) return report;
  const ClutterZ cz = clutterZ(tile, areas, o, o.zThreshold);
  const cv::Mat& z = cz.z;
  std::string polarity = o.polarity;
  if (polarity == "auto") polarity = isSar(tile.roles) ? "bright" : "both";

  cv::Mat explained(tile.image.size(), CV_8U, cv::Scalar(0));
  // SAR: speckle next to a hull passes a low grow threshold and smears it; grow only over
  // pixels nearly as strong as a seed.
  const bool sar = isSar(tile.roles);
  const double seed = sar ? o.zThresholdSar : o.zThreshold;
  const double grow = sar ? std::max(o.zGrow, 0.6 * seed) : o.zGrow;
  std::vector<std::vector<cv::Point>> candidates;
  for (auto& c : hysteresis(z, areas, polarity, seed, grow)) {
    if (static_cast<double>(c.size()) < o.minAreaPx) continue;
    // SAR hulls are strings of point scatterers: their cores are not hull shapes.
    if (sar) {
      candidates.push_back(std::move(c));
      continue;
    }
    for (auto& h : raftHulls(std::move(c), z, seed, px, o)) candidates.push_back(std::move(h));
  }
  for (auto& pixels : candidates) {
    if (static_cast<double>(pixels.size()) < o.minAreaPx) continue;
    bool berthed = false;
    for (const auto& p : pixels) berthed = berthed || areas.quay.at<uchar>(p) != 0;
    // At a quay, a hull sticks out into the water; a bump of the shore line is mostly land-side.
    if (berthed && waterContact(pixels, areas.water) < o.minWaterContact) continue;
    const double peak = peakAbsZ(pixels, z);
    const ComponentShape whole = componentShape(pixels, px);
    ComponentShape s = whole;
    bool underway = false;
    // SAR hulls are a few strong scatterers along a dimmer hull: the "head" would be one of them,
    // so the wake rule is for optical data only. The hull at the head of a foam wake is either
    // brighter than the foam (its strongest pixels) or darker than the water (a dark hull).
    if (!berthed && !sar) {
      for (const auto& head :
           {headOf(pixels, z, std::max(seed, 0.5 * peak)), darkPartOf(pixels, cz.visible, grow)}) {
        if (underway || head.size() >= pixels.size()) continue;
        if (static_cast<double>(head.size()) < o.minAreaPx) continue;
        const ComponentShape h = componentShape(head, px);
        if (whole.lengthM > o.wakeRatio * h.lengthM && h.lengthM >= o.minLengthM) {
          underway = true;
          s = h;
        }
      }
    }
    // Size on the whole candidate (a hull with its wake is a real object however short the
    // head), the upper bound on the hull reported.
    if (whole.lengthM < o.minLengthM || s.lengthM > o.maxLengthM) continue;
    // A streak one pixel wide is a wave crest, a cloud edge or a wake line, not a hull.
    if (whole.widthM < o.minWidthPx * px) continue;
    if (!underway && s.lengthM / std::max(s.widthM, px) > o.maxElongation) continue;
    Detection d;
    d.kind = "ship";
    d.centroidPx = s.centrePx;
    d.lengthM = s.lengthM;
    d.widthM = s.widthM;
    d.headingDeg = s.headingDeg;
    d.areaM2 = static_cast<double>(pixels.size()) * px * px;
    d.score = peak;
    d.underway = underway;
    d.outlinePx = s.cornersPx;
    d.berthed = berthed;
    for (const auto& p : pixels) explained.at<uchar>(p) = 255;
    report.detections.push_back(d);
  }
  // Scene quality: decided pixels of the core, and those above z_grow that no ship explains.
  const cv::Mat zc = z(core);
  // Open water only: land protrusions are bright against water by nature.
  const cv::Mat decided = (zc == zc) & areas.search(core) & areas.water(core);
  const cv::Mat loud = (cv::abs(zc) >= grow) & decided & (explained(core) == 0);
  report.decidedPx = cv::countNonZero(decided);
  report.clutterPx = cv::countNonZero(loud);
  return report;
}

void registerShipDetector(Registry& registry) {
  registry.add(DetectorEntry{
      ShipDetector::kName,
      "ships on water and alongside quays: censored water-only CFAR with a sigma floor, "
      "hysteresis, wake and berth handling; length 20-400 m",
      ShipDetector::optionSpecs(),
      [](const Params& p) { return std::make_unique<ShipDetector>(p); },
      /*detectsVessels=*/true});
}

}  // namespace cw::imaging
