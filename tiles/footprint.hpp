#pragma once
// The imaged footprint of one scene over an AOI: what was actually looked at. "0 ships" over a
// clouded port is not "0 ships" over a clear one, so every count carries this.
#include <array>
#include <string>
#include <vector>

#include "tiles/grid_spec.hpp"

namespace cw::tiles {

struct FootprintResult {
  double aoiAreaM2 = 0.0;
  double imagedFraction = 0.0;  // AOI pixels with data (clouds included)
  double validFraction = 0.0;   // AOI pixels with data and cloud-free
  double validAreaM2 = 0.0;
  // WGS84 (lon, lat) polygons of the valid area, traced on a grid of at most ~512 px a side.
  std::vector<std::vector<std::vector<std::array<double, 2>>>> polygons;
};

// `scene` is a scene warped onto `grid` whose GDAL mask band (alpha band of a warped VRT, internal
// mask of a warped GeoTIFF) says where it imaged; `cloudVrt` (may be
// empty) its cloud band warped with nearest (non-zero = cloud); `aoiMask` the AOI raster (255
// inside). Counts are exact (read in strips); the outline is traced on a decimated copy.
FootprintResult computeFootprint(const GridSpec& grid, const std::string& scene,
                                 const std::string& cloudVrt, const std::string& aoiMask);

}  // namespace cw::tiles
