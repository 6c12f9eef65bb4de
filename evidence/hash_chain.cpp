#include "evidence/hash_chain.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "evidence/review_log.hpp"

namespace cw::evidence {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The bytes after the last-but-one '\n' up to the final '\n' (the file's last whole line).
std::string lastLine(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) return {};
  std::string tail;
  off_t end = st.st_size;
  std::vector<char> buf(16 * 1024);
  while (end > 0) {
    const off_t start = end > off_t(buf.size()) ? end - off_t(buf.size()) : 0;
    const ssize_t n = ::pread(fd, buf.data(), std::size_t(end - start), start);
    if (n <= 0) break;
    tail.insert(0, buf.data(), std::size_t(n));
    // The final byte is the newline of the last line; look for the one before it.
    const auto nl = tail.size() > 1 ? tail.find_last_of('\n', tail.size() - 2) : std::string::npos;
    if (nl != std::string::npos) return tail.substr(nl + 1, tail.size() - nl - 2);
    end = start;
  }
  return tail.empty() || tail.back() != '\n' ? tail : tail.substr(0, tail.size() - 1);
}

}  // namespace

std::string appendChainedLine(const fs::path& path, json& record) {
  const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path.string() + ": cannot open for append: " + std::strerror(errno));
  // Released by close(); another process appending waits here.
  if (::flock(fd, LOCK_EX) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(path.string() + ": cannot lock: " + std::strerror(err));
  }
  std::string line;
  try {
    const std::string last = lastLine(fd);
    std::size_t seq = 1;
    std::string prev = kChainGenesis;
    if (!last.empty()) {
      const json j = json::parse(last, nullptr, false);
      if (j.is_discarded() || !j.contains("seq") || !j["seq"].is_number_unsigned()) {
        throw Error(path.string() +
                    ": its last line is not a chained record (no \"seq\"); "
                    "run `changewatch verify` on the folder");
      }
      seq = j["seq"].get<std::size_t>() + 1;
      prev = sha256Hex(last);
    }
    record["seq"] = seq;
    record["prev"] = prev;
    line = record.dump(-1, ' ', false, json::error_handler_t::replace);
    appendReviewLine(path, line + "\n");
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return line;
}

ChainCheck verifyChain(const fs::path& path) {
  ChainCheck c;
  std::ifstream in(path, std::ios::binary);
  if (!in) return c;
  const std::string name = path.filename().string();
  auto fail = [&](std::size_t n, const std::string& why, std::size_t intact) {
    c.ok = false;
    c.firstBad = n;
    c.intact = intact;
    c.problem = name + ": line " + std::to_string(n) + ": " + why;
  };
  std::string line, prevHash = kChainGenesis;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    c.lines = n;
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      fail(n, "not a JSON object (edited or torn)", n - 1);
      return c;
    }
    if (!j.contains("seq") || !j["seq"].is_number_unsigned() || !j.contains("prev") ||
        !j["prev"].is_string()) {
      fail(n, "no \"seq\"/\"prev\": not part of the hash chain (added by hand?)", n - 1);
      return c;
    }
    const std::size_t seq = j["seq"].get<std::size_t>();
    if (seq != n) {
      fail(n,
           "sequence number " + std::to_string(seq) + " where " + std::to_string(n) +
               " was due: line " + std::to_string(n) +
               (seq > n ? " or earlier lines deleted" : " duplicated or reordered"),
           n - 1);
      return c;
    }
    if (j["prev"].get<std::string>() != prevHash) {
      fail(n,
           "\"prev\" does not match the SHA-256 of line " + std::to_string(n - 1) + ": line " +
               std::to_string(n - 1) + " was changed",
           n - 2);
      return c;
    }
    prevHash = sha256Hex(line);
  }
  c.head = {n, prevHash};
  c.intact = n;
  return c;
}

std::optional<ChainHead> chainHeadAt(const fs::path& path, std::size_t lines) {
  if (lines == 0) return ChainHead{};
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::size_t n = 0;
  while (n < lines && std::getline(in, line)) ++n;
  if (n < lines) return std::nullopt;
  return ChainHead{n, sha256Hex(line)};
}

}  // namespace cw::evidence
