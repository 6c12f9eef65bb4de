// changewatch count IMAGE --out DIR [--detector NAME] [--set name=value ...] [--threads N]
//
// Counts objects in one image with a registered detector, tiled (tiles/detection_runner), and
// writes
//   DIR/detections.geojson  RFC 7946 points (OGR GeoJSON driver, RFC7946=YES) with kind, score,
//                           length_m, width_m, heading_deg, area_m2, scene, x_px, y_px, and
//                           for ships berthed, underway and outline_px (hull rectangle corners);
//   DIR/counts.json         count per kind, the imaged footprint (valid, cloud-free area in m2
//                           and its outline), lower_bound (part not imaged), degraded and
//                           clutter_share, the water mask used and its imaged area, pixel size,
//                           tiling and the detector options.
// A raster without georeferencing runs on its pixel grid with a warning, and needs --pixel-size:
// coordinates are then pixel coordinates (x right, y down), which both files state in
// "crs_note"; detections.geojson is then plain JSON written by us, since it cannot be RFC 7946.
#include <unistd.h>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/name_suggestion.hpp"
#include "imaging/option_docs.hpp"
#include "imaging/registry.hpp"
#include "tiles/band_roles.hpp"
#include "tiles/detection_runner.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/ogr_vector.hpp"
#include "tiles/shore_mask.hpp"

