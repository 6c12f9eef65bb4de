// Hash-chained logs (evidence/hash_chain.hpp) and which review decisions a merge applies
// (evidence/review_policy.hpp): tampering is named by line, four eyes, roles, the verdict reason.
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/sha256.hpp"
#include "evidence/hash_chain.hpp"
#include "evidence/review_policy.hpp"
#include "tests/test_support.hpp"

using namespace cw::evidence;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines(const fs::path& p) {
  std::istringstream in(cw::test::readText(p));
  std::vector<std::string> v;
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

void writeLines(const fs::path& p, const std::vector<std::string>& v) {
  std::string s;
  for (const auto& l : v) s += l + "\n";
  cw::test::writeText(p, s);
}

void append(const fs::path& p, const std::string& id, const std::string& decision,
            const std::string& who, const std::string& role, const std::string& comment = "",
            const std::string& time = "2026-12-06T10:00:00.000Z") {
  json r = {{"evidence_id", id}, {"decision", decision}, {"reviewer", who},
            {"role", role},      {"comment", comment},   {"time", time}};
  appendChainedLine(p, r);
}

VerdictRow row(Verdict v, std::vector<std::string> ids, const std::string& reason) {
  VerdictRow r;
  r.verdict = v;
  r.evidenceIds = std::move(ids);
  r.reason = reason;
  return r;
}

}  // namespace

TEST_CASE(
    "chain: appended lines carry seq and the SHA-256 of the previous line, tampering names the "
    "line",
    "[unit][chain]") {
  cw::test::TempDir tmp("cwchain");
  const fs::path p = tmp / "reviews.jsonl";
  CHECK(verifyChain(p).ok);  // absent = empty chain
  for (int i = 0; i < 5; ++i) append(p, "e" + std::to_string(i), "confirmed", "ana", "reviewer");
  const auto good = lines(p);
  REQUIRE(good.size() == 5);
  CHECK(json::parse(good[0])["prev"] == kChainGenesis);
  CHECK(json::parse(good[3])["prev"] == cw::sha256Hex(good[2]));
  auto c = verifyChain(p);
  CHECK(c.ok);
  CHECK(c.head.lines == 5);
  CHECK(c.head.sha256 == cw::sha256Hex(good[4]));
  CHECK(chainHeadAt(p, 3)->sha256 == cw::sha256Hex(good[2]));
  CHECK_FALSE(chainHeadAt(p, 6));

  SECTION("an edited line breaks the link of the line after it") {
    auto v = good;
    v[1].replace(v[1].find("confirmed"), 9, "rejected!");
    writeLines(p, v);
    c = verifyChain(p);
    CHECK_FALSE(c.ok);
    CHECK(c.firstBad == 3);
    CHECK(
        c.problem ==
        "reviews.jsonl: line 3: \"prev\" does not match the SHA-256 of line 2: line 2 was changed");
  }
  SECTION("a deleted line is a gap in the sequence") {
    auto v = good;
    v.erase(v.begin() + 2);
    writeLines(p, v);
    c = verifyChain(p);
    CHECK_FALSE(c.ok);
    CHECK(c.firstBad == 3);
    CHECK(c.problem ==
          "reviews.jsonl: line 3: sequence number 4 where 3 was due: line 3 or earlier lines "
          "deleted");
  }
  SECTION("a junk line appended by hand is not part of the chain, and blocks further appends") {
    auto v = good;
    v.push_back(R"({"evidence_id":"e1","decision":"rejected","reviewer":"anyone"})");
    writeLines(p, v);
    c = verifyChain(p);
    CHECK(c.firstBad == 6);
    CHECK_THAT(c.problem,
               Catch::Contains("line 6: no \"seq\"/\"prev\": not part of the hash chain"));
    CHECK_THROWS_WITH(append(p, "e9", "confirmed", "ana", "reviewer"),
                      Catch::Contains("its last line is not a chained record"));
  }
}

