#pragma once
// OUT/reviews.jsonl, the reviewers' decisions: one JSON object per line, only ever appended.
// A line is acknowledged (HTTP 200) only after it and its newline are on disk, so a last line
// without its newline was cut off by a crash or a full disk and was never acknowledged.
#include <cstddef>
#include <filesystem>
#include <string>

namespace cw::evidence {

// Appends `line` (which must end in '\n') with one write() on an O_APPEND descriptor and fsyncs
// it. A short write (disk full, file-size limit) is cut back off, so the file keeps whole lines.
// Throws cw::Error naming the file and the errno text. Not thread-safe for one file: callers
// serialise their appends (other processes may append beside them).
void appendReviewLine(const std::filesystem::path& path, const std::string& line);

// Cuts off a torn last line (bytes after the last '\n'); returns how many bytes it dropped
// (0 when the file is whole or absent). Call before appending, with no other writer running.
std::size_t repairTornTail(const std::filesystem::path& path);

}  // namespace cw::evidence
