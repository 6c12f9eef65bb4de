#include "pipeline/ais_step.hpp"

#include <algorithm>
#include <memory>

#include <ogr_geometry.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/iso_time.hpp"
#include "core/log.hpp"
#include "imaging/registry.hpp"
#include "tiles/land_distance.hpp"
#include "vessels/ais_ingest.hpp"
#include "vessels/ais_store.hpp"
#include "vessels/sts_rules.hpp"
#include "vessels/vessel_geojson.hpp"
#include "vessels/vessel_matching.hpp"

namespace cw::pipeline {

bool detectsVessels(const std::string& detector) {
  const auto* entry = imaging::Registry::builtins().detector(detector);
  return entry && entry->detectsVessels;
}

namespace {

std::int64_t windowSeconds(const Config& c) {
  return static_cast<std::int64_t>(c.ais.windowHours * 3600.0);
}

// The footprint's valid area as one OGR geometry, for point-in-footprint tests.
std::unique_ptr<OGRGeometry> footprintGeometry(const evidence::Footprint& fp) {
  auto mp = std::make_unique<OGRMultiPolygon>();
  for (const auto& poly : fp.polygons) {
    OGRPolygon p;
    for (const auto& ring : poly) {
      if (ring.size() < 3) continue;
      OGRLinearRing r;
      for (const auto& v : ring) r.addPoint(v[0], v[1]);
      r.closeRings();
      p.addRing(&r);
    }
    if (!p.IsEmpty()) mp->addGeometry(&p);
  }
  return mp;
}

// AIS is matched with vessel detections only: AOIs without a vessel detector need no store.
bool hasVesselDetector(const Aoi& aoi) {
  return std::any_of(aoi.detectors.begin(), aoi.detectors.end(),
                     [](const DetectorConfig& d) { return detectsVessels(d.name); });
}

using ShoreByScene = std::map<std::string, vessels::ShoreDistance>;

vessels::ShoreDistance shoreOf(std::shared_ptr<const tiles::LandDistance> d) {
  return [d](double lon, double lat) { return d->distanceM(lon, lat); };
}

// The shore distance of each scene of the job: the AOI's water mask when it has one (the same
// for every scene), else the water the vessel detector learned from each scene. A scene without
// either has none (the shore condition is not checked there).
ShoreByScene shoreDistances(const JobWater& w, const std::vector<const Scene*>& scenes) {
  ShoreByScene out;
  if (!w.grid.georeferenced() || !w.grid.metric()) return out;
  if (!w.waterMask.empty()) {
    const auto d = std::make_shared<const tiles::LandDistance>(
        tiles::LandDistance::fromWaterMask(w.waterMask, w.grid));
    for (const Scene* s : scenes) out[s->id] = shoreOf(d);
    return out;
  }
  for (const auto& [id, wv] : w.learned) {
    if (wv.first.empty()) continue;
    // Land is what the scene imaged and did not call water; nodata and cloud are unknown.
    out[id] =
        shoreOf(std::make_shared<const tiles::LandDistance>(wv.first == 0, wv.second, w.grid));
  }
  return out;
}

// For an AIS encounter, which no one scene owns: the nearest land any scene of the job knows.
vessels::ShoreDistance nearestOfScenes(const ShoreByScene& byScene) {
  if (byScene.empty()) return {};
  return [byScene](double lon, double lat) {
    std::optional<double> best;
    for (const auto& [id, f] : byScene) {
      const auto d = f(lon, lat);
      if (d && (!best || *d < *best)) best = d;
    }
    return best;
  };
}

// STS candidates from imagery: side-by-side hulls among one scene's ship detections (`index`).
void addHullPairs(const Config& config, const vessels::ShoreDistance& shore,
                  const std::vector<size_t>& index, const std::string& sceneId,
                  evidence::JobEvidence& ev) {
  std::vector<vessels::HullObservation> hulls;
  for (const auto i : index) {
    const auto& d = ev.detections[i];
    hulls.push_back({d.lon, d.lat, d.lengthM, d.widthM, d.headingDeg});
  }
  for (const auto& p : vessels::findHullPairs(hulls, config.ais.sts.hullPair, shore)) {
    const size_t ia = index[static_cast<size_t>(p.first)];
    const size_t ib = index[static_cast<size_t>(p.second)];
    const auto& a = ev.detections[ia];
    const auto& b = ev.detections[ib];
    evidence::StsRecord e;
    e.source = "imagery";
    e.sceneId = sceneId;
    e.lon = (a.lon + b.lon) / 2;
    e.lat = (a.lat + b.lat) / 2;
    e.first = static_cast<int>(ia);
    e.second = static_cast<int>(ib);
    e.mmsi1 = a.ais.mmsi;
    e.mmsi2 = b.ais.mmsi;
    e.firstDark = a.ais.status == "dark";
    e.secondDark = b.ais.status == "dark";
    e.distanceM = p.centreDistanceM;
    e.shoreChecked = p.shoreChecked;
    e.shoreDistanceM = p.shoreDistanceM;
    ev.sts.push_back(e);
  }
}

// The scene of the job acquired during the encounter whose imaged footprint holds its position
// (the candidate's chip shows it), or "".
std::string coveringScene(const vessels::Encounter& en, const std::vector<const Scene*>& scenes,
                          const evidence::JobEvidence& ev) {
  for (const Scene* s : scenes) {
    if (s->time < en.startS || s->time > en.endS) continue;
    for (const auto& f : ev.footprints) {
      const OGRPoint p(en.lon, en.lat);
      if (f.sceneId == s->id && footprintGeometry(f)->Contains(&p)) return s->id;
    }
  }
  return "";
}

// STS candidates from AIS: the encounter rule over the scenes' windows.
void addEncounters(const Config& config, const vessels::ShoreDistance& shore,
                   const vessels::AoiFixes& ais, const std::vector<const Scene*>& scenes,
                   evidence::JobEvidence& ev) {
  std::vector<std::int64_t> times;
  for (const Scene* s : scenes) times.push_back(s->time);
  for (const auto& [from, to] : vessels::mergedWindows(times, windowSeconds(config))) {
    for (const auto& en : vessels::findEncounters(ais, from, to, config.ais.sts.encounter, shore)) {
      evidence::StsRecord e;
      e.source = "ais";
      e.sceneId = coveringScene(en, scenes, ev);
      e.lon = en.lon;
      e.lat = en.lat;
      e.mmsi1 = en.mmsi1;
      e.mmsi2 = en.mmsi2;
      e.startIso = formatIsoTime(en.startS);
      e.endIso = formatIsoTime(en.endS);
      e.distanceM = en.medianDistanceM;
      e.shoreChecked = en.shoreChecked;
      e.shoreDistanceM = en.shoreDistanceM;
      ev.sts.push_back(e);
    }
  }
}

}  // namespace

bool sceneHasTimeOfDay(const Scene& scene) {
  return scene.timeSource == "stac" || scene.time % 86400 != 0;
}

namespace {

// Matches one scene's ship detections with the AOI's AIS vessels: fills their AIS identity,
// logs the counts and returns the match; `index` gets the detections' indices in ev.detections.
// `shore` (may be empty) tells an unseen vessel alongside a quay from one in open water.
vessels::SceneMatch matchSceneVessels(const Config& config, const Scene& s,
                                      const vessels::AoiFixes& ais,
                                      const vessels::ShoreDistance& shore,
                                      evidence::JobEvidence& ev, std::vector<size_t>& index) {
  std::vector<vessels::ShipObservation> obs;
  for (size_t i = 0; i < ev.detections.size(); ++i) {
    const auto& d = ev.detections[i];
    if (!detectsVessels(d.kind) || d.sceneId != s.id) continue;
    index.push_back(i);
    obs.push_back({d.lon, d.lat, d.lengthM});
  }
  vessels::SceneMatchInput in;
  if (sceneHasTimeOfDay(s)) in.timeS = s.time;
  in.ais = &ais;
  in.config = config.ais;
  in.landDistanceM = shore;
  std::shared_ptr<OGRGeometry> fp;
  for (const auto& f : ev.footprints) {
    if (f.sceneId == s.id) fp = footprintGeometry(f);
  }
  if (fp) {
    in.inFootprint = [fp](double lon, double lat) {
      OGRPoint p(lon, lat);
      return fp->Contains(&p) != 0;
    };
  }
  auto m = vessels::matchScene(obs, in);
  for (size_t k = 0; k < index.size(); ++k) {
    const auto& dm = m.detections[k];
    auto& a = ev.detections[index[k]].ais;
    a.status = vessels::statusName(dm.status);
    a.mmsi = dm.mmsi;
    a.imo = dm.imo;
    a.vesselName = dm.vesselName;
    a.distanceM = dm.distanceM;
    a.dtS = static_cast<double>(dm.dtS);
    a.matchScore = dm.score;
  }
  int matched = 0, dark = 0;
  for (const auto& dm : m.detections) {
    matched += dm.status == vessels::AisStatus::Matched;
    dark += dm.status == vessels::AisStatus::Dark;
  }
  log::info("AIS " + ev.info.aoiId + " " + s.id + ": " + std::to_string(matched) + " matched, " +
            std::to_string(dark) + " dark, " + std::to_string(m.unseen.size()) + " unseen of " +
            std::to_string(m.vessels.size()) + " AIS vessels placed" +
            (in.timeS ? "" : " (scene has a date only: no_time)"));
  return m;
}

}  // namespace

void ingestAisForPlan(const Config& config, const Plan& plan) {
  if (!config.ais.enabled()) return;
  std::vector<vessels::AoiWindow> windows;
  for (const auto& ap : plan.aois) {
    if (!ap.error.empty()) continue;
    std::vector<std::int64_t> times;
    for (const auto& cov : ap.coverage) {
      if (cov.used) times.push_back(plan.scene(cov.sceneId).time);
    }
    const auto it = std::find_if(config.aois.begin(), config.aois.end(),
                                 [&](const Aoi& a) { return a.id == ap.aoiId; });
    if (it == config.aois.end() || times.empty() || !hasVesselDetector(*it)) continue;
    windows.push_back(vessels::makeAoiWindow(ap.aoiId, ringOf(*it), it->crossesAntimeridian,
                                             config.ais.bufferM, times, windowSeconds(config)));
  }
  if (windows.empty()) return;
  const auto files = config.ais.resolveFiles();
  log::info("AIS: reading " + std::to_string(files.size()) + " file(s) for " +
            std::to_string(windows.size()) + " AOI(s)");
  vessels::IngestOptions o;
  o.threads = config.threads;
  const auto r = vessels::ingestAis(files, config.ais, windows, o);
  nlohmann::ordered_json j;
  j["total"] = r.total.toJson();
  j["files"] = nlohmann::ordered_json::array();
  for (const auto& f : r.files) {
    j["files"].push_back({{"file", f.file}, {"format", f.format}, {"counts", f.counts.toJson()}});
    log::info("AIS " + f.file + " (" + f.format + "): " + f.counts.summary());
  }
  j["aois"] = nlohmann::ordered_json::object();
  for (const auto& a : r.aois) {
    vessels::writeAisGeoPackage(config.output / a.aoiId / "ais.gpkg", a);
    j["aois"][a.aoiId] = {{"fixes", a.fixes.size()},
                          {"vessels", a.vessels.size()},
                          {"duplicate", a.counts.duplicate},
                          {"position_jump", a.counts.positionJump}};
    log::info("AIS " + a.aoiId + ": " + std::to_string(a.fixes.size()) + " fixes of " +
              std::to_string(a.vessels.size()) + " vessels (" + std::to_string(a.counts.duplicate) +
              " duplicates dropped, " + std::to_string(a.counts.positionJump) +
              " position jumps marked)");
  }
  cw::writeFileAtomic(config.output / "ais_ingest.json", j.dump(2) + "\n");
}

JobVessels matchJobVessels(const Config& config, const std::vector<const Scene*>& scenes,
                           evidence::JobEvidence& ev, const JobWater& water) {
  JobVessels jv;
  const auto aoi = std::find_if(config.aois.begin(), config.aois.end(),
                                [&](const Aoi& a) { return a.id == ev.info.aoiId; });
  if (!config.ais.enabled() || aoi == config.aois.end() || !hasVesselDetector(*aoi)) return jv;
  jv.enabled = true;
  jv.windowS = windowSeconds(config);
  const auto store = config.output / ev.info.aoiId / "ais.gpkg";
  if (std::filesystem::exists(store)) jv.ais = vessels::readAisGeoPackage(store);
  const ShoreByScene shore = shoreDistances(water, scenes);
  for (const Scene* s : scenes) {
    std::vector<size_t> index;
    const auto it = shore.find(s->id);
    const vessels::ShoreDistance sceneShore =
        it == shore.end() ? vessels::ShoreDistance{} : it->second;
    auto m = matchSceneVessels(config, *s, jv.ais, sceneShore, ev, index);
    addHullPairs(config, sceneShore, index, s->id, ev);
    jv.scenes.push_back({s->id, s->time, std::move(m)});
  }
  addEncounters(config, nearestOfScenes(shore), jv.ais, scenes, ev);
  return jv;
}

void writeJobVessels(const JobVessels& jv, const evidence::JobEvidence& ev,
                     const std::filesystem::path& jobDir) {
  if (!jv.enabled) return;
  vessels::writeVesselsGeoJson(jobDir / "vessels.geojson", jv.ais, jv.scenes, jv.windowS, ev.sts);
}

namespace {

// The fixes of an AOI's store (OUT/<aoi>/ais.gpkg) as the observations hold them, each flagged
// inside or outside the AOI polygon; none when the AOI has no store.
std::vector<evidence::VesselFix> readAisFixes(const Config& config, const Aoi& aoi) {
  std::vector<evidence::VesselFix> out;
  const auto store = config.output / aoi.id / "ais.gpkg";
  if (!std::filesystem::exists(store)) return out;
  const vessels::AoiFixes fixes = vessels::readAisGeoPackage(store);
  OGRLinearRing ring;
  for (const auto& p : aoi.polygon) ring.addPoint(p.lon, p.lat);
  ring.closeRings();
  OGRPolygon polygon;
  polygon.addRing(&ring);
  out.reserve(fixes.fixes.size());
  for (const auto& f : fixes.fixes) {
    evidence::VesselFix v;
    v.mmsi = f.mmsi;
    v.timeS = f.timeS;
    const auto st = fixes.vessels.find(f.mmsi);
    if (st != fixes.vessels.end()) {
      v.imo = st->second.imo;
      v.name = st->second.name;
    }
    const OGRPoint p(f.lon, f.lat);
    v.inAoi = polygon.Contains(&p) != 0;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

void addAisObservations(const Config& config, evidence::Observations& observations,
                        AisFixCache& cache) {
  if (!config.ais.enabled()) return;
  for (const auto& aoi : config.aois) {
    const auto it = observations.find(aoi.id);
    if (it == observations.end()) continue;
    it->second.aisFeed = true;
    // AIS is ingested and matched in AOIs with a vessel detector only (ingestAisForPlan).
    it->second.aisMatched = hasVesselDetector(aoi);
    if (!it->second.aisMatched) continue;
    auto cached = cache.find(aoi.id);
    if (cached == cache.end()) cached = cache.emplace(aoi.id, readAisFixes(config, aoi)).first;
    it->second.aisFixes.insert(it->second.aisFixes.end(), cached->second.begin(),
                               cached->second.end());
  }
}

}  // namespace cw::pipeline
