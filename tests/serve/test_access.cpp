// Access control of `changewatch serve --users` (docs/access.md): users file, sign-in, sessions,
// CSRF, roles, AOI scopes, TLS, the audit log; on a run folder made here with two AOIs (aoi_a,
// aoi_b), one job each, a change with a chip in each. Every refused request is checked for its
// status and for leaving reviews.jsonl untouched.
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gdal_priv.h>
#include <httplib.h>
#include <ogr_spatialref.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "evidence/hash_chain.hpp"
#include "serve/review_server.hpp"
#include "serve/users.hpp"
#include "tests/test_support.hpp"

namespace {

namespace fs = std::filesystem;
using cw::serve::ReviewServer;
using cw::serve::ReviewServerOptions;
using nlohmann::json;

const char* kChangeA = "aoi_a-change-000000000001";
const char* kChangeB = "aoi_b-change-000000000001";

void writeRaster(const fs::path& p, bool mask) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  GDALDataset* ds = drv->Create(p.c_str(), 64, 64, 1, GDT_Float32, nullptr);
  double gt[6] = {665961.0, 3.0, 0, 4543008.0, 0, -3.0};
  ds->SetGeoTransform(gt);
  OGRSpatialReference srs;
  srs.importFromEPSG(32635);
  ds->SetSpatialRef(&srs);
  std::vector<float> v(64 * 64, mask ? 1.0f : 50.0f);
  ds->GetRasterBand(1)->SetNoDataValue(-9999);
  REQUIRE(ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, 64, 64, v.data(), 64, 64, GDT_Float32, 0,
                                         0) == CE_None);
  GDALClose(ds);
}

// Two AOIs, one job each; a discrepancy in aoi_a cites its change; users ana (reviewer, all AOIs),
// ben (reviewer, all AOIs), vic (viewer, all AOIs), pat (reviewer, aoi_a only).
struct AccessFixture {
  cw::test::TempDir tmp{"cwaccess"};
  fs::path out = tmp / "out";
  fs::path viewer = tmp / "viewer";
  fs::path users = tmp / "users.json";

  AccessFixture() {
    GDALAllRegister();
    json jobs = json::array();
    for (const std::string aoi : {"aoi_a", "aoi_b"}) {
      const fs::path job = out / aoi / "s1_s2";
      fs::create_directories(job / "chips");
      writeRaster(job / "mask.tif", true);
      writeRaster(job / "score.tif", false);
      const json change = {
          {"type", "Feature"},
          {"id", aoi + "-change-000000000001"},
          {"properties", {{"feature_type", "change"}, {"chip_before", "chips/c.png"}}},
          {"geometry", {{"type", "Point"}, {"coordinates", {27.0, 41.0}}}}};
      cw::test::writeText(job / "evidence.geojson",
                          json{{"type", "FeatureCollection"}, {"features", {change}}}.dump());
      cw::test::writeText(job / "chips" / "c.png", "\x89PNG\r\n\x1a\nchip-of-" + aoi);
      cw::test::writeText(out / aoi / "collection.json", "{\"id\":\"" + aoi + "\"}");
      jobs.push_back({{"index", jobs.size()},
                      {"id", aoi + "/s1_s2"},
                      {"aoi", aoi},
                      {"before", "s1"},
                      {"after", "s2"}});
    }
    cw::test::writeText(
        out / "plan.json",
        json{{"aois", {{{"id", "aoi_a"}}, {{"id", "aoi_b"}}}}, {"jobs", jobs}}.dump());
    cw::test::writeText(out / "corroboration.json", json{{"verdicts",
                                                          {{{"aoi", "aoi_a"},
                                                            {"metric", "activity"},
                                                            {"verdict", "discrepancy"},
                                                            {"evidence_ids", {kChangeA}}},
                                                           {{"aoi", "aoi_b"},
                                                            {"metric", "activity"},
                                                            {"verdict", "consistent"},
                                                            {"evidence_ids", json::array()}}}}}
                                                        .dump());
    cw::test::writeText(out / "catalog.json", "{\"id\":\"catalog\"}");
    cw::test::writeText(viewer / "index.html", "<!doctype html><title>viewer</title>");
    for (const char* f : {"app.js", "auth.js", "style.css"}) cw::test::writeText(viewer / f, "//");
    cw::test::writeText(viewer / "vendor" / "leaflet" / "leaflet.js", "// leaflet");
    cw::serve::UserStore store;
    auto add = [&](const std::string& name, cw::serve::Role role, std::set<std::string> aois) {
      store.add({name, role, std::move(aois), cw::serve::hashPassword("pw-" + name)});
    };
    add("ana", cw::serve::Role::Reviewer, {"*"});
    add("ben", cw::serve::Role::Reviewer, {"*"});
    add("vic", cw::serve::Role::Viewer, {"*"});
    add("pat", cw::serve::Role::Reviewer, {"aoi_a"});
    store.save(users);
  }

