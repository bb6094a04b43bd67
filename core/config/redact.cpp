// The effective config with every secret redacted, as JSON and as YAML, for
// `omni config show`. Each section renders itself (sections_*.cpp).
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "core/common/text.hpp"
#include "core/config/config.hpp"
#include "core/config/detail/sections.hpp"

namespace omni::config {
namespace detail {

std::string Secret(const std::string& value) { return value.empty() ? "" : "<redacted>"; }

}  // namespace detail

namespace {

// Emits a JSON tree as block YAML. Strings that would read back as another
// type (numbers, booleans, null, "") are quoted.
void EmitYaml(YAML::Emitter& out, const nlohmann::ordered_json& value) {
  if (value.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [key, child] : value.items()) {
      out << YAML::Key << key << YAML::Value;
      EmitYaml(out, child);
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& child : value) EmitYaml(out, child);
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    std::string lower = Lower(text);
    bool ambiguous = text.empty() || detail::ParseNumber(text) || lower == "true" || lower == "false" ||
                     lower == "yes" || lower == "no" || lower == "on" || lower == "off" || lower == "null" ||
                     lower == "~";
    if (ambiguous) out << YAML::DoubleQuoted;
    out << text;
  } else if (value.is_boolean()) {
    out << (value.get<bool>() ? "true" : "false");
  } else if (value.is_number_float()) {
    out << detail::FormatNumber(value.get<double>());
  } else if (value.is_number()) {
    out << value.dump();
  } else {
    out << YAML::Null;
  }
}

}  // namespace

nlohmann::ordered_json RedactedJson(const Config& config, const nlohmann::ordered_json& plan_settings) {
  nlohmann::ordered_json json;
  for (const auto& section : detail::Sections()) section.show(config, plan_settings, json);
  return json;
}

std::string RenderRedacted(const Config& config, const nlohmann::ordered_json& plan_settings) {
  YAML::Emitter out;
  out.SetIndent(2);
  EmitYaml(out, RedactedJson(config, plan_settings));
  return std::string(out.c_str()) + "\n";
}

}  // namespace omni::config
