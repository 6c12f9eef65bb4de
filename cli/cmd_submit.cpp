// `changewatch submit`: plan, then hand the incomplete jobs to a batch scheduler as one job
// array plus a dependent merge; optionally deferred (--begin) or recurring (--every).
// `changewatch unschedule`: stop a recurring submission.
// Which jobs are incomplete is read from the run folder (job.json + job key), never from the
// scheduler, so a resubmission after a partial failure runs only the jobs that did not finish.
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cluster/scheduler_slurm.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "pipeline/ais_step.hpp"
#include "pipeline/config.hpp"
#include "pipeline/job_runner.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/run_state.hpp"
#include "pipeline/validation.hpp"

namespace cw::cli {
// The CLI is the one place that composes the libraries.
using namespace cw::pipeline;
using namespace cw::cluster;
namespace {

fs::path selfExe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find this changewatch executable (/proc/self/exe): " + ec.message());
  return p;
}

// The merge is already current when OUT/manifest.json is newer than every job record.
bool mergeIsCurrent(const Config& c, const Plan& plan) {
  std::error_code ec;
  const auto manifest = fs::last_write_time(c.output / "manifest.json", ec);
  if (ec) return false;
  for (const auto& job : plan.jobs) {
    const auto t = fs::last_write_time(jobDir(c, job) / "job.json", ec);
    if (ec || t > manifest) return false;
  }
  return true;
}

struct SubmitArgs {
  std::string config, out, scheduler = "slurm", partition, time, begin, every;
  int maxParallel = 0;
  int cpusPerTask = 1;
  bool dryRun = false;
};

// Declares the arguments, options and flags of `submit` on `cmd`, bound to `a`.
void declareSubmitOptions(CLI::App& cmd, SubmitArgs& a) {
  cmd.add_option("CONFIG", a.config, "Config file (YAML)")->required();
  cmd.add_option("--scheduler", a.scheduler, "Batch scheduler")
      ->check(CLI::IsMember({"slurm"}))
      ->capture_default_str();
  cmd.add_option("--out", a.out, "Output folder (default: the config's 'output')");
  cmd.add_option("--partition", a.partition, "Slurm partition (default: the cluster's)");
  cmd.add_option("--max-parallel", a.maxParallel, "At most K array tasks at once (%K)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--cpus-per-task", a.cpusPerTask, "CPUs (and threads) per task")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd.add_option("--time", a.time, "Time limit per task, Slurm format (e.g. 2:00:00)");
  cmd.add_option("--begin", a.begin,
                 "Start no earlier than TIME, Slurm's --begin (e.g. 22:00, now+1hour, "
                 "2026-12-01T06:00)");
  cmd.add_option("--every", a.every,
                 "Recur: re-plan and submit new/incomplete jobs every DURATION (30min, 6h, 1d)");
  cmd.add_flag("--dry-run", a.dryRun, "Write OUT/slurm/*.sbatch but submit nothing");
}

// True unless this is a re-arming job whose schedule was cancelled or replaced (said on stdout).
bool rearmStillScheduled(const fs::path& scheduleFile, const fs::path& out, const char* rearmJob) {
  const auto sched = readJsonFile(scheduleFile);
  if (!sched || sched->value("rearm_job", "") != rearmJob) {
    std::cout << "schedule of " << out.string() << " was cancelled or replaced; job " << rearmJob
              << " does not submit or re-arm\n";
    return false;
  }
  return true;
}

// The plan and where each of its jobs stands: complete, still in flight, or to run.
struct JobTally {
  Plan plan;
  std::vector<int> todo;
  std::vector<int> inFlightSkipped;
  int complete = 0;
};

// Plans under a shared lock on OUT (writing plan.json and config.resolved.yaml, ingesting AIS
// unless --dry-run) and sorts the plan's jobs by what the run folder and the queue say.
JobTally planAndTally(const Config& c, const SubmitArgs& a, SlurmScheduler& slurm) {
  const fs::path& out = c.output;
  JobTally t;
  // A full local run on OUT excludes a submit; array tasks (shared) do not.
  FileLock lock(out / ".lock", FileLock::Mode::Shared, "output folder " + out.string());
  log::info("planning " + c.file.string());
  t.plan = makePlan(c);
  enforceValidation(validatePlan(c, t.plan), "submit");
  cw::writeFileAtomic(out / "plan.json", planToJson(c, t.plan).dump(2) + "\n");
  cw::writeFileAtomic(out / "config.resolved.yaml", toYaml(c));
  if (!a.dryRun) ingestAisForPlan(c, t.plan);  // the array tasks read OUT/<aoi>/ais.gpkg
  std::set<int> running;
  if (!a.dryRun) {
    if (const auto last = readJsonFile(out / "slurm" / "submission.json")) {
      running = slurm.inFlight(last->value("array_job", ""));
    }
  }
  for (const auto& job : t.plan.jobs) {
    const auto st = readJobStatus(jobDir(c, job), jobKey(c, t.plan, job));
    if (st.state == JobState::Complete) {
      ++t.complete;
    } else if (running.count(job.index)) {
      t.inFlightSkipped.push_back(job.index);
    } else {
      t.todo.push_back(job.index);
    }
  }
  return t;
}

// The batch request that runs the jobs `todo` of config `c` with the options of `a`.
BatchRequest batchRequest(const Config& c, const SubmitArgs& a, const std::vector<int>& todo) {
  BatchRequest req;
  req.binary = selfExe();
  req.config = c.file;
  req.out = c.output;
  req.jobIndices = todo;
  req.name = "cw-" + c.output.filename().string();
  req.partition = a.partition;
  req.maxParallel = a.maxParallel;
  req.cpusPerTask = a.cpusPerTask;
  req.timeLimit = a.time;
  req.begin = a.begin;
  return req;
}

// Prints the plan line: jobs in the plan, complete, to run and still in flight.
void printPlanLine(const JobTally& t) {
  std::cout << "plan: " << t.plan.jobs.size() << " job(s), " << t.complete << " complete, "
            << t.todo.size() << " to run";
  if (!t.inFlightSkipped.empty()) {
    std::cout << ", " << t.inFlightSkipped.size() << " still queued or running from the last "
              << "submission (" << compressIndices(t.inFlightSkipped) << ")";
  }
  std::cout << "\n";
}

// Writes the array and merge scripts and submits them; on --dry-run prints how to submit them
// by hand instead and returns nothing.
std::optional<Submission> writeAndSubmit(const SubmitArgs& a, SlurmScheduler& slurm,
                                         const BatchRequest& req, bool recurring) {
  const BatchScripts scripts = slurm.writeScripts(req);
  if (!scripts.array.empty()) {
    std::cout << "wrote " << scripts.array.string() << " (--array=" << scripts.arraySpec << ")\n";
  } else {
    std::cout << "every job is complete: no array, only the merge\n";
  }
  std::cout << "wrote " << scripts.merge.string() << "\n";
  if (a.dryRun) {
    std::cout << "dry run: nothing submitted. To submit by hand:\n";
    if (scripts.array.empty()) {
      std::cout << "  sbatch " << scripts.merge.string() << "\n";
    } else {
      std::cout << "  A=$(sbatch --parsable " << scripts.array.string() << ")\n"
                << "  sbatch --dependency=afterok:$A " << scripts.merge.string() << "\n";
    }
    if (recurring) std::cout << "  (--every " << a.every << " would also submit a re-arming job)\n";
    return std::nullopt;
  }
  const Submission sub = slurm.submit(req, scripts);
  if (!sub.arrayJob.empty()) {
    std::cout << "submitted array job " << sub.arrayJob << " (" << req.jobIndices.size()
              << " task(s), --array=" << scripts.arraySpec << ")\n";
  }
  std::cout << "submitted merge job " << sub.mergeJob
            << (sub.arrayJob.empty() ? "" : " (after array " + sub.arrayJob + " succeeds)") << "\n";
  return sub;
}

// Submits the re-arming job of --every (cancelling the chain it replaces) and records it in
// OUT/slurm/schedule.json.
void scheduleRecurrence(const Config& c, const SubmitArgs& a, std::chrono::seconds every,
                        const char* rearmJob, SlurmScheduler& slurm, const BatchRequest& req) {
  const fs::path& out = c.output;
  const fs::path scheduleFile = out / "slurm" / "schedule.json";
  // One chain per run folder: a new --every replaces the old one.
  if (const auto old = readJsonFile(scheduleFile)) {
    const std::string oldJob = old->value("rearm_job", "");
    if (!oldJob.empty() && (!rearmJob || oldJob != rearmJob)) slurm.cancel(oldJob);
  }
  Recurrence rec;
  rec.every = every;
  rec.everyText = a.every;
  rec.submitArgs = {req.binary.string(),
                    "submit",
                    c.file.string(),
                    "--scheduler",
                    "slurm",
                    "--out",
                    out.string(),
                    "--every",
                    a.every,
                    "--cpus-per-task",
                    std::to_string(a.cpusPerTask)};
  if (!a.partition.empty())
    rec.submitArgs.insert(rec.submitArgs.end(), {"--partition", a.partition});
  if (a.maxParallel > 0) {
    rec.submitArgs.insert(rec.submitArgs.end(), {"--max-parallel", std::to_string(a.maxParallel)});
  }
  if (!a.time.empty()) rec.submitArgs.insert(rec.submitArgs.end(), {"--time", a.time});
  const std::string next =
      formatIsoTime(static_cast<TimePoint>(std::time(nullptr) + every.count()));
  const std::string job = slurm.submitRearm(req, rec);
  nlohmann::ordered_json s{{"every", a.every},
                           {"every_s", every.count()},
                           {"next", next},
                           {"rearm_job", job},
                           {"config", c.file.string()}};
  cw::writeFileAtomic(scheduleFile, s.dump(2) + "\n");
  std::cout << "scheduled: every " << a.every << ", next firing " << next << " (re-arming job "
            << job << "); stop with: changewatch unschedule " << out.string() << "\n";
}

// Prints how to watch the submitted jobs: squeue, status and the array's logs.
void printWatchHints(const fs::path& out, const Submission& sub) {
  std::string ids = sub.arrayJob;
  if (!sub.mergeJob.empty()) ids += (ids.empty() ? "" : ",") + sub.mergeJob;
  std::cout << "watch:\n";
  if (!ids.empty()) std::cout << "  squeue -j " << ids << "\n";
  std::cout << "  changewatch status " << out.string() << "\n";
  if (!sub.arrayJob.empty()) {
    std::cout << "  logs: " << (out / "slurm" / "logs").string() << "/" << sub.arrayJob
              << "_<index>.out\n";
  }
}

// `changewatch submit`: plans, submits the incomplete jobs and the merge, and schedules --every.
void runSubmit(const SubmitArgs& a) {
  Config c = loadConfig(a.config);
  if (!a.out.empty()) c.output = fs::absolute(a.out).lexically_normal();
  const fs::path out = c.output;
  const fs::path scheduleFile = out / "slurm" / "schedule.json";
  std::optional<std::chrono::seconds> every;
  if (!a.every.empty()) every = parseDuration(a.every);
  SlurmScheduler slurm;

  // Run by a re-arming job: after `unschedule` (or a newer schedule) it must not go on.
  const char* rearmJob = std::getenv("CW_REARM_JOB");
  if (rearmJob && !rearmStillScheduled(scheduleFile, out, rearmJob)) return;
  if (!a.dryRun && !SlurmScheduler::installed()) {
    throw Error(
        "sbatch not found on PATH: is this a Slurm login node? (--dry-run writes the "
        "scripts without submitting)");
  }

  fs::create_directories(out);
  const JobTally t = planAndTally(c, a, slurm);
  const BatchRequest req = batchRequest(c, a, t.todo);
  printPlanLine(t);
  const bool mergeNeeded =
      !t.todo.empty() || (t.inFlightSkipped.empty() && !mergeIsCurrent(c, t.plan));
  Submission sub;
  if (!mergeNeeded && !a.dryRun) {
    // Scripts and submission.json of the last submission stay as they are: they describe what
    // is still in flight.
    if (!t.inFlightSkipped.empty()) {
      std::cout << "nothing new to submit: the jobs left are still queued or running from the "
                   "last submission\n";
    } else {
      std::cout << "nothing to submit: every job is complete and the merge is current\n";
    }
  } else {
    const std::optional<Submission> submitted = writeAndSubmit(a, slurm, req, every.has_value());
    if (!submitted) return;  // dry run
    sub = *submitted;
  }

  if (every) scheduleRecurrence(c, a, *every, rearmJob, slurm, req);
  printWatchHints(out, sub);
}

}  // namespace

void addSubmitCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "submit",
      "Submit the incomplete jobs of a config to a cluster (Slurm job array + merge); "
      "--begin defers, --every recurs");
  auto a = std::make_shared<SubmitArgs>();
  declareSubmitOptions(*cmd, *a);
  cmd->callback([a] { runSubmit(*a); });
}

void addUnscheduleCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "unschedule", "Cancel the recurring submission of a run folder (submit --every)");
  auto out = std::make_shared<std::string>();
  cmd->add_option("OUT", *out, "Run output folder")->required();
  cmd->callback([out] {
    const fs::path file = fs::path(*out) / "slurm" / "schedule.json";
    const auto s = readJsonFile(file);
    if (!s)
      throw UsageError(file.string() + ": no schedule here (nothing was submitted with --every)");
    const std::string job = s->value("rearm_job", "");
    // schedule.json goes first: a re-arming job already running then sees it is cancelled.
    std::error_code ec;
    fs::remove(file, ec);
    if (ec) throw Error(file.string() + ": cannot remove: " + ec.message());
    const bool cancelled = !job.empty() && SlurmScheduler().cancel(job);
    std::cout << "unscheduled " << *out << ": every " << s->value("every", "?")
              << "; re-arming job " << job
              << (cancelled ? " cancelled" : " was not cancelled (already gone?)") << "\n";
  });
}

}  // namespace cw::cli
