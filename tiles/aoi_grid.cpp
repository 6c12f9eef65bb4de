#include "tiles/aoi_grid.hpp"

#include <ogr_spatialref.h>

#include <cmath>
#include <limits>
#include <memory>

#include "core/error.hpp"
#include "tiles/ogr_vector.hpp"

namespace cw::tiles {
namespace {

struct TransformDeleter {
  void operator()(OGRCoordinateTransformation* t) const {
    OGRCoordinateTransformation::DestroyCT(t);
  }
};
using Transform = std::unique_ptr<OGRCoordinateTransformation, TransformDeleter>;

Transform makeTransform(const OGRSpatialReference& from, const OGRSpatialReference& to) {
  Transform t(OGRCreateCoordinateTransformation(&from, &to));
  if (!t) throw Error("cannot create a coordinate transformation between the AOI and grid CRS");
  return t;
}

double normalizeLon(double lon) {
  while (lon > 180.0) lon -= 360.0;
  while (lon < -180.0) lon += 360.0;
  return lon;
}

// Points along the ring with at most ~`step` degrees between them, so a projected envelope
// includes the bulge of long edges.
std::vector<std::pair<double, double>> densify(const std::vector<std::pair<double, double>>& ring,
                                               double step) {
  std::vector<std::pair<double, double>> out;
  for (size_t i = 0; i + 1 < ring.size(); ++i) {
    const auto [x0, y0] = ring[i];
    const auto [x1, y1] = ring[i + 1];
    const int n = std::max(1, static_cast<int>(std::ceil(std::hypot(x1 - x0, y1 - y0) / step)));
    for (int k = 0; k < n; ++k) {
      const double f = static_cast<double>(k) / n;
      out.emplace_back(x0 + f * (x1 - x0), y0 + f * (y1 - y0));
    }
  }
  if (!ring.empty()) out.push_back(ring.back());
  return out;
}

std::pair<double, double> centroid(const std::vector<std::pair<double, double>>& ring) {
  double sx = 0, sy = 0;
  const size_t n = ring.size() > 1 && ring.front() == ring.back() ? ring.size() - 1 : ring.size();
  for (size_t i = 0; i < n; ++i) {
    sx += ring[i].first;
    sy += ring[i].second;
  }
  return {sx / n, sy / n};
}

OGRSpatialReference gridSrs(const AoiGridRequest& r) {
  const auto [clon, clat] = centroid(r.ringLonLat);
  const int epsg = r.epsg > 0 ? r.epsg : metricEpsgFor(normalizeLon(clon), clat);
  OGRSpatialReference srs;
  if (srs.importFromEPSG(epsg) != OGRERR_NONE) {
    throw Error("EPSG:" + std::to_string(epsg) + " is not a known CRS");
  }
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return srs;
}

}  // namespace

int metricEpsgFor(double lon, double lat) {
  if (lat > 84.0) return 32661;
  if (lat < -80.0) return 32761;
  int zone = static_cast<int>(std::floor((normalizeLon(lon) + 180.0) / 6.0)) + 1;
  zone = std::clamp(zone, 1, 60);
  return (lat >= 0 ? 32600 : 32700) + zone;
}

std::vector<std::pair<double, double>> ringInGridCrs(const AoiGridRequest& request,
                                                     const GridSpec& grid) {
  OGRSpatialReference target;
  target.importFromWkt(grid.wkt.c_str());
  target.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const auto src = wgs84Srs();
  auto t = makeTransform(src, target);
  auto pts = densify(request.ringLonLat, 0.01);
  for (auto& [x, y] : pts) {
    double lon = normalizeLon(x), lat = y;
    if (!t->Transform(1, &lon, &lat)) throw Error("AOI point cannot be projected to the grid CRS");
    x = lon;
    y = lat;
  }
  return pts;
}

GridSpec makeAoiGrid(const AoiGridRequest& request) {
  if (request.ringLonLat.size() < 3) throw Error("AOI polygon needs at least 3 points");
  if (!(request.pixelSizeM > 0.0)) throw Error("pixel size must be positive");
  const OGRSpatialReference srs = gridSrs(request);
  char* wkt = nullptr;
  srs.exportToWkt(&wkt);
  GridSpec grid;
  grid.wkt = wkt ? wkt : "";
  CPLFree(wkt);

  const auto pts = ringInGridCrs(request, grid);
  double minX = std::numeric_limits<double>::max(), minY = minX;
  double maxX = std::numeric_limits<double>::lowest(), maxY = maxX;
  for (const auto& [x, y] : pts) {
    minX = std::min(minX, x);
    maxX = std::max(maxX, x);
    minY = std::min(minY, y);
    maxY = std::max(maxY, y);
  }
  const double ps = request.pixelSizeM;
  // Snap outward to whole multiples of the pixel size, so grids of nearby AOIs align.
  minX = std::floor(minX / ps) * ps;
  minY = std::floor(minY / ps) * ps;
  maxX = std::ceil(maxX / ps) * ps;
  maxY = std::ceil(maxY / ps) * ps;
  const double w = std::round((maxX - minX) / ps);
  const double h = std::round((maxY - minY) / ps);
  if (w < 1 || h < 1) throw Error("AOI is smaller than one pixel");
  if (w > 2e9 || h > 2e9) throw Error("AOI grid is too large");
  grid.width = static_cast<int>(w);
  grid.height = static_cast<int>(h);
  grid.geoTransform = {minX, ps, 0.0, maxY, 0.0, -ps};
  return grid;
}

std::pair<double, double> gridToLonLat(const GridSpec& grid, double x, double y) {
  OGRSpatialReference src;
  src.importFromWkt(grid.wkt.c_str());
  src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  auto t = makeTransform(src, wgs84Srs());
  if (!t->Transform(1, &x, &y)) throw Error("grid position cannot be converted to WGS84");
  return {normalizeLon(x), y};
}

}  // namespace cw::tiles
