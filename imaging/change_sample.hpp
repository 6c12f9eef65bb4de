#pragma once
// Sample layout shared by the change methods in this folder (CVA, IR-MAD, log-ratio).
//
// Each sample row is [gx, gy, feature...] (CV_32F): the grid position of a lattice pixel
// (x % stride == 0 and y % stride == 0 in grid coordinates, inside the tile core, valid) and the
// method's features there. fit() first puts the rows in canonical grid order (gy, gx) with
// canonicalSampleOrder(), so every floating-point reduction runs in the same order whatever the
// tiling and the thread count: the fitted parameters are bit-identical (checked in
// tests/imaging/test_change_methods.cpp). Grid coordinates are exact in float up to 2^24 px.
#include <vector>

#include <opencv2/core.hpp>

#include "imaging/change_method.hpp"

namespace cw::imaging {

constexpr int kSampleCoordCols = 2;

// Tile-mat coordinates of the valid lattice pixels of `core`, row-major.
std::vector<cv::Point> latticePixels(const ChangeTile& tile, const cv::Rect& core);

// Rows [gx, gy, before bands..., after bands...] at the lattice pixels of the tile core.
cv::Mat sampleBandPairs(const ChangeTile& tile, const cv::Rect& core);

// Rows sorted by (gy, gx); returns `samples` itself when already in that order. Throws
// cw::Error when the rows do not carry the coordinate columns.
cv::Mat canonicalSampleOrder(const cv::Mat& samples);

// At most maxRows rows, evenly spaced (every ceil(n / maxRows)-th row, starting with the first),
// as a view when nothing is dropped. Applied to canonically ordered rows it is deterministic for
// any tiling. Used where an iterative fit does not gain from more rows than a few hundred
// thousand (an 8 x 8 covariance), so the fit time does not grow with the scene.
cv::Mat evenlySpacedRows(const cv::Mat& rows, int maxRows);

// Checks that before/after/valid agree in size and band count; throws cw::Error otherwise.
void checkChangeTile(const ChangeTile& tile, const char* method);

}  // namespace cw::imaging
