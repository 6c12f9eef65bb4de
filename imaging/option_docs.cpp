#include "imaging/option_docs.hpp"

#include <array>
#include <charconv>
#include <sstream>

#include "core/error.hpp"
#include "core/name_suggestion.hpp"
#include "imaging/registry.hpp"

namespace cw::imaging {
namespace {

constexpr std::size_t kTextWidth = 80;
constexpr std::size_t kOptionHelpIndent = 6;
constexpr std::size_t kUnitHelpIndent = 4;

std::string toChars(double value, std::chars_format format) {
  std::array<char, 400> buf{};  // 1e300 in fixed notation has 301 digits
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), value, format);
  if (r.ec != std::errc()) throw Error("cannot format option value");
  return std::string(buf.data(), r.ptr);
}

// "1e+06" -> "1e6", "1.5e-04" -> "1.5e-4": the exponent as a person writes it.
std::string plainExponent(const std::string& scientific) {
  const auto e = scientific.find('e');
  if (e == std::string::npos) return scientific;
  std::string out = scientific.substr(0, e + 1);
  std::size_t i = e + 1;
  if (scientific[i] == '-') out += '-';
  if (scientific[i] == '-' || scientific[i] == '+') ++i;
  while (i + 1 < scientific.size() && scientific[i] == '0') ++i;
  return out + scientific.substr(i);
}

// The words of `text` after `prefix`, wrapped at kTextWidth, continuation lines indented by
// `indent`; ends with a newline.
std::string wrapped(const std::string& prefix, const std::string& text, std::size_t indent) {
  std::string out = prefix;
  std::size_t column = prefix.size();
  bool wordOnLine = false;
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    if (wordOnLine && column + 1 + word.size() > kTextWidth) {
      out += '\n' + std::string(indent, ' ');
      column = indent;
      wordOnLine = false;
    }
    if (wordOnLine) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    wordOnLine = true;
  }
  return out + '\n';
}

std::string markdownCell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string codeList(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "`" : ", `") + w + "`";
  return out;
}

struct UnitView {
  const std::string& name;
  const std::string& help;
  const std::vector<OptionSpec>& options;
};

std::vector<UnitView> unitsOf(const Registry& registry, UnitKind kind) {
  std::vector<UnitView> units;
  if (kind == UnitKind::ChangeMethod) {
    for (const auto& e : registry.methods()) units.push_back({e.name, e.help, e.options});
  } else {
    for (const auto& e : registry.detectors()) units.push_back({e.name, e.help, e.options});
  }
  return units;
}

// How a user sets the options of a kind of unit, on the command line and in a config.
struct KindWording {
  const char* title;
  const char* command;
  const char* config;
  const char* configPlace;  // where `config` goes, after it
};

KindWording wordingOf(UnitKind kind) {
  if (kind == UnitKind::ChangeMethod) {
    return {"Change method options", "changewatch change --method NAME --set name=value",
            "change: {method: NAME, options: {name: value}}", ""};
  }
  return {"Detector options", "changewatch count --detector NAME --set name=value",
          "detectors: [{name: NAME, options: {name: value}}]", " in an AOI"};
}

std::string unitOptionsText(const std::string& name, const std::string& help,
                            const std::vector<OptionSpec>& specs) {
  std::string out = wrapped(name + ": ", help, kUnitHelpIndent);
  for (const auto& s : specs) {
    const std::string range = optionRangeText(s);
    out += "  " + s.name + " = " + optionDefaultText(s) + " (" +
           (s.isChoice()           ? "one of " + range
            : range.front() == '[' ? optionTypeName(s) + " in " + range
                                   : optionTypeName(s) + " " + range) +
           ")\n";
    out += wrapped(std::string(kOptionHelpIndent, ' '), s.help, kOptionHelpIndent);
  }
  return out;
}

std::string unitOptionsMarkdown(const std::string& name, const std::string& help,
                                const std::vector<OptionSpec>& specs) {
  std::string out = "#### `" + name + "`\n\n" + help + "\n\n";
  if (specs.empty()) return out + "No options.\n";
  out += "| option | type | default | range | description |\n";
  out += "| --- | --- | --- | --- | --- |\n";
  for (const auto& s : specs) {
    const std::string def = s.isChoice() ? "`" + s.defaultChoice + "`" : optionDefaultText(s);
    const std::string range = s.isChoice() ? codeList(s.choices) : optionRangeText(s);
    out += "| `" + s.name + "` | " + optionTypeName(s) + " | " + def + " | " + range + " | " +
           markdownCell(s.help) + " |\n";
  }
  return out;
}

}  // namespace

std::string formatOptionNumber(double value) {
  const std::string fixed = toChars(value, std::chars_format::fixed);
  const std::string scientific = plainExponent(toChars(value, std::chars_format::scientific));
  return scientific.size() + 2 <= fixed.size() ? scientific : fixed;
}

std::string optionTypeName(const OptionSpec& spec) {
  return spec.isChoice() ? "choice" : spec.integer ? "integer" : "number";
}

std::string optionDefaultText(const OptionSpec& spec) {
  return spec.isChoice() ? spec.defaultChoice : formatOptionNumber(spec.defaultNumber);
}

std::string optionRangeText(const OptionSpec& spec) {
  if (spec.isChoice()) return joinNames(spec.choices);
  const bool hasMin = spec.minValue > kNoMinimum, hasMax = spec.maxValue < kNoMaximum;
  if (hasMin && hasMax) {
    return "[" + formatOptionNumber(spec.minValue) + ", " + formatOptionNumber(spec.maxValue) + "]";
  }
  if (hasMin) return "≥ " + formatOptionNumber(spec.minValue);
  if (hasMax) return "≤ " + formatOptionNumber(spec.maxValue);
  return "any number";
}

std::string unitOptions(const std::string& name, const std::string& help,
                        const std::vector<OptionSpec>& specs, DocFormat format) {
  return format == DocFormat::Text ? unitOptionsText(name, help, specs)
                                   : unitOptionsMarkdown(name, help, specs);
}

std::string registryOptions(const Registry& registry, UnitKind kind, DocFormat format) {
  const KindWording w = wordingOf(kind);
  std::string out;
  if (format == DocFormat::Text) {
    out = wrapped("",
                  std::string(w.title) + " (" + w.command + "; in a config: " + w.config +
                      w.configPlace + "):",
                  0);
  } else {
    out = std::string("### ") + w.title + "\n\nSet them with `" + w.command +
          "`, or in a config with `" + w.config + "`" + w.configPlace + ".\n";
  }
  for (const auto& u : unitsOf(registry, kind)) {
    out += '\n' + unitOptions(u.name, u.help, u.options, format);
  }
  return out;
}

std::string optionsReference(const Registry& registry, DocFormat format, const std::string& unit) {
  if (unit.empty()) {
    return registryOptions(registry, UnitKind::ChangeMethod, format) + '\n' +
           registryOptions(registry, UnitKind::Detector, format);
  }
  std::string out;
  std::vector<std::string> names;
  for (const UnitKind kind : {UnitKind::ChangeMethod, UnitKind::Detector}) {
    for (const auto& u : unitsOf(registry, kind)) {
      names.push_back(u.name);
      if (u.name == unit)
        out += (out.empty() ? "" : "\n") + unitOptions(u.name, u.help, u.options, format);
    }
  }
  if (out.empty()) {
    throw UsageError(unknownNameMessage("change method or detector", unit, names));
  }
  return out;
}

}  // namespace cw::imaging
