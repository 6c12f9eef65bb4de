#pragma once
// The reviewer server behind `changewatch serve OUT`: the viewer's static files, XYZ map tiles of
// each job (serve/tile_renderer.hpp) and a small JSON API over a run output folder.
//
//   GET  /                                      viewer (index.html, app.js, auth.js, style.css)
//   GET  /vendor/leaflet/<file>                 Leaflet (viewer/vendor/leaflet or node_modules)
//   GET  /tiles/<aoi>/<pair>/<layer>/<z>/<x>/<y>.png   layer: before|after|score|mask
//   GET  /api/session                           who is signed in, role, AOIs, CSRF token
//   POST /api/login                             {user, password} -> session cookie + CSRF token
//   POST /api/logout                            ends the session
//   GET  /api/aois                              AOIs with job count and verdict summary
//   GET  /api/jobs[?aoi=A]                      jobs of the plan (id, aoi, pair, times, bounds)
//   GET  /api/evidence?job=<aoi>/<pair>         the job's evidence.geojson
//   GET  /api/verdicts                          OUT/corroboration.json rows, [] when absent
//   GET  /api/reviews                           last decision per evidence id + count
//   POST /api/reviews                           {evidence_id, decision, comment[, reviewer]}
//   GET  /files/<aoi>/<pair>/chips/<file>.png   evidence chips (and the run's JSON/GeoJSON)
//   GET  /report                                redirect to /files/report.html
//
// Access (docs/access.md). Without `usersFile` serve is a single-user tool: it binds loopback
// only, everyone who reaches it reads everything, and reviews carry the free-text reviewer with
// role "local" (which merge does not apply unless the config says reviews.trust_local). With
// `usersFile` every route but the viewer's static files and /api/login needs a session cookie
// (401 without one), every POST but /api/login needs the session's CSRF token in X-CSRF-Token
// (403), anything of an AOI the user may not see is 404 exactly like something that does not
// exist, lists show only the user's AOIs, and a viewer's decision is 403. A non-loopback --host
// needs both `usersFile` and TLS (`tlsCert`/`tlsKey`). Every request for evidence (/api/evidence,
// /files/, /report) is appended to OUT/audit.jsonl, hash-chained (evidence/hash_chain.hpp).
//
// Security: nothing outside OUT and the viewer folder is served. Every file path is resolved with
// symlinks (weakly_canonical) and must stay under its root; `..`, absolute paths, symlinks out of
// the root and percent-encoded traversal get 404, directories get 404 (no listing). Tiles and API
// take job ids only from the plan, never paths. Request bodies are limited to 64 KiB; the writes
// are POST /api/reviews, which appends one hash-chained line to OUT/reviews.jsonl (flock, O_APPEND,
// a single write(), fsync) so concurrent writers never tear lines, and the audit lines.
//
// Four eyes: rejecting evidence that a discrepancy of OUT/corroboration.json cites needs a
// comment (the reason); merge applies such a rejection only once a second reviewer has rejected it
// too (pipeline/review_policy.hpp). The answer to the first rejection says it awaits a second.
//
// Thread-safety: the server answers on a thread pool; all state is guarded.
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "serve/auth.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace cw::serve {
class TileRenderer;
}

namespace cw::serve {

namespace fs = std::filesystem;

struct ReviewServerOptions {
  fs::path outDir;     // run output folder (with plan.json)
  fs::path viewerDir;  // index.html, app.js, style.css; Leaflet: leafletDirOf()
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  std::size_t tileCacheBytes = 64u << 20;
  fs::path usersFile{};           // empty: no login (loopback only)
  fs::path tlsCert{}, tlsKey{};   // both or neither: HTTPS
  int sessionSeconds = 8 * 3600;  // a session ends this long after sign-in...
  int idleSeconds = 3600;         // ...or after this long without a request
  int loginMaxFailures = 5;       // failed logins per user or address within the window
  int loginWindowSeconds = 900;
};

// Limits of a review, in bytes; longer fields get 400.
constexpr std::size_t kMaxReviewerBytes = 128;
constexpr std::size_t kMaxCommentBytes = 4096;
constexpr std::size_t kMaxBodyBytes = 64 * 1024;

bool isLoopbackHost(const std::string& host);

// Something that does not exist, or that the requester may not see (the two answer alike).
class NotFound : public UsageError {
 public:
  using UsageError::UsageError;
};

// Resolves `relative` (a request path below a root, already percent-decoded) inside `root`.
// Returns an empty path when it is absolute, has a `..` or empty component, does not exist, is not
// a regular file, or resolves (through symlinks) outside root.
fs::path resolveInside(const fs::path& root, const std::string& relative);

class ReviewServer {
 public:
  // Reads OUT/plan.json and every job's evidence ids, and the review history. Throws
  // cw::UsageError when OUT has no plan.json or the viewer folder has no index.html.
  explicit ReviewServer(ReviewServerOptions options);
  ~ReviewServer();
  ReviewServer(const ReviewServer&) = delete;
  ReviewServer& operator=(const ReviewServer&) = delete;