TEST_CASE(
    "review policy: only reviewer roles count, and four eyes hold back a lone rejection of cited "
    "evidence",
    "[unit][chain]") {
  cw::test::TempDir tmp("cwpolicy");
  const fs::path p = tmp / "reviews.jsonl";
  const std::set<std::string> cited = {"c1", "c2"};
  append(p, "c1", "rejected", "anyone", "local", "");       // serve without --users
  append(p, "c1", "rejected", "vic", "viewer", "a cloud");  // forged into the log
  append(p, "c1", "rejected", "ana", "reviewer", "a pier, not a ship");
  append(p, "c2", "rejected", "ana", "reviewer", "wave crest");
  append(p, "x9", "rejected", "ana", "reviewer", "");  // not cited: one reviewer suffices
  auto log = readReviewLog(p);
  REQUIRE(log.records.size() == 5);
  auto eff = effectiveReviews(log, cited, {});
  CHECK(eff.decisions.at("c1") == "rejection pending");
  CHECK(eff.decisions.at("c2") == "rejection pending");
  CHECK(eff.decisions.at("x9") == "rejected");
  CHECK(eff.pending == std::set<std::string>{"c1", "c2"});
  CHECK(log.records[0].status == "not applied: made without sign-in (reviews.trust_local is off)");
  CHECK(log.records[1].status == "not applied: role viewer may not decide");
  CHECK_THAT(log.records[2].status,
             Catch::StartsWith("pending: rejecting evidence a discrepancy cites needs"));

  // The same reviewer twice is still one pair of eyes.
  append(p, "c1", "rejected", "ana", "reviewer", "really");
  log = readReviewLog(p);
  CHECK(effectiveReviews(log, cited, {}).pending.count("c1"));
  // A second reviewer confirms both.
  append(p, "c1", "rejected", "ben", "admin", "", "2026-12-07T09:00:00.000Z");
  append(p, "c2", "rejected", "ben", "reviewer", "", "2026-12-07T09:05:00.000Z");
  log = readReviewLog(p);
  eff = effectiveReviews(log, cited, {});
  CHECK(eff.decisions.at("c1") == "rejected");
  CHECK(eff.decisions.at("c2") == "rejected");
  CHECK(eff.signoffs.at("c1").first == "ana");
  CHECK(eff.signoffs.at("c1").second == "ben");
  CHECK(eff.signoffs.at("c1").date == "2026-12-07");

  std::vector<VerdictRow> before = {
      row(Verdict::Discrepancy, {"c1", "c2"}, "declared idle; 10 ships seen"),
      row(Verdict::Consistent, {}, "ok")};
  std::vector<VerdictRow> now = {
      row(Verdict::Consistent, {}, "no ships detected in 2 usable scenes of the period"),
      row(Verdict::Consistent, {}, "ok")};
  explainReviewedVerdicts(now, before, eff);
  CHECK(now[0].reason ==
        "was discrepancy; 2 items rejected by ana, confirmed by ben on 2026-12-07; "
        "now: no ships detected in 2 usable scenes of the period");
  CHECK(now[1].reason == "ok");

  // Four eyes off: the lone rejection applies; local decisions with trust_local.
  cw::test::TempDir tmp2("cwpolicy2");
  const fs::path p2 = tmp2 / "reviews.jsonl";
  append(p2, "c1", "rejected", "anyone", "local", "");
  auto log2 = readReviewLog(p2);
  CHECK(effectiveReviews(log2, cited, {true, false}).decisions.empty());
  CHECK(effectiveReviews(log2, cited, {false, true}).decisions.at("c1") == "rejected");
}

TEST_CASE("review policy: a merge applies only the decisions before a broken link",
          "[unit][chain]") {
  cw::test::TempDir tmp("cwpolicy3");
  const fs::path p = tmp / "reviews.jsonl";
  append(p, "x1", "confirmed", "ana", "reviewer");
  append(p, "x2", "rejected", "ana", "reviewer");
  append(p, "x3", "rejected", "ana", "reviewer");
  auto v = lines(p);
  v[1].replace(v[1].find("rejected"), 8, "confirmd");
  writeLines(p, v);
  const auto log = readReviewLog(p);
  CHECK_FALSE(log.chain.ok);
  CHECK(log.chain.firstBad == 3);
  REQUIRE(log.records.size() == 1);  // line 3's link says line 2 changed: only line 1 stands
  CHECK(log.records[0].evidenceId == "x1");
}
