#pragma once
// Retention: `changewatch purge OUT` removes the files whose retention has expired and keeps the
// hashes (job.json, manifest.json), the verdicts and a hash-chained record of each removal in
// OUT/purged.jsonl (path, SHA-256, size, time, rule), so `verify` reports them as purged.
//
// Kinds: chips (PNG files under a job's chips/ folder), rasters (GeoTIFF and HDF5 files of a job:
// the before/after COGs, mask, score, product.h5), AIS fixes (the per-AOI store OUT/<aoi>/ais.gpkg
// as a whole, and files under a vessels/ or ais/ folder; fixes are not expired one by one inside
// the store). A file's age counts from its job's "finished" time in job.json (the file's mtime when
// it belongs to no job). Nothing else is ever removed.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cw::evidence {

struct RetentionRules {
  std::optional<int> chipsDays, rastersDays, aisDays;  // unset: keep forever
};

struct PurgeResult {
  std::vector<std::string> removed;  // relative paths
  std::uintmax_t bytes = 0;
};

// Removes what has expired at `nowEpoch` (seconds). With `dryRun`, only lists it.
PurgeResult purgeExpired(const std::filesystem::path& outDir, const RetentionRules& rules,
                         std::int64_t nowEpoch, bool dryRun);

}  // namespace cw::evidence