  // Binds the socket; returns the port (useful with port 0). Throws cw::Error when it cannot.
  int bind();
  // Serves until stop(); call after bind().
  void run();
  // Thread-safe; makes run() return.
  void stop();

  std::string url() const;

  // Who a request acts for: a signed-in user, or (without a users file) the local operator.
  struct Principal {
    std::string user;            // empty for the local operator
    std::string role;            // viewer | reviewer | admin | local
    std::set<std::string> aois;  // empty or {"*"}: all
    std::string csrf;
    bool authenticated = false;
    bool allAois() const { return aois.empty() || aois.count("*") > 0; }
    bool maySee(const std::string& aoi) const { return allAois() || aois.count(aoi) > 0; }
    bool mayDecide() const { return role == "reviewer" || role == "admin" || role == "local"; }
  };

  // Validates and appends a review by `who` (the local operator when omitted); returns the stored
  // record. Throws cw::UsageError with the reason for an invalid review.
  nlohmann::json addReview(const nlohmann::json& body, const Principal* who = nullptr);
  // {"reviews": {evidence_id: last record}, "count": total lines}, for the AOIs `who` may see.
  nlohmann::json reviewState(const Principal* who = nullptr) const;
  bool usersEnabled() const { return m_users != nullptr; }
  std::size_t sessionCount() const { return m_sessions ? m_sessions->size() : 0; }

  // Answers one raw HTTP/1.1 request (request line, headers, body) through the same routes and
  // limits as the socket server and returns the raw response, without a socket or thread; the
  // seam for the fuzz target fuzz/fuzz_serve_router.cpp. Thread-safe like the routes themselves.
  std::string handleRawRequest(const std::string& request);

 private:
  void loadPlan();
  void loadReviews();
  void setupRoutes();
  void setupAuthRoutes();
  void setupApiRoutes();
  void setupFileRoutes();
  // The principal of a request: nullopt when users are on and it has no live session.
  std::optional<Principal> principalOf(const httplib::Request& req) const;
  bool publicPath(const std::string& path) const;
  // For a state-changing request: its principal, or nullopt after answering 401 (no session) or
  // 403 (wrong or missing X-CSRF-Token).
  std::optional<Principal> sessionWriter(const httplib::Request& req, httplib::Response& res) const;
  std::string aoiOfJob(const std::string& job) const;
  std::set<std::string> discrepancyEvidence() const;
  // Appends a request for evidence to OUT/audit.jsonl before it is answered.
  void audit(const httplib::Request& req, int status);
  static bool isEvidencePath(const std::string& path) {
    return path.rfind("/files/", 0) == 0 || path == "/api/evidence" || path == "/report";
  }

  ReviewServerOptions m_options;
  int m_boundPort = 0;
  std::unique_ptr<httplib::Server> m_server;
  std::unique_ptr<TileRenderer> m_tiles;
  nlohmann::json m_plan;
  std::map<std::string, nlohmann::json> m_jobs;                           // id -> plan job
  std::map<std::string, std::string> m_evidenceJob;                       // evidence id -> job id
  std::map<std::string, std::pair<std::string, std::string>> m_aoiNames;  // id -> name, kind
  mutable std::mutex m_reviewMutex;
  std::map<std::string, nlohmann::json> m_reviewState;  // evidence id -> last record
  std::size_t m_reviewCount = 0;
  std::map<std::string, std::map<std::string, nlohmann::json>>
      m_decisionsByUser;  // id -> user -> last
  std::unique_ptr<UserStore> m_users;
  std::unique_ptr<SessionStore> m_sessions;
  std::unique_ptr<LoginLimiter> m_limiter;
  std::mutex m_auditMutex;
  bool m_fourEyes = true;
};

}  // namespace cw::serve
