#pragma once
// Satellite products that are not one raster file: a Sentinel-2 L1C/L2A SAFE product and a
// Landsat Collection 2 product. Each is opened through GDAL and presented to the catalog as one
// VRT whose band descriptions name the roles (blue, green, red, nir, swir1, swir2, cloud), so that
// everything downstream treats it as any other raster.
//
// Sentinel-2: GDAL's SENTINEL2 driver reads the SAFE (its folder, its MTD_MSIL1C/2A.xml, or the
// zip as downloaded). The 10 m subdataset gives B2/B3/B4/B8; for L2A the SCL band of the 20 m
// subdataset becomes the cloud band, resampled to 10 m with nearest neighbour, where classes
// 1 (saturated or defective), 3 (cloud shadow), 8, 9 (cloud, medium and high probability) and
// 10 (thin cirrus) mark the pixel invalid. L1C has no per-pixel cloud band here.
//
// Landsat Collection 2: the product's *_MTL.txt names the per-band GeoTIFFs beside it. Roles
// follow the sensor (OLI on Landsat 8/9: B2..B7; TM/ETM+ on Landsat 4/5/7: B1..B5, B7). QA_PIXEL
// becomes the cloud band: bits 1 (dilated cloud), 2 (cirrus), 3 (cloud) or 4 (cloud shadow) set
// mark the pixel invalid; fill (bit 0) is the spectral bands' nodata 0.
//
// The VRT lives in GDAL's /vsimem/, so it exists only in the process that opened the product;
// every process (local worker, Slurm task) rebuilds its catalog.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/config.hpp"

namespace cw::pipeline {

enum class ProductKind { None, Sentinel2, Landsat };

// What `path` is, from its name alone: a *.SAFE folder, an MTD_MSIL1C/2A.xml, or an S2*.zip is
// Sentinel-2; a *_MTL.txt is Landsat. Anything else is None (a plain raster).
ProductKind productKind(const fs::path& path);

struct Product {
  std::string id;       // product name, safe for a folder name (e.g. S2A_MSIL2A_..., LC08_...)
  std::string dataset;  // the VRT to open
  std::vector<fs::path> files;    // the files behind it, hashed for provenance
  std::optional<TimePoint> time;  // acquisition time from the product metadata
};

// Opens a product. Throws cw::Error naming what is missing or unreadable (with GDAL's message).
Product openProduct(const fs::path& path, ProductKind kind);

}  // namespace cw::pipeline
