#include "evidence/hdf5_product.hpp"

#include <H5Cpp.h>
#include <H5DSpublic.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <oneapi/tbb/parallel_for.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <set>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/iso_time.hpp"
#include "cw_version.hpp"
#include "tiles/gdal_dataset.hpp"

namespace cw::evidence {
namespace {

namespace fs = std::filesystem;

void check(herr_t rc, const char* what) {
  if (rc < 0) throw Error(std::string("product.h5: ") + what + " failed");
}

void strAttr(H5::H5Object& obj, const std::string& name, const std::string& value) {
  H5::StrType type(H5::PredType::C_S1, std::max<size_t>(1, value.size()));
  type.setStrpad(H5T_STR_NULLTERM);
  H5::Attribute a = obj.createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
  std::string padded = value;
  padded.resize(std::max<size_t>(1, value.size()), '\0');
  a.write(type, padded.data());
}

template <class T>
void numAttr(H5::H5Object& obj, const std::string& name, const H5::PredType& type,
             const std::vector<T>& values) {
  const hsize_t n = values.size();
  H5::Attribute a =
      obj.createAttribute(name, type, n == 1 ? H5::DataSpace(H5S_SCALAR) : H5::DataSpace(1, &n));
  a.write(type, values.data());
}

H5::DSetCreatPropList untimedDcpl() {
  H5::DSetCreatPropList p;
  check(H5Pset_obj_track_times(p.getId(), false), "H5Pset_obj_track_times");
  return p;
}

H5::DataSet coordinate(H5::Group& root, const std::string& name, const std::vector<double>& v,
                       int dimId) {
  const hsize_t n = v.size();
  H5::DataSet ds =
      root.createDataSet(name, H5::PredType::IEEE_F64LE, H5::DataSpace(1, &n), untimedDcpl());
  ds.write(v.data(), H5::PredType::NATIVE_DOUBLE);
  check(H5DSset_scale(ds.getId(), name.c_str()), "H5DSset_scale");
  numAttr<int>(ds, "_Netcdf4Dimid", H5::PredType::STD_I32LE, {dimId});
  return ds;
}

void fillCrs(H5::DataSet& crs, const GridInfo& g) {
  OGRSpatialReference srs;
  if (srs.importFromWkt(g.wkt.c_str()) != OGRERR_NONE && g.epsg > 0) srs.importFromEPSG(g.epsg);
  char* wkt = nullptr;
  srs.exportToWkt(&wkt, nullptr);
  const std::string wktText = wkt ? wkt : g.wkt;
  CPLFree(wkt);
  const char* proj = srs.GetAttrValue("PROJECTION");
  if (proj && std::string(proj) == SRS_PT_TRANSVERSE_MERCATOR) {
    strAttr(crs, "grid_mapping_name", "transverse_mercator");
    numAttr<double>(crs, "longitude_of_central_meridian", H5::PredType::IEEE_F64LE,
                    {srs.GetNormProjParm(SRS_PP_CENTRAL_MERIDIAN, 0.0)});
    numAttr<double>(crs, "latitude_of_projection_origin", H5::PredType::IEEE_F64LE,
                    {srs.GetNormProjParm(SRS_PP_LATITUDE_OF_ORIGIN, 0.0)});
    numAttr<double>(crs, "scale_factor_at_central_meridian", H5::PredType::IEEE_F64LE,
                    {srs.GetNormProjParm(SRS_PP_SCALE_FACTOR, 1.0)});
    numAttr<double>(crs, "false_easting", H5::PredType::IEEE_F64LE,
                    {srs.GetNormProjParm(SRS_PP_FALSE_EASTING, 0.0)});
    numAttr<double>(crs, "false_northing", H5::PredType::IEEE_F64LE,
                    {srs.GetNormProjParm(SRS_PP_FALSE_NORTHING, 0.0)});
  }
  numAttr<double>(crs, "semi_major_axis", H5::PredType::IEEE_F64LE, {srs.GetSemiMajor()});
  numAttr<double>(crs, "inverse_flattening", H5::PredType::IEEE_F64LE, {srs.GetInvFlattening()});
  strAttr(crs, "crs_wkt", wktText);
  strAttr(crs, "spatial_ref", wktText);
  char gt[256];
  const auto& t = g.geotransform;
  std::snprintf(gt, sizeof gt, "%.17g %.17g %.17g %.17g %.17g %.17g", t[0], t[1], t[2], t[3], t[4],
                t[5]);
  strAttr(crs, "GeoTransform", gt);
  if (g.epsg > 0) strAttr(crs, "epsg_code", "EPSG:" + std::to_string(g.epsg));
}

H5::DataSet grid2d(H5::Group& root, const std::string& name, const H5::PredType& fileType,
                   const H5::PredType& memType, const void* fill, const GridInfo& g,
                   const ProductSources& src) {
  const hsize_t dims[2] = {static_cast<hsize_t>(g.height), static_cast<hsize_t>(g.width)};
  const hsize_t chunk[2] = {std::min<hsize_t>(dims[0], static_cast<hsize_t>(src.chunkPx)),
                            std::min<hsize_t>(dims[1], static_cast<hsize_t>(src.chunkPx))};
  H5::DSetCreatPropList p = untimedDcpl();
  p.setChunk(2, chunk);
  p.setShuffle();
  p.setDeflate(src.deflateLevel);
  p.setFillValue(memType, fill);
  return root.createDataSet(name, fileType, H5::DataSpace(2, dims), p);
}

// Writes one strip of whole chunk rows (rows x width elements of `elem` bytes, y0 a multiple of
// the chunk height) with H5Dwrite_chunk: the dataset's own filters, byte shuffle then deflate,
// applied here to its chunks in parallel (TBB, the caller's arena), since HDF5 runs them on one
// thread (8192² bench job: 5.5 s for the Float32 score). Chunks are written in row-major order
// and zlib is deterministic, so the file does not depend on the thread count. Edge chunks are
// padded with zeros beyond the extent, where no reader looks.
void writeStripChunks(H5::DataSet& ds, const std::uint8_t* strip, std::size_t elem, int rows,
                      int width, int y0, const hsize_t chunk[2], int level) {
  const int chunkCols = static_cast<int>(chunk[1]);
  const int nChunks = (width + chunkCols - 1) / chunkCols;
  const std::size_t n = static_cast<std::size_t>(chunk[0]) * chunk[1];
  std::vector<std::vector<Bytef>> packed(nChunks);
  tbb::parallel_for(0, nChunks, [&](int c) {
    const int x0 = c * chunkCols;
    const int w = std::min(chunkCols, width - x0);
    std::vector<std::uint8_t> raw(n * elem, 0), shuffled(n * elem);
    for (int r = 0; r < rows; ++r) {
      std::memcpy(raw.data() + static_cast<std::size_t>(r) * chunkCols * elem,
                  strip + (static_cast<std::size_t>(r) * width + x0) * elem, w * elem);
    }
    // HDF5's shuffle filter: byte k of every element, then byte k + 1, ... (a no-op for bytes).
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t k = 0; k < elem; ++k) shuffled[k * n + i] = raw[i * elem + k];
    }
    uLongf len = compressBound(static_cast<uLong>(n * elem));
    packed[c].resize(len);
    if (compress2(packed[c].data(), &len, shuffled.data(), static_cast<uLong>(n * elem), level) !=
        Z_OK) {
      throw Error("HDF5 product: deflate of a chunk failed");
    }
    packed[c].resize(len);
  });
  for (int c = 0; c < nChunks; ++c) {
    const hsize_t offset[2] = {static_cast<hsize_t>(y0), static_cast<hsize_t>(c) * chunkCols};
    if (H5Dwrite_chunk(ds.getId(), H5P_DEFAULT, 0, offset, packed[c].size(), packed[c].data()) <
        0) {
      throw Error("HDF5 product: cannot write a chunk of " + ds.getObjName());
    }
  }
}

