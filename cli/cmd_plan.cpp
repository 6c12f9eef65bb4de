#include <iostream>

#include "cli/commands.hpp"
#include "pipeline/config.hpp"
#include "pipeline/plan.hpp"

namespace cw::cli {
// The CLI is the one place that composes the libraries.
using namespace cw::pipeline;

void addPlanCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "plan", "List the jobs of a config: scenes per AOI with coverage, the grid and the tiles");
  auto config = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("CONFIG", *config, "Config file (YAML)")->required();
  cmd->add_flag("--json", *json, "Print the plan as JSON");
  cmd->callback([config, json] {
    const Config c = loadConfig(*config);
    const Plan p = makePlan(c);
    if (*json) {
      std::cout << planToJson(c, p).dump(2) << "\n";
    } else {
      std::cout << planToText(c, p);
    }
  });
}

}  // namespace cw::cli
