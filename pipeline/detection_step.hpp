#pragma once
// The object-counting step of a job: one configured detector over one date warped onto the AOI
// grid, tiled, with detections converted to evidence records (grid pixels and WGS84 lon/lat).
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "evidence/evidence_types.hpp"
#include "pipeline/config.hpp"
#include "tiles/grid_spec.hpp"

namespace cw::pipeline {

struct DetectionStepInput {
  tiles::GridSpec grid;
  double pixelSizeM = 0.0;
  std::string sceneVrt;              // warped scene: `roles` bands then alpha
  std::vector<std::string> roles;    // band roles of sceneVrt, in band order
  std::string cloudVrt;              // warped cloud band (non-zero = cloud), or empty
  std::string aoiMask;               // 255 inside the AOI
  std::string waterMask;             // 255 on water (config polygon), or empty
  std::string waterName = "config";  // what waterMask was made from (recorded as water_mask)
  std::string sceneId;
  int threads = 0;
  int tilePx = 512;
};

struct DetectionStepResult {
  std::vector<evidence::DetectionRecord> records;  // sorted by grid row, then column
  bool degraded = false;  // haze, thin cloud or glint over the water (runner's clutter test)
  double clutterShare = 0.0;
  double waterAreaM2 = 0.0;  // valid water seen by the detector over the whole grid
  std::string waterSource;   // waterName, "scene-overview (<cue>)" or "none"
  // The water the detector learned on an overview of the scene, and that overview's valid pixels
  // (tiles::DetectionRunResult); empty with a water mask or a detector that needs none.
  cv::Mat sceneWater, sceneValid;
};

DetectionStepResult detectObjects(const DetectorConfig& detector, const DetectionStepInput& input);

}  // namespace cw::pipeline
