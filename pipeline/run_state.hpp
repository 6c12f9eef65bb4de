#pragma once
// The state of a run folder (OUT) on disk: locks, job completeness, the input-hash cache.
//   OUT/.lock                     flock: a full `run` holds it exclusively; `run --job I` (one
//                                 cluster task) holds it shared, so tasks of one array run
//                                 side by side but never beside a full run
//   OUT/<aoi>/<pair>/.lock        flock per job, exclusive, so the same job never runs twice
//   OUT/<aoi>/<pair>/job.json     written last: the job is complete when it exists, says
//                                 "complete" and carries the job key of the current inputs
//   OUT/<aoi>/<pair>/failed.json  the error of the last failed attempt (removed on success)
//   OUT/plan.json                 the plan of the last run/submit (for `status`)
//   OUT/.cache/sha256.tsv         SHA-256 of inputs keyed by (path, size, mtime)
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace cw::pipeline {

namespace fs = std::filesystem;

// An flock held until destruction. Throws cw::Error naming the holder PID when it is taken.
class FileLock {
 public:
  enum class Mode { Exclusive, Shared };
  FileLock(const fs::path& path, Mode mode, const std::string& what);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int m_fd = -1;
};

enum class JobState { Complete, Stale, Failed, Missing };
const char* toString(JobState s);

struct JobStatus {
  JobState state = JobState::Missing;
  std::string error;     // failed: the message
  std::string finished;  // complete/failed: ISO time
  std::string task;      // the Slurm task that ran it, if any ("<job>_<task>")
};

// Parses a JSON file; nothing when it is absent or not valid JSON.
std::optional<nlohmann::json> readJsonFile(const fs::path& path);

// Reads a job folder's state; `jobKey` empty = do not check staleness.
JobStatus readJobStatus(const fs::path& jobDir, const std::string& jobKey);

// Streams SHA-256 of a file, cached in OUT/.cache/sha256.tsv by (path, size, mtime).
std::string cachedSha256(const fs::path& outDir, const fs::path& file);

}  // namespace cw::pipeline
