#include "vessels/vessel_matching.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <span>
#include <unordered_map>

#include <dlib/optimization/max_cost_assignment.h>

namespace cw::vessels {
namespace {

constexpr double kKnotMps = 1852.0 / 3600.0;
constexpr double kMetresPerDegree = 111320.0;
// Scores are fractions; the assignment solver wants integers.
constexpr double kScoreScale = 1e6;

struct Edge {
  int detection = 0;
  int vessel = 0;
  double distanceM = 0.0;
  double score = 0.0;
};

double gateOf(const VesselPosition& v, const MatchOptions& m) {
  const double kn = known(static_cast<float>(v.speedKn)) ? v.speedKn : m.unknownSpeedKn;
  return m.baseRadiusM + static_cast<double>(v.dtS) * kn * kKnotMps;
}

double lengthAgreement(float aisLengthM, double detectionLengthM) {
  if (!known(aisLengthM) || aisLengthM <= 0 || detectionLengthM <= 0) return 0.5;
  return std::min<double>(aisLengthM, detectionLengthM) /
         std::max<double>(aisLengthM, detectionLengthM);
}

// Vessel positions bucketed on a local metric grid whose cell is the largest gate, so that the
// admissible vessels of a detection are in its cell and the 8 around it.
class VesselGrid {
 public:
  VesselGrid(const std::vector<VesselPosition>& vessels, double cellM, double refLat)
      : m_cellM(std::max(cellM, 1.0)), m_cosLat(std::cos(refLat * M_PI / 180.0)) {
    for (size_t i = 0; i < vessels.size(); ++i)
      m_cells[key(vessels[i].lon, vessels[i].lat)].push_back(static_cast<int>(i));
  }
  template <typename F>
  void forNear(double lon, double lat, F&& f) const {
    const auto [cx, cy] = cell(lon, lat);
    for (std::int64_t dy = -1; dy <= 1; ++dy) {
      for (std::int64_t dx = -1; dx <= 1; ++dx) {
        const auto it = m_cells.find(pack(cx + dx, cy + dy));
        if (it == m_cells.end()) continue;
        for (const int v : it->second) f(v);
      }
    }
  }

