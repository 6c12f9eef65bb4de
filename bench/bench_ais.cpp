// AIS benchmarks (bench/bench_ais.sh runs them; never part of ctest):
//   bench_ais generate FILE ROWS      a MarineCadastre CSV of ROWS rows over one day (2023-01-11),
//                                     ~110 bytes a row, sorted by time; 4 % of the vessels sail
//                                     inside the three bench AOIs, so with the +/- 3 h window
//                                     around 12:00 about 1 % of the rows are kept
//   bench_ais ingest FILE THREADS     ingest with the bench AOI windows; prints wall seconds,
//                                     rows, kept fixes and peak RSS (CW_AIS_BLOCK_KIB sets the
//                                     read block, default 4096)
//   bench_ais dump FILE THREADS MODE  every count, kept fix and vessel of an ingest as text (MODE
//                                     "aois": the bench AOI windows, "all": no windows, every
//                                     well-formed fix kept; ais.max_bad_share 1), to check that a
//                                     faster ingest gives byte-identical results (pipe to md5sum)
//   bench_ais match                   10,000 detections against 1,000,000 fixes (10,000 vessels x
//                                     100 fixes at 60 s); prints the matching wall seconds
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "vessels/ais_format.hpp"
#include "vessels/ais_ingest.hpp"
#include "vessels/ais_store.hpp"
#include "vessels/vessel_matching.hpp"

using namespace cw::vessels;

