// Interpolation of AIS tracks at acquisition times, the GeoPackage store, and detection-vessel
// matching (docs/ais.md).
#include <catch2/catch.hpp>

#include "tests/test_support.hpp"
#include "vessels/ais_format.hpp"
#include "vessels/ais_ingest.hpp"
#include "vessels/ais_store.hpp"
#include "vessels/track_interpolation.hpp"
#include "vessels/vessel_matching.hpp"

using namespace cw;
using namespace cw::vessels;
using Catch::Contains;
using Catch::WithinAbs;

namespace {

const fs::path kAis = fs::path(CW_SHARED_DATA) / "ais";

AoiFixes bostonTracks() {
  AisConfig c;
  c.generic.columns = {{"mmsi", "mmsi"},      {"time", "basedatetime"}, {"lat", "Y"},
                       {"lon", "X"},          {"sog", "sog"},           {"cog", "cog"},
                       {"heading", "heading"}};
  return ingestAis({kAis / "boston_harbor_2014-01.csv"}, c, {}).aois.at(0);
}

std::span<const AisFix> trackOf(const AoiFixes& a, std::uint32_t mmsi) {
  const auto first =
      std::find_if(a.fixes.begin(), a.fixes.end(), [&](const AisFix& f) { return f.mmsi == mmsi; });
  const auto last =
      std::find_if(first, a.fixes.end(), [&](const AisFix& f) { return f.mmsi != mmsi; });
  return {&*first, static_cast<size_t>(last - first)};
}

AisFix fix(std::uint32_t mmsi, std::int64_t t, double lon, double lat, float sog = 10,
           float cog = 90) {
  AisFix f;
  f.mmsi = mmsi;
  f.timeS = t;
  f.lon = lon;
  f.lat = lat;
  f.sogKn = sog;
  f.cogDeg = cog;
  return f;
}

}  // namespace

TEST_CASE("Boston Harbor: interpolation between real fixes, and at a fix's own time",
          "[vessels][real]") {
  REQUIRE(test::haveSharedData());
  const auto a = bostonTracks();
  const auto track = trackOf(a, 215020081);
  REQUIRE(track.size() == 534);
  InterpolationOptions o;
  // Halfway between the fixes at 09:48:32 (-70.8065, 42.396) and 09:49:32 (-70.809833, 42.395167).
  const auto mid = positionAt(track, utcSeconds(2014, 1, 5, 9, 49, 2), o);
  REQUIRE(mid);
  CHECK(mid->method == VesselPosition::Method::Interpolated);
  CHECK_THAT(mid->lon, WithinAbs((-70.8065 - 70.809833) / 2, 1e-9));
  CHECK_THAT(mid->lat, WithinAbs((42.396 + 42.395167) / 2, 1e-9));
  CHECK(mid->dtS == 30);
  CHECK_THAT(mid->speedKn, WithinAbs(9.1, 1e-4));  // the larger SOG of the two fixes
  const auto at = positionAt(track, utcSeconds(2014, 1, 5, 9, 51, 33), o);
  REQUIRE(at);
  CHECK_THAT(at->lon, WithinAbs(-70.815833, 1e-9));
  CHECK_THAT(at->lat, WithinAbs(42.394167, 1e-9));
  CHECK(at->dtS == 0);
  // 3 h before the first fix of the vessel there is nothing to place it from.
  CHECK_FALSE(positionAt(track, utcSeconds(2014, 1, 5, 6, 48, 31), o));
}

TEST_CASE(
    "Boston Harbor leave-one-out: each fix interpolated from its neighbours is within 15 m "
    "(median) and "
    "50 m (95th percentile) of the real fix",
    "[vessels][real]") {
  REQUIRE(test::haveSharedData());
  auto a = bostonTracks();
  std::vector<double> errors;
  InterpolationOptions o;
  auto& fx = a.fixes;
  for (size_t i = 1; i + 1 < fx.size(); ++i) {
    if (fx[i - 1].mmsi != fx[i].mmsi || fx[i + 1].mmsi != fx[i].mmsi) continue;
    if (fx[i + 1].timeS - fx[i - 1].timeS > 300) continue;
    // Marking the fix as a jump hides it from the interpolation.
    fx[i].positionJump = true;
    const auto p = positionAt(trackOf(a, fx[i].mmsi), fx[i].timeS, o);
    fx[i].positionJump = false;
    REQUIRE(p);
    errors.push_back(distanceM(p->lon, p->lat, fx[i].lon, fx[i].lat));
  }
  // Python on the same CSV: 894 fixes, median 9.3 m, 95th percentile 35.3 m.
  REQUIRE(errors.size() == 894);
  std::sort(errors.begin(), errors.end());
  CHECK(errors[errors.size() / 2] < 15.0);
  CHECK(errors[errors.size() * 95 / 100] < 50.0);
}

