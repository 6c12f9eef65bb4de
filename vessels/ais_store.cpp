#include "vessels/ais_store.hpp"

#include <algorithm>
#include <ctime>
#include <memory>

#include <ogrsf_frmts.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/iso_time.hpp"
#include "tiles/ogr_vector.hpp"
#include "vessels/ais_format.hpp"

namespace cw::vessels {
namespace {

using DatasetPtr = std::unique_ptr<GDALDataset, void (*)(GDALDataset*)>;
void closeDataset(GDALDataset* ds) {
  GDALClose(ds);
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw Error(path.string() + ": " + what + ": " + CPLGetLastErrorMsg());
}

void setTime(OGRFeature& f, const char* field, std::int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  f.SetField(field, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
             static_cast<float>(tm.tm_sec), 100);
}

std::int64_t getTime(OGRFeature& f, int index) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, tz = 0;
  float s = 0;
  f.GetFieldAsDateTime(index, &y, &mo, &d, &h, &mi, &s, &tz);
  // tz 100 = UTC, 1 = local (unknown): the store writes UTC only.
  return utcSeconds(y, mo, d, h, mi, static_cast<int>(s + 0.5f));
}

void setOptional(OGRFeature& f, const char* field, float v) {
  if (known(v)) {
    f.SetField(field, static_cast<double>(v));
  } else {
    f.SetFieldNull(f.GetFieldIndex(field));
  }
}

float getOptional(OGRFeature& f, int index) {
  return f.IsFieldSetAndNotNull(index) ? static_cast<float>(f.GetFieldAsDouble(index)) : kUnknown;
}

OGRLayer* createLayer(GDALDataset& ds, const std::filesystem::path& path, const char* name,
                      OGRwkbGeometryType type, const OGRSpatialReference* srs,
                      std::initializer_list<std::pair<const char*, OGRFieldType>> fields) {
  char** options = CSLSetNameValue(nullptr, "SPATIAL_INDEX", "YES");
  // CreateLayer clones the SRS (GDAL 3.6 takes it non-const but does not keep or free it).
  OGRLayer* layer = ds.CreateLayer(name, const_cast<OGRSpatialReference*>(srs), type, options);
  CSLDestroy(options);
  if (!layer) fail(path, std::string("cannot create layer ") + name);
  for (const auto& [fieldName, fieldType] : fields) {
    OGRFieldDefn def(fieldName, fieldType);
    if (std::string(fieldName) == "position_jump") def.SetSubType(OFSTBoolean);
    if (layer->CreateField(&def) != OGRERR_NONE)
      fail(path, std::string("cannot create field ") + fieldName);
  }
  return layer;
}

void add(OGRLayer* layer, OGRFeature& f, const std::filesystem::path& path) {
  if (layer->CreateFeature(&f) != OGRERR_NONE) fail(path, "cannot write a feature");
}

void writeFixes(GDALDataset& ds, const std::filesystem::path& path,
                const OGRSpatialReference& wgs84, const AoiFixes& aoi) {
  OGRLayer* layer = createLayer(ds, path, "ais_fixes", wkbPoint, &wgs84,
                                {{"mmsi", OFTInteger64},
                                 {"time", OFTDateTime},
                                 {"sog_kn", OFTReal},
                                 {"cog_deg", OFTReal},
                                 {"heading_deg", OFTReal},
                                 {"position_jump", OFTInteger}});
  OGRFeature f(layer->GetLayerDefn());
  for (const auto& fix : aoi.fixes) {
    f.SetFID(OGRNullFID);
    f.SetField("mmsi", static_cast<GIntBig>(fix.mmsi));
    setTime(f, "time", fix.timeS);
    setOptional(f, "sog_kn", fix.sogKn);
    setOptional(f, "cog_deg", fix.cogDeg);
    setOptional(f, "heading_deg", fix.headingDeg);
    f.SetField("position_jump", fix.positionJump ? 1 : 0);
    OGRPoint p(fix.lon, fix.lat);
    f.SetGeometry(&p);
    add(layer, f, path);
  }
}

void writeTracks(GDALDataset& ds, const std::filesystem::path& path,
                 const OGRSpatialReference& wgs84, const AoiFixes& aoi) {
  OGRLayer* layer = createLayer(ds, path, "ais_tracks", wkbLineString, &wgs84,
                                {{"mmsi", OFTInteger64},
                                 {"start", OFTDateTime},
                                 {"end", OFTDateTime},
                                 {"fixes", OFTInteger}});
  const auto& fx = aoi.fixes;
  for (size_t i = 0; i < fx.size();) {
    size_t j = i;
    OGRLineString line;
    std::int64_t first = 0, last = 0;
    for (; j < fx.size() && fx[j].mmsi == fx[i].mmsi; ++j) {
      if (fx[j].positionJump) continue;
      if (line.getNumPoints() == 0) first = fx[j].timeS;
      last = fx[j].timeS;
      line.addPoint(fx[j].lon, fx[j].lat);
    }
    if (line.getNumPoints() >= 2) {
      OGRFeature f(layer->GetLayerDefn());
      f.SetField("mmsi", static_cast<GIntBig>(fx[i].mmsi));
      setTime(f, "start", first);
      setTime(f, "end", last);
      f.SetField("fixes", line.getNumPoints());
      f.SetGeometry(&line);
      add(layer, f, path);
    }
    i = j;
  }
}

void writeVessels(GDALDataset& ds, const std::filesystem::path& path, const AoiFixes& aoi) {
  OGRLayer* layer = createLayer(ds, path, "ais_vessels", wkbNone, nullptr,
                                {{"mmsi", OFTInteger64},
                                 {"imo", OFTString},
                                 {"name", OFTString},
                                 {"call_sign", OFTString},
                                 {"ship_type", OFTString},
                                 {"class", OFTString},
                                 {"length_m", OFTReal},
                                 {"width_m", OFTReal}});
  for (const auto& [mmsi, v] : aoi.vessels) {
    OGRFeature f(layer->GetLayerDefn());
    f.SetField("mmsi", static_cast<GIntBig>(mmsi));
    f.SetField("imo", v.imo.c_str());
    f.SetField("name", v.name.c_str());
    f.SetField("call_sign", v.callSign.c_str());
    f.SetField("ship_type", v.shipType.c_str());
    f.SetField("class", v.transceiverClass.c_str());
    setOptional(f, "length_m", v.lengthM);
    setOptional(f, "width_m", v.widthM);
    add(layer, f, path);
  }
}

// GeoPackage stamps gpkg_contents.last_change with the wall clock unless OGR_CURRENT_DATE is set.
// The latest fix time keeps the store byte-identical across runs of the same inputs.
std::string storeDate(const AoiFixes& aoi) {
  std::int64_t latest = 0;
  for (const auto& fix : aoi.fixes) latest = std::max(latest, fix.timeS);
  std::string iso = cw::formatIsoTime(latest);  // YYYY-MM-DDTHH:MM:SSZ
  return iso.substr(0, iso.size() - 1) + ".000Z";
}

}  // namespace

