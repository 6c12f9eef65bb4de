#include "evidence/vessel_rules.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/iso_time.hpp"

namespace cw::evidence {
namespace {

std::string digitsOf(const std::string& s) {
  std::string d;
  for (char c : s) {
    if (c >= '0' && c <= '9') d += c;
  }
  return d;
}

// Does the AIS identity (mmsi, imo) name the declared vessel ("imo:…" / "mmsi:…")?
bool names(const std::string& key, std::uint32_t mmsi, const std::string& imo) {
  if (key.rfind("mmsi:", 0) == 0) return mmsi != 0 && std::to_string(mmsi) == key.substr(5);
  return !digitsOf(imo).empty() && digitsOf(imo) == key.substr(4);
}

std::string vesselLabel(std::uint32_t mmsi, const std::string& imo, const std::string& name) {
  std::string s = name.empty() ? "" : name + " ";
  s += "(MMSI " + std::to_string(mmsi);
  if (!digitsOf(imo).empty()) s += ", IMO " + digitsOf(imo);
  return s + ")";
}

std::string fixId(const VesselFix& f) {
  return "ais:" + std::to_string(f.mmsi) + "@" + formatIsoTime(f.timeS);
}

// The scenes of the period, by id, and whether each is usable (valid enough).
std::map<std::string, const SceneObservation*> scenesIn(const AoiObservations& aoi,
                                                        const Declaration& d) {
  std::map<std::string, const SceneObservation*> m;
  for (const auto& s : aoi.scenes) {
    if (s.timeS >= d.startS && s.timeS <= d.endS) m[s.sceneId] = &s;
  }
  return m;
}

// Detections of the period with the given AIS status, in id order.
std::vector<const EvidenceItem*> detectionsWith(const AoiObservations& aoi, const Declaration& d,
                                                const std::string& status) {
  const auto scenes = scenesIn(aoi, d);
  std::vector<const EvidenceItem*> out;
  for (const auto& [id, item] : aoi.items) {
    if (item.type == "detection" && item.ais.status == status && scenes.count(item.sceneId)) {
      out.push_back(&item);
    }
  }
  return out;
}

void vesselCall(VerdictRow& row, const AoiObservations& aoi) {
  const Declaration& d = row.declaration;
  for (const auto* item : detectionsWith(aoi, d, "matched")) {
    if (names(d.value, item->ais.mmsi, item->ais.imo)) row.evidenceIds.push_back(item->id);
  }
  std::vector<const VesselFix*> inside, outside;
  for (const auto& f : aoi.aisFixes) {
    if (f.timeS < d.startS || f.timeS > d.endS || !names(d.value, f.mmsi, f.imo)) continue;
    (f.inAoi ? inside : outside).push_back(&f);
  }
  if (!row.evidenceIds.empty() || !inside.empty()) {
    if (row.evidenceIds.empty()) row.evidenceIds.push_back(fixId(*inside.front()));
    row.verdict = Verdict::Consistent;
    row.observed = std::to_string(row.evidenceIds.size()) + " AIS-matched detection(s), " +
                   std::to_string(inside.size()) + " AIS fix(es) in the AOI";
    row.reason = "the vessel was in the AOI in the period";
  } else if (!outside.empty()) {
    row.evidenceIds.push_back(fixId(*outside.front()));
    row.verdict = Verdict::Discrepancy;
    row.observed = std::to_string(outside.size()) + " AIS fix(es), all outside the AOI";
    row.reason = "AIS places the vessel outside the AOI throughout the period (first fix " +
                 formatIsoTime(outside.front()->timeS) + ")";
  } else {
    row.verdict = Verdict::Unverifiable;
    row.observed = "no AIS fix or matched detection of the vessel";
    row.reason =
        "no AIS fix of the vessel in the period, and no detection matched to it (AIS is "
        "kept around each acquisition only)";
  }
}

void darkVessels(VerdictRow& row, const AoiObservations& aoi, const CorroborationRules& r) {
  const Declaration& d = row.declaration;
  std::map<std::string, std::vector<std::string>> perScene;
  const auto scenes = scenesIn(aoi, d);
  for (const auto* item : detectionsWith(aoi, d, "dark")) {
    if (scenes.at(item->sceneId)->validFraction >= r.minValidFraction) {
      perScene[item->sceneId].push_back(item->id);
    }
  }
  const SceneObservation* worst = nullptr;
  size_t most = 0;
  for (const auto& [id, ids] : perScene) {
    if (ids.size() > most) most = ids.size(), worst = scenes.at(id);
  }
  const std::string least = worst && worst->validFraction < 1.0 ? "at least " : "";
  row.observed =
      least + std::to_string(most) + " dark vessel(s)" +
      (worst ? " on " + worst->timeIso.substr(0, 10) + " (scene " + worst->sceneId + ")" : "");
  if (static_cast<long long>(most) > d.count) {
    row.verdict = Verdict::Discrepancy;
    row.evidenceIds = perScene[worst->sceneId];
    row.reason = least + std::to_string(most) +
                 " ships seen at once that no AIS vessel explains, " + std::to_string(d.count) +
                 " declared";
  } else {
    row.verdict = Verdict::Consistent;
    row.reason = "no usable scene shows more ships without AIS than declared";
  }
}

void complete(VerdictRow& row, const AoiObservations& aoi, const std::vector<Declaration>& all) {
  const Declaration& d = row.declaration;
  if (d.value != "true") {
    row.verdict = Verdict::Consistent;
    row.observed = "not a complete list";
    row.reason = "the declared calls are not declared complete: nothing to check";
    return;
  }
  std::vector<std::string> declared;
  for (const auto& o : all) {
    if (o.metric == Metric::VesselCall && o.aoiId == d.aoiId && o.startS <= d.endS &&
        o.endS >= d.startS) {
      declared.push_back(o.value);
    }
  }
  std::map<std::uint32_t, std::vector<const EvidenceItem*>> undeclared;
  const auto matched = detectionsWith(aoi, d, "matched");
  for (const auto* item : matched) {
    const bool ok = std::any_of(declared.begin(), declared.end(), [&](const std::string& k) {
      return names(k, item->ais.mmsi, item->ais.imo);
    });
    if (!ok) undeclared[item->ais.mmsi].push_back(item);
  }
  std::set<std::uint32_t> seen;
  for (const auto* item : matched) seen.insert(item->ais.mmsi);
  row.observed = std::to_string(seen.size()) + " AIS-matched vessel(s) seen, " +
                 std::to_string(undeclared.size()) + " not declared";
  if (undeclared.empty()) {
    row.verdict = Verdict::Consistent;
    row.reason = "every AIS-matched vessel seen in the period is declared";
    return;
  }
  row.verdict = Verdict::Discrepancy;
  row.reason = "undeclared call(s): ";
  bool first = true;
  for (const auto& [mmsi, items] : undeclared) {
    row.reason += (first ? "" : "; ") +
                  vesselLabel(mmsi, items.front()->ais.imo, items.front()->ais.vesselName);
    first = false;
    for (const auto* item : items) row.evidenceIds.push_back(item->id);
  }
}

// Ship-to-ship transfer candidates of the period (evidence items of type "sts"): from imagery (a
// hull pair in a scene of the period) or from AIS (an encounter that starts in the period).
void stsTransfers(VerdictRow& row, const AoiObservations& aoi) {
  const Declaration& d = row.declaration;
  const auto scenes = scenesIn(aoi, d);
  int dark = 0;
  for (const auto& [id, item] : aoi.items) {
    if (item.type != "sts") continue;
    const StsRecord& e = item.sts;
    const auto start = parseIsoTime(e.startIso);
    const bool inPeriod = e.source == "imagery" ? scenes.count(e.sceneId) > 0
                                                : start && *start >= d.startS && *start <= d.endS;
    if (!inPeriod) continue;
    row.evidenceIds.push_back(id);
    dark += e.firstDark || e.secondDark;
  }
  row.observed = std::to_string(row.evidenceIds.size()) + " ship-to-ship transfer candidate(s)";
  if (dark > 0) row.observed += ", " + std::to_string(dark) + " with a dark party";
  if (d.value == "none" && !row.evidenceIds.empty()) {
    row.verdict = Verdict::Discrepancy;
    row.reason = "declared none, but " + row.observed +
                 " (hulls side by side in a scene, or an AIS encounter) in the period";
  } else {
    row.verdict = Verdict::Consistent;
    row.reason = d.value == "none" ? "no hull pair and no AIS encounter in the period"
                                   : "declared some: a transfer cannot be excluded";
  }
}

}  // namespace

bool isVesselMetric(Metric m) {
  return m == Metric::VesselCall || m == Metric::DarkVessels || m == Metric::Complete ||
         m == Metric::StsTransfers;
}

void vesselRule(VerdictRow& row, const AoiObservations* aoi, const std::vector<Declaration>& all,
                const CorroborationRules& rules) {
  if (!aoi || !aoi->aisFeed) {
    row.verdict = Verdict::Unverifiable;
    row.observed = "no AIS";
    row.reason = "no AIS feed in this run (the config has no ais: section)";
    return;
  }
  if (!aoi->aisMatched) {
    row.verdict = Verdict::Unverifiable;
    row.observed = "no vessel detector";
    row.reason = "AIS is matched only in AOIs with a vessel detector, and " + aoi->aoiId +
                 " has none (add " + vesselDetectorName() + " to its detectors)";
    return;
  }
  switch (row.declaration.metric) {
    case Metric::VesselCall:
      return vesselCall(row, *aoi);
    case Metric::DarkVessels:
      return darkVessels(row, *aoi, rules);
    case Metric::Complete:
      return complete(row, *aoi, all);
    case Metric::StsTransfers:
      return stsTransfers(row, *aoi);
    default:
      return;
  }
}

}  // namespace cw::evidence
