#pragma once
// Checks of a config that need its inputs but no job: what `validate` reports, and what `run` and
// `submit` check before any job, so a config that cannot work fails in seconds instead of after
// the jobs (on a cluster, after hours).
//
// Errors (exit 2): the declarations file (file:line:col per problem); a scene source that yields
// no scene (no file matches, or every file is unusable); a scene whose band roles cannot be
// resolved (named with the band); an AOI that no scene overlaps (with a "did you swap latitude
// and longitude?" hint when the swapped AOI would overlap one); a window that contains none of
// the scenes' dates, or none of an AOI's; and, for `validate` only, an AOI that makes no job
// (fewer than two usable scenes, or a tiling limit). Warnings (listed, not failing): unreadable
// scenes beside usable ones, and a declared period with no usable scene of its AOI (its verdict
// will be unverifiable).
#include <string>
#include <vector>

#include "pipeline/config.hpp"
#include "pipeline/plan.hpp"

namespace cw::pipeline {

struct ValidationReport {
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  // AOIs that make no job (fewer than two usable scenes, or a tiling limit): errors for
  // `validate` (run could do nothing for them), warnings for `run` and `submit`, which still
  // give those AOIs their honest unverifiable verdicts.
  std::vector<std::string> noJob;
};

// Runs every check on a plan of `config` (makePlan). Never throws for a problem it finds.
ValidationReport validatePlan(const Config& config, const Plan& plan);

// Logs the warnings, then throws cw::UsageError listing every error (one per line) if any;
// `what` names the command for the message ("run", "submit").
void enforceValidation(const ValidationReport& report, const std::string& what);

}  // namespace cw::pipeline
