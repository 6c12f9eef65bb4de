#include "imaging/registry.hpp"

#include <map>

#include "core/error.hpp"
#include "core/name_suggestion.hpp"

namespace cw::imaging {

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

std::vector<std::string> Registry::methodNames() const {
  std::vector<std::string> names;
  for (const auto& e : m_methods) names.push_back(e.name);
  return names;
}

std::vector<std::string> Registry::detectorNames() const {
  std::vector<std::string> names;
  for (const auto& e : m_detectors) names.push_back(e.name);
  return names;
}

const ChangeMethodEntry& Registry::autoMethod(std::size_t bandCount) const {
  const AutoInput input = bandCount == 1 ? AutoInput::SingleBand : AutoInput::MultiBand;
  for (const auto& e : m_methods) {
    if (e.autoFor == input) return e;
  }
  throw Error("change.method auto: no registered method declares itself for " +
              std::string(bandCount == 1 ? "single-band" : "multi-band") + " inputs");
}

const ChangeMethodEntry& Registry::requireMethod(const std::string& name) const {
  const auto* e = method(name);
  if (!e) throw UsageError(unknownNameMessage("change method", name, methodNames()));
  return *e;
}

const DetectorEntry& Registry::requireDetector(const std::string& name) const {
  const auto* e = detector(name);
  if (!e) throw UsageError(unknownNameMessage("detector", name, detectorNames()));
  return *e;
}

std::unique_ptr<ChangeMethod> Registry::createMethod(const std::string& name,
                                                     const Params& p) const {
  return requireMethod(name).create(p);
}

std::unique_ptr<ObjectDetector> Registry::createDetector(const std::string& name,
                                                         const Params& p) const {
  return requireDetector(name).create(p);
}

}  // namespace cw::imaging
