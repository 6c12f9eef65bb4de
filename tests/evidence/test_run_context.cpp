// Verdict reasons from the plan and the jobs' states (issue 17): "no scene in period" only when
// that is what happened.
#include <catch2/catch.hpp>

#include "core/iso_time.hpp"
#include "evidence/declarations.hpp"
#include "evidence/run_context.hpp"

using namespace cw::evidence;

namespace {

// A port AOI with no observed scene in March 2024: corroborate() says "no scene in period".
std::vector<VerdictRow> noSceneRow() {
  const auto d = parseDeclarationsCsv(
      "aoi,start,end,metric,value,reference\nport-a,2024-03-01,2024-03-31,max_vessels,4,r\n",
      "d.csv", {"port-a"});
  auto rows = corroborate(d, Observations{});
  REQUIRE(rows.at(0).reason == "no scene in period");
  return rows;
}

std::string reasonWith(const AoiRunContext& ctx) {
  auto rows = noSceneRow();
  explainWithRunContext(rows, {{"port-a", ctx}});
  CHECK(rows[0].verdict == Verdict::Unverifiable);
  return rows[0].reason;
}

std::int64_t t(const char* iso) {
  return cw::parseIsoTime(iso).value();
}

}  // namespace

TEST_CASE("run context: each cause of a missing observation has its own reason", "[unit]") {
  AoiRunContext none;
  CHECK(reasonWith(none) == "no scene in period");

  AoiRunContext skipped;
  skipped.planError =
      "all scenes skipped (/d/a.tif: has 3 band(s) but its nir band is band 4 (sensor.bands.nir))";
  CHECK(reasonWith(skipped) == skipped.planError);

  AoiRunContext noOverlap;
  noOverlap.planError = "no scene overlaps the AOI";
  CHECK(reasonWith(noOverlap) == "no scene overlaps the AOI");

  AoiRunContext blank;
  blank.scenes = {{"S1", t("2024-03-05T10:00:00Z"), 0.0, 0.0, false},
                  {"S2", t("2024-03-15T10:00:00Z"), 0.0, 0.0, false}};
  CHECK(reasonWith(blank) == "not imaged: the 2 scenes in the period image none of the AOI");

  AoiRunContext edge;
  edge.scenes = {{"S1", t("2024-03-05T10:00:00Z"), 0.3, 0.3, true}};
  edge.scenes[0].used = false;
  CHECK(reasonWith(edge) == "not imaged: the 1 scene in the period cover at most 30% of the AOI");

  AoiRunContext cloudy;
  cloudy.scenes = {{"S1", t("2024-03-05T10:00:00Z"), 1.0, 0.1, false}};
  CHECK(reasonWith(cloudy) ==
        "cloud over the AOI: the 1 scene in the period are at most 10% cloud-free over the AOI");

  AoiRunContext lone;
  lone.scenes = {{"S1", t("2024-03-05T10:00:00Z"), 1.0, 1.0, true}};
  CHECK_THAT(reasonWith(lone), Catch::StartsWith("only one usable scene (S1) and no pair"));

  // A scene outside the period changes nothing.
  AoiRunContext elsewhere;
  elsewhere.scenes = {{"S9", t("2024-05-05T10:00:00Z"), 0.0, 0.0, false}};
  CHECK(reasonWith(elsewhere) == "no scene in period");
}

TEST_CASE(
    "run context: a failed job with a scene in the period makes the verdict unverifiable, "
    "a discrepancy stays",
    "[unit]") {
  AoiRunContext failed;
  failed.unfinished = {{7, "port-a/S1_S2", t("2024-02-20T10:00:00Z"), t("2024-03-05T10:00:00Z"),
                        "/o/port-a/S1_S2/before.tif: cannot read window 0,0 512x512: "
                        "TIFFReadEncodedTile() failed\nmore"}};
  CHECK(reasonWith(failed) ==
        "processing failed (job 7: /o/port-a/S1_S2/before.tif: cannot read window 0,0 512x512: "
        "TIFFReadEncodedTile() failed)");
  AoiRunContext killed;
  killed.unfinished = {
      {2, "port-a/S1_S2", t("2024-03-02T10:00:00Z"), t("2024-03-05T10:00:00Z"), ""}};
  CHECK_THAT(reasonWith(killed), Catch::StartsWith("processing failed (job 2: did not complete"));

  auto rows = noSceneRow();
  rows[0].verdict = Verdict::Discrepancy;
  rows[0].reason = "declared 4, but 9 ships seen";
  explainWithRunContext(rows, {{"port-a", failed}});
  CHECK(rows[0].verdict == Verdict::Discrepancy);
  // A failed job outside the period does not touch the verdict.
  AoiRunContext before;
  before.unfinished = {
      {1, "port-a/S0_S1", t("2024-01-01T10:00:00Z"), t("2024-02-01T10:00:00Z"), "x"}};
  CHECK(reasonWith(before) == "no scene in period");
}
