#include "evidence/evidence_ids.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

#include "core/sha256.hpp"

namespace cw::evidence {
namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  // Rounding first keeps "-0.000000" out of the key.
  const double scale = std::pow(10.0, decimals);
  double r = std::round(v * scale) / scale;
  if (r == 0.0) r = 0.0;
  std::snprintf(buf, sizeof buf, "%.*f", decimals, r);
  return buf;
}

std::string makeId(const JobInfo& job, const std::string& kind, const std::string& scene,
                   double lon, double lat, double size) {
  const std::string key = job.aoiId + "|" + job.before.id + "|" + job.after.id + "|" + kind + "|" +
                          scene + "|" + fixed(lon, 6) + "|" + fixed(lat, 6) + "|" + fixed(size, 0);
  return job.aoiId + "-" + kind + "-" + sha256Hex(key).substr(0, 12);
}

LonLat ringCentroid(const Polygon& poly) {
  if (poly.empty() || poly[0].empty()) return {0.0, 0.0};
  double sx = 0, sy = 0;
  for (const auto& p : poly[0]) {
    sx += p[0];
    sy += p[1];
  }
  const double n = static_cast<double>(poly[0].size());
  return {sx / n, sy / n};
}

template <class T>
void dedupe(std::vector<T>& items) {
  std::map<std::string, int> seen;
  for (auto& it : items) {
    const int n = ++seen[it.id];
    if (n > 1) it.id = it.id + std::string("-") + std::to_string(n);
  }
}

}  // namespace

std::string changeEvidenceId(const JobInfo& job, const ChangePolygon& change) {
  const LonLat c = ringCentroid(change.rings);
  return makeId(job, "change", "", c[0], c[1], change.areaM2);
}

std::string detectionEvidenceId(const JobInfo& job, const DetectionRecord& d) {
  return makeId(job, d.kind, d.sceneId, d.lon, d.lat, d.areaM2);
}

std::string footprintEvidenceId(const JobInfo& job, const Footprint& f) {
  return makeId(job, "footprint", f.sceneId, 0.0, 0.0, 0.0);
}

std::string stsEvidenceId(const JobInfo& job, const StsRecord& s) {
  // An encounter has no scene of its own: its vessels and start stand in for one.
  const std::string where = s.source == "imagery" ? s.sceneId
                                                  : "ais:" + std::to_string(s.mmsi1) + "+" +
                                                        std::to_string(s.mmsi2) + "@" + s.startIso;
  return makeId(job, "sts", where, s.lon, s.lat, s.distanceM);
}

namespace {

// Sorts the detections into their canonical order, and returns, for each detection's index
// before the sort, its index after it (STS records name their hulls by index until then).
std::vector<size_t> sortDetections(std::vector<DetectionRecord>& dets) {
  std::vector<size_t> order(dets.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t i, size_t j) {
    const auto &a = dets[i], &b = dets[j];
    return std::tie(a.sceneId, a.kind, b.score, a.id) < std::tie(b.sceneId, b.kind, a.score, b.id);
  });
  std::vector<DetectionRecord> sorted;
  sorted.reserve(dets.size());
  std::vector<size_t> newIndex(dets.size());
  for (size_t k = 0; k < order.size(); ++k) {
    newIndex[order[k]] = k;
    sorted.push_back(std::move(dets[order[k]]));
  }
  dets = std::move(sorted);
  return newIndex;
}

}  // namespace

void assignEvidenceIds(JobEvidence& ev) {
  for (auto& c : ev.changes) c.id = changeEvidenceId(ev.info, c);
  for (auto& d : ev.detections) d.id = detectionEvidenceId(ev.info, d);
  for (auto& f : ev.footprints) f.id = footprintEvidenceId(ev.info, f);
  std::sort(ev.changes.begin(), ev.changes.end(), [](const auto& a, const auto& b) {
    return std::tie(b.areaM2, a.id) < std::tie(a.areaM2, b.id);
  });
  const std::vector<size_t> newIndex = sortDetections(ev.detections);
  std::sort(ev.footprints.begin(), ev.footprints.end(), [](const auto& a, const auto& b) {
    return std::tie(a.timeIso, a.sceneId) < std::tie(b.timeIso, b.sceneId);
  });
  std::sort(ev.counts.begin(), ev.counts.end(), [](const auto& a, const auto& b) {
    return std::tie(a.timeIso, a.sceneId, a.kind) < std::tie(b.timeIso, b.sceneId, b.kind);
  });
  dedupe(ev.changes);
  dedupe(ev.detections);
  dedupe(ev.footprints);
  // STS records after the detections, whose final ids they cite.
  const auto hullId = [&](int& index) {
    if (index < 0 || static_cast<size_t>(index) >= newIndex.size()) return std::string();
    const std::string id = ev.detections[newIndex[static_cast<size_t>(index)]].id;
    index = -1;
    return id;
  };
  for (auto& s : ev.sts) {
    if (s.first >= 0) s.firstId = hullId(s.first);
    if (s.second >= 0) s.secondId = hullId(s.second);
    s.id = stsEvidenceId(ev.info, s);
  }
  std::sort(ev.sts.begin(), ev.sts.end(), [](const auto& a, const auto& b) {
    return std::tie(a.source, a.sceneId, a.startIso, a.id) <
           std::tie(b.source, b.sceneId, b.startIso, b.id);
  });
  dedupe(ev.sts);
}

std::string chipPath(const std::string& evidenceId, const std::string& which) {
  return "chips/" + evidenceId + "_" + which + ".png";
}

}  // namespace cw::evidence
