// Hostile rasters (issue 10, "Rasters"): each unusable scene is a recorded skip naming the file
// and the reason, the good scenes beside it still plan and run; scenes that are usable but odd
// (NaN/Inf pixels, band counts that differ) give a complete job or a job failure naming both
// scenes. Large files come from tests/bad/make_corpus.sh.
#include <catch2/catch.hpp>

#include <limits>

#include "tests/bad/bad_support.hpp"

using namespace cw::test;
using namespace cw::test::bad;
using nlohmann::json;

namespace {

struct PlanResult {
  CommandResult cli;  // `plan CONFIG` (text)
  json plan;          // `plan CONFIG --json`
  std::string reasonOf(const fs::path& file) const {
    for (const auto& s : plan["skipped"]) {
      if (s["path"] == file.string()) return s["reason"];
    }
    return "(not skipped)";
  }
  std::string coverageReason(const std::string& aoi, const std::string& scene) const {
    for (const auto& a : plan["aois"]) {
      if (a["id"] != aoi) continue;
      for (const auto& c : a["coverage"]) {
        if (c["scene"] == scene) return c.value("reason", "(used)");
      }
    }
    return "(no coverage entry)";
  }
};

PlanResult planOf(const SmallRun& r) {
  PlanResult p;
  p.cli = runCli("plan " + q(r.config));
  INFO(p.cli.output);
  REQUIRE(p.cli.exitCode == 0);
  const auto j = runCli("plan " + q(r.config) + " --json 2>/dev/null");
  REQUIRE(j.exitCode == 0);
  p.plan = json::parse(j.output.substr(j.output.find('{')));
  return p;
}

// The bad file is named, with its reason, in the text output and plan.json; the three good scenes
// still give their four jobs.
void requireSkipped(const SmallRun& r, const fs::path& file, const std::string& reasonPart) {
  const PlanResult p = planOf(r);
  INFO(p.cli.output);
  CHECK_THAT(p.reasonOf(file), Catch::Contains(reasonPart));
  CHECK_THAT(p.cli.output, Catch::Contains("skipped " + file.string() + ": "));
  CHECK(p.plan["scenes"].size() == 3);
  CHECK(p.plan["jobs"].size() == 4);
}

fs::path corpus(const TempDir& dir) {
  const auto r = run("sh " + q(fs::path(CW_SOURCE_DIR) / "tests/bad/make_corpus.sh") + " " +
                     q(dir / "corpus"));
  INFO(r.output);
  REQUIRE(r.exitCode == 0);
  return dir / "corpus";
}

}  // namespace

TEST_CASE("bad rasters: a truncated GeoTIFF is skipped naming band and pixel", "[integration]") {
  SmallRun r("cwbad-trunc");
  // The header and the first strips survive; the pixels of the last rows are gone.
  const std::string whole = readText(r.scenes / "scene_20250301.tif");
  const fs::path cut = r.scenes / "scene_20250601.tif";
  writeText(cut, whole.substr(0, whole.size() / 2));
  requireSkipped(r, cut, "cannot be read (band 1, pixel 255,255): ");
  CHECK_THAT(planOf(r).reasonOf(cut), Catch::EndsWith("; the file is truncated or corrupt"));
  // Cut inside the header: GDAL's own message.
  writeText(cut, whole.substr(0, 100));
  CHECK_FALSE(planOf(r).reasonOf(cut).empty());
  CHECK(planOf(r).reasonOf(cut) != "(not skipped)");
}

TEST_CASE("bad rasters: a zero-byte .tif is skipped as an empty file", "[integration]") {
  SmallRun r("cwbad-zero");
  writeText(r.scenes / "scene_20250601.tif", "");
  requireSkipped(r, r.scenes / "scene_20250601.tif", "empty file (0 bytes)");
}

TEST_CASE("bad rasters: a header claiming 10^6 x 10^6 pixels is refused before any read",
          "[integration]") {
  SmallRun r("cwbad-huge");
  const fs::path c = corpus(r.dir);
  fs::copy_file(c / "huge_header.tif", r.scenes / "scene_20250601.tif");
  const auto t0 = Clock::now();
  requireSkipped(r, r.scenes / "scene_20250601.tif",
                 "its header claims 1000000×1000000 pixels, more than the 10000000000 a scene may "
                 "have (corrupt or hostile header)");
  CHECK(since(t0) < 60);
}

TEST_CASE("bad rasters: a text file named .tif is skipped with GDAL's message", "[integration]") {
  SmallRun r("cwbad-text");
  writeText(r.scenes / "scene_20250601.tif", "id,lon,lat\n1,29.0,41.0\n");
  requireSkipped(r, r.scenes / "scene_20250601.tif", "not a raster GDAL can read (");
}

