#include "evidence/observations.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/iso_time.hpp"
#include "core/log.hpp"

namespace cw::evidence {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json readJson(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw Error(p.string() + ": cannot read");
  try {
    return json::parse(in);
  } catch (const std::exception& e) {
    throw Error(p.string() + ": not valid JSON: " + e.what());
  }
}

Polygon polygonFrom(const json& coords) {
  Polygon poly;
  for (const auto& r : coords) {
    Ring ring;
    for (const auto& p : r) ring.push_back({p[0].get<double>(), p[1].get<double>()});
    poly.push_back(std::move(ring));
  }
  return poly;
}

LonLat centroid(const Polygon& p) {
  if (p.empty() || p[0].empty()) return {0, 0};
  double x = 0, y = 0;
  for (const auto& v : p[0]) x += v[0], y += v[1];
  return {x / p[0].size(), y / p[0].size()};
}

std::string str(const json& props, const char* key) {
  const auto it = props.find(key);
  return it == props.end() || !it->is_string() ? std::string() : it->get<std::string>();
}
double num(const json& props, const char* key, double fallback = 0.0) {
  const auto it = props.find(key);
  return it == props.end() || !it->is_number() ? fallback : it->get<double>();
}
bool flag(const json& props, const char* key) {
  const auto it = props.find(key);
  return it != props.end() && it->is_boolean() && it->get<bool>();
}
// (lon, lat) of a GeoJSON Point geometry; unchanged for any other geometry.
void pointOf(const json& g, double& lon, double& lat) {
  if (g.is_null() || g.value("type", "") != "Point") return;
  lon = g.at("coordinates")[0].get<double>();
  lat = g.at("coordinates")[1].get<double>();
}

DetectionRecord detectionFrom(const std::string& id, const json& p, const json& g) {
  DetectionRecord d;
  d.id = id;
  d.kind = str(p, "kind");
  d.sceneId = str(p, "scene_id");
  d.lengthM = num(p, "length_m");
  d.widthM = num(p, "width_m");
  d.headingDeg = num(p, "heading_deg");
  d.areaM2 = num(p, "area_m2");
  d.score = num(p, "score");
  d.xPx = num(p, "x_px");
  d.yPx = num(p, "y_px");
  d.ais.status = str(p, "ais_status");
  d.ais.mmsi = static_cast<std::uint32_t>(num(p, "mmsi"));
  d.ais.imo = str(p, "imo");
  d.ais.vesselName = str(p, "vessel_name");
  pointOf(g, d.lon, d.lat);
  return d;
}

StsRecord stsFrom(const std::string& id, const json& p, const json& g) {
  StsRecord e;
  e.id = id;
  e.source = str(p, "sts_source");
  e.sceneId = str(p, "scene_id");
  e.firstId = str(p, "first_id");
  e.secondId = str(p, "second_id");
  e.mmsi1 = static_cast<std::uint32_t>(num(p, "mmsi"));
  e.mmsi2 = static_cast<std::uint32_t>(num(p, "mmsi2"));
  e.firstDark = num(p, "first_dark") != 0;
  e.secondDark = num(p, "second_dark") != 0;
  e.startIso = str(p, "start");
  e.endIso = str(p, "end");
  e.distanceM = num(p, "distance_m");
  e.shoreChecked = flag(p, "shore_checked");
  e.shoreDistanceM = num(p, "shore_distance_m");
  pointOf(g, e.lon, e.lat);
  return e;
}

// A scene as the first job that saw it describes it: time, footprint and counts.
SceneObservation sceneObservation(const JobEvidence& ev, const SceneRef& s) {
  SceneObservation o;
  o.sceneId = s.id;
  o.timeIso = s.timeIso;
  o.timeS = parseIsoTime(s.timeIso).value_or(0);
  for (const auto& f : ev.footprints)
    if (f.sceneId == s.id) {
      o.validFraction = f.validFraction;
      o.imagedFraction = f.imagedFraction;
      o.footprintAreaM2 = f.areaM2;
      o.footprint = f.polygons;
    }
  for (const auto& c : ev.counts)
    if (c.sceneId == s.id) {
      o.counts[c.kind] += c.count;
      if (c.degraded) o.degraded.insert(c.kind);
      if (ev.footprints.empty()) o.validFraction = c.footprint.validFraction;
    }
  return o;
}

std::string withJob(const std::string& jobRel, const std::string& p) {
  return p.empty() ? p : jobRel + "/" + p;
}

// A ship-to-ship candidate as an evidence item (rejected ones are dropped like any evidence).
template <class ChipsOf>
void addSts(AoiObservations& aoi, const StsRecord& e, const std::string& timeIso, ChipsOf chipsOf) {
  EvidenceItem item;
  item.id = e.id;
  item.type = "sts";
  item.kind = "sts";
  item.sceneId = e.sceneId;
  item.timeIso = timeIso;
  item.position = {e.lon, e.lat};
  item.sts = e;
  chipsOf(item);
  aoi.items[e.id] = item;
}

}  // namespace

