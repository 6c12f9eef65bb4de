#include "vessels/ais_ingest.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <sstream>

#include <tbb/concurrent_queue.h>
#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include "core/error.hpp"
#include "vessels/ais_format.hpp"

namespace cw::vessels {
namespace {

constexpr double kEarthRadiusM = 6371008.8;
constexpr double kMetresPerDegree = 111320.0;
constexpr double kKnotMps = 1852.0 / 3600.0;

// A feed file: gzip streams (recognised by their magic bytes) through zlib, plain files with
// read(2), which saves zlib's copy of every byte in transparent mode.
class FeedFile {
 public:
  explicit FeedFile(const std::filesystem::path& path) : m_path(path.string()) {
    m_fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (m_fd < 0) throw Error(m_path + ": cannot open AIS file: " + std::strerror(errno));
    unsigned char magic[2] = {0, 0};
    if (::pread(m_fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
      m_gz = gzdopen(m_fd, "rb");  // owns the descriptor from here
      m_fd = -1;
      if (!m_gz) throw Error(m_path + ": cannot open AIS file: out of memory");
      gzbuffer(m_gz, 1u << 20);
    } else {
      struct stat st {};
      if (::fstat(m_fd, &st) != 0) throw Error(m_path + ": cannot stat AIS file");
      m_size = static_cast<std::size_t>(st.st_size);
    }
  }
  ~FeedFile() {
    if (m_gz) gzclose(m_gz);
    if (m_fd >= 0) ::close(m_fd);
  }
  FeedFile(const FeedFile&) = delete;
  FeedFile& operator=(const FeedFile&) = delete;

  const std::string& path() const { return m_path; }
  // The descriptor of a plain file (which the reader maps instead of reading), -1 for gzip.
  int plainFd() const { return m_fd; }
  std::size_t plainSize() const { return m_size; }

  // Reads up to `n` bytes into `out`; returns how many, 0 at the end of the file.
  std::size_t read(char* out, std::size_t n) {
    if (m_fd >= 0) {
      ssize_t got = 0;
      do {
        got = ::read(m_fd, out, n);
      } while (got < 0 && errno == EINTR);
      if (got < 0) throw Error(m_path + ": cannot read AIS file: " + std::strerror(errno));
      return static_cast<std::size_t>(got);
    }
    const int got = gzread(m_gz, out, static_cast<unsigned>(n));
    if (got < 0) fail();
    if (got == 0) {
      int err = Z_OK;
      gzerror(m_gz, &err);
      if (err != Z_OK) fail();
    }
    return static_cast<std::size_t>(got);
  }

  // Appends up to `n` bytes to `out`; returns false at the end of the file.
  bool append(std::string& out, std::size_t n) {
    const auto old = out.size();
    out.resize(old + n);
    out.resize(old + read(out.data() + old, n));
    return out.size() > old;
  }

 private:
  [[noreturn]] void fail() {
    int err = Z_OK;
    const char* msg = gzerror(m_gz, &err);
    if (err == Z_BUF_ERROR) {
      throw Error(m_path + ": the gzip stream is truncated (unexpected end of file)");
    }
    throw Error(m_path + ": cannot read AIS file: " + (msg ? msg : "unknown zlib error"));
  }

  std::string m_path;
  int m_fd = -1;
  std::size_t m_size = 0;
  gzFile m_gz = nullptr;
};

// A block of whole lines (a line longer than a block comes in pieces): the pages of a plain
// file mapped in place, or a gzip stream's bytes read into a buffer that is reused from block to
// block (no zero-filling, no fresh pages).
struct Block {
  std::string_view text;
  std::unique_ptr<char[]> buffer;
  std::size_t capacity = 0;
  void* mapping = nullptr;  // unmapped with the block
  std::size_t mappingLength = 0;

