#include "imaging/coregistration.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <opencv2/imgproc.hpp>

#include "imaging/error.hpp"

namespace cw::imaging {
namespace {

cv::Mat filledWithValidMean(const cv::Mat& image, const cv::Mat& valid) {
  cv::Mat f;
  image.convertTo(f, CV_32F);
  if (valid.empty()) return f;
  const cv::Scalar mean = cv::mean(f, valid);
  f.setTo(mean, valid == 0);
  return f;
}

double weightedMedian(std::vector<std::pair<double, double>> valueWeight) {
  std::sort(valueWeight.begin(), valueWeight.end());
  double total = 0.0;
  for (const auto& vw : valueWeight) total += vw.second;
  double acc = 0.0;
  for (const auto& vw : valueWeight) {
    acc += vw.second;
    if (acc >= 0.5 * total) return vw.first;
  }
  return valueWeight.back().first;
}

}  // namespace

ShiftEstimate estimateShift(const cv::Mat& reference, const cv::Mat& moving, const cv::Mat& valid) {
  if (reference.size() != moving.size() || reference.channels() != 1 || moving.channels() != 1) {
    throw Error("coregistration: images must be single-band and of the same size");
  }
  if (reference.rows < 16 || reference.cols < 16) {
    throw Error("coregistration: tile must be at least 16 x 16 pixels");
  }
  ShiftEstimate out;
  if (!valid.empty() && cv::countNonZero(valid) * 2 < static_cast<int>(valid.total())) return out;
  cv::Mat a = filledWithValidMean(reference, valid);
  cv::Mat b = filledWithValidMean(moving, valid);
  cv::Scalar ma, sa, mb, sb;
  cv::meanStdDev(a, ma, sa);
  cv::meanStdDev(b, mb, sb);
  if (!(sa[0] > 0.0) || !(sb[0] > 0.0)) return out;
  cv::Mat window;
  cv::createHanningWindow(window, a.size(), CV_32F);
  double response = 0.0;
  out.shiftPx = cv::phaseCorrelate(a, b, window, &response);
  out.response = std::isfinite(response) ? response : 0.0;
  if (out.response == 0.0) {
    out.shiftPx = {};
    return out;
  }
  // phaseCorrelate's centroid around the peak is biased towards the nearest integer shift (by
  // up to 0.25 px, measured on a (2.3, -1.7) shift). Resampling the moving image by the
  // estimate and measuring the small residual removes most of that bias.
  for (int refine = 0; refine < 2; ++refine) {
    cv::Mat shiftedValid;
    cv::Mat back = applyShift(b, out.shiftPx, &shiftedValid);
    if (!valid.empty()) shiftedValid &= valid;
    if (cv::countNonZero(shiftedValid) * 2 < static_cast<int>(shiftedValid.total())) break;
    const cv::Mat a2 = filledWithValidMean(a, shiftedValid);
    back = filledWithValidMean(back, shiftedValid);
    double r2 = 0.0;
    const cv::Point2d residual = cv::phaseCorrelate(a2, back, window, &r2);
    if (!std::isfinite(r2) || std::abs(residual.x) > 1.0 || std::abs(residual.y) > 1.0) break;
    out.shiftPx += residual;
  }
  return out;
}

ShiftEstimate combineShifts(const std::vector<ShiftEstimate>& tiles, double minResponse) {
  std::vector<std::pair<double, double>> xs, ys;
  double sumResponse = 0.0;
  for (const auto& t : tiles) {
    if (t.response >= minResponse && t.response > 0.0) {
      xs.emplace_back(t.shiftPx.x, t.response);
      ys.emplace_back(t.shiftPx.y, t.response);
      sumResponse += t.response;
    }
  }
  ShiftEstimate out;
  if (xs.empty()) return out;
  out.shiftPx = {weightedMedian(xs), weightedMedian(ys)};
  out.response = sumResponse / xs.size();
  return out;
}

cv::Mat applyShift(const cv::Mat& image, cv::Point2d shiftPx, cv::Mat* validOut) {
  if (image.depth() != CV_32F) throw Error("coregistration: applyShift needs a CV_32F image");
  // warpAffine with WARP_INVERSE_MAP samples src at M * (x, y): exactly out(x) = in(x + shift).
  const cv::Matx23d m(1, 0, shiftPx.x, 0, 1, shiftPx.y);
  cv::Mat out;
  cv::warpAffine(image, out, m, image.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, cv::Scalar::all(0));
  // A sample is valid only when its whole bilinear footprint lies inside the source.
  cv::Mat ones(image.size(), CV_32F, cv::Scalar(1.0f)), cover;
  cv::warpAffine(ones, cover, m, image.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::Mat valid = cover >= 0.999f;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  out.setTo(cv::Scalar::all(nan), valid == 0);
  if (validOut) *validOut = valid;
  return out;
}

}  // namespace cw::imaging
