#include "imaging/params.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/error.hpp"

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
  if (value < spec.minValue || value > spec.maxValue) {
    std::ostringstream os;
    os << "value " << value << " is out of range [" << spec.minValue << ", " << spec.maxValue
       << "]";
    return os.str();
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
  std::string all;
  for (const auto& c : spec.choices) all += (all.empty() ? "" : ", ") + c;
  return "'" + value + "' is not one of: " + all;
}

}  // namespace cw::imaging
