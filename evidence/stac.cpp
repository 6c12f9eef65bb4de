#include "evidence/stac.hpp"

#include <ogr_spatialref.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"
#include "cw_version.hpp"
#include "tiles/ogr_vector.hpp"

namespace cw::evidence {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

constexpr const char* kStacVersion = "1.0.0";
constexpr const char* kExtProcessing =
    "https://stac-extensions.github.io/processing/v1.1.0/schema.json";
constexpr const char* kExtProjection =
    "https://stac-extensions.github.io/projection/v1.1.0/schema.json";
constexpr const char* kExtFile = "https://stac-extensions.github.io/file/v2.1.0/schema.json";

struct AssetSpec {
  const char* file;
  const char* key;
  const char* type;
  std::vector<std::string> roles;
  const char* title;
};
const AssetSpec kAssets[] = {
    {"score.tif",
     "score",
     "image/tiff; application=geotiff; profile=cloud-optimized",
     {"data"},
     "change score"},
    {"mask.tif",
     "mask",
     "image/tiff; application=geotiff; profile=cloud-optimized",
     {"data"},
     "change mask (0 no change, 1 change, 255 no decision)"},
    {"product.h5", "product", "application/x-hdf5", {"data"}, "CF-1.8 product"},
    {"evidence.geojson",
     "evidence",
     "application/geo+json",
     {"metadata"},
     "evidence items with chip paths"},
    {"changes.geojson", "changes", "application/geo+json", {"data"}, "change polygons"},
    {"detections.geojson", "detections", "application/geo+json", {"data"}, "detected objects"},
    {"counts.json", "counts", "application/json", {"metadata"}, "counts per scene with footprint"},
};

std::string dumpJson(const ordered_json& j) {
  return j.dump(2) + "\n";
}

std::string fileUri(const std::string& path) {
  if (path.empty()) return path;
  if (path.find("://") != std::string::npos) return path;
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  return "file://" + (ec ? path : abs.lexically_normal().string());
}

ordered_json readJson(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw Error(p.string() + ": cannot read");
  try {
    return ordered_json::parse(in);
  } catch (const std::exception& e) {
    throw Error(p.string() + ": not valid JSON: " + e.what());
  }
}

}  // namespace

Polygon gridFootprintWgs84(const GridInfo& g) {
  OGRSpatialReference grid, wgs84;
  if (grid.importFromWkt(g.wkt.c_str()) != OGRERR_NONE && g.epsg > 0) grid.importFromEPSG(g.epsg);
  grid.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs84 = tiles::wgs84Srs();
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&grid, &wgs84));
  if (!ct) throw Error("stac: cannot transform the grid CRS to WGS84");
  constexpr int kSteps = 16;
  const double w = g.width, h = g.height;
  std::vector<std::array<double, 2>> px;
  auto edge = [&](double x0, double y0, double x1, double y1) {
    for (int i = 0; i < kSteps; ++i) {
      const double f = static_cast<double>(i) / kSteps;
      px.push_back({x0 + (x1 - x0) * f, y0 + (y1 - y0) * f});
    }
  };
  // Counter-clockwise in lon/lat (north up): top-left -> bottom-left -> bottom-right -> top-right.
  edge(0, 0, 0, h);
  edge(0, h, w, h);
  edge(w, h, w, 0);
  edge(w, 0, 0, 0);
  Ring ring;
  const auto& t = g.geotransform;
  for (const auto& p : px) {
    double x = t[0] + p[0] * t[1] + p[1] * t[2];
    double y = t[3] + p[0] * t[4] + p[1] * t[5];
    if (!ct->Transform(1, &x, &y)) throw Error("stac: grid corner does not transform to WGS84");
    ring.push_back({x, y});
  }
  ring.push_back(ring.front());
  return {ring};
}

