#include "serve/review_server.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include "core/error.hpp"
#include "core/iso_time.hpp"
#include "core/log.hpp"
#include "evidence/hash_chain.hpp"
#include "evidence/review_log.hpp"
#include "serve/review_server_detail.hpp"
#include "serve/tile_renderer.hpp"
#include "serve/viewer_location.hpp"

namespace cw::serve {

using detail::sendError;
using detail::sendJson;
using nlohmann::json;

// The review time format lives with the ISO parser (core/iso_time.hpp).
std::string detail::nowIso() {
  return cw::nowIsoMillis();
}

namespace {

const std::set<std::string> kDecisions = {"confirmed", "rejected", "unsure"};

std::string contentType(const fs::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".png") return "image/png";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".json" || ext == ".geojson") return "application/json";
  return "application/octet-stream";
}

std::optional<std::string> readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Extends a lon/lat bbox with every coordinate of a GeoJSON geometry.
void growBbox(const json& coords, double bbox[4]) {
  if (!coords.is_array() || coords.empty()) return;
  if (coords[0].is_number()) {
    if (coords.size() < 2) return;
    const double x = coords[0].get<double>(), y = coords[1].get<double>();
    bbox[0] = std::min(bbox[0], x);
    bbox[1] = std::min(bbox[1], y);
    bbox[2] = std::max(bbox[2], x);
    bbox[3] = std::max(bbox[3], y);
    return;
  }
  for (const auto& c : coords) growBbox(c, bbox);
}

bool sendFile(httplib::Response& res, const fs::path& root, const std::string& rel) {
  const fs::path p = resolveInside(root, rel);
  if (p.empty()) return false;
  auto body = readFile(p);
  if (!body) return false;
  res.set_content(std::move(*body), contentType(p).c_str());
  return true;
}

// One request in memory, the response collected: httplib's request parsing, routing and response
// writing run unchanged on it (process_request is protected, hence the subclass).
class MemoryStream : public httplib::Stream {
 public:
  explicit MemoryStream(const std::string& in) : m_in(in) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, m_in.size() - m_pos);
    std::copy_n(m_in.data() + m_pos, n, ptr);
    m_pos += n;
    return ssize_t(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    m_out.append(ptr, size);
    return ssize_t(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  socket_t socket() const override { return -1; }
  std::string& out() { return m_out; }

 private:
  const std::string& m_in;
  size_t m_pos = 0;
  std::string m_out;
};

// The raw-request seam over either server class (plain or TLS): process_request is Server's.
template <class Base>
class MemoryServer : public Base {
 public:
  using Base::Base;
  std::string handle(const std::string& request) {
    MemoryStream stream(request);
    bool closed = false;
    this->process_request(stream, true, closed, nullptr);
    return std::move(stream.out());
  }
};
using HttpServer = MemoryServer<httplib::Server>;
using HttpsServer = MemoryServer<httplib::SSLServer>;

std::unique_ptr<httplib::Server> makeServer(const ReviewServerOptions& o) {
  if (o.tlsCert.empty() != o.tlsKey.empty()) {
    throw UsageError("--tls-cert and --tls-key go together: give both, or neither");
  }
  if (!isLoopbackHost(o.host) && (o.usersFile.empty() || o.tlsCert.empty())) {
    throw UsageError("--host " + o.host +
                     " is not loopback: serving beyond this machine needs "
                     "--users USERS_FILE (sign-in) and --tls-cert CERT --tls-key KEY (HTTPS); "
                     "without them serve binds 127.0.0.1 only");
  }
  if (o.tlsCert.empty()) return std::make_unique<HttpServer>();
  for (const auto& p : {o.tlsCert, o.tlsKey}) {
    if (!fs::is_regular_file(p))
      throw UsageError(p.string() + ": no such file (--tls-cert/--tls-key)");
  }
  auto s = std::make_unique<HttpsServer>(o.tlsCert.c_str(), o.tlsKey.c_str());
  if (!s->is_valid()) {
    throw UsageError(o.tlsCert.string() + ", " + o.tlsKey.string() +
                     ": OpenSSL could not load this certificate and key (PEM, matching pair?)");
  }
  return s;
}

}  // namespace

