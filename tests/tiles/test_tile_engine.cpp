// Tiling invariants of the engine: the splitter's cover, the executor's determinism, tiled equal
// to untiled for per-pixel and neighbourhood operations, and fits independent of the tiling.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.hpp"
#include "tests/tiles/tile_test_support.hpp"
#include "tiles/change_map.hpp"
#include "tiles/raster_window.hpp"
#include "tiles/scene_warp.hpp"
#include "tiles/tile_executor.hpp"
#include "tiles/tile_splitter.hpp"

using namespace cw;
namespace fs = std::filesystem;

TEST_CASE("core windows cover the grid exactly once, halos are cropped at the grid edge",
          "[unit]") {
  for (auto [w, h, tile, halo] : {std::tuple{1000, 700, 256, 5}, std::tuple{513, 511, 512, 0},
                                  std::tuple{64, 64, 64, 3}, std::tuple{97, 1, 10, 2}}) {
    const auto tiles = tiles::splitGrid(w, h, tile, halo);
    cv::Mat count = cv::Mat::zeros(h, w, CV_32S);
    const cv::Rect grid(0, 0, w, h);
    for (std::size_t i = 0; i < tiles.size(); ++i) {
      const auto& t = tiles[i];
      CHECK(t.index == static_cast<int>(i));
      count(t.core) += 1;
      CHECK((t.padded & t.core) == t.core);
      CHECK((t.padded & grid) == t.padded);
      const cv::Rect grown(t.core.x - halo, t.core.y - halo, t.core.width + 2 * halo,
                           t.core.height + 2 * halo);
      CHECK(t.padded == (grown & grid));
      CHECK(t.coreInPadded().tl() == t.core.tl() - t.padded.tl());
    }
    double mn, mx;
    cv::minMaxLoc(count, &mn, &mx);
    CHECK(mn == 1);
    CHECK(mx == 1);
  }
  // The first tile's halo is cropped on the left and top, kept on the right and bottom.
  const auto t = tiles::splitGrid(1000, 1000, 256, 8);
  CHECK(t[0].padded == cv::Rect(0, 0, 264, 264));
  CHECK(t[1].padded == cv::Rect(248, 0, 272, 264));
}

TEST_CASE("splitter rejects empty grids and bad sizes with a clear message", "[unit]") {
  CHECK_THROWS_WITH(tiles::splitGrid(0, 10, 64, 0), Catch::Contains("empty grid (0x10)"));
  CHECK_THROWS_WITH(tiles::splitGrid(10, 10, 0, 0), Catch::Contains("tile size must be"));
}

TEST_CASE("planner aligns to source blocks and shrinks tiles to fit the memory budget", "[unit]") {
  tiles::TilePlanRequest r;
  r.width = 8192;
  r.height = 8192;
  r.bytesPerPixel = 40;
  r.threads = 2;
  r.budgetBytes = std::size_t(1) << 30;
  r.blockSize = {256, 256};
  auto p = tiles::planTiles(r);
  CHECK(p.tileSizePx == 512);
  CHECK(p.tileCount == 256);
  CHECK(p.tilesInFlight == 4);
  CHECK(p.estimatedBytes <= r.budgetBytes);
  CHECK(p.describe() == "256 tiles of 512x512, 4 in flight, est. 40 MB of 1024 MB");
  r.budgetBytes = std::size_t(12) << 20;  // 12 MB: 512² × 40 B × 4 = 40 MB does not fit
  p = tiles::planTiles(r);
  CHECK(p.tileSizePx == 256);
  CHECK(p.estimatedBytes <= r.budgetBytes);
  CHECK(tiles::alignTileSize(500, {128, 128}) == 384);
  CHECK(tiles::alignTileSize(500, {290, 1}) == 500);  // strips: no alignment
}