  Block() = default;
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  ~Block() {
    if (mapping) ::munmap(mapping, mappingLength);
  }
};

// Cuts a file into blocks of at least `blockBytes` (the last one excepted), each ending with a
// newline. Plain files are mapped block by block, which spares the copy read(2) makes of every
// byte; gzip streams are read, each block starting with the previous one's partial last line.
class BlockReader {
 public:
  // `dataOffset` is where the rows start in a plain file; `carry` and `more` are what the header
  // read left of a gzip stream.
  BlockReader(FeedFile& file, std::size_t dataOffset, std::string carry, bool more,
              std::size_t blockBytes)
      : m_file(file),
        m_offset(dataOffset),
        m_carry(std::move(carry)),
        m_more(more),
        m_blockBytes(blockBytes) {}

  // The next block, or nullptr at the end of the file.
  std::shared_ptr<Block> next() { return m_file.plainFd() >= 0 ? nextMapped() : nextRead(); }

  // Hands a parsed block back: a read block's buffer is reused (from any thread).
  void recycle(std::shared_ptr<Block> block) {
    if (!block->mapping) m_free.push(std::move(block));
  }

 private:
  std::shared_ptr<Block> nextMapped() {
    const std::size_t size = m_file.plainSize();
    if (m_offset >= size) return nullptr;
    static const auto kPage = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t start = m_offset - m_offset % kPage;
    const std::size_t end = std::min(size, m_offset + m_blockBytes);
    auto block = std::make_shared<Block>();
    void* map = ::mmap(nullptr, end - start, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
                       m_file.plainFd(), static_cast<off_t>(start));
    if (map == MAP_FAILED) {
      throw Error(m_file.path() + ": cannot map AIS file: " + std::strerror(errno));
    }
    block->mapping = map;
    block->mappingLength = end - start;
    std::string_view text(static_cast<const char*>(map) + (m_offset - start), end - m_offset);
    if (end < size) {
      const auto last = text.rfind('\n');
      if (last != std::string_view::npos) text = text.substr(0, last + 1);
    }
    block->text = text;
    m_offset += text.size();
    return block;
  }

  std::shared_ptr<Block> nextRead() {
    if (!m_more && m_carry.empty()) return nullptr;
    std::shared_ptr<Block> block;
    if (!m_free.try_pop(block)) block = std::make_shared<Block>();
    // Reads happen below blockBytes and add at most blockBytes; the carry may be longer (the
    // header's read, or a line longer than a block).
    const std::size_t capacity = std::max(2 * m_blockBytes, m_carry.size());
    if (block->capacity < capacity) {
      block->buffer.reset(new char[capacity]);
      block->capacity = capacity;
    }
    char* data = block->buffer.get();
    std::memcpy(data, m_carry.data(), m_carry.size());
    std::size_t size = m_carry.size();
    m_carry.clear();
    while (m_more && size < m_blockBytes) {
      const auto got = m_file.read(data + size, m_blockBytes);
      size += got;
      m_more = got > 0;
    }
    block->text = std::string_view(data, size);
    if (m_more) {
      const auto last = block->text.rfind('\n');
      if (last != std::string_view::npos) {
        m_carry.assign(block->text.substr(last + 1));
        block->text = block->text.substr(0, last + 1);
      }
    }
    return block;
  }

  FeedFile& m_file;
  std::size_t m_offset;  // of the next mapped block
  std::string m_carry;
  bool m_more;
  std::size_t m_blockBytes;
  tbb::concurrent_queue<std::shared_ptr<Block>> m_free;
};

struct BadRow {
  std::int64_t line = 0;  // within the block, 0-based
  std::string problem;
};

struct BlockResult {
  std::int64_t lines = 0;
  AisCounts counts;
  std::vector<BadRow> bad;
  std::vector<std::pair<std::uint16_t, AisFix>> kept;  // (window index, fix)
  std::vector<VesselStatic> statics;                   // one per kept fix with static fields
};

class BlockParser {
 public:
  BlockParser(const AisLayout& layout, const std::vector<AoiWindow>& windows)
      : m_layout(layout), m_windows(windows) {}

