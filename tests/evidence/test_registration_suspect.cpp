// Change evidence flagged registration_suspect (issue 17): shown, but not used for a
// discrepancy until a reviewer confirmed it.
#include <catch2/catch.hpp>

#include "evidence/corroboration.hpp"
#include "evidence/declarations.hpp"
#include "evidence/observations.hpp"

using namespace cw::evidence;

namespace {

// One facility pair, both dates fully imaged, with one 5000 m² change polygon.
JobEvidence facilityPair(bool suspect) {
  JobEvidence ev;
  ev.info.aoiId = "plant-b";
  ev.info.aoiKind = "facility";
  ev.info.before = {"T1", "/x/t1.tif", std::string(64, 'a'), "2024-02-01T10:00:00Z"};
  ev.info.after = {"T2", "/x/t2.tif", std::string(64, 'b'), "2024-04-01T10:00:00Z"};
  for (const auto* s : {&ev.info.before, &ev.info.after}) {
    Footprint f;
    f.sceneId = s->id;
    f.timeIso = s->timeIso;
    f.validFraction = 1.0;
    f.imagedFraction = 1.0;
    ev.footprints.push_back(f);
  }
  ChangePolygon c;
  c.id = "plant-b-change-1";
  c.areaM2 = 5000;
  c.meanScore = 3.0;
  c.registrationSuspect = suspect;
  ev.changes.push_back(c);
  return ev;
}

VerdictRow newConstructionNone(const JobEvidence& ev, const ReviewDecisions& reviews) {
  Observations obs;
  addJobObservations(obs, ev, {}, "plant-b/T1_T2", reviews);
  const auto d = parseDeclarationsCsv(
      "aoi,start,end,metric,value,reference\nplant-b,2024-01-01,2024-06-30,new_construction,none,"
      "r\n",
      "d.csv", {"plant-b"});
  return corroborate(d, obs, {}, reviews).at(0);
}

}  // namespace

TEST_CASE(
    "registration_suspect: a suspect change is kept as evidence but makes no discrepancy "
    "until confirmed",
    "[unit]") {
  // Clean: the 5000 m² change contradicts "none".
  CHECK(newConstructionNone(facilityPair(false), {}).verdict == Verdict::Discrepancy);
  // Suspect and unreviewed: not counted, and still listed among the AOI's items.
  const JobEvidence suspect = facilityPair(true);
  const VerdictRow unreviewed = newConstructionNone(suspect, {});
  CHECK(unreviewed.verdict == Verdict::Consistent);
  CHECK(unreviewed.evidenceIds.empty());
  Observations obs;
  addJobObservations(obs, suspect, {}, "plant-b/T1_T2");
  REQUIRE(obs["plant-b"].items.count("plant-b-change-1"));
  CHECK(obs["plant-b"].items.at("plant-b-change-1").registrationSuspect);
  // "unsure" is not a confirmation.
  CHECK(newConstructionNone(suspect, {{"plant-b-change-1", "unsure"}}).verdict ==
        Verdict::Consistent);
  // Confirmed by a reviewer: it counts.
  const VerdictRow confirmed = newConstructionNone(suspect, {{"plant-b-change-1", "confirmed"}});
  CHECK(confirmed.verdict == Verdict::Discrepancy);
  CHECK(confirmed.evidenceIds == std::vector<std::string>{"plant-b-change-1"});
}
