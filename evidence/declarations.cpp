#include "evidence/declarations.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "core/iso_time.hpp"

namespace cw::evidence {
namespace {

constexpr std::array<const char*, 6> kColumns = {"aoi",    "start", "end",
                                                 "metric", "value", "reference"};
const char* kColumnList = "aoi,start,end,metric,value,reference";

// Where a field starts: 1-based line and column (for file:line:col messages).
struct FieldPos {
  int line = 0;
  int col = 1;
};

struct RawRow {
  int line = 0;
  std::map<std::string, std::string> fields;
  std::map<std::string, FieldPos> pos;  // per field; a missing one reports the row's line
};

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

struct CsvRecord {
  int line = 0;
  std::vector<std::string> fields;
  std::vector<FieldPos> pos;  // start of each field
};

// RFC 4180 records; a record's line is the line it starts on. Blank lines are skipped.
std::vector<CsvRecord> splitCsv(std::string_view text, const std::string& file,
                                std::vector<std::string>& problems) {
  std::vector<CsvRecord> out;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  int line = 1;
  size_t i = 0, lineStart = 0;
  while (i < text.size()) {
    CsvRecord rec;
    rec.line = line;
    std::string field;
    bool quoted = false, wasQuoted = false, endOfRecord = false;
    rec.pos.push_back({line, static_cast<int>(i - lineStart) + 1});
    while (i < text.size() && !endOfRecord) {
      const char c = text[i];
      if (quoted) {
        if (c == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          quoted = false;
          ++i;
          continue;
        }
        if (c == '\n') {
          ++line;
          lineStart = i + 1;
        }
        field += c;
        ++i;
        continue;
      }
      switch (c) {
        case '"':
          if (trim(field).empty()) {
            quoted = wasQuoted = true;
            field.clear();
          } else {
            field += c;
          }
          ++i;
          break;
        case ',':
          rec.fields.push_back(wasQuoted ? field : trim(field));
          field.clear();
          wasQuoted = false;
          ++i;
          rec.pos.push_back({line, static_cast<int>(i - lineStart) + 1});
          break;
        case '\r':
          ++i;
          break;
        case '\n':
          ++i;
          ++line;
          lineStart = i;
          endOfRecord = true;
          break;
        default:
          field += c;
          ++i;
      }
    }
    if (quoted)
      problems.push_back(file + ":" + std::to_string(rec.line) + ": unterminated quoted field");
    rec.fields.push_back(wasQuoted ? field : trim(field));
    const bool blank = rec.fields.size() == 1 && rec.fields[0].empty() && !wasQuoted;
    if (!blank) out.push_back(std::move(rec));
  }
  return out;
}

std::string known(const std::set<std::string>& ids) {
  if (ids.empty()) return "the config has no AOIs";
  std::string s = "known: ";
  size_t n = 0;
  for (const auto& id : ids) {
    if (n++) s += ", ";
    if (n > 10) {
      s += "...";
      break;
    }
    s += id;
  }
  return s;
}

// A whole number >= 0 for the counting metrics.
bool parseCount(const std::string& metric, const std::string& value, Declaration& d,
                std::vector<std::string>& problems, const std::string& where) {
  const bool digits =
      !value.empty() && value.size() <= 12 && std::all_of(value.begin(), value.end(), ::isdigit);
  if (!digits) {
    problems.push_back(where + "value '" + value + "' for " + metric +
                       " must be a whole number >= 0");
    return false;
  }
  d.count = std::stoll(value);
  d.value = std::to_string(d.count);
  return true;
}

// A vessel: "imo:9321483", "IMO9321483" or 7 digits; "mmsi:366100001" or 9 digits.
bool parseVessel(const std::string& value, Declaration& d, std::vector<std::string>& problems,
                 const std::string& where) {
  std::string v = lower(value);
  std::string kind;
  if (v.rfind("imo:", 0) == 0)
    kind = "imo", v = v.substr(4);
  else if (v.rfind("mmsi:", 0) == 0)
    kind = "mmsi", v = v.substr(5);
  else if (v.rfind("imo", 0) == 0)
    kind = "imo", v = v.substr(3);
  const bool digits = !v.empty() && std::all_of(v.begin(), v.end(), ::isdigit);
  if (kind.empty() && digits) kind = v.size() == 7 ? "imo" : v.size() == 9 ? "mmsi" : "";
  if (!digits || kind.empty() || (kind == "imo" && v.size() != 7) ||
      (kind == "mmsi" && v.size() != 9)) {
    problems.push_back(where + "value '" + value +
                       "' for vessel_call must name one vessel: imo:NNNNNNN (7 digits) or "
                       "mmsi:NNNNNNNNN (9 digits)");
    return false;
  }
  d.value = kind + ":" + v;
  return true;
}

bool parseChoice(const std::string& metric, const std::string& value,
                 std::initializer_list<const char*> choices, Declaration& d,
                 std::vector<std::string>& problems, const std::string& where) {
  d.value = lower(value);
  std::string list;
  for (const char* c : choices) {
    if (d.value == c) return true;
    list += (list.empty() ? "" : " or ") + std::string(c);
  }
  problems.push_back(where + "value '" + value + "' for " + metric + " must be " + list);
  return false;
}

void parseMetricValue(const std::string& metric, const std::string& metricAsWritten,
                      const std::string& value, Declaration& d, std::vector<std::string>& problems,
                      const std::string& valueAt, const std::string& metricAt) {
  if (metric == "vessel_calls" || metric == "max_vessels") {
    d.metric = metric == "vessel_calls" ? Metric::VesselCalls : Metric::MaxVessels;
    parseCount(metric, value, d, problems, valueAt);
  } else if (metric == "dark_vessels") {
    d.metric = Metric::DarkVessels;
    parseCount(metric, value, d, problems, valueAt);
  } else if (metric == "activity") {
    d.metric = Metric::Activity;
    parseChoice(metric, value, {"idle", "active"}, d, problems, valueAt);
  } else if (metric == "new_construction") {
    d.metric = Metric::NewConstruction;
    parseChoice(metric, value, {"none", "some"}, d, problems, valueAt);
  } else if (metric == "sts_transfers") {
    d.metric = Metric::StsTransfers;
    parseChoice(metric, value, {"none", "some"}, d, problems, valueAt);
  } else if (metric == "complete") {
    d.metric = Metric::Complete;
    parseChoice(metric, value, {"true", "false"}, d, problems, valueAt);
  } else if (metric == "vessel_call") {
    d.metric = Metric::VesselCall;
    parseVessel(value, d, problems, valueAt);
  } else {
    problems.push_back(metricAt + "unknown metric '" + metricAsWritten +
                       "' (expected vessel_calls, max_vessels, activity, new_construction, "
                       "vessel_call, dark_vessels, complete or sts_transfers)");
  }
}

std::vector<Declaration> validate(const std::vector<RawRow>& rows, const std::string& file,
                                  const std::set<std::string>& knownAois,
                                  std::vector<std::string>& problems) {
  std::vector<Declaration> out;
  for (const auto& r : rows) {
    // file:line:col of the field the message is about.
    auto at = [&](const char* k) {
      const auto it = r.pos.find(k);
      const FieldPos p = it == r.pos.end() ? FieldPos{r.line, 1} : it->second;
      return file + ":" + std::to_string(p.line) + ":" + std::to_string(p.col) + ": ";
    };
    auto get = [&](const char* k) {
      const auto it = r.fields.find(k);
      return it == r.fields.end() ? std::string() : trim(it->second);
    };
    Declaration d;
    d.source = file + ":" + std::to_string(r.line);
    d.aoiId = get("aoi");
    d.start = get("start");
    d.end = get("end");
    d.reference = get("reference");
    const std::string metric = lower(get("metric"));
    const std::string value = get("value");
    const size_t before = problems.size();
    if (d.aoiId.empty())
      problems.push_back(at("aoi") + "aoi is empty");
    else if (!knownAois.count(d.aoiId))
      problems.push_back(at("aoi") + "unknown AOI '" + d.aoiId + "' (" + known(knownAois) + ")");
    const auto s = parseIsoTime(d.start);
    const auto e = parseIsoTime(d.end);
    if (!s)
      problems.push_back(at("start") + "bad start date '" + d.start + "' (expected YYYY-MM-DD)");
    if (!e) problems.push_back(at("end") + "bad end date '" + d.end + "' (expected YYYY-MM-DD)");
    if (s && e) {
      d.startS = *s;
      d.endS = isIsoDateOnly(d.end) ? *e + 86399 : *e;
      if (d.endS < d.startS)
        problems.push_back(at("end") + "end " + d.end + " is before start " + d.start);
    }
    parseMetricValue(metric, get("metric"), value, d, problems, at("value"), at("metric"));
    if (problems.size() == before) out.push_back(std::move(d));
  }
  return out;
}

[[noreturn]] void fail(const std::vector<std::string>& problems) {
  std::string msg;
  for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "\n" : "") + problems[i];
  throw UsageError(msg);
}

}  // namespace

