#include "pipeline/job_runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/sha256.hpp"
#include "cw_version.hpp"
#include "evidence/job_evidence_writer.hpp"
#include "evidence/manifest.hpp"
#include "imaging/registry.hpp"
#include "pipeline/ais_step.hpp"
#include "pipeline/detection_step.hpp"
#include "pipeline/job_layers.hpp"
#include "pipeline/shore_suspect.hpp"
#include "tiles/aoi_grid.hpp"
#include "tiles/change_map.hpp"
#include "tiles/footprint.hpp"
#include "tiles/scene_warp.hpp"

namespace cw::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

// A rejected co-registration shift at least this long (pixels) makes change evidence suspect;
// below it, edge artefacts stay within the morphology and minimum area (pixel-aligned Vancouver
// TCI dates measure noise shifts of 0.1-0.47 px at confidence 0.1-0.35).
constexpr double kSuspectShiftPx = 0.5;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

const Aoi& aoiOf(const Config& config, const std::string& id) {
  for (const auto& a : config.aois) {
    if (a.id == id) return a;
  }
  throw Error("no AOI '" + id + "' in the config");
}

using cw::nowIso;

evidence::GridInfo gridInfo(const tiles::GridSpec& g, double pixelSizeM) {
  evidence::GridInfo gi;
  gi.epsg = g.epsg();
  gi.wkt = g.wkt;
  gi.geotransform = g.geoTransform;
  gi.width = g.width;
  gi.height = g.height;
  gi.pixelSizeM = pixelSizeM;
  return gi;
}

// Polygon JSON (lon, lat) from the change map into the evidence structs.
evidence::Polygon polygonFromGeoJson(const std::string& geometryJson) {
  evidence::Polygon out;
  const auto g = nlohmann::json::parse(geometryJson);
  auto ringsOf = [](const nlohmann::json& rings) {
    evidence::Polygon p;
    for (const auto& ring : rings) {
      evidence::Ring r;
      for (const auto& pt : ring) r.push_back({pt[0].get<double>(), pt[1].get<double>()});
      p.push_back(std::move(r));
    }
    return p;
  };
  if (g.value("type", "") == "Polygon") return ringsOf(g["coordinates"]);
  if (g.value("type", "") == "MultiPolygon" && !g["coordinates"].empty()) {
    return ringsOf(g["coordinates"][0]);
  }
  return out;
}

struct WarpedScene {
  std::string values;  // warped GeoTIFF: the common roles, imaged area as its mask
  std::string cloud;   // warped cloud band, or empty
  int alphaBand = 0;   // of the warped VRT beside it (roles, then alpha), for review tiles
};

// Each scene is warped once, into a tiled GeoTIFF in the job's work folder, and every later pass
// (co-registration, fit, apply, footprint, detection, chips, review tiles) reads its blocks.
WarpedScene warpScene(const Scene& s, const std::vector<std::string>& roles,
                      const tiles::GridSpec& grid, const std::string& resampling, int threads,
                      int tilePx, const fs::path& work, const std::string& tag) {
  WarpedScene w;
  std::vector<int> bands;
  for (const auto& r : roles) bands.push_back(s.bands.at(r));
  tiles::WarpRequest req{s.dataset, bands, s.nodata, resampling, true};
  w.values = (work / (tag + ".tif")).string();
  tiles::writeWarpedGeoTiff(req, grid, w.values, threads, tilePx);
  w.alphaBand = static_cast<int>(bands.size()) + 1;
  if (s.cloudBand > 0) {
    tiles::WarpRequest cr{s.dataset, {s.cloudBand}, std::nullopt, "near", false};
    w.cloud = (work / (tag + ".cloud.tif")).string();
    tiles::writeWarpedGeoTiff(cr, grid, w.cloud, threads, tilePx);
  }
  return w;
}