TEST_CASE("bad rasters: a scene without a CRS is skipped", "[integration]") {
  SmallRun r("cwbad-nocrs");
  SceneSpec s;
  s.georeferenced = false;
  writeScene(r.scenes / "scene_20250601.tif", s);
  requireSkipped(r, r.scenes / "scene_20250601.tif", "has no CRS (the scene is not georeferenced)");
  // The corpus' bare TIFF (no GeoTIFF tags, no metadata) says the same.
  const fs::path c = corpus(r.dir);
  fs::remove(r.scenes / "scene_20250601.tif");
  fs::copy_file(c / "ungeoreferenced.tif", r.scenes / "bare.tif");
  requireSkipped(r, r.scenes / "bare.tif", "has no CRS");
}

TEST_CASE("bad rasters: a scene in a CRS far from the AOI is left out of its jobs",
          "[integration]") {
  SmallRun r("cwbad-far");
  // Same numbers, UTM zone 1N: the scene lies near 177° W, the AOIs near 27° E.
  SceneSpec s;
  s.epsg = 32601;
  s.iso = "2025-06-01T10:00:00";
  writeScene(r.scenes / "scene_20250601.tif", s);
  // Coordinates no projection can map: its extent cannot reach WGS84.
  SceneSpec wild;
  wild.x0 = 1e12;
  wild.y0 = 1e12;
  writeScene(r.scenes / "scene_20250701.tif", wild);
  const PlanResult p = planOf(r);
  INFO(p.cli.output);
  CHECK(p.coverageReason("site", "scene_20250601") == "does not overlap the AOI");
  CHECK(p.coverageReason("yard", "scene_20250601") == "does not overlap the AOI");
  CHECK_THAT(
      p.reasonOf(r.scenes / "scene_20250701.tif"),
      Catch::Contains("cannot be transformed to WGS84") || Catch::Contains("does not overlap"));
  CHECK(p.plan["jobs"].size() == 4);
  // Alone, it leaves the AOI with nothing to run, and says so.
  SmallRun only("cwbad-far2", 0);
  writeScene(only.scenes / "scene_20250301.tif", s);
  s.iso = "2025-07-01T10:00:00";
  writeScene(only.scenes / "scene_20250701.tif", s);
  const auto plan = runCli("plan " + q(only.config));
  CHECK(plan.exitCode == 0);
  CHECK_THAT(plan.output, Catch::Contains("cannot run: no scene overlaps the AOI"));
}

TEST_CASE("bad rasters: a 1 x 1 raster is skipped as too small", "[integration]") {
  SmallRun r("cwbad-tiny");
  SceneSpec s;
  s.width = s.height = 1;
  writeScene(r.scenes / "scene_20250601.tif", s);
  requireSkipped(r, r.scenes / "scene_20250601.tif", "is 1×1 pixels, too small to use");
}

TEST_CASE("bad rasters: a scene dated in the future is skipped, even inside the window",
          "[integration]") {
  SmallRun r("cwbad-future", 3, "");
  writeText(r.config,
            configYaml().replace(configYaml().find("end: 2025-12-31"), 15, "end: 2199-12-31"));
  SceneSpec s;
  s.iso = "2099-06-01T10:00:00";
  writeScene(r.scenes / "scene_20990601.tif", s);
  requireSkipped(
      r, r.scenes / "scene_20990601.tif",
      "acquired 2099-06-01T10:00:00Z (metadata), which is in the future; its date is wrong");
}

TEST_CASE("bad rasters: an all-nodata scene is recorded as imaging none of the AOI",
          "[integration]") {
  SmallRun r("cwbad-nodata");
  SceneSpec s;
  s.iso = "2025-06-01T10:00:00";
  s.value = [](int, int, int) { return std::optional<double>(0.0); };
  writeScene(r.scenes / "scene_20250601.tif", s);
  const PlanResult p = planOf(r);
  INFO(p.cli.output);
  CHECK(p.coverageReason("site", "scene_20250601") == "images none of the AOI (all nodata there)");
  CHECK(p.coverageReason("yard", "scene_20250601") == "images none of the AOI (all nodata there)");
  CHECK(p.plan["jobs"].size() == 4);  // the three good dates only
  CHECK_THAT(p.cli.output, Catch::Contains("(images none of the AOI (all nodata there))"));
}

