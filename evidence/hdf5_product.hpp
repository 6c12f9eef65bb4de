#pragma once
// product.h5: the job's change product as a CF-1.8 / netCDF-4-compatible HDF5 file.
//   /x, /y     float64 pixel-centre coordinates in metres (grid CRS), HDF5 dimension scales
//   /time      float64 [2] "seconds since 1970-01-01 00:00:00" (before, after), dimension scale
//   /crs       grid mapping: grid_mapping_name (transverse_mercator when the grid is), crs_wkt,
//              spatial_ref, GeoTransform
//   /score     float32 (y, x), _FillValue NaN, grid_mapping "crs"
//   /mask      uint8 (y, x), _FillValue 255, flag_values [0, 1], flag_meanings "no_change change"
//   /valid_fraction, /footprint_area_m2, /count_<kind>   per date, on (time)
//   /tables/detections, /tables/counts   compound tables (one row per detection / scene count)
//   global attributes: Conventions CF-1.8, config_hash, software_version, job identity and the
//   solved parameters as "param_<name>" float64 arrays.
// Dimension scales are attached with H5DS (DIMENSION_LIST/REFERENCE_LIST) and carry netCDF-4's
// _Netcdf4Dimid, so xarray (engine="h5netcdf") shows named dims y, x, time, not phony_dim; GDAL's
// HDF5 driver lists score and mask as subdatasets. 2-D variables are chunked (256 x 256 by
// default) and compressed with byte shuffle + deflate level 1 (on the 8192² bench job's product,
// h5repack: 217 MB in 7.2 CPU s, against 235 MB in 10.8 s for deflate level 4 alone, the
// previous default: shuffle groups the float score's exponent bytes); score and mask are copied
// from their rasters in strips of chunk rows, so memory stays O(width x chunk). Object timestamps
// are off, so the same input gives a byte-identical file. Written atomically. Thread-safe: calls
// are serialised by a process-wide mutex (Debian's HDF5 is built without thread-safety).
#include <filesystem>
#include <string>

#include "evidence/evidence_types.hpp"

namespace cw::evidence {

struct ProductSources {
  std::string
      scorePath;         // score.tif on the job grid (Float32, or scaled integer with scale/offset)
  std::string maskPath;  // mask.tif on the job grid (Byte 0/1/255)
  int chunkPx = 256;
  int deflateLevel = 1;  // with the shuffle filter
};

// Throws cw::Error when a raster cannot be read, does not match the grid size, or HDF5 fails.
void writeHdf5Product(const std::filesystem::path& path, const JobEvidence& evidence,
                      const ProductSources& sources);

}  // namespace cw::evidence