void writeStacItem(const fs::path& jobDir, const JobInfo& job) {
  const Polygon poly = gridFootprintWgs84(job.grid);
  double w = 180, s = 90, e = -180, n = -90;
  ordered_json coords = ordered_json::array();
  ordered_json ring = ordered_json::array();
  for (const auto& p : poly[0]) {
    w = std::min(w, p[0]), e = std::max(e, p[0]), s = std::min(s, p[1]), n = std::max(n, p[1]);
    ring.push_back({p[0], p[1]});
  }
  coords.push_back(ring);

  ordered_json item;
  item["type"] = "Feature";
  item["stac_version"] = kStacVersion;
  item["stac_extensions"] = {kExtProcessing, kExtProjection, kExtFile};
  item["id"] = job.aoiId + "_" + job.pairId();
  item["geometry"] = {{"type", "Polygon"}, {"coordinates", coords}};
  item["bbox"] = {w, s, e, n};
  ordered_json props;
  props["datetime"] = nullptr;
  props["start_datetime"] = job.before.timeIso;
  props["end_datetime"] = job.after.timeIso;
  props["title"] = job.aoiName + ": " + job.before.id + " -> " + job.after.id;
  props["changewatch:aoi"] = job.aoiId;
  props["changewatch:aoi_kind"] = job.aoiKind;
  props["changewatch:method"] = job.method;
  props["changewatch:config_hash"] = job.configHash;
  props["processing:software"] = {{"changewatch", kGitDescribe}};
  props["processing:lineage"] =
      "Scenes " + job.before.id + " and " + job.after.id +
      " warped onto the AOI grid (EPSG:" + std::to_string(job.grid.epsg) + ", " +
      std::to_string(job.grid.pixelSizeM) + " m), co-registered, change detected with " +
      job.method + ", objects counted per scene; config sha256 " + job.configHash + ".";
  if (job.grid.epsg > 0)
    props["proj:epsg"] = job.grid.epsg;
  else {
    props["proj:epsg"] = nullptr;
    props["proj:wkt2"] = job.grid.wkt;
  }
  props["proj:shape"] = {job.grid.height, job.grid.width};
  const auto& t = job.grid.geotransform;
  props["proj:transform"] = {t[1], t[2], t[0], t[4], t[5], t[3], 0.0, 0.0, 1.0};
  item["properties"] = props;
  item["links"] = ordered_json::array(
      {{{"rel", "root"}, {"href", "../../catalog.json"}, {"type", "application/json"}},
       {{"rel", "parent"}, {"href", "../collection.json"}, {"type", "application/json"}},
       {{"rel", "collection"}, {"href", "../collection.json"}, {"type", "application/json"}},
       {{"rel", "derived_from"},
        {"href", fileUri(job.before.path)},
        {"title", "before scene " + job.before.id},
        {"changewatch:sha256", job.before.sha256},
        {"changewatch:datetime", job.before.timeIso}},
       {{"rel", "derived_from"},
        {"href", fileUri(job.after.path)},
        {"title", "after scene " + job.after.id},
        {"changewatch:sha256", job.after.sha256},
        {"changewatch:datetime", job.after.timeIso}}});
  item["collection"] = job.aoiId;
  ordered_json assets = ordered_json::object();
  for (const auto& a : kAssets) {
    const fs::path p = jobDir / a.file;
    if (!fs::is_regular_file(p)) continue;
    assets[a.key] = {{"href", std::string("./") + a.file},
                     {"type", a.type},
                     {"title", a.title},
                     {"roles", a.roles},
                     {"file:size", fs::file_size(p)},
                     {"file:checksum", "1220" + sha256File(p)}};
  }
  item["assets"] = assets;
  writeFileAtomic(jobDir / "item.json", dumpJson(item));
}

void writeStacCatalog(const fs::path& outDir, const std::vector<AoiCollectionInfo>& aois) {
  std::vector<AoiCollectionInfo> sorted = aois;
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.id < b.id; });
  ordered_json cat;
  cat["type"] = "Catalog";
  cat["stac_version"] = kStacVersion;
  cat["id"] = "changewatch";
  cat["title"] = "changewatch run";
  cat["description"] =
      "Change detection and object counts per AOI and scene pair, produced by "
      "changewatch " +
      std::string(kGitDescribe) + ".";
  ordered_json catLinks = ordered_json::array(
      {{{"rel", "root"}, {"href", "./catalog.json"}, {"type", "application/json"}}});

  for (const auto& aoi : sorted) {
    const fs::path aoiDir = outDir / aoi.id;
    std::vector<fs::path> items;
    if (fs::is_directory(aoiDir))
      for (const auto& d : fs::directory_iterator(aoiDir))
        if (d.is_directory() && fs::is_regular_file(d.path() / "item.json"))
          items.push_back(d.path() / "item.json");
    std::sort(items.begin(), items.end());
    double w = 180, s = 90, e = -180, n = -90;
    std::string t0, t1;
    ordered_json links = ordered_json::array(
        {{{"rel", "root"}, {"href", "../catalog.json"}, {"type", "application/json"}},
         {{"rel", "parent"}, {"href", "../catalog.json"}, {"type", "application/json"}}});
    for (const auto& p : items) {
      const ordered_json it = readJson(p);
      const auto& bb = it.at("bbox");
      w = std::min(w, bb[0].get<double>()), s = std::min(s, bb[1].get<double>());
      e = std::max(e, bb[2].get<double>()), n = std::max(n, bb[3].get<double>());
      const auto& pr = it.at("properties");
      const std::string a = pr.value("start_datetime", ""), b = pr.value("end_datetime", "");
      if (!a.empty() && (t0.empty() || a < t0)) t0 = a;
      if (!b.empty() && (t1.empty() || b > t1)) t1 = b;
      links.push_back({{"rel", "item"},
                       {"href", "./" + p.parent_path().filename().string() + "/item.json"},
                       {"type", "application/geo+json"}});
    }
    ordered_json col;
    col["type"] = "Collection";
    col["stac_version"] = kStacVersion;
    col["stac_extensions"] = ordered_json::array();
    col["id"] = aoi.id;
    col["title"] = aoi.name;
    col["description"] = "changewatch evidence for " + aoi.kind + " '" + aoi.name + "' (" + aoi.id +
                         "), one item per scene pair.";
    col["license"] = "proprietary";
    ordered_json bbox = items.empty() ? ordered_json::array({-180, -90, 180, 90})
                                      : ordered_json::array({w, s, e, n});
    col["extent"] = {
        {"spatial", {{"bbox", ordered_json::array({bbox})}}},
        {"temporal",
         {{"interval", ordered_json::array({ordered_json::array(
                           {t0.empty() ? ordered_json(nullptr) : ordered_json(t0),
                            t1.empty() ? ordered_json(nullptr) : ordered_json(t1)})})}}}};
    col["links"] = links;
    fs::create_directories(aoiDir);
    writeFileAtomic(aoiDir / "collection.json", dumpJson(col));
    catLinks.push_back({{"rel", "child"},
                        {"href", "./" + aoi.id + "/collection.json"},
                        {"type", "application/json"},
                        {"title", aoi.name}});
  }
  cat["links"] = catLinks;
  writeFileAtomic(outDir / "catalog.json", dumpJson(cat));
}

}  // namespace cw::evidence
