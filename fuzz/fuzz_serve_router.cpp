// libFuzzer target: the `serve` request router (serve/review_server.hpp) through
// ReviewServer::handleRawRequest, over a small run folder made at start-up (one job with a mask,
// a score and one change, like tests/serve/test_serve.cpp).
//
// Input: the first line is "<METHOD> <target>" (request line without the version), the rest is the
// body; the harness adds Host, Content-Type and a correct Content-Length so mutations reach the
// handlers and the review validation rather than dying in header parsing (the first line itself
// still exercises httplib's request-line parser and percent-decoding).
//
// Findings: a crash, leak or UB; a 5xx (every input here is the client's fault or valid, so the
// server must answer 2xx/3xx/4xx); a response body that contains the content of a file outside
// OUT and the viewer folder.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <nlohmann/json.hpp>

#include "core/log.hpp"
#include "fuzz/fuzz_support.hpp"
#include "serve/review_server.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kSecret = "OUTSIDE-SECRET-7f3a";

void writeRaster(const fs::path& p, GDALDataType type, double noData, bool mask) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  GDALDataset* ds = drv->Create(p.c_str(), 64, 64, 1, type, nullptr);
  double gt[6] = {665961.0, 3.0, 0, 4543008.0, 0, -3.0};
  ds->SetGeoTransform(gt);
  OGRSpatialReference srs;
  srs.importFromEPSG(32635);
  ds->SetSpatialRef(&srs);
  std::vector<float> v(64 * 64);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x)
      v[size_t(y) * 64 + x] = mask ? float(x >= 24 && x < 40 && y >= 24 && y < 40)
                                   : float(100.0 - std::hypot(x - 32, y - 32));
  GDALRasterBand* b = ds->GetRasterBand(1);
  b->SetNoDataValue(noData);
  if (b->RasterIO(GF_Write, 0, 0, 64, 64, v.data(), 64, 64, GDT_Float32, 0, 0) != CE_None) {
    std::abort();
  }
  GDALClose(ds);
}

std::unique_ptr<cw::serve::ReviewServer> g_server;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cw::log::setLevel(cw::log::Level::Quiet);
  GDALAllRegister();
  CPLSetErrorHandler(CPLQuietErrorHandler);
  const fs::path root = cw::fuzz::scratchDir();
  const fs::path out = root / "out", viewer = root / "viewer", job = out / "aoi_a" / "s1_s2";
  fs::create_directories(job / "chips");
  fs::create_directories(viewer / "node_modules" / "leaflet" / "dist");
  writeRaster(job / "mask.tif", GDT_Byte, 255, true);
  writeRaster(job / "score.tif", GDT_Float32, -9999, false);
  const json change = {
      {"type", "Feature"},
      {"id", "aoi_a-change-000000000001"},
      {"properties", {{"feature_type", "change"}, {"chip_before", "chips/c_before.png"}}},
      {"geometry",
       {{"type", "Polygon"},
        {"coordinates",
         {{{27.0, 41.0}, {27.001, 41.0}, {27.001, 41.001}, {27.0, 41.001}, {27.0, 41.0}}}}}}};
  cw::fuzz::writeBytes(job / "evidence.geojson",
                       json{{"type", "FeatureCollection"}, {"features", {change}}}.dump());
  cw::fuzz::writeBytes(job / "chips" / "c_before.png", "\x89PNG\r\n\x1a\nchip");
  cw::fuzz::writeBytes(out / "plan.json", json{{"aois", {{{"id", "aoi_a"}}}},
                                               {"jobs",
                                                {{{"index", 0},
                                                  {"id", "aoi_a/s1_s2"},
                                                  {"aoi", "aoi_a"},
                                                  {"before", "s1"},
                                                  {"after", "s2"}}}}}
                                              .dump());
  cw::fuzz::writeBytes(out / "corroboration.json",
                       R"({"verdicts":[{"aoi":"aoi_a","verdict":"consistent"}]})");
  cw::fuzz::writeBytes(viewer / "index.html", "<!doctype html><title>viewer</title>");
  cw::fuzz::writeBytes(viewer / "app.js", "// app");
  cw::fuzz::writeBytes(viewer / "style.css", "/* css */");
  cw::fuzz::writeBytes(viewer / "node_modules" / "leaflet" / "dist" / "leaflet.js", "// leaflet");
  // Files beside OUT that must never be served, and links that point at them.
  cw::fuzz::writeBytes(root / "secret.png", kSecret);
  cw::fuzz::writeBytes(root / "secret.json", kSecret);
  fs::create_symlink(root / "secret.png", job / "chips" / "link.png");
  fs::create_directory_symlink(root, job / "chips" / "up");
  g_server = std::make_unique<cw::serve::ReviewServer>(
      cw::serve::ReviewServerOptions{out, viewer, "127.0.0.1", 0, 4u << 20});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const size_t nl = in.find('\n');
  std::string line = in.substr(0, nl);
  const std::string body = nl == std::string::npos ? std::string() : in.substr(nl + 1);
  if (line.find(' ') == std::string::npos) line = "GET " + line;
  const std::string request = line +
                              " HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\n" +
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  const std::string response = g_server->handleRawRequest(request);
  // "HTTP/1.1 NNN ..." — an empty response means httplib dropped the connection (e.g. a request
  // line over its limit), which a client sees as a closed socket, not a server error.
  if (response.size() >= 12) {
    const int status = std::atoi(response.c_str() + 9);
    if (status >= 500) {
      std::fprintf(stderr, "server error %d for request:\n%s\nresponse:\n%s\n", status,
                   request.c_str(), response.c_str());
      __builtin_trap();
    }
  }
  if (response.find(kSecret) != std::string::npos) {
    std::fprintf(stderr, "served a file outside OUT for:\n%s\n", request.c_str());
    __builtin_trap();
  }
  return 0;
}
