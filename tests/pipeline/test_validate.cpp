// `validate` checks what it can without running (issue 17): each mistake exits 2 naming
// file:line:col, or the scene and band, and the same config passes once it is fixed. `run`
// refuses the same configs before any job.
#include <gdal_priv.h>
#include <catch2/catch.hpp>

#include <regex>

#include "tests/test_support.hpp"

using cw::test::readText;
using cw::test::runCli;
using cw::test::TempDir;
using cw::test::writeText;
namespace fs = std::filesystem;

namespace {

// The simulator's config with its relative paths made absolute, so variants live elsewhere.
std::string baseConfig(const fs::path& sim) {
  std::string c = readText(sim / "config.yaml");
  c = std::regex_replace(c, std::regex("folder: scenes"), "folder: " + (sim / "scenes").string());
  c = std::regex_replace(c, std::regex("output: out"),
                         "output: " + (sim / "out-validate").string());
  return c;
}

std::string withDeclarations(std::string config, const fs::path& decl) {
  return std::regex_replace(config, std::regex("declarations: declarations.csv"),
                            "declarations: " + decl.string());
}

// The port AOI's bbox line, and the same with each [lon, lat] pair read the other way round.
std::string swapPortBbox(const std::string& config) {
  std::smatch m;
  const std::regex bbox("bbox: \\[([-0-9.]+), ([-0-9.]+), ([-0-9.]+), ([-0-9.]+)\\]");
  REQUIRE(std::regex_search(config, m, bbox));
  const std::string swapped =
      "bbox: [" + m[2].str() + ", " + m[1].str() + ", " + m[4].str() + ", " + m[3].str() + "]";
  return m.prefix().str() + swapped + m.suffix().str();
}

}  // namespace

TEST_CASE(
    "validate: declarations, band roles, swapped coordinates and the window each exit 2, "
    "and pass once fixed",
    "[integration]") {
  const fs::path& sim = cw::test::smallSimulation();
  REQUIRE(!sim.empty());
  TempDir dir("cwvalidate");
  const std::string good = baseConfig(sim);
  const std::string goodDecl = readText(sim / "declarations.csv");
  const fs::path decl = dir / "declarations.csv";
  writeText(decl, goodDecl);
  const fs::path config = dir / "config.yaml";
  auto validate = [&](const std::string& text) {
    writeText(config, withDeclarations(text, decl));
    return runCli("validate " + config.string());
  };

  // The simulator's config as written: OK, with a warning for its declaration of a month
  // without scenes (a warning does not fail).
  auto ok = validate(good);
  INFO(ok.output);
  REQUIRE(ok.exitCode == 0);
  CHECK_THAT(ok.output, Catch::Contains(": OK (2 AOIs, 1 scene source, 3 scene(s) in the window"));
  CHECK_THAT(ok.output, Catch::Contains("warning: " + decl.string() +
                                        ":5: AOI port_alpha has no usable scene from 2024-06-01 to "
                                        "2024-06-30"));

  SECTION("an unknown AOI in the declarations names file:line:col") {
    writeText(decl, goodDecl + "port_gamma,2025-04-01,2025-04-30,activity,idle,X\n");
    const auto r = validate(good);
    INFO(r.output);
    CHECK(r.exitCode == 2);
    CHECK_THAT(r.output, Catch::Contains(decl.string() + ":6:1: unknown AOI 'port_gamma'"));
  }
  SECTION("a bad date in the declarations names file:line:col") {
    writeText(decl, goodDecl + "port_alpha,2025-04-31,2025-05-30,activity,idle,X\n");
    const auto r = validate(good);
    INFO(r.output);
    CHECK(r.exitCode == 2);
    CHECK_THAT(r.output, Catch::Contains(decl.string() + ":6:12: bad start date '2025-04-31'"));
  }
  SECTION("a bad ship-to-ship rule value (ais.sts) names file:line:col and the range") {
    writeText(dir / "feed.csv", "");
    const std::string ais = "ais:\n  files: [" + (dir / "feed.csv").string() +
                            "]\n  sts:\n    hull_pair: {max_heading_diff_deg: 120}\n"
                            "    encounter: {min_duration_h: -1}\n";
    const auto r = validate(good + ais);
    INFO(r.output);
    CHECK(r.exitCode == 2);
    CHECK_THAT(r.output, Catch::Contains("ais.sts.hull_pair.max_heading_diff_deg: value 120 is out "
                                         "of range [0, 90]"));
    CHECK_THAT(r.output, Catch::Contains("ais.sts.encounter.min_duration_h: value -1 is out of "
                                         "range [0.166667, 240]"));
    CHECK_THAT(r.output, Catch::Contains(config.string() + ":"));
  }
  SECTION("a band number beyond the scenes' bands names the scene and the band") {
    const auto r = validate(std::regex_replace(good, std::regex("nir: 4"), "nir: 9"));
    INFO(r.output);
    CHECK(r.exitCode == 2);
    CHECK_THAT(r.output, Catch::Contains("/scenes/scene_"));
    CHECK_THAT(r.output,
               Catch::Contains("has 5 band(s) but its nir band is band 9 (sensor.bands.nir)"));
    // `run` refuses it too, before any job.
    writeText(config,
              withDeclarations(std::regex_replace(good, std::regex("nir: 4"), "nir: 9"), decl));
    const auto run = runCli("run " + config.string() + " --out " + (dir / "out").string());
    INFO(run.output);
    CHECK(run.exitCode == 2);
    CHECK_THAT(run.output, Catch::Contains("run refused: "));
    CHECK_FALSE(fs::exists(dir / "out" / "port_alpha"));
    // And so does `submit`, before writing any Slurm script.
    const auto submit = runCli("submit " + config.string() + " --scheduler slurm --dry-run --out " +
                               (dir / "cluster").string());
    INFO(submit.output);
    CHECK(submit.exitCode == 2);
    CHECK_THAT(submit.output, Catch::Contains("submit refused: "));
    CHECK_FALSE(fs::exists(dir / "cluster" / "slurm" / "array.sbatch"));
  }
  SECTION("an AOI with latitude and longitude swapped gets the hint") {
    const auto r = validate(swapPortBbox(good));
    INFO(r.output);
    CHECK(r.exitCode == 2);
    CHECK_THAT(r.output, Catch::Contains("aois[0] (port_alpha): no scene overlaps the AOI"));
    CHECK_THAT(r.output, Catch::Contains("did you swap latitude and longitude?"));
  }
  SECTION("a window outside every scene's date") {
    const auto r = validate(std::regex_replace(good, std::regex("window: \\{[^}]*\\}"),
                                               "window: {start: 2023-01-01, end: 2023-12-31}"));
    INFO(r.output);
    CHECK(r.exitCode == 2);
    CHECK_THAT(r.output,
               Catch::Contains("window: 2023-01-01 to 2023-12-31 holds none of the 3 scene(s)"));
    CHECK_THAT(r.output, Catch::Contains("widen window"));
  }
  SECTION("change.method: auto is accepted in a config") {
    const auto r = validate(std::regex_replace(good, std::regex("method: irmad"), "method: auto"));
    INFO(r.output);
    CHECK(r.exitCode == 0);
  }
}

