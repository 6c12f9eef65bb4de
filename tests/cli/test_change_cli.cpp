// `changewatch change` as a whole process: real pairs scored against their ground truth, and the
// error text for bad inputs.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <opencv2/core.hpp>

namespace fs = std::filesystem;

namespace {

struct Proc {
  int code = -1;
  std::string out;  // stdout + stderr
};

Proc runCw(const std::string& args) {
  Proc p;
  const std::string cmd = std::string(CW_BINARY) + " " + args + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  REQUIRE(f);
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), buf.size(), f)) p.out += buf.data();
  const int st = pclose(f);
  p.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return p;
}

fs::path scratch(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("cw_cli_change_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

cv::Mat readByte(const fs::path& path) {
  GDALDataset* ds = GDALDataset::Open(path.c_str(), GDAL_OF_RASTER);
  REQUIRE(ds);
  cv::Mat m(ds->GetRasterYSize(), ds->GetRasterXSize(), CV_8U);
  REQUIRE(ds->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, m.cols, m.rows, m.data, m.cols, m.rows,
                                         GDT_Byte, 0, 0, nullptr) == CE_None);
  GDALClose(ds);
  return m;
}

// Cohen's kappa of mask==1 against truth, over pixels where `scored` is non-zero.
double kappa(const cv::Mat& mask, const cv::Mat& truthChange, const cv::Mat& scored) {
  double tp = 0, fp = 0, fn = 0, tn = 0;
  for (int y = 0; y < mask.rows; ++y) {
    for (int x = 0; x < mask.cols; ++x) {
      if (!scored.at<uchar>(y, x)) continue;
      const bool p = mask.at<uchar>(y, x) == 1, t = truthChange.at<uchar>(y, x) != 0;
      (p ? (t ? tp : fp) : (t ? fn : tn)) += 1;
    }
  }
  const double n = tp + fp + fn + tn;
  const double po = (tp + tn) / n;
  const double pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n);
  return (po - pe) / (1 - pe);
}

const fs::path kData = CW_SHARED_DATA;

}  // namespace

TEST_CASE("change on Ottawa (SAR, BMP): default method reaches kappa >= 0.89", "[real]") {
  if (!fs::exists(kData)) {
    WARN("skipped: " << kData << " not found");
    return;
  }
  const fs::path out = scratch("ottawa");
  const auto d = kData / "sar/ottawa";
  const Proc p = runCw("change " + (d / "ottawa_1.bmp").string() + " " +
                       (d / "ottawa_2.bmp").string() + " --out " + out.string());
  INFO(p.out);
  REQUIRE(p.code == 0);
  CHECK(p.out.find("not georeferenced") != std::string::npos);
  CHECK(fs::exists(out / "score.tif"));
  const cv::Mat mask = readByte(out / "mask.tif");
  const cv::Mat gt = readByte(d / "ottawa_gt.bmp");
  const double k = kappa(mask, gt, cv::Mat(mask.size(), CV_8U, cv::Scalar(1)));
  INFO("kappa " << k);
  CHECK(k >= 0.89);
  fs::remove_all(out);
}

TEST_CASE("change on Bern (SAR, BMP): default method reaches kappa >= 0.85", "[real]") {
  if (!fs::exists(kData)) {
    WARN("skipped: " << kData << " not found");
    return;
  }
  const fs::path out = scratch("bern");
  const auto d = kData / "sar/bern";
  const Proc p = runCw("change " + (d / "bern_1.bmp").string() + " " + (d / "bern_2.bmp").string() +
                       " --out " + out.string());
  INFO(p.out);
  REQUIRE(p.code == 0);
  CHECK(fs::exists(out / "score.tif"));
  const cv::Mat mask = readByte(out / "mask.tif");
  const cv::Mat gt = readByte(d / "bern_gt.bmp");
  const double k = kappa(mask, gt, cv::Mat(mask.size(), CV_8U, cv::Scalar(1)));
  INFO("kappa " << k);
  CHECK(k >= 0.85);
  fs::remove_all(out);
}

