#pragma once
// Runs an object detector over a whole raster, tile by tile, and geotags the detections.
//
//   1. (a detector that needsSceneWater(), no water polygon) the water mask is learned ONCE per
//      scene on a decimated copy (at most `waterOverviewPx` a side, GDAL's nearest-neighbour
//      RasterIO), with the detector's sceneWater() at the coarser pixel size, and handed to every
//      tile as its known water mask (nearest-neighbour upsampled). A per-tile water model would
//      depend on the tile size (Otsu on an all-water SAR tile splits the water in two) and break
//      the invariant below.
//   2. tiles::splitGrid with the detector's halo; per tile (tiles::mapTiles, one GDAL handle per
//      thread): read the padded window (nodata, GDAL mask and cloud band -> valid), detect, keep
//      the detections whose centroid lies in the tile core (centroid ownership: an object that
//      straddles tiles is counted once), shift to grid pixels.
//   3. merge in tile order and sort by (y, x): the result is identical for any tile size and
//      thread count (tested: 256 vs 1024 px tiles, 1 vs 2 threads).
//   4. pixel centroids -> map coordinates (GridSpec) -> WGS84 lon/lat (OGR, traditional GIS
//      order), when the raster is georeferenced.
// The imaged footprint (valid, cloud-free pixels) is counted exactly per tile core and traced
// as polygons with GDALPolygonize on the decimated valid mask, reprojected to WGS84.
//
// Memory: O(tile x threads) plus one overview of <= waterOverviewPx^2 pixels.
// Thread-safety: runDetection may be called concurrently; it opens its own handles.
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "imaging/object_detector.hpp"
#include "tiles/grid_spec.hpp"
#include "tiles/raster_window.hpp"

namespace cw::tiles {

struct DetectionRunRequest {
  RasterSource scene;                    // bands in `roles` order
  std::vector<imaging::BandRole> roles;  // one per selected band
  std::optional<MaskSource> cloud;       // non-zero = cloud (validWhereNonZero = false)
  std::optional<MaskSource> water;       // 255 = water (config polygon raster), on the grid
  std::string waterName = "config";      // what `water` was made from, for waterSource
  double pixelSizeM = 0.0;               // ground size of a pixel, m
  int tileSizePx = 512;
  int threads = 0;  // 0 = all cores
  int waterOverviewPx = 2048;
  // A scene whose clutter share (DetectionReport) exceeds this is flagged degraded: haze, thin
  // cloud or glint over the water. Clear scenes measured up to 3.7 % (Sentinel-2 ports, near-shore
  // turbid water) and below 0.2 % on open sea (Vancouver); docs/accuracy.md.
  double maxClutterShare = 0.05;
  int footprintOverviewPx = 512;
};

struct GeoDetection {
  imaging::Detection detection;  // centroidPx in grid pixels (pixel centre at +0.5)
  cv::Point2d map;               // grid CRS coordinates (= pixel coordinates on a pixel grid)
  double lon = 0.0, lat = 0.0;   // WGS84; valid only if `geotagged`
  bool geotagged = false;
};

struct DetectionRunResult {
  GridSpec grid;
  std::vector<GeoDetection> detections;  // sorted by (y, x)
  int tiles = 0;
  int haloPx = 0;
  std::string waterSource;  // request.waterName, "scene-overview (<cue>)" or "none"
  double validPixels = 0;   // valid, cloud-free pixels
  double validAreaM2 = 0.0;
  double waterAreaM2 = 0.0;   // valid water (the scene or config water mask), m2; 0 if none
  double clutterShare = 0.0;  // decided pixels above the clutter level no object explains
  bool degraded = false;      // clutterShare > maxClutterShare
  bool partial = false;       // part of the grid not imaged or clouded: counts are lower bounds
  // Valid area as WGS84 (lon, lat) polygons (outer ring first), or pixel coordinates on a pixel
  // grid.
  std::vector<std::vector<std::vector<cv::Point2d>>> footprint;
  // Step 1's scene water (255 = water) and its overview's valid pixels (255 = imaged and
  // cloud-free), covering the whole grid; empty when the request gave a water mask or the
  // detector needs none. For the shore distance of ship-to-ship candidates (LandDistance).
  cv::Mat sceneWater, sceneValid;
  double seconds = 0.0;
};

// Throws cw::Error on read failures (naming the path and window) and cw::UsageError when the
// roles do not match the selected bands.
DetectionRunResult runDetection(const imaging::ObjectDetector& detector,
                                const DetectionRunRequest& request);

}  // namespace cw::tiles
