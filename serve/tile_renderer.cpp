#include "serve/tile_renderer.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <cpl_vsi.h>
#include <gdal_utils.h>
#include <ogr_spatialref.h>
#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "pipeline/job_layers.hpp"
#include "tiles/gdal_dataset.hpp"

namespace cw::serve {
using namespace cw::tiles;

namespace {

constexpr double kMercatorHalfM = 20037508.342789244;

// PNG through GDAL's PNG driver (OpenCV's imgcodecs is not part of the build): a MEM dataset over
// the BGRA pixels, copied to a per-call /vsimem file whose buffer we take.
std::string encodePng(const cv::Mat& bgra) {
  CV_Assert(bgra.type() == CV_8UC4 && bgra.isContinuous());
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  GDALDriver* png = GetGDALDriverManager()->GetDriverByName("PNG");
  if (!mem || !png) throw Error("GDAL has no MEM or PNG driver");
  GdalDataset ds(mem->Create("", bgra.cols, bgra.rows, 0, GDT_Byte, nullptr));
  for (int b = 0; b < 4; ++b) {
    // RGBA band b is BGRA channel {2,1,0,3}[b]; pixel stride 4 bytes, line stride step.
    const int ch = b == 3 ? 3 : 2 - b;
    std::string ptr =
        "DATAPOINTER=" + std::to_string(reinterpret_cast<std::uintptr_t>(bgra.data + ch));
    std::string line = "LINEOFFSET=" + std::to_string(bgra.step[0]);
    const char* opts2[] = {ptr.c_str(), "PIXELOFFSET=4", line.c_str(), nullptr};
    if (ds->AddBand(GDT_Byte, const_cast<char**>(opts2)) != CE_None)
      throw Error("PNG encode: " + lastGdalError());
  }
  ds->GetRasterBand(4)->SetColorInterpretation(GCI_AlphaBand);
  static std::atomic<unsigned long> counter{0};
  const std::string name = "/vsimem/cw_tile_" + std::to_string(counter++) + ".png";
  const char* copyOpts[] = {"ZLEVEL=1", nullptr};  // tiles are cached; CPU matters more than bytes
  GdalDataset out(png->CreateCopy(name.c_str(), ds.get(), FALSE, const_cast<char**>(copyOpts),
                                  nullptr, nullptr));
  if (!out) throw Error("PNG encode: " + lastGdalError());
  out.reset();
  vsi_l_offset size = 0;
  GByte* data = VSIGetMemFileBuffer(name.c_str(), &size, FALSE);
  std::string bytes(reinterpret_cast<const char*>(data), size_t(size));
  VSIUnlink(name.c_str());
  return bytes;
}

// Low/high percentiles of the valid samples of `band`, read at a reduced resolution.
std::pair<double, double> bandPercentiles(GDALDataset& ds, int band, int alphaBand, double loPct,
                                          double hiPct, bool dropMin) {
  const int w = ds.GetRasterXSize(), h = ds.GetRasterYSize();
  const double scale = std::min(1.0, 512.0 / std::max(w, h));
  const int sw = std::max(1, int(w * scale)), sh = std::max(1, int(h * scale));
  std::vector<double> v(size_t(sw) * sh), a;
  GDALRasterBand* b = ds.GetRasterBand(band);
  if (b->RasterIO(GF_Read, 0, 0, w, h, v.data(), sw, sh, GDT_Float64, 0, 0) != CE_None) {
    throw Error(ds.GetDescription() + std::string(": ") + lastGdalError());
  }
  if (alphaBand > 0) {
    a.resize(v.size());
    if (ds.GetRasterBand(alphaBand)->RasterIO(GF_Read, 0, 0, w, h, a.data(), sw, sh, GDT_Float64, 0,
                                              0) != CE_None) {
      throw Error(ds.GetDescription() + std::string(": ") + lastGdalError());
    }
  }
  int hasNoData = 0;
  const double noData = b->GetNoDataValue(&hasNoData);
  std::vector<double> valid;
  valid.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (!a.empty() && a[i] <= 0) continue;
    if (hasNoData && v[i] == noData) continue;
    if (!std::isfinite(v[i])) continue;
    valid.push_back(v[i]);
  }
  if (valid.empty()) return {0.0, 1.0};
  std::sort(valid.begin(), valid.end());
  const double minV = valid.front();
  if (dropMin) {
    auto firstAbove = std::upper_bound(valid.begin(), valid.end(), minV);
    if (firstAbove != valid.end()) valid.erase(valid.begin(), firstAbove);
  }
  auto pct = [&](double p) {
    return valid[std::min(valid.size() - 1, size_t(p * (valid.size() - 1)))];
  };
  double lo = dropMin ? minV : pct(loPct), hi = pct(hiPct);
  if (hi <= lo) hi = lo + 1;
  return {lo, hi};
}

MercatorBounds extentIn3857(GDALDataset& ds) {
  double gt[6];
  if (ds.GetGeoTransform(gt) != CE_None || !ds.GetSpatialRef()) {
    throw Error(ds.GetDescription() + std::string(": no georeference"));
  }
  OGRSpatialReference dst;
  dst.importFromEPSG(3857);
  dst.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRSpatialReference src(*ds.GetSpatialRef());
  src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&src, &dst));
  if (!ct) throw Error(ds.GetDescription() + std::string(": cannot transform to EPSG:3857"));
  // Densified edges: a UTM rectangle is not a rectangle in Web Mercator.
  std::vector<double> xs, ys;
  const int n = 20, w = ds.GetRasterXSize(), h = ds.GetRasterYSize();
  for (int i = 0; i <= n; ++i) {
    const double t = double(i) / n;
    const std::pair<double, double> edge[] = {
        {t * w, 0.0}, {t * w, double(h)}, {0.0, t * h}, {double(w), t * h}};
    for (const auto& [px, py] : edge) {
      xs.push_back(gt[0] + px * gt[1] + py * gt[2]);
      ys.push_back(gt[3] + px * gt[4] + py * gt[5]);
    }
  }
  if (!ct->Transform(int(xs.size()), xs.data(), ys.data())) {
    throw Error(ds.GetDescription() + std::string(": cannot transform to EPSG:3857"));
  }
  return {*std::min_element(xs.begin(), xs.end()), *std::min_element(ys.begin(), ys.end()),
          *std::max_element(xs.begin(), xs.end()), *std::max_element(ys.begin(), ys.end())};
}

}  // namespace

