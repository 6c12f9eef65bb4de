#pragma once
// A run on this machine: every job of the plan (or one, for a cluster task), skipping complete
// jobs, with progress, clean stops on SIGINT/SIGTERM, then the merge. Jobs run one after another,
// each using the whole thread budget over its tiles: memory stays one job's tiles in flight, and
// a 2-core machine gains nothing from running two warps side by side.
#include <optional>
#include <string>
#include <vector>

#include "pipeline/config.hpp"

namespace cw::pipeline {

struct RunOptions {
  int threads = 0;              // 0 = config's, then all cores
  std::optional<int> jobIndex;  // run only this job (a cluster array task)
  bool merge = true;            // merge after all jobs (not for a single job)
  std::string task;             // cluster task id recorded in job.json
};

struct RunSummary {
  int total = 0;
  int skipped = 0;  // already complete
  int done = 0;
  int failed = 0;
  bool interrupted = false;
  std::vector<std::string> refusedAois;  // AOIs a tiling limit of the config refused
};

// Throws cw::Error when the run cannot start (lock held, bad job index); failures of single jobs
// are counted, recorded in their folders and reported.
RunSummary runLocal(const Config& config, const RunOptions& options);

}  // namespace cw::pipeline
