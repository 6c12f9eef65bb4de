// Evidence files of one job: GeoJSON, chips, HDF5 product, STAC item, and their determinism.
#include <H5Fpublic.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>

#include "core/sha256.hpp"
#include "evidence/evidence_ids.hpp"
#include "evidence/stac.hpp"
#include "evidence_fixture.hpp"

using namespace cw::evidence;
using namespace cw::evidence::test;

TEST_CASE("sha256 of a string and of a file match the FIPS 180-4 test vector", "[unit]") {
  const std::string abc = "abc";
  const std::string want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  CHECK(cw::sha256Hex(abc) == want);
  const fs::path d = freshDir("sha");
  std::ofstream(d / "abc.txt", std::ios::binary) << abc;
  CHECK(cw::sha256File(d / "abc.txt") == want);
  CHECK_THROWS_WITH(cw::sha256File(d / "nope"), Catch::Contains("nope: cannot read"));
}

TEST_CASE("evidence ids are content-derived and independent of input order", "[unit]") {
  const fs::path d = freshDir("ids");
  JobFixture a = makeJob(d / "a");
  JobEvidence b = a.ev;
  std::reverse(b.detections.begin(), b.detections.end());
  assignEvidenceIds(a.ev);
  assignEvidenceIds(b);
  REQUIRE(a.ev.detections.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(a.ev.detections[i].id == b.detections[i].id);
  CHECK(a.ev.changes[0].id.rfind("port-a-change-", 0) == 0);
  CHECK(a.ev.detections[0].id.rfind("port-a-ships-", 0) == 0);
  // Same place in the two scenes: different ids (the scene is part of the key).
  CHECK(a.ev.detections[0].id != a.ev.detections[1].id);
}

TEST_CASE("evidence.geojson is RFC 7946 in lon,lat inside the AOI and opens with ogrinfo",
          "[integration]") {
  const fs::path d = freshDir("geojson");
  JobFixture f = makeJob(d / "out");
  const ChipIndex chips = writeJobEvidence(f.jobDir, f.ev, f.src);
  const fs::path gj = f.jobDir / "evidence.geojson";
  REQUIRE(fs::exists(gj));
  REQUIRE(fs::exists(f.jobDir / "detections.geojson"));

  // The AOI's lon/lat bbox: grid edges are not parallel to meridians, so take all four corners.
  double west = 180, east = -180, south = 90, north = -90;
  for (const auto& [x, y] : {std::pair{0, 0}, {200, 0}, {0, 160}, {200, 160}}) {
    const LonLat c = pixelToLonLat(f.ev.info.grid, x, y);
    west = std::min(west, c[0]), east = std::max(east, c[0]);
    south = std::min(south, c[1]), north = std::max(north, c[1]);
  }
  GDALDatasetUniquePtr ds(GDALDataset::Open(gj.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  REQUIRE(ds);
  OGRLayer* layer = ds->GetLayer(0);
  REQUIRE(layer->GetFeatureCount() == 6);  // 2 footprints, 1 change, 3 detections
  int detections = 0;
  for (auto& feat : *layer) {
    const std::string type = feat->GetFieldAsString("feature_type");
    CHECK(std::string(feat->GetFieldAsString("aoi")) == "port-a");
    CHECK(std::string(feat->GetFieldAsString("before_scene")) == "S1");
    OGREnvelope env;
    feat->GetGeometryRef()->getEnvelope(&env);
    // lon first: UTM 33N at 500 km easting is at 15 E, and the grid is near 54 N.
    CHECK(env.MinX >= west - 1e-6);
    CHECK(env.MaxX <= east + 1e-6);
    CHECK(env.MinY >= south - 1e-6);
    CHECK(env.MaxY <= north + 1e-6);
    CHECK(env.MinX == Approx(15.0).margin(0.1));
    CHECK(env.MinY == Approx(54.1).margin(0.1));
    if (type == "detection") {
      ++detections;
      CHECK(std::string(feat->GetFieldAsString("kind")) == "ships");
      CHECK(feat->GetFieldAsDouble("length_m") == 90.0);
      CHECK(std::string(feat->GetFieldAsString("chip_before")).rfind("chips/port-a-ships-", 0) ==
            0);
    }
    if (type == "change") {
      CHECK(feat->GetFieldAsDouble("area_m2") == 90000.0);
      CHECK(std::string(feat->GetFieldAsString("method")) == "cva");
    }
  }
  CHECK(detections == 3);

  // RFC 7946: no "crs" member, top-level string ids, times as written.
  const nlohmann::json j = nlohmann::json::parse(readBytes(gj));
  CHECK_FALSE(j.contains("crs"));
  CHECK_FALSE(j.contains("name"));
  for (const auto& feat : j["features"]) {
    REQUIRE(feat["id"].is_string());
    CHECK(feat["id"].get<std::string>().rfind("port-a-", 0) == 0);
    CHECK(feat["properties"]["after_time"] == "2024-03-11T10:00:00Z");
  }
  const std::string text = readBytes(gj);
  CHECK(text.find("15.0000000000") == std::string::npos);
  CHECK(chips.size() == 4);

  const std::string cmd =
      "ogrinfo -ro -al -so '" + gj.string() + "' > '" + (d / "ogrinfo.txt").string() + "' 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  CHECK(readBytes(d / "ogrinfo.txt").find("Feature Count: 6") != std::string::npos);
}

namespace {
std::vector<unsigned char> readPng(const fs::path& p, int& w, int& h, int& bands) {
  GDALDatasetUniquePtr ds(GDALDataset::Open(p.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  REQUIRE(ds);
  REQUIRE(std::string(ds->GetDriver()->GetDescription()) == "PNG");
  w = ds->GetRasterXSize(), h = ds->GetRasterYSize(), bands = ds->GetRasterCount();
  std::vector<unsigned char> buf(static_cast<size_t>(w) * h * bands);
  REQUIRE(ds->RasterIO(GF_Read, 0, 0, w, h, buf.data(), w, h, GDT_Byte, bands, nullptr, 0, 0, 0,
                       nullptr) == CE_None);
  return buf;
}
}  // namespace

TEST_CASE("chips: same stretch on both dates, outline on the mask chip", "[integration]") {
  const fs::path d = freshDir("chips");
  JobFixture f = makeJob(d / "out");
  const ChipIndex chips = writeJobEvidence(f.jobDir, f.ev, f.src);
  const auto& change = f.ev.changes.at(0);
  REQUIRE(chips.count(change.id));
  const ChipPaths& c = chips.at(change.id);
  int w = 0, h = 0, b = 0;
  const auto before = readPng(f.jobDir / c.before, w, h, b);
  CHECK(b == 3);
  CHECK(w >= 96);
  CHECK(h >= 96);
  int w2 = 0, h2 = 0, b2 = 0;
  const auto after = readPng(f.jobDir / c.after, w2, h2, b2);
  REQUIRE((w2 == w && h2 == h && b2 == b));
  // Outside the changed block the two scenes are identical, so with one shared stretch the chips
  // are identical there; inside it they differ.
  size_t same = 0, differ = 0;
  for (size_t i = 0; i < before.size(); ++i) (before[i] == after[i] ? same : differ)++;
  CHECK(differ > 0);
  CHECK(same > before.size() / 2);
  const auto mask = readPng(f.jobDir / c.mask, w2, h2, b2);
  REQUIRE(b2 == 3);
  size_t red = 0;
  const size_t plane = static_cast<size_t>(w2) * h2;
  for (size_t i = 0; i < plane; ++i)
    if (mask[i] == 255 && mask[plane + i] == 0 && mask[2 * plane + i] == 0) ++red;
  CHECK(red >= 4 * (kBlockSide - 2));  // the block's outline
  CHECK_FALSE(fs::exists(f.jobDir / (c.before + ".aux.xml")));
}

TEST_CASE("product.h5 opens through GDAL's HDF5 driver with score and mask on y, x",
          "[integration]") {
  const fs::path d = freshDir("h5");
  JobFixture f = makeJob(d / "out");
  writeJobEvidence(f.jobDir, f.ev, f.src);
  const fs::path h5 = f.jobDir / "product.h5";
  REQUIRE(fs::exists(h5));
  // No HDF5 file is left open, so the product was complete when it was renamed into place.
  // (Datatype ids are not counted: the C++ API keeps its predefined types open for good.)
  CHECK(H5Fget_obj_count(H5F_OBJ_ALL,
                         H5F_OBJ_FILE | H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_ATTR) == 0);
  // GDAL's HDF5 driver serves subdatasets through its HDF5Image companion driver.
  const char* const hdf5Only[] = {"HDF5", "HDF5Image", nullptr};
  {
    GDALDatasetUniquePtr ds(
        GDALDataset::Open(h5.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, hdf5Only));
    REQUIRE(ds);
    char** sub = ds->GetMetadata("SUBDATASETS");
    std::string all;
    for (char** s = sub; s && *s; ++s) all += std::string(*s) + "\n";
    CHECK(all.find("//score") != std::string::npos);
    CHECK(all.find("//mask") != std::string::npos);
  }
  const std::string scoreName = "HDF5:\"" + h5.string() + "\"://score";
  GDALDatasetUniquePtr score(
      GDALDataset::Open(scoreName.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, hdf5Only));
  REQUIRE(score);
  CHECK(score->GetRasterXSize() == 200);
  CHECK(score->GetRasterYSize() == 160);
  float v = 0;
  REQUIRE(score->GetRasterBand(1)->RasterIO(GF_Read, kBlockX + 1, kBlockY + 1, 1, 1, &v, 1, 1,
                                            GDT_Float32, 0, 0) == CE_None);
  CHECK(v == Approx(0.9f));
  REQUIRE(score->GetRasterBand(1)->RasterIO(GF_Read, 3, 155, 1, 1, &v, 1, 1, GDT_Float32, 0, 0) ==
          CE_None);
  CHECK(std::isnan(v));

  // Dimension names through GDAL's multidimensional API (same HDF5 driver).
  GDALDatasetUniquePtr md(GDALDataset::Open(h5.c_str(), GDAL_OF_MULTIDIM_RASTER, hdf5Only));
  REQUIRE(md);
  auto root = md->GetRootGroup();
  REQUIRE(root);
  for (const char* name : {"score", "mask"}) {
    auto arr = root->OpenMDArray(name);
    REQUIRE(arr);
    const auto& dims = arr->GetDimensions();
    REQUIRE(dims.size() == 2);
    CHECK(dims[0]->GetName() == "y");
    CHECK(dims[1]->GetName() == "x");
  }
  auto conv = root->GetAttribute("Conventions");
  REQUIRE(conv);
  CHECK(std::string(conv->ReadAsString()) == "CF-1.8");
  auto x = root->OpenMDArray("x");
  REQUIRE(x);
  double x0 = 0;
  const GUInt64 start[1] = {0};
  const size_t count[1] = {1};
  REQUIRE(x->Read(start, count, nullptr, nullptr, GDALExtendedDataType::Create(GDT_Float64), &x0));
  CHECK(x0 == 500005.0);  // pixel centre

  // Kept for the ctest xarray check (tests/CMakeLists.txt), which names the copy in
  // CW_XARRAY_PRODUCT; a direct run of this test leaves nothing behind.
  if (const char* keep = std::getenv("CW_XARRAY_PRODUCT"); keep && *keep) {
    fs::copy_file(h5, keep, fs::copy_options::overwrite_existing);
  }

  // xarray through h5netcdf, when this machine's system Python has it (scripts/test.sh always
  // runs the same script).
  if (std::system("/usr/bin/python3 -c 'import xarray, h5netcdf' >/dev/null 2>&1") != 0) {
    WARN("python3-xarray/python3-h5netcdf not installed: xarray check skipped");
    return;
  }
  const std::string cmd = std::string("/usr/bin/python3 ") + CW_SOURCE_DIR +
                          "/scripts/check_h5_xarray.py '" + h5.string() + "'";
  CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("item.json is a STAC 1.0.0 Item with projection, processing and file checksums",
          "[integration]") {
  const fs::path d = freshDir("stac");
  JobFixture f = makeJob(d / "out");
  writeJobEvidence(f.jobDir, f.ev, f.src);
  const nlohmann::json item = nlohmann::json::parse(readBytes(f.jobDir / "item.json"));
  CHECK(item["type"] == "Feature");
  CHECK(item["stac_version"] == "1.0.0");
  CHECK(item["id"] == "port-a_S1_S2");
  CHECK(item["geometry"]["type"] == "Polygon");
  REQUIRE(item["bbox"].size() == 4);
  CHECK(item["bbox"][0].get<double>() == Approx(15.0).margin(0.05));
  const auto& p = item["properties"];
  CHECK(p["datetime"].is_null());
  CHECK(p["start_datetime"] == "2024-03-01T10:00:00Z");
  CHECK(p["end_datetime"] == "2024-03-11T10:00:00Z");
  CHECK(p["proj:epsg"] == 32633);
  CHECK(p["proj:shape"] == nlohmann::json::array({160, 200}));
  CHECK(p["proj:transform"][0] == 10.0);
  CHECK(p["proj:transform"][2] == 500000.0);
  CHECK(p["processing:software"].contains("changewatch"));
  CHECK(p["processing:lineage"].get<std::string>().find("cva") != std::string::npos);
  int derived = 0;
  for (const auto& l : item["links"])
    if (l["rel"] == "derived_from") ++derived;
  CHECK(derived == 2);
  for (const char* key : {"score", "mask", "product", "evidence", "detections"}) {
    INFO(key);
    REQUIRE(item["assets"].contains(key));
    const auto& a = item["assets"][key];
    CHECK(!a["roles"].empty());
    const std::string href = a["href"];
    CHECK(a["file:checksum"] == "1220" + cw::sha256File(f.jobDir / href.substr(2)));
  }
}

TEST_CASE("the same evidence written twice, in any input order, gives byte-identical files",
          "[integration]") {
  const fs::path d = freshDir("determinism");
  JobFixture f = makeJob(d / "out");
  JobEvidence first = f.ev;
  writeJobEvidence(f.jobDir, first, f.src);
  std::map<std::string, std::string> hashes;
  for (const auto& e : fs::recursive_directory_iterator(f.jobDir))
    if (e.is_regular_file()) hashes[e.path().string()] = cw::sha256File(e.path());
  REQUIRE(hashes.size() >= 12 + 6);

  JobEvidence second = f.ev;
  std::mt19937 rng(7);
  std::shuffle(second.detections.begin(), second.detections.end(), rng);
  std::reverse(second.footprints.begin(), second.footprints.end());
  writeJobEvidence(f.jobDir, second, f.src);
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(f.jobDir))
    if (e.is_regular_file()) {
      INFO(e.path().string());
      CHECK(hashes.at(e.path().string()) == cw::sha256File(e.path()));
      ++n;
    }
  CHECK(n == hashes.size());
}
