#pragma once
// The catalog of scenes: every raster the config's sources name, opened once through GDAL to
// learn its grid, footprint, bands and acquisition time. Unreadable, corrupt or unusable files
// are recorded as skipped with the reason (GDAL's message where there is one) and never stop the
// rest of the catalog.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pipeline/config.hpp"
#include "tiles/grid_spec.hpp"

namespace cw::pipeline {

struct Scene {
  std::string id;               // unique, safe for a folder name (file stem or STAC item id)
  std::string dataset;          // what GDAL opens: a path or a VRT file of STAC assets
  std::vector<fs::path> files;  // the input files behind it (hashed for provenance)
  TimePoint time = 0;
  std::string timeSource;  // "stac", "metadata", "filename", "config"
  tiles::GridSpec grid;
  int bandCount = 0;
  std::map<std::string, int> bands;  // role -> 1-based band (blue, green, red, nir, vv, ...)
  int cloudBand = 0;                 // 1-based, 0 = none
  std::vector<int> alphaBands;       // 1-based alpha bands: masks of where it imaged, never roles
  std::optional<double> nodata;      // value marking no data (per the file or the config)
  double pixelSizeM = 0.0;
  std::vector<LonLat> footprint;  // WGS84 ring of the raster extent
  int source = -1;                // index of its entry in config.scenes
};

struct SkippedScene {
  std::string path;
  std::string reason;
  int source = -1;         // index of its entry in config.scenes
  bool bandRoles = false;  // skipped because a band role names a band it lacks (or its alpha)
};

struct Catalog {
  std::vector<Scene> scenes;  // sorted by time, then id
  std::vector<SkippedScene> skipped;
  // Usable scenes acquired outside the window (also listed in skipped): what `validate` compares
  // the window and the AOIs with.
  std::vector<Scene> outsideWindow;
};

// A scene's band roles cannot be resolved (a role on a band it lacks, or on its alpha band).
struct BandRoleError : Error {
  using Error::Error;
};

// Builds the catalog of the config's sources; scenes outside the time window are left out
// (recorded as skipped with the reason). Throws cw::UsageError only for a broken source file
// (e.g. a malformed STAC ItemCollection).
Catalog buildCatalog(const Config& config);

// Safe scene id from a name: characters outside [A-Za-z0-9_-] replaced by '_', at most 64 long.
std::string sanitizeId(std::string name);
// Safe scene id from a file name: its stem, sanitized.
std::string sceneIdFromPath(const fs::path& path);

}  // namespace cw::pipeline
