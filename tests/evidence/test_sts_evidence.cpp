// Ship-to-ship transfer candidates as evidence items (issue 20 item 6, docs/ais.md): content ids
// that cite the hulls' final ids, RFC 7946 features in evidence.geojson with chips over both
// hulls (and over an AIS encounter only when a scene of the job imaged it), read back for the
// verdicts and the report.
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "evidence/corroboration.hpp"
#include "evidence/declarations.hpp"
#include "evidence/evidence_ids.hpp"
#include "evidence/manifest.hpp"
#include "evidence/observations.hpp"
#include "evidence/report.hpp"
#include "evidence_fixture.hpp"

using namespace cw::evidence;
using namespace cw::evidence::test;

namespace {

// The fixture's job with a second after-date hull 40 m east of the one at (120, 100) (widths
// 30 m: side by side), dark, and three candidates: the hull pair, an AIS encounter during the
// after scene and one no scene of the job imaged.
JobFixture stsJob(const fs::path& out) {
  JobFixture f = makeJob(out);
  DetectionRecord partner = f.ev.detections[2];
  partner.xPx += 4.0;
  partner.lon = pixelToLonLat(f.ev.info.grid, partner.xPx, partner.yPx)[0];
  partner.lat = pixelToLonLat(f.ev.info.grid, partner.xPx, partner.yPx)[1];
  partner.score = 5.0;
  partner.ais.status = "dark";
  f.ev.detections[2].ais = {"matched", 211000001, "9000001", "ALPHA", 12.0, 30.0, 0.9};
  f.ev.detections.push_back(partner);
  StsRecord hulls;
  hulls.source = "imagery";
  hulls.sceneId = "S2";
  hulls.lon = (f.ev.detections[2].lon + partner.lon) / 2;
  hulls.lat = (f.ev.detections[2].lat + partner.lat) / 2;
  hulls.first = 2;
  hulls.second = 3;
  hulls.mmsi1 = 211000001;
  hulls.secondDark = true;
  hulls.distanceM = 40.0;
  hulls.shoreChecked = true;
  hulls.shoreDistanceM = 1234.0;
  StsRecord seen;
  seen.source = "ais";
  seen.sceneId = "S2";
  const LonLat at = pixelToLonLat(f.ev.info.grid, 60.5, 120.5);
  seen.lon = at[0];
  seen.lat = at[1];
  seen.mmsi1 = 211000002;
  seen.mmsi2 = 211000003;
  seen.startIso = "2024-03-11T08:00:00Z";
  seen.endIso = "2024-03-11T11:00:00Z";
  seen.distanceM = 150.0;
  StsRecord unseen = seen;
  unseen.sceneId = "";
  unseen.startIso = "2024-03-05T08:00:00Z";
  unseen.endIso = "2024-03-05T11:00:00Z";
  f.ev.sts = {unseen, hulls, seen};
  return f;
}

const StsRecord& bySource(const std::vector<StsRecord>& v, const std::string& source,
                          const std::string& scene) {
  const auto it = std::find_if(v.begin(), v.end(), [&](const StsRecord& s) {
    return s.source == source && s.sceneId == scene;
  });
  REQUIRE(it != v.end());
  return *it;
}

}  // namespace

TEST_CASE("STS evidence ids: content-derived, citing the hulls' ids whatever the input order",
          "[evidence][unit]") {
  const fs::path d = freshDir("sts_ids");
  JobFixture a = stsJob(d / "a");
  JobEvidence b = a.ev;
  // The runner's order reversed: the hull indices follow their detections.
  std::reverse(b.detections.begin(), b.detections.end());
  std::reverse(b.sts.begin(), b.sts.end());
  for (auto& s : b.sts) {
    if (s.first >= 0) s.first = 3 - s.first;
    if (s.second >= 0) s.second = 3 - s.second;
  }
  assignEvidenceIds(a.ev);
  assignEvidenceIds(b);
  REQUIRE(a.ev.sts.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(a.ev.sts[i].id == b.sts[i].id);
    CHECK(a.ev.sts[i].firstId == b.sts[i].firstId);
    CHECK(a.ev.sts[i].id.rfind("port-a-sts-", 0) == 0);
  }
  const StsRecord& pair = bySource(a.ev.sts, "imagery", "S2");
  CHECK(pair.first == -1);
  CHECK(pair.second == -1);
  // The hulls: the matched one (score 6) and its dark partner (score 5), by their final ids.
  const auto hull = [&](const std::string& id) {
    return *std::find_if(a.ev.detections.begin(), a.ev.detections.end(),
                         [&](const DetectionRecord& r) { return r.id == id; });
  };
  CHECK(hull(pair.firstId).ais.mmsi == 211000001);
  CHECK(hull(pair.secondId).ais.status == "dark");
  CHECK(pair.firstId != pair.secondId);
}

