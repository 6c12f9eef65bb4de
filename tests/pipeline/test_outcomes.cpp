// Honest outcomes (issue 17): a failed or unfinished job makes the affected verdicts
// "unverifiable: processing failed (job N: ...)", and `status` exits 0 / 1 / 3.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/test_support.hpp"

using cw::test::readJson;
using cw::test::readText;
using cw::test::runCli;
using cw::test::TempDir;
using cw::test::writeText;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const json& verdictOf(const json& corroboration, const std::string& reference) {
  for (const auto& v : corroboration["verdicts"]) {
    if (v["reference"] == reference) return v;
  }
  FAIL("no verdict " << reference);
  static json none;
  return none;
}

}  // namespace

TEST_CASE(
    "outcomes: a failed job gives 'processing failed (job N: ...)', status exits 1, then 3 "
    "for a job without a record, then 0",
    "[integration][slow]") {
  const fs::path& sim = cw::test::smallSimulation();
  REQUIRE(!sim.empty());
  TempDir dir("cwoutcomes");
  std::string c = readText(sim / "config.yaml");
  c = std::regex_replace(c, std::regex("folder: scenes"), "folder: " + (sim / "scenes").string());
  // Two declarations no count can contradict (1000 calls), one per port pair: the first date is
  // only in job 2 (the port's first pair), the last date only in job 3.
  const fs::path decl = dir / "declarations.csv";
  writeText(decl, readText(sim / "declarations.csv") +
                      "port_alpha,2025-03-01,2025-03-01,vessel_calls,1000,CALLS-FIRST\n"
                      "port_alpha,2025-05-01,2025-05-01,vessel_calls,1000,CALLS-LAST\n");
  c = std::regex_replace(c, std::regex("declarations: declarations.csv"),
                         "declarations: " + decl.string());
  const fs::path config = dir / "config.yaml";
  const fs::path out = dir / "out";
  writeText(config, c);
  const auto plan = runCli("plan " + config.string() + " --json 2>/dev/null");
  REQUIRE(plan.exitCode == 0);
  const json jobs = json::parse(plan.output)["jobs"];
  REQUIRE(jobs.size() == 4);  // 2 AOIs x 2 consecutive pairs of the 3 dates
  // Job 2 is port_alpha's first pair; a directory where its counts.json goes makes it fail
  // after the change step, with a failed.json.
  REQUIRE(jobs[2]["aoi"] == "port_alpha");
  const std::string failing = jobs[2]["id"];
  fs::create_directories(out / failing / "counts.json" / "blocker");

  const auto run = runCli("run " + config.string() + " --out " + out.string() + " --threads 2");
  INFO(run.output);
  CHECK(run.exitCode == 1);
  CHECK_THAT(run.output, Catch::Contains("1 job(s) failed"));
  // The first date's declaration cannot be contradicted by a count, and its only scene is in
  // the failed job: unverifiable, naming the job and its error.
  const json corr = readJson(out / "corroboration.json");
  const json v = verdictOf(corr, "CALLS-FIRST");
  CHECK(v["verdict"] == "unverifiable");
  CHECK_THAT(v["reason"].get<std::string>(),
             Catch::StartsWith("processing failed (job 2: ") && Catch::Contains("counts.json"));
  // The last date's scene is in job 3, which completed; the facility's jobs too.
  CHECK(verdictOf(corr, "CALLS-LAST")["verdict"] == "consistent");
  CHECK(verdictOf(corr, "SIM-TRUE-CONSTR")["verdict"] == "consistent");
  auto st = runCli("status " + out.string());
  INFO(st.output);
  CHECK(st.exitCode == 1);

  // The blocker gone and job 3's record removed (as a killed job leaves it): job 2 reruns,
  // job 3 is missing until the next run.
  fs::remove_all(out / failing / "counts.json");
  const auto rerun =
      runCli("run " + config.string() + " --out " + out.string() + " --threads 2 --job 2");
  INFO(rerun.output);
  REQUIRE(rerun.exitCode == 0);
  fs::remove(out / jobs[3]["id"].get<std::string>() / "job.json");
  st = runCli("status " + out.string());
  CHECK(st.exitCode == 3);
  const auto merge = runCli("merge " + config.string() + " --out " + out.string());
  INFO(merge.output);
  REQUIRE(merge.exitCode == 0);
  const json corr3 = readJson(out / "corroboration.json");
  CHECK(verdictOf(corr3, "CALLS-FIRST")["verdict"] == "consistent");
  const json v3 = verdictOf(corr3, "CALLS-LAST");
  CHECK(v3["verdict"] == "unverifiable");
  CHECK_THAT(v3["reason"].get<std::string>(),
             Catch::StartsWith("processing failed (job 3: did not complete"));

  const auto last = runCli("run " + config.string() + " --out " + out.string() + " --threads 2");
  INFO(last.output);
  REQUIRE(last.exitCode == 0);
  CHECK(runCli("status " + out.string()).exitCode == 0);
  CHECK(verdictOf(readJson(out / "corroboration.json"), "CALLS-LAST")["verdict"] == "consistent");
}
