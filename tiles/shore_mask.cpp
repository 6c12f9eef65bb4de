#include "tiles/shore_mask.hpp"

#include <gdal_alg.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <vector>

#include "core/error.hpp"
#include "tiles/gdal_dataset.hpp"

namespace fs = std::filesystem;

namespace cw::tiles {
namespace {

using GeometryPtr = std::unique_ptr<OGRGeometry>;

struct TransformDeleter {
  void operator()(OGRCoordinateTransformation* t) const {
    OGRCoordinateTransformation::DestroyCT(t);
  }
};
using Transform = std::unique_ptr<OGRCoordinateTransformation, TransformDeleter>;

bool polygonal(const OGRGeometry* g) {
  if (!g) return false;
  const OGRwkbGeometryType t = wkbFlatten(g->getGeometryType());
  return t == wkbPolygon || t == wkbMultiPolygon || t == wkbCurvePolygon || t == wkbMultiSurface;
}

std::vector<OGRLayer*> chosenLayers(GDALDataset& ds, const ShoreSource& s) {
  std::vector<OGRLayer*> layers;
  if (!s.layer.empty()) {
    OGRLayer* l = ds.GetLayerByName(s.layer.c_str());
    if (!l) {
      std::string names;
      for (OGRLayer* x : ds.GetLayers())
        names += (names.empty() ? "" : ", ") + std::string(x->GetName());
      throw UsageError(s.path + ": no layer '" + s.layer + "' (layers: " + names + ")");
    }
    layers.push_back(l);
  } else {
    for (OGRLayer* l : ds.GetLayers()) layers.push_back(l);
  }
  if (layers.empty()) throw UsageError(s.path + ": no vector layers");
  return layers;
}

bool layerIsPolygonal(OGRLayer& l) {
  const OGRwkbGeometryType t = wkbFlatten(l.GetGeomType());
  if (t != wkbUnknown)
    return t == wkbPolygon || t == wkbMultiPolygon || t == wkbCurvePolygon || t == wkbMultiSurface;
  l.ResetReading();  // GeoJSON and friends declare "unknown": look at the first geometry
  for (auto& f : l) {
    if (f->GetGeometryRef()) return polygonal(f->GetGeometryRef());
  }
  return false;
}

// The grid's envelope in its CRS, grown by `margin` map units.
OGREnvelope gridEnvelope(const GridSpec& grid, double margin) {
  OGREnvelope e;
  for (const auto& [c, r] :
       {std::pair{0, 0}, {grid.width, 0}, {0, grid.height}, {grid.width, grid.height}}) {
    const cv::Point2d p = grid.pixelToMap(c, r);
    e.Merge(p.x, p.y);
  }
  e.MinX -= margin;
  e.MinY -= margin;
  e.MaxX += margin;
  e.MaxY += margin;
  return e;
}

OGRPolygon envelopePolygon(const OGREnvelope& e) {
  OGRLinearRing ring;
  ring.addPoint(e.MinX, e.MinY);
  ring.addPoint(e.MaxX, e.MinY);
  ring.addPoint(e.MaxX, e.MaxY);
  ring.addPoint(e.MinX, e.MaxY);
  ring.closeRings();
  OGRPolygon poly;
  poly.addRing(&ring);
  return poly;
}

// The layer's polygons over the grid, in the grid CRS, clipped and buffered.
void collectLayer(OGRLayer& layer, const ShoreSource& s, const OGRSpatialReference& gridSrs,
                  const OGREnvelope& clip, double bufferUnits, std::vector<GeometryPtr>& out) {
  const OGRSpatialReference* layerSrs = layer.GetSpatialRef();
  if (!layerSrs) {
    throw UsageError(s.path + ": layer '" + layer.GetName() +
                     "' has no CRS, so its polygons cannot be placed on the scene");
  }
  OGRSpatialReference from(*layerSrs);
  from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  Transform toGrid(OGRCreateCoordinateTransformation(&from, &gridSrs));
  Transform toLayer(OGRCreateCoordinateTransformation(&gridSrs, &from));
  if (!toGrid || !toLayer) {
    throw Error(s.path + ": cannot transform layer '" + layer.GetName() + "' to the scene CRS");
  }
  double minX, minY, maxX, maxY;
  if (toLayer->TransformBounds(clip.MinX, clip.MinY, clip.MaxX, clip.MaxY, &minX, &minY, &maxX,
                               &maxY, 21)) {
    layer.SetSpatialFilterRect(minX, minY, maxX, maxY);
  }
  const OGRPolygon clipPoly = envelopePolygon(clip);
  layer.ResetReading();
  for (auto& f : layer) {
    const OGRGeometry* g = f->GetGeometryRef();
    if (!polygonal(g)) continue;
    GeometryPtr geom(g->clone());
    if (geom->transform(toGrid.get()) != OGRERR_NONE) continue;  // outside the CRS's area
    GeometryPtr clipped(geom->Intersection(&clipPoly));
    if (!clipped || clipped->IsEmpty()) continue;
    if (bufferUnits != 0.0) clipped.reset(clipped->Buffer(bufferUnits, 8));
    if (clipped && !clipped->IsEmpty()) out.push_back(std::move(clipped));
  }
  layer.SetSpatialFilter(nullptr);
}

}  // namespace

std::string describeShore(const ShoreSource& s) {
  std::ostringstream o;
  // The file name only: outputs stay the same wherever the file lives.
  o << (s.polygonsAreLand ? "land" : "water") << " polygons "
    << fs::path(s.path).filename().string();
  if (!s.layer.empty()) o << " (layer " << s.layer << ")";
  if (s.bufferM != 0.0) o << " (shore buffer " << s.bufferM << " m)";
  return o.str();
}

void checkShoreSource(const ShoreSource& s) {
  GdalDataset ds = openVector(s.path);
  bool anyCrs = false, anyPolygons = false;
  for (OGRLayer* l : chosenLayers(*ds, s)) {
    anyCrs |= l->GetSpatialRef() != nullptr;
    anyPolygons |= layerIsPolygonal(*l);
  }
  if (!anyPolygons) throw UsageError(s.path + ": no polygon layer (land or water polygons needed)");
  if (!anyCrs) throw UsageError(s.path + ": no layer has a CRS");
  if (!std::isfinite(s.bufferM)) throw UsageError(s.path + ": the shore buffer is not a number");
}

int writeShoreWaterMask(const ShoreSource& s, const GridSpec& grid, const fs::path& path) {
  if (!grid.georeferenced()) {
    throw UsageError(s.path + ": shore polygons need a georeferenced scene (this one has no CRS)");
  }
  GdalDataset src = openVector(s.path);
  OGRSpatialReference gridSrs;
  gridSrs.importFromWkt(grid.wkt.c_str());
  gridSrs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const double unitsPerMetre = 1.0 / gridSrs.GetLinearUnits();
  // Water polygons move their shore seaward by shrinking; land polygons by growing.
  const double bufferUnits = (s.polygonsAreLand ? 1.0 : -1.0) * s.bufferM * unitsPerMetre;
  const double px = std::max(grid.pixelSizeX(), grid.pixelSizeY());
  const OGREnvelope clip = gridEnvelope(grid, std::abs(bufferUnits) + 2 * px);

  std::vector<GeometryPtr> geoms;
  for (OGRLayer* l : chosenLayers(*src, s)) {
    if (layerIsPolygonal(*l)) collectLayer(*l, s, gridSrs, clip, bufferUnits, geoms);
  }
  std::vector<OGRGeometryH> handles;
  for (const auto& g : geoms) handles.push_back(OGRGeometry::ToHandle(g.get()));
  // Land polygons: water everywhere, land burnt in; water polygons: the reverse.
  rasterizeMask(grid, path, handles, s.polygonsAreLand ? 255 : 0, s.polygonsAreLand ? 0 : 255);
  return static_cast<int>(geoms.size());
}

void rasterizeMask(const GridSpec& grid, const fs::path& path,
                   const std::vector<OGRGeometryH>& geometries, int outside, int inside) {
  if (path.string().rfind("/vsi", 0) != 0) fs::create_directories(path.parent_path());
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const char* opts[] = {"TILED=YES", "COMPRESS=DEFLATE", "SPARSE_OK=YES", nullptr};
  GdalDataset ds(
      drv->Create(path.c_str(), grid.width, grid.height, 1, GDT_Byte, const_cast<char**>(opts)));
  if (!ds) throw Error(gdalWriteError(path, "cannot create"));
  grid.applyTo(*ds);
  CPLErrorReset();
  if (outside != 0 && ds->GetRasterBand(1)->Fill(outside) != CE_None) {
    throw Error(gdalWriteError(path, "cannot fill the mask"));
  }
  if (geometries.empty()) return;
  int band = 1;
  const double burn = inside;
  std::vector<double> burns(geometries.size(), burn);
  if (GDALRasterizeGeometries(GDALDataset::ToHandle(ds.get()), 1, &band,
                              static_cast<int>(geometries.size()),
                              const_cast<OGRGeometryH*>(geometries.data()), nullptr, nullptr,
                              burns.data(), nullptr, nullptr, nullptr) != CE_None) {
    throw Error(gdalWriteError(path, "cannot rasterize polygons"));
  }
}

}  // namespace cw::tiles
