#pragma once
// Small helpers shared by the tests: a temp folder that cleans up, file writing, running the CLI.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cw::test {

namespace fs = std::filesystem;

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "cwtest") {
    std::random_device rd;
    m_path =
        fs::temp_directory_path() / (prefix + "-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(m_path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return m_path; }
  fs::path operator/(const std::string& name) const { return m_path / name; }

 private:
  fs::path m_path;
};

inline void writeText(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
}

inline std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A JSON file (job.json, plan.json, corroboration.json, ...) parsed: a missing or empty file fails
// the test naming it, a malformed one throws.
inline nlohmann::json readJson(const fs::path& p) {
  const std::string text = readText(p);
  INFO(p.string());
  REQUIRE_FALSE(text.empty());
  return nlohmann::json::parse(text);
}

struct CommandResult {
  int exitCode = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line, capturing stdout+stderr.
inline CommandResult run(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs the changewatch executable under test with the given arguments.
inline CommandResult runCli(const std::string& args) {
  std::string command = CW_BINARY;  // appended, not `+`-chained: GCC 12 warns falsely on that
  command += ' ';
  command += args;
  return run(command);
}

inline bool haveSharedData() {
  return fs::exists(CW_SHARED_DATA);
}

// The changewatch binary under test as "size mtime": a fixture made by another binary is stale.
inline std::string binaryStamp() {
  const fs::path bin(CW_BINARY);
  return std::to_string(fs::file_size(bin)) + " " +
         std::to_string(fs::last_write_time(bin).time_since_epoch().count());
}

// A fixture folder shared, read-only, by every test process of this build. ctest runs each
// TEST_CASE as its own process, so a function-static fixture was remade by each of them (a
// simulated run per test); this one is made once into <build>/test-fixtures/<name> by `make`
// and reused while the changewatch binary is unchanged (binaryStamp). An exclusive flock makes
// parallel test processes wait for the first maker instead of racing it. A `make` that throws
// (a failed REQUIRE) leaves no stamp, so the next process tries again. Tests never write into
// it: a test that changes outputs copies them first.
inline fs::path sharedFixture(const std::string& name,
                              const std::function<void(const fs::path&)>& make) {
  const fs::path root = fs::path(CW_BINARY).parent_path() / "test-fixtures";
  fs::create_directories(root);
  const fs::path dir = root / name, stampFile = root / (name + ".stamp");
  struct Lock {
    int fd;
    explicit Lock(const fs::path& p) : fd(::open(p.c_str(), O_CREAT | O_RDWR, 0644)) {
      if (fd >= 0) ::flock(fd, LOCK_EX);
    }
    ~Lock() {
      if (fd >= 0) ::close(fd);  // closing releases the lock
    }
  } lock(root / (name + ".lock"));
  REQUIRE(lock.fd >= 0);
  const std::string stamp = binaryStamp();
  if (!fs::exists(stampFile) || readText(stampFile) != stamp) {
    fs::remove(stampFile);
    fs::remove_all(dir);
    fs::create_directories(dir);
    make(dir);
    writeText(stampFile, stamp);
  }
  return dir;
}

// `simulate <simulateArgs>` then `run config.yaml --threads 2`, made once per build as the shared
// fixture `name`, with the run's exit code and output kept beside it (run.exit, run.log).
struct SimulatedRun {
  fs::path dir;  // the simulator's folder
  fs::path out;  // the run's evidence: dir/out
  int exitCode = -1;
  std::string log;
};

inline SimulatedRun simulatedRun(const std::string& name, const std::string& simulateArgs) {
  const fs::path dir = sharedFixture(name, [&](const fs::path& d) {
    REQUIRE(runCli("simulate --out " + d.string() + " " + simulateArgs).exitCode == 0);
    const auto r = runCli("run " + (d / "config.yaml").string() + " --threads 2");
    writeText(d / "run.log", r.output);
    writeText(d / "run.exit", std::to_string(r.exitCode));
  });
  return {dir, dir / "out", std::stoi(readText(dir / "run.exit")), readText(dir / "run.log")};
}

// A simulator run made on first use and shared, read-only, by the tests of one process:
// `simulate --seed 5 --size 512 --dates 3` (3 optical dates at 3 m, clouds on the third).
// Returns an empty path if the simulator fails (the caller's REQUIRE reports it).
inline const fs::path& smallSimulation() {
  static TempDir dir("cwsim");
  static const bool made =
      runCli("simulate --out " + dir.path().string() + " --seed 5 --size 512 --dates 3").exitCode ==
      0;
  static const fs::path none;
  return made ? dir.path() : none;
}

}  // namespace cw::test
