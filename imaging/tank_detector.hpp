#pragma once
// Storage-tank detector: circles by the Hough transform (cv::HoughCircles, HOUGH_GRADIENT_ALT,
// Yuen et al. 1990 gradient voting with OpenCV's refined scoring) within a diameter range in
// metres, confirmed by shadow-side contrast.
//
// A tank stands up from the ground, so in sunlight it casts a dark crescent on one side; a round
// flat roof, a roundabout or a circular lawn does not. For each circle the annulus just outside
// it (r..1.5 r) is split into 16 sectors: the tank is kept when the darkest run of three
// adjacent sectors lies at least `shadow_contrast` local standard deviations below the median
// sector, while the opposite side stays near the median (a roundabout is dark all round; an
// off-centre circle is bright on one side).
// Candidates: Hough circles (on a band upsampled so the smallest radius is >= 8 px) and compact
// bright components (area / enclosing-circle area >= 0.7: discs, not square roofs); below ~7 px
// radius the gradient Hough transform misses or misplaces tanks, while a thresholded roof gives
// centre and area. Before the Hough transform the band is normalised by its local mean and standard
// deviation (box of 4x the largest diameter), so thresholds hold across sensors and the result for
// a pixel depends only on its neighbourhood (tile-size independent within the halo). Only bright
// roofs are searched (the band is clipped at the local mean, so the shadow's own outline does not
// pull the circle); dark-roofed tanks are not found. Circles whose centre is on known water
// (DetectionTile::water) or not valid are dropped. Each detection: centre, diameter (lengthM =
// widthM), area (m2), score = shadow contrast, and headingDeg = compass azimuth of the shadow side
// in [0, 360).
//
// Validated by tests/imaging/test_tank_detector.cpp: drawn tanks with shadows found with the
// diameter within one pixel; a round bright roof without shadow and a roundabout rejected.
// Pure and thread-safe.
#include <vector>

#include "imaging/object_detector.hpp"
#include "imaging/registry.hpp"

namespace cw::imaging {

struct TankDetectorOptions {
  double minDiameterM = 15.0;
  double maxDiameterM = 60.0;
  double circleQuality = 0.85;  // HOUGH_GRADIENT_ALT param2: 1 = perfect circle (0.6 takes squares)
  double edgeThreshold = 300.0;  // Canny high threshold (Scharr gradients) on the 8-bit band
  double shadowContrast = 0.6;   // in local standard deviations
};

class TankDetector : public ObjectDetector {
 public:
  static constexpr const char* kName = "tanks";
  explicit TankDetector(TankDetectorOptions options = {});
  explicit TankDetector(const Params& params);

  std::string name() const override { return kName; }
  int haloPx(double pixelSizeM) const override;
  std::vector<Detection> detect(const DetectionTile& tile) const override;

  const TankDetectorOptions& options() const { return m_options; }
  static std::vector<OptionSpec> optionSpecs();

 private:
  TankDetectorOptions m_options;
};

void registerTankDetector(Registry& registry);

}  // namespace cw::imaging