std::string metricName(Metric m) {
  switch (m) {
    case Metric::VesselCalls:
      return "vessel_calls";
    case Metric::MaxVessels:
      return "max_vessels";
    case Metric::Activity:
      return "activity";
    case Metric::NewConstruction:
      return "new_construction";
    case Metric::VesselCall:
      return "vessel_call";
    case Metric::DarkVessels:
      return "dark_vessels";
    case Metric::Complete:
      return "complete";
    case Metric::StsTransfers:
      return "sts_transfers";
  }
  return "?";
}

std::vector<Declaration> parseDeclarationsCsv(std::string_view text, const std::string& file,
                                              const std::set<std::string>& knownAois) {
  std::vector<std::string> problems;
  const auto records = splitCsv(text, file, problems);
  if (records.empty())
    throw UsageError(file + ": empty declarations file (expected the header " +
                     std::string(kColumnList) + " and one row per declaration)");
  const CsvRecord& header = records.front();
  std::vector<std::string> cols;
  for (const auto& f : header.fields) cols.push_back(lower(trim(f)));
  const std::string h = file + ":" + std::to_string(header.line) + ": ";
  for (const auto& c : cols)
    if (std::find(kColumns.begin(), kColumns.end(), c) == kColumns.end())
      problems.push_back(h + "unknown column '" + c + "' (expected " + kColumnList + ")");
  for (const char* k : kColumns)
    if (std::find(cols.begin(), cols.end(), k) == cols.end())
      problems.push_back(h + "missing column '" + k + "' (expected " + kColumnList + ")");
  if (!problems.empty()) fail(problems);
  if (records.size() == 1)
    throw UsageError(file + ": no declarations after the header (the file has only the header)");
  std::vector<RawRow> rows;
  for (size_t i = 1; i < records.size(); ++i) {
    const auto& rec = records[i];
    if (rec.fields.size() != cols.size()) {
      problems.push_back(file + ":" + std::to_string(rec.line) + ": expected " +
                         std::to_string(cols.size()) + " fields (" + kColumnList + "), got " +
                         std::to_string(rec.fields.size()));
      continue;
    }
    RawRow r{rec.line, {}, {}};
    for (size_t c = 0; c < cols.size(); ++c) {
      r.fields[cols[c]] = rec.fields[c];
      r.pos[cols[c]] = rec.pos[c];
    }
    rows.push_back(std::move(r));
  }
  auto out = validate(rows, file, knownAois, problems);
  if (!problems.empty()) fail(problems);
  return out;
}

