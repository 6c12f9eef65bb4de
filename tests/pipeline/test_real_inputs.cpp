// Real inputs as they come (issue 17), on ../shared/data: the Sentinel-2 TCI exports of English
// Bay (RGB + alpha) through the committed example config, and the Sentinel-2 L2A port crops as
// one UInt16 GeoTIFF per band in EPSG:3857 with odd geokeys.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/test_support.hpp"

using cw::test::readJson;
using cw::test::runCli;
using cw::test::TempDir;
using cw::test::writeText;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {}  // namespace

TEST_CASE(
    "real inputs: configs/s2_vancouver.yaml (RGB + alpha TCI, ten dates) validates and runs "
    "every job",
    "[real][slow]") {
  if (!cw::test::haveSharedData()) return;
  const fs::path config = fs::path(CW_SOURCE_DIR) / "configs" / "s2_vancouver.yaml";
  const auto v = runCli("validate " + config.string());
  INFO(v.output);
  REQUIRE(v.exitCode == 0);
  CHECK_THAT(v.output, Catch::Contains("10 scene(s) in the window, 9 job(s)"));

  TempDir dir("cwvancouver");
  const auto r = runCli("run " + config.string() + " --out " + (dir / "out").string());
  INFO(r.output);
  REQUIRE(r.exitCode == 0);
  CHECK_THAT(r.output, Catch::Contains("jobs: 9 planned, 9 done, 0 already complete, 0 failed"));
  const json plan = readJson(dir / "out" / "plan.json");
  REQUIRE(plan["aois"].size() == 1);
  int used = 0;
  for (const auto& c : plan["aois"][0]["coverage"]) used += c["used"].get<bool>();
  CHECK(used == 10);
  // The alpha band is a mask, not a role: three bands, and the AOI (inside the imaged half) is
  // fully imaged on every date.
  for (const auto& c : plan["aois"][0]["coverage"]) CHECK(c["imaged"].get<double>() > 0.99);
  for (const auto& s : plan["scenes"]) CHECK(s["bands"] == 4);
  // Verdicts come from observations, not from a failure: the false "idle" declaration is a
  // discrepancy citing ship detections, the other is decided too.
  const json corr = readJson(dir / "out" / "corroboration.json");
  REQUIRE(corr["verdicts"].size() == 2);
  CHECK(corr["verdicts"][0]["verdict"] == "discrepancy");
  CHECK(corr["verdicts"][0]["evidence_ids"].size() > 0);
  CHECK(corr["verdicts"][1]["verdict"] != "unverifiable");
  CHECK(runCli("status " + (dir / "out").string()).exitCode == 0);
}

TEST_CASE(
    "real inputs: Sentinel-2 L2A bands as separate UInt16 files in EPSG:3857 (scenes[].bands)",
    "[real][slow]") {
  if (!cw::test::haveSharedData()) return;
  const fs::path busan = fs::path(CW_SHARED_DATA) / "s2_ports" / "busan";
  TempDir dir("cwbandfiles");
  // The same crop under two dates makes one pair: the job must warp the stacked bands from Web
  // Mercator onto UTM and find no change between identical images.
  std::string scene;
  for (const char* b : {"blue: B02.tif", "green: B03.tif", "red: B04.tif", "nir: B08.tif"}) {
    scene += std::string(scene.empty() ? "" : ", ") + b;
  }
  writeText(dir / "config.yaml",
            "output: out\n"
            "window: {start: 2022-05-01, end: 2022-05-31}\n"
            "scenes:\n"
            "  - {folder: " +
                busan.parent_path().string() + ", glob: busan, bands: {" + scene +
                "}, time: 2022-05-14T02:00:00Z}\n"
                "  - {bands: {blue: " +
                (busan / "B02.tif").string() + ", green: " + (busan / "B03.tif").string() +
                ", red: " + (busan / "B04.tif").string() +
                ", nir: " + (busan / "B08.tif").string() +
                "}, id: busan_again, time: 2022-05-19T02:00:00Z}\n"
                "change: {method: auto}\n"
                "aois:\n"
                "  - id: busan_anchorage\n"
                "    bbox: [129.03, 35.07, 129.09, 35.12]\n");
  const auto plan = runCli("plan " + (dir / "config.yaml").string() + " --json 2>/dev/null");
  INFO(plan.output);
  REQUIRE(plan.exitCode == 0);
  const json p = json::parse(plan.output);
  REQUIRE(p["scenes"].size() == 2);
  for (const auto& s : p["scenes"]) {
    CHECK(s["bands"] == 4);
    CHECK(s["epsg"] == 3857);
    // 10 Web Mercator "metres" at 35.1°N are 8.2 m on the ground.
    CHECK(std::abs(s["pixel_size_m"].get<double>() - 10.004 * std::cos(35.105 * M_PI / 180)) <
          0.05);
  }
  CHECK(p["scenes"][0]["id"] == "busan");
  REQUIRE(p["jobs"].size() == 1);
  const auto run = runCli("run " + (dir / "config.yaml").string() + " --threads 2");
  INFO(run.output);
  REQUIRE(run.exitCode == 0);
  const json job = readJson(dir / "out" / p["jobs"][0]["id"].get<std::string>() / "job.json");
  CHECK(job["status"] == "complete");
}
