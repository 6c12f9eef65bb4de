// Batch runs as whole processes: lock, SIGKILL and resume, thread-count determinism, submit
// --dry-run, and on a real Slurm (scripts/slurm-local.sh start): submit end to end against a
// local run, resume after a failed array task, and the re-arming chain of --every.
//
// Tests that need Slurm skip with a warning when `sinfo` finds no idle node, unless
// CW_REQUIRE_SLURM=1 (set by scripts/test-hooks.sh after it started Slurm), where they fail.
// Slurm's states are never trusted alone: every test checks the files the jobs wrote.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/sha256.hpp"
#include "pipeline/run_state.hpp"
#include "tests/test_support.hpp"

using cw::test::readJson;
namespace fs = std::filesystem;
using cw::test::readText;
using cw::test::run;
using cw::test::runCli;
using cw::test::TempDir;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

// A small synthetic run: 512 px scenes on 3 dates, with its config.yaml.
fs::path simulate(const TempDir& dir) {
  const auto r = runCli("simulate --out " + q(dir / "sim") + " --size 512 --dates 3");
  INFO(r.output);
  REQUIRE(r.exitCode == 0);
  REQUIRE(fs::exists(dir / "sim" / "config.yaml"));
  return dir / "sim" / "config.yaml";
}

// The plan's jobs as (index, id).
std::vector<std::pair<int, std::string>> planJobs(const fs::path& out) {
  std::vector<std::pair<int, std::string>> jobs;
  const auto plan = readJson(out / "plan.json");
  for (const auto& j : plan["jobs"]) {
    jobs.emplace_back(j["index"].get<int>(), j["id"].get<std::string>());
  }
  return jobs;
}

// Job id -> the "files" map (path -> SHA-256) of its job.json; only complete jobs.
std::map<std::string, nlohmann::json> evidenceHashes(const fs::path& out) {
  std::map<std::string, nlohmann::json> m;
  for (const auto& [index, id] : planJobs(out)) {
    const fs::path jj = out / id / "job.json";
    if (!fs::exists(jj)) continue;
    const auto j = readJson(jj);
    if (j.value("status", "") == "complete") m[id] = j["files"];
  }
  return m;
}

void requireSameEvidence(const fs::path& a, const fs::path& b) {
  const auto ha = evidenceHashes(a);
  const auto hb = evidenceHashes(b);
  REQUIRE(ha.size() == planJobs(a).size());
  REQUIRE(ha.size() >= 2);
  REQUIRE(hb.size() == ha.size());
  for (const auto& [id, files] : ha) {
    INFO("job " << id);
    REQUIRE(hb.count(id));
    CHECK(files.size() >= 3);
    CHECK(hb.at(id) == files);
  }
}

// ---- background processes -------------------------------------------------------------------