TEST_CASE("STS evidence: evidence.geojson features with chips, read back for verdicts",
          "[evidence][integration]") {
  const fs::path d = freshDir("sts_geojson");
  JobFixture f = stsJob(d / "out");
  const ChipIndex chips = writeJobEvidence(f.jobDir, f.ev, f.src);
  writeJobRecord(f.jobDir, f.ev, JobRecord{});
  const StsRecord pair = bySource(f.ev.sts, "imagery", "S2");
  const StsRecord seen = bySource(f.ev.sts, "ais", "S2");
  const StsRecord unseen = bySource(f.ev.sts, "ais", "");
  // Chips: the hull pair and the imaged encounter, not the encounter no scene of the job imaged.
  REQUIRE(chips.count(pair.id));
  REQUIRE(chips.count(seen.id));
  CHECK_FALSE(chips.count(unseen.id));
  for (const auto& p : {chips.at(pair.id).before, chips.at(pair.id).after, chips.at(pair.id).mask,
                        chips.at(seen.id).before}) {
    CHECK(fs::file_size(f.jobDir / p) > 0);
  }

  const nlohmann::json fc = nlohmann::json::parse(readBytes(f.jobDir / "evidence.geojson"));
  std::map<std::string, nlohmann::json> sts;
  for (const auto& feat : fc["features"]) {
    if (feat["properties"]["feature_type"] == "sts") sts[feat["id"]] = feat;
  }
  REQUIRE(sts.size() == 3);
  const auto& p = sts[pair.id]["properties"];
  CHECK(sts[pair.id]["geometry"]["type"] == "Point");
  // RFC 7946: lon first (UTM 33N at 500 km easting is at 15 E; the grid is near 54 N).
  CHECK(sts[pair.id]["geometry"]["coordinates"][0].get<double>() == Approx(15.0).margin(0.1));
  CHECK(sts[pair.id]["geometry"]["coordinates"][1].get<double>() == Approx(54.1).margin(0.1));
  CHECK(p["sts_source"] == "imagery");
  CHECK(p["scene_id"] == "S2");
  CHECK(p["first_id"] == pair.firstId);
  CHECK(p["second_id"] == pair.secondId);
  CHECK(p["mmsi"] == 211000001);
  CHECK_FALSE(p.contains("mmsi2"));
  CHECK(p["first_dark"] == 0);
  CHECK(p["second_dark"] == 1);
  CHECK(p["shore_checked"] == true);
  CHECK(p["shore_distance_m"] == 1234.0);
  CHECK(p["distance_m"] == 40.0);
  CHECK(p["chip_before"] == chips.at(pair.id).before);
  const auto& q = sts[unseen.id]["properties"];
  CHECK(q["sts_source"] == "ais");
  CHECK(q["mmsi"] == 211000002);
  CHECK(q["mmsi2"] == 211000003);
  CHECK(q["start"] == "2024-03-05T08:00:00Z");
  CHECK(q["end"] == "2024-03-05T11:00:00Z");
  CHECK(q["shore_checked"] == false);
  CHECK_FALSE(q.contains("shore_distance_m"));
  CHECK(q["chip_before"] == "");
  // detections.geojson holds the detections only.
  const nlohmann::json dets = nlohmann::json::parse(readBytes(f.jobDir / "detections.geojson"));
  for (const auto& feat : dets["features"])
    CHECK(feat["properties"]["feature_type"] == "detection");

  // Read back: the same records, and evidence items of type "sts" with their chips.
  ChipIndex back;
  const JobEvidence ev = readJobEvidence(f.jobDir, &back);
  REQUIRE(ev.sts.size() == 3);
  const StsRecord& r = bySource(ev.sts, "imagery", "S2");
  CHECK(r.id == pair.id);
  CHECK(r.firstId == pair.firstId);
  CHECK(r.secondDark);
  CHECK(r.shoreChecked);
  CHECK(r.shoreDistanceM == 1234.0);
  Observations obs;
  addJobObservations(obs, ev, back, "port-a/S1_S2");
  int items = 0;
  for (const auto& [id, item] : obs["port-a"].items) items += item.type == "sts";
  CHECK(items == 3);
  CHECK(obs["port-a"].items.at(pair.id).chipBefore == "port-a/S1_S2/" + chips.at(pair.id).before);
  CHECK(obs["port-a"].items.at(unseen.id).sts.startIso == "2024-03-05T08:00:00Z");
  // A rejected candidate is dropped like any evidence.
  Observations reviewed;
  addJobObservations(reviewed, ev, back, "port-a/S1_S2", {{pair.id, "rejected"}});
  CHECK_FALSE(reviewed["port-a"].items.count(pair.id));
}

