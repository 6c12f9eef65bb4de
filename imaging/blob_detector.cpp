#include "imaging/blob_detector.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "imaging/detector_options.hpp"
#include "imaging/ship_detector.hpp"
#include "imaging/water_mask.hpp"

namespace cw::imaging {
namespace {

BlobDetectorOptions fromParams(const Params& p) {
  BlobDetectorOptions o;
  o.polarity = p.choice("polarity");
  o.backgroundWindowM = p.number("background_window_m");
  o.contrast = p.number("contrast");
  o.openM = p.number("open_m");
  o.minAreaM2 = p.number("min_area_m2");
  o.maxAreaM2 = p.number("max_area_m2");
  o.minWidthM = p.number("min_width_m");
  o.minElongation = p.number("min_elongation");
  o.maxElongation = p.number("max_elongation");
  return o;
}

int windowPx(double m, double px) {
  return std::max(3, static_cast<int>(std::lround(m / px))) | 1;
}

}  // namespace

std::vector<OptionSpec> BlobDetector::optionSpecs() {
  const BlobDetectorOptions d;
  return {
      choiceOption("polarity", "objects brighter, darker or either than their background",
                   {"bright", "dark", "both"}, d.polarity),
      numberOption("background_window_m", "local background box width, m", d.backgroundWindowM, 0.5,
                   1e4),
      numberOption("contrast", "threshold in local standard deviations", d.contrast, 0.1, 100.0),
      numberOption("open_m", "morphological opening width, m (0 = none)", d.openM, 0.0, 1e3),
      numberOption("min_area_m2", "smallest object area, m2", d.minAreaM2, 0.0, 1e9),
      numberOption("max_area_m2", "largest object area, m2", d.maxAreaM2, 0.0, 1e9),
      numberOption("min_width_m", "smallest object width, m", d.minWidthM, 0.0, 1e4),
      numberOption("min_elongation", "smallest length/width", d.minElongation, 1.0, 1e3),
      numberOption("max_elongation", "largest length/width", d.maxElongation, 1.0, 1e3),
  };
}

BlobDetector::BlobDetector(BlobDetectorOptions options, std::string name)
    : m_options(std::move(options)), m_name(std::move(name)) {
  if (m_options.minAreaM2 > m_options.maxAreaM2) {
    throw UsageError("blobs: min_area_m2 must be <= max_area_m2");
  }
  if (m_options.polarity != "bright" && m_options.polarity != "dark" &&
      m_options.polarity != "both") {
    throw UsageError("blobs: polarity must be bright, dark or both");
  }
}

BlobDetector::BlobDetector(const Params& params, std::string name)
    : BlobDetector(fromParams(params), std::move(name)) {}

int BlobDetector::haloPx(double pixelSizeM) const {
  // Background window, plus the longest object that can pass the area/elongation filters.
  const double maxLengthM = std::sqrt(m_options.maxAreaM2 * m_options.maxElongation);
  return windowPx(m_options.backgroundWindowM, pixelSizeM) / 2 +
         static_cast<int>(std::ceil(maxLengthM / pixelSizeM / 2.0)) + 2;
}

std::vector<Detection> BlobDetector::detect(const DetectionTile& tile) const {
  const auto& o = m_options;
  if (tile.image.empty()) return {};
  const double px = tile.pixelSizeM;
  if (!(px > 0.0)) throw Error("blobs: pixel size must be > 0 m");
  const cv::Mat valid =
      tile.valid.empty() ? cv::Mat(tile.image.size(), CV_8U, cv::Scalar(255)) : tile.valid;
  const cv::Mat band = brightnessBand(tile.image, tile.roles);

  // Background statistics over valid pixels only.
  cv::Mat vf;
  valid.convertTo(vf, CV_32F, 1.0 / 255.0);
  const cv::Mat b = band.mul(vf);
  const int w = windowPx(o.backgroundWindowM, px);
  cv::Mat sum, sq, cnt;
  cv::blur(b, sum, cv::Size(w, w));
  cv::blur(b.mul(b), sq, cv::Size(w, w));
  cv::blur(vf, cnt, cv::Size(w, w));
  cnt = cv::max(cnt, 1e-3);
  const cv::Mat mean = sum / cnt;
  cv::Mat sd;
  cv::sqrt(cv::max(sq / cnt - mean.mul(mean), 1e-6), sd);
  const cv::Mat z = (band - mean) / sd;

  // Bright and dark objects are separate layers, so touching bright and dark objects (a car
  // and its shadow) stay separate components.
  std::vector<cv::Mat> layers;
  if (o.polarity != "dark") layers.push_back(z > o.contrast);
  if (o.polarity != "bright") layers.push_back(z < -o.contrast);
  const int openPx = static_cast<int>(std::lround(o.openM / px));
  std::vector<Detection> out;
  for (auto& layer : layers) {
    layer &= valid;
    if (openPx >= 2) {
      cv::morphologyEx(layer, layer, cv::MORPH_OPEN,
                       cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(openPx, openPx)));
    }
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(layer, labels, stats, centroids, 8, CV_32S);
    std::vector<std::vector<cv::Point>> pixels(n);
    for (int y = 0; y < labels.rows; ++y) {
      const int* pl = labels.ptr<int>(y);
      for (int x = 0; x < labels.cols; ++x) {
        if (pl[x]) pixels[pl[x]].emplace_back(x, y);
      }
    }
    for (int i = 1; i < n; ++i) {
      const double areaM2 = stats.at<int>(i, cv::CC_STAT_AREA) * px * px;
      if (areaM2 < o.minAreaM2 || areaM2 > o.maxAreaM2) continue;
      const ComponentShape s = componentShape(pixels[i], px);
      const double elongation = s.lengthM / std::max(s.widthM, px);
      if (elongation < o.minElongation || elongation > o.maxElongation) continue;
      if (s.widthM < o.minWidthM) continue;
      double peak = 0.0;
      for (const auto& p : pixels[i]) peak = std::max(peak, std::abs(double(z.at<float>(p))));
      Detection d;
      d.kind = m_name == kVehiclesName ? "vehicle" : "blob";
      d.centroidPx = {centroids.at<double>(i, 0) + 0.5, centroids.at<double>(i, 1) + 0.5};
      d.lengthM = s.lengthM;
      d.widthM = s.widthM;
      d.headingDeg = s.headingDeg;
      d.areaM2 = areaM2;
      d.score = peak;
      out.push_back(d);
    }
  }
  return out;
}

void registerBlobDetector(Registry& registry) {
  registry.add(DetectorEntry{
      BlobDetector::kName,
      "bright/dark compact objects (vehicles, containers) by local contrast, area and elongation",
      BlobDetector::optionSpecs(),
      [](const Params& p) { return std::make_unique<BlobDetector>(p); }});
  registry.add(DetectorEntry{
      BlobDetector::kVehiclesName,
      "vehicles in 0.2-0.5 m imagery: the blob counter with its vehicle-tuned defaults "
      "(tuned on DOTA P1888, 0.27 m)",
      BlobDetector::optionSpecs(), [](const Params& p) {
        return std::make_unique<BlobDetector>(p, BlobDetector::kVehiclesName);
      }});
}

}  // namespace cw::imaging
