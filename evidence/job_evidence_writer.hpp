#pragma once
// One call that writes a job's evidence files in the right order, for the job runner:
//   1. assignEvidenceIds (content ids, canonical order)
//   2. chips/<id>_{before,after,mask}.png, then evidence.geojson (+ detections.geojson unless
//      disabled), while product.h5 is written on a second thread
//   3. item.json (checksums of everything above and of the runner's own files)
// The runner writes score.tif, mask.tif, changes.geojson and counts.json BEFORE this call and
// writeJobRecord (job.json) AFTER it. Distinct jobs may run in parallel threads (the HDF5 step
// is serialised internally); one job folder must be written by one thread.
#include <filesystem>

#include "evidence/chips.hpp"
#include "evidence/evidence_types.hpp"
#include "evidence/geojson_writer.hpp"
#include "evidence/hdf5_product.hpp"

namespace cw::evidence {

struct JobEvidenceSources {
  ChipSources chips;       // warped before/after rasters, mask.tif, band choice
  ProductSources product;  // score.tif and mask.tif
  bool writeDetectionsGeoJson = true;
};

// Returns the chip index (evidence id -> chip paths). `evidence` gets its ids and order.
ChipIndex writeJobEvidence(const std::filesystem::path& jobDir, JobEvidence& evidence,
                           const JobEvidenceSources& sources);

}  // namespace cw::evidence
