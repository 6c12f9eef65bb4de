#include "pipeline/config.hpp"

#include <ogrsf_frmts.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/name_suggestion.hpp"
#include "imaging/registry.hpp"
#include "tiles/gdal_dataset.hpp"

namespace cw::pipeline {
namespace {

constexpr std::uintmax_t kMaxConfigBytes = 4 * 1024 * 1024;
constexpr int kMaxNestingDepth = 64;

// ---------------------------------------------------------------------------------------------
// Problems and key checks

std::string suggestion(const std::string& key, const std::vector<std::string>& known) {
  const std::string best = closestName(key, known);
  if (!best.empty()) return " (did you mean '" + best + "'?)";
  return " (known keys: " + joinNames(known) + ")";
}

class Problems {
 public:
  explicit Problems(std::string file) : m_file(std::move(file)) {}

  void add(const YAML::Node& at, const std::string& path, const std::string& message) {
    std::ostringstream os;
    os << m_file;
    if (at.IsDefined() && at.Mark().line >= 0) {
      os << ':' << at.Mark().line + 1 << ':' << at.Mark().column + 1;
    }
    os << ": " << (path.empty() ? "" : path + ": ") << message;
    m_list.push_back(os.str());
  }
  void addPlain(const std::string& path, const std::string& message) {
    m_list.push_back(m_file + ": " + (path.empty() ? "" : path + ": ") + message);
  }
  bool empty() const { return m_list.empty(); }
  [[noreturn]] void raise() const {
    std::string all;
    for (size_t i = 0; i < m_list.size(); ++i) all += (i ? "\n" : "") + m_list[i];
    if (m_list.size() > 1) all += "\n(" + std::to_string(m_list.size()) + " problems)";
    throw UsageError(all);
  }

 private:
  std::string m_file;
  std::vector<std::string> m_list;
};

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}
std::string indexed(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// Reads one YAML mapping: every key must be declared; typed getters record problems.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, Problems& problems,
            std::vector<std::string> known)
      : m_node(node), m_path(std::move(path)), m_problems(problems), m_known(std::move(known)) {
    if (!node.IsMap()) {
      m_problems.add(node, m_path, "expected a mapping of keys");
      m_ok = false;
      return;
    }
    for (const auto& kv : node) {
      const auto key = kv.first.as<std::string>();
      if (std::find(m_known.begin(), m_known.end(), key) == m_known.end()) {
        m_problems.add(kv.first, m_path, "unknown key '" + key + "'" + suggestion(key, m_known));
      }
    }
  }

  bool ok() const { return m_ok; }
  bool has(const std::string& key) const {
    return m_ok && m_node[key].IsDefined() && !m_node[key].IsNull();
  }
  YAML::Node node(const std::string& key) const { return m_ok ? m_node[key] : YAML::Node(); }
  std::string path(const std::string& key) const { return join(m_path, key); }
  const YAML::Node& self() const { return m_node; }

  void getString(const std::string& key, std::string& out) const {
    if (!has(key)) return;
    const auto n = m_node[key];
    if (!n.IsScalar()) {
      m_problems.add(n, path(key), "expected a text value");
      return;
    }
    out = n.Scalar();
  }

  template <typename T>
  void getNumber(const std::string& key, T& out, double minV, double maxV) const {
    if (!has(key)) return;
    const auto n = m_node[key];
    double v = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !std::isfinite(v)) {
      m_problems.add(n, path(key), "expected a number, got '" + scalarText(n) + "'");
      return;
    }
    if (std::is_integral_v<T> && std::floor(v) != v) {
      m_problems.add(n, path(key), "expected a whole number, got '" + n.Scalar() + "'");
      return;
    }
    if (v < minV || v > maxV) {
      std::ostringstream os;
      os << "value " << n.Scalar() << " is out of range [" << minV << ", " << maxV << "]";
      m_problems.add(n, path(key), os.str());
      return;
    }
    out = static_cast<T>(v);
  }

  void getChoice(const std::string& key, std::string& out,
                 const std::vector<std::string>& choices) const {
    if (!has(key)) return;
    std::string v;
    getString(key, v);
    if (v.empty()) return;
    if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
      std::string all;
      for (const auto& c : choices) all += (all.empty() ? "" : ", ") + c;
      m_problems.add(m_node[key], path(key), "'" + v + "' is not one of: " + all);
      return;
    }
    out = v;
  }

  void getTime(const std::string& key, TimePoint& out, bool required) const {
    if (!has(key)) {
      if (required) m_problems.add(m_node, m_path, "missing required key '" + key + "'");
      return;
    }
    const auto n = m_node[key];
    const auto t = n.IsScalar() ? parseIsoTime(n.Scalar()) : std::nullopt;
    if (!t) {
      m_problems.add(n, path(key),
                     "expected an ISO 8601 date like 2025-03-01 or 2025-03-01T10:00:00Z, got '" +
                         scalarText(n) + "'");
      return;
    }
    out = *t;
  }

  static std::string scalarText(const YAML::Node& n) {
    if (n.IsScalar()) return n.Scalar();
    if (n.IsSequence()) return "a list";
    if (n.IsMap()) return "a mapping";
    return "nothing";
  }

 private:
  YAML::Node m_node;
  std::string m_path;
  Problems& m_problems;
  std::vector<std::string> m_known;
  bool m_ok = true;
};

fs::path resolvePath(const fs::path& base, const std::string& p) {
  fs::path path(p);
  if (path.is_relative()) path = base / path;
  return path.lexically_normal();
}

// ---------------------------------------------------------------------------------------------
// Pre-parse guards for hostile files: size, encoding, nesting depth and aliases are checked before
// yaml-cpp sees the text (its recursive parser would overflow the stack on deep nesting).

