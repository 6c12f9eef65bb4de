#pragma once
// How the declared options of the change methods and detectors read for people. Every place that
// shows them (`count --help`, `change --help`, `changewatch options`, the generated part of
// docs/config.md, and the range in an out-of-range error) renders them here from the units'
// OptionSpec lists, so none lists an option by hand and none can drift from the declarations, as
// GDAL's algorithms derive their usage text from their declared arguments.
//
// Numbers print in their shortest exact form, in scientific notation only where it is at least
// two characters shorter: 0.5, 6, 1000, 1e4, 1e-4, 0.999999999999. A range prints closed as
// "[0, 1]"; a side at kNoMinimum/kNoMaximum is open: "≥ 0", "≤ 1", "any number".
#include <string>
#include <vector>

#include "imaging/params.hpp"

namespace cw::imaging {

class Registry;

enum class UnitKind { ChangeMethod, Detector };

// The shortest text that reads back as exactly `value` (see above).
std::string formatOptionNumber(double value);

// "number" or "choice".
std::string optionTypeName(const OptionSpec& spec);

// The default as a user would write it: "6", "1e-4", "otsu".
std::string optionDefaultText(const OptionSpec& spec);

// A number option's accepted values ("[1, 1000]", "≥ 0", "any number"); a choice option's
// choices ("otsu, kittler").
std::string optionRangeText(const OptionSpec& spec);

enum class DocFormat {
  Text,      // for a terminal (80 columns)
  Markdown,  // for docs/config.md
};

// One unit's options. Text: "NAME: help", then per option
//   "  name = default (number in [lo, hi])" or "  name = default (one of a, b)"
// and its help on the following lines, indented by six. Markdown: a "#### `NAME`" heading, its
// help, and a table with one row per option (option, type, default, range, description), with
// '|' in the texts escaped.
std::string unitOptions(const std::string& name, const std::string& help,
                        const std::vector<OptionSpec>& specs, DocFormat format);

// Every registered unit of one kind, in registration order, after a heading that says how to set
// their options on the command line and in a config ("### " in Markdown). The text form ends
// `change --help` and `count --help`.
std::string registryOptions(const Registry& registry, UnitKind kind, DocFormat format);

// What `changewatch options` prints: every unit's options, change methods first, the two kinds
// apart by a blank line (the Markdown form is what docs/config.md embeds); or, when `unit` is not
// empty, only the unit(s) of that name. Throws cw::UsageError naming the registered units when
// none has that name.
std::string optionsReference(const Registry& registry, DocFormat format,
                             const std::string& unit = "");

}  // namespace cw::imaging
