#include "imaging/morphology.hpp"

#include <opencv2/imgproc.hpp>

#include "core/error.hpp"

namespace cw::imaging {

cv::Mat openCloseChangeMask(const cv::Mat& mask, int radiusPx) {
  if (mask.type() != CV_8U) throw Error("morphology: mask must be CV_8U");
  if (radiusPx < 0) throw UsageError("morphology: radius must be >= 0 pixels");
  if (radiusPx == 0) return mask.clone();
  const cv::Mat se =
      cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radiusPx + 1, 2 * radiusPx + 1));
  const cv::Mat noDecision = mask == kMaskNoDecision;
  const cv::Mat change = mask == kMaskChange;

  // Opening: erode with no-decision as "don't care", dilate from change only.
  cv::Mat eroded, opened;
  cv::erode(change | noDecision, eroded, se);
  eroded &= change;
  cv::dilate(eroded, opened, se);
  opened &= change;  // anti-extensive by construction; this also drops dilation into nodata

  // Closing with no-decision as background: change grows only from change pixels.
  cv::Mat dilated, closed;
  cv::dilate(opened, dilated, se);
  cv::erode(dilated, closed, se);
  closed.setTo(0, noDecision);

  cv::Mat out(mask.size(), CV_8U, cv::Scalar(kMaskNoChange));
  out.setTo(kMaskChange, closed);
  out.setTo(kMaskNoDecision, noDecision);
  return out;
}

}  // namespace cw::imaging
