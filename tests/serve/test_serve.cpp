// `changewatch serve`: path safety, review validation and persistence, tiles inside and outside
// the data, on a small run folder made here (one job with a mask, a score and one change).
#include <atomic>
#include <cmath>
#include <csignal>
#include <functional>
#include <sstream>
#include <thread>

#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <httplib.h>
#include <ogr_spatialref.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "serve/review_server.hpp"
#include "serve/tile_renderer.hpp"
#include "tests/test_support.hpp"

namespace {

namespace fs = std::filesystem;
using cw::serve::ReviewServer;
using cw::serve::ReviewServerOptions;
using nlohmann::json;

constexpr int kEpsg = 32635;
constexpr double kX0 = 665961.0, kY0 = 4543008.0, kPx = 3.0;
constexpr int kW = 200, kH = 200;
const char* kJob = "aoi_a/s1_s2";
const char* kChangeId = "aoi_a-change-000000000001";

void writeRaster(const fs::path& p, GDALDataType type, int noData,
                 const std::function<double(int, int)>& value) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  GDALDataset* ds = drv->Create(p.c_str(), kW, kH, 1, type, nullptr);
  double gt[6] = {kX0, kPx, 0, kY0, 0, -kPx};
  ds->SetGeoTransform(gt);
  OGRSpatialReference srs;
  srs.importFromEPSG(kEpsg);
  ds->SetSpatialRef(&srs);
  std::vector<float> v(size_t(kW) * kH);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) v[size_t(y) * kW + x] = float(value(x, y));
  GDALRasterBand* b = ds->GetRasterBand(1);
  b->SetNoDataValue(noData);
  REQUIRE(b->RasterIO(GF_Write, 0, 0, kW, kH, v.data(), kW, kH, GDT_Float32, 0, 0) == CE_None);
  GDALClose(ds);
}

// Lon/lat of pixel (x, y) of the job grid.
std::pair<double, double> lonLat(double x, double y) {
  OGRSpatialReference utm, wgs;
  utm.importFromEPSG(kEpsg);
  wgs.importFromEPSG(4326);
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&utm, &wgs));
  double ex = kX0 + x * kPx, ny = kY0 - y * kPx;
  ct->Transform(1, &ex, &ny);
  return {ex, ny};
}

// XYZ tile containing lon/lat at zoom z.
std::pair<int, int> tileOf(double lon, double lat, int z) {
  const double n = std::pow(2.0, z);
  const double latR = lat * M_PI / 180.0;
  return {int((lon + 180.0) / 360.0 * n), int((1.0 - std::asinh(std::tan(latR)) / M_PI) / 2.0 * n)};
}

struct RunFixture {
  cw::test::TempDir tmp{"cwserve"};
  fs::path out = tmp / "out";
  fs::path viewer = tmp / "viewer";
  fs::path outside = tmp / "secret.png";

  RunFixture() {
    GDALAllRegister();
    const fs::path job = out / kJob;
    fs::create_directories(job / "chips");
    // Change in the square 80..120 px; score rises towards it.
    writeRaster(job / "mask.tif", GDT_Byte, 255,
                [](int x, int y) { return (x >= 80 && x < 120 && y >= 80 && y < 120) ? 1 : 0; });
    writeRaster(job / "score.tif", GDT_Float32, -9999,
                [](int x, int y) { return 100.0 - std::hypot(x - 100, y - 100); });
    const auto [lon0, lat0] = lonLat(80, 120);
    const auto [lon1, lat1] = lonLat(120, 80);
    json change = {{"type", "Feature"},
                   {"id", kChangeId},
                   {"properties",
                    {{"feature_type", "change"},
                     {"area_m2", 14400.0},
                     {"mean_score", 90.0},
                     {"chip_before", "chips/c_before.png"}}},
                   {"geometry",
                    {{"type", "Polygon"},
                     {"coordinates",
                      {{{lon0, lat0}, {lon1, lat0}, {lon1, lat1}, {lon0, lat1}, {lon0, lat0}}}}}}};
    cw::test::writeText(job / "evidence.geojson",
                        json{{"type", "FeatureCollection"}, {"features", {change}}}.dump());
    cw::test::writeText(job / "chips" / "c_before.png", "\x89PNG\r\n\x1a\nchip");
    cw::test::writeText(outside, "\x89PNG\r\n\x1a\nsecret");
    fs::create_symlink(outside, job / "chips" / "link.png");
    fs::create_directory_symlink(tmp.path(), job / "chips" / "up");
    cw::test::writeText(
        out / "plan.json",
        json{{"aois", {{{"id", "aoi_a"}}}},
             {"jobs",
              {{{"index", 0}, {"id", kJob}, {"aoi", "aoi_a"}, {"before", "s1"}, {"after", "s2"}}}}}
            .dump());
    cw::test::writeText(viewer / "index.html", "<!doctype html><title>viewer</title>");
    cw::test::writeText(viewer / "app.js", "// app");
    cw::test::writeText(viewer / "style.css", "/* css */");
    cw::test::writeText(viewer / "node_modules" / "leaflet" / "dist" / "leaflet.js", "// leaflet");
  }
};

