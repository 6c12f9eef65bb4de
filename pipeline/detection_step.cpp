#include "pipeline/detection_step.hpp"

#include "imaging/registry.hpp"
#include "tiles/detection_runner.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/raster_window.hpp"

namespace cw::pipeline {
namespace {}  // namespace

DetectionStepResult detectObjects(const DetectorConfig& detector, const DetectionStepInput& in) {
  const auto det = imaging::Registry::builtins().createDetector(detector.name, detector.params);
  tiles::DetectionRunRequest req;
  req.scene = {in.sceneVrt, {}, std::nullopt};
  for (int b = 1; b <= static_cast<int>(in.roles.size()); ++b) req.scene.bands.push_back(b);
  for (const auto& r : in.roles) req.roles.push_back(imaging::bandRoleFromName(r));
  if (!in.cloudVrt.empty()) req.cloud = tiles::MaskSource{in.cloudVrt, 1, false};
  if (!in.waterMask.empty()) req.water = tiles::MaskSource{in.waterMask, 1, true};
  req.waterName = in.waterName;
  req.pixelSizeM = in.pixelSizeM;
  req.tileSizePx = in.tilePx;
  req.threads = in.threads;
  // The whole grid is searched, so that CFAR windows near the AOI edge see real background
  // instead of "no data"; detections are then kept by whether their centroid is in the AOI.
  const auto run = tiles::runDetection(*det, req);

  auto aoi = tiles::openRaster(in.aoiMask);
  DetectionStepResult out;
  out.degraded = run.degraded;
  out.clutterShare = run.clutterShare;
  out.waterAreaM2 = run.waterAreaM2;
  out.waterSource = run.waterSource;
  out.sceneWater = run.sceneWater;
  out.sceneValid = run.sceneValid;
  for (const auto& g : run.detections) {
    const int x = static_cast<int>(g.detection.centroidPx.x);
    const int y = static_cast<int>(g.detection.centroidPx.y);
    const auto inside = tiles::readMaskWindow(*aoi, {in.aoiMask, 1, true}, cv::Rect(x, y, 1, 1));
    if (inside.at<uchar>(0, 0) == 0) continue;
    evidence::DetectionRecord r;
    r.kind = detector.name;
    r.xPx = g.detection.centroidPx.x;
    r.yPx = g.detection.centroidPx.y;
    r.lon = g.lon;
    r.lat = g.lat;
    r.lengthM = g.detection.lengthM;
    r.widthM = g.detection.widthM;
    r.headingDeg = g.detection.headingDeg;
    r.areaM2 = g.detection.areaM2;
    r.score = g.detection.score;
    r.berthed = g.detection.berthed;
    r.underway = g.detection.underway;
    r.sceneId = in.sceneId;
    out.records.push_back(r);
  }
  return out;  // runDetection sorts by (y, x)
}

}  // namespace cw::pipeline
