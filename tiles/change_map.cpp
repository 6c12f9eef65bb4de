#include "tiles/change_map.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include <cpl_string.h>
#include <gdal_alg.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <opencv2/imgproc.hpp>

#include "imaging/coregistration.hpp"
#include "imaging/error.hpp"
#include "imaging/log.hpp"
#include "tiles/tile_executor.hpp"
#include "tiles/tile_splitter.hpp"
#include "tiles/tiled_geotiff.hpp"

namespace cw::tiles {
namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
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
// AFTER (bilinear) when non-zero. Deterministic per pixel: a shifted pixel depends only on its
// 2×2 source neighbourhood, which the enlarged read always contains unless it is off the grid.
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
    const int m = static_cast<int>(std::ceil(std::max(std::abs(m_shift.x), std::abs(m_shift.y)))) + 1;
    const cv::Rect src = cv::Rect(rect.x - m, rect.y - m, rect.width + 2 * m, rect.height + 2 * m) & grid;
    RasterWindow w = readWindow(m_handles.get(m_in.after.path), m_in.after, src);
    const cv::Matx23d M(1, 0, m_shift.x + rect.x - src.x, 0, 1, m_shift.y + rect.y - src.y);
    std::vector<cv::Mat> planes;
    cv::split(w.data, planes);
    for (auto& p : planes) {
      cv::Mat o;
      cv::warpAffine(p, o, M, rect.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                     cv::BORDER_CONSTANT, cv::Scalar(std::numeric_limits<double>::quiet_NaN()));
      p = o;
    }
    RasterWindow out;
    cv::merge(planes, out.data);
    cv::Mat vf, vw;
    w.valid.convertTo(vf, CV_32F, 1.0 / 255.0);
    cv::warpAffine(vf, vw, M, rect.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                   cv::BORDER_CONSTANT, cv::Scalar(0));
    out.valid = vw >= 0.999f;
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

PairShift estimatePairShift(const ChangeInputs& in, int threads) {
  constexpr int kWin = 256;
  constexpr int kMaxPerAxis = 5;
  constexpr double kMinResponse = 0.05;
  PairShift est;
  if (in.grid.width < kWin || in.grid.height < kWin) return est;
  std::vector<Tile> windows;
  const int nx = std::min(kMaxPerAxis, in.grid.width / kWin);
  const int ny = std::min(kMaxPerAxis, in.grid.height / kWin);
  for (int j = 0; j < ny; ++j) {
    for (int i = 0; i < nx; ++i) {
      Tile t;
      t.index = static_cast<int>(windows.size());
      const int x = nx == 1 ? (in.grid.width - kWin) / 2 : i * (in.grid.width - kWin) / (nx - 1);
      const int y = ny == 1 ? (in.grid.height - kWin) / 2 : j * (in.grid.height - kWin) / (ny - 1);
      t.core = t.padded = cv::Rect(x, y, kWin, kWin);
      windows.push_back(t);
    }
  }
  PairReader reader(in, {0, 0});
  auto results = mapTiles<imaging::ShiftEstimate>(windows, threads, [&](const Tile& t) {
    imaging::ChangeTile ct = reader.read(t.padded);
    if (cv::countNonZero(ct.valid) < 0.95 * kWin * kWin) return imaging::ShiftEstimate{};
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

cv::Mat mergeSamples(std::vector<FitPiece>& pieces) {
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
    // The method samples something other than the valid lattice pixels: keep tile order.
    int r = 0;
    for (const auto& p : pieces) {
      if (p.samples.empty()) continue;
      p.samples.copyTo(all.rowRange(r, r + p.samples.rows));
      r += p.samples.rows;
    }
    return all;
  }
  struct Ref { long long key; int piece; int row; };
  std::vector<Ref> refs;
  refs.reserve(static_cast<std::size_t>(rows));
  for (int i = 0; i < static_cast<int>(pieces.size()); ++i) {
    for (int r = 0; r < pieces[i].samples.rows; ++r) refs.push_back({pieces[i].keys[r], i, r});
  }
  std::sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) { return a.key < b.key; });
  for (std::size_t k = 0; k < refs.size(); ++k) {
    pieces[refs[k].piece].samples.row(refs[k].row).copyTo(all.row(static_cast<int>(k)));
  }
  return all;
}

struct TileOut {
  cv::Mat score;  // CV_32F core
  cv::Mat mask;   // CV_8UC2 core: (mask 0/1/255, change 0/1)
  long long valid = 0;
  long long changed = 0;
};

OGRSpatialReference wgs84() {
  OGRSpatialReference s;
  s.importFromEPSG(4326);
  s.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return s;
}

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
  OGRSpatialReference ll = wgs84();
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

}  // namespace