// Copies band 1 of `path` into `ds` strip by strip. `toFloat` reads as Float32 with scale/offset
// applied and nodata as NaN (for the score); otherwise the bytes are copied as they are.
void copyRaster(const std::string& path, H5::DataSet& ds, const GridInfo& g, bool toFloat,
                int deflateLevel) {
  tiles::GdalDataset r = tiles::openRaster(path);
  if (r->GetRasterXSize() != g.width || r->GetRasterYSize() != g.height)
    throw Error(path + ": raster is " + std::to_string(r->GetRasterXSize()) + "x" +
                std::to_string(r->GetRasterYSize()) + ", the job grid is " +
                std::to_string(g.width) + "x" + std::to_string(g.height));
  GDALRasterBand* b = r->GetRasterBand(1);
  int hasNd = 0, hasScale = 0, hasOffset = 0;
  const double nd = b->GetNoDataValue(&hasNd);
  const double scale = b->GetScale(&hasScale);
  const double offset = b->GetOffset(&hasOffset);
  const bool scaled = (hasScale && scale != 1.0) || (hasOffset && offset != 0.0);
  hsize_t chunk[2];
  ds.getCreatePlist().getChunk(2, chunk);
  const int stripRows = static_cast<int>(chunk[0]);
  std::vector<float> fbuf;
  std::vector<double> dbuf;
  std::vector<std::uint8_t> bbuf;
  for (int y0 = 0; y0 < g.height; y0 += stripRows) {
    const int rows = std::min(stripRows, g.height - y0);
    const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(g.width);
    if (toFloat) {
      dbuf.resize(n);
      fbuf.resize(n);
      if (b->RasterIO(GF_Read, 0, y0, g.width, rows, dbuf.data(), g.width, rows, GDT_Float64, 0,
                      0) != CE_None)
        throw Error(path + ": " + tiles::lastGdalError("read failed"));
      for (size_t i = 0; i < n; ++i) {
        const double v = dbuf[i];
        fbuf[i] = (hasNd && (v == nd || (std::isnan(nd) && std::isnan(v))))
                      ? std::numeric_limits<float>::quiet_NaN()
                      : static_cast<float>(
                            scaled ? v * (hasScale ? scale : 1.0) + (hasOffset ? offset : 0.0) : v);
      }
      static_assert(sizeof(float) == 4 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
                    "chunks are written as they are in memory: the score is IEEE_F32LE");
      writeStripChunks(ds, reinterpret_cast<const std::uint8_t*>(fbuf.data()), sizeof(float), rows,
                       g.width, y0, chunk, deflateLevel);
    } else {
      bbuf.resize(n);
      if (b->RasterIO(GF_Read, 0, y0, g.width, rows, bbuf.data(), g.width, rows, GDT_Byte, 0, 0) !=
          CE_None)
        throw Error(path + ": " + tiles::lastGdalError("read failed"));
      writeStripChunks(ds, bbuf.data(), 1, rows, g.width, y0, chunk, deflateLevel);
    }
  }
}

