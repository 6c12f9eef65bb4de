// changewatch change BEFORE AFTER --out DIR [--method M [--set name=value ...]]: one pair,
// directly.
//
// Input handling:
//   - same grid: used as is; both georeferenced but different grids: AFTER is warped onto
//     BEFORE's grid (GDALWarp to a VRT, bilinear, alpha band so that pixels outside AFTER are no
//     decision); a pair without georeferencing (PNG/BMP benchmarks) runs on the pixel grid when
//     the sizes match, with a warning, and then no changes.geojson is written (RFC 7946 needs
//     lon/lat; the polygons' pixel coordinates are still counted in the summary).
//   - a grey image stored as RGB (three identical Byte bands) is read as one band; a constant
//     alpha band is dropped; a band described "cloud" is a no-decision mask (non-zero = cloud).
//   - --method auto: logratio for single-band inputs (SAR amplitude: ratio statistics fit
//     multiplicative speckle, and CVA is the wrong tool there: kappa 0.53/0.06 on Ottawa/Bern in
//     measured-baselines.md); irmad for multispectral inputs (resolveChangeMethod in config.hpp,
//     shared with `change.method: auto` in a config, holds the measurement behind the choice).
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include <cpl_string.h>
#include <gdal_alg.h>
#include <gdal_utils.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/name_suggestion.hpp"
#include "imaging/option_docs.hpp"
#include "imaging/registry.hpp"
#include "pipeline/config.hpp"
#include "tiles/band_roles.hpp"
#include "tiles/change_map.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/grid_spec.hpp"
#include "tiles/tiled_geotiff.hpp"

