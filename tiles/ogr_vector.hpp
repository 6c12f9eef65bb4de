#pragma once
// The one home of vector plumbing shared by every layer that writes or reads geometries: the WGS84
// CRS of all GeoJSON (RFC 7946: longitude, latitude), and transformations to it.
#include <memory>
#include <string>

#include <ogr_spatialref.h>

namespace cw::tiles {

// WGS84 longitude/latitude (EPSG:4326) in traditional GIS order: x = longitude, y = latitude.
OGRSpatialReference wgs84Srs();

// A transformation from `src` (its axis order as set by the caller) to wgs84Srs(). Throws
// cw::Error(failure) when PROJ has none.
std::unique_ptr<OGRCoordinateTransformation> transformToWgs84(const OGRSpatialReference& src,
                                                              const std::string& failure);

}  // namespace cw::tiles
