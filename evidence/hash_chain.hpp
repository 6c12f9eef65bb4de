#pragma once
// Append-only JSON Lines logs whose lines are hash-chained: OUT/reviews.jsonl (reviewers'
// decisions), OUT/audit.jsonl (every request for evidence) and OUT/purged.jsonl (what retention
// removed). Line n (1-based) is one JSON object with
//   "seq":  n
//   "prev": lowercase hex SHA-256 of the bytes of line n-1 (without its newline); 64 zeros for n=1
// so editing, deleting or reordering any line breaks the chain at the line after it, and the
// SHA-256 of the last line (the chain head) with the line count pins the whole file: `sign`
// records both in the signed manifest, which also catches a cut-off or edited last line.
//
// Appends take an exclusive flock on the file, read its last line, and write the new line with one
// write() on an O_APPEND descriptor followed by fsync: writers in several processes (two servers,
// a script) keep one chain, and a 200 means "on disk".
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace cw::evidence {

inline const std::string kChainGenesis(64, '0');

// Sets "seq" and "prev" of `record` from the file's last line, appends it and returns the line
// written (without newline). Throws cw::Error when the file cannot be written, or when its last
// line is not a chained record (appending to a broken chain would hide where it broke).
std::string appendChainedLine(const std::filesystem::path& path, nlohmann::json& record);

struct ChainHead {
  std::size_t lines = 0;
  std::string sha256 = kChainGenesis;  // of the last line; genesis for an empty or absent file
};

struct ChainCheck {
  bool ok = true;
  std::size_t lines = 0;     // lines read
  std::size_t firstBad = 0;  // 1-based line where the chain first fails (0 when ok)
  std::size_t intact = 0;    // leading lines known unchanged (all when ok; before the changed one)
  std::string problem;       // "<file>: line N: ..." naming the first broken or missing line
  ChainHead head;            // of the lines read (valid when ok)
};

// Walks the whole file. An absent file is an empty, intact chain.
ChainCheck verifyChain(const std::filesystem::path& path);

// The head after the first `lines` lines (for checking a head recorded at sign time); nullopt
// when the file has fewer lines.
std::optional<ChainHead> chainHeadAt(const std::filesystem::path& path, std::size_t lines);

}  // namespace cw::evidence
