#include "tiles/change_map.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <future>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <queue>

#include <cpl_string.h>
#include <gdal_alg.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "core/log.hpp"
#include "imaging/coregistration.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/ogr_vector.hpp"
#include "tiles/tile_executor.hpp"
#include "tiles/tile_splitter.hpp"
#include "tiles/tiled_geotiff.hpp"

namespace cw::tiles {
namespace {

using Clock = std::chrono::steady_clock;

// The fit pass reads at most this many times maxSamplePixels pixels (see fitWindows).
constexpr double kFitReadSampleFactor = 4.0;
double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Process CPU seconds (all threads), for the debug log: on a shared machine the wall times of
// the steps are noisy, their CPU times much less so.
double cpuSeconds() {
  return double(std::clock()) / CLOCKS_PER_SEC;
}

// Approximate metres per map unit along x, for grids whose CRS is geographic.
double metresPerUnit(const GridSpec& grid) {
  if (!grid.georeferenced() || grid.metric()) return 1.0;
  OGRSpatialReference srs;
  srs.importFromWkt(grid.wkt.c_str());
  if (srs.IsGeographic()) {
    const double lat = grid.pixelToMap(grid.width / 2.0, grid.height / 2.0).y;
    return 111320.0 * std::cos(lat * CV_PI / 180.0);
  }
  return srs.GetLinearUnits();
}

// Reads a pair window: both dates, their validity and the extra masks; applies the shift to
// AFTER (bicubic) when non-zero. Deterministic per pixel: a shifted pixel depends only on its
// 4×4 source neighbourhood, which the enlarged read always contains unless it is off the grid.
class PairReader {
 public:
  PairReader(const ChangeInputs& in, cv::Point2d shift) : m_in(in), m_shift(shift) {}

  imaging::ChangeTile read(const cv::Rect& rect) {
    imaging::ChangeTile t;
    t.originPx = rect.tl();
    RasterWindow b = readWindow(m_handles.get(m_in.before.path), m_in.before, rect);
    RasterWindow a = readAfter(rect);
    t.before = b.data;
    t.after = a.data;
    t.valid = b.valid & a.valid;
    for (const auto& m : m_in.masks) {
      t.valid &= readMaskWindow(m_handles.get(m.path), m, rect);
    }
    return t;
  }

 private:
  RasterWindow readAfter(const cv::Rect& rect) {
    if (m_shift.x == 0.0 && m_shift.y == 0.0) {
      return readWindow(m_handles.get(m_in.after.path), m_in.after, rect);
    }
    const cv::Rect grid(0, 0, m_in.grid.width, m_in.grid.height);
    // Bicubic (4x4 footprint, hence + 2): bilinear resampling at a 0.4 px shift blurs AFTER
    // against BEFORE, and every edge then shows up as change (simulator, co-registered pair:
    // no-change edges were the largest scores after the real changes).
    const int m =
        static_cast<int>(std::ceil(std::max(std::abs(m_shift.x), std::abs(m_shift.y)))) + 2;
    const cv::Rect src =
        cv::Rect(rect.x - m, rect.y - m, rect.width + 2 * m, rect.height + 2 * m) & grid;
    RasterWindow w = readWindow(m_handles.get(m_in.after.path), m_in.after, src);
    const cv::Matx23d M(1, 0, m_shift.x + rect.x - src.x, 0, 1, m_shift.y + rect.y - src.y);
    std::vector<cv::Mat> planes;
    cv::split(w.data, planes);
    for (auto& p : planes) {
      cv::Mat o;
      cv::warpAffine(p, o, M, rect.size(), cv::INTER_CUBIC | cv::WARP_INVERSE_MAP,
                     cv::BORDER_CONSTANT, cv::Scalar(std::numeric_limits<double>::quiet_NaN()));
      p = o;
    }
    RasterWindow out;
    cv::merge(planes, out.data);
    cv::Mat vf, vw;
    w.valid.convertTo(vf, CV_32F, 1.0 / 255.0);
    cv::warpAffine(vf, vw, M, rect.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                   cv::BORDER_CONSTANT, cv::Scalar(0));
    out.valid = vw >= 0.999f;  // the 2x2 bilinear footprint is valid ...
    // ... and one more pixel around it, for the 4x4 bicubic footprint.
    cv::erode(out.valid, out.valid, cv::getStructuringElement(cv::MORPH_RECT, {3, 3}));
    for (const auto& p : planes) out.valid &= (p == p);  // NaN reached through the footprint
    return out;
  }

