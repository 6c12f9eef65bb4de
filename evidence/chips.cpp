#include "evidence/chips.hpp"

#include <cpl_conv.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "evidence/evidence_ids.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/ogr_vector.hpp"

namespace cw::evidence {
namespace {

namespace fs = std::filesystem;

struct Item {
  std::string id;
  cv::Rect2d boxPx;                                 // item extent on the grid
  std::vector<std::vector<cv::Point2d>> outlinePx;  // rings on the grid
};

// WGS84 lon/lat -> grid pixel coordinates.
class LonLatToPixel {
 public:
  explicit LonLatToPixel(const GridInfo& g) : m_gt(g.geotransform) {
    OGRSpatialReference wgs84 = tiles::wgs84Srs(), grid;
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

// A detection's oriented box (length along the heading) on the grid, and its extent.
std::vector<cv::Point2d> orientedBox(const DetectionRecord& d, double px, cv::Rect2d& extent) {
  const double halfL = std::max(d.lengthM / px / 2.0, 1.0);
  const double halfW = std::max(d.widthM / px / 2.0, 1.0);
  const double h = d.headingDeg * CV_PI / 180.0;
  const cv::Point2d ax(std::sin(h), -std::cos(h));  // along the heading, y down
  const cv::Point2d pe(std::cos(h), std::sin(h));   // across
  const cv::Point2d c(d.xPx, d.yPx);
  const double r = std::max(halfL, halfW);
  extent = cv::Rect2d(d.xPx - r, d.yPx - r, 2 * r, 2 * r);
  return {c + ax * halfL + pe * halfW, c + ax * halfL - pe * halfW, c - ax * halfL - pe * halfW,
          c - ax * halfL + pe * halfW};
}

// The chip item of an STS record: both hulls' boxes (imagery), or a square of the encounter's
// median distance around its mean position (an AIS encounter a scene of the job imaged).
// std::nullopt: no chip (an encounter no scene of the job covers, or a hull not found).
std::optional<Item> stsItem(const StsRecord& s, const JobEvidence& ev, const LonLatToPixel& toPx,
                            double px) {
  if (s.source == "imagery") {
    Item it{s.id, {}, {}};
    for (const std::string* hull : {&s.firstId, &s.secondId}) {
      const auto d = std::find_if(ev.detections.begin(), ev.detections.end(),
                                  [&](const DetectionRecord& r) { return r.id == *hull; });
      if (d == ev.detections.end()) return std::nullopt;
      cv::Rect2d extent;
      it.outlinePx.push_back(orientedBox(*d, px, extent));
      it.boxPx = it.outlinePx.size() == 1 ? extent : (it.boxPx | extent);
    }
    return it;
  }
  if (s.sceneId.empty()) return std::nullopt;
  const cv::Point2d c = toPx({s.lon, s.lat});
  const double r = std::max(s.distanceM, 50.0) / px;
  const std::vector<cv::Point2d> square = {c + cv::Point2d(-r, -r), c + cv::Point2d(r, -r),
                                           c + cv::Point2d(r, r), c + cv::Point2d(-r, r)};
  return Item{s.id, cv::Rect2d(c.x - r, c.y - r, 2 * r, 2 * r), {square}};
}

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
  const double px = ev.info.grid.pixelSizeM > 0 ? ev.info.grid.pixelSizeM : 1.0;
  // Ship-to-ship candidates before the detections: few, and each one a lead of its own.
  for (const auto& s : ev.sts) {
    if (static_cast<int>(items.size()) >= src.maxItems) break;
    if (auto it = stsItem(s, ev, toPx, px)) items.push_back(std::move(*it));
  }
  // Detections by score so the strongest get chips when the cap bites.
  std::vector<const DetectionRecord*> dets;
  for (const auto& d : ev.detections) dets.push_back(&d);
  std::stable_sort(dets.begin(), dets.end(), [](auto* a, auto* b) { return a->score > b->score; });
  for (const auto* d : dets) {
    if (static_cast<int>(items.size()) >= src.maxItems) break;
    cv::Rect2d extent;
    auto box = orientedBox(*d, px, extent);
    items.push_back({d->id, extent, {std::move(box)}});
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
  // The warped scenes flag where they imaged in a per-dataset mask, not with nodata.
  if (!(b->GetMaskFlags() & GMF_ALL_VALID) && !(b->GetMaskFlags() & GMF_NODATA)) {
    cv::Mat valid(w.height, w.width, CV_8U);
    if (b->GetMaskBand()->RasterIO(GF_Read, w.x, w.y, w.width, w.height, valid.data, w.width,
                                   w.height, GDT_Byte, 0, 0) != CE_None)
      throw Error(std::string(ds.GetDescription()) + ": " +
                  tiles::lastGdalError("mask read failed"));
    m.setTo(NAN, valid == 0);
  }
  return m;
}

// A round scale-bar length (1, 2 or 5 × 10^k metres) of at most `maxM`.
double niceLengthM(double maxM) {
  const double p = std::pow(10.0, std::floor(std::log10(std::max(maxM, 1e-3))));
  for (double f : {5.0, 2.0, 1.0}) {
    if (f * p <= maxM) return f * p;
  }
  return p;
}

std::string lengthText(double m) {
  char b[32];
  if (m >= 1000) {
    std::snprintf(b, sizeof b, "%g km", m / 1000);
  } else {
    std::snprintf(b, sizeof b, "%g m", m);
  }
  return b;
}

constexpr int kCaptionLinePx = 14;
constexpr double kFontScale = 0.8;  // cv::FONT_HERSHEY_PLAIN: about 7 px a character

// Text cut to the pixels available (the scene id may be long).
std::string fitText(const std::string& text, int widthPx) {
  std::string t = text;
  int base = 0;
  while (t.size() > 4 &&
         cv::getTextSize(t, cv::FONT_HERSHEY_PLAIN, kFontScale, 1, &base).width > widthPx) {
    t = t.substr(0, t.size() - 4) + "...";
  }
  return t;
}

// The chip enlarged by `factor` with a caption strip below it: `lines` (date and time, then the
// scene id; or the mask legend), then a scale bar and a north arrow. `image` is RGB.
cv::Mat captioned(const cv::Mat& image, int factor, const std::vector<std::string>& lines,
                  double metresPerPx) {
  cv::Mat big;
  cv::resize(image, big, cv::Size(), factor, factor, cv::INTER_NEAREST);
  const int strip = kCaptionLinePx * (static_cast<int>(lines.size()) + 1) + 4;
  cv::Mat out(big.rows + strip, big.cols, CV_8UC3, cv::Scalar(24, 24, 24));
  big.copyTo(out(cv::Rect(0, 0, big.cols, big.rows)));
  const cv::Scalar ink(235, 235, 235);
  int y = big.rows;
  for (const auto& line : lines) {
    y += kCaptionLinePx;
    cv::putText(out, fitText(line, out.cols - 6), {3, y - 3}, cv::FONT_HERSHEY_PLAIN, kFontScale,
                ink, 1, cv::LINE_AA);
  }
  const int y2 = y + kCaptionLinePx;
  if (metresPerPx > 0) {
    const double shownPx = metresPerPx / factor;  // metres per displayed pixel
    const double lenM = niceLengthM(out.cols / 3.0 * shownPx);
    const int lenPx = static_cast<int>(std::lround(lenM / shownPx));
    cv::line(out, {4, y2 - 3}, {4 + lenPx, y2 - 3}, ink, 2);
    cv::line(out, {4, y2 - 7}, {4, y2}, ink, 1);
    cv::line(out, {4 + lenPx, y2 - 7}, {4 + lenPx, y2}, ink, 1);
    cv::putText(out, lengthText(lenM), {8 + lenPx, y2}, cv::FONT_HERSHEY_PLAIN, kFontScale, ink, 1,
                cv::LINE_AA);
  }
  // North arrow at the right end: the AOI grid is north-up.
  const int ax = out.cols - 22;
  cv::arrowedLine(out, {ax, y2}, {ax, y2 - 11}, ink, 1, cv::LINE_AA, 0, 0.4);
  cv::putText(out, "N", {ax + 4, y2}, cv::FONT_HERSHEY_PLAIN, kFontScale, ink, 1, cv::LINE_AA);
  return out;
}

std::vector<std::string> sceneCaption(const std::string& which, const SceneRef& s) {
  std::string t = s.timeIso;
  if (t.size() >= 16) t = t.substr(0, 10) + " " + t.substr(11, 5) + " UTC";
  return {which + "  " + t, s.id};
}

std::vector<cv::Mat> channelsOf(const cv::Mat& rgb) {
  std::vector<cv::Mat> c;
  cv::split(rgb, c);
  return c;
}

double percentile(std::vector<float>& v, double pct);

// Pools the valid pixels of every channel of both dates and returns the (lo, hi) stretch.
std::pair<double, double> sharedStretch(const std::vector<cv::Mat>& b,
                                        const std::vector<cv::Mat>& a, const ChipSources& src) {
  std::vector<float> pool;
  for (const auto* set : {&b, &a})
    for (const cv::Mat& m : *set)
      for (auto v = m.begin<float>(); v != m.end<float>(); ++v)
        if (!std::isnan(*v)) pool.push_back(*v);
  if (pool.empty()) return {0.0, 1.0};
  const double lo = percentile(pool, src.lowPercentile);
  const double hi = percentile(pool, src.highPercentile);
  return {lo, hi};
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
    tiles::GdalDataset out(
        png->CreateCopy(tmp.c_str(), ds.get(), FALSE, nullptr, nullptr, nullptr));
    CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", nullptr);
    if (!out) throw Error(path.string() + ": " + tiles::lastGdalError("PNG write failed"));
  });
}

}  // namespace

NoChangeNormalization fitNoChangeNormalization(const std::string& beforePath,
                                               const std::string& afterPath,
                                               const std::string& maskPath,
                                               const std::vector<int>& bands) {
  constexpr int kMaxSide = 1024;
  constexpr size_t kMinPixels = 100;
  tiles::GdalDataset before = tiles::openRaster(beforePath);
  tiles::GdalDataset after = tiles::openRaster(afterPath);
  tiles::GdalDataset mask = tiles::openRaster(maskPath);
  const int w = mask->GetRasterXSize(), h = mask->GetRasterYSize();
  const double f = std::max(1.0, std::max(w, h) / static_cast<double>(kMaxSide));
  const int sw = std::max(1, static_cast<int>(w / f)), sh = std::max(1, static_cast<int>(h / f));
  // A decimated read (nearest) of the whole grid: a lattice sample, no resampling of values.
  auto read = [&](GDALRasterBand* b, GDALDataType type, void* buf) {
    GDALRasterIOExtraArg extra;
    INIT_RASTERIO_EXTRA_ARG(extra);
    extra.eResampleAlg = GRIORA_NearestNeighbour;
    if (b->RasterIO(GF_Read, 0, 0, w, h, buf, sw, sh, type, 0, 0, &extra) != CE_None)
      throw Error(tiles::lastGdalError("chips: normalization sample read failed"));
  };
  cv::Mat unchanged(sh, sw, CV_8U), bValid(sh, sw, CV_8U), aValid(sh, sw, CV_8U);
  read(mask->GetRasterBand(1), GDT_Byte, unchanged.data);
  read(before->GetRasterBand(1)->GetMaskBand(), GDT_Byte, bValid.data);
  read(after->GetRasterBand(1)->GetMaskBand(), GDT_Byte, aValid.data);
  const cv::Mat use = (unchanged == 0) & (bValid != 0) & (aValid != 0);
  NoChangeNormalization n;
  for (int band : bands) {
    cv::Mat xb(sh, sw, CV_32F), xa(sh, sw, CV_32F);
    read(before->GetRasterBand(band), GDT_Float32, xb.data);
    read(after->GetRasterBand(band), GDT_Float32, xa.data);
    std::vector<cv::Point2f> pts;
    for (int y = 0; y < sh; ++y)
      for (int x = 0; x < sw; ++x)
        if (use.at<uchar>(y, x)) pts.emplace_back(xb.at<float>(y, x), xa.at<float>(y, x));
    double gain = 1.0, offset = 0.0;
    if (pts.size() >= kMinPixels) {
      // (vx, vy, x0, y0): orthogonal regression, as both dates carry noise; Huber weights, as
      // "unchanged" includes what the mask missed (a ship that arrived, a cloud edge).
      cv::Vec4f line;
      cv::fitLine(pts, line, cv::DIST_HUBER, 0, 0.01, 0.01);
      if (std::abs(line[0]) > 1e-6) {
        gain = line[1] / line[0];
        offset = line[3] - gain * line[2];
      }
      if (!(gain > 0.05 && gain < 20.0)) gain = 1.0, offset = 0.0;  // degenerate: keep the data
    }
    n.gain.push_back(gain);
    n.offset.push_back(offset);
  }
  return n;
}

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
  const int gw =
      std::min({before->GetRasterXSize(), after->GetRasterXSize(), mask->GetRasterXSize()});
  const int gh =
      std::min({before->GetRasterYSize(), after->GetRasterYSize(), mask->GetRasterYSize()});
  fs::create_directories(jobDir / "chips");