pid_t spawnCli(const std::vector<std::string>& args, const fs::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    std::freopen(log.c_str(), "w", stdout);
    ::dup2(::fileno(stdout), STDERR_FILENO);
    std::vector<char*> argv{const_cast<char*>(CW_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(CW_BINARY, argv.data());
    std::_Exit(127);
  }
  return pid;
}

int waitExit(pid_t pid) {
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

bool exited(pid_t pid, int* code = nullptr) {
  int st = 0;
  if (::waitpid(pid, &st, WNOHANG) != pid) return false;
  if (code) *code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return true;
}

// ---- Slurm ----------------------------------------------------------------------------------

bool slurmUp() {
  // A node between jobs can be "planned" (reserved by the backfill scheduler) or briefly
  // "completing"; give it up to 30 s to show a usable state before calling Slurm absent.
  auto usable = [](const std::string& s) {
    for (const char* state : {"idle", "mix", "alloc", "planned", "completing"}) {
      if (s.find(state) != std::string::npos) return true;
    }
    return false;
  };
  auto r = run("timeout 10 sinfo -h -o %T");
  for (int i = 0; i < 30 && r.exitCode == 0 && !usable(r.output); ++i) {
    ::sleep(1);
    r = run("timeout 10 sinfo -h -o %T");
  }
  const bool up = r.exitCode == 0 && usable(r.output);
  if (!up) {
    const char* req = std::getenv("CW_REQUIRE_SLURM");
    if (req && std::string(req) == "1") FAIL("CW_REQUIRE_SLURM=1 but no Slurm node: " << r.output);
    WARN("no Slurm here (sinfo: " << r.output << "); start one with scripts/slurm-local.sh start");
  }
  return up;
}

std::string slurmState(const std::string& id) {
  const auto r = run("scontrol -o show job " + id);
  std::smatch m;
  static const std::regex re(R"(JobState=([A-Z_]+))");
  return std::regex_search(r.output, m, re) ? m[1].str() : "";
}

// Polls squeue until the job (all its array tasks) has left the queue.
void waitGone(const std::string& id, double timeoutS) {
  const auto t0 = Clock::now();
  while (since(t0) < timeoutS) {
    const auto r = run("squeue -h -j " + id);
    if (r.exitCode == 0 && r.output.find_first_not_of(" \n") == std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  FAIL("Slurm job " << id << " still queued after " << timeoutS << " s: "
                    << run("squeue -j " + id).output << run("scontrol -o show job " + id).output);
}

std::string capture(const std::string& text, const std::string& pattern) {
  std::smatch m;
  const std::regex re(pattern);
  return std::regex_search(text, m, re) ? m[1].str() : "";
}

}  // namespace

// ---- local runs -------------------------------------------------------------------------------

TEST_CASE("batch: a second run on the same folder fails naming the holder's PID", "[integration]") {
  TempDir dir("cw-batch-lock");
  const fs::path config = simulate(dir);
  const fs::path out = dir / "out";
  const pid_t first = spawnCli({"run", config.string(), "--out", out.string()}, dir / "first.log");
  // The first run writes its PID into OUT/.lock once it holds it; freeze it there so the second
  // run meets it whatever the speed of the machine.
  const auto t0 = Clock::now();
  std::string holder;
  while (since(t0) < 60 && !exited(first)) {
    holder = readText(out / ".lock");
    if (holder == std::to_string(first) + "\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(holder == std::to_string(first) + "\n");
  ::kill(first, SIGSTOP);
  const auto second = runCli("run " + q(config) + " --out " + q(out));
  ::kill(first, SIGCONT);
  CHECK(second.exitCode == 1);
  CHECK_THAT(second.output, Catch::Contains("output folder " + out.string() +
                                            " is in use by another changewatch process (pid " +
                                            std::to_string(first) + ")"));
  CHECK(waitExit(first) == 0);
  CHECK_FALSE(evidenceHashes(out).empty());
}

TEST_CASE("batch: --threads 1 and --threads 2 give identical evidence", "[integration]") {
  TempDir dir("cw-batch-threads");
  const fs::path config = simulate(dir);
  const auto one = runCli("run " + q(config) + " --out " + q(dir / "t1") + " --threads 1");
  INFO(one.output);
  REQUIRE(one.exitCode == 0);
  const auto two = runCli("run " + q(config) + " --out " + q(dir / "t2") + " --threads 2");
  INFO(two.output);
  REQUIRE(two.exitCode == 0);
  requireSameEvidence(dir / "t1", dir / "t2");
}

TEST_CASE("batch: a run killed with SIGKILL mid-job resumes to the uninterrupted result",
          "[integration]") {
  TempDir dir("cw-batch-kill");
  const fs::path config = simulate(dir);
  const fs::path ref = dir / "ref";
  const auto r = runCli("run " + q(config) + " --out " + q(ref));
  INFO(r.output);
  REQUIRE(r.exitCode == 0);
  const auto refHashes = evidenceHashes(ref);
  const auto jobs = planJobs(ref);

  // Kill once a job has some evidence under final names but no job.json yet: mid-job.
  const fs::path out = dir / "killed";
  const pid_t pid = spawnCli({"run", config.string(), "--out", out.string()}, dir / "killed.log");
  const auto t0 = Clock::now();
  std::string midJob;
  while (midJob.empty() && since(t0) < 300 && !exited(pid)) {
    for (const auto& [index, id] : jobs) {
      if (fs::exists(out / id / "job.json")) continue;
      for (const auto& [rel, sha] : refHashes.at(id).items()) {
        if (fs::exists(out / id / rel)) {
          midJob = id;
          break;
        }
      }
      if (!midJob.empty()) break;
    }
    if (midJob.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  REQUIRE_FALSE(midJob.empty());
  ::kill(pid, SIGKILL);
  REQUIRE(waitExit(pid) == 128 + SIGKILL);
  CHECK_FALSE(fs::exists(out / midJob / "job.json"));

  // No partial file under a final name: every evidence file present is byte-identical to the
  // uninterrupted run's (the pipeline is deterministic), the rest are absent.
  int present = 0;
  for (const auto& [id, files] : refHashes) {
    for (const auto& [rel, sha] : files.items()) {
      const fs::path f = out / id / rel;
      if (!fs::exists(f)) continue;
      ++present;
      INFO(f.string());
      CHECK(cw::sha256File(f) == sha.at("sha256").get<std::string>());
    }
  }
  CHECK(present >= 1);

  const auto again = runCli("run " + q(config) + " --out " + q(out));
  INFO(again.output);
  REQUIRE(again.exitCode == 0);
  requireSameEvidence(ref, out);
  const auto st = runCli("status " + q(out) + " --json");
  REQUIRE(st.exitCode == 0);
  const auto sj = nlohmann::json::parse(st.output.substr(st.output.find('{')));
  CHECK(sj["totals"]["complete"] == static_cast<int>(jobs.size()));
  CHECK(sj["totals"]["failed"] == 0);
}

TEST_CASE("batch: submit --dry-run writes the array of incomplete jobs and the merge",
          "[integration]") {
  TempDir dir("cw-batch-dry");
  const fs::path config = simulate(dir);
  const fs::path out = dir / "out";
  // Job 1 done locally first: the array must leave it out.
  const auto one = runCli("run " + q(config) + " --out " + q(out) + " --job 1");
  INFO(one.output);
  REQUIRE(one.exitCode == 0);
  const auto r = runCli("submit " + q(config) + " --scheduler slurm --out " + q(out) +
                        " --dry-run --max-parallel 2 --partition ci --time 30:00");
  INFO(r.output);
  REQUIRE(r.exitCode == 0);
  const auto jobs = planJobs(out);
  REQUIRE(jobs.size() >= 3);
  std::string expect = "0";
  if (jobs.size() > 2)
    expect += "," + std::string(jobs.size() == 3 ? "2" : "2-" + std::to_string(jobs.size() - 1));
  const std::string array = readText(out / "slurm" / "array.sbatch");
  CHECK_THAT(array, Catch::Contains("#SBATCH --array=" + expect + "%2\n"));
  CHECK_THAT(array, Catch::Contains("#SBATCH --partition=ci\n"));
  CHECK_THAT(array, Catch::Contains("#SBATCH --time=30:00\n"));
  CHECK_THAT(array, Catch::Contains("#SBATCH --output=" + (out / "slurm/logs/%A_%a.out").string()));
  CHECK_THAT(array, Catch::Contains("'" + fs::canonical(CW_BINARY).string() + "' 'run' '" +
                                    fs::canonical(config).string() + "' '--out' '" + out.string() +
                                    "' --job \"$SLURM_ARRAY_TASK_ID\""));
  const std::string merge = readText(out / "slurm" / "merge.sbatch");
  CHECK_THAT(merge, Catch::Contains("#SBATCH --dependency=afterok:@ARRAY_JOB_ID@\n"));
  CHECK_THAT(merge, Catch::Contains("'merge' '" + fs::canonical(config).string() + "'"));
  CHECK_THAT(r.output, Catch::Contains("dry run: nothing submitted"));
  CHECK_FALSE(fs::exists(out / "slurm" / "submission.json"));
}

// ---- real Slurm -------------------------------------------------------------------------------

TEST_CASE("batch: submit to Slurm gives the same evidence as a local run",
          "[integration][slurm][slow]") {
  if (!slurmUp()) return;
  TempDir dir("cw-batch-slurm");
  const fs::path config = simulate(dir);
  const fs::path cluster = dir / "cluster";
  const auto t0 = Clock::now();
  const auto sub = runCli("submit " + q(config) + " --scheduler slurm --out " + q(cluster) +
                          " --max-parallel 2");
  INFO(sub.output);
  REQUIRE(sub.exitCode == 0);
  const std::string arrayJob = capture(sub.output, R"(submitted array job (\d+))");
  const std::string mergeJob = capture(sub.output, R"(submitted merge job (\d+))");
  REQUIRE_FALSE(arrayJob.empty());
  REQUIRE_FALSE(mergeJob.empty());
  CHECK_THAT(sub.output, Catch::Contains("squeue -j " + arrayJob + "," + mergeJob));
  CHECK_THAT(readText(cluster / "slurm" / "merge.sbatch"),
             Catch::Contains("--dependency=afterok:" + arrayJob + "\n"));
  waitGone(mergeJob, 600);
  const double clusterS = since(t0);
  CHECK(slurmState(mergeJob) == "COMPLETED");
  // The files, not the states: every job complete, run by its own task, and the merge's manifest.
  const auto jobs = planJobs(cluster);
  for (const auto& [index, id] : jobs) {
    const auto j = readJson(cluster / id / "job.json");
    CHECK(j["status"] == "complete");
    CHECK(j["run"]["task"] == arrayJob + "_" + std::to_string(index));
    CHECK(
        fs::exists(cluster / "slurm" / "logs" / (arrayJob + "_" + std::to_string(index) + ".out")));
  }
  REQUIRE(fs::exists(cluster / "manifest.json"));
  const auto st = runCli("status " + q(cluster));
  INFO(st.output);
  CHECK_THAT(st.output, Catch::Contains("(task " + arrayJob + "_0)"));
  CHECK_THAT(st.output,
             Catch::Contains(std::to_string(jobs.size()) + " complete, 0 failed, 0 missing"));

  const auto t1 = Clock::now();
  const auto local = runCli("run " + q(config) + " --out " + q(dir / "local"));
  const double localS = since(t1);
  INFO(local.output);
  REQUIRE(local.exitCode == 0);
  requireSameEvidence(dir / "local", cluster);
  std::cerr << "[timing] " << jobs.size() << " jobs: Slurm submit->merge done " << clusterS
            << " s, local run " << localS << " s\n";
}

TEST_CASE("batch: a failed array task shows in status and a resubmit runs only that job",
          "[integration][slurm][slow]") {
  if (!slurmUp()) return;
  TempDir dir("cw-batch-resume");
  const fs::path config = simulate(dir);
  const fs::path out = dir / "out";
  // Plan first (dry run) to learn the jobs, then hold one job's lock so its task fails.
  REQUIRE(runCli("submit " + q(config) + " --scheduler slurm --out " + q(out) + " --dry-run")
              .exitCode == 0);
  const auto jobs = planJobs(out);
  REQUIRE(jobs.size() >= 2);
  const auto [badIndex, badId] = jobs[1];
  std::string arrayJob, mergeJob;
  {
    cw::pipeline::FileLock held(out / badId / ".lock", cw::pipeline::FileLock::Mode::Exclusive,
                                "job " + badId);
    const auto sub = runCli("submit " + q(config) + " --scheduler slurm --out " + q(out));
    INFO(sub.output);
    REQUIRE(sub.exitCode == 0);
    arrayJob = capture(sub.output, R"(submitted array job (\d+))");
    mergeJob = capture(sub.output, R"(submitted merge job (\d+))");
    REQUIRE_FALSE(arrayJob.empty());
    waitGone(arrayJob, 600);
    waitGone(mergeJob, 120);  // afterok failed: kill_invalid_depend cancels it
  }
  CHECK(slurmState(arrayJob + "_" + std::to_string(badIndex)) == "FAILED");
  CHECK(slurmState(mergeJob) == "CANCELLED");
  CHECK_FALSE(fs::exists(out / badId / "job.json"));
  CHECK_FALSE(fs::exists(out / "manifest.json"));
  const auto st = runCli("status " + q(out) + " --json");
  INFO(st.output);
  CHECK(st.exitCode == 1);  // a failed job: status exits 1 (issue 17)
  const auto sj = nlohmann::json::parse(st.output.substr(st.output.find('{')));
  CHECK(sj["totals"]["failed"] == 1);
  CHECK(sj["totals"]["complete"] == static_cast<int>(jobs.size()) - 1);
  for (const auto& row : sj["jobs"]) {
    if (row["id"] != badId) continue;
    CHECK(row["state"] == "failed");
    CHECK(row["task"] == arrayJob + "_" + std::to_string(badIndex));
    CHECK_THAT(row["error"].get<std::string>(),
               Catch::Contains("job " + badId + " is in use by another changewatch process (pid " +
                               std::to_string(::getpid()) + ")"));
  }

  std::map<std::string, fs::file_time_type> mtimes;
  for (const auto& [index, id] : jobs) {
    if (id != badId) mtimes[id] = fs::last_write_time(out / id / "job.json");
  }
  // Fixed (lock released): the resubmission runs that job only.
  const auto again = runCli("submit " + q(config) + " --scheduler slurm --out " + q(out));
  INFO(again.output);
  REQUIRE(again.exitCode == 0);
  CHECK_THAT(readText(out / "slurm" / "array.sbatch"),
             Catch::Contains("#SBATCH --array=" + std::to_string(badIndex) + "\n"));
  const std::string array2 = capture(again.output, R"(submitted array job (\d+))");
  const std::string merge2 = capture(again.output, R"(submitted merge job (\d+))");
  REQUIRE_FALSE(merge2.empty());
  waitGone(merge2, 600);
  CHECK(slurmState(merge2) == "COMPLETED");
  CHECK(readJson(out / badId / "job.json")["run"]["task"] ==
        array2 + "_" + std::to_string(badIndex));
  for (const auto& [id, t] : mtimes) {
    INFO(id);
    CHECK(fs::last_write_time(out / id / "job.json") == t);
  }
  CHECK(fs::exists(out / "manifest.json"));
  const auto fin = runCli("status " + q(out));
  CHECK_THAT(fin.output,
             Catch::Contains(std::to_string(jobs.size()) + " complete, 0 failed, 0 missing"));
}

TEST_CASE("batch: submit --every re-arms itself, status shows the next firing, unschedule stops it",
          "[integration][slurm][slow]") {
  if (!slurmUp()) return;
  TempDir dir("cw-batch-every");
  const fs::path config = simulate(dir);
  const fs::path out = dir / "out";
  // Everything done locally except one job, whose record is removed: each firing must submit
  // exactly the incomplete jobs.
  REQUIRE(runCli("run " + q(config) + " --out " + q(out)).exitCode == 0);
  const auto jobs = planJobs(out);
  const auto [redoIndex, redoId] = jobs.back();

  const auto sub =
      runCli("submit " + q(config) + " --scheduler slurm --out " + q(out) + " --every 15s");
  INFO(sub.output);
  REQUIRE(sub.exitCode == 0);
  CHECK_THAT(sub.output, Catch::Contains("nothing to submit"));
  const auto s1 = readJson(out / "slurm" / "schedule.json");
  const std::string rearm1 = s1["rearm_job"];
  CHECK(s1["every"] == "15s");
  CHECK(slurmState(rearm1) == "PENDING");
  CHECK_THAT(run("scontrol -o show job " + rearm1).output, Catch::Contains("Reason=BeginTime"));
  const auto st = runCli("status " + q(out));
  CHECK_THAT(st.output,
             Catch::Contains("schedule: every 15s, next firing " + s1["next"].get<std::string>() +
                             " (Slurm job " + rearm1 + ")"));

  fs::remove(out / redoId / "job.json");
  const auto t0 = Clock::now();
  waitGone(rearm1, 180);
  const double firedAfterS = since(t0);
  CHECK(slurmState(rearm1) == "COMPLETED");
  const auto s2 = readJson(out / "slurm" / "schedule.json");
  const std::string rearm2 = s2["rearm_job"];
  CHECK(rearm2 != rearm1);
  CHECK(slurmState(rearm2) == "PENDING");
  // The firing submitted the one incomplete job and a merge.
  const auto submission = readJson(out / "slurm" / "submission.json");
  CHECK(submission["indices"] == nlohmann::json::array({redoIndex}));

  // Unschedule while the next re-arm is still pending (it fires 15 s after the last one; the
  // job and merge take longer than that on a slow or sanitized build, so wait for them after).
  const auto un = runCli("unschedule " + q(out));
  INFO(un.output);
  REQUIRE(un.exitCode == 0);
  CHECK_THAT(un.output, Catch::Contains("re-arming job " + rearm2 + " cancelled"));
  CHECK_FALSE(fs::exists(out / "slurm" / "schedule.json"));
  waitGone(rearm2, 30);
  CHECK(slurmState(rearm2) == "CANCELLED");

  const std::string merge = submission["merge_job"];
  waitGone(merge, 600);
  CHECK(readJson(out / redoId / "job.json")["status"] == "complete");
  CHECK(readJson(out / redoId / "job.json")["run"]["task"] ==
        submission["array_job"].get<std::string>() + "_" + std::to_string(redoIndex));
  CHECK_THAT(runCli("status " + q(out)).output, !Catch::Contains("schedule:"));
  const auto none = runCli("unschedule " + q(out));
  CHECK(none.exitCode == 2);
  CHECK_THAT(none.output, Catch::Contains("no schedule here"));
  std::cerr << "[timing] --every 15s: re-arm job fired and finished " << firedAfterS
            << " s after submit\n";
}