  BlockResult parse(std::string_view text) const {
    BlockResult r;
    std::vector<std::string_view> fields;
    fields.reserve(static_cast<size_t>(m_layout.columnCount) + 4);
    ParsedRow row;
    const char* p = text.data();
    const char* end = p + text.size();
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      const char* lineEnd = nl ? nl : end;
      std::string_view line(p, static_cast<size_t>(lineEnd - p));
      const std::int64_t lineIndex = r.lines++;
      p = nl ? nl + 1 : end;
      if (line.empty() || line == "\r") continue;
      ++r.counts.rows;
      int columns = 0;
      if (!splitPrefix(line, m_layout.coreColumns, fields, columns)) {
        splitCsv(line, fields);
        columns = static_cast<int>(fields.size());
      }
      parseCore(m_layout, fields, columns, row);
      if (row.rowClass == RowClass::Kept && !keepIfWanted(line, fields, row, r)) {
        ++r.counts.outsideWindows;
        continue;
      }
      count(row, lineIndex, r);
    }
    return r;
  }

 private:
  // False when the fix is outside every window. A kept row whose optional numbers do not parse
  // becomes malformed.
  bool keepIfWanted(std::string_view line, std::vector<std::string_view>& fields, ParsedRow& row,
                    BlockResult& r) const {
    bool wanted = m_windows.empty();
    for (const auto& w : m_windows) wanted = wanted || w.contains(row.lon, row.lat, row.timeS);
    if (!wanted) return false;
    splitCsv(line, fields);  // all of them now
    AisFix fix;
    fix.mmsi = static_cast<std::uint32_t>(row.mmsi);
    fix.timeS = row.timeS;
    fix.lon = row.lon;
    fix.lat = row.lat;
    VesselStatic info;
    SentinelHits hits;
    if (auto problem = parseDetails(m_layout, fields, fix, info, hits)) {
      row.rowClass = RowClass::Malformed;
      row.problem = *problem;
      return true;
    }
    r.counts.sogUnavailable += hits.sog;
    r.counts.cogUnavailable += hits.cog;
    r.counts.headingUnavailable += hits.heading;
    for (size_t i = 0; i < m_windows.size() || (i == 0 && m_windows.empty()); ++i) {
      if (!m_windows.empty() && !m_windows[i].contains(row.lon, row.lat, row.timeS)) continue;
      r.kept.emplace_back(static_cast<std::uint16_t>(i), fix);
    }
    if (!info.name.empty() || !info.imo.empty() || known(info.lengthM) || !info.shipType.empty() ||
        !info.callSign.empty()) {
      r.statics.push_back(std::move(info));
    }
    return true;
  }

  static void count(const ParsedRow& row, std::int64_t lineIndex, BlockResult& r) {
    switch (row.rowClass) {
      case RowClass::Kept:
        ++r.counts.kept;
        break;
      case RowClass::Malformed:
        ++r.counts.malformed;
        if (r.bad.size() < AisCounts::kMaxBadRowsListed) r.bad.push_back({lineIndex, row.problem});
        break;
      case RowClass::InvalidMmsi:
        ++r.counts.invalidMmsi;
        break;
      case RowClass::BaseStation:
        ++r.counts.baseStation;
        break;
      case RowClass::AidToNavigation:
        ++r.counts.aidToNavigation;
        break;
      case RowClass::NotClassAB:
        ++r.counts.notClassAB;
        break;
      case RowClass::OutOfRange:
        ++r.counts.outOfRange;
        break;
      case RowClass::ZeroPosition:
        ++r.counts.zeroPosition;
        break;
    }
  }

