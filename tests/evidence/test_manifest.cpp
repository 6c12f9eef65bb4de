// job.json, manifest.json, catalog.json and verify: intact, flipped byte, deleted chip, extra file.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/sha256.hpp"
#include "evidence/hash_chain.hpp"
#include "evidence/manifest.hpp"
#include "evidence/stac.hpp"
#include "evidence_fixture.hpp"

using namespace cw::evidence;
using namespace cw::evidence::test;

namespace {

// A finished run: one job with evidence and job.json, the catalog, then the manifest last.
JobFixture finishedRun(const fs::path& out) {
  JobFixture f = makeJob(out);
  writeJobEvidence(f.jobDir, f.ev, f.src);
  JobRecord rec;
  rec.startedIso = "2024-06-01T00:00:00Z";
  rec.finishedIso = "2024-06-01T00:00:05Z";
  rec.timingsS = {{"change", 1.5}, {"evidence", 0.5}};
  writeJobRecord(f.jobDir, f.ev, rec);
  writeStacCatalog(out, {{"port-a", "Port A", "port"}});
  RunManifest m;
  m.configPath = "config.yaml";
  m.configText = "aois: []\n";
  m.startedIso = "2024-06-01T00:00:00Z";
  m.finishedIso = "2024-06-01T00:01:00Z";
  m.inputs = {f.ev.info.before, f.ev.info.after};
  m.inputs[0].sha256 = cw::sha256File(m.inputs[0].path);
  m.inputs[1].sha256 = cw::sha256File(m.inputs[1].path);
  writeRunManifest(out, m);
  return f;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

}  // namespace

TEST_CASE("job.json lists every job file with its hash and the solved parameters",
          "[integration]") {
  const fs::path out = freshDir("jobjson");
  JobFixture f = finishedRun(out);
  const auto j = nlohmann::json::parse(readBytes(f.jobDir / "job.json"));
  CHECK(j["status"] == "complete");
  CHECK(j["parameters"]["shift_px"] == nlohmann::json::array({0.25, -0.5}));
  CHECK(j["before"]["id"] == "S1");
  CHECK(j["config_hash"] == std::string(64, 'c'));
  const auto& files = j["files"];
  for (const char* name :
       {"evidence.geojson", "product.h5", "item.json", "score.tif", "mask.tif"}) {
    INFO(name);
    REQUIRE(files.contains(name));
    CHECK(files[name]["sha256"] == cw::sha256File(f.jobDir / name));
  }
  CHECK_FALSE(files.contains("job.json"));
  size_t chips = 0;
  for (const auto& [k, v] : files.items()) chips += k.rfind("chips/", 0) == 0;
  CHECK(chips == 12);

  const auto m = nlohmann::json::parse(readBytes(out / "manifest.json"));
  CHECK(m["config"]["sha256"] == cw::sha256Hex("aois: []\n"));
  CHECK(m["outputs"].contains("port-a/S1_S2/job.json"));
  CHECK(m["outputs"].contains("catalog.json"));
  CHECK(m["outputs"].contains("port-a/collection.json"));
  CHECK(m["inputs"].size() == 2);

  const auto cat = nlohmann::json::parse(readBytes(out / "catalog.json"));
  CHECK(cat["type"] == "Catalog");
  const auto col = nlohmann::json::parse(readBytes(out / "port-a" / "collection.json"));
  CHECK(col["type"] == "Collection");
  bool itemLink = false;
  for (const auto& l : col["links"])
    itemLink |= l["rel"] == "item" && l["href"] == "./S1_S2/item.json";
  CHECK(itemLink);
  CHECK(col["extent"]["temporal"]["interval"][0][0] == "2024-03-01T10:00:00Z");
}

TEST_CASE("verify: intact, flipped byte, deleted chip and extra file are each named",
          "[integration]") {
  const fs::path out = freshDir("verify");
  JobFixture f = finishedRun(out);
  // Files that are never listed do not count as extra.
  nlohmann::json review = nlohmann::json::object();  // (a hash-chained line, as serve appends)
  appendChainedLine(out / "reviews.jsonl", review);
  std::ofstream(out / "run.lock") << "";
  fs::create_directories(out / "slurm");
  std::ofstream(out / "slurm" / "task-0.out") << "log\n";

  VerifyReport r = verifyOutput(out);
  INFO(joined(r.problems) << joined(r.changed) << joined(r.missing) << joined(r.extra));
  CHECK(r.ok());
  CHECK(r.filesChecked > 20);

  const std::string cli = std::string(CW_BINARY) + " verify '" + out.string() + "' > '" +
                          (out.parent_path() / "verify.log").string() + "' 2>&1";
  CHECK(WEXITSTATUS(std::system(cli.c_str())) == 0);

  // Flip one byte of the HDF5 product.
  const fs::path h5 = f.jobDir / "product.h5";
  std::string bytes = readBytes(h5);
  bytes[bytes.size() / 2] ^= 0x01;
  std::ofstream(h5, std::ios::binary | std::ios::trunc) << bytes;
  r = verifyOutput(out);
  CHECK_FALSE(r.ok());
  REQUIRE(r.changed.size() == 1);
  CHECK(r.changed[0].rfind("port-a/S1_S2/product.h5: sha256 ", 0) == 0);
  CHECK(WEXITSTATUS(std::system(cli.c_str())) == 1);
  const std::string log = readBytes(out.parent_path() / "verify.log");
  CHECK(log.find("changed: port-a/S1_S2/product.h5") != std::string::npos);
  CHECK(log.find("verification FAILED: 1 problem (1 changed, 0 missing, 0 extra)") !=
        std::string::npos);
  bytes[bytes.size() / 2] ^= 0x01;
  std::ofstream(h5, std::ios::binary | std::ios::trunc) << bytes;
  CHECK(verifyOutput(out).ok());

  // Delete a chip.
  const std::string chip = "port-a/S1_S2/chips/" + f.ev.changes.at(0).id + "_before.png";
  fs::rename(out / chip, out.parent_path() / "chip.png");
  r = verifyOutput(out);
  CHECK(r.missing == std::vector<std::string>{chip});
  CHECK(r.changed.empty());
  fs::rename(out.parent_path() / "chip.png", out / chip);

  // An extra file in a job folder.
  std::ofstream(f.jobDir / "notes.txt") << "added later\n";
  r = verifyOutput(out);
  CHECK(r.extra == std::vector<std::string>{"port-a/S1_S2/notes.txt"});
  fs::remove(f.jobDir / "notes.txt");
  CHECK(verifyOutput(out).ok());

  // A tampered job.json is caught by the manifest.
  std::ofstream(f.jobDir / "job.json", std::ios::app) << " ";
  r = verifyOutput(out);
  REQUIRE(r.changed.size() == 1);
  CHECK(r.changed[0].rfind("port-a/S1_S2/job.json: ", 0) == 0);
}

TEST_CASE("verify without a manifest reports it and still checks the job folders",
          "[integration]") {
  const fs::path out = freshDir("verify_nomanifest");
  JobFixture f = finishedRun(out);
  fs::remove(out / "manifest.json");
  std::ofstream(f.jobDir / "stray.bin") << "x";
  const VerifyReport r = verifyOutput(out);
  CHECK(r.problems == std::vector<std::string>{"manifest.json: missing (was the merge step run?)"});
  CHECK(r.extra == std::vector<std::string>{"port-a/S1_S2/stray.bin"});
  CHECK(r.changed.empty());
  CHECK_THROWS_WITH(verifyOutput(out / "nope"), Catch::EndsWith("nope: not a folder"));
}