  const ChangeInputs& m_in;
  cv::Point2d m_shift;
  HandleCache m_handles;
};

cv::Mat bandMean(const cv::Mat& m) {
  cv::Mat flat = m.reshape(1, m.rows * m.cols);
  cv::Mat mean;
  cv::reduce(flat, mean, 1, cv::REDUCE_AVG, CV_32F);
  return mean.reshape(1, m.rows);
}

struct PairShift {
  cv::Point2d shift{0, 0};
  double confidence = 0.0;
  int windows = 0;
};

PairShift estimatePairShift(const ChangeInputs& in, int threads, cv::Size block) {
  constexpr int kWin = 256;
  constexpr int kMinWin = 64;
  constexpr int kMaxPerAxis = 5;
  constexpr double kMinResponse = 0.05;
  PairShift est;
  // Small grids (an AOI of a few hundred pixels): smaller, overlapping windows, so that the
  // >= 3-window agreement rule can still be met (before: a 300 px AOI had one 256-px window and
  // its shift was never applied).
  const int shortSide = std::min(in.grid.width, in.grid.height);
  int win = kWin;
  while (win > kMinWin && 2 * win > shortSide) win /= 2;
  if (shortSide < win) return est;
  auto perAxis = [&](int extent) {
    if (shortSide >= 2 * kWin) return std::min(kMaxPerAxis, extent / win);
    return std::clamp((extent - win) / (win / 2) + 1, 2, kMaxPerAxis);  // half-overlapping
  };
  std::vector<Tile> windows;
  const int nx = perAxis(in.grid.width);
  const int ny = perAxis(in.grid.height);
  for (int j = 0; j < ny; ++j) {
    for (int i = 0; i < nx; ++i) {
      Tile t;
      t.index = static_cast<int>(windows.size());
      int x = nx == 1 ? (in.grid.width - win) / 2 : i * (in.grid.width - win) / (nx - 1);
      int y = ny == 1 ? (in.grid.height - win) / 2 : j * (in.grid.height - win) / (ny - 1);
      // Inside one source block where the blocks allow it: a window across 4 blocks decodes all
      // four (measured at 8192²: the 25 windows read ~400 MB of 2-MB blocks, a third of the
      // read floor, before this snap).
      if (win == kWin && block.width >= kWin && block.height >= kWin && block.width % kWin == 0 &&
          block.height % kWin == 0) {
        x = x / kWin * kWin;
        y = y / kWin * kWin;
      }
      t.core = t.padded = cv::Rect(x, y, win, win);
      windows.push_back(t);
    }
  }
  PairReader reader(in, {0, 0});
  auto results = mapTiles<imaging::ShiftEstimate>(windows, threads, [&](const Tile& t) {
    imaging::ChangeTile ct = reader.read(t.padded);
    if (cv::countNonZero(ct.valid) < 0.95 * win * win) return imaging::ShiftEstimate{};
    return imaging::estimateShift(bandMean(ct.before), bandMean(ct.after), ct.valid);
  });
  std::vector<imaging::ShiftEstimate> usable;
  for (const auto& r : results) {
    if (r.response >= kMinResponse) usable.push_back(r);
  }
  est.windows = static_cast<int>(usable.size());
  if (usable.empty()) return est;
  const imaging::ShiftEstimate combined = imaging::combineShifts(usable, kMinResponse);
  est.shift = combined.shiftPx;
  int agree = 0;
  for (const auto& s : usable) {
    if (std::hypot(s.shiftPx.x - est.shift.x, s.shiftPx.y - est.shift.y) <= 0.5) ++agree;
  }
  est.confidence = double(agree) / double(usable.size());
  return est;
}

// Windows the fit pass reads. Every pixel is sampled on the global lattice, but on large grids
// only a staggered subset of grid-aligned blocks is read, so the fit does not decode the scene
// a second time (measured at 8192², DEFLATE: reading everything twice cost ~1.6 s of a ~4 s run).
// Blocks are `blockPx` squares on the grid (aligned to the source blocks); block (bx, by) is read
// when (bx + by * step) % every == 0, with `step` coprime to `every` near every × 0.618, so every
// block row and block column contributes and the pattern does not align with the grid's axes.
// `every` = 1 (read all) while the grid is at most fitReadPx pixels. The windows depend only on
// the grid, never on the tile plan or threads, so the fit stays identical for any tiling.
struct FitWindows {
  std::vector<Tile> windows;
  int every = 1;
  double pixels = 0;
};

FitWindows fitWindows(const GridSpec& grid, cv::Size block, int haloPx, double fitReadPx) {
  int b = 512;
  if (block.width >= 128 && block.width <= 2048 && block.height == block.width) b = block.width;
  const int nbx = (grid.width + b - 1) / b, nby = (grid.height + b - 1) / b;
  FitWindows fw;
  const double total = double(grid.width) * grid.height;
  fw.every = total <= fitReadPx ? 1 : static_cast<int>(std::ceil(total / fitReadPx));
  fw.every = std::min(fw.every, nbx * nby);
  int step = std::max(1, static_cast<int>(std::lround(fw.every * 0.618)));
  while (std::gcd(step, fw.every) != 1) ++step;
  const cv::Rect all(0, 0, grid.width, grid.height);
  for (int by = 0; by < nby; ++by) {
    for (int bx = 0; bx < nbx; ++bx) {
      if ((static_cast<long long>(bx) + static_cast<long long>(by) * step) % fw.every) continue;
      Tile t;
      t.index = static_cast<int>(fw.windows.size());
      t.core = cv::Rect(bx * b, by * b, b, b) & all;
      t.padded = cv::Rect(t.core.x - haloPx, t.core.y - haloPx, t.core.width + 2 * haloPx,
                          t.core.height + 2 * haloPx) &
                 all;
      fw.pixels += double(t.core.area());
      fw.windows.push_back(t);
    }
  }
  return fw;
}

struct FitPiece {
  cv::Mat samples;
  std::vector<long long> keys;  // global raster index of each sample row (when known)
};

// Keys of the valid lattice pixels in the core of a tile, row-major: what the contract says
// sampleTile() returns, so the rows can be put in raster order.
std::vector<long long> latticeKeys(const imaging::ChangeTile& t, const cv::Rect& core, int stride,
                                   int gridWidth) {
  std::vector<long long> keys;
  for (int y = core.y; y < core.y + core.height; ++y) {
    const int gy = t.originPx.y + y;
    if (gy % stride) continue;
    const uchar* v = t.valid.ptr<uchar>(y);
    for (int x = core.x; x < core.x + core.width; ++x) {
      const int gx = t.originPx.x + x;
      if (gx % stride || !v[x]) continue;
      keys.push_back(static_cast<long long>(gy) * gridWidth + gx);
    }
  }
  return keys;
}

// Puts the rows of pieces [first, last) in raster order into `out` (which has room for all of
// them). Each piece's keys increase (row-major lattice pixels of one window): a k-way merge,
// copying each piece's run of rows up to the next piece's key in one memcpy. (A sort of 2 M row
// references plus per-row cv::Mat copies cost ~0.4 s CPU at 8192².)
void mergeRuns(const std::vector<FitPiece>& pieces, std::size_t first, std::size_t last, float* out,
               std::size_t rowFloats) {
  using Head = std::pair<long long, std::size_t>;  // next key, piece
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heap;
  std::vector<int> next(last - first, 0);  // next row of piece first + k
  for (std::size_t i = first; i < last; ++i) {
    if (pieces[i].samples.rows > 0) heap.emplace(pieces[i].keys[0], i);
  }
  while (!heap.empty()) {
    const std::size_t i = heap.top().second;
    heap.pop();
    const FitPiece& p = pieces[i];
    const long long limit = heap.empty() ? std::numeric_limits<long long>::max() : heap.top().first;
    int r = next[i - first];
    const int from = r;
    while (r < p.samples.rows && p.keys[r] < limit) ++r;
    if (p.samples.isContinuous()) {
      std::memcpy(out, p.samples.ptr<float>(from), (r - from) * rowFloats * sizeof(float));
    } else {
      for (int k = from; k < r; ++k) {
        std::memcpy(out + (k - from) * rowFloats, p.samples.ptr<float>(k),
                    rowFloats * sizeof(float));
      }
    }
    out += (r - from) * rowFloats;
    next[i - first] = r;
    if (r < p.samples.rows) heap.emplace(p.keys[r], i);
  }
}

// The fit sample in raster order. Windows of different block rows never interleave, so each
// block row (a run of windows with the same core.y; fitWindows lists them row by row) is merged
// on its own, in parallel, into its fixed place in the output.
cv::Mat mergeSamples(const std::vector<FitPiece>& pieces, const std::vector<Tile>& windows,
                     int threads) {
  long long rows = 0;
  int cols = -1;
  bool keyed = true;
  for (const auto& p : pieces) {
    if (p.samples.empty()) continue;
    if (cols < 0) cols = p.samples.cols;
    if (p.samples.cols != cols) throw Error("sampleTile returned a varying number of features");
    if (static_cast<long long>(p.keys.size()) != p.samples.rows) keyed = false;
    rows += p.samples.rows;
  }
  if (rows == 0) return {};
  cv::Mat all(static_cast<int>(rows), cols, CV_32F);
  if (!keyed) {
    // The method samples something other than the valid lattice pixels: keep window order.
    int r = 0;
    for (const auto& p : pieces) {
      if (p.samples.empty()) continue;
      p.samples.copyTo(all.rowRange(r, r + p.samples.rows));
      r += p.samples.rows;
    }
    return all;
  }
  struct Group {
    std::size_t first, last;
    long long row;  // first output row
  };
  std::vector<Group> groups;
  long long at = 0;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (groups.empty() || windows[i].core.y != windows[groups.back().first].core.y) {
      groups.push_back({i, i, at});
    }
    groups.back().last = i + 1;
    at += pieces[i].samples.rows;
  }
  const std::size_t rowFloats = static_cast<std::size_t>(cols);
  tbb::task_arena(threads).execute([&] {
    tbb::parallel_for(std::size_t(0), groups.size(), [&](std::size_t g) {
      mergeRuns(pieces, groups[g].first, groups[g].last,
                all.ptr<float>(static_cast<int>(groups[g].row)), rowFloats);
    });
  });
  return all;
}

struct TileOut {
  cv::Mat score;  // CV_32F core, or CV_16U (scaled UInt16 encoding)
  cv::Mat mask;   // CV_8UC2 core: (mask 0/1/255, change 0/1)
  long long valid = 0;
  long long changed = 0;
};

// Area in m² of a polygon in the grid CRS.
double areaM2Of(const OGRGeometry& g, const GridSpec& grid, double pixelArea) {
  const double a = g.toSurface() ? g.toSurface()->get_Area() : 0.0;
  if (!grid.georeferenced() || grid.metric()) return a;
  // Geographic (or non-metre) grids: measure in the UTM zone of the polygon's centroid.
  OGRPoint c;
  g.Centroid(&c);
  OGRSpatialReference src;
  src.importFromWkt(grid.wkt.c_str());
  src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRSpatialReference ll = wgs84Srs();
  std::unique_ptr<OGRCoordinateTransformation> toLl(OGRCreateCoordinateTransformation(&src, &ll));
  double x = c.getX(), y = c.getY();
  (void)pixelArea;
  if (!toLl || !toLl->Transform(1, &x, &y)) return 0.0;
  OGRSpatialReference utm;
  utm.SetWellKnownGeogCS("WGS84");
  utm.SetUTM(static_cast<int>(std::floor((x + 180.0) / 6.0)) + 1, y >= 0);
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRGeometry> copy(g.clone());
  copy->assignSpatialReference(&src);
  if (copy->transformTo(&utm) != OGRERR_NONE) return 0.0;
  return copy->toSurface() ? copy->toSurface()->get_Area() : 0.0;
}

// Temp files removed when this goes out of scope (whether they were renamed away or not).
struct TempFiles {
  std::vector<fs::path> paths;
  ~TempFiles() {
    std::error_code ec;
    for (const auto& p : paths) fs::remove(p, ec);
  }
};

// The score COG, written on its own thread. Unless kept, it is waited for and removed when this
// goes out of scope: on any failure after it started, no partial set of outputs is left.
struct ScoreCog {
  std::future<void> done;
  fs::path path;  // empty until started
  bool keep = false;
  ~ScoreCog() {
    if (keep || path.empty()) return;
    if (done.valid()) done.wait();
    std::error_code ec;
    fs::remove(path, ec);
  }
};

// What the apply pass decides a tile's pixels with.
struct Decision {
  double threshold = 0.0;
  int openR = 0, closeR = 0;  // morphology radii (pixels), 0 = none
  cv::Mat openK, closeK;      // their elliptic kernels
  bool scoreU16 = false;      // score.tif encoding
  float invScale = 1.0f;      // 1 / scoreScale, for the UInt16 encoding
};

// Score, mask and counts of one tile's core (`core`, in the padded tile's coordinates) in one
// sweep: score (NaN / 65535 where no decision), mask (0 / 1 / 255, no-decision pixels never become
// change), the 0/1 change band for polygonize, counts. `change`: the decision after morphology,
// or empty to decide score > threshold here.
TileOut sweepCore(const cv::Mat& score, const cv::Mat& valid, const cv::Mat& change,
                  const cv::Rect& core, const Decision& d) {
  TileOut o;
  o.score.create(core.size(), d.scoreU16 ? CV_16U : CV_32F);
  o.mask.create(core.size(), CV_8UC2);
  long long nValid = 0, changed = 0;
  const float fthr = static_cast<float>(d.threshold);
  for (int y = 0; y < core.height; ++y) {
    const float* sc = score.ptr<float>(core.y + y) + core.x;
    const uchar* va = valid.ptr<uchar>(core.y + y) + core.x;
    const uchar* ch = change.empty() ? nullptr : change.ptr<uchar>(core.y + y) + core.x;
    uchar* mk = o.mask.ptr<uchar>(y);
    float* sf = d.scoreU16 ? nullptr : o.score.ptr<float>(y);
    uint16_t* su = d.scoreU16 ? o.score.ptr<uint16_t>(y) : nullptr;
    for (int x = 0; x < core.width; ++x) {
      const bool v = va[x] != 0;
      const float s = sc[x];
      // As cv::compare does: the threshold converted to the score's depth (float).
      const bool c = v && (ch ? ch[x] != 0 : s > fthr);
      mk[2 * x] = v ? uchar(c) : uchar(255);
      mk[2 * x + 1] = uchar(c);
      nValid += v;
      changed += c;
      if (sf) {
        sf[x] = v ? s : std::numeric_limits<float>::quiet_NaN();
      } else {
        const float q = s * d.invScale + 0.5f;
        su[x] = !v || !(s == s) ? uint16_t(65535)
                : q >= 65534.0f ? uint16_t(65534)
                : q <= 0.0f     ? uint16_t(0)
                                : static_cast<uint16_t>(q);
      }
    }
  }
  o.valid = nValid;
  o.changed = changed;
  return o;
}

// The pixel window (clipped to the grid) of a geometry's envelope in the grid CRS.
cv::Rect pixelBounds(const OGRGeometry& g, const GridSpec& grid) {
  OGREnvelope env;
  g.getEnvelope(&env);
  // Envelope to a pixel window (any rotation-free geotransform; y may point either way).
  const cv::Point2d p0 = grid.mapToPixel(env.MinX, env.MinY);
  const cv::Point2d p1 = grid.mapToPixel(env.MaxX, env.MaxY);
  cv::Rect bounds(cv::Point(static_cast<int>(std::floor(std::min(p0.x, p1.x) + 1e-6)),
                            static_cast<int>(std::floor(std::min(p0.y, p1.y) + 1e-6))),
                  cv::Point(static_cast<int>(std::ceil(std::max(p0.x, p1.x) - 1e-6)),
                            static_cast<int>(std::ceil(std::max(p0.y, p1.y) - 1e-6))));
  bounds &= cv::Rect(0, 0, grid.width, grid.height);
  return bounds;
}

// A geometry burnt into a window of the grid (bounds): CV_8U, non-zero inside it.
cv::Mat rasterizeInWindow(OGRGeometry& g, const cv::Rect& bounds, const GridSpec& grid,
                          GDALDriver& memRaster) {
  GdalDataset win(memRaster.Create("", bounds.width, bounds.height, 1, GDT_Byte, nullptr));
  GridSpec wg = grid;
  const cv::Point2d o = grid.pixelToMap(bounds.x, bounds.y);
  wg.geoTransform[0] = o.x;
  wg.geoTransform[3] = o.y;
  double gt[6];
  for (int i = 0; i < 6; ++i) gt[i] = wg.geoTransform[i];
  win->SetGeoTransform(gt);
  int bandList[1] = {1};
  double burn[1] = {1.0};
  OGRGeometryH gh = OGRGeometry::ToHandle(&g);
  GDALRasterizeGeometries(GDALDataset::ToHandle(win.get()), 1, bandList, 1, &gh, nullptr, nullptr,
                          burn, nullptr, nullptr, nullptr);
  cv::Mat inPoly(bounds.size(), CV_8U);
  if (win->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, bounds.width, bounds.height, inPoly.data,
                                      bounds.width, bounds.height, GDT_Byte, 0,
                                      static_cast<GSpacing>(inPoly.step[0]), nullptr) != CE_None) {
    throw Error("cannot rasterize a change polygon: " + lastGdalError());
  }
  return inPoly;
}

