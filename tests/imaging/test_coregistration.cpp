#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>

#include "change_test_support.hpp"
#include "imaging/coregistration.hpp"

using namespace cw::imaging;

namespace {

cv::Mat texture(cv::Size size, unsigned seed) {
  cv::Mat n = test::texturedImage(size, 1, seed), s;
  cv::GaussianBlur(n, s, cv::Size(0, 0), 1.5);
  return s * 50.0 + 100.0;
}

}  // namespace

TEST_CASE("phase correlation recovers a known sub-pixel shift within 0.2 px", "[unit][imaging]") {
  const cv::Mat reference = texture({256, 256}, 3);
  const cv::Point2d truth(2.3, -1.7);
  cv::Mat valid;
  // moving(x + truth) = reference(x): sample the reference at x - truth.
  const cv::Mat moving = applyShift(reference, -truth, &valid);
  const ShiftEstimate whole = estimateShift(reference, moving, valid);
  INFO("estimated " << whole.shiftPx << " response " << whole.response);
  CHECK(whole.shiftPx.x == Approx(truth.x).margin(0.2));
  CHECK(whole.shiftPx.y == Approx(truth.y).margin(0.2));
  CHECK(whole.response > 0.2);

  std::vector<ShiftEstimate> tiles;
  for (int y = 0; y < 256; y += 64) {
    for (int x = 0; x < 256; x += 64) {
      const cv::Rect r(x, y, 64, 64);
      tiles.push_back(estimateShift(reference(r), moving(r), valid(r)));
    }
  }
  // One tile of pure change (unrelated content) must not move the median.
  const cv::Rect r(0, 0, 64, 64);
  tiles[0] = estimateShift(reference(r), texture({64, 64}, 99), cv::Mat());
  const ShiftEstimate combined = combineShifts(tiles);
  INFO("combined " << combined.shiftPx);
  CHECK(combined.shiftPx.x == Approx(truth.x).margin(0.2));
  CHECK(combined.shiftPx.y == Approx(truth.y).margin(0.2));

  // Undoing the estimate realigns the images away from the border.
  const cv::Mat back = applyShift(moving, combined.shiftPx);
  const cv::Rect inner(8, 8, 240, 240);
  cv::Mat diff;
  cv::absdiff(back(inner), reference(inner), diff);
  CHECK(cv::mean(diff)[0] < 2.0);
}

TEST_CASE("applyShift marks samples from outside the image invalid", "[unit][imaging]") {
  const cv::Mat img = texture({50, 40}, 4);
  cv::Mat valid;
  const cv::Mat out = applyShift(img, {3.5, -2.0}, &valid);
  // out(x, y) = img(x + 3.5, y - 2): columns 46.. and rows 0..1 sample outside.
  CHECK(valid.at<unsigned char>(20, 46) == 0);
  CHECK(valid.at<unsigned char>(20, 45) == 255);
  CHECK(valid.at<unsigned char>(1, 20) == 0);
  CHECK(valid.at<unsigned char>(20, 20) == 255);
  CHECK(std::isnan(out.at<float>(20, 47)));
  CHECK(out.at<float>(20, 20) ==
        Approx(0.5f * (img.at<float>(18, 23) + img.at<float>(18, 24))).epsilon(1e-5));
}

TEST_CASE("shift estimation declines tiles it cannot measure", "[unit][imaging]") {
  const cv::Mat flat(64, 64, CV_32F, cv::Scalar(7.0f));
  CHECK(estimateShift(flat, flat).response == 0.0);
  cv::Mat mostlyInvalid(64, 64, CV_8U, cv::Scalar(0));
  mostlyInvalid(cv::Rect(0, 0, 10, 10)).setTo(255);
  const cv::Mat t = texture({64, 64}, 5);
  CHECK(estimateShift(t, t, mostlyInvalid).response == 0.0);
  CHECK(combineShifts({}).response == 0.0);
  CHECK_THROWS_WITH(estimateShift(cv::Mat(8, 8, CV_32F), cv::Mat(8, 8, CV_32F)),
                    "coregistration: tile must be at least 16 x 16 pixels");
}
