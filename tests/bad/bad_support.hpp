#pragma once
// Shared by the hostile-input and fault tests: small synthetic scenes made with GDAL (no
// simulator, so each test builds its inputs in well under a second), a config over them, and
// helpers to run the CLI in the background, kill it and check what it left on disk.
//
// The scenes: 4-band UInt16 GeoTIFFs in UTM 35N, 3 m pixels, 256×256 px from (500000, 4540000),
// nodata 0, acquisition time in the TIFF metadata. The "after" scenes carry a bright 40×40 px
// square so that every job finds one change. AOIs "site" and "yard" lie inside the scenes.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <nlohmann/json.hpp>

#include "core/sha256.hpp"
#include "tests/test_support.hpp"

namespace cw::test::bad {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kEpsg = 32635;
constexpr double kX0 = 500000.0, kY0 = 4540000.0, kPx = 3.0;
constexpr int kSize = 256;

// Quotes a word for sh, also one that holds quotes itself.
inline std::string q(const fs::path& p) {
  std::string out = "'";
  for (const char c : p.string()) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct SceneSpec {
  std::string iso = "2025-03-01T10:00:00";  // TIFFTAG-free metadata ACQUISITION_DATETIME
  int bands = 4;
  int width = kSize, height = kSize;
  GDALDataType type = GDT_UInt16;
  bool georeferenced = true;
  int epsg = kEpsg;
  double x0 = kX0, y0 = kY0;
  bool changeSquare = false;  // a bright 40×40 square at (100, 100)
  std::optional<double> nodata = 0.0;
  // Overrides the value of band b (1-based) at (x, y) when it returns a value.
  std::function<std::optional<double>(int b, int x, int y)> value;
  unsigned seed = 1;
};

// Writes one scene; the texture is the same for every seed-equal scene, so pairs differ only
// where a test makes them differ.
inline void writeScene(const fs::path& path, const SceneSpec& s) {
  GDALAllRegister();
  fs::create_directories(path.parent_path());
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  GDALDataset* ds = drv->Create(path.c_str(), s.width, s.height, s.bands, s.type, nullptr);
  REQUIRE(ds != nullptr);
  if (s.georeferenced) {
    double gt[6] = {s.x0, kPx, 0, s.y0, 0, -kPx};
    ds->SetGeoTransform(gt);
    OGRSpatialReference srs;
    srs.importFromEPSG(s.epsg);
    ds->SetSpatialRef(&srs);
  }
  if (!s.iso.empty()) ds->SetMetadataItem("ACQUISITION_DATETIME", s.iso.c_str());
  std::mt19937 rng(s.seed);
  std::uniform_real_distribution<double> noise(-20, 20);
  std::vector<double> v(std::size_t(s.width) * s.height);
  for (int b = 1; b <= s.bands; ++b) {
    for (int y = 0; y < s.height; ++y) {
      for (int x = 0; x < s.width; ++x) {
        double val = 400 + 100 * b + 150 * std::sin(x / 9.0) * std::cos(y / 13.0) + noise(rng);
        if (s.changeSquare && x >= 100 && x < 140 && y >= 100 && y < 140) val += 1500;
        if (s.value) {
          if (auto o = s.value(b, x, y)) val = *o;
        }
        v[std::size_t(y) * s.width + x] = val;
      }
    }
    GDALRasterBand* band = ds->GetRasterBand(b);
    if (s.nodata) band->SetNoDataValue(*s.nodata);
    REQUIRE(band->RasterIO(GF_Write, 0, 0, s.width, s.height, v.data(), s.width, s.height,
                           GDT_Float64, 0, 0) == CE_None);
  }
  GDALClose(ds);
}

// Lon/lat of a UTM 35N point.
inline std::pair<double, double> lonLat(double e, double n) {
  OGRSpatialReference utm, wgs;
  utm.importFromEPSG(kEpsg);
  wgs.importFromEPSG(4326);
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&utm, &wgs));
  ct->Transform(1, &e, &n);
  return {e, n};
}

// bbox [w, s, e, n] in degrees of the pixel rectangle (c0, r0)-(c1, r1) of the scene grid.
inline std::string bboxYaml(double c0, double r0, double c1, double r1) {
  const auto [w, s] = lonLat(kX0 + c0 * kPx, kY0 - r1 * kPx);
  const auto [e, n] = lonLat(kX0 + c1 * kPx, kY0 - r0 * kPx);
  char buf[160];
  std::snprintf(buf, sizeof buf, "[%.7f, %.7f, %.7f, %.7f]", w, s, e, n);
  return buf;
}

