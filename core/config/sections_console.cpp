// The `console` section of omni.yaml: operator sign-in to the console and
// the operator API (core/operators): session lifetime and login throttling.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/detail/sections.hpp"

namespace omni::config::detail {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string> kConsoleKeys = {"session_ttl_s", "login_max_failures", "login_max_failures_per_ip",
                                               "login_window_s"};

void ParseConsole(const Parser& parser, const Entry& entry, Config& config) {
  ConsoleSettings& console = config.console;
  Section section(parser, entry, kConsoleKeys);
  section.Integer("session_ttl_s", &console.session_ttl_s, 1, 90LL * 86400);
  section.Integer("login_max_failures", &console.login_max_failures, 1, 1000);
  section.Integer("login_max_failures_per_ip", &console.login_max_failures_per_ip, 1, 100000);
  section.Integer("login_window_s", &console.login_window_s, 1, 86400);
}

void ShowConsole(const Config& config, const Json&, Json& out) {
  const auto& console = config.console;
  out["console"] = Json{{"session_ttl_s", console.session_ttl_s},
                        {"login_max_failures", console.login_max_failures},
                        {"login_max_failures_per_ip", console.login_max_failures_per_ip},
                        {"login_window_s", console.login_window_s}};
}

}  // namespace

SectionSpec ConsoleSection() { return {"console", {{"console", &kConsoleKeys}}, ParseConsole, ShowConsole}; }

}  // namespace omni::config::detail
