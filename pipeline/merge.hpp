#pragma once
// The merge after all jobs of a run: verdicts against the declarations (corroboration.json/.csv,
// report.html), the STAC catalog, and last the run manifest with the SHA-256 of every output.
// Runs locally after `run`, or as the dependent job of a cluster array.
#include "pipeline/config.hpp"
#include "pipeline/plan.hpp"

namespace cw::pipeline {

struct MergeSummary {
  int completeJobs = 0;
  int incompleteJobs = 0;
  int verdicts = 0;
  int discrepancies = 0;
};

MergeSummary mergeRun(const Config& config, const Plan& plan);

}  // namespace cw::pipeline