  const double metresPerPx = ev.info.grid.pixelSizeM;
  ChipSources norm = src;
  if (norm.afterGain.empty()) {
    const auto n = fitNoChangeNormalization(src.beforePath, src.afterPath, src.maskPath, bb);
    norm.afterGain = n.gain;
    norm.afterOffset = n.offset;
  }
  for (const Item& it : items) {
    const cv::Rect win = chipWindow(it.boxPx, src, gw, gh);
    if (win.width <= 0 || win.height <= 0) continue;
    std::vector<cv::Mat> bIn, aIn;
    for (size_t c = 0; c < bb.size(); ++c) {
      bIn.push_back(readWindow(*before, bb[c], win));
      cv::Mat a = readWindow(*after, ab[c], win);
      if (c < norm.afterGain.size() && c < norm.afterOffset.size() && norm.afterGain[c] != 0.0) {
        // NaN stays NaN: (NaN - offset) / gain.
        a = (a - norm.afterOffset[c]) / norm.afterGain[c];
      }
      aIn.push_back(a);
    }
    const auto [lo, hi] = sharedStretch(bIn, aIn, src);
    std::vector<cv::Mat> bOut, aOut;
    for (size_t c = 0; c < bb.size(); ++c) {
      bOut.push_back(stretch(bIn[c], lo, hi));
      aOut.push_back(stretch(aIn[c], lo, hi));
    }
    if (bOut.size() == 1) {  // grey: the caption is drawn in RGB
      bOut = {bOut[0], bOut[0], bOut[0]};
      aOut = {aOut[0], aOut[0], aOut[0]};
    }
    cv::Mat m(win.height, win.width, CV_8U);
    if (mask->GetRasterBand(1)->RasterIO(GF_Read, win.x, win.y, win.width, win.height, m.data,
                                         win.width, win.height, GDT_Byte, 0, 0) != CE_None)
      throw Error(src.maskPath + ": " + tiles::lastGdalError("read failed"));
    cv::Mat rgb(m.size(), CV_8UC3);
    for (int y = 0; y < m.rows; ++y)
      for (int x = 0; x < m.cols; ++x) {
        const uchar v = m.at<uchar>(y, x);
        rgb.at<cv::Vec3b>(y, x) = v == 1   ? cv::Vec3b(255, 255, 255)
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

    const int factor = std::max(1, (src.minDisplayPx + win.width - 1) / win.width);
    cv::Mat bRgb, aRgb;
    cv::merge(bOut, bRgb);
    cv::merge(aOut, aRgb);
    ChipPaths paths{chipPath(it.id, "before"), chipPath(it.id, "after"), chipPath(it.id, "mask")};
    writePng(
        jobDir / paths.before,
        channelsOf(captioned(bRgb, factor, sceneCaption("before", ev.info.before), metresPerPx)));
    writePng(
        jobDir / paths.after,
        channelsOf(captioned(aRgb, factor, sceneCaption("after", ev.info.after), metresPerPx)));
    writePng(
        jobDir / paths.mask,
        channelsOf(captioned(rgb, factor, {"mask: white change, grey none,", "blue no decision"},
                             metresPerPx)));
    index[it.id] = paths;
  }
  return index;
}

}  // namespace cw::evidence
