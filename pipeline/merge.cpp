#include "pipeline/merge.hpp"
#include "pipeline/ais_step.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include "core/atomic_file.hpp"
#include "core/log.hpp"
#include "evidence/corroboration.hpp"
#include "evidence/declarations.hpp"
#include "evidence/manifest.hpp"
#include "evidence/observations.hpp"
#include "evidence/report.hpp"
#include "evidence/review_policy.hpp"
#include "evidence/run_context.hpp"
#include "evidence/stac.hpp"
#include "pipeline/job_runner.hpp"
#include "pipeline/run_state.hpp"

namespace cw::pipeline {

namespace {

// Why the catalog kept no scene: the first skip reason and how many more.
std::string allSkippedReason(const Catalog& cat) {
  if (cat.skipped.empty()) return "all scenes skipped (no scene found in the sources)";
  std::string r =
      "all scenes skipped (" + cat.skipped.front().path + ": " + cat.skipped.front().reason;
  if (cat.skipped.size() > 1) r += "; and " + std::to_string(cat.skipped.size() - 1) + " more";
  return r + ")";
}

// The plan's and the jobs' view of each AOI, for the verdicts' reasons (evidence/run_context.hpp).
evidence::RunContext runContext(const Config& config, const Plan& plan) {
  evidence::RunContext ctx;
  for (const auto& ap : plan.aois) {
    auto& c = ctx[ap.aoiId];
    if (plan.catalog.scenes.empty()) {
      c.planError = allSkippedReason(plan.catalog);
    } else if (ap.error == "no scene overlaps the AOI") {
      c.planError = ap.error;
    }
    for (const auto& cov : ap.coverage) {
      if (cov.reason == "does not overlap the AOI") continue;
      c.scenes.push_back(
          {cov.sceneId, plan.scene(cov.sceneId).time, cov.imaged, cov.valid, cov.used});
    }
  }
  for (const auto& job : plan.jobs) {
    const auto st = readJobStatus(jobDir(config, job), "");
    if (st.state == JobState::Complete) continue;
    ctx[job.aoiId].unfinished.push_back({job.index, job.id, plan.scene(job.beforeId).time,
                                         plan.scene(job.afterId).time,
                                         st.state == JobState::Failed ? st.error : ""});
  }
  return ctx;
}

}  // namespace

MergeSummary mergeRun(const Config& config, const Plan& plan) {
  const auto now = [] {
    return formatIsoTime(static_cast<TimePoint>(
        std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
  };
  const std::string started = now();
  MergeSummary sum;
  // A merge killed before its renames leaves temp files beside the outputs; they are not evidence.
  cw::removeStaleTempFiles(config.output);
  for (const auto& a : config.aois) cw::removeStaleTempFiles(config.output / a.id);
  for (const auto& job : plan.jobs) {
    const auto st = readJobStatus(jobDir(config, job), "");
    (st.state == JobState::Complete ? sum.completeJobs : sum.incompleteJobs)++;
  }
  if (sum.incompleteJobs > 0) {
    log::warn(std::to_string(sum.incompleteJobs) +
              " job(s) are not complete; the merge covers the complete ones only");
  }

  // Verdicts: what the complete jobs observed against what was declared, with the reviewers'
  // decisions so far (a rejected item no longer counts; evidence/review_policy.hpp says which
  // decisions apply). The verdicts without any review tell which items a discrepancy cites.
  std::vector<evidence::Declaration> declarations;
  if (!config.declarations.empty()) {
    std::set<std::string> known;
    for (const auto& a : config.aois) known.insert(a.id);
    declarations = evidence::loadDeclarations(config.declarations, known);
  }
  const evidence::CorroborationRules rules;
  auto reviewLog = evidence::readReviewLog(config.output / "reviews.jsonl");
  if (!reviewLog.chain.ok) {
    log::warn(reviewLog.chain.problem + ": only the " + std::to_string(reviewLog.records.size()) +
              " decision(s) before it are applied");
  }
  auto unreviewedObservations = evidence::collectObservations(config.output, {});
  AisFixCache aisFixes;  // each AOI's AIS store read once for both passes
  addAisObservations(config, unreviewedObservations, aisFixes);
  const auto unreviewed = evidence::corroborate(declarations, unreviewedObservations, rules, {});
  const auto reviews =
      evidence::effectiveReviews(reviewLog, evidence::discrepancyEvidence(unreviewed),
                                 {config.reviews.fourEyes, config.reviews.trustLocal});
  if (const auto local = std::count_if(reviewLog.records.begin(), reviewLog.records.end(),
                                       [](const auto& r) { return r.role == "local"; });
      local > 0 && !config.reviews.trustLocal) {
    log::warn(std::to_string(local) +
              " review decision(s) were made without sign-in (serve without "
              "--users) and are not applied; set reviews.trust_local: true to apply them");
  }
  auto observations = evidence::collectObservations(config.output, reviews.decisions);
  addAisObservations(config, observations, aisFixes);
  auto verdicts = evidence::corroborate(declarations, observations, rules, reviews.decisions);
  evidence::explainReviewedVerdicts(verdicts, unreviewed, reviews);
  evidence::explainWithRunContext(verdicts, runContext(config, plan), rules);
  evidence::writeCorroboration(config.output, verdicts, rules);
  evidence::ReportOptions reportOptions;
  reportOptions.decisions = &reviewLog.records;
  evidence::writeReport(config.output, verdicts, observations, rules, reportOptions);
  sum.verdicts = static_cast<int>(verdicts.size());
  for (const auto& v : verdicts) {
    if (v.verdict == evidence::Verdict::Discrepancy) ++sum.discrepancies;
  }

  std::vector<evidence::AoiCollectionInfo> aois;
  for (const auto& a : config.aois) aois.push_back({a.id, a.name, a.kind});
  evidence::writeStacCatalog(config.output, aois);

  evidence::RunManifest m;
  m.configPath = config.file.string();
  m.configText = toYaml(config);
  m.startedIso = started;
  std::set<std::string> seen;
  for (const auto& job : plan.jobs) {
    for (const auto* id : {&job.beforeId, &job.afterId}) {
      if (!seen.insert(*id).second) continue;
      const Scene& s = plan.scene(*id);
      for (const auto& f : s.files) {
        m.inputs.push_back(
            {s.id, f.string(), cachedSha256(config.output, f), formatIsoTime(s.time)});
      }
    }
  }
  m.finishedIso = now();
  evidence::writeRunManifest(config.output, m);
  log::info("merged " + std::to_string(sum.completeJobs) + " job(s) into " +
            config.output.string() + ": " + std::to_string(sum.verdicts) + " verdict(s), " +
            std::to_string(sum.discrepancies) + " discrepancy(ies)");
  return sum;
}

}  // namespace cw::pipeline
