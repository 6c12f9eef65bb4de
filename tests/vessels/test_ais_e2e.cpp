// End to end: a simulated run with an AIS feed made from the simulator's truth (AIS on for three
// ships in four, dark for the fourth, and one vessel broadcasting a position where no ship is).
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/test_support.hpp"
#include "vessels/ais_format.hpp"
#include "vessels/ais_ingest.hpp"

using namespace cw;
using Catch::Contains;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json readJson(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

constexpr std::uint32_t kMmsiBase = 366100000;
constexpr std::uint32_t kSpoofed = 366199999;
constexpr std::uint32_t kElsewhere = 366188888;  // sails 2 km east of the port AOI throughout

struct AisRun {
  test::TempDir dir{"cwaise2e"};
  int exitCode = -1;
  std::string log;
  json truth;
  std::map<std::uint32_t, bool> dark;  // truth ship id -> dark
  int rows = 0;

  AisRun() {
    REQUIRE(test::runCli("simulate --out " + dir.path().string() + " --seed 3 --size 2048 --dates 2").exitCode == 0);
    truth = readJson(dir / "truth" / "truth.json");
    writeFeed();
    std::ofstream(dir / "config.yaml", std::ios::app)
        << "ais:\n  files: [ais/feed.csv]\n  match: {base_radius_m: 100, min_detectable_length_m: 20}\n";
    auto r = test::runCli("run " + (dir / "config.yaml").string() + " --threads 2");
    exitCode = r.exitCode;
    log = r.output;
  }

  std::int64_t sceneTime(int dateIndex) const {
    const std::string d = truth["dates"][dateIndex];
    return vessels::utcSeconds(std::stoi(d.substr(0, 4)), std::stoi(d.substr(5, 2)), std::stoi(d.substr(8, 2)),
                               10, 30, 0);
  }

  void writeFeed() {
    std::mt19937_64 rng(5);
    std::normal_distribution<double> noise(0.0, 10.0 / 111320.0);  // 10 m
    std::string csv =
        "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,"
        "Width,Draft,Cargo,TransceiverClass\n";
    const auto row = [&](std::uint32_t mmsi, std::int64_t t, double lon, double lat, double length) {
      const std::time_t tt = t;
      std::tm tm{};
      gmtime_r(&tt, &tm);
      char time[32], line[256];
      std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%S", &tm);
      std::snprintf(line, sizeof line, "%u,%s,%.6f,%.6f,0.0,360.0,511.0,SIM %u,IMO%07u,,70,1.0,%.0f,20,8,70,A\n",
                    mmsi, time, lat + noise(rng), lon + noise(rng), mmsi, mmsi % 10000000, length);
      csv += line;
      ++rows;
    };
    for (const auto& s : truth["ships"]) {
      if (s["aoi"].is_null()) continue;
      const std::uint32_t id = s["id"];
      dark[id] = id % 4 == 0;
      if (dark[id]) continue;
      for (const int dt : {-180, -60, 60, 180}) {
        row(kMmsiBase + id, sceneTime(s["date_index"]) + dt, s["lon"], s["lat"], s["length_m"]);
      }
    }
    // The spoofed vessel: on date 0, 600 m or more from every ship, inside the port AOI.
    const auto& bbox = truthPortBox();
    double best = 0, lon = 0, lat = 0;
    for (int i = 1; i < 20; ++i) {
      for (int j = 1; j < 20; ++j) {
        const double x = bbox[0] + (bbox[2] - bbox[0]) * i / 20.0, y = bbox[1] + (bbox[3] - bbox[1]) * j / 20.0;
        double nearest = 1e9;
        for (const auto& s : truth["ships"]) {
          if (s["date_index"] == 0) nearest = std::min(nearest, vessels::distanceM(x, y, s["lon"], s["lat"]));
        }
        if (nearest > best) best = nearest, lon = x, lat = y;
      }
    }
    REQUIRE(best > 600);
    for (const int dt : {-120, 120}) row(kSpoofed, sceneTime(0) + dt, lon, lat, 200);
    for (const int dt : {-120, 120}) row(kElsewhere, sceneTime(0) + dt, bbox[2] + 0.025, (bbox[1] + bbox[3]) / 2, 150);
    test::writeText(dir / "ais" / "feed.csv", csv);
  }

  // The port AOI's bbox from the simulator's config (lon/lat min, max).
  std::vector<double> truthPortBox() const {
    const auto text = test::readText(dir / "config.yaml");
    const auto at = text.find("bbox: [");
    REQUIRE(at != std::string::npos);
    std::vector<double> v;
    std::istringstream in(text.substr(at + 7, text.find(']', at) - at - 7));
    std::string part;
    while (std::getline(in, part, ',')) v.push_back(std::stod(part));
    REQUIRE(v.size() == 4);
    return v;
  }
};

AisRun& aisRun() {
  static AisRun run;
  return run;
}

fs::path findFile(const fs::path& root, const std::string& name) {
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename() == name) return e.path();
  }
  return {};
}

}  // namespace

