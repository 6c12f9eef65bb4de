// The `ais:` section of the run config (docs/ais.md).
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "pipeline/config.hpp"
#include "tests/test_support.hpp"

using namespace cw;
using namespace cw::pipeline;
using Catch::Contains;

namespace {

const char* kBase = R"YAML(output: out
window: {start: 2025-01-01, end: 2025-12-31}
scenes:
  - folder: scenes
aois:
  - id: port_alpha
    bbox: [29.0, 41.0, 29.05, 41.04]
)YAML";

struct Fixture {
  test::TempDir dir{"cwaisconfig"};
  Fixture() {
    fs::create_directories(dir / "scenes");
    fs::create_directories(dir / "feeds");
    test::writeText(dir / "feeds" / "a.csv.gz", "");
    test::writeText(dir / "feeds" / "b.csv", "");
    test::writeText(dir / "feeds" / "notes.txt", "");
  }
  fs::path write(const std::string& ais) {
    test::writeText(dir / "x.yaml", std::string(kBase) + ais);
    return dir / "x.yaml";
  }
  std::string errorOf(const std::string& ais) {
    try {
      loadConfig(write(ais));
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(no error)";
  }
};

}  // namespace

TEST_CASE("ais config: folder + glob, column mapping and options load into typed values",
          "[vessels][unit]") {
  Fixture f;
  const auto c = loadConfig(f.write(R"YAML(ais:
  folder: feeds
  glob: "*.csv*"
  columns: {mmsi: ship_id, time: ts, lat: y, lon: x, sog: speed}
  time_format: epoch
  window_hours: 2
  buffer_m: 2500
  max_bad_share: 0.05
  match: {base_radius_m: 300, length_weight: 0.5, min_detectable_length_m: 25}
)YAML"));
  REQUIRE(c.ais.enabled());
  CHECK(c.ais.folder == f.dir.path() / "feeds");
  const auto files = c.ais.resolveFiles();
  REQUIRE(files.size() == 2);  // notes.txt does not match
  CHECK(files[0].filename() == "a.csv.gz");
  CHECK(files[1].filename() == "b.csv");
  CHECK(c.ais.generic.columns.at("mmsi") == "ship_id");
  CHECK(c.ais.generic.columns.size() == 5);
  CHECK(c.ais.generic.timeFormat == "epoch");
  CHECK(c.ais.windowHours == 2.0);
  CHECK(c.ais.bufferM == 2500.0);
  CHECK(c.ais.maxBadShare == 0.05);
  CHECK(c.ais.maxSpeedKn == 50.0);  // default kept
  CHECK(c.ais.match.baseRadiusM == 300.0);
  CHECK(c.ais.match.lengthWeight == 0.5);
  CHECK(c.ais.match.minDetectableLengthM == 25.0);
  // The resolved config written beside the outputs carries the section.
  const auto yaml = toYaml(c);
  CHECK_THAT(yaml, Contains("ais:"));
  CHECK_THAT(yaml, Contains("window_hours: 2"));
  CHECK_THAT(yaml, Contains("mmsi: ship_id"));
}

TEST_CASE("ais config: no ais section means AIS is off, files are resolved against the config",
          "[vessels][unit]") {
  Fixture f;
  CHECK_FALSE(loadConfig(f.write("")).ais.enabled());
  const auto c = loadConfig(f.write("ais:\n  files: [feeds/b.csv]\n"));
  REQUIRE(c.ais.files.size() == 1);
  CHECK(c.ais.files[0] == f.dir.path() / "feeds" / "b.csv");
  CHECK(c.ais.windowHours == 3.0);
}

TEST_CASE("ais config: bad sections are errors with the key path", "[vessels][unit]") {
  Fixture f;
  CHECK_THAT(
      f.errorOf("ais:\n  files: [feeds/missing.csv]\n"),
      Contains("ais.files[0]: no such file: " + (f.dir.path() / "feeds" / "missing.csv").string()));
  CHECK_THAT(f.errorOf("ais:\n  folder: feeds\n  files: [feeds/b.csv]\n"),
             Contains("ais: give exactly one of 'files' or 'folder' (with 'glob')"));
  CHECK_THAT(
      f.errorOf("ais:\n  folder: feeds\n  glob: '*.zip'\n"),
      Contains("ais.folder: no file matches '*.zip' in " + (f.dir.path() / "feeds").string()));
  CHECK_THAT(f.errorOf("ais:\n  files: [feeds/b.csv]\n  window_hour: 2\n"),
             Contains("ais: unknown key 'window_hour' (did you mean 'window_hours'?)"));
  CHECK_THAT(f.errorOf("ais:\n  files: [feeds/b.csv]\n  columns: {mmsi: a, lat: b, lon: c}\n"),
             Contains("ais.columns: missing required key 'time'"));
  CHECK_THAT(f.errorOf("ais:\n  files: [feeds/b.csv]\n  max_bad_share: 2\n"),
             Contains("ais.max_bad_share: value 2 is out of range [0, 1]"));
  CHECK_THAT(f.errorOf("ais:\n  files: [feeds/b.csv]\n  time_format: unix\n"),
             Contains("ais.time_format: 'unix' is not one of: iso, dmy, epoch"));
}

TEST_CASE("ais config: ais.sts sets the ship-to-ship rules, defaults are the issue's",
          "[vessels][unit]") {
  Fixture f;
  const auto d = loadConfig(f.write("ais:\n  files: [feeds/b.csv]\n")).ais.sts;
  CHECK(d.hullPair.marginM == 20.0);
  CHECK(d.hullPair.maxHeadingDiffDeg == 20.0);
  CHECK(d.hullPair.minLengthM == 60.0);
  CHECK(d.hullPair.minShoreDistanceM == 1000.0);
  CHECK(d.encounter.maxDistanceM == 500.0);
  CHECK(d.encounter.minDurationS == 7200);
  CHECK(d.encounter.maxSpeedKn == 2.0);
  CHECK(d.encounter.minShoreDistanceM == 10000.0);
  const auto c = loadConfig(f.write(R"YAML(ais:
  files: [feeds/b.csv]
  sts:
    hull_pair: {margin_m: 30, max_heading_diff_deg: 15, min_length_m: 80, min_shore_distance_m: 250}
    encounter: {max_distance_m: 300, min_duration_h: 1.5, max_speed_kn: 3, min_shore_distance_m: 250}
)YAML"));
  const auto& s = c.ais.sts;
  CHECK(s.hullPair.marginM == 30.0);
  CHECK(s.hullPair.maxHeadingDiffDeg == 15.0);
  CHECK(s.hullPair.minLengthM == 80.0);
  CHECK(s.hullPair.minShoreDistanceM == 250.0);
  CHECK(s.encounter.maxDistanceM == 300.0);
  CHECK(s.encounter.minDurationS == 5400);
  CHECK(s.encounter.maxSpeedKn == 3.0);
  CHECK(s.encounter.minShoreDistanceM == 250.0);
  // The resolved config carries them, and reads back to the same values.
  const auto yaml = toYaml(c);
  CHECK_THAT(yaml, Contains("min_duration_h: 1.5"));
  test::writeText(f.dir / "resolved.yaml", yaml);
  const auto again = loadConfig(f.dir / "resolved.yaml").ais.sts;
  CHECK(again.encounter.minDurationS == 5400);
  CHECK(again.hullPair.minShoreDistanceM == 250.0);
}

TEST_CASE("ais config: bad ais.sts values are errors with the key path and range",
          "[vessels][unit]") {
  Fixture f;
  const std::string head = "ais:\n  files: [feeds/b.csv]\n  sts:\n";
  CHECK_THAT(f.errorOf(head + "    hull_pair: {margin_m: -5}\n"),
             Contains("ais.sts.hull_pair.margin_m: value -5 is out of range [0, 1000]"));
  CHECK_THAT(f.errorOf(head + "    hull_pair: {max_heading_diff_deg: 95}\n"),
             Contains("ais.sts.hull_pair.max_heading_diff_deg: value 95 is out of range [0, 90]"));
  CHECK_THAT(f.errorOf(head + "    hull_pair: {min_shore_distance_m: far}\n"),
             Contains("ais.sts.hull_pair.min_shore_distance_m: expected a number, got 'far'"));
  CHECK_THAT(f.errorOf(head + "    encounter: {max_distance_m: 0}\n"),
             Contains("ais.sts.encounter.max_distance_m: value 0 is out of range [1, 100000]"));
  CHECK_THAT(
      f.errorOf(head + "    encounter: {min_duration_h: 0.1}\n"),
      Contains("ais.sts.encounter.min_duration_h: value 0.1 is out of range [0.166667, 240]"));
  CHECK_THAT(f.errorOf(head + "    encounter: {max_speed_kn: 0}\n"),
             Contains("ais.sts.encounter.max_speed_kn: value 0 is out of range [0.1, 50]"));
  CHECK_THAT(f.errorOf(head + "    encounter: {min_duration_s: 7200}\n"),
             Contains("ais.sts.encounter: unknown key 'min_duration_s' (did you mean "
                      "'min_duration_h'?)"));
  CHECK_THAT(f.errorOf(head + "    hullpair: {}\n"),
             Contains("ais.sts: unknown key 'hullpair' (did you mean 'hull_pair'?)"));
}
