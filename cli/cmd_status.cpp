#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cluster/scheduler_slurm.hpp"
#include "core/error.hpp"
#include "pipeline/run_state.hpp"

namespace cw::cli {
// The CLI is the one place that composes the libraries.
using namespace cw::pipeline;
using namespace cw::cluster;

void addStatusCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "status",
      "List complete, failed and missing jobs of a run folder (from OUT/plan.json); exit 0 when "
      "every job is complete, 1 when any failed, 3 when any is missing");
  auto out = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("OUT", *out, "Run output folder")->required();
  cmd->add_flag("--json", *json, "Print the status as JSON");
  cmd->callback([out, json] {
    const fs::path dir(*out);
    std::ifstream in(dir / "plan.json");
    if (!in) {
      throw UsageError((dir / "plan.json").string() +
                       ": no plan here; is this the output folder of a run or submit?");
    }
    nlohmann::json plan;
    try {
      plan = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw Error((dir / "plan.json").string() + ": not valid JSON: " + e.what());
    }
    nlohmann::ordered_json report;
    report["out"] = dir.string();
    report["jobs"] = nlohmann::ordered_json::array();
    std::map<std::string, int> totals = {{"complete", 0}, {"failed", 0}, {"missing", 0}};
    for (const auto& j : plan.value("jobs", nlohmann::json::array())) {
      const std::string id = j.value("id", "");
      auto st = readJobStatus(dir / id, "");
      std::string slurmState;
      if (st.state == JobState::Missing) {
        // Slurm states are not trusted alone: a task Slurm says has ended, whose job left no
        // complete job.json, is a failed job.
        const SlurmTask t = lastSubmittedTask(dir, j.value("index", -1));
        st.task = t.task;
        slurmState = t.state;
        if (t.ended) {
          st.state = JobState::Failed;
          st.error =
              "Slurm task " + t.task + " ended " + t.state + " but left no complete job.json" +
              (t.logError.empty() ? "" : ": " + t.logError) + " (log " + t.log.string() + ")";
        }
      }
      const std::string state = toString(st.state);
      totals[state]++;
      nlohmann::ordered_json row{{"index", j.value("index", -1)}, {"id", id}, {"state", state}};
      if (!st.finished.empty()) row["finished"] = st.finished;
      if (!st.task.empty()) row["task"] = st.task;
      if (!slurmState.empty()) row["slurm_state"] = slurmState;
      if (!st.error.empty()) row["error"] = st.error;
      report["jobs"].push_back(row);
    }
    report["totals"] = totals;
    const fs::path schedule = dir / "slurm" / "schedule.json";
    if (fs::exists(schedule)) {
      std::ifstream s(schedule);
      try {
        report["schedule"] = nlohmann::json::parse(s);
      } catch (const nlohmann::json::exception&) {
      }
    }
    // Scripts read the state from the exit code: 0 every planned job complete, 1 any failed,
    // 3 any missing (and none failed).
    const int code = totals["failed"] > 0 ? 1 : totals["missing"] > 0 ? 3 : 0;
    if (*json) {
      std::cout << report.dump(2) << "\n";
      if (code != 0) throw ExitStatus{code};
      return;
    }
    std::cout << "run " << dir.string() << "\n";
    for (const auto& row : report["jobs"]) {
      std::cout << "  " << row["index"].get<int>() << "  " << row["state"].get<std::string>()
                << std::string(10 - row["state"].get<std::string>().size(), ' ')
                << row["id"].get<std::string>();
      if (row.contains("task")) {
        std::cout << "  (task " << row["task"].get<std::string>();
        if (row.contains("slurm_state"))
          std::cout << ", Slurm " << row["slurm_state"].get<std::string>();
        std::cout << ")";
      }
      std::cout << "\n";
      if (row.contains("error"))
        std::cout << "      error: " << row["error"].get<std::string>() << "\n";
    }
    std::cout << "totals: " << totals["complete"] << " complete, " << totals["failed"]
              << " failed, " << totals["missing"] << " missing\n";
    if (report.contains("schedule")) {
      const auto& s = report["schedule"];
      std::cout << "schedule: every " << s.value("every", "?") << ", next firing "
                << s.value("next", "?") << " (Slurm job " << s.value("rearm_job", "?") << ")\n";
    }
    std::cout << std::flush;
    if (code != 0) throw ExitStatus{code};
  });
}

}  // namespace cw::cli
