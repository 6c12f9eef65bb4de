#pragma once
// Two-parameter CFAR (constant false-alarm rate) detector, after Crisp (2004), "The state-of-the-
// art in ship detection in synthetic aperture radar imagery", DSTO-RR-0272, as implemented in
// ESA SNAP's AdaptiveThresholdingOp:
//   a target window (mean of the pixels under test), a guard window that is excluded, and a
//   background window; the ring = background box minus guard box gives mu_bg and sigma_bg, and
//   a pixel is a target when  targetMean > mu_bg + t * sigma_bg  with the Gaussian threshold
//   t = sqrt(2) * erfinv(1 - 2 * PFA).
// Sums over the windows come from integral images (cv::integral) of x, x^2 and of the usable
// mask, so the cost per pixel does not depend on the window sizes.
// No-decision rule (SNAP: nodata in the window suppresses a detection): a pixel is decided only
// if its target window is all usable and the unusable fraction of its ring is at most
// `maxMaskedFraction` (0 = any land/nodata in the window means no decision). Statistics use
// usable ring pixels only. Windows are clipped at the image edge (outside the image is neither
// land nor nodata); at least half of the full ring must remain.
//
// Validated by tests/imaging/test_ship_detector.cpp: targets at (t + 0.25) sigma above Gaussian
// and gamma clutter are found, at (t - 0.25) sigma they are not; no decision near nodata.
// Pure and thread-safe.
#include <opencv2/core.hpp>

namespace cw::imaging {

struct CfarWindowsPx {
  int target = 1;       // full width in pixels (odd)
  int guard = 41;       // full width in pixels (odd), > target
  int background = 81;  // full width in pixels (odd), > guard
};

// Window sizes in metres -> odd pixel widths at `pixelSizeM`; guard > target and background >
// guard are enforced by at least 2 pixels.
CfarWindowsPx cfarWindowsPx(double targetM, double guardM, double backgroundM, double pixelSizeM);

// t such that P(N(0,1) > t) = pfa, i.e. sqrt(2) * erfinv(1 - 2 pfa). Throws for pfa outside (0,
// 0.5).
double cfarThresholdFromPfa(double pfa);

struct CfarOptions {
  // No decision when more than this share of the ring is unusable (land, nodata).
  double maxMaskedFraction = 0.0;
  // Optional, CV_8U non-zero = nodata: no decision when the background box holds more than
  // `maxNodataFraction` of it, separately from the masked-ring rule.
  cv::Mat nodata;
  double maxNodataFraction = 0.0;
  // > 0: censored two-pass CFAR: pixels with |z| > censorZ in a first pass (grown by 2 px) are
  // left out of the ring statistics of the second, so that neighbouring targets do not mask
  // each other (Rohling 1983 censoring, in its common two-pass form); they still count as
  // usable for the coverage rules.
  double censorZ = 0.0;
  // > 0: sigma_bg is at least sigmaFloorRel x |mu_bg| (quantised 8-bit water has a sigma of one
  // level or less, which would make every wave crest a target).
  double sigmaFloorRel = 0.0;
  // Optional, CV_8U: pixels tested in addition to the usable ones, against the usable pixels'
  // ring statistics (ships: land protrusions that may be hulls alongside, judged against water).
  cv::Mat evaluate;
};

// z = (targetMean - mu_bg) / sigma_bg per pixel (CV_32F), NaN where no decision is made.
// `band` CV_32F; `usable` CV_8U (255 = water and valid) of the same size.
cv::Mat cfarZ(const cv::Mat& band, const cv::Mat& usable, const CfarWindowsPx& windows,
              const CfarOptions& options = {});

}  // namespace cw::imaging
