// The environment turning hostile (issue 10, "Environment", "Resource limits"): a read-only
// output folder, the disk filling during a write, and requests above the config's limits.
//
// The disk fills in two ways: always through RLIMIT_FSIZE (`ulimit -f` in a child shell that
// ignores SIGXFSZ, so write() fails with EFBIG once a file reaches the limit, whichever writer -
// ours, GDAL's or HDF5's - is writing), and, where the test may mount (root), on a real full
// tmpfs (ENOSPC) in a private mount namespace (`unshare -m`). A read-only OUT is a read-only
// bind mount for root (chmod does not stop root) and a chmod 0555 folder otherwise.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "tests/bad/bad_support.hpp"
#include "tiles/tile_splitter.hpp"

using namespace cw::test;
using namespace cw::test::bad;
using nlohmann::json;

namespace {

// Files under OUT whose name marks a temp file of an atomic write (".<name>.tmp-<pid>-<n>").
std::vector<std::string> tempFiles(const fs::path& out) {
  std::vector<std::string> found;
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    const std::string name = e.path().filename().string();
    if (name.find(".tmp-") != std::string::npos) found.push_back(e.path().string());
  }
  return found;
}

std::string cli() {
  return std::string(CW_BINARY);
}

bool canMountPrivately() {
  if (::geteuid() != 0) return false;
  return run("unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt'").exitCode ==
         0;
}

}  // namespace

TEST_CASE("environment: a read-only OUT fails naming the file, and the earlier outputs stay intact",
          "[integration]") {
  SmallRun r("cwbad-ro");
  auto first = runCli("run " + q(r.config) + " --out " + q(r.out));
  INFO(first.output);
  REQUIRE(first.exitCode == 0);
  requireCli("verify " + q(r.out));
  const auto before = evidenceHashes(r.out);
  // New work for the second run: a fourth date.
  SceneSpec s;
  s.iso = "2025-06-01T10:00:00";
  s.changeSquare = true;
  writeScene(r.scenes / "scene_20250601.tif", s);

  const std::string runCmd = cli() + " run " + q(r.config) + " --out " + q(r.out);
  CommandResult second;
  if (::geteuid() == 0) {
    if (!canMountPrivately()) {
      WARN("skipped: running as root without mount rights, so OUT cannot be made read-only");
      return;
    }
    second = run("unshare -m sh -c " +
                 q("mount --bind " + r.out.string() + " " + r.out.string() +
                   " && mount -o remount,bind,ro " + r.out.string() + " && exec " + runCmd));
  } else {
    run("chmod -R a-w " + q(r.out));
    second = run(runCmd);
    run("chmod -R u+w " + q(r.out));
  }
  INFO(second.output);
  CHECK(second.exitCode == 1);
  CHECK_THAT(second.output, Catch::Contains(r.out.string() + "/"));
  CHECK_THAT(second.output,
             Catch::Contains("Read-only file system") || Catch::Contains("Permission denied"));
  // Nothing was lost or changed.
  CHECK(evidenceHashes(r.out) == before);
  CHECK(checkCompleteJobsIntact(r.out) > 10);
  const auto v = runCli("verify " + q(r.out));
  INFO(v.output);
  CHECK(v.exitCode == 0);
}

TEST_CASE(
    "environment: the disk filling mid-write fails the job naming the file, nothing written is "
    "lost or partial, and a rerun completes",
    "[integration]") {
  SmallRun r("cwbad-full");
  const fs::path ref = r.dir / "ref";
  const auto full = runCli("run " + q(r.config) + " --out " + q(ref));
  INFO(full.output);
  REQUIRE(full.exitCode == 0);
  const auto refHashes = evidenceHashes(ref);
  REQUIRE(refHashes.size() == 4);

  // Job 0 completes first: the "earlier output" that must survive.
  requireCli("run " + q(r.config) + " --out " + q(r.out) + " --job 0");
  const auto job0 = evidenceHashes(r.out);
  REQUIRE(job0.size() == 1);

  // File-size limits from tiny (the first JSON) to the size of the rasters and product.h5.
  int failures = 0;
  for (const int kb : {1, 8, 24, 48, 96, 160, 400}) {
    INFO("ulimit -f " << kb << " KiB");
    const auto res = run("bash -c " + q("trap '' XFSZ; ulimit -f " + std::to_string(kb) +
                                        "; exec " + cli() + " run " + r.config.string() +
                                        " --out " + r.out.string() + " --no-merge"));
    INFO(res.output);
    if (res.exitCode == 0) continue;  // everything fitted
    ++failures;
    CHECK(res.exitCode == 1);
    CHECK_THAT(res.output, Catch::Contains("File too large"));
    CHECK_THAT(res.output, Catch::Contains(r.out.string() + "/"));
    // The complete job is untouched, nothing under a final name is partial, no temp file is left.
    CHECK(evidenceHashes(r.out).at(job0.begin()->first) == job0.begin()->second);
    CHECK(checkCompleteJobsIntact(r.out) > 10);
    CHECK(checkNoPartialFiles(r.out, ref) > 0);
    CHECK(tempFiles(r.out).empty());
  }
  CHECK(failures >= 3);
  const auto again = runCli("run " + q(r.config) + " --out " + q(r.out));
  INFO(again.output);
  REQUIRE(again.exitCode == 0);
  CHECK(evidenceHashes(r.out) == refHashes);
  const auto v = runCli("verify " + q(r.out));
  INFO(v.output);
  CHECK(v.exitCode == 0);
}