// A server over the fixture on a free loopback port, stopped on destruction.
struct Served {
  ReviewServer server;
  int port;
  std::thread thread;
  explicit Served(const RunFixture& f)
      : server(ReviewServerOptions{f.out, f.viewer, "127.0.0.1", 0, 8u << 20}),
        port(server.bind()),
        thread([this] { server.run(); }) {}
  ~Served() {
    server.stop();
    thread.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(5);
    c.set_read_timeout(30);
    return c;
  }
};

// Decodes a PNG with GDAL into RGBA bands; returns {width, height, max alpha, count alpha>0}.
struct PngInfo {
  int width = 0, height = 0, bands = 0, maxAlpha = -1, opaquePixels = 0;
};
PngInfo decodePng(const std::string& bytes) {
  const std::string name = "/vsimem/test_serve_tile.png";
  VSILFILE* f = VSIFileFromMemBuffer(name.c_str(), (GByte*)bytes.data(), bytes.size(), FALSE);
  VSIFCloseL(f);
  PngInfo info;
  GDALDataset* ds = GDALDataset::Open(name.c_str(), GDAL_OF_RASTER);
  REQUIRE(ds != nullptr);
  info.width = ds->GetRasterXSize();
  info.height = ds->GetRasterYSize();
  info.bands = ds->GetRasterCount();
  if (info.bands == 4) {
    std::vector<uint8_t> a(size_t(info.width) * info.height);
    REQUIRE(ds->GetRasterBand(4)->RasterIO(GF_Read, 0, 0, info.width, info.height, a.data(),
                                           info.width, info.height, GDT_Byte, 0, 0) == CE_None);
    info.maxAlpha = *std::max_element(a.begin(), a.end());
    info.opaquePixels = int(std::count_if(a.begin(), a.end(), [](uint8_t v) { return v > 0; }));
  }
  GDALClose(ds);
  VSIUnlink(name.c_str());
  return info;
}

}  // namespace

TEST_CASE("serve: traversal attempts, absolute paths and symlinks out of OUT get 404",
          "[integration][serve]") {
  RunFixture f;
  Served s(f);
  auto c = s.client();
  // The legitimate files are served.
  REQUIRE(c.Get("/files/aoi_a/s1_s2/chips/c_before.png")->status == 200);
  REQUIRE(c.Get("/")->status == 200);
  REQUIRE(c.Get("/vendor/leaflet/leaflet.js")->status == 200);
  for (const std::string path : {"/files/../secret.png",
                                 "/files/aoi_a/../../secret.png",
                                 "/files/%2e%2e/secret.png",
                                 "/files/aoi_a/s1_s2/chips/%2E%2E/%2e%2e/%2e%2e/../secret.png",
                                 "/files/..%2fsecret.png",
                                 "/files/%2fetc%2fpasswd",
                                 "/files//etc/passwd",
                                 "/files/etc/passwd",
                                 "/files/aoi_a/s1_s2/chips/link.png",
                                 "/files/aoi_a/s1_s2/chips/up/secret.png",
                                 "/files/aoi_a/s1_s2/chips/",
                                 "/files/aoi_a/s1_s2/chips",
                                 "/files/aoi_a/s1_s2/mask.tif",
                                 "/vendor/leaflet/../../../index.html",
                                 "/vendor/leaflet/%2e%2e/%2e%2e/leaflet/dist/leaflet.js",
                                 "/../secret.png",
                                 "/%2e%2e/secret.png",
                                 "/tiles/aoi_a/s1_s2/../s1_s2/mask/0/0/0.png",
                                 "/tiles/..%2f..%2fsecret/x/mask/0/0/0.png",
                                 "/index.html/..",
                                 "/node_modules/leaflet/dist/leaflet.js"}) {
    INFO(path);
    auto r = c.Get(path.c_str());
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(r->body.find("secret") == std::string::npos);
  }
  // Paths with .. resolved by resolveInside itself (the server refuses them earlier).
  CHECK(cw::serve::resolveInside(f.out, "../secret.png").empty());
  CHECK(cw::serve::resolveInside(f.out, f.outside.string()).empty());
  CHECK(cw::serve::resolveInside(f.out, "aoi_a/s1_s2/chips/link.png").empty());
  CHECK_FALSE(cw::serve::resolveInside(f.out, "aoi_a/s1_s2/chips/c_before.png").empty());
  // Only POST /api/reviews writes: other writes are not routed.
  CHECK(c.Post("/files/aoi_a/x.png", "x", "text/plain")->status == 404);
  CHECK(c.Put("/api/reviews", "{}", "application/json")->status == 404);
}