  ReviewServerOptions options() const {
    ReviewServerOptions o{out, viewer, "127.0.0.1", 0, 8u << 20};
    o.usersFile = users;
    return o;
  }
  std::string reviews() const { return cw::test::readText(out / "reviews.jsonl"); }
};

struct Served {
  ReviewServer server;
  int port;
  std::thread thread;
  explicit Served(const ReviewServerOptions& o)
      : server(o), port(server.bind()), thread([this] { server.run(); }) {}
  ~Served() {
    server.stop();
    thread.join();
  }
};

// A signed-in client: the session cookie and CSRF token of one user.
struct SignedIn {
  std::string cookie, csrf;
  httplib::Headers headers(bool withCsrf = true) const {
    httplib::Headers h{{"Cookie", "cw_session=" + cookie}};
    if (withCsrf) h.emplace("X-CSRF-Token", csrf);
    return h;
  }
};

SignedIn signIn(httplib::Client& c, const std::string& user) {
  auto r = c.Post("/api/login", json{{"user", user}, {"password", "pw-" + user}}.dump(),
                  "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const std::string setCookie = r->get_header_value("Set-Cookie");
  const auto b = setCookie.find("cw_session=") + 11;
  return {setCookie.substr(b, setCookie.find(';', b) - b), json::parse(r->body)["csrf"]};
}

httplib::Client client(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(5);
  c.set_read_timeout(30);
  return c;
}

std::string reviewBody(const std::string& id, const std::string& decision,
                       const std::string& comment = "") {
  return json{
      {"evidence_id", id}, {"decision", decision}, {"comment", comment}, {"reviewer", "anyone"}}
      .dump();
}

}  // namespace

TEST_CASE(
    "access: users add, list, passwd and remove through the CLI, 0600, Argon2id, no plaintext",
    "[integration][access]") {
  cw::test::TempDir tmp("cwusers");
  const std::string file = (tmp / "users.json").string();
  auto r = cw::test::run("printf 'correct horse\\n' | " + std::string(CW_BINARY) + " users add " +
                         file + " ana --role reviewer --aoi port_a,port_b");
  REQUIRE(r.exitCode == 0);
  CHECK_THAT(r.output, Catch::Contains("added ana (reviewer, AOIs: port_a,port_b)"));
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string text = cw::test::readText(file);
  CHECK(text.find("correct horse") == std::string::npos);
  CHECK_THAT(text, Catch::Contains("$argon2id$"));
  const auto store = cw::serve::UserStore::load(file, true);
  CHECK(cw::serve::checkPassword(store.find("ana")->passwordHash, "correct horse"));
  CHECK_FALSE(cw::serve::checkPassword(store.find("ana")->passwordHash, "correct horsf"));

  r = cw::test::run("printf 'x\\n' | " + std::string(CW_BINARY) + " users add " + file +
                    " bob --role boss");
  CHECK(r.exitCode == 2);
  CHECK_THAT(r.output, Catch::Contains("role must be viewer, reviewer or admin, not 'boss'"));
  r = cw::test::run("printf '' | " + std::string(CW_BINARY) + " users add " + file + " bob");
  CHECK(r.exitCode == 2);
  CHECK_THAT(r.output, Catch::Contains("no password on standard input"));
  r = cw::test::run("printf 'pw\\n' | " + std::string(CW_BINARY) + " users add " + file + " ana");
  CHECK(r.exitCode == 2);
  CHECK_THAT(r.output, Catch::Contains("user 'ana' exists already"));
  REQUIRE(cw::test::run("printf 'v\\n' | " + std::string(CW_BINARY) + " users add " + file + " vic")
              .exitCode == 0);
  r = cw::test::runCli("users list " + file);
  CHECK(r.exitCode == 0);
  CHECK(r.output == "ana\treviewer\tport_a,port_b\nvic\tviewer\tall\n");

  const std::string before = cw::serve::UserStore::load(file, true).find("ana")->passwordHash;
  REQUIRE(cw::test::run("printf 'battery staple\\n' | " + std::string(CW_BINARY) +
                        " users passwd " + file + " ana")
              .exitCode == 0);
  const std::string after = cw::serve::UserStore::load(file, true).find("ana")->passwordHash;
  CHECK(before != after);
  CHECK(cw::serve::checkPassword(after, "battery staple"));
  REQUIRE(cw::test::runCli("users remove " + file + " vic").exitCode == 0);
  CHECK(cw::test::runCli("users list " + file).output == "ana\treviewer\tport_a,port_b\n");
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // serve (and users) refuse a users file that group or others may read.
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read);
  r = cw::test::runCli("users list " + file);
  CHECK(r.exitCode == 2);
  CHECK_THAT(r.output,
             Catch::Contains(
                 "mode 0644 lets group or others read or change it, and it holds password hashes"));
  AccessFixture f;
  fs::permissions(f.users, fs::perms::group_read, fs::perm_options::add);
  CHECK_THROWS_WITH(ReviewServer(f.options()),
                    Catch::Contains("mode 0640 lets group or others read"));
}

