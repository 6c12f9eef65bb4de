#pragma once
// Reading windows of rasters as cv::Mat with a validity mask, through per-thread GDAL handles.
//
// Validity: a pixel is invalid when any selected band equals that band's nodata value (or the
// source's override), is NaN or ±Inf, or when GDAL's per-dataset mask (internal mask, alpha
// band) is 0; an alpha band counts whatever the band count (GDAL itself honours one only in
// gray+alpha and RGBA datasets). A MaskSource adds an external condition (AOI raster, cloud band),
// read with the same per-thread handles.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <opencv2/core.hpp>

#include "tiles/gdal_dataset.hpp"

namespace cw::tiles {

// One raster, some of its bands, on the grid being processed (the caller aligns it first, e.g.
// through a warped VRT).
struct RasterSource {
  std::string path;              // anything GDALOpen accepts: file, /vsi path, VRT file or XML
  std::vector<int> bands;        // 1-based band numbers; empty = every band
  std::optional<double> nodata;  // overrides the bands' own nodata values
};

// A raster whose one band says where pixels are usable.
struct MaskSource {
  std::string path;
  int band = 1;
  // true: valid where the value is non-zero (AOI raster, GDAL mask convention 255 = valid);
  // false: invalid where non-zero (a cloud band: 1 = cloud).
  bool validWhereNonZero = true;
};

struct RasterWindow {
  cv::Mat data;   // CV_32FC(p), p = number of selected bands, pixel-interleaved
  cv::Mat valid;  // CV_8U, 255 = valid, 0 = invalid
};

// GDAL dataset handles, one set per thread, opened on first use and closed when the cache is
// destroyed. get() is thread-safe and never returns a handle used by another thread. Destroy the
// cache only after the parallel work that uses it has finished.
class HandleCache {
 public:
  GDALDataset& get(const std::string& path);

 private:
  tbb::enumerable_thread_specific<std::map<std::string, GdalDataset>> m_handles;
};

// Reads `window` (grid pixels, inside the raster) of the selected bands. Throws cw::Error naming
// the path, the window and GDAL's message when the read fails (e.g. a truncated file).
RasterWindow readWindow(GDALDataset& ds, const RasterSource& source, const cv::Rect& window);

// Reads a mask window as CV_8U 255 = valid, 0 = invalid.
cv::Mat readMaskWindow(GDALDataset& ds, const MaskSource& source, const cv::Rect& window);

// Band numbers a source selects (resolves "every band"). Throws cw::Error on a band number out
// of range.
std::vector<int> selectedBands(GDALDataset& ds, const RasterSource& source);

}  // namespace cw::tiles