// A change polygon as a GeoJSON geometry: reprojected by toLl (grid CRS gridSrs to WGS84) when
// given, else in the grid's coordinates.
std::string geometryJson(const OGRGeometry& g, OGRSpatialReference& gridSrs,
                         OGRCoordinateTransformation* toLl) {
  std::unique_ptr<OGRGeometry> out(g.clone());
  if (toLl) {
    out->assignSpatialReference(&gridSrs);
    if (out->transform(toLl) != OGRERR_NONE) {
      throw Error("cannot reproject a change polygon to WGS84");
    }
  }
  char* json = out->exportToJson();
  std::string s = json ? json : "";
  CPLFree(json);
  return s;
}

// Change polygons below the minimum area, to burn out of the mask.
struct SmallChanges {
  std::vector<OGRGeometryH> handles;
  std::vector<std::unique_ptr<OGRGeometry>> owned;
  long long pixels = 0;
};

// One runChangeMap call: its inputs, the state its steps share, and what a step leaves for the
// next (temp rasters, the score COG's thread). The members that own files are declared in the
// order the steps create them, so on a failure the datasets close first, then the score COG is
// waited for and removed, then the temp rasters are closed and removed.
class ChangeMapRun {
 public:
  ChangeMapRun(const ChangeInputs& in, imaging::ChangeMethod& method, const ChangeMapOptions& opt,
               const fs::path& outDir)
      : m_in(in), m_method(method), m_opt(opt), m_outDir(outDir), m_grid(in.grid) {}

