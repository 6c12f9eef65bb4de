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

#include "imaging/params.hpp"

namespace cw::imaging {

enum class BandRole { Blue, Green, Red, Nir, Vv, Vh, Grey };

struct DetectionTile {
  cv::Mat image;    // CV_32FC(p), band order as in `roles`
  std::vector<BandRole> roles;
  cv::Mat valid;    // CV_8U, 255 where imaged and cloud-free
  cv::Mat water;    // CV_8U, 255 where water is known (config polygon); empty if none given
  double pixelSizeM = 1.0;
};

struct Detection {
  std::string kind;           // "ship", "tank", "blob"
  cv::Point2d centroidPx;     // tile-mat pixel coordinates (x right, y down), pixel centre = +0.5
  double lengthM = 0.0;       // major axis; diameter for tanks
  double widthM = 0.0;        // minor axis
  double headingDeg = 0.0;    // 0 = north, clockwise, in [0, 180) for ships
  double areaM2 = 0.0;
  double score = 0.0;         // detector-specific strength (e.g. CFAR z-score)
};

class ObjectDetector {
 public:
  virtual ~ObjectDetector() = default;
  virtual std::string name() const = 0;
  // Halo in pixels around a tile, for the given pixel size (e.g. half the CFAR background window).
  virtual int haloPx(double pixelSizeM) const = 0;
  virtual std::vector<Detection> detect(const DetectionTile& tile) const = 0;
};

}  // namespace cw::imaging