TEST_CASE("serve: reviews are validated, appended with a timestamp and survive a restart",
          "[integration][serve]") {
  RunFixture f;
  {
    Served s(f);
    auto c = s.client();
    auto post = [&](const json& body) {
      return c.Post("/api/reviews", body.dump(), "application/json");
    };
    auto r = c.Post("/api/reviews", "{not json", "application/json");
    CHECK(r->status == 400);
    CHECK(r->body.find("not valid JSON") != std::string::npos);
    r = post({{"evidence_id", "aoi_a-change-ffffffffffff"}, {"decision", "confirmed"}});
    CHECK(r->status == 404);  // like an item of an AOI the user may not see (docs/access.md)
    CHECK(r->body.find("unknown evidence id 'aoi_a-change-ffffffffffff'") != std::string::npos);
    r = post({{"evidence_id", kChangeId}, {"decision", "maybe"}});
    CHECK(r->status == 400);
    CHECK(r->body.find("decision must be confirmed, rejected or unsure") != std::string::npos);
    r = post({{"evidence_id", kChangeId},
              {"decision", "confirmed"},
              {"comment", std::string(5000, 'x')}});
    CHECK(r->status == 400);
    CHECK(r->body.find("comment longer than 4096 bytes") != std::string::npos);
    r = post({{"evidence_id", kChangeId},
              {"decision", "confirmed"},
              {"reviewer", std::string(200, 'r')}});
    CHECK(r->status == 400);
    CHECK(r->body.find("reviewer longer than 128 bytes") != std::string::npos);
    r = post({{"evidence_id", kChangeId}});
    CHECK(r->status == 400);
    CHECK(r->body.find("missing string field 'decision'") != std::string::npos);
    // A body over the 64 KiB limit is refused before it is parsed.
    r = post({{"evidence_id", kChangeId},
              {"decision", "confirmed"},
              {"comment", std::string(70000, 'x')}});
    CHECK(r->status == 413);
    CHECK_FALSE(fs::exists(f.out / "reviews.jsonl"));

    r = post({{"evidence_id", kChangeId}, {"decision", "unsure"}, {"reviewer", "ana"}});
    REQUIRE(r->status == 200);
    r = post({{"evidence_id", kChangeId},
              {"decision", "rejected"},
              {"reviewer", "ana"},
              {"comment", "a cloud shadow"}});
    REQUIRE(r->status == 200);
    const json state = json::parse(c.Get("/api/reviews")->body);
    CHECK(state["count"] == 2);
    CHECK(state["reviews"][kChangeId]["decision"] == "rejected");
  }
  // History: two lines, never rewritten; each is whole JSON with a timestamp.
  const std::string text = cw::test::readText(f.out / "reviews.jsonl");
  std::istringstream in(text);
  std::string line;
  std::vector<json> lines;
  while (std::getline(in, line)) lines.push_back(json::parse(line));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["decision"] == "unsure");
  CHECK(lines[1]["decision"] == "rejected");
  CHECK(lines[1]["comment"] == "a cloud shadow");
  CHECK(lines[1]["time"].get<std::string>().size() == 24);  // 2026-01-01T00:00:00.000Z
  // A new server over the same folder (a restart) has the same state.
  Served s2(f);
  auto c2 = s2.client();
  const json state = json::parse(c2.Get("/api/reviews")->body);
  CHECK(state["count"] == 2);
  CHECK(state["reviews"][kChangeId]["decision"] == "rejected");
  CHECK(state["reviews"][kChangeId]["reviewer"] == "ana");
}

