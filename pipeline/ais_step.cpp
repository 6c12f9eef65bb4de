#include "pipeline/ais_step.hpp"

#include <algorithm>
#include <memory>

#include <ogr_geometry.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/log.hpp"
#include "imaging/registry.hpp"
#include "vessels/ais_ingest.hpp"
#include "vessels/ais_store.hpp"
#include "vessels/sts_rules.hpp"
#include "vessels/vessel_geojson.hpp"
#include "vessels/vessel_matching.hpp"

namespace cw::pipeline {
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

// Whether the detector of this name declares its detections vessels (its registry entry).
bool detectsVessels(const std::string& detector) {
  const auto* entry = imaging::Registry::builtins().detector(detector);
  return entry && entry->detectsVessels;
}

// AIS is matched with vessel detections only: AOIs without a vessel detector need no store.
bool detectsVessels(const Aoi& aoi) {
  return std::any_of(aoi.detectors.begin(), aoi.detectors.end(),
                     [](const DetectorConfig& d) { return detectsVessels(d.name); });
}

// STS candidates from imagery: side-by-side hulls among one scene's ship detections (`index`).
// The shore-distance condition needs a coastline, which the job does not have yet: not applied.
void addHullPairs(const evidence::JobEvidence& ev, const std::vector<size_t>& index,
                  const std::string& sceneId, std::vector<vessels::StsEvent>& sts) {
  std::vector<vessels::HullObservation> hulls;
  for (const auto i : index) {
    const auto& d = ev.detections[i];
    hulls.push_back({d.lon, d.lat, d.lengthM, d.widthM, d.headingDeg});
  }
  for (const auto& p : vessels::findHullPairs(hulls, vessels::HullPairRule{})) {
    const auto& a = ev.detections[index[static_cast<size_t>(p.first)]];
    const auto& b = ev.detections[index[static_cast<size_t>(p.second)]];
    vessels::StsEvent e;
    e.source = "imagery";
    e.sceneId = sceneId;
    e.lon = (a.lon + b.lon) / 2;
    e.lat = (a.lat + b.lat) / 2;
    e.mmsi1 = a.ais.mmsi;
    e.mmsi2 = b.ais.mmsi;
    e.firstDark = a.ais.status == "dark";
    e.secondDark = b.ais.status == "dark";
    e.distanceM = p.centreDistanceM;
    sts.push_back(e);
  }
}

// STS candidates from AIS: the encounter rule over the scenes' windows.
void addEncounters(const vessels::AoiFixes& ais, const std::vector<const Scene*>& scenes,
                   std::int64_t windowS, std::vector<vessels::StsEvent>& sts) {
  for (const Scene* s : scenes) {
    for (const auto& en : vessels::findEncounters(ais, s->time - windowS, s->time + windowS,
                                                  vessels::EncounterRule{})) {
      vessels::StsEvent e;
      e.source = "ais";
      e.lon = en.lon;
      e.lat = en.lat;
      e.mmsi1 = en.mmsi1;
      e.mmsi2 = en.mmsi2;
      e.startS = en.startS;
      e.endS = en.endS;
      e.distanceM = en.medianDistanceM;
      sts.push_back(e);
    }
  }
}

}  // namespace

bool sceneHasTimeOfDay(const Scene& scene) {
  return scene.timeSource == "stac" || scene.time % 86400 != 0;
}

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
    if (it == config.aois.end() || times.empty() || !detectsVessels(*it)) continue;
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

void matchJobVessels(const Config& config, const std::vector<const Scene*>& scenes,
                     evidence::JobEvidence& ev, const std::filesystem::path& jobDir) {
  const auto aoi = std::find_if(config.aois.begin(), config.aois.end(),
                                [&](const Aoi& a) { return a.id == ev.info.aoiId; });
  if (!config.ais.enabled() || aoi == config.aois.end() || !detectsVessels(*aoi)) return;
  const auto store = config.output / ev.info.aoiId / "ais.gpkg";
  vessels::AoiFixes ais;
  if (std::filesystem::exists(store)) ais = vessels::readAisGeoPackage(store);
  std::vector<vessels::SceneVessels> out;
  std::vector<vessels::StsEvent> sts;
  for (size_t si = 0; si < scenes.size(); ++si) {
    const Scene& s = *scenes[si];
    std::vector<size_t> index;
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
    addHullPairs(ev, index, s.id, sts);
    out.push_back({s.id, s.time, std::move(m)});
  }
  addEncounters(ais, scenes, windowSeconds(config), sts);
  vessels::writeVesselsGeoJson(jobDir / "vessels.geojson", ais, out, windowSeconds(config), sts);
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
    auto cached = cache.find(aoi.id);
    if (cached == cache.end()) cached = cache.emplace(aoi.id, readAisFixes(config, aoi)).first;
    it->second.aisFixes.insert(it->second.aisFixes.end(), cached->second.begin(),
                               cached->second.end());
  }
}

}  // namespace cw::pipeline
