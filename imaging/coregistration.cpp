#include "imaging/coregistration.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <opencv2/imgproc.hpp>

#include "core/error.hpp"

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

// Robust residual cut for refineShiftLucasKanade: 6 robust sigmas (MAD) of |bs - (gain a +
// offset)| over the valid pixels inside `border`; -1 when fewer than 64 pixels are left.
double robustResidualCut(const cv::Mat& a, const cv::Mat& bs, const cv::Mat& valid, int border,
                         double gain, double offset) {
  std::vector<float> absRes;
  absRes.reserve(static_cast<std::size_t>(a.total()));
  for (int y = border; y < a.rows - border; ++y) {
    const float* pa = a.ptr<float>(y);
    const float* pb = bs.ptr<float>(y);
    const uchar* pv = valid.empty() ? nullptr : valid.ptr<uchar>(y);
    for (int x = border; x < a.cols - border; ++x) {
      if (pv && !pv[x]) continue;
      absRes.push_back(std::abs(pb[x] - static_cast<float>(gain * pa[x] + offset)));
    }
  }
  if (absRes.size() < 64) return -1.0;
  std::nth_element(absRes.begin(), absRes.begin() + absRes.size() / 2, absRes.end());
  return std::max(6.0 * 1.4826 * absRes[absRes.size() / 2], 1e-6);
}

// Sums of the normal equations of the rows (gx, gy, -a, -1) against -bs (see normalSums).
using NormalSums = std::array<double, 14>;

// Normal equations of the rows (gx, gy, -a, -1) against -bs over the valid pixels inside `border`
// whose residual is within `cut`, accumulated per image row in float (a branch-free loop the
// compiler vectorizes) and across rows in double. (Matx44d outer products per pixel made this
// the bulk of co-registration's ~0.9 CPU s at 8192².)
NormalSums normalSums(const cv::Mat& a, const cv::Mat& bs, const cv::Mat& gx, const cv::Mat& gy,
                      const cv::Mat& valid, int border, double gain, double offset, double cut) {
  NormalSums acc{};
  const float fgain = static_cast<float>(gain), foff = static_cast<float>(offset);
  const float fcut =
      std::isfinite(cut) ? static_cast<float>(cut) : std::numeric_limits<float>::max();
  for (int y = border; y < a.rows - border; ++y) {
    const float* pa = a.ptr<float>(y);
    const float* pb = bs.ptr<float>(y);
    const float* px = gx.ptr<float>(y);
    const float* py = gy.ptr<float>(y);
    const uchar* pv = valid.empty() ? nullptr : valid.ptr<uchar>(y);
    float r[14] = {0};
    for (int x = border; x < a.cols - border; ++x) {
      const float use =
          ((!pv || pv[x]) && std::abs(pb[x] - (fgain * pa[x] + foff)) <= fcut) ? 1.0f : 0.0f;
      const float gxv = px[x] * use, gyv = py[x] * use, av = pa[x] * use, bv = pb[x] * use;
      r[0] += gxv * px[x];
      r[1] += gxv * py[x];
      r[2] += gxv * pa[x];
      r[3] += gxv;
      r[4] += gyv * py[x];
      r[5] += gyv * pa[x];
      r[6] += gyv;
      r[7] += av * pa[x];
      r[8] += av;
      r[9] += use;
      r[10] += gxv * pb[x];
      r[11] += gyv * pb[x];
      r[12] += av * pb[x];
      r[13] += bv;
    }
    for (int k = 0; k < 14; ++k) acc[k] += r[k];
  }
  return acc;
}

// Solves the 4x4 normal equations for (dx, dy, gain, offset); false when they are singular.
bool solveNormalEquations(const NormalSums& acc, cv::Vec4d& theta) {
  // Row (gx, gy, -a, -1): the signs of the a and 1 columns fold into the entries below.
  // clang-format off
  const cv::Matx44d ata(acc[0], acc[1], -acc[2], -acc[3],
                        acc[1], acc[4], -acc[5], -acc[6],
                        -acc[2], -acc[5], acc[7], acc[8],
                        -acc[3], -acc[6], acc[8], acc[9]);
  // clang-format on
  const cv::Vec4d atb(-acc[10], -acc[11], acc[12], acc[13]);
  return cv::solve(ata, atb, theta, cv::DECOMP_CHOLESKY);
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
  // cv::phaseCorrelate multiplies its inputs by the window in place when their size is already
  // DFT-optimal (OpenCV 4.6): hand it copies, `a` and `b` are used again below.
  out.shiftPx = cv::phaseCorrelate(a.clone(), b.clone(), window, &response);
  out.response = std::isfinite(response) ? response : 0.0;
  if (out.response == 0.0) {
    out.shiftPx = {};
    return out;
  }
  // phaseCorrelate's centroid around the peak is biased towards the nearest integer shift
  // (measured on the simulator's band-limited scenes: -1.20 for a true -1.44 px). A sub-pixel
  // error of 0.2 px leaves a difference of 0.2 x the edge contrast along every edge, which a
  // change map reports as change. Gauss-Newton refinement removes the bias.
  out.shiftPx = refineShiftLucasKanade(a, b, valid, out.shiftPx);
  return out;
}

