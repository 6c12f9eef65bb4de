#include "evidence/corroboration.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "evidence/vessel_rules.hpp"
#include "imaging/registry.hpp"

namespace cw::evidence {

std::string vesselDetectorName() {
  for (const auto& d : imaging::Registry::builtins().detectors()) {
    if (d.detectsVessels) return d.name;
  }
  throw Error("no registered detector detects vessels");
}

namespace {

using nlohmann::ordered_json;

std::string pct(double f) {
  char b[32];
  std::snprintf(b, sizeof b, "%.0f%%", 100.0 * f);
  return b;
}
std::string area(double m2) {
  char b[48];
  std::snprintf(b, sizeof b, "%.0f m2", m2);
  return b;
}
std::string day(const std::string& iso) {
  return iso.substr(0, 10);
}

struct Coverage {
  std::vector<const SceneObservation*> inPeriod, usable;
  std::vector<const SceneObservation*> degraded;  // imaged enough, but the ship count is doubtful
};

Coverage coverage(const AoiObservations* aoi, const Declaration& d, const CorroborationRules& r) {
  Coverage c;
  if (!aoi) return c;
  for (const auto& s : aoi->scenes)
    if (s.timeS >= d.startS && s.timeS <= d.endS) {
      c.inPeriod.push_back(&s);
      if (s.validFraction < r.minValidFraction) continue;
      (s.degraded.count(r.shipKind) ? c.degraded : c.usable).push_back(&s);
    }
  return c;
}

// A count from a scene that did not image the whole AOI can only be a lower bound.
std::string atLeast(const SceneObservation* s) {
  return s && s->validFraction < 1.0 ? "at least " : "";
}

// The reason none of `scenes` is usable.
std::string notUsableReason(const std::vector<const SceneObservation*>& scenes,
                            const CorroborationRules& r) {
  double bestValid = 0, bestImaged = -1;
  bool unknown = false;
  for (const auto* s : scenes) {
    bestValid = std::max(bestValid, s->validFraction);
    if (s->imagedFraction < 0) unknown = true;
    bestImaged = std::max(bestImaged, s->imagedFraction);
  }
  const std::string n = std::to_string(scenes.size()) + " scene" + (scenes.size() == 1 ? "" : "s");
  if (!unknown && bestImaged < r.minImagedFraction)
    return "not imaged: the " + n + " in the period cover at most " + pct(bestImaged) +
           " of the AOI";
  if (unknown)
    return "not imaged or cloud over the AOI: the " + n + " in the period have at most " +
           pct(bestValid) + " of the AOI valid";
  return "cloud over the AOI: the " + n + " in the period are at most " + pct(bestValid) +
         " cloud-free over the AOI";
}

const SceneObservation* maxShips(const std::vector<const SceneObservation*>& scenes,
                                 const std::string& kind, int& count) {
  const SceneObservation* best = nullptr;
  count = 0;
  for (const auto* s : scenes) {
    const auto it = s->counts.find(kind);
    const int n = it == s->counts.end() ? 0 : it->second;
    if (!best || n > count) best = s, count = n;
  }
  return best;
}

std::vector<std::string> idsOf(const SceneObservation& s, const std::string& kind) {
  const auto it = s.detectionIds.find(kind);
  return it == s.detectionIds.end() ? std::vector<std::string>{} : it->second;
}

void shipRule(VerdictRow& row, const Coverage& cov, const CorroborationRules& r) {
  const Declaration& d = row.declaration;
  int best = 0;
  const SceneObservation* s = maxShips(cov.usable, r.shipKind, best);
  const std::string when = s ? " on " + day(s->timeIso) + " (scene " + s->sceneId + ", " +
                                   pct(s->validFraction) + " of the AOI valid" +
                                   (s->validFraction < 1.0 ? ": a lower bound" : "") + ")"
                             : "";
  const std::string least = atLeast(s);
  const std::string k =
      std::to_string(cov.usable.size()) + " usable scene" + (cov.usable.size() == 1 ? "" : "s");
  switch (d.metric) {
    case Metric::Activity: {
      row.observed = best > 0 ? "active: " + least + std::to_string(best) + " " + r.shipKind + when
                              : "no " + r.shipKind + " in " + k;
      if (d.value == "idle" && best >= r.minShipsForActivity) {
        row.verdict = Verdict::Discrepancy;
        for (const auto* u : cov.usable)
          for (const auto& id : idsOf(*u, r.shipKind)) row.evidenceIds.push_back(id);
        row.reason = "declared idle, but " + least + std::to_string(best) + " " + r.shipKind +
                     " were detected" + when;
      } else {
        row.verdict = Verdict::Consistent;
        row.reason = d.value == "idle" ? "no " + r.shipKind + " detected in " + k + " of the period"
                     : best > 0        ? r.shipKind + " present" + when
                                       : "no " + r.shipKind + " at the " + k +
                                      "; activity between acquisitions cannot be excluded";
      }
      return;
    }
    case Metric::MaxVessels: {
      const long long tol = std::max<long long>(
          r.maxVesselsAbsTolerance,
          static_cast<long long>(std::ceil(r.maxVesselsRelTolerance * d.count)));
      row.observed = least + std::to_string(best) + when;
      if (best > d.count + tol) {
        row.verdict = Verdict::Discrepancy;
        row.evidenceIds = idsOf(*s, r.shipKind);
        row.reason = least + std::to_string(best) + " " + r.shipKind + " seen at once" + when +
                     ", more than the declared maximum of " + std::to_string(d.count) +
                     " (tolerance " + std::to_string(tol) + ")";
      } else {
        row.verdict = Verdict::Consistent;
        row.reason = "largest count " + least + std::to_string(best) + " in " + k +
                     " is within the declared maximum " + std::to_string(d.count) +
                     " + tolerance " + std::to_string(tol) +
                     (least.empty() ? "" : "; ships outside the imaged part cannot be excluded");
      }
      return;
    }
    case Metric::VesselCalls: {
      const double limit = d.count * r.vesselCallsFactor + r.vesselCallsSlack;
      row.observed = "at least " + std::to_string(best) + " distinct vessels" + when;
      if (best > limit) {
        row.verdict = Verdict::Discrepancy;
        row.evidenceIds = idsOf(*s, r.shipKind);
        char b[160];
        std::snprintf(b, sizeof b,
                      " is far above the %lld declared calls (limit %.1f = %.2f x %lld + %.1f)",
                      d.count, limit, r.vesselCallsFactor, d.count, r.vesselCallsSlack);
        row.reason =
            least + std::to_string(best) + " " + r.shipKind + " present at once" + when + b;
      } else {
        row.verdict = Verdict::Consistent;
        row.reason = "the lower bound of " + std::to_string(best) + " vessels (largest count in " +
                     k + ") does not exceed " + std::to_string(d.count) +
                     " declared calls beyond the tolerance";
      }
      return;
    }
    case Metric::NewConstruction:
    case Metric::VesselCall:
    case Metric::DarkVessels:
    case Metric::Complete:
    case Metric::StsTransfers:
      return;  // changeRule / vesselRule
  }
}

// Change polygons >= minChangeAreaM2 in usable pairs within the period. Returns false when no
// pair is usable (and sets the unverifiable reason).
bool changesInPeriod(VerdictRow& row, const AoiObservations* aoi, const CorroborationRules& r,
                     std::vector<const EvidenceItem*>& found, size_t& usablePairs) {
  const Declaration& d = row.declaration;
  std::vector<const SceneObservation*> pairScenes;
  bool anyPair = false;
  usablePairs = 0;
  if (aoi)
    for (const auto& p : aoi->pairs) {
      if (p.beforeS < d.startS || p.afterS > d.endS) continue;
      anyPair = true;
      const SceneObservation *b = nullptr, *a = nullptr;
      for (const auto& s : aoi->scenes) {
        if (s.sceneId == p.beforeSceneId) b = &s;
        if (s.sceneId == p.afterSceneId) a = &s;
      }
      if (!b || !a) continue;
      if (b->validFraction < r.minValidFraction || a->validFraction < r.minValidFraction) {
        pairScenes.push_back(b->validFraction < a->validFraction ? b : a);
        continue;
      }
      ++usablePairs;
      for (const auto& id : p.changeIds) {
        const auto it = aoi->items.find(id);
        if (it != aoi->items.end() && it->second.areaM2 >= r.minChangeAreaM2)
          found.push_back(&it->second);
      }
    }
  if (!anyPair) {
    row.verdict = Verdict::Unverifiable;
    row.observed = "no scene pair";
    row.reason = "no scene pair in period";
    return false;
  }
  if (usablePairs == 0) {
    row.verdict = Verdict::Unverifiable;
    row.observed = "no usable scene pair";
    row.reason = notUsableReason(pairScenes, r);
    return false;
  }
  return true;
}

void changeRule(VerdictRow& row, const AoiObservations* aoi, const CorroborationRules& r) {
  const Declaration& d = row.declaration;
  std::vector<const EvidenceItem*> found;
  size_t usable = 0;
  if (!changesInPeriod(row, aoi, r, found, usable)) return;
  double total = 0, largest = 0;
  for (const auto* f : found) total += f->areaM2, largest = std::max(largest, f->areaM2);
  const std::string pairs =
      std::to_string(usable) + " usable scene pair" + (usable == 1 ? "" : "s");
  row.observed = found.empty() ? "no change above " + area(r.minChangeAreaM2) + " in " + pairs
                               : std::to_string(found.size()) + " change polygon" +
                                     (found.size() == 1 ? "" : "s") + ", " + area(total) +
                                     " in total (largest " + area(largest) + ")";
  const bool claimsNothing =
      d.metric == Metric::NewConstruction ? d.value == "none" : d.value == "idle";
  if (claimsNothing && !found.empty()) {
    row.verdict = Verdict::Discrepancy;
    for (const auto* f : found) row.evidenceIds.push_back(f->id);
    row.reason =
        "declared " + d.value + ", but " + row.observed + " appeared between scenes of the period";
  } else {
    row.verdict = Verdict::Consistent;
    row.reason =
        found.empty()
            ? (claimsNothing ? "no change above " + area(r.minChangeAreaM2) + " in " + pairs
                             : "no change above " + area(r.minChangeAreaM2) +
                                   " seen; small or roofed work cannot be excluded")
            : "change seen, as declared";
  }
}

}  // namespace

std::string verdictName(Verdict v) {
  switch (v) {
    case Verdict::Consistent:
      return "consistent";
    case Verdict::Discrepancy:
      return "discrepancy";
    case Verdict::Unverifiable:
      return "unverifiable";
  }
  return "?";
}

std::vector<VerdictRow> corroborate(const std::vector<Declaration>& decls, const Observations& obs,
                                    const CorroborationRules& r, const ReviewDecisions& reviews) {
  std::vector<VerdictRow> out;
  for (const auto& d : decls) {
    VerdictRow row;
    row.declaration = d;
    const auto it = obs.find(d.aoiId);
    const AoiObservations* aoi = it == obs.end() ? nullptr : &it->second;
    const bool facility = aoi && aoi->aoiKind == "facility";
    if (d.metric == Metric::VesselCall || d.metric == Metric::Complete ||
        d.metric == Metric::StsTransfers) {
      vesselRule(row, aoi, decls, r);
    } else if (d.metric == Metric::NewConstruction || (d.metric == Metric::Activity && facility)) {
      changeRule(row, aoi, r);
    } else {
      const Coverage cov = coverage(aoi, d, r);
      if (cov.inPeriod.empty()) {
        row.verdict = Verdict::Unverifiable;
        row.observed = "no scene";
        row.reason = "no scene in period";
      } else if (cov.usable.empty() && !cov.degraded.empty()) {
        row.verdict = Verdict::Unverifiable;
        row.observed = "no usable scene";
        row.reason = "haze, thin cloud or glint over the water: the ship counts of the " +
                     std::to_string(cov.degraded.size()) + " imaged scene" +
                     (cov.degraded.size() == 1 ? "" : "s") +
                     " in the period are flagged degraded (counts.json)";
      } else if (cov.usable.empty()) {
        row.verdict = Verdict::Unverifiable;
        row.observed = "no usable scene";
        row.reason = notUsableReason(cov.inPeriod, r);
      } else if (d.metric == Metric::DarkVessels) {
        vesselRule(row, aoi, decls, r);
      } else {
        shipRule(row, cov, r);
      }
    }
    std::sort(row.evidenceIds.begin(), row.evidenceIds.end());
    for (const auto& id : row.evidenceIds) {
      const auto rv = reviews.find(id);
      if (rv != reviews.end()) row.reviews[id] = rv->second;
    }
    out.push_back(std::move(row));
  }
  return out;
}

namespace {
std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
}  // namespace

void writeCorroboration(const std::filesystem::path& outDir, const std::vector<VerdictRow>& rows,
                        const CorroborationRules& r) {
  ordered_json j;
  j["rules"] = {{"min_valid_fraction", r.minValidFraction},
                {"min_imaged_fraction", r.minImagedFraction},
                {"min_ships_for_activity", r.minShipsForActivity},
                {"max_vessels_abs_tolerance", r.maxVesselsAbsTolerance},
                {"max_vessels_rel_tolerance", r.maxVesselsRelTolerance},
                {"vessel_calls_factor", r.vesselCallsFactor},
                {"vessel_calls_slack", r.vesselCallsSlack},
                {"min_change_area_m2", r.minChangeAreaM2},
                {"ship_kind", r.shipKind}};
  ordered_json verdicts = ordered_json::array();
  std::string csv =
      "aoi,start,end,metric,declared,observed,verdict,reason,evidence_ids,review,reference,"
      "source\r\n";
  for (const auto& row : rows) {
    const Declaration& d = row.declaration;
    verdicts.push_back({{"aoi", d.aoiId},
                        {"start", d.start},
                        {"end", d.end},
                        {"metric", metricName(d.metric)},
                        {"declared", d.value},
                        {"observed", row.observed},
                        {"verdict", verdictName(row.verdict)},
                        {"reason", row.reason},
                        {"evidence_ids", row.evidenceIds},
                        {"reviews", row.reviews},
                        {"reference", d.reference},
                        {"source", d.source}});
    std::string ids, rev;
    for (const auto& id : row.evidenceIds) ids += (ids.empty() ? "" : ";") + id;
    for (const auto& [id, dec] : row.reviews) rev += (rev.empty() ? "" : ";") + id + "=" + dec;
    for (const std::string& f :
         {d.aoiId, d.start, d.end, metricName(d.metric), d.value, row.observed,
          verdictName(row.verdict), row.reason, ids, rev, d.reference, d.source})
      csv += csvField(f) + ",";
    csv.back() = '\r';
    csv += "\n";
  }
  j["verdicts"] = verdicts;
  writeFileAtomic(outDir / "corroboration.json", j.dump(2) + "\n");
  writeFileAtomic(outDir / "corroboration.csv", csv);
}

}  // namespace cw::evidence