void copyStr(char* dst, size_t cap, const std::string& s) {
  std::memset(dst, 0, cap);
  std::memcpy(dst, s.data(), std::min(cap - 1, s.size()));
}

struct DetRow {
  char id[64];
  char kind[16];
  char sceneId[64];
  double lon, lat, xPx, yPx, lengthM, widthM, headingDeg, areaM2, score;
};
struct CountRow {
  char sceneId[64];
  char time[32];
  char kind[16];
  std::int32_t count;
  std::int32_t pad;
  double validFraction, areaM2;
};

H5::StrType fixedStr(size_t n) {
  H5::StrType t(H5::PredType::C_S1, n);
  t.setStrpad(H5T_STR_NULLTERM);
  return t;
}

template <class Row>
void table(H5::Group& g, const std::string& name, const H5::CompType& type,
           const std::vector<Row>& rows) {
  const hsize_t n = rows.size();
  H5::DataSet ds = g.createDataSet(name, type, H5::DataSpace(1, &n), untimedDcpl());
  if (n > 0) ds.write(rows.data(), type);
}

void writeTables(H5::H5File& file, const JobEvidence& ev) {
  const hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_obj_track_times(gcpl, false);
  const hid_t gid = H5Gcreate2(file.getId(), "tables", H5P_DEFAULT, gcpl, H5P_DEFAULT);
  H5Pclose(gcpl);
  if (gid < 0) throw Error("product.h5: cannot create group tables");
  H5::Group tables(gid);
  H5Gclose(gid);  // H5::Group took its own reference

  H5::CompType det(sizeof(DetRow));
  det.insertMember("id", HOFFSET(DetRow, id), fixedStr(64));
  det.insertMember("kind", HOFFSET(DetRow, kind), fixedStr(16));
  det.insertMember("scene_id", HOFFSET(DetRow, sceneId), fixedStr(64));
  const std::pair<const char*, size_t> dcols[] = {{"lon", HOFFSET(DetRow, lon)},
                                                  {"lat", HOFFSET(DetRow, lat)},
                                                  {"x_px", HOFFSET(DetRow, xPx)},
                                                  {"y_px", HOFFSET(DetRow, yPx)},
                                                  {"length_m", HOFFSET(DetRow, lengthM)},
                                                  {"width_m", HOFFSET(DetRow, widthM)},
                                                  {"heading_deg", HOFFSET(DetRow, headingDeg)},
                                                  {"area_m2", HOFFSET(DetRow, areaM2)},
                                                  {"score", HOFFSET(DetRow, score)}};
  for (const auto& [n, off] : dcols) det.insertMember(n, off, H5::PredType::NATIVE_DOUBLE);
  std::vector<DetRow> drows(ev.detections.size());
  for (size_t i = 0; i < drows.size(); ++i) {
    const auto& d = ev.detections[i];
    DetRow& r = drows[i];
    std::memset(&r, 0, sizeof r);
    copyStr(r.id, sizeof r.id, d.id);
    copyStr(r.kind, sizeof r.kind, d.kind);
    copyStr(r.sceneId, sizeof r.sceneId, d.sceneId);
    r.lon = d.lon, r.lat = d.lat, r.xPx = d.xPx, r.yPx = d.yPx, r.lengthM = d.lengthM;
    r.widthM = d.widthM, r.headingDeg = d.headingDeg, r.areaM2 = d.areaM2, r.score = d.score;
  }
  table(tables, "detections", det, drows);

  H5::CompType cnt(sizeof(CountRow));
  cnt.insertMember("scene_id", HOFFSET(CountRow, sceneId), fixedStr(64));
  cnt.insertMember("time", HOFFSET(CountRow, time), fixedStr(32));
  cnt.insertMember("kind", HOFFSET(CountRow, kind), fixedStr(16));
  cnt.insertMember("count", HOFFSET(CountRow, count), H5::PredType::NATIVE_INT32);
  cnt.insertMember("valid_fraction", HOFFSET(CountRow, validFraction), H5::PredType::NATIVE_DOUBLE);
  cnt.insertMember("footprint_area_m2", HOFFSET(CountRow, areaM2), H5::PredType::NATIVE_DOUBLE);
  std::vector<CountRow> crows(ev.counts.size());
  for (size_t i = 0; i < crows.size(); ++i) {
    const auto& c = ev.counts[i];
    CountRow& r = crows[i];
    std::memset(&r, 0, sizeof r);
    copyStr(r.sceneId, sizeof r.sceneId, c.sceneId);
    copyStr(r.time, sizeof r.time, c.timeIso);
    copyStr(r.kind, sizeof r.kind, c.kind);
    r.count = c.count;
    r.validFraction = c.footprint.validFraction;
    r.areaM2 = c.footprint.areaM2;
  }
  table(tables, "counts", cnt, crows);
}

