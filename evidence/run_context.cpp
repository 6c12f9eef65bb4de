#include "evidence/run_context.hpp"

#include <algorithm>
#include <cstdio>

namespace cw::evidence {
namespace {

std::string pct(double f) {
  char b[32];
  std::snprintf(b, sizeof b, "%.0f%%", 100.0 * f);
  return b;
}

bool inPeriod(std::int64_t t, const Declaration& d) {
  return t >= d.startS && t <= d.endS;
}

std::string scenes(size_t n) {
  return std::to_string(n) + " scene" + (n == 1 ? "" : "s");
}

// Why the period has no observed scene, from the plan's view of it.
std::string missingSceneReason(const AoiRunContext& ctx, const Declaration& d,
                               const CorroborationRules& r, const std::string& fallback) {
  if (!ctx.planError.empty()) return ctx.planError;
  std::vector<const PlannedScene*> period;
  for (const auto& s : ctx.scenes) {
    if (inPeriod(s.timeS, d)) period.push_back(&s);
  }
  if (period.empty()) return fallback;
  double bestImaged = 0.0, bestValid = 0.0;
  const PlannedScene* used = nullptr;
  for (const auto* s : period) {
    bestImaged = std::max(bestImaged, s->imaged);
    bestValid = std::max(bestValid, s->valid);
    if (s->used && !used) used = s;
  }
  if (used) {
    return "only one usable scene (" + used->sceneId +
           ") and no pair to run it in: jobs are scene pairs (see pairing in the config)";
  }
  const std::string n = scenes(period.size());
  if (bestImaged <= 0.0) return "not imaged: the " + n + " in the period image none of the AOI";
  if (bestImaged < r.minImagedFraction) {
    return "not imaged: the " + n + " in the period cover at most " + pct(bestImaged) +
           " of the AOI";
  }
  return "cloud over the AOI: the " + n + " in the period are at most " + pct(bestValid) +
         " cloud-free over the AOI";
}

bool saysNoScene(const VerdictRow& row) {
  return row.verdict == Verdict::Unverifiable &&
         (row.reason == "no scene in period" || row.reason == "no scene pair in period");
}

}  // namespace

std::string processingFailedReason(const UnfinishedJob& job) {
  std::string first = job.error.substr(0, job.error.find('\n'));
  // The runner prefixes "job N <id>: "; the reason names the job once.
  const std::string prefix = "job " + std::to_string(job.index) + " " + job.id + ": ";
  if (first.rfind(prefix, 0) == 0) first = first.substr(prefix.size());
  if (first.empty()) first = "did not complete (killed, or not run yet): no job.json";
  return "processing failed (job " + std::to_string(job.index) + ": " + first + ")";
}

void explainWithRunContext(std::vector<VerdictRow>& rows, const RunContext& context,
                           const CorroborationRules& rules) {
  for (auto& row : rows) {
    const auto it = context.find(row.declaration.aoiId);
    if (it == context.end()) continue;
    const AoiRunContext& ctx = it->second;
    const Declaration& d = row.declaration;
    const auto failed = std::find_if(
        ctx.unfinished.begin(), ctx.unfinished.end(),
        [&](const UnfinishedJob& j) { return inPeriod(j.beforeS, d) || inPeriod(j.afterS, d); });
    if (failed != ctx.unfinished.end() && row.verdict != Verdict::Discrepancy) {
      row.verdict = Verdict::Unverifiable;
      row.reason = processingFailedReason(*failed);
      if (row.observed.empty() || row.observed.rfind("no ", 0) == 0) row.observed = "not processed";
      row.evidenceIds.clear();
      row.reviews.clear();
      continue;
    }
    if (saysNoScene(row)) row.reason = missingSceneReason(ctx, d, rules, row.reason);
  }
}

}  // namespace cw::evidence
