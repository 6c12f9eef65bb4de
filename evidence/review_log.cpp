#include "evidence/review_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.hpp"

namespace cw::evidence {

void appendReviewLine(const std::filesystem::path& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path.string() + ": cannot open for append: " + std::strerror(errno));
  struct stat st {};
  const off_t before = ::fstat(fd, &st) == 0 ? st.st_size : -1;
  const ssize_t n = ::write(fd, line.data(), line.size());
  int err = n < 0 ? errno : 0;
  if (n >= 0 && static_cast<std::size_t>(n) != line.size()) {
    // The part that fitted would glue the next line onto this one; the write() after it tells why
    // the rest did not fit.
    const std::size_t rest = line.size() - static_cast<std::size_t>(n);
    const ssize_t again = ::write(fd, line.data() + n, rest);
    if (again < 0 || static_cast<std::size_t>(again) != rest) {
      err = again < 0 ? errno : ENOSPC;
      if (before >= 0 && ::ftruncate(fd, before) != 0) err = errno;
    }
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  if (err) throw Error(path.string() + ": write failed: " + std::strerror(err));
}

std::size_t repairTornTail(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return 0;
  struct stat st {};
  std::size_t dropped = 0;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    // Scan back from the end in chunks for the last newline.
    off_t end = st.st_size;
    off_t keep = 0;
    std::vector<char> buf(64 * 1024);
    while (end > 0) {
      const off_t start = end > off_t(buf.size()) ? end - off_t(buf.size()) : 0;
      const ssize_t n = ::pread(fd, buf.data(), std::size_t(end - start), start);
      if (n <= 0) break;
      bool found = false;
      for (ssize_t i = n - 1; i >= 0; --i) {
        if (buf[std::size_t(i)] == '\n') {
          keep = start + i + 1;
          found = true;
          break;
        }
      }
      if (found) break;
      end = start;
    }
    if (keep < st.st_size) {
      if (::ftruncate(fd, keep) != 0 || ::fsync(fd) != 0) {
        const int err = errno;
        ::close(fd);
        throw Error(path.string() + ": cannot cut off its torn last line: " + std::strerror(err));
      }
      dropped = std::size_t(st.st_size - keep);
    }
  }
  ::close(fd);
  return dropped;
}

}  // namespace cw::evidence
