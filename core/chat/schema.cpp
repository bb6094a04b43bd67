// The JSON Schema subset validator. See schema.hpp.
#include "core/chat/schema.hpp"

#include <cctype>
#include <chrono>
#include <regex>

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/common/text.hpp"

namespace omni::chat {
namespace {

using nlohmann::json;

// A short rendering of a value for messages: strings quoted, long values cut.
std::string Show(const json& value) {
  std::string text = value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

const char* TypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "value";
  }
}

bool HasType(const json& value, const std::string& type) {
  if (type == "string") return value.is_string();
  if (type == "integer") {
    return value.is_number_integer() ||
           (value.is_number_float() && value.get<double>() == static_cast<double>(static_cast<long long>(value.get<double>())));
  }
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "null") return value.is_null();
  throw InvalidInput("schema: unsupported type \"" + type + "\"");
}

std::size_t Utf8Length(const std::string& text) {
  std::size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

void Check(const json& schema, const json& value, const std::string& path, std::vector<std::string>& errors) {
  const auto fail = [&](const std::string& message) { errors.push_back(path + ": " + message); };
  if (!schema.is_object()) return;

  if (auto it = schema.find("type"); it != schema.end() && it->is_string()) {
    if (!HasType(value, it->get<std::string>())) {
      fail("expected " + it->get<std::string>() + ", got " + TypeName(value) + " " + Show(value));
      return;
    }
  }
  if (auto it = schema.find("enum"); it != schema.end() && it->is_array()) {
    bool found = false;
    for (const auto& allowed : *it) found = found || allowed == value;
    if (!found) {
      std::string list;
      for (const auto& allowed : *it) list += (list.empty() ? "" : ", ") + allowed.dump();
      fail("expected one of " + list + ", got " + Show(value));
      return;
    }
  }
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (auto it = schema.find("minLength"); it != schema.end() && Utf8Length(text) < it->get<std::size_t>()) {
      const auto min = it->get<std::size_t>();
      fail("expected at least " + std::to_string(min) + (min == 1 ? " character" : " characters") + ", got " +
           Show(value));
      return;
    }
    if (auto it = schema.find("maxLength"); it != schema.end() && Utf8Length(text) > it->get<std::size_t>()) {
      fail("expected at most " + std::to_string(it->get<std::size_t>()) + " characters, got " +
           std::to_string(Utf8Length(text)));
      return;
    }
    if (auto it = schema.find("format"); it != schema.end() && it->is_string()) {
      const auto& format = it->get_ref<const std::string&>();
      if (format == "date" && !IsIsoDate(text)) return fail("expected YYYY-MM-DD, got " + Show(value));
      if (format == "time" && !IsClockTime(text)) return fail("expected HH:MM (24-hour), got " + Show(value));
      if (format == "uuid" && !IsUuid(text)) return fail("expected an id like 0b7e...-...., got " + Show(value));
    }
    if (auto it = schema.find("pattern"); it != schema.end() && it->is_string()) {
      const std::regex pattern(it->get<std::string>(), std::regex::ECMAScript);
      if (!std::regex_search(text, pattern)) return fail("expected to match " + it->get<std::string>() + ", got " + Show(value));
    }
  }
  if (value.is_number()) {
    if (auto it = schema.find("minimum"); it != schema.end() && value.get<double>() < it->get<double>()) {
      return fail("expected at least " + it->dump() + ", got " + Show(value));
    }
    if (auto it = schema.find("maximum"); it != schema.end() && value.get<double>() > it->get<double>()) {
      return fail("expected at most " + it->dump() + ", got " + Show(value));
    }
  }
  if (value.is_object()) {
    const auto properties = schema.find("properties");
    if (auto it = schema.find("required"); it != schema.end() && it->is_array()) {
      for (const auto& key : *it) {
        if (!value.contains(key.get<std::string>())) errors.push_back(path + "." + key.get<std::string>() + ": required");
      }
    }
    const auto additional = schema.find("additionalProperties");
    const bool closed = additional != schema.end() && additional->is_boolean() && !additional->get<bool>();
    for (const auto& [key, item] : value.items()) {
      if (properties != schema.end() && properties->contains(key)) {
        Check((*properties)[key], item, path + "." + key, errors);
      } else if (closed) {
        std::string allowed;
        if (properties != schema.end()) {
          for (const auto& [name, ignored] : properties->items()) allowed += (allowed.empty() ? "" : ", ") + name;
        }
        errors.push_back(path + "." + key + ": unknown property (allowed: " + allowed + ")");
      }
    }
  }
  if (value.is_array()) {
    if (auto it = schema.find("items"); it != schema.end()) {
      for (std::size_t i = 0; i < value.size(); ++i) Check(*it, value[i], path + "[" + std::to_string(i) + "]", errors);
    }
  }
}

bool DigitsAt(const std::string& text, std::size_t pos, std::size_t count) {
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> ValidateJson(const nlohmann::json& schema, const nlohmann::json& value,
                                      const std::string& name) {
  std::vector<std::string> errors;
  Check(schema, value, name, errors);
  return errors;
}

bool IsIsoDate(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  if (!DigitsAt(text, 0, 4) || !DigitsAt(text, 5, 2) || !DigitsAt(text, 8, 2)) return false;
  const std::chrono::year_month_day date{std::chrono::year{std::stoi(text.substr(0, 4))},
                                         std::chrono::month{static_cast<unsigned>(std::stoi(text.substr(5, 2)))},
                                         std::chrono::day{static_cast<unsigned>(std::stoi(text.substr(8, 2)))}};
  return date.ok();
}

bool IsClockTime(const std::string& text) {
  if (text.size() != 5 || text[2] != ':' || !DigitsAt(text, 0, 2) || !DigitsAt(text, 3, 2)) return false;
  return std::stoi(text.substr(0, 2)) < 24 && std::stoi(text.substr(3, 2)) < 60;
}

}  // namespace omni::chat
