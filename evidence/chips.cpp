#include "evidence/chips.hpp"

#include <cpl_conv.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <opencv2/imgproc.hpp>

#include "evidence/atomic_file.hpp"
#include "evidence/evidence_ids.hpp"
#include "imaging/error.hpp"
#include "tiles/gdal_dataset.hpp"

namespace cw::evidence {
namespace {

namespace fs = std::filesystem;

struct Item {
  std::string id;
  cv::Rect2d boxPx;                      // item extent on the grid
  std::vector<std::vector<cv::Point2d>> outlinePx;  // rings on the grid
};

// WGS84 lon/lat -> grid pixel coordinates.
class LonLatToPixel {
 public:
  explicit LonLatToPixel(const GridInfo& g) : m_gt(g.geotransform) {
    OGRSpatialReference wgs84, grid;
    wgs84.SetWellKnownGeogCS("WGS84");
    wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    if (grid.importFromWkt(g.wkt.c_str()) != OGRERR_NONE && g.epsg > 0) grid.importFromEPSG(g.epsg);
    grid.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    m_ct.reset(OGRCreateCoordinateTransformation(&wgs84, &grid));
    if (!m_ct) throw Error("chips: cannot transform WGS84 to the grid CRS");
    if (!GDALInvGeoTransform(m_gt.data(), m_inv.data()))
      throw Error("chips: grid geotransform is not invertible");
  }
  cv::Point2d operator()(const LonLat& p) const {
    double x = p[0], y = p[1];
    m_ct->Transform(1, &x, &y);
    return {m_inv[0] + m_inv[1] * x + m_inv[2] * y, m_inv[3] + m_inv[4] * x + m_inv[5] * y};
  }