struct TileRenderer::LayerInfo {
  TileLayer layer = TileLayer::Mask;
  std::string path;  // empty: layer has no raster, every tile is transparent
  std::vector<int> rgbBands;
  std::vector<std::pair<double, double>> stretch;  // per rgb band, or one for score
  MercatorBounds extent;
};

std::optional<TileLayer> parseTileLayer(const std::string& name) {
  if (name == "before") return TileLayer::Before;
  if (name == "after") return TileLayer::After;
  if (name == "score") return TileLayer::Score;
  if (name == "mask") return TileLayer::Mask;
  return std::nullopt;
}

const char* toString(TileLayer layer) {
  switch (layer) {
    case TileLayer::Before:
      return "before";
    case TileLayer::After:
      return "after";
    case TileLayer::Score:
      return "score";
    case TileLayer::Mask:
      return "mask";
  }
  return "?";
}

MercatorBounds xyzTileBounds(int z, int x, int y) {
  const double size = 2 * kMercatorHalfM / double(1LL << z);
  MercatorBounds b;
  b.minX = -kMercatorHalfM + x * size;
  b.maxX = b.minX + size;
  b.maxY = kMercatorHalfM - y * size;
  b.minY = b.maxY - size;
  return b;
}

TileRenderer::TileRenderer(std::size_t cacheBytes, std::size_t maxIdleHandles)
    : m_handles(maxIdleHandles), m_capacityBytes(cacheBytes) {}

void TileRenderer::addJob(const std::string& jobId, const fs::path& jobDir) {
  std::lock_guard lock(m_infoMutex);
  m_jobs[jobId] = jobDir;
}

bool TileRenderer::hasJob(const std::string& jobId) const {
  std::lock_guard lock(m_infoMutex);
  return m_jobs.count(jobId) > 0;
}

std::shared_ptr<const std::string> TileRenderer::transparentPng() {
  static const auto png = std::make_shared<const std::string>(
      encodePng(cv::Mat(kTileSizePx, kTileSizePx, CV_8UC4, cv::Scalar(0, 0, 0, 0))));
  return png;
}

