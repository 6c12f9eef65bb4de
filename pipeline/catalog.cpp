#include "pipeline/catalog.hpp"

#include <fnmatch.h>
#include <gdal_utils.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "core/error.hpp"
#include "core/log.hpp"
#include "pipeline/product_reader.hpp"
#include "tiles/band_roles.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/ogr_vector.hpp"

namespace cw::pipeline {
namespace {

using nlohmann::json;

const std::vector<std::string> kRoles = {"blue",  "green", "red", "nir",
                                         "swir1", "swir2", "vv",  "vh"};

std::optional<TimePoint> timeFromText(std::string text) {
  // "YYYY:MM:DD HH:MM:SS" (TIFF) -> ISO
  if (text.size() >= 19 && text[4] == ':' && text[7] == ':' && text[10] == ' ') {
    text[4] = '-';
    text[7] = '-';
    text[10] = 'T';
    return parseIsoTime(text.substr(0, 19) + "Z");
  }
  if (text.size() == 4 && std::all_of(text.begin(), text.end(), ::isdigit)) {
    text += "-01-01";  // a year alone: its first day
  }
  if (text.size() == 8 && std::all_of(text.begin(), text.end(), ::isdigit)) {
    text = text.substr(0, 4) + "-" + text.substr(4, 2) + "-" + text.substr(6, 2);
  }
  if (auto t = parseIsoTime(text)) return t;
  // Timestamps without a zone are taken as UTC.
  if (text.size() >= 19) return parseIsoTime(text.substr(0, 19) + "Z");
  return std::nullopt;
}

std::optional<TimePoint> timeFromMetadata(GDALDataset& ds) {
  for (const char* key :
       {"ACQUISITION_DATETIME", "DATETIME", "SENSING_TIME", "PRODUCT_START_TIME",
        "DATATAKE_1_DATATAKE_SENSING_START", "TIFFTAG_DATETIME", "DATE_ACQUIRED"}) {
    if (const char* v = ds.GetMetadataItem(key)) {
      if (auto t = timeFromText(v)) return t;
    }
  }
  return std::nullopt;
}

std::optional<TimePoint> timeFromName(const std::string& name, const std::string& pattern) {
  if (pattern.empty()) return std::nullopt;
  std::smatch m;
  const std::regex re(pattern);
  if (!std::regex_search(name, m, re) || m.size() < 2) return std::nullopt;
  return timeFromText(m[1].str());
}

// Band roles: explicit config bands win; then what the raster says (tiles::readBandLayout: band
// descriptions naming a role, else a true-colour export's colour interpretation); then the profile,
// which only fills roles when the config names none (a config's {red: 1, green: 2, blue: 3} means
// exactly those three: filling nir from a default would take an RGBA export's alpha band as NIR).
// Alpha bands are masks, never spectral bands: the profile defaults count the bands without them.
void assignBands(Scene& s, GDALDataset& ds, const SensorConfig& sensor) {
  const tiles::BandLayout layout = tiles::readBandLayout(ds);
  s.alphaBands = layout.alphaBands;
  s.bands = layout.roles;
  s.cloudBand = layout.cloudBand;
  const int spectral = layout.spectralCount;
  if (s.bands.empty() && sensor.bands.empty()) {
    if (sensor.profile == "sar") {
      s.bands["vv"] = 1;
      if (spectral >= 2) s.bands["vh"] = 2;
    } else if (sensor.profile == "sentinel2" && spectral >= 4) {
      s.bands = {{"red", 1}, {"green", 2}, {"blue", 3}, {"nir", 4}};
    } else if (sensor.profile == "landsat" && spectral >= 4) {
      s.bands = {{"blue", 1}, {"green", 2}, {"red", 3}, {"nir", 4}};
      if (spectral >= 6) {
        s.bands["swir1"] = 5;
        s.bands["swir2"] = 6;
      }
    } else if (spectral >= 4) {
      s.bands = {{"blue", 1}, {"green", 2}, {"red", 3}, {"nir", 4}};
    } else if (spectral == 3) {
      s.bands = {{"red", 1}, {"green", 2}, {"blue", 3}};
    }
  }
  for (const auto& [role, band] : sensor.bands) s.bands[role] = band;
  if (sensor.cloudBand > 0) s.cloudBand = sensor.cloudBand;
}

// Every role names a band the scene has, and no role is its alpha (a mask).
void checkBandRoles(const Scene& s, const SensorConfig& sensor) {
  for (const auto& entry : s.bands) {
    // Named copies, not structured bindings: clang 14 (the sanitizer build) cannot capture a
    // structured binding in a lambda.
    const std::string& role = entry.first;
    const int band = entry.second;
    const bool fromConfig = std::any_of(sensor.bands.begin(), sensor.bands.end(),
                                        [&](const auto& rb) { return rb.first == role; });
    const std::string origin = fromConfig ? " (sensor.bands." + role + ")" : " (its default role)";
    if (band > s.bandCount) {
      throw BandRoleError("has " + std::to_string(s.bandCount) + " band(s) but its " + role +
                          " band is band " + std::to_string(band) + origin);
    }
    if (std::find(s.alphaBands.begin(), s.alphaBands.end(), band) != s.alphaBands.end()) {
      throw BandRoleError("band " + std::to_string(band) +
                          " is its alpha band (a mask of where it " + "imaged), not the " + role +
                          " band" + origin);
    }
  }
  if (s.cloudBand > s.bandCount) {
    throw BandRoleError("has " + std::to_string(s.bandCount) +
                        " band(s) but its cloud band is band " + std::to_string(s.cloudBand) +
                        " (sensor.cloud_band)");
  }
  bool spectral = false;
  for (const auto& role : kRoles) spectral |= s.bands.count(role) > 0;
  if (!spectral) {
    throw BandRoleError(
        "has " + std::to_string(s.bandCount) +
        " band(s) and no band role could be resolved (no sensor.bands, band " +
        "descriptions or colour interpretation name blue, green, red, nir, swir1, swir2, " +
        "vv or vh); set sensor.bands");
  }
}

// Ground size of a pixel in metres. A projected CRS's unit is taken as ground metres (UTM and
// other local projections are within 0.1 % of scale), except on Mercator projections, whose
// "metres" at 35°N are 0.82 m on the ground (EPSG:3857 exports), and on geographic CRSs: those
// are measured as the great-circle length of one pixel step across the scene's centre
// (haversine, WGS84 mean radius).
double groundPixelSizeM(const tiles::GridSpec& grid) {
  OGRSpatialReference src;
  src.importFromWkt(grid.wkt.c_str());
  const char* projection = src.GetAttrValue("PROJECTION");
  const bool mercator = projection &&
                        std::string(projection).find("Mercator") != std::string::npos &&
                        std::string(projection).find("Transverse") == std::string::npos;
  if (src.IsProjected() && !mercator) return grid.pixelSizeX() * src.GetLinearUnits();
  src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const auto t = tiles::transformToWgs84(src, "its CRS cannot be transformed to WGS84");
  const double cx = grid.width / 2.0, cy = grid.height / 2.0;
  auto lonLat = [&](double c, double r) {
    const auto p = grid.pixelToMap(c, r);
    double x = p.x, y = p.y;
    if (!t->Transform(1, &x, &y)) throw Error("its centre cannot be transformed to WGS84");
    return LonLat{x, y};
  };
  auto metres = [](const LonLat& a, const LonLat& b) {
    constexpr double kRad = M_PI / 180.0, kEarthM = 6371008.8;
    const double dLat = (b.lat - a.lat) * kRad, dLon = (b.lon - a.lon) * kRad;
    const double h = std::pow(std::sin(dLat / 2), 2) + std::cos(a.lat * kRad) *
                                                           std::cos(b.lat * kRad) *
                                                           std::pow(std::sin(dLon / 2), 2);
    return 2 * kEarthM * std::asin(std::min(1.0, std::sqrt(h)));
  };
  const LonLat c = lonLat(cx, cy);
  // The finer of the two axes, as the grid is square in metres.
  return std::min(metres(c, lonLat(cx + 1, cy)), metres(c, lonLat(cx, cy + 1)));
}

std::vector<LonLat> footprintOf(const tiles::GridSpec& grid) {
  OGRSpatialReference src;
  src.importFromWkt(grid.wkt.c_str());
  src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const auto t = tiles::transformToWgs84(src, "its CRS cannot be transformed to WGS84");
  std::vector<LonLat> ring;
  const int steps = 8;
  auto edge = [&](double c0, double r0, double c1, double r1) {
    for (int k = 0; k < steps; ++k) {
      const double f = static_cast<double>(k) / steps;
      const auto p = grid.pixelToMap(c0 + f * (c1 - c0), r0 + f * (r1 - r0));
      double x = p.x, y = p.y;
      if (t->Transform(1, &x, &y)) ring.push_back({x, y});
    }
  };
  const double w = grid.width, h = grid.height;
  edge(0, 0, w, 0);
  edge(w, 0, w, h);
  edge(w, h, 0, h);
  edge(0, h, 0, 0);
  if (ring.size() < 4) throw Error("its extent cannot be transformed to WGS84");
  ring.push_back(ring.front());
  return ring;
}

// A header can claim any size; one beyond this is corrupt or hostile (the largest single
// scenes, e.g. Sentinel-2 tiles at 10980² or Landsat at ~8000², are far below it).
constexpr std::int64_t kMaxScenePx = 10'000'000'000;

void checkPlausibleSize(GDALDataset& ds) {
  const std::int64_t px = std::int64_t(ds.GetRasterXSize()) * ds.GetRasterYSize();
  if (px > kMaxScenePx) {
    throw Error("its header claims " + std::to_string(ds.GetRasterXSize()) + "×" +
                std::to_string(ds.GetRasterYSize()) + " pixels, more than the " +
                std::to_string(kMaxScenePx) + " a scene may have (corrupt or hostile header)");
  }
}

// A truncated file opens (its header is intact) and fails only when pixels are read; reading
// the last pixel of each band, one block each, finds that here instead of in the middle of a job.
void checkReadable(GDALDataset& ds) {
  const int x = ds.GetRasterXSize() - 1, y = ds.GetRasterYSize() - 1;
  for (int b = 1; b <= ds.GetRasterCount(); ++b) {
    double v = 0.0;
    CPLErrorReset();
    if (ds.GetRasterBand(b)->RasterIO(GF_Read, x, y, 1, 1, &v, 1, 1, GDT_Float64, 0, 0, nullptr) !=
        CE_None) {
      throw Error("cannot be read (band " + std::to_string(b) + ", pixel " + std::to_string(x) +
                  "," + std::to_string(y) + "): " + tiles::lastGdalError() +
                  "; the file is truncated or corrupt");
    }
  }
}

// Opens one raster and fills a Scene; throws cw::Error with the reason it is unusable.
// `knownTime` is the time its container gave (STAC datetime, product metadata), recorded with
// `knownTimeSource`; without it the raster's own metadata, then time_pattern, then the config's
// time decide.
Scene describeScene(const std::string& dataset, const std::string& id, const fs::path& nameForTime,
                    const SceneSource& source, const SensorConfig& sensor,
                    std::optional<TimePoint> knownTime, const std::string& knownTimeSource) {
  auto ds = tiles::openRaster(dataset);
  Scene s;
  s.id = id;
  s.dataset = dataset;
  s.bandCount = ds->GetRasterCount();
  if (s.bandCount < 1) throw Error("has no raster bands");
  s.grid = tiles::GridSpec::fromDataset(*ds);
  if (!s.grid.georeferenced()) throw Error("has no CRS (the scene is not georeferenced)");
  if (s.grid.width < 2 || s.grid.height < 2) {
    throw Error("is " + std::to_string(s.grid.width) + "×" + std::to_string(s.grid.height) +
                " pixels, too small to use");
  }
  checkPlausibleSize(*ds);
  checkReadable(*ds);
  if (knownTime) {
    s.time = *knownTime;
    s.timeSource = knownTimeSource;
  } else if (auto t = timeFromMetadata(*ds)) {
    s.time = *t;
    s.timeSource = "metadata";
  } else if (auto t2 = timeFromName(nameForTime.filename().string(), source.timePattern)) {
    s.time = *t2;
    s.timeSource = "filename";
  } else if (source.time) {
    s.time = *source.time;
    s.timeSource = "config";
  } else {
    throw Error("has no acquisition time (no STAC datetime, no date in its metadata" +
                std::string(source.timePattern.empty() ? ", no scenes[].time_pattern"
                                                       : ", its name does not match time_pattern") +
                ", and no scenes[].time in the config)");
  }
  assignBands(s, *ds, sensor);
  checkBandRoles(s, sensor);
  int hasNodata = 0;
  const double nd = ds->GetRasterBand(1)->GetNoDataValue(&hasNodata);
  if (sensor.nodata) {
    s.nodata = sensor.nodata;
  } else if (hasNodata) {
    s.nodata = nd;
  }
  s.footprint = footprintOf(s.grid);
  s.pixelSizeM = groundPixelSizeM(s.grid);
  return s;
}

// The folder's entries whose path relative to it matches the glob ('*' stays within one folder
// level, so "*/*_MTL.txt" finds one MTL per product folder). Folders count only when they are
// products (a Sentinel-2 .SAFE), and the walk never enters them.
std::vector<fs::path> listFolder(const SceneSource& src) {
  const int maxDepth = static_cast<int>(std::count(src.glob.begin(), src.glob.end(), '/'));
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(src.folder);
       it != fs::recursive_directory_iterator(); ++it) {
    const bool product = productKind(it->path()) != ProductKind::None;
    if (it->is_directory() && (product || it.depth() >= maxDepth)) it.disable_recursion_pending();
    if (!it->is_regular_file() && !product) continue;
    const std::string rel = it->path().lexically_relative(src.folder).string();
    if (::fnmatch(src.glob.c_str(), rel.c_str(), FNM_PATHNAME) == 0) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string roleOfCommonName(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  if (name == "swir16") return "swir1";
  if (name == "swir22") return "swir2";
  if (name == "nir08" || name == "nir09") return "nir";
  return name;
}

// Resolves an asset href against the ItemCollection's folder, refusing anything that leaves it
// (.., absolute paths elsewhere, URLs): assets are local files beside the catalog.
fs::path resolveHref(const fs::path& base, const std::string& href) {
  if (href.find("://") != std::string::npos) {
    throw Error("asset href '" + href + "' is remote; only local files are read");
  }
  const fs::path root = fs::weakly_canonical(base);
  const fs::path p =
      fs::weakly_canonical(fs::path(href).is_absolute() ? fs::path(href) : base / href);
  const auto rel = p.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") {
    throw Error("asset href '" + href + "' escapes the folder of its ItemCollection");
  }
  return p;
}

void skipScene(Catalog& cat, const std::string& where, const Error& e) {
  cat.skipped.push_back({where, e.what()});
  cat.skipped.back().bandRoles = dynamic_cast<const BandRoleError*>(&e) != nullptr;
}

// One VRT of single-band files, band i = file i, at the finest resolution among them.
void stackBands(const std::vector<std::string>& names, const std::string& vrtPath) {
  std::vector<const char*> srcs;
  for (const auto& n : names) srcs.push_back(n.c_str());
  const char* argv[] = {"-separate", "-resolution", "highest", nullptr};
  GDALBuildVRTOptions* opts = GDALBuildVRTOptionsNew(const_cast<char**>(argv), nullptr);
  int usageError = 0;
  CPLErrorReset();
  GDALDatasetH vrt = GDALBuildVRT(vrtPath.c_str(), static_cast<int>(srcs.size()), nullptr,
                                  srcs.data(), opts, &usageError);
  GDALBuildVRTOptionsFree(opts);
  if (!vrt) throw Error("cannot stack its band files: " + tiles::lastGdalError());
  GDALClose(vrt);
}

// A scene of one file per band (scenes[].bands): stacked into a VRT in the order given, with
// sensor.bands set to that order, so the files' own band counts do not matter.
void addBandFileScene(const SceneSource& src, const fs::path& folder, const std::string& id,
                      const SensorConfig& sensor, std::vector<std::pair<Scene, std::string>>& out) {
  std::vector<std::string> names;
  std::vector<fs::path> files;
  SensorConfig sc = sensor;
  sc.bands.clear();
  sc.cloudBand = 0;
  for (const auto& [role, rel] : src.bandFiles) {
    const fs::path f = folder.empty() ? rel : folder / rel;
    if (!fs::exists(f)) throw Error("its " + role + " band file " + f.string() + " does not exist");
    names.push_back(f.string());
    files.push_back(f);
    if (role == "cloud") {
      sc.cloudBand = static_cast<int>(names.size());
    } else {
      sc.bands.emplace_back(role, static_cast<int>(names.size()));
    }
  }
  const std::string dataset = "/vsimem/changewatch/bands/" + id + ".vrt";
  stackBands(names, dataset);
  // The first band's file carries the metadata (a time tag, if any); its folder the time_pattern.
  Scene s = describeScene(dataset, id, folder.empty() ? files.front() : folder, src, sc,
                          std::nullopt, "");
  s.files = files;
  out.emplace_back(std::move(s), folder.empty() ? files.front().string() : folder.string());
}

// The subfolders of a band-file folder source that the glob matches, sorted.
std::vector<fs::path> listSceneFolders(const SceneSource& src) {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(src.folder)) {
    if (!e.is_directory()) continue;
    if (::fnmatch(src.glob.c_str(), e.path().filename().c_str(), 0) == 0) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

void addBandFileScenes(const SceneSource& src, const SensorConfig& sensor, Catalog& cat,
                       std::vector<std::pair<Scene, std::string>>& out) {
  if (src.kind != SceneSource::Kind::Folder) {
    const std::string id =
        !src.id.empty()
            ? src.id
            : sanitizeId(src.bandFiles.front().second.parent_path().filename().string());
    try {
      addBandFileScene(src, {}, id, sensor, out);
    } catch (const Error& e) {
      skipScene(cat, src.bandFiles.front().second.string(), e);
    }
    return;
  }
  for (const auto& dir : listSceneFolders(src)) {
    try {
      addBandFileScene(src, dir, sanitizeId(dir.filename().string()), sensor, out);
    } catch (const Error& e) {
      skipScene(cat, dir.string(), e);
    }
  }
}

// The ItemCollection at `stac`; refuses a file that is not JSON or has no "features" array.
json readItemCollection(const fs::path& stac) {
  std::ifstream in(stac);
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw UsageError(stac.string() + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object() || !doc.contains("features") || !doc["features"].is_array()) {
    throw UsageError(stac.string() + ": not a STAC ItemCollection (no \"features\" array)");
  }
  return doc;
}

// An item's time: properties.datetime, else properties.start_datetime, else none.
std::optional<TimePoint> stacItemTime(const json& item) {
  std::optional<TimePoint> time;
  if (item.contains("properties") && item["properties"].is_object()) {
    const auto& props = item["properties"];
    if (props.contains("datetime") && props["datetime"].is_string()) {
      time = parseIsoTime(props["datetime"].get<std::string>());
    } else if (props.contains("start_datetime") && props["start_datetime"].is_string()) {
      time = parseIsoTime(props["start_datetime"].get<std::string>());
    }
  }
  return time;
}

// An item's raster assets: one multi-band asset (role "data", or the only raster) with the band
// of each role its eo:bands name, or one asset per band role.
struct StacAssets {
  std::map<std::string, fs::path> perRole;
  std::optional<fs::path> multi;
  std::map<std::string, int> multiBands;
};

// The raster assets of an item, their hrefs resolved against `base`.
StacAssets stacItemAssets(const json& item, const fs::path& base) {
  StacAssets a;
  for (const auto& [key, asset] : item["assets"].items()) {
    if (!asset.is_object() || !asset.contains("href") || !asset["href"].is_string()) continue;
    const std::string type = asset.value("type", "");
    if (!type.empty() && type.find("image/") == std::string::npos) continue;
    const fs::path href = resolveHref(base, asset["href"].get<std::string>());
    std::vector<std::string> bandRoles;
    if (asset.contains("eo:bands") && asset["eo:bands"].is_array()) {
      for (const auto& b : asset["eo:bands"]) {
        bandRoles.push_back(
            b.is_object() ? roleOfCommonName(b.value("common_name", b.value("name", ""))) : "");
      }
    }
    if (bandRoles.size() > 1) {
      a.multi = href;
      for (size_t i = 0; i < bandRoles.size(); ++i) {
        if (!bandRoles[i].empty()) a.multiBands[bandRoles[i]] = static_cast<int>(i) + 1;
      }
    } else {
      const std::string role =
          bandRoles.size() == 1 && !bandRoles[0].empty() ? bandRoles[0] : roleOfCommonName(key);
      if (std::find(kRoles.begin(), kRoles.end(), role) != kRoles.end() || role == "cloud") {
        a.perRole[role] = href;
      } else if (!a.multi) {
        a.multi = href;
      }
    }
  }
  return a;
}

// The dataset of item `id` from its assets: the multi-band file, or the per-band files stacked
// in a VRT; sets the files read and the band of each role in `sc`.
std::string stacDataset(StacAssets& a, const std::string& id, std::vector<fs::path>& files,
                        SensorConfig& sc) {
  if (a.multi && a.perRole.empty()) {
    files.push_back(*a.multi);
    for (const auto& [role, band] : a.multiBands) {
      if (role == "cloud") {
        sc.cloudBand = band;
      } else {
        sc.bands.emplace_back(role, band);
      }
    }
    return a.multi->string();
  }
  if (a.perRole.empty()) throw Error("has no raster asset");
  // Stack the per-band assets in a VRT, in a fixed role order.
  std::vector<std::string> names;
  int b = 1;
  for (const auto& role : kRoles) {
    if (!a.perRole.count(role)) continue;
    names.push_back(a.perRole[role].string());
    files.push_back(a.perRole[role]);
    sc.bands.emplace_back(role, b++);
  }
  if (a.perRole.count("cloud")) {
    names.push_back(a.perRole["cloud"].string());
    files.push_back(a.perRole["cloud"]);
    sc.cloudBand = b++;
  }
  const std::string dataset = "/vsimem/changewatch/stac/" + id + ".vrt";
  stackBands(names, dataset);
  return dataset;
}

// The scene of one STAC item (its assets resolved against `base`); throws Error naming what it
// lacks.
Scene stacItemScene(const json& item, const SceneSource& src, const SensorConfig& sensor,
                    const fs::path& base) {
  if (!item.is_object()) throw Error("is not an object");
  const std::string id = item.value("id", "");
  if (id.empty()) throw Error("has no id");
  if (!isSafeId(id)) throw Error("id '" + id + "' is not a safe id ([A-Za-z0-9_-]{1,64})");
  const std::optional<TimePoint> time = stacItemTime(item);
  if (!item.contains("assets") || !item["assets"].is_object() || item["assets"].empty()) {
    throw Error("has no assets");
  }
  StacAssets assets = stacItemAssets(item, base);
  std::vector<fs::path> files;
  SensorConfig sc = sensor;
  const std::string dataset = stacDataset(assets, id, files, sc);
  Scene s = describeScene(dataset, id, files.front(), src, sc, time, "stac");
  if (!time) throw Error("has no properties.datetime");
  s.files = files;
  return s;
}

// The scenes of a STAC ItemCollection; an item that cannot be read is skipped with the reason.
void addStacItems(const SceneSource& src, const SensorConfig& sensor, Catalog& cat,
                  std::vector<std::pair<Scene, std::string>>& out) {
  const json doc = readItemCollection(src.stac);
  const fs::path base = src.stac.parent_path();
  int index = 0;
  for (const auto& item : doc["features"]) {
    const std::string where = src.stac.string() + " features[" + std::to_string(index++) + "]";
    try {
      out.emplace_back(stacItemScene(item, src, sensor, base), where);
    } catch (const Error& e) {
      skipScene(cat, where, e);
    }
  }
}

}  // namespace

std::string sceneIdFromPath(const fs::path& path) {
  return sanitizeId(path.stem().string());
}

std::string sanitizeId(std::string id) {
  for (auto& ch : id) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-') ch = '_';
  }
  if (id.size() > 64) id = id.substr(0, 64);
  if (id.empty()) id = "scene";
  return id;
}

Catalog buildCatalog(const Config& config) {
  Catalog cat;
  std::vector<std::pair<Scene, std::string>> found;
  for (size_t si = 0; si < config.scenes.size(); ++si) {
    const auto& src = config.scenes[si];
    const size_t foundBefore = found.size(), skippedBefore = cat.skipped.size();
    // Every entry found or skipped from here on comes from this source.
    struct MarkSource {
      std::vector<std::pair<Scene, std::string>>& found;
      std::vector<SkippedScene>& skipped;
      size_t f, k;
      int index;
      ~MarkSource() {
        for (size_t i = f; i < found.size(); ++i) found[i].first.source = index;
        for (size_t i = k; i < skipped.size(); ++i) skipped[i].source = index;
      }
    } mark{found, cat.skipped, foundBefore, skippedBefore, static_cast<int>(si)};
    if (src.kind == SceneSource::Kind::Stac) {
      addStacItems(src, config.sensor, cat, found);
      continue;
    }
    if (!src.bandFiles.empty()) {
      addBandFileScenes(src, config.sensor, cat, found);
      continue;
    }
    const auto files = src.kind == SceneSource::Kind::Folder ? listFolder(src) : src.files;
    for (const auto& f : files) {
      try {
        if (const auto kind = productKind(f); kind != ProductKind::None) {
          const Product p = openProduct(f, kind);
          // A product names its own bands; sensor.bands and cloud_band describe plain rasters.
          SensorConfig own;
          own.nodata = config.sensor.nodata;
          Scene s = describeScene(p.dataset, sanitizeId(p.id), f, src, own, p.time, "metadata");
          s.files = p.files;
          found.emplace_back(std::move(s), f.string());
          continue;
        }
        Scene s =
            describeScene(f.string(), sceneIdFromPath(f), f, src, config.sensor, std::nullopt, "");
        s.files = {f};
        found.emplace_back(std::move(s), f.string());
      } catch (const Error& e) {
        std::string msg = e.what();
        // openRaster() prefixes the path already; keep the reason alone.
        if (msg.rfind(f.string() + ": ", 0) == 0) msg = msg.substr(f.string().size() + 2);
        cat.skipped.push_back({f.string(), msg});
        cat.skipped.back().bandRoles = dynamic_cast<const BandRoleError*>(&e) != nullptr;
      }
    }
  }
  std::set<std::string> ids;
  // A day of slack for clock skew and local times written without a zone.
  const TimePoint latest = static_cast<TimePoint>(std::time(nullptr)) + 86400;
  for (auto& [s, where] : found) {
    if (s.time > latest) {
      cat.skipped.push_back({where,
                             "acquired " + formatIsoTime(s.time) + " (" + s.timeSource +
                                 "), which is in the future; its date is wrong",
                             s.source});
      continue;
    }
    if (s.time < config.windowStart || s.time > config.windowEnd) {
      cat.skipped.push_back({where,
                             "acquired " + formatIsoTime(s.time) + ", outside the window " +
                                 formatIsoDate(config.windowStart) + " to " +
                                 formatIsoDate(config.windowEnd),
                             s.source});
      cat.outsideWindow.push_back(s);
      continue;
    }
    if (!ids.insert(s.id).second) {
      cat.skipped.push_back({where, "duplicate scene id '" + s.id + "'", s.source});
      continue;
    }
    cat.scenes.push_back(std::move(s));
  }
  std::sort(cat.scenes.begin(), cat.scenes.end(), [](const Scene& a, const Scene& b) {
    return a.time != b.time ? a.time < b.time : a.id < b.id;
  });
  std::sort(cat.skipped.begin(), cat.skipped.end(),
            [](const SkippedScene& a, const SkippedScene& b) { return a.path < b.path; });
  for (const auto& sk : cat.skipped) log::debug("skipped " + sk.path + ": " + sk.reason);
  return cat;
}

}  // namespace cw::pipeline
