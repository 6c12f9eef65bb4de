#include "imaging/params.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "core/error.hpp"
#include "core/name_suggestion.hpp"
#include "imaging/option_docs.hpp"

namespace cw::imaging {

Params::Params(const std::vector<OptionSpec>& specs) {
  for (const auto& s : specs) {
    if (s.isChoice()) {
      m_choices[s.name] = s.defaultChoice;
    } else {
      m_numbers[s.name] = s.defaultNumber;
    }
  }
}

double Params::number(const std::string& name) const {
  auto it = m_numbers.find(name);
  if (it == m_numbers.end()) throw Error("undeclared number option '" + name + "'");
  return it->second;
}

const std::string& Params::choice(const std::string& name) const {
  auto it = m_choices.find(name);
  if (it == m_choices.end()) throw Error("undeclared choice option '" + name + "'");
  return it->second;
}

std::optional<std::string> checkNumber(const OptionSpec& spec, double value) {
  if (spec.integer && value != std::floor(value)) {
    return "value " + formatOptionNumber(value) + " is not a whole number";
  }
  if (value < spec.minValue || value > spec.maxValue) {
    const std::string range = optionRangeText(spec);
    return "value " + formatOptionNumber(value) + " is out of range " +
           (range.front() == '[' ? range : "(" + range + ")");
  }
  return std::nullopt;
}

std::optional<std::string> setOptionFromText(Params& params, const OptionSpec& spec,
                                             const std::string& text) {
  if (spec.isChoice()) {
    if (auto err = checkChoice(spec, text)) return err;
    params.setChoice(spec.name, text);
    return std::nullopt;
  }
  char* end = nullptr;
  const double v = text.empty() || text.find_first_of("xX") != std::string::npos
                       ? 0.0
                       : std::strtod(text.c_str(), &end);
  if (!end || end == text.c_str() || *end != '\0' ||
      std::isspace(static_cast<unsigned char>(text[0])) || !std::isfinite(v)) {
    return "expected a number, got '" + text + "'";
  }
  if (auto err = checkNumber(spec, v)) return err;
  params.setNumber(spec.name, v);
  return std::nullopt;
}

std::optional<std::string> checkChoice(const OptionSpec& spec, const std::string& value) {
  for (const auto& c : spec.choices) {
    if (c == value) return std::nullopt;
  }
  return "'" + value + "' is not one of: " + joinNames(spec.choices);
}

const OptionSpec* findOption(const std::vector<OptionSpec>& specs, const std::string& name) {
  for (const auto& s : specs) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string unknownOptionMessage(const std::vector<OptionSpec>& specs, const std::string& name) {
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);
  const std::string msg = "unknown option '" + name + "'";
  if (names.empty()) return msg + " (it declares no options)";
  const std::string best = closestName(name, names);
  if (!best.empty()) return msg + " (did you mean '" + best + "'?)";
  return msg + " (options: " + joinNames(names) + ")";
}

Params paramsFromSettings(const std::string& unit, const std::vector<OptionSpec>& specs,
                          const std::vector<std::string>& settings) {
  Params params(specs);
  for (const auto& kv : settings) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) throw UsageError("--set expects name=value, got '" + kv + "'");
    const std::string name = kv.substr(0, eq), value = kv.substr(eq + 1);
    const OptionSpec* spec = findOption(specs, name);
    if (!spec) throw UsageError(unit + ": " + unknownOptionMessage(specs, name));
    if (auto err = setOptionFromText(params, *spec, value)) {
      throw UsageError(unit + ": " + name + ": " + *err);
    }
  }
  return params;
}

}  // namespace cw::imaging
