// Ship-to-ship transfer rules: hull pairs from imagery, AIS encounters (docs/ais.md).
#include <catch2/catch.hpp>

#include <memory>

#include <ogr_spatialref.h>
#include <opencv2/core.hpp>

#include "tiles/land_distance.hpp"
#include "vessels/ais_format.hpp"
#include "vessels/sts_rules.hpp"
#include "vessels/track_interpolation.hpp"

using namespace cw::vessels;

namespace {

// (lon, lat) `eastM` east and `northM` north of (10, 54).
std::pair<double, double> at(double eastM, double northM) {
  double lon = 0, lat = 0, lon2 = 0, lat2 = 0;
  destination(10.0, 54.0, 90.0, eastM, lon, lat);
  destination(lon, lat, 0.0, northM, lon2, lat2);
  return {lon2, lat2};
}

// Fixes of one vessel every 5 min from `from` to `to`, held at one position at `sog` knots.
void addFixes(AoiFixes& ais, std::uint32_t mmsi, double eastM, double northM, float sog,
              std::int64_t from, std::int64_t to) {
  for (std::int64_t t = from; t <= to; t += 300) {
    const auto [lon, lat] = at(eastM, northM);
    AisFix f;
    f.mmsi = mmsi;
    f.timeS = t;
    f.lon = lon;
    f.lat = lat;
    f.sogKn = sog;
    ais.fixes.push_back(f);
  }
}

HullObservation hull(double eastM, double northM, double lengthM, double widthM,
                     double headingDeg) {
  const auto [lon, lat] = at(eastM, northM);
  return {lon, lat, lengthM, widthM, headingDeg};
}

}  // namespace

TEST_CASE(
    "STS from imagery: side-by-side hulls pair, short, misaligned, distant or near-shore ones do "
    "not",
    "[vessels][unit]") {
  const std::vector<HullObservation> hulls = {
      hull(0, 0, 200, 32, 10),       // 0: pairs with 1 (centres 40 m apart <= 32/2 + 28/2 + 20)
      hull(40, 0, 180, 28, 178),     // 1: axis 178 vs 10 = 12 degrees apart
      hull(2000, 0, 200, 32, 10),    // 2: next to 3, but 3 is 50 m long
      hull(2035, 0, 50, 10, 10),     // 3
      hull(4000, 0, 200, 32, 10),    // 4: next to 5, axes 40 degrees apart
      hull(4040, 0, 200, 32, 50),    // 5
      hull(6000, 0, 200, 32, 90),    // 6: 6 and 7 are 100 m apart: too far
      hull(6000, 100, 200, 32, 90),  // 7
  };
  const auto pairs = findHullPairs(hulls, HullPairRule{});
  REQUIRE(pairs.size() == 1);
  CHECK(pairs[0].first == 0);
  CHECK(pairs[0].second == 1);
  CHECK(pairs[0].centreDistanceM == Approx(40.0).margin(0.1));
  CHECK(pairs[0].headingDiffDeg == Approx(12.0));
  CHECK_FALSE(pairs[0].shoreChecked);
  // A shore 500 m away rules the pair out (the rule wants 1 km of water).
  const auto nearShore = findHullPairs(hulls, HullPairRule{}, [](double, double) { return 500.0; });
  CHECK(nearShore.empty());
  const auto offshore = findHullPairs(hulls, HullPairRule{}, [](double, double) { return 5000.0; });
  REQUIRE(offshore.size() == 1);
  CHECK(offshore[0].shoreChecked);
}

TEST_CASE("STS from AIS: the encounter rule (500 m, 2 h, < 2 kn) finds the drifting pair once",
          "[vessels][unit]") {
  const std::int64_t t0 = utcSeconds(2024, 6, 1, 0, 0, 0);
  AoiFixes ais;
  addFixes(ais, 211000001, 0, 0, 0.5f, t0, t0 + 4 * 3600);  // the pair, 150 m apart for 3 h
  addFixes(ais, 211000002, 150, 0, 0.8f, t0 + 3600, t0 + 4 * 3600);
  addFixes(ais, 211000003, 5000, 0, 0.5f, t0,
           t0 + 4 * 3600);  // 300 m from 4, but only 1 h together
  addFixes(ais, 211000004, 5300, 0, 0.5f, t0, t0 + 3600);
  addFixes(ais, 211000005, 9000, 0, 8.0f, t0, t0 + 4 * 3600);  // 100 m from 6 for 4 h, but at 8 kn
  addFixes(ais, 211000006, 9100, 0, 8.0f, t0, t0 + 4 * 3600);
  std::sort(ais.fixes.begin(), ais.fixes.end(), [](const AisFix& a, const AisFix& b) {
    return a.mmsi != b.mmsi ? a.mmsi < b.mmsi : a.timeS < b.timeS;
  });
  const auto e = findEncounters(ais, t0, t0 + 4 * 3600, EncounterRule{});
  REQUIRE(e.size() == 1);
  CHECK(e[0].mmsi1 == 211000001);
  CHECK(e[0].mmsi2 == 211000002);
  CHECK(e[0].startS == t0 + 3600);
  CHECK(e[0].endS == t0 + 4 * 3600);
  CHECK(e[0].medianDistanceM == Approx(150.0).margin(0.5));
  // Within 10 km of shore the encounter is not counted.
  CHECK(findEncounters(ais, t0, t0 + 4 * 3600, EncounterRule{}, [](double, double) {
          return 2000.0;
        }).empty());

  // Two scenes 2 h apart (two passes on one day) with 3 h windows: one merged window, so the
  // encounter is found once, not once per scene.
  const auto w = mergedWindows({t0 + 3 * 3600, t0 + 1 * 3600}, 3 * 3600);
  REQUIRE(w.size() == 1);
  CHECK(w[0] == std::pair<std::int64_t, std::int64_t>{t0 - 2 * 3600, t0 + 6 * 3600});
  CHECK(findEncounters(ais, w[0].first, w[0].second, EncounterRule{}).size() == 1);
  // Scenes a day apart keep their own windows.
  CHECK(mergedWindows({t0, t0 + 86400}, 3 * 3600).size() == 2);
}

