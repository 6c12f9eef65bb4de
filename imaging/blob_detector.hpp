#pragma once
// Generic blob counter: bright and/or dark compact objects (vehicles, containers) against their
// local background.
//
// Method: local contrast z = (x - mean_W) / sd_W with box statistics over a background window
// of `background_window_m` (the classic top-hat / local-contrast detector), thresholded at
// `contrast`, opened by `open_m` to cut thin bridges between touching objects, then connected
// components (cv::connectedComponentsWithStats) filtered by area [min_area_m2, max_area_m2],
// width >= min_width_m and elongation [min_elongation, max_elongation] (min-area rectangle). Each
// detection: centroid, length/width/heading from the min-area rectangle, area (m2), score = peak
// |z|.
//
// The defaults are tuned for vehicles in 0.2-0.5 m aerial imagery, on DOTA P1888 (0.27 m, 64
// labelled vehicles; the only labelled vehicle image we have, so its figures are training
// figures): see tests/imaging/test_blob_detector.cpp for the measured precision, recall and count
// error. They are registered twice: `blobs` (the generic counter) and `vehicles` (the preset
// named for what it was tuned on; detections are of kind "vehicle"). Pure and thread-safe.
#include <string>
#include <vector>

#include "imaging/object_detector.hpp"
#include "imaging/registry.hpp"

namespace cw::imaging {

struct BlobDetectorOptions {
  std::string polarity = "bright";  // bright | dark | both
  double backgroundWindowM = 30.0;
  double contrast = 1.2;  // in local standard deviations
  double openM = 1.0;
  double minAreaM2 = 4.0;
  double maxAreaM2 = 60.0;
  double minWidthM = 1.5;  // lane markings and roof edges are thinner than any vehicle
  double minElongation = 1.3;
  double maxElongation = 8.0;
};

class BlobDetector : public ObjectDetector {
 public:
  static constexpr const char* kName = "blobs";
  // The same detector registered under the use it was tuned for: `--detector vehicles`.
  static constexpr const char* kVehiclesName = "vehicles";
  explicit BlobDetector(BlobDetectorOptions options = {}, std::string name = kName);
  explicit BlobDetector(const Params& params, std::string name = kName);

  std::string name() const override { return m_name; }
  int haloPx(double pixelSizeM) const override;
  std::vector<Detection> detect(const DetectionTile& tile) const override;

  const BlobDetectorOptions& options() const { return m_options; }
  static std::vector<OptionSpec> optionSpecs();

 private:
  BlobDetectorOptions m_options;
  std::string m_name;
};

void registerBlobDetector(Registry& registry);

}  // namespace cw::imaging