ReviewDecisions readReviews(const fs::path& path) {
  ReviewDecisions out;
  std::ifstream in(path);
  if (!in) return out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const json j = json::parse(line);
      std::string id = j.value("evidence_id", j.value("id", std::string()));
      std::string decision = j.value("decision", j.value("status", std::string()));
      if (id.empty() || decision.empty()) throw std::runtime_error("no evidence_id/decision");
      out[id] = decision;
    } catch (const std::exception& e) {
      log::warn(path.string() + ":" + std::to_string(n) + ": review line skipped: " + e.what());
    }
  }
  return out;
}

void addJobObservations(Observations& obs, const JobEvidence& ev, const ChipIndex& chips,
                        const std::string& jobRel, const ReviewDecisions& reviews) {
  const JobInfo& info = ev.info;
  AoiObservations& aoi = obs[info.aoiId];
  aoi.aoiId = info.aoiId;
  if (!info.aoiName.empty()) aoi.aoiName = info.aoiName;
  if (!info.aoiKind.empty()) aoi.aoiKind = info.aoiKind;
  auto rejected = [&](const std::string& id) {
    const auto it = reviews.find(id);
    return it != reviews.end() && it->second == "rejected";
  };
  auto chipsOf = [&](EvidenceItem& item) {
    const auto it = chips.find(item.id);
    if (it == chips.end()) return;
    item.chipBefore = withJob(jobRel, it->second.before);
    item.chipAfter = withJob(jobRel, it->second.after);
    item.chipMask = withJob(jobRel, it->second.mask);
  };

  // Scenes: the first job that saw a scene describes it.
  for (const SceneRef* s : {&info.before, &info.after}) {
    const bool seen = std::any_of(aoi.scenes.begin(), aoi.scenes.end(),
                                  [&](const auto& o) { return o.sceneId == s->id; });
    if (seen) continue;
    SceneObservation o = sceneObservation(ev, *s);
    for (const auto& d : ev.detections) {
      if (d.sceneId != s->id) continue;
      if (rejected(d.id)) {
        o.counts[d.kind] = std::max(0, o.counts[d.kind] - 1);
        continue;
      }
      o.detectionIds[d.kind].push_back(d.id);
      EvidenceItem item{d.id,     "detection", d.kind, d.sceneId, s->timeIso, {d.lon, d.lat},
                        d.areaM2, d.score,     {},     "",        "",         "",
                        false,    d.ais,       {}};
      chipsOf(item);
      aoi.items[d.id] = item;
    }
    for (const auto& e : ev.sts) {
      if (e.source == "imagery" && e.sceneId == s->id && !rejected(e.id))
        addSts(aoi, e, s->timeIso, chipsOf);
    }
    aoi.scenes.push_back(std::move(o));
  }
  std::sort(aoi.scenes.begin(), aoi.scenes.end(), [](const auto& a, const auto& b) {
    return std::tie(a.timeS, a.sceneId) < std::tie(b.timeS, b.sceneId);
  });

  PairObservation pair;
  pair.beforeSceneId = info.before.id;
  pair.afterSceneId = info.after.id;
  pair.beforeS = parseIsoTime(info.before.timeIso).value_or(0);
  pair.afterS = parseIsoTime(info.after.timeIso).value_or(0);
  pair.jobDir = jobRel;
  for (const auto& c : ev.changes) {
    if (rejected(c.id)) continue;
    // Suspect evidence stays visible (ranked after clean evidence) but counts towards a verdict
    // only once a reviewer confirmed it.
    const auto rv = reviews.find(c.id);
    const bool confirmed = rv != reviews.end() && rv->second == "confirmed";
    if (!c.registrationSuspect || confirmed) pair.changeIds.push_back(c.id);
    EvidenceItem item{c.id,
                      "change",
                      "change",
                      info.after.id,
                      info.after.timeIso,
                      centroid(c.rings),
                      c.areaM2,
                      c.meanScore,
                      c.rings,
                      "",
                      "",
                      "",
                      c.registrationSuspect,
                      {},
                      {}};
    chipsOf(item);
    aoi.items[c.id] = item;
  }
  // An AIS encounter is seen by every job whose scenes' windows hold it: the first one names it.
  for (const auto& e : ev.sts) {
    if (e.source == "imagery" || rejected(e.id)) continue;
    const bool seen = std::any_of(aoi.items.begin(), aoi.items.end(), [&](const auto& kv) {
      const StsRecord& o = kv.second.sts;
      return kv.second.type == "sts" && o.source == e.source && o.mmsi1 == e.mmsi1 &&
             o.mmsi2 == e.mmsi2 && o.startIso == e.startIso;
    });
    if (!seen) addSts(aoi, e, e.startIso, chipsOf);
  }
  aoi.pairs.push_back(std::move(pair));
  std::sort(aoi.pairs.begin(), aoi.pairs.end(), [](const auto& a, const auto& b) {
    return std::tie(a.beforeS, a.afterS, a.jobDir) < std::tie(b.beforeS, b.afterS, b.jobDir);
  });
}