std::shared_ptr<const TileRenderer::LayerInfo> TileRenderer::layerInfo(const std::string& jobId,
                                                                       TileLayer layer) {
  // One lock for the whole computation: statistics are computed once per layer, on first use,
  // and they are cheap (one reduced read).
  std::lock_guard lock(m_infoMutex);
  const std::string key = jobId + "|" + toString(layer);
  if (auto it = m_infos.find(key); it != m_infos.end()) return it->second;
  auto job = m_jobs.find(jobId);
  if (job == m_jobs.end()) throw UsageError("unknown job " + jobId);
  const fs::path dir = job->second;
  auto info = std::make_shared<LayerInfo>();
  info->layer = layer;
  if (layer == TileLayer::Before || layer == TileLayer::After) {
    if (const auto layers = pipeline::readJobLayers(dir)) {
      const fs::path own = layer == TileLayer::Before ? layers->before : layers->after;
      if (fs::exists(own) && fs::exists(layers->before)) {
        info->path = own.string();
        info->rgbBands = layers->rgbBands;
        const int alpha = layers->alphaBand;
        GdalDataset ds = openRaster(own.string());
        for (int b : info->rgbBands) {
          if (b < 1 || b > ds->GetRasterCount())
            throw Error(own.string() + ": no band " + std::to_string(b));
          info->stretch.push_back(bandPercentiles(*ds, b, alpha, 0.02, 0.98, false));
        }
        if (alpha != ds->GetRasterCount()) {
          // The warper takes the last band as alpha; band numbers below stay as they are.
          info->rgbBands.clear();
          info->path.clear();
        }
        GdalDataset own_ds = openRaster(info->path.empty() ? layers->before.string() : info->path);
        info->extent = extentIn3857(*own_ds);
      }
    }
  } else {
    const fs::path p = dir / (layer == TileLayer::Score ? "score.tif" : "mask.tif");
    if (fs::exists(p)) {
      info->path = p.string();
      GdalDataset ds = openRaster(info->path);
      info->extent = extentIn3857(*ds);
      if (layer == TileLayer::Score)
        info->stretch.push_back(bandPercentiles(*ds, 1, 0, 0, 0.99, true));
    }
  }
  m_infos[key] = info;
  return info;
}

std::shared_ptr<const std::string> TileRenderer::render(const std::string& jobId, TileLayer layer,
                                                        int z, int x, int y) {
  if (z < 0 || z > kMaxZoom)
    throw UsageError("zoom " + std::to_string(z) + " outside 0.." + std::to_string(kMaxZoom));
  const long long n = 1LL << z;
  if (x < 0 || y < 0 || x >= n || y >= n) throw UsageError("tile x/y outside the zoom level");
  if (!hasJob(jobId)) throw UsageError("unknown job " + jobId);
  const std::string key = jobId + "|" + toString(layer) + "|" + std::to_string(z) + "/" +
                          std::to_string(x) + "/" + std::to_string(y);
  {
    std::lock_guard lock(m_cacheMutex);
    if (auto it = m_index.find(key); it != m_index.end()) {
      m_lru.splice(m_lru.begin(), m_lru, it->second);
      ++m_hits;
      return it->second->second;
    }
    ++m_misses;
  }
  auto png = renderUncached(*layerInfo(jobId, layer), z, x, y);
  std::lock_guard lock(m_cacheMutex);
  if (m_index.count(key)) return png;  // another thread rendered it meanwhile
  const std::size_t cost = png->size() + key.size() + 64;
  if (cost > m_capacityBytes) return png;
  m_lru.emplace_front(key, png);
  m_index[key] = m_lru.begin();
  m_bytes += cost;
  while (m_bytes > m_capacityBytes && !m_lru.empty()) {
    auto& last = m_lru.back();
    m_bytes -= last.second->size() + last.first.size() + 64;
    m_index.erase(last.first);
    m_lru.pop_back();
  }
  return png;
}

TileCacheStats TileRenderer::cacheStats() const {
  std::lock_guard lock(m_cacheMutex);
  return {m_lru.size(), m_bytes, m_capacityBytes, m_hits, m_misses};
}

