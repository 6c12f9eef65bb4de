#include <catch2/catch.hpp>

#include "imaging/morphology.hpp"

using namespace cw::imaging;

TEST_CASE("open/close removes specks and fills pinholes", "[unit][imaging]") {
  cv::Mat mask(40, 40, CV_8U, cv::Scalar(0));
  mask(cv::Rect(10, 10, 12, 12)).setTo(1);
  mask.at<unsigned char>(15, 15) = 0;  // pinhole inside the block
  mask.at<unsigned char>(30, 30) = 1;  // isolated speck
  const cv::Mat out = openCloseChangeMask(mask, 1);
  CHECK(out.at<unsigned char>(15, 15) == 1);
  CHECK(out.at<unsigned char>(30, 30) == 0);
  CHECK(out.at<unsigned char>(12, 12) == 1);
  CHECK(openCloseChangeMask(mask, 0).at<unsigned char>(30, 30) == 1);
}

TEST_CASE("no-decision pixels stay 255, never become change and never grow change",
          "[unit][imaging]") {
  cv::Mat mask(40, 40, CV_8U, cv::Scalar(0));
  mask(cv::Rect(0, 0, 20, 40)).setTo(255);  // left half: no decision
  mask(cv::Rect(20, 10, 1, 1)).setTo(1);    // one change pixel on the nodata edge
  mask(cv::Rect(25, 25, 6, 6)).setTo(1);    // a change block
  mask(cv::Rect(28, 28, 1, 1)).setTo(255);  // a nodata hole in the change block
  const cv::Mat out = openCloseChangeMask(mask, 2);
  CHECK(cv::countNonZero(out == 255) == cv::countNonZero(mask == 255));
  CHECK(cv::countNonZero((out == 255) != (mask == 255)) == 0);
  // Nothing in the no-change region next to nodata becomes change.
  CHECK(cv::countNonZero(out(cv::Rect(20, 0, 4, 20)) == 1) == 0);
  // The block survives around its nodata hole; every change pixel was change or a gap
  // between change pixels, never a pixel seeded by nodata.
  CHECK(out.at<unsigned char>(26, 26) == 1);
  CHECK(out.at<unsigned char>(28, 28) == 255);
  const cv::Mat grown = (out == 1) & (mask != 1);
  CHECK(cv::countNonZero(grown) == 0);
}

TEST_CASE("change bordering nodata is not shaved by the opening", "[unit][imaging]") {
  cv::Mat mask(30, 30, CV_8U, cv::Scalar(0));
  mask(cv::Rect(0, 0, 10, 30)).setTo(255);
  mask(cv::Rect(10, 5, 2, 20)).setTo(1);  // a 2-px strip along the nodata edge
  const cv::Mat out = openCloseChangeMask(mask, 1);
  // A plain opening (nodata as background) would erase the whole strip; here only the two
  // outer corners go, as for any 2-px strip under a 3x3 cross.
  CHECK(cv::countNonZero(out == 1) == 38);
  CHECK(cv::countNonZero(out(cv::Rect(10, 5, 1, 20)) == 1) == 20);
}

TEST_CASE("morphology rejects a non-byte mask", "[unit][imaging]") {
  CHECK_THROWS_WITH(openCloseChangeMask(cv::Mat(4, 4, CV_32F), 1),
                    "morphology: mask must be CV_8U");
}