TEST_CASE(
    "access: no session, a forged cookie or an expired session get 401, a wrong or missing CSRF "
    "token 403",
    "[integration][access]") {
  AccessFixture f;
  auto o = f.options();
  o.idleSeconds = 4;
  Served s(o);
  auto c = client(s.port);
  // The viewer's own files and the sign-in page are public; nothing else is.
  CHECK(c.Get("/")->status == 200);
  CHECK(c.Get("/auth.js")->status == 200);
  for (const char* path :
       {"/api/aois", "/api/jobs", "/api/verdicts", "/api/reviews", "/api/evidence?job=aoi_a/s1_s2",
        "/files/aoi_a/s1_s2/chips/c.png", "/tiles/aoi_a/s1_s2/mask/10/0/0.png", "/api/session",
        "/files/catalog.json"}) {
    INFO(path);
    auto r = c.Get(path);
    CHECK(r->status == 401);
    CHECK(r->body.find("chip-of") == std::string::npos);
  }
  auto r = c.Post("/api/reviews", reviewBody(kChangeA, "rejected", "x"), "application/json");
  CHECK(r->status == 401);
  CHECK_THAT(r->body, Catch::Contains("not signed in (no session, or it expired)"));
  // A forged cookie: right shape, never issued.
  const httplib::Headers forged{{"Cookie", "cw_session=" + std::string(64, 'a')},
                                {"X-CSRF-Token", std::string(64, 'b')}};
  CHECK(c.Get("/api/aois", forged)->status == 401);
  CHECK(c.Post("/api/reviews", forged, reviewBody(kChangeA, "confirmed"), "application/json")
            ->status == 401);

  const SignedIn ana = signIn(c, "ana");
  CHECK(ana.cookie.size() == 64);  // 256 bits in hex
  CHECK(c.Get("/api/aois", ana.headers())->status == 200);
  // CSRF: missing, wrong, or another session's token.
  const SignedIn ben = signIn(c, "ben");
  CHECK(c.Post("/api/reviews", ana.headers(false), reviewBody(kChangeA, "confirmed"),
               "application/json")
            ->status == 403);
  httplib::Headers wrong{{"Cookie", "cw_session=" + ana.cookie}, {"X-CSRF-Token", ben.csrf}};
  r = c.Post("/api/reviews", wrong, reviewBody(kChangeA, "confirmed"), "application/json");
  CHECK(r->status == 403);
  CHECK_THAT(r->body, Catch::Contains("missing or wrong X-CSRF-Token"));
  CHECK(c.Post("/api/logout", ana.headers(false), "", "text/plain")->status == 403);
  CHECK_FALSE(fs::exists(f.out / "reviews.jsonl"));

  // A refused POST must not leave its body in a kept-alive connection for the next request to
  // trip over (it did: the next request answered 400).
  {
    auto k = client(s.port);
    k.set_keep_alive(true);
    for (int i = 0; i < 3; ++i) {
      CHECK(k.Post("/api/reviews", reviewBody(kChangeA, "confirmed", std::string(300, 'x')),
                   "application/json")
                ->status == 401);
      CHECK(k.Post("/api/reviews", ana.headers(false), reviewBody(kChangeA, "confirmed"),
                   "application/json")
                ->status == 403);
      CHECK(k.Get("/api/aois", ana.headers())->status == 200);
    }
  }
  // Expiry: idle for longer than the 4 s limit.
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));
  r = c.Get("/api/aois", ana.headers());
  CHECK(r->status == 401);
  CHECK(c.Post("/api/reviews", ana.headers(), reviewBody(kChangeA, "confirmed"), "application/json")
            ->status == 401);
  CHECK_FALSE(fs::exists(f.out / "reviews.jsonl"));
  // Logout ends a session at once.
  const SignedIn ben2 = signIn(c, "ben");
  CHECK(c.Post("/api/logout", ben2.headers(), "", "text/plain")->status == 200);
  CHECK(c.Get("/api/aois", ben2.headers())->status == 401);
}