void attachYX(H5::DataSet& var, const H5::DataSet& y, const H5::DataSet& x) {
  check(H5DSattach_scale(var.getId(), y.getId(), 0), "H5DSattach_scale(y)");
  check(H5DSattach_scale(var.getId(), x.getId(), 1), "H5DSattach_scale(x)");
}

// Writes the global attributes: CF conventions, provenance, AOI, scenes and method parameters.
void writeRootAttributes(H5::Group& root, const JobEvidence& ev) {
  strAttr(root, "Conventions", "CF-1.8");
  strAttr(root, "title", "changewatch change product " + ev.info.aoiId + " " + ev.info.pairId());
  strAttr(root, "source", std::string("changewatch ") + kVersion + " (" + kGitDescribe + ")");
  strAttr(root, "software_version", kGitDescribe);
  strAttr(root, "config_hash", ev.info.configHash);
  strAttr(root, "aoi_id", ev.info.aoiId);
  strAttr(root, "aoi_name", ev.info.aoiName);
  strAttr(root, "aoi_kind", ev.info.aoiKind);
  strAttr(root, "method", ev.info.method);
  strAttr(root, "before_scene_id", ev.info.before.id);
  strAttr(root, "after_scene_id", ev.info.after.id);
  strAttr(root, "before_time", ev.info.before.timeIso);
  strAttr(root, "after_time", ev.info.after.timeIso);
  strAttr(root, "before_sha256", ev.info.before.sha256);
  strAttr(root, "after_sha256", ev.info.after.sha256);
  for (const auto& [name, values] : ev.params)
    if (!values.empty()) numAttr<double>(root, "param_" + name, H5::PredType::IEEE_F64LE, values);
}