JobEvidence readJobEvidence(const fs::path& jobDir, ChipIndex* chips) {
  JobEvidence ev;
  const json job = readJson(jobDir / "job.json");
  auto scene = [](const json& j) {
    return SceneRef{j.value("id", ""), j.value("path", ""), j.value("sha256", ""),
                    j.value("time", "")};
  };
  ev.info.aoiId = job.value("aoi", "");
  ev.info.aoiName = job.value("aoi_name", "");
  ev.info.aoiKind = job.value("aoi_kind", "");
  ev.info.before = scene(job.value("before", json::object()));
  ev.info.after = scene(job.value("after", json::object()));
  ev.info.method = job.value("method", "");
  ev.info.configHash = job.value("config_hash", "");
  if (job.contains("parameters")) ev.params = job["parameters"].get<SolvedParams>();
  const json summary = job.value("summary", json::object());
  for (const auto& c : summary.value("counts", json::array())) {
    SceneCount sc;
    sc.sceneId = c.value("scene_id", "");
    sc.timeIso = c.value("time", "");
    sc.kind = c.value("kind", "");
    sc.count = c.value("count", 0);
    sc.footprint.validFraction = c.value("valid_fraction", 0.0);
    sc.degraded = c.value("degraded", false);
    ev.counts.push_back(sc);
  }
  const fs::path gj = jobDir / "evidence.geojson";
  if (!fs::exists(gj)) return ev;
  const json fc = readJson(gj);
  for (const auto& f : fc.value("features", json::array())) {
    const json& p = f.at("properties");
    const json& g = f.at("geometry");
    const std::string type = str(p, "feature_type");
    const std::string id =
        f.contains("id") && f["id"].is_string() ? f["id"].get<std::string>() : str(p, "id");
    if (chips && !str(p, "chip_before").empty())
      (*chips)[id] = {str(p, "chip_before"), str(p, "chip_after"), str(p, "chip_mask")};
    if (type == "footprint") {
      Footprint fp;
      fp.id = id;
      fp.sceneId = str(p, "scene_id");
      fp.timeIso = str(p, "scene_time");
      fp.areaM2 = num(p, "area_m2");
      fp.validFraction = num(p, "valid_fraction");
      fp.imagedFraction = num(p, "imaged_fraction", -1.0);
      if (!g.is_null()) {
        if (g.value("type", "") == "MultiPolygon")
          for (const auto& poly : g.at("coordinates")) fp.polygons.push_back(polygonFrom(poly));
        else if (g.value("type", "") == "Polygon")
          fp.polygons.push_back(polygonFrom(g.at("coordinates")));
      }
      ev.footprints.push_back(std::move(fp));
    } else if (type == "change") {
      ChangePolygon c;
      c.id = id;
      c.areaM2 = num(p, "area_m2");
      c.meanScore = num(p, "mean_score");
      c.pixelCount = static_cast<std::int64_t>(num(p, "pixel_count"));
      c.registrationSuspect = flag(p, "registration_suspect");
      if (!g.is_null() && g.value("type", "") == "Polygon")
        c.rings = polygonFrom(g.at("coordinates"));
      ev.changes.push_back(std::move(c));
    } else if (type == "detection") {
      ev.detections.push_back(detectionFrom(id, p, g));
    } else if (type == "sts") {
      ev.sts.push_back(stsFrom(id, p, g));
    }
  }
  return ev;
}

