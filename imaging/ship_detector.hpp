#pragma once
// Ship detector for optical (8-bit true colour to 16-bit reflectance, 0.25-30 m) and SAR imagery.
//
//   1. Water and land. The scene's water mask (imaging/water_mask.hpp: NIR darkness when there is
//      a NIR band, backscatter for SAR, a colour model for RGB; ship-sized holes filled) says what
//      is sea. Land is opened with a disk as wide as the widest hull (`max_beam_m`): what survives
//      is the land core (quays, piers wider than a ship, the city); what does not is a protrusion
//      (a hull moored bow-on, a narrow jetty); a protrusion longer than `max_protrusion_m` is a
//      jetty or breakwater and joins the core. Sea and protrusions are searched,
//      minus a rim of `shore_rim_m` around the land core, where mixed pixels of the shore line
//      are brighter than water.
//   2. Sea clutter. A ring CFAR (imaging/cfar.hpp) over valid water only: local mean and standard
//      deviation of the water in a `background_window_m` box minus a `guard_window_m` box, two
//      passes with outliers censored, so z = (x - mu_water) / sigma. sigma has a floor of
//      `sigma_floor` x mu_water: 8-bit true colour quantises calm water to one or two levels, and
//      without a floor every wave crest is a ship. A pixel is decided only when at least
//      `min_water_share` of its ring is valid water: the statistics are taken from whatever
//      water was imaged (clouds and nodata are left out, not counted against the candidate).
//      With NIR, the visible mean is tested too (dark hulls are dark there, not in NIR).
//   3. Hysteresis: a component of |z| >= `z_grow` pixels is a candidate when it holds a seed with
//      |z| >= `z_threshold`; it needs `min_area_px` pixels and a length in
//      [min_length_m, max_length_m] (so the smallest target is sized in pixels and in metres).
//   3b. Rafts: a candidate at least `raft_width_ratio` as wide as long whose strongest pixels
//      (|z| >= max(z_threshold, 0.5 x peak), the peak's polarity) form two or more hull-shaped
//      parts lying side by side is split into those hulls (ship-to-ship transfers, ships moored
//      abreast at a berth); each candidate pixel goes to its nearest part.
//   4. Wakes: a candidate longer than its bright head (the connected part with
//      |z| >= max(z_threshold, 0.5 x peak) around the peak) by `wake_ratio` is a ship underway;
//      the head is reported as the hull, the trail is not a second ship. A candidate thinner
//      than 1 / `max_elongation` without such a head is a wake or a pier and is dropped.
//   5. Each detection: hull rectangle (outline, length, width, heading), centre, peak |z| as
//      score, `berthed` when it touches the land core, `underway` as above.
// Scene quality (DetectionReport): the share of decided pixels with |z| >= z_grow that no
// accepted ship explains; haze, thin cloud and glint raise it far above its clear-sea
// value (< 0.5 %), and the runner flags the scene as degraded (tiles/detection_runner.hpp).
//
// Method: ring CFAR after Crisp (2004) / ESA SNAP's AdaptiveThresholdingOp with censoring and
// water-only statistics; land-protrusion candidates after the enclosed-blob rule of Sandia's
// US8170282B1 and the quay projection idea of Zhang (2018). Tuned on Sentinel-2 Busan and
// Casablanca, Vancouver 2019-03-17 / 2019-05-31 / 2020-03-11 and Planet scenes 1-2; reported on
// the others (docs/accuracy.md, tests/imaging/test_ship_real.cpp).
#include <vector>

#include "imaging/cfar.hpp"
#include "imaging/object_detector.hpp"
#include "imaging/registry.hpp"
#include "imaging/water_mask.hpp"

namespace cw::imaging {

struct ShipDetectorOptions {
  double zThreshold = 6.0;  // seed: |z| in floored sigmas of the local water
  double zGrow = 3.0;       // hysteresis: pixels joined to a seed
  // SAR seed (4-look speckle has a heavy tail; set on the simulator's SAR scenes, as no real SAR
  // ship truth is available); its grow level is 0.6 x this.
  double zThresholdSar = 12.0;
  double guardWindowM = 400.0;  // as SNAP: the largest hull fits inside the guard
  double backgroundWindowM = 800.0;
  double minWaterShare = 0.05;  // valid water needed in the ring for a decision
  double sigmaFloor = 0.15;     // sigma >= this x the local water mean
  double minAreaPx = 3.0;
  double minLengthM = 20.0;
  double minWidthPx = 1.5;  // a one-pixel streak (crest, cloud edge, wake line) is not a hull
  double maxLengthM = 400.0;
  double maxElongation = 12.0;
  double maxBeamM = 40.0;         // land thinner than this is a possible hull alongside
  double shoreRimM = 20.0;        // rim around the land core left out (mixed pixels)
  double maxProtrusionM = 150.0;  // narrow land longer than this is a jetty (land core)
  double wakeRatio = 1.8;         // candidate length / head length above which it is a wake + hull
  double minWaterContact = 0.35;  // berthed: water share of the pixels around the candidate
  double raftWidthRatio = 0.3;    // candidates this wide for their length: side-by-side hulls?
  std::string polarity = "auto";  // auto | bright | dark | both
  WaterMaskOptions water;
};

class ShipDetector : public ObjectDetector {
 public:
  static constexpr const char* kName = "ships";
  explicit ShipDetector(ShipDetectorOptions options = {});
  explicit ShipDetector(const Params& params);

  std::string name() const override { return kName; }
  int haloPx(double pixelSizeM) const override;
  std::vector<Detection> detect(const DetectionTile& tile) const override;
  DetectionReport detectInCore(const DetectionTile& tile, const cv::Rect& core) const override;
  bool needsSceneWater() const override { return true; }
  cv::Mat sceneWater(const DetectionTile& overview) const override;

  const ShipDetectorOptions& options() const { return m_options; }
  static std::vector<OptionSpec> optionSpecs();

 private:
  DetectionReport run(const DetectionTile& tile, const cv::Rect& core) const;
  ShipDetectorOptions m_options;
};

// Shape of a pixel component: length/width (m) from the min-area rectangle over the pixel
// squares, heading of the long axis (0 = north, clockwise, [0, 180)), the rectangle's centre in
// pixel coordinates of the input points (pixel centre = +0.5 added) and its four corners. A
// ship's position is the centre of its hull rectangle: the area centroid lies towards the stern
// because the bow tapers (simulator: median geotag error 3.1 m with the area centroid at 3 m).
struct ComponentShape {
  double lengthM = 0.0;
  double widthM = 0.0;
  double headingDeg = 0.0;
  cv::Point2d centrePx;
  std::vector<cv::Point2d> cornersPx;  // rectangle grown by half a pixel, clockwise
};
ComponentShape componentShape(const std::vector<cv::Point>& pixels, double pixelSizeM);

void registerShipDetector(Registry& registry);

}  // namespace cw::imaging