// Creates the time coordinate (dimension 0): the before and after acquisition times.
H5::DataSet timeCoordinate(H5::Group& root, const JobEvidence& ev) {
  std::vector<double> times;
  for (const SceneRef* s : {&ev.info.before, &ev.info.after}) {
    const auto t = parseIsoTime(s->timeIso);
    times.push_back(t ? static_cast<double>(*t) : std::numeric_limits<double>::quiet_NaN());
  }
  H5::DataSet time = coordinate(root, "time", times, 0);
  strAttr(time, "standard_name", "time");
  strAttr(time, "long_name", "acquisition time of the before and after scenes");
  strAttr(time, "units", "seconds since 1970-01-01 00:00:00");
  strAttr(time, "calendar", "standard");
  strAttr(time, "axis", "T");
  return time;
}

// The y and x pixel-centre coordinates of the grid.
struct YXCoordinates {
  H5::DataSet y, x;
};

// Creates the y (dimension 1) and x (dimension 2) coordinates, in that order.
YXCoordinates yxCoordinates(H5::Group& root, const GridInfo& g) {
  const auto& t = g.geotransform;
  std::vector<double> ys(static_cast<size_t>(g.height)), xs(static_cast<size_t>(g.width));
  for (int r = 0; r < g.height; ++r) ys[static_cast<size_t>(r)] = t[3] + (r + 0.5) * t[5];
  for (int c = 0; c < g.width; ++c) xs[static_cast<size_t>(c)] = t[0] + (c + 0.5) * t[1];
  H5::DataSet y = coordinate(root, "y", ys, 1);
  strAttr(y, "standard_name", "projection_y_coordinate");
  strAttr(y, "long_name", "y coordinate of pixel centre");
  strAttr(y, "units", "m");
  strAttr(y, "axis", "Y");
  H5::DataSet x = coordinate(root, "x", xs, 2);
  strAttr(x, "standard_name", "projection_x_coordinate");
  strAttr(x, "long_name", "x coordinate of pixel centre");
  strAttr(x, "units", "m");
  strAttr(x, "axis", "X");
  return {y, x};
}

// Creates the scalar grid-mapping variable `crs` with its CF attributes.
H5::DataSet crsVariable(H5::Group& root, const GridInfo& g) {
  H5::DataSet crs =
      root.createDataSet("crs", H5::PredType::STD_I32LE, H5::DataSpace(H5S_SCALAR), untimedDcpl());
  const std::int32_t zero = 0;
  crs.write(&zero, H5::PredType::NATIVE_INT32);
  fillCrs(crs, g);
  return crs;
}

// Creates the Float32 `score` variable on (y, x) and copies the score raster into it.
H5::DataSet scoreVariable(H5::Group& root, const JobEvidence& ev, const ProductSources& src,
                          const YXCoordinates& yx) {
  const GridInfo& g = ev.info.grid;
  const float nanF = std::numeric_limits<float>::quiet_NaN();
  H5::DataSet score =
      grid2d(root, "score", H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_FLOAT, &nanF, g, src);
  numAttr<float>(score, "_FillValue", H5::PredType::IEEE_F32LE, {nanF});
  strAttr(score, "long_name", "change score (" + ev.info.method + ")");
  strAttr(score, "units", "1");
  strAttr(score, "grid_mapping", "crs");
  copyRaster(src.scorePath, score, g, true, src.deflateLevel);
  attachYX(score, yx.y, yx.x);
  return score;
}

// Creates the UInt8 `mask` flag variable on (y, x) and copies the mask raster into it.
H5::DataSet maskVariable(H5::Group& root, const GridInfo& g, const ProductSources& src,
                         const YXCoordinates& yx) {
  const std::uint8_t fill255 = 255;
  H5::DataSet mask =
      grid2d(root, "mask", H5::PredType::STD_U8LE, H5::PredType::NATIVE_UINT8, &fill255, g, src);
  numAttr<std::uint8_t>(mask, "_FillValue", H5::PredType::STD_U8LE, {fill255});
  numAttr<std::uint8_t>(mask, "flag_values", H5::PredType::STD_U8LE, {0, 1});
  strAttr(mask, "flag_meanings", "no_change change");
  strAttr(mask, "long_name", "change mask (255: no decision)");
  strAttr(mask, "grid_mapping", "crs");
  copyRaster(src.maskPath, mask, g, false, src.deflateLevel);
  attachYX(mask, yx.y, yx.x);
  return mask;
}