cv::Point2d refineShiftLucasKanade(const cv::Mat& reference, const cv::Mat& moving,
                                   const cv::Mat& valid, cv::Point2d start) {
  if (reference.size() != moving.size() || reference.type() != CV_32F || moving.type() != CV_32F) {
    throw Error("coregistration: refinement needs two CV_32F images of the same size");
  }
  const cv::Mat& a = reference;
  const cv::Mat& b = moving;
  cv::Point2d s = start;
  double gain = 1.0, offset = 0.0;
  {
    cv::Scalar ma, sa, mb, sb;
    cv::meanStdDev(a, ma, sa, valid);
    cv::meanStdDev(b, mb, sb, valid);
    if (sa[0] > 0.0) gain = sb[0] / sa[0];
    offset = mb[0] - gain * ma[0];
  }
  // warpAffine resolves positions to 1/INTER_TAB_SIZE px, so the image an iteration sees is
  // moving(x + sq) with sq the rounded shift; the Gauss-Newton step is relative to sq. Adding it
  // to the unrounded s instead added the same step again on every iteration whose rounded shift
  // did not move (8192² bench pair: 15 of 25 windows ran all 10 iterations, drifting by up to
  // 10 steps).
  const double tab = cv::INTER_TAB_SIZE;
  auto rounded = [tab](cv::Point2d p) {
    return cv::Point2d(std::round(p.x * tab) / tab, std::round(p.y * tab) / tab);
  };
  for (int iter = 0; iter < 10; ++iter) {
    const cv::Point2d sq = rounded(s);
    // moving(x + sq) by bicubic interpolation, and where its 4x4 footprint is inside the image.
    const cv::Matx23d m(1, 0, sq.x, 0, 1, sq.y);
    cv::Mat bs;
    cv::warpAffine(b, bs, m, b.size(), cv::INTER_CUBIC | cv::WARP_INVERSE_MAP,
                   cv::BORDER_REPLICATE);
    cv::Mat gx, gy;
    cv::Sobel(bs, gx, CV_32F, 1, 0, 3, 1.0 / 8.0);
    cv::Sobel(bs, gy, CV_32F, 0, 1, 3, 1.0 / 8.0);
    const int border = static_cast<int>(std::ceil(std::max(std::abs(s.x), std::abs(s.y)))) + 3;
    if (2 * border >= a.cols || 2 * border >= a.rows) return start;
    // Residuals under the current model, for a robust cut: changed pixels (new buildings,
    // ships) must not pull the shift. Not in the first iterations: before the shift is right,
    // the largest residuals are the edges, which carry the shift.
    double cut = std::numeric_limits<double>::infinity();
    if (iter >= 3) {
      cut = robustResidualCut(a, bs, valid, border, gain, offset);
      if (cut < 0.0) return start;
    }
    const NormalSums acc = normalSums(a, bs, gx, gy, valid, border, gain, offset, cut);
    cv::Vec4d theta;
    if (!solveNormalEquations(acc, theta)) return start;
    if (!std::isfinite(theta[0]) || !std::isfinite(theta[1])) return start;
    s = sq + cv::Point2d(theta[0], theta[1]);
    gain = theta[2];
    offset = theta[3];
    // A refinement that walks away from the phase-correlation peak has locked onto something
    // else (mostly change): keep the peak.
    if (std::abs(s.x - start.x) > 1.0 || std::abs(s.y - start.y) > 1.0) return start;
    // The next warp would be this one: the step cannot change any more without the robust cut
    // (from iteration 3), and is final with it.
    if (rounded(s) == sq) {
      if (iter >= 3) break;
      iter = 2;
    }
  }
  return s;
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