int radiusPx(const GridSpec& grid, double radiusM) {
  if (radiusM <= 0) return 0;
  const double pixelM = grid.pixelSizeX() * metresPerUnit(grid);
  return std::max(0, static_cast<int>(std::lround(radiusM / pixelM)));
}

ChangeMapResult runChangeMap(const ChangeInputs& in, imaging::ChangeMethod& method,
                             const ChangeMapOptions& opt, const fs::path& outDir) {
  const auto t0 = Clock::now();
  ChangeMapResult res;
  res.method = method.name();
  res.grid = in.grid;
  const GridSpec& grid = in.grid;
  if (grid.width < 1 || grid.height < 1) throw Error("empty grid");

  // Band counts and sizes, checked once up front with this thread's own handles.
  int bands = 0;
  cv::Size block;
  {
    GdalDataset b = openRaster(in.before.path);
    GdalDataset a = openRaster(in.after.path);
    const int nb = static_cast<int>(selectedBands(*b, in.before).size());
    const int na = static_cast<int>(selectedBands(*a, in.after).size());
    if (nb != na) {
      throw Error("band counts differ: before has " + std::to_string(nb) + ", after has " +
                  std::to_string(na));
    }
    for (const GdalDataset* d : {&b, &a}) {
      if ((*d)->GetRasterXSize() != grid.width || (*d)->GetRasterYSize() != grid.height) {
        throw Error((*d)->GetDescription() + std::string(": size differs from the grid ") +
                    grid.describe());
      }
    }
    bands = nb;
    int bx = 0, by = 0;
    b->GetRasterBand(1)->GetBlockSize(&bx, &by);
    block = {bx, by};
  }
  const int threads = resolveThreads(opt.threads);

  // 1. Co-registration.
  auto tc = Clock::now();
  if (opt.coregister) {
    const PairShift est = estimatePairShift(in, threads);
    res.shiftPx = est.shift;
    res.shiftConfidence = est.confidence;
    res.shiftWindows = est.windows;
    res.shiftApplied = est.windows >= 3 && est.confidence >= opt.minShiftConfidence &&
                       std::hypot(est.shift.x, est.shift.y) >= 0.05;
    log::info("co-registration: shift (" + std::to_string(est.shift.x) + ", " +
              std::to_string(est.shift.y) + ") px from " + std::to_string(est.windows) +
              " windows, confidence " + std::to_string(est.confidence) +
              (res.shiftApplied ? ", applied" : ", not applied"));
  }
  res.timingsS["coregister"] = secondsSince(tc);
  const cv::Point2d shift = res.shiftApplied ? res.shiftPx : cv::Point2d(0, 0);

  // Tiling.
  const int openR = radiusPx(grid, opt.openRadiusM);
  const int closeR = radiusPx(grid, opt.closeRadiusM);
  res.haloPx = std::max(0, method.haloPx()) + 2 * openR + 2 * closeR;
  TilePlanRequest req;
  req.width = grid.width;
  req.height = grid.height;
  req.haloPx = res.haloPx;
  req.bytesPerPixel = std::size_t(2 * bands + 2) * sizeof(float) + 4;
  req.threads = threads;
  req.budgetBytes = opt.memoryBudgetBytes;
  req.requestedTilePx = opt.tileSizePx;
  req.blockSize = block;
  const TilePlan plan = planTiles(req);
  const std::vector<Tile> tiles = splitGrid(grid.width, grid.height, plan.tileSizePx, res.haloPx);
  res.tileSizePx = plan.tileSizePx;
  res.tileCount = static_cast<int>(tiles.size());
  log::info("tiles: " + plan.describe() + " (halo " + std::to_string(res.haloPx) + " px)");

  // 2. Fit on the lattice.
  auto tf = Clock::now();
  const double px = double(grid.width) * grid.height;
  res.sampleStride = std::max(
      1, static_cast<int>(std::ceil(std::sqrt(px / double(std::max<std::size_t>(1, opt.maxSamplePixels))))));
  {
    PairReader reader(in, shift);
    auto pieces = mapTiles<FitPiece>(tiles, threads, [&](const Tile& t) {
      FitPiece p;
      imaging::ChangeTile ct = reader.read(t.padded);
      ct.stride = res.sampleStride;
      p.samples = method.sampleTile(ct, t.coreInPadded());
      if (!p.samples.empty()) {
        if (p.samples.type() != CV_32F) p.samples.convertTo(p.samples, CV_32F);
        p.keys = latticeKeys(ct, t.coreInPadded(), res.sampleStride, grid.width);
      }
      return p;
    });
    cv::Mat samples = mergeSamples(pieces);
    pieces.clear();
    res.samplePixels = samples.rows;
    if (samples.empty()) {
      throw Error("no pixel is valid in both images (nodata, clouds or outside the AOI)");
    }
    method.fit(samples);
  }
  res.threshold = method.threshold();
  res.solved = method.solved();
  res.timingsS["fit"] = secondsSince(tf);

  // 3. Apply: score and mask per tile, cores written in order.
  auto ta = Clock::now();
  fs::create_directories(outDir);
  const fs::path scoreTmp = tempPathBeside(outDir / "score.tif");
  const fs::path maskTmp = tempPathBeside(outDir / "mask.tif");
  struct Cleanup {
    std::vector<fs::path> paths;
    ~Cleanup() {
      std::error_code ec;
      for (const auto& p : paths) fs::remove(p, ec);
    }
  } cleanup{{scoreTmp, maskTmp}};
  const int blockPx = std::min(512, std::max(16, plan.tileSizePx));
  TiledGeoTiff scoreTif(scoreTmp, grid, 1, GDT_Float32,
                        std::numeric_limits<double>::quiet_NaN(), blockPx);
  TiledGeoTiff maskTif(maskTmp, grid, 2, GDT_Byte, std::nullopt, blockPx);
  maskTif.dataset().GetRasterBand(1)->SetNoDataValue(255);
  const double thr = res.threshold;
  const cv::Mat openK =
      openR > 0 ? cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * openR + 1, 2 * openR + 1})
                : cv::Mat();
  const cv::Mat closeK =
      closeR > 0 ? cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * closeR + 1, 2 * closeR + 1})
                 : cv::Mat();
  {
    PairReader reader(in, shift);
    streamTiles<TileOut>(
        tiles, threads, plan.tilesInFlight,
        [&](const Tile& t) {
          imaging::ChangeTile ct = reader.read(t.padded);
          ct.stride = res.sampleStride;
          cv::Mat score = method.score(ct);
          if (score.size() != ct.valid.size() || score.type() != CV_32F) {
            throw Error(method.name() + ": score() returned a wrong size or type");
          }
          cv::Mat change = (score > thr) & ct.valid;  // NaN > thr is false
          if (openR > 0) cv::morphologyEx(change, change, cv::MORPH_OPEN, openK);
          if (closeR > 0) cv::morphologyEx(change, change, cv::MORPH_CLOSE, closeK);
          const cv::Rect core = t.coreInPadded();
          TileOut o;
          o.score = score(core).clone();
          cv::Mat valid = ct.valid(core);
          cv::Mat chg = change(core) & valid;  // no-decision pixels never become change
          o.score.setTo(std::numeric_limits<float>::quiet_NaN(), valid == 0);
          cv::Mat m(core.size(), CV_8U, cv::Scalar(0));
          m.setTo(1, chg);
          m.setTo(255, valid == 0);
          cv::Mat c01;
          cv::threshold(chg, c01, 0, 1, cv::THRESH_BINARY);
          cv::merge(std::vector<cv::Mat>{m, c01}, o.mask);
          o.valid = cv::countNonZero(valid);
          o.changed = cv::countNonZero(chg);
          return o;
        },
        [&](const Tile& t, TileOut& o) {
          scoreTif.writeWindow(t.core, o.score);
          maskTif.writeWindow(t.core, o.mask);
          res.validPixels += o.valid;
          res.changedPixels += o.changed;
        });
  }
  scoreTif.close();
  res.timingsS["apply"] = secondsSince(ta);

  // 4. Polygons and minimum area, on the streamed mask.
  auto tp = Clock::now();
  maskTif.close();
  GdalDataset maskRw(GDALDataset::Open(maskTmp.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE));
  if (!maskRw) throw Error(maskTmp.string() + ": cannot reopen: " + lastGdalError());
  GdalDataset scoreRd = openRaster(scoreTmp.string());
  const double pixelArea = grid.pixelArea();
  {
    GDALDriver* memDrv = GetGDALDriverManager()->GetDriverByName("Memory");
    if (!memDrv) throw Error("GDAL has no Memory vector driver");
    GdalDataset vds(memDrv->Create("", 0, 0, 0, GDT_Unknown, nullptr));
    OGRSpatialReference gridSrs;
    if (grid.georeferenced()) {
      gridSrs.importFromWkt(grid.wkt.c_str());
      gridSrs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    }
    OGRLayer* layer = vds->CreateLayer("changes", grid.georeferenced() ? &gridSrs : nullptr,
                                       wkbPolygon, nullptr);
    OGRFieldDefn valueField("value", OFTInteger);
    layer->CreateField(&valueField);
    GDALRasterBand* band1 = maskRw->GetRasterBand(1);
    GDALRasterBand* band2 = maskRw->GetRasterBand(2);
    CPLErrorReset();
    if (GDALPolygonize(band1, band2, OGRLayer::ToHandle(layer), 0, nullptr, nullptr, nullptr) !=
        CE_None) {
      throw Error("polygonize failed: " + lastGdalError());
    }
    std::vector<OGRGeometryH> removed;
    std::vector<std::unique_ptr<OGRGeometry>> removedOwned;
    long long removedPx = 0;
    OGRSpatialReference ll = wgs84();
    std::unique_ptr<OGRCoordinateTransformation> toLl;
    if (grid.georeferenced()) toLl.reset(OGRCreateCoordinateTransformation(&gridSrs, &ll));
    GDALDriver* memRaster = GetGDALDriverManager()->GetDriverByName("MEM");
    layer->ResetReading();
    int nextId = 1;
    for (auto& f : *layer) {
      OGRGeometry* g = f->GetGeometryRef();
      if (!g) continue;
      const double areaGrid = g->toSurface() ? g->toSurface()->get_Area() : 0.0;
      const long long pixels = std::llround(areaGrid / pixelArea);
      const double areaM2 = areaM2Of(*g, grid, pixelArea);
      if (opt.minAreaM2 > 0 && areaM2 < opt.minAreaM2) {
        removedPx += pixels;
        removedOwned.emplace_back(g->clone());
        removed.push_back(OGRGeometry::ToHandle(removedOwned.back().get()));
        continue;
      }
      ChangePolygon poly;
      poly.id = nextId++;
      poly.areaM2 = areaM2;
      poly.pixelCount = pixels;
      OGREnvelope env;
      g->getEnvelope(&env);
      // Envelope to a pixel window (any rotation-free geotransform; y may point either way).
      const cv::Point2d p0 = grid.mapToPixel(env.MinX, env.MinY);
      const cv::Point2d p1 = grid.mapToPixel(env.MaxX, env.MaxY);
      cv::Rect bounds(cv::Point(static_cast<int>(std::floor(std::min(p0.x, p1.x) + 1e-6)),
                                static_cast<int>(std::floor(std::min(p0.y, p1.y) + 1e-6))),
                      cv::Point(static_cast<int>(std::ceil(std::max(p0.x, p1.x) - 1e-6)),
                                static_cast<int>(std::ceil(std::max(p0.y, p1.y) - 1e-6))));
      bounds &= cv::Rect(0, 0, grid.width, grid.height);
      poly.boundsPx = bounds;
      // Mean score over the polygon's pixels: burn it into a small window-sized raster.
      if (!bounds.empty()) {
        cv::Mat s(bounds.size(), CV_32F);
        if (scoreRd->GetRasterBand(1)->RasterIO(GF_Read, bounds.x, bounds.y, bounds.width,
                                                bounds.height, s.data, bounds.width,
                                                bounds.height, GDT_Float32, 0,
                                                static_cast<GSpacing>(s.step[0]),
                                                nullptr) != CE_None) {
          throw Error("cannot read back the score: " + lastGdalError());
        }
        GdalDataset win(memRaster->Create("", bounds.width, bounds.height, 1, GDT_Byte, nullptr));
        GridSpec wg = grid;
        const cv::Point2d o = grid.pixelToMap(bounds.x, bounds.y);
        wg.geoTransform[0] = o.x;
        wg.geoTransform[3] = o.y;
        double gt[6];
        for (int i = 0; i < 6; ++i) gt[i] = wg.geoTransform[i];
        win->SetGeoTransform(gt);
        int bandList[1] = {1};
        double burn[1] = {1.0};
        OGRGeometryH gh = OGRGeometry::ToHandle(g);
        GDALRasterizeGeometries(GDALDataset::ToHandle(win.get()), 1, bandList, 1, &gh, nullptr,
                                nullptr, burn, nullptr, nullptr, nullptr);
        cv::Mat inPoly(bounds.size(), CV_8U);
        if (win->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, bounds.width, bounds.height,
                                            inPoly.data, bounds.width, bounds.height, GDT_Byte,
                                            0, static_cast<GSpacing>(inPoly.step[0]),
                                            nullptr) != CE_None) {
          throw Error("cannot rasterize a change polygon: " + lastGdalError());
        }
        cv::Mat use = (inPoly != 0) & (s == s);
        poly.meanScore = cv::countNonZero(use) ? cv::mean(s, use)[0] : 0.0;
      }
      std::unique_ptr<OGRGeometry> out(g->clone());
      if (toLl) {
        out->assignSpatialReference(&gridSrs);
        if (out->transform(toLl.get()) != OGRERR_NONE) {
          throw Error("cannot reproject a change polygon to WGS84");
        }
      }
      char* json = out->exportToJson();
      poly.geometryJson = json ? json : "";
      CPLFree(json);
      res.polygons.push_back(std::move(poly));
    }
    if (!removed.empty()) {
      int bandList[2] = {1, 2};
      // GDAL reads one burn value per band and geometry (nBandCount x nGeomCount).
      std::vector<double> burn(2 * removed.size(), 0.0);
      if (GDALRasterizeGeometries(GDALDataset::ToHandle(maskRw.get()), 2, bandList,
                                  static_cast<int>(removed.size()), removed.data(), nullptr,
                                  nullptr, burn.data(), nullptr, nullptr, nullptr) != CE_None) {
        throw Error("cannot remove small changes from the mask: " + lastGdalError());
      }
      res.changedPixels -= removedPx;
    }
  }
  res.changedAreaM2 = double(res.changedPixels) * pixelArea *
                      std::pow(metresPerUnit(grid), 2.0);
  res.timingsS["polygons"] = secondsSince(tp);

  // 5. COGs and GeoJSON, each atomically.
  auto tw = Clock::now();
  res.scorePath = outDir / "score.tif";
  res.maskPath = outDir / "mask.tif";
  CogOptions sc;
  sc.compression = opt.compression;
  sc.level = opt.compressionLevel;
  sc.resampling = "AVERAGE";
  sc.threads = threads;
  writeCog(*scoreRd, res.scorePath, sc);
  scoreRd.reset();
  maskRw->FlushCache(true);
  CogOptions mc = sc;
  mc.resampling = "NEAREST";
  mc.band = 1;
  writeCog(*maskRw, res.maskPath, mc);
  maskRw.reset();
  if (opt.writeGeojson && grid.georeferenced()) {
    res.geojsonPath = outDir / "changes.geojson";
    const fs::path tmp = tempPathBeside(res.geojsonPath);
    cleanup.paths.push_back(tmp);
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GeoJSON");
    if (!drv) throw Error("GDAL has no GeoJSON driver");
    {
      GdalDataset ds(drv->Create(tmp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
      if (!ds) throw Error(res.geojsonPath.string() + ": cannot create: " + lastGdalError());
      OGRSpatialReference ll = wgs84();
      CPLStringList lco;
      lco.SetNameValue("RFC7946", "YES");
      lco.SetNameValue("WRITE_BBOX", "YES");
      OGRLayer* layer = ds->CreateLayer("changes", &ll, wkbPolygon, lco.List());
      if (!layer) throw Error(res.geojsonPath.string() + ": " + lastGdalError());
      for (auto [name, type] : {std::pair<const char*, OGRFieldType>{"id", OFTInteger},
                                {"area_m2", OFTReal},
                                {"pixel_count", OFTInteger64},
                                {"mean_score", OFTReal}}) {
        OGRFieldDefn fd(name, type);
        layer->CreateField(&fd);
      }
      for (const auto& p : res.polygons) {
        OGRFeature f(layer->GetLayerDefn());
        f.SetField("id", p.id);
        f.SetField("area_m2", p.areaM2);
        f.SetField("pixel_count", static_cast<GIntBig>(p.pixelCount));
        f.SetField("mean_score", p.meanScore);
        OGRGeometry* g = OGRGeometryFactory::createFromGeoJson(p.geometryJson.c_str());
        if (g) f.SetGeometryDirectly(g);
        if (layer->CreateFeature(&f) != OGRERR_NONE) {
          throw Error(res.geojsonPath.string() + ": cannot write a feature: " + lastGdalError());
        }
      }
    }
    renameInto(tmp, res.geojsonPath);
  }
  res.timingsS["cog"] = secondsSince(tw);
  res.timingsS["total"] = secondsSince(t0);
  std::string t;
  for (const auto& [k, v] : res.timingsS) t += " " + k + "=" + std::to_string(v);
  log::debug("change map timings (s):" + t);
  return res;
}

}  // namespace cw::tiles