  // Runs the steps in order and returns the result.
  ChangeMapResult run() {
    m_res.method = m_method.name();
    m_res.grid = m_in.grid;
    checkInputs();
    m_threads = resolveThreads(m_opt.threads);
    coregister();
    planTiling();
    fit();
    apply();
    polygons();
    writeOutputs();
    return std::move(m_res);
  }

 private:
  // Records the process CPU seconds since the previous step under `name`.
  void cpuStep(const char* name) {
    const double now = cpuSeconds();
    m_cpuS[name] = now - m_cpuMark;
    m_cpuMark = now;
  }

  void checkInputs();
  void coregister();
  void planTiling();
  void fit();
  FitPiece samplePiece(PairReader& reader, const Tile& t) const;
  void apply();
  void createTempRasters();
  Decision decision() const;
  TileOut applyTile(PairReader& reader, const Tile& t, const Decision& d) const;
  void polygons();
  void startScoreCog();
  void openForPolygons();
  SmallChanges collectPolygons(OGRLayer& layer, OGRSpatialReference& gridSrs, double pixelArea);
  double meanScore(OGRGeometry& g, const cv::Rect& bounds, GDALDriver& memRaster) const;
  void burnOut(SmallChanges& removed);
  void writeOutputs();
  void writeGeojson();
  void logTimings() const;