 private:
  std::pair<std::int64_t, std::int64_t> cell(double lon, double lat) const {
    return {static_cast<std::int64_t>(std::floor(lon * m_cosLat * kMetresPerDegree / m_cellM)),
            static_cast<std::int64_t>(std::floor(lat * kMetresPerDegree / m_cellM))};
  }
  static std::int64_t pack(std::int64_t x, std::int64_t y) { return (x << 32) ^ (y & 0xffffffff); }
  std::int64_t key(double lon, double lat) const {
    const auto [x, y] = cell(lon, lat);
    return pack(x, y);
  }
  double m_cellM;
  double m_cosLat;
  std::unordered_map<std::int64_t, std::vector<int>> m_cells;
};

int findRoot(std::vector<int>& parent, int x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

// Optimal one-to-one assignment of one connected component (Hungarian, dlib).
void assignComponent(const std::vector<const Edge*>& edges, std::vector<int>& detectionVessel,
                     std::vector<const Edge*>& chosen) {
  std::vector<int> dets, vess;
  for (const auto* e : edges) dets.push_back(e->detection), vess.push_back(e->vessel);
  std::sort(dets.begin(), dets.end());
  dets.erase(std::unique(dets.begin(), dets.end()), dets.end());
  std::sort(vess.begin(), vess.end());
  vess.erase(std::unique(vess.begin(), vess.end()), vess.end());
  if (edges.size() == 1) {
    detectionVessel[edges[0]->detection] = edges[0]->vessel;
    chosen.push_back(edges[0]);
    return;
  }
  const long n = static_cast<long>(std::max(dets.size(), vess.size()));
  dlib::matrix<long> cost(n, n);
  cost = 0;
  std::vector<const Edge*> byCell(static_cast<size_t>(n * n), nullptr);
  for (const auto* e : edges) {
    const long r = std::lower_bound(dets.begin(), dets.end(), e->detection) - dets.begin();
    const long c = std::lower_bound(vess.begin(), vess.end(), e->vessel) - vess.begin();
    // +1: an admissible pair, however poor, beats no pair.
    cost(r, c) = 1 + std::lround(e->score * kScoreScale);
    byCell[static_cast<size_t>(r * n + c)] = e;
  }
  const auto assignment = dlib::max_cost_assignment(cost);
  for (long r = 0; r < static_cast<long>(dets.size()); ++r) {
    const Edge* e = byCell[static_cast<size_t>(r * n + assignment[r])];
    if (!e) continue;  // assigned to padding or to a pair outside the gate
    detectionVessel[e->detection] = e->vessel;
    chosen.push_back(e);
  }
}

std::vector<VesselPosition> placeVessels(const AoiFixes& ais, std::int64_t t, const AisConfig& c,
                                         bool& coverage) {
  InterpolationOptions o;
  o.windowS = static_cast<std::int64_t>(c.windowHours * 3600.0);
  o.maxDeadReckonS = c.match.maxDeadReckonS;
  std::vector<VesselPosition> out;
  const auto& fx = ais.fixes;
  coverage = false;
  for (size_t i = 0; i < fx.size();) {
    size_t j = i;
    while (j < fx.size() && fx[j].mmsi == fx[i].mmsi) {
      coverage = coverage || std::abs(fx[j].timeS - t) <= o.windowS;
      ++j;
    }
    if (auto p = positionAt(std::span<const AisFix>(fx.data() + i, j - i), t, o)) out.push_back(*p);
    i = j;
  }
  return out;
}

}  // namespace

const char* statusName(AisStatus s) {
  switch (s) {
    case AisStatus::Matched:
      return "matched";
    case AisStatus::Dark:
      return "dark";
    case AisStatus::NoAisCoverage:
      return "no_ais_coverage";
    case AisStatus::NoTime:
      return "no_time";
  }
  return "?";
}

namespace {

// Which is likelier for a vessel the AIS places in the imaged footprint that no detection saw:
// a miss of the detector (too short to be detected, or alongside the shore) or a false position.
UnseenVessel unseenReason(float lengthM, std::optional<double> landM, const MatchOptions& m) {
  auto metres = [](double v) { return std::to_string(static_cast<long>(std::lround(v))) + " m"; };
  const bool lengthKnown = known(lengthM) && m.minDetectableLengthM > 0;
  if (landM && *landM < -m.alongsideM) {
    return {-1, "spoofing", "broadcast position " + metres(-*landM) + " inside land"};
  }
  if (lengthKnown && lengthM < m.minDetectableLengthM) {
    return {-1, "missed",
            "AIS length " + metres(lengthM) + " is below the detector's minimum of " +
                metres(m.minDetectableLengthM)};
  }
  if (landM && *landM <= m.alongsideM) {
    return {-1, "missed",
            "alongside the shore (" +
                (*landM >= 0 ? metres(*landM) + " from land" : metres(-*landM) + " inside land") +
                "), where the ship detector misses most hulls"};
  }
  if (lengthKnown) {
    return {-1, "spoofing",
            "AIS length " + metres(lengthM) + ", long enough to be seen, " +
                (landM ? metres(*landM) + " from land" : "distance to land unknown")};
  }
  return {-1, "unknown", known(lengthM) ? "no minimum ship length configured" : "no AIS length"};
}

}  // namespace

SceneMatch matchScene(const std::vector<ShipObservation>& detections, const SceneMatchInput& in) {
  SceneMatch out;
  out.detections.resize(detections.size());
  if (!in.timeS) {
    for (auto& d : out.detections) d.status = AisStatus::NoTime;
    return out;
  }
  if (in.ais) out.vessels = placeVessels(*in.ais, *in.timeS, in.config, out.aisCoverage);
  if (!out.aisCoverage) {
    for (auto& d : out.detections) d.status = AisStatus::NoAisCoverage;
    return out;
  }
  const auto& m = in.config.match;
  std::vector<double> gates(out.vessels.size());
  double maxGate = m.baseRadiusM, refLat = 0.0;
  for (size_t v = 0; v < out.vessels.size(); ++v) {
    gates[v] = gateOf(out.vessels[v], m);
    maxGate = std::max(maxGate, gates[v]);
    refLat += out.vessels[v].lat / static_cast<double>(out.vessels.size());
  }
  // One very uncertain vessel would make every cell huge: its own gate is still applied below,
  // but cells are capped and such vessels are checked against every detection.
  const double cellM = std::min(maxGate, 20000.0);
  std::vector<int> wide;
  for (size_t v = 0; v < gates.size(); ++v) {
    if (gates[v] > cellM) wide.push_back(static_cast<int>(v));
  }
  const VesselGrid grid(out.vessels, cellM, refLat);
  std::vector<Edge> edges;
  const auto consider = [&](int d, int v) {
    const auto& det = detections[static_cast<size_t>(d)];
    const auto& ves = out.vessels[static_cast<size_t>(v)];
    const double dist = distanceM(det.lon, det.lat, ves.lon, ves.lat);
    if (dist > gates[static_cast<size_t>(v)]) return;
    const auto it = in.ais->vessels.find(ves.mmsi);
    const float aisLength = it != in.ais->vessels.end() ? it->second.lengthM : kUnknown;
    if (known(aisLength) && aisLength > 0 && det.lengthM > 0 &&
        std::min<double>(aisLength, det.lengthM) <
            m.minLengthRatio * std::max<double>(aisLength, det.lengthM)) {
      return;
    }
    const double score = (1.0 - m.lengthWeight) * (1.0 - dist / gates[static_cast<size_t>(v)]) +
                         m.lengthWeight * lengthAgreement(aisLength, det.lengthM);
    edges.push_back({d, v, dist, score});
  };
  for (size_t d = 0; d < detections.size(); ++d) {
    grid.forNear(detections[d].lon, detections[d].lat, [&](int v) {
      if (gates[static_cast<size_t>(v)] <= cellM) consider(static_cast<int>(d), v);
    });
    for (const int v : wide) consider(static_cast<int>(d), v);
  }

  // Connected components of the admissible pairs, each solved on its own.
  const int nd = static_cast<int>(detections.size());
  std::vector<int> parent(static_cast<size_t>(nd) + out.vessels.size());
  std::iota(parent.begin(), parent.end(), 0);
  for (const auto& e : edges)
    parent[findRoot(parent, e.detection)] = findRoot(parent, nd + e.vessel);
  std::unordered_map<int, std::vector<const Edge*>> components;
  for (const auto& e : edges) components[findRoot(parent, e.detection)].push_back(&e);
  std::vector<int> roots;
  for (const auto& [root, list] : components) roots.push_back(root);
  std::sort(roots.begin(), roots.end());  // deterministic order
  std::vector<int> detectionVessel(detections.size(), -1);
  std::vector<const Edge*> chosen;
  for (const int root : roots) assignComponent(components[root], detectionVessel, chosen);

  std::vector<bool> vesselMatched(out.vessels.size(), false);
  for (auto& d : out.detections) d.status = AisStatus::Dark;
  for (const Edge* e : chosen) {
    auto& d = out.detections[static_cast<size_t>(e->detection)];
    const auto& v = out.vessels[static_cast<size_t>(e->vessel)];
    d.status = AisStatus::Matched;
    d.mmsi = v.mmsi;
    d.vessel = e->vessel;
    d.distanceM = e->distanceM;
    d.dtS = v.dtS;
    d.score = e->score;
    if (const auto it = in.ais->vessels.find(v.mmsi); it != in.ais->vessels.end()) {
      d.imo = it->second.imo;
      d.vesselName = it->second.name;
    }
    vesselMatched[static_cast<size_t>(e->vessel)] = true;
  }
  for (size_t v = 0; v < out.vessels.size(); ++v) {
    const auto& p = out.vessels[v];
    // Only vessels placed from a fix close in time are "expected" in the image.
    if (vesselMatched[v] || static_cast<double>(p.dtS) > m.maxDeadReckonS) continue;
    if (!in.inFootprint || !in.inFootprint(p.lon, p.lat)) continue;
    const auto it = in.ais->vessels.find(p.mmsi);
    const float len = it != in.ais->vessels.end() ? it->second.lengthM : kUnknown;
    UnseenVessel u =
        unseenReason(len, in.landDistanceM ? in.landDistanceM(p.lon, p.lat) : std::nullopt, m);
    u.vessel = static_cast<int>(v);
    out.unseen.push_back(std::move(u));
  }
  return out;
}

}  // namespace cw::vessels
