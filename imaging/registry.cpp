#include "imaging/registry.hpp"

#include <map>

#include "core/error.hpp"

namespace cw::imaging {

BandRole bandRoleFromName(const std::string& name) {
  static const std::map<std::string, BandRole> kRoles{
      {"blue", BandRole::Blue}, {"green", BandRole::Green}, {"red", BandRole::Red},
      {"nir", BandRole::Nir},   {"vv", BandRole::Vv},       {"vh", BandRole::Vh}};
  const auto it = kRoles.find(name);
  return it == kRoles.end() ? BandRole::Grey : it->second;
}

const Registry& Registry::builtins() {
  static const Registry registry = [] {
    Registry r;
    registerBuiltins(r);
    return r;
  }();
  return registry;
}

const ChangeMethodEntry* Registry::method(const std::string& name) const {
  for (const auto& e : m_methods) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const DetectorEntry* Registry::detector(const std::string& name) const {
  for (const auto& e : m_detectors) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::unique_ptr<ChangeMethod> Registry::createMethod(const std::string& name,
                                                     const Params& p) const {
  const auto* e = method(name);
  if (!e) throw UsageError("unknown change method '" + name + "'");
  return e->create(p);
}

std::unique_ptr<ObjectDetector> Registry::createDetector(const std::string& name,
                                                         const Params& p) const {
  const auto* e = detector(name);
  if (!e) throw UsageError("unknown detector '" + name + "'");
  return e->create(p);
}

}  // namespace cw::imaging