namespace {

// A 600×400 UTM 32N grid at 10 m whose pixel (300, 200) is at (10, 54), the origin of at(), with
// land in the columns x >= landCol ((landCol - 300) × 10 m east of the origin). The grid edges are
// 2 km north and south of the origin, 3 km west.
cw::tiles::LandDistance eastLand(int landCol) {
  OGRSpatialReference utm, wgs;
  utm.importFromEPSG(32632);
  wgs.importFromEPSG(4326);
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> t(OGRCreateCoordinateTransformation(&wgs, &utm));
  double x = 10.0, y = 54.0;
  REQUIRE(t->Transform(1, &x, &y));
  cw::tiles::GridSpec g;
  char* wkt = nullptr;
  utm.exportToWkt(&wkt);
  g.wkt = wkt;
  CPLFree(wkt);
  g.geoTransform = {x - 3000.0, 10.0, 0.0, y + 2000.0, 0.0, -10.0};
  g.width = 600;
  g.height = 400;
  cv::Mat land(g.height, g.width, CV_8U, cv::Scalar(0));
  if (landCol < g.width) land.colRange(landCol, g.width).setTo(255);
  return cw::tiles::LandDistance(land, cv::Mat(), g);
}

ShoreDistance shoreOf(const cw::tiles::LandDistance& d) {
  return [&d](double lon, double lat) { return d.distanceM(lon, lat); };
}

}  // namespace

TEST_CASE("STS with a land mask: a hull pair 500 m from land is rejected, one 1.5 km away kept",
          "[vessels][unit]") {
  const std::vector<HullObservation> hulls = {hull(0, 0, 200, 32, 10), hull(40, 0, 180, 28, 178)};
  // Land 50 px (500 m) east of the first hull: nearer than the rule's 1 km.
  const auto near = eastLand(350);
  CHECK(findHullPairs(hulls, HullPairRule{}, shoreOf(near)).empty());
  // Land 1.5 km east, nearer than every grid edge: known.
  const auto far = eastLand(450);
  const auto pairs = findHullPairs(hulls, HullPairRule{}, shoreOf(far));
  REQUIRE(pairs.size() == 1);
  CHECK(pairs[0].shoreChecked);
  // The nearer hull (40 m east of the first) is 1460 m from land, +/- a 10 m pixel.
  CHECK(pairs[0].shoreDistanceM == Approx(1460.0).margin(10.0));
  // No land on the grid: the nearest land may be beyond its edge, so not checked, not rejected.
  const auto none = eastLand(600);
  const auto unchecked = findHullPairs(hulls, HullPairRule{}, shoreOf(none));
  REQUIRE(unchecked.size() == 1);
  CHECK_FALSE(unchecked[0].shoreChecked);
  // A configured smaller distance admits the near pair.
  HullPairRule rule;
  rule.minShoreDistanceM = 250.0;
  const auto admitted = findHullPairs(hulls, rule, shoreOf(near));
  REQUIRE(admitted.size() == 1);
  CHECK(admitted[0].shoreChecked);
}

TEST_CASE("STS with a land mask: an AIS encounter 500 m from land is rejected at 1 km",
          "[vessels][unit]") {
  const std::int64_t t0 = utcSeconds(2024, 6, 1, 0, 0, 0);
  AoiFixes ais;
  addFixes(ais, 211000001, 0.0, 0.0, 0.5f, t0, t0 + 3 * 3600);
  addFixes(ais, 211000002, 150.0, 0.0, 0.5f, t0, t0 + 3 * 3600);
  EncounterRule rule;
  rule.minShoreDistanceM = 1000.0;
  // The pair's mean position is 75 m east of the origin: land 500 m east of it is 425 m away.
  const auto near = eastLand(350);
  CHECK(findEncounters(ais, t0, t0 + 3 * 3600, rule, shoreOf(near)).empty());
  const auto far = eastLand(450);
  const auto kept = findEncounters(ais, t0, t0 + 3 * 3600, rule, shoreOf(far));
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].shoreChecked);
  CHECK(kept[0].shoreDistanceM == Approx(1425.0).margin(10.0));
  // Known to be 1.4 km from land: the default 10 km rejects it.
  CHECK(findEncounters(ais, t0, t0 + 3 * 3600, EncounterRule{}, shoreOf(far)).empty());
  // No land on the grid (the nearest may be beyond its edge): kept, shore not checked.
  const auto none = eastLand(600);
  const auto unchecked = findEncounters(ais, t0, t0 + 3 * 3600, EncounterRule{}, shoreOf(none));
  REQUIRE(unchecked.size() == 1);
  CHECK_FALSE(unchecked[0].shoreChecked);
}
