// A source's alpha band or per-dataset mask is a mask wherever it appears (issue 17): warping a
// selection of its colour bands carries it, so its transparent area is no data on the AOI grid.
#include <catch2/catch.hpp>

#include <gdal_priv.h>

#include "tile_test_support.hpp"
#include "tiles/raster_window.hpp"
#include "tiles/scene_warp.hpp"

using namespace cw;
namespace fs = std::filesystem;

namespace {

// 30×20 scene, value 50 everywhere in its colour bands; the right half (x >= 15) is masked by an
// alpha band (RGBA, ALPHA=YES) or by an internal per-dataset mask. No nodata value: the mask is
// the only thing that says where the scene has data.
void writeMaskedScene(const fs::path& path, bool alphaBand, GDALDataType type) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const int bands = alphaBand ? 4 : 3;
  CPLStringList co;
  if (alphaBand) {
    co.SetNameValue("PHOTOMETRIC", "RGB");
    co.SetNameValue("ALPHA", "YES");
  }
  GDALDataset* ds = drv->Create(path.c_str(), 30, 20, bands, type, co.List());
  REQUIRE(ds);
  test::utmGrid(30, 20).applyTo(*ds);
  cv::Mat v(20, 30, CV_32F, cv::Scalar(50)), m(20, 30, CV_32F, cv::Scalar(255));
  m(cv::Rect(15, 0, 15, 20)).setTo(0);
  for (int b = 1; b <= 3; ++b) {
    REQUIRE(ds->GetRasterBand(b)->RasterIO(GF_Write, 0, 0, 30, 20, v.data, 30, 20, GDT_Float32, 0,
                                           0) == CE_None);
  }
  if (alphaBand) {
    REQUIRE(ds->GetRasterBand(4)->RasterIO(GF_Write, 0, 0, 30, 20, m.data, 30, 20, GDT_Float32, 0,
                                           0) == CE_None);
  } else {
    CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", "YES");
    REQUIRE(ds->CreateMaskBand(GMF_PER_DATASET) == CE_None);
    CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", nullptr);
    REQUIRE(ds->GetRasterBand(1)->GetMaskBand()->RasterIO(GF_Write, 0, 0, 30, 20, m.data, 30, 20,
                                                          GDT_Float32, 0, 0) == CE_None);
  }
  GDALClose(ds);
}

}  // namespace

TEST_CASE(
    "source masks: an RGBA alpha band and an internal per-dataset mask are no data after "
    "the warp",
    "[unit]") {
  const fs::path dir = test::scratchDir("srcmask");
  for (const bool alpha : {true, false}) {
    const GDALDataType type = alpha ? GDT_Byte : GDT_UInt16;
    INFO((alpha ? "RGB + alpha, Byte" : "3 bands UInt16 + internal mask"));
    const fs::path src = dir / (alpha ? "rgba.tif" : "masked.tif");
    writeMaskedScene(src, alpha, type);
    {
      tiles::GdalDataset ds(GDALDataset::Open(src.c_str(), GDAL_OF_RASTER));
      CHECK(tiles::sourceMaskSelector(*ds, {1, 2, 3}) == (alpha ? "4" : "mask,1"));
      CHECK(tiles::sourceMaskSelector(*ds, {1, 2, 3, 4}) == (alpha ? "" : "mask,1"));
    }
    // Bands 1-3 only, as a config with {red: 1, green: 2, blue: 3} selects them.
    const tiles::WarpRequest req{src.string(), {1, 2, 3}, std::nullopt, "near", true};
    const fs::path out = dir / (alpha ? "rgba_warped.tif" : "masked_warped.tif");
    tiles::writeWarpedGeoTiff(req, test::utmGrid(30, 20), out, 2, 16);
    tiles::HandleCache cache;
    const tiles::RasterSource rs{out.string(), {1, 2, 3}, std::nullopt};
    const auto w = tiles::readWindow(cache.get(rs.path), rs, cv::Rect(0, 0, 30, 20));
    CHECK(w.data.channels() == 3);
    // Exactly the unmasked half is valid: 15 × 20 pixels.
    CHECK(cv::countNonZero(w.valid(cv::Rect(0, 0, 15, 20))) == 300);
    CHECK(cv::countNonZero(w.valid(cv::Rect(15, 0, 15, 20))) == 0);
    CHECK(w.data.at<cv::Vec3f>(5, 5) == cv::Vec3f(50, 50, 50));
  }
  fs::remove_all(dir);
}
