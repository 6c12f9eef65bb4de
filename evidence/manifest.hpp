#pragma once
// Records that make a run auditable, and their verification.
//   <job>/job.json    written LAST in a job folder (a job is complete iff it exists): status,
//                     timings, solved parameters, input scene hashes, config hash and the SHA-256
//                     and size of every other file in the job folder.
//   OUT/manifest.json written last at merge: resolved config text and hash, software version,
//                     host, start/end times, every input scene with SHA-256, every output file
//                     under OUT with SHA-256 (relative paths, sorted).
// Timestamps appear only in these two files, so all other outputs of two identical runs are
// byte-identical. Paths inside both files are relative ('/'-separated) so OUT can move.
// Files never listed (and never reported as extra): the hash-chained logs appended after the run
// (reviews.jsonl, audit.jsonl, purged.jsonl: `sign` records their chain heads in the manifest
// instead), manifest.json.sig, *.lock, anything under slurm/ (scheduler logs), and atomic-write
// temp files
// (".<name>.tmp-<pid>-<n>...").
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "evidence/evidence_types.hpp"

namespace cw::evidence {

struct JobRecord {
  std::string status = "complete";  // "complete" | "failed"
  std::string startedIso;
  std::string finishedIso;
  std::map<std::string, double> timingsS;  // step name -> wall seconds
  std::string error;                       // the failure message when status is "failed"
  std::string jobKey;  // key of the job's inputs and parameters (staleness check on rerun)
  std::string task;    // the cluster task that ran it ("<array>_<index>"), empty when local
};

// Hashes every file under `jobDir` (except job.json and ignored files) and writes job.json
// atomically. `evidence` supplies the identity, parameters and a summary (counts, change area).
void writeJobRecord(const std::filesystem::path& jobDir, const JobEvidence& evidence,
                    const JobRecord& record);

struct RunManifest {
  std::string configPath;  // as given on the command line
  std::string configText;  // the resolved config (its SHA-256 is recorded as config_hash)
  std::string startedIso;
  std::string finishedIso;
  std::vector<SceneRef> inputs;  // every input scene of the run
};

// Hashes every file under `outDir` (except manifest.json and ignored files) and writes
// OUT/manifest.json atomically; call it after everything else of the merge.
void writeRunManifest(const std::filesystem::path& outDir, const RunManifest& manifest);

// True for paths (relative to OUT or to a job folder) that records never list.
bool isUnlistedPath(const std::filesystem::path& relative);

struct VerifyOptions {
  bool checkInputs = true;  // re-hash input scenes that are present (absent ones are noted)
};

struct VerifyReport {
  std::string manifestSha256;  // of manifest.json as found (empty when absent)
  std::vector<std::string>
      purged;  // "<rel path> (purged <time>: <reason>)": listed, removed on purpose
  std::vector<std::string> changed;   // "<rel path>: sha256 <expected>, found <actual>"
  std::vector<std::string> missing;   // relative paths listed but absent
  std::vector<std::string> extra;     // relative paths present but listed nowhere
  std::vector<std::string> problems;  // unreadable or absent records
  std::vector<std::string> notes;     // not failures (e.g. input scene not on this machine)
  std::size_t filesChecked = 0;
  bool ok() const {
    return changed.empty() && missing.empty() && extra.empty() && problems.empty();
  }
};

// Re-hashes every file listed in OUT/manifest.json and in each job.json under OUT, and looks for
// unlisted files. A listed file that OUT/purged.jsonl records as purged with the same SHA-256 is
// reported as purged, not missing. Checks the hash chains of reviews.jsonl, audit.jsonl and
// purged.jsonl (naming the first broken line), and against the chain heads the manifest records
// when it was signed. Each path is reported once. Never throws for tampering; throws cw::Error only
// when `outDir` is not a folder.
VerifyReport verifyOutput(const std::filesystem::path& outDir, const VerifyOptions& options = {});

}  // namespace cw::evidence
