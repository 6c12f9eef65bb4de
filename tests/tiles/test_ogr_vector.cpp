// The one OGR helper (tiles/ogr_vector.hpp): polygonizeMask traces the 4-connected polygons of a
// mask with their exact areas; writeGeoJson writes RFC 7946 files that read back through OGR in
// longitude, latitude order with the fields in the order given, and on failure throws naming the
// final path and leaves no temp file beside it.
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "tests/test_support.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/ogr_vector.hpp"

namespace fs = std::filesystem;
using namespace cw;

namespace {

// 10 m pixels, upper-left corner at (500000, 5000000) in some projected CRS.
const std::array<double, 6> kGeoTransform{500000.0, 10.0, 0.0, 5000000.0, 0.0, -10.0};

// Sorted areas (m²) of the polygons of `layer`, and how many interior rings they have in all.
std::vector<double> areasOf(OGRLayer& layer, int& holes) {
  std::vector<double> areas;
  holes = 0;
  layer.ResetReading();
  for (auto& f : layer) {
    const OGRPolygon* p = f->GetGeometryRef()->toPolygon();
    areas.push_back(p->get_Area());
    holes += p->getNumInteriorRings();
  }
  std::sort(areas.begin(), areas.end());
  return areas;
}

std::string readText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> filesIn(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Two points, 9 decimals in, and the fields a caller would use.
const tiles::GeoJsonLayout kPointsLayout{.layerName = "points",
                                         .geometryType = wkbPoint,
                                         .fields = {{"id", OFTString},
                                                    {"kind", OFTString},
                                                    {"count", OFTInteger64},
                                                    {"flag", OFTInteger, OFSTBoolean}},
                                         .writeName = false,
                                         .coordinatePrecision = 7,
                                         .idField = "id"};

void addPoints(tiles::GeoJsonLayer& out) {
  const struct {
    const char* id;
    const char* kind;
    long long count;
    int flag;
    double lon, lat;
  } points[] = {{"p1", "ship", 3, 1, 13.405012345, 52.520008123},
                {"p2", "tank", 7, 0, -70.123456789, -33.456789012}};
  for (const auto& p : points) {
    OGRFeature f(out.definition());
    f.SetField("id", p.id);
    f.SetField("kind", p.kind);
    f.SetField("count", static_cast<GIntBig>(p.count));
    f.SetField("flag", p.flag);
    OGRPoint pt(p.lon, p.lat);
    f.SetGeometry(&pt);
    out.add(f);
  }
}

}  // namespace

TEST_CASE("polygonizeMask: a byte mask gives its 4-connected polygons with exact areas", "[unit]") {
  // 20 x 10 pixels: a 4 x 3 block (12 px), a 5 x 5 block with its centre pixel out (24 px, one
  // hole), and two pixels that touch only at a corner (two polygons under 4-connectivity).
  const int w = 20, h = 10;
  std::vector<std::uint8_t> mask(w * h, 0);
  auto set = [&](int x, int y, std::uint8_t v) { mask[static_cast<size_t>(y) * w + x] = v; };
  for (int y = 1; y <= 3; ++y)
    for (int x = 1; x <= 4; ++x) set(x, y, 1);
  for (int y = 2; y <= 6; ++y)
    for (int x = 10; x <= 14; ++x) set(x, y, 255);
  set(12, 4, 0);
  set(7, 8, 1);
  set(8, 9, 1);

  const tiles::PolygonLayer traced =
      tiles::polygonizeMask(mask.data(), w, h, kGeoTransform, nullptr, "test trace");
  int holes = 0;
  const std::vector<double> areas = areasOf(traced.layer(), holes);
  // Exact: pixel edges on a 10 m grid, so no tolerance beyond rounding.
  REQUIRE(areas.size() == 4);
  CHECK(areas[0] == Approx(100.0).margin(1e-6));
  CHECK(areas[1] == Approx(100.0).margin(1e-6));
  CHECK(areas[2] == Approx(1200.0).margin(1e-6));
  CHECK(areas[3] == Approx(2400.0).margin(1e-6));
  CHECK(holes == 1);

  // The 4 x 3 block in georeferenced coordinates: x 500010..500050, y 4999960..4999990.
  traced.layer().ResetReading();
  bool found = false;
  for (auto& f : traced.layer()) {
    if (std::abs(f->GetGeometryRef()->toPolygon()->get_Area() - 1200.0) > 1e-6) continue;
    OGREnvelope e;
    f->GetGeometryRef()->getEnvelope(&e);
    CHECK(e.MinX == Approx(500010.0));
    CHECK(e.MaxX == Approx(500050.0));
    CHECK(e.MinY == Approx(4999960.0));
    CHECK(e.MaxY == Approx(4999990.0));
    CHECK(f->GetFieldAsInteger("value") == 1);
    found = true;
  }
  CHECK(found);
}

TEST_CASE("polygonizeMask: values where a separate mask band is set, one polygon per value",
          "[unit]") {
  // Band 1: value 3 on the left half, 5 on the right; band 2 (the mask) only on rows 0..1.
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  tiles::GdalDataset ds(mem->Create("", 8, 4, 2, GDT_Byte, nullptr));
  std::vector<std::uint8_t> values(32), valid(32, 0);
  for (int i = 0; i < 32; ++i) values[i] = (i % 8) < 4 ? 3 : 5;
  std::fill(valid.begin(), valid.begin() + 16, 1);
  REQUIRE(ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, 8, 4, values.data(), 8, 4, GDT_Byte, 0, 0,
                                         nullptr) == CE_None);
  REQUIRE(ds->GetRasterBand(2)->RasterIO(GF_Write, 0, 0, 8, 4, valid.data(), 8, 4, GDT_Byte, 0, 0,
                                         nullptr) == CE_None);
  OGRSpatialReference srs;
  srs.importFromEPSG(32633);
  const tiles::PolygonLayer traced =
      tiles::polygonizeMask(*ds->GetRasterBand(1), *ds->GetRasterBand(2), &srs, "test trace");
  REQUIRE(traced.layer().GetSpatialRef());
  CHECK(std::string(traced.layer().GetSpatialRef()->GetAuthorityCode(nullptr)) == "32633");
  std::vector<std::pair<int, double>> got;  // (value, area in pixels: no geotransform)
  traced.layer().ResetReading();
  for (auto& f : traced.layer()) {
    got.emplace_back(f->GetFieldAsInteger("value"), f->GetGeometryRef()->toPolygon()->get_Area());
  }
  std::sort(got.begin(), got.end());
  REQUIRE(got.size() == 2);
  CHECK(got[0].first == 3);
  CHECK(got[0].second == Approx(8.0));  // 4 x 2 pixels
  CHECK(got[1].first == 5);
  CHECK(got[1].second == Approx(8.0));
}

