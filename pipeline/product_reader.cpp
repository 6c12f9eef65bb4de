#include "pipeline/product_reader.hpp"

#include <cpl_string.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "tiles/gdal_dataset.hpp"

namespace cw::pipeline {
namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::toupper);
  return s;
}

std::string xmlEscape(const std::string& s) {
  char* e = CPLEscapeString(s.c_str(), -1, CPLES_XML);
  std::string out(e);
  CPLFree(e);
  return out;
}

// One VRT band: a window of a source band scaled onto the whole VRT grid (nearest neighbour),
// optionally through a lookup table.
struct BandSource {
  std::string role;     // band description
  std::string dataset;  // GDAL dataset name
  int band = 1;
  int srcWidth = 0;
  int srcHeight = 0;
  std::string dataType;  // VRT dataType of the output band
  std::string lut;       // ComplexSource LUT ("in:out,..."), empty = copy the value
  std::optional<double> nodata;
};

// The VRT on the grid of `like` (its size, geotransform and CRS) holding `bands`.
std::string buildVrt(GDALDataset& like, const std::vector<BandSource>& bands) {
  const int width = like.GetRasterXSize(), height = like.GetRasterYSize();
  double gt[6];
  like.GetGeoTransform(gt);
  const char* wkt = like.GetProjectionRef();
  std::ostringstream x;
  x.precision(17);
  x << "<VRTDataset rasterXSize=\"" << width << "\" rasterYSize=\"" << height << "\">\n";
  x << "  <SRS>" << xmlEscape(wkt ? wkt : "") << "</SRS>\n  <GeoTransform>";
  for (int i = 0; i < 6; ++i) x << (i ? ", " : "") << gt[i];
  x << "</GeoTransform>\n";
  int index = 1;
  for (const auto& b : bands) {
    x << "  <VRTRasterBand dataType=\"" << b.dataType << "\" band=\"" << index++ << "\">\n";
    x << "    <Description>" << b.role << "</Description>\n";
    if (b.nodata) x << "    <NoDataValue>" << *b.nodata << "</NoDataValue>\n";
    const char* kind = b.lut.empty() ? "SimpleSource" : "ComplexSource";
    x << "    <" << kind << ">\n";
    x << "      <SourceFilename relativeToVRT=\"0\">" << xmlEscape(b.dataset)
      << "</SourceFilename>\n";
    x << "      <SourceBand>" << b.band << "</SourceBand>\n";
    x << "      <SrcRect xOff=\"0\" yOff=\"0\" xSize=\"" << b.srcWidth << "\" ySize=\""
      << b.srcHeight << "\"/>\n";
    x << "      <DstRect xOff=\"0\" yOff=\"0\" xSize=\"" << width << "\" ySize=\"" << height
      << "\"/>\n";
    if (!b.lut.empty()) x << "      <LUT>" << b.lut << "</LUT>\n";
    x << "    </" << kind << ">\n  </VRTRasterBand>\n";
  }
  x << "</VRTDataset>\n";
  return x.str();
}

// Writes the VRT into /vsimem/ and checks GDAL opens it.
std::string writeVrt(const std::string& id, GDALDataset& like,
                     const std::vector<BandSource>& bands) {
  const std::string xml = buildVrt(like, bands);
  const std::string path = "/vsimem/changewatch/products/" + id + ".vrt";
  VSILFILE* f = VSIFOpenL(path.c_str(), "wb");
  if (!f) throw Error("cannot write " + path);
  VSIFWriteL(xml.data(), 1, xml.size(), f);
  VSIFCloseL(f);
  tiles::openRaster(path);  // throws with GDAL's message if a source is unreadable
  return path;
}

std::string dataTypeName(GDALRasterBand* b) {
  return GDALGetDataTypeName(b->GetRasterDataType());
}

// The LUT that maps Sentinel-2 SCL classes to 1 = invalid, 0 = usable. SCL values are whole
// numbers 0..11, so the table's linear interpolation never applies between its points.
std::string sclLut() {
  std::string lut;
  for (int c = 0; c <= 11; ++c) {
    const bool invalid = c == 1 || c == 3 || c == 8 || c == 9 || c == 10;
    lut += (c ? "," : "") + std::to_string(c) + ":" + (invalid ? "1" : "0");
  }
  return lut;
}

// The LUT that maps Landsat QA_PIXEL to 1 where any of bits 1-4 is set. Those bits repeat with a
// period of 32, so four points per period describe it exactly over the whole UInt16 range.
std::string qaPixelLut() {
  std::string lut;
  for (int base = 0; base < 65536; base += 32) {
    lut += (base ? "," : "") + std::to_string(base) + ":0," + std::to_string(base + 1) + ":0," +
           std::to_string(base + 2) + ":1," + std::to_string(base + 31) + ":1";
  }
  return lut;
}

// --------------------------------------------------------------------------------------------
// Sentinel-2

