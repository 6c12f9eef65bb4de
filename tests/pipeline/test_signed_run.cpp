// Tamper-evident decisions and signed, purgeable run folders, end to end on one simulator run
// (the false "idle" declaration of the simulator is a discrepancy citing ship detections):
// the 19-request attack of issue 19, four eyes with the reason text it produces, sign -> copy ->
// verify --pubkey -> one byte edited -> exit 1, tampered logs named by line, purge -> verify.
#include <fstream>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/sha256.hpp"
#include "evidence/hash_chain.hpp"
#include "serve/review_server.hpp"
#include "serve/users.hpp"
#include "tests/test_support.hpp"

using cw::test::readJson;
using cw::test::readText;
using cw::test::runCli;
using cw::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The run of tests/pipeline/test_run_e2e.cpp (the same shared fixture), copied before any change.
const cw::test::SimulatedRun& simRun() {
  static const auto run =
      cw::test::simulatedRun("e2e-seed3-1024", "--seed 3 --size 1024 --dates 2");
  return run;
}

// A private copy of the run's output folder.
struct Copy {
  TempDir tmp{"cwsignedcopy"};
  fs::path out = tmp / "out";
  Copy() {
    REQUIRE(simRun().exitCode == 0);
    fs::copy(simRun().out, out, fs::copy_options::recursive);
  }
  std::string merge() const {
    auto r = runCli("merge " + (simRun().dir / "config.yaml").string() + " --out " + out.string());
    INFO(r.output);
    REQUIRE(r.exitCode == 0);
    return r.output;
  }
  json idle() const {
    const json corr = readJson(out / "corroboration.json");
    for (const auto& v : corr["verdicts"]) {
      if (v["reference"] == "SIM-FALSE-IDLE") return v;
    }
    FAIL("no SIM-FALSE-IDLE verdict");
    return {};
  }
};

void flipByte(const fs::path& p, std::streamoff at) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(at);
  char ch = 0;
  f.read(&ch, 1);
  ch = static_cast<char>(ch == '0' ? '1' : '0');
  f.seekp(at);
  f.write(&ch, 1);
  REQUIRE(f.good());
}

struct Served {
  cw::serve::ReviewServer server;
  int port;
  std::thread thread;
  explicit Served(const cw::serve::ReviewServerOptions& o)
      : server(o), port(server.bind()), thread([this] { server.run(); }) {}
  ~Served() {
    server.stop();
    thread.join();
  }
};

std::pair<std::string, std::string> signIn(httplib::Client& c, const std::string& user) {
  auto r = c.Post("/api/login", json{{"user", user}, {"password", "pw-" + user}}.dump(),
                  "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const std::string sc = r->get_header_value("Set-Cookie");
  return {sc.substr(11, 64), json::parse(r->body)["csrf"]};
}

}  // namespace

