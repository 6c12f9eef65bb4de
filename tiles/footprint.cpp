#include "tiles/footprint.hpp"

#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/ogr_vector.hpp"

namespace cw::tiles {
namespace {

std::vector<GByte> readBand(GDALRasterBand& band, int x, int y, int w, int h, int bw, int bh) {
  std::vector<GByte> buf(static_cast<size_t>(bw) * bh);
  GDALRasterIOExtraArg extra;
  INIT_RASTERIO_EXTRA_ARG(extra);
  extra.eResampleAlg = GRIORA_NearestNeighbour;
  CPLErrorReset();
  if (band.RasterIO(GF_Read, x, y, w, h, buf.data(), bw, bh, GDT_Byte, 0, 0, &extra) != CE_None) {
    const GDALDataset* ds = band.GetDataset();
    throw Error(std::string(ds ? ds->GetDescription() : "raster") +
                ": read failed: " + lastGdalError());
  }
  return buf;
}

}  // namespace

FootprintResult computeFootprint(const GridSpec& grid, const std::string& scenePath,
                                 const std::string& cloudVrt, const std::string& aoiMask) {
  auto scene = openRaster(scenePath);
  GDALRasterBand& imagedBand = *scene->GetRasterBand(1)->GetMaskBand();
  auto aoi = openRaster(aoiMask);
  GdalDataset cloud;
  if (!cloudVrt.empty()) cloud = openRaster(cloudVrt);

  FootprintResult r;
  const int w = grid.width, h = grid.height;
  long long inAoi = 0, imaged = 0, valid = 0;
  const int strip = 256;
  for (int y = 0; y < h; y += strip) {
    const int sh = std::min(strip, h - y);
    const auto a = readBand(*aoi->GetRasterBand(1), 0, y, w, sh, w, sh);
    const auto al = readBand(imagedBand, 0, y, w, sh, w, sh);
    std::vector<GByte> c;
    if (cloud) c = readBand(*cloud->GetRasterBand(1), 0, y, w, sh, w, sh);
    for (size_t i = 0; i < a.size(); ++i) {
      if (!a[i]) continue;
      ++inAoi;
      if (al[i] == 255) {
        ++imaged;
        if (c.empty() || c[i] == 0) ++valid;
      }
    }
  }
  const double pxArea = grid.pixelArea();
  r.aoiAreaM2 = inAoi * pxArea;
  if (inAoi) {
    r.imagedFraction = static_cast<double>(imaged) / inAoi;
    r.validFraction = static_cast<double>(valid) / inAoi;
  }
  r.validAreaM2 = valid * pxArea;

  // Outline on a decimated copy of the valid mask.
  const double f = std::max(1.0, std::max(w, h) / 512.0);
  const int cw = std::max(1, static_cast<int>(std::ceil(w / f)));
  const int ch = std::max(1, static_cast<int>(std::ceil(h / f)));
  const auto a = readBand(*aoi->GetRasterBand(1), 0, 0, w, h, cw, ch);
  const auto al = readBand(imagedBand, 0, 0, w, h, cw, ch);
  std::vector<GByte> c;
  if (cloud) c = readBand(*cloud->GetRasterBand(1), 0, 0, w, h, cw, ch);
  std::vector<GByte> m(a.size());
  for (size_t i = 0; i < m.size(); ++i) {
    m[i] = (a[i] && al[i] == 255 && (c.empty() || c[i] == 0)) ? 1 : 0;
  }
  std::array<double, 6> coarseGt = grid.geoTransform;
  coarseGt[1] = grid.geoTransform[1] * w / cw;
  coarseGt[5] = grid.geoTransform[5] * h / ch;
  OGRSpatialReference srs;
  srs.importFromWkt(grid.wkt.c_str());
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const PolygonLayer traced =
      polygonizeMask(m.data(), cw, ch, coarseGt, &srs, "cannot trace the footprint");
  const auto ct = transformToWgs84(srs, "cannot transform the footprint to WGS84");
  OGRLayer& layer = traced.layer();
  layer.ResetReading();
  for (auto& feat : layer) {
    OGRGeometry* g = feat->GetGeometryRef();
    if (!g || g->transform(ct.get()) != OGRERR_NONE) continue;
    const OGRPolygon* p = g->toPolygon();
    std::vector<std::vector<std::array<double, 2>>> rings;
    auto addRing = [&](const OGRLinearRing* ring) {
      std::vector<std::array<double, 2>> pts;
      for (int i = 0; i < ring->getNumPoints(); ++i) pts.push_back({ring->getX(i), ring->getY(i)});
      rings.push_back(std::move(pts));
    };
    addRing(p->getExteriorRing());
    for (int i = 0; i < p->getNumInteriorRings(); ++i) addRing(p->getInteriorRing(i));
    r.polygons.push_back(std::move(rings));
  }
  return r;
}

}  // namespace cw::tiles
