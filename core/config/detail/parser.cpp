// The strict reading of omni.yaml shared by its section parsers. See
// parser.hpp.
#include "core/config/detail/parser.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>
#include <system_error>

#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "core/config/detail/sections.hpp"

namespace omni::config {
namespace detail {
namespace {

std::optional<std::string> ClosestKey(const std::string& key, const std::vector<std::string>& valid) {
  std::string closest = ClosestWord(key, valid);
  if (closest.empty()) return std::nullopt;
  return closest;
}

std::string UnitSuffix(const std::string& key) {
  auto ends_with = [&](const std::string& suffix) {
    return key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with("_ms")) return " (milliseconds)";
  if (ends_with("_bytes")) return " (bytes)";
  if (ends_with("_s")) return " (seconds)";
  return "";
}

// The section (other than the one holding `keys`) that has a key `name`.
std::optional<std::string> SectionHolding(const std::string& name, const std::vector<std::string>& keys) {
  for (const auto& section : Sections()) {
    for (const auto& [path, section_keys] : section.mappings) {
      if (section_keys == &keys) continue;
      if (std::find(section_keys->begin(), section_keys->end(), name) != section_keys->end()) return path;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string Join(const std::vector<std::string>& items, const std::string& separator) {
  std::string joined;
  for (const auto& item : items) {
    if (!joined.empty()) joined += separator;
    joined += item;
  }
  return joined;
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

std::string Shown(const std::string& value) {
  constexpr std::size_t kMax = 60;
  if (value.size() > kMax) return "\"" + value.substr(0, kMax) + "...\"";
  return "\"" + value + "\"";
}

std::string Described(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return Shown(node.Scalar());
    default:
      return "nothing";
  }
}

std::string IntegerExpectation(long long min, long long max, const std::string& key) {
  std::string text;
  if (max == std::numeric_limits<long long>::max() || max == kMaxMillis || max == kMaxBytes) {
    if (min == 1) {
      text = "a positive integer";
    } else if (min == 0) {
      text = "a non-negative integer";
    } else if (min == -1) {
      text = "an integer >= -1 (-1 means unlimited)";
    } else {
      text = "an integer >= " + std::to_string(min);
    }
    if (max == kMaxMillis) text += " up to " + std::to_string(kMaxMillis);
  } else {
    text = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  }
  return text + UnitSuffix(key);
}

std::optional<long long> ParseInteger(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (*begin == '+') ++begin;
  long long value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end) return std::nullopt;
  return value;
}

std::optional<double> ParseNumber(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (*begin == '+') ++begin;
  double value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::string FormatNumber(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

bool IsHttpUrl(const std::string& url) {
  for (const std::string scheme : {"http://", "https://"}) {
    if (StartsWith(Lower(url), scheme)) {
      std::string rest = url.substr(scheme.size());
      return !rest.empty() && rest[0] != '/' && rest.find_first_of(" \t\r\n") == std::string::npos;
    }
  }
  return false;
}

std::string WithoutTrailingSlash(std::string url) {
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

[[noreturn]] void ThrowUnknownKey(const std::string& place, const std::string& section, const std::string& name,
                                  const std::vector<std::string>& keys) {
  std::string hint;
  if (auto closest = ClosestKey(name, keys)) {
    hint = "Did you mean `" + *closest + "`? ";
  } else if (auto home = SectionHolding(name, keys)) {
    hint = "`" + name + "` belongs under " + *home + ". ";
  }
  hint += "Valid keys " + (section.empty() ? std::string("at the top level") : "under " + section) + ": " +
          Join(keys, ", ") + ".";
  const std::string path = (section.empty() ? "" : section + ".") + name;
  throw ConfigError(place + ": " + (path.empty() ? "" : path + ": ") + "unknown key", hint);
}

Parser::Parser(const std::string& source, const std::string& text, const EnvLookup& env) : source_(source), env_(env) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) lines_.push_back(line);
}

std::string Parser::Place(const YAML::Mark& mark) const {
  if (mark.is_null()) return source_;
  return source_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

void Parser::Fail(const YAML::Mark& mark, const std::string& path, const std::string& message,
                  const std::string& hint) const {
  throw ConfigError(Place(mark) + ": " + (path.empty() ? "" : path + ": ") + message, hint);
}

void Parser::FailValue(const Entry& entry, const std::string& message, const std::string& hint) const {
  bool blame_key = !entry.value.IsDefined() || entry.value.IsNull();
  Fail(blame_key && entry.key.IsDefined() ? entry.key.Mark() : entry.value.Mark(), entry.path, message, hint);
}

void Parser::FailExpected(const Entry& entry, const std::string& expected, const std::string& hint) const {
  if (entry.value.IsNull()) {
    FailValue(entry, "missing value, expected " + expected,
              hint.empty() ? "Remove the key to keep the default, or give a value." : hint);
  }
  FailValue(entry, "expected " + expected + ", got " + Described(entry.value), hint);
}

std::string Parser::Scalar(const Entry& entry, const std::string& expected) const {
  if (!entry.value.IsScalar()) FailExpected(entry, expected);
  return Expand(entry);
}

std::vector<Entry> Parser::Mapping(const Entry& entry, const std::vector<std::string>& keys) const {
  return Entries(entry, &keys, false, "a mapping with keys " + Join(keys, ", "));
}

std::vector<Entry> Parser::NamedMapping(const Entry& entry, const std::string& expected) const {
  return Entries(entry, nullptr, true, expected);
}

FileKey Parser::KeyOf(const Entry& entry, const Entry& section) const {
  return FileKey{entry.name, section.path, Place(entry.key.Mark())};
}

std::vector<Entry> Parser::Entries(const Entry& entry, const std::vector<std::string>* keys, bool case_insensitive,
                                   const std::string& expected) const {
  std::vector<Entry> entries;
  if (entry.value.IsNull()) return entries;
  if (!entry.value.IsMap()) FailValue(entry, "expected " + expected + ", got " + Described(entry.value));
  for (auto it = entry.value.begin(); it != entry.value.end(); ++it) {
    YAML::Node key = it->first;
    YAML::Node value = it->second;
    std::string prefix = entry.path.empty() ? "" : entry.path + ".";
    if (!key.IsScalar()) Fail(key.Mark(), entry.path, "expected a key name, got " + Described(key));
    std::string name = key.Scalar();
    std::string normalized = case_insensitive ? Lower(name) : name;
    if (keys && std::find(keys->begin(), keys->end(), normalized) == keys->end()) {
      ThrowUnknownKey(Place(key.Mark()), entry.path, name, *keys);
    }
    for (const auto& seen : entries) {
      if ((case_insensitive ? Lower(seen.name) : seen.name) == normalized) {
        Fail(key.Mark(), prefix + name,
             "duplicate key (first given at line " + std::to_string(seen.key.Mark().line + 1) + ")",
             "Give each key once; remove one of them.");
      }
    }
    entries.push_back(Entry{key, value, prefix + name, name});
  }
  return entries;
}

YAML::Mark Parser::ReferenceMark(const Entry& entry, const std::string& reference) const {
  YAML::Mark mark = entry.value.Mark();
  if (mark.is_null() || mark.line < 0 || static_cast<std::size_t>(mark.line) >= lines_.size()) return mark;
  std::size_t at = lines_[mark.line].find(reference, static_cast<std::size_t>(mark.column));
  if (at != std::string::npos) mark.column = static_cast<int>(at);
  return mark;
}

std::string Parser::Expand(const Entry& entry) const {
  const std::string& text = entry.value.Scalar();
  std::string result;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      result += text[i];
      continue;
    }
    if (text[i + 1] == '$') {
      result += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      result += '$';
      continue;
    }
    std::size_t close = text.find('}', i + 2);
    if (close == std::string::npos) {
      Fail(ReferenceMark(entry, "${"), entry.path, "unterminated ${ in value",
           "Close the reference as ${NAME}, or write $$ for a literal dollar sign.");
    }
    std::string inner = text.substr(i + 2, close - i - 2);
    std::optional<std::string> fallback;
    std::size_t dash = inner.find(":-");
    std::string name = inner.substr(0, dash);
    if (dash != std::string::npos) fallback = inner.substr(dash + 2);
    bool valid_name =
        !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
        std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
    if (!valid_name) {
      Fail(ReferenceMark(entry, "${" + inner), entry.path, "invalid environment variable reference ${" + inner + "}",
           "Write ${NAME} or ${NAME:-default}, with NAME made of letters, digits and _; $$ is a literal $.");
    }
    std::optional<std::string> value = env_ ? env_(name) : std::nullopt;
    if (value && value->empty() && fallback) value.reset();
    if (!value) {
      if (!fallback) {
        Fail(ReferenceMark(entry, "${" + inner), entry.path, "environment variable " + name + " is not set",
             "Export " + name + " before starting omni, or write ${" + name + ":-default} to fall back to a default.");
      }
      value = fallback;
    }
    result += *value;
    i = close;
  }
  return result;
}

const Entry* Section::Find(const std::string& key) const {
  for (const auto& entry : entries_) {
    if (entry.name == key) return &entry;
  }
  return nullptr;
}

const Entry* Section::ReadInteger(const std::string& key, long long* out, long long min, long long max) const {
  const Entry* entry = Find(key);
  if (!entry) return nullptr;
  std::string expected = IntegerExpectation(min, max, key);
  std::optional<long long> value = ParseInteger(parser_.Scalar(*entry, expected));
  if (!value) parser_.FailExpected(*entry, expected);
  if (*value < min || *value > max) {
    parser_.FailValue(*entry, "expected " + expected + ", got " + std::to_string(*value));
  }
  *out = *value;
  return entry;
}

const Entry* Section::Number(const std::string& key, double* out, double min, double max, bool min_exclusive,
                             const std::string& expected) const {
  const Entry* entry = Find(key);
  if (!entry) return nullptr;
  std::string text = parser_.Scalar(*entry, expected);
  std::optional<double> value = ParseNumber(text);
  if (!value) parser_.FailExpected(*entry, expected);
  if ((min_exclusive ? *value <= min : *value < min) || *value > max) {
    parser_.FailValue(*entry, "expected " + expected + ", got " + FormatNumber(*value));
  }
  *out = *value;
  return entry;
}

const Entry* Section::Boolean(const std::string& key, bool* out) const {
  const Entry* entry = Find(key);
  if (!entry) return nullptr;
  const std::string expected = "true or false";
  std::string text = Lower(parser_.Scalar(*entry, expected));
  if (text == "true" || text == "yes" || text == "on") {
    *out = true;
  } else if (text == "false" || text == "no" || text == "off") {
    *out = false;
  } else {
    parser_.FailExpected(*entry, expected);
  }
  return entry;
}

const Entry* Section::String(const std::string& key, std::string* out) const {
  const Entry* entry = Find(key);
  if (!entry) return nullptr;
  *out = parser_.Scalar(*entry, "a string");
  return entry;
}

const Entry* Section::NonEmptyString(const std::string& key, std::string* out) const {
  const Entry* entry = Find(key);
  if (!entry) return nullptr;
  *out = parser_.Scalar(*entry, "a non-empty string");
  if (out->empty()) parser_.FailValue(*entry, "expected a non-empty string, got \"\"");
  return entry;
}

const Entry* Section::Url(const std::string& key, std::string* out, bool allow_empty) const {
  const Entry* entry = Find(key);
  if (!entry) return nullptr;
  const std::string expected = allow_empty ? "an http:// or https:// URL, or \"\"" : "an http:// or https:// URL";
  std::string text = parser_.Scalar(*entry, expected);
  if (text.empty() && allow_empty) {
    out->clear();
    return entry;
  }
  if (!IsHttpUrl(text)) parser_.FailValue(*entry, "expected " + expected + ", got " + Shown(text));
  *out = WithoutTrailingSlash(text);
  return entry;
}

const Entry* Section::Choice(const std::string& key, std::string* out, const std::vector<std::string>& choices) const {
  const Entry* entry = Find(key);
  if (!entry) return nullptr;
  std::string expected = "one of " + Join(choices, ", ");
  std::string text = Lower(parser_.Scalar(*entry, expected));
  if (std::find(choices.begin(), choices.end(), text) == choices.end()) parser_.FailExpected(*entry, expected);
  *out = text;
  return entry;
}

const Entry* Section::StringList(const std::string& key, std::vector<std::string>* out, bool allow_single,
                                 bool drop_empty) const {
  const Entry* entry = Find(key);
  if (!entry) return nullptr;
  std::string expected = allow_single ? "a list of strings, or one string" : "a list of strings";
  std::vector<std::string> values;
  if (entry->value.IsScalar() && allow_single) {
    values.push_back(parser_.Scalar(*entry, expected));
  } else if (entry->value.IsSequence()) {
    std::size_t index = 0;
    for (const auto& item : entry->value) {
      Entry item_entry{YAML::Node(), item, entry->path + "[" + std::to_string(index++) + "]", ""};
      if (!item.IsScalar()) parser_.FailExpected(item_entry, "a string");
      values.push_back(parser_.Scalar(item_entry, "a string"));
      if (values.back().empty() && !drop_empty) {
        parser_.FailValue(item_entry, "expected a non-empty string, got \"\"");
      }
    }
  } else {
    parser_.FailExpected(*entry, expected);
  }
  out->clear();
  for (auto& value : values) {
    if (!value.empty()) out->push_back(std::move(value));
  }
  return entry;
}

}  // namespace detail

void FailUnknownKey(const FileKey& key, const std::vector<std::string>& valid_keys) {
  detail::ThrowUnknownKey(key.place, key.section, key.name, valid_keys);
}

}  // namespace omni::config
