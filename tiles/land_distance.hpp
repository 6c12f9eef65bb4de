#pragma once
// Distance from a point on the water to the nearest land, on a job's AOI grid (docs/ais.md:
// the shore condition of the ship-to-ship rules). A land/water raster on the grid, or on an
// overview of it, is turned into a distance-to-land raster (cv::distanceTransform, L2, precise)
// and a distance-to-the-unknown raster (the grid edge, and pixels whose land/water is not known:
// nodata or cloud under a water model learned from the scene). Nodata is not land.
//
// Honest at the edges: a distance is known only when the nearest land pixel is nearer than the
// nearest unknown pixel and the grid edge; otherwise land could lie just beyond them and the
// answer is std::nullopt ("not checked"). Points off the grid are unknown too. Accuracy: one
// raster pixel (the overview's when the grid is larger than `maxSidePx`).
//
// Not thread-safe (one OGR transformation); cheap to query (a lookup per point).
#include <filesystem>
#include <memory>
#include <optional>

#include <ogr_spatialref.h>
#include <opencv2/core.hpp>

#include "tiles/grid_spec.hpp"

namespace cw::tiles {

class LandDistance {
 public:
  // `land`: CV_8U on an overview of `grid` (non-zero = land); `known`: CV_8U of the same size,
  // non-zero where land/water is known (empty = known everywhere). The overview covers the whole
  // grid: each of its pixels is (grid width / land.cols) x (grid height / land.rows) grid pixels.
  // The grid must be georeferenced and metric. Throws cw::Error otherwise.
  LandDistance(const cv::Mat& land, const cv::Mat& known, const GridSpec& grid);

  // From a water mask on the grid (GDAL raster, band 1, non-zero = water: a config water polygon
  // or shore polygons rasterized), read decimated (nearest) to at most maxSidePx a side. Land is
  // everything that is not water: such a mask does not depend on what a scene imaged.
  static LandDistance fromWaterMask(const std::filesystem::path& waterMask, const GridSpec& grid,
                                    int maxSidePx = 2048);

  // Metres from (lon, lat) (WGS84) to the nearest land pixel, or nullopt when unknown. On land
  // the distance is negative: minus the metres to the nearest water pixel (so a hull whose pixels
  // the water model called land is a few tens of metres inside it, a position far inland is
  // hundreds), with the same honesty rule towards unknown pixels and the edge.
  std::optional<double> distanceM(double lon, double lat) const;

  double pixelSizeM() const { return m_pixelM; }

 private:
  GridSpec m_grid;
  double m_fx = 1.0, m_fy = 1.0;  // grid pixels per raster pixel
  double m_pixelM = 0.0;          // metres per raster pixel
  cv::Mat m_toLand;               // CV_32F, raster pixels to the nearest land pixel
  cv::Mat m_toWater;              // CV_32F, raster pixels to the nearest known water pixel
  cv::Mat m_toUnknown;            // CV_32F, raster pixels to the nearest unknown pixel or edge
  std::shared_ptr<OGRCoordinateTransformation> m_fromWgs84;
};

}  // namespace cw::tiles
