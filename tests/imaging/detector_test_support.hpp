#pragma once
// Helpers for the detector tests: reading real images through GDAL into a DetectionTile and
// writing overlay PNGs. Tests only; the detectors themselves never touch files.
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "imaging/object_detector.hpp"

namespace cw::test {

// Reads every band of `path` (CV_32FC(p)); roles Red, Green, Blue for 3 bands, Grey for 1.
imaging::DetectionTile readTile(const std::string& path, double pixelSizeM);

// Writes an RGB overlay (8-bit, the image stretched 2-98 %) with each detection drawn as its
// rotated box (ships) or circle (tanks) and, if given, the outline of `mask` in blue; the result
// is downscaled by `scale` (<= 1). Written as PNG via GDAL.
void writeOverlay(const std::string& path, const imaging::DetectionTile& tile,
                  const std::vector<imaging::Detection>& detections, const cv::Mat& mask,
                  double scale);

}  // namespace cw::test
