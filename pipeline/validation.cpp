#include "pipeline/validation.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/log.hpp"
#include "evidence/declarations.hpp"

namespace cw::pipeline {
namespace {

std::string fixed(double v, int digits) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(digits);
  os << v;
  return os.str();
}

struct LonLatBox {
  double west = 1e9, south = 1e9, east = -1e9, north = -1e9;
  void add(const std::vector<LonLat>& ring) {
    for (const auto& p : ring) {
      west = std::min(west, p.lon);
      east = std::max(east, p.lon);
      south = std::min(south, p.lat);
      north = std::max(north, p.lat);
    }
  }
  bool empty() const { return west > east; }
  std::string text() const {
    return "lon " + fixed(west, 4) + " to " + fixed(east, 4) + ", lat " + fixed(south, 4) + " to " +
           fixed(north, 4);
  }
};

std::string sourceName(const Config& c, int i) {
  const auto& s = c.scenes[static_cast<size_t>(i)];
  std::string what;
  switch (s.kind) {
    case SceneSource::Kind::Folder:
      what = "folder " + s.folder.string();
      break;
    case SceneSource::Kind::Files:
      what = s.bandFiles.empty() ? "files" : "band files";
      break;
    case SceneSource::Kind::Stac:
      what = "STAC " + s.stac.string();
      break;
  }
  return c.file.string() + ": scenes[" + std::to_string(i) + "] (" + what + ")";
}

// Source problems: a source that yields nothing, and scenes whose band roles do not resolve
// (one line per distinct reason, naming the first scene and how many more share it).
void checkSources(const Config& c, const Catalog& cat, ValidationReport& r) {
  for (int i = 0; i < static_cast<int>(c.scenes.size()); ++i) {
    int usable = 0;
    for (const auto* list : {&cat.scenes, &cat.outsideWindow}) {
      usable += static_cast<int>(
          std::count_if(list->begin(), list->end(), [&](const Scene& s) { return s.source == i; }));
    }
    std::vector<const SkippedScene*> skipped;
    for (const auto& k : cat.skipped) {
      if (k.source == i) skipped.push_back(&k);
    }
    if (usable == 0 && skipped.empty()) {
      const auto& s = c.scenes[static_cast<size_t>(i)];
      r.errors.push_back(
          sourceName(c, i) + ": no scene found" +
          (s.kind == SceneSource::Kind::Folder ? " (nothing matches glob '" + s.glob + "')" : ""));
      continue;
    }
    std::map<std::string, std::vector<const SkippedScene*>> byReason;
    for (const auto* k : skipped) {
      if (k->bandRoles) byReason[k->reason].push_back(k);
    }
    for (const auto& [reason, list] : byReason) {
      std::string line = "scene " + list.front()->path + ": " + reason;
      if (list.size() > 1)
        line += " (and " + std::to_string(list.size() - 1) + " more scene(s) of scenes[" +
                std::to_string(i) + "])";
      r.errors.push_back(line);
    }
    const bool onlyBandProblems = std::all_of(skipped.begin(), skipped.end(),
                                              [](const SkippedScene* k) { return k->bandRoles; });
    if (usable == 0 && !onlyBandProblems) {
      const SkippedScene* first = *std::find_if(
          skipped.begin(), skipped.end(), [](const SkippedScene* k) { return !k->bandRoles; });
      r.errors.push_back(sourceName(c, i) + ": none of its " + std::to_string(skipped.size()) +
                         " scene(s) is usable; e.g. " + first->path + ": " + first->reason);
    } else if (usable > 0) {
      for (const auto* k : skipped) {
        const bool window = k->reason.find("outside the window") != std::string::npos;
        if (!k->bandRoles && !window) r.warnings.push_back("skipped " + k->path + ": " + k->reason);
      }
    }
  }
}

std::vector<LonLat> swapped(const std::vector<LonLat>& ring) {
  std::vector<LonLat> out;
  for (const auto& p : ring) out.push_back({p.lat, p.lon});
  return out;
}

std::string timeSpan(const std::vector<const Scene*>& scenes) {
  TimePoint lo = scenes.front()->time, hi = lo;
  for (const auto* s : scenes) {
    lo = std::min(lo, s->time);
    hi = std::max(hi, s->time);
  }
  return lo == hi ? formatIsoDate(lo) : formatIsoDate(lo) + " to " + formatIsoDate(hi);
}

// One AOI: a scene overlaps it, inside the window, and it makes at least one job.
// The AOI's change method and detectors against the bands of each of its jobs, as their registry
// entries declare them: one error per distinct problem, naming the first job that has it.
void checkBandNeeds(const Config& c, const Plan& plan, const Aoi& aoi, const std::string& name,
                    ValidationReport& r) {
  std::set<std::string> seen;
  for (const auto& j : plan.jobs) {
    if (j.aoiId != aoi.id) continue;
    const auto roles = commonRoles(plan.scene(j.beforeId), plan.scene(j.afterId));
    for (const auto& p : bandNeedProblems(c, aoi, roles)) {
      if (seen.insert(p).second) r.errors.push_back(name + ": job " + j.id + ": " + p);
    }
  }
}

void checkAoi(const Config& c, const Plan& plan, size_t index, ValidationReport& r) {
  const Aoi& aoi = c.aois[index];
  const std::string name =
      c.file.string() + ": aois[" + std::to_string(index) + "] (" + aoi.id + ")";
  std::vector<const Scene*> inWindow, outside;
  LonLatBox all;
  for (const auto& s : plan.catalog.scenes) {
    all.add(s.footprint);
    if (footprintsOverlap(aoi.polygon, s.footprint)) inWindow.push_back(&s);
  }
  for (const auto& s : plan.catalog.outsideWindow) {
    all.add(s.footprint);
    if (footprintsOverlap(aoi.polygon, s.footprint)) outside.push_back(&s);
  }
  if (all.empty()) return;  // no scene at all: the sources' errors say why
  if (inWindow.empty() && outside.empty()) {
    LonLatBox box;
    box.add(aoi.polygon);
    std::string line = name + ": no scene overlaps the AOI (" + box.text() + "; the scenes cover " +
                       all.text() + ")";
    const auto sw = swapped(aoi.polygon);
    const bool plausible = std::all_of(sw.begin(), sw.end(), [](const LonLat& p) {
      return std::abs(p.lat) <= 90.0 && std::abs(p.lon) <= 180.0;
    });
    if (plausible) {
      for (const auto* list : {&plan.catalog.scenes, &plan.catalog.outsideWindow}) {
        const auto it = std::find_if(list->begin(), list->end(), [&](const Scene& s) {
          return footprintsOverlap(sw, s.footprint);
        });
        if (it != list->end()) {
          line +=
              "; did you swap latitude and longitude? With each pair read as [lon, lat] the "
              "other way round it would overlap scene " +
              it->id;
          break;
        }
      }
    }
    r.errors.push_back(line);
    return;
  }
  if (inWindow.empty()) {
    r.errors.push_back(name + ": the window " + formatIsoDate(c.windowStart) + " to " +
                       formatIsoDate(c.windowEnd) + " holds none of the " +
                       std::to_string(outside.size()) + " scene(s) that overlap it (acquired " +
                       timeSpan(outside) + "); widen window");
    return;
  }
  const AoiPlan& ap = plan.aoi(aoi.id);
  if (!ap.error.empty()) {
    r.noJob.push_back(name + ": cannot run: " + ap.error);
    return;
  }
  const bool hasJob = std::any_of(plan.jobs.begin(), plan.jobs.end(),
                                  [&](const Job& j) { return j.aoiId == aoi.id; });
  if (hasJob) {
    checkBandNeeds(c, plan, aoi, name, r);
    return;
  }
  int used = 0;
  std::string why;
  for (const auto& cov : ap.coverage) {
    if (cov.used) {
      ++used;
    } else if (why.empty() && !cov.reason.empty() && cov.reason != "does not overlap the AOI") {
      why = "; e.g. " + cov.sceneId + ": " + cov.reason;
    }
  }
  r.noJob.push_back(name + ": makes no job: " + std::to_string(used) + " usable scene(s) of " +
                    std::to_string(inWindow.size()) +
                    " overlapping, and a pair needs two (pairing " + c.pairing.strategy +
                    ", max_gap_days " + std::to_string(c.pairing.maxGapDays) + ")" + why);
}

// A declared period without a usable scene of its AOI: its verdict will be unverifiable.
void checkDeclaredPeriods(const Plan& plan, const std::vector<evidence::Declaration>& decls,
                          ValidationReport& r) {
  for (const auto& d : decls) {
    const AoiPlan* ap = nullptr;
    for (const auto& a : plan.aois) {
      if (a.aoiId == d.aoiId) ap = &a;
    }
    if (!ap) continue;
    bool any = false;
    for (const auto& cov : ap->coverage) {
      if (!cov.used) continue;
      const TimePoint t = plan.scene(cov.sceneId).time;
      any |= t >= d.startS && t <= d.endS;
    }
    if (!any) {
      r.warnings.push_back(d.source + ": AOI " + d.aoiId + " has no usable scene from " + d.start +
                           " to " + d.end + "; its " + evidence::metricName(d.metric) +
                           " verdict will be unverifiable");
    }
  }
}

}  // namespace