TEST_CASE("writeGeoJson: RFC 7946 points read back in lon, lat order with the fields in order",
          "[unit]") {
  test::TempDir dir("cw-ogr-vector");
  const fs::path path = dir / "points.geojson";
  tiles::writeGeoJson(path, kPointsLayout, addPoints);

  CHECK(filesIn(dir.path()) == std::vector<std::string>{"points.geojson"});  // no temp left
  const std::string text = readText(path);
  // COORDINATE_PRECISION=7, longitude first; WRITE_NAME=NO; ID_FIELD makes a top-level id.
  CHECK(text.find("13.4050123, 52.5200081") != std::string::npos);
  CHECK(text.find("-70.1234568, -33.456789") != std::string::npos);
  CHECK(text.find("13.40501234") == std::string::npos);
  CHECK(text.find("\"name\"") == std::string::npos);
  CHECK(text.find("\"id\": \"p1\"") != std::string::npos);
  CHECK(text.find("\"flag\": true") != std::string::npos);

  tiles::GdalDataset ds = tiles::openVector(path.string());
  OGRLayer* layer = ds->GetLayer(0);
  REQUIRE(layer);
  OGRFeatureDefn* defn = layer->GetLayerDefn();
  // ID_FIELD's field is the feature id, read back first; then the others in the order given.
  REQUIRE(defn->GetFieldCount() == 4);
  CHECK(std::string(defn->GetFieldDefn(0)->GetNameRef()) == "id");
  CHECK(std::string(defn->GetFieldDefn(1)->GetNameRef()) == "kind");
  CHECK(std::string(defn->GetFieldDefn(2)->GetNameRef()) == "count");
  CHECK(defn->GetFieldDefn(2)->GetType() == OFTInteger);  // small values read back as Integer
  CHECK(std::string(defn->GetFieldDefn(3)->GetNameRef()) == "flag");
  CHECK(defn->GetFieldDefn(3)->GetSubType() == OFSTBoolean);
  REQUIRE(layer->GetFeatureCount() == 2);
  layer->ResetReading();
  std::unique_ptr<OGRFeature> f1(layer->GetNextFeature());
  std::unique_ptr<OGRFeature> f2(layer->GetNextFeature());
  CHECK(std::string(f1->GetFieldAsString("kind")) == "ship");
  CHECK(f1->GetFieldAsInteger64("count") == 3);
  const OGRPoint* p1 = f1->GetGeometryRef()->toPoint();
  CHECK(p1->getX() == Approx(13.4050123).margin(1e-9));  // x = longitude
  CHECK(p1->getY() == Approx(52.5200081).margin(1e-9));  // y = latitude
  CHECK(std::string(f2->GetFieldAsString("kind")) == "tank");
  CHECK(f2->GetGeometryRef()->toPoint()->getX() == Approx(-70.1234568).margin(1e-9));
}

TEST_CASE("writeGeoJson: a path it cannot write throws naming the path and leaves no temp file",
          "[unit]") {
  test::TempDir dir("cw-ogr-vector");

  SECTION("the final name is a directory: the rename fails after the temp file was written") {
    const fs::path path = dir / "taken.geojson";
    fs::create_directory(path);
    CHECK_THROWS_WITH(tiles::writeGeoJson(path, kPointsLayout, addPoints),
                      Catch::StartsWith(path.string() + ": rename failed"));
    CHECK(filesIn(dir.path()) == std::vector<std::string>{"taken.geojson"});
  }
  SECTION("the folder does not exist: the file cannot be created") {
    const fs::path path = dir / "missing" / "points.geojson";
    CHECK_THROWS_WITH(tiles::writeGeoJson(path, kPointsLayout, addPoints),
                      Catch::StartsWith(path.string() + ": cannot create"));
    CHECK(filesIn(dir.path()).empty());
  }
  SECTION("the caller's features fail: the error passes through, the temp file is removed") {
    const fs::path path = dir / "points.geojson";
    CHECK_THROWS_WITH(tiles::writeGeoJson(path, kPointsLayout,
                                          [](tiles::GeoJsonLayer& out) {
                                            addPoints(out);
                                            throw Error("no more points");
                                          }),
                      "no more points");
    CHECK(filesIn(dir.path()).empty());
  }
}
