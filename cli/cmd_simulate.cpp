#include <iostream>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "sim/simulator.hpp"

namespace cw::cli {
// The CLI is the one place that composes the libraries.
using namespace cw::sim;

void addSimulateCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "simulate",
      "Write synthetic port/facility scenes with exact ground truth, a config and declarations");
  auto opts = std::make_shared<SimulatorOptions>();
  auto out = std::make_shared<std::string>();
  auto sensor = std::make_shared<std::string>("optical");
  cmd->add_option("--out", *out, "Output folder (scenes/, truth/, config.yaml, declarations.csv)")
      ->required();
  cmd->add_option("--seed", opts->seed, "Random seed; the same seed gives byte-identical files")
      ->capture_default_str();
  cmd->add_option("--size", opts->sizePx, "Scene width and height in pixels (256..8192)")
      ->capture_default_str();
  cmd->add_option("--dates", opts->dates,
                  "Number of acquisition dates, monthly from 2025-03-01 (1..24)")
      ->capture_default_str();
  cmd->add_flag("--ais", opts->ais,
                "Also write ais/feed.csv (MarineCadastre CSV: AIS on, dark and one spoofed vessel) "
                "and an ais: section in the config");
  cmd->add_flag("--no-hard-ships{false}", opts->hardShips,
                "Leave out the berthed, underway (with a wake) and beside-cloud ships");
  cmd->add_option("--sensor", *sensor,
                  "optical (4 bands + cloud band, UInt16) or sar (Float32 backscatter)")
      ->check(CLI::IsMember({"optical", "sar"}))
      ->capture_default_str();
  cmd->callback([opts, out, sensor] {
    SimulatorOptions o = *opts;
    o.outDir = *out;
    o.sensor = *sensor == "sar" ? SimSensor::Sar : SimSensor::Optical;
    const SimulationResult r = simulateScenes(o);
    std::cout << "simulate: " << r.scenes.size() << " scene" << (r.scenes.size() == 1 ? "" : "s")
              << " of " << o.sizePx << " x " << o.sizePx << " px (EPSG:" << r.epsg << ", "
              << o.pixelSizeM << " m) in " << (fs::path(o.outDir) / "scenes").string() << "\n"
              << "  ships drawn: " << r.shipsDrawn << " over all dates, tanks: " << r.tanks
              << ", change masks: " << r.changeMasks.size() << "\n"
              << "  truth:        " << r.truthJson.string() << "\n"
              << "  config:       " << r.config.string() << "\n"
              << "  declarations: " << r.declarations.string() << "\n";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", r.seconds);
    std::cout << "  took " << buf << " s\n";
  });
}

}  // namespace cw::cli
