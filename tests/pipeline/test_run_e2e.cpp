// End to end on simulator scenes: simulate -> run -> verdicts, verify, determinism, resume.
#include <catch2/catch.hpp>

#include <gdal_priv.h>
#include <opencv2/core.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/test_support.hpp"

using cw::test::readJson;
using cw::test::readText;
using cw::test::runCli;
using cw::test::TempDir;
namespace fs = std::filesystem;

namespace {

// The "files" hashes of every job.json under OUT, keyed by job folder.
std::map<std::string, nlohmann::json> jobFileHashes(const fs::path& out) {
  std::map<std::string, nlohmann::json> m;
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    if (e.path().filename() != "job.json") continue;
    m[fs::relative(e.path().parent_path(), out).string()] = readJson(e.path())["files"];
  }
  return m;
}

// One simulated run shared by the tests of this file and of test_signed_run.cpp (simulating and
// running takes a while): a shared fixture, read-only; tests that change outputs copy them.
const cw::test::SimulatedRun& simRun() {
  static const auto run =
      cw::test::simulatedRun("e2e-seed3-1024", "--seed 3 --size 1024 --dates 2");
  return run;
}

}  // namespace

TEST_CASE("e2e: a simulator run completes every job and merges", "[integration][slow]") {
  auto& r = simRun();
  INFO(r.log);
  REQUIRE(r.exitCode == 0);
  for (const char* f : {"manifest.json", "catalog.json", "report.html", "corroboration.json",
                        "corroboration.csv", "plan.json"}) {
    CHECK(fs::exists(r.out / f));
  }
  const auto plan = readJson(r.out / "plan.json");
  REQUIRE(plan["jobs"].size() == 2);  // 2 AOIs x 1 pair
  for (const auto& j : plan["jobs"]) {
    const fs::path jd = r.out / j["id"].get<std::string>();
    for (const char* f :
         {"score.tif", "mask.tif", "changes.geojson", "evidence.geojson", "detections.geojson",
          "counts.json", "product.h5", "item.json", "job.json"}) {
      INFO(jd / f);
      CHECK(fs::exists(jd / f));
    }
  }
  const auto status = runCli("status " + r.out.string());
  CHECK(status.exitCode == 0);
  CHECK_THAT(status.output, Catch::Contains("totals: 2 complete, 0 failed, 0 missing"));
}

TEST_CASE("e2e: the false declaration is a discrepancy citing ship detections",
          "[integration][slow]") {
  auto& r = simRun();
  REQUIRE(r.exitCode == 0);
  const auto c = readJson(r.out / "corroboration.json");
  std::map<std::string, nlohmann::json> byRef;
  for (const auto& v : c["verdicts"]) byRef[v["reference"].get<std::string>()] = v;
  REQUIRE(byRef.count("SIM-FALSE-IDLE"));
  const auto& idle = byRef["SIM-FALSE-IDLE"];
  INFO(idle.dump());
  CHECK(idle["verdict"] == "discrepancy");
  REQUIRE(!idle["evidence_ids"].empty());
  CHECK_THAT(idle["evidence_ids"][0].get<std::string>(), Catch::Contains("ship"));
  CHECK(byRef["SIM-NOSCENES"]["verdict"] == "unverifiable");
  CHECK(byRef["SIM-TRUE-CONSTR"]["verdict"] == "consistent");
  CHECK_THAT(readText(r.out / "report.html"), Catch::Contains("discrepancy"));
}