TEST_CASE("serve: tiles outside the data are transparent, the mask tile shows the change",
          "[integration][serve]") {
  RunFixture f;
  Served s(f);
  auto c = s.client();
  // Far away (the Pacific at z=10): transparent, not an error.
  auto r = c.Get("/tiles/aoi_a/s1_s2/mask/10/0/0.png");
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "image/png");
  PngInfo far = decodePng(r->body);
  CHECK(far.width == 256);
  CHECK(far.height == 256);
  CHECK(far.bands == 4);
  CHECK(far.maxAlpha == 0);
  // The before layer has no scenes in this fixture: transparent too.
  CHECK(decodePng(c.Get("/tiles/aoi_a/s1_s2/before/10/0/0.png")->body).maxAlpha == 0);

  // The tile over the centre of the change at z=16 (2.4 m pixels, close to the 3 m grid).
  const auto [lon, lat] = lonLat(100, 100);
  const auto [tx, ty] = tileOf(lon, lat, 16);
  const std::string at = "/16/" + std::to_string(tx) + "/" + std::to_string(ty) + ".png";
  r = c.Get(("/tiles/aoi_a/s1_s2/mask" + at).c_str());
  REQUIRE(r->status == 200);
  PngInfo mask = decodePng(r->body);
  CHECK(mask.maxAlpha > 0);
  // The change is 40x40 px of 3 m = 120 m square; at ~1.8 m per tile pixel (z=16 at 41 deg N)
  // its area is ~4400 tile pixels, whatever part of it falls in this tile is less.
  CHECK(mask.opaquePixels > 100);
  CHECK(mask.opaquePixels <= 66 * 66 + 800);
  r = c.Get(("/tiles/aoi_a/s1_s2/score" + at).c_str());
  REQUIRE(r->status == 200);
  CHECK(decodePng(r->body).opaquePixels > mask.opaquePixels);
  // Unknown jobs, layers and tiles outside the pyramid are 404.
  CHECK(c.Get("/tiles/aoi_b/s1_s2/mask/10/0/0.png")->status == 404);
  CHECK(c.Get("/tiles/aoi_a/s1_s2/ndvi/10/0/0.png")->status == 404);
  CHECK(c.Get("/tiles/aoi_a/s1_s2/mask/3/8/0.png")->status == 404);
  CHECK(c.Get("/tiles/aoi_a/s1_s2/mask/30/0/0.png")->status == 404);
}

TEST_CASE(
    "serve: the API lists AOIs, jobs with bounds, evidence, and no verdicts without "
    "corroboration.json",
    "[integration][serve]") {
  RunFixture f;
  Served s(f);
  auto c = s.client();
  const json aois = json::parse(c.Get("/api/aois")->body);
  REQUIRE(aois.size() == 1);
  CHECK(aois[0]["id"] == "aoi_a");
  CHECK(aois[0]["jobs"] == 1);
  const json jobs = json::parse(c.Get("/api/jobs?aoi=aoi_a")->body);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0]["id"] == kJob);
  CHECK(jobs[0]["changes"] == 1);
  REQUIRE(jobs[0]["bounds"].size() == 4);
  CHECK(jobs[0]["bounds"][0].get<double>() == Approx(lonLat(80, 120).first));
  const json ev = json::parse(c.Get("/api/evidence?job=aoi_a/s1_s2")->body);
  CHECK(ev["features"][0]["id"] == kChangeId);
  CHECK(c.Get("/api/evidence?job=../aoi_a")->status == 404);
  const json verdicts = json::parse(c.Get("/api/verdicts")->body);
  CHECK(verdicts["available"] == false);
  CHECK(verdicts["verdicts"].empty());
  cw::test::writeText(
      f.out / "corroboration.json",
      json{{"verdicts", {{{"aoi", "aoi_a"}, {"metric", "activity"}, {"verdict", "discrepancy"}}}}}
          .dump());
  CHECK(json::parse(c.Get("/api/aois")->body)[0]["verdicts"]["discrepancy"] == 1);
}

