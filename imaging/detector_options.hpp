#pragma once
// Builders for the OptionSpec lists the object detectors declare (number and choice options).
#include <string>
#include <utility>
#include <vector>

#include "imaging/params.hpp"

namespace cw::imaging {

inline OptionSpec numberOption(std::string name, std::string help, double def, double lo,
                               double hi) {
  OptionSpec s;
  s.name = std::move(name);
  s.help = std::move(help);
  s.defaultNumber = def;
  s.minValue = lo;
  s.maxValue = hi;
  return s;
}

inline OptionSpec choiceOption(std::string name, std::string help, std::vector<std::string> choices,
                               std::string def) {
  OptionSpec s;
  s.name = std::move(name);
  s.help = std::move(help);
  s.choices = std::move(choices);
  s.defaultChoice = std::move(def);
  return s;
}

}  // namespace cw::imaging
