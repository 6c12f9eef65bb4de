// Ship-to-ship transfer rules: hull pairs from imagery, AIS encounters (docs/ais.md).
#include <catch2/catch.hpp>

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

TEST_CASE("STS from AIS: the encounter rule (500 m, 2 h, < 2 kn) finds the drifting pair only",
          "[vessels][unit]") {
  const std::int64_t t0 = utcSeconds(2024, 6, 1, 0, 0, 0);
  AoiFixes ais;
  const auto add = [&](std::uint32_t mmsi, double eastM, double northM, float sog,
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
  };
  add(211000001, 0, 0, 0.5f, t0, t0 + 4 * 3600);  // the pair, 150 m apart for 3 h
  add(211000002, 150, 0, 0.8f, t0 + 3600, t0 + 4 * 3600);
  add(211000003, 5000, 0, 0.5f, t0, t0 + 4 * 3600);  // 300 m from 4, but only 1 h together
  add(211000004, 5300, 0, 0.5f, t0, t0 + 3600);
  add(211000005, 9000, 0, 8.0f, t0, t0 + 4 * 3600);  // 100 m from 6 for 4 h, but at 8 kn
  add(211000006, 9100, 0, 8.0f, t0, t0 + 4 * 3600);
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
}
