#include "evidence/job_evidence_writer.hpp"

#include "evidence/evidence_ids.hpp"
#include "evidence/stac.hpp"

namespace cw::evidence {

ChipIndex writeJobEvidence(const std::filesystem::path& jobDir, JobEvidence& ev,
                           const JobEvidenceSources& src) {
  std::filesystem::create_directories(jobDir);
  assignEvidenceIds(ev);
  ChipIndex chips = writeChips(jobDir, ev, src.chips);
  writeEvidenceGeoJson(jobDir / "evidence.geojson", ev, chips);
  if (src.writeDetectionsGeoJson) writeDetectionsGeoJson(jobDir / "detections.geojson", ev, chips);
  writeHdf5Product(jobDir / "product.h5", ev, src.product);
  writeStacItem(jobDir, ev.info);
  return chips;
}

}  // namespace cw::evidence
