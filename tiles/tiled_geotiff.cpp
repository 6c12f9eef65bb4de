#include "tiles/tiled_geotiff.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>

#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal_utils.h>

#include "core/error.hpp"

namespace cw::tiles {

void renameInto(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) throw Error(to.string() + ": cannot rename from temp file: " + ec.message());
}

TiledGeoTiff::TiledGeoTiff(const fs::path& path, const GridSpec& grid, int bands, GDALDataType type,
                           std::optional<double> nodata, int blockPx)
    : m_path(path) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  if (!drv) throw Error("GDAL has no GTiff driver");
  // Blocks must be multiples of 16; a whole-grid block is fine for small grids.
  blockPx = std::max(16, blockPx / 16 * 16);
  CPLStringList opts;
  opts.SetNameValue("TILED", "YES");
  opts.SetNameValue("BLOCKXSIZE", std::to_string(blockPx).c_str());
  opts.SetNameValue("BLOCKYSIZE", std::to_string(blockPx).c_str());
  opts.SetNameValue("INTERLEAVE", "PIXEL");
  opts.SetNameValue("BIGTIFF", "IF_SAFER");
  opts.SetNameValue("SPARSE_OK", "TRUE");
  CPLErrorReset();
  GDALDataset* ds = drv->Create(path.c_str(), grid.width, grid.height, bands, type, opts.List());
  if (!ds) throw Error(path.string() + ": cannot create: " + lastGdalError());
  m_ds.reset(ds);
  grid.applyTo(*m_ds);
  if (nodata) {
    for (int b = 1; b <= bands; ++b) m_ds->GetRasterBand(b)->SetNoDataValue(*nodata);
  }
}

void TiledGeoTiff::writeWindow(const cv::Rect& window, const cv::Mat& data) {
  if (!m_ds) throw Error(m_path.string() + ": write after close");
  const int bands = m_ds->GetRasterCount();
  if (data.channels() != bands || data.size() != window.size()) {
    throw Error(m_path.string() + ": window data does not match the raster");
  }
  GDALDataType type = GDT_Byte;
  switch (data.depth()) {
    case CV_8U:
      type = GDT_Byte;
      break;
    case CV_16U:
      type = GDT_UInt16;
      break;
    case CV_32F:
      type = GDT_Float32;
      break;
    default:
      throw Error(m_path.string() + ": unsupported cv::Mat depth");
  }
  const int elem = static_cast<int>(data.elemSize1());
  CPLErrorReset();
  if (m_ds->RasterIO(GF_Write, window.x, window.y, window.width, window.height,
                     const_cast<uchar*>(data.data), window.width, window.height, type, bands,
                     nullptr, GSpacing(elem) * bands, static_cast<GSpacing>(data.step[0]), elem,
                     nullptr) != CE_None) {
    throw Error(gdalWriteError(m_path, "write failed"));
  }
}

void TiledGeoTiff::close() {
  if (!m_ds) return;
  CPLErrorReset();
  m_ds->FlushCache(true);
  m_ds.reset();
  if (CPLGetLastErrorType() >= CE_Failure) {
    throw Error(gdalWriteError(m_path, "cannot flush"));
  }
}

void writeCog(GDALDataset& src, const fs::path& dst, const CogOptions& o) {
  const fs::path tmp = tempPathBeside(dst);
  CPLStringList args;
  args.AddString("-of");
  args.AddString("COG");
  if (o.band) {
    args.AddString("-b");
    args.AddString(std::to_string(*o.band).c_str());
  }
  auto co = [&](const std::string& kv) {
    args.AddString("-co");
    args.AddString(kv.c_str());
  };
  co("COMPRESS=" + o.compression);
  if (o.compression == "ZSTD" || o.compression == "DEFLATE") co("LEVEL=" + std::to_string(o.level));
  if (o.predictor) co("PREDICTOR=YES");
  co("OVERVIEW_RESAMPLING=" + o.resampling);
  co("NUM_THREADS=" + std::to_string(std::max(1, o.threads)));
  co("BIGTIFF=IF_SAFER");
  GDALTranslateOptions* opts = GDALTranslateOptionsNew(args.List(), nullptr);
  CPLErrorReset();
  int usageError = 0;
  GDALDatasetH out = GDALTranslate(tmp.c_str(), GDALDataset::ToHandle(&src), opts, &usageError);
  GDALTranslateOptionsFree(opts);
  if (!out) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw Error(gdalWriteError(dst, "cannot write COG"));
  }
  GDALClose(out);
  if (CPLGetLastErrorType() >= CE_Failure) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw Error(gdalWriteError(dst, "cannot write COG"));
  }
  renameInto(tmp, dst);
}

}  // namespace cw::tiles
