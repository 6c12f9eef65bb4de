#include "pipeline/merge.hpp"

#include <chrono>
#include <set>

#include "evidence/manifest.hpp"
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
  for (const auto& job : plan.jobs) {
    const auto st = readJobStatus(jobDir(config, job), "");
    (st.state == JobState::Complete ? sum.completeJobs : sum.incompleteJobs)++;
  }
  if (sum.incompleteJobs > 0) {
    log::warn(std::to_string(sum.incompleteJobs) +
              " job(s) are not complete; the merge covers the complete ones only");
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
            config.output.string());
  return sum;
}

}  // namespace cw::pipeline