namespace {

// Unseen vessels of a job's vessels.geojson; a scene shared by two jobs gives the same events
// twice, so the list is kept sorted and unique.
void addVesselEvents(AoiObservations& aoi, const fs::path& path) {
  if (!fs::exists(path)) return;
  const json fc = readJson(path);
  for (const auto& f : fc.value("features", json::array())) {
    const json& p = f.at("properties");
    const std::string type = str(p, "feature_type");
    VesselEvent e;
    e.sceneId = str(p, "scene_id");
    e.mmsi = static_cast<std::uint32_t>(num(p, "mmsi"));
    if (type != "vessel_position" || str(p, "status") != "unseen") continue;
    e.kind = "unseen";
    e.detail = str(p, "likely");
    e.why = str(p, "likely_why");
    const auto at = std::lower_bound(aoi.vesselEvents.begin(), aoi.vesselEvents.end(), e);
    if (at == aoi.vesselEvents.end() || !(*at == e)) aoi.vesselEvents.insert(at, e);
  }
}

}  // namespace

Observations collectObservations(const fs::path& outDir, const ReviewDecisions& reviews) {
  Observations obs;
  std::vector<fs::path> jobs;
  if (fs::is_directory(outDir))
    for (const auto& aoi : fs::directory_iterator(outDir)) {
      if (!aoi.is_directory()) continue;
      for (const auto& job : fs::directory_iterator(aoi.path()))
        if (job.is_directory() && fs::is_regular_file(job.path() / "job.json"))
          jobs.push_back(job.path());
    }
  std::sort(jobs.begin(), jobs.end());
  for (const auto& dir : jobs) {
    const json job = readJson(dir / "job.json");
    if (job.value("status", "") != "complete") continue;
    ChipIndex chips;
    const JobEvidence ev = readJobEvidence(dir, &chips);
    addJobObservations(obs, ev, chips, dir.lexically_relative(outDir).generic_string(), reviews);
    addVesselEvents(obs[ev.info.aoiId], dir / "vessels.geojson");
  }
  return obs;
}

}  // namespace cw::evidence
