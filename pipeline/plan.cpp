#include "pipeline/plan.hpp"

#include <ogr_geometry.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "imaging/registry.hpp"
#include "tiles/aoi_grid.hpp"
#include "tiles/scene_warp.hpp"

namespace cw::pipeline {
namespace {

// A tiling limit of the config refuses the AOI (see AoiPlan::refusedByLimit).
struct LimitRefusal : Error {
  using Error::Error;
};

constexpr int kCoverageSamples = 128;

}  // namespace

bool footprintsOverlap(const std::vector<LonLat>& a, const std::vector<LonLat>& b) {
  auto poly = [](const std::vector<LonLat>& ring, double shift) {
    OGRLinearRing r;
    for (const auto& p : ring) r.addPoint(p.lon + shift, p.lat);
    r.closeRings();
    OGRPolygon pg;
    pg.addRing(&r);
    return pg;
  };
  const OGRPolygon pa = poly(a, 0.0);
  // An AOI crossing the antimeridian has longitudes above 180: compare both sides.
  for (double shift : {0.0, 360.0, -360.0}) {
    const OGRPolygon pb = poly(b, shift);
    if (pa.Intersects(&pb)) return true;
  }
  return false;
}

namespace {

std::string pct(double f) {
  std::ostringstream os;
  os << static_cast<int>(std::round(f * 100.0)) << "%";
  return os.str();
}

std::vector<Job> pairJobs(const Config& config, const std::string& aoiId,
                          const std::vector<const Scene*>& used) {
  std::vector<std::pair<const Scene*, const Scene*>> pairs;
  const TimePoint maxGap = static_cast<TimePoint>(config.pairing.maxGapDays) * 86400;
  const auto& strategy = config.pairing.strategy;
  for (size_t i = 0; i < used.size(); ++i) {
    for (size_t j = i + 1; j < used.size(); ++j) {
      const bool pick = strategy == "consecutive" ? j == i + 1
                        : strategy == "baseline"  ? i == 0
                                                  : true;
      if (pick && used[j]->time - used[i]->time <= maxGap) pairs.emplace_back(used[i], used[j]);
    }
  }
  std::vector<Job> jobs;
  for (const auto& [b, a] : pairs) {
    Job j;
    j.aoiId = aoiId;
    j.beforeId = b->id;
    j.afterId = a->id;
    j.id = aoiId + "/" + b->id + "_" + a->id;
    jobs.push_back(j);
  }
  return jobs;
}

}  // namespace

const Scene& Plan::scene(const std::string& id) const {
  for (const auto& s : catalog.scenes) {
    if (s.id == id) return s;
  }
  throw Error("no scene '" + id + "' in the catalog");
}

const AoiPlan& Plan::aoi(const std::string& id) const {
  for (const auto& a : aois) {
    if (a.aoiId == id) return a;
  }
  throw Error("no AOI '" + id + "' in the plan");
}

std::vector<std::pair<double, double>> ringOf(const Aoi& aoi) {
  std::vector<std::pair<double, double>> ring;
  for (const auto& p : aoi.polygon) ring.emplace_back(p.lon, p.lat);
  return ring;
}

double pixelSizeFor(const Config& config, const std::vector<const Scene*>& scenes) {
  if (config.grid.pixelSizeM > 0) return config.grid.pixelSizeM;
  double best = 0.0;
  for (const auto* s : scenes) {
    if (s->pixelSizeM > 0 && (best == 0.0 || s->pixelSizeM < best)) best = s->pixelSizeM;
  }
  // Round to a centimetre so that scenes of the same sensor give the same grid.
  return best > 0 ? std::round(best * 100.0) / 100.0 : 10.0;
}

namespace {

// Refuses (LimitRefusal) an AOI grid above the config's tiling limits: pixels, tiles, or one tile
// beyond the memory budget; returns the grid's tile count.
std::int64_t checkTilingLimits(const Config& config, const tiles::GridSpec& grid,
                               const std::vector<const Scene*>& overlapping) {
  const std::int64_t px = static_cast<std::int64_t>(grid.width) * grid.height;
  const int tile = config.tiling.tilePx;
  const std::int64_t tiles =
      static_cast<std::int64_t>((grid.width + tile - 1) / tile) * ((grid.height + tile - 1) / tile);
  if (px > config.tiling.maxGridPx) {
    std::ostringstream os;
    os << "the AOI grid would be " << grid.width << "×" << grid.height << " = " << px
       << " pixels, above tiling.max_grid_px (" << config.tiling.maxGridPx
       << "); raise tiling.max_grid_px or use a coarser grid.pixel_size_m";
    throw LimitRefusal(os.str());
  }
  if (tiles > config.tiling.maxTiles) {
    std::ostringstream os;
    os << "the AOI grid needs " << tiles << " tiles, above tiling.max_tiles ("
       << config.tiling.maxTiles << "); raise it or use a larger tiling.tile_px";
    throw LimitRefusal(os.str());
  }
  {
    // The least a job holds for one tile (both dates' bands and masks, score and mask, as
    // tiles::runChangeMap counts them, without a halo): a tile that alone exceeds the budget
    // is refused here rather than in every job.
    std::size_t bands = 1;
    for (const auto* s : overlapping) bands = std::max(bands, s->bands.size());
    const std::size_t side =
        static_cast<std::size_t>(std::min(tile, std::max(grid.width, grid.height)));
    const std::size_t bytes = side * side * ((2 * bands + 2) * sizeof(float) + 4);
    const std::size_t budget = static_cast<std::size_t>(config.tiling.memoryMb) << 20;
    if (bytes > budget) {
      std::ostringstream os;
      os << "one tile of " << side << "×" << side << " px needs at least "
         << ((bytes + (1 << 20) - 1) >> 20) << " MB, above tiling.memory_mb ("
         << config.tiling.memoryMb << "); lower tiling.tile_px or raise tiling.memory_mb";
      throw LimitRefusal(os.str());
    }
  }
  return tiles;
}

// A coarse copy of the grid, at most kCoverageSamples px a side, over the same extent.
tiles::GridSpec coarseGrid(const tiles::GridSpec& grid) {
  tiles::GridSpec coarse = grid;
  const double f =
      std::max(1.0, std::max(grid.width, grid.height) / static_cast<double>(kCoverageSamples));
  coarse.width = std::max(1, static_cast<int>(std::ceil(grid.width / f)));
  coarse.height = std::max(1, static_cast<int>(std::ceil(grid.height / f)));
  coarse.geoTransform[1] = grid.geoTransform[1] * grid.width / coarse.width;
  coarse.geoTransform[5] = grid.geoTransform[5] * grid.height / coarse.height;
  return coarse;
}

// Scene s's coverage of the AOI, from its warp onto the coarse grid (files under `base`, beside
// the AOI mask base + "aoi.tif"); a scene that fails to warp is not used, with the reason.
SceneCoverage sceneCoverage(const Config& config, const Scene& s, const tiles::GridSpec& coarse,
                            const std::string& base) {
  SceneCoverage sc{s.id, 0.0, 0.0, false, ""};
  try {
    std::vector<int> bands;
    for (const auto& [role, b] : s.bands) bands.push_back(b);
    std::sort(bands.begin(), bands.end());
    if (bands.empty()) bands.push_back(1);
    tiles::WarpRequest wr{s.dataset, {bands.front()}, s.nodata, "near", true};
    tiles::writeWarpedVrt(wr, coarse, base + s.id + ".vrt");
    std::string cloud;
    if (s.cloudBand > 0) {
      tiles::WarpRequest cr{s.dataset, {s.cloudBand}, std::nullopt, "near", false};
      cloud = base + s.id + ".cloud.vrt";
      tiles::writeWarpedVrt(cr, coarse, cloud);
    }
    const auto cov =
        tiles::estimateCoverage(base + s.id + ".vrt", 2, cloud, base + "aoi.tif", kCoverageSamples);
    sc.imaged = cov.imaged;
    sc.valid = cov.valid;
    if (cov.imaged <= 0.0) {
      sc.reason = "images none of the AOI (all nodata there)";
    } else if (cov.valid < config.minCoverage) {
      sc.reason =
          "valid coverage " + pct(cov.valid) + " is below min_coverage " + pct(config.minCoverage);
    } else {
      sc.used = true;
    }
  } catch (const Error& e) {
    sc.reason = e.what();
  }
  return sc;
}

// The AOI's grid and tile count, within the tiling limits, and the coverage of each overlapping
// scene; throws (LimitRefusal for a limit) when the AOI cannot be planned.
void planGridAndCoverage(const Config& config, const Aoi& aoi,
                         const std::vector<const Scene*>& overlapping, AoiPlan& ap) {
  ap.pixelSizeM = pixelSizeFor(config, overlapping);
  tiles::AoiGridRequest req{ringOf(aoi), ap.pixelSizeM, config.grid.epsg};
  ap.grid = tiles::makeAoiGrid(req);
  ap.tileCount = static_cast<int>(checkTilingLimits(config, ap.grid, overlapping));

  // Coverage on a coarse copy of the grid: the same warp as the job, at ≤128 px a side.
  const tiles::GridSpec coarse = coarseGrid(ap.grid);
  const std::string base = "/vsimem/changewatch/plan/" + aoi.id + "/";
  tiles::writePolygonMask(tiles::ringInGridCrs(req, coarse), coarse, base + "aoi.tif");
  for (const auto* s : overlapping) ap.coverage.push_back(sceneCoverage(config, *s, coarse, base));
  VSIRmdirRecursive(base.c_str());
}

// One AOI's plan: the coverage of every catalog scene (in catalog order), its grid, and unless
// it is refused its jobs, appended to `jobs`.
AoiPlan planAoi(const Config& config, const Catalog& catalog, const Aoi& aoi,
                std::vector<Job>& jobs) {
  AoiPlan ap;
  ap.aoiId = aoi.id;
  std::vector<const Scene*> overlapping;
  for (const auto& s : catalog.scenes) {
    if (footprintsOverlap(aoi.polygon, s.footprint)) {
      overlapping.push_back(&s);
    } else {
      ap.coverage.push_back({s.id, 0.0, 0.0, false, "does not overlap the AOI"});
    }
  }
  try {
    if (catalog.scenes.empty()) throw Error("no usable scene in the time window");
    if (overlapping.empty()) throw Error("no scene overlaps the AOI");
    planGridAndCoverage(config, aoi, overlapping, ap);
  } catch (const LimitRefusal& e) {
    ap.error = e.what();
    ap.refusedByLimit = true;
  } catch (const Error& e) {
    ap.error = e.what();
  }
  // Catalog order for the report, so the listing reads chronologically.
  std::vector<SceneCoverage> ordered;
  std::vector<const Scene*> used;
  for (const auto& s : catalog.scenes) {
    for (const auto& c : ap.coverage) {
      if (c.sceneId != s.id) continue;
      ordered.push_back(c);
      if (c.used && ap.error.empty()) used.push_back(&s);
    }
  }
  ap.coverage = ordered;
  if (ap.error.empty()) {
    for (auto& j : pairJobs(config, aoi.id, used)) jobs.push_back(j);
  }
  return ap;
}

}  // namespace

Plan makePlan(const Config& config) {
  Plan plan;
  plan.catalog = buildCatalog(config);
  for (const auto& aoi : config.aois)
    plan.aois.push_back(planAoi(config, plan.catalog, aoi, plan.jobs));
  std::stable_sort(plan.jobs.begin(), plan.jobs.end(),
                   [](const Job& a, const Job& b) { return a.aoiId < b.aoiId; });
  for (size_t i = 0; i < plan.jobs.size(); ++i) plan.jobs[i].index = static_cast<int>(i);
  return plan;
}

nlohmann::json planToJson(const Config& config, const Plan& plan) {
  using nlohmann::json;
  json j;
  j["config"] = config.file.string();
  j["output"] = config.output.string();
  j["scenes"] = json::array();
  for (const auto& s : plan.catalog.scenes) {
    j["scenes"].push_back({{"id", s.id},
                           {"dataset", s.dataset},
                           {"time", formatIsoTime(s.time)},
                           {"time_source", s.timeSource},
                           {"bands", s.bandCount},
                           {"epsg", s.grid.epsg()},
                           {"pixel_size_m", s.pixelSizeM}});
  }
  j["skipped"] = json::array();
  for (const auto& s : plan.catalog.skipped) {
    j["skipped"].push_back({{"path", s.path}, {"reason", s.reason}});
  }
  j["aois"] = json::array();
  for (const auto& a : plan.aois) {
    json ja{{"id", a.aoiId}};
    // The AOI's WGS84 outline ([lon, lat] pairs), for the viewer's overview map.
    for (const auto& ca : config.aois) {
      if (ca.id != a.aoiId) continue;
      ja["outline"] = json::array();
      for (const auto& p : ca.polygon) ja["outline"].push_back({p.lon, p.lat});
    }
    if (!a.error.empty()) {
      ja["error"] = a.error;
    } else {
      ja["grid"] = {{"epsg", a.grid.epsg()},
                    {"width", a.grid.width},
                    {"height", a.grid.height},
                    {"pixel_size_m", a.pixelSizeM},
                    {"geotransform", a.grid.geoTransform},
                    {"tiles", a.tileCount},
                    {"tile_px", config.tiling.tilePx}};
    }
    ja["coverage"] = json::array();
    for (const auto& c : a.coverage) {
      json jc{{"scene", c.sceneId}, {"imaged", c.imaged}, {"valid", c.valid}, {"used", c.used}};
      if (!c.reason.empty()) jc["reason"] = c.reason;
      ja["coverage"].push_back(jc);
    }
    j["aois"].push_back(ja);
  }
  j["jobs"] = json::array();
  for (const auto& job : plan.jobs) {
    j["jobs"].push_back({{"index", job.index},
                         {"id", job.id},
                         {"aoi", job.aoiId},
                         {"before", job.beforeId},
                         {"after", job.afterId},
                         {"before_time", formatIsoTime(plan.scene(job.beforeId).time)},
                         {"after_time", formatIsoTime(plan.scene(job.afterId).time)}});
  }
  return j;
}

std::string planToText(const Config& config, const Plan& plan) {
  std::ostringstream os;
  os << "plan for " << config.file.string() << "\n"
     << "  " << plan.catalog.scenes.size() << " scene(s) in the window, "
     << plan.catalog.skipped.size() << " skipped, " << config.aois.size() << " AOI(s), "
     << plan.jobs.size() << " job(s); output " << config.output.string() << "\n";
  for (const auto& s : plan.catalog.skipped)
    os << "  skipped " << s.path << ": " << s.reason << "\n";
  for (const auto& a : plan.aois) {
    os << "\nAOI " << a.aoiId << ": ";
    if (!a.error.empty()) {
      os << "cannot run: " << a.error << "\n";
    } else {
      os << a.grid.describe() << ", " << a.tileCount << " tile(s) of " << config.tiling.tilePx
         << " px\n";
    }
    for (const auto& c : a.coverage) {
      const auto& s = plan.scene(c.sceneId);
      os << "  " << (c.used ? "use " : "skip") << "  " << c.sceneId << "  " << formatIsoTime(s.time)
         << "  imaged " << pct(c.imaged) << "  valid " << pct(c.valid);
      if (!c.reason.empty()) os << "  (" << c.reason << ")";
      os << "\n";
    }
  }
  os << "\njobs:\n";
  if (plan.jobs.empty()) os << "  none\n";
  for (const auto& j : plan.jobs) os << "  " << j.index << "  " << j.id << "\n";
  return os.str();
}

std::vector<std::string> commonRoles(const Scene& a, const Scene& b) {
  std::vector<std::string> roles;
  for (const auto& r : imaging::spectralRoleNames()) {
    if (a.bands.count(r) && b.bands.count(r)) roles.push_back(r);
  }
  return roles;
}

std::vector<std::string> bandNeedProblems(const Config& config, const Aoi& aoi,
                                          const std::vector<std::string>& roles) {
  if (roles.empty()) return {"the two scenes share no band role; set sensor.bands"};
  std::vector<imaging::BandRole> have;
  for (const auto& r : roles) have.push_back(imaging::bandRoleFromName(r));
  const auto& reg = imaging::Registry::builtins();
  std::vector<std::string> out;
  const std::string method = resolveChangeMethod(config.change.method, roles.size());
  if (const auto* m = reg.method(method)) {
    if (auto p = m->bands.check(have)) out.push_back("change method '" + method + "' " + *p);
  }
  for (const auto& d : aoi.detectors) {
    const auto* e = reg.detector(d.name);
    if (!e) continue;  // the config loader already named it
    if (auto p = e->bands.check(have)) out.push_back("detector '" + d.name + "' " + *p);
  }
  return out;
}

}  // namespace cw::pipeline