// A config over OUT/../scenes; `extra` is appended (YAML at the top level).
inline std::string configYaml(const std::string& extra = "", bool twoAois = true,
                              const std::string& siteBbox = "") {
  std::string y =
      "output: out\n"
      "window: {start: 2025-01-01, end: 2025-12-31}\n"
      "scenes: [{folder: scenes, glob: \"*.tif\"}]\n"
      "sensor: {profile: generic}\n"
      "grid: {pixel_size_m: 3, epsg: 32635}\n"
      "change: {method: cva, min_area_m2: 100}\n"
      "aois:\n"
      "  - {id: site, bbox: " +
      (siteBbox.empty() ? bboxYaml(60, 60, 180, 180) : siteBbox) + "}\n";
  if (twoAois) y += "  - {id: yard, bbox: " + bboxYaml(20, 150, 120, 240) + "}\n";
  return y + extra;
}

// A run folder: config.yaml, scenes/ with `dates` good scenes a month apart (the later ones with
// the change square). Jobs: each AOI × consecutive pair.
struct SmallRun {
  TempDir dir;
  fs::path config;
  fs::path scenes;
  fs::path out;
  explicit SmallRun(const std::string& prefix, int dates = 3, const std::string& extra = "",
                    bool twoAois = true)
      : dir(prefix), config(dir / "config.yaml"), scenes(dir / "scenes"), out(dir / "out") {
    for (int k = 0; k < dates; ++k) {
      SceneSpec s;
      s.iso = "2025-0" + std::to_string(3 + k) + "-01T10:00:00";
      s.changeSquare = k > 0;
      s.seed = static_cast<unsigned>(k + 1);  // identical dates would leave nothing to threshold
      writeScene(scenes / ("scene_2025" + std::string("0") + std::to_string(3 + k) + "01.tif"), s);
    }
    writeText(config, configYaml(extra, twoAois));
  }
};

// The plan's jobs as (index, id).
inline std::vector<std::pair<int, std::string>> planJobs(const fs::path& out) {
  std::vector<std::pair<int, std::string>> jobs;
  const nlohmann::json plan = readJson(out / "plan.json");  // not a temporary: the loop keeps it
  for (const auto& j : plan["jobs"]) {
    jobs.emplace_back(j["index"].get<int>(), j["id"].get<std::string>());
  }
  return jobs;
}

// Job id -> the "files" map of its job.json, complete jobs only.
inline std::map<std::string, nlohmann::json> evidenceHashes(const fs::path& out) {
  std::map<std::string, nlohmann::json> m;
  for (const auto& [index, id] : planJobs(out)) {
    const fs::path jj = out / id / "job.json";
    if (!fs::exists(jj)) continue;
    const auto j = readJson(jj);
    if (j.value("status", "") == "complete") m[id] = j["files"];
  }
  return m;
}

// Every file listed in a complete job's job.json hashes as recorded: nothing written is lost.
inline int checkCompleteJobsIntact(const fs::path& out) {
  int files = 0;
  for (const auto& [id, list] : evidenceHashes(out)) {
    for (const auto& [rel, entry] : list.items()) {
      INFO(id << "/" << rel);
      REQUIRE(fs::exists(out / id / rel));
      CHECK(cw::sha256File(out / id / rel) == entry.at("sha256").get<std::string>());
      ++files;
    }
  }
  return files;
}

// No file under a final name is partial: each evidence file present in `out` is byte-identical
// to the same file of a complete reference run (the pipeline is deterministic); returns the
// number compared.
inline int checkNoPartialFiles(const fs::path& out, const fs::path& ref) {
  int compared = 0;
  for (const auto& [id, list] : evidenceHashes(ref)) {
    for (const auto& [rel, entry] : list.items()) {
      const fs::path f = out / id / rel;
      if (!fs::exists(f)) continue;
      INFO(f.string());
      CHECK(cw::sha256File(f) == entry.at("sha256").get<std::string>());
      ++compared;
    }
  }
  return compared;
}

// Runs the CLI and requires exit 0, showing its output when it fails.
inline CommandResult requireCli(const std::string& args) {
  const CommandResult r = runCli(args);
  INFO("changewatch " << args << "\n" << r.output);
  REQUIRE(r.exitCode == 0);
  return r;
}

// ---- background processes -------------------------------------------------------------------

inline pid_t spawnCli(const std::vector<std::string>& args, const fs::path& log) {
  std::fflush(stdout);  // or the child flushes the parent's buffered output a second time
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    if (!std::freopen(log.c_str(), "w", stdout)) std::_Exit(126);
    ::dup2(::fileno(stdout), STDERR_FILENO);
    std::vector<char*> argv{const_cast<char*>(CW_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(CW_BINARY, argv.data());
    std::_Exit(127);
  }
  return pid;
}

inline int waitExit(pid_t pid) {
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

inline bool exited(pid_t pid, int* code = nullptr) {
  int st = 0;
  if (::waitpid(pid, &st, WNOHANG) != pid) return false;
  if (code) *code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return true;
}

}  // namespace cw::test::bad