TEST_CASE("streamTiles writes every tile once, in order, whatever the thread count", "[unit]") {
  const auto tiles = tiles::splitGrid(300, 200, 32, 0);
  for (int threads : {1, 2, 4}) {
    std::vector<int> order;
    std::atomic<int> inFlight{0}, maxInFlight{0};
    tiles::streamTiles<int>(
        tiles, threads, 3,
        [&](const tiles::Tile& t) {
          const int now = ++inFlight;
          int prev = maxInFlight.load();
          while (now > prev && !maxInFlight.compare_exchange_weak(prev, now)) {
          }
          --inFlight;
          return t.index * 7;
        },
        [&](const tiles::Tile& t, int& r) {
          CHECK(r == t.index * 7);
          order.push_back(t.index);
        });
    REQUIRE(order.size() == tiles.size());
    for (std::size_t i = 0; i < order.size(); ++i) CHECK(order[i] == static_cast<int>(i));
    CHECK(maxInFlight.load() <= 3);
  }
}

TEST_CASE("mapTiles stores results by tile index and rethrows a tile's error", "[unit]") {
  const auto tiles = tiles::splitGrid(100, 100, 10, 0);
  const auto r = tiles::mapTiles<int>(
      tiles, 2, [](const tiles::Tile& t) { return t.core.x + 1000 * t.core.y; });
  for (std::size_t i = 0; i < tiles.size(); ++i)
    CHECK(r[i] == tiles[i].core.x + 1000 * tiles[i].core.y);
  CHECK_THROWS_WITH(tiles::mapTiles<int>(tiles, 2,
                                         [](const tiles::Tile& t) -> int {
                                           if (t.index == 42) throw Error("tile 42 failed");
                                           return 0;
                                         }),
                    "tile 42 failed");
}

namespace {

struct Run {
  tiles::ChangeMapResult result;
  cv::Mat score, mask;
};

Run runOn(const fs::path& dir, const std::string& tag, int box, int tile, int threads,
          double openM = 0, double closeM = 0, double minAreaM2 = 0) {
  tiles::ChangeInputs in;
  in.grid = tiles::GridSpec::fromDataset(*tiles::openRaster((dir / "before.tif").string()));
  in.before.path = (dir / "before.tif").string();
  in.after.path = (dir / "after.tif").string();
  test::AbsDiffMethod m(box);
  tiles::ChangeMapOptions o;
  o.tileSizePx = tile;
  o.threads = threads;
  o.coregister = false;
  o.openRadiusM = openM;
  o.closeRadiusM = closeM;
  o.minAreaM2 = minAreaM2;
  o.maxSamplePixels = 20000;  // a real lattice (stride > 1)
  Run r;
  r.result = tiles::runChangeMap(in, m, o, dir / tag);
  r.score = test::readBand(dir / tag / "score.tif");
  r.mask = test::readBand(dir / tag / "mask.tif", 1, CV_8U);
  return r;
}

bool sameFloats(const cv::Mat& a, const cv::Mat& b) {
  // NaN-aware exact comparison.
  if (a.size() != b.size()) return false;
  for (int y = 0; y < a.rows; ++y) {
    for (int x = 0; x < a.cols; ++x) {
      const float u = a.at<float>(y, x), v = b.at<float>(y, x);
      if (!(u == v || (std::isnan(u) && std::isnan(v)))) return false;
    }
  }
  return true;
}

fs::path makeInputs(const std::string& name, int w, int h) {
  const fs::path dir = test::scratchDir(name);
  const auto pair = test::makePair(w, h, 2, 7);
  const auto grid = test::utmGrid(w, h);
  cv::Mat before = pair.before.clone();
  // A nodata corner in BEFORE: no decision there.
  before(cv::Rect(0, 0, 40, 30)).setTo(cv::Scalar::all(-9999));
  test::writeTif(dir / "before.tif", before, grid, -9999.0);
  test::writeTif(dir / "after.tif", pair.after, grid, -9999.0);
  return dir;
}

}  // namespace