namespace cw::cli {
// The CLI is the one place that composes the libraries.
using namespace cw::pipeline;
namespace {

namespace fs = std::filesystem;

struct ChangeArgs {
  std::string before, after, out, method = "auto";
  int threads = 0;
  int tilePx = 0;
  double openM = 0.0, closeM = 0.0, minAreaM2 = 0.0;
  bool noCoregister = false;
  std::string scoreEncoding = "uint16";
  std::vector<std::string> settings;  // --set name=value, options of the named --method
};

// The cloud band (tiles::readBandLayout: described "cloud", SCL or QA_PIXEL) is a mask (non-zero =
// cloud), not a spectral band: the simulator's optical scenes and many analysis-ready products
// carry one. Returns 0 if none.
int cloudBandOf(GDALDataset& ds) {
  return tiles::readBandLayout(ds).cloudBand;
}

// Bands worth reading: drops a cloud band (used as a mask instead) and a constant alpha band,
// and reduces three identical Byte bands (grey stored as RGB) to the first.
std::vector<int> usefulBands(GDALDataset& ds, const std::string& path) {
  std::vector<int> bands;
  const int cloud = cloudBandOf(ds);
  for (int b = 1; b <= ds.GetRasterCount(); ++b) {
    GDALRasterBand* band = ds.GetRasterBand(b);
    if (b == cloud) {
      log::info(path + ": band " + std::to_string(b) + " is a cloud mask");
      continue;
    }
    if (band->GetColorInterpretation() == GCI_AlphaBand) {
      double mm[2];
      if (band->ComputeRasterMinMax(FALSE, mm) == CE_None && mm[0] == mm[1]) {
        log::info(path + ": dropping constant alpha band " + std::to_string(b));
        continue;
      }
    }
    bands.push_back(b);
  }
  if (bands.size() == 3) {
    bool byteBands = true;
    for (int b : bands) byteBands &= ds.GetRasterBand(b)->GetRasterDataType() == GDT_Byte;
    if (byteBands) {
      const int w = ds.GetRasterXSize(), h = ds.GetRasterYSize();
      const int c0 =
          GDALChecksumImage(GDALRasterBand::ToHandle(ds.GetRasterBand(bands[0])), 0, 0, w, h);
      bool same = true;
      std::vector<uint8_t> r0(static_cast<std::size_t>(w)), r1(r0.size());
      // Checksums first (cheap to compare), then row by row to be exact.
      for (std::size_t i = 1; i < 3 && same; ++i) {
        same = GDALChecksumImage(GDALRasterBand::ToHandle(ds.GetRasterBand(bands[i])), 0, 0, w,
                                 h) == c0;
      }
      for (int y = 0; y < h && same; ++y) {
        if (ds.GetRasterBand(bands[0])->RasterIO(GF_Read, 0, y, w, 1, r0.data(), w, 1, GDT_Byte, 0,
                                                 0, nullptr) != CE_None) {
          break;
        }
        for (std::size_t i = 1; i < 3 && same; ++i) {
          if (ds.GetRasterBand(bands[i])->RasterIO(GF_Read, 0, y, w, 1, r1.data(), w, 1, GDT_Byte,
                                                   0, 0, nullptr) != CE_None ||
              r0 != r1) {
            same = false;
          }
        }
      }
      if (same) {
        log::info(path + ": three identical bands (grey stored as RGB), reading one");
        bands.resize(1);
      }
    }
  }
  return bands;
}

OGRPolygon extentPolygon(const tiles::GridSpec& g) {
  OGRLinearRing ring;
  const int steps = 16;  // densified so that reprojected edges stay close to the true footprint
  auto add = [&](double c, double r) {
    const cv::Point2d p = g.pixelToMap(c, r);
    ring.addPoint(p.x, p.y);
  };
  for (int i = 0; i < steps; ++i) add(g.width * double(i) / steps, 0);
  for (int i = 0; i < steps; ++i) add(g.width, g.height * double(i) / steps);
  for (int i = 0; i < steps; ++i) add(g.width * (1.0 - double(i) / steps), g.height);
  for (int i = 0; i < steps; ++i) add(0, g.height * (1.0 - double(i) / steps));
  ring.closeRings();
  OGRPolygon poly;
  poly.addRing(&ring);
  return poly;
}

// Warps AFTER onto BEFORE's grid as a VRT file at `vrtPath`. Throws when they do not overlap.
void warpOnto(const std::string& afterPath, GDALDataset& after, const tiles::GridSpec& target,
              const fs::path& vrtPath) {
  const tiles::GridSpec src = tiles::GridSpec::fromDataset(after);
  OGRSpatialReference srcSrs, dstSrs;
  srcSrs.importFromWkt(src.wkt.c_str());
  dstSrs.importFromWkt(target.wkt.c_str());
  srcSrs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  dstSrs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRPolygon footprint = extentPolygon(src);
  footprint.assignSpatialReference(&srcSrs);
  OGRPolygon targetExtent = extentPolygon(target);
  if (footprint.transformTo(&dstSrs) != OGRERR_NONE || !footprint.Intersects(&targetExtent)) {
    throw Error("the images do not overlap: " + afterPath + " lies outside the grid of BEFORE (" +
                target.describe() + ")");
  }
  const cv::Point2d ul = target.pixelToMap(0, 0);
  const cv::Point2d lr = target.pixelToMap(target.width, target.height);
  CPLStringList args;
  for (const std::string& a :
       {std::string("-of"), std::string("VRT"), std::string("-t_srs"), target.wkt,
        std::string("-te"), std::to_string(std::min(ul.x, lr.x)),
        std::to_string(std::min(ul.y, lr.y)), std::to_string(std::max(ul.x, lr.x)),
        std::to_string(std::max(ul.y, lr.y)), std::string("-ts"), std::to_string(target.width),
        std::to_string(target.height), std::string("-r"), std::string("bilinear"),
        std::string("-dstalpha")}) {
    args.AddString(a.c_str());
  }
  GDALWarpAppOptions* opts = GDALWarpAppOptionsNew(args.List(), nullptr);
  GDALDatasetH srcH = GDALDataset::ToHandle(&after);
  int usageError = 0;
  CPLErrorReset();
  GDALDatasetH out = GDALWarp(vrtPath.c_str(), nullptr, 1, &srcH, opts, &usageError);
  GDALWarpAppOptionsFree(opts);
  if (!out) throw Error(afterPath + ": cannot warp onto BEFORE's grid: " + tiles::lastGdalError());
  GDALClose(out);
}

// Throws a usage error naming the known methods when --method is neither auto nor built in, and
// when --set is given with auto: which method's options they are depends on the bands, as a
// config's change.options need a named method.
void checkMethodName(const imaging::Registry& registry, const ChangeArgs& a) {
  if (a.method != "auto" && !registry.method(a.method)) {
    auto names = registry.methodNames();
    names.insert(names.begin(), "auto");
    throw UsageError("--method: " + unknownNameMessage("change method", a.method, names));
  }
  if (a.method == "auto" && !a.settings.empty()) {
    throw UsageError("--set needs a named --method (" + joinNames(registry.methodNames()) +
                     "), not auto: each method has its own options");
  }
}

// Puts AFTER on BEFORE's grid in `in`: as it is on the same grid, through a VRT warped onto
// BEFORE's grid at `warpedVrt` when both are georeferenced, or on the pixel grid otherwise.
void alignOntoBefore(const ChangeArgs& a, GDALDataset& after, const tiles::GridSpec& gb,
                     const tiles::GridSpec& ga, const fs::path& outDir, fs::path& warpedVrt,
                     tiles::ChangeInputs& in) {
  if (!gb.georeferenced() || !ga.georeferenced()) {
    if (gb.width != ga.width || gb.height != ga.height) {
      throw Error("the images differ in size (" + std::to_string(gb.width) + "x" +
                  std::to_string(gb.height) + " vs " + std::to_string(ga.width) + "x" +
                  std::to_string(ga.height) + ") and are not both georeferenced, so they " +
                  "cannot be aligned");
    }
    log::warn(
        "the images are not georeferenced: running on the pixel grid; no geotags are "
        "written and changes.geojson is skipped");
    in.grid = tiles::GridSpec{};
    in.grid.width = gb.width;
    in.grid.height = gb.height;
  } else if (!gb.sameGrid(ga)) {
    warpedVrt = cw::tempPathBeside(outDir / "after_warped.vrt");
    warpOnto(a.after, after, gb, warpedVrt);
    log::info("AFTER warped onto BEFORE's grid (" + gb.describe() + ", bilinear)");
    in.after.path = fs::absolute(warpedVrt).string();
  }
}

// Opens BEFORE and AFTER, picks their bands and cloud masks, creates the output folder and
// aligns AFTER with BEFORE's grid (a warped VRT at `warpedVrt` when the grids differ).
tiles::ChangeInputs prepareInputs(const ChangeArgs& a, const fs::path& outDir,
                                  fs::path& warpedVrt) {
  tiles::GdalDataset before = tiles::openRaster(a.before);
  tiles::GdalDataset after = tiles::openRaster(a.after);
  tiles::ChangeInputs in;
  in.before.path = fs::absolute(a.before).string();
  in.after.path = fs::absolute(a.after).string();
  in.before.bands = usefulBands(*before, a.before);
  in.after.bands = usefulBands(*after, a.after);
  if (in.before.bands.size() != in.after.bands.size()) {
    throw Error("band counts differ: " + a.before + " has " +
                std::to_string(in.before.bands.size()) + " band(s), " + a.after + " has " +
                std::to_string(in.after.bands.size()));
  }
  const tiles::GridSpec gb = tiles::GridSpec::fromDataset(*before);
  const tiles::GridSpec ga = tiles::GridSpec::fromDataset(*after);
  in.grid = gb;
  const int beforeCloud = cloudBandOf(*before), afterCloud = cloudBandOf(*after);

  fs::create_directories(outDir);
  alignOntoBefore(a, *after, gb, ga, outDir, warpedVrt, in);
  before.reset();
  after.reset();
  // Cloud bands are no-decision masks. AFTER's is read through the warped VRT when there is one
  // (same band number; bilinear there, so a partly clouded pixel is non-zero and still masked).
  if (beforeCloud > 0) in.masks.push_back({in.before.path, beforeCloud, false});
  if (afterCloud > 0) in.masks.push_back({in.after.path, afterCloud, false});
  return in;
}

// The change map options given on the command line.
tiles::ChangeMapOptions changeMapOptions(const ChangeArgs& a) {
  tiles::ChangeMapOptions opt;
  opt.threads = a.threads;
  opt.tileSizePx = a.tilePx;
  opt.coregister = !a.noCoregister;
  opt.openRadiusM = a.openM;
  opt.closeRadiusM = a.closeM;
  opt.minAreaM2 = a.minAreaM2;
  // Scaled UInt16 by default: at 8192² it writes in ~1/3 less CPU and a third of the bytes of a
  // Float32 score (bench/RESULTS.md), within threshold/4000 of the score.
  opt.scoreEncoding = a.scoreEncoding == "float32" ? tiles::ChangeMapOptions::ScoreEncoding::Float32
                                                   : tiles::ChangeMapOptions::ScoreEncoding::UInt16;
  return opt;
}

// Prints the summary of a change run (method, fit, shift, changed area, outputs) on stdout.
void printChangeSummary(const tiles::ChangeMapResult& r, std::size_t bandCount) {
  const bool geo = r.grid.georeferenced();
  const double validFrac = double(r.validPixels) / (double(r.grid.width) * r.grid.height);
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(4);
  s << "method      " << r.method << " (" << bandCount << " band" << (bandCount == 1 ? "" : "s")
    << ", " << r.grid.describe() << ")\n";
  s << "threshold   " << r.threshold << "\n";
  s.precision(2);
  s << "fit         " << r.samplePixels << " sample px (lattice stride " << r.sampleStride
    << " px, "
    << (r.fitBlockEvery == 1 ? std::string("all blocks")
                             : "1 block in " + std::to_string(r.fitBlockEvery))
    << ")";
  if (const auto it = r.solved.find("iterations"); it != r.solved.end() && !it->second.empty()) {
    const auto conv = r.solved.find("converged");
    s << ", IR-MAD " << static_cast<int>(it->second[0]) << " iterations, "
      << (conv != r.solved.end() && !conv->second.empty() && conv->second[0] > 0 ? "converged"
                                                                                 : "not converged");
  }
  s << "\n";
  s << "shift       (" << r.shiftPx.x << ", " << r.shiftPx.y << ") px, "
    << (r.shiftApplied ? "applied" : "not applied") << " (confidence " << r.shiftConfidence << ", "
    << r.shiftWindows << " windows)\n";
  s << "valid       " << r.validPixels << " px (" << 100.0 * validFrac << " %)\n";
  s << "changed     " << r.changedPixels << " px";
  if (geo) s << ", " << r.changedAreaM2 << " m2";
  s << " in " << r.polygons.size() << " polygon" << (r.polygons.size() == 1 ? "" : "s") << "\n";
  s << "tiles       " << r.tileCount << " of " << r.tileSizePx << " px, halo " << r.haloPx
    << " px, " << r.timingsS.at("total") << " s\n";
  s << "outputs     " << r.scorePath.string() << "\n            " << r.maskPath.string() << "\n";
  if (!r.geojsonPath.empty())
    s << "            " << r.geojsonPath.string() << "\n";
  else
    s << "            (no changes.geojson: pixel grid without georeferencing)\n";
  std::cout << s.str();
}

// `changewatch change`: aligns the pair, runs the change method over it and prints a summary.
void runChange(const ChangeArgs& a) {
  const auto& registry = imaging::Registry::builtins();
  checkMethodName(registry, a);
  // Checked before any input is opened, so a typo fails at once.
  if (a.method != "auto") {
    const auto* named = registry.method(a.method);
    imaging::paramsFromSettings(named->name, named->options, a.settings);
  }
  const fs::path outDir(a.out);
  fs::path warpedVrt;
  struct RemoveOnExit {
    fs::path* p;
    ~RemoveOnExit() {
      std::error_code ec;
      if (!p->empty()) fs::remove(*p, ec);
    }
  } removeVrt{&warpedVrt};
  const tiles::ChangeInputs in = prepareInputs(a, outDir, warpedVrt);

  const std::string method = resolveChangeMethod(a.method, in.before.bands.size());
  const auto* entry = registry.method(method);
  if (!entry) throw Error("change method '" + method + "' is not built in");
  std::unique_ptr<imaging::ChangeMethod> m = registry.createMethod(
      method, imaging::paramsFromSettings(entry->name, entry->options, a.settings));

  const tiles::ChangeMapResult r = tiles::runChangeMap(in, *m, changeMapOptions(a), outDir);
  printChangeSummary(r, in.before.bands.size());
}

}  // namespace

void addChangeCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "change", "Detect change between two images (score.tif, mask.tif, changes.geojson)");
  auto a = std::make_shared<ChangeArgs>();
  cmd->add_option("BEFORE", a->before, "Earlier image (any GDAL raster)")->required();
  cmd->add_option("AFTER", a->after, "Later image; warped onto BEFORE's grid if it differs")
      ->required();
  cmd->add_option("--out", a->out, "Output folder")->required();
  const auto& registry = imaging::Registry::builtins();
  cmd->add_option("--method", a->method,
                  "auto (" + registry.autoMethod(1).name + " for 1 band, " +
                      registry.autoMethod(2).name + " otherwise) or one of: " +
                      joinNames(registry.methodNames()) + " (their options are listed below)")
      ->capture_default_str();
  cmd->add_option("--set", a->settings,
                  "Option name=value of the named --method (repeatable), one of those listed "
                  "below");
  cmd->add_option("--threads", a->threads, "Threads (0 = all cores)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd->add_option("--tile", a->tilePx, "Tile size in px (0 = planned from the memory budget)")
      ->check(CLI::Range(0, 16384))
      ->capture_default_str();
  cmd->add_option("--open-m", a->openM, "Morphological opening radius in metres (px if no CRS)")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--close-m", a->closeM, "Morphological closing radius in metres (px if no CRS)")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--min-area-m2", a->minAreaM2, "Drop changes smaller than this (px² if no CRS)")
      ->check(CLI::Range(0.0, 1e12));
  cmd->add_flag("--no-coregister", a->noCoregister, "Skip the sub-pixel co-registration");
  cmd->add_option("--score-encoding", a->scoreEncoding,
                  "score.tif as uint16 (score = code x scale + offset, GDAL scale/offset "
                  "metadata, threshold at code 2000, 65535 = no decision) or float32 (NaN = no "
                  "decision)")
      ->check(CLI::IsMember({"uint16", "float32"}))
      ->capture_default_str();
  addUnitOptionsFooter(*cmd, imaging::UnitKind::ChangeMethod);
  cmd->callback([a] { runChange(*a); });
}

}  // namespace cw::cli
