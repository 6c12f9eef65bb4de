#include "evidence/manifest.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"
#include "core/temp_path.hpp"
#include "cw_version.hpp"
#include "evidence/hash_chain.hpp"

namespace cw::evidence {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

std::string hostName() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

// Every listable regular file under `root`, as sorted generic relative paths.
std::vector<std::string> listFiles(const fs::path& root, const std::set<std::string>& skip) {
  std::vector<std::string> out;
  if (!fs::is_directory(root)) return out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path rel = it->path().lexically_relative(root);
    if (it->is_directory()) {
      if (isUnlistedPath(rel)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || isUnlistedPath(rel)) continue;
    const std::string r = rel.generic_string();
    if (!skip.count(r)) out.push_back(r);
  }
  std::sort(out.begin(), out.end());
  return out;
}

ordered_json hashFiles(const fs::path& root, const std::vector<std::string>& files) {
  ordered_json j = ordered_json::object();
  for (const auto& f : files) {
    const fs::path p = root / f;
    j[f] = {{"sha256", sha256File(p)}, {"size", fs::file_size(p)}};
  }
  return j;
}

ordered_json sceneJson(const SceneRef& s) {
  return {{"id", s.id}, {"path", s.path}, {"sha256", s.sha256}, {"time", s.timeIso}};
}

// OUT/purged.jsonl: rel path -> {sha256, "purged <time>: <reason>"}.
std::map<std::string, std::pair<std::string, std::string>> purgedFiles(const fs::path& outDir) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  std::ifstream in(outDir / "purged.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    const ordered_json j = ordered_json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    out[j.value("path", "")] = {j.value("sha256", ""),
                                "purged " + j.value("time", "") + ": " + j.value("reason", "")};
  }
  return out;
}

// Each hash-chained log must be intact, and its first N lines must still hash to the head that
// `sign` recorded (lines appended since are noted).
void checkChains(const fs::path& outDir, const ordered_json& signedHeads, VerifyReport& rep) {
  for (const char* name : {"reviews.jsonl", "audit.jsonl", "purged.jsonl"}) {
    const auto c = verifyChain(outDir / name);
    if (!c.ok) rep.problems.push_back(c.problem);
    if (!signedHeads.contains(name)) continue;
    const auto& h = signedHeads[name];
    const std::size_t lines = h.value("lines", std::size_t(0));
    const auto at = chainHeadAt(outDir / name, lines);
    if (!at) {
      rep.problems.push_back(std::string(name) + ": " + std::to_string(lines) +
                             " lines when signed, fewer now (lines removed from the end)");
    } else if (at->sha256 != h.value("head_sha256", "")) {
      rep.problems.push_back(std::string(name) + ": line " + std::to_string(lines) +
                             " (the last when signed) does not hash to the signed chain head: "
                             "a signed line was changed");
    } else if (c.ok && c.lines > lines) {
      rep.notes.push_back(std::string(name) + ": " + std::to_string(c.lines - lines) +
                          " line(s) appended after signing (not covered by the signature)");
    }
  }
}

// rel path -> expected hashes (one per record that lists it) and where it was listed.
using ExpectedHashes = std::map<std::string, std::set<std::string>>;

// Parses the JSON record `p` into `j`; false (a problem noted in `rep`) if it is not valid JSON.
bool readRecord(const fs::path& outDir, const fs::path& p, ordered_json& j, VerifyReport& rep) {
  std::ifstream in(p);
  try {
    j = ordered_json::parse(in);
    return true;
  } catch (const std::exception& e) {
    rep.problems.push_back(p.lexically_relative(outDir).generic_string() + ": not valid JSON (" +
                           e.what() + ")");
    return false;
  }
}

// Reads OUT/manifest.json into `manifest` and adds the outputs it lists to `expected`; false
// (a problem noted) when it is missing or not valid JSON.
bool readManifest(const fs::path& outDir, ordered_json& manifest, ExpectedHashes& expected,
                  VerifyReport& rep) {
  const fs::path manifestPath = outDir / "manifest.json";
  if (!fs::is_regular_file(manifestPath)) {
    rep.problems.push_back("manifest.json: missing (was the merge step run?)");
    return false;
  }
  if (!readRecord(outDir, manifestPath, manifest, rep)) return false;
  rep.manifestSha256 = sha256File(manifestPath);
  const ordered_json outputs = manifest.value("outputs", ordered_json::object());
  for (const auto& [rel, e] : outputs.items()) expected[rel].insert(e.value("sha256", ""));
  return true;
}