fs::path sentinel2Root(const fs::path& path) {
  if (!fs::is_directory(path)) return path;  // MTD xml or zip: GDAL opens it as it is
  for (const auto& e : fs::directory_iterator(path)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && endsWith(name, ".xml") &&
        (name.rfind("MTD_MSIL", 0) == 0 || name.find("_MTD_SAF") != std::string::npos)) {
      return e.path();
    }
  }
  throw Error("is a .SAFE folder without an MTD_MSIL1C.xml or MTD_MSIL2A.xml");
}

std::string productName(const fs::path& path) {
  fs::path p = path;
  if (!fs::is_directory(p) && endsWith(p.filename().string(), ".xml")) p = p.parent_path();
  std::string name = p.filename().string();
  for (const char* ext : {".SAFE", ".zip", ".ZIP"}) {
    if (endsWith(name, ext)) name.resize(name.size() - std::string(ext).size());
  }
  return name;
}

// Band index by GDAL's BANDNAME metadata (B2, B8, SCL...), 0 if absent.
int bandByName(GDALDataset& ds, const std::string& name) {
  for (int b = 1; b <= ds.GetRasterCount(); ++b) {
    const char* n = ds.GetRasterBand(b)->GetMetadataItem("BANDNAME");
    if (n && name == n) return b;
  }
  return 0;
}

void addRealFiles(GDALDataset& ds, std::vector<fs::path>& files) {
  char** list = ds.GetFileList();
  for (int i = 0; list && list[i]; ++i) {
    const fs::path f(list[i]);
    if (fs::is_regular_file(f) && std::find(files.begin(), files.end(), f) == files.end()) {
      files.push_back(f);
    }
  }
  CSLDestroy(list);
}

Product openSentinel2(const fs::path& path) {
  const fs::path root = sentinel2Root(path);
  auto main = tiles::openRaster(root.string());
  if (std::string(main->GetDriver()->GetDescription()) != "SENTINEL2") {
    throw Error("is not a Sentinel-2 product GDAL's SENTINEL2 driver can read");
  }
  std::string sub10, sub20;
  char** subs = main->GetMetadata("SUBDATASETS");
  for (int i = 0; subs && subs[i]; ++i) {
    const std::string kv = subs[i];
    const auto eq = kv.find('=');
    if (eq == std::string::npos || kv.compare(eq - 5, 5, "_NAME") != 0) continue;
    const std::string name = kv.substr(eq + 1);
    if (sub10.empty() && name.find(":10m:") != std::string::npos) sub10 = name;
    if (sub20.empty() && name.find(":20m:") != std::string::npos) sub20 = name;
  }
  if (sub10.empty()) throw Error("has no 10 m subdataset (GDAL lists none)");

  Product p;
  p.id = productName(path);
  for (const char* key : {"DATATAKE_1_DATATAKE_SENSING_START", "PRODUCT_START_TIME"}) {
    if (const char* v = main->GetMetadataItem(key)) {
      if ((p.time = parseIsoTime(v))) break;
    }
  }

  auto ds10 = tiles::openRaster(sub10);
  std::vector<BandSource> bands;
  for (const auto& [role, name] : std::vector<std::pair<std::string, std::string>>{
           {"blue", "B2"}, {"green", "B3"}, {"red", "B4"}, {"nir", "B8"}}) {
    const int b = bandByName(*ds10, name);
    if (!b) throw Error("has no band " + name + " in its 10 m subdataset");
    bands.push_back({role, sub10, b, ds10->GetRasterXSize(), ds10->GetRasterYSize(),
                     dataTypeName(ds10->GetRasterBand(b)), "", 0.0});
  }
  addRealFiles(*ds10, p.files);
  if (!sub20.empty()) {
    auto ds20 = tiles::openRaster(sub20);
    if (const int scl = bandByName(*ds20, "SCL")) {
      bands.push_back({"cloud", sub20, scl, ds20->GetRasterXSize(), ds20->GetRasterYSize(), "Byte",
                       sclLut(), std::nullopt});
      // Only the SCL file is read from the 20 m subdataset.
      char** list = ds20->GetFileList();
      for (int i = 0; list && list[i]; ++i) {
        const fs::path f(list[i]);
        if (f.filename().string().find("_SCL_") != std::string::npos && fs::is_regular_file(f)) {
          p.files.push_back(f);
        }
      }
      CSLDestroy(list);
    }
  }
  if (fs::is_regular_file(path) && !endsWith(path.string(), ".xml")) p.files = {path};  // zip
  std::sort(p.files.begin(), p.files.end());

  p.dataset = writeVrt(p.id, *ds10, bands);
  return p;
}

// --------------------------------------------------------------------------------------------
// Landsat Collection 2

std::map<std::string, std::string> readMtl(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot be read");
  std::map<std::string, std::string> kv;
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto trim = [](std::string s) {
      const auto a = s.find_first_not_of(" \t\r\"");
      const auto b = s.find_last_not_of(" \t\r\"");
      return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
    };
    kv.emplace(trim(line.substr(0, eq)), trim(line.substr(eq + 1)));
  }
  if (!kv.count("DATE_ACQUIRED")) throw Error("is not a Landsat MTL file (no DATE_ACQUIRED)");
  return kv;
}