void writeCounts(const fs::path& path, const evidence::JobEvidence& ev) {
  nlohmann::ordered_json j;
  j["aoi"] = ev.info.aoiId;
  j["pair"] = ev.info.pairId();
  j["counts"] = nlohmann::ordered_json::array();
  for (const auto& c : ev.counts) {
    j["counts"].push_back({{"scene_id", c.sceneId},
                           {"time", c.timeIso},
                           {"kind", c.kind},
                           {"count", c.count},
                           {"imaged_area_m2", c.footprint.areaM2},
                           {"valid_fraction", c.footprint.validFraction},
                           {"imaged_fraction", c.footprint.imagedFraction},
                           // Part of the AOI not imaged or clouded: objects may be missing.
                           {"lower_bound", c.footprint.validFraction < 1.0},
                           {"degraded", c.degraded},
                           {"clutter_share", c.clutterShare},
                           {"water_imaged_area_m2", c.waterAreaM2},
                           {"water_mask", c.waterSource}});
  }
  j["footprints"] = nlohmann::ordered_json::array();
  for (const auto& f : ev.footprints) {
    j["footprints"].push_back({{"scene_id", f.sceneId},
                               {"time", f.timeIso},
                               {"valid_area_m2", f.areaM2},
                               {"valid_fraction", f.validFraction},
                               {"imaged_fraction", f.imagedFraction}});
  }
  cw::writeFileAtomic(path, j.dump(2) + "\n");
}

void recordFailure(const fs::path& dir, const Job& job, const JobRunOptions& options,
                   const std::string& error) {
  nlohmann::ordered_json j{{"status", "failed"}, {"job", job.id},        {"index", job.index},
                           {"error", error},     {"finished", nowIso()}, {"task", options.task}};
  try {
    cw::writeFileAtomic(dir / "failed.json", j.dump(2) + "\n");
  } catch (const Error&) {
    // The original error matters more than the record of it.
  }
}

// A job's inputs, resolved from the config and the plan.
struct JobInputs {
  const Config& config;
  const Aoi& aoi;
  const AoiPlan& ap;
  const Scene& before;
  const Scene& after;
  int threads;
};

// The files a job's warp step writes to its work folder, which the later steps read.
struct JobFiles {
  fs::path dir;   // the job's folder
  fs::path work;  // its work folder
  std::vector<std::string> roles;
  std::string aoiMask;
  WarpedScene before, after;
  std::string waterMask;  // empty without water polygons or shore
  // Without waterMask: the water a vessel detector learned from each scene, with the valid pixels
  // of its overview (the shore distance of the ship-to-ship rules).
  std::map<std::string, std::pair<cv::Mat, cv::Mat>> learnedWater;
};

// Warp: the AOI mask, both scenes on the AOI grid and the AOI's water mask, if it has one.
void warpStep(const JobInputs& in, JobFiles& f) {
  const Config& config = in.config;
  const Aoi& aoi = in.aoi;
  f.roles = commonRoles(in.before, in.after);
  if (f.roles.empty()) {
    throw Error("scenes " + in.before.id + " (" + std::to_string(in.before.bandCount) +
                " bands) and " + in.after.id + " (" + std::to_string(in.after.bandCount) +
                " bands) share no band role; set sensor.bands");
  }
  const auto problems = bandNeedProblems(config, aoi, f.roles);
  if (!problems.empty()) {
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
    throw Error(text);
  }
  const tiles::GridSpec& grid = in.ap.grid;
  tiles::AoiGridRequest req{ringOf(aoi), in.ap.pixelSizeM, config.grid.epsg};
  f.aoiMask = (f.work / "aoi.tif").string();
  tiles::writePolygonMask(tiles::ringInGridCrs(req, grid), grid, f.aoiMask);
  f.before = warpScene(in.before, f.roles, grid, config.grid.resampling, in.threads,
                       config.tiling.tilePx, f.work, "before");
  f.after = warpScene(in.after, f.roles, grid, config.grid.resampling, in.threads,
                      config.tiling.tilePx, f.work, "after");
  if (!aoi.water.empty()) {
    tiles::AoiGridRequest wreq{{}, in.ap.pixelSizeM, config.grid.epsg};
    for (const auto& p : aoi.water) wreq.ringLonLat.emplace_back(p.lon, p.lat);
    f.waterMask = (f.work / "water.tif").string();
    tiles::writePolygonMask(tiles::ringInGridCrs(wreq, grid), grid, f.waterMask);
  } else if (aoi.shore) {
    f.waterMask = (f.work / "water.tif").string();
    tiles::writeShoreWaterMask(*aoi.shore, grid, f.waterMask);
  }
}

// A scene as the evidence names it: id, first file and its SHA-256, time.
evidence::SceneRef sceneRef(const Config& config, const Scene& s) {
  evidence::SceneRef r;
  r.id = s.id;
  r.path = s.files.empty() ? s.dataset : s.files.front().string();
  r.sha256 = s.files.empty() ? "" : cachedSha256(config.output, s.files.front());
  r.timeIso = formatIsoTime(s.time);
  return r;
}

