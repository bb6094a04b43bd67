// Strict YAML reading: positions, key paths and expectations in every error.
#include "core/common/text.hpp"
#include "core/config/detail/yaml_strict.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "core/common/error.hpp"

namespace omni::config::detail {
namespace {

// A quoted scalar carries the non-specific tag "!"; a plain one "?".
bool IsQuoted(const YAML::Node& node) { return node.Tag() == "!"; }

std::string JoinQuoted(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

}  // namespace

Location Location::Key(const std::string& key) const {
  return {source, path.empty() ? key : path + "." + key};
}

Location Location::Index(std::size_t index) const {
  return {source, path + "[" + std::to_string(index) + "]"};
}

void Fail(const Location& where, const YAML::Mark& mark, const std::string& problem, std::string hint) {
  std::string message = where.source;
  if (!mark.is_null()) {
    message += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }
  message += ": ";
  if (!where.path.empty()) message += where.path + ": ";
  message += problem;
  throw ConfigError(message, std::move(hint));
}

YAML::Node LoadDocument(const std::string& text, const std::string& source) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    Fail(Location{source, ""}, e.mark, "invalid YAML: " + e.msg);
  }
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "\"" + node.Scalar() + "\"";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

MapReader::MapReader(const YAML::Node& node, Location where) : node_(node), where_(std::move(where)) {
  mark_ = node.Mark();
  if (!node.IsMap()) Fail(where_, mark_, "expected a mapping, got " + Describe(node));
  std::set<std::string> seen;
  for (const auto& pair : node) {
    if (!pair.first.IsScalar()) Fail(where_, pair.first.Mark(), "expected a plain key, got " + Describe(pair.first));
    const std::string key = pair.first.Scalar();
    if (!seen.insert(key).second) Fail(where_.Key(key), pair.first.Mark(), "duplicate key");
    keys_.emplace_back(key, pair.first);
  }
}

MapReader::MapReader(const YAML::Node& node, Location where, std::initializer_list<const char*> allowed)
    : MapReader(node, std::move(where)) {
  const std::vector<std::string> names(allowed.begin(), allowed.end());
  for (const auto& [key, key_node] : keys_) {
    if (std::find(names.begin(), names.end(), key) != names.end()) continue;
    const std::string closest = ClosestMatch(key, names);
    Fail(where_.Key(key), key_node.Mark(), "unknown key; expected one of: " + JoinQuoted(names),
         closest.empty() ? std::string() : "Did you mean \"" + closest + "\"?");
  }
}

std::optional<YAML::Node> MapReader::Get(const std::string& key) const {
  for (const auto& pair : node_) {
    if (pair.first.Scalar() == key) return pair.second;
  }
  return std::nullopt;
}

YAML::Node MapReader::Require(const std::string& key) const {
  auto value = Get(key);
  if (!value) Fail(where_, mark_, "missing required key \"" + key + "\"");
  return *value;
}

std::string ReadString(const YAML::Node& node, const Location& where) {
  if (!node.IsScalar()) Fail(where, node.Mark(), "expected a string, got " + Describe(node));
  return node.Scalar();
}

std::string ReadNonEmptyString(const YAML::Node& node, const Location& where) {
  std::string value = Trim(ReadString(node, where));
  if (value.empty()) Fail(where, node.Mark(), "expected a non-empty string");
  return value;
}

std::int64_t ReadInt(const YAML::Node& node, const Location& where, std::int64_t min, std::int64_t max) {
  const std::string expected =
      "expected an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (!node.IsScalar() || IsQuoted(node)) Fail(where, node.Mark(), expected + ", got " + Describe(node));
  const std::string& text = node.Scalar();
  std::int64_t value = 0;
  const char* begin = text.data() + (text.size() > 1 && text[0] == '+' ? 1 : 0);
  const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    Fail(where, node.Mark(), expected + ", got " + Describe(node));
  }
  return value;
}

bool ReadBool(const YAML::Node& node, const Location& where) {
  if (node.IsScalar() && !IsQuoted(node)) {
    const std::string& text = node.Scalar();
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
  }
  Fail(where, node.Mark(), "expected true or false, got " + Describe(node));
}

std::vector<YAML::Node> ReadList(const YAML::Node& node, const Location& where) {
  if (!node.IsSequence()) Fail(where, node.Mark(), "expected a list, got " + Describe(node));
  std::vector<YAML::Node> items;
  for (const auto& item : node) items.push_back(item);
  return items;
}

std::vector<std::string> ReadStringList(const YAML::Node& node, const Location& where) {
  std::vector<std::string> values;
  const auto items = ReadList(node, where);
  for (std::size_t i = 0; i < items.size(); ++i) values.push_back(ReadNonEmptyString(items[i], where.Index(i)));
  return values;
}

std::string ReadChoice(const YAML::Node& node, const Location& where, const std::vector<std::string>& choices) {
  const std::string expected = "expected one of " + JoinQuoted(choices);
  if (!node.IsScalar()) Fail(where, node.Mark(), expected + ", got " + Describe(node));
  const std::string value = Lower(Trim(node.Scalar()));
  for (const auto& choice : choices) {
    if (Lower(choice) == value) return choice;
  }
  const std::string closest = ClosestMatch(node.Scalar(), choices);
  Fail(where, node.Mark(), expected + ", got " + Describe(node),
       closest.empty() ? std::string() : "Did you mean \"" + closest + "\"?");
}

std::string ClosestMatch(const std::string& word, const std::vector<std::string>& allowed) {
  return ClosestWord(word, allowed);
}

}  // namespace omni::config::detail
