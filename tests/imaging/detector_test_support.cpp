#include "detector_test_support.hpp"

#include <gdal_priv.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace cw::test {

imaging::DetectionTile readTile(const std::string& path, double pixelSizeM) {
  GDALDataset* ds = static_cast<GDALDataset*>(GDALOpen(path.c_str(), GA_ReadOnly));
  if (!ds) throw std::runtime_error("cannot open " + path);
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize(), p = ds->GetRasterCount();
  cv::Mat img(h, w, CV_32FC(p));
  const CPLErr err = ds->RasterIO(GF_Read, 0, 0, w, h, img.data, w, h, GDT_Float32, p, nullptr,
                                  static_cast<GSpacing>(sizeof(float)) * p,
                                  static_cast<GSpacing>(sizeof(float)) * p * w, sizeof(float));
  GDALClose(ds);
  if (err != CE_None) throw std::runtime_error("cannot read " + path);
  imaging::DetectionTile t;
  if (p >= 3) {
    std::vector<cv::Mat> bands;
    cv::split(img, bands);
    bands.resize(3);
    cv::merge(bands, img);
    t.roles = {imaging::BandRole::Red, imaging::BandRole::Green, imaging::BandRole::Blue};
  } else {
    cv::extractChannel(img, img, 0);
    t.roles = {imaging::BandRole::Grey};
  }
  t.image = img;
  t.valid = cv::Mat(h, w, CV_8U, cv::Scalar(255));
  t.pixelSizeM = pixelSizeM;
  return t;
}

void writeOverlay(const std::string& path, const imaging::DetectionTile& tile,
                  const std::vector<imaging::Detection>& detections, const cv::Mat& mask,
                  double scale) {
  cv::Mat rgb;
  if (tile.image.channels() >= 3) {
    std::vector<cv::Mat> b;
    cv::split(tile.image, b);
    cv::merge(std::vector<cv::Mat>{b[2], b[1], b[0]}, rgb);  // BGR for OpenCV drawing
  } else {
    cv::Mat g;
    cv::extractChannel(tile.image, g, 0);
    cv::merge(std::vector<cv::Mat>{g, g, g}, rgb);
  }
  cv::Mat flat = rgb.reshape(1, 1).clone();
  std::vector<float> all(flat.begin<float>(), flat.end<float>());
  std::sort(all.begin(), all.end());
  const float lo = all[all.size() * 2 / 100], hi = all[all.size() * 98 / 100];
  cv::Mat out;
  rgb.convertTo(out, CV_8UC3, 255.0 / std::max(1e-6f, hi - lo),
                -lo * 255.0 / std::max(1e-6f, hi - lo));
  // Draw after downscaling, so the drawing colours stay exact for the palette below.
  if (scale < 1.0) cv::resize(out, out, cv::Size(), scale, scale, cv::INTER_AREA);
  const double f = scale < 1.0 ? scale : 1.0;
  if (!mask.empty()) {
    cv::Mat m;
    cv::resize(mask, m, out.size(), 0, 0, cv::INTER_NEAREST);
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(m, contours, cv::RETR_LIST, cv::CHAIN_APPROX_SIMPLE);
    cv::drawContours(out, contours, -1, cv::Scalar(255, 128, 0), 1);
  }
  for (const auto& d : detections) {
    const double lpx = d.lengthM / tile.pixelSizeM * f, wpx = d.widthM / tile.pixelSizeM * f;
    const cv::Point2f c(static_cast<float>(d.centroidPx.x * f),
                        static_cast<float>(d.centroidPx.y * f));
    if (d.kind == "tank") {
      cv::circle(out, c, static_cast<int>(lpx / 2 + 3), cv::Scalar(0, 255, 255), 1);
      continue;
    }
    // Heading 0 = north (up), clockwise; RotatedRect angle is clockwise from +x in image axes.
    const cv::RotatedRect r(
        c, cv::Size2f(static_cast<float>(lpx + 4 * f), static_cast<float>(wpx + 4 * f)),
        static_cast<float>(d.headingDeg - 90.0));
    cv::Point2f p[4];
    r.points(p);
    for (int i = 0; i < 4; ++i) cv::line(out, p[i], p[(i + 1) % 4], cv::Scalar(0, 0, 255), 1);
  }
  constexpr int kLevels = 24;
  cv::Mat idx(out.size(), CV_8U);
  for (int y = 0; y < out.rows; ++y) {
    for (int x = 0; x < out.cols; ++x) {
      const cv::Vec3b c = out.at<cv::Vec3b>(y, x);
      uchar& o = idx.at<uchar>(y, x);
      if (c == cv::Vec3b(0, 0, 255)) {
        o = 255;
      } else if (c == cv::Vec3b(255, 128, 0)) {
        o = 254;
      } else if (c == cv::Vec3b(0, 255, 255)) {
        o = 253;
      } else {
        o = static_cast<uchar>((0.114 * c[0] + 0.587 * c[1] + 0.299 * c[2]) * kLevels / 256.0);
      }
    }
  }
  GDALColorTable ct;
  for (int i = 0; i < 256; ++i) {
    const short g = static_cast<short>(std::min(255, i * 256 / kLevels));
    GDALColorEntry e{g, g, g, 255};
    ct.SetColorEntry(i, &e);
  }
  GDALColorEntry red{255, 0, 0, 255}, blue{0, 128, 255, 255}, yellow{255, 255, 0, 255};
  ct.SetColorEntry(255, &red);
  ct.SetColorEntry(254, &blue);
  ct.SetColorEntry(253, &yellow);
  const char* const kPngOptions[] = {"ZLEVEL=9", nullptr};
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  GDALDriver* png = GetGDALDriverManager()->GetDriverByName("PNG");
  GDALDataset* m = mem->Create("", idx.cols, idx.rows, 1, GDT_Byte, nullptr);
  m->GetRasterBand(1)->SetColorTable(&ct);
  if (m->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, idx.cols, idx.rows, idx.data, idx.cols,
                                    idx.rows, GDT_Byte, 0, 0) != CE_None) {
    throw std::runtime_error("cannot fill overlay for " + path);
  }
  GDALDataset* written =
      png->CreateCopy(path.c_str(), m, FALSE, const_cast<char**>(kPngOptions), nullptr, nullptr);
  if (!written) throw std::runtime_error("cannot write " + path);
  GDALClose(written);
  GDALClose(m);
}

}  // namespace cw::test
