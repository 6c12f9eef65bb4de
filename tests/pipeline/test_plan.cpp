// Catalog and plan on simulator scenes, bad scenes, STAC, and the real Landsat pair.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include <ogr_spatialref.h>

#include "core/error.hpp"
#include "pipeline/catalog.hpp"
#include "pipeline/plan.hpp"
#include "tests/test_support.hpp"

using namespace cw::pipeline;
using cw::test::runCli;
using cw::test::TempDir;
using cw::test::writeText;
namespace fs = std::filesystem;

namespace {

// Small simulated scenes shared by the tests here.
const fs::path& simDir() {
  const fs::path& dir = cw::test::smallSimulation();
  REQUIRE(!dir.empty());
  return dir;
}

}  // namespace

TEST_CASE("plan: simulator scenes give one job per AOI and consecutive pair", "[integration]") {
  const Config c = loadConfig(simDir() / "config.yaml");
  const Plan p = makePlan(c);
  REQUIRE(p.catalog.scenes.size() == 3);
  CHECK(p.catalog.skipped.empty());
  CHECK(p.catalog.scenes[0].timeSource == "metadata");
  REQUIRE(p.aois.size() == 2);
  for (const auto& a : p.aois) {
    INFO(a.aoiId << " " << a.error);
    CHECK(a.error.empty());
    CHECK(a.grid.epsg() == 32635);
    CHECK(a.pixelSizeM == 3.0);
    CHECK(a.tileCount >= 1);
    for (const auto& cov : a.coverage) CHECK(cov.imaged > 0.5);
  }
  REQUIRE(p.jobs.size() == 4);
  // Stable, sorted ids: AOI, then before time.
  CHECK(p.jobs[0].id == "facility_beta/" + p.catalog.scenes[0].id + "_" + p.catalog.scenes[1].id);
  CHECK(p.jobs[3].id == "port_alpha/" + p.catalog.scenes[1].id + "_" + p.catalog.scenes[2].id);
  for (size_t i = 0; i < p.jobs.size(); ++i) CHECK(p.jobs[i].index == static_cast<int>(i));
}

TEST_CASE("plan: --json parses and lists the jobs with grids", "[integration]") {
  auto r = runCli("plan " + (simDir() / "config.yaml").string() + " --json");
  REQUIRE(r.exitCode == 0);
  const auto j = nlohmann::json::parse(r.output);
  CHECK(j["jobs"].size() == 4);
  CHECK(j["aois"][0]["grid"]["epsg"] == 32635);
  CHECK(j["aois"][0]["coverage"].size() == 3);
}

TEST_CASE("plan: baseline pairing pairs the first date with each later one", "[integration]") {
  Config c = loadConfig(simDir() / "config.yaml");
  c.pairing.strategy = "baseline";
  const Plan p = makePlan(c);
  REQUIRE(p.jobs.size() == 4);
  for (const auto& j : p.jobs) CHECK(j.beforeId == p.catalog.scenes[0].id);
  c.pairing.strategy = "all";
  CHECK(makePlan(c).jobs.size() == 6);
}

TEST_CASE(
    "plan: corrupt, empty and non-raster scenes are skipped with the reason, the rest is planned",
    "[integration]") {
  TempDir d("cwbad");
  fs::copy(simDir() / "scenes", d / "scenes");
  fs::copy(simDir() / "config.yaml", d / "config.yaml");
  fs::copy(simDir() / "declarations.csv", d / "declarations.csv");
  // Truncated GeoTIFF: the first 4 KiB of a real scene.
  {
    std::ifstream in(simDir() / "scenes" / "scene_20250301.tif", std::ios::binary);
    std::string head(4096, '\0');
    in.read(head.data(), head.size());
    writeText(d / "scenes" / "scene_20250315.tif", head);
  }
  writeText(d / "scenes" / "scene_20250316.tif", "");
  writeText(d / "scenes" / "scene_20250317.tif", "this is not a raster\n");
  const Config c = loadConfig(d / "config.yaml");
  const Plan p = makePlan(c);
  CHECK(p.catalog.scenes.size() == 3);
  REQUIRE(p.catalog.skipped.size() == 3);
  std::map<std::string, std::string> why;
  for (const auto& s : p.catalog.skipped) why[fs::path(s.path).filename().string()] = s.reason;
  CHECK_THAT(why["scene_20250316.tif"], Catch::Contains("empty file (0 bytes)"));
  CHECK_THAT(why["scene_20250317.tif"],
             Catch::Contains("not recognized as a supported file format"));
  CHECK_FALSE(why["scene_20250315.tif"].empty());
  CHECK(p.jobs.size() == 4);
  auto r = runCli("plan " + (d / "config.yaml").string());
  CHECK(r.exitCode == 0);
  CHECK_THAT(r.output, Catch::Contains("skipped " + (d / "scenes" / "scene_20250316.tif").string() +
                                       ": empty file (0 bytes)"));
}

