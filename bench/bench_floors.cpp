// bench_floors: the GDAL floors the benchmark divides by (issue 9), independent of changewatch's
// engine (plain GDAL calls only).
//
//   bench_floors read IMAGE...
//       Reads every pixel of each image once, in full-width strips of one block row, as the
//       file's type, with the block cache GDAL_CACHEMAX says (the harness sets a small one) and
//       GDAL_NUM_THREADS for parallel DEFLATE decoding (GDAL 3.6 decodes the tiles of one
//       multi-tile request in parallel). Prints "read_s S mib M".
//   bench_floors write OUTDIR SRC[:RESAMPLING[:BAND]]... [--threads N] [--compress C]
//                [--level L] [--predictor]
//       Loads each SRC raster (e.g. the score.tif / mask.tif a changewatch run wrote) into a MEM
//       dataset, untimed, then times writing them as COGs with those creation options, which are
//       changewatch's defaults (ZSTD level 1, AVERAGE overviews for a score, NEAREST for a
//       mask). Prints "write_s S" (the timed part only) and one "file NAME bytes B" per output.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal_priv.h>
#include <gdal_utils.h>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& m) {
  std::fprintf(stderr, "bench_floors: %s: %s\n", m.c_str(), CPLGetLastErrorMsg());
  std::exit(1);
}

int readFloor(const std::vector<std::string>& paths) {
  const auto t0 = Clock::now();
  double bytes = 0;
  for (const auto& p : paths) {
    GDALDataset* ds = GDALDataset::Open(p.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY);
    if (!ds) die(p);
    const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize(), n = ds->GetRasterCount();
    int bx = 0, by = 0;
    ds->GetRasterBand(1)->GetBlockSize(&bx, &by);
    const GDALDataType type = ds->GetRasterBand(1)->GetRasterDataType();
    const int elem = GDALGetDataTypeSizeBytes(type);
    std::vector<char> buf(static_cast<std::size_t>(w) * by * n * elem);
    for (int y = 0; y < h; y += by) {
      const int rows = std::min(by, h - y);
      if (ds->RasterIO(GF_Read, 0, y, w, rows, buf.data(), w, rows, type, n, nullptr,
                       GSpacing(elem) * n, GSpacing(elem) * n * w, elem, nullptr) != CE_None) {
        die(p + ": read");
      }
      bytes += double(w) * rows * n * elem;
    }
    GDALClose(ds);
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("read_s %.3f mib %.0f\n", s, bytes / 1048576.0);
  return 0;
}

int writeFloor(int argc, char** argv) {
  const fs::path out = argv[2];
  std::vector<std::string> srcs;
  std::string compress = "ZSTD", threads = "1";
  int level = 1;
  bool predictor = false;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc)
      threads = argv[++i];
    else if (a == "--compress" && i + 1 < argc)
      compress = argv[++i];
    else if (a == "--level" && i + 1 < argc)
      level = std::atoi(argv[++i]);
    else if (a == "--predictor")
      predictor = true;
    else
      srcs.push_back(a);
  }
  fs::create_directories(out);
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  struct Item {
    GDALDataset* ds;
    std::string name, resampling;
  };
  std::vector<Item> items;
  for (const auto& spec : srcs) {
    const CPLStringList parts(CSLTokenizeString2(spec.c_str(), ":", 0));
    const std::string path = parts[0];
    const std::string resampling = parts.size() > 1 ? parts[1] : "AVERAGE";
    GDALDataset* src = GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY);
    if (!src) die(path);
    CPLStringList args;
    args.AddString("-of");
    args.AddString("MEM");
    if (parts.size() > 2) {
      args.AddString("-b");
      args.AddString(parts[2]);
    }
    GDALTranslateOptions* o = GDALTranslateOptionsNew(args.List(), nullptr);
    GDALDatasetH m = GDALTranslate("", GDALDataset::ToHandle(src), o, nullptr);
    GDALTranslateOptionsFree(o);
    GDALClose(src);
    if (!m) die(path + ": to MEM");
    items.push_back({GDALDataset::FromHandle(m), fs::path(path).filename().string(), resampling});
  }
  (void)mem;
  const auto t0 = Clock::now();
  for (const auto& it : items) {
    CPLStringList args;
    for (const std::string& a :
         {std::string("-of"), std::string("COG"), std::string("-co"), "COMPRESS=" + compress,
          std::string("-co"), "OVERVIEW_RESAMPLING=" + it.resampling, std::string("-co"),
          "NUM_THREADS=" + threads, std::string("-co"), std::string("BIGTIFF=IF_SAFER")}) {
      args.AddString(a.c_str());
    }
    if (compress == "ZSTD" || compress == "DEFLATE") {
      args.AddString("-co");
      args.AddString(("LEVEL=" + std::to_string(level)).c_str());
    }
    if (predictor) {
      args.AddString("-co");
      args.AddString("PREDICTOR=YES");
    }
    GDALTranslateOptions* o = GDALTranslateOptionsNew(args.List(), nullptr);
    const fs::path dst = out / it.name;
    GDALDatasetH d = GDALTranslate(dst.c_str(), GDALDataset::ToHandle(it.ds), o, nullptr);
    GDALTranslateOptionsFree(o);
    if (!d) die(dst.string());
    GDALClose(d);
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("write_s %.3f\n", s);
  for (const auto& it : items) {
    std::printf("file %s bytes %llu\n", it.name.c_str(),
                static_cast<unsigned long long>(fs::file_size(out / it.name)));
    GDALClose(it.ds);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  GDALAllRegister();
  if (argc >= 3 && std::string(argv[1]) == "read") {
    return readFloor(std::vector<std::string>(argv + 2, argv + argc));
  }
  if (argc >= 4 && std::string(argv[1]) == "write") return writeFloor(argc, argv);
  std::fprintf(stderr,
               "usage: bench_floors read IMAGE...\n"
               "       bench_floors write OUTDIR SRC[:RESAMPLING[:BAND]]... [--threads N] "
               "[--compress C] [--level L] [--predictor]\n");
  return 2;
}
