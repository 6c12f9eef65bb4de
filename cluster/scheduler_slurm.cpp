#include "cluster/scheduler_slurm.hpp"

#include "pipeline/config.hpp"

#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

extern char** environ;

namespace cw::cluster {
namespace {

struct ProcessResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] from PATH without a shell, capturing stdout and stderr separately.
ProcessResult runProcess(const std::vector<std::string>& argv) {
  int outPipe[2], errPipe[2];
  if (::pipe(outPipe) != 0 || ::pipe(errPipe) != 0) {
    throw Error(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, outPipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, errPipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&fa, outPipe[0]);
  posix_spawn_file_actions_addclose(&fa, errPipe[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(outPipe[1]);
  ::close(errPipe[1]);
  ProcessResult r;
  if (rc != 0) {
    ::close(outPipe[0]);
    ::close(errPipe[0]);
    r.exitCode = 127;
    r.err = argv[0] + ": " + std::strerror(rc);
    return r;
  }
  pollfd fds[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open = 2;
  char buf[4096];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// Single-quoted for bash.
std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string quoteAll(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + quote(a);
  return s;
}

fs::path slurmDir(const BatchRequest& r) {
  return r.out / "slurm";
}

std::string header(const BatchRequest& r, const std::string& what) {
  std::ostringstream os;
  os << "#!/bin/bash\n"
     << "# changewatch " << what << "; written by `changewatch submit`, config "
     << r.config.string() << "\n";
  return os.str();
}

std::string commonDirectives(const BatchRequest& r) {
  std::ostringstream os;
  if (!r.partition.empty()) os << "#SBATCH --partition=" << r.partition << "\n";
  os << "#SBATCH --chdir=" << r.out.string() << "\n";
  return os.str();
}

// sbatch --parsable prints "<id>" or "<id>;<cluster>".
std::string sbatch(const std::vector<std::string>& extra, const fs::path& script) {
  std::vector<std::string> argv{"sbatch", "--parsable"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(script.string());
  const ProcessResult r = runProcess(argv);
  std::string id = trim(r.out);
  if (const auto semi = id.find(';'); semi != std::string::npos) id.resize(semi);
  if (r.exitCode != 0 || id.empty() || !std::all_of(id.begin(), id.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    throw Error("sbatch " + script.string() + " failed (exit " + std::to_string(r.exitCode) +
                "): " + trim(r.err.empty() ? r.out : r.err));
  }
  return id;
}

constexpr const char* kPlaceholder = "@ARRAY_JOB_ID@";

}  // namespace

std::string compressIndices(const std::vector<int>& indicesIn) {
  std::vector<int> v = indicesIn;
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  std::ostringstream os;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (i > 0) os << ",";
    os << v[i];
    if (j > i) os << "-" << v[j];
    i = j + 1;
  }
  return os.str();
}

std::chrono::seconds parseDuration(const std::string& textIn) {
  std::string text = trim(textIn);
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.rfind("now+", 0) == 0) lower = lower.substr(4);
  const auto bad = [&](const std::string& why) {
    return UsageError("--every '" + textIn + "': " + why +
                      "; use e.g. 30s, 30min, 6h, 1d, 2w, or Slurm's D-HH:MM:SS");
  };
  std::smatch m;
  long long s = 0;
  static const std::regex unitRe(R"(^(\d+)\s*([a-z]+)$)");
  static const std::regex clockRe(R"(^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$)");
  if (std::regex_match(lower, m, unitRe)) {
    const long long n = std::stoll(m[1]);
    const std::string u = m[2];
    if (u == "s" || u == "sec" || u == "secs" || u == "second" || u == "seconds") {
      s = n;
    } else if (u == "m" || u == "min" || u == "mins" || u == "minute" || u == "minutes") {
      s = n * 60;
    } else if (u == "h" || u == "hr" || u == "hour" || u == "hours") {
      s = n * 3600;
    } else if (u == "d" || u == "day" || u == "days") {
      s = n * 86400;
    } else if (u == "w" || u == "week" || u == "weeks") {
      s = n * 7 * 86400;
    } else {
      throw bad("unknown unit '" + u + "'");
    }
  } else if (lower.find_first_of(":-") != std::string::npos &&
             std::regex_match(lower, m, clockRe)) {
    // Slurm time format: MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
    const auto num = [&](int i) { return m[i].matched ? std::stoll(m[i]) : 0LL; };
    if (m[1].matched) {
      s = num(1) * 86400 + num(2) * 3600 + num(3) * 60 + num(4);
    } else if (m[4].matched) {
      s = num(2) * 3600 + num(3) * 60 + num(4);
    } else {
      s = num(2) * 60 + num(3);
    }
  } else if (std::regex_match(lower, std::regex(R"(^\d+$)"))) {
    throw bad("a bare number is ambiguous (seconds or minutes?)");
  } else {
    throw bad("not a duration");
  }
  if (s <= 0) throw bad("must be positive");
  return std::chrono::seconds(s);
}

bool SlurmScheduler::installed() {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (!dir.empty() && ::access((fs::path(dir) / "sbatch").c_str(), X_OK) == 0) return true;
  }
  return false;
}

BatchScripts SlurmScheduler::writeScripts(const BatchRequest& r) const {
  const fs::path dir = slurmDir(r);
  fs::create_directories(dir / "logs");  // Slurm does not create the folder of --output
  BatchScripts s;
  s.array = dir / "array.sbatch";
  s.merge = dir / "merge.sbatch";
  std::error_code ec;
  if (r.jobIndices.empty()) {
    fs::remove(s.array, ec);  // a stale array script would mislead
    s.array.clear();
  } else {
    s.arraySpec = compressIndices(r.jobIndices);
    if (r.maxParallel > 0) s.arraySpec += "%" + std::to_string(r.maxParallel);
    std::ostringstream os;
    os << header(r, "jobs: one array task per incomplete job of the plan (index = plan index)")
       << "#SBATCH --job-name=" << r.name << "\n"
       << "#SBATCH --array=" << s.arraySpec << "\n"
       << "#SBATCH --output=" << (dir / "logs" / "%A_%a.out").string() << "\n"
       << "#SBATCH --cpus-per-task=" << r.cpusPerTask << "\n"
       << commonDirectives(r);
    if (!r.timeLimit.empty()) os << "#SBATCH --time=" << r.timeLimit << "\n";
    if (!r.begin.empty()) os << "#SBATCH --begin=" << r.begin << "\n";
    os << "set -eu\n"
       << "exec "
       << quoteAll({r.binary.string(), "run", r.config.string(), "--out", r.out.string()})
       << " --job \"$SLURM_ARRAY_TASK_ID\" --threads \"${SLURM_CPUS_PER_TASK:-" << r.cpusPerTask
       << "}\" --no-merge\n";
    cw::writeFileAtomic(s.array, os.str());
  }
  std::ostringstream os;
  os << header(r, "merge: verdicts, report, STAC catalog and manifest once every task succeeded")
     << "#SBATCH --job-name=" << r.name << "-merge\n";
  if (!r.jobIndices.empty()) {
    os << "# On submit, the array's job id replaces the placeholder below.\n"
       << "#SBATCH --dependency=afterok:" << kPlaceholder << "\n";
  } else if (!r.begin.empty()) {
    os << "#SBATCH --begin=" << r.begin << "\n";
  }
  os << "#SBATCH --output=" << (dir / "logs" / "merge_%j.out").string() << "\n"
     << commonDirectives(r);
  if (!r.timeLimit.empty()) os << "#SBATCH --time=" << r.timeLimit << "\n";
  os << "set -eu\n"
     << "exec "
     << quoteAll({r.binary.string(), "merge", r.config.string(), "--out", r.out.string()}) << "\n";
  cw::writeFileAtomic(s.merge, os.str());
  return s;
}

Submission SlurmScheduler::submit(const BatchRequest& r, const BatchScripts& s) const {
  Submission sub;
  if (!s.array.empty()) sub.arrayJob = sbatch({}, s.array);
  try {
    if (!sub.arrayJob.empty()) {
      // The merge script on disk names the real dependency, for whoever reads or resubmits it.
      std::ifstream in(s.merge);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      for (auto p = text.find(kPlaceholder); p != std::string::npos; p = text.find(kPlaceholder)) {
        text.replace(p, std::strlen(kPlaceholder), sub.arrayJob);
      }
      cw::writeFileAtomic(s.merge, text);
    }
    sub.mergeJob = sbatch({}, s.merge);
  } catch (const Error& e) {
    if (!sub.arrayJob.empty()) cancel(sub.arrayJob);
    throw Error(std::string(e.what()) +
                (sub.arrayJob.empty() ? "" : "; array job " + sub.arrayJob + " was cancelled"));
  }
  nlohmann::ordered_json j{
      {"scheduler", "slurm"},
      {"submitted", formatIsoTime(static_cast<pipeline::TimePoint>(std::time(nullptr)))},
      {"array_job", sub.arrayJob},
      {"array", s.arraySpec},
      {"indices", r.jobIndices},
      {"merge_job", sub.mergeJob}};
  cw::writeFileAtomic(slurmDir(r) / "submission.json", j.dump(2) + "\n");
  return sub;
}

std::string SlurmScheduler::submitRearm(const BatchRequest& r, const Recurrence& rec) const {
  const fs::path script = slurmDir(r) / "rearm.sbatch";
  fs::create_directories(slurmDir(r) / "logs");
  std::ostringstream os;
  os << header(r, "schedule: re-plans and submits the jobs of new scene pairs every " +
                      rec.everyText + ", then its own successor")
     << "#SBATCH --job-name=" << r.name << "-rearm\n"
     << "#SBATCH --begin=now+" << rec.every.count() << "\n"
     << "#SBATCH --output=" << (slurmDir(r) / "logs" / "rearm_%j.out").string() << "\n"
     << commonDirectives(r) << "#SBATCH --time=10\n"
     << "set -eu\n"
     << "# Tells submit which re-arm job runs it: after `unschedule` it does not re-arm.\n"
     << "export CW_REARM_JOB=\"$SLURM_JOB_ID\"\n"
     << "exec " << quoteAll(rec.submitArgs) << "\n";
  cw::writeFileAtomic(script, os.str());
  return sbatch({}, script);
}

bool SlurmScheduler::cancel(const std::string& jobId) const {
  return runProcess({"scancel", jobId}).exitCode == 0;
}

std::set<int> SlurmScheduler::inFlight(const std::string& arrayJob) const {
  std::set<int> ids;
  if (arrayJob.empty()) return ids;
  // -r: one line per task, pending ones included.
  const ProcessResult r = runProcess({"squeue", "-h", "-r", "-j", arrayJob, "-o", "%K"});
  if (r.exitCode != 0) return ids;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (!line.empty() && std::all_of(line.begin(), line.end(), ::isdigit))
      ids.insert(std::stoi(line));
  }
  return ids;
}

std::string SlurmScheduler::taskState(const std::string& arrayJob, int index) const {
  if (arrayJob.empty()) return "";
  const ProcessResult r =
      runProcess({"scontrol", "-o", "show", "job", arrayJob + "_" + std::to_string(index)});
  if (r.exitCode != 0) return "";
  static const std::regex stateRe(R"(JobState=([A-Z_]+))");
  std::smatch m;
  return std::regex_search(r.out, m, stateRe) ? m[1].str() : "";
}

SlurmTask lastSubmittedTask(const fs::path& out, int index) {
  SlurmTask t;
  std::ifstream in(out / "slurm" / "submission.json");
  if (!in) return t;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    return t;
  }
  const std::string array = j.value("array_job", "");
  const auto indices = j.value("indices", std::vector<int>{});
  if (array.empty() || std::find(indices.begin(), indices.end(), index) == indices.end()) return t;
  t.task = array + "_" + std::to_string(index);
  t.log = out / "slurm" / "logs" / (t.task + ".out");
  if (!SlurmScheduler::installed()) return t;
  t.state = SlurmScheduler().taskState(array, index);
  static const std::set<std::string> live = {
      "PENDING",  "RUNNING",   "CONFIGURING", "COMPLETING",   "SUSPENDED",  "REQUEUED",
      "RESIZING", "SIGNALING", "STAGE_OUT",   "REQUEUE_HOLD", "REQUEUE_FED"};
  t.ended = !t.state.empty() && !live.count(t.state);
  std::ifstream log(t.log);
  // The job's own error (a warning of the runner), else the last error line.
  std::string lastError;
  for (std::string line; std::getline(log, line);) {
    if (line.rfind("warning: ", 0) == 0) t.logError = trim(line.substr(9));
    if (line.find("error") != std::string::npos) lastError = trim(line);
  }
  if (t.logError.empty()) t.logError = lastError;
  return t;
}

}  // namespace cw::cluster
