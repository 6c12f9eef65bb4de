// Sentinel-2 SAFE and Landsat Collection 2 products, and the config's explicit scene time.
// The products are built here from simulator scenes, in the layout the real ones have, so the
// catalog's answer can be compared with the same pixels read as plain GeoTIFFs.
#include <catch2/catch.hpp>

#include <gdal_priv.h>
#include <gdal_utils.h>
#include <ogr_spatialref.h>

#include <vector>

#include "pipeline/catalog.hpp"
#include "pipeline/plan.hpp"
#include "tests/test_support.hpp"

using namespace cw::pipeline;
using cw::test::runCli;
using cw::test::TempDir;
using cw::test::writeText;
namespace fs = std::filesystem;

namespace {

const fs::path& simDir() {
  const fs::path& dir = cw::test::smallSimulation();
  REQUIRE(!dir.empty());
  return dir;
}

std::vector<fs::path> simScenes() {
  std::vector<fs::path> v;
  for (const auto& e : fs::directory_iterator(simDir() / "scenes")) v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

// gdal_translate with the given arguments; REQUIREs success.
void translate(const std::string& src, const std::string& dst, std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  GDALTranslateOptions* o = GDALTranslateOptionsNew(argv.data(), nullptr);
  GDALDatasetH in = GDALOpen(src.c_str(), GA_ReadOnly);
  REQUIRE(in);
  GDALDatasetH out = GDALTranslate(dst.c_str(), in, o, nullptr);
  GDALTranslateOptionsFree(o);
  REQUIRE(out);
  GDALClose(out);
  GDALClose(in);
}

std::vector<std::uint16_t> readBand(const std::string& path, int band, int* w = nullptr,
                                    int* h = nullptr) {
  GDALDataset* ds = GDALDataset::FromHandle(GDALOpen(path.c_str(), GA_ReadOnly));
  REQUIRE(ds);
  const int W = ds->GetRasterXSize(), H = ds->GetRasterYSize();
  std::vector<std::uint16_t> v(static_cast<size_t>(W) * H);
  REQUIRE(ds->GetRasterBand(band)->RasterIO(GF_Read, 0, 0, W, H, v.data(), W, H, GDT_UInt16, 0,
                                            0) == CE_None);
  GDALClose(ds);
  if (w) *w = W;
  if (h) *h = H;
  return v;
}

// Writes one band of values as a file through a MEM copy (JP2 has no Create()).
void writeBand(const std::string& path, const char* driver, const std::vector<std::uint16_t>& v,
               int w, int h, GDALDataType type, const std::string& like,
               std::vector<std::string> co) {
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  GDALDataset* m = mem->Create("", w, h, 1, type, nullptr);
  std::vector<std::uint16_t> copy = v;
  REQUIRE(m->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, w, h, copy.data(), w, h, GDT_UInt16, 0,
                                        0) == CE_None);
  GDALDataset* ref = GDALDataset::FromHandle(GDALOpen(like.c_str(), GA_ReadOnly));
  double gt[6];
  ref->GetGeoTransform(gt);
  m->SetGeoTransform(gt);
  m->SetProjection(ref->GetProjectionRef());
  GDALClose(ref);
  std::vector<char*> opts;
  for (auto& c : co) opts.push_back(c.data());
  opts.push_back(nullptr);
  GDALDataset* out = GetGDALDriverManager()->GetDriverByName(driver)->CreateCopy(
      path.c_str(), m, FALSE, opts.data(), nullptr, nullptr);
  REQUIRE(out);
  GDALClose(out);
  GDALClose(m);
}

std::string dateOf(const fs::path& scene) {
  return scene.stem().string().substr(6, 8);
}  // scene_YYYYMMDD

// A Sentinel-2 L2A SAFE holding the scene resampled to 10 m: B2, B3, B4, B8 as lossless JP2, and
// SCL at 20 m where the simulator's cloud band becomes class 9, nodata 0 and the rest class 4.
// The same 10 m pixels are also written as a plain GeoTIFF (`tenMetre`) for comparison.
fs::path makeSafe(const fs::path& scene, const fs::path& dir, const fs::path& tenMetre) {
  const std::string d = dateOf(scene);
  const std::string name = "S2A_MSIL2A_" + d + "T103000_N0509_R036_T35TLF_" + d + "T120000";
  const fs::path safe = dir / (name + ".SAFE");
  const std::string granule = "GRANULE/L2A_T35TLF_A000001_" + d + "T103000";
  fs::create_directories(safe / granule / "IMG_DATA" / "R10m");
  fs::create_directories(safe / granule / "IMG_DATA" / "R20m");
  translate(scene.string(), tenMetre.string(), {"-tr", "10", "10", "-r", "nearest"});
  const std::string s20 = (dir / (d + "_20m.tif")).string();
  translate(scene.string(), s20, {"-tr", "20", "20", "-r", "nearest"});
  int w = 0, h = 0, w20 = 0, h20 = 0;
  const char* bandNames[] = {"B02", "B03", "B04", "B08"};
  std::string files;
  for (int b = 1; b <= 4; ++b) {
    const auto v = readBand(tenMetre.string(), b, &w, &h);
    const std::string rel =
        granule + "/IMG_DATA/R10m/T35TLF_" + d + "T103000_" + bandNames[b - 1] + "_10m";
    writeBand((safe / (rel + ".jp2")).string(), "JP2OpenJPEG", v, w, h, GDT_UInt16,
              tenMetre.string(), {"QUALITY=100", "REVERSIBLE=YES"});
    files += "<IMAGE_FILE>" + rel + "</IMAGE_FILE>\n";
  }
  const auto blue20 = readBand(s20, 1, &w20, &h20);
  auto scl = readBand(s20, 5);
  for (size_t i = 0; i < scl.size(); ++i) scl[i] = blue20[i] == 0 ? 0 : scl[i] ? 9 : 4;
  const std::string sclRel = granule + "/IMG_DATA/R20m/T35TLF_" + d + "T103000_SCL_20m";
  writeBand((safe / (sclRel + ".jp2")).string(), "JP2OpenJPEG", scl, w20, h20, GDT_Byte, s20,
            {"QUALITY=100", "REVERSIBLE=YES"});
  files += "<IMAGE_FILE>" + sclRel + "</IMAGE_FILE>\n";
  // The other 20 m files a real L2A has, so GDAL's 20 m subdataset finds every tile it lists.
  for (const char* other : {"IMG_DATA/R20m/T35TLF_@_B05_20m", "IMG_DATA/R20m/T35TLF_@_B06_20m",
                            "IMG_DATA/R20m/T35TLF_@_B07_20m", "IMG_DATA/R20m/T35TLF_@_B8A_20m",
                            "IMG_DATA/R20m/T35TLF_@_B11_20m", "IMG_DATA/R20m/T35TLF_@_B12_20m",
                            "IMG_DATA/R20m/T35TLF_@_AOT_20m", "IMG_DATA/R20m/T35TLF_@_WVP_20m",
                            "QI_DATA/MSK_CLDPRB_20m", "QI_DATA/MSK_SNWPRB_20m"}) {
    std::string rel = granule + "/" + other;
    if (const auto at = rel.find('@'); at != std::string::npos) rel.replace(at, 1, d + "T103000");
    fs::create_directories((safe / rel).parent_path());
    fs::copy_file(safe / (sclRel + ".jp2"), safe / (rel + ".jp2"));
  }
  const std::string iso =
      d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2) + "T10:30:00.000Z";
  writeText(
      safe / "MTD_MSIL2A.xml",
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<n1:Level-2A_User_Product "
      "xmlns:n1=\"https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd\">\n"
      "<n1:General_Info><Product_Info>\n<PRODUCT_START_TIME>" +
          iso +
          "</PRODUCT_START_TIME>\n"
          "<PRODUCT_STOP_TIME>" +
          iso + "</PRODUCT_STOP_TIME>\n<PRODUCT_URI>" + name +
          ".SAFE</PRODUCT_URI>\n"
          "<PROCESSING_LEVEL>Level-2A</PROCESSING_LEVEL>\n<PRODUCT_TYPE>S2MSI2A</PRODUCT_TYPE>\n"
          "<PROCESSING_BASELINE>05.09</PROCESSING_BASELINE>\n"
          "<Datatake datatakeIdentifier=\"GS2A\"><SPACECRAFT_NAME>Sentinel-2A</SPACECRAFT_NAME>"
          "<DATATAKE_SENSING_START>" +
          iso +
          "</DATATAKE_SENSING_START></Datatake>\n"
          "<Query_Options "
          "completeSingleTile=\"true\"><PRODUCT_FORMAT>SAFE_COMPACT</PRODUCT_FORMAT></"
          "Query_Options>\n"
          "<Product_Organisation><Granule_List><Granule datastripIdentifier=\"DS\" "
          "granuleIdentifier=\"TL\" "
          "imageFormat=\"JPEG2000\">\n" +
          files +
          "</Granule></Granule_List></Product_Organisation>\n"
          "</Product_Info></n1:General_Info>\n</n1:Level-2A_User_Product>\n");
  double gt[6];
  GDALDataset* ref = GDALDataset::FromHandle(GDALOpen(tenMetre.c_str(), GA_ReadOnly));
  ref->GetGeoTransform(gt);
  GDALClose(ref);
  const std::string ulx = std::to_string(static_cast<long>(gt[0])),
                    uly = std::to_string(static_cast<long>(gt[3]));
  auto size = [](int res, int ww, int hh) {
    return "<Size resolution=\"" + std::to_string(res) + "\"><NROWS>" + std::to_string(hh) +
           "</NROWS><NCOLS>" + std::to_string(ww) + "</NCOLS></Size>\n";
  };
  auto pos = [&](int res) {
    return "<Geoposition resolution=\"" + std::to_string(res) + "\"><ULX>" + ulx + "</ULX><ULY>" +
           uly + "</ULY><XDIM>" + std::to_string(res) + "</XDIM><YDIM>-" + std::to_string(res) +
           "</YDIM></Geoposition>\n";
  };
  writeText(
      safe / granule / "MTD_TL.xml",
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<n1:Level-2A_Tile_ID "
      "xmlns:n1=\"https://psd-14.sentinel2.eo.esa.int/PSD/S2_PDI_Level-2A_Tile_Metadata.xsd\">\n"
      "<n1:General_Info><SENSING_TIME>" +
          iso +
          "</SENSING_TIME></n1:General_Info>\n"
          "<n1:Geometric_Info><Tile_Geocoding><HORIZONTAL_CS_NAME>WGS84 / UTM zone "
          "35N</HORIZONTAL_CS_NAME>"
          "<HORIZONTAL_CS_CODE>EPSG:32635</HORIZONTAL_CS_CODE>\n" +
          size(10, w, h) + size(20, w20, h20) + pos(10) + pos(20) +
          "</Tile_Geocoding></n1:Geometric_Info>\n</n1:Level-2A_Tile_ID>\n");
  fs::remove(s20);
  return safe;
}

