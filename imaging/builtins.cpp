#include "imaging/blob_detector.hpp"
#include "imaging/cva.hpp"
#include "imaging/irmad.hpp"
#include "imaging/log_ratio.hpp"
#include "imaging/registry.hpp"
#include "imaging/ship_detector.hpp"
#include "imaging/tank_detector.hpp"

namespace cw::imaging {

// Every built-in unit, one line each. A new method or detector adds its line here.
void registerBuiltins(Registry& registry) {
  (void)registry;
  registerCvaMethod(registry);
  registerIrmadMethod(registry);
  registerLogRatioMethod(registry);
  registerShipDetector(registry);
  registerTankDetector(registry);
  registerBlobDetector(registry);
}

}  // namespace cw::imaging
