#include <iostream>

#include "pipeline/commands.hpp"
#include "pipeline/config.hpp"

namespace cw::pipeline {

void addValidateCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("validate", "Check a config file and report every problem found");
  auto config = std::make_shared<std::string>();
  cmd->add_option("CONFIG", *config, "Config file (YAML)")->required();
  cmd->callback([config] {
    const Config c = loadConfig(*config);
    std::cout << c.file.string() << ": OK (" << c.aois.size() << " AOI"
              << (c.aois.size() == 1 ? "" : "s") << ", " << c.scenes.size() << " scene source"
              << (c.scenes.size() == 1 ? "" : "s") << ")\n";
  });
}

}  // namespace cw::pipeline