// A Landsat 8 Collection 2 Level-2 product: per-band GeoTIFFs SR_B2..SR_B5 and QA_PIXEL with the
// bit patterns USGS writes (clear land 21824, cloud 22280 = bit 3 set, fill 1), and its MTL.txt.
fs::path makeLandsat(const fs::path& scene, const fs::path& dir) {
  const std::string d = dateOf(scene);
  const std::string id = "LC08_L2SP_181031_" + d + "_20250320_02_T1";
  fs::create_directories(dir / id);
  std::string names;
  for (int b = 1; b <= 4; ++b) {
    const std::string f = id + "_SR_B" + std::to_string(b + 1) + ".TIF";
    translate(scene.string(), (dir / id / f).string(),
              {"-b", std::to_string(b), "-a_nodata", "none"});
    names += "    FILE_NAME_BAND_" + std::to_string(b + 1) + " = \"" + f + "\"\n";
  }
  int w = 0, h = 0;
  const auto blue = readBand(scene.string(), 1, &w, &h);
  auto qa = readBand(scene.string(), 5);
  for (size_t i = 0; i < qa.size(); ++i) qa[i] = blue[i] == 0 ? 1 : qa[i] ? 22280 : 21824;
  writeBand((dir / id / (id + "_QA_PIXEL.TIF")).string(), "GTiff", qa, w, h, GDT_UInt16,
            scene.string(), {});
  const std::string iso = d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2);
  const fs::path mtl = dir / id / (id + "_MTL.txt");
  writeText(
      mtl,
      "GROUP = LANDSAT_METADATA_FILE\n  GROUP = PRODUCT_CONTENTS\n    LANDSAT_PRODUCT_ID = \"" +
          id + "\"\n" + names + "    FILE_NAME_QUALITY_L1_PIXEL = \"" + id +
          "_QA_PIXEL.TIF\"\n  END_GROUP = PRODUCT_CONTENTS\n  GROUP = IMAGE_ATTRIBUTES\n"
          "    SPACECRAFT_ID = \"LANDSAT_8\"\n    DATE_ACQUIRED = " +
          iso +
          "\n    SCENE_CENTER_TIME = \"10:30:00.1234560Z\"\n  END_GROUP = IMAGE_ATTRIBUTES\n"
          "END_GROUP = LANDSAT_METADATA_FILE\nEND\n");
  return mtl;
}