namespace {

struct Box {
  const char* id;
  double minLon, minLat, maxLon, maxLat;
};
// Three port-sized AOIs (about 10 x 10 km); the buffer is 0 in the bench.
const Box kAois[] = {{"la", -118.30, 33.68, -118.18, 33.77},
                     {"ny", -74.10, 40.60, -73.98, 40.69},
                     {"ho", -95.05, 29.30, -94.93, 29.39}};
const std::int64_t kDay = utcSeconds(2023, 1, 11, 0, 0, 0);
const std::int64_t kAcquisition = kDay + 12 * 3600;

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

long peakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

int generate(const char* path, long rows) {
  constexpr int kVessels = 20000;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  struct V {
    double lon, lat, dLon, dLat;
  };
  std::vector<V> vessels(kVessels);
  for (int i = 0; i < kVessels; ++i) {
    auto& v = vessels[static_cast<size_t>(i)];
    if (i % 25 == 0) {  // 4 %: inside an AOI
      const auto& b = kAois[(i / 25) % 3];
      v.lon = b.minLon + uni(rng) * (b.maxLon - b.minLon);
      v.lat = b.minLat + uni(rng) * (b.maxLat - b.minLat);
      v.dLon = v.dLat = 0.0;  // at anchor or berth: stays inside
    } else {
      v.lon = -125.0 + uni(rng) * 55.0;
      v.lat = 22.0 + uni(rng) * 26.0;
      v.dLon = (uni(rng) - 0.5) * 2e-5;
      v.dLat = (uni(rng) - 0.5) * 2e-5;
    }
  }
  FILE* f = std::fopen(path, "wb");
  if (!f) return 1;
  std::fputs(
      "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
      "Length,Width,Draft,Cargo,TransceiverClass\n",
      f);
  std::vector<char> buf(1 << 20);
  std::setvbuf(f, buf.data(), _IOFBF, buf.size());
  for (long r = 0; r < rows; ++r) {
    const std::int64_t t = r * 86400 / rows;
    const int i = static_cast<int>(rng() % kVessels);
    const auto& v = vessels[static_cast<size_t>(i)];
    const double lon = v.lon + v.dLon * static_cast<double>(t);
    const double lat = v.lat + v.dLat * static_cast<double>(t);
    std::fprintf(f,
                 "%u,2023-01-11T%02d:%02d:%02d,%.5f,%.5f,%.1f,%.1f,%.1f,BENCH VESSEL %05d,IMO%07d,"
                 "WX%04d,70,0.0,%.1f,%.1f,9.0,70.0,A\n",
                 366000000u + static_cast<unsigned>(i), static_cast<int>(t / 3600),
                 static_cast<int>(t / 60 % 60), static_cast<int>(t % 60), lat, lon,
                 v.dLon == 0.0 ? 0.0 : 12.5, 90.0, 91.0, i, 9000000 + i, i % 10000, 100.0 + i % 200,
                 20.0 + i % 30);
  }
  return std::fclose(f) == 0 ? 0 : 1;
}

std::vector<AoiWindow> benchWindows() {
  std::vector<AoiWindow> windows;
  for (const auto& b : kAois) {
    windows.push_back(makeAoiWindow(
        b.id,
        {{b.minLon, b.minLat}, {b.maxLon, b.minLat}, {b.maxLon, b.maxLat}, {b.minLon, b.maxLat}},
        false, 0.0, {kAcquisition}, 3 * 3600));
  }
  return windows;
}

IngestOptions benchOptions(int threads) {
  IngestOptions o;
  o.threads = threads;
  if (const char* b = std::getenv("CW_AIS_BLOCK_KIB"))
    o.blockBytes = std::strtoul(b, nullptr, 10) << 10;
  return o;
}

int ingest(const char* path, int threads) {
  const auto windows = benchWindows();
  AisConfig config;
  const IngestOptions o = benchOptions(threads);
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpuSeconds();
  const auto r = ingestAis({path}, config, windows, o);
  const double ingestS = seconds(t0);
  const double ingestCpuS = cpuSeconds() - cpu0;
  const auto t1 = std::chrono::steady_clock::now();
  for (const auto& a : r.aois)
    writeAisGeoPackage(std::string("/tmp/bench_ais_") + a.aoiId + ".gpkg", a);
  const double storeS = seconds(t1);
  for (const auto& a : r.aois)
    std::remove((std::string("/tmp/bench_ais_") + a.aoiId + ".gpkg").c_str());
  std::printf(
      "ingest_s %.3f ingest_cpu_s %.3f store_s %.3f rows %lld kept %lld kept_share %.4f "
      "peak_rss_mib %ld\n",
      ingestS, ingestCpuS, storeS, static_cast<long long>(r.total.rows),
      static_cast<long long>(r.total.kept),
      static_cast<double>(r.total.kept) / static_cast<double>(r.total.rows), peakRssMiB());
  return 0;
}

void dumpFixes(const AoiFixes& a) {
  std::printf("aoi %s fixes %zu vessels %zu counts %s\n", a.aoiId.c_str(), a.fixes.size(),
              a.vessels.size(), a.counts.toJson().dump().c_str());
  for (const auto& f : a.fixes) {
    std::printf("%u %lld %.17g %.17g %.9g %.9g %.9g %d\n", f.mmsi, static_cast<long long>(f.timeS),
                f.lon, f.lat, static_cast<double>(f.sogKn), static_cast<double>(f.cogDeg),
                static_cast<double>(f.headingDeg), f.positionJump ? 1 : 0);
  }
  for (const auto& [mmsi, v] : a.vessels) {
    std::printf("%u|%s|%s|%s|%s|%s|%.9g|%.9g\n", mmsi, v.name.c_str(), v.imo.c_str(),
                v.callSign.c_str(), v.shipType.c_str(), v.transceiverClass.c_str(),
                static_cast<double>(v.lengthM), static_cast<double>(v.widthM));
  }
}

int dump(const char* path, int threads, const std::string& mode) {
  AisConfig config;
  config.maxBadShare = 1.0;
  try {
    const auto r =
        ingestAis({path}, config, mode == "all" ? std::vector<AoiWindow>{} : benchWindows(),
                  benchOptions(threads));
    std::printf("total %s\n", r.total.toJson().dump().c_str());
    for (const auto& f : r.files) {
      std::printf("file %s %s %s\n", f.file.c_str(), f.format.c_str(),
                  f.counts.toJson().dump().c_str());
    }
    for (const auto& a : r.aois) dumpFixes(a);
  } catch (const std::exception& e) {
    std::printf("error %s\n", e.what());
  }
  return 0;
}

int match() {
  constexpr int kVessels = 10000, kFixesPer = 100, kDetections = 10000;
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, 50.0 / 111320.0);  // 50 m
  AoiFixes ais;
  ais.fixes.reserve(static_cast<size_t>(kVessels) * kFixesPer);
  std::vector<std::pair<double, double>> truth;
  for (int i = 0; i < kVessels; ++i) {
    const double lon = -76.0 + uni(rng) * 2.0, lat = 36.0 + uni(rng) * 2.0;
    const double sog = uni(rng) * 15.0, cog = uni(rng) * 360.0;
    const std::uint32_t mmsi = 366000000u + static_cast<std::uint32_t>(i);
    for (int k = 0; k < kFixesPer; ++k) {
      AisFix f;
      f.mmsi = mmsi;
      f.timeS = kAcquisition + (k - kFixesPer / 2) * 60 + static_cast<int>(rng() % 20);
      destination(lon, lat, cog,
                  sog * 1852.0 / 3600.0 * static_cast<double>(f.timeS - kAcquisition), f.lon,
                  f.lat);
      f.sogKn = static_cast<float>(sog);
      f.cogDeg = static_cast<float>(cog);
      ais.fixes.push_back(f);
    }
    ais.vessels[mmsi] = {mmsi, "V", "", "", "70", "A", static_cast<float>(50 + i % 250), 20.0f};
    truth.emplace_back(lon, lat);
  }
  std::vector<ShipObservation> dets;
  for (int d = 0; d < kDetections; ++d) {
    if (d % 10 == 9) {  // 10 % dark: no AIS vessel there
      dets.push_back({-76.0 + uni(rng) * 2.0, 36.0 + uni(rng) * 2.0, 100.0});
    } else {
      const auto& [lon, lat] = truth[static_cast<size_t>(d)];
      dets.push_back({lon + noise(rng), lat + noise(rng), 50.0 + d % 250});
    }
  }
  SceneMatchInput in;
  in.timeS = kAcquisition;
  in.ais = &ais;
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpuSeconds();
  const auto r = matchScene(dets, in);
  const double s = seconds(t0);
  const double cpuS = cpuSeconds() - cpu0;
  int correct = 0, matched = 0;
  for (int d = 0; d < kDetections; ++d) {
    const auto& m = r.detections[static_cast<size_t>(d)];
    if (m.status != AisStatus::Matched) continue;
    ++matched;
    correct += d % 10 != 9 && m.mmsi == 366000000u + static_cast<std::uint32_t>(d);
  }
  std::printf(
      "match_s %.3f match_cpu_s %.3f detections %d fixes %zu matched %d correct %d peak_rss_mib "
      "%ld\n",
      s, cpuS, kDetections, ais.fixes.size(), matched, correct, peakRssMiB());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "generate" && argc == 4) return generate(argv[2], std::atol(argv[3]));
  if (mode == "ingest" && argc == 4) return ingest(argv[2], std::atoi(argv[3]));
  if (mode == "dump" && argc == 5) return dump(argv[2], std::atoi(argv[3]), argv[4]);
  if (mode == "match") return match();
  std::fprintf(stderr,
               "usage: bench_ais generate FILE ROWS | ingest FILE THREADS | dump FILE THREADS "
               "aois|all | match\n");
  return 2;
}
