// Verdicts from observations, the corroboration files and the report.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "core/iso_time.hpp"
#include "evidence/corroboration.hpp"
#include "evidence/manifest.hpp"
#include "evidence/report.hpp"
#include "evidence_fixture.hpp"

using namespace cw::evidence;
using namespace cw::evidence::test;

namespace {

Declaration decl(const std::string& aoi, const std::string& start, const std::string& end, Metric m,
                 const std::string& value) {
  const std::string csv = "aoi,start,end,metric,value,reference\n" + aoi + "," + start + "," + end +
                          "," + metricName(m) + "," + value + ",ref\n";
  return parseDeclarationsCsv(csv, "d.csv", {"port-a", "plant-b"}).at(0);
}

// Port A: 3 scenes (1 ship, 2 ships, 5 ships but 20 % valid); plant B: one pair with a big change.
Observations handMade() {
  Observations obs;
  AoiObservations& a = obs["port-a"];
  a.aoiId = "port-a";
  a.aoiKind = "port";
  auto scene = [](const std::string& id, const std::string& t, double valid, int ships) {
    SceneObservation s;
    s.sceneId = id;
    s.timeIso = t;
    s.timeS = cw::parseIsoTime(t).value();
    s.validFraction = valid;
    s.imagedFraction = 1.0;
    s.counts["ships"] = ships;
    for (int i = 0; i < ships; ++i)
      s.detectionIds["ships"].push_back(id + "-ship" + std::to_string(i));
    return s;
  };
  a.scenes = {scene("S1", "2024-03-01T10:00:00Z", 0.9, 1),
              scene("S2", "2024-03-11T10:00:00Z", 0.95, 2),
              scene("S3", "2024-05-01T10:00:00Z", 0.2, 5)};
  AoiObservations& b = obs["plant-b"];
  b.aoiId = "plant-b";
  b.aoiKind = "facility";
  b.scenes = {scene("T1", "2024-02-01T10:00:00Z", 1.0, 0),
              scene("T2", "2024-04-01T10:00:00Z", 1.0, 0)};
  PairObservation p;
  p.beforeSceneId = "T1";
  p.afterSceneId = "T2";
  p.beforeS = b.scenes[0].timeS;
  p.afterS = b.scenes[1].timeS;
  p.changeIds = {"plant-b-change-big", "plant-b-change-small"};
  b.pairs = {p};
  EvidenceItem big{"plant-b-change-big",
                   "change",
                   "change",
                   "T2",
                   "2024-04-01T10:00:00Z",
                   {},
                   5000,
                   0.9,
                   {},
                   "",
                   "",
                   "",
                   false,
                   {},
                   {}};
  EvidenceItem small{"plant-b-change-small",
                     "change",
                     "change",
                     "T2",
                     "2024-04-01T10:00:00Z",
                     {},
                     300,
                     0.9,
                     {},
                     "",
                     "",
                     "",
                     false,
                     {},
                     {}};
  b.items[big.id] = big;
  b.items[small.id] = small;
  return obs;
}

}  // namespace

TEST_CASE("corroboration: idle port with ships is a discrepancy citing the detections", "[unit]") {
  const auto rows = corroborate(
      {decl("port-a", "2024-03-01", "2024-03-31", Metric::Activity, "idle")}, handMade());
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].verdict == Verdict::Discrepancy);
  CHECK(rows[0].evidenceIds == std::vector<std::string>{"S1-ship0", "S2-ship0", "S2-ship1"});
  CHECK(rows[0].observed ==
        "active: at least 2 ships on 2024-03-11 (scene S2, 95% of the AOI valid: a lower bound)");
  CHECK(rows[0].reason.find("declared idle, but at least 2 ships were detected") == 0);
}

TEST_CASE("corroboration: consistent declarations", "[unit]") {
  const auto rows = corroborate(
      {decl("port-a", "2024-03-01", "2024-03-31", Metric::Activity, "active"),
       decl("port-a", "2024-03-01", "2024-03-31", Metric::MaxVessels, "2"),
       decl("port-a", "2024-03-01", "2024-03-31", Metric::MaxVessels, "1"),   // 2 <= 1 + 1
       decl("port-a", "2024-03-01", "2024-03-31", Metric::VesselCalls, "1"),  // 2 <= 1.5 + 1
       decl("plant-b", "2024-01-01", "2024-06-30", Metric::NewConstruction, "some")},
      handMade());
  for (const auto& r : rows) {
    INFO(metricName(r.declaration.metric) << " " << r.declaration.value << ": " << r.reason);
    CHECK(r.verdict == Verdict::Consistent);
    CHECK(r.evidenceIds.empty());
  }
}