bool isLoopbackHost(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

fs::path resolveInside(const fs::path& root, const std::string& relative) {
  if (relative.empty() || relative.front() == '/' || relative.find('\\') != std::string::npos ||
      relative.find('\0') != std::string::npos) {
    return {};
  }
  const fs::path rel(relative);
  if (rel.is_absolute() || rel.has_root_name()) return {};
  for (const auto& part : rel) {
    const std::string s = part.string();
    if (s == ".." || s == "." || s.empty()) return {};
  }
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(root, ec);
  if (ec) return {};
  const fs::path full = fs::weakly_canonical(base / rel, ec);
  if (ec) return {};
  // Component-wise prefix check: "/out2/x" is not inside "/out".
  auto b = base.begin(), f = full.begin();
  for (; b != base.end(); ++b, ++f) {
    if (f == full.end() || *b != *f) return {};
  }
  if (!fs::is_regular_file(full, ec)) return {};
  return full;
}

ReviewServer::ReviewServer(ReviewServerOptions options)
    : m_options(std::move(options)),
      m_server(makeServer(m_options)),
      m_tiles(std::make_unique<TileRenderer>(m_options.tileCacheBytes)) {
  if (!fs::exists(m_options.outDir / "plan.json")) {
    throw UsageError((m_options.outDir / "plan.json").string() +
                     ": no plan here; is this the output folder of a run?");
  }
  if (!fs::exists(m_options.viewerDir / "index.html")) {
    throw UsageError((m_options.viewerDir / "index.html").string() +
                     ": viewer not found (pass --viewer DIR)");
  }
  m_options.outDir = fs::canonical(m_options.outDir);
  if (!m_options.usersFile.empty()) {
    m_users = std::make_unique<UserStore>(UserStore::load(m_options.usersFile, true));
    if (m_users->users().empty()) {
      throw UsageError(m_options.usersFile.string() +
                       ": no users (add one with `changewatch users add`)");
    }
    m_sessions = std::make_unique<SessionStore>(std::chrono::seconds(m_options.sessionSeconds),
                                                std::chrono::seconds(m_options.idleSeconds));
    m_limiter = std::make_unique<LoginLimiter>(m_options.loginMaxFailures,
                                               std::chrono::seconds(m_options.loginWindowSeconds));
  }
  loadPlan();
  loadReviews();
  setupRoutes();
}

ReviewServer::~ReviewServer() = default;

void ReviewServer::loadPlan() {
  std::ifstream in(m_options.outDir / "plan.json");
  m_plan = json::parse(in, nullptr, false);
  if (m_plan.is_discarded() || !m_plan.is_object()) {
    throw Error((m_options.outDir / "plan.json").string() + ": not valid JSON");
  }
  // AOI names and kinds are in the resolved config, not in the plan; a missing or odd config only
  // costs the names.
  try {
    const YAML::Node cfg = YAML::LoadFile((m_options.outDir / "config.resolved.yaml").string());
    if (cfg["reviews"] && cfg["reviews"]["four_eyes"])
      m_fourEyes = cfg["reviews"]["four_eyes"].as<bool>(true);
    for (const auto& a : cfg["aois"]) {
      const std::string id = a["id"].as<std::string>("");
      m_aoiNames[id] = {a["name"].as<std::string>(id), a["kind"].as<std::string>("")};
    }
  } catch (const std::exception& e) {
    log::debug(std::string("serve: no AOI names from config.resolved.yaml: ") + e.what());
  }
  for (const auto& j : m_plan.value("jobs", json::array())) {
    const std::string id = j.value("id", "");
    if (id.empty() || id.find("..") != std::string::npos) continue;
    json job = j;
    const fs::path dir = m_options.outDir / id;
    job["pair"] = fs::path(id).filename().string();
    job["complete"] = fs::exists(dir / "evidence.geojson");
    double bbox[4] = {std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
                      -std::numeric_limits<double>::max(), -std::numeric_limits<double>::max()};
    int changes = 0, detections = 0;
    std::ifstream ev(dir / "evidence.geojson");
    if (ev) {
      const json fc = json::parse(ev, nullptr, false);
      if (!fc.is_discarded()) {
        for (const auto& f : fc.value("features", json::array())) {
          const std::string fid = f.value("id", "");
          if (!fid.empty()) m_evidenceJob[fid] = id;
          if (f.contains("geometry") && f["geometry"].is_object()) {
            growBbox(f["geometry"].value("coordinates", json::array()), bbox);
          }
          const std::string type = f.value("properties", json::object()).value("feature_type", "");
          changes += type == "change";
          detections += type == "detection";
        }
      }
    }
    if (bbox[0] <= bbox[2]) job["bounds"] = {bbox[0], bbox[1], bbox[2], bbox[3]};
    job["changes"] = changes;
    job["detections"] = detections;
    m_jobs[id] = job;
    m_tiles->addJob(id, dir);
  }
}

void ReviewServer::loadReviews() {
  // A crash or a full disk can cut the last line short; it was never acknowledged, and left there
  // it would glue the next review onto itself.
  for (const char* name : {"reviews.jsonl", "audit.jsonl"}) {
    if (const auto dropped = evidence::repairTornTail(m_options.outDir / name)) {
      log::warn(std::string(name) + ": cut off a torn last line of " + std::to_string(dropped) +
                " bytes (a write that never completed, so never acknowledged)");
    }
  }
  const auto chain = evidence::verifyChain(m_options.outDir / "reviews.jsonl");
  if (!chain.ok) {
    log::warn(chain.problem +
              "; new reviews cannot be appended until the chain is repaired "
              "(`changewatch verify` names the line)");
  }
  std::ifstream in(m_options.outDir / "reviews.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("evidence_id")) {
      log::warn("reviews.jsonl:" + std::to_string(n) + ": not a review; skipped");
      continue;
    }
    const std::string id = j.value("evidence_id", "");
    m_reviewState[id] = j;
    m_decisionsByUser[id][j.value("reviewer", "")] = j;
    ++m_reviewCount;
  }
}

