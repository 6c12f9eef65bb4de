#pragma once
// Planning: which scenes cover each AOI, on which grid, and the jobs (one AOI × one (before,
// after) scene pair each) under stable ids sorted by AOI, then before time, then after time.
// Job i of a plan is the unit a cluster array task runs.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/catalog.hpp"
#include "pipeline/config.hpp"
#include "tiles/grid_spec.hpp"

namespace cw::pipeline {

struct SceneCoverage {
  std::string sceneId;
  double imaged = 0.0;  // fraction of the AOI inside the scene's data
  double valid = 0.0;   // fraction of the AOI imaged and cloud-free
  bool used = false;    // valid >= min_coverage
  std::string reason;   // why not used
};

struct AoiPlan {
  std::string aoiId;
  tiles::GridSpec grid;  // empty (width 0) when error is set
  double pixelSizeM = 0.0;
  int tileCount = 0;
  std::vector<SceneCoverage> coverage;  // in catalog order
  std::string error;                    // why the AOI cannot run (no overlap, grid too large, ...)
  // The error is a tiling limit of the config (max_grid_px, max_tiles, memory_mb), not a lack of
  // data: the run reports it as a config problem instead of finishing quietly without the AOI.
  bool refusedByLimit = false;
};

struct Job {
  int index = 0;
  std::string id;  // "<aoi>/<before>_<after>", also the job folder under OUT
  std::string aoiId;
  std::string beforeId;
  std::string afterId;
};

struct Plan {
  Catalog catalog;
  std::vector<AoiPlan> aois;  // config order
  std::vector<Job> jobs;

  const Scene& scene(const std::string& id) const;
  const AoiPlan& aoi(const std::string& id) const;
};

// Builds the plan. Never throws for a problem with one scene or one AOI: those are recorded.
Plan makePlan(const Config& config);

nlohmann::json planToJson(const Config& config, const Plan& plan);
std::string planToText(const Config& config, const Plan& plan);

// The spectral roles both scenes have, in imaging::spectralRoleNames() order: a job's bands.
std::vector<std::string> commonRoles(const Scene& a, const Scene& b);

// What the config's change method and the AOI's detectors cannot do with bands of `roles`, as
// their registry entries declare (imaging::BandNeeds): one line per unit ("detector 'ships' needs a
// band with role ...; the bands are swir1, swir2"), none when every unit can run.
std::vector<std::string> bandNeedProblems(const Config& config, const Aoi& aoi,
                                          const std::vector<std::string>& roles);

// Whether two WGS84 rings overlap (an AOI across the antimeridian is compared on both sides):
// the cheap test that rules scenes out before any warping.
bool footprintsOverlap(const std::vector<LonLat>& a, const std::vector<LonLat>& b);

// AOI ring as (lon, lat) pairs for the tiles layer.
std::vector<std::pair<double, double>> ringOf(const Aoi& aoi);

// Fine pixel size for an AOI: the config's, else the finest scene that covers it.
double pixelSizeFor(const Config& config, const std::vector<const Scene*>& scenes);

}  // namespace cw::pipeline
