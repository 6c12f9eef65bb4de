#pragma once
// ChangeMap: runs one imaging::ChangeMethod over a pair of rasters aligned on one grid, in
// bounded memory, and writes the change products of one job:
//
//   score.tif        COG, Float32, the method's score (NaN = no decision), AVERAGE overviews;
//                    or scaled UInt16 (options.scoreEncoding)
//   mask.tif         COG, Byte, 0 = no change, 1 = change, 255 = no decision, NEAREST overviews
//   changes.geojson  RFC 7946 (lon, lat) change polygons with area_m2, pixel_count, mean_score
//                    (only on a georeferenced grid: a pixel grid has no lon/lat)
//
// Steps:
//   1. co-registration (optional): imaging::estimateShift (phase correlation, Hann window) on up
//      to 25 evenly spread, ≥95 % valid 256-px windows of the band means (grids shorter than
//      512 px: half-overlapping 128- or 64-px windows, at least 2 x 2), combined by
//      imaging::combineShifts (response-weighted median). It is applied to AFTER (bicubic, per
//      padded tile) when ≥ 3 windows respond and at least `minShiftConfidence` of them lie
//      within 0.5 px of the median (so a flood or cloud does not drag the shift).
//   2. fit: the method samples the valid pixels of a global lattice (stride chosen so the
//      sample is ≤ maxSamplePixels) in the fit windows: every grid block up to 4 × maxSamplePixels
//      pixels, beyond that a staggered subset of the 512-px grid blocks with about that many
//      pixels (so a large scene is not decoded twice); samples are put in raster order (so the
//      fit is identical for any tiling and thread count) and fitted once.
//   3. apply: a bounded pipeline computes score and mask per padded tile: mask = score >
//      threshold on valid pixels, then a morphological open then close (elliptic, radius in
//      metres -> pixels), whose halo is added to the method's; the tile cores are written in
//      order to temp tiled GeoTIFFs.
//   4. minimum area: GDALPolygonize (4-connected) of the change pixels in the grid CRS; polygons
//      smaller than minAreaM2 are burnt out of the mask (so the mask and the GeoJSON agree, and
//      small *holes* in a change are not filled, which GDALSieveFilter would do).
//   5. COG conversion of both rasters (atomic: temp name, then rename), polygons to WGS84 with
//      traditional GIS order, written by OGR's GeoJSON driver with RFC7946=YES.
//
// Memory: O(tile² × tokens) + the lattice sample (≤ maxSamplePixels rows) + GDAL's block cache;
// it does not grow with the grid. Thread-safety: run() may be called from several threads for
// different jobs; the method must honour its own contract (sampleTile/score thread-safe).
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "imaging/change_method.hpp"
#include "tiles/grid_spec.hpp"
#include "tiles/raster_window.hpp"

namespace cw::tiles {

namespace fs = std::filesystem;

struct ChangeInputs {
  GridSpec grid;  // the grid both rasters are on (pixel (i,j) = same ground)
  RasterSource before;
  RasterSource after;             // same number of bands as before
  std::vector<MaskSource> masks;  // extra validity (AOI raster, cloud bands); may be empty
};

struct ChangeMapOptions {
  int threads = 0;     // 0 = all cores
  int tileSizePx = 0;  // 0 = planned from the memory budget (512 by default)
  std::size_t memoryBudgetBytes = std::size_t(256) << 20;  // tile buffers in flight
  std::size_t maxSamplePixels = 2'000'000;
  bool coregister = true;
  double minShiftConfidence = 0.5;  // fraction of windows agreeing with the median shift
  double openRadiusM = 0.0;         // 0 = no opening; metres (pixels on a pixel grid)
  double closeRadiusM = 0.0;
  double minAreaM2 = 0.0;  // m² (px² on a pixel grid)
  bool writeGeojson = true;
  std::string compression = "ZSTD";  // COG compression of both outputs
  int compressionLevel = 1;
  // score.tif encoding. Float32: the score, NaN = no decision. UInt16: round(score / scale) with
  // scale = threshold / kScoreUInt16AtThreshold (offset 0; scores are ≥ 0), saturating at 65534
  // (≈ 32.8 × threshold), 65535 = no decision; GDAL scale/offset metadata carry the mapping, so
  // a reader that applies them (GDAL's unscaled read, rasterio, xarray) gets the score back
  // within scale / 2 (threshold / 4000). The mask and polygons are decided on the float score
  // either way. Measured in bench/RESULTS.md (write time and size per encoding).
  enum class ScoreEncoding { Float32, UInt16 };
  ScoreEncoding scoreEncoding = ScoreEncoding::Float32;
};

// UInt16 score encoding: the threshold maps to this code.
constexpr double kScoreUInt16AtThreshold = 2000.0;

struct ChangePolygon {
  int id = 0;
  double areaM2 = 0.0;  // in the metric grid CRS (px² on a pixel grid)
  long long pixelCount = 0;
  double meanScore = 0.0;
  cv::Rect boundsPx;         // grid pixels
  std::string geometryJson;  // GeoJSON geometry: lon,lat (WGS84) or pixel coordinates
};

struct ChangeMapResult {
  std::string method;
  GridSpec grid;
  double threshold = 0.0;
  double scoreScale = 1.0;  // score = code * scoreScale + scoreOffset (UInt16 encoding)
  double scoreOffset = 0.0;
  std::map<std::string, std::vector<double>> solved;
  cv::Point2d shiftPx{0.0, 0.0};  // AFTER relative to BEFORE, applied when shiftApplied
  double shiftConfidence = 0.0;
  int shiftWindows = 0;
  bool shiftApplied = false;
  int tileSizePx = 0;
  int tileCount = 0;
  int haloPx = 0;
  int sampleStride = 1;
  int fitBlockEvery = 1;  // the fit read one grid block in this many (1 = all)
  long long samplePixels = 0;
  long long validPixels = 0;
  long long changedPixels = 0;  // after morphology and minimum area
  double changedAreaM2 = 0.0;
  std::vector<ChangePolygon> polygons;
  std::map<std::string, double> timingsS;     // coregister, fit, apply, polygons, cog, total
  fs::path scorePath, maskPath, geojsonPath;  // geojsonPath empty when not written
};

// Runs the method (already created with its options) over the pair and writes the outputs into
// `outDir` (created if missing). Throws cw::Error on unreadable inputs, mismatched band counts,
// no valid pixel, or a failed write; no partial file is left under a final name.
ChangeMapResult runChangeMap(const ChangeInputs& inputs, imaging::ChangeMethod& method,
                             const ChangeMapOptions& options, const fs::path& outDir);

// Pixels for a radius in metres on this grid (on a pixel grid, metres are pixels).
int radiusPx(const GridSpec& grid, double radiusM);

}  // namespace cw::tiles
