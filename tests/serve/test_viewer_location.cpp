// Where `serve` finds its viewer (serve/viewer_location.hpp): the installed layout beside the
// executable, the source tree only for the build folder's executable, and clear refusals.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "core/error.hpp"
#include "serve/viewer_location.hpp"
#include "tests/test_support.hpp"

using cw::serve::findViewer;
using cw::test::TempDir;
using cw::test::writeText;
namespace fs = std::filesystem;

namespace {

// A page folder with index.html and, unless told otherwise, Leaflet at `leafletRel`.
void makeViewer(const fs::path& dir, const std::string& leafletRel) {
  writeText(dir / "index.html", "<!doctype html>");
  if (!leafletRel.empty()) writeText(dir / leafletRel / "leaflet.js", "// leaflet");
}

std::string messageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const cw::UsageError& e) {
    return e.what();
  }
  return "(no cw::UsageError)";
}

}  // namespace

TEST_CASE("viewer location: an installed tree serves share/changewatch/viewer beside its bin/",
          "[unit]") {
  TempDir t("cw-viewer");
  const fs::path installed = t.path() / "prefix" / "share" / "changewatch" / "viewer";
  makeViewer(installed, "vendor/leaflet");
  makeViewer(t.path() / "src" / "viewer", "node_modules/leaflet/dist");
  writeText(t.path() / "prefix" / "bin" / "changewatch", "");
  writeText(t.path() / "build" / "changewatch", "");

  const auto v = findViewer(std::nullopt, t.path() / "prefix" / "bin" / "changewatch",
                            t.path() / "build", t.path() / "src" / "viewer");
  CHECK(v.dir == installed);
  CHECK(v.origin == "installed");
  CHECK(v.leafletDir == installed / "vendor" / "leaflet");
}

TEST_CASE("viewer location: the build folder's executable falls back to the source tree",
          "[unit]") {
  TempDir t("cw-viewer");
  makeViewer(t.path() / "src" / "viewer", "node_modules/leaflet/dist");
  writeText(t.path() / "build" / "changewatch", "");

  const auto v = findViewer(std::nullopt, t.path() / "build" / "changewatch", t.path() / "build",
                            t.path() / "src" / "viewer");
  CHECK(v.dir == t.path() / "src" / "viewer");
  CHECK(v.origin == "source tree");
  CHECK(v.leafletDir == t.path() / "src" / "viewer" / "node_modules" / "leaflet" / "dist");
}

TEST_CASE("viewer location: a copied executable never reaches the source tree", "[unit]") {
  TempDir t("cw-viewer");
  makeViewer(t.path() / "src" / "viewer", "node_modules/leaflet/dist");
  writeText(t.path() / "build" / "changewatch", "");
  writeText(t.path() / "elsewhere" / "bin" / "changewatch", "");

  const std::string msg = messageOf([&] {
    findViewer(std::nullopt, t.path() / "elsewhere" / "bin" / "changewatch", t.path() / "build",
               t.path() / "src" / "viewer");
  });
  CHECK(msg ==
        "viewer not found: no " +
            (t.path() / "elsewhere" / "share" / "changewatch" / "viewer" / "index.html").string() +
            " (install changewatch with `cmake --install`, or pass --viewer DIR)");
}

TEST_CASE("viewer location: without Leaflet serve refuses instead of serving a blank page",
          "[unit]") {
  TempDir t("cw-viewer");
  const fs::path installed = t.path() / "prefix" / "share" / "changewatch" / "viewer";
  makeViewer(installed, "");
  writeText(t.path() / "prefix" / "bin" / "changewatch", "");
  CHECK(messageOf([&] {
          findViewer(std::nullopt, t.path() / "prefix" / "bin" / "changewatch", t.path() / "build",
                     t.path() / "src" / "viewer");
        }) == installed.string() +
                  ": Leaflet is missing (no vendor/leaflet/leaflet.js or "
                  "node_modules/leaflet/dist/leaflet.js), so the page would be blank; reinstall "
                  "changewatch (its build copies Leaflet into share/changewatch/viewer/vendor)");

  const fs::path source = t.path() / "src" / "viewer";
  makeViewer(source, "");
  CHECK(messageOf([&] { findViewer(source, "/usr/bin/changewatch", "", ""); }) ==
        source.string() +
            ": Leaflet is missing (no vendor/leaflet/leaflet.js or "
            "node_modules/leaflet/dist/leaflet.js), so the page would be blank; run "
            "scripts/viewer-setup.sh in the source checkout (npm ci in viewer/)");
}

TEST_CASE("viewer location: --viewer without index.html is refused naming the file", "[unit]") {
  TempDir t("cw-viewer");
  CHECK(messageOf([&] { findViewer(t.path() / "nothing", "/usr/bin/changewatch", "", ""); }) ==
        (t.path() / "nothing" / "index.html").string() + ": viewer not found (pass --viewer DIR)");
}