// The file's text; refuses a missing file, a folder, an unreadable file or one above
// kMaxConfigBytes.
std::string readBounded(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) throw UsageError(file.string() + ": no such file");
  if (fs::is_directory(file, ec)) throw UsageError(file.string() + ": is a folder, not a file");
  const auto size = fs::file_size(file, ec);
  if (ec) throw UsageError(file.string() + ": cannot read: " + ec.message());
  if (size > kMaxConfigBytes) {
    throw UsageError(file.string() + ": config is " + std::to_string(size / (1024 * 1024)) +
                     " MB; the limit is " + std::to_string(kMaxConfigBytes / (1024 * 1024)) +
                     " MB");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageError(file.string() + ": cannot open for reading");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// UTF-8 validation, reporting the line of the first bad byte.
void checkUtf8(const fs::path& file, const std::string& text) {
  int line = 1;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') ++line;
    size_t extra = 0;
    if (c < 0x80) {
      extra = 0;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      extra = 1;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      extra = 3;
    } else {
      throw UsageError(file.string() + ":" + std::to_string(line) + ": not valid UTF-8 (byte 0x" +
                       [&] {
                         std::ostringstream os;
                         os << std::hex << static_cast<int>(c);
                         return os.str();
                       }() +
                       ")");
    }
    for (size_t k = 1; k <= extra; ++k) {
      if (i + k >= text.size() || (static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
        throw UsageError(file.string() + ":" + std::to_string(line) + ": not valid UTF-8");
      }
    }
    i += extra + 1;
  }
}

// Nesting: flow brackets and block indentation at most kMaxNestingDepth levels; and at most 100
// aliases.
void checkNestingAndAliases(const fs::path& file, const std::string& text) {
  int depth = 0;
  int line = 1;
  bool lineStart = true;
  int indent = 0;
  bool inQuote = false;
  char quote = 0;
  char prev = 0;
  size_t aliases = 0;
  for (char ch : text) {
    if (ch == '\n') {
      ++line;
      lineStart = true;
      indent = 0;
      if (inQuote && quote == '\n') inQuote = false;  // a comment ends here
      prev = ch;
      continue;
    }
    if (lineStart) {
      if (ch == ' ' || ch == '-') {
        ++indent;
        if (indent / 2 > kMaxNestingDepth) {
          throw UsageError(file.string() + ":" + std::to_string(line) + ": nesting deeper than " +
                           std::to_string(kMaxNestingDepth) + " levels");
        }
        prev = ch;
        continue;
      }
      lineStart = false;
    }
    if (inQuote) {
      if (ch == quote) inQuote = false;
      prev = ch;
      continue;
    }
    if (ch == '"' || ch == '\'') {
      inQuote = true;
      quote = ch;
    } else if (ch == '#') {
      // Comments end at the newline; skip the nesting count until then.
      inQuote = true;
      quote = '\n';
    } else if (ch == '[' || ch == '{') {
      if (++depth > kMaxNestingDepth) {
        throw UsageError(file.string() + ":" + std::to_string(line) + ": nesting deeper than " +
                         std::to_string(kMaxNestingDepth) + " levels");
      }
    } else if (ch == ']' || ch == '}') {
      depth = std::max(0, depth - 1);
    } else if (ch == '*' &&
               (prev == ' ' || prev == '[' || prev == ',' || prev == '\n' || prev == 0)) {
      ++aliases;
    }
    prev = ch;
  }
  // Aliases are legitimate YAML, but a config has no use for them and they are the vehicle of
  // "billion laughs" expansion: refuse many.
  if (aliases > 100) {
    throw UsageError(file.string() + ": " + std::to_string(aliases) +
                     " YAML aliases; a config may use at most 100");
  }
}

// The config's text, once it passed the guards: size, UTF-8, nesting and aliases.
std::string readGuarded(const fs::path& file) {
  std::string text = readBounded(file);
  checkUtf8(file, text);
  checkNestingAndAliases(file, text);
  return text;
}

// ---------------------------------------------------------------------------------------------
// Geometry

bool readLonLat(const YAML::Node& n, const std::string& path, Problems& problems, LonLat& out) {
  double lon = 0, lat = 0;
  if (!n.IsSequence() || n.size() != 2 || !YAML::convert<double>::decode(n[0], lon) ||
      !YAML::convert<double>::decode(n[1], lat)) {
    problems.add(n, path, "expected a [lon, lat] pair of numbers");
    return false;
  }
  if (!std::isfinite(lon) || lon < -180 || lon > 180) {
    problems.add(n, path, "longitude " + n[0].Scalar() + " is out of range [-180, 180]");
    return false;
  }
  if (!std::isfinite(lat) || lat < -90 || lat > 90) {
    problems.add(n, path, "latitude " + n[1].Scalar() + " is out of range [-90, 90]");
    return false;
  }
  out = {lon, lat};
  return true;
}

bool readRing(const YAML::Node& n, const std::string& path, Problems& problems,
              std::vector<LonLat>& ring) {
  if (!n.IsSequence() || n.size() < 3) {
    problems.add(n, path, "expected a list of at least 3 [lon, lat] points");
    return false;
  }
  ring.clear();
  bool ok = true;
  for (size_t i = 0; i < n.size(); ++i) {
    LonLat p;
    if (readLonLat(n[i], indexed(path, i), problems, p)) {
      ring.push_back(p);
    } else {
      ok = false;
    }
  }
  if (!ok) return false;
  if (ring.front().lon != ring.back().lon || ring.front().lat != ring.back().lat) {
    ring.push_back(ring.front());
  }
  return true;
}

// Validates a WGS84 ring through OGR: non-zero area and simple (not self-intersecting).
bool checkRing(const std::vector<LonLat>& ring, const YAML::Node& at, const std::string& path,
               Problems& problems) {
  OGRLinearRing r;
  for (const auto& p : ring) r.addPoint(p.lon, p.lat);
  OGRPolygon poly;
  poly.addRing(&r);
  if (!poly.IsValid() || poly.get_Area() <= 0.0) {
    problems.add(at, path, "the polygon is not valid (self-intersecting or of zero area)");
    return false;
  }
  return true;
}

bool readGeoJsonRing(const fs::path& file, const YAML::Node& at, const std::string& path,
                     Problems& problems, std::vector<LonLat>& ring) {
  try {
    auto ds = tiles::openVector(file.string());
    OGRLayer* layer = ds->GetLayerCount() > 0 ? ds->GetLayer(0) : nullptr;
    if (!layer) throw Error(file.string() + ": has no layer");
    layer->ResetReading();
    std::unique_ptr<OGRFeature> feature(layer->GetNextFeature());
    if (!feature || !feature->GetGeometryRef()) throw Error(file.string() + ": has no feature");
    const OGRGeometry* g = feature->GetGeometryRef();
    const OGRPolygon* poly = nullptr;
    if (wkbFlatten(g->getGeometryType()) == wkbPolygon) {
      poly = g->toPolygon();
    } else if (wkbFlatten(g->getGeometryType()) == wkbMultiPolygon &&
               g->toMultiPolygon()->getNumGeometries() > 0) {
      poly = g->toMultiPolygon()->getGeometryRef(0);
    }
    if (!poly || !poly->getExteriorRing()) {
      throw Error(file.string() + ": the first feature is not a polygon");
    }
    const OGRLinearRing* r = poly->getExteriorRing();
    ring.clear();
    for (int i = 0; i < r->getNumPoints(); ++i) ring.push_back({r->getX(i), r->getY(i)});
    return true;
  } catch (const Error& e) {
    problems.add(at, path, e.what());
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Options of registered units

void readOptions(const YAML::Node& n, const std::string& path, Problems& problems,
                 const std::vector<imaging::OptionSpec>& specs, imaging::Params& out) {
  out = imaging::Params(specs);
  if (!n.IsDefined() || n.IsNull()) return;
  if (!n.IsMap()) {
    problems.add(n, path, "expected a mapping of option: value");
    return;
  }
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>();
    const imaging::OptionSpec* spec = imaging::findOption(specs, key);
    if (!spec) {
      problems.add(kv.first, path, imaging::unknownOptionMessage(specs, key));
      continue;
    }
    const auto& v = kv.second;
    if (!v.IsScalar()) {
      problems.add(v, join(path, key), "expected a single value");
      continue;
    }
    if (auto err = imaging::setOptionFromText(out, *spec, v.Scalar()))
      problems.add(v, join(path, key), *err);
  }
}

// ---------------------------------------------------------------------------------------------
// Sections

// scenes[i].bands: one file per band role, stacked into one scene. Alone, the paths resolve
// against the config and name one scene; with 'folder', they are names inside each subfolder.
void readBandFiles(const MapReader& r, const fs::path& base, Problems& problems, SceneSource& s) {
  std::vector<std::string> roles = imaging::spectralRoleNames();
  roles.push_back("cloud");
  MapReader br(r.node("bands"), r.path("bands"), problems, roles);
  if (!br.ok()) return;
  for (const auto& role : roles) {
    if (!br.has(role)) continue;
    std::string f;
    br.getString(role, f);
    if (f.empty()) continue;
    const fs::path path = r.has("folder") ? fs::path(f) : resolvePath(base, f);
    if (!r.has("folder") && !fs::exists(path)) {
      problems.add(br.node(role), br.path(role), "no such file: " + path.string());
    }
    s.bandFiles.emplace_back(role, path);
  }
  if (s.bandFiles.empty()) {
    problems.add(r.node("bands"), r.path("bands"), "expected at least one role: file entry");
  } else if (s.bandFiles.size() == 1 && s.bandFiles.front().first == "cloud") {
    problems.add(r.node("bands"), r.path("bands"), "a cloud band alone is not a scene");
  }
}

void readScenes(const YAML::Node& n, const std::string& path, const fs::path& base,
                Problems& problems, Config& c) {
  if (!n.IsSequence() || n.size() == 0) {
    problems.add(n, path, "expected a non-empty list of scene sources (folder, files or stac)");
    return;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string p = indexed(path, i);
    MapReader r(n[i], p, problems,
                {"folder", "glob", "files", "stac", "bands", "id", "time_pattern", "time"});
    if (!r.ok()) continue;
    SceneSource s;
    const int kinds = r.has("folder") + r.has("files") + r.has("stac");
    if (r.has("bands") && (r.has("files") || r.has("stac"))) {
      problems.add(r.node("bands"), r.path("bands"),
                   "'bands' (one file per band) goes alone (one scene) or with 'folder' (one "
                   "scene per subfolder), not with 'files' or 'stac'");
      continue;
    }
    if (kinds != 1 && !(kinds == 0 && r.has("bands"))) {
      problems.add(n[i], p, "give exactly one of 'folder', 'files', 'stac' or 'bands'");
      continue;
    }
    if (r.has("bands")) readBandFiles(r, base, problems, s);
    if (r.has("id")) {
      r.getString("id", s.id);
      if (!isSafeId(s.id)) {
        problems.add(r.node("id"), r.path("id"),
                     "'" + s.id + "' is not a safe id: use 1-64 letters, digits, '_' or '-'");
      }
    }
    if (r.has("time")) {
      TimePoint t = 0;
      r.getTime("time", t, true);
      s.time = t;
    }
    r.getString("time_pattern", s.timePattern);
    if (!s.timePattern.empty()) {
      try {
        std::regex re(s.timePattern);
        if (re.mark_count() < 1) {
          problems.add(r.node("time_pattern"), r.path("time_pattern"),
                       "the pattern needs one capture group holding the date");
        }
      } catch (const std::regex_error& e) {
        problems.add(r.node("time_pattern"), r.path("time_pattern"),
                     std::string("not a valid regular expression: ") + e.what());
      }
    }
    if (r.has("folder")) {
      s.kind = SceneSource::Kind::Folder;
      std::string folder;
      r.getString("folder", folder);
      s.folder = resolvePath(base, folder);
      r.getString("glob", s.glob);
      if (!fs::is_directory(s.folder)) {
        problems.add(r.node("folder"), r.path("folder"), "no such folder: " + s.folder.string());
      }
    } else if (r.has("bands")) {
      s.kind = SceneSource::Kind::Files;
    } else if (r.has("files")) {
      s.kind = SceneSource::Kind::Files;
      const auto files = r.node("files");
      if (!files.IsSequence() || files.size() == 0) {
        problems.add(files, r.path("files"), "expected a non-empty list of file paths");
        continue;
      }
      for (size_t k = 0; k < files.size(); ++k) {
        if (!files[k].IsScalar()) {
          problems.add(files[k], indexed(r.path("files"), k), "expected a file path");
          continue;
        }
        const auto f = resolvePath(base, files[k].Scalar());
        if (!fs::exists(f)) {
          problems.add(files[k], indexed(r.path("files"), k), "no such file: " + f.string());
        }
        s.files.push_back(f);
      }
    } else {
      s.kind = SceneSource::Kind::Stac;
      std::string stac;
      r.getString("stac", stac);
      s.stac = resolvePath(base, stac);
      if (!fs::is_regular_file(s.stac)) {
        problems.add(r.node("stac"), r.path("stac"), "no such file: " + s.stac.string());
      }
    }
    c.scenes.push_back(std::move(s));
  }
}

// `shore: {land: FILE | water: FILE, layer: NAME, buffer_m: M}`: land or water polygons in any
// OGR format, checked here (opens, has a CRS and polygons) so `validate` catches a bad file.
std::optional<tiles::ShoreSource> readShore(const YAML::Node& n, const std::string& p,
                                            const fs::path& base, Problems& problems) {
  MapReader r(n, p, problems, {"land", "water", "layer", "buffer_m"});
  if (!r.ok()) return std::nullopt;
  if (r.has("land") == r.has("water")) {
    problems.add(n, p, "give exactly one of 'land' (land polygons) and 'water' (water polygons)");
    return std::nullopt;
  }
  tiles::ShoreSource s;
  s.polygonsAreLand = r.has("land");
  const std::string key = s.polygonsAreLand ? "land" : "water";
  r.getString(key, s.path);
  s.path = resolvePath(base, s.path).string();
  r.getString("layer", s.layer);
  r.getNumber("buffer_m", s.bufferM, -1000.0, 1000.0);
  try {
    tiles::checkShoreSource(s);
  } catch (const Error& e) {
    problems.add(r.node(key), r.path(key), e.what());
    return std::nullopt;
  }
  return s;
}

// aois[i].bbox: [west, south, east, north] into the AOI's polygon; west > east crosses the
// antimeridian (the east edge then lies beyond 180).
void readBbox(const MapReader& r, Problems& problems, Aoi& a) {
  const auto b = r.node("bbox");
  std::vector<double> v;
  bool numeric = b.IsSequence();
  if (numeric) {
    for (const auto& x : b) {
      double d = 0;
      if (!YAML::convert<double>::decode(x, d) || !std::isfinite(d)) numeric = false;
      v.push_back(d);
    }
  }
  if (!numeric || v.size() != 4) {
    problems.add(b, r.path("bbox"),
                 "expected 4 numbers [west, south, east, north], got " +
                     (b.IsSequence() ? std::to_string(b.size()) + (numeric ? "" : " values")
                                     : MapReader::scalarText(b)));
    return;
  }
  const double w = v[0], s = v[1], e = v[2], nn = v[3];
  if (w < -180 || w > 180 || e < -180 || e > 180) {
    problems.add(b, r.path("bbox"), "longitude out of range [-180, 180]");
  } else if (s < -90 || s > 90 || nn < -90 || nn > 90) {
    problems.add(b, r.path("bbox"), "latitude out of range [-90, 90]");
  } else if (s >= nn) {
    problems.add(b, r.path("bbox"), "south must be below north (zero or inverted area)");
  } else if (w == e) {
    problems.add(b, r.path("bbox"), "west equals east (zero area)");
  } else if (w > e && (w - e) < 180) {
    // West > east is an antimeridian crossing only when the box stays narrow; a wide
    // "crossing" of more than 180 degrees is almost surely swapped coordinates.
    problems.add(b, r.path("bbox"),
                 "west > east is an inverted bbox (an antimeridian crossing must span less "
                 "than 180 degrees, e.g. [179.5, -17, -179.5, -16])");
  } else {
    const double east = w > e ? e + 360.0 : e;
    a.crossesAntimeridian = w > e;
    a.polygon = {{w, s}, {east, s}, {east, nn}, {w, nn}, {w, s}};
  }
}

// The AOI's geometry (n at path p): exactly one of 'bbox', 'polygon' or 'geojson'.
void readAoiGeometry(const MapReader& r, const YAML::Node& n, const std::string& p,
                     const fs::path& base, Problems& problems, Aoi& a) {
  const int geoms = r.has("bbox") + r.has("polygon") + r.has("geojson");
  if (geoms != 1) {
    problems.add(n, p, "give exactly one geometry: 'bbox', 'polygon' or 'geojson'");
  } else if (r.has("bbox")) {
    readBbox(r, problems, a);
  } else if (r.has("polygon")) {
    if (readRing(r.node("polygon"), r.path("polygon"), problems, a.polygon)) {
      checkRing(a.polygon, r.node("polygon"), r.path("polygon"), problems);
    }
  } else {
    std::string f;
    r.getString("geojson", f);
    if (readGeoJsonRing(resolvePath(base, f), r.node("geojson"), r.path("geojson"), problems,
                        a.polygon)) {
      checkRing(a.polygon, r.node("geojson"), r.path("geojson"), problems);
    }
  }
}

// The AOI's water (n at path p): at most one of 'water', 'water_geojson' and 'shore'.
void readAoiWater(const MapReader& r, const YAML::Node& n, const std::string& p,
                  const fs::path& base, Problems& problems, Aoi& a) {
  if (r.has("water") + r.has("water_geojson") + r.has("shore") > 1) {
    problems.add(n, p, "give at most one of 'water', 'water_geojson' and 'shore'");
  } else if (r.has("shore")) {
    a.shore = readShore(r.node("shore"), r.path("shore"), base, problems);
  } else if (r.has("water")) {
    if (readRing(r.node("water"), r.path("water"), problems, a.water)) {
      checkRing(a.water, r.node("water"), r.path("water"), problems);
    }
  } else if (r.has("water_geojson")) {
    std::string f;
    r.getString("water_geojson", f);
    readGeoJsonRing(resolvePath(base, f), r.node("water_geojson"), r.path("water_geojson"),
                    problems, a.water);
  }
}

// The AOI's detectors: registered names, each with its options.
void readDetectors(const MapReader& r, Problems& problems, Aoi& a) {
  const auto d = r.node("detectors");
  if (!d.IsSequence()) {
    problems.add(d, r.path("detectors"), "expected a list of detectors");
    return;
  }
  const auto names = imaging::Registry::builtins().detectorNames();
  for (size_t k = 0; k < d.size(); ++k) {
    const std::string dp = indexed(r.path("detectors"), k);
    MapReader dr(d[k], dp, problems, {"name", "options"});
    if (!dr.ok()) continue;
    DetectorConfig dc;
    if (!dr.has("name")) {
      problems.add(d[k], dp, "missing required key 'name'");
      continue;
    }
    dr.getString("name", dc.name);
    const auto* entry = imaging::Registry::builtins().detector(dc.name);
    if (!entry) {
      problems.add(dr.node("name"), dr.path("name"),
                   cw::unknownNameMessage("detector", dc.name, names));
      continue;
    }
    readOptions(dr.node("options"), dr.path("options"), problems, entry->options, dc.params);
    a.detectors.push_back(std::move(dc));
  }
}

// aois[i] at path p: id, name, kind, geometry, water and detectors.
void readAoi(const YAML::Node& n, const std::string& p, const fs::path& base, Problems& problems,
             Config& c) {
  MapReader r(n, p, problems,
              {"id", "name", "kind", "bbox", "polygon", "geojson", "water", "water_geojson",
               "shore", "detectors"});
  if (!r.ok()) return;
  Aoi a;
  if (!r.has("id")) {
    problems.add(n, p, "missing required key 'id'");
  } else {
    r.getString("id", a.id);
    if (!isSafeId(a.id)) {
      problems.add(r.node("id"), r.path("id"),
                   "'" + a.id +
                       "' is not a safe id: use 1-64 letters, digits, '_' or '-' (it becomes a "
                       "folder name)");
    }
  }
  a.name = a.id;
  r.getString("name", a.name);
  r.getChoice("kind", a.kind, {"port", "facility"});
  readAoiGeometry(r, n, p, base, problems, a);
  readAoiWater(r, n, p, base, problems, a);
  if (r.has("detectors")) readDetectors(r, problems, a);
  c.aois.push_back(std::move(a));
}

// `ais.sts` (docs/ais.md): the ship-to-ship transfer rules, from imagery and from AIS.
void readSts(const YAML::Node& n, Problems& problems, vessels::StsRules& sts) {
  MapReader r(n, "ais.sts", problems, {"hull_pair", "encounter"});
  if (!r.ok()) return;
  if (r.has("hull_pair")) {
    auto& h = sts.hullPair;
    MapReader hr(r.node("hull_pair"), "ais.sts.hull_pair", problems,
                 {"margin_m", "max_heading_diff_deg", "min_length_m", "min_shore_distance_m"});
    hr.getNumber("margin_m", h.marginM, 0.0, 1000.0);
    hr.getNumber("max_heading_diff_deg", h.maxHeadingDiffDeg, 0.0, 90.0);
    hr.getNumber("min_length_m", h.minLengthM, 0.0, 1000.0);
    hr.getNumber("min_shore_distance_m", h.minShoreDistanceM, 0.0, 1e6);
  }
  if (r.has("encounter")) {
    auto& e = sts.encounter;
    MapReader er(r.node("encounter"), "ais.sts.encounter", problems,
                 {"max_distance_m", "min_duration_h", "max_speed_kn", "min_shore_distance_m"});
    er.getNumber("max_distance_m", e.maxDistanceM, 1.0, 1e5);
    // At least one sampling step (10 min): a shorter "encounter" is two fixes that crossed.
    double hours = static_cast<double>(e.minDurationS) / 3600.0;
    er.getNumber("min_duration_h", hours, static_cast<double>(e.stepS) / 3600.0, 240.0);
    e.minDurationS = static_cast<std::int64_t>(std::lround(hours * 3600.0));
    er.getNumber("max_speed_kn", e.maxSpeedKn, 0.1, 50.0);
    er.getNumber("min_shore_distance_m", e.minShoreDistanceM, 0.0, 1e6);
  }
}

// The `ais:` section (docs/ais.md): the feed files and the ingest and matching options.
void readAis(const YAML::Node& n, const fs::path& base, Problems& problems, Config& c) {
  MapReader r(n, "ais", problems,
              {"files", "folder", "glob", "columns", "time_format", "window_hours", "buffer_m",
               "max_bad_share", "max_speed_kn", "match", "sts"});
  if (!r.ok()) return;
  auto& a = c.ais;
  if (r.has("files") == r.has("folder")) {
    problems.add(n, "ais", "give exactly one of 'files' or 'folder' (with 'glob')");
  }
  if (r.has("files")) {
    const auto files = r.node("files");
    if (!files.IsSequence() || files.size() == 0) {
      problems.add(files, "ais.files",
                   "expected a non-empty list of AIS CSV files (.csv or .csv.gz)");
    } else {
      for (size_t k = 0; k < files.size(); ++k) {
        const auto f = files[k].IsScalar() ? resolvePath(base, files[k].Scalar()) : fs::path();
        if (f.empty() || !fs::is_regular_file(f)) {
          problems.add(files[k], indexed("ais.files", k), "no such file: " + f.string());
        }
        a.files.push_back(f);
      }
    }
  } else if (r.has("folder")) {
    std::string folder;
    r.getString("folder", folder);
    a.folder = resolvePath(base, folder);
    r.getString("glob", a.glob);
    if (!fs::is_directory(a.folder)) {
      problems.add(r.node("folder"), "ais.folder", "no such folder: " + a.folder.string());
    } else if (a.resolveFiles().empty()) {
      problems.add(r.node("folder"), "ais.folder",
                   "no file matches '" + a.glob + "' in " + a.folder.string());
    }
  }
  if (r.has("columns")) {
    const std::vector<std::string> fields = {"mmsi",      "time",    "lat",  "lon", "sog",
                                             "cog",       "heading", "name", "imo", "call_sign",
                                             "ship_type", "length",  "width"};
    MapReader cr(r.node("columns"), "ais.columns", problems, fields);
    for (const auto& f : fields) {
      std::string column;
      cr.getString(f, column);
      if (!column.empty()) a.generic.columns[f] = column;
    }
    for (const char* f : {"mmsi", "time", "lat", "lon"}) {
      if (cr.ok() && !cr.has(f))
        problems.add(r.node("columns"), "ais.columns",
                     std::string("missing required key '") + f + "'");
    }
  }
  r.getChoice("time_format", a.generic.timeFormat, {"iso", "dmy", "epoch"});
  r.getNumber("window_hours", a.windowHours, 0.0, 240.0);
  r.getNumber("buffer_m", a.bufferM, 0.0, 1e6);
  r.getNumber("max_bad_share", a.maxBadShare, 0.0, 1.0);
  r.getNumber("max_speed_kn", a.maxSpeedKn, 1.0, 1000.0);
  if (r.has("match")) {
    MapReader mr(r.node("match"), "ais.match", problems,
                 {"base_radius_m", "unknown_speed_kn", "max_dead_reckon_s", "length_weight",
                  "min_length_ratio", "min_detectable_length_m"});
    mr.getNumber("base_radius_m", a.match.baseRadiusM, 0.0, 1e5);
    mr.getNumber("unknown_speed_kn", a.match.unknownSpeedKn, 0.0, 100.0);
    mr.getNumber("max_dead_reckon_s", a.match.maxDeadReckonS, 0.0, 86400.0);
    mr.getNumber("length_weight", a.match.lengthWeight, 0.0, 1.0);
    mr.getNumber("min_length_ratio", a.match.minLengthRatio, 0.0, 1.0);
    mr.getNumber("min_detectable_length_m", a.match.minDetectableLengthM, 0.0, 1000.0);
  }
  if (r.has("sts")) readSts(r.node("sts"), problems, a.sts);
}

void emitAis(YAML::Emitter& e, const vessels::AisConfig& a) {
  e << YAML::Key << "ais" << YAML::Value << YAML::BeginMap;
  if (!a.files.empty()) {
    e << YAML::Key << "files" << YAML::Value << YAML::BeginSeq;
    for (const auto& f : a.files) e << f.string();
    e << YAML::EndSeq;
  } else {
    e << YAML::Key << "folder" << YAML::Value << a.folder.string() << YAML::Key << "glob"
      << YAML::Value << a.glob;
  }
  if (!a.generic.empty()) {
    e << YAML::Key << "columns" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : a.generic.columns) e << YAML::Key << k << YAML::Value << v;
    e << YAML::EndMap;
  }
  e << YAML::Key << "time_format" << YAML::Value << a.generic.timeFormat << YAML::Key
    << "window_hours" << YAML::Value << a.windowHours << YAML::Key << "buffer_m" << YAML::Value
    << a.bufferM << YAML::Key << "max_bad_share" << YAML::Value << a.maxBadShare << YAML::Key
    << "max_speed_kn" << YAML::Value << a.maxSpeedKn;
  const auto& m = a.match;
  e << YAML::Key << "match" << YAML::Value << YAML::BeginMap << YAML::Key << "base_radius_m"
    << YAML::Value << m.baseRadiusM << YAML::Key << "unknown_speed_kn" << YAML::Value
    << m.unknownSpeedKn << YAML::Key << "max_dead_reckon_s" << YAML::Value << m.maxDeadReckonS
    << YAML::Key << "length_weight" << YAML::Value << m.lengthWeight << YAML::Key
    << "min_length_ratio" << YAML::Value << m.minLengthRatio << YAML::Key
    << "min_detectable_length_m" << YAML::Value << m.minDetectableLengthM << YAML::EndMap;
  const auto& h = a.sts.hullPair;
  const auto& en = a.sts.encounter;
  e << YAML::Key << "sts" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "hull_pair" << YAML::Value << YAML::BeginMap << YAML::Key << "margin_m"
    << YAML::Value << h.marginM << YAML::Key << "max_heading_diff_deg" << YAML::Value
    << h.maxHeadingDiffDeg << YAML::Key << "min_length_m" << YAML::Value << h.minLengthM
    << YAML::Key << "min_shore_distance_m" << YAML::Value << h.minShoreDistanceM << YAML::EndMap;
  e << YAML::Key << "encounter" << YAML::Value << YAML::BeginMap << YAML::Key << "max_distance_m"
    << YAML::Value << en.maxDistanceM << YAML::Key << "min_duration_h" << YAML::Value
    << static_cast<double>(en.minDurationS) / 3600.0 << YAML::Key << "max_speed_kn" << YAML::Value
    << en.maxSpeedKn << YAML::Key << "min_shore_distance_m" << YAML::Value << en.minShoreDistanceM
    << YAML::EndMap;
  e << YAML::EndMap << YAML::EndMap;
}

// scenes: one mapping per source, its kind's keys first.
void emitScenes(YAML::Emitter& e, const std::vector<SceneSource>& scenes) {
  e << YAML::Key << "scenes" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : scenes) {
    e << YAML::BeginMap;
    switch (s.kind) {
      case SceneSource::Kind::Folder:
        e << YAML::Key << "folder" << YAML::Value << s.folder.string() << YAML::Key << "glob"
          << YAML::Value << s.glob;
        break;
      case SceneSource::Kind::Files:
        if (s.bandFiles.empty()) {
          e << YAML::Key << "files" << YAML::Value << YAML::BeginSeq;
          for (const auto& f : s.files) e << f.string();
          e << YAML::EndSeq;
        }
        break;
      case SceneSource::Kind::Stac:
        e << YAML::Key << "stac" << YAML::Value << s.stac.string();
        break;
    }
    if (!s.bandFiles.empty()) {
      e << YAML::Key << "bands" << YAML::Value << YAML::BeginMap;
      for (const auto& [role, f] : s.bandFiles) e << YAML::Key << role << YAML::Value << f.string();
      e << YAML::EndMap;
    }
    if (!s.id.empty()) e << YAML::Key << "id" << YAML::Value << s.id;
    if (!s.timePattern.empty()) e << YAML::Key << "time_pattern" << YAML::Value << s.timePattern;
    if (s.time) e << YAML::Key << "time" << YAML::Value << formatIsoTime(*s.time);
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
}

// sensor: profile, bands (when given), cloud band and nodata (when given).
void emitSensor(YAML::Emitter& e, const SensorConfig& sensor) {
  e << YAML::Key << "sensor" << YAML::Value << YAML::BeginMap << YAML::Key << "profile"
    << YAML::Value << sensor.profile;
  if (!sensor.bands.empty()) {
    e << YAML::Key << "bands" << YAML::Value << YAML::BeginMap;
    for (const auto& [role, band] : sensor.bands) e << YAML::Key << role << YAML::Value << band;
    e << YAML::EndMap;
  }
  e << YAML::Key << "cloud_band" << YAML::Value << sensor.cloudBand;
  if (sensor.nodata) e << YAML::Key << "nodata" << YAML::Value << *sensor.nodata;
  e << YAML::EndMap;
}

// Options of a method or detector as a mapping: numbers, then choices.
void emitParams(YAML::Emitter& e, const imaging::Params& p) {
  e << YAML::BeginMap;
  for (const auto& [k, v] : p.numbers()) e << YAML::Key << k << YAML::Value << v;
  for (const auto& [k, v] : p.choices()) e << YAML::Key << k << YAML::Value << v;
  e << YAML::EndMap;
}

// A ring as a list of [lon, lat] flow pairs.
void emitRing(YAML::Emitter& e, const std::vector<LonLat>& pts) {
  e << YAML::BeginSeq;
  for (const auto& p : pts) e << YAML::Flow << YAML::BeginSeq << p.lon << p.lat << YAML::EndSeq;
  e << YAML::EndSeq;
}

// aois: each AOI's id, name, kind, polygon, water or shore, and detectors.
void emitAois(YAML::Emitter& e, const std::vector<Aoi>& aois) {
  e << YAML::Key << "aois" << YAML::Value << YAML::BeginSeq;
  for (const auto& a : aois) {
    e << YAML::BeginMap << YAML::Key << "id" << YAML::Value << a.id << YAML::Key << "name"
      << YAML::Value << a.name << YAML::Key << "kind" << YAML::Value << a.kind << YAML::Key
      << "polygon" << YAML::Value;
    emitRing(e, a.polygon);
    if (!a.water.empty()) {
      e << YAML::Key << "water" << YAML::Value;
      emitRing(e, a.water);
    }
    if (a.shore) {
      e << YAML::Key << "shore" << YAML::Value << YAML::BeginMap << YAML::Key
        << (a.shore->polygonsAreLand ? "land" : "water") << YAML::Value << a.shore->path;
      if (!a.shore->layer.empty()) e << YAML::Key << "layer" << YAML::Value << a.shore->layer;
      e << YAML::Key << "buffer_m" << YAML::Value << a.shore->bufferM << YAML::EndMap;
    }
    e << YAML::Key << "detectors" << YAML::Value << YAML::BeginSeq;
    for (const auto& d : a.detectors) {
      e << YAML::BeginMap << YAML::Key << "name" << YAML::Value << d.name << YAML::Key << "options"
        << YAML::Value;
      emitParams(e, d.params);
      e << YAML::EndMap;
    }
    e << YAML::EndSeq << YAML::EndMap;
  }
  e << YAML::EndSeq;
}

// reviews and retention, only when they differ from the defaults.
void emitReviewsAndRetention(YAML::Emitter& e, const Config& c) {
  // Only when they differ from the defaults, so earlier runs' resolved configs stay byte-identical.
  if (!c.reviews.fourEyes || c.reviews.trustLocal) {
    e << YAML::Key << "reviews" << YAML::Value << YAML::BeginMap << YAML::Key << "four_eyes"
      << YAML::Value << c.reviews.fourEyes << YAML::Key << "trust_local" << YAML::Value
      << c.reviews.trustLocal << YAML::EndMap;
  }
  if (c.retention.any()) {
    e << YAML::Key << "retention" << YAML::Value << YAML::BeginMap;
    for (auto [key, v] : {std::pair{"chips_days", c.retention.chipsDays},
                          std::pair{"rasters_days", c.retention.rastersDays},
                          std::pair{"ais_days", c.retention.aisDays}}) {
      if (v) e << YAML::Key << key << YAML::Value << *v;
    }
    e << YAML::EndMap;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string formatIsoDate(TimePoint t) {
  return formatIsoTime(t).substr(0, 10);
}

bool isSafeId(const std::string& id) {
  static const std::regex re("[A-Za-z0-9_-]{1,64}");
  if (!std::regex_match(id, re)) return false;
  // Reserved device names on Windows file systems: the evidence folder must be portable.
  static const std::set<std::string> reserved = {"CON",  "PRN",  "AUX",  "NUL",  "COM1", "COM2",
                                                 "COM3", "COM4", "LPT1", "LPT2", "LPT3"};
  std::string upper = id;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  return !reserved.count(upper);
}

namespace {

void readBool(const MapReader& m, const std::string& key, bool& out, Problems& problems) {
  if (!m.has(key)) return;
  const auto n = m.node(key);
  bool v = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
    problems.add(n, m.path(key), "expected true or false");
    return;
  }
  out = v;
}

void readReviewsAndRetention(const MapReader& r, Problems& problems, Config& c) {
  if (r.has("reviews")) {
    MapReader m(r.node("reviews"), "reviews", problems, {"four_eyes", "trust_local"});
    if (m.ok()) {
      readBool(m, "four_eyes", c.reviews.fourEyes, problems);
      readBool(m, "trust_local", c.reviews.trustLocal, problems);
    }
  }
  if (r.has("retention")) {
    MapReader m(r.node("retention"), "retention", problems,
                {"chips_days", "rasters_days", "ais_days"});
    if (!m.ok()) return;
    for (auto [key, slot] : {std::pair{"chips_days", &c.retention.chipsDays},
                             std::pair{"rasters_days", &c.retention.rastersDays},
                             std::pair{"ais_days", &c.retention.aisDays}}) {
      if (!m.has(key)) continue;
      int days = -1;
      m.getNumber(key, days, 0, 36500);
      if (days >= 0) *slot = days;
    }
  }
}

// The config text as YAML; a syntax error names its line and column, an empty config is refused.
YAML::Node parseYaml(const fs::path& file, const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw UsageError(file.string() + ":" + std::to_string(e.mark.line + 1) + ":" +
                     std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) throw UsageError(file.string() + ": the config is empty");
  return root;
}

// window: the required start and end times.
void readWindow(const MapReader& r, const YAML::Node& root, Problems& problems, Config& c) {
  if (!r.has("window")) {
    problems.add(root, "", "missing required key 'window' (with start and end dates)");
    return;
  }
  MapReader w(r.node("window"), "window", problems, {"start", "end"});
  if (!w.ok()) return;
  w.getTime("start", c.windowStart, true);
  w.getTime("end", c.windowEnd, true);
  // A date-only end means the whole day.
  if (w.has("end") && w.node("end").IsScalar() && w.node("end").Scalar().size() == 10) {
    c.windowEnd += 86399;
  }
  if (c.windowStart && c.windowEnd && c.windowEnd < c.windowStart) {
    problems.add(w.node("end"), "window.end", "the window ends before it starts");
  }
}

// sensor: profile, cloud band, nodata and the band of each role.
void readSensor(const MapReader& r, Problems& problems, Config& c) {
  MapReader sr(r.node("sensor"), "sensor", problems, {"profile", "bands", "cloud_band", "nodata"});
  sr.getChoice("profile", c.sensor.profile, {"generic", "sentinel2", "landsat", "sar"});
  sr.getNumber("cloud_band", c.sensor.cloudBand, 0, 1000);
  if (sr.has("nodata")) {
    double nd = 0;
    sr.getNumber("nodata", nd, -1e300, 1e300);
    c.sensor.nodata = nd;
  }
  if (sr.has("bands")) {
    const std::vector<std::string>& roles = imaging::spectralRoleNames();
    MapReader br(sr.node("bands"), "sensor.bands", problems, roles);
    if (br.ok()) {
      for (const auto& role : roles) {
        if (!br.has(role)) continue;
        int band = 0;
        br.getNumber(role, band, 1, 1000);
        if (band > 0) c.sensor.bands.emplace_back(role, band);
      }
    }
  }
}

// grid: pixel size, a projected EPSG code and the resampling.
void readGrid(const MapReader& r, Problems& problems, Config& c) {
  MapReader gr(r.node("grid"), "grid", problems, {"pixel_size_m", "epsg", "resampling"});
  gr.getNumber("pixel_size_m", c.grid.pixelSizeM, 0.0, 10000.0);
  gr.getNumber("epsg", c.grid.epsg, 0, 999999);
  gr.getChoice("resampling", c.grid.resampling, {"nearest", "bilinear", "cubic"});
  if (c.grid.epsg > 0) {
    OGRSpatialReference srs;
    if (srs.importFromEPSG(c.grid.epsg) != OGRERR_NONE || !srs.IsProjected()) {
      problems.add(gr.node("epsg"), "grid.epsg",
                   "EPSG:" + std::to_string(c.grid.epsg) + " is not a known projected CRS");
    }
  }
}

// change: the method and its options, morphology radii and minimum area; without the section,
// the default method's default options.
void readChange(const MapReader& r, Problems& problems, Config& c) {
  const auto& reg = imaging::Registry::builtins();
  if (r.has("change")) {
    MapReader cr(r.node("change"), "change", problems,
                 {"method", "options", "open_radius_m", "close_radius_m", "min_area_m2"});
    cr.getString("method", c.change.method);
    cr.getNumber("open_radius_m", c.change.openRadiusM, 0.0, 10000.0);
    cr.getNumber("close_radius_m", c.change.closeRadiusM, 0.0, 10000.0);
    cr.getNumber("min_area_m2", c.change.minAreaM2, 0.0, 1e12);
    if (c.change.method == "auto") {
      // The method is chosen per job from its bands, so options of one method cannot apply.
      if (cr.has("options") && cr.node("options").IsMap() && cr.node("options").size() > 0) {
        problems.add(cr.node("options"), "change.options",
                     "options need a named method (cva, irmad, logratio); with method auto each "
                     "job uses the chosen method's defaults");
      }
    } else if (const auto* m = reg.method(c.change.method)) {
      readOptions(cr.node("options"), "change.options", problems, m->options, c.change.params);
    } else {
      problems.add(cr.has("method") ? cr.node("method") : r.node("change"), "change.method",
                   cw::unknownNameMessage("change method", c.change.method, [] {
                     auto names = imaging::Registry::builtins().methodNames();
                     names.push_back("auto");
                     return names;
                   }()));
    }
  } else if (const auto* m = reg.method(c.change.method)) {
    c.change.params = imaging::Params(m->options);
  }
}

// aois: a non-empty list of AOIs with distinct ids.
void readAois(const MapReader& r, const YAML::Node& root, const fs::path& base, Problems& problems,
              Config& c) {
  if (!r.has("aois")) {
    problems.add(root, "", "missing required key 'aois' (the areas of interest)");
  } else if (!r.node("aois").IsSequence() || r.node("aois").size() == 0) {
    problems.add(r.node("aois"), "aois", "expected a non-empty list of areas of interest");
  } else {
    const auto aois = r.node("aois");
    for (size_t i = 0; i < aois.size(); ++i)
      readAoi(aois[i], indexed("aois", i), base, problems, c);
    std::set<std::string> seen;
    for (size_t i = 0; i < c.aois.size(); ++i) {
      if (!c.aois[i].id.empty() && !seen.insert(c.aois[i].id).second) {
        problems.add(aois[i], indexed("aois", i), "duplicate AOI id '" + c.aois[i].id + "'");
      }
    }
  }
}

}  // namespace

Config loadConfig(const fs::path& fileIn) {
  const fs::path file = fs::absolute(fileIn).lexically_normal();
  const YAML::Node root = parseYaml(file, readGuarded(file));

  Problems problems(file.string());
  Config c;
  c.file = file;
  const fs::path base = file.parent_path();

  MapReader r(root, "", problems,
              {"output", "threads", "window", "pairing", "scenes", "sensor", "min_coverage", "grid",
               "tiling", "change", "aois", "declarations", "ais", "reviews", "retention"});
  if (!r.ok()) problems.raise();

  std::string output = "out";
  r.getString("output", output);
  c.output = resolvePath(base, output);
  r.getNumber("threads", c.threads, 0, 1024);
  r.getNumber("min_coverage", c.minCoverage, 0.0, 1.0);

  readWindow(r, root, problems, c);

  if (r.has("pairing")) {
    MapReader pr(r.node("pairing"), "pairing", problems, {"strategy", "max_gap_days"});
    pr.getChoice("strategy", c.pairing.strategy, {"consecutive", "baseline", "all"});
    pr.getNumber("max_gap_days", c.pairing.maxGapDays, 1, 36600);
  }

  if (!r.has("scenes")) {
    problems.add(root, "", "missing required key 'scenes' (a list of folder/files/stac sources)");
  } else {
    readScenes(r.node("scenes"), "scenes", base, problems, c);
  }

  if (r.has("sensor")) readSensor(r, problems, c);
  if (r.has("grid")) readGrid(r, problems, c);

  if (r.has("tiling")) {
    MapReader tr(r.node("tiling"), "tiling", problems,
                 {"tile_px", "memory_mb", "max_grid_px", "max_tiles"});
    tr.getNumber("tile_px", c.tiling.tilePx, 64, 8192);
    tr.getNumber("memory_mb", c.tiling.memoryMb, 64, 1 << 20);
    tr.getNumber("max_grid_px", c.tiling.maxGridPx, 1, 1e13);
    tr.getNumber("max_tiles", c.tiling.maxTiles, 1, 1e9);
  }

  readChange(r, problems, c);
  readAois(r, root, base, problems, c);

  if (r.has("declarations")) {
    std::string d;
    r.getString("declarations", d);
    c.declarations = resolvePath(base, d);
    if (!fs::is_regular_file(c.declarations)) {
      problems.add(r.node("declarations"), "declarations",
                   "no such file: " + c.declarations.string());
    }
  }

  if (r.has("ais")) readAis(r.node("ais"), base, problems, c);

  readReviewsAndRetention(r, problems, c);
  if (!problems.empty()) problems.raise();
  return c;
}

std::string resolveChangeMethod(const std::string& method, std::size_t bandCount) {
  if (method != "auto") return method;
  return imaging::Registry::builtins().autoMethod(bandCount).name;
}

std::string toYaml(const Config& c) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "output" << YAML::Value << c.output.string();
  e << YAML::Key << "threads" << YAML::Value << c.threads;
  e << YAML::Key << "window" << YAML::Value << YAML::BeginMap << YAML::Key << "start" << YAML::Value
    << formatIsoTime(c.windowStart) << YAML::Key << "end" << YAML::Value
    << formatIsoTime(c.windowEnd) << YAML::EndMap;
  e << YAML::Key << "pairing" << YAML::Value << YAML::BeginMap << YAML::Key << "strategy"
    << YAML::Value << c.pairing.strategy << YAML::Key << "max_gap_days" << YAML::Value
    << c.pairing.maxGapDays << YAML::EndMap;
  emitScenes(e, c.scenes);
  emitSensor(e, c.sensor);
  e << YAML::Key << "min_coverage" << YAML::Value << c.minCoverage;
  e << YAML::Key << "grid" << YAML::Value << YAML::BeginMap << YAML::Key << "pixel_size_m"
    << YAML::Value << c.grid.pixelSizeM << YAML::Key << "epsg" << YAML::Value << c.grid.epsg
    << YAML::Key << "resampling" << YAML::Value << c.grid.resampling << YAML::EndMap;
  e << YAML::Key << "tiling" << YAML::Value << YAML::BeginMap << YAML::Key << "tile_px"
    << YAML::Value << c.tiling.tilePx << YAML::Key << "memory_mb" << YAML::Value
    << c.tiling.memoryMb << YAML::Key << "max_grid_px" << YAML::Value << c.tiling.maxGridPx
    << YAML::Key << "max_tiles" << YAML::Value << c.tiling.maxTiles << YAML::EndMap;
  e << YAML::Key << "change" << YAML::Value << YAML::BeginMap << YAML::Key << "method"
    << YAML::Value << c.change.method << YAML::Key << "options" << YAML::Value;
  emitParams(e, c.change.params);
  e << YAML::Key << "open_radius_m" << YAML::Value << c.change.openRadiusM << YAML::Key
    << "close_radius_m" << YAML::Value << c.change.closeRadiusM << YAML::Key << "min_area_m2"
    << YAML::Value << c.change.minAreaM2 << YAML::EndMap;
  emitAois(e, c.aois);
  if (!c.declarations.empty()) {
    e << YAML::Key << "declarations" << YAML::Value << c.declarations.string();
  }
  if (c.ais.enabled()) emitAis(e, c.ais);
  emitReviewsAndRetention(e, c);
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace cw::pipeline