  const ChangeInputs& m_in;
  imaging::ChangeMethod& m_method;
  const ChangeMapOptions& m_opt;
  const fs::path& m_outDir;
  const GridSpec& m_grid;
  const Clock::time_point m_t0 = Clock::now();
  std::map<std::string, double> m_cpuS;  // CPU seconds per step, for the debug log
  double m_cpuMark = cpuSeconds();
  ChangeMapResult m_res;
  int m_bands = 0;
  cv::Size m_block;  // the BEFORE raster's block size
  int m_threads = 1;
  cv::Point2d m_shift{0, 0};  // applied to AFTER
  int m_openR = 0, m_closeR = 0;
  TilePlan m_plan;
  std::vector<Tile> m_tiles;
  fs::path m_scoreTmp, m_maskTmp;
  TempFiles m_cleanup;
  bool m_scoreU16 = false;
  std::optional<TiledGeoTiff> m_scoreTif, m_maskTif;
  CogOptions m_scoreCogOptions;
  ScoreCog m_scoreCog;
  GdalDataset m_maskRw, m_scoreRd;
};

// Band counts and sizes, checked once up front with this thread's own handles; the band count
// and the BEFORE raster's block size.
void ChangeMapRun::checkInputs() {
  if (m_grid.width < 1 || m_grid.height < 1) throw Error("empty grid");
  GdalDataset b = openRaster(m_in.before.path);
  GdalDataset a = openRaster(m_in.after.path);
  const int nb = static_cast<int>(selectedBands(*b, m_in.before).size());
  const int na = static_cast<int>(selectedBands(*a, m_in.after).size());
  if (nb != na) {
    throw Error("band counts differ: before has " + std::to_string(nb) + ", after has " +
                std::to_string(na));
  }
  for (const GdalDataset* d : {&b, &a}) {
    if ((*d)->GetRasterXSize() != m_grid.width || (*d)->GetRasterYSize() != m_grid.height) {
      throw Error((*d)->GetDescription() + std::string(": size differs from the grid ") +
                  m_grid.describe());
    }
  }
  m_bands = nb;
  int bx = 0, by = 0;
  b->GetRasterBand(1)->GetBlockSize(&bx, &by);
  m_block = {bx, by};
}

// 1. Co-registration: estimates AFTER's shift and decides whether it is applied.
void ChangeMapRun::coregister() {
  auto tc = Clock::now();
  if (m_opt.coregister) {
    const PairShift est = estimatePairShift(m_in, m_threads, m_block);
    m_res.shiftPx = est.shift;
    m_res.shiftConfidence = est.confidence;
    m_res.shiftWindows = est.windows;
    m_res.shiftApplied = est.windows >= 3 && est.confidence >= m_opt.minShiftConfidence &&
                         std::hypot(est.shift.x, est.shift.y) >= 0.05;
    log::info("co-registration: shift (" + std::to_string(est.shift.x) + ", " +
              std::to_string(est.shift.y) + ") px from " + std::to_string(est.windows) +
              " windows, confidence " + std::to_string(est.confidence) +
              (m_res.shiftApplied ? ", applied" : ", not applied"));
  }
  cpuStep("coregister");
  m_res.timingsS["coregister"] = secondsSince(tc);
  m_shift = m_res.shiftApplied ? m_res.shiftPx : cv::Point2d(0, 0);
}