// Writes one Float64 variable on (time) with NaN fill, its units and long name.
void perTimeVariable(H5::Group& root, const H5::DataSet& time, const std::string& name,
                     const std::vector<double>& v, const char* units, const char* longName) {
  const hsize_t n = 2;
  H5::DSetCreatPropList p = untimedDcpl();
  const double nanD = std::numeric_limits<double>::quiet_NaN();
  p.setFillValue(H5::PredType::NATIVE_DOUBLE, &nanD);
  H5::DataSet ds = root.createDataSet(name, H5::PredType::IEEE_F64LE, H5::DataSpace(1, &n), p);
  ds.write(v.data(), H5::PredType::NATIVE_DOUBLE);
  numAttr<double>(ds, "_FillValue", H5::PredType::IEEE_F64LE, {nanD});
  strAttr(ds, "units", units);
  strAttr(ds, "long_name", longName);
  check(H5DSattach_scale(ds.getId(), time.getId(), 0), "H5DSattach_scale(time)");
}

// Writes the per-date summaries on (time): valid fraction, footprint area and count per kind.
void writePerTimeSummaries(H5::Group& root, const H5::DataSet& time, const JobEvidence& ev) {
  // Per-date summaries on (time), in the order before, after.
  const std::string ids[2] = {ev.info.before.id, ev.info.after.id};
  std::vector<double> vf(2, std::numeric_limits<double>::quiet_NaN()), fa = vf;
  for (const auto& f : ev.footprints)
    for (int i = 0; i < 2; ++i)
      if (f.sceneId == ids[i])
        vf[static_cast<size_t>(i)] = f.validFraction, fa[static_cast<size_t>(i)] = f.areaM2;
  perTimeVariable(root, time, "valid_fraction", vf, "1",
                  "valid (imaged, cloud-free) fraction of the AOI grid");
  perTimeVariable(root, time, "footprint_area_m2", fa, "m2", "valid imaged area");
  std::set<std::string> kinds;
  for (const auto& c : ev.counts) kinds.insert(c.kind);
  for (const auto& k : kinds) {
    std::vector<double> v(2, std::numeric_limits<double>::quiet_NaN());
    for (const auto& c : ev.counts)
      for (int i = 0; i < 2; ++i)
        if (c.kind == k && c.sceneId == ids[i]) v[static_cast<size_t>(i)] = c.count;
    perTimeVariable(root, time, "count_" + k, v, "1", ("number of " + k + " detected").c_str());
  }
}

// Writes the whole CF/netCDF-4 product into the file `tmp`.
void writeProduct(const fs::path& tmp, const JobEvidence& ev, const ProductSources& src) {
  const GridInfo& g = ev.info.grid;
  if (g.width <= 0 || g.height <= 0) throw Error("product.h5: the job grid has no size");
  H5::FileCreatPropList fcpl;
  check(H5Pset_obj_track_times(fcpl.getId(), false), "H5Pset_obj_track_times");
  // Strong close: closing the file closes any id still open in it (H5DS helpers included), so
  // the file is complete on disk before it is renamed into place and no handle outlives it.
  H5::FileAccPropList fapl;
  fapl.setFcloseDegree(H5F_CLOSE_STRONG);
  H5::H5File file(tmp.string(), H5F_ACC_TRUNC, fcpl, fapl);
  H5::Group root = file.openGroup("/");

  writeRootAttributes(root, ev);
  // Dimension ids follow creation order, as netCDF-4 numbers them.
  H5::DataSet time = timeCoordinate(root, ev);
  const YXCoordinates yx = yxCoordinates(root, g);
  H5::DataSet crs = crsVariable(root, g);
  H5::DataSet score = scoreVariable(root, ev, src, yx);
  H5::DataSet mask = maskVariable(root, g, src, yx);
  writePerTimeSummaries(root, time, ev);
  writeTables(file, ev);
}

}  // namespace

void writeHdf5Product(const fs::path& path, const JobEvidence& ev, const ProductSources& src) {
  // Debian's HDF5 is built without thread-safety: serialise every HDF5 call in the process.
  static std::mutex hdf5Mutex;
  std::lock_guard lock(hdf5Mutex);
  H5::Exception::dontPrint();
  produceFileAtomic(path, [&](const fs::path& tmp) {
    try {
      writeProduct(tmp, ev, src);
    } catch (const H5::Exception& e) {
      throw Error(path.string() + ": HDF5 error in " + e.getFuncName() + ": " + e.getDetailMsg());
    }
  });
}

}  // namespace cw::evidence
