#include "sim/simulator.hpp"
#include "sim/sim_ais.hpp"

#include <cpl_string.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/ogr_vector.hpp"

namespace cw::sim {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kMarginPx = 8;   // canvas border so that shifted dates still have content
constexpr int kTilePx = 512;   // tile size of the written GeoTIFFs
constexpr int kDrawShift = 8;  // OpenCV fixed-point bits for sub-pixel drawing
constexpr double kPi = 3.14159265358979323846;
constexpr double kMaxShiftPx = 2.1;     // per axis, so |shift| <= 2.97 px
constexpr double kLandMarginPx = 10.0;  // ships keep this clear of land and piers
constexpr double kShipGapPx = 8.0;      // between hulls of the same date
constexpr double kEdgeMarginPx = 10.0;  // ships keep this clear of the nodata edge
constexpr double kNodataCornerFrac = 0.28;
constexpr double kPsfSigmaPx = 0.6;  // Gaussian point spread function of the "sensor"

// ---------------------------------------------------------------------------------------------
// Randomness: mt19937_64 is specified bit-exactly by the standard, the distributions are not, so
// uniform and normal draws are our own.

std::uint64_t splitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t subSeed(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0,
                      std::uint64_t d = 0) {
  std::uint64_t h = splitMix64(seed);
  for (std::uint64_t v : {a, b, c, d}) h = splitMix64(h ^ (v + 0x632be59bd9b4e019ULL));
  return h;
}

class Random {
 public:
  explicit Random(std::uint64_t seed) : m_engine(seed) {}
  double uniform() { return static_cast<double>(m_engine() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  int uniformInt(int a, int b) {  // [a, b]
    return a + static_cast<int>(uniform() * (b - a + 1));
  }
  bool chance(double p) { return uniform() < p; }
  // Irwin-Hall of four uniforms from two 64-bit draws: mean 0, variance 1, bounded tails. Cheap
  // enough for per-pixel noise.
  float fastNormal() {
    const std::uint64_t a = m_engine();
    const std::uint64_t b = m_engine();
    constexpr float k = 0x1.0p-32f;
    const float s = static_cast<float>(a & 0xffffffffULL) * k + static_cast<float>(a >> 32) * k +
                    static_cast<float>(b & 0xffffffffULL) * k + static_cast<float>(b >> 32) * k;
    return (s - 2.0f) * 1.7320508f;
  }
  // Unit-mean gamma with integer shape L: mean of L unit exponentials (SAR multi-look speckle).
  float gammaUnitMean(int looks) {
    double sum = 0.0;
    for (int i = 0; i < looks; ++i) sum -= std::log(1.0 - uniform());
    return static_cast<float>(sum / looks);
  }

 private:
  std::mt19937_64 m_engine;
};

// Band-limited noise in [-1, 1]: a random grid at `cellPx` spacing, interpolated bicubically.
cv::Mat smoothNoise(Random& rng, cv::Size size, double cellPx) {
  const int gw = static_cast<int>(std::ceil(size.width / cellPx)) + 4;
  const int gh = static_cast<int>(std::ceil(size.height / cellPx)) + 4;
  cv::Mat grid(gh, gw, CV_32F);
  for (int r = 0; r < gh; ++r) {
    for (int c = 0; c < gw; ++c) grid.at<float>(r, c) = static_cast<float>(rng.uniform(-1.0, 1.0));
  }
  cv::Mat big;
  cv::resize(grid, big, cv::Size(static_cast<int>(gw * cellPx), static_cast<int>(gh * cellPx)), 0,
             0, cv::INTER_CUBIC);
  const int off = static_cast<int>(cellPx);
  return big(cv::Rect(off, off, size.width, size.height)).clone();
}

// Per-pixel noise, deterministic whatever the thread schedule: one RNG stream per row block.
template <typename Fn>
void forRowBlocks(int rows, std::uint64_t seed, Fn&& fn) {
  constexpr int kBlock = 64;
  const int blocks = (rows + kBlock - 1) / kBlock;
  tbb::parallel_for(0, blocks, [&](int b) {
    Random rng(subSeed(seed, static_cast<std::uint64_t>(b)));
    fn(rng, b * kBlock, std::min(rows, (b + 1) * kBlock));
  });
}

// ---------------------------------------------------------------------------------------------
// Materials: the world is drawn as a material map, then turned into band values per sensor.

enum Material : std::uint8_t {
  kWater = 0,
  kLand,
  kConcrete,
  kAsphalt,
  kGravel,
  kRoofGrey,
  kRoofRed,
  kRoofBlue,
  kRubble,
  kTankRoof,
  kShadow,
  kPier,
  kContainerRed,
  kContainerBlue,
  kContainerWhite,
  kSuperstructure,
  kShipBright0,                   // 8 bright hull shades
  kShipDark0 = kShipBright0 + 8,  // 4 dark hull shades
  kWake = kShipDark0 + 4,         // foam behind a ship underway (optical); calm dark water (SAR)
  kMaterialCount
};

struct MaterialTable {
  std::array<std::array<float, 4>, kMaterialCount> optical{};
  std::array<float, kMaterialCount> sar{};
};

const MaterialTable& materials() {
  static const MaterialTable t = [] {
    MaterialTable m;
    auto set = [&m](int id, std::array<float, 4> o, float s) {
      m.optical[id] = o;
      m.sar[id] = s;
    };
    set(kWater, {850, 1000, 600, 180}, 0.008f);
    set(kLand, {0, 0, 0, 0}, 0.0f);  // vegetation/soil mix, see bandValue()
    set(kConcrete, {2000, 2100, 2200, 2400}, 0.25f);
    set(kAsphalt, {800, 850, 900, 1100}, 0.015f);
    set(kGravel, {1500, 1600, 1750, 2000}, 0.12f);
    set(kRoofGrey, {2700, 2800, 2900, 3000}, 0.9f);
    set(kRoofRed, {900, 1100, 2300, 2600}, 1.2f);
    set(kRoofBlue, {2300, 1800, 1400, 1600}, 0.7f);
    set(kRubble, {1300, 1450, 1650, 1900}, 0.3f);
    set(kTankRoof, {3600, 3700, 3750, 3800}, 2.0f);
    set(kShadow, {525, 560, 612, 700}, 0.004f);
    set(kPier, {1900, 2000, 2100, 2300}, 0.6f);
    set(kContainerRed, {800, 700, 1800, 2000}, 1.5f);
    set(kContainerBlue, {1400, 1100, 800, 1000}, 1.5f);
    set(kContainerWhite, {3000, 3050, 3100, 3150}, 1.5f);
    set(kSuperstructure, {4300, 4350, 4400, 4400}, 15.0f);
    for (int k = 0; k < 8; ++k) {
      const float l = 2600.0f + 250.0f * k;
      set(kShipBright0 + k, {0.95f * l, l, l, 1.02f * l}, 3.0f + 1.5f * k);
    }
    for (int k = 0; k < 4; ++k) {
      const float l = 260.0f + 40.0f * k;
      set(kShipDark0 + k, {l, l + 20, l + 30, l + 50}, 2.5f + 1.0f * k);
    }
    // Foam is brighter than water but far dimmer than a hull; in SAR a turbulent wake damps the
    // capillary waves and is darker than the sea around it.
    set(kWake, {1400, 1500, 1350, 700}, 0.004f);
    return m;
  }();
  return t;
}

constexpr std::array<float, 4> kVegetation{450, 800, 600, 3200};
constexpr std::array<float, 4> kSoil{1250, 1500, 1900, 2500};
constexpr std::array<float, 4> kCloud{6500, 6400, 6300, 6500};
constexpr float kSarVegetation = 0.08f;
constexpr float kSarSoil = 0.04f;

// ---------------------------------------------------------------------------------------------
// Geometry helpers. Canvas coordinates are OpenCV's (pixel centres at integers) on the date-0
// canvas, which is the scene plus kMarginPx on every side.

using Pt = cv::Point2d;

std::vector<cv::Point> fixedPoints(const std::vector<Pt>& pts) {
  std::vector<cv::Point> out;
  out.reserve(pts.size());
  for (const auto& p : pts) {
    out.emplace_back(static_cast<int>(std::lround(p.x * (1 << kDrawShift))),
                     static_cast<int>(std::lround(p.y * (1 << kDrawShift))));
  }
  return out;
}

void fillPolygon(cv::Mat& img, const std::vector<Pt>& pts, double value) {
  const std::vector<std::vector<cv::Point>> polys{fixedPoints(pts)};
  cv::fillPoly(img, polys, cv::Scalar::all(value), cv::LINE_8, kDrawShift);
}

void fillCircle(cv::Mat& img, Pt c, double radius, double value) {
  const auto p = fixedPoints({c})[0];
  cv::circle(img, p, static_cast<int>(std::lround(radius * (1 << kDrawShift))),
             cv::Scalar::all(value), cv::FILLED, cv::LINE_8, kDrawShift);
}

// A rectangle of size (along, across) centred at c with its "along" axis at headingDeg
// (0 = north/up, clockwise).
Pt axisOf(double headingDeg) {
  const double h = headingDeg * kPi / 180.0;
  return {std::sin(h), -std::cos(h)};
}

std::vector<Pt> orientedRect(Pt c, double headingDeg, double along, double across) {
  const Pt d = axisOf(headingDeg);
  const Pt n{-d.y, d.x};
  return {c - d * (along / 2) - n * (across / 2), c + d * (along / 2) - n * (across / 2),
          c + d * (along / 2) + n * (across / 2), c - d * (along / 2) + n * (across / 2)};
}

double segmentPointDistance(Pt a, Pt b, Pt p) {
  const Pt ab = b - a;
  const double len2 = ab.dot(ab);
  const double t = len2 > 0 ? std::clamp((p - a).dot(ab) / len2, 0.0, 1.0) : 0.0;
  const Pt q = a + ab * t;
  return std::hypot(p.x - q.x, p.y - q.y);
}

double segmentDistance(Pt a, Pt b, Pt c, Pt d) {
  auto cross = [](Pt u, Pt v) { return u.x * v.y - u.y * v.x; };
  const double d1 = cross(b - a, c - a), d2 = cross(b - a, d - a);
  const double d3 = cross(d - c, a - c), d4 = cross(d - c, b - c);
  if (((d1 > 0) != (d2 > 0)) && ((d3 > 0) != (d4 > 0))) return 0.0;
  return std::min({segmentPointDistance(a, b, c), segmentPointDistance(a, b, d),
                   segmentPointDistance(c, d, a), segmentPointDistance(c, d, b)});
}

bool pointInRing(const std::vector<Pt>& ring, Pt p) {
  bool inside = false;
  for (size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    if (((ring[i].y > p.y) != (ring[j].y > p.y)) &&
        (p.x < (ring[j].x - ring[i].x) * (p.y - ring[i].y) / (ring[j].y - ring[i].y) + ring[i].x)) {
      inside = !inside;
    }
  }
  return inside;
}

// ---------------------------------------------------------------------------------------------
// The scenario: everything decided before any pixel is drawn.

struct Ship {
  int id = 0;
  Pt center;            // canvas coordinates (date-0 frame)
  double bowDeg = 0.0;  // direction of the bow, [0, 360)
  double lengthPx = 0.0;
  double widthPx = 0.0;
  bool bright = true;
  int shade = 0;
  bool tileBorder = false;
  bool nodataEdge = false;
  bool berthed = false;      // hull against a pier, no water between them
  bool besideCloud = false;  // hull clear, a cloud within its background window
  int stsPartner = 0;        // id of the hull it lies alongside at anchor (ship-to-ship), or 0
  double wakePx = 0.0;       // > 0: underway, with a foam wake this long behind the stern

  Pt sternEnd() const { return center - axisOf(bowDeg) * (lengthPx / 2); }
  Pt bowEnd() const { return center + axisOf(bowDeg) * (lengthPx / 2); }
  // End of the wake (the stern when not underway): the segment tail..bow is what the ship covers.
  Pt tailEnd() const { return sternEnd() - axisOf(bowDeg) * wakePx; }
  // The wake: as wide as most of the beam at the stern, narrowing to a third at its end.
  std::vector<Pt> wake() const {
    const Pt d = axisOf(bowDeg);
    const Pt n{-d.y, d.x};
    const Pt s = sternEnd(), t = tailEnd();
    const double w0 = 0.45 * widthPx, w1 = std::max(0.5, 0.15 * widthPx);
    return {s - n * w0, s + n * w0, t + n * w1, t - n * w1};
  }
  std::vector<Pt> hull() const {
    const Pt d = axisOf(bowDeg);
    const Pt n{-d.y, d.x};
    const double bow = std::min(widthPx, 0.15 * lengthPx);
    const Pt s = center - d * (lengthPx / 2);
    const Pt sh = center + d * (lengthPx / 2 - bow);
    return {s - n * (widthPx / 2), sh - n * (widthPx / 2), center + d * (lengthPx / 2),
            sh + n * (widthPx / 2), s + n * (widthPx / 2)};
  }
};

struct Tank {
  int id = 0;
  Pt center;  // canvas
  double diameterPx = 0.0;
};

struct Building {
  Pt center;  // canvas
  double headingDeg = 0.0;
  double lengthPx = 0.0, widthPx = 0.0;
  Material roof = kRoofGrey;
  int builtAt = 0;             // first date it stands (0 = from the start)
  int demolishedAt = 1 << 30;  // first date it is gone (rubble from then on)
  std::vector<Pt> corners() const { return orientedRect(center, headingDeg, lengthPx, widthPx); }
  bool standsAt(int k) const { return k >= builtAt && k < demolishedAt; }
};

struct ChangeEvent {
  int fromIndex = 0, toIndex = 0;
  std::string kind;  // construction | demolition
  int building = 0;
};

struct Pier {
  Pt root, tip;  // canvas; the pier runs west from the coast
  double widthPx = 0.0;
};

struct DateSetup {
  std::string iso;       // 2025-03-01T10:30:00Z
  std::string isoDate;   // 2025-03-01
  std::string compact;   // 20250301
  std::string tiffTime;  // 2025:03:01 10:30:00
  Pt shift;              // px, quantized to 1/32
  std::array<double, 4> gain{1, 1, 1, 1};
  std::array<double, 4> offset{0, 0, 0, 0};
  bool nodataCorner = false;
  bool clouds = false;
  std::vector<int> ships;  // indices into Scenario::ships
};

struct Scenario {
  int size = 0;
  int canvas = 0;
  double pixelM = 3.0;
  SimSensor sensor = SimSensor::Optical;
  std::uint64_t seed = 0;
  cv::Mat staticMaterial;   // CV_8U canvas: land, water, port, roads, town, facility ground, tanks
  cv::Mat waterDistPx;      // CV_32F canvas: distance to the nearest non-water pixel
  cv::Mat mix, tex, swell;  // CV_32F canvas texture fields
  std::vector<Pier> piers;
  std::vector<Ship> ships;
  std::vector<Tank> tanks;
  std::vector<Building> buildings;  // the changeable ones
  std::vector<ChangeEvent> changes;
  std::vector<DateSetup> dates;
  cv::Rect2d facilityPx;  // canvas
  cv::Rect2d portPx;      // canvas
  cv::Rect2d tankZonePx, buildingZonePx;

  Pt frac(double u, double v) const { return {kMarginPx + u * size, kMarginPx + v * size}; }
  // Canvas point -> drawn position in date k's scene, OpenCV pixel-centre convention.
  Pt toScene(Pt canvasPt, int k) const {
    return {canvasPt.x - kMarginPx + dates[k].shift.x, canvasPt.y - kMarginPx + dates[k].shift.y};
  }
  double coastX(double yCanvas) const { return coast(yCanvas); }
  std::function<double(double)> coast;  // canvas y -> canvas x of the coastline
};

std::string two(int v) {
  char b[16];
  std::snprintf(b, sizeof b, "%02d", v);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Building the static world.

// The coastline (two sines of random phase) and the land east of it, on an all-water canvas.
void drawLand(Scenario& s, Random& rng) {
  const int S = s.size;
  const int C = s.canvas;
  s.staticMaterial = cv::Mat(C, C, CV_8U, cv::Scalar(kWater));

  const double ph1 = rng.uniform(0, 2 * kPi), ph2 = rng.uniform(0, 2 * kPi);
  s.coast = [S, ph1, ph2](double y) {
    const double v = (y - kMarginPx) / S;
    return kMarginPx + S * (0.40 + 0.035 * std::sin(2 * kPi * v * 1.1 + ph1) +
                            0.015 * std::sin(2 * kPi * v * 3.7 + ph2));
  };

  std::vector<Pt> land;
  for (int y = 0; y <= C; y += 4) land.emplace_back(s.coastX(y), y);
  land.emplace_back(C + 1, C + 1);
  land.emplace_back(C + 1, -1);
  land.front().y = -1;
  land[land.size() - 3].y = C + 1;
  fillPolygon(s.staticMaterial, land, kLand);
}

// Port: quay strip and yard along the coast, container stacks in the yard, piers out into the
// water.
void drawPort(Scenario& s, Random& rng) {
  const int S = s.size;
  const double portTop = 0.18, portBottom = 0.82;
  const double quayW = std::max(6.0, 0.025 * S), yardW = 0.11 * S;
  std::vector<Pt> quay, yard;
  for (double v = portTop; v <= portBottom + 1e-9; v += 0.005) {
    const double y = s.frac(0, v).y;
    quay.emplace_back(s.coastX(y) - 1, y);
    yard.emplace_back(s.coastX(y) + quayW, y);
  }
  for (double v = portBottom; v >= portTop - 1e-9; v -= 0.005) {
    const double y = s.frac(0, v).y;
    quay.emplace_back(s.coastX(y) + quayW, y);
    yard.emplace_back(s.coastX(y) + yardW, y);
  }
  fillPolygon(s.staticMaterial, yard, kConcrete);
  fillPolygon(s.staticMaterial, quay, kConcrete);
  // Container stacks in the yard.
  for (double v = portTop + 0.02; v < portBottom - 0.02; v += 0.03) {
    const double y = s.frac(0, v).y;
    for (double x = s.coastX(y) + quayW + 6; x < s.coastX(y) + yardW - 16; x += 14) {
      if (!rng.chance(0.6)) continue;
      const int c = rng.uniformInt(0, 2);
      const Material m = c == 0 ? kContainerRed : c == 1 ? kContainerBlue : kContainerWhite;
      fillPolygon(s.staticMaterial, orientedRect({x + 6, y}, 90, 12, 4), m);
    }
  }
  const int nPiers = S >= 1024 ? 3 : 2;
  for (int i = 0; i < nPiers; ++i) {
    const double v = portTop + (portBottom - portTop) * (i + 0.5) / nPiers;
    const double y = s.frac(0, v).y;
    Pier p;
    p.widthPx = std::max(6.0, 0.006 * S);
    const double len = rng.uniform(0.05, 0.08) * S;
    p.root = {s.coastX(y) + 2, y};
    p.tip = {s.coastX(y) - len, y};
    fillPolygon(s.staticMaterial,
                {{p.tip.x, y - p.widthPx / 2},
                 {p.root.x, y - p.widthPx / 2},
                 {p.root.x, y + p.widthPx / 2},
                 {p.tip.x, y + p.widthPx / 2}},
                kPier);
    s.piers.push_back(p);
  }
}

// Roads: coastal road, north-south road, east-west road with a roundabout, facility access; and
// the town: a street grid with small static roofs.
void drawRoadsAndTown(Scenario& s, Random& rng) {
  const int S = s.size;
  const int C = s.canvas;
  const int roadW = std::max(3, static_cast<int>(std::lround(12.0 / s.pixelM)));
  std::vector<cv::Point> coastal;
  for (int y = 0; y <= C; y += 8) {
    coastal.emplace_back(static_cast<int>(s.coastX(y) + 0.13 * S), y);
  }
  cv::polylines(s.staticMaterial, std::vector<std::vector<cv::Point>>{coastal}, false,
                cv::Scalar(kAsphalt), roadW);
  auto road = [&](Pt a, Pt b) {
    cv::line(s.staticMaterial, cv::Point(a), cv::Point(b), cv::Scalar(kAsphalt), roadW);
  };
  const Pt roundabout = s.frac(0.57, 0.62);
  road(s.frac(0.57, 0.0) - Pt(0, kMarginPx), s.frac(0.57, 1.0) + Pt(0, kMarginPx));
  road({s.coastX(roundabout.y) + 0.13 * S, roundabout.y}, s.frac(1.0, 0.62) + Pt(kMarginPx, 0));
  road(s.frac(0.57, 0.33), s.frac(0.61, 0.33));
  const double rr = std::max(6.0, 0.012 * S);
  fillCircle(s.staticMaterial, roundabout, rr + roadW / 2.0, kAsphalt);
  fillCircle(s.staticMaterial, roundabout, rr - roadW / 2.0, kLand);

  // Town: a street grid with small static roofs.
  const Pt townA = s.frac(0.61, 0.68), townB = s.frac(0.96, 0.96);
  const double block = std::max(24.0, 0.035 * S);
  for (double y = townA.y; y < townB.y; y += block) {
    road({townA.x, y}, {townB.x, y});
  }
  for (double x = townA.x; x < townB.x; x += block) road({x, townA.y}, {x, townB.y});
  for (double y = townA.y + roadW; y + 8 < townB.y; y += block) {
    for (double x = townA.x + roadW; x + 8 < townB.x; x += block) {
      const double w = rng.uniform(0.35, 0.7) * block, h = rng.uniform(0.35, 0.7) * block;
      const Material m = rng.chance(0.5) ? kRoofRed : rng.chance(0.5) ? kRoofGrey : kConcrete;
      const double cx = x + roadW + w / 2 + rng.uniform(0, block - 2 * roadW - w);
      const double cy = y + roadW + h / 2 + rng.uniform(0, block - 2 * roadW - h);
      fillPolygon(s.staticMaterial, orientedRect({cx, cy}, 90, w, h), m);
    }
  }
}

// Storage tanks at random in the facility's tank zone, clear of each other (not yet drawn).
void placeTanks(Scenario& s, Random& rng) {
  const int maxTanks = std::clamp(s.size / 150, 4, 14);
  for (int attempt = 0; attempt < 2000 && static_cast<int>(s.tanks.size()) < maxTanks; ++attempt) {
    const double dM = rng.uniform(15.0, 60.0);
    const double d = dM / s.pixelM;
    const double reach = d / 2 + 0.4 * d + 3;
    const Pt c{rng.uniform(s.tankZonePx.x + reach, s.tankZonePx.br().x - reach),
               rng.uniform(s.tankZonePx.y + reach, s.tankZonePx.br().y - reach)};
    if (s.tankZonePx.width < 2 * reach || s.tankZonePx.height < 2 * reach) continue;
    bool ok = true;
    for (const auto& t : s.tanks) {
      const double need = (d + t.diameterPx) / 2 + 0.4 * std::max(d, t.diameterPx) + 4;
      if (std::hypot(c.x - t.center.x, c.y - t.center.y) < need) ok = false;
    }
    if (!ok) continue;
    Tank t;
    t.id = static_cast<int>(s.tanks.size()) + 1;
    t.center = c;
    t.diameterPx = d;
    s.tanks.push_back(t);
  }
}

// Facility: gravel ground, storage tanks with shadows in the north (its zones are set here, the
// buildings in the south come with planBuildings).
void drawFacility(Scenario& s, Random& rng) {
  s.facilityPx = cv::Rect2d(s.frac(0.60, 0.08), s.frac(0.97, 0.57));
  s.tankZonePx = cv::Rect2d(s.frac(0.62, 0.10), s.frac(0.95, 0.31));
  s.buildingZonePx = cv::Rect2d(s.frac(0.62, 0.34), s.frac(0.95, 0.55));
  s.portPx = cv::Rect2d(s.frac(0.01, 0.01), s.frac(0.56, 0.99));
  cv::rectangle(s.staticMaterial, s.facilityPx, cv::Scalar(kGravel), cv::FILLED);

  placeTanks(s, rng);
  const Pt shadowDir{-std::sqrt(0.5), -std::sqrt(0.5)};  // sun in the south-east
  for (const auto& t : s.tanks) {
    const double r = t.diameterPx / 2;
    const Pt off = shadowDir * (0.4 * t.diameterPx);
    const Pt n{-shadowDir.y, shadowDir.x};
    fillPolygon(
        s.staticMaterial,
        {t.center + n * r, t.center + off + n * r, t.center + off - n * r, t.center - n * r},
        kShadow);
    fillCircle(s.staticMaterial, t.center + off, r, kShadow);
    fillCircle(s.staticMaterial, t.center, r, kTankRoof);
  }
}

// Texture fields, static over dates: the land's vegetation/soil mix, the sea's swell and a
// multiplicative texture with per-pixel noise.
void makeTextures(Scenario& s, Random& rng) {
  const int C = s.canvas;
  const cv::Size cs(C, C);
  // One draw per statement: the operands of an overloaded + are unsequenced, and GCC and clang
  // order them differently (the fine field is drawn first, as GCC always did).
  const cv::Mat fine = smoothNoise(rng, cs, 16);
  const cv::Mat medium = smoothNoise(rng, cs, 64);
  const cv::Mat coarse = smoothNoise(rng, cs, 256);
  s.mix = 0.5f * coarse + 0.3f * medium + 0.2f * fine;
  s.mix = s.mix * 0.9 + 0.5;
  cv::max(s.mix, 0.0, s.mix);
  cv::min(s.mix, 1.0, s.mix);
  const cv::Mat chop = smoothNoise(rng, cs, 10);
  const cv::Mat swell = smoothNoise(rng, cs, 40);
  s.swell = 0.6f * swell + 0.4f * chop;
  s.tex = 0.06f * smoothNoise(rng, cs, 24);
  s.tex += 1.0;
  forRowBlocks(C, subSeed(s.seed, 0x7e), [&](Random& r, int y0, int y1) {
    for (int y = y0; y < y1; ++y) {
      float* row = s.tex.ptr<float>(y);
      for (int x = 0; x < C; ++x) row[x] += 0.025f * r.fastNormal();
    }
  });
}

// The static world, drawn in this order from one random stream: land, port, roads and town,
// facility, textures.
void buildStaticWorld(Scenario& s, Random& rng) {
  drawLand(s, rng);
  drawPort(s, rng);
  // Water distance before anything else lands on land: roads and buildings are all inland.
  cv::Mat water = s.staticMaterial == kWater;
  cv::distanceTransform(water, s.waterDistPx, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  drawRoadsAndTown(s, rng);
  drawFacility(s, rng);
  makeTextures(s, rng);
}

// Buildings that appear or disappear: one of each per consecutive pair, in the facility's south.
void planBuildings(Scenario& s, Random& rng, int nDates) {
  const int pairs = nDates - 1;
  const int need = 2 + 2 * pairs;  // two that never change, one demolished and one built per pair
  auto fits = [&](const Building& b) {
    for (const auto& p : b.corners()) {
      if (!s.buildingZonePx.contains(p)) return false;
    }
    for (const auto& o : s.buildings) {
      const double gap = std::hypot(b.center.x - o.center.x, b.center.y - o.center.y);
      const double rb = std::hypot(b.lengthPx, b.widthPx) / 2,
                   ro = std::hypot(o.lengthPx, o.widthPx) / 2;
      if (gap < rb + ro + 5) return false;
    }
    return true;
  };
  for (int i = 0, attempts = 0; i < need; ++attempts) {
    if (attempts > 20000) {
      throw UsageError("simulate: --size " + std::to_string(s.size) +
                       " is too small for the construction and demolition of --dates " +
                       std::to_string(nDates) + "; use a larger --size or fewer --dates");
    }
    Building b;
    double lm = 0, wm = 0;
    do {
      lm = rng.uniform(33.0, 55.0);
      wm = rng.uniform(33.0, 55.0);
    } while (lm * wm < 1050.0);
    b.lengthPx = lm / s.pixelM;
    b.widthPx = wm / s.pixelM;
    b.headingDeg = 90.0 + rng.uniform(-12.0, 12.0);
    b.center = {rng.uniform(s.buildingZonePx.x, s.buildingZonePx.br().x),
                rng.uniform(s.buildingZonePx.y, s.buildingZonePx.br().y)};
    const int c = rng.uniformInt(0, 2);
    b.roof = c == 0 ? kRoofGrey : c == 1 ? kRoofRed : kRoofBlue;
    if (!fits(b)) continue;
    s.buildings.push_back(b);
    ++i;
  }
  for (int k = 0; k < pairs; ++k) {
    Building& gone = s.buildings[2 + 2 * k];
    gone.demolishedAt = k + 1;
    Building& built = s.buildings[3 + 2 * k];
    built.builtAt = k + 1;
    s.changes.push_back({k, k + 1, "construction", 3 + 2 * k});
    s.changes.push_back({k, k + 1, "demolition", 2 + 2 * k});
  }
}

// ---------------------------------------------------------------------------------------------
// Ships

struct ShipPlanner {
  Scenario& s;
  Random& rng;
  int nodataDate = -1;

  bool sceneValid(Pt canvasPt, int k) const {
    const Pt p = s.toScene(canvasPt, k);
    if (p.x < 6 || p.y < 6 || p.x > s.size - 7 || p.y > s.size - 7) return false;
    if (k == nodataDate) {
      const double c = kNodataCornerFrac * s.size;
      if ((p.x + (s.size - p.y) - c) / std::sqrt(2.0) < kEdgeMarginPx) return false;
    }
    return true;
  }

  // Points every ~2 px along the outline of a polygon, and its first vertex's centre.
  static void outlineSamples(const std::vector<Pt>& poly, std::vector<Pt>& out) {
    for (size_t i = 0; i < poly.size(); ++i) {
      const Pt a = poly[i], b = poly[(i + 1) % poly.size()];
      const int n = std::max(1, static_cast<int>(std::hypot(b.x - a.x, b.y - a.y) / 2));
      for (int j = 0; j < n; ++j) out.push_back(a + (b - a) * (static_cast<double>(j) / n));
    }
  }

  // The hull (and wake) on water at least `landMarginPx` from land, inside date k's valid scene,
  // and clear of the other ships (and their wakes) of the date.
  bool placeable(const Ship& ship, int k, const std::vector<int>& present,
                 double landMarginPx = kLandMarginPx) const {
    std::vector<Pt> samples{ship.center};
    outlineSamples(ship.hull(), samples);
    if (ship.wakePx > 0) outlineSamples(ship.wake(), samples);
    for (const auto& p : samples) {
      const int x = static_cast<int>(std::lround(p.x)), y = static_cast<int>(std::lround(p.y));
      if (x < 0 || y < 0 || x >= s.canvas || y >= s.canvas) return false;
      if (s.waterDistPx.at<float>(y, x) < landMarginPx) return false;
      if (!sceneValid(p, k)) return false;
    }
    for (int idx : present) {
      const Ship& o = s.ships[idx];
      if (o.id == ship.id) continue;
      const double d = segmentDistance(ship.tailEnd(), ship.bowEnd(), o.tailEnd(), o.bowEnd());
      if (d < (ship.widthPx + o.widthPx) / 2 + kShipGapPx) return false;
    }
    return true;
  }

  // Size from the length, and the hull's brightness (SAR hulls are always bright).
  void dress(Ship& sh, double lengthM) {
    sh.lengthPx = lengthM / s.pixelM;
    sh.widthPx = std::max(lengthM / 6.0 / s.pixelM, 2.0);
    sh.bright = s.sensor == SimSensor::Sar ? true : rng.chance(0.75);
    sh.shade = sh.bright ? rng.uniformInt(0, 7) : rng.uniformInt(0, 3);
  }

  Ship randomShip() {
    Ship sh;
    const double maxLenM = std::min(300.0, 0.12 * s.size * s.pixelM);
    dress(sh, std::exp(rng.uniform(std::log(20.0), std::log(maxLenM))));
    if (rng.chance(0.5) && !s.piers.empty()) {
      // Moored off a pier, parallel to it.
      const Pier& p = s.piers[rng.uniformInt(0, static_cast<int>(s.piers.size()) - 1)];
      const double side = rng.chance(0.5) ? -1.0 : 1.0;
      const double along = rng.uniform(0.0, 1.0);
      sh.center = {p.tip.x + (p.root.x - p.tip.x) * along,
                   p.tip.y + side * (p.widthPx / 2 + sh.widthPx / 2 + kLandMarginPx + 1.5)};
      sh.bowDeg = rng.chance(0.5) ? 90.0 : 270.0;
    } else {
      sh.center = {rng.uniform(kMarginPx, s.coastX(s.canvas / 2.0)),
                   rng.uniform(kMarginPx, kMarginPx + s.size)};
      sh.bowDeg = rng.uniform(0.0, 360.0);
    }
    return sh;
  }

  int add(Ship sh) {
    sh.id = static_cast<int>(s.ships.size()) + 1;
    s.ships.push_back(sh);
    return static_cast<int>(s.ships.size()) - 1;
  }

  // Tries up to `attempts` random ships; returns the index or -1.
  int arrive(int k, const std::vector<int>& present, int attempts = 300) {
    for (int a = 0; a < attempts; ++a) {
      Ship sh = randomShip();
      sh.id = static_cast<int>(s.ships.size()) + 1;
      if (placeable(sh, k, present)) return add(sh);
    }
    return -1;
  }

  // A ship whose hull straddles a 512-px tile border on every date.
  void tileBorderShips(std::vector<int>& present) {
    auto tryPlace = [&](Pt sceneCenter, double baseDeg) {
      for (int a = 0; a < 200; ++a) {
        Ship sh;
        dress(sh, rng.uniform(60.0, 150.0));
        const double yawDeg = rng.uniform(-25.0, 25.0);
        const double flipDeg = rng.chance(0.5) ? 180 : 0;
        sh.bowDeg = std::fmod(baseDeg + yawDeg + flipDeg + 360, 360);
        sh.center = {sceneCenter.x + kMarginPx + rng.uniform(-60.0, 60.0) * (baseDeg == 0 ? 1 : 0),
                     sceneCenter.y + kMarginPx + rng.uniform(-60.0, 60.0) * (baseDeg == 0 ? 0 : 1)};
        sh.tileBorder = true;
        sh.id = static_cast<int>(s.ships.size()) + 1;
        bool ok = true;
        for (int k = 0; k < static_cast<int>(s.dates.size()) && ok; ++k)
          ok = placeable(sh, k, present);
        if (ok) {
          present.push_back(add(sh));
          return;
        }
      }
    };
    if (s.size > 600) tryPlace({0.2 * s.size, static_cast<double>(kTilePx)}, 0.0);
    if (s.size >= 1600) tryPlace({static_cast<double>(kTilePx), 0.3 * s.size}, 90.0);
  }

  // A ship parallel to the nodata diagonal, kEdgeMarginPx + a little inside the valid area.
  void nodataEdgeShip(int k, std::vector<int>& present) {
    const double c = kNodataCornerFrac * s.size;
    const Pt inward{std::sqrt(0.5), -std::sqrt(0.5)};
    for (int a = 0; a < 300; ++a) {
      Ship sh;
      dress(sh, rng.uniform(40.0, 160.0));
      sh.bowDeg = rng.chance(0.5) ? 135.0 : 315.0;
      const double t = rng.uniform(0.3, 0.7);
      const Pt onEdge{c * t, s.size - c * (1 - t)};
      const Pt scene = onEdge + inward * (kEdgeMarginPx + sh.widthPx / 2 + 2.0);
      sh.center = scene + Pt(kMarginPx, kMarginPx) - s.dates[k].shift;
      sh.nodataEdge = true;
      sh.id = static_cast<int>(s.ships.size()) + 1;
      if (placeable(sh, k, present)) {
        present.push_back(add(sh));
        return;
      }
    }
  }

  // Issue 16's harder cases, one of each per date (drawn from their own random stream, so the
  // other ships of a seed stay where they were):
  // a ship against a pier, with no water between hull and pier;
  void berthedShip(int k, std::vector<int>& present) {
    for (int a = 0; a < 300 && !s.piers.empty(); ++a) {
      Ship sh;
      dress(sh, rng.uniform(60.0, 150.0));
      const Pier& p = s.piers[rng.uniformInt(0, static_cast<int>(s.piers.size()) - 1)];
      const double side = rng.chance(0.5) ? -1.0 : 1.0;
      const double along = rng.uniform(0.2, 0.8);
      sh.center = {p.tip.x + (p.root.x - p.tip.x) * along,
                   p.tip.y + side * (p.widthPx / 2 + sh.widthPx / 2)};
      sh.bowDeg = rng.chance(0.5) ? 90.0 : 270.0;
      sh.berthed = true;
      // The hull's pier side touches the pier: check a hull 2 px narrower (1 px off each side).
      Ship inner = sh;
      inner.widthPx -= 2.0;
      if (inner.widthPx >= 1.0 && placeable(inner, k, present, 0.5)) {
        present.push_back(add(sh));
        return;
      }
    }
  }

  // A ship-to-ship transfer at anchor: two parallel hulls 18 m apart (the second within 8 degrees
  // of the first), both at least 60 m, in the port's water at least 300 m from land (the config
  // sets the rules' shore distance to 250 m for this harbour scale).
  void stsPair(int k, std::vector<int>& present) {
    auto farFromLand = [&](Pt p) {
      const int x = static_cast<int>(std::lround(p.x)), y = static_cast<int>(std::lround(p.y));
      return x >= 0 && y >= 0 && x < s.canvas && y < s.canvas &&
             s.waterDistPx.at<float>(y, x) >= 300.0 / s.pixelM;
    };
    for (int a = 0; a < 2000; ++a) {
      Ship first, second;
      dress(first, rng.uniform(120.0, 200.0));
      dress(second, rng.uniform(60.0, 100.0));
      first.center = {rng.uniform(s.portPx.x, s.portPx.br().x),
                      rng.uniform(s.portPx.y, s.portPx.br().y)};
      first.bowDeg = rng.uniform(0.0, 360.0);
      const Pt d = axisOf(first.bowDeg), n{-d.y, d.x};
      second.center = first.center + n * ((first.widthPx + second.widthPx) / 2 + 18.0 / s.pixelM);
      second.bowDeg = std::fmod(first.bowDeg + rng.uniform(-8.0, 8.0) + 360.0, 360.0);
      // Each is checked against the date's other ships, not against its partner.
      if (!farFromLand(first.center) || !farFromLand(second.center) ||
          !placeable(first, k, present) || !placeable(second, k, present)) {
        continue;
      }
      const int i = add(first), j = add(second);
      s.ships[i].stsPartner = s.ships[j].id;
      s.ships[j].stsPartner = s.ships[i].id;
      present.push_back(i);
      present.push_back(j);
      return;
    }
  }

  // A ship of lengthM in [minM, maxM) anywhere west of the coast, any heading (not yet placed).
  Ship openWaterShip(double minM, double maxM) {
    Ship sh;
    dress(sh, rng.uniform(minM, maxM));
    sh.center = {rng.uniform(kMarginPx, s.coastX(s.canvas / 2.0)),
                 rng.uniform(kMarginPx, kMarginPx + s.size)};
    sh.bowDeg = rng.uniform(0.0, 360.0);
    return sh;
  }

  // a ship underway in open water, its foam wake three hull lengths long;
  void underwayShip(int k, std::vector<int>& present) {
    for (int a = 0; a < 300; ++a) {
      Ship sh = openWaterShip(80.0, 180.0);
      sh.wakePx = 3.0 * sh.lengthPx;
      if (placeable(sh, k, present)) {
        present.push_back(add(sh));
        return;
      }
    }
  }

  // and on a cloudy date, a ship in the clear within 20 px of a cloud: its background window
  // holds cloud, which must not decide it.
  void besideCloudShip(int k, const cv::Mat& cloudDistPx, std::vector<int>& present) {
    for (int a = 0; a < 2000; ++a) {
      Ship sh = openWaterShip(40.0, 120.0);
      std::vector<Pt> samples{sh.center};
      outlineSamples(sh.hull(), samples);
      double nearest = 1e9;
      for (const auto& p : samples) {
        const Pt q = s.toScene(p, k);
        const int x = static_cast<int>(std::lround(q.x)), y = static_cast<int>(std::lround(q.y));
        if (x < 0 || y < 0 || x >= s.size || y >= s.size) {
          nearest = -1;
          break;
        }
        nearest = std::min(nearest, static_cast<double>(cloudDistPx.at<float>(y, x)));
      }
      if (nearest < 3.0 || nearest > 20.0 || !placeable(sh, k, present)) continue;
      sh.besideCloud = true;
      present.push_back(add(sh));
      return;
    }
  }
};

cv::Mat cloudAlpha(const Scenario& s, int k);

// The berthed, underway and beside-cloud ships of every date (ShipPlanner's harder cases), and
// with `stsPair` (simulate --ais: the pair is an AIS case) a ship-to-ship transfer pair on date 0.
void planHardShips(Scenario& s, int nodataDate, bool stsPair) {
  Random rng(subSeed(s.seed, 0x5b1b));
  ShipPlanner planner{s, rng, nodataDate};
  for (int k = 0; k < static_cast<int>(s.dates.size()); ++k) {
    std::vector<int>& present = s.dates[k].ships;
    planner.berthedShip(k, present);
    planner.underwayShip(k, present);
    if (s.dates[k].clouds) {
      const cv::Mat clear = cloudAlpha(s, k) <= 0.02f;
      cv::Mat dist;
      cv::distanceTransform(clear, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE);
      planner.besideCloudShip(k, dist, present);
    }
    std::sort(present.begin(), present.end());
  }
  if (!stsPair) return;
  planner.stsPair(0, s.dates[0].ships);
  std::sort(s.dates[0].ships.begin(), s.dates[0].ships.end());
}

void planShips(Scenario& s, Random& rng, int nodataDate) {
  ShipPlanner planner{s, rng, nodataDate};
  const int nDates = static_cast<int>(s.dates.size());
  const int lo = s.size >= 2048 ? 5 : s.size >= 1024 ? 4 : 3;
  const int hi = s.size >= 2048 ? 12 : s.size >= 1024 ? 8 : 5;
  std::vector<int> previous;
  for (int k = 0; k < nDates; ++k) {
    std::vector<int> present;
    if (k == 0) {
      planner.tileBorderShips(present);
    } else {
      std::vector<int> leavers;
      for (int idx : previous) {
        const Ship& sh = s.ships[idx];
        const bool stays = sh.tileBorder || rng.chance(0.6);
        if (stays && planner.placeable(sh, k, present)) {
          present.push_back(idx);
        } else {
          leavers.push_back(idx);
        }
      }
      // Always some departures when there is traffic, so that counts and positions change.
      if (leavers.empty()) {
        for (size_t i = 0; i < present.size(); ++i) {
          if (!s.ships[present[i]].tileBorder) {
            present.erase(present.begin() + static_cast<long>(i));
            break;
          }
        }
      }
    }
    if (k == nodataDate) planner.nodataEdgeShip(k, present);
    const int target = rng.uniformInt(lo, hi);
    int arrivals = 0;
    for (int tries = 0;
         tries < 50 && (static_cast<int>(present.size()) < target || (k > 0 && arrivals == 0));
         ++tries) {
      const int idx = planner.arrive(k, present);
      if (idx >= 0) {
        present.push_back(idx);
        ++arrivals;
      }
    }
    std::sort(present.begin(), present.end());
    s.dates[k].ships = present;
    previous = present;
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering one date

struct RenderedDate {
  cv::Mat ignore;      // CV_8U scene: 255 where a change map must not decide (nodata, cloud, ships)
  cv::Mat cloudAlpha;  // CV_32F scene
  double cloudFraction = 0.0;
  double nodataFraction = 0.0;
};

void drawShip(cv::Mat& material, const Ship& sh) {
  if (sh.wakePx > 0) fillPolygon(material, sh.wake(), kWake);
  fillPolygon(material, sh.hull(), sh.bright ? kShipBright0 + sh.shade : kShipDark0 + sh.shade);
  if (sh.bright && sh.lengthPx >= 20) {
    const Pt d = axisOf(sh.bowDeg);
    fillPolygon(material,
                orientedRect(sh.center - d * (0.28 * sh.lengthPx), sh.bowDeg, 0.15 * sh.lengthPx,
                             0.6 * sh.widthPx),
                kSuperstructure);
  }
}

cv::Mat dateMaterial(const Scenario& s, int k) {
  cv::Mat m = s.staticMaterial.clone();
  for (const auto& b : s.buildings) {
    if (b.standsAt(k)) {
      fillPolygon(m, b.corners(), b.roof);
    } else if (k >= b.demolishedAt) {
      fillPolygon(m, b.corners(), kRubble);
    }
  }
  for (int idx : s.dates[k].ships) drawShip(m, s.ships[idx]);
  return m;
}

// Material map -> band values on the canvas (before shift and nuisances).
std::vector<cv::Mat> materialToBands(const Scenario& s, const cv::Mat& material) {
  const int C = s.canvas;
  const auto& tab = materials();
  const int nb = s.sensor == SimSensor::Optical ? 4 : 1;
  std::vector<cv::Mat> bands(nb);
  for (auto& b : bands) b.create(C, C, CV_32F);
  tbb::parallel_for(tbb::blocked_range<int>(0, C, 32), [&](const tbb::blocked_range<int>& r) {
    for (int y = r.begin(); y < r.end(); ++y) {
      const std::uint8_t* mat = material.ptr<std::uint8_t>(y);
      const float* mix = s.mix.ptr<float>(y);
      const float* tex = s.tex.ptr<float>(y);
      const float* sw = s.swell.ptr<float>(y);
      std::array<float*, 4> out{};
      for (int b = 0; b < nb; ++b) out[b] = bands[b].ptr<float>(y);
      for (int x = 0; x < C; ++x) {
        const int m = mat[x];
        if (nb == 4) {
          if (m == kLand) {
            for (int b = 0; b < 4; ++b)
              out[b][x] = (kVegetation[b] + (kSoil[b] - kVegetation[b]) * mix[x]) * tex[x];
          } else if (m == kWater) {
            for (int b = 0; b < 4; ++b) out[b][x] = tab.optical[m][b] * (1.0f + 0.04f * sw[x]);
          } else {
            const float t = 1.0f + 0.5f * (tex[x] - 1.0f);
            for (int b = 0; b < 4; ++b) out[b][x] = tab.optical[m][b] * t;
          }
        } else {
          if (m == kLand) {
            out[0][x] = (kSarVegetation + (kSarSoil - kSarVegetation) * mix[x]) * tex[x];
          } else if (m == kWater) {
            out[0][x] = tab.sar[m] * (1.0f + 0.3f * sw[x]);
          } else {
            out[0][x] = tab.sar[m] * (1.0f + 0.5f * (tex[x] - 1.0f));
          }
        }
      }
    }
  });
  return bands;
}

cv::Mat shiftToScene(const Scenario& s, const cv::Mat& canvas, Pt shift, int interpolation,
                     double border = 0.0) {
  if (shift.x == 0.0 && shift.y == 0.0) {
    return canvas(cv::Rect(kMarginPx, kMarginPx, s.size, s.size)).clone();
  }
  const cv::Matx23d m(1, 0, kMarginPx - shift.x, 0, 1, kMarginPx - shift.y);
  cv::Mat out;
  cv::warpAffine(canvas, out, m, cv::Size(s.size, s.size), interpolation | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, cv::Scalar::all(border));
  return out;
}

// Cloud opacity on the scene grid: a few feathered blobs away from the facility.
cv::Mat cloudAlpha(const Scenario& s, int k) {
  Random rng(subSeed(s.seed, 0xc1, static_cast<std::uint64_t>(k)));
  const int S = s.size;
  cv::Mat alpha(S, S, CV_32F, cv::Scalar(0));
  cv::Mat noise = smoothNoise(rng, cv::Size(S, S), std::max(8.0, 0.02 * S));
  cv::Rect2d facilityScene(s.facilityPx.x - kMarginPx, s.facilityPx.y - kMarginPx,
                           s.facilityPx.width, s.facilityPx.height);
  const int blobs = rng.uniformInt(2, 4);
  for (int bIdx = 0, attempt = 0; bIdx < blobs && attempt < 500; ++attempt) {
    const double r = rng.uniform(0.05, 0.10) * S;
    const Pt c{rng.uniform(0.0, S), rng.uniform(0.0, S)};
    const double reach = 1.8 * r;
    // Keep the facility (tanks and changes) clear, so the change tests keep their positives.
    const double dx = std::max({facilityScene.x - c.x, 0.0, c.x - facilityScene.br().x});
    const double dy = std::max({facilityScene.y - c.y, 0.0, c.y - facilityScene.br().y});
    if (std::hypot(dx, dy) < reach + 4) continue;
    ++bIdx;
    const int x0 = std::max(0, static_cast<int>(c.x - reach)),
              x1 = std::min(S, static_cast<int>(c.x + reach) + 1);
    const int y0 = std::max(0, static_cast<int>(c.y - reach)),
              y1 = std::min(S, static_cast<int>(c.y + reach) + 1);
    for (int y = y0; y < y1; ++y) {
      float* a = alpha.ptr<float>(y);
      const float* n = noise.ptr<float>(y);
      for (int x = x0; x < x1; ++x) {
        const double d = std::hypot(x - c.x, y - c.y) / r;
        const double v = std::exp(-d * d) + 0.30 * n[x];
        const double t = std::clamp((v - 0.35) / 0.25, 0.0, 1.0);
        a[x] = std::max(a[x], static_cast<float>(t * t * (3 - 2 * t)));
      }
    }
  }
  return alpha;
}

bool inNodataCorner(const Scenario& s, int x, int y) {
  // Pixel centre (x + 0.5, y + 0.5) in GDAL terms; the diagonal cuts the bottom-left corner.
  return (x + 0.5) + (s.size - (y + 0.5)) < kNodataCornerFrac * s.size;
}

// GDAL 3.6 has no GDALDataset::Close(); a failed flush shows up as the last CPL error.
void closeChecked(tiles::GdalDataset& ds, const fs::path& path) {
  CPLErrorReset();
  ds.reset();
  if (CPLGetLastErrorType() == CE_Failure) {
    throw Error(path.string() + ": close failed: " + tiles::lastGdalError());
  }
}

// GTiff creation options of every simulated raster: kTilePx tiles, DEFLATE.
CPLStringList tiledDeflateOptions() {
  CPLStringList opts;
  opts.SetNameValue("TILED", "YES");
  opts.SetNameValue("BLOCKXSIZE", std::to_string(kTilePx).c_str());
  opts.SetNameValue("BLOCKYSIZE", std::to_string(kTilePx).c_str());
  opts.SetNameValue("COMPRESS", "DEFLATE");
  return opts;
}

void writeScene(const Scenario& s, int k, const std::vector<cv::Mat>& bands,
                const cv::Mat& cloudBand, const fs::path& path, const std::array<double, 6>& gt,
                const std::string& wkt) {
  const int S = s.size;
  const bool optical = s.sensor == SimSensor::Optical;
  const int nb = optical ? 5 : 1;
  auto* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
  CPLStringList opts = tiledDeflateOptions();
  opts.SetNameValue("ZLEVEL", "1");
  opts.SetNameValue("PREDICTOR", optical ? "2" : "3");
  opts.SetNameValue("INTERLEAVE", "PIXEL");
  cw::produceFileAtomic(path, [&](const fs::path& tmp) {
    tiles::GdalDataset ds(
        driver->Create(tmp.c_str(), S, S, nb, optical ? GDT_UInt16 : GDT_Float32, opts.List()));
    if (!ds) throw Error(path.string() + ": cannot create: " + tiles::lastGdalError());
    auto g = gt;
    ds->SetGeoTransform(g.data());
    ds->SetProjection(wkt.c_str());
    ds->SetMetadataItem("TIFFTAG_DATETIME", s.dates[k].tiffTime.c_str());
    ds->SetMetadataItem("ACQUISITION_DATETIME", s.dates[k].iso.c_str());
    ds->SetMetadataItem("SIMULATOR_SEED", std::to_string(s.seed).c_str());
    static const char* kNames[] = {"blue", "green", "red", "nir", "cloud"};
    CPLErr err = CE_None;
    if (optical) {
      std::vector<std::uint16_t> buf(static_cast<size_t>(S) * S * nb);
      tbb::parallel_for(0, S, [&](int y) {
        std::uint16_t* row = buf.data() + static_cast<size_t>(y) * S * nb;
        for (int b = 0; b < 4; ++b) {
          const float* in = bands[b].ptr<float>(y);
          for (int x = 0; x < S; ++x) {
            row[static_cast<size_t>(x) * nb + b] = static_cast<std::uint16_t>(std::lround(in[x]));
          }
        }
        const std::uint8_t* cl = cloudBand.ptr<std::uint8_t>(y);
        for (int x = 0; x < S; ++x) row[static_cast<size_t>(x) * nb + 4] = cl[x];
      });
      for (int b = 0; b < nb; ++b) {
        auto* band = ds->GetRasterBand(b + 1);
        band->SetDescription(kNames[b]);
        band->SetNoDataValue(0);
      }
      err = ds->RasterIO(GF_Write, 0, 0, S, S, buf.data(), S, S, GDT_UInt16, nb, nullptr,
                         static_cast<GSpacing>(nb) * 2, static_cast<GSpacing>(S) * nb * 2, 2,
                         nullptr);
    } else {
      auto* band = ds->GetRasterBand(1);
      band->SetDescription("vv");
      band->SetNoDataValue(0);
      band->SetMetadataItem("UNITS", "linear sigma0");
      cv::Mat contiguous = bands[0].isContinuous() ? bands[0] : bands[0].clone();
      err = band->RasterIO(GF_Write, 0, 0, S, S, contiguous.data, S, S, GDT_Float32, 0, 0, nullptr);
    }
    if (err != CE_None) throw Error(path.string() + ": write failed: " + tiles::lastGdalError());
    closeChecked(ds, path);
  });
}

RenderedDate renderDate(const Scenario& s, int k, const fs::path& path,
                        const std::array<double, 6>& gt, const std::string& wkt) {
  const int S = s.size;
  const DateSetup& date = s.dates[k];
  const bool optical = s.sensor == SimSensor::Optical;
  RenderedDate out;

  const auto t0 = std::chrono::steady_clock::now();
  auto lap = [t0, k](const char* what) {
    log::debug("simulate: date " + std::to_string(k) + " " + what + " done at " +
               std::to_string(
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()) +
               " s");
  };
  const cv::Mat material = dateMaterial(s, k);
  std::vector<cv::Mat> canvasBands = materialToBands(s, material);
  std::vector<cv::Mat> bands(canvasBands.size());
  tbb::parallel_for(0, static_cast<int>(canvasBands.size()), [&](int b) {
    // The sensor's point spread function: real images are band-limited, so edges are not
    // razor-sharp and a sub-pixel shift resamples them as it would in real imagery.
    cv::GaussianBlur(canvasBands[b], canvasBands[b], cv::Size(5, 5), kPsfSigmaPx, kPsfSigmaPx,
                     cv::BORDER_REFLECT);
    // Lanczos rather than bilinear: on band-limited content it shifts without the extra blur of
    // a linear interpolation, like a sensor sampling a displaced scene (a co-registration then
    // resamples once, as it would on real data).
    bands[b] = shiftToScene(s, canvasBands[b], date.shift, cv::INTER_LANCZOS4);
  });
  canvasBands.clear();
  lap("bands");

  out.cloudAlpha = date.clouds ? cloudAlpha(s, k) : cv::Mat(S, S, CV_32F, cv::Scalar(0));
  cv::Mat cloudBand = out.cloudAlpha > 0.02f;  // 255 where cloud
  cv::Mat nodata(S, S, CV_8U, cv::Scalar(0));
  if (date.nodataCorner) {
    for (int y = 0; y < S; ++y) {
      for (int x = 0; x < S; ++x) {
        if (inNodataCorner(s, x, y)) nodata.at<std::uint8_t>(y, x) = 255;
      }
    }
  }

  const auto& g = date.gain;
  const auto& o = date.offset;
  forRowBlocks(S, subSeed(s.seed, 0x5e, static_cast<std::uint64_t>(k)),
               [&](Random& rng, int y0, int y1) {
                 for (int y = y0; y < y1; ++y) {
                   const float* a = out.cloudAlpha.ptr<float>(y);
                   const std::uint8_t* nd = nodata.ptr<std::uint8_t>(y);
                   if (optical) {
                     for (int b = 0; b < 4; ++b) {
                       float* v = bands[b].ptr<float>(y);
                       for (int x = 0; x < S; ++x) {
                         float val = v[x] * (1.0f - a[x]) + kCloud[b] * a[x];
                         val = static_cast<float>(g[b] * val + o[b]) + 15.0f * rng.fastNormal();
                         v[x] = nd[x] ? 0.0f : std::clamp(val, 1.0f, 65535.0f);
                       }
                     }
                   } else {
                     float* v = bands[0].ptr<float>(y);
                     for (int x = 0; x < S; ++x) {
                       const float val = static_cast<float>(g[0] * v[x]) * rng.gammaUnitMean(4);
                       v[x] = nd[x] ? 0.0f : std::max(val, 1e-6f);
                     }
                   }
                 }
               });
  lap("nuisances");
  cloudBand.setTo(0, nodata);
  cv::Mat cloud01;
  cloudBand.convertTo(cloud01, CV_8U, 1.0 / 255.0);
  writeScene(s, k, bands, cloud01, path, gt, wkt);
  lap("write");

  out.cloudFraction =
      static_cast<double>(cv::countNonZero(cloudBand)) / (static_cast<double>(S) * S);
  out.nodataFraction = static_cast<double>(cv::countNonZero(nodata)) / (static_cast<double>(S) * S);

  // Where a change map must not decide: nodata, cloud (+1 px), ships (+2 px), all in this
  // date's drawn frame.
  cv::Mat ships(S, S, CV_8U, cv::Scalar(0));
  for (int idx : date.ships) {
    std::vector<Pt> hull;
    for (const auto& p : s.ships[idx].hull()) hull.push_back(s.toScene(p, k));
    fillPolygon(ships, hull, 255);
  }
  const cv::Mat k5 = cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5});
  const cv::Mat k3 = cv::getStructuringElement(cv::MORPH_RECT, {3, 3});
  cv::dilate(ships, ships, k5);
  cv::Mat cloudGrown;
  cv::dilate(cloudBand, cloudGrown, k3);
  out.ignore = ships | cloudGrown | nodata;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Output helpers

class GeoFrame {
 public:
  GeoFrame(const Scenario& s, const std::array<double, 6>& gt)
      : m_gt(gt), m_wgs(tiles::wgs84Srs()) {
    m_utm.importFromEPSG(kSimEpsg);
    m_utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    m_toWgs.reset(OGRCreateCoordinateTransformation(&m_utm, &m_wgs));
    if (!m_toWgs) throw Error("simulate: cannot create the UTM -> WGS84 transformation");
    (void)s;
  }
  std::string wkt() const {
    char* w = nullptr;
    m_utm.exportToWkt(&w);
    std::string out = w ? w : "";
    CPLFree(w);
    return out;
  }
  // GDAL pixel/line coordinates -> lon, lat.
  Pt lonLat(Pt gdalPx) const {
    double x = m_gt[0] + gdalPx.x * m_gt[1] + gdalPx.y * m_gt[2];
    double y = m_gt[3] + gdalPx.x * m_gt[4] + gdalPx.y * m_gt[5];
    if (!m_toWgs->Transform(1, &x, &y)) throw Error("simulate: coordinate transformation failed");
    return {x, y};
  }

 private:
  std::array<double, 6> m_gt;
  OGRSpatialReference m_utm, m_wgs;
  std::unique_ptr<OGRCoordinateTransformation> m_toWgs;
};

// OpenCV pixel-centre coordinates -> GDAL pixel/line coordinates.
Pt gdalPx(Pt cvPt) {
  return {cvPt.x + 0.5, cvPt.y + 0.5};
}

double round6(double v) {
  return std::round(v * 1e6) / 1e6;
}
double round9(double v) {
  return std::round(v * 1e9) / 1e9;
}

Json lonLatJson(Pt ll) {
  return Json::array({round9(ll.x), round9(ll.y)});
}

void writeByteMask(const cv::Mat& mask, const fs::path& path, const std::array<double, 6>& gt,
                   const std::string& wkt) {
  auto* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
  CPLStringList opts = tiledDeflateOptions();
  cw::produceFileAtomic(path, [&](const fs::path& tmp) {
    tiles::GdalDataset ds(
        driver->Create(tmp.c_str(), mask.cols, mask.rows, 1, GDT_Byte, opts.List()));
    if (!ds) throw Error(path.string() + ": cannot create: " + tiles::lastGdalError());
    auto g = gt;
    ds->SetGeoTransform(g.data());
    ds->SetProjection(wkt.c_str());
    auto* band = ds->GetRasterBand(1);
    band->SetDescription("change: 1 = change, 0 = no change, 255 = no decision");
    band->SetNoDataValue(255);
    cv::Mat m = mask.isContinuous() ? mask : mask.clone();
    if (band->RasterIO(GF_Write, 0, 0, m.cols, m.rows, m.data, m.cols, m.rows, GDT_Byte, 0, 0,
                       nullptr) != CE_None) {
      throw Error(path.string() + ": write failed: " + tiles::lastGdalError());
    }
    closeChecked(ds, path);
  });
}

std::string fmt(double v, int decimals) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

std::string ringYaml(const std::vector<Pt>& ring) {
  std::string out = "[";
  for (size_t i = 0; i < ring.size(); ++i) {
    if (i) out += ", ";
    out += "[" + fmt(ring[i].x, 7) + ", " + fmt(ring[i].y, 7) + "]";
  }
  return out + "]";
}

// RFC 7946 exterior rings run counter-clockwise (lon east, lat north). `ring` is open or closed.
void makeCounterClockwise(std::vector<Pt>& ring) {
  double area2 = 0.0;
  for (size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    area2 += (ring[j].x * ring[i].y - ring[i].x * ring[j].y);
  }
  if (area2 < 0) std::reverse(ring.begin(), ring.end());
}

// ---------------------------------------------------------------------------------------------
// The steps of simulateScenes

// Refuses options outside the simulator's ranges.
void checkOptions(const SimulatorOptions& o) {
  if (o.outDir.empty()) throw UsageError("simulate: --out is required");
  if (o.sizePx < 256 || o.sizePx > 8192) {
    throw UsageError("simulate: --size must be within 256..8192 px, got " +
                     std::to_string(o.sizePx));
  }
  if (o.dates < 1 || o.dates > 24) {
    throw UsageError("simulate: --dates must be within 1..24, got " + std::to_string(o.dates));
  }
  if (!(o.pixelSizeM >= 0.5 && o.pixelSizeM <= 30.0)) {
    throw UsageError("simulate: pixel size must be within 0.5..30 m");
  }
}

// The dates (monthly from 2025-03-01), their shifts and radiometry drawn from rng in date order,
// and which date has the nodata corner and which the clouds.
void planDates(Scenario& s, Random& rng, int nDates, int nodataDate, int cloudDate) {
  for (int k = 0; k < nDates; ++k) {
    DateSetup d;
    int y = 2025, m = 3 + k;
    while (m > 12) {
      m -= 12;
      ++y;
    }
    d.isoDate = std::to_string(y) + "-" + two(m) + "-01";
    d.iso = d.isoDate + "T10:30:00Z";
    d.compact = std::to_string(y) + two(m) + "01";
    d.tiffTime = std::to_string(y) + ":" + two(m) + ":01 10:30:00";
    if (k > 0) {
      d.shift = {std::round(rng.uniform(-kMaxShiftPx, kMaxShiftPx) * 32) / 32,
                 std::round(rng.uniform(-kMaxShiftPx, kMaxShiftPx) * 32) / 32};
    }
    for (int b = 0; b < 4; ++b) {
      if (s.sensor == SimSensor::Optical) {
        d.gain[b] = std::round(rng.uniform(0.85, 1.15) * 1e4) / 1e4;
        d.offset[b] = std::round(rng.uniform(-150.0, 150.0));
      } else {
        d.gain[b] = b == 0 ? std::round(rng.uniform(0.9, 1.1) * 1e4) / 1e4 : 1.0;
      }
    }
    d.nodataCorner = k == nodataDate;
    d.clouds = k == cloudDate;
    s.dates.push_back(d);
  }
}

// The AOIs in WGS84 (port box, facility ring, port water ring) as truth.json and config.yaml give
// them.
struct AoiGeometry {
  std::array<double, 4> portBbox{1e9, 1e9, -1e9, -1e9};      // rounded to 1e-6
  std::vector<Pt> facilityRing;                              // rounded to 1e-9, closed
  std::array<double, 4> facilityBbox{1e9, 1e9, -1e9, -1e9};  // of the rounded ring
  std::vector<Pt> waterRing;                                 // closed; empty without water

  bool inPort(Pt ll) const {
    return ll.x >= portBbox[0] && ll.x <= portBbox[2] && ll.y >= portBbox[1] && ll.y <= portBbox[3];
  }
};

// The closed WGS84 ring of a canvas rectangle, counter-clockwise from its south-west corner.
std::vector<Pt> ringOfRect(const GeoFrame& geo, const cv::Rect2d& canvasRect) {
  const Pt a = gdalPx(canvasRect.tl() - Pt(kMarginPx, kMarginPx) - Pt(0.5, 0.5));
  const Pt b = gdalPx(canvasRect.br() - Pt(kMarginPx, kMarginPx) - Pt(0.5, 0.5));
  std::vector<Pt> ring{geo.lonLat({a.x, b.y}), geo.lonLat({b.x, b.y}), geo.lonLat({b.x, a.y}),
                       geo.lonLat({a.x, a.y})};
  ring.push_back(ring.front());
  return ring;
}

// Grows the [west, south, east, north] box `bbox` over the points of `ring`.
void growBbox(std::array<double, 4>& bbox, const std::vector<Pt>& ring) {
  for (const auto& p : ring) {
    bbox[0] = std::min(bbox[0], p.x);
    bbox[1] = std::min(bbox[1], p.y);
    bbox[2] = std::max(bbox[2], p.x);
    bbox[3] = std::max(bbox[3], p.y);
  }
}

// Water polygon of the port: the date-0 water inside the port box, eroded by 4 px so that it
// stays on water whatever the date's shift. Empty when the port box holds no water.
std::vector<Pt> portWaterRing(const Scenario& s, const GeoFrame& geo) {
  std::vector<Pt> waterRing;
  cv::Mat water = s.staticMaterial(cv::Rect(kMarginPx, kMarginPx, s.size, s.size)) == kWater;
  cv::Mat box(water.size(), CV_8U, cv::Scalar(0));
  cv::rectangle(box, cv::Rect2d(s.portPx.tl() - Pt(kMarginPx, kMarginPx), s.portPx.size()),
                cv::Scalar(255), cv::FILLED);
  water &= box;
  cv::erode(water, water, cv::getStructuringElement(cv::MORPH_ELLIPSE, {9, 9}));
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(water, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  size_t best = 0;
  for (size_t i = 1; i < contours.size(); ++i) {
    if (cv::contourArea(contours[i]) > cv::contourArea(contours[best])) best = i;
  }
  if (!contours.empty()) {
    std::vector<cv::Point> simple;
    cv::approxPolyDP(contours[best], simple, 1.0, true);
    // findContours traces clockwise in image coordinates = counter-clockwise on the map (y up
    // flips it), which is RFC 7946's exterior orientation.
    for (const auto& p : simple) {
      const Pt ll = geo.lonLat(gdalPx(Pt(p.x, p.y)));
      waterRing.push_back({round9(ll.x), round9(ll.y)});
    }
    makeCounterClockwise(waterRing);
    waterRing.push_back(waterRing.front());
  }
  return waterRing;
}

// AOIs in WGS84.
AoiGeometry aoiGeometry(const Scenario& s, const GeoFrame& geo) {
  AoiGeometry g;
  growBbox(g.portBbox, ringOfRect(geo, s.portPx));
  for (auto& v : g.portBbox) v = std::round(v * 1e6) / 1e6;
  g.facilityRing = ringOfRect(geo, s.facilityPx);
  for (auto& p : g.facilityRing) p = {round9(p.x), round9(p.y)};
  growBbox(g.facilityBbox, g.facilityRing);
  g.waterRing = portWaterRing(s, geo);
  return g;
}

// Whether the pixel of scene point c (clamped into the scene) is under cloud (alpha > 0.3).
bool underCloud(const Scenario& s, const cv::Mat& cloudAlpha, Pt c) {
  const int cx = std::clamp(static_cast<int>(c.x + 0.5), 0, s.size - 1);
  const int cy = std::clamp(static_cast<int>(c.y + 0.5), 0, s.size - 1);
  return cloudAlpha.at<float>(cy, cx) > 0.3f;
}

// truth.json's header: generator, grid, conventions, dates and the scenes' nuisances.
Json truthHeader(const Scenario& s, const SimulatorOptions& o, const std::array<double, 6>& gt,
                 const std::vector<RenderedDate>& rendered) {
  Json truth;
  truth["generator"] = "changewatch simulate";
  truth["seed"] = o.seed;
  truth["epsg"] = kSimEpsg;
  truth["pixel_size_m"] = o.pixelSizeM;
  truth["size_px"] = o.sizePx;
  truth["geotransform"] = Json::array({gt[0], gt[1], gt[2], gt[3], gt[4], gt[5]});
  truth["sensor"] = o.sensor == SimSensor::Optical ? "optical" : "sar";
  truth["conventions"] = {
      {"x_px_y_px",
       "GDAL pixel/line coordinates of the object centre as drawn in that date's scene (pixel "
       "centres at .5)"},
      {"lon_lat", "WGS84, lon first"},
      {"shift_px", "a feature at pixel p of date 0 appears at p + shift_px in this date"},
      {"heading_deg", "hull axis, 0 = north, clockwise, [0, 180)"},
      {"change_masks",
       "Byte on the scene grid in the drawn frame of the pair's BEFORE date: 1 = change "
       "(construction/demolition), 0 = no change, 255 = no decision (nodata or cloud in "
       "either date, ship pixels of either date dilated by 2 px, 1-px band on each side of a "
       "footprint edge). Ships are counted objects, never change."},
      {"changes_polygon", "footprint in the drawn frame of the BEFORE date, WGS84 ring, closed"}};
  Json dates = Json::array();
  for (const auto& d : s.dates) dates.push_back(d.iso);
  truth["dates"] = dates;
  Json scenes = Json::array();
  for (int k = 0; k < static_cast<int>(s.dates.size()); ++k) {
    const auto& d = s.dates[k];
    Json g = Json::array(), off = Json::array();
    const int nb = o.sensor == SimSensor::Optical ? 4 : 1;
    for (int b = 0; b < nb; ++b) {
      g.push_back(d.gain[b]);
      off.push_back(d.offset[b]);
    }
    scenes.push_back({{"date", d.iso},
                      {"path", "scenes/scene_" + d.compact + ".tif"},
                      {"shift_px", Json::array({d.shift.x, d.shift.y})},
                      {"gain", g},
                      {"offset", off},
                      {"cloud_fraction", round6(rendered[k].cloudFraction)},
                      {"nodata_fraction", round6(rendered[k].nodataFraction)},
                      {"nodata_corner", d.nodataCorner},
                      {"clouds", d.clouds}});
  }
  truth["scenes"] = scenes;
  return truth;
}

// Whether ship sh as drawn on date k crosses a tile border, from the drawn hull's extent.
bool crossesTileBorder(const Scenario& s, const Ship& sh, int k) {
  double minX = 1e9, maxX = -1e9, minY = 1e9, maxY = -1e9;
  for (const auto& p : sh.hull()) {
    const Pt q = gdalPx(s.toScene(p, k));
    minX = std::min(minX, q.x);
    maxX = std::max(maxX, q.x);
    minY = std::min(minY, q.y);
    maxY = std::max(maxY, q.y);
  }
  return std::floor(minX / kTilePx) != std::floor(maxX / kTilePx) ||
         std::floor(minY / kTilePx) != std::floor(maxY / kTilePx);
}

// truth.json's entry for ship sh on date k, drawn at lon/lat ll.
Json shipTruth(const Scenario& s, const Ship& sh, int k, double pixelSizeM, Pt ll, bool inCloud,
               bool port) {
  const Pt g = gdalPx(s.toScene(sh.center, k));
  Json j;
  j["date_index"] = k;
  j["id"] = sh.id;
  j["lon"] = round9(ll.x);
  j["lat"] = round9(ll.y);
  j["x_px"] = round6(g.x);
  j["y_px"] = round6(g.y);
  j["length_m"] = round6(sh.lengthPx * pixelSizeM);
  j["width_m"] = round6(sh.widthPx * pixelSizeM);
  j["heading_deg"] = round6(std::fmod(sh.bowDeg, 180.0));
  j["bright"] = sh.bright;
  j["in_cloud"] = inCloud;
  j["crosses_tile_border"] = crossesTileBorder(s, sh, k);
  j["near_nodata_edge"] = sh.nodataEdge && s.dates[k].nodataCorner;
  j["berthed"] = sh.berthed;
  j["beside_cloud"] = sh.besideCloud;
  j["sts_partner"] = sh.stsPartner;
  j["underway"] = sh.wakePx > 0;
  if (sh.wakePx > 0) {
    // The wake runs from the stern to its end, in this date's pixel coordinates.
    const Pt st = gdalPx(s.toScene(sh.sternEnd(), k)), end = gdalPx(s.toScene(sh.tailEnd(), k));
    j["wake"] = {{"stern_px", Json::array({round6(st.x), round6(st.y)})},
                 {"end_px", Json::array({round6(end.x), round6(end.y)})},
                 {"length_m", round6(sh.wakePx * pixelSizeM)}};
  }
  j["aoi"] = port ? Json("port_alpha") : Json(nullptr);
  return j;
}

// truth.json's ships (every ship of every date) and port_counts; returns the most ships visible
// (not under cloud) in the port on one date.
int addShipsTruth(Json& truth, const Scenario& s, double pixelSizeM, const GeoFrame& geo,
                  const AoiGeometry& aois, const std::vector<RenderedDate>& rendered,
                  SimulationResult& result) {
  Json ships = Json::array();
  Json portCounts = Json::array();
  int maxVisiblePort = 0;
  for (int k = 0; k < static_cast<int>(s.dates.size()); ++k) {
    int inAoi = 0, visible = 0;
    for (int idx : s.dates[k].ships) {
      const Ship& sh = s.ships[idx];
      const Pt c = s.toScene(sh.center, k);
      const Pt ll = geo.lonLat(gdalPx(c));
      const bool inCloud = underCloud(s, rendered[k].cloudAlpha, c);
      const bool port = aois.inPort(ll);
      if (port) {
        ++inAoi;
        if (!inCloud) ++visible;
      }
      ships.push_back(shipTruth(s, sh, k, pixelSizeM, ll, inCloud, port));
      ++result.shipsDrawn;
    }
    maxVisiblePort = std::max(maxVisiblePort, visible);
    portCounts.push_back({{"date_index", k}, {"ships_in_aoi", inAoi}, {"ships_visible", visible}});
  }
  truth["ships"] = ships;
  truth["port_counts"] = portCounts;
  return maxVisiblePort;
}

// truth.json's tanks: every tank on every date.
Json tanksTruth(const Scenario& s, double pixelSizeM, const GeoFrame& geo, const AoiGeometry& aois,
                const std::vector<RenderedDate>& rendered) {
  Json tanks = Json::array();
  for (int k = 0; k < static_cast<int>(s.dates.size()); ++k) {
    for (const auto& t : s.tanks) {
      const Pt c = s.toScene(t.center, k);
      const Pt g = gdalPx(c);
      const Pt ll = geo.lonLat(g);
      tanks.push_back(
          {{"date_index", k},
           {"id", t.id},
           {"lon", round9(ll.x)},
           {"lat", round9(ll.y)},
           {"x_px", round6(g.x)},
           {"y_px", round6(g.y)},
           {"diameter_m", round6(t.diameterPx * pixelSizeM)},
           {"in_cloud", underCloud(s, rendered[k].cloudAlpha, c)},
           {"aoi", pointInRing(aois.facilityRing, ll) ? Json("facility_beta") : Json(nullptr)}});
    }
  }
  return tanks;
}

// The footprints (1) of the changes from date k to k + 1 on date k's drawn scene, with their
// truth.json entries appended to `changes`.
cv::Mat changeFootprints(const Scenario& s, int k, double pixelSizeM, const GeoFrame& geo,
                         Json& changes) {
  const int S = s.size;
  cv::Mat footprint(S, S, CV_8U, cv::Scalar(0));
  for (const auto& ch : s.changes) {
    if (ch.fromIndex != k) continue;
    const Building& b = s.buildings[ch.building];
    std::vector<Pt> scenePoly, ring;
    for (const auto& p : b.corners()) scenePoly.push_back(s.toScene(p, k));
    fillPolygon(footprint, scenePoly, 1);
    for (const auto& p : scenePoly) ring.push_back(geo.lonLat(gdalPx(p)));
    makeCounterClockwise(ring);
    Json poly = Json::array();
    for (const auto& p : ring) poly.push_back(lonLatJson(p));
    poly.push_back(lonLatJson(ring.front()));
    changes.push_back({{"from_index", k},
                       {"to_index", k + 1},
                       {"kind", ch.kind},
                       {"polygon", poly},
                       {"area_m2", round6(b.lengthPx * b.widthPx * pixelSizeM * pixelSizeM)},
                       {"building_roof", b.roof == kRoofGrey  ? "grey"
                                         : b.roof == kRoofRed ? "red"
                                                              : "blue"}});
  }
  return footprint;
}

// The truth mask of pair (k, k + 1) in date k's drawn frame: the footprints, 255 on their edges
// and where either date must not decide.
cv::Mat changeMask(const Scenario& s, int k, const cv::Mat& footprint,
                   const std::vector<RenderedDate>& rendered) {
  const int j = k + 1;
  const int S = s.size;
  cv::Mat mask = footprint.clone();
  const cv::Mat k3 = cv::getStructuringElement(cv::MORPH_RECT, {3, 3});
  cv::Mat grown, shrunk;
  cv::dilate(footprint, grown, k3);
  cv::erode(footprint, shrunk, k3);
  mask.setTo(255, grown != shrunk);
  // The after date's no-decision pixels, moved into the before frame.
  const Pt rel = s.dates[k].shift - s.dates[j].shift;
  cv::Mat afterIgnore;
  const cv::Matx23d m(1, 0, -rel.x, 0, 1, -rel.y);
  cv::warpAffine(rendered[j].ignore, afterIgnore, m, cv::Size(S, S),
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, cv::Scalar(255));
  mask.setTo(255, rendered[k].ignore | (afterIgnore > 0));
  return mask;
}

// Change masks, per consecutive pair, in the before date's drawn frame, written to truth/; sets
// truth.json's changes and change_masks.
void writeChangeMasks(Json& truth, const Scenario& s, double pixelSizeM, const GeoFrame& geo,
                      const std::vector<RenderedDate>& rendered, const fs::path& out,
                      const std::array<double, 6>& gt, const std::string& wkt,
                      SimulationResult& result) {
  Json changes = Json::array();
  Json maskPaths = Json::array();
  for (int k = 0; k + 1 < static_cast<int>(s.dates.size()); ++k) {
    const int j = k + 1;
    const cv::Mat footprint = changeFootprints(s, k, pixelSizeM, geo, changes);
    const cv::Mat mask = changeMask(s, k, footprint, rendered);
    const std::string name = "change_" + std::to_string(k) + "_" + std::to_string(j) + ".tif";
    writeByteMask(mask, out / "truth" / name, gt, wkt);
    result.changeMasks.push_back(out / "truth" / name);
    maskPaths.push_back("truth/" + name);
  }
  truth["changes"] = changes;
  truth["change_masks"] = maskPaths;
}

// truth.json's aois: the port box and the facility polygon.
Json aoisTruth(const AoiGeometry& g) {
  Json aois;
  aois["port_alpha"] = {
      {"kind", "port"},
      {"bbox", Json::array({g.portBbox[0], g.portBbox[1], g.portBbox[2], g.portBbox[3]})}};
  Json fpoly = Json::array();
  for (const auto& p : g.facilityRing) fpoly.push_back(lonLatJson(p));
  aois["facility_beta"] = {{"kind", "facility"},
                           {"bbox", Json::array({g.facilityBbox[0], g.facilityBbox[1],
                                                 g.facilityBbox[2], g.facilityBbox[3]})},
                           {"polygon", fpoly}};
  return aois;
}

// declarations.csv without the AIS rows: true, false and unverifiable declarations, with their
// expected verdicts in truth.json's declarations.
std::string declarationsCsv(const Scenario& s, int maxVisiblePort, Json& truth) {
  const int K = static_cast<int>(s.dates.size());
  const std::string first = s.dates.front().isoDate, last = s.dates.back().isoDate;
  const std::string second = s.dates[std::min(1, K - 1)].isoDate;
  std::ostringstream decl;
  decl << "aoi,start,end,metric,value,reference\n";
  decl << "port_alpha," << first << "," << last << ",max_vessels," << maxVisiblePort
       << ",SIM-TRUE-MAXV\n";
  if (K >= 2)
    decl << "facility_beta," << first << "," << last << ",new_construction,some,SIM-TRUE-CONSTR\n";
  decl << "port_alpha," << first << "," << second << ",activity,idle,SIM-FALSE-IDLE\n";
  decl << "port_alpha,2024-06-01,2024-06-30,vessel_calls,3,SIM-NOSCENES\n";
  truth["declarations"] = Json::array(
      {{{"reference", "SIM-TRUE-MAXV"},
        {"expected", "consistent"},
        {"why", "max over dates of port_alpha ships not under cloud"}},
       {{"reference", "SIM-TRUE-CONSTR"},
        {"expected", K >= 2 ? "consistent" : "absent"},
        {"why", "one building is built in facility_beta between each consecutive pair"}},
       {{"reference", "SIM-FALSE-IDLE"},
        {"expected", "discrepancy"},
        {"why", "port_alpha has ships on every date"}},
       {{"reference", "SIM-NOSCENES"},
        {"expected", "unverifiable"},
        {"why", "no scene in 2024-06"}}});
  return decl.str();
}

// config.yaml for the scenes (schema: pipeline/config.hpp, notes/config_schema.md).
std::string configYaml(const Scenario& s, const SimulatorOptions& o, const AoiGeometry& g) {
  const int K = o.dates;
  const std::string first = s.dates.front().isoDate, last = s.dates.back().isoDate;
  const bool optical = o.sensor == SimSensor::Optical;
  std::ostringstream y;
  y << "# Generated by `changewatch simulate --seed " << o.seed << " --size " << o.sizePx
    << " --dates " << K << " --sensor " << (optical ? "optical" : "sar")
    << (o.hardShips ? "" : " --no-hard-ships") << (o.ais ? " --ais" : "") << "`.\n"
    << "# Ground truth for these scenes: truth/truth.json.\n"
    << "output: out\n"
    << "threads: 0\n"
    << "window: {start: " << first << ", end: " << last << "T23:59:59Z}\n"
    << "pairing: {strategy: consecutive, max_gap_days: 400}\n"
    << "scenes:\n"
    << "  - folder: scenes\n"
    << "    glob: \"*.tif\"\n"
    << "    time_pattern: \"_(\\\\d{8})\"\n"
    << "sensor:\n";
  if (optical) {
    y << "  profile: generic\n"
      << "  bands: {blue: 1, green: 2, red: 3, nir: 4}\n"
      << "  cloud_band: 5\n";
  } else {
    y << "  profile: sar\n"
      << "  bands: {vv: 1}\n";
  }
  y << "min_coverage: 0.2\n"
    << "grid: {pixel_size_m: "
    << fmt(o.pixelSizeM, o.pixelSizeM == std::floor(o.pixelSizeM) ? 0 : 2) << ", epsg: " << kSimEpsg
    << ", resampling: bilinear}\n"
    << "tiling: {tile_px: 512, memory_mb: 1024, max_grid_px: 400000000, max_tiles: 100000}\n"
    << "change:\n"
    << "  method: " << (optical ? "irmad" : "logratio") << "\n"
    << "  options: {}\n"
    << "  open_radius_m: " << fmt(o.pixelSizeM, 2) << "\n"
    << "  close_radius_m: " << fmt(o.pixelSizeM, 2) << "\n"
    << "  min_area_m2: 200\n"
    << "aois:\n"
    << "  - id: port_alpha\n"
    << "    name: Port Alpha\n"
    << "    kind: port\n"
    << "    bbox: [" << fmt(g.portBbox[0], 6) << ", " << fmt(g.portBbox[1], 6) << ", "
    << fmt(g.portBbox[2], 6) << ", " << fmt(g.portBbox[3], 6) << "]\n";
  if (!g.waterRing.empty()) y << "    water: " << ringYaml(g.waterRing) << "\n";
  y << "    detectors:\n"
    << "      - name: ships\n"
    << "        options: {}\n"
    << "  - id: facility_beta\n"
    << "    name: Facility Beta\n"
    << "    kind: facility\n"
    << "    polygon: " << ringYaml(g.facilityRing) << "\n"
    << "    detectors:\n"
    << "      - name: tanks\n"
    << "        options: {}\n"
    << "declarations: declarations.csv\n";
  if (o.ais) {
    // Matching radius: the feed's 10 m noise plus the simulator's 3 m pixels, with room.
    y << "ais:\n"
      << "  files: [ais/feed.csv]\n"
      << "  match: {base_radius_m: 100, min_detectable_length_m: 20}\n"
      // The open-sea shore distances of the rules (1 km imagery, 10 km AIS) exceed this
      // harbour: the scene is a few km across and its STS pair anchors at least 300 m from land
      // (stsPair), so every candidate would be rejected. 250 m keeps the pair and still rejects
      // hulls moored off the quays and piers.
      << "  sts:\n"
      << "    hull_pair: {min_shore_distance_m: 250}\n"
      << "    encounter: {min_shore_distance_m: 250}\n";
  }
  return y.str();
}

}  // namespace

// ---------------------------------------------------------------------------------------------

SimulationResult simulateScenes(const SimulatorOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  checkOptions(o);

  Scenario s;
  s.size = o.sizePx;
  s.canvas = o.sizePx + 2 * kMarginPx;
  s.pixelM = o.pixelSizeM;
  s.sensor = o.sensor;
  s.seed = o.seed;
  const int K = o.dates;
  const int nodataDate = K >= 2 ? 1 : 0;
  const int cloudDate = o.sensor == SimSensor::Optical ? std::min(2, K - 1) : -1;

  // One random stream for the dates, the static world, the buildings and the ships, in this order.
  Random rng(subSeed(o.seed, 0x51));
  planDates(s, rng, K, nodataDate, cloudDate);

  auto lap = [t0](const char* what) {
    log::debug(std::string("simulate: ") + what + " done at " +
               std::to_string(
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()) +
               " s");
  };
  buildStaticWorld(s, rng);
  lap("static world");
  planBuildings(s, rng, K);
  planShips(s, rng, nodataDate);
  if (o.hardShips) planHardShips(s, nodataDate, o.ais);
  lap("planning");

  const std::array<double, 6> gt{kSimOriginEastingM,  o.pixelSizeM, 0.0,
                                 kSimOriginNorthingM, 0.0,          -o.pixelSizeM};
  GeoFrame geo(s, gt);
  const std::string wkt = geo.wkt();

  const fs::path out = o.outDir;
  fs::create_directories(out / "scenes");
  fs::create_directories(out / "truth");
  SimulationResult result;
  result.epsg = kSimEpsg;
  for (int k = 0; k < K; ++k)
    result.scenes.push_back(out / "scenes" / ("scene_" + s.dates[k].compact + ".tif"));

  std::vector<RenderedDate> rendered(K);
  tbb::parallel_for(0, K,
                    [&](int k) { rendered[k] = renderDate(s, k, result.scenes[k], gt, wkt); });
  lap("scenes");

  const AoiGeometry aois = aoiGeometry(s, geo);

  // ---- truth.json
  Json truth = truthHeader(s, o, gt, rendered);
  const int maxVisiblePort = addShipsTruth(truth, s, o.pixelSizeM, geo, aois, rendered, result);
  truth["tanks"] = tanksTruth(s, o.pixelSizeM, geo, aois, rendered);
  result.tanks = static_cast<int>(s.tanks.size());
  truth["tank_shadow_direction_deg"] = 315.0;
  writeChangeMasks(truth, s, o.pixelSizeM, geo, rendered, out, gt, wkt, result);
  lap("change masks");
  truth["aois"] = aoisTruth(aois);

  // ---- declarations.csv
  std::string decl = declarationsCsv(s, maxVisiblePort, truth);
  if (o.ais) {
    writeSimulatedAis(truth, out, o.seed);
    decl += simulatedAisDeclarations(truth, s.dates.front().isoDate, s.dates.back().isoDate);
  }
  cw::writeFileAtomic(out / "declarations.csv", decl);
  result.declarations = out / "declarations.csv";
  cw::writeFileAtomic(out / "truth" / "truth.json", truth.dump(1) + "\n");
  result.truthJson = out / "truth" / "truth.json";

  // ---- config.yaml
  cw::writeFileAtomic(out / "config.yaml", configYaml(s, o, aois));
  result.config = out / "config.yaml";

  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace cw::sim
