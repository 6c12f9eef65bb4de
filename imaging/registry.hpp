#pragma once
// Named registry of change methods and object detectors. Registration is explicit
// (registerBuiltins() lists every unit), so one grep shows them all and a static library cannot
// silently drop one.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "imaging/change_method.hpp"
#include "imaging/object_detector.hpp"

namespace cw::imaging {

// Which inputs `change.method: auto` gives a method (at most one method per kind of input).
enum class AutoInput { Never, SingleBand, MultiBand };

struct ChangeMethodEntry {
  std::string name;
  std::string help;
  std::vector<OptionSpec> options;
  std::function<std::unique_ptr<ChangeMethod>(const Params&)> create;
  AutoInput autoFor = AutoInput::Never;
  BandNeeds bands;  // default: any band
};

struct DetectorEntry {
  std::string name;
  std::string help;
  std::vector<OptionSpec> options;
  std::function<std::unique_ptr<ObjectDetector>(const Params&)> create;
  // Its detections are vessels: the pipeline matches them with AIS and looks for side-by-side
  // hulls among them. The pipeline asks this, never the detector's name.
  bool detectsVessels = false;
  BandNeeds bands = brightnessBands();
};

class Registry {
 public:
  // The process-wide registry with every built-in unit registered (thread-safe first use).
  static const Registry& builtins();

  void add(ChangeMethodEntry entry) { m_methods.push_back(std::move(entry)); }
  void add(DetectorEntry entry) { m_detectors.push_back(std::move(entry)); }

  const ChangeMethodEntry* method(const std::string& name) const;
  // The method `change.method: auto` picks for `bandCount` bands; throws cw::Error when no
  // registered method declares itself for that input.
  const ChangeMethodEntry& autoMethod(std::size_t bandCount) const;
  const DetectorEntry* detector(const std::string& name) const;
  const std::vector<ChangeMethodEntry>& methods() const { return m_methods; }
  const std::vector<DetectorEntry>& detectors() const { return m_detectors; }
  // The registered names, in registration order (for help texts and "did you mean").
  std::vector<std::string> methodNames() const;
  std::vector<std::string> detectorNames() const;

  // The entry called `name`; cw::UsageError "unknown detector 'x' (did you mean ...)" otherwise.
  const ChangeMethodEntry& requireMethod(const std::string& name) const;
  const DetectorEntry& requireDetector(const std::string& name) const;

  std::unique_ptr<ChangeMethod> createMethod(const std::string& name, const Params& p) const;
  std::unique_ptr<ObjectDetector> createDetector(const std::string& name, const Params& p) const;

 private:
  std::vector<ChangeMethodEntry> m_methods;
  std::vector<DetectorEntry> m_detectors;
};

// Lists every built-in unit. Each unit's .cpp provides its register function.
void registerBuiltins(Registry& registry);

}  // namespace cw::imaging
