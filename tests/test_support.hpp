#pragma once
// Small helpers shared by the tests: a temp folder that cleans up, file writing, running the CLI.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

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
  return run(std::string(CW_BINARY) + " " + args);
}

inline bool haveSharedData() {
  return fs::exists(CW_SHARED_DATA);
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