TEST_CASE("a per-pixel method gives identical output for tiles 64/256/512 and 1/2 threads",
          "[integration]") {
  const fs::path dir = makeInputs("perpixel", 600, 450);
  const Run ref = runOn(dir, "t512x1", 0, 512, 1);
  CHECK(ref.result.sampleStride > 1);
  for (auto [tile, threads] : {std::pair{64, 1}, std::pair{64, 2}, std::pair{256, 2},
                               std::pair{512, 2}, std::pair{100, 2}}) {
    INFO("tile " << tile << " threads " << threads);
    const Run r =
        runOn(dir, "t" + std::to_string(tile) + "x" + std::to_string(threads), 0, tile, threads);
    CHECK(r.result.threshold == ref.result.threshold);  // bit-identical fit
    CHECK(r.result.samplePixels == ref.result.samplePixels);
    CHECK(sameFloats(r.score, ref.score));
    CHECK(cv::countNonZero(r.mask != ref.mask) == 0);
  }
  // The nodata corner is "no decision" and never change.
  CHECK(cv::countNonZero(ref.mask(cv::Rect(0, 0, 40, 30)) != 255) == 0);
  CHECK(std::isnan(ref.score.at<float>(0, 0)));
  fs::remove_all(dir);
}

TEST_CASE("a 5x5 neighbourhood method tiled equals untiled, with morphology and min area",
          "[integration]") {
  const fs::path dir = makeInputs("neighbourhood", 500, 380);
  // Untiled reference computed directly on the whole images.
  const cv::Mat b = test::readBand(dir / "before.tif"), a = test::readBand(dir / "after.tif");
  cv::Mat d = cv::abs(a - b);
  cv::blur(d, d, {5, 5}, {-1, -1}, cv::BORDER_REFLECT);
  const cv::Mat valid = b != -9999.f;
  d.setTo(std::numeric_limits<float>::quiet_NaN(), valid == 0);

  const Run whole = runOn(dir, "whole", 2, 512, 1, 20.0, 20.0, 2000.0);
  const Run tiled = runOn(dir, "tiled", 2, 64, 2, 20.0, 20.0, 2000.0);
  CHECK(whole.result.tileCount == 1);
  CHECK(tiled.result.tileCount == 48);
  CHECK(tiled.result.haloPx == 2 + 2 * 2 + 2 * 2);  // method 2 + open 2·2 px + close 2·2 px
  // The untiled score is computed from the raw rasters (the -9999 corner included, as the box
  // filter sees it); compare away from the nodata corner's influence.
  const cv::Rect away(0, 40, 500, 340);
  CHECK(sameFloats(whole.score(away), d(away)));
  CHECK(sameFloats(tiled.score, whole.score));
  CHECK(cv::countNonZero(tiled.mask != whole.mask) == 0);
  CHECK(tiled.result.polygons.size() == whole.result.polygons.size());
  CHECK(tiled.result.changedPixels == whole.result.changedPixels);
  fs::remove_all(dir);
}

TEST_CASE("raster windows: nodata, NaN and the per-thread handle cache", "[unit]") {
  const fs::path dir = test::scratchDir("window");
  cv::Mat img(20, 30, CV_32FC2, cv::Scalar(5, 6));
  img.at<cv::Vec2f>(3, 4) = {-1.f, 6.f};  // nodata in band 1
  img.at<cv::Vec2f>(5, 6) = {5.f, std::numeric_limits<float>::quiet_NaN()};
  img.at<cv::Vec2f>(7, 8) = {std::numeric_limits<float>::infinity(), 1.f};
  test::writeTif(dir / "a.tif", img, test::utmGrid(30, 20), -1.0, 16);
  tiles::HandleCache cache;
  tiles::RasterSource src{(dir / "a.tif").string(), {}, std::nullopt};
  const auto w = tiles::readWindow(cache.get(src.path), src, cv::Rect(2, 2, 10, 10));
  CHECK(w.data.channels() == 2);
  CHECK(w.valid.at<uchar>(1, 2) == 0);  // (3,4) in grid
  CHECK(w.valid.at<uchar>(3, 4) == 0);
  CHECK(w.valid.at<uchar>(5, 6) == 0);
  CHECK(cv::countNonZero(w.valid) == 100 - 3);
  CHECK(&cache.get(src.path) == &cache.get(src.path));
  src.bands = {3};
  CHECK_THROWS_WITH(tiles::readWindow(cache.get(src.path), src, cv::Rect(0, 0, 5, 5)),
                    Catch::Contains("band 3 out of range (1..2)"));
  tiles::MaskSource cloud{(dir / "a.tif").string(), 2, false};  // "cloud" where band 2 != 0
  const cv::Mat m = tiles::readMaskWindow(cache.get(cloud.path), cloud, cv::Rect(0, 0, 30, 20));
  CHECK(cv::countNonZero(m) == 0);
  fs::remove_all(dir);
}