ValidationReport validatePlan(const Config& config, const Plan& plan) {
  ValidationReport r;
  std::vector<evidence::Declaration> decls;
  if (!config.declarations.empty()) {
    std::set<std::string> known;
    for (const auto& a : config.aois) known.insert(a.id);
    try {
      decls = evidence::loadDeclarations(config.declarations, known);
    } catch (const UsageError& e) {
      std::istringstream lines(e.what());
      for (std::string line; std::getline(lines, line);) r.errors.push_back(line);
    }
  }
  checkSources(config, plan.catalog, r);
  if (plan.catalog.scenes.empty() && !plan.catalog.outsideWindow.empty()) {
    std::vector<const Scene*> all;
    for (const auto& s : plan.catalog.outsideWindow) all.push_back(&s);
    r.errors.push_back(config.file.string() + ": window: " + formatIsoDate(config.windowStart) +
                       " to " + formatIsoDate(config.windowEnd) + " holds none of the " +
                       std::to_string(all.size()) + " scene(s) (acquired " + timeSpan(all) +
                       "); widen window");
  } else {
    for (size_t i = 0; i < config.aois.size(); ++i) checkAoi(config, plan, i, r);
  }
  // With an error the periods' warnings only repeat it.
  if (r.errors.empty()) checkDeclaredPeriods(plan, decls, r);
  return r;
}

void enforceValidation(const ValidationReport& report, const std::string& what) {
  for (const auto& w : report.warnings) log::warn(w);
  // Its verdicts say why (unverifiable: not imaged, cloud, ...); a tiling limit is refused by
  // the run itself after the other AOIs' jobs.
  for (const auto& w : report.noJob) log::warn(w);
  if (report.errors.empty()) return;
  std::string msg = what + " refused: " + std::to_string(report.errors.size()) +
                    " problem(s) found before any job (run 'changewatch validate' for the list):";
  for (const auto& e : report.errors) msg += "\n  " + e;
  throw UsageError(msg);
}

}  // namespace cw::pipeline
