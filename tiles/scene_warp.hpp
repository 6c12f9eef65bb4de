#pragma once
// Puts scenes on an AOI grid with GDAL's warper, lazily: each scene becomes a warped VRT whose
// windows are warped on request, so a job reads (and warps) only the tile window it needs, with
// its halo, and memory stays O(tile). Each thread opens the VRT file on its own handle.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gdal_priv.h>
#include <opencv2/core.hpp>

#include "tiles/grid_spec.hpp"

namespace cw::tiles {

namespace fs = std::filesystem;

struct WarpRequest {
  std::string dataset;                  // source raster (anything GDALOpen accepts)
  std::vector<int> bands;               // 1-based source bands, in output order
  std::optional<double> nodata;         // source nodata override
  std::string resampling = "bilinear";  // near | bilinear | cubic (masks and classes: near)
  bool alpha = true;                    // add an alpha band: 0 outside the source or on its nodata
};

// What carries the validity of `bands` of `ds` besides nodata, as a gdal_translate band
// selector: the source's alpha band ("4" for RGB + alpha exports, whether or not the colour bands
// also carry a nodata value), else the per-dataset mask of the first band ("mask,1": an internal
// TIFF mask, GMF_PER_DATASET / GMF_ALPHA); "" when validity is all-valid or nodata alone, or the
// alpha is itself one of `bands`. The warp carries it as the source alpha, so masked pixels are
// no data (never change).
std::string sourceMaskSelector(GDALDataset& ds, const std::vector<int>& bands);

// Writes `vrtPath`: the selected bands of the source warped onto `grid` (plus an alpha band when
// requested, which GDAL then uses as the dataset's mask). Intermediate VRTs go beside it.
// Throws cw::Error with GDAL's message.
void writeWarpedVrt(const WarpRequest& request, const GridSpec& grid, const fs::path& vrtPath);

// Warps once, eagerly: writes the warped VRT beside `tifPath` (same stem), then copies it into a
// tiled (tilePx), pixel-interleaved, uncompressed GeoTIFF, reading tilePx windows of the VRT in
// parallel on `threads` threads (one GDAL handle each) and writing them in order. The alpha band
// (when requested) becomes the GeoTIFF's internal per-dataset mask, so the file has only the
// requested bands and GDAL's mask band says where the scene imaged. A job then warps every pixel
// exactly once instead of once per pass (co-registration, fit, apply, footprint, detection, chips,
// review tiles); memory stays O(tile × threads), disk is width × height × (bands + 1) × the band
// type's size. The file appears under its final name only when complete.
void writeWarpedGeoTiff(const WarpRequest& request, const GridSpec& grid, const fs::path& tifPath,
                        int threads, int tilePx = 512);

// Burns a polygon ring (in the grid's CRS) into a Byte GeoTIFF on `grid` (255 inside, 0 outside),
// tiled and compressed, written by GDALRasterize in chunks so memory does not grow with the grid.
void writePolygonMask(const std::vector<std::pair<double, double>>& ringGridCrs,
                      const GridSpec& grid, const fs::path& path);

// Fractions of the AOI (the mask raster's 255 pixels) that a warped scene images and images
// validly (alpha = 255 and, if given, cloud band 0), estimated on a lattice of at most
// `maxSamplesPerAxis`² points read through GDAL's decimating RasterIO.
struct Coverage {
  double imaged = 0.0;
  double valid = 0.0;
};
Coverage estimateCoverage(const std::string& warpedVrt, int alphaBand, const std::string& cloudVrt,
                          const std::string& aoiMask, int maxSamplesPerAxis = 256);

}  // namespace cw::tiles
