// Hostile configs and STAC ItemCollections (issue 10, "Config", "Declarations and STAC") that the
// layer tests do not already cover; tests/bad/README.md maps every bullet to its test.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "pipeline/catalog.hpp"
#include "pipeline/config.hpp"
#include "tests/bad/bad_support.hpp"

using namespace cw::test;
using namespace cw::test::bad;
using nlohmann::json;

namespace {

json item(const std::string& id, const std::string& datetime, const json& assets) {
  json j{{"type", "Feature"},
         {"stac_version", "1.0.0"},
         {"id", id},
         {"properties", {{"datetime", datetime}}}};
  if (!assets.is_null()) j["assets"] = assets;
  return j;
}

json dataAsset(const std::string& href) {
  return {{"data", {{"href", href}, {"type", "image/tiff; application=geotiff"}}}};
}

std::map<std::string, std::string> skippedById(const cw::pipeline::Catalog& cat) {
  std::map<std::string, std::string> m;
  for (const auto& s : cat.skipped) m[s.path.substr(s.path.rfind(' ') + 1)] = s.reason;
  return m;
}

}  // namespace

TEST_CASE("bad config: a 100 MB file is refused on its size, before parsing", "[integration]") {
  TempDir d("cwbad-100mb");
  const auto made =
      run("sh " + q(fs::path(CW_SOURCE_DIR) / "tests/bad/make_corpus.sh") + " " + q(d / "corpus"));
  REQUIRE(made.exitCode == 0);
  const fs::path big = d / "corpus" / "config_100mb.yaml";
  REQUIRE(fs::file_size(big) == 100u * 1024 * 1024);
  const auto t0 = Clock::now();
  const auto r = runCli("plan " + q(big));
  CHECK(r.exitCode == 2);
  CHECK_THAT(r.output, Catch::Contains(big.string() + ": config is 100 MB; the limit is 4 MB"));
  CHECK(since(t0) < 10);
}

TEST_CASE("bad STAC: missing, non-raster and absent assets are recorded skips naming the item",
          "[integration]") {
  SmallRun r("cwbad-stac", 2);
  json fc{{"type", "FeatureCollection"}, {"features", json::array()}};
  fc["features"].push_back(
      item("good1", "2025-03-01T10:00:00Z", dataAsset("scenes/scene_20250301.tif")));
  fc["features"].push_back(
      item("good2", "2025-04-01T10:00:00Z", dataAsset("scenes/scene_20250401.tif")));
  fc["features"].push_back(item("no_assets", "2025-05-01T10:00:00Z", nullptr));
  fc["features"].push_back(item("empty_assets", "2025-05-02T10:00:00Z", json::object()));
  fc["features"].push_back(item("only_metadata", "2025-05-03T10:00:00Z",
                                {{"meta", {{"href", "meta.json"}, {"type", "application/json"}}}}));
  fc["features"].push_back(
      item("absent_file", "2025-05-04T10:00:00Z", dataAsset("scenes/nope.tif")));
  fc["features"].push_back(
      item("remote", "2025-05-05T10:00:00Z", dataAsset("https://example.com/scene.tif")));
  fc["features"].push_back(
      item("../x", "2025-05-06T10:00:00Z", dataAsset("scenes/scene_20250301.tif")));
  writeText(r.dir / "items.json", fc.dump(1));
  writeText(r.config, configYaml().replace(configYaml().find("{folder: scenes, glob: \"*.tif\"}"),
                                           31, "{stac: items.json}"));
  const auto cat = cw::pipeline::buildCatalog(cw::pipeline::loadConfig(r.config));
  REQUIRE(cat.scenes.size() == 2);
  const auto why = skippedById(cat);
  const std::string where = (r.dir / "items.json").string() + " features[";
  for (const auto& s : cat.skipped) CHECK_THAT(s.path, Catch::StartsWith(where));
  CHECK(why.at("features[2]") == "has no assets");
  CHECK(why.at("features[3]") == "has no assets");
  CHECK(why.at("features[4]") == "has no raster asset");
  CHECK(why.at("features[5]") == (r.dir / "scenes" / "nope.tif").string() + ": no such file");
  CHECK(why.at("features[6]") ==
        "asset href 'https://example.com/scene.tif' is remote; only local files are read");
  CHECK(why.at("features[7]") == "id '../x' is not a safe id ([A-Za-z0-9_-]{1,64})");
  // The same, through the CLI: exit 0, each skip printed.
  const auto p = runCli("plan " + q(r.config));
  INFO(p.output);
  CHECK(p.exitCode == 0);
  CHECK_THAT(p.output, Catch::Contains("skipped " + where + "2]: has no assets"));
}

TEST_CASE("bad STAC: hrefs resolve against the ItemCollection's folder and never leave it",
          "[integration]") {
  SmallRun r("cwbad-href", 3);
  fs::create_directories(r.dir / "stac");
  fs::create_directories(r.dir / "elsewhere");
  fs::copy_file(r.scenes / "scene_20250501.tif", r.dir / "elsewhere" / "outside.tif");
  fs::copy(r.scenes, r.dir / "stac" / "inside");
  fs::create_symlink(r.dir / "elsewhere" / "outside.tif", r.dir / "stac" / "link.tif");
  json fc{{"type", "FeatureCollection"}, {"features", json::array()}};
  // Relative, and with a detour that stays inside: resolved against the ItemCollection's folder.
  fc["features"].push_back(
      item("rel1", "2025-03-01T10:00:00Z", dataAsset("inside/scene_20250301.tif")));
  fc["features"].push_back(
      item("rel2", "2025-04-01T10:00:00Z", dataAsset("./inside/../inside/scene_20250401.tif")));
  // Escapes: parent folders, an absolute path elsewhere, a symlink pointing out.
  fc["features"].push_back(
      item("up", "2025-05-01T10:00:00Z", dataAsset("../elsewhere/outside.tif")));
  fc["features"].push_back(item("abs", "2025-05-02T10:00:00Z",
                                dataAsset((r.dir / "elsewhere" / "outside.tif").string())));
  fc["features"].push_back(item("link", "2025-05-03T10:00:00Z", dataAsset("link.tif")));
  writeText(r.dir / "stac" / "items.json", fc.dump(1));
  writeText(r.config, configYaml().replace(configYaml().find("{folder: scenes, glob: \"*.tif\"}"),
                                           31, "{stac: stac/items.json}"));
  // The test runs from the build folder: a relative href must not depend on the working folder.
  REQUIRE(fs::current_path() != r.dir / "stac");
  const auto cat = cw::pipeline::buildCatalog(cw::pipeline::loadConfig(r.config));
  REQUIRE(cat.scenes.size() == 2);
  CHECK(cat.scenes[0].id == "rel1");
  CHECK(cat.scenes[1].id == "rel2");
  CHECK(cat.scenes[0].files.at(0) ==
        fs::canonical(r.dir / "stac" / "inside" / "scene_20250301.tif"));
  CHECK(cat.scenes[1].files.at(0) ==
        fs::canonical(r.dir / "stac" / "inside" / "scene_20250401.tif"));
  const auto why = skippedById(cat);
  REQUIRE(why.size() == 3);
  CHECK(why.at("features[2]") ==
        "asset href '../elsewhere/outside.tif' escapes the folder of its ItemCollection");
  CHECK(why.at("features[3]") == "asset href '" + (r.dir / "elsewhere" / "outside.tif").string() +
                                     "' escapes the folder of its ItemCollection");
  CHECK(why.at("features[4]") == "asset href 'link.tif' escapes the folder of its ItemCollection");
}
