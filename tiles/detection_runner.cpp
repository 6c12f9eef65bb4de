#include "tiles/detection_runner.hpp"

#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "core/log.hpp"
#include "imaging/water_mask.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/ogr_vector.hpp"
#include "tiles/tile_executor.hpp"
#include "tiles/tile_splitter.hpp"

namespace cw::tiles {
namespace {

// A decimated copy of the selected bands and their validity (nodata, GDAL mask, NaN, cloud).
struct Overview {
  cv::Mat data;                         // CV_32FC(p)
  cv::Mat valid;                        // CV_8U
  double factorX = 1.0, factorY = 1.0;  // grid pixels per overview pixel
};

Overview readOverview(GDALDataset& ds, const RasterSource& src, const std::vector<int>& bands,
                      const std::optional<MaskSource>& cloud, int maxSidePx) {
  const int w = ds.GetRasterXSize(), h = ds.GetRasterYSize();
  const double f = std::max(1.0, static_cast<double>(std::max(w, h)) / maxSidePx);
  const int ow = std::max(1, static_cast<int>(std::lround(w / f)));
  const int oh = std::max(1, static_cast<int>(std::lround(h / f)));
  Overview o;
  o.factorX = static_cast<double>(w) / ow;
  o.factorY = static_cast<double>(h) / oh;
  o.valid = cv::Mat(oh, ow, CV_8U, cv::Scalar(255));
  std::vector<cv::Mat> planes;
  for (int b : bands) {
    GDALRasterBand* band = ds.GetRasterBand(b);
    cv::Mat plane(oh, ow, CV_32F);
    if (band->RasterIO(GF_Read, 0, 0, w, h, plane.data, ow, oh, GDT_Float32, 0, 0) != CE_None) {
      throw Error(src.path + ": overview read failed: " + lastGdalError());
    }
    int hasNodata = 0;
    const double nd = src.nodata ? *src.nodata : band->GetNoDataValue(&hasNodata);
    if (src.nodata || hasNodata) o.valid.setTo(0, plane == nd);
    o.valid.setTo(0, plane != plane);
    GDALRasterBand* mask = band->GetMaskBand();
    if (mask && !(band->GetMaskFlags() & GMF_ALL_VALID)) {
      cv::Mat m(oh, ow, CV_8U);
      if (mask->RasterIO(GF_Read, 0, 0, w, h, m.data, ow, oh, GDT_Byte, 0, 0) == CE_None) {
        o.valid.setTo(0, m == 0);
      }
    }
    planes.push_back(plane);
  }
  cv::merge(planes, o.data);
  if (cloud) {
    GdalDataset cds = openRaster(cloud->path);
    cv::Mat c(oh, ow, CV_8U);
    if (cds->GetRasterBand(cloud->band)
            ->RasterIO(GF_Read, 0, 0, w, h, c.data, ow, oh, GDT_Byte, 0, 0) != CE_None) {
      throw Error(cloud->path + ": overview read failed: " + lastGdalError());
    }
    o.valid.setTo(0, cloud->validWhereNonZero ? (c == 0) : (c != 0));
  }
  return o;
}

// Nearest-neighbour lookup of an overview mask for a window of grid pixels.
cv::Mat upsampleWindow(const cv::Mat& overviewMask, double fx, double fy, const cv::Rect& win) {
  cv::Mat out(win.size(), CV_8U);
  std::vector<int> cols(win.width);
  for (int x = 0; x < win.width; ++x) {
    cols[x] = std::min(overviewMask.cols - 1, static_cast<int>((win.x + x + 0.5) / fx));
  }
  for (int y = 0; y < win.height; ++y) {
    const int oy = std::min(overviewMask.rows - 1, static_cast<int>((win.y + y + 0.5) / fy));
    const uchar* src = overviewMask.ptr<uchar>(oy);
    uchar* dst = out.ptr<uchar>(y);
    for (int x = 0; x < win.width; ++x) dst[x] = src[cols[x]];
  }
  return out;
}

std::unique_ptr<OGRCoordinateTransformation> toWgs84(const GridSpec& grid) {
  if (!grid.georeferenced()) return nullptr;
  OGRSpatialReference src;
  if (src.importFromWkt(grid.wkt.c_str()) != OGRERR_NONE) {
    throw Error("grid CRS cannot be read: " + grid.wkt.substr(0, 80));
  }
  src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return transformToWgs84(src, "no transformation from the grid CRS to WGS84");
}

// Valid-area outline: GDALPolygonize of the overview's valid mask, in the grid CRS, then WGS84.
std::vector<std::vector<std::vector<cv::Point2d>>> traceFootprint(const cv::Mat& valid, double fx,
                                                                  double fy, const GridSpec& grid) {
  std::vector<std::vector<std::vector<cv::Point2d>>> out;
  if (cv::countNonZero(valid) == 0) return out;
  const auto& g = grid.geoTransform;
  const cv::Mat v = valid.isContinuous() ? valid : valid.clone();
  const PolygonLayer traced = polygonizeMask(
      v.data, v.cols, v.rows, {g[0], g[1] * fx, g[2] * fy, g[3], g[4] * fx, g[5] * fy}, nullptr,
      "footprint: cannot trace the valid area");
  const auto t = toWgs84(grid);
  OGRLayer& layer = traced.layer();
  layer.ResetReading();
  std::vector<std::pair<double, std::vector<std::vector<cv::Point2d>>>> polys;
  for (auto& feature : layer) {
    const OGRGeometry* geom = feature->GetGeometryRef();
    if (!geom || wkbFlatten(geom->getGeometryType()) != wkbPolygon) continue;
    const auto* poly = geom->toPolygon();
    std::vector<std::vector<cv::Point2d>> rings;
    for (const auto* ring : *poly) {
      std::vector<cv::Point2d> pts;
      for (const auto& p : *ring) {
        double x = p.getX(), y = p.getY();
        if (t && !t->Transform(1, &x, &y)) throw Error("footprint: cannot reproject to WGS84");
        pts.emplace_back(x, y);
      }
      rings.push_back(std::move(pts));
    }
    polys.emplace_back(poly->get_Area(), std::move(rings));
  }
  // Largest first: a stable order for the file, whatever order polygonize traced them in.
  std::stable_sort(polys.begin(), polys.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& p : polys) out.push_back(std::move(p.second));
  return out;
}

const char* cueName(imaging::WaterCue cue) {
  switch (cue) {
    case imaging::WaterCue::NirDarkness:
      return "NIR darkness";
    case imaging::WaterCue::Backscatter:
      return "low backscatter";
    case imaging::WaterCue::ColourModel:
      return "RGB colour model";
    case imaging::WaterCue::KnownMask:
      return "known mask";
  }
  return "?";
}

// The scene water mask the tiles look up: none, or the detector's on an overview of the scene.
struct SceneWater {
  cv::Mat mask;               // overview pixels; empty when the request has a water mask, or none
  cv::Mat valid;              // the overview's valid (imaged, cloud-free) pixels, with `mask`
  double fx = 1.0, fy = 1.0;  // grid pixels per overview pixel
  std::string source;         // DetectionRunResult::waterSource
};

// Step 1 of runDetection: the request's water mask, else the detector's scene water on an
// overview when it needs one, else none.
SceneWater sceneWater(const imaging::ObjectDetector& detector, GDALDataset& ds,
                      const RasterSource& scene, const std::vector<int>& bands,
                      const DetectionRunRequest& req) {
  SceneWater w;
  if (req.water) {
    w.source = req.waterName;
  } else if (detector.needsSceneWater()) {
    const Overview ov = readOverview(ds, scene, bands, req.cloud, req.waterOverviewPx);
    imaging::DetectionTile t;
    t.image = ov.data;
    t.roles = req.roles;
    t.valid = ov.valid;
    t.pixelSizeM = req.pixelSizeM * std::sqrt(ov.factorX * ov.factorY);
    w.mask = detector.sceneWater(t);
    w.valid = ov.valid;
    w.fx = ov.factorX;
    w.fy = ov.factorY;
    w.source = std::string("scene-overview (") + cueName(imaging::waterCue(t)) + ")";
  } else {
    w.source = "none";
  }
  return w;
}

// What one tile contributes: the objects it owns (grid pixels) and its core's pixel counts.
struct TileResult {
  std::vector<imaging::Detection> detections;
  double validPixels = 0, waterPixels = 0, decidedPixels = 0, clutterPixels = 0;
};

// Step 2 of runDetection for one tile: reads it, runs the detector on its core and keeps the
// objects whose centroid lies in the core.
TileResult detectInTile(const imaging::ObjectDetector& detector, const DetectionRunRequest& req,
                        const RasterSource& scene, const SceneWater& water, HandleCache& handles,
                        const Tile& tile) {
  RasterWindow win = readWindow(handles.get(scene.path), scene, tile.padded);
  if (req.cloud) {
    const cv::Mat clear = readMaskWindow(handles.get(req.cloud->path), *req.cloud, tile.padded);
    cv::bitwise_and(win.valid, clear, win.valid);
  }
  imaging::DetectionTile dt;
  dt.image = win.data;
  dt.roles = req.roles;
  dt.valid = win.valid;
  dt.pixelSizeM = req.pixelSizeM;
  if (req.water) {
    dt.water = readMaskWindow(handles.get(req.water->path), *req.water, tile.padded);
  } else if (!water.mask.empty()) {
    dt.water = upsampleWindow(water.mask, water.fx, water.fy, tile.padded);
  }
  TileResult r;
  const cv::Rect core = tile.coreInPadded();
  r.validPixels = cv::countNonZero(win.valid(core));
  if (!dt.water.empty()) r.waterPixels = cv::countNonZero(dt.water(core) & win.valid(core));
  imaging::DetectionReport rep = detector.detectInCore(dt, core);
  r.decidedPixels = rep.decidedPx;
  r.clutterPixels = rep.clutterPx;
  for (auto d : rep.detections) {
    // Centroid ownership: the tile whose core holds the centroid reports the object.
    const cv::Point c(static_cast<int>(std::floor(d.centroidPx.x)),
                      static_cast<int>(std::floor(d.centroidPx.y)));
    if (!core.contains(c)) continue;
    const cv::Point2d origin(tile.padded.x, tile.padded.y);
    d.centroidPx += origin;
    for (auto& c : d.outlinePx) c += origin;
    // Snap to 1/1024 px: the float sums behind a centroid differ in the last bits with the
    // tile origin, and the output must not depend on the tiling.
    d.centroidPx.x = std::round(d.centroidPx.x * 1024.0) / 1024.0;
    d.centroidPx.y = std::round(d.centroidPx.y * 1024.0) / 1024.0;
    r.detections.push_back(d);
  }
  return r;
}

// Step 3 of runDetection: the tiles' detections and counts in tile order, then the detections
// sorted by position, and the scene-quality flags.
void mergeTiles(const std::vector<TileResult>& perTile, const DetectionRunRequest& req,
                DetectionRunResult& res) {
  double decided = 0, clutter = 0;
  for (const auto& r : perTile) {
    res.validPixels += r.validPixels;
    res.waterAreaM2 += r.waterPixels * req.pixelSizeM * req.pixelSizeM;
    decided += r.decidedPixels;
    clutter += r.clutterPixels;
    for (const auto& d : r.detections) res.detections.push_back({d, {}, 0.0, 0.0, false});
  }
  std::stable_sort(res.detections.begin(), res.detections.end(), [](const auto& a, const auto& b) {
    const auto &pa = a.detection.centroidPx, &pb = b.detection.centroidPx;
    return pa.y != pb.y ? pa.y < pb.y : pa.x < pb.x;
  });
  res.validAreaM2 = res.validPixels * req.pixelSizeM * req.pixelSizeM;
  res.clutterShare = decided > 0 ? clutter / decided : 0.0;
  res.degraded = res.clutterShare > req.maxClutterShare;
  const double gridPixels = static_cast<double>(res.grid.width) * res.grid.height;
  res.partial = res.validPixels < gridPixels;
}

// Step 4 of runDetection: grid CRS coordinates of every detection, and WGS84 ones on a
// georeferenced grid.
void geotag(DetectionRunResult& res) {
  const auto t = toWgs84(res.grid);
  for (auto& g : res.detections) {
    g.map = res.grid.pixelToMap(g.detection.centroidPx.x, g.detection.centroidPx.y);
    if (t) {
      double x = g.map.x, y = g.map.y;
      if (!t->Transform(1, &x, &y)) throw Error("detection position cannot be converted to WGS84");
      g.lon = x;
      g.lat = y;
      g.geotagged = true;
    }
  }
}

}  // namespace

DetectionRunResult runDetection(const imaging::ObjectDetector& detector,
                                const DetectionRunRequest& req) {
  const auto start = std::chrono::steady_clock::now();
  if (!(req.pixelSizeM > 0.0)) throw UsageError("detection: pixel size must be > 0 m");
  DetectionRunResult res;
  GdalDataset ds = openRaster(req.scene.path);
  res.grid = GridSpec::fromDataset(*ds);
  const std::vector<int> bands = selectedBands(*ds, req.scene);
  if (bands.size() != req.roles.size()) {
    throw UsageError("detection: " + std::to_string(req.roles.size()) + " band roles for " +
                     std::to_string(bands.size()) + " selected bands of " + req.scene.path);
  }
  RasterSource scene = req.scene;
  scene.bands = bands;

  // Step 1: scene water mask on an overview, and the footprint outline on a smaller one.
  const SceneWater water = sceneWater(detector, *ds, scene, bands, req);
  res.waterSource = water.source;
  res.sceneWater = water.mask;
  res.sceneValid = water.valid;
  {
    const Overview fp = readOverview(*ds, scene, bands, req.cloud, req.footprintOverviewPx);
    res.footprint = traceFootprint(fp.valid, fp.factorX, fp.factorY, res.grid);
  }
  ds.reset();

  // Step 2: tiles.
  res.haloPx = detector.haloPx(req.pixelSizeM);
  const auto tiles = splitGrid(res.grid.width, res.grid.height, req.tileSizePx, res.haloPx);
  res.tiles = static_cast<int>(tiles.size());
  HandleCache handles;
  const auto perTile = mapTiles<TileResult>(tiles, req.threads, [&](const Tile& tile) {
    return detectInTile(detector, req, scene, water, handles, tile);
  });

  // Step 3: merge in tile order, sort by position.
  mergeTiles(perTile, req, res);

  // Step 4: geotags.
  geotag(res);
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  log::info("detection: " + std::to_string(res.detections.size()) + " " + detector.name() + " in " +
            std::to_string(res.tiles) + " tiles (halo " + std::to_string(res.haloPx) +
            " px), water: " + res.waterSource +
            (res.degraded ? ", DEGRADED: clutter share " + std::to_string(res.clutterShare) : ""));
  return res;
}

}  // namespace cw::tiles