TEST_CASE("AIS e2e: the run ingests the feed into OUT/port_alpha/ais.gpkg with counts", "[vessels][integration][slow]") {
  auto& r = aisRun();
  INFO(r.log);
  REQUIRE(r.exitCode == 0);
  const auto out = r.dir / "out";
  REQUIRE(fs::exists(out / "port_alpha" / "ais.gpkg"));
  const auto counts = readJson(out / "ais_ingest.json");
  CHECK(counts["total"]["rows"] == r.rows);
  CHECK(counts["total"]["kept"] == r.rows);  // every fix is in the port box, near a scene time
  CHECK(counts["files"][0]["format"] == "MarineCadastre");
  CHECK(counts["total"]["heading_unavailable"] == r.rows);
  CHECK_THAT(r.log, Contains("AIS port_alpha: " + std::to_string(r.rows) + " fixes of"));
  CHECK(readJson(out / "manifest.json")["ais"]["total"]["rows"] == r.rows);
  const auto info = test::run("ogrinfo -ro -so " + (out / "port_alpha" / "ais.gpkg").string());
  CHECK_THAT(info.output, Contains("ais_fixes (Point)"));
  // The store, the counts and vessels.geojson are covered by manifest.json and job.json.
  const auto verify = test::runCli("verify " + out.string());
  INFO(verify.output);
  CHECK(verify.exitCode == 0);
}

TEST_CASE("AIS e2e: match precision and recall >= 0.95, dark-vessel F1 >= 0.9, the spoofed vessel unseen",
          "[vessels][integration][slow]") {
  auto& r = aisRun();
  REQUIRE(r.exitCode == 0);
  const auto detPath = findFile(r.dir / "out" / "port_alpha", "detections.geojson");
  REQUIRE(!detPath.empty());
  const auto dets = readJson(detPath)["features"];
  std::string wrong;
  int matched = 0, correct = 0, aisOnDetected = 0, darkTp = 0, darkFp = 0, darkFn = 0, ships = 0;
  for (const auto& f : dets) {
    const auto& p = f["properties"];
    if (p["kind"] != "ships") continue;
    ++ships;
    const auto& c = f["geometry"]["coordinates"];
    const std::string scene = p["scene_id"];
    const int dateIndex = scene == "scene_" + std::string(r.truth["dates"][0]).substr(0, 4) +
                                       std::string(r.truth["dates"][0]).substr(5, 2) +
                                       std::string(r.truth["dates"][0]).substr(8, 2)
                              ? 0 : 1;
    // The truth ship this detection is (within 30 m), if any.
    const json* ship = nullptr;
    for (const auto& s : r.truth["ships"]) {
      if (s["date_index"] == dateIndex && !s["aoi"].is_null() &&
          vessels::distanceM(c[0], c[1], s["lon"], s["lat"]) < 30.0) {
        ship = &s;
      }
    }
    const std::string status = p["ais_status"];
    const bool isDark = ship && r.dark.at((*ship)["id"]);
    if (status == "matched") {
      ++matched;
      const bool right = ship && !isDark && p["mmsi"] == kMmsiBase + static_cast<std::uint32_t>((*ship)["id"]);
      correct += right;
      if (!right) wrong += p.dump() + " " + c.dump() + (ship ? " near ship " + (*ship).dump() : " no ship within 30 m") + "\n";
    }
    if (ship && !isDark) ++aisOnDetected;
    if (ship) {
      darkTp += isDark && status == "dark";
      darkFn += isDark && status != "dark";
      darkFp += !isDark && status == "dark";
    }
  }
  INFO("ship detections " << ships << ", matched " << matched << ", correct " << correct << ", AIS-on detected "
                          << aisOnDetected << ", dark tp/fp/fn " << darkTp << "/" << darkFp << "/" << darkFn);
  INFO(wrong);
  REQUIRE(matched > 5);
  CHECK(static_cast<double>(correct) / matched >= 0.95);        // precision
  CHECK(static_cast<double>(correct) / aisOnDetected >= 0.95);  // recall over detected AIS ships
  REQUIRE(darkTp > 0);
  CHECK(2.0 * darkTp / (2.0 * darkTp + darkFp + darkFn) >= 0.9);

  const auto vesPath = findFile(r.dir / "out" / "port_alpha", "vessels.geojson");
  REQUIRE(!vesPath.empty());
  bool spoofedUnseen = false;
  std::string spoofedFeature;
  int tracks = 0;
  const auto vessels = readJson(vesPath);  // kept alive for the loop
  for (const auto& f : vessels["features"]) {
    const auto& p = f["properties"];
    tracks += p["feature_type"] == "track";
    if (p["feature_type"] == "vessel_position" && p["mmsi"] == kSpoofed) {
      spoofedFeature = f.dump();
      spoofedUnseen = p["status"] == "unseen" && p["likely"] == "spoofing";
    }
  }
  INFO(spoofedFeature);
  CHECK(spoofedUnseen);
  CHECK(tracks > 5);

  // The report shows, per scene, the detections by AIS status and the unseen vessels.
  const std::string report = test::readText(r.dir / "out" / "report.html");
  CHECK_THAT(report, Contains("<h3>Vessels (AIS)</h3>"));
  CHECK_THAT(report, Contains(std::to_string(kSpoofed) + " (spoofing)"));
  CHECK_THAT(report, Contains("Ship-to-ship transfer candidates: "));
}

