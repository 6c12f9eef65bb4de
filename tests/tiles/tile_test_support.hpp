#pragma once
// Small helpers for the tiles tests: generated GeoTIFF pairs and tiny change methods that need no
// imaging unit (absolute band-1 difference, and a 5×5 box of it for a neighbourhood case).
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <random>
#include <string>

#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "imaging/change_method.hpp"
#include "tiles/grid_spec.hpp"

namespace cw::test {

namespace fs = std::filesystem;

inline fs::path scratchDir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("cw_tiles_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A UTM 33N grid at 10 m with its upper-left corner at (x0, y0).
inline tiles::GridSpec utmGrid(int w, int h, double x0 = 499800.0, double y0 = 5000200.0) {
  tiles::GridSpec g;
  OGRSpatialReference s;
  s.importFromEPSG(32633);
  char* wkt = nullptr;
  s.exportToWkt(&wkt);
  g.wkt = wkt;
  CPLFree(wkt);
  g.geoTransform = {x0, 10.0, 0.0, y0, 0.0, -10.0};
  g.width = w;
  g.height = h;
  return g;
}

// Writes a CV_32FC(p) or CV_16UC(p) image as a tiled GTiff on `grid`.
inline void writeTif(const fs::path& path, const cv::Mat& img, const tiles::GridSpec& grid,
                     std::optional<double> nodata = std::nullopt, int block = 128) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const GDALDataType type = img.depth() == CV_16U  ? GDT_UInt16
                            : img.depth() == CV_8U ? GDT_Byte
                                                   : GDT_Float32;
  const std::string bs = std::to_string(block);
  std::string bx = "BLOCKXSIZE=" + bs, by = "BLOCKYSIZE=" + bs;
  const char* o2[] = {"TILED=YES", bx.c_str(), by.c_str(), nullptr};
  GDALDataset* ds =
      drv->Create(path.c_str(), img.cols, img.rows, img.channels(), type, const_cast<char**>(o2));
  if (!ds) throw Error("test: cannot create " + path.string());
  grid.applyTo(*ds);
  for (int b = 1; b <= img.channels() && nodata; ++b) ds->GetRasterBand(b)->SetNoDataValue(*nodata);
  const int es = static_cast<int>(img.elemSize1());
  if (ds->RasterIO(GF_Write, 0, 0, img.cols, img.rows, img.data, img.cols, img.rows, type,
                   img.channels(), nullptr, GSpacing(es) * img.channels(),
                   static_cast<GSpacing>(img.step[0]), es, nullptr) != CE_None) {
    GDALClose(ds);
    throw Error("test: cannot write " + path.string());
  }
  GDALClose(ds);
}

inline cv::Mat readBand(const fs::path& path, int band = 1, int type = CV_32F) {
  GDALDataset* ds = GDALDataset::Open(path.c_str(), GDAL_OF_RASTER);
  if (!ds) throw Error("test: cannot open " + path.string());
  cv::Mat m(ds->GetRasterYSize(), ds->GetRasterXSize(), type);
  const GDALDataType t = type == CV_8U ? GDT_Byte : GDT_Float32;
  const CPLErr err = ds->GetRasterBand(band)->RasterIO(GF_Read, 0, 0, m.cols, m.rows, m.data,
                                                       m.cols, m.rows, t, 0, 0, nullptr);
  GDALClose(ds);
  if (err != CE_None) throw Error("test: cannot read " + path.string());
  return m;
}

// Smooth random texture plus a few bright rectangles as "change" in AFTER.
struct Pair {
  cv::Mat before, after;  // CV_32FC(bands)
  cv::Mat truth;          // CV_8U 255 = change
};

inline Pair makePair(int w, int h, int bands, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.f, 3.f);
  Pair p;
  cv::Mat base(h, w, CV_32F);
  cv::randu(base, 0, 100);
  cv::GaussianBlur(base, base, {0, 0}, 3.0);
  base = base * 4.0;
  std::vector<cv::Mat> bb, aa;
  p.truth = cv::Mat::zeros(h, w, CV_8U);
  std::uniform_int_distribution<int> px(0, w - 40), py(0, h - 40), sz(6, 36);
  std::vector<cv::Rect> rects;
  for (int i = 0; i < 12; ++i) rects.emplace_back(px(rng), py(rng), sz(rng), sz(rng));
  for (const auto& r : rects) p.truth(r).setTo(255);
  for (int b = 0; b < bands; ++b) {
    cv::Mat x = base * (1.0 + 0.1 * b) + 50.0, y = x.clone();
    for (int yy = 0; yy < h; ++yy) {
      for (int xx = 0; xx < w; ++xx) {
        x.at<float>(yy, xx) += noise(rng);
        y.at<float>(yy, xx) += noise(rng);
      }
    }
    y.setTo(cv::Scalar(400.0 + 20 * b), p.truth);
    bb.push_back(x);
    aa.push_back(y);
  }
  cv::merge(bb, p.before);
  cv::merge(aa, p.after);
  return p;
}

// |after - before| of band 1; fit: threshold = 3 × mean of the sampled differences (a sum over
// the sample, so it is only identical across tilings when the sample order is).
class AbsDiffMethod : public imaging::ChangeMethod {
 public:
  explicit AbsDiffMethod(int boxRadius = 0, double fixedThreshold = -1)
      : m_box(boxRadius), m_fixed(fixedThreshold) {}
  std::string name() const override { return m_box ? "absdiff-box" : "absdiff"; }
  int haloPx() const override { return m_box; }
  cv::Mat diff(const imaging::ChangeTile& t) const {
    cv::Mat b, a, d;
    cv::extractChannel(t.before, b, 0);
    cv::extractChannel(t.after, a, 0);
    d = cv::abs(a - b);
    if (m_box) cv::blur(d, d, {2 * m_box + 1, 2 * m_box + 1}, {-1, -1}, cv::BORDER_REFLECT);
    return d;
  }
  cv::Mat sampleTile(const imaging::ChangeTile& t, const cv::Rect& core) const override {
    const cv::Mat d = diff(t);
    cv::Mat rows(0, 1, CV_32F);
    for (int y = core.y; y < core.y + core.height; ++y) {
      if ((t.originPx.y + y) % t.stride) continue;
      for (int x = core.x; x < core.x + core.width; ++x) {
        if ((t.originPx.x + x) % t.stride || !t.valid.at<uchar>(y, x)) continue;
        rows.push_back(d.at<float>(y, x));
      }
    }
    return rows;
  }
  void fit(const cv::Mat& samples) override {
    double sum = 0;
    for (int i = 0; i < samples.rows; ++i) sum += samples.at<float>(i, 0);
    m_samples = samples.rows;
    m_threshold = m_fixed >= 0 ? m_fixed : 3.0 * sum / samples.rows;
  }
  cv::Mat score(const imaging::ChangeTile& t) const override {
    cv::Mat d = diff(t);
    d.setTo(std::numeric_limits<float>::quiet_NaN(), t.valid == 0);
    return d;
  }
  double threshold() const override { return m_threshold; }
  std::map<std::string, std::vector<double>> solved() const override {
    return {{"samples", {double(m_samples)}}};
  }

 private:
  int m_box;
  double m_fixed;
  double m_threshold = 0;
  long long m_samples = 0;
};

}  // namespace cw::test