TEST_CASE(
    "signed run: the 19-request attack leaves the verdict, four eyes flip it with the reason that "
    "says so",
    "[integration][slow][access]") {
  Copy c;
  const json before = c.idle();
  REQUIRE(before["verdict"] == "discrepancy");
  const auto cited = before["evidence_ids"].get<std::vector<std::string>>();
  REQUIRE(!cited.empty());
  cw::test::TempDir keys("cwsignedusers");
  cw::serve::UserStore store;
  for (const std::string u : {"ana", "ben"}) {
    store.add({u, cw::serve::Role::Reviewer, {"*"}, cw::serve::hashPassword("pw-" + u)});
  }
  store.save(keys / "users.json");
  cw::serve::ReviewServerOptions o{c.out, fs::path(CW_SOURCE_DIR) / "viewer", "127.0.0.1", 0,
                                   8u << 20};
  o.usersFile = keys / "users.json";
  {
    Served s(o);
    httplib::Client h("127.0.0.1", s.port);
    // The attack: nineteen unauthenticated rejections, as measured on the demo run.
    for (int i = 0; i < 19; ++i) {
      const json body = {{"evidence_id", cited[std::size_t(i) % cited.size()]},
                         {"decision", "rejected"},
                         {"reviewer", "anyone"}};
      auto r = h.Post("/api/reviews", body.dump(), "application/json");
      REQUIRE(r);
      CHECK(r->status == 401);
    }
    CHECK_FALSE(fs::exists(c.out / "reviews.jsonl"));
    // One reviewer rejecting everything, with reasons: recorded, awaiting a second reviewer.
    const auto [anaCookie, anaCsrf] = signIn(h, "ana");
    for (const auto& id : cited) {
      const json body = {
          {"evidence_id", id}, {"decision", "rejected"}, {"comment", "wake of a ferry"}};
      auto r =
          h.Post("/api/reviews", {{"Cookie", "cw_session=" + anaCookie}, {"X-CSRF-Token", anaCsrf}},
                 body.dump(), "application/json");
      REQUIRE(r->status == 200);
    }
  }
  c.merge();
  const json pending = c.idle();
  CHECK(pending["verdict"] == "discrepancy");
  CHECK(pending["evidence_ids"] == before["evidence_ids"]);
  CHECK(pending["reviews"][cited[0]] == "rejection pending");
  CHECK_THAT(readText(c.out / "report.html"),
             Catch::Contains("pending: rejecting evidence a discrepancy cites needs"));

  // The second reviewer confirms: now it flips, and the reason says what happened.
  {
    Served s(o);
    httplib::Client h("127.0.0.1", s.port);
    const auto [cookie, csrf] = signIn(h, "ben");
    for (const auto& id : cited) {
      const json body = {{"evidence_id", id}, {"decision", "rejected"}};
      REQUIRE(h.Post("/api/reviews", {{"Cookie", "cw_session=" + cookie}, {"X-CSRF-Token", csrf}},
                     body.dump(), "application/json")
                  ->status == 200);
    }
  }
  c.merge();
  const json after = c.idle();
  INFO(after.dump());
  CHECK(after["verdict"] != "discrepancy");
  const std::string reason = after["reason"];
  CHECK_THAT(reason, Catch::StartsWith("was discrepancy; " + std::to_string(cited.size()) +
                                       (cited.size() == 1 ? " item" : " items") +
                                       " rejected by ana, confirmed by ben on 20"));
  CHECK_THAT(reason, Catch::Contains("; now: "));
  const std::string report = readText(c.out / "report.html");
  CHECK_THAT(report, Catch::Contains("Review decisions"));
  CHECK_THAT(report, Catch::Contains("wake of a ferry"));
  CHECK_THAT(report, Catch::Contains("was discrepancy; "));
  CHECK(runCli("verify " + c.out.string() + " --skip-inputs").exitCode == 0);
}

