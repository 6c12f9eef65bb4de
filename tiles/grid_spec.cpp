#include "tiles/grid_spec.hpp"

#include <cmath>
#include <sstream>

#include <ogr_spatialref.h>

#include "core/error.hpp"

namespace cw::tiles {
namespace {

OGRSpatialReference srsOf(const std::string& wkt) {
  OGRSpatialReference srs;
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  if (!wkt.empty() && srs.importFromWkt(wkt.c_str()) != OGRERR_NONE) {
    throw Error("invalid CRS WKT: " + wkt.substr(0, 80));
  }
  return srs;
}

}  // namespace

GridSpec GridSpec::fromDataset(GDALDataset& ds) {
  GridSpec g;
  g.width = ds.GetRasterXSize();
  g.height = ds.GetRasterYSize();
  if (const OGRSpatialReference* srs = ds.GetSpatialRef()) {
    char* wkt = nullptr;
    if (srs->exportToWkt(&wkt) == OGRERR_NONE && wkt) g.wkt = wkt;
    CPLFree(wkt);
  }
  double gt[6];
  if (ds.GetGeoTransform(gt) == CE_None) {
    for (int i = 0; i < 6; ++i) g.geoTransform[i] = gt[i];
  }
  return g;
}

int GridSpec::epsg() const {
  if (wkt.empty()) return 0;
  OGRSpatialReference srs = srsOf(wkt);
  srs.AutoIdentifyEPSG();
  const char* auth = srs.GetAuthorityName(nullptr);
  const char* code = srs.GetAuthorityCode(nullptr);
  if (auth && code && std::string(auth) == "EPSG") return std::atoi(code);
  return 0;
}

bool GridSpec::metric() const {
  if (wkt.empty()) return false;
  OGRSpatialReference srs = srsOf(wkt);
  return srs.IsProjected() && std::abs(srs.GetLinearUnits() - 1.0) < 1e-9;
}

cv::Point2d GridSpec::pixelToMap(double col, double row) const {
  const auto& g = geoTransform;
  return {g[0] + col * g[1] + row * g[2], g[3] + col * g[4] + row * g[5]};
}

cv::Point2d GridSpec::mapToPixel(double x, double y) const {
  double inv[6];
  if (!GDALInvGeoTransform(const_cast<double*>(geoTransform.data()), inv)) {
    throw Error("singular geotransform");
  }
  return {inv[0] + x * inv[1] + y * inv[2], inv[3] + x * inv[4] + y * inv[5]};
}

double GridSpec::pixelSizeX() const {
  return std::hypot(geoTransform[1], geoTransform[4]);
}
double GridSpec::pixelSizeY() const {
  return std::hypot(geoTransform[2], geoTransform[5]);
}
double GridSpec::pixelArea() const {
  return std::abs(geoTransform[1] * geoTransform[5] - geoTransform[2] * geoTransform[4]);
}

bool GridSpec::sameGrid(const GridSpec& other, double tolPx) const {
  if (width != other.width || height != other.height) return false;
  if (wkt.empty() != other.wkt.empty()) return false;
  if (!wkt.empty()) {
    OGRSpatialReference a = srsOf(wkt), b = srsOf(other.wkt);
    if (!a.IsSame(&b)) return false;
  }
  const double tol = tolPx * std::min(pixelSizeX(), pixelSizeY());
  for (double c : {0.0, double(width)}) {
    for (double r : {0.0, double(height)}) {
      const cv::Point2d p = pixelToMap(c, r), q = other.pixelToMap(c, r);
      if (std::abs(p.x - q.x) > tol || std::abs(p.y - q.y) > tol) return false;
    }
  }
  return true;
}

void GridSpec::applyTo(GDALDataset& ds) const {
  if (wkt.empty()) return;
  double gt[6];
  for (int i = 0; i < 6; ++i) gt[i] = geoTransform[i];
  ds.SetGeoTransform(gt);
  OGRSpatialReference srs = srsOf(wkt);
  ds.SetSpatialRef(&srs);
}

std::string GridSpec::describe() const {
  std::ostringstream s;
  if (wkt.empty()) {
    s << "pixel grid " << width << "x" << height;
    return s.str();
  }
  const int code = epsg();
  s << (code ? "EPSG:" + std::to_string(code) : std::string("custom CRS")) << ' ' << width << 'x'
    << height << " at " << pixelSizeX() << (metric() ? " m" : " units");
  return s.str();
}

}  // namespace cw::tiles
