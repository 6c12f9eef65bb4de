#include "evidence/retention.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/iso_time.hpp"
#include "core/sha256.hpp"
#include "evidence/hash_chain.hpp"
#include "evidence/manifest.hpp"

namespace cw::evidence {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Candidate {
  std::string rel;
  std::string kind;  // chips | rasters | ais
  std::int64_t since = 0;
  std::string sha256;
};

std::string kindOf(const fs::path& rel) {
  const std::string ext = rel.extension().string();
  bool chips = false, ais = false;
  for (const auto& part : rel.parent_path()) {
    chips |= part == "chips";
    ais |= part == "vessels" || part == "ais";
  }
  // The AIS store of vessels/ais_store.hpp (OUT/<aoi>/ais.gpkg) goes as a whole.
  if (ais || rel.filename() == "ais.gpkg") return "ais";
  if (chips && ext == ".png") return "chips";
  if (ext == ".tif" || ext == ".tiff" || ext == ".h5") return "rasters";
  return "";
}

// Every file of a kind with a rule, with the time its retention counts from and its listed hash.
std::vector<Candidate> candidates(const fs::path& outDir) {
  std::vector<Candidate> out;
  std::set<std::string> inJobs;
  for (auto it = fs::recursive_directory_iterator(outDir); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path rel = it->path().lexically_relative(outDir);
    if (it->is_directory() && isUnlistedPath(rel)) it.disable_recursion_pending();
    if (!it->is_regular_file() || it->path().filename() != "job.json") continue;
    std::ifstream in(it->path());
    const json j = json::parse(in, nullptr, false);
    if (!j.is_object()) continue;
    const auto finished = parseIsoTime(j.value("finished", ""));
    if (!finished) continue;
    const fs::path jobRel = rel.parent_path();
    const json files = j.value("files", json::object());
    for (const auto& [f, e] : files.items()) {
      const std::string kind = kindOf(f);
      const std::string r = (jobRel / f).generic_string();
      inJobs.insert(r);
      if (!kind.empty() && fs::is_regular_file(outDir / r)) {
        out.push_back({r, kind, std::int64_t(*finished), e.value("sha256", "")});
      }
    }
  }
  for (auto it = fs::recursive_directory_iterator(outDir); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path rel = it->path().lexically_relative(outDir);
    if (it->is_directory() && isUnlistedPath(rel)) it.disable_recursion_pending();
    if (!it->is_regular_file() || inJobs.count(rel.generic_string()) || kindOf(rel) != "ais")
      continue;
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0) continue;
    out.push_back({rel.generic_string(), "ais", std::int64_t(st.st_mtime), ""});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.rel < b.rel; });
  return out;
}

}  // namespace

PurgeResult purgeExpired(const fs::path& outDir, const RetentionRules& rules, std::int64_t now,
                         bool dryRun) {
  if (!fs::is_directory(outDir)) throw UsageError(outDir.string() + ": not a folder");
  const auto chain = verifyChain(outDir / "purged.jsonl");
  if (!chain.ok) throw Error(chain.problem + "; repair it before purging more");
  PurgeResult res;
  for (const auto& c : candidates(outDir)) {
    const auto days = c.kind == "chips"     ? rules.chipsDays
                      : c.kind == "rasters" ? rules.rastersDays
                                            : rules.aisDays;
    if (!days || now < c.since + std::int64_t(*days) * 86400) continue;
    const fs::path p = outDir / c.rel;
    res.removed.push_back(c.rel);
    res.bytes += fs::file_size(p);
    if (dryRun) continue;
    // The record first: a purge killed between the two leaves a recorded file, which the next
    // purge removes; never a removed file without its record.
    json record = {
        {"path", c.rel},
        {"sha256", sha256File(p)},  // as found: a file changed before its purge stays visible
        {"size", fs::file_size(p)},
        {"time", formatIsoTime(now)},
        {"reason", c.kind + "_days=" + std::to_string(*days) + " after " + formatIsoTime(c.since)}};
    appendChainedLine(outDir / "purged.jsonl", record);
    fs::remove(p);
  }
  return res;
}

}  // namespace cw::evidence