TEST_CASE(
    "access: sign-in failures say the same for unknown users and wrong passwords, and are "
    "rate-limited",
    "[integration][access]") {
  AccessFixture f;
  auto o = f.options();
  o.loginMaxFailures = 3;
  Served s(o);
  auto c = client(s.port);
  auto login = [&](const std::string& u, const std::string& p) {
    return c.Post("/api/login", json{{"user", u}, {"password", p}}.dump(), "application/json");
  };
  auto unknown = login("nobody", "pw-nobody");
  auto wrong = login("ana", "not-it");
  CHECK(unknown->status == 401);
  CHECK(wrong->status == 401);
  CHECK(unknown->body == wrong->body);
  CHECK(unknown->body == R"({"error":"sign-in failed: wrong user name or password"})");
  CHECK(unknown->get_header_value("Set-Cookie").empty());
  // The third failure from this address reaches the limit: even the right password is refused,
  // for a user that exists and one that does not alike.
  CHECK(login("ana", "still-not")->status == 401);
  auto limited = login("ana", "pw-ana");
  CHECK(limited->status == 429);
  CHECK_THAT(limited->body, Catch::Contains("too many failed sign-ins; try again in"));
  auto limitedUnknown = login("nobody", "x");
  CHECK(limitedUnknown->status == 429);
  CHECK(limitedUnknown->body.substr(0, 40) == limited->body.substr(0, 40));
  CHECK(std::stol(limited->get_header_value("Retry-After")) > 0);
  CHECK(s.server.sessionCount() == 0);
}

TEST_CASE(
    "access: a viewer's decision is 403, the reviewer recorded is the signed-in user, with a hash "
    "chain",
    "[integration][access]") {
  AccessFixture f;
  Served s(f.options());
  auto c = client(s.port);
  const SignedIn vic = signIn(c, "vic");
  auto r =
      c.Post("/api/reviews", vic.headers(), reviewBody(kChangeB, "confirmed"), "application/json");
  CHECK(r->status == 403);
  CHECK_THAT(r->body, Catch::Contains("role viewer may read but not decide"));
  CHECK(json::parse(c.Get("/api/session", vic.headers())->body)["can_decide"] == false);
  CHECK_FALSE(fs::exists(f.out / "reviews.jsonl"));

  const SignedIn ana = signIn(c, "ana");
  // The body's "reviewer" is ignored: the record names who signed in.
  r = c.Post("/api/reviews", ana.headers(), reviewBody(kChangeB, "confirmed"), "application/json");
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["reviewer"] == "ana");
  CHECK(json::parse(r->body)["role"] == "reviewer");
  // Four eyes at the door: rejecting cited evidence without a reason is refused...
  r = c.Post("/api/reviews", ana.headers(), reviewBody(kChangeA, "rejected"), "application/json");
  CHECK(r->status == 400);
  CHECK_THAT(r->body,
             Catch::Contains("rejecting evidence that a discrepancy cites needs a reason"));
  // ...with one, it is recorded as awaiting a second reviewer, whose rejection confirms it.
  r = c.Post("/api/reviews", ana.headers(), reviewBody(kChangeA, "rejected", "a pier, not a ship"),
             "application/json");
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["four_eyes"] == "awaiting a second reviewer's rejection");
  const SignedIn ben = signIn(c, "ben");
  r = c.Post("/api/reviews", ben.headers(), reviewBody(kChangeA, "rejected", "agreed: pier"),
             "application/json");
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["four_eyes"] == "confirms the rejection by ana");

  std::istringstream in(f.reviews());
  std::string line, prev = cw::evidence::kChainGenesis;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    const json j = json::parse(line);
    CHECK(j["seq"] == ++n);
    CHECK(j["prev"] == prev);
    prev = cw::sha256Hex(line);
  }
  CHECK(n == 3);
  const auto chain = cw::evidence::verifyChain(f.out / "reviews.jsonl");
  CHECK(chain.ok);
  CHECK(chain.head.sha256 == prev);
}

