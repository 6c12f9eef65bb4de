// The Slurm scheduler seam without a cluster: array strings, durations, and the scripts it writes.
#include <catch2/catch.hpp>

#include "cluster/scheduler_slurm.hpp"
#include "core/error.hpp"
#include "tests/test_support.hpp"

using namespace cw::cluster;
using cw::test::readText;
using cw::test::TempDir;

TEST_CASE("slurm: array indices compress to sorted ranges", "[unit]") {
  CHECK(compressIndices({}) == "");
  CHECK(compressIndices({4}) == "4");
  CHECK(compressIndices({0, 1, 2, 3}) == "0-3");
  CHECK(compressIndices({8, 0, 2, 1, 5, 7, 7}) == "0-2,5,7-8");
  CHECK(compressIndices({1, 3, 5}) == "1,3,5");
}

TEST_CASE("slurm: --every durations in short units, Slurm words and Slurm time format", "[unit]") {
  using std::chrono::seconds;
  CHECK(parseDuration("20s") == seconds(20));
  CHECK(parseDuration("30min") == seconds(1800));
  CHECK(parseDuration("6h") == seconds(6 * 3600));
  CHECK(parseDuration("1d") == seconds(86400));
  CHECK(parseDuration("2w") == seconds(14 * 86400));
  CHECK(parseDuration("now+6hours") == seconds(6 * 3600));
  CHECK(parseDuration("90seconds") == seconds(90));
  CHECK(parseDuration("1-00:00:00") == seconds(86400));
  CHECK(parseDuration("1-06") == seconds(86400 + 6 * 3600));
  CHECK(parseDuration("01:30:00") == seconds(5400));
  CHECK(parseDuration("10:00") == seconds(600));  // Slurm: minutes:seconds
  CHECK_THROWS_WITH(parseDuration("30"), Catch::Contains("bare number is ambiguous"));
  CHECK_THROWS_WITH(parseDuration("5 fortnights"), Catch::Contains("unknown unit 'fortnights'"));
  CHECK_THROWS_WITH(parseDuration("0s"), Catch::Contains("must be positive"));
  CHECK_THROWS_AS(parseDuration("soon"), cw::UsageError);
}

TEST_CASE("slurm: scripts name the array, the tasks' command and the merge dependency", "[unit]") {
  TempDir dir("cw-slurm");
  BatchRequest r;
  r.binary = "/opt/cw/bin/changewatch";
  r.config = "/data/it's config.yaml";  // a quote survives the shell quoting
  r.out = dir.path() / "out";
  r.jobIndices = {0, 1, 2, 5};
  r.maxParallel = 2;
  r.partition = "ci";
  r.timeLimit = "1:00:00";
  r.begin = "now+1hour";
  const BatchScripts s = SlurmScheduler().writeScripts(r);
  CHECK(s.arraySpec == "0-2,5%2");
  const std::string array = readText(s.array);
  CHECK_THAT(array, Catch::Contains("#SBATCH --array=0-2,5%2\n"));
  CHECK_THAT(array,
             Catch::Contains("#SBATCH --output=" + (r.out / "slurm/logs/%A_%a.out").string()));
  CHECK_THAT(array, Catch::Contains("#SBATCH --partition=ci\n"));
  CHECK_THAT(array, Catch::Contains("#SBATCH --time=1:00:00\n"));
  CHECK_THAT(array, Catch::Contains("#SBATCH --begin=now+1hour\n"));
  CHECK_THAT(array,
             Catch::Contains("exec '/opt/cw/bin/changewatch' 'run' '/data/it'\\''s config.yaml' "
                             "'--out' '" +
                             r.out.string() + "' --job \"$SLURM_ARRAY_TASK_ID\""));
  CHECK_THAT(array, Catch::Contains("--no-merge"));
  const std::string merge = readText(s.merge);
  CHECK_THAT(merge, Catch::Contains("#SBATCH --dependency=afterok:@ARRAY_JOB_ID@\n"));
  CHECK_THAT(merge, Catch::Contains("'merge' '/data/it'\\''s config.yaml'"));
  CHECK(fs::is_directory(r.out / "slurm" / "logs"));  // Slurm does not create it

  // Nothing left to run: no array script (a stale one is removed), merge without dependency.
  r.jobIndices.clear();
  const BatchScripts none = SlurmScheduler().writeScripts(r);
  CHECK(none.array.empty());
  CHECK_FALSE(fs::exists(r.out / "slurm" / "array.sbatch"));
  CHECK_THAT(readText(none.merge), !Catch::Contains("--dependency"));
}
