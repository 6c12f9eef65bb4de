#include "tiles/land_distance.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "tiles/gdal_dataset.hpp"
#include "tiles/ogr_vector.hpp"

namespace cw::tiles {
namespace {

// Distance (pixel centre to pixel centre) from every pixel to the nearest pixel where `target` is
// non-zero; very large where there is none.
cv::Mat distanceTo(const cv::Mat& target) {
  cv::Mat src = target == 0;  // distanceTransform measures to the nearest zero pixel
  cv::Mat dist;
  cv::distanceTransform(src, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE, CV_32F);
  return dist;
}

}  // namespace

LandDistance::LandDistance(const cv::Mat& land, const cv::Mat& known, const GridSpec& grid)
    : m_grid(grid) {
  if (land.empty() || land.type() != CV_8U) throw Error("land distance: land must be CV_8U");
  if (!known.empty() && (known.size() != land.size() || known.type() != CV_8U))
    throw Error("land distance: the known mask differs from the land mask in size or type");
  if (!grid.georeferenced() || !grid.metric())
    throw Error("land distance: the grid is not a metric CRS (" + grid.describe() + ")");
  m_fx = static_cast<double>(grid.width) / land.cols;
  m_fy = static_cast<double>(grid.height) / land.rows;
  m_pixelM = std::sqrt(grid.pixelSizeX() * m_fx * grid.pixelSizeY() * m_fy);
  // Nodata is not land: an unknown pixel never counts as land, it only bounds what is known.
  cv::Mat isLand = land != 0;
  if (!known.empty()) isLand &= known != 0;
  m_toLand = distanceTo(isLand);
  cv::Mat isWater = land == 0;
  if (!known.empty()) isWater &= known != 0;
  m_toWater = distanceTo(isWater);
  m_toUnknown =
      known.empty() ? cv::Mat(land.size(), CV_32F, cv::Scalar(1e9f)) : distanceTo(known == 0);
  OGRSpatialReference srs;
  if (srs.importFromWkt(grid.wkt.c_str()) != OGRERR_NONE)
    throw Error("land distance: grid CRS cannot be read: " + grid.wkt.substr(0, 80));
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const auto toWgs84 = transformToWgs84(srs, "land distance: no transformation to WGS84");
  m_fromWgs84.reset(toWgs84->GetInverse());
  if (!m_fromWgs84) throw Error("land distance: no transformation from WGS84 to the grid CRS");
}

LandDistance LandDistance::fromWaterMask(const std::filesystem::path& waterMask,
                                         const GridSpec& grid, int maxSidePx) {
  GdalDataset ds = openRaster(waterMask.string());
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize();
  if (w != grid.width || h != grid.height)
    throw Error(waterMask.string() + ": water mask is " + std::to_string(w) + "x" +
                std::to_string(h) + " px, the grid " + grid.describe());
  const double f = std::max(1.0, static_cast<double>(std::max(w, h)) / maxSidePx);
  const int ow = std::max(1, static_cast<int>(std::lround(w / f)));
  const int oh = std::max(1, static_cast<int>(std::lround(h / f)));
  cv::Mat water(oh, ow, CV_8U);
  GDALRasterIOExtraArg extra;
  INIT_RASTERIO_EXTRA_ARG(extra);
  extra.eResampleAlg = GRIORA_NearestNeighbour;
  if (ds->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, w, h, water.data, ow, oh, GDT_Byte, 0, 0,
                                     &extra) != CE_None)
    throw Error(waterMask.string() + ": " + lastGdalError("water mask read failed"));
  return LandDistance(water == 0, cv::Mat(), grid);
}

std::optional<double> LandDistance::distanceM(double lon, double lat) const {
  double x = lon, y = lat;
  if (!m_fromWgs84->Transform(1, &x, &y)) return std::nullopt;
  const cv::Point2d px = m_grid.mapToPixel(x, y);
  const double cx = px.x / m_fx, cy = px.y / m_fy;  // raster pixel coordinates
  const int col = static_cast<int>(std::floor(cx)), row = static_cast<int>(std::floor(cy));
  if (col < 0 || row < 0 || col >= m_toLand.cols || row >= m_toLand.rows) return std::nullopt;
  // Distances to the edges of the nearest land and unknown pixels (half a pixel nearer than
  // their centres), and to the raster's border.
  const double unknown = std::max(0.0, m_toUnknown.at<float>(row, col) - 0.5);
  const double edge = std::min({cx, cy, m_toLand.cols - cx, m_toLand.rows - cy});
  if (m_toLand.at<float>(row, col) == 0.0f) {  // on a land pixel: how far inside
    const double water = std::max(0.0, m_toWater.at<float>(row, col) - 0.5);
    if (water > std::min(unknown, edge)) return std::nullopt;
    return -water * m_pixelM;
  }
  const double land = std::max(0.0, m_toLand.at<float>(row, col) - 0.5);
  if (land > std::min(unknown, edge)) return std::nullopt;
  return land * m_pixelM;
}

}  // namespace cw::tiles