// Tiling: the halo (the method's plus the morphology's) and the tile plan.
void ChangeMapRun::planTiling() {
  m_openR = radiusPx(m_grid, m_opt.openRadiusM);
  m_closeR = radiusPx(m_grid, m_opt.closeRadiusM);
  m_res.haloPx = std::max(0, m_method.haloPx()) + 2 * m_openR + 2 * m_closeR;
  TilePlanRequest req;
  req.width = m_grid.width;
  req.height = m_grid.height;
  req.haloPx = m_res.haloPx;
  req.bytesPerPixel = std::size_t(2 * m_bands + 2) * sizeof(float) + 4;
  req.threads = m_threads;
  req.budgetBytes = m_opt.memoryBudgetBytes;
  req.requestedTilePx = m_opt.tileSizePx;
  req.blockSize = m_block;
  m_plan = planTiles(req);
  m_tiles = splitGrid(m_grid.width, m_grid.height, m_plan.tileSizePx, m_res.haloPx);
  m_res.tileSizePx = m_plan.tileSizePx;
  m_res.tileCount = static_cast<int>(m_tiles.size());
  log::info("tiles: " + m_plan.describe() + " (halo " + std::to_string(m_res.haloPx) + " px)");
}

// 2. Fit on the lattice, over the fit windows.
void ChangeMapRun::fit() {
  auto tf = Clock::now();
  const double maxSample = double(std::max<std::size_t>(1, m_opt.maxSamplePixels));
  const FitWindows fw = fitWindows(m_grid, m_block, m_res.haloPx, kFitReadSampleFactor * maxSample);
  m_res.sampleStride = std::max(1, static_cast<int>(std::ceil(std::sqrt(fw.pixels / maxSample))));
  m_res.fitBlockEvery = fw.every;
  {
    PairReader reader(m_in, m_shift);
    auto pieces = mapTiles<FitPiece>(fw.windows, m_threads,
                                     [&](const Tile& t) { return samplePiece(reader, t); });
    cpuStep("fit_sample");
    cv::Mat samples = mergeSamples(pieces, fw.windows, m_threads);
    pieces.clear();
    cpuStep("fit_merge");
    m_res.samplePixels = samples.rows;
    if (samples.empty()) {
      throw Error("no pixel is valid in both images (nodata, clouds or outside the AOI)");
    }
    // The methods' fits run their reductions in parallel (fixed chunks): in this call's arena.
    tbb::task_arena(m_threads).execute([&] { m_method.fit(samples); });
  }
  m_res.threshold = m_method.threshold();
  m_res.solved = m_method.solved();
  cpuStep("fit");
  m_res.timingsS["fit"] = secondsSince(tf);
}

// The method's lattice sample of one fit window, as CV_32F rows with their raster keys.
FitPiece ChangeMapRun::samplePiece(PairReader& reader, const Tile& t) const {
  FitPiece p;
  imaging::ChangeTile ct = reader.read(t.padded);
  ct.stride = m_res.sampleStride;
  p.samples = m_method.sampleTile(ct, t.coreInPadded());
  if (!p.samples.empty()) {
    if (p.samples.type() != CV_32F) p.samples.convertTo(p.samples, CV_32F);
    p.keys = latticeKeys(ct, t.coreInPadded(), m_res.sampleStride, m_grid.width);
  }
  return p;
}

// 3. Apply: score and mask per tile, cores written in order.
void ChangeMapRun::apply() {
  auto ta = Clock::now();
  fs::create_directories(m_outDir);
  m_scoreTmp = tempPathBeside(m_outDir / "score.tif");
  m_maskTmp = tempPathBeside(m_outDir / "mask.tif");
  m_cleanup.paths = {m_scoreTmp, m_maskTmp};
  createTempRasters();
  const Decision d = decision();
  {
    PairReader reader(m_in, m_shift);
    streamTiles<TileOut>(
        m_tiles, m_threads, m_plan.tilesInFlight,
        [&](const Tile& t) { return applyTile(reader, t, d); },
        [&](const Tile& t, TileOut& o) {
          m_scoreTif->writeWindow(t.core, o.score);
          m_maskTif->writeWindow(t.core, o.mask);
          m_res.validPixels += o.valid;
          m_res.changedPixels += o.changed;
        });
  }
  m_scoreTif->close();
  cpuStep("apply");
  m_res.timingsS["apply"] = secondsSince(ta);
}

// The temp tiled score and mask rasters the apply pass streams into (and the UInt16 scale).
void ChangeMapRun::createTempRasters() {
  const int blockPx = std::min(512, std::max(16, m_plan.tileSizePx));
  m_scoreU16 = m_opt.scoreEncoding == ChangeMapOptions::ScoreEncoding::UInt16;
  const double thr = m_res.threshold;
  if (m_scoreU16) {
    const double base = std::isfinite(thr) && thr > 0 ? thr : 1.0;
    m_res.scoreScale = base / kScoreUInt16AtThreshold;
    m_res.scoreOffset = 0.0;
  }
  m_scoreTif.emplace(m_scoreTmp, m_grid, 1, m_scoreU16 ? GDT_UInt16 : GDT_Float32,
                     m_scoreU16 ? 65535.0 : std::numeric_limits<double>::quiet_NaN(), blockPx);
  if (m_scoreU16) {
    m_scoreTif->dataset().GetRasterBand(1)->SetScale(m_res.scoreScale);
    m_scoreTif->dataset().GetRasterBand(1)->SetOffset(m_res.scoreOffset);
  }
  m_maskTif.emplace(m_maskTmp, m_grid, 2, GDT_Byte, std::nullopt, blockPx);
  m_maskTif->dataset().GetRasterBand(1)->SetNoDataValue(255);
}