TEST_CASE("corroboration: max_vessels, vessel_calls and new_construction discrepancies", "[unit]") {
  Observations obs = handMade();
  obs["port-a"].scenes[1].counts["ships"] = 9;
  for (int i = 2; i < 9; ++i)
    obs["port-a"].scenes[1].detectionIds["ships"].push_back("S2-ship" + std::to_string(i));
  const auto rows = corroborate(
      {decl("port-a", "2024-03-01", "2024-03-31", Metric::MaxVessels, "6"),   // 9 > 6 + 1
       decl("port-a", "2024-03-01", "2024-03-31", Metric::MaxVessels, "8"),   // 9 <= 8 + 1
       decl("port-a", "2024-03-01", "2024-03-31", Metric::VesselCalls, "5"),  // 9 > 8.5
       decl("port-a", "2024-03-01", "2024-03-31", Metric::VesselCalls, "6"),  // 9 <= 10
       decl("plant-b", "2024-01-01", "2024-06-30", Metric::NewConstruction, "none"),
       decl("plant-b", "2024-01-01", "2024-06-30", Metric::Activity, "idle")},
      obs);
  CHECK(rows[0].verdict == Verdict::Discrepancy);
  CHECK(rows[0].evidenceIds.size() == 9);
  CHECK(rows[1].verdict == Verdict::Consistent);
  CHECK(rows[2].verdict == Verdict::Discrepancy);
  CHECK(rows[2].reason.find("far above the 5 declared calls") != std::string::npos);
  CHECK(rows[3].verdict == Verdict::Consistent);
  CHECK(rows[4].verdict == Verdict::Discrepancy);
  CHECK(rows[4].evidenceIds == std::vector<std::string>{"plant-b-change-big"});  // 300 m2 < 1000
  CHECK(rows[4].observed == "1 change polygon, 5000 m2 in total (largest 5000 m2)");
  CHECK(rows[5].verdict == Verdict::Discrepancy);  // a facility's activity rests on change
}

// A count from a scene that imaged only part of the AOI is a lower bound: within the declared
// maximum it stays consistent but says "at least"; above it, it is a discrepancy all the same.
// A fully imaged scene gives a plain count. A scene whose count the detector flagged degraded
// (haze or glint over the water) is not used for ship rules, and the reason says so.
TEST_CASE("corroboration: counts from partly imaged scenes are lower bounds, degraded are unused",
          "[unit]") {
  Observations obs = handMade();  // S2: 2 ships, 95 % of the AOI valid
  const auto partial =
      corroborate({decl("port-a", "2024-03-05", "2024-03-15", Metric::MaxVessels, "3"),
                   decl("port-a", "2024-03-05", "2024-03-15", Metric::MaxVessels, "0")},
                  obs);
  CHECK(partial[0].verdict == Verdict::Consistent);
  CHECK(partial[0].observed.find("at least 2 on 2024-03-11") == 0);
  CHECK(partial[0].reason ==
        "largest count at least 2 in 1 usable scene is within the declared maximum 3 + tolerance "
        "1; ships outside the imaged part cannot be excluded");
  CHECK(partial[1].verdict == Verdict::Discrepancy);
  CHECK(partial[1].reason.find("at least 2 ships seen at once") == 0);

  obs["port-a"].scenes[1].validFraction = 1.0;
  const auto full =
      corroborate({decl("port-a", "2024-03-05", "2024-03-15", Metric::MaxVessels, "3")}, obs);
  CHECK(full[0].observed == "2 on 2024-03-11 (scene S2, 100% of the AOI valid)");
  CHECK(full[0].reason.find("at least") == std::string::npos);

  obs["port-a"].scenes[1].degraded.insert("ships");
  const auto hazy =
      corroborate({decl("port-a", "2024-03-05", "2024-03-15", Metric::MaxVessels, "3")}, obs);
  CHECK(hazy[0].verdict == Verdict::Unverifiable);
  CHECK(hazy[0].reason ==
        "haze, thin cloud or glint over the water: the ship counts of the 1 imaged scene in the "
        "period are flagged degraded (counts.json)");
}

