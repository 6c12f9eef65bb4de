#pragma once
// Where `changewatch serve` finds the reviewer page: index.html, app.js, style.css and Leaflet.
//
// Two layouts exist:
//   installed     PREFIX/bin/changewatch serves PREFIX/share/changewatch/viewer, with Leaflet in
//                 vendor/leaflet/ (copied from viewer/node_modules at build time and installed by
//                 `cmake --install` or the .deb);
//   source tree   the executable of a build folder serves the checkout's viewer/, with Leaflet in
//                 viewer/node_modules/leaflet/dist (scripts/viewer-setup.sh installs it).
// The source tree is only a fallback for the executable in the build folder it was configured
// with, so an installed or copied changewatch never serves files from a checkout.
#include <filesystem>
#include <optional>
#include <string>

namespace cw::serve {

namespace fs = std::filesystem;

// The installed viewer relative to the executable's folder.
inline constexpr const char* kInstalledViewerRel = "../share/changewatch/viewer";

struct ViewerLocation {
  fs::path dir;         // folder with index.html, app.js, style.css
  fs::path leafletDir;  // folder with leaflet.js, leaflet.css and images/
  std::string origin;   // "--viewer", "installed" or "source tree", for the startup line
};

// Leaflet's folder for a viewer folder: vendor/leaflet when it has leaflet.js, otherwise
// node_modules/leaflet/dist (which may not exist; the server then answers 404).
fs::path leafletDirOf(const fs::path& viewerDir);

// The viewer to serve: `explicitDir` when given, otherwise the installed layout next to
// `executable`, otherwise (only when `executable` sits in `buildDir`) `sourceViewer`. Throws
// cw::UsageError naming the folders it looked in when there is no index.html, and when Leaflet is
// missing (a page without it would be blank), with what to run to get it.
ViewerLocation findViewer(const std::optional<fs::path>& explicitDir, const fs::path& executable,
                          const fs::path& buildDir, const fs::path& sourceViewer);

// findViewer() for this process: /proc/self/exe, and the build and source folders it was
// configured with.
ViewerLocation findViewer(const std::optional<fs::path>& explicitDir);

}  // namespace cw::serve