std::shared_ptr<const std::string> TileRenderer::renderUncached(const LayerInfo& info, int z, int x,
                                                                int y) {
  if (info.path.empty()) return transparentPng();
  const MercatorBounds t = xyzTileBounds(z, x, y);
  const MercatorBounds& e = info.extent;
  if (t.maxX <= e.minX || t.minX >= e.maxX || t.maxY <= e.minY || t.minY >= e.maxY) {
    return transparentPng();
  }
  const DatasetPool::Lease lease = m_handles.lease(info.path);
  GDALDataset* src = lease.get();
  const bool categorical = info.layer == TileLayer::Mask;
  auto num = [](double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", v);
    return std::string(buf);
  };
  const std::string size = std::to_string(kTileSizePx);
  std::vector<std::string> args = {"-of",       "MEM",
                                   "-t_srs",    "EPSG:3857",
                                   "-te",       num(t.minX),
                                   num(t.minY), num(t.maxX),
                                   num(t.maxY), "-ts",
                                   size,        size,
                                   "-r",        categorical ? "near" : "bilinear",
                                   "-dstalpha", "-ovr",
                                   "AUTO",      "-q"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::unique_ptr<GDALWarpAppOptions, decltype(&GDALWarpAppOptionsFree)> opts(
      GDALWarpAppOptionsNew(argv.data(), nullptr), GDALWarpAppOptionsFree);
  GDALDatasetH srcH = GDALDataset::ToHandle(src);
  int usageError = 0;
  GdalDataset out(
      GDALDataset::FromHandle(GDALWarp("", nullptr, 1, &srcH, opts.get(), &usageError)));
  if (!out) throw Error(info.path + ": warp to tile failed: " + lastGdalError());
  const int bands = out->GetRasterCount();
  auto readBand = [&](int b) {
    cv::Mat m(kTileSizePx, kTileSizePx, CV_32F);
    if (out->GetRasterBand(b)->RasterIO(GF_Read, 0, 0, kTileSizePx, kTileSizePx, m.data,
                                        kTileSizePx, kTileSizePx, GDT_Float32, 0, 0) != CE_None) {
      throw Error(info.path + ": " + lastGdalError());
    }
    return m;
  };
  cv::Mat alpha = readBand(bands);  // -dstalpha: last band
  cv::Mat alpha8;
  alpha.convertTo(alpha8, CV_8U);
  cv::Mat bgra(kTileSizePx, kTileSizePx, CV_8UC4, cv::Scalar(0, 0, 0, 0));
  if (info.layer == TileLayer::Before || info.layer == TileLayer::After) {
    std::vector<cv::Mat> ch(4);
    for (int i = 0; i < 3; ++i) {
      const auto [lo, hi] = info.stretch[i];
      readBand(info.rgbBands[i])
          .convertTo(ch[2 - i], CV_8U, 255.0 / (hi - lo), -lo * 255.0 / (hi - lo));
    }
    ch[3] = alpha8;
    cv::merge(ch, bgra);
  } else if (info.layer == TileLayer::Score) {
    const auto [lo, hi] = info.stretch[0];
    cv::Mat v = readBand(1), v8, rgb;
    v.convertTo(v8, CV_8U, 255.0 / (hi - lo), -lo * 255.0 / (hi - lo));
    cv::applyColorMap(v8, rgb, cv::COLORMAP_INFERNO);
    cv::cvtColor(rgb, bgra, cv::COLOR_BGR2BGRA);
    cv::Mat show = (v > lo) & (alpha8 > 0);
    std::vector<cv::Mat> ch;
    cv::split(bgra, ch);
    ch[3] = cv::Mat(kTileSizePx, kTileSizePx, CV_8U, cv::Scalar(0));
    ch[3].setTo(200, show);
    cv::merge(ch, bgra);
  } else {
    cv::Mat v = readBand(1);
    cv::Mat change = (v == 1.0f) & (alpha8 > 0);
    bgra.setTo(cv::Scalar(40, 40, 255, 170), change);
  }
  if (cv::countNonZero(alpha8) == 0) return transparentPng();
  return std::make_shared<const std::string>(encodePng(bgra));
}

}  // namespace cw::serve