TEST_CASE("corroboration: unverifiable without scenes, pairs or a clear view", "[unit]") {
  const auto rows = corroborate(
      {decl("port-a", "2023-01-01", "2023-12-31", Metric::Activity, "idle"),
       decl("port-a", "2024-04-15", "2024-05-15", Metric::Activity, "idle"),  // only S3 (20 %)
       decl("plant-b", "2024-03-01", "2024-06-30", Metric::NewConstruction, "none")},
      handMade());
  CHECK(rows[0].verdict == Verdict::Unverifiable);
  CHECK(rows[0].reason == "no scene in period");
  CHECK(rows[1].verdict == Verdict::Unverifiable);
  CHECK(rows[1].reason ==
        "cloud over the AOI: the 1 scene in the period are at most 20% cloud-free over the AOI");
  CHECK(rows[2].verdict == Verdict::Unverifiable);
  CHECK(rows[2].reason == "no scene pair in period");

  Observations obs = handMade();
  obs["port-a"].scenes[2].imagedFraction = 0.1;
  const auto notImaged =
      corroborate({decl("port-a", "2024-04-15", "2024-05-15", Metric::MaxVessels, "0")}, obs);
  CHECK(notImaged[0].reason.find("not imaged: ") == 0);
}

TEST_CASE("corroboration from job folders, with reviews, to json, csv and report.html",
          "[integration]") {
  const fs::path out = freshDir("corroborate");
  JobFixture f = makeJob(out);
  writeJobEvidence(f.jobDir, f.ev, f.src);
  writeJobRecord(f.jobDir, f.ev, JobRecord{});
  // A reviewer rejects one of the two ships of S2.
  const std::string rejected = f.ev.detections.at(2).id;  // S2, lower score
  std::ofstream(out / "reviews.jsonl")
      << "{\"evidence_id\":\"" << rejected << "\",\"decision\":\"confirmed\"}\n"
      << "not json\n"
      << "{\"evidence_id\":\"" << rejected << "\",\"decision\":\"rejected\"}\n";
  const ReviewDecisions reviews = readReviews(out / "reviews.jsonl");
  CHECK(reviews.at(rejected) == "rejected");

  const Observations obs = collectObservations(out, reviews);
  REQUIRE(obs.count("port-a"));
  const auto& a = obs.at("port-a");
  REQUIRE(a.scenes.size() == 2);
  CHECK(a.scenes[0].counts.at("ships") == 1);
  CHECK(a.scenes[1].counts.at("ships") == 1);  // 2 minus the rejected one
  CHECK(a.scenes[1].validFraction == Approx(150.0 / 160.0));

  const std::set<std::string> aois = {"port-a"};
  const std::vector<Declaration> decls = parseDeclarationsCsv(
      "aoi,start,end,metric,value,reference\n"
      "port-a,2024-03-01,2024-03-31,activity,idle,false on purpose\n"
      "port-a,2024-03-01,2024-03-31,max_vessels,3,\n"
      "port-a,2023-01-01,2023-02-01,max_vessels,3,\n",
      "d.csv", aois);
  const auto rows = corroborate(decls, obs, {}, reviews);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].verdict == Verdict::Discrepancy);
  CHECK(rows[0].evidenceIds.size() == 2);  // the S1 ship and the confirmed S2 ship
  CHECK(std::find(rows[0].evidenceIds.begin(), rows[0].evidenceIds.end(), rejected) ==
        rows[0].evidenceIds.end());
  CHECK(rows[1].verdict == Verdict::Consistent);
  CHECK(rows[2].verdict == Verdict::Unverifiable);

  writeCorroboration(out, rows, {});
  const auto j = nlohmann::json::parse(readBytes(out / "corroboration.json"));
  CHECK(j["verdicts"][0]["verdict"] == "discrepancy");
  CHECK(j["verdicts"][2]["reason"] == "no scene in period");
  const std::string csv = readBytes(out / "corroboration.csv");
  CHECK(csv.rfind("aoi,start,end,metric,declared,observed,verdict,reason,evidence_ids", 0) == 0);
  CHECK(csv.find("port-a,2024-03-01,2024-03-31,activity,idle,") != std::string::npos);

  writeReport(out, rows, obs, {});
  const std::string html = readBytes(out / "report.html");
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("discrepancy") != std::string::npos);
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // no network
  CHECK(html.find("https://") == std::string::npos);
  // The discrepancy's chips, by relative path, and they exist.
  const std::string chip = "port-a/S1_S2/chips/" + rows[0].evidenceIds[0] + "_before.png";
  CHECK(html.find("src=\"" + chip + "\"") != std::string::npos);
  CHECK(fs::exists(out / chip));
  CHECK(html.find("no scene in period") != std::string::npos);  // what was not imaged
}

