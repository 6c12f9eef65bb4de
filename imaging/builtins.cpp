#include "imaging/registry.hpp"

namespace cw::imaging {

// Every built-in unit, one line each. A new method or detector adds its line here.
void registerBuiltins(Registry& registry) {
  (void)registry;
}

}  // namespace cw::imaging
