// changewatch options [UNIT] [--markdown]: the declared options of the change methods and
// detectors (name, type, default, range, help), as `change --help` and `count --help` end with
// them. `--markdown` prints the tables that docs/config.md embeds (scripts/gen-option-docs.sh).
#include <iostream>

#include "cli/commands.hpp"
#include "imaging/option_docs.hpp"
#include "imaging/registry.hpp"

namespace cw::cli {

void addUnitOptionsFooter(CLI::App& cmd, imaging::UnitKind kind) {
  cmd.footer([kind] {
    std::string text =
        imaging::registryOptions(imaging::Registry::builtins(), kind, imaging::DocFormat::Text);
    text.pop_back();  // CLI11 ends the footer with its own newline
    return text;
  });
}

void addOptionsCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "options",
      "List the options of every change method and detector (or of one), with their types, "
      "defaults and ranges");
  auto unit = std::make_shared<std::string>();
  auto markdown = std::make_shared<bool>(false);
  cmd->add_option("UNIT", *unit, "Only this change method or detector (e.g. irmad, ships)");
  cmd->add_flag("--markdown", *markdown, "Markdown tables, as in docs/config.md");
  cmd->callback([unit, markdown] {
    std::cout << imaging::optionsReference(
        imaging::Registry::builtins(),
        *markdown ? imaging::DocFormat::Markdown : imaging::DocFormat::Text, *unit);
  });
}

}  // namespace cw::cli
