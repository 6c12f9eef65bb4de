#pragma once
// Global sub-pixel co-registration of two single-band images by phase correlation
// (Kuglin & Hines 1975; cv::phaseCorrelate with a Hann window, cv::createHanningWindow).
//
// Convention: shiftPx = (dx, dy) is the displacement of `moving` relative to `reference`:
// moving(x + dx, y + dy) ~ reference(x, y). applyShift(moving, -shift) brings it back onto
// the reference grid.
// A scene is handled as several tiles: estimateShift() per tile, then combineShifts() takes the
// response-weighted median of dx and of dy independently (deterministic: ties broken by value),
// which ignores tiles dominated by real change or clouds.
// The phase-correlation peak is refined by Gauss-Newton (refineShiftLucasKanade): the centroid
// alone is biased towards whole pixels by up to 0.25 px.
// Validated in tests/imaging/test_coregistration.cpp: a (2.3, -1.7) px shift of a textured image
// is recovered within 0.2 px per tile and after the median; a Lanczos-shifted (-1.4375, 0.84375)
// with gain and offset within 0.05 px; applyShift() round-trips.
// All functions are pure and thread-safe.
#include <vector>

#include <opencv2/core.hpp>

namespace cw::imaging {

struct ShiftEstimate {
  cv::Point2d shiftPx;
  double response = 0.0;  // phase-correlation peak in [0, 1]; 0 = no estimate
};

// `reference`, `moving`: CV_32F (or convertible single-band), same size >= 16 x 16. `valid`
// (CV_8U, non-zero = valid, may be empty) marks pixels usable in both; invalid pixels are filled
// with the valid mean so they do not correlate. Returns response 0 when fewer than half the
// pixels are valid or the tile has no texture.
ShiftEstimate estimateShift(const cv::Mat& reference, const cv::Mat& moving,
                            const cv::Mat& valid = cv::Mat());

// Sub-pixel refinement of `start` (Lucas & Kanade 1981, Gauss-Newton on the shift together with a
// linear radiometric model moving = gain * reference + offset, bicubic resampling, pixels with a
// residual above 6 robust sigmas left out from the fourth iteration; it stops when the rounded
// shift the bicubic warp resolves, 1/32 px, no longer moves). estimateShift() calls it after the
// phase-correlation peak. Returns `start` when the system is singular or the estimate walks more
// than 1 px away.
// `reference`, `moving` CV_32F of one size (invalid pixels already filled); `valid` may be empty.
cv::Point2d refineShiftLucasKanade(const cv::Mat& reference, const cv::Mat& moving,
                                   const cv::Mat& valid, cv::Point2d start);

// Response-weighted median over estimates with response >= minResponse. Returns response 0
// (and shift 0) when none qualifies; otherwise the response is the median-weighted mean response.
ShiftEstimate combineShifts(const std::vector<ShiftEstimate>& tiles, double minResponse = 0.05);

// Resamples `image` (CV_32FC(p)) so that out(x, y) = image(x + dx, y + dy) (bilinear). With
// shiftPx = -estimate this undoes a measured displacement. Pixels that would sample outside the
// image are NaN in every band, and 0 in `validOut` (CV_8U, 255 = valid) when given.
cv::Mat applyShift(const cv::Mat& image, cv::Point2d shiftPx, cv::Mat* validOut = nullptr);

}  // namespace cw::imaging