// A 4-band scene warped onto a grid twice its width: the right half is outside the scene. GDAL
// does not report the alpha band of the 5-band warped VRT as a mask; readWindow must, and the
// GeoTIFF copy must carry it as its internal mask.
TEST_CASE("raster windows: a warped scene is invalid where it did not image, VRT or GeoTIFF",
          "[unit]") {
  const fs::path dir = test::scratchDir("alpha");
  cv::Mat img(20, 30, CV_16UC4, cv::Scalar(100, 200, 300, 400));
  test::writeTif(dir / "scene.tif", img, test::utmGrid(30, 20));
  const tiles::GridSpec grid = test::utmGrid(60, 20);
  const tiles::WarpRequest req{
      (dir / "scene.tif").string(), {1, 2, 3, 4}, std::nullopt, "near", true};
  tiles::writeWarpedVrt(req, grid, dir / "lazy.vrt");
  tiles::writeWarpedGeoTiff(req, grid, dir / "eager.tif", 2, 16);
  tiles::HandleCache cache;
  for (const char* name : {"lazy.vrt", "eager.tif"}) {
    INFO(name);
    const tiles::RasterSource src{(dir / name).string(), {1, 2, 3, 4}, std::nullopt};
    const auto w = tiles::readWindow(cache.get(src.path), src, cv::Rect(0, 0, 60, 20));
    CHECK(cv::countNonZero(w.valid(cv::Rect(0, 0, 30, 20))) == 600);
    CHECK(cv::countNonZero(w.valid(cv::Rect(30, 0, 30, 20))) == 0);
    CHECK(w.data.at<cv::Vec4f>(5, 5) == cv::Vec4f(100, 200, 300, 400));
  }
  tiles::GdalDataset eager(GDALDataset::Open((dir / "eager.tif").c_str(), GDAL_OF_RASTER));
  CHECK(eager->GetRasterCount() == 4);
  CHECK(eager->GetRasterBand(1)->GetMaskFlags() == GMF_PER_DATASET);
  fs::remove_all(dir);
}

TEST_CASE("dataset pool: a handle is leased to one user at a time and idle ones are bounded",
          "[unit]") {
  const fs::path dir = test::scratchDir("pool");
  test::writeTif(dir / "a.tif", cv::Mat(8, 8, CV_8UC1, cv::Scalar(1)), test::utmGrid(8, 8));
  test::writeTif(dir / "b.tif", cv::Mat(8, 8, CV_8UC1, cv::Scalar(2)), test::utmGrid(8, 8));
  const std::string a = (dir / "a.tif").string(), b = (dir / "b.tif").string();
  tiles::DatasetPool pool(1);
  {
    auto l1 = pool.lease(a);
    auto l2 = pool.lease(a);
    CHECK(l1.get() != l2.get());  // both in use: two handles
  }                               // both returned; only one stays open
  CHECK(pool.idleCount() == 1);
  {
    auto l3 = pool.lease(a);  // reuses the idle handle
    CHECK(pool.idleCount() == 0);
    auto l4 = pool.lease(b);
    CHECK(l4.get() != l3.get());
    CHECK(std::string((*l4).GetDescription()) == b);
  }
  CHECK(pool.idleCount() == 1);
  CHECK_THROWS_WITH(pool.lease((dir / "missing.tif").string()), Catch::Contains("no such file"));

  // Many threads at once: no handle is ever held by two of them.
  tiles::DatasetPool shared(2);
  std::atomic<int> clashes{0};
  std::mutex m;
  std::set<GDALDataset*> inUse;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto l = shared.lease(i % 2 ? a : b);
        {
          std::lock_guard lock(m);
          if (!inUse.insert(l.get()).second) ++clashes;
        }
        std::lock_guard lock(m);
        inUse.erase(l.get());
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(clashes == 0);
  CHECK(shared.idleCount() <= 2);
  fs::remove_all(dir);
}
