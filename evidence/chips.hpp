#pragma once
// Evidence chips: for each change polygon and detection, a context window around it read from
// the before and after rasters and from the change mask, written as PNG (GDAL PNG driver via a
// MEM dataset, atomically) to <jobDir>/chips/<id>_{before,after,mask}.png.
//
// The contrast stretch is computed once per item from the pooled valid pixels of BOTH dates'
// windows (per display channel, low/high percentiles) and applied to both, so a brightness
// difference between the chips is a difference in the data, not in the display. The mask chip
// shows change (white), no change (dark grey) and no decision (dark blue) with the item's outline
// drawn in red (cv::polylines on the polygon ring, or the oriented box of a detection).
// Not thread-safe (opens its own GDAL handles; call from one thread per job).
#include <filesystem>
#include <string>
#include <vector>

#include "evidence/evidence_types.hpp"
#include "evidence/geojson_writer.hpp"

namespace cw::evidence {

struct ChipSources {
  // GDAL-readable rasters on the job's AOI grid (same size and geotransform as JobInfo::grid):
  // the warped scenes (VRT or COG) and mask.tif (0 no change, 1 change, 255 no decision).
  std::string beforePath;
  std::string afterPath;
  std::string maskPath;
  // 1-based band indices to render: 3 entries (red, green, blue) or 1 (grey). Empty: {3,2,1}
  // when the raster has at least 3 bands (blue, green, red, ... band order), else {1}.
  std::vector<int> beforeBands;
  std::vector<int> afterBands;
  int contextPx = 96;      // minimum chip side; larger items get 1.5x their box plus a margin
  int maxChipSidePx = 512;  // chips of very large polygons are capped (centred on the item)
  int maxItems = 200;      // chips for at most this many items: changes by area, then detections
                           // by score; the rest get none (their chip paths stay empty)
  double lowPercentile = 2.0;
  double highPercentile = 98.0;
};

// Writes the chips and returns the relative chip paths per evidence id. Requires ids
// (assignEvidenceIds). Throws cw::Error when a raster cannot be opened or read.
ChipIndex writeChips(const std::filesystem::path& jobDir, const JobEvidence& evidence,
                     const ChipSources& sources);

}  // namespace cw::evidence
