#pragma once
// A water mask from a user's shore polygons: OpenStreetMap land polygons, a harbour's water
// polygon, any OGR vector format (GeoPackage, Shapefile, GeoJSON, ...) in any CRS.
//
//   1. every polygon feature of the chosen layers (all layers when none is named) that meets the
//      grid, read through OGR's spatial filter, so a continent-sized land file costs only the
//      features over the grid;
//   2. reprojected into the grid's CRS, clipped to the grid (plus the buffer) and buffered by
//      `bufferM` with GEOS: a positive buffer moves the shore SEAWARD (land grows: SNAP's
//      "shoreline extension", for polygons that are coarser than the pixels), a negative one
//      moves it LANDWARD (quays that the polygon draws a little into the water);
//   3. burnt onto the grid by GDALRasterizeGeometries (255 = water, 0 = land), in chunks, so
//      memory does not grow with the grid.
// A scene's own water model (the ship detector's) learns water from the pixels, and a hull moored
// against a quay can be absorbed into "land"; a shore polygon cannot: the hull is in the water
// polygon whatever its colour.
#include <ogr_api.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tiles/grid_spec.hpp"

namespace cw::tiles {

struct ShoreSource {
  std::string path;             // OGR vector dataset
  std::string layer;            // empty = every layer
  bool polygonsAreLand = true;  // true: land polygons (water = outside); false: water polygons
  double bufferM = 0.0;         // + seaward, - landward; metres (the grid CRS's linear unit)
};

// "land polygons coast.gpkg (shore buffer 20 m)" or "water polygons harbour.geojson (layer h)":
// the file name without its folder.
std::string describeShore(const ShoreSource& source);

// Checks what can be checked without a grid: the file opens as vector data, the layer exists, at
// least one layer has a CRS and polygon geometries. Throws cw::UsageError naming the file.
void checkShoreSource(const ShoreSource& source);

// Writes the water mask on `grid` (tiled, compressed Byte GeoTIFF, 255 = water) and returns the
// number of polygons used. Throws cw::UsageError for a pixel grid (no CRS) or a layer without a
// CRS, cw::Error when the file cannot be read or the mask written.
int writeShoreWaterMask(const ShoreSource& source, const GridSpec& grid,
                        const std::filesystem::path& path);

// Burns geometries (in the grid's CRS) into a tiled, compressed Byte GeoTIFF on `grid`: `inside`
// within them, `outside` elsewhere. GDALRasterizeGeometries works in chunks, so memory does not
// grow with the grid. The one mask writer of the AOI, water and shore masks.
void rasterizeMask(const GridSpec& grid, const std::filesystem::path& path,
                   const std::vector<OGRGeometryH>& geometries, int outside, int inside);

}  // namespace cw::tiles
