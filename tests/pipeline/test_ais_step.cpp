// The merge's AIS step (pipeline/ais_step.hpp): the AOIs' stores as vessel-level observations.
#include <catch2/catch.hpp>

#include "evidence/observations.hpp"
#include "pipeline/ais_step.hpp"
#include "tests/test_support.hpp"
#include "vessels/ais_store.hpp"

using namespace cw;
namespace fs = std::filesystem;

TEST_CASE("The merge reads each AOI's AIS store once: both observation passes share the fixes",
          "[pipeline][unit]") {
  test::TempDir dir;
  pipeline::Config config;
  config.output = dir.path();
  config.ais.files = {dir / "feed.csv"};  // only makes the ais: section enabled
  pipeline::Aoi aoi;
  aoi.id = "port";
  aoi.polygon = {{10.0, 50.0}, {10.1, 50.0}, {10.1, 50.1}, {10.0, 50.1}, {10.0, 50.0}};
  pipeline::DetectorConfig ships;
  ships.name = "ships";
  aoi.detectors = {ships};
  pipeline::Aoi facility = aoi;  // the same place without a vessel detector: AIS is not matched
  facility.id = "facility";
  facility.detectors.clear();
  config.aois = {aoi, facility};
  vessels::AoiFixes store;
  store.aoiId = "port";
  vessels::AisFix inside, outside;
  inside.mmsi = outside.mmsi = 219000001;
  inside.timeS = 1000, inside.lon = 10.05, inside.lat = 50.05;
  outside.timeS = 1060, outside.lon = 10.2, outside.lat = 50.05;
  store.fixes = {inside, outside};
  vessels::VesselStatic alpha;
  alpha.mmsi = 219000001;
  alpha.name = "ALPHA";
  alpha.imo = "9123456";
  store.vessels[alpha.mmsi] = alpha;
  fs::create_directories(dir / "port");
  vessels::writeAisGeoPackage(dir / "port" / "ais.gpkg", store);

  pipeline::AisFixCache cache;
  evidence::Observations first;
  first["port"].aoiId = "port";
  first["other"].aoiId = "other";  // an AOI the config does not have: left alone
  first["facility"].aoiId = "facility";
  pipeline::addAisObservations(config, first, cache);
  REQUIRE(first["port"].aisFixes.size() == 2);
  CHECK(first["port"].aisFeed);
  CHECK(first["port"].aisMatched);
  CHECK(first["facility"].aisFeed);
  CHECK_FALSE(first["facility"].aisMatched);
  CHECK(first["facility"].aisFixes.empty());
  CHECK(first["port"].aisFixes[0].inAoi);
  CHECK_FALSE(first["port"].aisFixes[1].inAoi);  // 10.2 E is east of the polygon
  CHECK(first["port"].aisFixes[0].name == "ALPHA");
  CHECK(first["port"].aisFixes[0].imo == "9123456");
  CHECK_FALSE(first["other"].aisFeed);

  // With the store gone, the second pass still gets the fixes: they come from the cache, not
  // from a second read. A fresh cache would read the (now missing) store and get none.
  fs::remove(dir / "port" / "ais.gpkg");
  evidence::Observations second;
  second["port"].aoiId = "port";
  pipeline::addAisObservations(config, second, cache);
  REQUIRE(second["port"].aisFixes.size() == 2);
  CHECK(second["port"].aisFixes[1].timeS == 1060);
  pipeline::AisFixCache fresh;
  evidence::Observations third;
  third["port"].aoiId = "port";
  pipeline::addAisObservations(config, third, fresh);
  CHECK(third["port"].aisFeed);
  CHECK(third["port"].aisFixes.empty());
}