TEST_CASE("Dead reckoning from one side is bounded by max_dead_reckon_s, slow vessels are held",
          "[vessels][unit]") {
  const std::int64_t t0 = utcSeconds(2024, 5, 1, 10, 0, 0);
  const std::vector<AisFix> east = {fix(366000001, t0, 0.0, 0.0 + 1e-9, 10, 90)};
  InterpolationOptions o;
  o.maxDeadReckonS = 1800;
  const auto p10 = positionAt(east, t0 + 600, o);
  REQUIRE(p10);
  CHECK(p10->method == VesselPosition::Method::DeadReckoned);
  CHECK(p10->dtS == 600);
  CHECK_THAT(distanceM(0, 0, p10->lon, p10->lat),
             WithinAbs(10 * 1852.0 / 3600 * 600, 1.0));  // 3087 m east
  CHECK(p10->lon > 0);
  const auto before = positionAt(east, t0 - 600, o);  // backwards along the course
  REQUIRE(before);
  CHECK(before->lon < 0);
  const auto p2h = positionAt(east, t0 + 7200, o);  // bounded at 30 min
  REQUIRE(p2h);
  CHECK_THAT(distanceM(0, 0, p2h->lon, p2h->lat), WithinAbs(10 * 1852.0 / 3600 * 1800, 1.0));
  CHECK(p2h->dtS == 7200);
  const std::vector<AisFix> anchored = {fix(366000002, t0, 1.0, 1.0, 0.1, 200)};
  const auto held = positionAt(anchored, t0 + 900, o);
  REQUIRE(held);
  CHECK(held->method == VesselPosition::Method::Held);
  CHECK(held->lon == 1.0);
}

TEST_CASE(
    "The AIS GeoPackage: ogrinfo lists the layers and the R-tree index, fixes read back equal",
    "[vessels][integration]") {
  REQUIRE(test::haveSharedData());
  test::TempDir dir;
  const auto a = bostonTracks();
  const auto path = dir / "boston" / "ais.gpkg";
  writeAisGeoPackage(path, a);
  const auto info = test::run("ogrinfo -ro -so " + path.string());
  CHECK_THAT(info.output, Contains("ais_fixes (Point)"));
  CHECK_THAT(info.output, Contains("ais_tracks (Line String)"));
  CHECK_THAT(info.output, Contains("ais_vessels (None)"));
  const auto rtree =
      test::run("ogrinfo -ro " + path.string() +
                " -sql \"SELECT HasSpatialIndex('ais_fixes', 'geom') AS fixes_rtree, "
                "HasSpatialIndex('ais_tracks', 'geom') AS tracks_rtree\"");
  CHECK_THAT(rtree.output, Contains("fixes_rtree (Integer) = 1"));
  CHECK_THAT(rtree.output, Contains("tracks_rtree (Integer) = 1"));
  const auto count = test::run("ogrinfo -ro -so " + path.string() + " ais_tracks");
  CHECK_THAT(count.output, Contains("Feature Count: 4"));

  const auto back = readAisGeoPackage(path);
  REQUIRE(back.fixes.size() == 972);
  for (size_t i = 0; i < back.fixes.size(); ++i) {
    CHECK(back.fixes[i].mmsi == a.fixes[i].mmsi);
    CHECK(back.fixes[i].timeS == a.fixes[i].timeS);
    CHECK(back.fixes[i].lon == a.fixes[i].lon);
    CHECK(back.fixes[i].lat == a.fixes[i].lat);
    CHECK(back.fixes[i].sogKn == a.fixes[i].sogKn);
  }
  CHECK(back.vessels.size() == 4);
  CHECK_FALSE(fs::exists(dir / "boston" / ".ais.gpkg.tmp"));
}