TEST_CASE(
    "access: a partner scoped to aoi_a gets 404 for everything of aoi_b, and lists only aoi_a",
    "[integration][access]") {
  AccessFixture f;
  Served s(f.options());
  auto c = client(s.port);
  const SignedIn pat = signIn(c, "pat");
  const auto h = pat.headers();
  const json aois = json::parse(c.Get("/api/aois", h)->body);
  REQUIRE(aois.size() == 1);
  CHECK(aois[0]["id"] == "aoi_a");
  const json jobs = json::parse(c.Get("/api/jobs", h)->body);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0]["aoi"] == "aoi_a");
  CHECK(json::parse(c.Get("/api/jobs?aoi=aoi_b", h)->body).empty());
  const json verdicts = json::parse(c.Get("/api/verdicts", h)->body)["verdicts"];
  REQUIRE(verdicts.size() == 1);
  CHECK(verdicts[0]["aoi"] == "aoi_a");
  // Its own AOI works.
  CHECK(c.Get("/files/aoi_a/s1_s2/chips/c.png", h)->status == 200);
  CHECK(c.Get("/tiles/aoi_a/s1_s2/mask/10/0/0.png", h)->status == 200);
  CHECK(c.Get("/api/evidence?job=aoi_a/s1_s2", h)->status == 200);
  // aoi_b: 404, with the same words as for something that does not exist.
  auto r = c.Get("/api/evidence?job=aoi_b/s1_s2", h);
  CHECK(r->status == 404);
  CHECK(r->body == R"({"error":"unknown job 'aoi_b/s1_s2'"})");
  CHECK(c.Get("/api/evidence?job=aoi_z/s1_s2", h)->body ==
        R"({"error":"unknown job 'aoi_z/s1_s2'"})");
  for (const char* path :
       {"/files/aoi_b/s1_s2/chips/c.png", "/files/aoi_b/s1_s2/evidence.geojson",
        "/files/aoi_b/collection.json", "/tiles/aoi_b/s1_s2/mask/10/0/0.png",
        "/tiles/aoi_b/s1_s2/before/10/0/0.png",
        // top-level files speak of every AOI
        "/files/corroboration.json", "/files/catalog.json", "/files/report.html",
        // traversal with a valid session
        "/files/aoi_a/../aoi_b/s1_s2/chips/c.png", "/files/aoi_a/%2e%2e/aoi_b/s1_s2/chips/c.png",
        "/files/aoi_a/s1_s2/chips/../../../aoi_b/s1_s2/chips/c.png",
        "/tiles/aoi_a/..%2faoi_b/mask/10/0/0.png", "/files/%2e%2e/users.json"}) {
    INFO(path);
    r = c.Get(path, h);
    CHECK(r->status == 404);
    CHECK(r->body.find("chip-of-aoi_b") == std::string::npos);
  }
  r = c.Post("/api/reviews", pat.headers(), reviewBody(kChangeB, "confirmed"), "application/json");
  CHECK(r->status == 404);
  CHECK_THAT(r->body, Catch::Contains("unknown evidence id 'aoi_b-change-000000000001'"));
  CHECK_FALSE(fs::exists(f.out / "reviews.jsonl"));
  // A user with every AOI reads the top-level files.
  const SignedIn ana = signIn(c, "ana");
  CHECK(c.Get("/files/corroboration.json", ana.headers())->status == 200);
  CHECK(c.Get("/files/aoi_b/s1_s2/chips/c.png", ana.headers())->status == 200);
  // Only aoi_a's reviews are listed to pat.
  REQUIRE(
      c.Post("/api/reviews", ana.headers(), reviewBody(kChangeB, "confirmed"), "application/json")
          ->status == 200);
  CHECK(json::parse(c.Get("/api/reviews", h)->body)["reviews"].empty());
  CHECK(json::parse(c.Get("/api/reviews", ana.headers())->body)["reviews"].size() == 1);
}

