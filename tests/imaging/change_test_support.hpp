#pragma once
// Test-only helpers for the change methods: a whole-image / tiled driver that follows the
// ChangeMethod contract like the tiles layer does, accuracy scores, and a GDAL reader for the
// real pairs in ../shared/data.
#include <cmath>
#include <random>
#include <string>

#include <gdal_priv.h>
#include <opencv2/core.hpp>

#include "imaging/change_method.hpp"
#include "imaging/morphology.hpp"

namespace cw::imaging::test {

struct ChangeRun {
  cv::Mat score;  // CV_32F
  cv::Mat mask;   // CV_8U 0/1/255
  cv::Mat samples;
};

// Runs the two passes over a grid of tileSize x tileSize tiles (tileSize <= 0: one tile), each
// padded by the method's halo and cropped at the image edge, then thresholds and optionally
// opens/closes with morphRadiusPx.
inline ChangeRun runTiled(ChangeMethod& method, const cv::Mat& before, const cv::Mat& after,
                          const cv::Mat& valid, int stride, int tileSize, int morphRadiusPx = 0) {
  const cv::Rect image(0, 0, before.cols, before.rows);
  const int ts = tileSize > 0 ? tileSize : std::max(before.cols, before.rows);
  const int halo = method.haloPx();
  std::vector<std::pair<cv::Rect, cv::Rect>> tiles;  // (padded, core in padded coordinates)
  for (int y = 0; y < before.rows; y += ts) {
    for (int x = 0; x < before.cols; x += ts) {
      const cv::Rect core = cv::Rect(x, y, ts, ts) & image;
      const cv::Rect padded =
          cv::Rect(core.x - halo, core.y - halo, core.width + 2 * halo, core.height + 2 * halo) &
          image;
      tiles.emplace_back(padded, cv::Rect(core.tl() - padded.tl(), core.size()));
    }
  }
  auto tileAt = [&](const cv::Rect& padded) {
    ChangeTile t;
    t.before = before(padded).clone();
    t.after = after(padded).clone();
    t.valid = valid(padded).clone();
    t.originPx = padded.tl();
    t.stride = stride;
    return t;
  };
  std::vector<cv::Mat> parts;
  for (const auto& [padded, core] : tiles) {
    cv::Mat s = method.sampleTile(tileAt(padded), core);
    if (s.rows > 0) parts.push_back(s);
  }
  ChangeRun run;
  cv::vconcat(parts, run.samples);
  method.fit(run.samples);
  run.score = cv::Mat(before.size(), CV_32F);
  for (const auto& [padded, core] : tiles) {
    cv::Mat s = method.score(tileAt(padded));
    s(core).copyTo(run.score(cv::Rect(padded.tl() + core.tl(), core.size())));
  }
  const double t = method.threshold();
  run.mask = cv::Mat(before.size(), CV_8U, cv::Scalar(kMaskNoChange));
  run.mask.setTo(kMaskChange, run.score > t);  // NaN compares false
  run.mask.setTo(kMaskNoDecision, valid == 0);
  if (morphRadiusPx > 0) run.mask = openCloseChangeMask(run.mask, morphRadiusPx);
  return run;
}

struct Accuracy {
  double tp = 0, fp = 0, tn = 0, fn = 0;
  double precision() const { return tp / std::max(tp + fp, 1.0); }
  double recall() const { return tp / std::max(tp + fn, 1.0); }
  double f1() const { return 2 * tp / std::max(2 * tp + fp + fn, 1.0); }
  double oa() const { return (tp + tn) / std::max(tp + tn + fp + fn, 1.0); }
  double kappa() const {
    const double n = tp + tn + fp + fn;
    const double po = (tp + tn) / n;
    const double pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n);
    return (po - pe) / (1 - pe);
  }
  std::string text() const {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "kappa %.4f F1 %.4f precision %.4f recall %.4f OA %.4f "
                  "(TP %.0f FP %.0f TN %.0f FN %.0f)",
                  kappa(), f1(), precision(), recall(), oa(), tp, fp, tn, fn);
    return buf;
  }
};

// truthChange / truthNoChange: CV_8U, non-zero marks a labelled pixel of that class; pixels in
// neither are not scored. Mask pixels of 255 (no decision) count as "no change".
inline Accuracy scoreMask(const cv::Mat& mask, const cv::Mat& truthChange,
                          const cv::Mat& truthNoChange) {
  Accuracy a;
  for (int y = 0; y < mask.rows; ++y) {
    for (int x = 0; x < mask.cols; ++x) {
      const bool pred = mask.at<unsigned char>(y, x) == kMaskChange;
      if (truthChange.at<unsigned char>(y, x)) {
        (pred ? a.tp : a.fn) += 1;
      } else if (truthNoChange.at<unsigned char>(y, x)) {
        (pred ? a.fp : a.tn) += 1;
      }
    }
  }
  return a;
}

// Reads every band of a raster into one pixel-interleaved CV_32FC(bands) (or `onlyBands` bands).
inline cv::Mat readRaster(const std::string& path, int onlyBands = 0) {
  GDALDataset* ds = static_cast<GDALDataset*>(GDALOpen(path.c_str(), GA_ReadOnly));
  if (!ds) throw std::runtime_error("cannot open " + path);
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize();
  const int p = onlyBands > 0 ? onlyBands : ds->GetRasterCount();
  cv::Mat m(h, w, CV_32FC(p));
  std::vector<int> bands(p);
  for (int i = 0; i < p; ++i) bands[i] = i + 1;
  const CPLErr err = ds->RasterIO(GF_Read, 0, 0, w, h, m.data, w, h, GDT_Float32, p, bands.data(),
                                  4 * p, static_cast<GSpacing>(4) * p * w, 4, nullptr);
  GDALClose(ds);
  if (err != CE_None) throw std::runtime_error("cannot read " + path);
  return m;
}

// Gaussian-textured multi-band image with spatial correlation (smoothed noise), CV_32FC(p).
inline cv::Mat texturedImage(cv::Size size, int p, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  cv::Mat m(size, CV_32FC(p));
  for (int y = 0; y < size.height; ++y) {
    float* r = m.ptr<float>(y);
    for (int i = 0; i < size.width * p; ++i) r[i] = g(rng);
  }
  return m;
}

}  // namespace cw::imaging::test
