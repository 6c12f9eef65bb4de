#pragma once
// What a raster band holds, read from the band itself: its description ("red", "nir", "vv",
// "cloud", Sentinel-2 names such as "B04"), its GDAL colour interpretation, or — for a VRT that
// stacks one file per band (gdalbuildvrt -separate B02.tif B03.tif ...) — the name of the file
// behind it (GDAL's LocationInfo). Sentinel-2: B02 blue, B03 green, B04 red, B08/B8A nir.
#include <string>

class GDALRasterBand;

namespace cw::tiles {

// "blue", "green", "red", "nir", "vv", "vh", "cloud", "alpha", or "" when the band does not say.
std::string bandRoleName(GDALRasterBand& band);

// The role named by a text such as a description or a file stem ("B04", "T10UDV_..._B08_10m",
// "Red", "NIR"); "" when none.
std::string roleFromText(std::string text);

}  // namespace cw::tiles
