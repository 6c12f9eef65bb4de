// Change along a land/water edge within a misregistration's reach is registration_suspect
// (issue 17): a shore that moved by a pixel draws change along it that is not on the ground.
#include <catch2/catch.hpp>

#include <opencv2/core.hpp>

#include "pipeline/shore_suspect.hpp"
#include "tests/tiles/tile_test_support.hpp"

using namespace cw;
namespace fs = std::filesystem;

namespace {

// 100×60 scene, bands blue, green, red, nir: water (NDWI > 0) for x < 50, land beyond. The
// change mask marks a 2-px strip along the shore (x = 49..50, rows 10..40: the shore moved by a
// pixel), a 6×6 block inland (a new building) and a strip 6 px inland, with 255 (no decision) in
// the top rows.
struct ShoreScene {
  fs::path dir = test::scratchDir("shore_suspect");
  tiles::GridSpec grid = test::utmGrid(100, 60);
  ShoreScene() {
    cv::Mat img(60, 100, CV_32FC4);
    for (int y = 0; y < 60; ++y) {
      for (int x = 0; x < 100; ++x) {
        img.at<cv::Vec4f>(y, x) =
            x < 50 ? cv::Vec4f(900, 1000, 600, 150) : cv::Vec4f(700, 800, 900, 3000);
      }
    }
    test::writeTif(dir / "before.tif", img, grid);
    cv::Mat mask(60, 100, CV_8U, cv::Scalar(0));
    mask(cv::Rect(49, 10, 2, 31)).setTo(1);
    mask(cv::Rect(80, 20, 6, 6)).setTo(1);
    mask(cv::Rect(56, 45, 2, 11)).setTo(1);  // a strip 6 px inland
    mask(cv::Rect(0, 0, 100, 3)).setTo(255);
    test::writeTif(dir / "mask.tif", mask, grid);
    cv::Mat water(60, 100, CV_8U, cv::Scalar(0));
    water(cv::Rect(0, 0, 50, 60)).setTo(255);
    test::writeTif(dir / "water.tif", water, grid);
  }
  ~ShoreScene() { fs::remove_all(dir); }
};

const std::vector<cv::Rect> kBoxes{{49, 10, 2, 31}, {80, 20, 6, 6}};

}  // namespace

TEST_CASE("shore suspect: change along the shore is flagged, change inland is not", "[unit]") {
  ShoreScene s;
  pipeline::ShoreSuspectInput in{(s.dir / "before.tif").string(),
                                 {"blue", "green", "red", "nir"},
                                 "",
                                 (s.dir / "mask.tif").string(),
                                 1.0};
  SECTION("water from the scene's NDWI") {
    CHECK(pipeline::canFindShore(in));
    CHECK(pipeline::changeAlongShore(in, kBoxes) == std::vector<bool>{true, false});
  }
  SECTION("water from the AOI's water mask, whatever the bands") {
    in.roles = {"red", "green", "blue"};
    CHECK_FALSE(pipeline::canFindShore(in));
    CHECK(pipeline::changeAlongShore(in, kBoxes) == std::vector<bool>{false, false});
    in.waterMask = (s.dir / "water.tif").string();
    in.roles = {"blue", "green", "red", "nir"};
    CHECK(pipeline::changeAlongShore(in, kBoxes) == std::vector<bool>{true, false});
  }
  SECTION("a strip is flagged only within the reach of a misregistration") {
    const std::vector<cv::Rect> strip{{56, 45, 2, 11}};
    CHECK(pipeline::changeAlongShore(in, strip) == std::vector<bool>{false});
    in.reachPx = 7.0;
    CHECK(pipeline::changeAlongShore(in, strip) == std::vector<bool>{true});
  }
}