TEST_CASE("e2e: verify passes untouched and names a tampered or deleted file",
          "[integration][slow]") {
  auto& r = simRun();
  REQUIRE(r.exitCode == 0);
  TempDir copy("cwverify");
  fs::copy(r.out, copy.path() / "out", fs::copy_options::recursive);
  const fs::path out = copy.path() / "out";
  auto ok = runCli("verify " + out.string());
  INFO(ok.output);
  CHECK(ok.exitCode == 0);

  const auto plan = readJson(out / "plan.json");
  const fs::path jd = out / plan["jobs"][0]["id"].get<std::string>();
  {
    const auto mid = static_cast<std::streamoff>(fs::file_size(jd / "mask.tif") / 2);
    std::fstream f(jd / "mask.tif", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(mid);
    char ch = 0;
    f.read(&ch, 1);
    ch = static_cast<char>(ch ^ 0xFF);
    f.seekp(mid);
    f.write(&ch, 1);
    REQUIRE(f.good());
  }
  auto bad = runCli("verify " + out.string());
  CHECK(bad.exitCode == 1);
  CHECK_THAT(bad.output, Catch::Contains("mask.tif"));

  fs::path chip;
  for (const auto& e : fs::directory_iterator(jd / "chips")) chip = e.path();
  REQUIRE(!chip.empty());
  fs::remove(chip);
  auto missing = runCli("verify " + out.string());
  CHECK(missing.exitCode == 1);
  CHECK_THAT(missing.output, Catch::Contains(chip.filename().string()));
}

TEST_CASE("e2e: a rerun skips complete jobs and a second run gives identical evidence",
          "[integration][slow]") {
  auto& r = simRun();
  REQUIRE(r.exitCode == 0);
  const auto before = jobFileHashes(r.out);
  // The rerun goes into a copy: the shared run stays untouched for the other test processes.
  TempDir copy("cwrerun");
  fs::copy(r.out, copy / "out", fs::copy_options::recursive);
  auto again =
      runCli("run " + (r.dir / "config.yaml").string() + " --out " + (copy / "out").string());
  CHECK(again.exitCode == 0);
  CHECK_THAT(again.output, Catch::Contains("0 done, 2 already complete"));

  // A fresh run into another folder with one thread: byte-identical evidence.
  auto other = runCli("run " + (r.dir / "config.yaml").string() + " --threads 1 --out " +
                      (copy / "out1").string());
  REQUIRE(other.exitCode == 0);
  CHECK(jobFileHashes(copy / "out1") == before);
}

// Regression: `run` once read the warped scenes through VRTs whose alpha band GDAL does not
// report as a mask (a 5-band dataset), so the nodata corner of a date was scored as pixels of
// value 0 and came out as one large change polygon. The simulator's date 1 has a nodata corner
// (truth: nodata_fraction 0.039) and clouds.
TEST_CASE("e2e: pixels a date did not image are no decision in mask.tif, never change",
          "[integration][slow]") {
  auto& r = simRun();
  REQUIRE(r.exitCode == 0);
  GDALAllRegister();
  auto readByte = [](const fs::path& path, int band) {
    std::unique_ptr<GDALDataset> ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER));
    REQUIRE(ds);
    const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize();
    std::vector<GByte> v(static_cast<std::size_t>(w) * h);
    REQUIRE(ds->GetRasterBand(band)->RasterIO(GF_Read, 0, 0, w, h, v.data(), w, h, GDT_Byte, 0, 0,
                                              nullptr) == CE_None);
    return v;
  };
  long long notImaged = 0, changed = 0;
  for (const auto& e : fs::recursive_directory_iterator(r.out)) {
    if (e.path().filename() != "job.json") continue;
    const fs::path job = e.path().parent_path();
    INFO(job.string());
    // The alpha bands of the lazily warped VRTs: GDAL's own record of what each date imaged.
    const auto layers = readJson(job / ".work" / "layers.json");
    const int alphaBand = layers["alpha_band"].get<int>();
    const auto before = readByte(job / ".work" / layers["before"].get<std::string>(), alphaBand);
    const auto after = readByte(job / ".work" / layers["after"].get<std::string>(), alphaBand);
    const auto mask = readByte(job / "mask.tif", 1);
    REQUIRE(mask.size() == before.size());
    long long wrong = 0;
    for (std::size_t i = 0; i < mask.size(); ++i) {
      if (mask[i] == 1) ++changed;
      if (before[i] == 0 || after[i] == 0) {
        ++notImaged;
        if (mask[i] != 255) ++wrong;
      }
    }
    CHECK(wrong == 0);
  }
  CHECK(notImaged > 1000);  // the corner is in an AOI, so the check above bites
  CHECK(changed > 0);       // and the masks are not all "no decision"
}

