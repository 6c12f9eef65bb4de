#include "pipeline/run_state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"

namespace cw::pipeline {

FileLock::FileLock(const fs::path& path, Mode mode, const std::string& what) {
  fs::create_directories(path.parent_path());
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_fd < 0) {
    throw Error(path.string() + ": cannot open lock file: " + std::strerror(errno));
  }
  const int op = (mode == Mode::Exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
  if (::flock(m_fd, op) != 0) {
    const int err = errno;
    std::string holder;
    std::ifstream in(path);
    std::getline(in, holder);
    ::close(m_fd);
    m_fd = -1;
    if (err == EWOULDBLOCK) {
      throw Error(what + " is in use by another changewatch process" +
                  (holder.empty() ? std::string(" (a cluster task)") : " (pid " + holder + ")") +
                  "; lock file " + path.string());
    }
    throw Error(path.string() + ": cannot lock: " + std::strerror(err));
  }
  if (mode == Mode::Exclusive) {
    // The holder's PID, for the message another process shows.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(m_fd, 0) == 0) {
      [[maybe_unused]] const auto n = ::pwrite(m_fd, pid.data(), pid.size(), 0);
    }
  }
}

FileLock::~FileLock() {
  if (m_fd >= 0) ::close(m_fd);  // closing releases the flock
}

const char* toString(JobState s) {
  switch (s) {
    case JobState::Complete:
      return "complete";
    case JobState::Stale:
      return "stale";
    case JobState::Failed:
      return "failed";
    case JobState::Missing:
      return "missing";
  }
  return "?";
}

std::optional<nlohmann::json> readJsonFile(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

JobStatus readJobStatus(const fs::path& jobDir, const std::string& jobKey) {
  JobStatus st;
  const auto& readJson = readJsonFile;
  if (auto j = readJson(jobDir / "job.json")) {
    const std::string status = j->value("status", "");
    st.finished = j->value("finished", "");
    if (j->contains("run") && (*j)["run"].is_object()) st.task = (*j)["run"].value("task", "");
    if (status == "complete") {
      const std::string key =
          j->contains("run") && (*j)["run"].is_object() ? (*j)["run"].value("job_key", "") : "";
      st.state = (jobKey.empty() || key == jobKey) ? JobState::Complete : JobState::Stale;
      return st;
    }
  }
  if (auto j = readJson(jobDir / "failed.json")) {
    st.state = JobState::Failed;
    st.error = j->value("error", "");
    st.finished = j->value("finished", "");
    st.task = j->value("task", "");
  }
  return st;
}

std::string cachedSha256(const fs::path& outDir, const fs::path& file) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  const fs::path cache = outDir / ".cache" / "sha256.tsv";
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) throw Error(file.string() + ": cannot read: " + ec.message());
  const auto mtime = fs::last_write_time(file, ec).time_since_epoch().count();
  const std::string key = std::to_string(size) + "\t" + std::to_string(mtime) + "\t" +
                          fs::absolute(file).lexically_normal().string();
  std::map<std::string, std::string> entries;
  {
    std::ifstream in(cache);
    std::string line;
    while (std::getline(in, line)) {
      const auto tab = line.find('\t');
      if (tab == 64) entries[line.substr(tab + 1)] = line.substr(0, tab);
    }
  }
  if (auto it = entries.find(key); it != entries.end()) return it->second;
  const std::string sha = cw::sha256File(file);
  entries[key] = sha;
  std::ostringstream os;
  for (const auto& [k, v] : entries) os << v << '\t' << k << '\n';
  fs::create_directories(cache.parent_path());
  cw::writeFileAtomic(cache, os.str());
  return sha;
}

}  // namespace cw::pipeline