// Footprints: the evidence's job info, and what each date actually imaged over the AOI.
evidence::JobEvidence footprintStep(const JobInputs& in, const std::string& key,
                                    const JobFiles& f) {
  evidence::JobEvidence ev;
  ev.info.aoiId = in.aoi.id;
  ev.info.aoiName = in.aoi.name;
  ev.info.aoiKind = in.aoi.kind;
  ev.info.before = sceneRef(in.config, in.before);
  ev.info.after = sceneRef(in.config, in.after);
  ev.info.grid = gridInfo(in.ap.grid, in.ap.pixelSizeM);
  ev.info.method = resolveChangeMethod(in.config.change.method, f.roles.size());
  ev.info.configHash = key;
  for (const auto& [s, w] : {std::pair{&in.before, &f.before}, std::pair{&in.after, &f.after}}) {
    const auto fp = tiles::computeFootprint(in.ap.grid, w->values, w->cloud, f.aoiMask);
    evidence::Footprint fo;
    fo.sceneId = s->id;
    fo.timeIso = formatIsoTime(s->time);
    fo.areaM2 = fp.validAreaM2;
    fo.validFraction = fp.validFraction;
    fo.imagedFraction = fp.imagedFraction;
    fo.polygons = fp.polygons;
    ev.footprints.push_back(std::move(fo));
  }
  return ev;
}

// Change: the change map of the warped dates by `methodName`, with the config's options when it
// is the configured method and its defaults when it was chosen for the bands.
tiles::ChangeMapResult changeStep(const JobInputs& in, const std::string& methodName,
                                  const JobFiles& f) {
  const Config& config = in.config;
  const auto& registry = imaging::Registry::builtins();
  const auto* methodEntry = registry.method(methodName);
  if (!methodEntry) throw Error("change method '" + methodName + "' is not built in");
  auto method = registry.createMethod(methodName, methodName == config.change.method
                                                      ? config.change.params
                                                      : imaging::Params(methodEntry->options));
  tiles::ChangeInputs ci;
  ci.grid = in.ap.grid;
  ci.before = {f.before.values, {}, std::nullopt};
  ci.after = {f.after.values, {}, std::nullopt};
  for (int b = 1; b < f.before.alphaBand; ++b) {
    ci.before.bands.push_back(b);
    ci.after.bands.push_back(b);
  }
  ci.masks.push_back({f.aoiMask, 1, true});
  if (!f.before.cloud.empty()) ci.masks.push_back({f.before.cloud, 1, false});
  if (!f.after.cloud.empty()) ci.masks.push_back({f.after.cloud, 1, false});
  tiles::ChangeMapOptions co;
  co.threads = in.threads;
  co.tileSizePx = config.tiling.tilePx;
  co.memoryBudgetBytes = static_cast<std::size_t>(config.tiling.memoryMb) << 20;
  co.openRadiusM = config.change.openRadiusM;
  co.closeRadiusM = config.change.closeRadiusM;
  co.minAreaM2 = config.change.minAreaM2;
  return tiles::runChangeMap(ci, *method, co, f.dir);
}

// The change map's parameters and polygons into the evidence, each polygon flagged
// registration_suspect where a rejected co-registration or a shoreline makes it so.
void recordChanges(const tiles::ChangeMapResult& cm, const Job& job, const JobFiles& f,
                   evidence::JobEvidence& ev) {
  ev.params = cm.solved;
  ev.params["threshold"] = {cm.threshold};
  ev.params["shift_px"] = {cm.shiftPx.x, cm.shiftPx.y};
  ev.params["shift_confidence"] = {cm.shiftConfidence};
  ev.params["shift_applied"] = {cm.shiftApplied ? 1.0 : 0.0};
  ev.params["changed_area_m2"] = {cm.changedAreaM2};
  // Co-registration measured a shift but did not trust it: a residual misregistration of
  // that size may draw change along every edge, so this job's change polygons are suspect.
  const bool registrationRejected =
      !cm.shiftApplied && std::hypot(cm.shiftPx.x, cm.shiftPx.y) >= kSuspectShiftPx;
  if (registrationRejected) {
    log::warn("job " + std::to_string(job.index) + " " + job.id + ": co-registration rejected " +
              "(shift " + std::to_string(std::hypot(cm.shiftPx.x, cm.shiftPx.y)) + " px from " +
              std::to_string(cm.shiftWindows) + " window(s), confidence " +
              std::to_string(cm.shiftConfidence) + "); its change polygons are flagged " +
              "registration_suspect");
  }
  // Change along a land/water edge within a residual misregistration's reach (a pixel).
  std::vector<cv::Rect> boxes;
  for (const auto& p : cm.polygons) boxes.push_back(p.boundsPx);
  const std::vector<bool> alongShore = changeAlongShore(
      {f.before.values, f.roles, f.waterMask, (f.dir / "mask.tif").string(), 1.0}, boxes);
  for (size_t i = 0; i < cm.polygons.size(); ++i) {
    const auto& p = cm.polygons[i];
    evidence::ChangePolygon c;
    c.registrationSuspect = registrationRejected || alongShore[i];
    c.rings = polygonFromGeoJson(p.geometryJson);
    c.areaM2 = p.areaM2;
    c.meanScore = p.meanScore;
    c.pixelCount = p.pixelCount;
    c.bboxPx = {p.boundsPx.x, p.boundsPx.y, p.boundsPx.width, p.boundsPx.height};
    ev.changes.push_back(std::move(c));
  }
}

