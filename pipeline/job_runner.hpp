#pragma once
// One job: one AOI × one (before, after) scene pair, from warping to the job record.
//
//   1. warp   both scenes onto the AOI grid as warped VRTs (OUT/<aoi>/<pair>/.work/), plus their
//             cloud bands (nearest) and the AOI mask; nothing is warped until a tile is read
//   2. change tiles::runChangeMap: co-registration, fit, apply -> score.tif, mask.tif,
//             changes.geojson
//   3. count  each of the AOI's detectors on each date -> detections with the imaged footprint
//   4. evidence  chips, evidence.geojson, detections.geojson, counts.json, product.h5, item.json
//   5. job.json  last, with the SHA-256 of every file: the job is complete when it exists
//
// Every file goes to a temp name and is renamed into place, so a killed job leaves no partial
// file under a final name, and a rerun redoes it.
#include <string>

#include "pipeline/config.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/run_state.hpp"

namespace cw::pipeline {

struct JobRunOptions {
  int threads = 0;   // 0 = all cores
  std::string task;  // cluster task that runs it ("<array id>_<index>"), recorded in job.json
};

// The job's folder under the run's output.
fs::path jobDir(const Config& config, const Job& job);

// Key of everything that determines a job's result: the job-relevant config (AOI, grid, sensor,
// change and detector options) and the SHA-256 of both input scenes. A complete job whose
// job.json carries another key is stale and is redone.
std::string jobKey(const Config& config, const Plan& plan, const Job& job);

// Runs the job; throws cw::Error on failure after recording it in failed.json.
void runJob(const Config& config, const Plan& plan, const Job& job, const JobRunOptions& options);

}  // namespace cw::pipeline
