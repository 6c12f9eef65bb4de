#pragma once
// The review layers of a job folder, JOB/.work/layers.json: which warped rasters the viewer's
// before/after tiles render, and which of their bands are red, green, blue and alpha. The job
// runner writes it; `serve` reads it through readJobLayers(), so the file's layout lives here only.
// The tiles render from the lazy warped VRTs (written beside the GeoTIFFs), which keep the
// sources' overviews for low zooms; the GeoTIFFs have none.
#include <filesystem>
#include <optional>
#include <vector>

namespace cw::pipeline {

struct JobLayers {
  std::filesystem::path before;  // absolute paths
  std::filesystem::path after;
  std::vector<int> rgbBands;  // 1-based; {1} for one grey band
  int alphaBand = 0;          // 0 = none
};

// Writes JOB/.work/layers.json (atomically) naming before.vrt and after.vrt in JOB/.work.
void writeJobLayers(const std::filesystem::path& jobDir, const std::vector<int>& rgbBands,
                    int alphaBand);

// The layers of a job folder, or nothing when it has no readable layers.json.
std::optional<JobLayers> readJobLayers(const std::filesystem::path& jobDir);

}  // namespace cw::pipeline
