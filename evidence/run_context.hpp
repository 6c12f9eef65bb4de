#pragma once
// What the plan and the jobs' states say about each AOI, so that a verdict the observations alone
// would call "no scene in period" names what really happened. Applied after corroborate(), as a
// pure function of the rows and this context:
//   - a job of the AOI with a scene in the period failed or did not complete, and the verdict is
//     not a discrepancy (evidence already seen stays evidence) -> unverifiable, "processing failed
//     (job N: first line of its error)";
//   - "no scene in period" / "no scene pair in period" become, in this order:
//       "all scenes skipped (reason)"   the catalog kept no scene at all (unreadable, band roles,
//                                       outside the window: the first reason, and how many more);
//       "no scene overlaps the AOI"     scenes exist, none covers the AOI;
//       "not imaged: ..."               scenes of the period overlap the AOI's box but image none
//                                       of it, or too little (their planned coverage);
//       "cloud over the AOI: ..."       they image it, but too little of it cloud-free;
//       "only one usable scene ..."     a usable scene of the period is in no job (jobs are pairs);
//       "no scene in period"            otherwise: what it says.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "evidence/corroboration.hpp"

namespace cw::evidence {

struct PlannedScene {
  std::string sceneId;
  std::int64_t timeS = 0;
  double imaged = 0.0;  // planned fraction of the AOI inside the scene's data
  double valid = 0.0;   // ... and cloud-free
  bool used = false;    // valid >= min_coverage: in the AOI's jobs
};

struct UnfinishedJob {
  int index = 0;
  std::string id;
  std::int64_t beforeS = 0, afterS = 0;
  std::string error;  // the job's error (failed.json), or "" when it left no record
};

struct AoiRunContext {
  std::string planError;             // "all scenes skipped (...)", "no scene overlaps the AOI", ...
  std::vector<PlannedScene> scenes;  // the scenes that overlap the AOI, by time
  std::vector<UnfinishedJob> unfinished;
};

using RunContext = std::map<std::string, AoiRunContext>;  // by AOI id

// Rewrites the rows' verdicts and reasons as described above. `minValidFraction` and
// `minImagedFraction` are the corroboration rules'.
void explainWithRunContext(std::vector<VerdictRow>& rows, const RunContext& context,
                           const CorroborationRules& rules = {});

// "processing failed (job 3: <first line of error>)".
std::string processingFailedReason(const UnfinishedJob& job);

}  // namespace cw::evidence
