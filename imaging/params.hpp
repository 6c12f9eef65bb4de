#pragma once
// Declared, typed options for registered units (change methods, object detectors), in the
// manner of GDAL's algorithm arguments: each unit lists its options with defaults and ranges,
// the config loader validates user values against that list once, and the unit reads them back
// typed. Values are numbers or a choice from a fixed list.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cw::imaging {

// A number option's bounds at or beyond these mean "no bound" (the defaults below): docs print
// such a range open ("≥ 0", "any number").
constexpr double kNoMinimum = -1e300;
constexpr double kNoMaximum = 1e300;

struct OptionSpec {
  std::string name;
  std::string help;
  // A number option when `choices` is empty, otherwise a choice option.
  double defaultNumber = 0.0;
  double minValue = kNoMinimum;
  double maxValue = kNoMaximum;
  std::vector<std::string> choices;
  std::string defaultChoice;
  bool integer = false;  // a number option that takes whole numbers only (counts, pixel radii)

  bool isChoice() const { return !choices.empty(); }
};

// Option values after validation. Lookups of undeclared names throw cw::Error (a programming
// error).
class Params {
 public:
  Params() = default;
  explicit Params(const std::vector<OptionSpec>& specs);  // all defaults

  double number(const std::string& name) const;
  const std::string& choice(const std::string& name) const;
  void setNumber(const std::string& name, double value) { m_numbers[name] = value; }
  void setChoice(const std::string& name, std::string value) { m_choices[name] = std::move(value); }
  const std::map<std::string, double>& numbers() const { return m_numbers; }
  const std::map<std::string, std::string>& choices() const { return m_choices; }

 private:
  std::map<std::string, double> m_numbers;
  std::map<std::string, std::string> m_choices;
};

// Checks one user value against its spec; returns an error text or nothing.
std::optional<std::string> checkNumber(const OptionSpec& spec, double value);
std::optional<std::string> checkChoice(const OptionSpec& spec, const std::string& value);

// The one parser of a unit option given as text, for the config and the command line (count
// --set) alike: a choice option takes one of its choices; a number option takes a finite decimal
// number (no NaN, no infinity, no hex) within its range. Stores the value in `params` and returns
// nothing, or returns the error text ("expected a number, got 'x'", "value 9 is out of range
// [0, 1]", ...).
std::optional<std::string> setOptionFromText(Params& params, const OptionSpec& spec,
                                             const std::string& text);

// The declared option called `name`, or nullptr.
const OptionSpec* findOption(const std::vector<OptionSpec>& specs, const std::string& name);

// The one error text for an option a unit does not declare, for the config and `--set` alike:
// "unknown option 'min_lenght_m' (did you mean 'min_length_m'?)" when a declared name is one or
// two edits away, else "unknown option 'x' (options: a, b, ...)" listing every declared name.
std::string unknownOptionMessage(const std::vector<OptionSpec>& specs, const std::string& name);

// `--set name=value` settings of the command line (count, change): the unit's defaults with each
// setting parsed by setOptionFromText, in order. Throws cw::UsageError prefixed with `unit`
// ("ships: z_threshold: expected a number, got 'nan'") on a setting without '=', an undeclared
// name or a bad value.
Params paramsFromSettings(const std::string& unit, const std::vector<OptionSpec>& specs,
                          const std::vector<std::string>& settings);

}  // namespace cw::imaging