TEST_CASE("Matching: matched, dark and unseen (spoofing vs missed) on a made-up scene",
          "[vessels][unit]") {
  const std::int64_t t = utcSeconds(2024, 5, 1, 10, 0, 0);
  AoiFixes ais;
  // A: fixes 60 s before and after, moving east at 10 kn; B: 20 km away (no detection there);
  // C: 250 m long, at anchor inside the footprint, not detected; D: 8 m long, likewise.
  ais.fixes = {fix(211000001, t - 60, 10.000, 54.0), fix(211000001, t + 60, 10.005, 54.0),
               fix(211000002, t - 30, 10.300, 54.0),
               fix(211000003, t - 100, 10.050, 54.02, 0, kUnknown),
               fix(211000004, t - 100, 10.060, 54.02, 0, kUnknown)};
  ais.vessels[211000001] = {211000001, "ALPHA", "9000001", "", "", "A", 180.0f, 30.0f};
  ais.vessels[211000002] = {211000002, "BRAVO", "", "", "", "A", 100.0f, 20.0f};
  ais.vessels[211000003] = {211000003, "CHARLIE", "", "", "", "A", 250.0f, 40.0f};
  ais.vessels[211000004] = {211000004, "DELTA", "", "", "", "B", 8.0f, 3.0f};
  SceneMatchInput in;
  in.timeS = t;
  in.ais = &ais;
  in.config.match.minDetectableLengthM = 30;
  in.inFootprint = [](double lon, double) { return lon < 10.2; };
  const std::vector<ShipObservation> dets = {{10.0026, 54.0005, 170.0}, {10.1, 53.95, 90.0}};
  const auto r = matchScene(dets, in);
  CHECK(r.aisCoverage);
  REQUIRE(r.vessels.size() == 4);
  REQUIRE(r.detections.size() == 2);
  CHECK(r.detections[0].status == AisStatus::Matched);
  CHECK(r.detections[0].mmsi == 211000001);
  CHECK(r.detections[0].imo == "9000001");
  CHECK(r.detections[0].vesselName == "ALPHA");
  CHECK(r.detections[0].dtS == 60);
  // The interpolated position is (10.0025, 54.0): 7 m east-west and 56 m north of the detection.
  CHECK_THAT(r.detections[0].distanceM, WithinAbs(56.0, 1.5));
  CHECK(r.detections[0].score > 0.9);
  CHECK(r.detections[1].status == AisStatus::Dark);
  REQUIRE(r.unseen.size() == 2);  // C and D; B is outside the footprint
  CHECK(r.vessels[static_cast<size_t>(r.unseen[0].vessel)].mmsi == 211000003);
  CHECK(r.unseen[0].likely == "spoofing");
  CHECK(r.vessels[static_cast<size_t>(r.unseen[1].vessel)].mmsi == 211000004);
  CHECK(r.unseen[1].likely == "missed");
  CHECK(std::string(statusName(r.detections[1].status)) == "dark");
  CHECK(r.unseen[0].why == "AIS length 250 m, long enough to be seen, distance to land unknown");
  CHECK(r.unseen[1].why == "AIS length 8 m is below the detector's minimum of 30 m");

  // With the distance to land known: C within 100 m of land is alongside a quay, where the
  // detector misses most hulls, so a miss is likelier than a false position; 101 m is open water.
  for (const double landM : {60.0, 101.0}) {
    in.landDistanceM = [landM](double, double) { return std::optional<double>(landM); };
    const auto q = matchScene(dets, in);
    REQUIRE(q.unseen.size() == 2);
    INFO("land at " << landM << " m");
    CHECK(q.unseen[0].likely == (landM <= 100.0 ? "missed" : "spoofing"));
    CHECK(q.unseen[1].likely == "missed");  // too short, whatever the shore
  }
  CHECK(matchScene(dets, in).unseen[0].why ==
        "AIS length 250 m, long enough to be seen, 101 m from land");
  in.landDistanceM = [](double, double) { return std::optional<double>(60.0); };
  CHECK(matchScene(dets, in).unseen[0].why ==
        "alongside the shore (60 m from land), where the ship detector misses most hulls");
  // Inside land: 40 m is a hull the water model called land (a miss); 400 m is a position no
  // ship can have, whatever its length (spoofing, also for the 8 m boat).
  in.landDistanceM = [](double, double) { return std::optional<double>(-40.0); };
  auto q = matchScene(dets, in);
  CHECK(q.unseen[0].likely == "missed");
  CHECK(q.unseen[0].why ==
        "alongside the shore (40 m inside land), where the ship detector misses most hulls");
  in.landDistanceM = [](double, double) { return std::optional<double>(-400.0); };
  q = matchScene(dets, in);
  CHECK(q.unseen[0].likely == "spoofing");
  CHECK(q.unseen[1].likely == "spoofing");
  CHECK(q.unseen[1].why == "broadcast position 400 m inside land");
}