TEST_CASE("serve: the CLI prints its URL, refuses a folder without a plan and stops on SIGINT",
          "[integration][serve]") {
  RunFixture f;
  auto bad = cw::test::runCli("serve " + f.tmp.path().string() + " --port 0 --viewer " +
                              f.viewer.string());
  CHECK(bad.exitCode == 2);
  CHECK(bad.output.find("plan.json: no plan here") != std::string::npos);
  // Start in the background, read the URL, fetch a page, then SIGINT.
  const fs::path log = f.tmp / "serve.log";
  const std::string cmd = std::string(CW_BINARY) + " serve " + f.out.string() +
                          " --port 0 --viewer " + f.viewer.string() + " > " + log.string() +
                          " 2>&1 & echo $!";
  auto started = cw::test::run(cmd);
  const int pid = std::stoi(started.output);
  std::string text;
  for (int i = 0; i < 100 && text.find("http://127.0.0.1:") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    text = cw::test::readText(log);
  }
  const auto pos = text.find("http://127.0.0.1:");
  REQUIRE(pos != std::string::npos);
  const int port = std::stoi(text.substr(pos + 17));
  httplib::Client c("127.0.0.1", port);
  CHECK(c.Get("/api/aois")->status == 200);
  ::kill(pid, SIGINT);
  for (int i = 0; i < 100 && text.find("changewatch serve: stopped") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    text = cw::test::readText(log);
  }
  CHECK(text.find("changewatch serve: stopped") != std::string::npos);
}

TEST_CASE("serve: handleRawRequest answers a raw request through the same routes, without a socket",
          "[integration][serve]") {
  RunFixture f;
  ReviewServer server(ReviewServerOptions{f.out, f.viewer, "127.0.0.1", 0, 8u << 20});
  auto raw = [&](const std::string& line, const std::string& body = "") {
    return server.handleRawRequest(
        line + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  };
  std::string r = raw("GET /api/jobs");
  CHECK(r.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(r.find("\"id\":\"aoi_a/s1_s2\"") != std::string::npos);
  r = raw("GET /files/aoi_a/s1_s2/chips/%2e%2e/%2e%2e/%2e%2e/secret.png");
  CHECK(r.rfind("HTTP/1.1 404", 0) == 0);
  CHECK(r.find("secret") == std::string::npos);
  r = raw("POST /api/reviews", R"({"evidence_id":"aoi_a-change-000000000001","decision":"maybe"})");
  CHECK(r.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(r.find("decision must be confirmed, rejected or unsure") != std::string::npos);
  r = raw("POST /api/reviews",
          R"({"evidence_id":"aoi_a-change-000000000001","decision":"unsure"})");
  CHECK(r.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(server.reviewState()["count"] == 1);
  // Not HTTP at all: a 400 from the request-line parser, not a crash.
  CHECK(server.handleRawRequest("\x01\x02 garbage\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
}

TEST_CASE("serve: request text that is not UTF-8 is echoed in a 404, not a 500 (fuzz finding)",
          "[integration][serve]") {
  RunFixture f;
  ReviewServer server(ReviewServerOptions{f.out, f.viewer, "127.0.0.1", 0, 8u << 20});
  // fuzz/findings serve_router-crash-631c2e…: the job name carried a lone 0xE9 byte and the JSON
  // error body failed to serialise.
  for (const std::string target :
       {"/api/evidence?job=ao\xe9_a/s1_s2", "/api/evidence?job=ao%E9_a/s1_s2",
        "/tiles/ao\xe9/s1/mask/1/0/0.png"}) {
    INFO(target);
    const std::string r = server.handleRawRequest("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(r.rfind("HTTP/1.1 404", 0) == 0);
  }
  const std::string r =
      server.handleRawRequest("GET /api/evidence?job=ao%E9_a/s1_s2 HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(r.find("unknown job 'ao\xef\xbf\xbd_a/s1_s2'") != std::string::npos);  // U+FFFD
}
