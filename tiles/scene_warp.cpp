#include "tiles/scene_warp.hpp"

#include <gdal_alg.h>
#include <gdal_utils.h>
#include <ogr_geometry.h>

#include <algorithm>
#include <sstream>

#include "core/error.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/raster_window.hpp"
#include "tiles/shore_mask.hpp"
#include "tiles/tile_executor.hpp"
#include "tiles/tiled_geotiff.hpp"

namespace cw::tiles {
namespace {

// argv-style option lists for the gdal_utils functions.
class ArgList {
 public:
  ArgList& add(const std::string& a) {
    m_args.push_back(a);
    return *this;
  }
  char** argv() {
    m_ptrs.clear();
    for (auto& a : m_args) m_ptrs.push_back(a.data());
    m_ptrs.push_back(nullptr);
    return m_ptrs.data();
  }

 private:
  std::vector<std::string> m_args;
  std::vector<char*> m_ptrs;
};

std::string num(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

void createParent(const fs::path& path) {
  if (path.string().rfind("/vsi", 0) != 0) fs::create_directories(path.parent_path());
}

}  // namespace

std::string sourceMaskSelector(GDALDataset& ds, const std::vector<int>& bands) {
  if (bands.empty()) return "";
  const auto selected = [&](int b) {
    return std::find(bands.begin(), bands.end(), b) != bands.end();
  };
  // An alpha band wins even when the colour bands also carry a nodata value (TCI exports set 0
  // on every band and an alpha): nodata alone would keep the alpha's partial edges as imaged.
  for (int b = ds.GetRasterCount(); b >= 1; --b) {
    if (ds.GetRasterBand(b)->GetColorInterpretation() == GCI_AlphaBand) {
      return selected(b) ? "" : std::to_string(b);
    }
  }
  const int first = bands.front();
  if (first < 1 || first > ds.GetRasterCount()) return "";
  const int flags = ds.GetRasterBand(first)->GetMaskFlags();
  // Nodata masks are carried by the nodata value; "all valid" has nothing to carry.
  if ((flags & GMF_ALL_VALID) || (flags & GMF_NODATA)) return "";
  return (flags & (GMF_PER_DATASET | GMF_ALPHA)) ? "mask," + std::to_string(first) : "";
}

void writeWarpedVrt(const WarpRequest& request, const GridSpec& grid, const fs::path& vrtPath) {
  createParent(vrtPath);
  auto src = openRaster(request.dataset);

  // 1. Select the bands (and set a nodata override) in a plain VRT, so the warper only computes
  //    the bands that are read. The source's alpha band or per-dataset mask travels with them as
  //    the VRT's last band, so the warper treats it as the source alpha: selecting R, G, B out of
  //    RGBA would otherwise drop the alpha and warp its transparent area as imaged ground.
  const fs::path bandsVrt = vrtPath.parent_path() / (vrtPath.stem().string() + ".bands.vrt");
  const std::string maskBand = sourceMaskSelector(*src, request.bands);
  {
    ArgList args;
    args.add("-of").add("VRT");
    for (int b : request.bands) args.add("-b").add(std::to_string(b));
    if (!maskBand.empty()) {
      args.add("-b").add(maskBand);
      args.add("-colorinterp_" + std::to_string(request.bands.size() + 1)).add("alpha");
    }
    if (request.nodata) args.add("-a_nodata").add(num(*request.nodata));
    GDALTranslateOptions* opts = GDALTranslateOptionsNew(args.argv(), nullptr);
    int usageError = 0;
    CPLErrorReset();
    GDALDatasetH out =
        GDALTranslate(bandsVrt.c_str(), GDALDataset::ToHandle(src.get()), opts, &usageError);
    GDALTranslateOptionsFree(opts);
    if (!out) {
      throw Error(request.dataset + ": " + gdalWriteError(bandsVrt, "cannot select bands"));
    }
    GDALClose(out);
  }

  // 2. Warp onto the grid. The extent and size are given exactly, so pixel (i, j) of every
  //    warped scene is pixel (i, j) of the grid.
  auto bands = openRaster(bandsVrt.string());
  const auto& gt = grid.geoTransform;
  const double xmin = gt[0], ymax = gt[3];
  const double xmax = gt[0] + grid.width * gt[1];
  const double ymin = gt[3] + grid.height * gt[5];
  ArgList args;
  args.add("-of").add("VRT").add("-t_srs").add(grid.wkt);
  args.add("-te").add(num(xmin)).add(num(ymin)).add(num(xmax)).add(num(ymax));
  args.add("-ts").add(std::to_string(grid.width)).add(std::to_string(grid.height));
  args.add("-r").add(request.resampling);
  if (!maskBand.empty()) args.add("-srcalpha");
  if (request.alpha) args.add("-dstalpha");
  // Float pixels without a nodata value: NaN is no data (it would otherwise count as imaged in
  // the alpha band, and bilinear or cubic resampling would smear it over its neighbours).
  int hasNodata = 0;
  GDALRasterBand* first = bands->GetRasterBand(1);
  first->GetNoDataValue(&hasNodata);
  if (!hasNodata && GDALDataTypeIsFloating(first->GetRasterDataType())) {
    args.add("-srcnodata").add("nan");
  }
  // No destination nodata: invalid pixels are flagged by the alpha band alone.
  args.add("-dstnodata").add("None");
  GDALWarpAppOptions* opts = GDALWarpAppOptionsNew(args.argv(), nullptr);
  GDALDatasetH srcH = GDALDataset::ToHandle(bands.get());
  int usageError = 0;
  CPLErrorReset();
  GDALDatasetH out = GDALWarp(vrtPath.c_str(), nullptr, 1, &srcH, opts, &usageError);
  GDALWarpAppOptionsFree(opts);
  if (!out) {
    throw Error(request.dataset + ": " + gdalWriteError(vrtPath, "cannot warp onto the AOI grid"));
  }
  GDALClose(out);
}

void writeWarpedGeoTiff(const WarpRequest& request, const GridSpec& grid, const fs::path& tifPath,
                        int threads, int tilePx) {
  const fs::path vrt = tifPath.parent_path() / (tifPath.stem().string() + ".vrt");
  writeWarpedVrt(request, grid, vrt);
  auto src = openRaster(vrt.string());
  const int n = src->GetRasterCount();
  // The alpha band becomes an internal per-dataset mask: GDAL reports a 5th alpha band as a
  // mask only for gray+alpha or RGBA datasets, but an internal mask for any band count.
  const int dataBands = request.alpha ? n - 1 : n;
  // A warped VRT has one data type for all its bands, alpha included.
  const GDALDataType type = src->GetRasterBand(1)->GetRasterDataType();
  const int typeBytes = GDALGetDataTypeSizeBytes(type);
  const int pixelBytes = n * typeBytes;
  src.reset();

  const fs::path tmp = tempPathBeside(tifPath);
  const std::string block = std::to_string(tilePx);
  CPLStringList co;
  co.SetNameValue("TILED", "YES");
  co.SetNameValue("INTERLEAVE", "PIXEL");
  co.SetNameValue("BIGTIFF", "IF_SAFER");
  co.SetNameValue("BLOCKXSIZE", block.c_str());
  co.SetNameValue("BLOCKYSIZE", block.c_str());
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  // A failed copy (a full disk) must not leave a multi-GB temp file behind.
  try {
    GdalDataset out(drv->Create(tmp.c_str(), grid.width, grid.height, dataBands, type, co.List()));
    if (!out) throw Error(gdalWriteError(tmp, "cannot create"));
    grid.applyTo(*out);
    GDALRasterBand* mask = nullptr;
    if (request.alpha) {
      CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", "YES");
      const CPLErr err = out->CreateMaskBand(GMF_PER_DATASET);
      CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", nullptr);
      if (err != CE_None) throw Error(gdalWriteError(tmp, "cannot create its mask"));
      mask = out->GetRasterBand(1)->GetMaskBand();
    }

    HandleCache handles;
    const std::string vrtPath = vrt.string();
    streamTiles<std::vector<std::uint8_t>>(
        splitGrid(grid.width, grid.height, tilePx, 0), threads, 2 * resolveThreads(threads),
        [&](const Tile& t) {
          const cv::Rect& r = t.core;
          std::vector<std::uint8_t> buf(static_cast<std::size_t>(r.area()) * pixelBytes);
          CPLErrorReset();
          if (handles.get(vrtPath).RasterIO(GF_Read, r.x, r.y, r.width, r.height, buf.data(),
                                            r.width, r.height, type, n, nullptr, pixelBytes,
                                            static_cast<GSpacing>(r.width) * pixelBytes, typeBytes,
                                            nullptr) != CE_None) {
            throw Error(request.dataset + ": cannot warp window: " + lastGdalError());
          }
          return buf;
        },
        [&](const Tile& t, std::vector<std::uint8_t>& buf) {
          const cv::Rect& r = t.core;
          const GSpacing line = static_cast<GSpacing>(r.width) * pixelBytes;
          CPLErrorReset();
          bool ok = out->RasterIO(GF_Write, r.x, r.y, r.width, r.height, buf.data(), r.width,
                                  r.height, type, dataBands, nullptr, pixelBytes, line, typeBytes,
                                  nullptr) == CE_None;
          if (ok && mask) {
            ok = mask->RasterIO(GF_Write, r.x, r.y, r.width, r.height,
                                buf.data() + static_cast<std::size_t>(dataBands) * typeBytes,
                                r.width, r.height, type, pixelBytes, line, nullptr) == CE_None;
          }
          if (!ok) throw Error(gdalWriteError(tmp, "cannot write"));
        });
    CPLErrorReset();
    out.reset();  // closing flushes the last blocks and writes the TIFF directory
    if (CPLGetLastErrorType() >= CE_Failure) throw Error(gdalWriteError(tmp, "cannot write"));
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  renameInto(tmp, tifPath);
}

void writePolygonMask(const std::vector<std::pair<double, double>>& ring, const GridSpec& grid,
                      const fs::path& path) {
  OGRLinearRing r;
  for (const auto& [x, y] : ring) r.addPoint(x, y);
  r.closeRings();
  OGRPolygon poly;
  poly.addRing(&r);
  rasterizeMask(grid, path, {OGRGeometry::ToHandle(&poly)}, 0, 255);
}

Coverage estimateCoverage(const std::string& warpedVrt, int alphaBand, const std::string& cloudVrt,
                          const std::string& aoiMask, int maxSamplesPerAxis) {
  auto scene = openRaster(warpedVrt);
  auto aoi = openRaster(aoiMask);
  const int w = scene->GetRasterXSize(), h = scene->GetRasterYSize();
  const double f = std::max(1.0, std::max(w, h) / static_cast<double>(maxSamplesPerAxis));
  const int sw = std::max(1, static_cast<int>(w / f)), sh = std::max(1, static_cast<int>(h / f));
  auto read = [&](GDALDataset& ds, int band) {
    std::vector<GByte> buf(static_cast<size_t>(sw) * sh);
    GDALRasterIOExtraArg extra;
    INIT_RASTERIO_EXTRA_ARG(extra);
    extra.eResampleAlg = GRIORA_NearestNeighbour;
    CPLErrorReset();
    if (ds.GetRasterBand(band)->RasterIO(GF_Read, 0, 0, w, h, buf.data(), sw, sh, GDT_Byte, 0, 0,
                                         &extra) != CE_None) {
      throw Error(ds.GetDescription() + std::string(": cannot read for coverage: ") +
                  lastGdalError());
    }
    return buf;
  };
  const auto inAoi = read(*aoi, 1);
  const auto alpha = read(*scene, alphaBand);
  std::vector<GByte> cloud;
  if (!cloudVrt.empty()) {
    auto c = openRaster(cloudVrt);
    cloud = read(*c, 1);
  }
  size_t total = 0, imaged = 0, valid = 0;
  for (size_t i = 0; i < inAoi.size(); ++i) {
    if (!inAoi[i]) continue;
    ++total;
    if (alpha[i] == 255) {
      ++imaged;
      if (cloud.empty() || cloud[i] == 0) ++valid;
    }
  }
  Coverage c;
  if (total) {
    c.imaged = static_cast<double>(imaged) / total;
    c.valid = static_cast<double>(valid) / total;
  }
  return c;
}

}  // namespace cw::tiles