namespace cw::cli {
// The CLI is the one place that composes the libraries.
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

struct CountArgs {
  std::string image;
  std::string out;
  std::string detector = "ships";
  int threads = 0;
  int tileSizePx = 512;
  double pixelSizeM = 0.0;
  std::vector<std::string> options;  // name=value
  std::string land, water;           // shore polygons (OGR), at most one
  std::string shoreLayer;
  double shoreBufferM = 0.0;
};

// Band roles as tiles::readBandLayout reads them; the cloud band becomes the cloud mask and alpha
// bands are left out.
struct BandPlan {
  std::vector<int> bands;
  std::vector<imaging::BandRole> roles;
  int cloudBand = 0;
};

BandPlan planBands(GDALDataset& ds) {
  const tiles::BandLayout layout = tiles::readBandLayout(ds);
  BandPlan p;
  p.cloudBand = layout.cloudBand;
  for (int b = 1; b <= ds.GetRasterCount(); ++b) {
    const bool alpha =
        std::find(layout.alphaBands.begin(), layout.alphaBands.end(), b) != layout.alphaBands.end();
    if (b == layout.cloudBand || alpha) continue;
    p.bands.push_back(b);
    p.roles.push_back(imaging::bandRoleFromName(layout.roleOf(b)));
  }
  if (p.bands.empty()) throw UsageError(std::string("no image bands in ") + ds.GetDescription());
  return p;
}

Json optionsJson(const imaging::Params& p) {
  Json o = Json::object();
  for (const auto& [k, v] : p.numbers()) o[k] = v;
  for (const auto& [k, v] : p.choices()) o[k] = v;
  return o;
}

Json footprintGeometry(const tiles::DetectionRunResult& r) {
  Json coords = Json::array();
  for (const auto& poly : r.footprint) {
    Json rings = Json::array();
    for (const auto& ring : poly) {
      Json pts = Json::array();
      for (const auto& p : ring) pts.push_back({p.x, p.y});
      rings.push_back(pts);
    }
    coords.push_back(rings);
  }
  return Json{{"type", "MultiPolygon"}, {"coordinates", coords}};
}

// Ships: the hull rectangle's corners in grid pixels, x0, y0, ..., x3, y3 (empty otherwise).
std::vector<double> outlineList(const imaging::Detection& d) {
  std::vector<double> out;
  for (const auto& c : d.outlinePx) {
    out.push_back(c.x);
    out.push_back(c.y);
  }
  return out;
}

void writeGeoJsonOgr(const fs::path& path, const tiles::DetectionRunResult& r,
                     const std::string& sceneId) {
  const tiles::GeoJsonLayout layout{.layerName = "detections",
                                    .geometryType = wkbPoint,
                                    .fields = {{"kind", OFTString},
                                               {"score", OFTReal},
                                               {"length_m", OFTReal},
                                               {"width_m", OFTReal},
                                               {"heading_deg", OFTReal},
                                               {"area_m2", OFTReal},
                                               {"scene", OFTString},
                                               {"x_px", OFTReal},
                                               {"y_px", OFTReal},
                                               {"berthed", OFTInteger, OFSTBoolean},
                                               {"underway", OFTInteger, OFSTBoolean},
                                               {"outline_px", OFTRealList}},
                                    .writeName = false,
                                    .coordinatePrecision = 7};
  tiles::writeGeoJson(path, layout, [&](tiles::GeoJsonLayer& out) {
    for (const auto& g : r.detections) {
      const auto& d = g.detection;
      OGRFeature f(out.definition());
      f.SetField("kind", d.kind.c_str());
      f.SetField("score", d.score);
      f.SetField("length_m", d.lengthM);
      f.SetField("width_m", d.widthM);
      f.SetField("heading_deg", d.headingDeg);
      f.SetField("area_m2", d.areaM2);
      f.SetField("scene", sceneId.c_str());
      f.SetField("x_px", d.centroidPx.x);
      f.SetField("y_px", d.centroidPx.y);
      f.SetField("berthed", d.berthed ? 1 : 0);
      f.SetField("underway", d.underway ? 1 : 0);
      const std::vector<double> outline = outlineList(d);
      if (!outline.empty())
        f.SetField("outline_px", static_cast<int>(outline.size()), outline.data());
      OGRPoint pt(g.lon, g.lat);
      f.SetGeometry(&pt);
      out.add(f);
    }
  });
}

void writeGeoJsonPixel(const fs::path& path, const tiles::DetectionRunResult& r,
                       const std::string& sceneId) {
  Json features = Json::array();
  for (const auto& g : r.detections) {
    const auto& d = g.detection;
    features.push_back(
        {{"type", "Feature"},
         {"properties",
          {{"kind", d.kind},
           {"score", d.score},
           {"length_m", d.lengthM},
           {"width_m", d.widthM},
           {"heading_deg", d.headingDeg},
           {"area_m2", d.areaM2},
           {"scene", sceneId},
           {"x_px", d.centroidPx.x},
           {"y_px", d.centroidPx.y},
           {"berthed", d.berthed},
           {"underway", d.underway},
           {"outline_px", outlineList(d)}}},
         {"geometry", {{"type", "Point"}, {"coordinates", {d.centroidPx.x, d.centroidPx.y}}}}});
  }
  const Json doc{{"type", "FeatureCollection"},
                 {"crs_note",
                  "not georeferenced: coordinates are pixel coordinates (x right, y down, pixel "
                  "centre at +0.5), not WGS84; this file is not RFC 7946"},
                 {"features", features}};
  cw::writeFileAtomic(path, doc.dump(1) + "\n");
}

tiles::ShoreSource shoreSource(const CountArgs& a) {
  return {a.land.empty() ? a.water : a.land, a.shoreLayer, !a.land.empty(), a.shoreBufferM};
}

// An in-memory (/vsimem) file, removed when it goes out of scope.
struct VsimemFile {
  std::string path;
  ~VsimemFile() {
    if (!path.empty()) VSIUnlink(path.c_str());
  }
};

// The --land/--water polygons burnt onto the image's grid (an in-memory GeoTIFF), or "".
std::string shoreWaterMask(const CountArgs& a, const tiles::GridSpec& grid) {
  if (a.land.empty() && a.water.empty()) return "";
  const tiles::ShoreSource s = shoreSource(a);
  tiles::checkShoreSource(s);
  const std::string path = "/vsimem/cw_count_water_" + std::to_string(::getpid()) + ".tif";
  const int n = tiles::writeShoreWaterMask(s, grid, path);
  log::info(tiles::describeShore(s) + ": " + std::to_string(n) + " polygons over the image");
  return path;
}

// The ground pixel size in metres: --pixel-size, else the grid's. Sets `crsNote` when the image
// is not georeferenced (which requires --pixel-size).
double resolvePixelSize(const CountArgs& a, const tiles::GridSpec& grid, std::string& crsNote) {
  double pixelSizeM = a.pixelSizeM;
  if (!grid.georeferenced()) {
    // Every size in a detector is in metres: a guessed pixel size would silently turn the
    // vehicle preset on 0.27 m imagery into a detector of 4 m cars (1,062 false alarms on P1888).
    if (pixelSizeM <= 0.0) {
      throw UsageError(a.image +
                       ": not georeferenced, so the pixel size is unknown: pass --pixel-size M "
                       "(ground metres per pixel, e.g. 3 for Planet, 0.27 for DOTA aerial)");
    }
    log::warn(a.image +
              ": not georeferenced: running on the pixel grid; coordinates in the "
              "outputs are pixel coordinates");
    crsNote =
        "not georeferenced: coordinates are pixel coordinates (x right, y down); pixel "
        "size " +
        std::to_string(pixelSizeM) + " m as given";
  } else if (pixelSizeM <= 0.0) {
    if (!grid.metric()) {
      throw UsageError(a.image + ": the CRS is not in metres; pass --pixel-size (m)");
    }
    pixelSizeM = std::sqrt(grid.pixelArea());
  }
  return pixelSizeM;
}

// Writes DIR/counts.json: counts per kind, the imaged footprint, grid, tiling and options.
void writeCountsJson(const fs::path& out, const CountArgs& a, const std::string& sceneId,
                     const imaging::Params& params, const tiles::DetectionRunResult& r,
                     const tiles::GridSpec& grid, double pixelSizeM, const std::string& crsNote) {
  std::map<std::string, int> perKind;
  int berthed = 0, underway = 0;
  for (const auto& g : r.detections) {
    ++perKind[g.detection.kind];
    berthed += g.detection.berthed;
    underway += g.detection.underway;
  }
  Json counts = Json::object();
  for (const auto& [k, n] : perKind) counts[k] = n;
  Json doc{{"scene", sceneId},
           {"image", a.image},
           {"detector", a.detector},
           {"detector_options", optionsJson(params)},
           {"counts", counts},
           {"total", r.detections.size()},
           {"berthed", berthed},
           {"underway", underway},
           {"lower_bound", r.partial},
           {"degraded", r.degraded},
           {"clutter_share", r.clutterShare},
           {"imaged_footprint",
            {{"valid_area_m2", r.validAreaM2},
             {"valid_pixels", r.validPixels},
             {"valid_fraction", r.validPixels / (double(grid.width) * grid.height)},
             {"geometry", footprintGeometry(r)}}},
           {"pixel_size_m", pixelSizeM},
           {"grid", {{"width", grid.width}, {"height", grid.height}, {"epsg", grid.epsg()}}},
           {"water_mask", r.waterSource},
           {"water_imaged_area_m2", r.waterAreaM2},
           {"tiles", r.tiles},
           {"tile_size_px", a.tileSizePx},
           {"halo_px", r.haloPx},
           {"seconds", r.seconds}};
  if (!crsNote.empty()) doc["crs_note"] = crsNote;
  cw::writeFileAtomic(out / "counts.json", doc.dump(2) + "\n");
}

// `changewatch count`: runs the detector over the image and writes detections.geojson and
// counts.json, then prints a one-line summary.
void runCount(const CountArgs& a) {
  const auto& reg = imaging::Registry::builtins();
  const imaging::DetectorEntry& entry = reg.requireDetector(a.detector);
  const imaging::Params params = imaging::paramsFromSettings(entry.name, entry.options, a.options);
  const auto detector = entry.create(params);

  tiles::GdalDataset ds = tiles::openRaster(a.image);
  const BandPlan bands = planBands(*ds);
  if (auto problem = entry.bands.check(bands.roles)) {
    throw UsageError(a.image + ": detector '" + entry.name + "' " + *problem);
  }
  const tiles::GridSpec grid = tiles::GridSpec::fromDataset(*ds);
  ds.reset();
  std::string crsNote;
  const double pixelSizeM = resolvePixelSize(a, grid, crsNote);

  tiles::DetectionRunRequest req;
  req.scene = tiles::RasterSource{a.image, bands.bands, std::nullopt};
  req.roles = bands.roles;
  if (bands.cloudBand > 0) req.cloud = tiles::MaskSource{a.image, bands.cloudBand, false};
  req.pixelSizeM = pixelSizeM;
  req.tileSizePx = a.tileSizePx;
  req.threads = a.threads;
  const VsimemFile waterMask{shoreWaterMask(a, grid)};
  if (!waterMask.path.empty()) {
    req.water = tiles::MaskSource{waterMask.path, 1, true};
    req.waterName = tiles::describeShore(shoreSource(a));
  }
  const tiles::DetectionRunResult r = tiles::runDetection(*detector, req);

  const fs::path out(a.out);
  fs::create_directories(out);
  const std::string sceneId = fs::path(a.image).stem().string();
  if (grid.georeferenced()) {
    writeGeoJsonOgr(out / "detections.geojson", r, sceneId);
  } else {
    writeGeoJsonPixel(out / "detections.geojson", r, sceneId);
  }
  writeCountsJson(out, a, sceneId, params, r, grid, pixelSizeM, crsNote);
  std::cout << a.image << ": " << r.detections.size() << " detection"
            << (r.detections.size() == 1 ? "" : "s") << " (" << a.detector << ") over "
            << r.validAreaM2 / 1e6 << " km2 imaged"
            << (r.partial ? " (part of the image not imaged or clouded: a lower bound)" : "")
            << (r.degraded ? " [DEGRADED: haze, cloud or glint over the water]" : "") << " -> "
            << (out / "detections.geojson").string() << '\n';
}

}  // namespace

void addCountCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "count",
      "Count objects (ships, tanks, blobs) in one image; writes detections.geojson and "
      "counts.json with the imaged footprint");
  auto a = std::make_shared<CountArgs>();
  cmd->add_option("IMAGE", a->image, "Raster to count objects in (any GDAL format)")->required();
  cmd->add_option("--out", a->out, "Output folder")->required();
  const auto& reg = imaging::Registry::builtins();
  cmd->add_option(
         "--detector", a->detector,
         "Detector: " + joinNames(reg.detectorNames()) + " (their options are listed below)")
      ->capture_default_str();
  cmd->add_option("--threads", a->threads, "Threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--tile-size", a->tileSizePx, "Tile size in pixels")
      ->check(CLI::Range(64, 16384))
      ->capture_default_str();
  cmd->add_option("--pixel-size", a->pixelSizeM,
                  "Pixel size in m (required sense for images without a metric CRS)");
  cmd->add_option("--set", a->options,
                  "Detector option name=value (repeatable), one of those listed below");
  auto* land = cmd->add_option("--land", a->land,
                               "Land polygons (any OGR format, e.g. OpenStreetMap land polygons): "
                               "water is everything outside them");
  auto* water = cmd->add_option("--water", a->water,
                                "Water polygons (any OGR format, e.g. a harbour outline): water is "
                                "inside them");
  land->excludes(water);
  cmd->add_option("--shore-layer", a->shoreLayer, "Layer of --land/--water (default: all layers)");
  cmd->add_option("--shore-buffer", a->shoreBufferM,
                  "Move the shore seaward by M metres (negative: landward)")
      ->capture_default_str();
  addUnitOptionsFooter(*cmd, imaging::UnitKind::Detector);
  cmd->callback([a] { runCount(*a); });
}

}  // namespace cw::cli