TEST_CASE("change on Taizhou (Landsat, ENVI): default method reaches kappa >= 0.89 on labelled px",
          "[real]") {
  if (!fs::exists(kData)) {
    WARN("skipped: " << kData << " not found");
    return;
  }
  const fs::path out = scratch("taizhou");
  const auto d = kData / "landsat/Taizhou";
  const Proc p = runCw("change " + (d / "2000TM").string() + " " + (d / "2003TM").string() +
                       " --out " + out.string());
  INFO(p.out);
  REQUIRE(p.code == 0);
  CHECK(fs::exists(out / "score.tif"));
  CHECK(fs::exists(out / "changes.geojson"));
  const cv::Mat mask = readByte(out / "mask.tif");
  const cv::Mat changed = readByte(d / "change.bmp") == 255;
  const cv::Mat unchanged = readByte(d / "unchanged.bmp") == 255;
  const double k = kappa(mask, changed, changed | unchanged);
  INFO("kappa " << k);
  CHECK(k >= 0.89);
  fs::remove_all(out);
}

TEST_CASE("change: bad inputs exit 1 with the reason", "[integration]") {
  const fs::path dir = scratch("bad");
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const char* opts[] = {"TILED=YES", nullptr};
  for (auto [name, bands] : {std::pair{"one.tif", 1}, std::pair{"two.tif", 2}}) {
    GDALDataset* ds =
        drv->Create((dir / name).c_str(), 256, 256, bands, GDT_UInt16, const_cast<char**>(opts));
    REQUIRE(ds);
    double gt[6] = {500000, 10, 0, 5000000, 0, -10};
    ds->SetGeoTransform(gt);
    std::vector<uint16_t> buf(256 * 256, 7);
    for (int b = 1; b <= bands; ++b) {
      REQUIRE(ds->GetRasterBand(b)->RasterIO(GF_Write, 0, 0, 256, 256, buf.data(), 256, 256,
                                             GDT_UInt16, 0, 0, nullptr) == CE_None);
    }
    GDALClose(ds);
  }
  // Two georeferenced rasters 100 km apart in UTM 33N: no overlap.
  for (auto [name, x0] : {std::pair{"here.tif", 500000.0}, std::pair{"far.tif", 600000.0}}) {
    GDALDataset* ds = drv->Create((dir / name).c_str(), 64, 64, 1, GDT_UInt16, nullptr);
    REQUIRE(ds);
    double gt[6] = {x0, 10, 0, 5000000, 0, -10};
    ds->SetGeoTransform(gt);
    OGRSpatialReference srs;
    srs.importFromEPSG(32633);
    ds->SetSpatialRef(&srs);
    GDALClose(ds);
  }
  std::ofstream(dir / "empty.tif").close();
  {
    // A truncated GeoTIFF: the header survives, the image data does not.
    std::ifstream in(dir / "one.tif", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(dir / "truncated.tif", std::ios::binary).write(bytes.data(), 2000);
  }
  const std::string one = (dir / "one.tif").string();
  const std::string out = " --out " + (dir / "out").string();

  Proc p = runCw("change " + (dir / "missing.tif").string() + " " + one + out);
  CHECK(p.code == 1);
  CHECK(p.out.find("missing.tif: no such file") != std::string::npos);

  p = runCw("change " + (dir / "empty.tif").string() + " " + one + out);
  CHECK(p.code == 1);
  CHECK(p.out.find("empty.tif: empty file (0 bytes)") != std::string::npos);

  p = runCw("change " + one + " " + (dir / "truncated.tif").string() + out);
  INFO(p.out);
  CHECK(p.code == 1);
  CHECK(p.out.find("truncated.tif") != std::string::npos);
  CHECK(p.out.find("changewatch: error:") != std::string::npos);

  p = runCw("change " + one + " " + (dir / "two.tif").string() + out);
  CHECK(p.code == 1);
  CHECK(p.out.find("band counts differ") != std::string::npos);
  CHECK(p.out.find("has 1 band(s)") != std::string::npos);

  p = runCw("change " + (dir / "here.tif").string() + " " + (dir / "far.tif").string() + out);
  CHECK(p.code == 1);
  CHECK(p.out.find("the images do not overlap") != std::string::npos);

  p = runCw("change " + one + " " + one + out + " --method nosuch");
  CHECK(p.code == 2);
  CHECK(p.out.find("--method: unknown change method 'nosuch' (registered: auto, ") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out" / "mask.tif"));
  fs::remove_all(dir);
}
