#pragma once
// The AIS steps of a run (docs/ais.md):
//   ingest  once per run, after planning: every feed file read once, filtered to each AOI's
//           buffered box and the +/- window around the times of the scenes that cover it, written
//           to OUT/<aoi>/ais.gpkg; the counts per category go to OUT/ais_ingest.json and the log
//   match   per job: the ship detections of each scene matched with the AOI's AIS vessels; the
//           detections get their AIS identity, vessels.geojson holds tracks and positions
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "evidence/evidence_types.hpp"
#include "evidence/observations.hpp"
#include "pipeline/config.hpp"
#include "pipeline/plan.hpp"
#include "tiles/grid_spec.hpp"
#include "vessels/ais_ingest.hpp"
#include "vessels/vessel_geojson.hpp"

namespace cw::pipeline {

// Whether the detector of this name declares its detections vessels (its registry entry): only
// those are matched with AIS.
bool detectsVessels(const std::string& detector);

// Does nothing when the config has no `ais:` section. Throws cw::Error for bad feeds.
void ingestAisForPlan(const Config& config, const Plan& plan);

// A scene time with a time of day: not exactly midnight, or from STAC. A date alone (a file name
// pattern or a date in the config) gives its detections ais_status no_time.
bool sceneHasTimeOfDay(const Scene& scene);

// What the shore distance of a job's ship-to-ship rules comes from (tiles::LandDistance,
// docs/ais.md): the AOI's water mask on the grid (its config water polygon or shore polygons),
// else, per scene, the water the vessel detector learned from the scene (with the overview's valid
// pixels).
struct JobWater {
  tiles::GridSpec grid;
  std::string waterMask;                                       // a raster on `grid`, or empty
  std::map<std::string, std::pair<cv::Mat, cv::Mat>> learned;  // scene id -> (water, valid)
};

// The AIS side of a job between matching and writing vessels.geojson.
struct JobVessels {
  bool enabled = false;  // the config has an `ais:` section and the AOI a vessel detector
  vessels::AoiFixes ais;
  std::vector<vessels::SceneVessels> scenes;
  std::int64_t windowS = 0;
};

// Fills ev.detections[*].ais for the ship detections of `scenes` (the job's before and after) and
// ev.sts with the ship-to-ship candidates (hull pairs per scene, AIS encounters), the shore
// condition checked where `water` tells. Does nothing when the config has no `ais:` section.
JobVessels matchJobVessels(const Config& config, const std::vector<const Scene*>& scenes,
                           evidence::JobEvidence& ev, const JobWater& water = {});

// Writes <jobDir>/vessels.geojson once the evidence has its ids (evidence::writeJobEvidence), so
// that its STS points carry them. Does nothing when !vessels.enabled.
void writeJobVessels(const JobVessels& vessels, const evidence::JobEvidence& ev,
                     const std::filesystem::path& jobDir);

// The fixes of each AOI's store as the observations hold them, by AOI id, filled by
// addAisObservations as it needs them: the merge's two observation passes (without and with the
// review decisions) share one, so each store is read once.
using AisFixCache = std::map<std::string, std::vector<evidence::VesselFix>>;

// For vessel-level declarations (merge): marks the observed AOIs as having an AIS feed and adds
// the fixes of their stores (OUT/<aoi>/ais.gpkg), each flagged inside or outside the AOI polygon.
// Does nothing when the config has no `ais:` section.
void addAisObservations(const Config& config, evidence::Observations& observations,
                        AisFixCache& cache);

}  // namespace cw::pipeline
