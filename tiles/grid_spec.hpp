#pragma once
// The pixel grid of a raster: CRS, affine geotransform and size. Two rasters "share a grid" when
// their CRSs are the same and their geotransforms agree within a small fraction of a pixel, so
// pixel (i, j) of one covers the same ground as pixel (i, j) of the other.
//
// A grid without a CRS is a plain pixel grid (PNG/BMP benchmarks): map units are pixels, the
// geotransform is the identity, and areas are in square pixels, not m². Value type; thread-safe
// to copy and read.
#include <array>
#include <string>

#include <gdal_priv.h>
#include <opencv2/core.hpp>

namespace cw::tiles {

struct GridSpec {
  std::string wkt;  // CRS as WKT; empty for a pixel grid
  // GDAL convention: x = gt[0] + col*gt[1] + row*gt[2], y = gt[3] + col*gt[4] + row*gt[5].
  std::array<double, 6> geoTransform{0.0, 1.0, 0.0, 0.0, 0.0, 1.0};
  int width = 0;
  int height = 0;

  // Reads the grid of an open dataset. A dataset with no geotransform and no CRS gives a pixel
  // grid. (GDAL reports the identity transform with "y down" for such files; we keep it.)
  static GridSpec fromDataset(GDALDataset& ds);

  bool georeferenced() const { return !wkt.empty(); }
  // EPSG code of the CRS, or 0 when it has none (or no CRS).
  int epsg() const;
  // True when the CRS is projected in metres, so pixelAreaM2() is a real area.
  bool metric() const;

  // Map coordinates of a pixel position (pixel corner at integer values; centre at +0.5).
  cv::Point2d pixelToMap(double col, double row) const;
  // Inverse of pixelToMap. Throws cw::Error if the geotransform is singular.
  cv::Point2d mapToPixel(double x, double y) const;

  // Pixel size in map units (metres on a metric grid), as positive numbers.
  double pixelSizeX() const;
  double pixelSizeY() const;
  // Area of one pixel in map units² (m² on a metric grid): |det| of the geotransform's 2×2 part.
  double pixelArea() const;

  // Same size, same CRS (OGR IsSame) and geotransforms within `tolPx` pixels at every corner.
  bool sameGrid(const GridSpec& other, double tolPx = 1e-3) const;
  // Sets the geotransform and CRS on a dataset being written (no CRS for a pixel grid).
  void applyTo(GDALDataset& ds) const;
  // "EPSG:32633 8192×8192 at 10 m" or "pixel grid 290×350".
  std::string describe() const;
};

}  // namespace cw::tiles
