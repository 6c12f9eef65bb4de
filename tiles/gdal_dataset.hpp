#pragma once
// RAII ownership of GDAL datasets, and opening with errors that carry GDAL's own message.
// A GdalDataset is not thread-safe: GDAL handles are never shared between threads; each thread
// opens its own.
#include <filesystem>
#include <memory>
#include <string>

#include <gdal_priv.h>

namespace cw::tiles {

struct GdalDatasetCloser {
  void operator()(GDALDataset* ds) const {
    if (ds) GDALClose(GDALDataset::ToHandle(ds));
  }
};
using GdalDataset = std::unique_ptr<GDALDataset, GdalDatasetCloser>;

// Opens a raster read-only. Throws cw::Error "<path>: <reason>" where reason is "no such file",
// "empty file (0 bytes)" or "not a raster GDAL can read (<GDAL's message>)".
GdalDataset openRaster(const std::string& path);

// Opens a vector dataset read-only, with the same error contract.
GdalDataset openVector(const std::string& path);

// GDAL's GeoJSON driver ignores a failed write(): a full disk or a file-size limit leaves a
// truncated file and no error. Call after closing the dataset written at `written`, before
// renaming it to `finalPath`: throws cw::Error "<finalPath>: write failed: <reason>" unless the
// file parses as whole JSON.
void requireCompleteJson(const std::filesystem::path& written, const std::filesystem::path& finalPath);

// GDAL's last error message for this thread, or `fallback` when there is none.
std::string lastGdalError(const std::string& fallback = "unknown GDAL error");

}  // namespace cw::tiles
