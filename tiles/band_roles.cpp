#include "tiles/band_roles.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <gdal_priv.h>
#include <regex>

namespace cw::tiles {

std::string roleFromText(std::string t) {
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* r : {"blue", "green", "red", "nir", "vv", "vh", "cloud", "alpha"}) {
    if (t == r) return r;
  }
  if (t == "scl" || t == "qa_pixel") return "cloud";
  // Sentinel-2 band names, alone or inside a product file name (..._B04_10m, B8A).
  static const std::regex s2("(^|[^a-z0-9])b(0?2|0?3|0?4|0?8|8a)($|[^a-z0-9])");
  std::smatch m;
  if (std::regex_search(t, m, s2)) {
    const std::string b = m[2].str();
    if (b == "2" || b == "02") return "blue";
    if (b == "3" || b == "03") return "green";
    if (b == "4" || b == "04") return "red";
    return "nir";
  }
  return "";
}

namespace {

// The file behind pixel (0, 0) of a VRT band, from GDAL's LocationInfo metadata; "" otherwise.
std::string sourceFileStem(GDALRasterBand& band) {
  const char* info = band.GetMetadataItem("Pixel_0_0", "LocationInfo");
  if (!info) return "";
  static const std::regex file("<File>([^<]*)</File>");
  std::cmatch m;
  if (!std::regex_search(info, m, file)) return "";
  return std::filesystem::path(m[1].str()).stem().string();
}

}  // namespace

std::string bandRoleName(GDALRasterBand& band) {
  if (std::string r = roleFromText(band.GetDescription()); !r.empty()) return r;
  switch (band.GetColorInterpretation()) {
    case GCI_AlphaBand:
      return "alpha";
    case GCI_RedBand:
      return "red";
    case GCI_GreenBand:
      return "green";
    case GCI_BlueBand:
      return "blue";
    default:
      break;
  }
  if (band.GetDataset() && band.GetDataset()->GetDriver() &&
      std::string(band.GetDataset()->GetDriver()->GetDescription()) == "VRT") {
    return roleFromText(sourceFileStem(band));
  }
  return "";
}

}  // namespace cw::tiles