  const AisLayout& m_layout;
  const std::vector<AoiWindow>& m_windows;
};

void mergeStatic(VesselStatic& into, const VesselStatic& from) {
  into.mmsi = from.mmsi;
  if (!from.name.empty()) into.name = from.name;
  if (!from.imo.empty()) into.imo = from.imo;
  if (!from.callSign.empty()) into.callSign = from.callSign;
  if (!from.shipType.empty()) into.shipType = from.shipType;
  if (!from.transceiverClass.empty()) into.transceiverClass = from.transceiverClass;
  if (known(from.lengthM)) into.lengthM = from.lengthM;
  if (known(from.widthM)) into.widthM = from.widthM;
}

// Reads one file through the pipeline, appending kept fixes to `out`.
FileCounts ingestFile(const std::filesystem::path& path, const AisConfig& config,
                      const std::vector<AoiWindow>& windows, const IngestOptions& options,
                      int threads, std::vector<AoiFixes>& out) {
  FeedFile file(path);
  const std::string name = path.string();
  std::string carry;
  bool more = true;
  while (carry.find('\n') == std::string::npos && more) more = file.append(carry, 64 * 1024);
  const auto nl = carry.find('\n');
  std::string header = carry.substr(0, nl);
  if (header.empty() && !more) throw Error(name + ": the AIS file is empty (no header line)");
  carry.erase(0, nl == std::string::npos ? carry.size() : nl + 1);
  const AisLayout layout = detectLayout(header, config.generic, name);
  const BlockParser parser(layout, windows);

  FileCounts fc;
  fc.file = name;
  fc.format = layout.formatName;
  std::int64_t lineBase = 2;  // the header is line 1
  BlockReader reader(file, nl == std::string::npos ? file.plainSize() : nl + 1, std::move(carry),
                     more, options.blockBytes);
  tbb::parallel_pipeline(
      static_cast<size_t>(2 * threads),
      tbb::make_filter<void, std::shared_ptr<Block>>(
          tbb::filter_mode::serial_in_order,
          [&](tbb::flow_control& fcontrol) -> std::shared_ptr<Block> {
            auto block = reader.next();
            if (!block) fcontrol.stop();
            return block;
          }) &
          tbb::make_filter<std::shared_ptr<Block>, std::shared_ptr<BlockResult>>(
              tbb::filter_mode::parallel,
              [&](std::shared_ptr<Block> block) {
                auto result = std::make_shared<BlockResult>(parser.parse(block->text));
                reader.recycle(std::move(block));
                return result;
              }) &
          tbb::make_filter<std::shared_ptr<BlockResult>, void>(
              tbb::filter_mode::serial_in_order, [&](std::shared_ptr<BlockResult> r) {
                for (const auto& b : r->bad) {
                  if (fc.counts.firstBadRows.size() < AisCounts::kMaxBadRowsListed) {
                    fc.counts.firstBadRows.push_back(
                        name + ":" + std::to_string(lineBase + b.line) + ": " + b.problem);
                  }
                }
                r->counts.firstBadRows.clear();
                fc.counts.add(r->counts);
                lineBase += r->lines;
                for (auto& [w, fix] : r->kept) out[w].fixes.push_back(fix);
                for (const auto& s : r->statics) {
                  for (auto& aoi : out) {
                    // Static data goes to every AOI; unused entries are dropped after cleaning.
                    mergeStatic(aoi.vessels[s.mmsi], s);
                  }
                }
              }));
  const auto& c = fc.counts;
  if (c.rows > 0 &&
      static_cast<double>(c.malformed) > config.maxBadShare * static_cast<double>(c.rows)) {
    std::ostringstream os;
    os << (c.firstBadRows.empty() ? name : c.firstBadRows.front()) << "\n"
       << name << ": " << c.malformed << " of " << c.rows << " rows are malformed ("
       << 100.0 * static_cast<double>(c.malformed) / static_cast<double>(c.rows)
       << " %), more than ais.max_bad_share = " << 100.0 * config.maxBadShare
       << " %; first bad rows:";
    for (const auto& b : c.firstBadRows) os << "\n  " << b;
    throw Error(os.str());
  }
  return fc;
}

}  // namespace

void AisCounts::add(const AisCounts& o) {
  rows += o.rows;
  malformed += o.malformed;
  invalidMmsi += o.invalidMmsi;
  baseStation += o.baseStation;
  aidToNavigation += o.aidToNavigation;
  notClassAB += o.notClassAB;
  outOfRange += o.outOfRange;
  zeroPosition += o.zeroPosition;
  outsideWindows += o.outsideWindows;
  duplicate += o.duplicate;
  kept += o.kept;
  positionJump += o.positionJump;
  sogUnavailable += o.sogUnavailable;
  cogUnavailable += o.cogUnavailable;
  headingUnavailable += o.headingUnavailable;
  for (const auto& b : o.firstBadRows) {
    if (firstBadRows.size() < kMaxBadRowsListed) firstBadRows.push_back(b);
  }
}

nlohmann::json AisCounts::toJson() const {
  return {{"rows", rows},
          {"malformed", malformed},
          {"invalid_mmsi", invalidMmsi},
          {"base_station", baseStation},
          {"aid_to_navigation", aidToNavigation},
          {"not_class_a_b", notClassAB},
          {"out_of_range", outOfRange},
          {"zero_position", zeroPosition},
          {"outside_windows", outsideWindows},
          {"duplicate", duplicate},
          {"kept", kept},
          {"position_jump", positionJump},
          {"sog_unavailable", sogUnavailable},
          {"cog_unavailable", cogUnavailable},
          {"heading_unavailable", headingUnavailable},
          {"first_bad_rows", firstBadRows}};
}

std::string AisCounts::summary() const {
  std::ostringstream os;
  os << rows << " rows: " << kept << " kept, " << malformed << " malformed, " << invalidMmsi
     << " invalid MMSI, " << baseStation << " base station, " << aidToNavigation
     << " aid to navigation, " << notClassAB << " not class A/B, " << outOfRange
     << " position out of range, " << zeroPosition << " at (0, 0), " << outsideWindows
     << " outside the AOI windows, " << duplicate << " duplicates; " << positionJump
     << " position jumps marked; unavailable SOG " << sogUnavailable << ", COG " << cogUnavailable
     << ", heading " << headingUnavailable;
  return os.str();
}

bool AoiWindow::contains(double lon, double lat, std::int64_t t) const {
  if (lat < minLat || lat > maxLat) return false;
  if (minLon <= maxLon ? (lon < minLon || lon > maxLon) : (lon < minLon && lon > maxLon))
    return false;
  for (const auto& [a, b] : times) {
    if (t >= a && t <= b) return true;
  }
  return false;
}

AoiWindow makeAoiWindow(const std::string& aoiId,
                        const std::vector<std::pair<double, double>>& ring,
                        bool crossesAntimeridian, double bufferM,
                        const std::vector<std::int64_t>& acquisitionTimes, std::int64_t windowS) {
  AoiWindow w;
  w.aoiId = aoiId;
  double minLon = 1e9, maxLon = -1e9, minLat = 1e9, maxLat = -1e9;
  for (auto [lon, lat] : ring) {
    if (crossesAntimeridian && lon < 0) lon += 360.0;
    minLon = std::min(minLon, lon), maxLon = std::max(maxLon, lon);
    minLat = std::min(minLat, lat), maxLat = std::max(maxLat, lat);
  }
  const double dLat = bufferM / kMetresPerDegree;
  const double cosLat =
      std::cos(std::min(89.0, std::max(std::abs(minLat), std::abs(maxLat)) + dLat) * M_PI / 180.0);
  const double dLon = bufferM / (kMetresPerDegree * std::max(cosLat, 0.01));
  w.minLat = std::max(-90.0, minLat - dLat);
  w.maxLat = std::min(90.0, maxLat + dLat);
  minLon -= dLon, maxLon += dLon;
  if (maxLon - minLon >= 360.0) {
    w.minLon = -180.0, w.maxLon = 180.0;
  } else {
    auto wrap = [](double x) { return x > 180.0 ? x - 360.0 : x < -180.0 ? x + 360.0 : x; };
    w.minLon = wrap(minLon), w.maxLon = wrap(maxLon);
  }
  std::vector<std::int64_t> times = acquisitionTimes;
  std::sort(times.begin(), times.end());
  for (const auto t : times) {
    if (!w.times.empty() && t - windowS <= w.times.back().second) {
      w.times.back().second = t + windowS;
    } else {
      w.times.emplace_back(t - windowS, t + windowS);
    }
  }
  return w;
}

double distanceM(double lon1, double lat1, double lon2, double lat2) {
  constexpr double kRad = M_PI / 180.0;
  const double dLat = (lat2 - lat1) * kRad;
  const double dLon = (lon2 - lon1) * kRad;
  const double a =
      std::sin(dLat / 2) * std::sin(dLat / 2) +
      std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dLon / 2) * std::sin(dLon / 2);
  return 2.0 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(a)));
}