std::set<std::string> ReviewServer::discrepancyEvidence() const {
  std::set<std::string> ids;
  std::ifstream in(m_options.outDir / "corroboration.json");
  const json corr = in ? json::parse(in, nullptr, false) : json();
  if (!corr.is_object()) return ids;
  for (const auto& v : corr.value("verdicts", json::array())) {
    if (!v.is_object() || v.value("verdict", "") != "discrepancy") continue;
    for (const auto& id : v.value("evidence_ids", json::array())) {
      if (id.is_string()) ids.insert(id.get<std::string>());
    }
  }
  return ids;
}

std::string ReviewServer::aoiOfJob(const std::string& job) const {
  const auto it = m_jobs.find(job);
  return it == m_jobs.end() ? std::string() : it->second.value("aoi", "");
}

json ReviewServer::addReview(const json& body, const Principal* who) {
  const Principal local{"", "local", {}, "", false};
  if (!who) who = &local;
  if (!body.is_object()) throw UsageError("body must be a JSON object");
  for (const char* k : {"evidence_id", "decision"}) {
    if (!body.contains(k) || !body[k].is_string()) {
      throw UsageError(std::string("missing string field '") + k + "'");
    }
  }
  for (const char* k : {"reviewer", "comment"}) {
    if (body.contains(k) && !body[k].is_string()) {
      throw UsageError(std::string("field '") + k + "' must be a string");
    }
  }
  const std::string id = body["evidence_id"];
  const std::string decision = body["decision"];
  // Signed in: the reviewer is who signed in, whatever the body says.
  const std::string reviewer = who->authenticated ? who->user : body.value("reviewer", "");
  const std::string comment = body.value("comment", "");
  if (id.size() > 256) throw UsageError("evidence_id too long");
  const auto job = m_evidenceJob.find(id);
  if (job == m_evidenceJob.end() || !who->maySee(aoiOfJob(job->second))) {
    throw NotFound("unknown evidence id '" + id + "'");
  }
  if (!kDecisions.count(decision)) {
    throw UsageError("decision must be confirmed, rejected or unsure, not '" +
                     decision.substr(0, 64) + "'");
  }
  if (reviewer.size() > kMaxReviewerBytes) {
    throw UsageError("reviewer longer than " + std::to_string(kMaxReviewerBytes) + " bytes");
  }
  if (comment.size() > kMaxCommentBytes) {
    throw UsageError("comment longer than " + std::to_string(kMaxCommentBytes) + " bytes");
  }
  const bool cited = decision == "rejected" && m_fourEyes && discrepancyEvidence().count(id);
  json record = {{"evidence_id", id},        {"decision", decision},
                 {"reviewer", reviewer},     {"role", who->role},
                 {"comment", comment},       {"job", job->second},
                 {"time", detail::nowIso()}, {"auth", who->authenticated ? "password" : "none"}};
  std::lock_guard lock(m_reviewMutex);
  if (cited) {
    // Four eyes: the first rejection of evidence a discrepancy cites must give its reason; a
    // second reviewer's rejection confirms it. merge recomputes this from the chain; the answer
    // says it for the reviewer's benefit.
    std::string first;
    for (const auto& [user, r] : m_decisionsByUser[id]) {
      if (user != reviewer && r.value("decision", "") == "rejected") first = user;
    }
    if (first.empty() && comment.find_first_not_of(" \t\r\n") == std::string::npos) {
      throw UsageError(
          "rejecting evidence that a discrepancy cites needs a reason: write it in the comment");
    }
    if (first.empty())
      record["four_eyes"] = "awaiting a second reviewer's rejection";
    else
      record["four_eyes"] = "confirms the rejection by " + first;
  }
  evidence::appendChainedLine(m_options.outDir / "reviews.jsonl", record);
  m_reviewState[id] = record;
  m_decisionsByUser[id][reviewer] = record;
  ++m_reviewCount;
  return record;
}