namespace {

// Copies of the simulator's scenes with only their SWIR-described bands (bands 1 and 2 renamed
// swir1, swir2): bands no detector can read.
fs::path swirOnlyScenes(const fs::path& sim, const fs::path& dir) {
  const fs::path out = dir / "swir";
  fs::create_directories(out);
  for (const auto& e : fs::directory_iterator(sim / "scenes")) {
    if (e.path().extension() != ".tif") continue;
    const fs::path dst = out / e.path().filename();
    REQUIRE(cw::test::run("gdal_translate -q -b 1 -b 2 " + e.path().string() + " " + dst.string())
                .exitCode == 0);
    GDALDataset* ds = GDALDataset::Open(dst.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE);
    REQUIRE(ds != nullptr);
    ds->GetRasterBand(1)->SetDescription("swir1");
    ds->GetRasterBand(2)->SetDescription("swir2");
    GDALClose(GDALDataset::ToHandle(ds));
  }
  return out;
}

}  // namespace

TEST_CASE(
    "validate: a detector whose declared band needs the scenes cannot meet exits 2 naming the "
    "detector and the bands, run refuses it",
    "[integration]") {
  const fs::path& sim = cw::test::smallSimulation();
  REQUIRE(!sim.empty());
  TempDir dir("cwbandneeds");
  const fs::path swir = swirOnlyScenes(sim, dir.path());
  std::string text = baseConfig(sim);
  text = std::regex_replace(text, std::regex("folder: \\S+"), "folder: " + swir.string());
  text = std::regex_replace(text, std::regex("bands: \\{[^}]*\\}"), "bands: {}");
  text = std::regex_replace(text, std::regex("cloud_band: 5"), "cloud_band: 0");
  text = withDeclarations(text, sim / "declarations.csv");
  const fs::path config = dir / "config.yaml";
  writeText(config, text);
  const auto r = runCli("validate " + config.string());
  INFO(r.output);
  CHECK(r.exitCode == 2);
  CHECK_THAT(r.output, Catch::Contains("(port_alpha): job port_alpha/"));
  CHECK_THAT(r.output, Catch::Contains("detector 'ships' needs a band with role blue, green, red, "
                                       "nir, vv, vh or grey; the bands are swir1, swir2"));
  CHECK_THAT(r.output, Catch::Contains("detector 'tanks' needs a band with role"));
  const auto run = runCli("run " + config.string() + " --out " + (dir / "out").string());
  INFO(run.output);
  CHECK(run.exitCode == 2);
  CHECK_FALSE(fs::exists(dir / "out" / "port_alpha"));
}
