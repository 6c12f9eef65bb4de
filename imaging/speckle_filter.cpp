#include "imaging/speckle_filter.hpp"

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "core/error.hpp"

namespace cw::imaging {

SpeckleFilterKind parseSpeckleFilter(const std::string& name) {
  if (name == "none") return SpeckleFilterKind::None;
  if (name == "median") return SpeckleFilterKind::Median;
  if (name == "lee") return SpeckleFilterKind::Lee;
  if (name == "enhanced_lee") return SpeckleFilterKind::EnhancedLee;
  throw UsageError("speckle filter: '" + name + "' is not one of: none, median, lee, enhanced_lee");
}

void maskedLocalMoments(const cv::Mat& image, const cv::Mat& valid, int radiusPx, cv::Mat& mean,
                        cv::Mat& var) {
  CV_Assert(image.type() == CV_32F);
  const cv::Size k(2 * radiusPx + 1, 2 * radiusPx + 1);
  // Unnormalized sums divided by the valid count give the masked moments; the reflected
  // border keeps edge windows full, as a halo cropped at the grid edge would be.
  cv::Mat w;
  if (valid.empty()) {
    w = cv::Mat::ones(image.size(), CV_32F);
  } else {
    valid.convertTo(w, CV_32F);
    cv::threshold(w, w, 0.0, 1.0, cv::THRESH_BINARY);
  }
  cv::Mat x = image.mul(w);
  // Invalid pixels may hold NaN (nodata); 0 * NaN is NaN, so clear them explicitly.
  x.setTo(0.0f, w == 0.0f);
  cv::Mat x2 = x.mul(x);
  cv::Mat sw, sx, sx2;
  cv::boxFilter(w, sw, CV_32F, k, cv::Point(-1, -1), false, cv::BORDER_REFLECT_101);
  cv::boxFilter(x, sx, CV_32F, k, cv::Point(-1, -1), false, cv::BORDER_REFLECT_101);
  cv::boxFilter(x2, sx2, CV_32F, k, cv::Point(-1, -1), false, cv::BORDER_REFLECT_101);
  mean.create(image.size(), CV_32F);
  var.create(image.size(), CV_32F);
  for (int y = 0; y < image.rows; ++y) {
    const float* pw = sw.ptr<float>(y);
    const float* px = sx.ptr<float>(y);
    const float* px2 = sx2.ptr<float>(y);
    float* pm = mean.ptr<float>(y);
    float* pv = var.ptr<float>(y);
    for (int xx = 0; xx < image.cols; ++xx) {
      if (pw[xx] > 0.5f) {
        const float m = px[xx] / pw[xx];
        const float v = px2[xx] / pw[xx] - m * m;
        pm[xx] = m;
        pv[xx] = v > 0.0f ? v : 0.0f;
      } else {
        pm[xx] = 0.0f;
        pv[xx] = 0.0f;
      }
    }
  }
}

float enhancedLeeValue(float i, float m, float v, float cu2, float damping) {
  if (!(m > 0.0f) || !(v > 0.0f)) return m;
  const float cu = std::sqrt(cu2);
  const float cmax = std::sqrt(1.0f + 2.0f * cu2);
  const float ci = std::sqrt(v) / m;
  if (ci <= cu) return m;
  if (ci >= cmax) return i;
  const float w = std::exp(-damping * (ci - cu) / (cmax - ci));
  return m * w + i * (1.0f - w);
}

cv::Mat speckleFilter(const cv::Mat& image, const cv::Mat& valid, const SpeckleFilterOptions& opt) {
  CV_Assert(image.type() == CV_32F);
  if (opt.radiusPx < 1 && opt.kind != SpeckleFilterKind::None) {
    throw UsageError("speckle filter: radius must be >= 1 pixel");
  }
  switch (opt.kind) {
    case SpeckleFilterKind::None:
      return image.clone();
    case SpeckleFilterKind::Median: {
      if (opt.radiusPx > 2) {
        throw UsageError("speckle filter: median radius must be 1 or 2 pixels (float images)");
      }
      cv::Mat src = image;
      if (!valid.empty() && cv::countNonZero(valid) < valid.rows * valid.cols) {
        cv::Mat m, v;
        maskedLocalMoments(image, valid, opt.radiusPx, m, v);
        src = image.clone();
        m.copyTo(src, valid == 0);
      }
      cv::Mat out;
      cv::medianBlur(src, out, 2 * opt.radiusPx + 1);
      return out;
    }
    case SpeckleFilterKind::Lee:
    case SpeckleFilterKind::EnhancedLee: {
      cv::Mat m, v;
      maskedLocalMoments(image, valid, opt.radiusPx, m, v);
      cv::Mat out(image.size(), CV_32F);
      const float cu2 = static_cast<float>(opt.cu2);
      const float damping = static_cast<float>(opt.damping);
      const bool enhanced = opt.kind == SpeckleFilterKind::EnhancedLee;
      for (int y = 0; y < image.rows; ++y) {
        const float* pi = image.ptr<float>(y);
        const float* pm = m.ptr<float>(y);
        const float* pv = v.ptr<float>(y);
        float* po = out.ptr<float>(y);
        for (int x = 0; x < image.cols; ++x) {
          po[x] = enhanced ? enhancedLeeValue(pi[x], pm[x], pv[x], cu2, damping)
                           : leeValue(pi[x], pm[x], pv[x], cu2);
        }
      }
      return out;
    }
  }
  return image.clone();
}

}  // namespace cw::imaging
