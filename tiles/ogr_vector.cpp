#include "tiles/ogr_vector.hpp"

#include <gdal_alg.h>
#include <gdal_priv.h>

#include <algorithm>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace cw::tiles {
namespace {

// The layer creation options `layout` asks for, RFC7946=YES first.
CPLStringList layerOptions(const GeoJsonLayout& layout) {
  CPLStringList lco;
  lco.SetNameValue("RFC7946", "YES");
  if (!layout.writeName) lco.SetNameValue("WRITE_NAME", "NO");
  if (layout.coordinatePrecision > 0) {
    lco.SetNameValue("COORDINATE_PRECISION", std::to_string(layout.coordinatePrecision).c_str());
  }
  if (layout.writeBbox) lco.SetNameValue("WRITE_BBOX", "YES");
  if (!layout.idField.empty()) {
    lco.SetNameValue("ID_FIELD", layout.idField.c_str());
    lco.SetNameValue("ID_TYPE", "String");
  }
  return lco;
}

// Creates the one layer of a GeoJSON file with the fields of `layout`, in their order.
OGRLayer& createLayer(GDALDataset& ds, const GeoJsonLayout& layout,
                      const std::filesystem::path& path) {
  OGRSpatialReference wgs84 = wgs84Srs();
  CPLStringList lco = layerOptions(layout);
  OGRLayer* layer =
      ds.CreateLayer(layout.layerName.c_str(), &wgs84, layout.geometryType, lco.List());
  if (!layer) throw Error(path.string() + ": cannot create layer: " + lastGdalError());
  for (const auto& f : layout.fields) {
    OGRFieldDefn def(f.name, f.type);
    def.SetSubType(f.subType);
    if (layer->CreateField(&def) != OGRERR_NONE) {
      throw Error(path.string() + ": cannot create field " + f.name + ": " + lastGdalError());
    }
  }
  return *layer;
}

// An empty in-memory vector layer for GDALPolygonize's polygons, with their "value" field.
PolygonLayer polygonLayer(const OGRSpatialReference* srs, const std::string& failure) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("Memory");
  if (!drv) throw Error(failure + ": GDAL has no Memory vector driver");
  GdalDataset ds(drv->Create("", 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds) throw Error(failure + ": " + lastGdalError());
  // CreateLayer clones the SRS; it takes no ownership.
  OGRLayer* layer =
      ds->CreateLayer("polygons", const_cast<OGRSpatialReference*>(srs), wkbPolygon, nullptr);
  if (!layer) throw Error(failure + ": " + lastGdalError());
  OGRFieldDefn value("value", OFTInteger);
  if (layer->CreateField(&value) != OGRERR_NONE) throw Error(failure + ": " + lastGdalError());
  return PolygonLayer(std::move(ds), *layer);
}

}  // namespace

OGRSpatialReference wgs84Srs() {
  OGRSpatialReference srs;
  srs.SetWellKnownGeogCS("WGS84");
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return srs;
}

std::unique_ptr<OGRCoordinateTransformation> transformToWgs84(const OGRSpatialReference& src,
                                                              const std::string& failure) {
  const OGRSpatialReference dst = wgs84Srs();
  CPLErrorReset();  // so that the message below is PROJ's about this transformation
  std::unique_ptr<OGRCoordinateTransformation> t(OGRCreateCoordinateTransformation(&src, &dst));
  if (!t) {
    const std::string why = lastGdalError("");
    throw Error(why.empty() ? failure : failure + ": " + why);
  }
  return t;
}

void GeoJsonLayer::add(OGRFeature& feature) {
  if (m_layer.CreateFeature(&feature) != OGRERR_NONE) {
    throw Error(m_path.string() + ": cannot write a feature: " + lastGdalError());
  }
}

void writeGeoJson(const std::filesystem::path& path, const GeoJsonLayout& layout,
                  const std::function<void(GeoJsonLayer&)>& fill) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GeoJSON");
  if (!drv) throw Error(path.string() + ": GDAL has no GeoJSON driver");
  produceFileAtomic(path, [&](const std::filesystem::path& tmp) {
    CPLErrorReset();
    {
      GdalDataset ds(drv->Create(tmp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
      if (!ds) throw Error(path.string() + ": cannot create: " + lastGdalError());
      GeoJsonLayer layer(createLayer(*ds, layout, path), path);
      fill(layer);
    }  // closing flushes; GDAL reports some write errors only then
    if (CPLGetLastErrorType() == CE_Failure) {
      throw Error(path.string() + ": GeoJSON write failed: " + lastGdalError());
    }
    requireCompleteJson(tmp, path);  // ...but not a full disk: the driver ignores short writes
  });
}

PolygonLayer polygonizeMask(GDALRasterBand& values, GDALRasterBand& mask,
                            const OGRSpatialReference* srs, const std::string& failure) {
  PolygonLayer out = polygonLayer(srs, failure);
  CPLErrorReset();
  if (GDALPolygonize(GDALRasterBand::ToHandle(&values), GDALRasterBand::ToHandle(&mask),
                     OGRLayer::ToHandle(&out.layer()), 0, nullptr, nullptr, nullptr) != CE_None) {
    throw Error(failure + ": " + lastGdalError());
  }
  return out;
}

PolygonLayer polygonizeMask(const std::uint8_t* mask, int width, int height,
                            const std::array<double, 6>& geoTransform,
                            const OGRSpatialReference* srs, const std::string& failure) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("MEM");
  if (!drv) throw Error(failure + ": GDAL has no MEM raster driver");
  GdalDataset ds(drv->Create("", width, height, 1, GDT_Byte, nullptr));
  if (!ds) throw Error(failure + ": " + lastGdalError());
  double gt[6];
  std::copy(geoTransform.begin(), geoTransform.end(), gt);
  ds->SetGeoTransform(gt);
  GDALRasterBand& band = *ds->GetRasterBand(1);
  if (band.RasterIO(GF_Write, 0, 0, width, height, const_cast<std::uint8_t*>(mask), width, height,
                    GDT_Byte, 0, 0, nullptr) != CE_None) {
    throw Error(failure + ": cannot fill the mask: " + lastGdalError());
  }
  return polygonizeMask(band, band, srs, failure);
}

}  // namespace cw::tiles
