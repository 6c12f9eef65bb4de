// bench_warp: changewatch's warp + tiling path alone (issue 3's benchmark), to compare with
// gdalwarp on the same job.
//
//   bench_warp --te XMIN YMIN XMAX YMAX --ts W H --epsg EPSG --threads N SCENE...
//
// Each SCENE (bands 1-4) becomes a warped VRT on the grid (tiles::writeWarpedVrt, bilinear,
// alpha band: what `run` does), then every 512-px tile of the grid is read from every scene
// through per-thread handles (tiles::readWindow) in the engine's bounded pipeline
// (tiles::streamTiles), i.e. each output pixel is warped once. Prints "warp_s S tiles T".
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <cpl_conv.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include "tiles/raster_window.hpp"
#include "tiles/scene_warp.hpp"
#include "tiles/tile_executor.hpp"
#include "tiles/tile_splitter.hpp"

using namespace cw;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  GDALAllRegister();
  if (!CPLGetConfigOption("GDAL_CACHEMAX", nullptr)) GDALSetCacheMax64(GIntBig(64) << 20);
  double te[4] = {0, 0, 0, 0};
  int w = 0, h = 0, epsg = 0, threads = 2;
  std::vector<std::string> scenes;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--te" && i + 4 < argc) {
      for (double& v : te) v = std::atof(argv[++i]);
    } else if (a == "--ts" && i + 2 < argc) {
      w = std::atoi(argv[++i]);
      h = std::atoi(argv[++i]);
    } else if (a == "--epsg" && i + 1 < argc) {
      epsg = std::atoi(argv[++i]);
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else {
      scenes.push_back(a);
    }
  }
  if (w < 1 || h < 1 || epsg < 1 || scenes.empty()) {
    std::fprintf(stderr,
                 "usage: bench_warp --te XMIN YMIN XMAX YMAX --ts W H --epsg EPSG --threads N "
                 "SCENE...\n");
    return 2;
  }
  tiles::GridSpec grid;
  OGRSpatialReference srs;
  srs.importFromEPSG(epsg);
  char* wkt = nullptr;
  srs.exportToWkt(&wkt);
  grid.wkt = wkt;
  CPLFree(wkt);
  grid.width = w;
  grid.height = h;
  grid.geoTransform = {te[0], (te[2] - te[0]) / w, 0.0, te[3], 0.0, -(te[3] - te[1]) / h};

  const auto t0 = std::chrono::steady_clock::now();
  const fs::path tmp = fs::temp_directory_path() / ("cw_bench_warp_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  std::vector<tiles::RasterSource> sources;
  for (std::size_t i = 0; i < scenes.size(); ++i) {
    const fs::path vrt = tmp / ("scene" + std::to_string(i) + ".vrt");
    tiles::writeWarpedVrt({scenes[i], {1, 2, 3, 4}, std::nullopt, "bilinear", true}, grid, vrt);
    sources.push_back({vrt.string(), {1, 2, 3, 4}, std::nullopt});
  }
  const auto tileList = tiles::splitGrid(w, h, 512, 0);
  tiles::HandleCache handles;
  long long validPx = 0;
  tiles::streamTiles<long long>(
      tileList, threads, 2 * threads,
      [&](const tiles::Tile& t) {
        long long n = 0;
        for (const auto& s : sources) {
          const tiles::RasterWindow rw = tiles::readWindow(handles.get(s.path), s, t.padded);
          n += cv::countNonZero(rw.valid);
        }
        return n;
      },
      [&](const tiles::Tile&, long long& n) { validPx += n; });
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("warp_s %.3f tiles %zu valid_px %lld\n", s, tileList.size(), validPx);
  fs::remove_all(tmp);
  return 0;
}
