// libFuzzer target: the authenticated `serve --users` routes (serve/review_server.hpp,
// docs/access.md) through ReviewServer::handleRawRequest, over a run folder with two AOIs made at
// start-up and three sessions signed in through POST /api/login.
//
// Input: the first byte picks who sends it: 0 no session, 1 a reviewer of every AOI (cookie and
// CSRF token), 2 a viewer of every AOI, 3 a reviewer scoped to aoi_a, 4 a forged cookie, and the
// second byte whether the CSRF header goes along. The rest is as fuzz_serve_router: the first line
// "<METHOD> <target>", then the body; the harness adds Host, Content-Type, Cookie, X-CSRF-Token and
// Content-Length.
//
// Findings: a crash, leak or UB; a 5xx; the content of a file outside OUT; aoi_b's chip or
// evidence in an answer to the aoi_a partner, or anything of OUT in an answer without a session;
// reviews.jsonl growing from a request that was not a reviewer's with the right CSRF token.
#include <sys/stat.h>

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
#include "serve/users.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kSecret = "OUTSIDE-SECRET-7f3a";
constexpr const char* kAoiBSecret = "AOI-B-ONLY-91c2";

void writeRaster(const fs::path& p) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  GDALDataset* ds = drv->Create(p.c_str(), 32, 32, 1, GDT_Byte, nullptr);
  double gt[6] = {665961.0, 3.0, 0, 4543008.0, 0, -3.0};
  ds->SetGeoTransform(gt);
  OGRSpatialReference srs;
  srs.importFromEPSG(32635);
  ds->SetSpatialRef(&srs);
  GDALClose(ds);
}

struct Who {
  std::string cookie, csrf;
};

std::unique_ptr<cw::serve::ReviewServer> g_server;
Who g_who[5];
fs::path g_reviews;

std::string raw(const std::string& line, const std::string& body, const Who& who, bool csrf) {
  std::string r = line + " HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\n";
  if (!who.cookie.empty()) r += "Cookie: cw_session=" + who.cookie + "\r\n";
  if (csrf && !who.csrf.empty()) r += "X-CSRF-Token: " + who.csrf + "\r\n";
  return r + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

Who signIn(const std::string& user) {
  const std::string body = json{{"user", user}, {"password", "pw-" + user}}.dump();
  const std::string res = g_server->handleRawRequest(raw("POST /api/login", body, {}, false));
  const auto c = res.find("cw_session=");
  const auto b = res.find("\r\n\r\n");
  if (c == std::string::npos || b == std::string::npos) std::abort();
  return {res.substr(c + 11, 64), json::parse(res.substr(b + 4))["csrf"]};
}

std::uintmax_t sizeOf(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? std::uintmax_t(st.st_size) : 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cw::log::setLevel(cw::log::Level::Quiet);
  GDALAllRegister();
  CPLSetErrorHandler(CPLQuietErrorHandler);
  const fs::path root = cw::fuzz::scratchDir();
  const fs::path out = root / "out", viewer = root / "viewer";
  json jobs = json::array();
  for (const std::string aoi : {"aoi_a", "aoi_b"}) {
    const fs::path job = out / aoi / "s1_s2";
    fs::create_directories(job / "chips");
    writeRaster(job / "mask.tif");
    const std::string mark = aoi == "aoi_b" ? kAoiBSecret : "aoi-a";
    const json change = {{"type", "Feature"},
                         {"id", aoi + "-change-000000000001"},
                         {"properties", {{"feature_type", "change"}, {"note", mark}}},
                         {"geometry", {{"type", "Point"}, {"coordinates", {27.0, 41.0}}}}};
    cw::fuzz::writeBytes(job / "evidence.geojson",
                         json{{"type", "FeatureCollection"}, {"features", {change}}}.dump());
    cw::fuzz::writeBytes(job / "chips" / "c.png", "\x89PNG\r\n\x1a\n" + mark);
    jobs.push_back({{"index", jobs.size()},
                    {"id", aoi + "/s1_s2"},
                    {"aoi", aoi},
                    {"before", "s1"},
                    {"after", "s2"}});
  }
  cw::fuzz::writeBytes(
      out / "plan.json",
      json{{"aois", {{{"id", "aoi_a"}}, {{"id", "aoi_b"}}}}, {"jobs", jobs}}.dump());
  cw::fuzz::writeBytes(
      out / "corroboration.json",
      json{{"verdicts",
            {{{"aoi", "aoi_a"},
              {"verdict", "discrepancy"},
              {"evidence_ids", {"aoi_a-change-000000000001"}}},
             {{"aoi", "aoi_b"}, {"verdict", "consistent"}, {"note", kAoiBSecret}}}}}
          .dump());
  fs::create_directories(viewer / "vendor" / "leaflet");
  for (const char* f : {"index.html", "app.js", "auth.js", "style.css"})
    cw::fuzz::writeBytes(viewer / f, "//");
  cw::fuzz::writeBytes(viewer / "vendor" / "leaflet" / "leaflet.js", "// leaflet");
  cw::fuzz::writeBytes(root / "secret.png", kSecret);
  fs::create_symlink(root / "secret.png", out / "aoi_a" / "s1_s2" / "chips" / "link.png");
  cw::serve::UserStore users;
  // Cheapest Argon2id costs would be faster, but the real ones are what serve checks.
  users.add({"rev", cw::serve::Role::Reviewer, {"*"}, cw::serve::hashPassword("pw-rev")});
  users.add({"vic", cw::serve::Role::Viewer, {"*"}, cw::serve::hashPassword("pw-vic")});
  users.add({"pat", cw::serve::Role::Reviewer, {"aoi_a"}, cw::serve::hashPassword("pw-pat")});
  users.save(root / "users.json");
  cw::serve::ReviewServerOptions o{out, viewer, "127.0.0.1", 0, 4u << 20};
  o.usersFile = root / "users.json";
  o.loginMaxFailures = 1000000;  // the fuzzer's failed sign-ins must not lock the harness out
  g_server = std::make_unique<cw::serve::ReviewServer>(o);
  g_who[1] = signIn("rev");
  g_who[2] = signIn("vic");
  g_who[3] = signIn("pat");
  g_who[4] = {std::string(64, 'f'), std::string(64, 'e')};
  g_reviews = out / "reviews.jsonl";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int who = data[0] % 5;
  const bool csrf = data[1] & 1;
  const std::string in(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t nl = in.find('\n');
  std::string line = in.substr(0, nl);
  const std::string body = nl == std::string::npos ? std::string() : in.substr(nl + 1);
  if (line.find(' ') == std::string::npos) line = "GET " + line;
  if (line.find("/api/logout") != std::string::npos) return 0;  // would end the harness's sessions
  const std::string request = raw(line, body, g_who[who], csrf);
  const auto reviewsBefore = sizeOf(g_reviews);
  const std::string response = g_server->handleRawRequest(request);
  auto fail = [&](const char* what) {
    std::fprintf(stderr, "%s for:\n%s\nresponse:\n%s\n", what, request.c_str(), response.c_str());
    __builtin_trap();
  };
  if (response.size() >= 12 && std::atoi(response.c_str() + 9) >= 500) fail("server error");
  if (response.find(kSecret) != std::string::npos) fail("served a file outside OUT");
  if ((who == 3 || who == 0 || who == 4) && response.find(kAoiBSecret) != std::string::npos) {
    fail("aoi_b content to someone who may not see it");
  }
  if (((who != 1 && who != 3) || !csrf) && sizeOf(g_reviews) != reviewsBefore) {
    fail("a review written without a reviewer's session and CSRF token");
  }
  return 0;
}
