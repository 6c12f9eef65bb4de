// The one renderer of declared options (imaging/option_docs.hpp) behind `--help`, `changewatch
// options` and docs/config.md, and the one "unknown option" text of imaging/params.hpp.
#include <catch2/catch.hpp>

#include <sstream>

#include "core/error.hpp"
#include "imaging/option_docs.hpp"
#include "imaging/registry.hpp"

using namespace cw::imaging;

namespace {

const OptionSpec kZ{"z", "seed: |z| in sigmas", 6.0, 1.0, 1000.0, {}, ""};
const OptionSpec kTolerance{"tolerance", "stop below this", 1e-4, 1e-12, 1.0, {}, ""};
const OptionSpec kEps{"eps", "added before the ratio", 0.0, 0.0, kNoMaximum, {}, ""};
const OptionSpec kPolarity{"polarity", "hull polarity", 0, 0, 0, {"auto", "bright"}, "auto"};

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("option docs: numbers print short and exact, scientific only where much shorter",
          "[unit]") {
  CHECK(formatOptionNumber(0.5) == "0.5");
  CHECK(formatOptionNumber(6.0) == "6");
  CHECK(formatOptionNumber(-1.0) == "-1");
  CHECK(formatOptionNumber(0.0) == "0");
  CHECK(formatOptionNumber(1000.0) == "1000");  // "1e3" is only one character shorter
  CHECK(formatOptionNumber(0.001) == "0.001");
  CHECK(formatOptionNumber(1e4) == "1e4");
  CHECK(formatOptionNumber(2e4) == "2e4");
  CHECK(formatOptionNumber(1e-4) == "1e-4");
  CHECK(formatOptionNumber(1e-12) == "1e-12");
  CHECK(formatOptionNumber(1e12) == "1e12");
  CHECK(formatOptionNumber(1.5e6) == "1.5e6");
  // Exact, not rounded to six digits as ostream would ("1").
  CHECK(formatOptionNumber(0.999999999999) == "0.999999999999");
}

TEST_CASE("option docs: ranges print closed, open at the no-bound sentinels, or as choices",
          "[unit]") {
  CHECK(optionRangeText(kZ) == "[1, 1000]");
  CHECK(optionRangeText(kTolerance) == "[1e-12, 1]");
  CHECK(optionRangeText(kEps) == "≥ 0");
  OptionSpec below = kZ;
  below.minValue = kNoMinimum;
  CHECK(optionRangeText(below) == "≤ 1000");
  below.maxValue = kNoMaximum;
  CHECK(optionRangeText(below) == "any number");
  CHECK(optionRangeText(kPolarity) == "auto, bright");
  CHECK(optionTypeName(kZ) == "number");
  CHECK(optionTypeName(kPolarity) == "choice");
  CHECK(optionDefaultText(kTolerance) == "1e-4");
  CHECK(optionDefaultText(kPolarity) == "auto");
}

TEST_CASE("option docs: a unit as text, one line per option and its help indented below",
          "[unit]") {
  const std::string text =
      unitOptions("demo", "a demo unit", {kZ, kEps, kPolarity}, DocFormat::Text);
  CHECK(text ==
        "demo: a demo unit\n"
        "  z = 6 (number in [1, 1000])\n"
        "      seed: |z| in sigmas\n"
        "  eps = 0 (number ≥ 0)\n"
        "      added before the ratio\n"
        "  polarity = auto (one of auto, bright)\n"
        "      hull polarity\n");
  // A long help wraps at 80 columns with the same indent.
  OptionSpec wordy = kZ;
  wordy.help = std::string(70, 'a') + " " + std::string(10, 'b');
  const std::string wrapped = unitOptions("demo", "x", {wordy}, DocFormat::Text);
  CHECK_THAT(wrapped, Catch::EndsWith("      " + std::string(70, 'a') + "\n      " +
                                      std::string(10, 'b') + "\n"));
}

TEST_CASE("option docs: a unit as a Markdown table, '|' escaped in the help", "[unit]") {
  const std::string md = unitOptions("demo", "a demo unit", {kZ, kPolarity}, DocFormat::Markdown);
  CHECK(md ==
        "#### `demo`\n\n"
        "a demo unit\n\n"
        "| option | type | default | range | description |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| `z` | number | 6 | [1, 1000] | seed: \\|z\\| in sigmas |\n"
        "| `polarity` | choice | `auto` | `auto`, `bright` | hull polarity |\n");
}

TEST_CASE("option docs: the Markdown has one row per declared option of every registered unit",
          "[unit]") {
  const Registry& reg = Registry::builtins();
  const std::string md = optionsReference(reg, DocFormat::Markdown);
  std::size_t declared = 0;
  std::vector<std::pair<std::string, const std::vector<OptionSpec>*>> units;
  for (const auto& e : reg.methods()) units.emplace_back(e.name, &e.options);
  for (const auto& e : reg.detectors()) units.emplace_back(e.name, &e.options);
  REQUIRE(units.size() >= 7);  // cva, irmad, logratio, ships, tanks, blobs, vehicles
  for (const auto& [name, specs] : units) {
    INFO(name);
    declared += specs->size();
    // The unit's block: from its heading to the next heading (or the end).
    const auto at = md.find("#### `" + name + "`\n");
    REQUIRE(at != std::string::npos);
    const auto next = md.find("#### ", at + 1);
    const std::string block = md.substr(at, next == std::string::npos ? next : next - at);
    CHECK(count(block, "\n| `") == static_cast<int>(specs->size()));
    for (const auto& s : *specs) {
      INFO(s.name);
      std::string def = s.isChoice() ? "`" + s.defaultChoice + "`" : optionDefaultText(s);
      CHECK_THAT(block, Catch::Contains("| `" + s.name + "` | " + optionTypeName(s) + " | " + def +
                                        " | "));
    }
  }
  CHECK(count(md, "\n| `") == static_cast<int>(declared));
  CHECK(count(md, "\n#### `") == static_cast<int>(units.size()));
  CHECK_THAT(md, Catch::StartsWith("### Change method options\n"));
  CHECK_THAT(md, Catch::Contains("\n### Detector options\n"));
}

TEST_CASE("option docs: the ships detector's min_length_m as it declares it", "[unit]") {
  const DetectorEntry* ships = Registry::builtins().detector("ships");
  REQUIRE(ships);
  const OptionSpec* spec = findOption(ships->options, "min_length_m");
  REQUIRE(spec);
  // ShipDetectorOptions::minLengthM and the declared range [0, 1e4].
  CHECK(spec->defaultNumber == 20.0);
  CHECK(spec->minValue == 0.0);
  CHECK(spec->maxValue == 1e4);
  const std::string text =
      registryOptions(Registry::builtins(), UnitKind::Detector, DocFormat::Text);
  CHECK_THAT(text, Catch::Contains("\n  min_length_m = 20 (number in [0, 1e4])\n"
                                   "      shortest ship kept, m\n"));
}

TEST_CASE("option docs: one unit by name, and an unknown name is a usage error", "[unit]") {
  const Registry& reg = Registry::builtins();
  const std::string irmad = optionsReference(reg, DocFormat::Text, "irmad");
  CHECK_THAT(irmad, Catch::StartsWith("irmad: "));
  CHECK_THAT(irmad, Catch::Contains("\n  tolerance = 1e-4 (number in [1e-12, 1])\n"));
  CHECK(irmad.find("ships") == std::string::npos);
  CHECK_THROWS_WITH(optionsReference(reg, DocFormat::Text, "ship"),
                    "unknown change method or detector 'ship' (did you mean 'ships'?)");
  CHECK_THROWS_WITH(
      optionsReference(reg, DocFormat::Text, "aircraft"),
      "unknown change method or detector 'aircraft' (registered: cva, irmad, logratio, ships, "
      "tanks, blobs, vehicles)");
  CHECK_THROWS_AS(optionsReference(reg, DocFormat::Text, "aircraft"), cw::UsageError);
}

TEST_CASE("option docs: out-of-range errors print the range as the docs do", "[unit]") {
  Params p({kTolerance, kEps});
  CHECK(setOptionFromText(p, kTolerance, "2").value_or("") == "value 2 is out of range [1e-12, 1]");
  CHECK(setOptionFromText(p, kEps, "-0.5").value_or("") == "value -0.5 is out of range (≥ 0)");
}

TEST_CASE("unknown option: one text for the config and --set, a suggestion or the list", "[unit]") {
  const std::vector<OptionSpec> specs{kZ, kTolerance, kPolarity};
  CHECK(unknownOptionMessage(specs, "tolerence") ==
        "unknown option 'tolerence' (did you mean 'tolerance'?)");
  CHECK(unknownOptionMessage(specs, "threshold") ==
        "unknown option 'threshold' (options: z, tolerance, polarity)");
  CHECK(unknownOptionMessage({}, "x") == "unknown option 'x' (it declares no options)");
  CHECK(findOption(specs, "polarity") == &specs[2]);
  CHECK(findOption(specs, "Polarity") == nullptr);
  CHECK_THROWS_WITH(paramsFromSettings("demo", specs, {"tolerence=1"}),
                    "demo: unknown option 'tolerence' (did you mean 'tolerance'?)");
  CHECK_THROWS_WITH(paramsFromSettings("demo", specs, {"z"}), "--set expects name=value, got 'z'");
  CHECK_THROWS_WITH(paramsFromSettings("demo", specs, {"z=0.5"}),
                    "demo: z: value 0.5 is out of range [1, 1000]");
  const Params p = paramsFromSettings("demo", specs, {"z=7", "polarity=bright"});
  CHECK(p.number("z") == 7.0);
  CHECK(p.number("tolerance") == 1e-4);
  CHECK(p.choice("polarity") == "bright");
}