TEST_CASE("Matching is optimal one-to-one, not greedy", "[vessels][unit]") {
  const std::int64_t t = utcSeconds(2024, 5, 1, 10, 0, 0);
  AoiFixes ais;
  // Both vessels at anchor (gate = base radius 500 m). Detection 0 is nearest to vessel 1, but
  // detection 1 can only take vessel 1: greedy nearest-first would leave detection 1 dark.
  ais.fixes = {fix(211000001, t, 10.0, 54.0, 0), fix(211000002, t, 10.0, 54.004, 0)};
  SceneMatchInput in;
  in.timeS = t;
  in.ais = &ais;
  const std::vector<ShipObservation> dets = {{10.0, 54.0019, 0.0}, {10.0, 53.9975, 0.0}};
  const auto r = matchScene(dets, in);
  REQUIRE(r.detections.size() == 2);
  CHECK(r.detections[0].status == AisStatus::Matched);
  CHECK(r.detections[1].status == AisStatus::Matched);
  CHECK(r.detections[0].mmsi == 211000002);  // 234 m
  CHECK(r.detections[1].mmsi == 211000001);  // 278 m
}

TEST_CASE("Matching statuses without AIS in the window, or without a time of day",
          "[vessels][unit]") {
  const std::int64_t t = utcSeconds(2024, 5, 1, 10, 0, 0);
  AoiFixes ais;
  ais.fixes = {fix(211000001, t - 4 * 3600, 10.0, 54.0)};  // outside +/- 3 h
  SceneMatchInput in;
  in.timeS = t;
  in.ais = &ais;
  const std::vector<ShipObservation> dets = {{10.0, 54.0, 100.0}};
  CHECK(matchScene(dets, in).detections[0].status == AisStatus::NoAisCoverage);
  in.timeS.reset();
  CHECK(matchScene(dets, in).detections[0].status == AisStatus::NoTime);
  in.timeS = t - 3 * 3600;
  const auto r = matchScene(dets, in);
  CHECK(r.detections[0].status == AisStatus::Matched);
}

TEST_CASE("Matching: lengths further apart than min_length_ratio (0.25) never match",
          "[vessels][unit]") {
  const std::int64_t t = utcSeconds(2024, 5, 1, 10, 0, 0);
  AoiFixes ais;
  ais.fixes = {fix(211000001, t, 10.0, 54.0, 0)};
  ais.vessels[211000001] = {211000001, "LONG", "", "", "", "A", 117.0f, 20.0f};
  SceneMatchInput in;
  in.timeS = t;
  in.ais = &ais;
  // 46 m away: a 12 m fragment (12 / 117 = 0.10) stays dark, a 40 m hull (0.34) matches.
  const std::vector<ShipObservation> fragment = {{10.0, 54.000413, 12.0}};
  CHECK(matchScene(fragment, in).detections[0].status == AisStatus::Dark);
  const std::vector<ShipObservation> hull = {{10.0, 54.000413, 40.0}};
  CHECK(matchScene(hull, in).detections[0].status == AisStatus::Matched);
  in.config.match.minLengthRatio = 0.0;  // the condition off
  CHECK(matchScene(fragment, in).detections[0].status == AisStatus::Matched);
}
