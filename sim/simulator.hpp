#pragma once
// Synthetic port-and-facility scenes with exact ground truth: the project's own test imagery.
//
// One call writes, under `outDir`:
//   scenes/scene_YYYYMMDD.tif   one GeoTIFF per date (EPSG:32635, north-up, 3 m by default,
//                               tiled 512, DEFLATE, nodata set; TIFFTAG_DATETIME and
//                               ACQUISITION_DATETIME metadata). Dates are monthly from 2025-03-01
//                               at 10:30 UTC.
//       optical: 5 x UInt16, bands "blue" "green" "red" "nir" (reflectance x 10000) and "cloud"
//                (1 = cloud, 0 = clear); nodata 0 (valid pixels are >= 1).
//       sar:     1 x Float32 "vv", linear backscatter with gamma speckle (L = 4); nodata 0.
//   truth/truth.json            every ship, tank and change, per date, where it is DRAWN
//   truth/change_<i>_<j>.tif    per consecutive pair, Byte on the scene grid (see below)
//   config.yaml                 a run config in the schema of pipeline/config.hpp
//   declarations.csv            declared activity: true, false and unverifiable rows
//
// Scene content: sea in the west with a wiggly coast, a port (quay, piers, container yard),
// roads, a roundabout, a town, and an inland facility (storage tanks with shadows, buildings).
// Ships (20-300 m long, width = max(length / 6, 2 px), bright or dark hulls; in SAR all bright)
// arrive, stay and leave between dates. With size > 512 px one ship straddles the 512-px tile
// row border on every date (and with size >= 1600 another straddles a tile column border); on
// the date with the nodata corner one ship lies parallel to the nodata edge, ~10 px inside.
// Between each consecutive pair one building is built and one is demolished (>= 1000 m^2 each).
//
// Nuisances: per-date per-band gain (0.85-1.15) and offset (+-150 DN: larger offsets would push
// water NDWI below 0.2; worst case here is ~0.3), misregistration of date k > 0 by a shift of up
// to 3 px (quantized to 1/32 px, OpenCV's warp precision; date 0 is unshifted), Gaussian sensor
// noise after a Gaussian PSF (sigma 0.6 px), clouds on date min(2, K-1) (blobs that brighten the
// pixels, flagged in the cloud band including their feathered edge) and a missing bottom-left
// diagonal corner (nodata) on date min(1, K-1).
//
// Frames and conventions in truth.json:
//   - x_px, y_px are GDAL pixel/line coordinates (pixel (0,0) spans [0,1) x [0,1), so its centre
//     is 0.5, 0.5) of the object's centre as drawn in that date's scene, i.e. including that
//     date's shift; lon/lat are the same point in WGS84, lon first.
//   - shift_px [dx, dy]: a feature at pixel p of date 0 appears at p + shift in this date.
//   - heading_deg: 0 = north, clockwise, in [0, 180) (the hull axis; the bow is not reported).
//   - Change polygons and change masks are in the drawn frame of the pair's BEFORE date, so they
//     line up pixel for pixel with a change map computed on the before scene after the after
//     scene has been co-registered onto it. For pair (0, 1) this is the date-0 frame.
// Change mask values: 1 = real change (construction / demolition footprint), 0 = no change,
// 255 = no decision (also the GeoTIFF nodata): nodata or cloud in either date; ship pixels of
// either date, dilated by 2 px (ships are counted objects, not "change", and the F1 of a change
// map should not reward or punish them); and a 1-px band on both sides of each footprint edge,
// where the sub-pixel shift mixes the two sides.
//
// Determinism: the same options give byte-identical files (std::mt19937_64 with our own
// uniform/normal transforms, per-block seeds so TBB scheduling does not matter, no timestamps in
// any file). Thread-safety: simulateScenes may run concurrently for different outDirs; GDAL must
// be initialised (GDALAllRegister) first.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cw::sim {

namespace fs = std::filesystem;

enum class SimSensor { Optical, Sar };

struct SimulatorOptions {
  fs::path outDir;
  std::uint64_t seed = 1;
  int sizePx = 2048;  // scene width = height; 256..8192
  int dates = 4;      // 1..24
  SimSensor sensor = SimSensor::Optical;
  double pixelSizeM = 3.0;  // 0.5..30
  // Issue 16's harder ships on every date: one berthed against a pier, one underway with a foam
  // wake, and on the cloudy date one beside a cloud. They add a class of bright change (ships
  // that come and go, wakes) that global change thresholds (Otsu, Kittler) split on, above the
  // roofs: simulator pair 1->2 of seed 1 went from F1 0.99 to 0. Change-accuracy checks that are
  // about gain, shift and clouds turn them off.
  bool hardShips = true;
  // Write ais/feed.csv for the port's ships (sim/sim_ais.hpp) and an ais: section in the
  // config.
  bool ais = false;
};

struct SimulationResult {
  std::vector<fs::path> scenes;       // one per date, in date order
  std::vector<fs::path> changeMasks;  // one per consecutive pair
  fs::path truthJson;
  fs::path config;
  fs::path declarations;
  int epsg = 0;
  int shipsDrawn = 0;  // ship instances over all dates
  int tanks = 0;
  double seconds = 0.0;
};

// The fixed place of the synthetic world: UTM zone 35N, top-left corner near lon 28.98, lat 41.03.
inline constexpr int kSimEpsg = 32635;
inline constexpr double kSimOriginEastingM = 666000.0;
inline constexpr double kSimOriginNorthingM = 4543000.0;

// Writes the scenes, truth and run inputs described above. Throws cw::UsageError for options out
// of range (or a size too small for the number of dates) and cw::Error for I/O failures.
SimulationResult simulateScenes(const SimulatorOptions& options);

}  // namespace cw::sim
