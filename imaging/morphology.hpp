#pragma once
// Morphological clean-up of a change mask: an opening (removes change specks thinner than the
// structuring element) followed by a closing (fills gaps between change pixels), with an
// elliptical structuring element of radius r pixels (cv::getStructuringElement, MORPH_ELLIPSE).
//
// Mask values: 0 = no change, 1 = change, 255 = no decision. No-decision pixels
//   - stay 255 and never become change;
//   - never act as change seeds: the closing treats them as background, so change can only
//     grow from change pixels;
//   - do not erode change either: the opening's erosion treats them as "don't care", so change
//     that borders nodata is not shaved off. The opening is still anti-extensive (its result is
//     a subset of the input change).
// A tiled caller needs a halo of 2r pixels (open and close each read r around a pixel).
// Validated in tests/imaging/test_morphology.cpp (specks removed, holes filled, 255 kept, no
// growth from no-decision pixels). Pure and thread-safe.
#include <opencv2/core.hpp>

namespace cw::imaging {

constexpr unsigned char kMaskNoChange = 0;
constexpr unsigned char kMaskChange = 1;
constexpr unsigned char kMaskNoDecision = 255;

// `mask`: CV_8U with values 0/1/255. radiusPx = 0 returns a copy.
cv::Mat openCloseChangeMask(const cv::Mat& mask, int radiusPx);

}  // namespace cw::imaging
