#pragma once
// The one home of vector plumbing shared by every layer that writes or reads geometries: the WGS84
// CRS of all GeoJSON (RFC 7946: longitude, latitude), transformations to it, the one GeoJSON
// writer (OGR's driver, atomic, checked for silent short writes) and the one mask → polygons
// tracer (GDALPolygonize into an in-memory layer).
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include "tiles/gdal_dataset.hpp"

namespace cw::tiles {

// WGS84 longitude/latitude (EPSG:4326) in traditional GIS order: x = longitude, y = latitude.
OGRSpatialReference wgs84Srs();

// A transformation from `src` (its axis order as set by the caller) to wgs84Srs(). Throws
// cw::Error("<failure>: <GDAL's message>") when PROJ has none.
std::unique_ptr<OGRCoordinateTransformation> transformToWgs84(const OGRSpatialReference& src,
                                                              const std::string& failure);

// One attribute of a layer, created in the order given.
struct OgrField {
  const char* name;
  OGRFieldType type;
  OGRFieldSubType subType = OFSTNone;  // OFSTBoolean: written as JSON true/false
};

// What a GeoJSON file holds besides its features. Every file is RFC 7946 (RFC7946=YES) in
// wgs84Srs(); the other layer creation options are set only when asked for, so that each file
// keeps the bytes it has always had.
struct GeoJsonLayout {
  std::string layerName{};
  OGRwkbGeometryType geometryType = wkbUnknown;
  std::vector<OgrField> fields{};
  bool writeName = true;        // WRITE_NAME: a top-level "name" member (the layer name)
  int coordinatePrecision = 0;  // COORDINATE_PRECISION, 0: not set (RFC 7946's default is 7)
  bool writeBbox = false;       // WRITE_BBOX
  std::string idField{};        // ID_FIELD (ID_TYPE=String): this field becomes the feature id
};

// The layer a writeGeoJson() callback adds its features to, in the order they are to appear.
class GeoJsonLayer {
 public:
  GeoJsonLayer(OGRLayer& layer, std::filesystem::path path)
      : m_layer(layer), m_path(std::move(path)) {}
  OGRFeatureDefn* definition() const { return m_layer.GetLayerDefn(); }
  // Throws cw::Error "<path>: cannot write a feature: <GDAL's message>".
  void add(OGRFeature& feature);

 private:
  OGRLayer& m_layer;
  std::filesystem::path m_path;
};

// Writes `path` through OGR's GeoJSON driver with `layout`, the features that `fill` adds,
// atomically (cw::produceFileAtomic: temp file beside it, renamed on success, removed on any
// failure). Throws cw::Error naming `path` when the driver is missing, the file, layer or a field
// cannot be created, GDAL reports a failure while writing or closing, or the file is not whole JSON
// (a full disk: requireCompleteJson).
void writeGeoJson(const std::filesystem::path& path, const GeoJsonLayout& layout,
                  const std::function<void(GeoJsonLayer&)>& fill);

// Polygons traced by GDALPolygonize into an in-memory layer, which owns them. Each feature has the
// pixel value in its integer field "value"; geometries are in the georeferenced coordinates of the
// traced raster (pixel coordinates when it has no geotransform).
class PolygonLayer {
 public:
  PolygonLayer(GdalDataset ds, OGRLayer& layer) : m_ds(std::move(ds)), m_layer(&layer) {}
  OGRLayer& layer() const { return *m_layer; }

 private:
  GdalDataset m_ds;
  OGRLayer* m_layer;
};

// The 4-connected polygons of `values` where `mask` is non-zero, in a layer that carries `srs`
// (none when null). Throws cw::Error "<failure>: <GDAL's message>".
PolygonLayer polygonizeMask(GDALRasterBand& values, GDALRasterBand& mask,
                            const OGRSpatialReference* srs, const std::string& failure);

// The same for a byte mask in memory (`width` x `height`, rows contiguous, non-zero = inside),
// which is its own mask, georeferenced by `geoTransform` (GDAL's six coefficients).
PolygonLayer polygonizeMask(const std::uint8_t* mask, int width, int height,
                            const std::array<double, 6>& geoTransform,
                            const OGRSpatialReference* srs, const std::string& failure);

}  // namespace cw::tiles
