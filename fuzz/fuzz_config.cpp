// libFuzzer target: the config loader (pipeline/config.hpp) on arbitrary bytes as config.yaml.
// Contract under test: loadConfig either returns or throws cw::Error (UsageError) naming the file;
// any other exception, crash, hang, leak or undefined behaviour is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <cpl_error.h>
#include <gdal.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "fuzz/fuzz_support.hpp"
#include "pipeline/config.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cw::log::setLevel(cw::log::Level::Quiet);
  GDALAllRegister();  // AOI polygons may come from a GeoJSON file read through OGR
  CPLSetErrorHandler(CPLQuietErrorHandler);
  // Files a config may name (AOI GeoJSON, declarations), so relative paths sometimes resolve.
  const auto& dir = cw::fuzz::scratchDir();
  cw::fuzz::writeBytes(
      dir / "aoi.geojson",
      R"({"type":"Polygon","coordinates":[[[29,41],[29.01,41],[29.01,41.01],[29,41.01],[29,41]]]})");
  cw::fuzz::writeBytes(dir / "declarations.csv", "aoi,start,end,metric,value,reference\n");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = cw::fuzz::scratchDir() / "config.yaml";
  cw::fuzz::writeBytes(file, std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    const cw::pipeline::Config config = cw::pipeline::loadConfig(file);
    // A config that loads must also serialise (it is written beside every run and hashed).
    (void)cw::pipeline::toYaml(config);
  } catch (const cw::Error&) {
  }
  return 0;
}
