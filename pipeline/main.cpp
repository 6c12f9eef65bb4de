// changewatch: satellite-imagery change detection and object counting for sanctions monitoring.
// Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad config.
#include <iostream>

#include <malloc.h>

#include <CLI/CLI.hpp>
#include <gdal_priv.h>

#include "cw_version.hpp"
#include "imaging/error.hpp"
#include "imaging/log.hpp"
#include "pipeline/commands.hpp"
#include "pipeline/gdal_env.hpp"

int main(int argc, char** argv) {
  // glibc gives each thread that allocates its own arena, and freed tile buffers stay resident
  // in each. Two arenas (2 threads by default on this machine, plus GDAL's) cut peak RSS at the
  // same speed: `run` of the 4096² bench job 592 -> 407 MiB, `change` cva 8192² 400-413 ->
  // 325-344 MiB, wall unchanged within noise.
  mallopt(M_ARENA_MAX, 2);
  // Large buffers from the heap, and the heap kept: the COG writer's compression jobs and the
  // tiles allocate and free multi-MiB buffers all run long, and with glibc's defaults each came
  // from a fresh mmap that the kernel zeroed page by page (perf: a third of a change run's CPU in
  // page faults and memset). `change` 8192² 2 threads: irmad 6.0 -> 4.4 s, cva 5.6 -> 4.2 s,
  // peak RSS 330-360 -> 350-355 MiB; 4096² job 13.4 -> 12.3 s, 445 -> 457 MiB. 32 MiB is glibc's
  // largest mmap threshold. `serve` sets its own (it runs for hours; see cmd_serve.cpp).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  CLI::App app{
      "changewatch: detect change and count objects in satellite imagery of ports and facilities,\n"
      "and check the evidence against declared trade.\n\n"
      "Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad config."};
  app.set_version_flag("--version", std::string("changewatch ") + cw::kVersion + " (" +
                                        cw::kGitDescribe + ")");
  app.require_subcommand(1);
  bool quiet = false;
  bool verbose = false;
  app.add_flag("-q,--quiet", quiet, "Only print warnings and errors");
  app.add_flag("-v,--verbose", verbose, "Print debug messages");
  app.parse_complete_callback([&] {
    if (quiet) cw::log::setLevel(cw::log::Level::Warn);
    if (verbose) cw::log::setLevel(cw::log::Level::Debug);
  });

  cw::pipeline::addSimulateCommand(app);
  cw::pipeline::addValidateCommand(app);
  cw::pipeline::addVerifyCommand(app);
  cw::pipeline::addPlanCommand(app);
  cw::pipeline::addRunCommand(app);
  cw::pipeline::addMergeCommand(app);
  cw::pipeline::addStatusCommand(app);
  cw::pipeline::addSubmitCommand(app);
  cw::pipeline::addUnscheduleCommand(app);
  cw::pipeline::addChangeCommand(app);
  cw::pipeline::addCountCommand(app);
  cw::pipeline::addServeCommand(app);

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
  } catch (const cw::UsageError& e) {
    std::cerr << "changewatch: error: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "changewatch: error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
