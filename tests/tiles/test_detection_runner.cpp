#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <random>

#include "imaging/ship_detector.hpp"
#include "tiles/detection_runner.hpp"

namespace fs = std::filesystem;
using namespace cw;

namespace {

// A 1-band SAR-like GeoTIFF (UTM 33N, 10 m): land (bright, textured) in the west, sea with
// gamma clutter, bright ships at given pixel centres, a nodata strip on the east edge.
struct SynthScene {
  fs::path path;
  std::vector<cv::Point2d> ships;
};

SynthScene writeScene(const fs::path& dir, int size) {
  fs::create_directories(dir);
  SynthScene s;
  s.path = dir / "sar.tif";
  cv::Mat img(size, size, CV_32F);
  std::mt19937 rng(42);
  std::gamma_distribution<float> sea(4.0f, 0.01f), land(4.0f, 0.1f);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) img.at<float>(y, x) = x < size / 5 ? land(rng) : sea(rng);
  }
  img(cv::Rect(size - 20, 0, 20, size)).setTo(0.0f);  // nodata
  // Ships on a lattice, including ones that straddle the 256-px tile borders.
  for (int gy = 0; gy < 6; ++gy) {
    for (int gx = 0; gx < 5; ++gx) {
      const cv::Point2d c(size / 5 + 90 + gx * 150.0 + (gy % 2) * 40, 60 + gy * 170.0);
      if (c.x > size - 80 || c.y > size - 40) continue;
      const cv::RotatedRect r(cv::Point2f(float(c.x - 0.5), float(c.y - 0.5)), cv::Size2f(16, 4),
                              float(30 * gx + 20 * gy));
      cv::Point2f p[4];
      r.points(p);
      std::vector<cv::Point> poly;
      for (auto& q : p) poly.emplace_back(cvRound(q.x), cvRound(q.y));
      cv::fillConvexPoly(img, poly, cv::Scalar(1.0));
      s.ships.push_back(c);
    }
  }
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const char* opts[] = {"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", nullptr};
  GDALDataset* ds =
      drv->Create(s.path.c_str(), size, size, 1, GDT_Float32, const_cast<char**>(opts));
  double gt[6] = {400000.0, 10.0, 0.0, 5000000.0, 0.0, -10.0};
  ds->SetGeoTransform(gt);
  OGRSpatialReference srs;
  srs.importFromEPSG(32633);
  ds->SetSpatialRef(&srs);
  GDALRasterBand* b = ds->GetRasterBand(1);
  b->SetNoDataValue(0.0);
  b->SetDescription("vv");
  REQUIRE(b->RasterIO(GF_Write, 0, 0, size, size, img.data, size, size, GDT_Float32, 0, 0) ==
          CE_None);
  GDALClose(ds);
  return s;
}

tiles::DetectionRunRequest request(const SynthScene& s, int tilePx, int threads) {
  tiles::DetectionRunRequest r;
  r.scene = {s.path.string(), {1}, std::nullopt};
  r.roles = {imaging::BandRole::Vv};
  r.pixelSizeM = 10.0;
  r.tileSizePx = tilePx;
  r.threads = threads;
  return r;
}

imaging::ShipDetector sarShips() {
  imaging::ShipDetectorOptions o;
  o.guardWindowM = 250.0;
  o.backgroundWindowM = 500.0;
  o.minLengthM = 60.0;
  return imaging::ShipDetector(o);
}

}  // namespace

TEST_CASE("detection runner: same detections for tile sizes 256 and 1024 and 1 or 2 threads",
          "[integration]") {
  const fs::path dir = fs::temp_directory_path() / "cw_test_detection_runner";
  const SynthScene s = writeScene(dir, 1024);
  const auto det = sarShips();
  const auto a = tiles::runDetection(det, request(s, 256, 1));
  const auto b = tiles::runDetection(det, request(s, 1024, 1));
  const auto c = tiles::runDetection(det, request(s, 256, 2));
  CHECK(a.tiles == 16);
  CHECK(b.tiles == 1);
  INFO(a.detections.size() << " ships found, " << s.ships.size() << " drawn");
  REQUIRE(a.detections.size() == s.ships.size());
  for (const auto* other : {&b, &c}) {
    REQUIRE(other->detections.size() == a.detections.size());
    for (size_t i = 0; i < a.detections.size(); ++i) {
      const auto& x = a.detections[i].detection;
      const auto& y = other->detections[i].detection;
      CHECK(x.centroidPx == y.centroidPx);
      CHECK(x.lengthM == y.lengthM);
      CHECK(x.headingDeg == y.headingDeg);
      CHECK(x.score == Approx(y.score).epsilon(1e-6));
    }
  }
  // Every drawn ship is found once, within 1.5 px (the hysteresis can join a speckle pixel or two
  // to a 16 x 4 px hull, moving its rectangle's centre); the imaged area excludes the nodata strip.
  for (const auto& ship : s.ships) {
    int n = 0;
    double nearest = 1e9;
    for (const auto& g : a.detections) {
      const double d =
          std::hypot(g.detection.centroidPx.x - ship.x, g.detection.centroidPx.y - ship.y);
      nearest = std::min(nearest, d);
      if (d < 1.5) ++n;
    }
    INFO("ship at " << ship.x << ", " << ship.y << ": nearest detection " << nearest << " px");
    CHECK(n == 1);
  }
  CHECK(a.validAreaM2 == Approx(1004.0 * 1024 * 100.0).epsilon(1e-3));
  CHECK(a.waterSource == "scene-overview (low backscatter)");
  REQUIRE(!a.footprint.empty());
  fs::remove_all(dir);
}

TEST_CASE("detection runner: geotags are the pixel centre in WGS84 lon/lat", "[integration]") {
  const fs::path dir = fs::temp_directory_path() / "cw_test_detection_geotag";
  const SynthScene s = writeScene(dir, 512);
  const auto r = tiles::runDetection(sarShips(), request(s, 512, 1));
  REQUIRE(!r.detections.empty());
  OGRSpatialReference utm, wgs;
  utm.importFromEPSG(32633);
  wgs.SetWellKnownGeogCS("WGS84");
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  auto* t = OGRCreateCoordinateTransformation(&utm, &wgs);
  for (const auto& g : r.detections) {
    REQUIRE(g.geotagged);
    double x = 400000.0 + 10.0 * g.detection.centroidPx.x;
    double y = 5000000.0 - 10.0 * g.detection.centroidPx.y;
    REQUIRE(t->Transform(1, &x, &y));
    CHECK(g.lon == Approx(x).margin(1e-9));
    CHECK(g.lat == Approx(y).margin(1e-9));
    CHECK(g.lon > 12.0);  // lon first: UTM 33N near 400 km easting is ~13.7 E, 45 N
    CHECK(g.lon < 16.0);
    CHECK(g.lat > 44.0);
  }
  OGRCoordinateTransformation::DestroyCT(t);
  fs::remove_all(dir);
}