TEST_CASE(
    "signed run: sign, copy, verify --pubkey, one byte of manifest.json edited makes verify exit 1",
    "[integration][slow][access]") {
  Copy c;
  TempDir keys("cwkeys");
  const std::string key = (keys / "issuer.key").string();
  auto r = runCli("keygen " + key);
  REQUIRE(r.exitCode == 0);
  CHECK((fs::status(key).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(runCli("keygen " + key).exitCode == 2);  // never overwrites
  // Reviews and audit lines exist before signing, so their chain heads go into the manifest.
  json rec = {
      {"evidence_id", "x"}, {"decision", "confirmed"}, {"reviewer", "ana"}, {"role", "reviewer"}};
  cw::evidence::appendChainedLine(c.out / "reviews.jsonl", rec);
  r = runCli("sign " + c.out.string() + " --key " + key);
  INFO(r.output);
  REQUIRE(r.exitCode == 0);
  const json m = readJson(c.out / "manifest.json");
  CHECK(m["chains"]["reviews.jsonl"]["lines"] == 1);
  CHECK(m["chains"]["reviews.jsonl"]["head_sha256"] ==
        cw::evidence::verifyChain(c.out / "reviews.jsonl").head.sha256);
  CHECK(m["chains"]["audit.jsonl"]["lines"] == 0);

  // The partner's copy.
  TempDir partner("cwpartner");
  fs::copy(c.out, partner / "out", fs::copy_options::recursive);
  const std::string out = (partner / "out").string();
  r = runCli("verify " + out + " --skip-inputs --pubkey " + key + ".pub");
  INFO(r.output);
  CHECK(r.exitCode == 0);
  CHECK_THAT(r.output, Catch::Contains("signature: OK (key "));
  CHECK_THAT(r.output, Catch::Contains("manifest.json sha256 " +
                                       cw::sha256File(partner / "out" / "manifest.json")));
  // A review appended after signing is noted, not a failure.
  cw::evidence::appendChainedLine(partner / "out" / "reviews.jsonl", rec);
  r = runCli("verify " + out + " --skip-inputs --pubkey " + key + ".pub");
  CHECK(r.exitCode == 0);
  CHECK_THAT(r.output, Catch::Contains("reviews.jsonl: 1 line(s) appended after signing"));

  // Another key: refused before any hash is looked at.
  const std::string other = (keys / "other.key").string();
  REQUIRE(runCli("keygen " + other).exitCode == 0);
  r = runCli("verify " + out + " --skip-inputs --pubkey " + other + ".pub");
  CHECK(r.exitCode == 1);
  CHECK_THAT(r.output, Catch::Contains("manifest.json: the signature does not verify with key"));
  CHECK_THAT(r.output, Catch::Contains("no hash was checked"));

  // One byte of manifest.json.
  const std::string text = readText(partner / "out" / "manifest.json");
  flipByte(partner / "out" / "manifest.json", std::streamoff(text.find("\"sha256\": \"") + 11));
  r = runCli("verify " + out + " --skip-inputs --pubkey " + key + ".pub");
  CHECK(r.exitCode == 1);
  CHECK_THAT(r.output, Catch::Contains("manifest.json: the signature does not verify with key"));
  // A bad signature file.
  TempDir third("cwthird");
  fs::copy(c.out, third / "out", fs::copy_options::recursive);
  flipByte(
      third / "out" / "manifest.json.sig",
      std::streamoff(readText(third / "out" / "manifest.json.sig").find("\"signature\": \"") + 14));
  r = runCli("verify " + (third / "out").string() + " --skip-inputs --pubkey " + key + ".pub");
  CHECK(r.exitCode == 1);
  CHECK_THAT(r.output, Catch::Contains("the signature does not verify"));
}

TEST_CASE(
    "signed run: an edited manifest with its hash updated, a tampered or deleted review line: "
    "verify exit 1 naming it",
    "[integration][slow][access]") {
  Copy c;
  for (int i = 0; i < 3; ++i) {
    json rec = {{"evidence_id", "e" + std::to_string(i)},
                {"decision", "confirmed"},
                {"reviewer", "ana"},
                {"role", "reviewer"}};
    cw::evidence::appendChainedLine(c.out / "reviews.jsonl", rec);
  }
  TempDir keys("cwkeys2");
  REQUIRE(runCli("keygen " + (keys / "k").string()).exitCode == 0);
  REQUIRE(runCli("sign " + c.out.string() + " --key " + (keys / "k").string()).exitCode == 0);
  const std::string reviews = readText(c.out / "reviews.jsonl");

  SECTION("a tampered review line") {
    std::string t = reviews;
    t.replace(t.find("confirmed"), 9, "rejected!");
    cw::test::writeText(c.out / "reviews.jsonl", t);
    auto r = runCli("verify " + c.out.string() + " --skip-inputs");
    CHECK(r.exitCode == 1);
    CHECK_THAT(r.output, Catch::Contains("reviews.jsonl: line 2: \"prev\" does not match the "
                                         "SHA-256 of line 1: line 1 was changed"));
  }
  SECTION("a deleted review line") {
    std::string t = reviews;
    const auto a = t.find('\n') + 1;
    t.erase(a, t.find('\n', a) + 1 - a);
    cw::test::writeText(c.out / "reviews.jsonl", t);
    auto r = runCli("verify " + c.out.string() + " --skip-inputs");
    CHECK(r.exitCode == 1);
    CHECK_THAT(r.output,
               Catch::Contains("reviews.jsonl: line 2: sequence number 3 where 2 was due"));
  }
  SECTION("the last line edited: only the signed chain head shows it") {
    std::string t = reviews;
    t.replace(t.rfind("confirmed"), 9, "rejected!");
    cw::test::writeText(c.out / "reviews.jsonl", t);
    auto r = runCli("verify " + c.out.string() + " --skip-inputs");
    CHECK(r.exitCode == 1);
    CHECK_THAT(
        r.output,
        Catch::Contains(
            "reviews.jsonl: line 3 (the last when signed) does not hash to the signed chain head"));
  }
  SECTION(
      "corroboration.csv edited and its hash updated in manifest.json: the signature catches it") {
    const fs::path csv = c.out / "corroboration.csv";
    const std::string oldHash = cw::sha256File(csv);
    cw::test::writeText(csv, readText(csv) + "aoi,x,y,activity,idle,none,consistent,forged,,,,\n");
    std::string m = readText(c.out / "manifest.json");
    m.replace(m.find(oldHash), oldHash.size(), cw::sha256File(csv));
    cw::test::writeText(c.out / "manifest.json", m);
    CHECK(runCli("verify " + c.out.string() + " --skip-inputs").exitCode ==
          0);  // hashes alone agree
    auto r =
        runCli("verify " + c.out.string() + " --skip-inputs --pubkey " + (keys / "k.pub").string());
    CHECK(r.exitCode == 1);
    CHECK_THAT(r.output, Catch::Contains("manifest.json: the signature does not verify"));
  }
}

TEST_CASE(
    "signed run: purge removes expired chips and rasters, verify reports them purged, not missing",
    "[integration][slow][access]") {
  Copy c;
  // Retention: chips after 30 days, rasters after 365 (the operator's config; purge --config).
  const fs::path cfg = c.tmp / "config.yaml";
  cw::test::writeText(cfg,
                      readText(simRun().dir / "config.yaml") +
                          "retention:\n  chips_days: 30\n  rasters_days: 365\n  ais_days: 30\n");
  const auto plan = readJson(c.out / "plan.json");
  const fs::path job = c.out / plan["jobs"][0]["id"].get<std::string>();
  const std::string finished = readJson(job / "job.json")["finished"];
  const std::string purge = "purge " + c.out.string() + " --config " + cfg.string();
  // An AIS store (vessels/ais_store.hpp) written now, not listed in the manifest: aged by its
  // mtime.
  const fs::path ais = c.out / plan["jobs"][0]["aoi"].get<std::string>() / "ais.gpkg";
  cw::test::writeText(ais, "not really a GeoPackage");
  // Not expired on the day the job finished.
  auto r = runCli(purge + " --as-of " + finished);
  INFO(r.output);
  REQUIRE(r.exitCode == 0);
  CHECK_THAT(r.output, Catch::Contains(": 0 file(s)"));
  std::size_t chips = 0;
  for (const auto& e : fs::recursive_directory_iterator(c.out)) {
    chips += e.path().parent_path().filename() == "chips" && e.path().extension() == ".png";
  }
  REQUIRE(chips > 0);
  std::string fortyDays;  // finished + 40 days (the simulator's clock is real time)
  {
    const auto t = cw::test::run("date -u -d '" + finished + " + 40 days' +%Y-%m-%dT%H:%M:%SZ");
    REQUIRE(t.exitCode == 0);
    fortyDays = t.output.substr(0, 20);
  }
  r = runCli(purge + " --as-of " + fortyDays + " --dry-run");
  CHECK_THAT(r.output, Catch::Contains("would purge: "));
  CHECK_THAT(r.output, Catch::Contains(std::to_string(chips + 1) + " file(s)"));
  r = runCli(purge + " --as-of " + fortyDays);
  INFO(r.output);
  REQUIRE(r.exitCode == 0);
  CHECK_THAT(r.output, Catch::Contains("purged: "));
  std::size_t left = 0, tifs = 0;
  for (const auto& e : fs::recursive_directory_iterator(c.out)) {
    left += e.path().parent_path().filename() == "chips" && e.path().extension() == ".png";
    tifs += e.path().extension() == ".tif";
  }
  CHECK(left == 0);
  CHECK(tifs > 0);
  CHECK_FALSE(fs::exists(ais));
  CHECK_THAT(r.output,
             Catch::Contains("purged: " + ais.lexically_relative(c.out).generic_string()));
  const auto chain = cw::evidence::verifyChain(c.out / "purged.jsonl");
  CHECK(chain.ok);
  CHECK(chain.lines == chips + 1);  // and the AIS store
  r = runCli("verify " + c.out.string() + " --skip-inputs");
  INFO(r.output);
  CHECK(r.exitCode == 0);
  CHECK_THAT(r.output, Catch::Contains("purged: "));
  CHECK_THAT(r.output, Catch::Contains("(purged " + fortyDays + ": chips_days=30 after "));
  CHECK(r.output.find("missing: ") == std::string::npos);
}
