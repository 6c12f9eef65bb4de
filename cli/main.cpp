// changewatch: satellite-imagery change detection and object counting for sanctions monitoring.
// Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad config (`status`: 1 when a job
// failed, 3 when jobs are missing).
#include <iostream>

#include <gdal_priv.h>
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/process_heap.hpp"
#include "cw_version.hpp"
#include "pipeline/gdal_env.hpp"

int main(int argc, char** argv) {
  // Before anything allocates in a second thread (see process_heap.hpp).
  cw::applyHeapPolicy(cw::heapPolicyFor(argc, argv));
  CLI::App app{
      "changewatch: detect change and count objects in satellite imagery of ports and facilities,\n"
      "and check the evidence against declared trade.\n\n"
      "Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad config; status: 0 every job\n"
      "complete, 1 a job failed, 3 jobs missing."};
  app.set_version_flag("--version",
                       std::string("changewatch ") + cw::kVersion + " (" + cw::kGitDescribe + ")");
  app.require_subcommand(1);
  bool quiet = false;
  bool verbose = false;
  app.add_flag("-q,--quiet", quiet, "Only print warnings and errors");
  app.add_flag("-v,--verbose", verbose, "Print debug messages");
  app.parse_complete_callback([&] {
    if (quiet) cw::log::setLevel(cw::log::Level::Warn);
    if (verbose) cw::log::setLevel(cw::log::Level::Debug);
  });

  cw::cli::addSimulateCommand(app);
  cw::cli::addValidateCommand(app);
  cw::cli::addVerifyCommand(app);
  cw::cli::addPlanCommand(app);
  cw::cli::addRunCommand(app);
  cw::cli::addMergeCommand(app);
  cw::cli::addStatusCommand(app);
  cw::cli::addSubmitCommand(app);
  cw::cli::addUnscheduleCommand(app);
  cw::cli::addChangeCommand(app);
  cw::cli::addCountCommand(app);
  cw::cli::addOptionsCommand(app);
  cw::cli::addServeCommand(app);
  cw::cli::addUsersCommand(app);
  cw::cli::addKeygenCommand(app);
  cw::cli::addSignCommand(app);
  cw::cli::addPurgeCommand(app);

  cw::pipeline::initGdal();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "changewatch: " << e.what() << "\n(run 'changewatch --help' for usage)\n";
    return 2;
  } catch (const cw::cli::ExitStatus& e) {
    return e.code;
  } catch (const cw::UsageError& e) {
    std::cerr << "changewatch: error: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "changewatch: error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