void writeAisGeoPackage(const std::filesystem::path& path, const AoiFixes& aoi) {
  GDALAllRegister();
  auto* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
  if (!driver) throw Error(path.string() + ": GDAL has no GPKG driver");
  std::filesystem::create_directories(path.parent_path());
  const CPLConfigOptionSetter stamp("OGR_CURRENT_DATE", storeDate(aoi).c_str(), false);
  cw::produceFileAtomic(path, [&](const std::filesystem::path& tmp) {
    DatasetPtr ds(driver->Create(tmp.string().c_str(), 0, 0, 0, GDT_Unknown, nullptr),
                  closeDataset);
    if (!ds) fail(path, "cannot create GeoPackage");
    const OGRSpatialReference wgs84 = tiles::wgs84Srs();
    if (ds->StartTransaction() != OGRERR_NONE) fail(path, "cannot start a transaction");
    writeFixes(*ds, path, wgs84, aoi);
    writeTracks(*ds, path, wgs84, aoi);
    writeVessels(*ds, path, aoi);
    if (ds->CommitTransaction() != OGRERR_NONE) fail(path, "cannot commit");
    CPLErrorReset();
    ds.reset();  // closing flushes the file before it is renamed
    if (CPLGetLastErrorType() >= CE_Failure) fail(path, "cannot close GeoPackage");
  });
}

AoiFixes readAisGeoPackage(const std::filesystem::path& path) {
  GDALAllRegister();
  DatasetPtr ds(
      static_cast<GDALDataset*>(GDALOpenEx(path.string().c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                           nullptr, nullptr, nullptr)),
      closeDataset);
  if (!ds) fail(path, "cannot open AIS GeoPackage");
  OGRLayer* fixes = ds->GetLayerByName("ais_fixes");
  OGRLayer* vessels = ds->GetLayerByName("ais_vessels");
  if (!fixes || !vessels)
    throw Error(path.string() + ": not an AIS store (no ais_fixes or ais_vessels layer)");
  AoiFixes out;
  const auto* defn = fixes->GetLayerDefn();
  const int iMmsi = defn->GetFieldIndex("mmsi"), iTime = defn->GetFieldIndex("time"),
            iSog = defn->GetFieldIndex("sog_kn"), iCog = defn->GetFieldIndex("cog_deg"),
            iHdg = defn->GetFieldIndex("heading_deg"), iJump = defn->GetFieldIndex("position_jump");
  for (auto& f : *fixes) {
    const auto* p = f->GetGeometryRef();
    if (!p || wkbFlatten(p->getGeometryType()) != wkbPoint) continue;
    AisFix fix;
    fix.mmsi = static_cast<std::uint32_t>(f->GetFieldAsInteger64(iMmsi));
    fix.timeS = getTime(*f, iTime);
    fix.lon = p->toPoint()->getX();
    fix.lat = p->toPoint()->getY();
    fix.sogKn = getOptional(*f, iSog);
    fix.cogDeg = getOptional(*f, iCog);
    fix.headingDeg = getOptional(*f, iHdg);
    fix.positionJump = f->GetFieldAsInteger(iJump) != 0;
    out.fixes.push_back(fix);
  }
  std::stable_sort(out.fixes.begin(), out.fixes.end(), [](const AisFix& a, const AisFix& b) {
    return a.mmsi != b.mmsi ? a.mmsi < b.mmsi : a.timeS < b.timeS;
  });
  for (auto& f : *vessels) {
    VesselStatic v;
    v.mmsi = static_cast<std::uint32_t>(f->GetFieldAsInteger64("mmsi"));
    v.imo = f->GetFieldAsString("imo");
    v.name = f->GetFieldAsString("name");
    v.callSign = f->GetFieldAsString("call_sign");
    v.shipType = f->GetFieldAsString("ship_type");
    v.transceiverClass = f->GetFieldAsString("class");
    v.lengthM = getOptional(*f, f->GetFieldIndex("length_m"));
    v.widthM = getOptional(*f, f->GetFieldIndex("width_m"));
    out.vessels[v.mmsi] = v;
  }
  return out;
}

}  // namespace cw::vessels