std::vector<Declaration> parseDeclarationsYaml(const std::string& text, const std::string& file,
                                               const std::set<std::string>& knownAois) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw UsageError(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                     std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  }
  if (!root || root.IsNull())
    throw UsageError(file + ": empty declarations file (expected a list of maps with keys " +
                     std::string(kColumnList) + ")");
  if (!root.IsSequence())
    throw UsageError(file + ":" + std::to_string(root.Mark().line + 1) +
                     ": expected a list of declarations (maps with keys " + kColumnList + ")");
  if (root.size() == 0) throw UsageError(file + ": no declarations (the list is empty)");
  std::vector<std::string> problems;
  std::vector<RawRow> rows;
  for (const auto& item : root) {
    const int line = item.Mark().line + 1;
    const std::string where = file + ":" + std::to_string(line) + ": ";
    if (!item.IsMap()) {
      problems.push_back(where + "expected a map with keys " + std::string(kColumnList));
      continue;
    }
    RawRow r{line, {}, {}};
    bool ok = true;
    for (const auto& kv : item) {
      const std::string k = kv.first.as<std::string>();
      const int kl = kv.first.Mark().line + 1;
      if (std::find(kColumns.begin(), kColumns.end(), k) == kColumns.end()) {
        problems.push_back(file + ":" + std::to_string(kl) + ":" +
                           std::to_string(kv.first.Mark().column + 1) + ": unknown key '" + k +
                           "' (expected " + kColumnList + ")");
        ok = false;
      } else if (!kv.second.IsScalar() && !kv.second.IsNull()) {
        problems.push_back(file + ":" + std::to_string(kl) + ": " + k + ": expected a value");
        ok = false;
      } else {
        r.fields[k] = kv.second.IsNull() ? "" : kv.second.as<std::string>();
        const YAML::Mark m = kv.second.IsNull() ? kv.first.Mark() : kv.second.Mark();
        r.pos[k] = {m.line + 1, m.column + 1};
      }
    }
    for (const char* k : kColumns)
      if (std::string(k) != "reference" && !r.fields.count(k)) {
        problems.push_back(where + "missing key '" + k + "'");
        ok = false;
      }
    if (ok) rows.push_back(std::move(r));
  }
  auto out = validate(rows, file, knownAois, problems);
  if (!problems.empty()) fail(problems);
  return out;
}

std::vector<Declaration> loadDeclarations(const std::filesystem::path& path,
                                          const std::set<std::string>& knownAois) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(path.string() + ": cannot read declarations file");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string ext = lower(path.extension().string());
  if (ext == ".yaml" || ext == ".yml")
    return parseDeclarationsYaml(ss.str(), path.string(), knownAois);
  return parseDeclarationsCsv(ss.str(), path.string(), knownAois);
}

}  // namespace cw::evidence
