#include "pipeline/shore_suspect.hpp"

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "tiles/gdal_dataset.hpp"
#include "tiles/raster_window.hpp"

namespace cw::pipeline {
namespace {

int roleIndex(const std::vector<std::string>& roles, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    const auto it = std::find(roles.begin(), roles.end(), n);
    if (it != roles.end()) return static_cast<int>(it - roles.begin());
  }
  return -1;
}

// 255 where the window is water.
cv::Mat waterIn(const ShoreSuspectInput& in, GDALDataset* water, GDALDataset& scene,
                const cv::Rect& window) {
  if (water) return tiles::readMaskWindow(*water, {in.waterMask, 1, true}, window);
  const tiles::RasterWindow w =
      tiles::readWindow(scene, {in.beforeValues, {}, std::nullopt}, window);
  std::vector<cv::Mat> bands;
  cv::split(w.data, bands);
  const int g = roleIndex(in.roles, {"green"}), n = roleIndex(in.roles, {"nir"});
  cv::Mat out;
  if (g >= 0 && n >= 0) {
    cv::Mat ndwi = (bands[g] - bands[n]) / (bands[g] + bands[n] + 1e-6f);
    out = ndwi > 0.0f;
  } else {
    const int s = roleIndex(in.roles, {"vv", "vh", "hh", "hv"});
    out = bands[s] < 0.0316f;  // -15 dB
  }
  return out & w.valid;
}

}  // namespace

bool canFindShore(const ShoreSuspectInput& in) {
  return !in.waterMask.empty() ||
         (roleIndex(in.roles, {"green"}) >= 0 && roleIndex(in.roles, {"nir"}) >= 0) ||
         roleIndex(in.roles, {"vv", "vh", "hh", "hv"}) >= 0;
}

std::vector<bool> changeAlongShore(const ShoreSuspectInput& in,
                                   const std::vector<cv::Rect>& boxes) {
  std::vector<bool> out(boxes.size(), false);
  if (boxes.empty() || !canFindShore(in)) return out;
  tiles::GdalDataset scene = tiles::openRaster(in.beforeValues);
  tiles::GdalDataset mask = tiles::openRaster(in.changeMask);
  tiles::GdalDataset water = in.waterMask.empty() ? nullptr : tiles::openRaster(in.waterMask);
  const cv::Rect grid(0, 0, scene->GetRasterXSize(), scene->GetRasterYSize());
  const int reach = std::max(1, static_cast<int>(std::ceil(in.reachPx)));
  const cv::Mat disk = cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * reach + 1, 2 * reach + 1});
  for (size_t i = 0; i < boxes.size(); ++i) {
    const cv::Rect box = boxes[i] & grid;
    if (box.empty()) continue;
    const int pad = reach + 1;
    const cv::Rect win =
        cv::Rect(box.x - pad, box.y - pad, box.width + 2 * pad, box.height + 2 * pad) & grid;
    const cv::Mat wet = waterIn(in, water.get(), *scene, win);
    // Pixels within `reach` of the edge: in the dilated water and not in the eroded water.
    cv::Mat grown, shrunk;
    cv::dilate(wet, grown, disk);
    cv::erode(wet, shrunk, disk, {-1, -1}, 1, cv::BORDER_REPLICATE);
    const cv::Mat edge = grown & ~shrunk;
    // mask.tif band 1: 1 = change, 0 = no change, 255 = no decision.
    const tiles::RasterWindow m = tiles::readWindow(*mask, {in.changeMask, {1}, std::nullopt}, win);
    const cv::Rect core(box.x - win.x, box.y - win.y, box.width, box.height);
    const cv::Mat change = m.data(core) == 1.0f;
    const int total = cv::countNonZero(change);
    out[i] = total > 0 && 2 * cv::countNonZero(change & edge(core)) >= total;
  }
  return out;
}

}  // namespace cw::pipeline
