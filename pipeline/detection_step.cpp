#include "pipeline/detection_step.hpp"

#include <algorithm>
#include <cmath>

#include "imaging/error.hpp"
#include "imaging/registry.hpp"
#include "tiles/aoi_grid.hpp"
#include "tiles/raster_window.hpp"
#include "tiles/tile_executor.hpp"

namespace cw::pipeline {
namespace {

imaging::BandRole roleOf(const std::string& r) {
  if (r == "blue") return imaging::BandRole::Blue;
  if (r == "green") return imaging::BandRole::Green;
  if (r == "red") return imaging::BandRole::Red;
  if (r == "nir") return imaging::BandRole::Nir;
  if (r == "vv") return imaging::BandRole::Vv;
  if (r == "vh") return imaging::BandRole::Vh;
  return imaging::BandRole::Grey;
}

}  // namespace

std::vector<evidence::DetectionRecord> detectObjects(const DetectorConfig& detector,
                                                     const DetectionStepInput& in) {
  const auto det = imaging::Registry::builtins().createDetector(detector.name, detector.params);
  const int halo = det->haloPx(in.pixelSizeM);
  const auto tiles = tiles::splitGrid(in.grid.width, in.grid.height, in.tilePx, halo);
  tiles::HandleCache handles;
  tiles::RasterSource scene{in.sceneVrt, {}, std::nullopt};
  for (int b = 1; b <= static_cast<int>(in.roles.size()); ++b) scene.bands.push_back(b);
  std::vector<imaging::BandRole> roles;
  for (const auto& r : in.roles) roles.push_back(roleOf(r));

  using TileDetections = std::vector<imaging::Detection>;
  const auto perTile = tiles::mapTiles<TileDetections>(tiles, in.threads, [&](const tiles::Tile& t) {
    auto win = tiles::readWindow(handles.get(scene.path), scene, t.padded);
    cv::Mat valid = win.valid;
    const auto aoi = tiles::readMaskWindow(handles.get(in.aoiMask), {in.aoiMask, 1, true}, t.padded);
    cv::bitwise_and(valid, aoi, valid);
    if (!in.cloudVrt.empty()) {
      const auto cl =
          tiles::readMaskWindow(handles.get(in.cloudVrt), {in.cloudVrt, 1, false}, t.padded);
      cv::bitwise_and(valid, cl, valid);
    }
    imaging::DetectionTile dt;
    dt.image = win.data;
    dt.roles = roles;
    dt.valid = valid;
    dt.pixelSizeM = in.pixelSizeM;
    if (!in.waterMask.empty()) {
      dt.water = tiles::readMaskWindow(handles.get(in.waterMask), {in.waterMask, 1, true}, t.padded);
    }
    TileDetections kept;
    // Centroid ownership: a detection belongs to the tile whose core holds its centroid, so an
    // object straddling tiles is counted once.
    const cv::Rect core = t.coreInPadded();
    for (auto& d : det->detect(dt)) {
      const int cx = static_cast<int>(std::floor(d.centroidPx.x));
      const int cy = static_cast<int>(std::floor(d.centroidPx.y));
      if (!core.contains({cx, cy})) continue;
      d.centroidPx += cv::Point2d(t.padded.x, t.padded.y);
      kept.push_back(d);
    }
    return kept;
  });

  std::vector<evidence::DetectionRecord> out;
  for (const auto& tileDets : perTile) {
    for (const auto& d : tileDets) {
      evidence::DetectionRecord r;
      r.kind = detector.name;
      r.xPx = d.centroidPx.x;
      r.yPx = d.centroidPx.y;
      const auto map = in.grid.pixelToMap(d.centroidPx.x, d.centroidPx.y);
      const auto [lon, lat] = tiles::gridToLonLat(in.grid, map.x, map.y);
      r.lon = lon;
      r.lat = lat;
      r.lengthM = d.lengthM;
      r.widthM = d.widthM;
      r.headingDeg = d.headingDeg;
      r.areaM2 = d.areaM2;
      r.score = d.score;
      r.sceneId = in.sceneId;
      out.push_back(r);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.yPx != b.yPx ? a.yPx < b.yPx : a.xPx < b.xPx;
  });
  return out;
}

}  // namespace cw::pipeline
