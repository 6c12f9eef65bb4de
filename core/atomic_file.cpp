#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/temp_path.hpp"

namespace cw {
namespace {

[[noreturn]] void fail(const fs::path& path, const std::string& what, int err) {
  throw Error(path.string() + ": " + what + ": " + std::strerror(err));
}
}  // namespace

void syncPath(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::size_t removeStaleTempFiles(const fs::path& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto temp = cw::parseTempName(e.path().filename().string());
    if (!temp) continue;
    const long pid = temp->writerPid;
    // Only ESRCH says the writer is gone; EPERM means it exists under another user.
    if (pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    if (fs::remove(e.path(), ec)) ++removed;
  }
  return removed;
}

void writeFileAtomic(const fs::path& path, std::string_view content) {
  const fs::path tmp = cw::tempPathBeside(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "cannot create", errno);
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail(path, "write failed", err);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, "write failed", err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, "rename failed", err);
  }
  syncPath(path.parent_path().empty() ? fs::path(".") : path.parent_path());
}

void produceFileAtomic(const fs::path& path,
                       const std::function<void(const fs::path& tmp)>& produce) {
  const fs::path tmp = cw::tempPathBeside(path);
  try {
    produce(tmp);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  syncPath(tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, "rename failed", err);
  }
  syncPath(path.parent_path().empty() ? fs::path(".") : path.parent_path());
}

}  // namespace cw
