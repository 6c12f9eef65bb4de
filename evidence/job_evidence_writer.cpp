#include "evidence/job_evidence_writer.hpp"

#include <future>

#include "evidence/evidence_ids.hpp"
#include "evidence/stac.hpp"

namespace cw::evidence {

ChipIndex writeJobEvidence(const std::filesystem::path& jobDir, JobEvidence& ev,
                           const JobEvidenceSources& src) {
  std::filesystem::create_directories(jobDir);
  assignEvidenceIds(ev);
  // The product does not depend on the chips: HDF5 compresses on one thread (8192² bench job:
  // ~4.5 CPU s), so it runs beside the chips and GeoJSON (~1.5 s). Each side opens its own
  // GDAL handles and only reads `ev`. The future's destructor waits for the product, so a
  // failure on this side still leaves no writer running.
  std::future<void> product = std::async(std::launch::async, [&] {
    writeHdf5Product(jobDir / "product.h5", ev, src.product);
  });
  ChipIndex chips = writeChips(jobDir, ev, src.chips);
  writeEvidenceGeoJson(jobDir / "evidence.geojson", ev, chips);
  if (src.writeDetectionsGeoJson) writeDetectionsGeoJson(jobDir / "detections.geojson", ev, chips);
  product.get();
  writeStacItem(jobDir, ev.info);
  return chips;
}

}  // namespace cw::evidence
