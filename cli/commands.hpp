#pragma once
// Subcommands of the changewatch CLI. Each lives in cli/cmd_<name>.cpp and registers itself
// on the app; main() lists them in the order --help shows them. A subcommand that does not exist
// yet is simply not listed.
#include <CLI/CLI.hpp>

#include "imaging/option_docs.hpp"

namespace cw::cli {

// A command that finished its work and reports a state through the exit code alone (e.g.
// `status`: 1 when a job failed, 3 when jobs are missing); main() exits with `code` and prints
// nothing more. Not an error: its output was already printed.
struct ExitStatus {
  int code = 0;
};

void addSimulateCommand(CLI::App& app);
void addValidateCommand(CLI::App& app);
void addVerifyCommand(CLI::App& app);
void addPlanCommand(CLI::App& app);
void addRunCommand(CLI::App& app);
void addMergeCommand(CLI::App& app);
void addStatusCommand(CLI::App& app);
void addSubmitCommand(CLI::App& app);
void addUnscheduleCommand(CLI::App& app);
void addChangeCommand(CLI::App& app);
void addCountCommand(CLI::App& app);
void addOptionsCommand(CLI::App& app);

// Ends the help of `cmd` (change, count) with the declared options of every registered unit of
// `kind`, rendered from the registry only when help is asked for.
void addUnitOptionsFooter(CLI::App& cmd, imaging::UnitKind kind);
void addServeCommand(CLI::App& app);
void addUsersCommand(CLI::App& app);
void addKeygenCommand(CLI::App& app);
void addSignCommand(CLI::App& app);
void addPurgeCommand(CLI::App& app);

}  // namespace cw::cli
