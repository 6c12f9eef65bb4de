#pragma once
// The scheduler seam: everything changewatch knows about Slurm, and nothing else does.
//
// A batch is "run these job indices of this config, at most K at a time, then merge once they
// all succeeded". The scheduler turns a BatchRequest into scripts under OUT/<scheduler>/, submits
// them, and cancels. Which jobs are incomplete, and whether a job really finished, is decided by
// the run folder (job.json), never by the scheduler's states: a task the scheduler calls
// COMPLETED that left no complete job.json is a failed job. A second scheduler (Kubernetes Jobs,
// HTCondor) is one more file with the same three calls.
//
// Files (all written atomically):
//   OUT/slurm/array.sbatch     #SBATCH --array=<incomplete indices, ranges>%K; each task runs
//                              `changewatch run CONFIG --out OUT --job $SLURM_ARRAY_TASK_ID
//                              --no-merge`
//   OUT/slurm/merge.sbatch     #SBATCH --dependency=afterok:<array job id>; `changewatch merge`
//   OUT/slurm/rearm.sbatch     (with --every) re-runs `changewatch submit ... --every D` later
//   OUT/slurm/submission.json  the last submission: job ids, indices, commands
//   OUT/slurm/schedule.json    the recurring schedule: {every, next, rearm_job}
//   OUT/slurm/logs/%A_%a.out   task logs (merge_%j.out, rearm_%j.out)
//
// Thread-safety: none needed; one call at a time from the CLI.
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cw::cluster {

namespace fs = std::filesystem;

struct BatchRequest {
  fs::path binary;              // absolute path of the changewatch executable the tasks run
  fs::path config;              // absolute config path
  fs::path out;                 // absolute output folder
  std::vector<int> jobIndices;  // plan indices to run (the incomplete jobs); may be empty
  std::string name = "changewatch";
  std::string partition;  // empty = the cluster's default
  int maxParallel = 0;    // 0 = no limit (%K left out)
  int cpusPerTask = 1;    // also the tasks' --threads
  std::string timeLimit;  // Slurm --time, empty = partition default
  std::string begin;      // Slurm --begin, empty = now
};

struct BatchScripts {
  fs::path array;  // empty when there is no job to run
  fs::path merge;
  std::string arraySpec;  // "0-3,7%2"
};

struct Submission {
  std::string arrayJob;  // empty when nothing was to run
  std::string mergeJob;
};

// A recurring schedule: a small job that fires `every` later and re-runs `submit`.
struct Recurrence {
  std::chrono::seconds every{0};
  std::string everyText;                // as the analyst wrote it
  std::vector<std::string> submitArgs;  // the `changewatch submit ...` argv to re-run
};

class SlurmScheduler {
 public:
  // True when sbatch is on PATH.
  static bool installed();

  // Writes array.sbatch (when there are jobs) and merge.sbatch (dependency placeholder
  // @ARRAY_JOB_ID@, replaced on submit). Removes a stale array.sbatch when there is no job.
  BatchScripts writeScripts(const BatchRequest& request) const;

  // Submits the array, then the merge after it (afterok), with `sbatch --parsable`. Rewrites
  // merge.sbatch with the real dependency and records OUT/slurm/submission.json.
  // Throws cw::Error with sbatch's message when a submission fails.
  Submission submit(const BatchRequest& request, const BatchScripts& scripts) const;

  // Writes rearm.sbatch and submits it with --begin=now+every; returns its job id.
  std::string submitRearm(const BatchRequest& request, const Recurrence& recurrence) const;

  // scancel; true when Slurm accepted it (the job may already have ended).
  bool cancel(const std::string& jobId) const;

  // Array indices of `arrayJob` still pending or running (squeue), for not submitting a job
  // twice while an earlier submission has it in flight. Empty when the job is gone.
  std::set<int> inFlight(const std::string& arrayJob) const;

  // Slurm's view of one task, for status: "PENDING", "RUNNING", "COMPLETED", "FAILED", ... or ""
  // when Slurm no longer knows the job (MinJobAge passed) or is not reachable.
  std::string taskState(const std::string& arrayJob, int index) const;
};

// For `status`: the task of the last submission (OUT/slurm/submission.json) that was to run plan
// job `index`, and what Slurm says of it. `task` is empty when that submission did not include
// the job; `ended` is true when Slurm reports the task finished in any way (COMPLETED included),
// which for a job without a complete job.json means it failed.
struct SlurmTask {
  std::string task;   // "<array id>_<index>"
  std::string state;  // Slurm's JobState, "" when Slurm no longer knows it or is unreachable
  bool ended = false;
  fs::path log;          // OUT/slurm/logs/<array id>_<index>.out
  std::string logError;  // from the log: the last warning, else the last "error" line
};
SlurmTask lastSubmittedTask(const fs::path& out, int index);

// "0,1,2,5,7,8" -> "0-2,5,7-8" (input need not be sorted; duplicates ignored).
std::string compressIndices(const std::vector<int>& indices);

// A duration for --every: "30s", "30min", "6h", "1d", "2w", Slurm's unit words ("90seconds",
// "6hours", "now+1day"), or Slurm's time format ("MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM[:SS]").
// A bare number is refused as ambiguous (Slurm reads it as seconds in --begin, minutes in
// --time). Throws cw::UsageError.
std::chrono::seconds parseDuration(const std::string& text);

}  // namespace cw::cluster
