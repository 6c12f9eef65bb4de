#include "sim/sim_ais.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <set>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/iso_time.hpp"

namespace cw::sim {
namespace {

using Json = nlohmann::ordered_json;
constexpr double kMetresPerDegLat = 111320.0;
constexpr double kPi = 3.14159265358979323846;

struct Feed {
  std::ostringstream csv;
  std::mt19937_64 rng;
  std::normal_distribution<double> noiseM{0.0, 10.0};
  int rows = 0;

  explicit Feed(std::uint64_t seed) : rng(seed ^ 0xa15u) {
    csv << "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
           "Length,Width,Draft,Cargo,TransceiverClass\n";
  }

  void row(std::uint32_t mmsi, std::int64_t t, double lon, double lat, double sogKn, double cogDeg,
           double lengthM, double widthM) {
    lat += noiseM(rng) / kMetresPerDegLat;
    lon += noiseM(rng) / (kMetresPerDegLat * std::cos(lat * kPi / 180.0));
    const std::string time = cw::formatIsoTime(t).substr(0, 19);  // no "Z", as NOAA writes
    char line[320];
    std::snprintf(line, sizeof line,
                  "%u,%s,%.6f,%.6f,%.1f,%.1f,511.0,SIM %u,IMO%07u,,70,%d,%.0f,%.0f,8,70,A\n", mmsi,
                  time.c_str(), lat, lon, sogKn, cogDeg, mmsi, mmsi % 10000000u, sogKn > 0 ? 0 : 1,
                  lengthM, widthM);
    csv << line;
    ++rows;
  }
};

// Course over ground of an underway ship, from its wake (stern -> bow is stern - wake end).
double courseDeg(const Json& ship) {
  const auto& w = ship["wake"];
  const double dx = w["stern_px"][0].get<double>() - w["end_px"][0].get<double>();
  const double dy = w["stern_px"][1].get<double>() - w["end_px"][1].get<double>();
  return std::fmod(std::atan2(dx, -dy) * 180.0 / kPi + 360.0, 360.0);
}

void shipFixes(Feed& feed, const Json& ship, std::int64_t sceneT) {
  const std::uint32_t mmsi = ship["mmsi"];
  const bool underway = ship.value("underway", false);
  const double sog = underway ? 10.0 : 0.0, cog = underway ? courseDeg(ship) : 360.0;
  const double speedMs = sog * 1852.0 / 3600.0;
  const int step = underway ? 10 : 180;
  const bool gap = ship["id"].get<int>() % 5 == 1;
  // A transfer pair lies alongside for hours: long enough for the AIS encounter rule (2 h).
  const int span = ship.value("sts_partner", 0) ? 9000 : 1200;
  const double lon0 = ship["lon"], lat0 = ship["lat"];
  for (int dt = -span; dt <= span; dt += step) {
    if (gap && dt >= -480 && dt < 0) continue;
    const double along = speedMs * dt;
    const double lat = lat0 + along * std::cos(cog * kPi / 180.0) / kMetresPerDegLat;
    const double lon = lon0 + along * std::sin(cog * kPi / 180.0) /
                                  (kMetresPerDegLat * std::cos(lat0 * kPi / 180.0));
    feed.row(mmsi, sceneT + dt, lon, lat, sog, cog, ship["length_m"], ship["width_m"]);
  }
}

// The point of the port box farthest from every ship of date 0 (a 19 x 19 lattice).
std::pair<double, double> emptiestPortPoint(const Json& truth) {
  const auto& b = truth["aois"]["port_alpha"]["bbox"];
  double best = -1, lon = 0, lat = 0;
  for (int i = 1; i < 20; ++i) {
    for (int j = 1; j < 20; ++j) {
      const double x = b[0].get<double>() + (b[2].get<double>() - b[0].get<double>()) * i / 20.0;
      const double y = b[1].get<double>() + (b[3].get<double>() - b[1].get<double>()) * j / 20.0;
      double nearest = 1e18;
      for (const auto& s : truth["ships"]) {
        if (s["date_index"] != 0) continue;
        const double dx =
            (s["lon"].get<double>() - x) * kMetresPerDegLat * std::cos(y * kPi / 180.0);
        const double dy = (s["lat"].get<double>() - y) * kMetresPerDegLat;
        nearest = std::min(nearest, std::hypot(dx, dy));
      }
      if (nearest > best) best = nearest, lon = x, lat = y;
    }
  }
  return {lon, lat};
}

}  // namespace

int writeSimulatedAis(Json& truth, const std::filesystem::path& outDir, std::uint64_t seed) {
  Feed feed(seed);
  Json vessels = Json::array();
  for (auto& s : truth["ships"]) {
    const std::uint32_t mmsi = kSimMmsiBase + s["id"].get<std::uint32_t>();
    const bool sts = s.value("sts_partner", 0) != 0;
    const bool dark = !sts && s["id"].get<int>() % 4 == 0;
    s["mmsi"] = mmsi;
    s["ais_case"] = sts ? "sts" : dark ? "dark" : "on";
    if (dark || s["aoi"].is_null()) continue;
    const std::int64_t t = *cw::parseIsoTime(truth["dates"][s["date_index"].get<size_t>()]);
    shipFixes(feed, s, t);
  }
  for (const auto& s : truth["ships"]) {
    const bool known = std::any_of(vessels.begin(), vessels.end(),
                                   [&](const Json& v) { return v["mmsi"] == s["mmsi"]; });
    if (!known && !s["aoi"].is_null())
      vessels.push_back({{"mmsi", s["mmsi"]}, {"case", s["ais_case"]}});
  }
  const auto [lon, lat] = emptiestPortPoint(truth);
  const std::int64_t t0 = *cw::parseIsoTime(truth["dates"][0]);
  for (int dt = -1200; dt <= 1200; dt += 180)
    feed.row(kSimSpoofedMmsi, t0 + dt, lon, lat, 0.0, 360.0, 200, 32);
  vessels.push_back({{"mmsi", kSimSpoofedMmsi}, {"case", "spoofed"}, {"lon", lon}, {"lat", lat}});
  const auto& b = truth["aois"]["port_alpha"]["bbox"];
  const double eastLon = b[2].get<double>() + 0.025,
               midLat = (b[1].get<double>() + b[3].get<double>()) / 2;
  for (int dt = -1200; dt <= 1200; dt += 180)
    feed.row(kSimElsewhereMmsi, t0 + dt, eastLon, midLat, 0.0, 360.0, 150, 25);
  vessels.push_back(
      {{"mmsi", kSimElsewhereMmsi}, {"case", "elsewhere"}, {"lon", eastLon}, {"lat", midLat}});
  truth["ais"] = {{"file", "ais/feed.csv"},
                  {"format", "MarineCadastre"},
                  {"rows", feed.rows},
                  {"vessels", vessels}};
  std::filesystem::create_directories(outDir / "ais");
  cw::writeFileAtomic(outDir / "ais" / "feed.csv", feed.csv.str());
  return feed.rows;
}

std::string simulatedAisDeclarations(Json& truth, const std::string& first,
                                     const std::string& last) {
  const Json* called = nullptr;
  std::set<std::uint32_t> onInPort;
  bool darkVisible = false, stsPair = false;
  for (const auto& s : truth["ships"]) {
    if (s["aoi"].is_null() || s.value("in_cloud", false)) continue;
    stsPair = stsPair || s.value("sts_partner", 0) != 0;
    if (s["ais_case"] == "dark") darkVisible = true;
    if (s["ais_case"] == "dark") continue;
    onInPort.insert(s["mmsi"].get<std::uint32_t>());
    if (!called && s["date_index"] == 0) called = &s;
  }
  std::ostringstream csv;
  const std::string period = "port_alpha," + first + "," + last + ",";
  auto add = [&](const std::string& metric, const std::string& value, const std::string& ref,
                 const std::string& expected, const std::string& why) {
    csv << period << metric << "," << value << "," << ref << "\n";
    truth["declarations"].push_back({{"reference", ref}, {"expected", expected}, {"why", why}});
  };
  if (called) {
    add("vessel_call", "mmsi:" + std::to_string((*called)["mmsi"].get<std::uint32_t>()),
        "SIM-AIS-CALL", "consistent", "an AIS-on ship of the port on date 0");
  }
  add("vessel_call", "mmsi:" + std::to_string(kSimElsewhereMmsi), "SIM-AIS-ELSEWHERE",
      "discrepancy", "its AIS places it 2 km east of the port throughout");
  add("dark_vessels", "0", "SIM-AIS-DARK", darkVisible ? "discrepancy" : "consistent",
      "every fourth ship by id sends no AIS");
  add("complete", "true", "SIM-AIS-COMPLETE", onInPort.size() > 1 ? "discrepancy" : "consistent",
      "only SIM-AIS-CALL's vessel is declared");
  add("sts_transfers", "none", "SIM-AIS-STS", stsPair ? "discrepancy" : "consistent",
      "a pair of hulls lies alongside at anchor on date 0, their AIS an encounter");
  return csv.str();
}

}  // namespace cw::sim
