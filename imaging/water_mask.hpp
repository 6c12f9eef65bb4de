#pragma once
// Water masks for ship detection, from the bands a scene has:
//   - optical with NIR: the dark class of log NIR (Otsu split over the valid pixels; water
//                       absorbs NIR whatever the product's scaling), where NDWI (McFeeters 1996)
//                       is also above `ndwiThreshold` (a loose bound against shadows);
//   - SAR (VV/VH):      low backscatter: the local mean of intensity, in dB, below an Otsu
//                       threshold over the valid pixels (calm water is a specular reflector);
//   - RGB only:         a per-image colour/texture model learned from the darkest homogeneous
//                       region (low local standard deviation and low brightness): the mean and
//                       covariance of the colour there; water = pixels within a Mahalanobis
//                       distance of that model and of low texture;
//   - a known water mask (config polygon, DetectionTile::water) always wins.
// Every raw mask is cleaned the same way: morphological open/close, holes smaller than
// `maxHoleM2` filled (ships and buoys are holes in a water mask; islands and piers are larger),
// connected water regions smaller than `minRegionM2` dropped.
//
// Validated on the Planet ~3 m RGB scenes of San Francisco Bay (ports_nolabel, test
// "ships on Planet port scenes"): open water, anchorages and harbour basins are water; piers,
// quays, the breakwater islands and the city are land.
//
// All functions are pure and thread-safe. Sizes are metres, converted with `pixelSizeM`.
#include <opencv2/core.hpp>

#include "imaging/object_detector.hpp"

namespace cw::imaging {

struct WaterMaskOptions {
  double ndwiThreshold = -0.3;    // NIR cue: NDWI must also exceed this
  double smoothM = 30.0;          // box size for local mean / texture
  double maxHoleM2 = 40000.0;     // holes in water up to this area are water (ships)
  double minRegionM2 = 100000.0;  // water regions smaller than this are dropped (pools, roofs)
  double colourDistance = 8.0;    // RGB model: Mahalanobis radius of water colour
  double textureFactor = 2.5;     // RGB model: local std up to this x the model's std
};

// Which cue the image's band roles select.
enum class WaterCue { KnownMask, NirDarkness, Backscatter, ColourModel };
WaterCue waterCue(const DetectionTile& tile);

// Brightness band used by the detectors: NIR if present, else the mean of the visible bands;
// for SAR the mean of the polarisations; for Grey the grey band. CV_32F, same size as the tile.
cv::Mat brightnessBand(const cv::Mat& image, const std::vector<BandRole>& roles);
bool isSar(const std::vector<BandRole>& roles);

// Water mask (CV_8U, 255 = water, 0 = land or invalid) of the tile, from the known mask if the
// tile has one, else from the band cue; then cleaned as described above.
cv::Mat waterMask(const DetectionTile& tile, const WaterMaskOptions& options);

// The raw per-cue masks (before cleaning), exposed for tests.
cv::Mat nirWater(const cv::Mat& image, const std::vector<BandRole>& roles, const cv::Mat& valid,
                 double ndwiThreshold);
cv::Mat backscatterWater(const cv::Mat& image, const std::vector<BandRole>& roles,
                         const cv::Mat& valid, int smoothPx);
cv::Mat colourModelWater(const cv::Mat& image, const std::vector<BandRole>& roles,
                         const cv::Mat& valid, int smoothPx, double colourDistance,
                         double textureFactor);

// Cleaning step (open/close, fill small holes, drop small regions). Areas in pixels.
cv::Mat cleanWaterMask(const cv::Mat& raw, const cv::Mat& valid, double maxHolePx,
                       double minRegionPx);

}  // namespace cw::imaging
