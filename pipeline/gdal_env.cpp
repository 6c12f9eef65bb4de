#include "pipeline/gdal_env.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal_priv.h>

#include <mutex>

#include "core/log.hpp"

namespace cw::pipeline {
namespace {
void CPL_STDCALL routeCplError(CPLErr level, CPLErrorNum, const char* message) {
  // Failures reach the user through the exception that the caller raises with CPLGetLastErrorMsg;
  // warnings go to the log so that they are not lost.
  if (level == CE_Warning) cw::log::debug(std::string("GDAL: ") + message);
  if (level == CE_Debug) cw::log::debug(std::string("GDAL: ") + message);
}
}  // namespace

void initGdal(int cacheMb) {
  static std::once_flag once;
  std::call_once(once, [cacheMb] {
    GDALAllRegister();
    CPLSetErrorHandler(routeCplError);
    if (!CPLGetConfigOption("GDAL_CACHEMAX", nullptr)) {
      GDALSetCacheMax64(static_cast<GIntBig>(cacheMb) * 1024 * 1024);
    }
  });
}

}  // namespace cw::pipeline
