#pragma once
// Streaming output rasters: a tiled GeoTIFF written window by window (the apply pass writes each
// tile's core once, in order), then converted to a Cloud-Optimized GeoTIFF by GDAL's COG driver,
// which builds the overviews from the written data rather than from the inputs.
//
// Files appear under their final name only when complete: the COG is written to a temp name in
// the same folder (core/temp_path.hpp) and renamed.
#include <filesystem>
#include <optional>
#include <string>

#include <opencv2/core.hpp>

#include "core/temp_path.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/grid_spec.hpp"

namespace cw::tiles {

namespace fs = std::filesystem;

// A tiled, uncompressed GTiff for streaming writes. Not thread-safe: call writeWindow() from one
// thread at a time (the executor's serial write stage).
class TiledGeoTiff {
 public:
  // Creates `path` with `bands` bands of `type` on `grid`; nodata set on every band if given.
  TiledGeoTiff(const fs::path& path, const GridSpec& grid, int bands, GDALDataType type,
               std::optional<double> nodata, int blockPx = 512);
  // Writes `data` (CV_8UC(bands), CV_16UC(bands) or CV_32FC(bands), pixel-interleaved) at
  // `window` (grid pixels). Throws cw::Error with GDAL's message on failure.
  void writeWindow(const cv::Rect& window, const cv::Mat& data);
  GDALDataset& dataset() { return *m_ds; }
  const fs::path& path() const { return m_path; }
  // Flushes and closes (idempotent).
  void close();

 private:
  fs::path m_path;
  GdalDataset m_ds;
};

struct CogOptions {
  std::string compression = "ZSTD";  // measured fastest on this machine (measured-baselines.md)
  int level = 1;
  std::string resampling = "AVERAGE";  // overview resampling: AVERAGE for scores, NEAREST masks
  int threads = 1;
  std::optional<int> band;  // copy only this band (1-based); all when unset
  bool predictor = false;
};

// Converts `src` to a COG at `dst` atomically (temp name beside dst, then rename). Throws
// cw::Error naming dst and GDAL's message.
void writeCog(GDALDataset& src, const fs::path& dst, const CogOptions& options);

// Renames `from` over `to` (same folder); throws cw::Error with the OS message.
void renameInto(const fs::path& from, const fs::path& to);

}  // namespace cw::tiles
