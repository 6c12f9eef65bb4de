#include <iostream>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "pipeline/config.hpp"
#include "pipeline/plan.hpp"
#include "pipeline/validation.hpp"

namespace cw::cli {
// The CLI is the one place that composes the libraries.
using namespace cw::pipeline;

void addValidateCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "validate",
      "Check a config without running it: syntax, declarations, scene sources and band roles, "
      "AOI overlap and the window; exit 2 on any error");
  auto config = std::make_shared<std::string>();
  cmd->add_option("CONFIG", *config, "Config file (YAML)")->required();
  cmd->callback([config] {
    const Config c = loadConfig(*config);
    const Plan plan = makePlan(c);
    const ValidationReport r = validatePlan(c, plan);
    for (const auto& w : r.warnings) std::cout << "warning: " << w << "\n";
    std::vector<std::string> errors = r.errors;
    errors.insert(errors.end(), r.noJob.begin(), r.noJob.end());
    if (!errors.empty()) {
      std::string msg = c.file.string() + ": " + std::to_string(errors.size()) + " error(s)";
      for (const auto& e : errors) msg += "\n  " + e;
      throw UsageError(msg);
    }
    std::cout << c.file.string() << ": OK (" << c.aois.size() << " AOI"
              << (c.aois.size() == 1 ? "" : "s") << ", " << c.scenes.size() << " scene source"
              << (c.scenes.size() == 1 ? "" : "s") << ", " << plan.catalog.scenes.size()
              << " scene(s) in the window, " << plan.jobs.size() << " job(s)"
              << (r.warnings.empty() ? ""
                                     : ", " + std::to_string(r.warnings.size()) + " warning(s)")
              << ")\n";
  });
}

}  // namespace cw::cli
