#include <iostream>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "pipeline/config.hpp"
#include "pipeline/local_runner.hpp"
#include "pipeline/merge.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/run_state.hpp"

namespace cw::cli {
// The CLI is the one place that composes the libraries.
using namespace cw::pipeline;
namespace {

Config configWithOut(const std::string& file, const std::string& out) {
  Config c = loadConfig(file);
  if (!out.empty()) c.output = fs::absolute(out).lexically_normal();
  return c;
}

}  // namespace

void addRunCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "run",
      "Run the jobs of a config (all, or one with --job), skipping complete ones, then merge");
  struct Args {
    std::string config, out;
    int job = -1;
    int threads = 0;
    bool noMerge = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("CONFIG", a->config, "Config file (YAML)")->required();
  cmd->add_option("--out", a->out, "Output folder (default: the config's 'output')");
  cmd->add_option("--job", a->job, "Run only job I of the plan (a cluster array task)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", a->threads, "Threads (default: the config's, else all cores)")
      ->check(CLI::Range(1, 1024));
  cmd->add_flag("--no-merge", a->noMerge, "Do not merge after the jobs");
  cmd->callback([a] {
    const Config c = configWithOut(a->config, a->out);
    RunOptions o;
    o.threads = a->threads;
    if (a->job >= 0) o.jobIndex = a->job;
    o.merge = !a->noMerge;
    if (const char* id = std::getenv("SLURM_ARRAY_JOB_ID")) {
      const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
      o.task = std::string(id) + "_" + (task ? task : "?");
    }
    const RunSummary s = runLocal(c, o);
    std::cout << "jobs: " << s.total << " planned, " << s.done << " done, " << s.skipped
              << " already complete, " << s.failed << " failed\n";
    if (a->job < 0) {
      std::cout << "evidence: " << c.output.string() << "\n";
    }
    if (s.interrupted) throw Error("interrupted; run the same command again to resume");
    if (s.failed > 0) {
      throw Error(std::to_string(s.failed) + " job(s) failed; see 'changewatch status " +
                  c.output.string() + "'");
    }
    // A whole run that left AOIs out because of a tiling limit did not do what was asked.
    if (a->job < 0 && !s.refusedAois.empty()) {
      std::string ids;
      for (const auto& id : s.refusedAois) ids += (ids.empty() ? "" : ", ") + id;
      throw UsageError("AOI(s) " + ids + " refused by a tiling limit (reason above); change the " +
                       "config's tiling section and run again");
    }
  });
}

void addMergeCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "merge", "Merge complete jobs: verdicts, report, STAC catalog and the run manifest");
  auto config = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("CONFIG", *config, "Config file (YAML)")->required();
  cmd->add_option("--out", *out, "Output folder (default: the config's 'output')");
  cmd->callback([config, out] {
    const Config c = configWithOut(*config, *out);
    fs::create_directories(c.output);
    FileLock lock(c.output / ".lock", FileLock::Mode::Exclusive,
                  "output folder " + c.output.string());
    const Plan p = makePlan(c);
    const MergeSummary s = mergeRun(c, p);
    std::cout << "merged " << s.completeJobs << " complete job(s)";
    if (s.incompleteJobs) std::cout << "; " << s.incompleteJobs << " not complete";
    std::cout << "\nevidence: " << c.output.string() << "\n";
  });
}

}  // namespace cw::cli