TEST_CASE("plan: a STAC ItemCollection of the same scenes gives the same plan", "[integration]") {
  TempDir d("cwstac");
  fs::copy(simDir() / "scenes", d / "scenes");
  nlohmann::json fc{{"type", "FeatureCollection"}, {"features", nlohmann::json::array()}};
  const char* dates[] = {"2025-03-01T10:30:00Z", "2025-04-01T10:30:00Z", "2025-05-01T10:30:00Z"};
  const char* names[] = {"scene_20250301", "scene_20250401", "scene_20250501"};
  for (int i = 0; i < 3; ++i) {
    fc["features"].push_back({{"type", "Feature"},
                              {"stac_version", "1.0.0"},
                              {"id", names[i]},
                              {"properties", {{"datetime", dates[i]}}},
                              {"assets",
                               {{"data",
                                 {{"href", std::string("scenes/") + names[i] + ".tif"},
                                  {"type", "image/tiff; application=geotiff"},
                                  {"eo:bands",
                                   {{{"common_name", "blue"}},
                                    {{"common_name", "green"}},
                                    {{"common_name", "red"}},
                                    {{"common_name", "nir"}},
                                    {{"name", "cloud"}}}}}}}}});
  }
  writeText(d / "items.json", fc.dump());
  std::string yaml = cw::test::readText(simDir() / "config.yaml");
  const auto pos = yaml.find("  - folder: scenes");
  REQUIRE(pos != std::string::npos);
  const auto end = yaml.find("sensor:");
  yaml = yaml.substr(0, pos) + "  - stac: items.json\n" + yaml.substr(end);
  fs::copy(simDir() / "declarations.csv", d / "declarations.csv");
  writeText(d / "config.yaml", yaml);
  const Plan stac = makePlan(loadConfig(d / "config.yaml"));
  const Plan folder = makePlan(loadConfig(simDir() / "config.yaml"));
  REQUIRE(stac.jobs.size() == folder.jobs.size());
  for (size_t i = 0; i < stac.jobs.size(); ++i) CHECK(stac.jobs[i].id == folder.jobs[i].id);
  for (size_t i = 0; i < stac.aois.size(); ++i) {
    CHECK(stac.aois[i].grid.sameGrid(folder.aois[i].grid));
  }
  CHECK(stac.catalog.scenes[0].timeSource == "stac");
}

TEST_CASE("plan: a STAC asset escaping its folder is skipped", "[unit]") {
  TempDir d("cwstac2");
  writeText(d / "items.json",
            R"({"type":"FeatureCollection","features":[{"type":"Feature","id":"x1",
               "properties":{"datetime":"2025-03-01T00:00:00Z"},
               "assets":{"data":{"href":"../../etc/passwd","type":"image/tiff"}}}]})");
  writeText(d / "c.yaml",
            "window: {start: 2025-01-01, end: 2025-12-31}\nscenes: [{stac: items.json}]\n"
            "aois: [{id: a, bbox: [0, 0, 1, 1]}]\n");
  const Catalog cat = buildCatalog(loadConfig(d / "c.yaml"));
  REQUIRE(cat.skipped.size() == 1);
  CHECK_THAT(cat.skipped[0].reason, Catch::Contains("escapes the folder of its ItemCollection"));
}

