#pragma once
// Evidence chips: for each change polygon, ship-to-ship candidate (both hulls' boxes; an AIS
// encounter only when a scene of the job was acquired during it, a square of its median distance)
// and detection, a context window around it read from
// the before and after rasters and from the change mask, written as PNG (GDAL PNG driver via a
// MEM dataset, atomically) to <jobDir>/chips/<id>_{before,after,mask}.png.
//
// Unchanged ground looks the same in both chips: the after date is first put on the before
// date's radiometry (per band, after' = (after - offset) / gain, from ChipSources::afterGain /
// afterOffset: the job's no-change normalization), then ONE contrast stretch (low/high
// percentiles of the pooled valid pixels of both dates and every display channel) is applied to
// both, so neither a date's gain nor a per-band stretch tints the ground (per-band stretches
// turned the same grey ground cyan before and orange after). True colour when red, green and blue
// exist. Validated on simulator pairs (tests/pipeline/test_run_e2e.cpp): the mean absolute
// difference of the two chips over the pixels the mask calls unchanged is at most 8 of 255.
// The mask chip shows change (white), no change (dark grey) and no decision (dark blue) with the
// item's outline drawn in red (cv::polylines on the polygon ring, or the oriented box of a
// detection). Chips narrower than minDisplayPx are enlarged (nearest neighbour, whole factors)
// and every chip gets a caption strip: date and time and scene id (before/after), or the mask
// legend, then a scale bar and a north arrow (the AOI grids are north-up UTM).
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
  int contextPx = 96;       // minimum chip side; larger items get 1.5x their box plus a margin
  int maxChipSidePx = 512;  // chips of very large polygons are capped (centred on the item)
  int maxItems = 200;       // chips for at most this many items: changes by area, STS candidates,
                            // then detections by score; the rest get none (chip paths stay empty)
  double lowPercentile = 2.0;
  double highPercentile = 98.0;
  // The after date on the before date's radiometry, per rendered band (same order as
  // afterBands): after ≈ gain · before + offset over unchanged ground. Empty: fitted by
  // fitNoChangeNormalization on the mask's unchanged pixels.
  std::vector<double> afterGain;
  std::vector<double> afterOffset;
  int minDisplayPx = 256;  // narrower chips are enlarged by a whole factor for the caption
};

// Per-band no-change normalization of `afterPath` onto `beforePath` (after ≈ gain · before +
// offset), fitted by robust orthogonal regression (cv::fitLine, Huber) on the pixels maskPath calls
// unchanged (0) and both dates image, sampled on a lattice of at most 1024 px a side. Bands with
// fewer than 100 such pixels keep the identity. writeChips calls it when ChipSources gives no
// afterGain/afterOffset.
struct NoChangeNormalization {
  std::vector<double> gain, offset;
};
NoChangeNormalization fitNoChangeNormalization(const std::string& beforePath,
                                               const std::string& afterPath,
                                               const std::string& maskPath,
                                               const std::vector<int>& bands);

// Writes the chips and returns the relative chip paths per evidence id. Requires ids
// (assignEvidenceIds). Throws cw::Error when a raster cannot be opened or read.
ChipIndex writeChips(const std::filesystem::path& jobDir, const JobEvidence& evidence,
                     const ChipSources& sources);

}  // namespace cw::evidence
