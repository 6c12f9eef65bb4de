#pragma once
// Ship detector: water mask -> two-parameter CFAR -> connected components -> discrimination.
//
// Method: ESA SNAP's S1TBX chain (Land-Sea-Mask, AdaptiveThresholding after Crisp 2004, Object-
// Discrimination), see imaging/cfar.hpp. For optical data both bright and dark hulls are
// targets (|z| > t on the brightness band: NIR if present, else the mean of the visible bands);
// for SAR only bright ones.
// Defaults are for ~3 m optical imagery (Planet): target 6 m, guard 400 m, background 800 m.
// SNAP's 75/400/1000 m suit 10-20 m Sentinel-1, where a ship is a few pixels; at 3 m a 250 m
// ship is 80 px, so the guard must still cover the largest ship, but the background ring can be
// thinner (200 m each side = 67 px gives ~1e5 clutter samples) to keep near-shore anchorages
// decidable.
// Land never produces detections: target pixels must lie on the water mask eroded by
// `shore_margin_m`, and the target window must be all water. Background statistics use water
// pixels only; a pixel is not decided when more than `max_land_fraction` of its ring is land
// (default 0.5, so ships moored at piers stay decidable) or when its background window holds
// more than `max_nodata_fraction` nodata (default 0: any nodata suppresses, as in SNAP; the
// simulator accuracy test uses 0.5 to keep ships beside nodata edges).
// Discrimination: length in [min_length_m, max_length_m], length/width in
// [min_elongation, max_elongation] (wakes are longer and thinner than hulls).
// Each detection: centroid, length/width (min-area rectangle, m), heading (0 = north,
// clockwise, [0, 180)), area (m2) and score (peak |z|).
//
// Validated by tests/imaging/test_ship_detector.cpp (CFAR thresholds, nodata, units at 3 and
// 10 m, heading) and on the Planet port scenes (docs/detections/scene_N.png).
#include <vector>

#include "imaging/cfar.hpp"
#include "imaging/object_detector.hpp"
#include "imaging/registry.hpp"
#include "imaging/water_mask.hpp"

namespace cw::imaging {

struct ShipDetectorOptions {
  double pfa = 3.1622776601683795e-7;  // 10^-6.5 as in SNAP
  double targetWindowM = 6.0;
  double guardWindowM = 400.0;
  double backgroundWindowM = 800.0;
  double maxLandFraction = 0.5;    // land (and nodata) tolerated in the background ring
  double maxNodataFraction = 0.0;  // nodata tolerated in the background window (SNAP: none)
  double minLengthM = 15.0;
  double maxLengthM = 400.0;
  double minElongation = 1.5;
  double maxElongation = 15.0;
  double shoreMarginM = 30.0;
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

  const ShipDetectorOptions& options() const { return m_options; }
  static std::vector<OptionSpec> optionSpecs();

 private:
  ShipDetectorOptions m_options;
};

// Shape of a pixel component: length/width (m) from the min-area rectangle over the pixel
// squares, heading of the long axis (0 = north, clockwise, [0, 180)), and the rectangle's centre
// in pixel coordinates of the input points (pixel centre = +0.5 added). A ship's position is the
// centre of its hull rectangle: the area centroid lies towards the stern because the bow tapers
// (simulator: median geotag error 3.1 m with the area centroid at 3 m pixels).
struct ComponentShape {
  double lengthM = 0.0;
  double widthM = 0.0;
  double headingDeg = 0.0;
  cv::Point2d centrePx;
};
ComponentShape componentShape(const std::vector<cv::Point>& pixels, double pixelSizeM);

void registerShipDetector(Registry& registry);

}  // namespace cw::imaging
