#pragma once
// Change along a land/water edge within a misregistration's reach (issue 17): a shore that moved
// by a pixel between the dates, from residual misregistration, draws change along it that is not
// on the ground. Such polygons are flagged registration_suspect and ranked after clean evidence.
//
// The land/water edge comes from the AOI's water mask when it has one (config ring or shore
// polygons), else from the before scene: NDWI > 0 with green and NIR roles, or backscatter below
// -15 dB with a SAR role (vv, vh, hh, hv). Without either, no polygon is flagged this way.
// Reads only each polygon's bounding box (grown by the reach), so memory follows the polygons.
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace cw::pipeline {

struct ShoreSuspectInput {
  std::string beforeValues;        // warped before scene, bands in `roles` order
  std::vector<std::string> roles;  // band roles of beforeValues
  std::string waterMask;           // 255 on water on the grid, or empty
  std::string changeMask;          // the job's mask.tif (band 1: 1 = change)
  double reachPx = 1.0;            // how far a misregistration can move an edge
};

// For each polygon, given by its bounding box in grid pixels: true when at least half of the
// changed pixels in that box lie within reachPx of a land/water edge.
std::vector<bool> changeAlongShore(const ShoreSuspectInput& input,
                                   const std::vector<cv::Rect>& boxes);

// True when changeAlongShore can find water in a scene with these roles (or a water mask).
bool canFindShore(const ShoreSuspectInput& input);

}  // namespace cw::pipeline
