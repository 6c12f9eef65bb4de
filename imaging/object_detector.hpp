#pragma once
// Contract of an object detector (ships, tanks, blobs).
//
// detect() is pure and thread-safe: it sees one padded tile and returns detections in tile-mat
// pixel coordinates. The driver keeps a detection only if its centroid falls in the tile's core
// (centroid ownership), so objects straddling tile borders are counted once. Sizes in options
// are metres; the driver passes the pixel size so the detector converts them.
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "imaging/band_role.hpp"
#include "imaging/params.hpp"

namespace cw::imaging {

struct DetectionTile {
  cv::Mat image;  // CV_32FC(p), band order as in `roles`
  std::vector<BandRole> roles;
  cv::Mat valid;  // CV_8U, 255 where imaged and cloud-free
  cv::Mat water;  // CV_8U, 255 where water is known (config polygon); empty if none given
  double pixelSizeM = 1.0;
};

struct Detection {
  std::string kind;         // "ship", "tank", "blob"
  cv::Point2d centroidPx;   // tile-mat pixel coordinates (x right, y down), pixel centre = +0.5
  double lengthM = 0.0;     // major axis; diameter for tanks
  double widthM = 0.0;      // minor axis
  double headingDeg = 0.0;  // 0 = north, clockwise, in [0, 180) for ships
  double areaM2 = 0.0;
  double score = 0.0;                  // detector-specific strength (e.g. CFAR z-score)
  bool berthed = false;                // ships: alongside or bow-on to a quay, pier or shore
  bool underway = false;               // ships: a wake trails the hull
  std::vector<cv::Point2d> outlinePx;  // ships: hull rectangle corners, same frame as centroidPx
};

// Detections of one tile plus what the detector saw in the tile core, for scene-quality flags.
struct DetectionReport {
  std::vector<Detection> detections;
  double decidedPx = 0;  // core pixels the detector could judge (enough valid background)
  double clutterPx = 0;  // of those, pixels above the detector's clutter level not explained by
                         // an accepted object (haze, glint, thin cloud raise this)
};

class ObjectDetector {
 public:
  virtual ~ObjectDetector() = default;
  virtual std::string name() const = 0;
  // Halo in pixels around a tile, for the given pixel size (e.g. half the CFAR background window).
  virtual int haloPx(double pixelSizeM) const = 0;
  virtual std::vector<Detection> detect(const DetectionTile& tile) const = 0;
  // detect() plus the clutter figures of the tile core (`core` in tile-mat pixels). Detectors
  // without a clutter model report only their detections.
  virtual DetectionReport detectInCore(const DetectionTile& tile, const cv::Rect& core) const {
    (void)core;
    DetectionReport r;
    r.detections = detect(tile);
    return r;
  }
  // A detector that needs to know where water is (ships) asks for a scene-wide mask, learned
  // once on a decimated copy of the scene (`overview`), unless the config supplies one.
  virtual bool needsSceneWater() const { return false; }
  virtual cv::Mat sceneWater(const DetectionTile& overview) const {
    (void)overview;
    return {};
  }
};

}  // namespace cw::imaging
