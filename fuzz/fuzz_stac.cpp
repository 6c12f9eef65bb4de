// libFuzzer target: the STAC ItemCollection reader of the catalog (pipeline/catalog.hpp), with the
// input as items.json in a folder holding two small GeoTIFFs (a 4-band "scene.tif" and a 1-band
// "red.tif") that hrefs may name. Contract under test: buildCatalog returns scenes and skipped
// items, or throws cw::UsageError for a malformed file; any other exception, crash, leak or UB is
// a finding, and so is a scene whose files lie outside the ItemCollection's folder.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "fuzz/fuzz_support.hpp"
#include "pipeline/catalog.hpp"

namespace {

void writeGeoTiff(const std::filesystem::path& p, int bands) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  GDALDataset* ds = drv->Create(p.c_str(), 16, 16, bands, GDT_UInt16, nullptr);
  double gt[6] = {665961.0, 3.0, 0, 4543008.0, 0, -3.0};
  ds->SetGeoTransform(gt);
  OGRSpatialReference srs;
  srs.importFromEPSG(32635);
  ds->SetSpatialRef(&srs);
  for (int b = 1; b <= bands; ++b) ds->GetRasterBand(b)->Fill(100.0 * b);
  GDALClose(ds);
}

cw::pipeline::Config g_config;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cw::log::setLevel(cw::log::Level::Quiet);
  GDALAllRegister();
  CPLSetErrorHandler(CPLQuietErrorHandler);
  const auto& dir = cw::fuzz::scratchDir();
  writeGeoTiff(dir / "scene.tif", 4);
  writeGeoTiff(dir / "red.tif", 1);
  cw::pipeline::SceneSource src;
  src.kind = cw::pipeline::SceneSource::Kind::Stac;
  src.stac = dir / "items.json";
  g_config.scenes = {src};
  g_config.windowStart = *cw::parseIsoTime("2000-01-01");
  g_config.windowEnd = *cw::parseIsoTime("2100-01-01");
  g_config.file = dir / "config.yaml";
  g_config.output = dir / "out";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& dir = cw::fuzz::scratchDir();
  cw::fuzz::writeBytes(dir / "items.json",
                       std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    const cw::pipeline::Catalog cat = cw::pipeline::buildCatalog(g_config);
    for (const auto& s : cat.scenes) {
      for (const auto& f : s.files) {
        const auto rel = std::filesystem::weakly_canonical(f).lexically_relative(
            std::filesystem::weakly_canonical(dir));
        if (rel.empty() || *rel.begin() == "..") __builtin_trap();
      }
    }
  } catch (const cw::UsageError&) {
  }
  return 0;
}