namespace {
// A PNG's bands as one RGB byte image (GDAL's PNG driver).
cv::Mat readRgbPng(const fs::path& p) {
  GDALDatasetUniquePtr ds(GDALDataset::Open(p.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  REQUIRE(ds);
  REQUIRE(ds->GetRasterCount() == 3);
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize();
  cv::Mat m(h, w, CV_8UC3);
  REQUIRE(ds->RasterIO(GF_Read, 0, 0, w, h, m.data, w, h, GDT_Byte, 3, nullptr, 3, 3 * w, 1,
                       nullptr) == CE_None);
  return m;
}
}  // namespace

// Issue 17: unchanged ground must look the same in both chips. The simulator gives every date its
// own per-band gain and offset; the chips put the after date on the before date's radiometry and
// share one stretch. Threshold: mean |before - after| <= 8 of 255 over the pixels the mask chip
// shows as no change (dark grey 60,60,60), above the 46-px caption strip, per job.
TEST_CASE("e2e: chips show unchanged ground alike on both dates (mean difference <= 8 levels)",
          "[integration][slow]") {
  auto& r = simRun();
  REQUIRE(r.exitCode == 0);
  constexpr int kCaptionPx = 3 * 14 + 4;  // evidence/chips.cpp: three caption lines and a margin
  int jobsChecked = 0;
  for (const auto& e : fs::recursive_directory_iterator(r.out)) {
    if (e.path().filename() != "evidence.geojson") continue;
    const fs::path jd = e.path().parent_path();
    double sum = 0;
    std::int64_t n = 0;
    const auto fc = readJson(e.path());
    for (const auto& f : fc["features"]) {
      const auto& p = f["properties"];
      if (!p.contains("chip_before") || !p["chip_before"].is_string() ||
          p["chip_before"].get<std::string>().empty()) {
        continue;  // footprints, and items beyond the chip cap
      }
      const cv::Mat b = readRgbPng(jd / p["chip_before"].get<std::string>());
      const cv::Mat a = readRgbPng(jd / p["chip_after"].get<std::string>());
      const cv::Mat m = readRgbPng(jd / p["chip_mask"].get<std::string>());
      REQUIRE(b.size() == a.size());
      REQUIRE(b.size() == m.size());
      REQUIRE(b.rows > kCaptionPx);
      for (int y = 0; y < b.rows - kCaptionPx; ++y) {
        for (int x = 0; x < b.cols; ++x) {
          if (m.at<cv::Vec3b>(y, x) != cv::Vec3b(60, 60, 60)) continue;
          for (int c = 0; c < 3; ++c)
            sum += std::abs(int(b.at<cv::Vec3b>(y, x)[c]) - int(a.at<cv::Vec3b>(y, x)[c]));
          n += 3;
        }
      }
    }
    if (n == 0) continue;
    const double mad = sum / n;
    INFO(jd.string() << ": mean |before - after| over unchanged chip pixels = " << mad << " ("
                     << n / 3 << " pixels)");
    CHECK(mad <= 8.0);
    ++jobsChecked;
  }
  CHECK(jobsChecked >= 2);
}

// Issue 17: the catalog of a run folder copied elsewhere still validates (the required fields of
// STAC 1.0.0 and schemas/changewatch-stac-extension.json, with Debian's python3-jsonschema) and
// every link inside the folder resolves; input scenes are derived_from links with their SHA-256.
TEST_CASE("e2e: the STAC catalog copied to another folder validates and resolves its links",
          "[integration][slow]") {
  auto& r = simRun();
  REQUIRE(r.exitCode == 0);
  TempDir copy("cwstaccopy");
  fs::copy(r.out, copy / "moved", fs::copy_options::recursive);
  const auto check = cw::test::run(
      "/usr/bin/python3 " + (fs::path(CW_SOURCE_DIR) / "scripts" / "check_stac.py").string() + " " +
      (copy / "moved").string());
  INFO(check.output);
  CHECK(check.exitCode == 0);
  CHECK_THAT(check.output, Catch::Contains("ok: 1 catalog, 2 collections, 2 items"));
  CHECK_THAT(check.output, Catch::Contains("4 derived_from links with SHA-256"));
  // A broken link is named.
  fs::remove(copy / "moved" / "port_alpha" / "collection.json");
  const auto broken = cw::test::run(
      "/usr/bin/python3 " + (fs::path(CW_SOURCE_DIR) / "scripts" / "check_stac.py").string() + " " +
      (copy / "moved").string());
  CHECK(broken.exitCode == 1);
  CHECK_THAT(broken.output,
             Catch::Contains("link rel=child './port_alpha/collection.json' does not resolve"));
}

// Issue 16, item 2: an AOI's water polygons from a file (here the simulator's own water ring as a
// GeoJSON file) give the same ships as the inline ring, and the counts record the water source.
TEST_CASE("e2e: shore polygons from an OGR file give the inline ring's ships and are recorded",
          "[integration][slow]") {
  TempDir dir("cwshore_e2e");
  REQUIRE(
      runCli("simulate --out " + dir.path().string() + " --seed 5 --size 512 --dates 2").exitCode ==
      0);
  std::string yaml = readText(dir / "config.yaml");
  const auto at = yaml.find("    water: ");
  REQUIRE(at != std::string::npos);
  const auto end = yaml.find('\n', at);
  const std::string ring = yaml.substr(at + 11, end - at - 11);
  cw::test::writeText(
      dir / "harbour.geojson",
      R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{},)"
      R"("geometry":{"type":"Polygon","coordinates":[)" +
          ring + "]}}]}");
  REQUIRE(runCli("run " + (dir / "config.yaml").string() + " --threads 2").exitCode == 0);
  std::string shoreYaml = yaml;
  shoreYaml.replace(at, end - at, "    shore: {water: harbour.geojson}");
  shoreYaml.replace(shoreYaml.find("output: out"), 11, "output: out_shore");
  cw::test::writeText(dir / "shore.yaml", shoreYaml);
  const auto run = runCli("run " + (dir / "shore.yaml").string() + " --threads 2");
  INFO(run.output);
  REQUIRE(run.exitCode == 0);
  const auto plan = readJson(dir / "out" / "plan.json");
  int compared = 0, ships = 0;
  for (const auto& j : plan["jobs"]) {
    if (j["aoi"] != "port_alpha") continue;
    const std::string id = j["id"];
    const auto inlineRing = readJson(dir / "out" / id / "counts.json");
    const auto fromFile = readJson(dir / "out_shore" / id / "counts.json");
    for (size_t k = 0; k < inlineRing["counts"].size(); ++k) {
      CHECK(inlineRing["counts"][k]["water_mask"] == "config");
      CHECK(fromFile["counts"][k]["water_mask"] == "water polygons harbour.geojson");
      CHECK(fromFile["counts"][k]["count"] == inlineRing["counts"][k]["count"]);
      ships += fromFile["counts"][k]["count"].get<int>();
      ++compared;
    }
  }
  CHECK(compared >= 2);
  CHECK(ships >= 4);  // the simulator puts ships in the harbour on every date
}
