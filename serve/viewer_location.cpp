#include "serve/viewer_location.hpp"

#include <system_error>

#include "core/error.hpp"

#ifndef CW_BUILD_DIR
#define CW_BUILD_DIR ""
#endif
#ifndef CW_SOURCE_VIEWER_DIR
#define CW_SOURCE_VIEWER_DIR ""
#endif

namespace cw::serve {
namespace {

bool hasFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool sameFolder(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return !a.empty() && !b.empty() && fs::equivalent(a, b, ec);
}

// Leaflet is loaded by index.html before app.js; without it the page stays blank, so refuse to
// start rather than serve that.
void requireLeaflet(const ViewerLocation& v) {
  if (hasFile(v.leafletDir / "leaflet.js")) return;
  const std::string fix =
      v.origin == "installed"
          ? "reinstall changewatch (its build copies Leaflet into share/changewatch/viewer/vendor)"
          : "run scripts/viewer-setup.sh in the source checkout (npm ci in viewer/)";
  throw UsageError(v.dir.string() +
                   ": Leaflet is missing (no vendor/leaflet/leaflet.js or "
                   "node_modules/leaflet/dist/leaflet.js), so the page would be blank; " +
                   fix);
}

}  // namespace

fs::path leafletDirOf(const fs::path& viewerDir) {
  const fs::path vendored = viewerDir / "vendor" / "leaflet";
  if (hasFile(vendored / "leaflet.js")) return vendored;
  return viewerDir / "node_modules" / "leaflet" / "dist";
}

ViewerLocation findViewer(const std::optional<fs::path>& explicitDir, const fs::path& executable,
                          const fs::path& buildDir, const fs::path& sourceViewer) {
  ViewerLocation v;
  if (explicitDir) {
    v.dir = *explicitDir;
    v.origin = "--viewer";
    if (!hasFile(v.dir / "index.html")) {
      throw UsageError((v.dir / "index.html").string() + ": viewer not found (pass --viewer DIR)");
    }
  } else {
    const fs::path installed = (executable.parent_path() / kInstalledViewerRel).lexically_normal();
    const bool inBuildFolder = sameFolder(executable.parent_path(), buildDir);
    if (hasFile(installed / "index.html")) {
      v = {installed, {}, "installed"};
    } else if (inBuildFolder && hasFile(sourceViewer / "index.html")) {
      v = {sourceViewer, {}, "source tree"};
    } else {
      std::string looked = (installed / "index.html").string();
      if (inBuildFolder) looked += " and " + (sourceViewer / "index.html").string();
      throw UsageError("viewer not found: no " + looked +
                       " (install changewatch with `cmake --install`, or pass --viewer DIR)");
    }
  }
  v.leafletDir = leafletDirOf(v.dir);
  requireLeaflet(v);
  return v;
}

ViewerLocation findViewer(const std::optional<fs::path>& explicitDir) {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("serve: cannot find its own executable (/proc/self/exe): " + ec.message());
  return findViewer(explicitDir, exe, CW_BUILD_DIR, CW_SOURCE_VIEWER_DIR);
}

}  // namespace cw::serve
