#pragma once
// What a raster band holds, read from the band itself: its description ("red", "nir", "vv",
// "cloud", Sentinel-2 names such as "B04"), its GDAL colour interpretation, or — for a VRT that
// stacks one file per band (gdalbuildvrt -separate B02.tif B03.tif ...) — the name of the file
// behind it (GDAL's LocationInfo). Sentinel-2: B02 blue, B03 green, B04 red, B08/B8A nir.
#include <map>
#include <string>
#include <vector>

class GDALDataset;
class GDALRasterBand;

namespace cw::tiles {

// The role named by a text such as a description or a file stem ("B04", "T10UDV_..._B08_10m",
// "Red", "NIR"); "" when none.
std::string roleFromText(std::string text);

// What a raster says about its bands: the one band-role resolver of the catalog and of the
// `change` and `count` commands. Per band, in order: a colour interpretation of alpha makes an
// alpha band (a mask, never spectral); a role named by its description (or, in a VRT stack, its
// file) makes a spectral role or the cloud band. When no band names a role, a red, green and blue
// colour interpretation together (a true-colour export) give those three roles; a lone "red" does
// not. Config bands and sensor profiles are applied on top of this by the catalog.
struct BandLayout {
  std::map<std::string, int> roles;  // spectral role -> 1-based band
  int cloudBand = 0;                 // 0 = none
  std::vector<int> alphaBands;
  int spectralCount = 0;  // bands that are not alpha bands (the cloud band included)
  // The role name of band `b`, or "" (unnamed, cloud or alpha).
  std::string roleOf(int b) const;
};

BandLayout readBandLayout(GDALDataset& ds);

}  // namespace cw::tiles