TEST_CASE("STS evidence: sts_transfers cites the candidates' ids, the report lists them with chips",
          "[evidence][integration]") {
  const fs::path d = freshDir("sts_report");
  JobFixture f = stsJob(d / "out");
  writeJobEvidence(f.jobDir, f.ev, f.src);
  writeJobRecord(f.jobDir, f.ev, JobRecord{});
  ChipIndex chips;
  const JobEvidence ev = readJobEvidence(f.jobDir, &chips);
  Observations obs;
  addJobObservations(obs, ev, chips, "port-a/S1_S2");
  obs["port-a"].aisFeed = obs["port-a"].aisMatched = true;
  const auto decls = parseDeclarationsCsv(
      "aoi,start,end,metric,value,reference\n"
      "port-a,2024-03-08,2024-03-31,sts_transfers,none,r\n",
      "d.csv", {"port-a"});
  const auto rows = corroborate(decls, obs);
  REQUIRE(rows.size() == 1);
  const StsRecord pair = bySource(f.ev.sts, "imagery", "S2");
  const StsRecord seen = bySource(f.ev.sts, "ais", "S2");
  // In the period: the hull pair of S2 (2024-03-11) and the encounter starting that day; the one
  // of 2024-03-05 is not.
  CHECK(rows[0].verdict == Verdict::Discrepancy);
  auto cited = rows[0].evidenceIds;
  std::sort(cited.begin(), cited.end());
  std::vector<std::string> expected = {pair.id, seen.id};
  std::sort(expected.begin(), expected.end());
  CHECK(cited == expected);
  CHECK(rows[0].observed == "2 ship-to-ship transfer candidate(s), 1 with a dark party");

  writeReport(f.outDir, rows, obs, CorroborationRules{});
  const std::string html = readBytes(f.outDir / "report.html");
  CHECK_THAT(html, Catch::Contains("Ship-to-ship transfer candidates: </p><ul>"));
  CHECK_THAT(html, Catch::Contains("<code>" + pair.id + "</code> imagery, scene S2: hull " +
                                   pair.firstId + " (MMSI 211000001) and hull " + pair.secondId +
                                   " (no AIS) <b>dark</b>, 40 m apart, 1234 m from land"));
  CHECK_THAT(html, Catch::Contains("ais, 2024-03-05T08:00:00Z to 2024-03-05T11:00:00Z: MMSI "
                                   "211000002 and MMSI 211000003, 150 m apart, shore distance not "
                                   "checked"));
  // The discrepancy shows the cited candidates' chips.
  CHECK_THAT(html, Catch::Contains("port-a/S1_S2/" + chips.at(pair.id).before));
}
