#include "pipeline/local_runner.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "pipeline/ais_step.hpp"
#include "pipeline/job_runner.hpp"
#include "pipeline/merge.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/run_state.hpp"
#include "pipeline/validation.hpp"

namespace cw::pipeline {
namespace {

std::atomic<int> g_stopSignal{0};

extern "C" void onStopSignal(int sig) {
  g_stopSignal = sig;
}

// Installs SIGINT/SIGTERM handlers for the scope of a run: the job in flight finishes, the rest
// waits for the next run.
class StopSignals {
 public:
  StopSignals() {
    g_stopSignal = 0;
    struct sigaction sa {};
    sa.sa_handler = onStopSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &m_oldInt);
    sigaction(SIGTERM, &sa, &m_oldTerm);
  }
  ~StopSignals() {
    sigaction(SIGINT, &m_oldInt, nullptr);
    sigaction(SIGTERM, &m_oldTerm, nullptr);
  }

 private:
  struct sigaction m_oldInt {};
  struct sigaction m_oldTerm {};
};

std::string duration(double s) {
  std::ostringstream os;
  if (s < 60) {
    os << static_cast<int>(s + 0.5) << " s";
  } else {
    os << static_cast<int>(s / 60) << " min " << static_cast<int>(s) % 60 << " s";
  }
  return os.str();
}

}  // namespace

RunSummary runLocal(const Config& configIn, const RunOptions& options) {
  Config config = configIn;
  if (options.threads > 0) config.threads = options.threads;
  fs::create_directories(config.output);
  // A full run excludes everything else on OUT; cluster tasks share OUT and lock their job.
  FileLock runLock(config.output / ".lock",
                   options.jobIndex ? FileLock::Mode::Shared : FileLock::Mode::Exclusive,
                   "output folder " + config.output.string());
  StopSignals signals;

  log::info("planning " + config.file.string());
  const Plan plan = makePlan(config);
  // The checks of `validate`, before any job: a config that cannot work fails in seconds.
  enforceValidation(validatePlan(config, plan), "run");
  cw::writeFileAtomic(config.output / "plan.json", planToJson(config, plan).dump(2) + "\n");
  cw::writeFileAtomic(config.output / "config.resolved.yaml", toYaml(config));
  for (const auto& s : plan.catalog.skipped) log::warn("skipped " + s.path + ": " + s.reason);
  for (const auto& a : plan.aois) {
    if (!a.error.empty()) log::warn("AOI " + a.aoiId + " cannot run: " + a.error);
  }
  // Once per run: a cluster task (--job) reads the stores the submitting run wrote.
  if (!options.jobIndex) ingestAisForPlan(config, plan);

  std::vector<const Job*> jobs;
  if (options.jobIndex) {
    const int i = *options.jobIndex;
    if (i < 0 || i >= static_cast<int>(plan.jobs.size())) {
      throw UsageError("--job " + std::to_string(i) + " is out of range: the plan has " +
                       std::to_string(plan.jobs.size()) + " job(s), numbered 0 to " +
                       std::to_string(static_cast<int>(plan.jobs.size()) - 1));
    }
    jobs.push_back(&plan.jobs[i]);
  } else {
    for (const auto& j : plan.jobs) jobs.push_back(&j);
  }

  RunSummary sum;
  sum.total = static_cast<int>(jobs.size());
  for (const auto& a : plan.aois) {
    if (a.refusedByLimit) sum.refusedAois.push_back(a.aoiId);
  }
  const bool tty = ::isatty(STDERR_FILENO);
  const auto t0 = std::chrono::steady_clock::now();
  int processed = 0;
  for (const Job* job : jobs) {
    if (g_stopSignal) {
      sum.interrupted = true;
      break;
    }
    const auto st = readJobStatus(jobDir(config, *job), jobKey(config, plan, *job));
    ++processed;
    if (st.state == JobState::Complete) {
      ++sum.skipped;
      log::info("[" + std::to_string(processed) + "/" + std::to_string(sum.total) + "] " + job->id +
                ": complete, skipped");
      continue;
    }
    if (st.state == JobState::Stale) log::info(job->id + ": inputs or parameters changed, redoing");
    try {
      JobRunOptions jo;
      jo.threads = config.threads;
      jo.task = options.task;
      runJob(config, plan, *job, jo);
      ++sum.done;
    } catch (const Error& e) {
      ++sum.failed;
      log::warn(std::string(e.what()));
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int left = sum.total - processed;
    const int worked = sum.done + sum.failed;
    const double eta = worked > 0 ? elapsed / worked * left : 0.0;
    std::ostringstream line;
    line << "[" << processed << "/" << sum.total << "] jobs: " << sum.done << " done, "
         << sum.skipped << " skipped, " << sum.failed << " failed; elapsed " << duration(elapsed);
    if (left > 0) line << ", ETA " << duration(eta);
    if (tty) {
      // A live line on a terminal; plain lines in logs.
      std::cerr << "\r\033[K" << line.str() << (left == 0 ? "\n" : "") << std::flush;
    } else {
      log::info(line.str());
    }
  }
  if (tty && sum.interrupted) std::cerr << "\n";
  if (sum.interrupted) {
    log::warn("stopped by signal " + std::to_string(g_stopSignal.load()) + " after " +
              std::to_string(processed) + " job(s); run again to resume");
    return sum;
  }
  if (!options.jobIndex && options.merge) mergeRun(config, plan);
  return sum;
}

}  // namespace cw::pipeline
