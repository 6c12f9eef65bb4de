#pragma once
// The reviewer server behind `changewatch serve OUT`: the viewer's static files, XYZ map tiles of
// each job (tiles/tile_renderer.hpp) and a small JSON API over a run output folder.
//
//   GET  /                                      viewer (index.html, app.js, style.css)
//   GET  /vendor/leaflet/<file>                 Leaflet (viewer/vendor/leaflet or node_modules)
//   GET  /tiles/<aoi>/<pair>/<layer>/<z>/<x>/<y>.png   layer: before|after|score|mask
//   GET  /api/aois                              AOIs with job count and verdict summary
//   GET  /api/jobs[?aoi=A]                      jobs of the plan (id, aoi, pair, times, bounds)
//   GET  /api/evidence?job=<aoi>/<pair>         the job's evidence.geojson
//   GET  /api/verdicts                          OUT/corroboration.json rows, [] when absent
//   GET  /api/reviews                           last decision per evidence id + count
//   POST /api/reviews                           {evidence_id, decision, reviewer, comment}
//   GET  /files/<aoi>/<pair>/chips/<file>.png   evidence chips
//
// Security: nothing outside OUT and the viewer folder is served. Every file path is resolved with
// symlinks (weakly_canonical) and must stay under its root; `..`, absolute paths, symlinks out of
// the root and percent-encoded traversal get 404, directories get 404 (no listing). Tiles and API
// take job ids only from the plan, never paths. Request bodies are limited to 64 KiB; the only
// write is POST /api/reviews, which appends one line to OUT/reviews.jsonl (O_APPEND, a single
// write(), fsync) so concurrent writers never tear lines and the history is never rewritten.
//
// Thread-safety: the server answers on a thread pool; all state is guarded.
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace httplib {
class Server;
}

namespace cw::tiles {
class TileRenderer;
}

namespace cw::pipeline {

namespace fs = std::filesystem;

struct ReviewServerOptions {
  fs::path outDir;                  // run output folder (with plan.json)
  fs::path viewerDir;               // index.html, app.js, style.css; Leaflet: leafletDirOf()
  std::string host = "127.0.0.1";
  int port = 8080;                  // 0: any free port
  std::size_t tileCacheBytes = 64u << 20;
};

// Limits of a review, in bytes; longer fields get 400.
constexpr std::size_t kMaxReviewerBytes = 128;
constexpr std::size_t kMaxCommentBytes = 4096;
constexpr std::size_t kMaxBodyBytes = 64 * 1024;

bool isLoopbackHost(const std::string& host);

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

  // Validates and appends a review; returns the stored record. Throws cw::UsageError with the
  // reason for an invalid review.
  nlohmann::json addReview(const nlohmann::json& body);
  // {"reviews": {evidence_id: last record}, "count": total lines}
  nlohmann::json reviewState() const;

  // Answers one raw HTTP/1.1 request (request line, headers, body) through the same routes and
  // limits as the socket server and returns the raw response, without a socket or thread; the
  // seam for the fuzz target fuzz/fuzz_serve_router.cpp. Thread-safe like the routes themselves.
  std::string handleRawRequest(const std::string& request);

 private:
  void loadPlan();
  void loadReviews();
  void setupRoutes();

  ReviewServerOptions m_options;
  int m_boundPort = 0;
  std::unique_ptr<httplib::Server> m_server;
  std::unique_ptr<tiles::TileRenderer> m_tiles;
  nlohmann::json m_plan;
  std::map<std::string, nlohmann::json> m_jobs;         // id -> plan job
  std::map<std::string, std::string> m_evidenceJob;     // evidence id -> job id
  std::map<std::string, std::pair<std::string, std::string>> m_aoiNames;  // id -> name, kind
  mutable std::mutex m_reviewMutex;
  std::map<std::string, nlohmann::json> m_reviewState;  // evidence id -> last record
  std::size_t m_reviewCount = 0;
};

}  // namespace cw::pipeline
