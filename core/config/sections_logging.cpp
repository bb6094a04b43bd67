// The `logging` section of omni.yaml: level and format (log::Settings).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/detail/sections.hpp"

namespace omni::config::detail {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string> kLoggingKeys = {"level", "format"};
const std::vector<std::string> kLogLevels = {"trace", "debug", "info", "warn", "error", "off"};
const std::vector<std::string> kLogFormats = {"text", "json"};

void ParseLogging(const Parser& parser, const Entry& entry, Config& config) {
  log::Settings& logging = config.logging;
  Section section(parser, entry, kLoggingKeys);
  section.Choice("level", &logging.level, kLogLevels);
  section.Choice("format", &logging.format, kLogFormats);
}

void ShowLogging(const Config& config, const Json&, Json& out) {
  out["logging"] = Json{{"level", config.logging.level}, {"format", config.logging.format}};
}

}  // namespace

SectionSpec LoggingSection() { return {"logging", {{"logging", &kLoggingKeys}}, ParseLogging, ShowLogging}; }

}  // namespace omni::config::detail