TEST_CASE("plan: no scene in the window and no overlap are reported per AOI", "[integration]") {
  TempDir d("cwnone");
  fs::copy(simDir() / "scenes", d / "scenes");
  writeText(d / "c.yaml",
            "window: {start: 2020-01-01, end: 2020-12-31}\n"
            "scenes: [{folder: scenes}]\naois: [{id: a, bbox: [29.0, 41.0, 29.01, 41.01]}]\n");
  Plan p = makePlan(loadConfig(d / "c.yaml"));
  CHECK(p.catalog.scenes.empty());
  CHECK_THAT(p.aois[0].error, Catch::Contains("no usable scene in the time window"));
  CHECK_THAT(p.catalog.skipped[0].reason, Catch::Contains("outside the window"));
  writeText(d / "c2.yaml",
            "window: {start: 2025-01-01, end: 2025-12-31}\n"
            "scenes: [{folder: scenes}]\naois: [{id: a, bbox: [10.0, 50.0, 10.1, 50.1]}]\n");
  p = makePlan(loadConfig(d / "c2.yaml"));
  CHECK(p.jobs.empty());
  CHECK_THAT(p.aois[0].error, Catch::Contains("no scene overlaps the AOI"));
}

TEST_CASE("plan: a grid above max_grid_px is refused saying what to change", "[integration]") {
  Config c = loadConfig(simDir() / "config.yaml");
  c.tiling.maxGridPx = 1000;
  const Plan p = makePlan(c);
  CHECK(p.jobs.empty());
  CHECK_THAT(p.aois[0].error,
             Catch::Contains("above tiling.max_grid_px (1000); raise tiling.max_grid_px "
                             "or use a coarser grid.pixel_size_m"));
}

TEST_CASE("plan: the real Landsat Taizhou pair (ENVI, UTM 51N) lands on one grid [real]",
          "[real]") {
  const fs::path dir = fs::path(CW_SHARED_DATA) / "landsat" / "Taizhou";
  if (!fs::exists(dir)) {
    WARN("skipped: ../shared/data is absent");
    return;
  }
  TempDir d("cwtaizhou");
  // ENVI file names carry only the year; time_pattern takes it (a year means 1 January).
  writeText(d / "c.yaml",
            "window: {start: 1999-01-01, end: 2004-12-31}\n"
            "scenes: [{files: [" +
                (dir / "2000TM").string() + ", " + (dir / "2003TM").string() +
                "], time_pattern: \"(\\\\d{4})TM\"}]\n"
                "sensor: {profile: landsat}\n"
                "grid: {epsg: 32651}\n"
                "aois: [{id: taizhou, bbox: [119.86, 32.45, 119.95, 32.53]}]\n");
  const Config c = loadConfig(d / "c.yaml");
  const Plan p = makePlan(c);
  for (const auto& s : p.catalog.skipped) INFO(s.path << ": " << s.reason);
  REQUIRE(p.catalog.scenes.size() == 2);
  // The ENVI header's WKT names UTM zone 51N without an EPSG code.
  OGRSpatialReference srs;
  srs.importFromWkt(p.catalog.scenes[0].grid.wkt.c_str());
  int north = 0;
  CHECK(srs.GetUTMZone(&north) == 51);
  CHECK(north == 1);
  CHECK(p.catalog.scenes[0].bandCount == 6);
  CHECK(p.catalog.scenes[0].pixelSizeM == Approx(30.0));
  CHECK(p.catalog.scenes[0].bands.at("nir") == 4);
  REQUIRE(p.aois[0].error.empty());
  CHECK(p.aois[0].grid.epsg() == 32651);
  CHECK(p.aois[0].pixelSizeM == Approx(30.0));
  REQUIRE(p.jobs.size() == 1);
  for (const auto& cov : p.aois[0].coverage) CHECK(cov.imaged > 0.99);
}
