#pragma once
// The run configuration: YAML parsed once into typed structs, validated in one place per struct.
// Every problem found is reported together, each as "file:line:col: key.path: message". After
// load() returns, no YAML node travels further. Relative paths are resolved against the config
// file's folder.
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/iso_time.hpp"
#include "imaging/params.hpp"
#include "tiles/shore_mask.hpp"
#include "vessels/ais_config.hpp"

namespace cw::pipeline {

namespace fs = std::filesystem;

// UTC instant, seconds since the Unix epoch.
using TimePoint = std::int64_t;

// ISO 8601 times: the one parser and formatter of core/iso_time.hpp, for config windows,
// scene times and declarations alike ("2025-03-01", "2025-03-01T10:20:30Z",
// "2025-03-01T10:20:30+02:00" -> seconds since the epoch; nothing when malformed).
using cw::formatIsoTime;  // "2025-03-01T10:20:30Z"
using cw::parseIsoTime;
std::string formatIsoDate(TimePoint t);  // "2025-03-01"

struct LonLat {
  double lon = 0.0;
  double lat = 0.0;
};

struct SceneSource {
  enum class Kind { Files, Folder, Stac } kind = Kind::Files;
  std::vector<fs::path> files;  // Kind::Files
  fs::path folder;              // Kind::Folder
  std::string glob = "*.tif";   // Kind::Folder
  fs::path stac;                // Kind::Stac: a local STAC ItemCollection JSON file
  // Regex with one capture group holding the date (YYYYMMDD, YYYY-MM-DD or an ISO date-time),
  // applied to the file name when no metadata gives the acquisition time.
  std::string timePattern;
  // The acquisition time given in the config, the last resort after STAC, product metadata and
  // time_pattern (e.g. a plain PNG export with no metadata).
  std::optional<TimePoint> time;
  // One file per band role ("blue" -> B02.tif; "cloud" for a cloud mask), stacked into one
  // scene: alone, absolute paths of one scene; with Kind::Folder, names inside each subfolder
  // the glob matches (one scene per subfolder, e.g. Sentinel-2 L2A bands as separate GeoTIFFs).
  std::vector<std::pair<std::string, fs::path>> bandFiles;
  std::string id;  // scene id of a lone band-file scene (default: its folder's name)
};

struct DetectorConfig {
  std::string name;  // registered detector: ships | tanks | blobs
  imaging::Params params;
};

struct Aoi {
  std::string id;  // [A-Za-z0-9_-]{1,64}
  std::string name;
  std::string kind = "port";                // port | facility
  std::vector<LonLat> polygon;              // outer ring in WGS84, closed (first == last)
  bool crossesAntimeridian = false;         // from a bbox with west > east
  std::vector<LonLat> water;                // optional water polygon, WGS84; empty if none
  std::optional<tiles::ShoreSource> shore;  // optional land/water polygons file (`shore:`)
  std::vector<DetectorConfig> detectors;
};

struct ChangeConfig {
  std::string method = "irmad";  // registered change method, or "auto" (resolveChangeMethod)
  imaging::Params params;
  double openRadiusM = 0.0;   // morphological open radius; 0 = one pixel
  double closeRadiusM = 0.0;  // morphological close radius; 0 = one pixel
  double minAreaM2 = 200.0;   // change polygons smaller than this are dropped
};

struct GridConfig {
  double pixelSizeM = 0.0;              // 0 = the finest contributing scene's
  int epsg = 0;                         // 0 = UTM zone of the AOI centroid
  std::string resampling = "bilinear";  // nearest | bilinear | cubic (values; masks use nearest)
};

struct TilingConfig {
  int tilePx = 512;
  int memoryMb = 1024;                   // budget for tiles in flight
  std::int64_t maxGridPx = 400'000'000;  // refuse grids larger than this (per AOI)
  std::int64_t maxTiles = 100'000;
};

struct PairingConfig {
  std::string strategy = "consecutive";  // consecutive | baseline | all
  int maxGapDays = 3660;
};

struct SensorConfig {
  std::string profile = "generic";  // generic | sentinel2 | landsat | sar
  // Explicit 1-based band numbers per role, overriding the profile (e.g. {"nir", 4}).
  std::vector<std::pair<std::string, int>> bands;
  int cloudBand = 0;             // 1-based band holding a cloud mask (nonzero = cloud); 0 = none
  std::optional<double> nodata;  // overrides the scenes' own nodata value
};

// Which review decisions merge applies (docs/access.md).
struct ReviewConfig {
  bool fourEyes = true;  // rejecting evidence a discrepancy cites needs a reason and a 2nd reviewer
  bool trustLocal = false;  // apply decisions made without --users (role "local")
};

// How long `changewatch purge` keeps each kind of file, in days after its job finished; unset keeps
// it forever, 0 purges it at the next purge.
struct RetentionConfig {
  std::optional<int> chipsDays;
  std::optional<int> rastersDays;
  std::optional<int> aisDays;
  bool any() const { return chipsDays || rastersDays || aisDays; }
};

struct Config {
  fs::path file;    // the config file itself (absolute)
  fs::path output;  // run folder
  int threads = 0;  // 0 = all cores
  TimePoint windowStart = 0;
  TimePoint windowEnd = 0;
  PairingConfig pairing;
  std::vector<SceneSource> scenes;
  SensorConfig sensor;
  double minCoverage = 0.2;  // fraction of the AOI a scene must image validly
  GridConfig grid;
  TilingConfig tiling;
  ChangeConfig change;
  std::vector<Aoi> aois;
  fs::path declarations;   // optional
  vessels::AisConfig ais;  // optional `ais:` section; ais.enabled() when given
  ReviewConfig reviews;
  RetentionConfig retention;
};

// Loads and validates a config file. Throws cw::UsageError listing every problem found.
Config loadConfig(const fs::path& file);

// The resolved config as canonical YAML (defaults filled in, paths absolute): written next to the
// outputs so every run can be reproduced, and hashed into the job records.
std::string toYaml(const Config& config);

bool isSafeId(const std::string& id);

// The change method a job runs: `method` itself, or for "auto" the method whose registry entry
// declares itself for that many bands (imaging::AutoInput): logratio on one band (SAR
// amplitude: ratio statistics fit multiplicative speckle; CVA reached kappa 0.53 / 0.06 on
// Ottawa / Bern) and irmad on several (Taizhou, Landsat TM, 6 bands, labelled pixels,
// 2026-11-25: irmad kappa 0.935 against cva 0.929; IR-MAD is also invariant to per-band
// gain/offset between dates). Shared by `changewatch change --method auto` and the config.
std::string resolveChangeMethod(const std::string& method, std::size_t bandCount);

}  // namespace cw::pipeline
