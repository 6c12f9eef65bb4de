#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "pipeline/config.hpp"
#include "tests/test_support.hpp"

using namespace cw;
using namespace cw::pipeline;
using cw::test::TempDir;
using cw::test::writeText;

namespace {

const char* kGood = R"YAML(output: out
threads: 2
window: {start: 2025-01-01, end: 2025-12-31}
pairing: {strategy: baseline, max_gap_days: 100}
scenes:
  - folder: scenes
    glob: "*.tif"
    time_pattern: "_(\\d{8})"
sensor:
  profile: generic
  bands: {blue: 1, green: 2, red: 3, nir: 4}
  cloud_band: 5
grid: {pixel_size_m: 3, resampling: cubic}
tiling: {tile_px: 256}
change:
  method: cva
  min_area_m2: 500
aois:
  - id: port_alpha
    name: Port Alpha
    kind: port
    bbox: [29.0, 41.0, 29.05, 41.04]
    water: [[29.0, 41.0], [29.02, 41.0], [29.02, 41.02], [29.0, 41.0]]
  - id: fac-1
    kind: facility
    polygon: [[29.06, 41.00], [29.09, 41.00], [29.09, 41.03], [29.06, 41.03]]
declarations: decl.csv
)YAML";

// Writes `yaml` as x.yaml in a temp dir that has the folders and files kGood refers to.
struct Fixture {
  TempDir dir{"cwconfig"};
  Fixture() {
    std::filesystem::create_directories(dir / "scenes");
    writeText(dir / "decl.csv", "aoi,start,end,metric,value,reference\n");
  }
  std::filesystem::path write(const std::string& yaml) {
    writeText(dir / "x.yaml", yaml);
    return dir / "x.yaml";
  }
  std::string errorOf(const std::string& yaml) {
    try {
      loadConfig(write(yaml));
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(no error)";
  }
};

std::string replaceOnce(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("config: a full config loads into typed structs", "[unit]") {
  Fixture f;
  const Config c = loadConfig(f.write(kGood));
  CHECK(c.output == f.dir.path() / "out");
  CHECK(c.threads == 2);
  CHECK(formatIsoDate(c.windowStart) == "2025-01-01");
  CHECK(formatIsoTime(c.windowEnd) == "2025-12-31T23:59:59Z");
  CHECK(c.pairing.strategy == "baseline");
  CHECK(c.pairing.maxGapDays == 100);
  REQUIRE(c.scenes.size() == 1);
  CHECK(c.scenes[0].kind == SceneSource::Kind::Folder);
  CHECK(c.scenes[0].folder == f.dir.path() / "scenes");
  CHECK(c.sensor.cloudBand == 5);
  CHECK(c.sensor.bands.size() == 4);
  CHECK(c.grid.pixelSizeM == 3.0);
  CHECK(c.grid.resampling == "cubic");
  CHECK(c.tiling.tilePx == 256);
  CHECK(c.tiling.memoryMb == 1024);  // default kept
  CHECK(c.change.method == "cva");
  CHECK(c.change.minAreaM2 == 500.0);
  REQUIRE(c.aois.size() == 2);
  CHECK(c.aois[0].id == "port_alpha");
  CHECK(c.aois[0].polygon.size() == 5);
  CHECK(c.aois[0].water.size() == 4);  // closed automatically
  CHECK(c.aois[1].kind == "facility");
  CHECK(c.aois[1].name == "fac-1");  // name defaults to id
  CHECK(c.aois[1].polygon.front().lon == c.aois[1].polygon.back().lon);
  CHECK(c.declarations == f.dir.path() / "decl.csv");
}

TEST_CASE("config: the resolved config round-trips through toYaml", "[unit]") {
  Fixture f;
  const Config c = loadConfig(f.write(kGood));
  const std::string yaml = toYaml(c);
  writeText(f.dir / "resolved.yaml", yaml);
  const Config c2 = loadConfig(f.dir / "resolved.yaml");
  CHECK(toYaml(c2) == yaml);
  CHECK(c2.aois[0].polygon.size() == c.aois[0].polygon.size());
}

TEST_CASE("config: YAML syntax errors carry file:line:col", "[unit]") {
  Fixture f;
  const auto msg =
      f.errorOf("output: out\nwindow: {start: 2025-01-01, end: 2025-02-01\naois: []\n");
  CHECK_THAT(msg, Catch::Contains("x.yaml:3:"));
  CHECK_THAT(msg, Catch::Contains("YAML syntax error"));
}

TEST_CASE("config: unknown keys are errors with a suggestion", "[unit]") {
  Fixture f;
  const auto msg = f.errorOf(replaceOnce(kGood, "threads: 2", "thraeds: 2"));
  CHECK_THAT(msg, Catch::Contains("x.yaml:2:1: unknown key 'thraeds' (did you mean 'threads'?)"));
  const auto nested = f.errorOf(replaceOnce(kGood, "tile_px: 256", "tilepx: 256"));
  CHECK_THAT(nested, Catch::Contains("tiling: unknown key 'tilepx' (did you mean 'tile_px'?)"));
  const auto far = f.errorOf(replaceOnce(kGood, "tile_px: 256", "size: 256"));
  CHECK_THAT(far,
             Catch::Contains(
                 "unknown key 'size' (known keys: tile_px, memory_mb, max_grid_px, max_tiles)"));
}

TEST_CASE("config: unknown method and detector options get the same text as --set", "[unit]") {
  // imaging::unknownOptionMessage builds it for both; `count --set` prefixes the unit's name
  // (tests/cli/test_options_cli.cpp).
  Fixture f;
  const auto typo = f.errorOf(
      replaceOnce(kGood, "  method: cva\n", "  method: irmad\n  options: {tolerence: 0.001}\n"));
  CHECK_THAT(typo, Catch::Contains(
                       "x.yaml:17:13: change.options: unknown option 'tolerence' (did you mean "
                       "'tolerance'?)"));
  const auto far = f.errorOf(
      replaceOnce(kGood, "    kind: facility\n",
                  "    kind: facility\n    detectors: [{name: tanks, options: {diameter: 30}}]\n"));
  CHECK_THAT(far,
             Catch::Contains("aois[1].detectors[0].options: unknown option 'diameter' (options: "
                             "min_diameter_m, max_diameter_m, circle_quality, edge_threshold, "
                             "shadow_contrast)"));
}

TEST_CASE("config: wrong types and out-of-range values name the key path", "[unit]") {
  Fixture f;
  CHECK_THAT(f.errorOf(replaceOnce(kGood, "threads: 2", "threads: many")),
             Catch::Contains("x.yaml:2:10: threads: expected a number, got 'many'"));
  CHECK_THAT(f.errorOf(replaceOnce(kGood, "tile_px: 256", "tile_px: 3")),
             Catch::Contains("tiling.tile_px: value 3 is out of range [64, 8192]"));
  CHECK_THAT(
      f.errorOf(
          replaceOnce(kGood, "bbox: [29.0, 41.0, 29.05, 41.04]", "bbox: [29.0, 41.0, 29.05]")),
      Catch::Contains(
          "x.yaml:22:11: aois[0].bbox: expected 4 numbers [west, south, east, north], got 3"));
  CHECK_THAT(
      f.errorOf(replaceOnce(kGood, "strategy: baseline", "strategy: nearest")),
      Catch::Contains("pairing.strategy: 'nearest' is not one of: consecutive, baseline, all"));
  CHECK_THAT(f.errorOf(replaceOnce(kGood, "41.0, 29.05, 41.04]", "41.0, 29.05, 95]")),
             Catch::Contains("aois[0].bbox: latitude out of range [-90, 90]"));
}

TEST_CASE("config: every problem is reported together", "[unit]") {
  Fixture f;
  std::string y = replaceOnce(kGood, "threads: 2", "threads: -1");
  y = replaceOnce(y, "tile_px: 256", "tile_px: 1");
  const auto msg = f.errorOf(y);
  CHECK_THAT(msg, Catch::Contains("threads:"));
  CHECK_THAT(msg, Catch::Contains("tiling.tile_px:"));
  CHECK_THAT(msg, Catch::Contains("(2 problems)"));
}

TEST_CASE("config: unsafe AOI ids are rejected", "[unit]") {
  Fixture f;
  for (const std::string bad : {"\"../x\"", "a/b", "CON", "\"\"", "\"a b\""}) {
    INFO(bad);
    CHECK_THAT(f.errorOf(replaceOnce(kGood, "id: port_alpha", "id: " + bad)),
               Catch::Contains("is not a safe id"));
  }
  CHECK(isSafeId("port_alpha-2"));
  CHECK_FALSE(isSafeId(std::string(65, 'a')));
}

TEST_CASE("config: bad dates are rejected with the expected format", "[unit]") {
  Fixture f;
  CHECK_THAT(f.errorOf(replaceOnce(kGood, "start: 2025-01-01", "start: 2025-02-30")),
             Catch::Contains("window.start: expected an ISO 8601 date like 2025-03-01"));
  CHECK_THAT(f.errorOf(replaceOnce(kGood, "end: 2025-12-31", "end: 2024-12-31")),
             Catch::Contains("window.end: the window ends before it starts"));
  CHECK(parseIsoTime("2025-03-01T10:20:30Z") == parseIsoTime("2025-03-01T12:20:30+02:00"));
  CHECK(formatIsoTime(*parseIsoTime("2025-03-01T10:20:30.5Z")) == "2025-03-01T10:20:30Z");
  CHECK_FALSE(parseIsoTime("01/03/2025"));
}

TEST_CASE("config: missing files and folders are named", "[unit]") {
  Fixture f;
  CHECK_THAT(f.errorOf(replaceOnce(kGood, "declarations: decl.csv", "declarations: nope.csv")),
             Catch::Contains("declarations: no such file: "));
  CHECK_THAT(f.errorOf(replaceOnce(kGood, "folder: scenes", "folder: missing")),
             Catch::Contains("scenes[0].folder: no such folder"));
  try {
    loadConfig(f.dir / "absent.yaml");
    FAIL("no error");
  } catch (const UsageError& e) {
    CHECK_THAT(e.what(), Catch::EndsWith("absent.yaml: no such file"));
  }
}

TEST_CASE("config: geometry errors: zero area, self-intersection, inverted bbox", "[unit]") {
  Fixture f;
  CHECK_THAT(f.errorOf(replaceOnce(kGood, "bbox: [29.0, 41.0, 29.05, 41.04]",
                                   "bbox: [29.0, 41.0, 29.0, 41.04]")),
             Catch::Contains("west equals east (zero area)"));
  CHECK_THAT(f.errorOf(replaceOnce(kGood, "bbox: [29.0, 41.0, 29.05, 41.04]",
                                   "bbox: [29.05, 41.0, 29.0, 41.04]")),
             Catch::Contains("inverted bbox"));
  CHECK_THAT(f.errorOf(replaceOnce(
                 kGood, "polygon: [[29.06, 41.00], [29.09, 41.00], [29.09, 41.03], [29.06, 41.03]]",
                 "polygon: [[29.06, 41.00], [29.09, 41.03], [29.09, 41.00], [29.06, 41.03]]")),
             Catch::Contains("aois[1].polygon: the polygon is not valid (self-intersecting"));
  // An antimeridian crossing is fine.
  const Config c = loadConfig(f.write(replaceOnce(kGood, "bbox: [29.0, 41.0, 29.05, 41.04]",
                                                  "bbox: [179.5, -17.0, -179.5, -16.0]")));
  CHECK(c.aois[0].crossesAntimeridian);
  CHECK(c.aois[0].polygon[1].lon == Approx(180.5));
}

TEST_CASE("config: hostile files: alias bombs, deep nesting, non-UTF-8, huge files", "[unit]") {
  Fixture f;
  std::string bomb =
      "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  std::string prev = "a";
  for (int i = 0; i < 12; ++i) {
    const std::string name = "b" + std::to_string(i);
    bomb += name + ": &" + name + " [";
    for (int k = 0; k < 12; ++k) bomb += (k ? ",*" : "*") + prev;
    bomb += "]\n";
    prev = name;
  }
  CHECK_THAT(f.errorOf(bomb), Catch::Contains("YAML aliases; a config may use at most 100"));
  CHECK_THAT(f.errorOf(std::string(10000, '[') + std::string(10000, ']')),
             Catch::Contains("x.yaml:1: nesting deeper than 64 levels"));
  // A comment before it must not hide the nesting (comments end at their newline).
  CHECK_THAT(f.errorOf("# note\n" + std::string(10000, '[') + std::string(10000, ']')),
             Catch::Contains("x.yaml:2: nesting deeper than 64 levels"));
  CHECK_THAT(f.errorOf("output: out\nname: \xff\xfe\n"),
             Catch::Contains("x.yaml:2: not valid UTF-8"));
  CHECK_THAT(f.errorOf(std::string(5 * 1024 * 1024, '#')), Catch::Contains("the limit is 4 MB"));
  CHECK_THAT(f.errorOf(""), Catch::Contains("the config is empty"));
}

TEST_CASE("config: an AOI's shore polygons file is checked at load, named with its place",
          "[unit]") {
  Fixture f;
  const std::string noWater =
      replaceOnce(kGood, "    water: [[29.0, 41.0], [29.02, 41.0], [29.02, 41.02], [29.0, 41.0]]\n",
                  "    shore: {land: coast.geojson, buffer_m: 20}\n");
  // Missing file: named, with the config's line.
  CHECK_THAT(f.errorOf(noWater), Catch::Contains("coast.geojson: no such file") &&
                                     Catch::Contains("x.yaml:") &&
                                     Catch::Contains("aois[0].shore.land"));
  writeText(
      f.dir / "coast.geojson",
      R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{},)"
      R"("geometry":{"type":"Polygon","coordinates":[[[29,41],[29.01,41],[29.01,41.01],[29,41]]]}}]})");
  const Config c = loadConfig(f.write(noWater));
  REQUIRE(c.aois[0].shore);
  CHECK(c.aois[0].shore->polygonsAreLand);
  CHECK(c.aois[0].shore->bufferM == 20.0);
  CHECK(c.aois[0].shore->path == (f.dir / "coast.geojson").string());
  // Round trip through the resolved config.
  writeText(f.dir / "resolved.yaml", toYaml(c));
  CHECK(toYaml(loadConfig(f.dir / "resolved.yaml")) == toYaml(c));
  // At most one water source; exactly one of land and water.
  CHECK_THAT(
      f.errorOf(replaceOnce(noWater, "    shore:", "    water_geojson: coast.geojson\n    shore:")),
      Catch::Contains("at most one of 'water', 'water_geojson' and 'shore'"));
  CHECK_THAT(f.errorOf(replaceOnce(noWater, "land: coast.geojson", "layer: x")),
             Catch::Contains("exactly one of 'land'"));
}
