// `changewatch serve OUT`: the reviewer viewer over a run output folder (see review_server.hpp).
#include <csignal>
#include <iostream>
#include <thread>

#include <pthread.h>

#include <cpl_conv.h>
#include <gdal.h>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "serve/review_server.hpp"
#include "serve/viewer_location.hpp"

namespace cw::cli {
// The CLI is the one place that composes the libraries.
using namespace cw::serve;

void addServeCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "serve",
      "Serve the reviewer viewer for a run folder: map tiles, evidence and review decisions");
  auto opts = std::make_shared<ReviewServerOptions>();
  auto out = std::make_shared<std::string>();
  auto viewer = std::make_shared<std::string>();
  auto cacheMb = std::make_shared<int>(64);
  cmd->add_option("OUT", *out, "Run output folder (with plan.json)")->required();
  auto users = std::make_shared<std::string>();
  auto cert = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  cmd->add_option("--host", opts->host,
                  "Address to bind; anything but loopback needs --users and --tls-cert/--tls-key")
      ->capture_default_str();
  cmd->add_option("--users", *users,
                  "Users file (changewatch users): sign-in, roles and AOI scopes; mode 0600");
  cmd->add_option("--tls-cert", *cert, "PEM certificate: serve HTTPS (with --tls-key)");
  cmd->add_option("--tls-key", *key, "PEM private key of --tls-cert");
  auto sessionMinutes = std::make_shared<int>(480);
  auto idleMinutes = std::make_shared<int>(60);
  cmd->add_option("--session-minutes", *sessionMinutes, "A session ends this long after sign-in")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 24 * 60));
  cmd->add_option("--idle-minutes", *idleMinutes, "...or after this long without a request")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 24 * 60));
  cmd->add_option("--port", opts->port, "Port to bind (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--viewer", *viewer,
                  "Folder of the viewer's static files (default: ../share/changewatch/viewer "
                  "beside the executable; the source tree's viewer/ for a build folder's)");
  cmd->add_option("--tile-cache-mb", *cacheMb, "Bound of the in-memory tile cache, MiB")
      ->capture_default_str()
      ->check(CLI::Range(1, 65536));
  cmd->callback([opts, out, viewer, cacheMb, users, cert, key, sessionMinutes, idleMinutes] {
    opts->outDir = *out;
    opts->sessionSeconds = *sessionMinutes * 60;
    opts->idleSeconds = *idleMinutes * 60;
    opts->usersFile = *users;
    opts->tlsCert = *cert;
    opts->tlsKey = *key;
    const ViewerLocation located =
        findViewer(viewer->empty() ? std::nullopt : std::optional<fs::path>(*viewer));
    opts->viewerDir = located.dir;
    opts->tileCacheBytes = std::size_t(*cacheMb) << 20;
    // Block SIGINT/SIGTERM in every thread (the server's pool inherits this mask) and take them
    // in one thread with sigwait, which may then call stop() safely.
    // A shell starts background jobs with SIGINT ignored; an ignored signal is discarded even
    // when blocked, so restore the default before blocking.
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // The block cache only needs to hold the overview blocks of the tiles in view; a server runs
    // for hours, so keep its resident memory modest unless GDAL_CACHEMAX says otherwise.
    if (!CPLGetConfigOption("GDAL_CACHEMAX", nullptr)) GDALSetCacheMax64(GIntBig(128) << 20);
    ReviewServer server(*opts);
    server.bind();
    if (!server.usersEnabled()) {
      log::info(
          "no --users: single-user mode on loopback; every local process can read the run "
          "and its reviews count only with reviews.trust_local");
    }
    std::cout << "changewatch serve: viewer " << located.dir.string() << " (" << located.origin
              << ")" << std::endl;
    std::cout << "changewatch serve: " << server.url() << "  (Ctrl-C to stop)" << std::endl;
    std::thread waiter([&server, set] {
      int sig = 0;
      sigwait(&set, &sig);
      if (sig != 0) server.stop();
    });
    server.run();
    // run() returned: make sure the waiter wakes even if nobody sent a signal.
    ::kill(::getpid(), SIGTERM);
    waiter.join();
    std::cout << "changewatch serve: stopped" << std::endl;
  });
}

}  // namespace cw::cli
