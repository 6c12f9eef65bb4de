#include "tiles/raster_window.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

#include <cpl_error.h>

#include "core/error.hpp"

namespace cw::tiles {
namespace {

GDALRasterBand* alphaBandOf(GDALDataset& ds) {
  for (int b = ds.GetRasterCount(); b >= 1; --b) {
    GDALRasterBand* band = ds.GetRasterBand(b);
    if (band->GetColorInterpretation() == GCI_AlphaBand) return band;
  }
  return nullptr;
}

std::string windowText(const cv::Rect& w) {
  return "window " + std::to_string(w.x) + "," + std::to_string(w.y) + " " +
         std::to_string(w.width) + "x" + std::to_string(w.height);
}

// Validity of an integer window read in its own type: no NaN or Inf is possible, and a band's
// nodata can only match when it is an integer in the type's range. Same result as comparing
// after conversion to float (every value of these types is exact in float), at a fraction of
// the cost: the per-element float test was ~5 % of a change run's CPU (perf, 8192²).
template <typename T>
void validFromIntegers(const cv::Mat& raw, const std::vector<double>& nodata,
                       const std::vector<bool>& hasNodata, cv::Mat& valid) {
  const int p = raw.channels();
  std::vector<int> bands;
  std::vector<T> values;
  for (int i = 0; i < p; ++i) {
    const double v = nodata[i];
    if (hasNodata[i] && v == std::floor(v) && v >= double(std::numeric_limits<T>::min()) &&
        v <= double(std::numeric_limits<T>::max())) {
      bands.push_back(i);
      values.push_back(static_cast<T>(v));
    }
  }
  if (bands.empty()) {
    valid.setTo(255);
    return;
  }
  for (int y = 0; y < raw.rows; ++y) {
    const T* row = raw.ptr<T>(y);
    uchar* out = valid.ptr<uchar>(y);
    for (int x = 0; x < raw.cols; ++x) {
      bool ok = true;
      for (std::size_t k = 0; k < bands.size(); ++k) ok &= row[x * p + bands[k]] != values[k];
      out[x] = ok ? 255 : 0;
    }
  }
}

}  // namespace

GDALDataset& HandleCache::get(const std::string& path) {
  auto& local = m_handles.local();
  auto it = local.find(path);
  if (it == local.end()) it = local.emplace(path, openRaster(path)).first;
  return *it->second;
}

std::vector<int> selectedBands(GDALDataset& ds, const RasterSource& source) {
  std::vector<int> bands = source.bands;
  const int count = ds.GetRasterCount();
  if (bands.empty()) {
    for (int b = 1; b <= count; ++b) bands.push_back(b);
  }
  for (int b : bands) {
    if (b < 1 || b > count) {
      throw Error(source.path + ": band " + std::to_string(b) + " out of range (1.." +
                  std::to_string(count) + ")");
    }
  }
  if (bands.empty()) throw Error(source.path + ": no raster bands");
  return bands;
}

RasterWindow readWindow(GDALDataset& ds, const RasterSource& source, const cv::Rect& window) {
  std::vector<int> bands = selectedBands(ds, source);
  const int p = static_cast<int>(bands.size());
  if (p > CV_CN_MAX) throw Error(source.path + ": too many bands (" + std::to_string(p) + ")");
  RasterWindow out;
  out.data.create(window.height, window.width, CV_32FC(p));
  CPLErrorReset();
  // Integer bands of one type are read in their own type and converted by OpenCV (SIMD):
  // GDAL's strided UInt16 -> Float32 GDALCopyWords into a pixel-interleaved buffer was ~10 % of
  // a change run's CPU (perf, 4096² 4-band UInt16). The conversion is exact either way.
  GDALDataType native = ds.GetRasterBand(bands[0])->GetRasterDataType();
  for (int b : bands) {
    if (ds.GetRasterBand(b)->GetRasterDataType() != native) native = GDT_Unknown;
  }
  const int cvDepth = native == GDT_Byte     ? CV_8U
                      : native == GDT_UInt16 ? CV_16U
                      : native == GDT_Int16  ? CV_16S
                                             : -1;
  cv::Mat raw;
  if (cvDepth >= 0) raw.create(window.height, window.width, CV_MAKETYPE(cvDepth, p));
  cv::Mat& target = cvDepth >= 0 ? raw : out.data;
  const GDALDataType readType = cvDepth >= 0 ? native : GDT_Float32;
  const GSpacing elem = static_cast<GSpacing>(target.elemSize1());
  if (ds.RasterIO(GF_Read, window.x, window.y, window.width, window.height, target.data,
                  window.width, window.height, readType, p, bands.data(), elem * p,
                  static_cast<GSpacing>(target.step[0]), elem, nullptr) != CE_None) {
    throw Error(source.path + ": cannot read " + windowText(window) + ": " +
                lastGdalError("read failed"));
  }
  if (cvDepth >= 0) raw.convertTo(out.data, CV_32F);

  // Nodata per band (the override wins), then NaN/Inf, then GDAL's per-dataset mask.
  std::vector<double> nodata(p);
  std::vector<bool> hasNodata(p, false);
  bool perDatasetMask = false;
  for (int i = 0; i < p; ++i) {
    GDALRasterBand* band = ds.GetRasterBand(bands[i]);
    int has = 0;
    const double v = band->GetNoDataValue(&has);
    if (source.nodata) {
      nodata[i] = *source.nodata;
      hasNodata[i] = true;
    } else if (has) {
      nodata[i] = v;
      hasNodata[i] = true;
    }
    const int flags = band->GetMaskFlags();
    if (!(flags & GMF_ALL_VALID) && !(flags & GMF_NODATA)) perDatasetMask = true;
  }
  out.valid.create(window.height, window.width, CV_8U);
  if (cvDepth == CV_8U) {
    validFromIntegers<uchar>(raw, nodata, hasNodata, out.valid);
  } else if (cvDepth == CV_16U) {
    validFromIntegers<uint16_t>(raw, nodata, hasNodata, out.valid);
  } else if (cvDepth == CV_16S) {
    validFromIntegers<int16_t>(raw, nodata, hasNodata, out.valid);
  } else {
    for (int y = 0; y < window.height; ++y) {
      const float* row = out.data.ptr<float>(y);
      uchar* v = out.valid.ptr<uchar>(y);
      for (int x = 0; x < window.width; ++x) {
        bool ok = true;
        for (int i = 0; i < p; ++i) {
          const float f = row[x * p + i];
          // nodata is compared after conversion to float, as GDAL stores it in the file's type.
          if (!std::isfinite(f) || (hasNodata[i] && f == static_cast<float>(nodata[i]))) ok = false;
        }
        v[x] = ok ? 255 : 0;
      }
    }
  }
  // GDAL reports an alpha band as the dataset's mask only for gray+alpha and RGBA datasets; a
  // warped VRT of 4 bands + alpha reports "all valid", so an alpha band is looked up here.
  GDALRasterBand* maskBand =
      perDatasetMask ? ds.GetRasterBand(bands[0])->GetMaskBand() : alphaBandOf(ds);
  if (maskBand) {
    cv::Mat m(window.height, window.width, CV_8U);
    if (maskBand->RasterIO(GF_Read, window.x, window.y, window.width, window.height, m.data,
                           window.width, window.height, GDT_Byte, 0,
                           static_cast<GSpacing>(m.step[0]), nullptr) != CE_None) {
      throw Error(source.path + ": cannot read mask of " + windowText(window) + ": " +
                  lastGdalError("read failed"));
    }
    out.valid.setTo(0, m == 0);
  }
  return out;
}

cv::Mat readMaskWindow(GDALDataset& ds, const MaskSource& source, const cv::Rect& window) {
  if (source.band < 1 || source.band > ds.GetRasterCount()) {
    throw Error(source.path + ": mask band " + std::to_string(source.band) + " out of range");
  }
  cv::Mat m(window.height, window.width, CV_8U);
  CPLErrorReset();
  // Read as float so that non-zero fractions (e.g. 0.5 after resampling) are not rounded to 0.
  cv::Mat f(window.height, window.width, CV_32F);
  if (ds.GetRasterBand(source.band)
          ->RasterIO(GF_Read, window.x, window.y, window.width, window.height, f.data, window.width,
                     window.height, GDT_Float32, 0, static_cast<GSpacing>(f.step[0]),
                     nullptr) != CE_None) {
    throw Error(source.path + ": cannot read mask " + windowText(window) + ": " +
                lastGdalError("read failed"));
  }
  if (source.validWhereNonZero) {
    m = (f != 0) & (f == f);
  } else {
    m = (f == 0);
  }
  return m;
}

}  // namespace cw::tiles
