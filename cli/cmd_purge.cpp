// `changewatch purge OUT`: removes what the config's retention section says has expired
// (evidence/retention.hpp), reading the rules from OUT/config.resolved.yaml.
#include <ctime>
#include <iostream>

#include <yaml-cpp/yaml.h>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/iso_time.hpp"
#include "evidence/retention.hpp"

namespace cw::cli {
// The CLI is the one place that composes the libraries.

namespace {

// The retention section of `file` (a config; only that section is read).
evidence::RetentionRules rulesOf(const std::filesystem::path& file) {
  YAML::Node cfg;
  try {
    cfg = YAML::LoadFile(file.string());
  } catch (const std::exception& e) {
    throw UsageError(file.string() + ": cannot read the run's config (" + e.what() + ")");
  }
  evidence::RetentionRules r;
  const auto ret = cfg["retention"];
  if (!ret) return r;
  for (auto [key, slot] :
       {std::pair{"chips_days", &r.chipsDays}, std::pair{"rasters_days", &r.rastersDays},
        std::pair{"ais_days", &r.aisDays}}) {
    if (!ret[key]) continue;
    int days = -1;
    try {
      days = ret[key].as<int>();
    } catch (const YAML::Exception&) {
    }
    if (days < 0 || days > 36500) {
      throw UsageError(file.string() + ": retention." + key +
                       ": expected whole days in [0, 36500]");
    }
    *slot = days;
  }
  return r;
}

}  // namespace

void addPurgeCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "purge",
      "Remove chips, rasters and AIS fixes older than the config's retention (days); keeps "
      "hashes, verdicts and a record of each removal in OUT/purged.jsonl");
  auto out = std::make_shared<std::string>();
  auto asOf = std::make_shared<std::string>();
  auto dryRun = std::make_shared<bool>(false);
  auto config = std::make_shared<std::string>();
  cmd->add_option("OUT", *out, "Output folder of a run")->required();
  cmd->add_option(
      "--config", *config,
      "Config whose retention section applies (default: the run's OUT/config.resolved.yaml)");
  cmd->add_option("--as-of", *asOf, "Judge expiry at this ISO 8601 time instead of now");
  cmd->add_flag("--dry-run", *dryRun, "Only list what would be removed");
  cmd->callback([out, asOf, dryRun, config] {
    std::int64_t now = std::time(nullptr);
    if (!asOf->empty()) {
      const auto t = cw::parseIsoTime(*asOf);
      if (!t)
        throw UsageError("--as-of: expected an ISO 8601 time like 2026-01-31, got '" + *asOf + "'");
      now = *t;
    }
    const auto rules =
        rulesOf(config->empty() ? std::filesystem::path(*out) / "config.resolved.yaml"
                                : std::filesystem::path(*config));
    if (!rules.chipsDays && !rules.rastersDays && !rules.aisDays) {
      std::cout << *out << ": the config has no retention section; nothing expires\n";
      return;
    }
    const auto r = evidence::purgeExpired(*out, rules, now, *dryRun);
    for (const auto& f : r.removed)
      std::cout << (*dryRun ? "would purge: " : "purged: ") << f << '\n';
    std::cout << *out << ": " << r.removed.size() << " file(s), " << (r.bytes >> 20) << " MiB "
              << (*dryRun ? "would be purged" : "purged") << '\n';
  });
}

}  // namespace cw::cli