TEST_CASE(
    "access: every evidence request is in audit.jsonl, hash-chained, with who, what, status and "
    "address",
    "[integration][access]") {
  AccessFixture f;
  Served s(f.options());
  auto c = client(s.port);
  CHECK(c.Get("/files/aoi_a/s1_s2/chips/c.png")->status == 401);
  const SignedIn pat = signIn(c, "pat");
  CHECK(c.Get("/files/aoi_a/s1_s2/chips/c.png", pat.headers())->status == 200);
  CHECK(c.Get("/api/evidence?job=aoi_b/s1_s2", pat.headers())->status == 404);
  CHECK(c.Get("/api/aois", pat.headers())->status == 200);  // not evidence: not audited
  std::vector<json> lines;
  INFO(cw::test::readText(f.out / "audit.jsonl"));
  std::istringstream in(cw::test::readText(f.out / "audit.jsonl"));
  for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0]["user"].is_null());
  CHECK(lines[0]["status"] == 401);
  CHECK(lines[1]["user"] == "pat");
  CHECK(lines[1]["target"] == "/files/aoi_a/s1_s2/chips/c.png");
  CHECK(lines[1]["status"] == 200);
  CHECK(lines[1]["address"] == "127.0.0.1");
  CHECK(lines[2]["target"] == "/api/evidence?job=aoi_b/s1_s2");
  CHECK(lines[2]["status"] == 404);
  CHECK(lines[2]["seq"] == 3);
  CHECK(cw::evidence::verifyChain(f.out / "audit.jsonl").ok);
}

TEST_CASE("access: beyond loopback serve needs --users and TLS, and says which flags",
          "[integration][access]") {
  AccessFixture f;
  ReviewServerOptions o{f.out, f.viewer, "0.0.0.0", 0, 8u << 20};
  CHECK_THROWS_WITH(
      ReviewServer(o),
      Catch::Contains("--host 0.0.0.0 is not loopback: serving beyond this machine needs "
                      "--users USERS_FILE (sign-in) and --tls-cert CERT --tls-key KEY (HTTPS)"));
  o.usersFile = f.users;
  CHECK_THROWS_WITH(ReviewServer(o), Catch::Contains("--tls-cert CERT --tls-key KEY"));
  auto r = cw::test::runCli("serve " + f.out.string() + " --host 0.0.0.0 --port 0 --viewer " +
                            f.viewer.string());
  CHECK(r.exitCode == 2);
  CHECK_THAT(r.output, Catch::Contains(
                           "needs --users USERS_FILE (sign-in) and --tls-cert CERT --tls-key KEY"));
  o.tlsCert = f.tmp / "none.pem";
  CHECK_THROWS_WITH(ReviewServer(o), Catch::Contains("--tls-cert and --tls-key go together"));
}

TEST_CASE("access: serve over TLS with a self-signed certificate, the session cookie is Secure",
          "[integration][access]") {
  AccessFixture f;
  const fs::path cert = f.tmp / "cert.pem", key = f.tmp / "key.pem";
  const auto made = cw::test::run(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " +
      key.string() + " -out " + cert.string());
  REQUIRE(made.exitCode == 0);
  auto o = f.options();
  o.tlsCert = cert;
  o.tlsKey = key;
  Served s(o);
  CHECK(s.server.url().rfind("https://127.0.0.1:", 0) == 0);
  httplib::SSLClient c("127.0.0.1", s.port);
  c.set_ca_cert_path(cert.c_str());
  c.enable_server_certificate_verification(false);  // CN=localhost, connecting by IP
  c.set_connection_timeout(5);
  auto r = c.Post("/api/login", json{{"user", "ana"}, {"password", "pw-ana"}}.dump(),
                  "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const std::string cookie = r->get_header_value("Set-Cookie");
  for (const char* attr : {"HttpOnly", "SameSite=Strict", "Secure", "Path=/"}) {
    INFO(cookie);
    CHECK(cookie.find(attr) != std::string::npos);
  }
  const std::string token = cookie.substr(11, 64);
  r = c.Get("/api/aois", {{"Cookie", "cw_session=" + token}});
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body).size() == 2);
  CHECK(c.Get("/api/aois")->status == 401);
  // Plain HTTP to the TLS port gets no answer.
  httplib::Client plain("127.0.0.1", s.port);
  plain.set_connection_timeout(2);
  plain.set_read_timeout(2);
  auto p = plain.Get("/api/aois");
  CHECK((!p || p->status == 400));
  // A bad key file is refused with the reason.
  cw::test::writeText(f.tmp / "bad.pem", "not a key");
  o.tlsKey = f.tmp / "bad.pem";
  CHECK_THROWS_WITH(ReviewServer(o),
                    Catch::Contains("OpenSSL could not load this certificate and key"));
}