// The simulator's config with its scene source replaced.
fs::path configWith(const fs::path& dir, const std::string& source) {
  std::string yaml = cw::test::readText(simDir() / "config.yaml");
  const auto pos = yaml.find("  - folder: scenes");
  REQUIRE(pos != std::string::npos);
  yaml = yaml.substr(0, pos) + source + yaml.substr(yaml.find("sensor:"));
  fs::copy_file(simDir() / "declarations.csv", dir / "declarations.csv",
                fs::copy_options::overwrite_existing);
  writeText(dir / "config.yaml", yaml);
  return dir / "config.yaml";
}

}  // namespace

TEST_CASE(
    "products: Sentinel-2 L2A SAFE folders plan like the same pixels as GeoTIFFs, SCL as cloud",
    "[integration]") {
  TempDir d("cwsafe");
  fs::create_directories(d / "tif10");
  std::vector<fs::path> safes;
  for (const auto& s : simScenes())
    safes.push_back(makeSafe(s, d.path(), d / "tif10" / s.filename().string()));

  const Plan p =
      makePlan(loadConfig(configWith(d.path(), "  - folder: .\n    glob: \"*.SAFE\"\n")));
  std::string skipped;
  for (const auto& s : p.catalog.skipped) skipped += s.path + ": " + s.reason + "\n";
  INFO(skipped);
  REQUIRE(p.catalog.scenes.size() == 3);
  const Scene& s0 = p.catalog.scenes[0];
  CHECK(s0.id == safes[0].stem().string());
  CHECK(s0.timeSource == "metadata");
  CHECK(formatIsoTime(s0.time) == "2025-03-01T10:30:00Z");
  CHECK(s0.bands.at("blue") == 1);
  CHECK(s0.bands.at("nir") == 4);
  CHECK(s0.cloudBand == 5);
  CHECK(s0.pixelSizeM == Approx(10.0));
  // Provenance hashes the JP2s and the metadata the driver read.
  CHECK(s0.files.size() == 7);  // MTD_MSIL2A.xml, MTD_TL.xml, 4 bands, SCL
  for (const auto& f : s0.files) CHECK(fs::is_regular_file(f));

  // Pixels: B2 through the product equals the 10 m GeoTIFF; cloud = SCL class 9, upsampled ×2.
  // The third date is the one with clouds.
  const auto tif = simScenes()[2];
  const Scene& s2 = p.catalog.scenes[2];
  CHECK(readBand(s2.dataset, 1) == readBand((d / "tif10" / tif.filename()).string(), 1));
  const auto cloud = readBand(s2.dataset, 5);
  const auto tenCloud = readBand((d / "tif10" / tif.filename()).string(), 5);
  const long clouds = std::count(cloud.begin(), cloud.end(), 1);
  const long expected =
      std::count_if(tenCloud.begin(), tenCloud.end(), [](auto v) { return v != 0; });
  CHECK(clouds > 0);
  CHECK(std::abs(clouds - expected) < 0.1 * expected);  // 20 m SCL vs 10 m cloud band

  const Plan ref = makePlan(loadConfig(configWith(d.path(), "  - folder: tif10\n")));
  REQUIRE(ref.jobs.size() == p.jobs.size());
  for (size_t a = 0; a < p.aois.size(); ++a) {
    CHECK(p.aois[a].grid.sameGrid(ref.aois[a].grid));
    for (size_t k = 0; k < p.aois[a].coverage.size(); ++k) {
      CHECK(p.aois[a].coverage[k].valid == Approx(ref.aois[a].coverage[k].valid).margin(0.03));
    }
  }
  // The zip as downloaded opens the same way.
  REQUIRE(cw::test::run("cd " + d.path().string() + " && zip -qr " + safes[1].stem().string() +
                        ".zip " + safes[1].filename().string())
              .exitCode == 0);
  const Plan z =
      makePlan(loadConfig(configWith(d.path(), "  - folder: .\n    glob: \"S2A_*.zip\"\n")));
  REQUIRE(z.catalog.scenes.size() == 1);
  CHECK(z.catalog.scenes[0].id == safes[1].stem().string());
  CHECK(z.catalog.scenes[0].files ==
        std::vector<fs::path>{d / (safes[1].stem().string() + ".zip")});
}

