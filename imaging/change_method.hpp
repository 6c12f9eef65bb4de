#pragma once
// Contract of a change detector (CVA, IR-MAD, SAR log-ratio, ...).
//
// A method runs in two passes over the tiles of one grid, in the manner of OTB's persistent
// filters:
//   pass 1 (fit):   sampleTile() per tile, pure and thread-safe; the driver concatenates the
//                   samples in tile order (so the fit never depends on scheduling) and calls
//                   fit() once;
//   pass 2 (apply): score() per tile, pure and thread-safe after fit().
// Samples are taken on a global lattice (grid pixels where x % stride == 0 and y % stride == 0),
// so the fitted parameters are identical for any tiling and thread count.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "imaging/params.hpp"

namespace cw::imaging {

// One tile of a co-registered pair, padded by the method's halo (cropped at the grid edge).
struct ChangeTile {
  cv::Mat before;      // CV_32FC(p): p bands, same size as after
  cv::Mat after;       // CV_32FC(p)
  cv::Mat valid;       // CV_8U: 255 where both dates are valid (not nodata, not cloud, inside AOI)
  cv::Point originPx;  // grid position of pixel (0,0) of these mats
  int stride = 1;      // sampling lattice stride for sampleTile()
};

class ChangeMethod {
 public:
  virtual ~ChangeMethod() = default;
  virtual std::string name() const = 0;

  // Halo in pixels the method needs around a tile (e.g. a speckle filter's radius).
  virtual int haloPx() const { return 0; }

  // Pass 1: features of the valid lattice pixels of this tile, one row each (CV_32F).
  // Only pixels of the tile's *core* may be sampled; `core` is in tile-mat coordinates.
  virtual cv::Mat sampleTile(const ChangeTile& tile, const cv::Rect& core) const = 0;

  // Solve global parameters from all samples (rows in tile order). Throws cw::Error when the
  // sample is too small to fit.
  virtual void fit(const cv::Mat& samples) = 0;

  // Pass 2: change score for the whole padded tile (CV_32F, same size as the tile). Pixels that
  // are not valid get NaN. Larger means more change.
  virtual cv::Mat score(const ChangeTile& tile) const = 0;

  // Decision threshold on score(), solved in fit() (or fixed by an option).
  virtual double threshold() const = 0;

  // Parameters solved in fit(), for the job record (e.g. rho, iterations, normalization gains).
  virtual std::map<std::string, std::vector<double>> solved() const = 0;
};

}  // namespace cw::imaging
