#include "pipeline/merge.hpp"

#include <chrono>
#include <set>

#include "evidence/atomic_file.hpp"
#include "evidence/corroboration.hpp"
#include "evidence/declarations.hpp"
#include "evidence/manifest.hpp"
#include "evidence/observations.hpp"
#include "evidence/report.hpp"
#include "evidence/stac.hpp"
#include "imaging/log.hpp"
#include "pipeline/job_runner.hpp"
#include "pipeline/run_state.hpp"

namespace cw::pipeline {

MergeSummary mergeRun(const Config& config, const Plan& plan) {
  const auto now = [] {
    return formatIsoTime(static_cast<TimePoint>(
        std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
  };
  const std::string started = now();
  MergeSummary sum;
  // A merge killed before its renames leaves temp files beside the outputs; they are not evidence.
  evidence::removeStaleTempFiles(config.output);
  for (const auto& a : config.aois) evidence::removeStaleTempFiles(config.output / a.id);
  for (const auto& job : plan.jobs) {
    const auto st = readJobStatus(jobDir(config, job), "");
    (st.state == JobState::Complete ? sum.completeJobs : sum.incompleteJobs)++;
  }
  if (sum.incompleteJobs > 0) {
    log::warn(std::to_string(sum.incompleteJobs) +
              " job(s) are not complete; the merge covers the complete ones only");
  }

  // Verdicts: what the complete jobs observed against what was declared, with the reviewers'
  // decisions so far (a rejected item no longer counts).
  const auto reviews = evidence::readReviews(config.output / "reviews.jsonl");
  const auto observations = evidence::collectObservations(config.output, reviews);
  std::vector<evidence::Declaration> declarations;
  if (!config.declarations.empty()) {
    std::set<std::string> known;
    for (const auto& a : config.aois) known.insert(a.id);
    declarations = evidence::loadDeclarations(config.declarations, known);
  }
  const evidence::CorroborationRules rules;
  const auto verdicts = evidence::corroborate(declarations, observations, rules, reviews);
  evidence::writeCorroboration(config.output, verdicts, rules);
  evidence::writeReport(config.output, verdicts, observations, rules);
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
        m.inputs.push_back({s.id, f.string(), cachedSha256(config.output, f), formatIsoTime(s.time)});
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