json ReviewServer::reviewState(const Principal* who) const {
  std::lock_guard lock(m_reviewMutex);
  json reviews = json::object();
  std::size_t count = 0;
  for (const auto& [id, r] : m_reviewState) {
    if (who && !who->maySee(aoiOfJob(r.value("job", "")))) continue;
    reviews[id] = r;
  }
  count = who && !who->allAois() ? reviews.size() : m_reviewCount;
  return {{"reviews", reviews}, {"count", count}};
}

void ReviewServer::setupRoutes() {
  auto& s = *m_server;
  s.set_payload_max_length(kMaxBodyBytes);
  // httplib writes headers and body separately; with Nagle on, the body waits for the client's
  // delayed ACK and every warm tile took ~40 ms (measured with bench/bench_serve.sh).
  s.set_tcp_nodelay(true);
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    const std::string& p = req.path;
    // Refuse any traversal before routing, whether it arrived plain or percent-encoded (httplib
    // has already decoded req.path): no route would serve it, but a 404 here is unconditional.
    const bool endsInDotDot = p.size() >= 3 && p.compare(p.size() - 3, 3, "/..") == 0;
    if (p.find("/../") != std::string::npos || endsInDotDot || p.find('\0') != std::string::npos ||
        p.find("//") != std::string::npos || p.find('\\') != std::string::npos) {
      res.status = 404;
      res.set_content("not found", "text/plain");
      if (isEvidencePath(p)) audit(req, res.status);
      return httplib::Server::HandlerResponse::Handled;
    }
    // Requests with a body (POST) are checked in their handlers (sessionWriter): answering here
    // would leave the unread body in the connection, to be parsed as the next request (seen in
    // bench/soak_serve.sh --login as stray 400s).
    const bool reads = req.method == "GET" || req.method == "HEAD";
    if (!m_users || publicPath(p) || !reads || principalOf(req)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    sendError(res, 401, "not signed in (no session, or it expired): sign in at /");
    if (isEvidencePath(p)) audit(req, res.status);
    return httplib::Server::HandlerResponse::Handled;
  });
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) res.set_content(std::to_string(res.status) + "\n", "text/plain");
  });
  setupAuthRoutes();
  setupFileRoutes();
  setupApiRoutes();
}

