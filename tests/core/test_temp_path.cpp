// The one temp-file naming (core/temp_path.hpp): names made by tempPathBeside() parse back to the
// final name and the writer's pid, which removeStaleTempFiles, the manifest and write errors use.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <string>

#include "core/temp_path.hpp"

using cw::parseTempName;
using cw::tempPathBeside;

TEST_CASE("temp names: beside the file, hidden, with the pid, a counter and the extension",
          "[unit]") {
  const auto a = tempPathBeside("/x/out/score.tif");
  const auto b = tempPathBeside("/x/out/score.tif");
  const std::string prefix = ".score.tmp-" + std::to_string(::getpid()) + "-";
  CHECK(a.parent_path() == "/x/out");
  CHECK(a.filename().string().rfind(prefix, 0) == 0);
  CHECK(a.extension() == ".tif");
  CHECK(a != b);  // the counter makes every name new, across threads too (atomic)

  const auto parsed = parseTempName(a.filename().string());
  REQUIRE(parsed);
  CHECK(parsed->finalName == "score.tif");
  CHECK(parsed->writerPid == ::getpid());
}

TEST_CASE("temp names: only hidden names with .tmp- are temp names", "[unit]") {
  CHECK_FALSE(parseTempName("score.tif"));
  CHECK_FALSE(parseTempName("score.tmp-12-0.tif"));  // not hidden: a user's file
  CHECK_FALSE(parseTempName(".work"));
  CHECK_FALSE(parseTempName(""));
  const auto noPid = parseTempName(".changes.tmp-x.geojson");
  REQUIRE(noPid);
  CHECK(noPid->writerPid == 0);
  CHECK(noPid->finalName == "changes.geojson");
  CHECK(parseTempName(".manifest.tmp-4242-7.json")->writerPid == 4242);
}