// Adds the files listed by every job.json under OUT to `expected`; returns the job folders
// (relative to OUT) that hold one.
std::set<std::string> readJobRecords(const fs::path& outDir, ExpectedHashes& expected,
                                     VerifyReport& rep) {
  std::vector<fs::path> jobRecords;
  for (auto it = fs::recursive_directory_iterator(outDir); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path rel = it->path().lexically_relative(outDir);
    if (it->is_directory() && isUnlistedPath(rel)) it.disable_recursion_pending();
    if (it->is_regular_file() && it->path().filename() == "job.json")
      jobRecords.push_back(it->path());
  }
  std::sort(jobRecords.begin(), jobRecords.end());
  std::set<std::string> jobDirs;
  for (const auto& p : jobRecords) {
    const fs::path jobRel = p.parent_path().lexically_relative(outDir);
    jobDirs.insert(jobRel.generic_string());
    ordered_json j;
    if (!readRecord(outDir, p, j, rep)) continue;
    const ordered_json files = j.value("files", ordered_json::object());
    for (const auto& [rel, e] : files.items())
      expected[(jobRel / rel).generic_string()].insert(e.value("sha256", ""));
  }
  return jobDirs;
}

// Re-hashes every expected file: notes it as missing, purged (per OUT/purged.jsonl) or changed.
void checkExpectedFiles(const fs::path& outDir, const ExpectedHashes& expected, VerifyReport& rep) {
  const auto purged = purgedFiles(outDir);
  for (const auto& [rel, hashes] : expected) {
    const fs::path p = outDir / rel;
    if (!fs::is_regular_file(p)) {
      const auto it = purged.find(rel);
      if (it != purged.end() && hashes.count(it->second.first)) {
        rep.purged.push_back(rel + " (" + it->second.second + ")");
      } else {
        rep.missing.push_back(rel);
      }
      continue;
    }
    ++rep.filesChecked;
    const std::string actual = sha256File(p);
    for (const auto& h : hashes)
      if (h != actual) {
        rep.changed.push_back(rel + ": sha256 " + h + " listed, file has " + actual);
        break;
      }
  }
}

// Notes the files under OUT that no record lists, sorted.
void findExtraFiles(const fs::path& outDir, const ExpectedHashes& expected,
                    const std::set<std::string>& jobDirs, bool haveManifest, VerifyReport& rep) {
  // Extra files: with a manifest every file under OUT must be listed; without one, every file
  // in a job folder must be listed in its job.json.
  for (auto it = fs::recursive_directory_iterator(outDir); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path rel = it->path().lexically_relative(outDir);
    if (it->is_directory()) {
      if (isUnlistedPath(rel)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || isUnlistedPath(rel)) continue;
    const std::string r = rel.generic_string();
    if (r == "manifest.json" || expected.count(r)) continue;
    bool inJob = false;
    for (fs::path d = rel.parent_path(); !d.empty(); d = d.parent_path())
      if (jobDirs.count(d.generic_string())) inJob = true;
    if (haveManifest || inJob) {
      // job.json files are listed by the manifest, not by themselves.
      if (!haveManifest && rel.filename() == "job.json") continue;
      rep.extra.push_back(r);
    }
  }
  std::sort(rep.extra.begin(), rep.extra.end());
}

// Re-hashes the run's inputs listed in the manifest that are on this machine.
void checkInputFiles(const ordered_json& manifest, VerifyReport& rep) {
  for (const auto& s : manifest.value("inputs", ordered_json::array())) {
    const std::string path = s.value("path", ""), sha = s.value("sha256", "");
    if (path.empty() || sha.empty()) continue;
    if (!fs::is_regular_file(path)) {
      rep.notes.push_back("input " + s.value("id", path) + " (" + path +
                          ") is not on this machine; not re-hashed");
      continue;
    }
    ++rep.filesChecked;
    const std::string actual = sha256File(path);
    if (actual != sha)
      rep.changed.push_back("input " + path + ": sha256 " + sha + " listed, file has " + actual);
  }
}

}  // namespace

bool isUnlistedPath(const fs::path& relative) {
  const std::string first = relative.begin() != relative.end() ? relative.begin()->string() : "";
  if (first == "slurm") return true;
  const std::string name = relative.filename().string();
  if (relative == "reviews.jsonl" || relative == "audit.jsonl" || relative == "purged.jsonl" ||
      relative == "manifest.json.sig") {
    return true;
  }
  if (name == "reviews.jsonl") return true;
  if (name.size() >= 5 && name.ends_with(".lock")) return true;
  if (parseTempName(name)) return true;  // a write in progress (core/temp_path.hpp)
  // Hidden run state (.work scratch VRTs, .cache, .lock) is not evidence.
  for (const auto& part : relative) {
    const std::string s = part.string();
    if (s.size() > 1 && s[0] == '.' && s != "..") return true;
  }
  if (name == "failed.json") return true;
  return false;
}