void ReviewServer::setupFileRoutes() {
  auto& s = *m_server;
  const fs::path out = m_options.outDir;
  const fs::path viewer = m_options.viewerDir;
  for (const std::string name : {"index.html", "app.js", "auth.js", "style.css"}) {
    const std::string route = name == "index.html" ? "/" : "/" + name;
    s.Get(route, [viewer, name](const httplib::Request&, httplib::Response& res) {
      if (!sendFile(res, viewer, name)) res.status = 404;
      res.set_header("Cache-Control", "no-cache");
    });
  }
  const fs::path leaflet = leafletDirOf(viewer);
  s.Get(R"(/vendor/leaflet/(.+))", [leaflet](const httplib::Request& req, httplib::Response& res) {
    if (!sendFile(res, leaflet, req.matches[1])) res.status = 404;
  });
  s.Get(R"(/files/(.+))", [this, out](const httplib::Request& req, httplib::Response& res) {
    // Only the evidence chips, report.html and small JSON/GeoJSON of a run: never rasters or the
    // .work folder. A file below an AOI folder needs that AOI; one at the top of OUT
    // (corroboration, catalog, report) speaks of every AOI, so it needs all of them.
    const std::string rel = req.matches[1];
    const std::string ext = fs::path(rel).extension().string();
    const auto who = principalOf(req);
    const std::string first = fs::path(rel).begin()->string();
    const bool atTop = rel.find('/') == std::string::npos;
    const bool allowed = who && (atTop ? who->allAois() : who->maySee(first));
    if (!allowed ||
        (ext != ".png" && ext != ".json" && ext != ".geojson" && rel != "report.html") ||
        rel.find("/.") != std::string::npos || rel.front() == '.' || !sendFile(res, out, rel)) {
      res.status = 404;
      res.body.clear();
    }
    audit(req, res.status == -1 ? 200 : res.status);
  });
  s.Get("/report", [this](const httplib::Request& req, httplib::Response& res) {
    res.set_redirect("/files/report.html");
    audit(req, res.status);
  });
  s.Get(
      R"(/tiles/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)/(before|after|score|mask)/(\d{1,2})/(\d{1,8})/(\d{1,8})\.png)",
      [this](const httplib::Request& req, httplib::Response& res) {
        const std::string job = std::string(req.matches[1]) + "/" + std::string(req.matches[2]);
        const auto who = principalOf(req);
        if (!m_jobs.count(job) || !who || !who->maySee(aoiOfJob(job))) {
          return sendError(res, 404, "unknown job " + job);
        }
        try {
          auto png =
              m_tiles->render(job, *parseTileLayer(req.matches[3]), std::stoi(req.matches[4]),
                              std::stoi(req.matches[5]), std::stoi(req.matches[6]));
          res.set_content(*png, "image/png");
          // Private: a shared cache must not hand one partner's tiles to another.
          res.set_header("Cache-Control", m_users ? "private, max-age=3600" : "max-age=3600");
        } catch (const UsageError& e) {
          sendError(res, 404, e.what());
        } catch (const std::exception& e) {
          log::warn(std::string("tile ") + req.path + ": " + e.what());
          sendError(res, 500, e.what());
        }
      });
}