Product openLandsat(const fs::path& mtlPath) {
  const auto mtl = readMtl(mtlPath);
  auto get = [&](const std::string& k) {
    const auto it = mtl.find(k);
    return it == mtl.end() ? std::string() : it->second;
  };
  Product p;
  p.id = get("LANDSAT_PRODUCT_ID");
  if (p.id.empty()) {
    p.id = mtlPath.filename().string();
    if (endsWith(p.id, "_MTL.txt")) p.id.resize(p.id.size() - 8);
  }
  std::string when = get("DATE_ACQUIRED");
  const std::string clock = get("SCENE_CENTER_TIME");
  if (clock.size() >= 8) when += "T" + clock.substr(0, 8) + "Z";
  p.time = parseIsoTime(when);
  if (!p.time) throw Error("has an unreadable DATE_ACQUIRED/SCENE_CENTER_TIME '" + when + "'");

  // OLI (Landsat 8/9) numbers its bands one higher than TM/ETM+ (coastal aerosol is B1).
  const std::string craft = upper(get("SPACECRAFT_ID"));
  const bool oli = craft == "LANDSAT_8" || craft == "LANDSAT_9";
  const std::vector<std::pair<std::string, int>> roles =
      oli ? std::vector<std::pair<std::string, int>>{{"blue", 2}, {"green", 3}, {"red", 4},
                                                     {"nir", 5},  {"swir1", 6}, {"swir2", 7}}
          : std::vector<std::pair<std::string, int>>{{"blue", 1}, {"green", 2}, {"red", 3},
                                                     {"nir", 4},  {"swir1", 5}, {"swir2", 7}};
  const fs::path dir = mtlPath.parent_path();
  std::vector<BandSource> bands;
  tiles::GdalDataset first;
  auto addBand = [&](const std::string& role, const std::string& key, const std::string& type,
                     const std::string& lut, std::optional<double> nodata) {
    const std::string name = get(key);
    if (name.empty()) throw Error("names no " + key);
    const fs::path f = dir / name;
    if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos) {
      throw Error(key + " '" + name + "' is not a file name beside the MTL");
    }
    auto ds = tiles::openRaster(f.string());
    if (first && (ds->GetRasterXSize() != first->GetRasterXSize() ||
                  ds->GetRasterYSize() != first->GetRasterYSize())) {
      throw Error(name + " is " + std::to_string(ds->GetRasterXSize()) + "×" +
                  std::to_string(ds->GetRasterYSize()) + " pixels, unlike the other bands");
    }
    bands.push_back({role, f.string(), 1, ds->GetRasterXSize(), ds->GetRasterYSize(),
                     type.empty() ? dataTypeName(ds->GetRasterBand(1)) : type, lut, nodata});
    p.files.push_back(f);
    if (!first) first = std::move(ds);
  };
  for (const auto& [role, n] : roles) {
    // TM/ETM+ products without a band (e.g. ETM+ thermal-only gaps) simply lack the role.
    if (!get("FILE_NAME_BAND_" + std::to_string(n)).empty()) {
      addBand(role, "FILE_NAME_BAND_" + std::to_string(n), "", "", 0.0);
    }
  }
  if (bands.size() < 4)
    throw Error("names fewer than four of the blue, green, red and nir band files");
  if (!get("FILE_NAME_QUALITY_L1_PIXEL").empty()) {
    addBand("cloud", "FILE_NAME_QUALITY_L1_PIXEL", "Byte", qaPixelLut(), std::nullopt);
  }
  p.files.push_back(mtlPath);
  std::sort(p.files.begin(), p.files.end());

  p.dataset = writeVrt(p.id, *first, bands);
  return p;
}

}  // namespace

ProductKind productKind(const fs::path& path) {
  const std::string name = path.filename().string();
  const std::string up = upper(name);
  if (endsWith(up, ".SAFE") && fs::is_directory(path)) return ProductKind::Sentinel2;
  if (name.rfind("MTD_MSIL", 0) == 0 && endsWith(up, ".XML")) return ProductKind::Sentinel2;
  if (up.rfind("S2", 0) == 0 && up.find("_MSIL") != std::string::npos && endsWith(up, ".ZIP")) {
    return ProductKind::Sentinel2;
  }
  if (endsWith(up, "_MTL.TXT")) return ProductKind::Landsat;
  return ProductKind::None;
}

Product openProduct(const fs::path& path, ProductKind kind) {
  switch (kind) {
    case ProductKind::Sentinel2:
      return openSentinel2(path);
    case ProductKind::Landsat:
      return openLandsat(path);
    case ProductKind::None:
      break;
  }
  throw Error("is not a Sentinel-2 SAFE or Landsat Collection 2 product");
}

}  // namespace cw::pipeline