TEST_CASE(
    "products: Landsat Collection 2 MTL products plan exactly like the GeoTIFFs, QA_PIXEL as cloud",
    "[integration]") {
  TempDir d("cwlandsat");
  std::vector<fs::path> mtls;
  for (const auto& s : simScenes()) mtls.push_back(makeLandsat(s, d.path()));
  // One folder per product, as USGS delivers them; the glob reaches one level down.
  const Plan p =
      makePlan(loadConfig(configWith(d.path(), "  - folder: .\n    glob: \"*/*_MTL.txt\"\n")));
  std::string skipped;
  for (const auto& s : p.catalog.skipped) skipped += s.path + ": " + s.reason + "\n";
  INFO(skipped);
  REQUIRE(p.catalog.scenes.size() == 3);
  const Scene& s0 = p.catalog.scenes[0];
  CHECK(s0.id == "LC08_L2SP_181031_20250301_20250320_02_T1");
  CHECK(s0.timeSource == "metadata");
  CHECK(formatIsoTime(s0.time) == "2025-03-01T10:30:00Z");
  CHECK(s0.bands.at("blue") == 1);
  CHECK(s0.bands.at("nir") == 4);
  CHECK(s0.cloudBand == 5);
  CHECK(s0.nodata == 0.0);
  CHECK(s0.files.size() == 6);  // 4 bands, QA_PIXEL, MTL

  // QA_PIXEL decodes to exactly the simulator's cloud band, high confidence bits notwithstanding
  // (the third date is the one with clouds).
  const auto cloud = readBand(p.catalog.scenes[2].dataset, 5);
  const auto truth = readBand(simScenes()[2].string(), 5);
  REQUIRE(cloud.size() == truth.size());
  long mismatches = 0;
  for (size_t i = 0; i < cloud.size(); ++i) mismatches += (cloud[i] != 0) != (truth[i] != 0);
  CHECK(std::count(cloud.begin(), cloud.end(), 1) > 10000);
  CHECK(mismatches == 0);

  const Plan ref = makePlan(loadConfig(simDir() / "config.yaml"));
  REQUIRE(ref.jobs.size() == p.jobs.size());
  for (size_t a = 0; a < p.aois.size(); ++a) {
    CHECK(p.aois[a].grid.sameGrid(ref.aois[a].grid));
    for (size_t k = 0; k < p.aois[a].coverage.size(); ++k) {
      CHECK(p.aois[a].coverage[k].valid == Approx(ref.aois[a].coverage[k].valid).margin(1e-9));
      CHECK(p.aois[a].coverage[k].imaged == Approx(ref.aois[a].coverage[k].imaged).margin(1e-9));
    }
  }
}