void writeJobRecord(const fs::path& jobDir, const JobEvidence& ev, const JobRecord& rec) {
  const JobInfo& info = ev.info;
  ordered_json j;
  j["status"] = rec.status;
  if (!rec.error.empty()) j["error"] = rec.error;
  j["aoi"] = info.aoiId;
  j["aoi_name"] = info.aoiName;
  j["aoi_kind"] = info.aoiKind;
  j["pair"] = info.pairId();
  j["before"] = sceneJson(info.before);
  j["after"] = sceneJson(info.after);
  j["method"] = info.method;
  j["config_hash"] = info.configHash;
  j["software_version"] = kGitDescribe;
  j["started"] = rec.startedIso;
  j["finished"] = rec.finishedIso;
  j["timings_s"] = rec.timingsS;
  j["run"] = {{"job_key", rec.jobKey}, {"task", rec.task}};
  j["grid"] = {{"epsg", info.grid.epsg},
               {"width", info.grid.width},
               {"height", info.grid.height},
               {"pixel_size_m", info.grid.pixelSizeM},
               {"geotransform", info.grid.geotransform}};
  j["parameters"] = ev.params;
  double changeArea = 0;
  for (const auto& c : ev.changes) changeArea += c.areaM2;
  ordered_json counts = ordered_json::array();
  for (const auto& c : ev.counts)
    counts.push_back({{"scene_id", c.sceneId},
                      {"time", c.timeIso},
                      {"kind", c.kind},
                      {"count", c.count},
                      {"valid_fraction", c.footprint.validFraction},
                      {"degraded", c.degraded}});
  j["summary"] = {{"change_polygons", ev.changes.size()},
                  {"change_area_m2", changeArea},
                  {"detections", ev.detections.size()},
                  {"counts", counts}};
  j["files"] = hashFiles(jobDir, listFiles(jobDir, {"job.json"}));
  writeFileAtomic(jobDir / "job.json", j.dump(2) + "\n");
}

void writeRunManifest(const fs::path& outDir, const RunManifest& m) {
  ordered_json j;
  j["changewatch"] = kVersion;
  j["software_version"] = kGitDescribe;
  j["host"] = hostName();
  j["started"] = m.startedIso;
  j["finished"] = m.finishedIso;
  j["config"] = {
      {"path", m.configPath}, {"sha256", sha256Hex(m.configText)}, {"text", m.configText}};
  std::vector<SceneRef> inputs = m.inputs;
  std::sort(inputs.begin(), inputs.end(), [](auto& a, auto& b) { return a.id < b.id; });
  inputs.erase(std::unique(inputs.begin(), inputs.end(),
                           [](auto& a, auto& b) { return a.id == b.id && a.path == b.path; }),
               inputs.end());
  ordered_json in = ordered_json::array();
  for (const auto& s : inputs) in.push_back(sceneJson(s));
  j["inputs"] = in;
  // The AIS cleaning counts per category (docs/ais.md), when the run read AIS.
  if (std::ifstream ais(outDir / "ais_ingest.json"); ais) j["ais"] = ordered_json::parse(ais);
  j["outputs"] = hashFiles(outDir, listFiles(outDir, {"manifest.json"}));
  writeFileAtomic(outDir / "manifest.json", j.dump(2) + "\n");
}

VerifyReport verifyOutput(const fs::path& outDir, const VerifyOptions& opt) {
  if (!fs::is_directory(outDir)) throw Error(outDir.string() + ": not a folder");
  VerifyReport rep;
  ExpectedHashes expected;
  ordered_json manifest;
  const bool haveManifest = readManifest(outDir, manifest, expected, rep);
  const std::set<std::string> jobDirs = readJobRecords(outDir, expected, rep);
  // A job.json listed in the manifest but deleted is caught as missing below.
  checkExpectedFiles(outDir, expected, rep);
  findExtraFiles(outDir, expected, jobDirs, haveManifest, rep);
  checkChains(
      outDir,
      haveManifest ? manifest.value("chains", ordered_json::object()) : ordered_json::object(),
      rep);
  if (haveManifest && opt.checkInputs) checkInputFiles(manifest, rep);
  return rep;
}

}  // namespace cw::evidence