TEST_CASE(
    "environment: a full tmpfs (ENOSPC) fails the run naming the file, earlier outputs stay "
    "intact",
    "[integration]") {
  if (!canMountPrivately()) {
    WARN(
        "skipped: no rights to mount a tmpfs here (needs root); the RLIMIT_FSIZE test covers the "
        "failing write");
    return;
  }
  SmallRun r("cwbad-enospc");
  const fs::path ref = r.dir / "ref";
  requireCli("run " + q(r.config) + " --out " + q(ref));
  requireCli("run " + q(r.config) + " --out " + q(r.out) + " --job 0");
  const auto job0 = evidenceHashes(r.out);
  const fs::path copy = r.dir / "copy";
  fs::create_directories(copy);
  // A tmpfs over OUT holding the earlier output and ~100 KiB more; what is left on it afterwards
  // is copied out for inspection before the namespace (and the mount) goes away.
  const std::string o = r.out.string();
  const auto res =
      run("unshare -m bash -c " +
          q("stage=$(mktemp -d) && cp -a " + o +
            "/. $stage/ && used=$(du -sk $stage | cut -f1) && "
            "mount -t tmpfs -o size=$((used + 100))k tmpfs " +
            o + " && cp -a $stage/. " + o +
            "/ && "
            "rm -rf $stage || exit 99; " +
            cli() + " run " + r.config.string() + " --out " + o + " --no-merge; rc=$?; df -k " + o +
            " | tail -1; cp -a " + o + "/. " + copy.string() + "/; exit $rc"));
  INFO(res.output);
  CHECK(res.exitCode == 1);
  CHECK_THAT(res.output, Catch::Contains("No space left on device"));
  CHECK_THAT(res.output, Catch::Contains(r.out.string() + "/"));
  CHECK(evidenceHashes(copy).at(job0.begin()->first) == job0.begin()->second);
  CHECK(checkCompleteJobsIntact(copy) > 10);
  CHECK(checkNoPartialFiles(copy, ref) > 0);
  CHECK(tempFiles(copy).empty());
}

TEST_CASE(
    "resource limits: grid size, tile count and memory budget stop a request, saying what to "
    "change",
    "[integration]") {
  SmallRun r("cwbad-limits");
  auto planWith = [&](const std::string& tiling, const std::string& siteBbox = "") {
    writeText(r.config, configYaml("tiling: " + tiling + "\n", false, siteBbox));
    auto res = runCli("plan " + q(r.config) + " --json 2>/dev/null");
    REQUIRE(res.exitCode == 0);
    const json p = json::parse(res.output.substr(res.output.find('{')));
    CHECK(p["jobs"].empty());
    return p["aois"][0].value("error", "(no error)");
  };
  CHECK_THAT(
      planWith("{max_grid_px: 1000}"),
      Catch::Matches("the AOI grid would be \\d+×\\d+ = \\d+ pixels, above tiling.max_grid_px "
                     "\\(1000\\); raise tiling.max_grid_px or use a coarser grid.pixel_size_m"));
  CHECK_THAT(
      planWith("{tile_px: 64, max_tiles: 2}"),
      Catch::Matches("the AOI grid needs \\d+ tiles, above tiling.max_tiles \\(2\\); raise it "
                     "or use a larger tiling.tile_px"));
  // A 10 km AOI in one 8192 px tile cannot fit 64 MB.
  CHECK_THAT(
      planWith("{tile_px: 8192, memory_mb: 64}", bboxYaml(-1500, -1500, 1800, 1800)),
      Catch::Matches("one tile of \\d+×\\d+ px needs at least \\d+ MB, above tiling.memory_mb "
                     "\\(64\\); lower tiling.tile_px or raise tiling.memory_mb"));
  // `run` records the refusal, runs nothing, and exits 2 as for any other config problem.
  const auto res = runCli("run " + q(r.config) + " --out " + q(r.out));
  INFO(res.output);
  CHECK_THAT(res.output, Catch::Contains("AOI site cannot run: one tile of"));
  CHECK_THAT(res.output, Catch::Contains("AOI(s) site refused by a tiling limit"));
  CHECK(res.exitCode == 2);
  CHECK(readJson(r.out / "plan.json")["aois"][0]["error"].get<std::string>().find(
            "tiling.memory_mb") != std::string::npos);

  // In the job, the tile planner keeps a fixed tile size by holding fewer tiles in flight, and
  // refuses when one tile alone exceeds the budget.
  cw::tiles::TilePlanRequest req;
  req.width = req.height = 4096;
  req.bytesPerPixel = 44;
  req.threads = 2;
  req.requestedTilePx = 1024;
  req.budgetBytes = std::size_t(100) << 20;  // one 1024² tile is 44 MB: 2 fit, 4 do not
  const auto plan = cw::tiles::planTiles(req);
  CHECK(plan.tileSizePx == 1024);
  CHECK(plan.tilesInFlight == 2);
  CHECK(plan.estimatedBytes <= req.budgetBytes);
  req.budgetBytes = std::size_t(32) << 20;
  try {
    cw::tiles::planTiles(req);
    FAIL("no error");
  } catch (const cw::Error& e) {
    CHECK(
        std::string(e.what()) ==
        "one tile of 1024x1024 px with a 0 px halo needs est. 44 MB, above the memory budget of 32 "
        "MB; use a smaller tile size (tiling.tile_px) or a larger budget (tiling.memory_mb)");
  }
}