// Issue 20, item 7: vessel-level declarations against the same run. The rows are added to the
// simulator's declarations and the run merged again.
TEST_CASE("AIS e2e: vessel_call, dark_vessels and complete verdicts cite their evidence",
          "[vessels][integration][slow]") {
  auto& r = aisRun();
  REQUIRE(r.exitCode == 0);
  // A vessel with AIS on that the run matched on date 0 (the first AIS-on ship of the port).
  std::uint32_t onMmsi = 0;
  for (const auto& s : r.truth["ships"]) {
    if (s["date_index"] == 0 && !s["aoi"].is_null() && !r.dark.at(s["id"]) && !onMmsi) {
      onMmsi = kMmsiBase + static_cast<std::uint32_t>(s["id"]);
    }
  }
  REQUIRE(onMmsi);
  const std::string period = ",2025-03-01,2025-04-30,";
  std::ofstream(r.dir / "declarations.csv", std::ios::app)
      << "port_alpha" << period << "vessel_call,mmsi:" << onMmsi << ",AIS-ON\n"
      << "port_alpha" << period << "vessel_call,mmsi:" << kElsewhere << ",ELSEWHERE\n"
      << "port_alpha" << period << "vessel_call,mmsi:366100999,NEVER-SEEN\n"
      << "port_alpha" << period << "dark_vessels,0,NO-DARK\n"
      << "port_alpha" << period << "complete,true,COMPLETE\n"
      << "port_alpha" << period << "sts_transfers,none,NO-STS\n";
  const auto merge = test::runCli("merge " + (r.dir / "config.yaml").string());
  INFO(merge.output);
  REQUIRE(merge.exitCode == 0);
  std::map<std::string, json> byRef;
  INFO(test::readText(r.dir / "out" / "corroboration.csv"));
  const json corroboration = readJson(r.dir / "out" / "corroboration.json");  // outlives the loop
  for (const auto& v : corroboration["verdicts"]) {
    byRef[v["reference"].get<std::string>()] = v;
  }
  for (const char* ref : {"AIS-ON", "ELSEWHERE", "NEVER-SEEN", "NO-DARK", "COMPLETE", "NO-STS"}) {
    INFO(ref << ": " << byRef[ref].dump());
    CHECK(byRef.count(ref));
  }
  CHECK(byRef["AIS-ON"]["verdict"] == "consistent");
  CHECK_THAT(byRef["AIS-ON"]["evidence_ids"].dump(), Contains("ships"));
  CHECK(byRef["ELSEWHERE"]["verdict"] == "discrepancy");
  CHECK_THAT(byRef["ELSEWHERE"]["reason"].get<std::string>(), Contains("outside the AOI"));
  CHECK_THAT(byRef["ELSEWHERE"]["evidence_ids"].dump(), Contains("ais:" + std::to_string(kElsewhere)));
  CHECK(byRef["NEVER-SEEN"]["verdict"] == "unverifiable");
  CHECK(byRef["NO-DARK"]["verdict"] == "discrepancy");  // one ship in four is dark
  CHECK(!byRef["NO-DARK"]["evidence_ids"].empty());
  // One vessel declared of the several matched: the others are undeclared calls, named.
  CHECK(byRef["COMPLETE"]["verdict"] == "discrepancy");
  CHECK_THAT(byRef["COMPLETE"]["reason"].get<std::string>(), Contains("undeclared call"));
  CHECK_THAT(byRef["COMPLETE"]["reason"].get<std::string>(), !Contains(std::to_string(onMmsi)));
  CHECK(!byRef["COMPLETE"]["evidence_ids"].empty());
  // No hulls side by side and no two-hour encounter in this run.
  CHECK(byRef["NO-STS"]["verdict"] == "consistent");
}
