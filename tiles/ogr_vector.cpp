#include "tiles/ogr_vector.hpp"

#include "core/error.hpp"

namespace cw::tiles {

OGRSpatialReference wgs84Srs() {
  OGRSpatialReference srs;
  srs.SetWellKnownGeogCS("WGS84");
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return srs;
}

std::unique_ptr<OGRCoordinateTransformation> transformToWgs84(const OGRSpatialReference& src,
                                                              const std::string& failure) {
  const OGRSpatialReference dst = wgs84Srs();
  std::unique_ptr<OGRCoordinateTransformation> t(OGRCreateCoordinateTransformation(&src, &dst));
  if (!t) throw Error(failure);
  return t;
}

}  // namespace cw::tiles