void ReviewServer::setupApiRoutes() {
  auto& s = *m_server;
  s.Get("/api/aois", [this](const httplib::Request& req, httplib::Response& res) {
    const auto who = principalOf(req);
    json aois = json::array();
    std::map<std::string, json> verdicts;
    std::ifstream in(m_options.outDir / "corroboration.json");
    const json corr = in ? json::parse(in, nullptr, false) : json();
    if (corr.is_object()) {
      for (const auto& v : corr.value("verdicts", json::array()))
        verdicts[v.value("aoi", "")].push_back(v);
    }
    for (const auto& a : m_plan.value("aois", json::array())) {
      const std::string id = a.value("id", a.value("aoi", ""));
      if (!who || !who->maySee(id)) continue;
      int jobs = 0;
      for (const auto& [jid, j] : m_jobs) jobs += j.value("aoi", "") == id;
      json summary = {{"consistent", 0}, {"discrepancy", 0}, {"unverifiable", 0}};
      for (const auto& v : verdicts[id]) {
        const std::string k = v.value("verdict", "");
        if (summary.contains(k)) summary[k] = summary[k].get<int>() + 1;
      }
      const auto names = m_aoiNames.count(id) ? m_aoiNames.at(id) : std::pair{id, std::string()};
      aois.push_back({{"id", id},
                      {"name", names.first},
                      {"kind", names.second},
                      {"jobs", jobs},
                      {"verdicts", summary}});
    }
    sendJson(res, aois);
  });
  s.Get("/api/jobs", [this](const httplib::Request& req, httplib::Response& res) {
    const auto who = principalOf(req);
    const std::string aoi = req.get_param_value("aoi");
    json jobs = json::array();
    for (const auto& [id, j] : m_jobs) {
      const std::string a = j.value("aoi", "");
      if (who && who->maySee(a) && (aoi.empty() || a == aoi)) jobs.push_back(j);
    }
    sendJson(res, jobs);
  });
  s.Get("/api/evidence", [this](const httplib::Request& req, httplib::Response& res) {
    const auto who = principalOf(req);
    const std::string job = req.get_param_value("job");
    if (!m_jobs.count(job) || !who || !who->maySee(aoiOfJob(job))) {
      sendError(res, 404, "unknown job '" + job.substr(0, 200) + "'");
    } else if (auto body = readFile(m_options.outDir / job / "evidence.geojson")) {
      res.set_content(std::move(*body), "application/geo+json");
    } else {
      sendError(res, 404, "job " + job + " has no evidence.geojson");
    }
    // Before the answer leaves: the trail holds every request that was answered.
    audit(req, res.status == -1 ? 200 : res.status);
  });
  s.Get("/api/verdicts", [this](const httplib::Request& req, httplib::Response& res) {
    const auto who = principalOf(req);
    std::ifstream in(m_options.outDir / "corroboration.json");
    const json corr = in ? json::parse(in, nullptr, false) : json();
    json rows = json::array();
    if (corr.is_object()) {
      for (const auto& v : corr.value("verdicts", json::array())) {
        if (who && v.is_object() && who->maySee(v.value("aoi", ""))) rows.push_back(v);
      }
    }
    sendJson(res, {{"available", corr.is_object()}, {"verdicts", rows}});
  });
  s.Get("/api/reviews", [this](const httplib::Request& req, httplib::Response& res) {
    const auto who = principalOf(req);
    sendJson(res, reviewState(who ? &*who : nullptr));
  });
  s.Post("/api/reviews", [this](const httplib::Request& req, httplib::Response& res) {
    const auto who = sessionWriter(req, res);
    if (!who) return;
    if (!who->mayDecide()) {
      return sendError(
          res, 403,
          "role " + who->role + " may read but not decide; ask an admin for the reviewer role");
    }
    const json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return sendError(res, 400, "body is not valid JSON");
    try {
      sendJson(res, addReview(body, &*who));
    } catch (const NotFound& e) {
      sendError(res, 404, e.what());
    } catch (const UsageError& e) {
      sendError(res, 400, e.what());
    } catch (const std::exception& e) {
      sendError(res, 500, e.what());
    }
  });
}

int ReviewServer::bind() {
  if (m_options.port == 0) {
    m_boundPort = m_server->bind_to_any_port(m_options.host);
    if (m_boundPort <= 0) throw Error("cannot bind " + m_options.host + " (any port)");
  } else {
    if (!m_server->bind_to_port(m_options.host, m_options.port)) {
      throw Error("cannot bind " + m_options.host + ":" + std::to_string(m_options.port) +
                  " (in use, or not an address of this machine)");
    }
    m_boundPort = m_options.port;
  }
  return m_boundPort;
}

std::string ReviewServer::handleRawRequest(const std::string& request) {
  if (m_options.tlsCert.empty()) return static_cast<HttpServer&>(*m_server).handle(request);
  return static_cast<HttpsServer&>(*m_server).handle(request);
}

void ReviewServer::run() {
  m_server->listen_after_bind();
}

void ReviewServer::stop() {
  m_server->stop();
}

std::string ReviewServer::url() const {
  const bool v6 = m_options.host.find(':') != std::string::npos;
  return std::string(m_options.tlsCert.empty() ? "http://" : "https://") +
         (v6 ? "[" + m_options.host + "]" : m_options.host) + ":" + std::to_string(m_boundPort) +
         "/";
}

}  // namespace cw::serve
