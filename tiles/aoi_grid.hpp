#pragma once
// The grid of one area of interest: the AOI polygon (WGS84) projected into a metric CRS (the UTM
// zone of its centroid unless one is given; polar AOIs use the Universal Polar Stereographic
// CRSs), with the extent snapped to whole pixels of the requested size. Every date of a job is
// warped onto this grid, so pixel (i, j) is the same ground in all of them.
#include <string>
#include <utility>
#include <vector>

#include "tiles/grid_spec.hpp"

namespace cw::tiles {

struct AoiGridRequest {
  // Outer ring, WGS84 lon/lat. Longitudes above 180 continue across the antimeridian.
  std::vector<std::pair<double, double>> ringLonLat;
  double pixelSizeM = 10.0;  // > 0
  int epsg = 0;              // 0 = automatic (UTM of the centroid, UPS beyond ±84°)
};

// UTM zone EPSG (326zz north / 327zz south) of a WGS84 position, or UPS (32661 / 32761) beyond
// ±84° latitude.
int metricEpsgFor(double lon, double lat);

// Builds the grid. Throws cw::Error on an empty ring or a non-positive pixel size.
GridSpec makeAoiGrid(const AoiGridRequest& request);

// The AOI ring in the grid's CRS (for burning the AOI mask), densified along its edges.
std::vector<std::pair<double, double>> ringInGridCrs(const AoiGridRequest& request,
                                                     const GridSpec& grid);

// WGS84 lon/lat of a map position of the grid (traditional GIS order), normalized to
// [-180, 180].
std::pair<double, double> gridToLonLat(const GridSpec& grid, double x, double y);

}  // namespace cw::tiles