 private:
  std::array<double, 6> m_gt;
  std::array<double, 6> m_inv{};
  std::unique_ptr<OGRCoordinateTransformation> m_ct;
};

std::vector<Item> selectItems(const JobEvidence& ev, const ChipSources& src) {
  std::vector<Item> items;
  LonLatToPixel toPx(ev.info.grid);
  for (const auto& c : ev.changes) {
    if (static_cast<int>(items.size()) >= src.maxItems) break;
    Item it{c.id, cv::Rect2d(c.bboxPx.x, c.bboxPx.y, c.bboxPx.width, c.bboxPx.height), {}};
    for (const auto& ring : c.rings) {
      std::vector<cv::Point2d> px;
      for (const auto& p : ring) px.push_back(toPx(p));
      it.outlinePx.push_back(std::move(px));
    }
    items.push_back(std::move(it));
  }
  // Detections by score so the strongest get chips when the cap bites.
  std::vector<const DetectionRecord*> dets;
  for (const auto& d : ev.detections) dets.push_back(&d);
  std::stable_sort(dets.begin(), dets.end(),
                   [](auto* a, auto* b) { return a->score > b->score; });
  const double px = ev.info.grid.pixelSizeM > 0 ? ev.info.grid.pixelSizeM : 1.0;
  for (const auto* d : dets) {
    if (static_cast<int>(items.size()) >= src.maxItems) break;
    const double halfL = std::max(d->lengthM / px / 2.0, 1.0);
    const double halfW = std::max(d->widthM / px / 2.0, 1.0);
    const double h = d->headingDeg * CV_PI / 180.0;
    const cv::Point2d ax(std::sin(h), -std::cos(h));  // along the heading, y down
    const cv::Point2d pe(std::cos(h), std::sin(h));   // across
    const cv::Point2d c(d->xPx, d->yPx);
    std::vector<cv::Point2d> box = {c + ax * halfL + pe * halfW, c + ax * halfL - pe * halfW,
                                    c - ax * halfL - pe * halfW, c - ax * halfL + pe * halfW};
    const double r = std::max(halfL, halfW);
    items.push_back({d->id, cv::Rect2d(d->xPx - r, d->yPx - r, 2 * r, 2 * r), {box}});
  }
  return items;
}

cv::Rect chipWindow(const cv::Rect2d& box, const ChipSources& src, int gridW, int gridH) {
  const double cx = box.x + box.width / 2.0, cy = box.y + box.height / 2.0;
  double side = std::max<double>(src.contextPx, 1.5 * std::max(box.width, box.height) + 16.0);
  side = std::min<double>(side, src.maxChipSidePx);
  int s = std::min({static_cast<int>(std::lround(side)), gridW, gridH});
  int x = static_cast<int>(std::lround(cx - s / 2.0));
  int y = static_cast<int>(std::lround(cy - s / 2.0));
  x = std::clamp(x, 0, gridW - s);
  y = std::clamp(y, 0, gridH - s);
  return {x, y, s, s};
}

std::vector<int> bandsFor(const std::vector<int>& requested, GDALDataset& ds) {
  if (!requested.empty()) {
    for (int b : requested)
      if (b < 1 || b > ds.GetRasterCount())
        throw Error(std::string(ds.GetDescription()) + ": chip band " + std::to_string(b) +
                    " does not exist (raster has " + std::to_string(ds.GetRasterCount()) + ")");
    return requested;
  }
  return ds.GetRasterCount() >= 3 ? std::vector<int>{3, 2, 1} : std::vector<int>{1};
}

// One band window as float, with NaN where the band is nodata.
cv::Mat readWindow(GDALDataset& ds, int band, const cv::Rect& w) {
  cv::Mat m(w.height, w.width, CV_32F);
  GDALRasterBand* b = ds.GetRasterBand(band);
  if (b->RasterIO(GF_Read, w.x, w.y, w.width, w.height, m.data, w.width, w.height, GDT_Float32, 0,
                  0) != CE_None)
    throw Error(std::string(ds.GetDescription()) + ": " + tiles::lastGdalError("read failed"));
  int has = 0;
  const double nd = b->GetNoDataValue(&has);
  if (has && !std::isnan(nd)) {
    const float ndf = static_cast<float>(nd);
    m.forEach<float>([&](float& v, const int*) {
      if (v == ndf) v = NAN;
    });
  }
  return m;
}

double percentile(std::vector<float>& v, double pct) {
  const size_t k = static_cast<size_t>(std::clamp(pct / 100.0, 0.0, 1.0) * (v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

cv::Mat stretch(const cv::Mat& m, double lo, double hi) {
  cv::Mat out(m.size(), CV_8U);
  const double scale = hi > lo ? 255.0 / (hi - lo) : 0.0;
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x) {
      const float v = m.at<float>(y, x);
      out.at<uchar>(y, x) =
          std::isnan(v) ? 0 : cv::saturate_cast<uchar>(std::lround((v - lo) * scale));
    }
  return out;
}

void writePng(const fs::path& path, const std::vector<cv::Mat>& channels) {
  produceFileAtomic(path, [&](const fs::path& tmp) {
    GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
    GDALDriver* png = GetGDALDriverManager()->GetDriverByName("PNG");
    if (!mem || !png) throw Error("chips: GDAL MEM or PNG driver missing");
    const int w = channels[0].cols, h = channels[0].rows;
    tiles::GdalDataset ds(
        mem->Create("", w, h, static_cast<int>(channels.size()), GDT_Byte, nullptr));
    for (size_t i = 0; i < channels.size(); ++i) {
      cv::Mat c = channels[i].isContinuous() ? channels[i] : channels[i].clone();
      if (ds->GetRasterBand(static_cast<int>(i) + 1)
              ->RasterIO(GF_Write, 0, 0, w, h, c.data, w, h, GDT_Byte, 0, 0) != CE_None)
        throw Error(tiles::lastGdalError("chips: MEM write failed"));
    }
    // No .aux.xml side files: a chip is exactly one file, so the manifest stays exact.
    CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", "NO");
    tiles::GdalDataset out(png->CreateCopy(tmp.c_str(), ds.get(), FALSE, nullptr, nullptr, nullptr));
    CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", nullptr);
    if (!out) throw Error(path.string() + ": " + tiles::lastGdalError("PNG write failed"));
  });
}

}  // namespace

ChipIndex writeChips(const fs::path& jobDir, const JobEvidence& ev, const ChipSources& src) {
  ChipIndex index;
  const std::vector<Item> items = selectItems(ev, src);
  if (items.empty()) return index;
  tiles::GdalDataset before = tiles::openRaster(src.beforePath);
  tiles::GdalDataset after = tiles::openRaster(src.afterPath);
  tiles::GdalDataset mask = tiles::openRaster(src.maskPath);
  const std::vector<int> bb = bandsFor(src.beforeBands, *before);
  const std::vector<int> ab = bandsFor(src.afterBands, *after);
  if (bb.size() != ab.size())
    throw Error("chips: before and after render different band counts (" +
                std::to_string(bb.size()) + " vs " + std::to_string(ab.size()) + ")");
  const int gw = std::min({before->GetRasterXSize(), after->GetRasterXSize(),
                           mask->GetRasterXSize()});
  const int gh = std::min({before->GetRasterYSize(), after->GetRasterYSize(),
                           mask->GetRasterYSize()});
  fs::create_directories(jobDir / "chips");

  for (const Item& it : items) {
    const cv::Rect win = chipWindow(it.boxPx, src, gw, gh);
    if (win.width <= 0 || win.height <= 0) continue;
    std::vector<cv::Mat> bOut, aOut;
    for (size_t c = 0; c < bb.size(); ++c) {
      cv::Mat b = readWindow(*before, bb[c], win);
      cv::Mat a = readWindow(*after, ab[c], win);
      std::vector<float> pool;
      pool.reserve(b.total() * 2);
      for (const cv::Mat* m : {&b, &a})
        for (auto v = m->begin<float>(); v != m->end<float>(); ++v)
          if (!std::isnan(*v)) pool.push_back(*v);
      double lo = 0, hi = 1;
      if (!pool.empty()) {
        lo = percentile(pool, src.lowPercentile);
        hi = percentile(pool, src.highPercentile);
      }
      bOut.push_back(stretch(b, lo, hi));
      aOut.push_back(stretch(a, lo, hi));
    }
    cv::Mat m(win.height, win.width, CV_8U);
    if (mask->GetRasterBand(1)->RasterIO(GF_Read, win.x, win.y, win.width, win.height, m.data,
                                         win.width, win.height, GDT_Byte, 0, 0) != CE_None)
      throw Error(src.maskPath + ": " + tiles::lastGdalError("read failed"));
    cv::Mat rgb(m.size(), CV_8UC3);
    for (int y = 0; y < m.rows; ++y)
      for (int x = 0; x < m.cols; ++x) {
        const uchar v = m.at<uchar>(y, x);
        rgb.at<cv::Vec3b>(y, x) = v == 1 ? cv::Vec3b(255, 255, 255)
                                  : v == 0 ? cv::Vec3b(60, 60, 60)
                                           : cv::Vec3b(20, 20, 90);
      }
    std::vector<std::vector<cv::Point>> rings;
    for (const auto& ring : it.outlinePx) {
      std::vector<cv::Point> r;
      for (const auto& p : ring)
        r.emplace_back(static_cast<int>(std::lround(p.x - win.x)),
                       static_cast<int>(std::lround(p.y - win.y)));
      rings.push_back(std::move(r));
    }
    cv::polylines(rgb, rings, true, cv::Scalar(255, 0, 0), 1, cv::LINE_8);
    std::vector<cv::Mat> mOut;
    cv::split(rgb, mOut);

    ChipPaths paths{chipPath(it.id, "before"), chipPath(it.id, "after"), chipPath(it.id, "mask")};
    writePng(jobDir / paths.before, bOut);
    writePng(jobDir / paths.after, aOut);
    writePng(jobDir / paths.mask, mOut);
    index[it.id] = paths;
  }
  return index;
}

}  // namespace cw::evidence