TEST_CASE("bad rasters: NaN and Inf pixels are no data, and the job completes with finite outputs",
          "[integration]") {
  SmallRun r("cwbad-nan", 0, "", false);
  SceneSpec before;
  before.type = GDT_Float32;
  before.nodata = std::nullopt;
  writeScene(r.scenes / "scene_20250301.tif", before);
  SceneSpec after = before;
  after.seed = 2;
  after.iso = "2025-04-01T10:00:00";
  after.changeSquare = true;
  const double inf = std::numeric_limits<double>::infinity();
  after.value = [inf](int b, int x, int y) -> std::optional<double> {
    if (x >= 70 && x < 90 && y >= 70 && y < 90) return std::numeric_limits<double>::quiet_NaN();
    if (x >= 150 && x < 170 && y >= 70 && y < 90) return b % 2 ? inf : -inf;
    return std::nullopt;
  };
  writeScene(r.scenes / "scene_20250401.tif", after);
  const auto res = runCli("run " + q(r.config) + " --out " + q(r.out));
  INFO(res.output);
  REQUIRE(res.exitCode == 0);
  const fs::path job = r.out / "site" / "scene_20250301_scene_20250401";
  REQUIRE(fs::exists(job / "job.json"));
  CHECK(checkCompleteJobsIntact(r.out) > 5);
  // Every JSON output parses (a NaN would have made invalid JSON or a null).
  for (const char* f : {"job.json", "counts.json", "evidence.geojson", "item.json"}) {
    INFO(f);
    const std::string text = readText(job / f);
    CHECK(json::accept(text));
    CHECK(text.find("NaN") == std::string::npos);
    CHECK(text.find("Infinity") == std::string::npos);
  }
  // The after date images less of the AOI: the 2 × 400 bad pixels are not valid.
  const json counts = readJson(job / "counts.json");
  REQUIRE(counts["footprints"].size() == 2);
  CHECK(counts["footprints"][0]["valid_fraction"].get<double>() > 0.99);
  CHECK(counts["footprints"][1]["valid_fraction"].get<double>() < 0.99);
  CHECK(counts["footprints"][1]["valid_fraction"].get<double>() > 0.9);
  // The score raster holds only finite values or its nodata.
  GDALAllRegister();
  GDALDataset* ds = GDALDataset::Open((job / "score.tif").c_str(), GDAL_OF_RASTER);
  REQUIRE(ds != nullptr);
  double mn = 0, mx = 0, mean = 0, sd = 0;
  REQUIRE(ds->GetRasterBand(1)->ComputeStatistics(FALSE, &mn, &mx, &mean, &sd, nullptr, nullptr) ==
          CE_None);
  CHECK(std::isfinite(mn));
  CHECK(std::isfinite(mx));
  GDALClose(ds);
  // The change square is found; nothing is reported in the NaN or Inf blocks.
  const json ev = readJson(job / "evidence.geojson");
  int changes = 0;
  for (const auto& f : ev["features"]) {
    if (f["properties"].value("feature_type", "") == "change") ++changes;
  }
  CHECK(changes >= 1);
}

TEST_CASE(
    "bad rasters: different band counts between dates use the shared bands or fail naming both",
    "[integration]") {
  SmallRun r("cwbad-bands", 0, "", false);
  SceneSpec four;
  writeScene(r.scenes / "scene_20250301.tif", four);
  SceneSpec three;
  three.bands = 3;
  three.iso = "2025-04-01T10:00:00";
  three.seed = 2;
  three.changeSquare = true;
  writeScene(r.scenes / "scene_20250401.tif", three);
  // Generic profile: 4 bands are blue, green, red, nir; 3 bands are red, green, blue. The job
  // runs on the three shared roles.
  auto res = runCli("run " + q(r.config) + " --out " + q(r.out));
  INFO(res.output);
  CHECK(res.exitCode == 0);
  CHECK(fs::exists(r.out / "site" / "scene_20250301_scene_20250401" / "job.json"));

  // Explicit band numbers the 3-band scene does not have: a recorded skip naming the band.
  writeText(r.config, configYaml("", false).replace(
                          configYaml("", false).find("{profile: generic}"), 18,
                          "{profile: generic, bands: {blue: 1, green: 2, red: 3, nir: 4}}"));
  const PlanResult p = planOf(r);
  CHECK(p.reasonOf(r.scenes / "scene_20250401.tif") ==
        "has 3 band(s) but its nir band is band 4 (sensor.bands.nir)");
  // `run` refuses before any job, naming the scene and the band (issue 17).
  res = runCli("run " + q(r.config) + " --out " + q(r.out / "bands"));
  INFO(res.output);
  CHECK(res.exitCode == 2);
  CHECK_THAT(res.output,
             Catch::Contains("scene " + (r.scenes / "scene_20250401.tif").string() +
                             ": has 3 band(s) but its nir band is band 4 (sensor.bands.nir)"));
  CHECK_FALSE(fs::exists(r.out / "bands" / "site"));

  // A one-band scene of the generic profile has no band role: reported once, at plan time,
  // naming the scene; `run` refuses with exit 2 before any job.
  writeText(r.config, configYaml("", false));
  fs::remove(r.scenes / "scene_20250401.tif");
  SceneSpec one;
  one.bands = 1;
  one.iso = "2025-05-01T10:00:00";
  one.seed = 3;
  writeScene(r.scenes / "scene_20250501.tif", one);
  res = runCli("run " + q(r.config) + " --out " + q(r.out / "one"));
  INFO(res.output);
  CHECK(res.exitCode == 2);
  CHECK_THAT(res.output, Catch::Contains("scene " + (r.scenes / "scene_20250501.tif").string() +
                                         ": has 1 band(s) and no band role could be resolved"));
  CHECK_FALSE(fs::exists(r.out / "one" / "site" / "scene_20250301_scene_20250501"));
}
