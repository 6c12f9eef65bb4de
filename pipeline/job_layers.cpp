#include "pipeline/job_layers.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"

namespace cw::pipeline {

void writeJobLayers(const std::filesystem::path& jobDir, const std::vector<int>& rgbBands,
                    int alphaBand) {
  cw::writeFileAtomic(jobDir / ".work" / "layers.json", nlohmann::json{{"before", "before.vrt"},
                                                                       {"after", "after.vrt"},
                                                                       {"rgb_bands", rgbBands},
                                                                       {"alpha_band", alphaBand}}
                                                                .dump() +
                                                            "\n");
}

std::optional<JobLayers> readJobLayers(const std::filesystem::path& jobDir) {
  const auto work = jobDir / ".work";
  std::ifstream in(work / "layers.json");
  if (!in) return std::nullopt;
  const auto layers = nlohmann::json::parse(in, nullptr, false);
  if (layers.is_discarded() || !layers.is_object()) return std::nullopt;
  JobLayers out;
  out.before = work / layers.value("before", "before.vrt");
  out.after = work / layers.value("after", "after.vrt");
  out.rgbBands = layers.value("rgb_bands", std::vector<int>{1, 2, 3});
  out.alphaBand = layers.value("alpha_band", 0);
  return out;
}

}  // namespace cw::pipeline