// The apply pass's threshold, morphology kernels and score encoding.
Decision ChangeMapRun::decision() const {
  Decision d;
  d.threshold = m_res.threshold;
  d.openR = m_openR;
  d.closeR = m_closeR;
  if (m_openR > 0) {
    d.openK = cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * m_openR + 1, 2 * m_openR + 1});
  }
  if (m_closeR > 0) {
    d.closeK = cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * m_closeR + 1, 2 * m_closeR + 1});
  }
  d.scoreU16 = m_scoreU16;
  d.invScale = static_cast<float>(1.0 / m_res.scoreScale);
  return d;
}

// Score and mask of one tile's core.
TileOut ChangeMapRun::applyTile(PairReader& reader, const Tile& t, const Decision& d) const {
  imaging::ChangeTile ct = reader.read(t.padded);
  ct.stride = m_res.sampleStride;
  const cv::Mat score = m_method.score(ct);
  if (score.size() != ct.valid.size() || score.type() != CV_32F) {
    throw Error(m_method.name() + ": score() returned a wrong size or type");
  }
  const cv::Rect core = t.coreInPadded();
  // With morphology the decision needs the padded neighbourhood; without it, it is
  // taken in the one fused sweep (sweepCore).
  cv::Mat change;
  if (d.openR > 0 || d.closeR > 0) {
    change = (score > d.threshold) & ct.valid;  // NaN > thr is false
    if (d.openR > 0) cv::morphologyEx(change, change, cv::MORPH_OPEN, d.openK);
    if (d.closeR > 0) cv::morphologyEx(change, change, cv::MORPH_CLOSE, d.closeK);
  }
  return sweepCore(score, ct.valid, change, core, d);
}

// 4. Polygons and minimum area, on the streamed mask. The score COG does not depend on them,
// so it is written on its own thread meanwhile: GDALPolygonize is serial, and so is most of
// the COG driver's overview pass, so together they keep both cores busy.
void ChangeMapRun::polygons() {
  auto tp = Clock::now();
  m_maskTif->close();
  m_res.scorePath = m_outDir / "score.tif";
  m_res.maskPath = m_outDir / "mask.tif";
  startScoreCog();
  openForPolygons();
  const double pixelArea = m_grid.pixelArea();
  {
    OGRSpatialReference gridSrs;
    if (m_grid.georeferenced()) {
      gridSrs.importFromWkt(m_grid.wkt.c_str());
      gridSrs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    }
    // The change polygons: 4-connected, of band 1 where band 2 (the mask's validity) is set.
    const PolygonLayer traced =
        polygonizeMask(*m_maskRw->GetRasterBand(1), *m_maskRw->GetRasterBand(2),
                       m_grid.georeferenced() ? &gridSrs : nullptr, "polygonize failed");
    SmallChanges removed = collectPolygons(traced.layer(), gridSrs, pixelArea);
    burnOut(removed);
  }
  m_res.changedAreaM2 =
      double(m_res.changedPixels) * pixelArea * std::pow(metresPerUnit(m_grid), 2.0);
  cpuStep("polygons");
  m_res.timingsS["polygons"] = secondsSince(tp);
}

// Starts writing the score COG from the temp score raster on its own thread.
void ChangeMapRun::startScoreCog() {
  CogOptions& sc = m_scoreCogOptions;
  sc.compression = m_opt.compression;
  sc.level = m_opt.compressionLevel;
  sc.resampling = "AVERAGE";
  sc.threads = m_threads;
  m_scoreCog.done =
      std::async(std::launch::async, [scoreTmp = m_scoreTmp, scorePath = m_res.scorePath, sc] {
        GdalDataset src = openRaster(scoreTmp.string());
        writeCog(*src, scorePath, sc);
      });
  // On any failure below: wait for the score COG, then remove it (no partial set of outputs).
  m_scoreCog.path = m_res.scorePath;
}

// Reopens the temp mask for update (small changes are burnt out of it) and the temp score.
void ChangeMapRun::openForPolygons() {
  // NUM_THREADS=1: with GDAL_NUM_THREADS set (a common setting, and the benchmark's), GTiff
  // decodes the tiles under every scanline GDALPolygonize reads on worker threads; for this
  // uncompressed file that only adds overhead (8192² cva: polygons 0.6 -> 4.4 s).
  const char* const singleThreaded[] = {"NUM_THREADS=1", nullptr};
  m_maskRw.reset(GDALDataset::Open(m_maskTmp.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE, nullptr,
                                   singleThreaded));
  if (!m_maskRw) throw Error(m_maskTmp.string() + ": cannot reopen: " + lastGdalError());
  m_scoreRd = openRaster(m_scoreTmp.string());
}

// Adds the polygons of `layer` of at least the minimum area to the result (area, pixels, bounds,
// mean score, WGS84 geometry) and returns the smaller ones.
SmallChanges ChangeMapRun::collectPolygons(OGRLayer& layer, OGRSpatialReference& gridSrs,
                                           double pixelArea) {
  SmallChanges removed;
  OGRSpatialReference ll = wgs84Srs();
  std::unique_ptr<OGRCoordinateTransformation> toLl;
  if (m_grid.georeferenced()) toLl.reset(OGRCreateCoordinateTransformation(&gridSrs, &ll));
  GDALDriver* memRaster = GetGDALDriverManager()->GetDriverByName("MEM");
  layer.ResetReading();
  int nextId = 1;
  for (auto& f : layer) {
    OGRGeometry* g = f->GetGeometryRef();
    if (!g) continue;
    const double areaGrid = g->toSurface() ? g->toSurface()->get_Area() : 0.0;
    const long long pixels = std::llround(areaGrid / pixelArea);
    const double areaM2 = areaM2Of(*g, m_grid, pixelArea);
    if (m_opt.minAreaM2 > 0 && areaM2 < m_opt.minAreaM2) {
      removed.pixels += pixels;
      removed.owned.emplace_back(g->clone());
      removed.handles.push_back(OGRGeometry::ToHandle(removed.owned.back().get()));
      continue;
    }
    ChangePolygon poly;
    poly.id = nextId++;
    poly.areaM2 = areaM2;
    poly.pixelCount = pixels;
    poly.boundsPx = pixelBounds(*g, m_grid);
    if (!poly.boundsPx.empty()) poly.meanScore = meanScore(*g, poly.boundsPx, *memRaster);
    poly.geometryJson = geometryJson(*g, gridSrs, toLl.get());
    m_res.polygons.push_back(std::move(poly));
  }
  return removed;
}