TEST_CASE("corroboration: vessel-level rows without an AIS feed are unverifiable, saying so",
          "[unit]") {
  Observations obs;
  obs["port-a"].aoiId = "port-a";
  const auto decls = parseDeclarationsCsv(
      "aoi,start,end,metric,value,reference\n"
      "port-a,2024-03-01,2024-03-31,vessel_call,imo:9321483,r\n"
      "port-a,2024-03-01,2024-03-31,complete,true,r\n",
      "d.csv", {"port-a"});
  for (const auto& row : corroborate(decls, obs)) {
    CHECK(row.verdict == Verdict::Unverifiable);
    CHECK(row.reason == "no AIS feed in this run (the config has no ais: section)");
  }
  // A feed, but an AOI without a vessel detector: AIS is not matched there, and the reason says
  // so instead of blaming the config.
  obs["port-a"].aisFeed = true;
  for (const auto& row : corroborate(decls, obs)) {
    CHECK(row.verdict == Verdict::Unverifiable);
    CHECK(row.reason ==
          "AIS is matched only in AOIs with a vessel detector, and port-a has none (add ships to "
          "its detectors)");
  }
  // With a feed: a fix inside the AOI in the period makes the call consistent, citing the fix.
  obs["port-a"].aisFeed = obs["port-a"].aisMatched = true;
  obs["port-a"].aisFixes.push_back({366100001, "9321483", "SIM", 1709640000, true});  // 2024-03-05
  const auto rows = corroborate(decls, obs);
  CHECK(rows[0].verdict == Verdict::Consistent);
  CHECK(rows[0].evidenceIds == std::vector<std::string>{"ais:366100001@2024-03-05T12:00:00Z"});
  CHECK(rows[1].verdict == Verdict::Consistent);  // no matched detection: nothing undeclared

  // sts_transfers none: an AIS encounter (an "sts" evidence item) starting in the period is a
  // discrepancy citing its evidence id; one before the period is not.
  const auto sts = parseDeclarationsCsv(
      "aoi,start,end,metric,value,reference\n"
      "port-a,2024-03-01,2024-03-31,sts_transfers,none,r\n",
      "d.csv", {"port-a"});
  auto encounter = [](const std::string& id, const std::string& start, bool dark) {
    EvidenceItem item;
    item.id = id;
    item.type = "sts";
    item.kind = "sts";
    item.sts.id = id;
    item.sts.source = "ais";
    item.sts.mmsi1 = 366100001;
    item.sts.mmsi2 = 366100002;
    item.sts.startIso = start;
    item.sts.firstDark = dark;
    return item;
  };
  obs["port-a"].items["port-a-sts-000000000001"] =
      encounter("port-a-sts-000000000001", "2024-02-20T08:00:00Z", false);
  CHECK(corroborate(sts, obs)[0].verdict == Verdict::Consistent);
  obs["port-a"].items["port-a-sts-000000000002"] =
      encounter("port-a-sts-000000000002", "2024-03-10T08:00:00Z", true);
  const auto stsRow = corroborate(sts, obs)[0];
  CHECK(stsRow.verdict == Verdict::Discrepancy);
  CHECK(stsRow.evidenceIds == std::vector<std::string>{"port-a-sts-000000000002"});
  CHECK(stsRow.observed == "1 ship-to-ship transfer candidate(s), 1 with a dark party");
}