void cleanFixes(std::vector<AisFix>& fixes, double maxSpeedKn, AisCounts& counts) {
  std::sort(fixes.begin(), fixes.end(), [](const AisFix& a, const AisFix& b) {
    if (a.mmsi != b.mmsi) return a.mmsi < b.mmsi;
    if (a.timeS != b.timeS) return a.timeS < b.timeS;
    if (a.lat != b.lat) return a.lat < b.lat;
    return a.lon < b.lon;
  });
  const auto sameReport = [](const AisFix& a, const AisFix& b) {
    return a.mmsi == b.mmsi && a.timeS == b.timeS && a.lat == b.lat && a.lon == b.lon;
  };
  const auto before = fixes.size();
  fixes.erase(std::unique(fixes.begin(), fixes.end(), sameReport), fixes.end());
  counts.duplicate += static_cast<std::int64_t>(before - fixes.size());
  counts.kept -= static_cast<std::int64_t>(before - fixes.size());
  const double maxMps = maxSpeedKn * kKnotMps;
  const AisFix* previous = nullptr;
  for (auto& f : fixes) {
    f.positionJump = false;
    if (previous && previous->mmsi == f.mmsi) {
      const double d = distanceM(previous->lon, previous->lat, f.lon, f.lat);
      // Timestamps have one-second resolution: a step within the same second is allowed
      // the distance one second at the maximum speed covers.
      const double dt = std::max<double>(1.0, static_cast<double>(f.timeS - previous->timeS));
      if (d > maxMps * dt) {
        f.positionJump = true;
        ++counts.positionJump;
        continue;
      }
    }
    previous = &f;
  }
}