// Mean score over the polygon's pixels (`bounds`: its pixel window): burnt into a small
// window-sized raster.
double ChangeMapRun::meanScore(OGRGeometry& g, const cv::Rect& bounds,
                               GDALDriver& memRaster) const {
  cv::Mat s(bounds.size(), CV_32F);
  if (m_scoreRd->GetRasterBand(1)->RasterIO(
          GF_Read, bounds.x, bounds.y, bounds.width, bounds.height, s.data, bounds.width,
          bounds.height, GDT_Float32, 0, static_cast<GSpacing>(s.step[0]), nullptr) != CE_None) {
    throw Error("cannot read back the score: " + lastGdalError());
  }
  const cv::Mat inPoly = rasterizeInWindow(g, bounds, m_grid, memRaster);
  cv::Mat use = (inPoly != 0) & (s == s);
  if (m_scoreU16) use &= (s != 65535.0f);
  double mean = cv::countNonZero(use) ? cv::mean(s, use)[0] : 0.0;
  if (m_scoreU16) mean = mean * m_res.scoreScale + m_res.scoreOffset;
  return mean;
}

// Burns the polygons below the minimum area out of the temp mask (both bands) and their pixels
// out of the changed count.
void ChangeMapRun::burnOut(SmallChanges& removed) {
  if (removed.handles.empty()) return;
  int bandList[2] = {1, 2};
  // GDAL reads one burn value per band and geometry (nBandCount x nGeomCount).
  std::vector<double> burn(2 * removed.handles.size(), 0.0);
  if (GDALRasterizeGeometries(GDALDataset::ToHandle(m_maskRw.get()), 2, bandList,
                              static_cast<int>(removed.handles.size()), removed.handles.data(),
                              nullptr, nullptr, burn.data(), nullptr, nullptr,
                              nullptr) != CE_None) {
    throw Error("cannot remove small changes from the mask: " + lastGdalError());
  }
  m_res.changedPixels -= removed.pixels;
}

// 5. COGs and GeoJSON, each atomically.
void ChangeMapRun::writeOutputs() {
  auto tw = Clock::now();
  m_scoreRd.reset();
  m_maskRw->FlushCache(true);
  CogOptions mc = m_scoreCogOptions;
  mc.resampling = "NEAREST";
  mc.band = 1;
  writeCog(*m_maskRw, m_res.maskPath, mc);
  m_maskRw.reset();
  m_scoreCog.done.get();  // rethrows the score COG's error
  if (m_opt.writeGeojson && m_grid.georeferenced()) writeGeojson();
  cpuStep("cog");
  m_scoreCog.keep = true;
  m_res.timingsS["cog"] = secondsSince(tw);
  m_res.timingsS["total"] = secondsSince(m_t0);
  logTimings();
}

// changes.geojson: the polygons in WGS84 (RFC 7946), atomically.
void ChangeMapRun::writeGeojson() {
  m_res.geojsonPath = m_outDir / "changes.geojson";
  const GeoJsonLayout layout{.layerName = "changes",
                             .geometryType = wkbPolygon,
                             .fields = {{"id", OFTInteger},
                                        {"area_m2", OFTReal},
                                        {"pixel_count", OFTInteger64},
                                        {"mean_score", OFTReal}},
                             .writeBbox = true};
  writeGeoJson(m_res.geojsonPath, layout, [&](GeoJsonLayer& out) {
    for (const auto& p : m_res.polygons) {
      OGRFeature f(out.definition());
      f.SetField("id", p.id);
      f.SetField("area_m2", p.areaM2);
      f.SetField("pixel_count", static_cast<GIntBig>(p.pixelCount));
      f.SetField("mean_score", p.meanScore);
      OGRGeometry* g = OGRGeometryFactory::createFromGeoJson(p.geometryJson.c_str());
      if (g) f.SetGeometryDirectly(g);
      out.add(f);
    }
  });
}

// The steps' wall and CPU times, to the debug log.
void ChangeMapRun::logTimings() const {
  std::string t;
  for (const auto& [k, v] : m_res.timingsS) t += " " + k + "=" + std::to_string(v);
  t += "; cpu:";
  for (const auto& [k, v] : m_cpuS) t += " " + k + "=" + std::to_string(v);
  log::debug("change map timings (s):" + t);
}

}  // namespace

int radiusPx(const GridSpec& grid, double radiusM) {
  if (radiusM <= 0) return 0;
  const double pixelM = grid.pixelSizeX() * metresPerUnit(grid);
  return std::max(0, static_cast<int>(std::lround(radiusM / pixelM)));
}

ChangeMapResult runChangeMap(const ChangeInputs& in, imaging::ChangeMethod& method,
                             const ChangeMapOptions& opt, const fs::path& outDir) {
  ChangeMapRun run(in, method, opt, outDir);
  return run.run();
}

}  // namespace cw::tiles