// Count: objects, per detector and date, with each date's count and footprint.
void countStep(const JobInputs& in, JobFiles& f, evidence::JobEvidence& ev) {
  for (const auto& det : in.aoi.detectors) {
    for (const auto& [s, w, fi] :
         {std::tuple{&in.before, &f.before, 0}, std::tuple{&in.after, &f.after, 1}}) {
      DetectionStepInput di;
      di.grid = in.ap.grid;
      di.pixelSizeM = in.ap.pixelSizeM;
      di.sceneVrt = w->values;
      di.roles = f.roles;
      di.cloudVrt = w->cloud;
      di.aoiMask = f.aoiMask;
      di.waterMask = f.waterMask;
      if (in.aoi.shore) di.waterName = tiles::describeShore(*in.aoi.shore);
      di.sceneId = s->id;
      di.threads = in.threads;
      di.tilePx = in.config.tiling.tilePx;
      auto dets = detectObjects(det, di);
      evidence::SceneCount sc;
      sc.sceneId = s->id;
      sc.timeIso = formatIsoTime(s->time);
      sc.kind = det.name;
      sc.count = static_cast<int>(dets.records.size());
      sc.footprint = ev.footprints[fi];
      sc.degraded = dets.degraded;
      sc.clutterShare = dets.clutterShare;
      sc.waterAreaM2 = dets.waterAreaM2;
      sc.waterSource = dets.waterSource;
      ev.counts.push_back(sc);
      for (auto& d : dets.records) ev.detections.push_back(std::move(d));
      if (detectsVessels(det.name) && !dets.sceneWater.empty())
        f.learnedWater.emplace(s->id, std::pair{dets.sceneWater, dets.sceneValid});
    }
  }
}

// The warped bands (1-based) that render as red, green, blue; band 1 alone without all three.
std::vector<int> rgbBands(const std::vector<std::string>& roles) {
  std::vector<int> rgb;
  for (const char* r : {"red", "green", "blue"}) {
    const auto it = std::find(roles.begin(), roles.end(), r);
    if (it != roles.end()) rgb.push_back(static_cast<int>(it - roles.begin()) + 1);
  }
  if (rgb.size() != 3) rgb = {1};
  return rgb;
}

// Evidence: counts.json, the review tiles' layers.json, chips, evidence files and product.
void evidenceStep(const tiles::ChangeMapResult& cm, const JobFiles& f, evidence::JobEvidence& ev) {
  writeCounts(f.dir / "counts.json", ev);
  evidence::JobEvidenceSources src;
  src.chips.beforePath = f.before.values;
  src.chips.afterPath = f.after.values;
  src.chips.maskPath = cm.maskPath.string();
  const std::vector<int> rgb = rgbBands(f.roles);
  // For the review tiles of `serve`: which warped bands render as red, green, blue.
  writeJobLayers(f.dir, rgb, f.before.alphaBand);
  src.chips.beforeBands = rgb;
  src.chips.afterBands = rgb;
  // The after chip on the before date's radiometry: CVA's gain/offset (fitted on IR-MAD's
  // no-change pixels); other methods leave it to the chips' fit on the mask's unchanged pixels.
  const auto gain = ev.params.find("gain"), offset = ev.params.find("offset");
  if (gain != ev.params.end() && offset != ev.params.end() &&
      gain->second.size() == f.roles.size() && offset->second.size() == f.roles.size()) {
    for (int b : rgb) {
      src.chips.afterGain.push_back(gain->second[static_cast<size_t>(b - 1)]);
      src.chips.afterOffset.push_back(offset->second[static_cast<size_t>(b - 1)]);
    }
  }
  src.product.scorePath = cm.scorePath.string();
  src.product.maskPath = cm.maskPath.string();
  evidence::writeJobEvidence(f.dir, ev, src);
}

}  // namespace