AisIngestResult ingestAis(const std::vector<std::filesystem::path>& files, const AisConfig& config,
                          const std::vector<AoiWindow>& windows, const IngestOptions& options) {
  const int threads =
      options.threads > 0 ? options.threads : tbb::this_task_arena::max_concurrency();
  AisIngestResult result;
  result.aois.resize(windows.empty() ? 1 : windows.size());
  for (size_t i = 0; i < windows.size(); ++i) result.aois[i].aoiId = windows[i].aoiId;
  tbb::task_arena arena(threads);
  arena.execute([&] {
    for (const auto& f : files) {
      result.files.push_back(ingestFile(f, config, windows, options, threads, result.aois));
      result.total.add(result.files.back().counts);
    }
  });
  result.total.kept = 0;
  for (auto& aoi : result.aois) {
    aoi.counts.kept = static_cast<std::int64_t>(aoi.fixes.size());
    cleanFixes(aoi.fixes, config.maxSpeedKn, aoi.counts);
    std::map<std::uint32_t, VesselStatic> used;
    for (size_t i = 0; i < aoi.fixes.size(); ++i) {
      const auto mmsi = aoi.fixes[i].mmsi;
      if (i > 0 && aoi.fixes[i - 1].mmsi == mmsi) continue;
      auto it = aoi.vessels.find(mmsi);
      VesselStatic s = it != aoi.vessels.end() ? it->second : VesselStatic{};
      s.mmsi = mmsi;
      used.emplace(mmsi, std::move(s));
    }
    aoi.vessels.swap(used);
    result.total.duplicate += aoi.counts.duplicate;
    result.total.kept += aoi.counts.kept;
    result.total.positionJump += aoi.counts.positionJump;
  }
  return result;
}

std::vector<fs::path> AisConfig::resolveFiles() const {
  if (!files.empty()) return files;
  std::vector<fs::path> out;
  if (folder.empty() || !fs::is_directory(folder)) return out;
  const auto matches = [this](const std::string& name) {
    return fnmatch(glob.c_str(), name.c_str(), 0) == 0;
  };
  for (const auto& e : fs::directory_iterator(folder)) {
    if (e.is_regular_file() && matches(e.path().filename().string())) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cw::vessels
