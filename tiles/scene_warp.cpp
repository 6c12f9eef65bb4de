#include "tiles/scene_warp.hpp"

#include <gdal_alg.h>
#include <gdal_utils.h>
#include <ogr_geometry.h>

#include <sstream>

#include "imaging/error.hpp"
#include "tiles/gdal_dataset.hpp"

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

void writeWarpedVrt(const WarpRequest& request, const GridSpec& grid, const fs::path& vrtPath) {
  createParent(vrtPath);
  auto src = openRaster(request.dataset);

  // 1. Select the bands (and set a nodata override) in a plain VRT, so the warper only computes
  //    the bands that are read.
  const fs::path bandsVrt = vrtPath.parent_path() / (vrtPath.stem().string() + ".bands.vrt");
  {
    ArgList args;
    args.add("-of").add("VRT");
    for (int b : request.bands) args.add("-b").add(std::to_string(b));
    if (request.nodata) args.add("-a_nodata").add(num(*request.nodata));
    GDALTranslateOptions* opts = GDALTranslateOptionsNew(args.argv(), nullptr);
    int usageError = 0;
    CPLErrorReset();
    GDALDatasetH out = GDALTranslate(bandsVrt.c_str(), GDALDataset::ToHandle(src.get()), opts,
                                     &usageError);
    GDALTranslateOptionsFree(opts);
    if (!out) throw Error(request.dataset + ": cannot select bands: " + lastGdalError());
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
  if (!out) throw Error(request.dataset + ": cannot warp onto the AOI grid: " + lastGdalError());
  GDALClose(out);
}

void writePolygonMask(const std::vector<std::pair<double, double>>& ring, const GridSpec& grid,
                      const fs::path& path) {
  createParent(path);
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const char* opts[] = {"TILED=YES", "COMPRESS=DEFLATE", "SPARSE_OK=YES", nullptr};
  GdalDataset ds(drv->Create(path.c_str(), grid.width, grid.height, 1, GDT_Byte,
                             const_cast<char**>(opts)));
  if (!ds) throw Error(path.string() + ": cannot create: " + lastGdalError());
  grid.applyTo(*ds);
  OGRLinearRing r;
  for (const auto& [x, y] : ring) r.addPoint(x, y);
  r.closeRings();
  OGRPolygon poly;
  poly.addRing(&r);
  OGRGeometryH geom = OGRGeometry::ToHandle(&poly);
  int band = 1;
  double burn = 255.0;
  CPLErrorReset();
  if (GDALRasterizeGeometries(GDALDataset::ToHandle(ds.get()), 1, &band, 1, &geom, nullptr,
                              nullptr, &burn, nullptr, nullptr, nullptr) != CE_None) {
    throw Error(path.string() + ": cannot rasterize the AOI: " + lastGdalError());
  }
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