fs::path jobDir(const Config& config, const Job& job) {
  return config.output / job.id;
}

std::string jobKey(const Config& config, const Plan& plan, const Job& job) {
  // The parts of the resolved config that change a job's result, as canonical YAML.
  Config subset;
  subset.file = config.file;
  subset.windowStart = 0;
  subset.windowEnd = 0;
  subset.sensor = config.sensor;
  subset.grid = config.grid;
  subset.change = config.change;
  subset.minCoverage = config.minCoverage;
  subset.aois = {aoiOf(config, job.aoiId)};
  std::string text = toYaml(subset);
  for (const auto* id : {&job.beforeId, &job.afterId}) {
    const Scene& s = plan.scene(*id);
    text += "scene " + s.id + " " + std::to_string(s.time);
    for (const auto& f : s.files) text += " " + cachedSha256(config.output, f);
    text += "\n";
  }
  return cw::sha256Hex(text);
}

void runJob(const Config& config, const Plan& plan, const Job& job, const JobRunOptions& options) {
  const auto t0 = Clock::now();
  const fs::path dir = jobDir(config, job);
  fs::create_directories(dir);
  FileLock lock(dir / ".lock", FileLock::Mode::Exclusive, "job " + job.id);
  // Temp files of an attempt that was killed before its renames are not evidence.
  cw::removeStaleTempFiles(dir);
  cw::removeStaleTempFiles(dir / "chips");
  const std::string started = nowIso();
  try {
    const JobInputs in{config,
                       aoiOf(config, job.aoiId),
                       plan.aoi(job.aoiId),
                       plan.scene(job.beforeId),
                       plan.scene(job.afterId),
                       options.threads};
    const std::string key = jobKey(config, plan, job);

    // A job being redone is not complete until its new job.json lands.
    std::error_code ec;
    fs::remove(dir / "job.json", ec);
    JobFiles f;
    f.dir = dir;
    f.work = dir / ".work";
    fs::remove_all(f.work, ec);
    fs::create_directories(f.work);

    std::map<std::string, double> timings;
    auto step = Clock::now();
    warpStep(in, f);
    timings["warp"] = secondsSince(step);

    step = Clock::now();
    evidence::JobEvidence ev = footprintStep(in, key, f);
    timings["footprint"] = secondsSince(step);

    step = Clock::now();
    const auto cm = changeStep(in, ev.info.method, f);
    timings["change"] = secondsSince(step);
    recordChanges(cm, job, f, ev);

    step = Clock::now();
    countStep(in, f, ev);
    timings["count"] = secondsSince(step);

    // AIS identity of the ship detections (docs/ais.md).
    step = Clock::now();
    const JobVessels vessels = matchJobVessels(config, {&in.before, &in.after}, ev,
                                               {in.ap.grid, f.waterMask, f.learnedWater});
    if (config.ais.enabled()) timings["ais"] = secondsSince(step);

    // Evidence (it gives the STS candidates their ids), vessels.geojson, then the record.
    step = Clock::now();
    evidenceStep(cm, f, ev);
    writeJobVessels(vessels, ev, dir);
    timings["evidence"] = secondsSince(step);
    timings["total"] = secondsSince(t0);

    fs::remove(dir / "failed.json", ec);
    evidence::JobRecord rec;
    rec.startedIso = started;
    rec.finishedIso = nowIso();
    rec.timingsS = timings;
    rec.jobKey = key;
    rec.task = options.task;
    evidence::writeJobRecord(dir, ev, rec);
    log::info("job " + std::to_string(job.index) + " " + job.id + ": " +
              std::to_string(ev.changes.size()) + " change polygon(s), " +
              std::to_string(ev.detections.size()) + " detection(s) in " +
              std::to_string(static_cast<int>(timings["total"] + 0.5)) + " s");
  } catch (const std::exception& e) {
    recordFailure(dir, job, options, e.what());
    throw Error("job " + std::to_string(job.index) + " " + job.id + ": " + e.what());
  }
}

}  // namespace cw::pipeline