TEST_CASE("products: a Landsat MTL naming a missing band file is skipped naming the file",
          "[unit]") {
  TempDir d("cwlandsat2");
  const fs::path mtl = makeLandsat(simScenes()[0], d.path());
  fs::remove(mtl.parent_path() / "LC08_L2SP_181031_20250301_20250320_02_T1_SR_B4.TIF");
  const Catalog cat =
      buildCatalog(loadConfig(configWith(d.path(), "  - files: [" + mtl.string() + "]\n")));
  CHECK(cat.scenes.empty());
  REQUIRE(cat.skipped.size() == 1);
  CHECK_THAT(cat.skipped[0].reason,
             Catch::Contains("SR_B4.TIF") && Catch::Contains("no such file"));
}

TEST_CASE("products: the config's scene time is the last resort, and its absence is named",
          "[unit]") {
  TempDir d("cwtime");
  // A georeferenced raster with no time in its metadata or its name.
  GDALDataset* ds = GetGDALDriverManager()->GetDriverByName("GTiff")->Create(
      (d / "plain.tif").c_str(), 64, 64, 4, GDT_UInt16, nullptr);
  double gt[6] = {666000, 3, 0, 4543000, 0, -3};
  ds->SetGeoTransform(gt);
  OGRSpatialReference srs;
  srs.importFromEPSG(32635);
  ds->SetSpatialRef(&srs);
  for (int b = 1; b <= 4; ++b) ds->GetRasterBand(b)->Fill(100 * b);
  GDALClose(ds);
  const std::string head = "window: {start: 2025-01-01, end: 2025-12-31}\n";
  const std::string aoi = "aois: [{id: a, bbox: [29.0, 41.0, 29.01, 41.01]}]\n";
  writeText(d / "c.yaml",
            head + "scenes: [{files: [plain.tif], time: 2025-03-02T09:15:00Z}]\n" + aoi);
  Catalog cat = buildCatalog(loadConfig(d / "c.yaml"));
  REQUIRE(cat.scenes.size() == 1);
  CHECK(cat.scenes[0].timeSource == "config");
  CHECK(formatIsoTime(cat.scenes[0].time) == "2025-03-02T09:15:00Z");

  writeText(d / "c2.yaml", head + "scenes: [{files: [plain.tif]}]\n" + aoi);
  cat = buildCatalog(loadConfig(d / "c2.yaml"));
  REQUIRE(cat.skipped.size() == 1);
  CHECK_THAT(cat.skipped[0].reason, Catch::Contains("has no acquisition time") &&
                                        Catch::Contains("no scenes[].time in the config"));

  writeText(d / "c3.yaml", head + "scenes: [{files: [plain.tif], time: yesterday}]\n" + aoi);
  CHECK_THROWS_WITH(loadConfig(d / "c3.yaml"),
                    Catch::Contains("c3.yaml:2:") && Catch::Contains("scenes[0].time"));
}
