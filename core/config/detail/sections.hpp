// The top-level sections of omni.yaml. Each section file (sections_*.cpp)
// holds a section's keys, its parser and its redacted view; the table in
// config.cpp lists them in file order, so adding a section is one new file,
// one line in that table and its settings in config.hpp.
// Private to core/config. Thread-safe: immutable values and plain functions.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/config/config.hpp"
#include "core/config/detail/parser.hpp"

namespace omni::config::detail {

struct SectionSpec {
  std::string name;  // the top-level key, e.g. "server"
  // Every mapping of the section with its keys, e.g. "database" and
  // "database.embedded", so that a key put in the wrong section can be
  // pointed to the right one.
  std::vector<std::pair<std::string, const std::vector<std::string>*>> mappings;
  void (*parse)(const Parser& parser, const Entry& entry, Config& config);
  // Adds the section to `out` with every secret redacted; `plan_settings` is
  // as for RedactedJson.
  void (*show)(const Config& config, const nlohmann::ordered_json& plan_settings, nlohmann::ordered_json& out);
};

// Every section in the order of the file and of `omni config show`.
const std::vector<SectionSpec>& Sections();

SectionSpec DatabaseSection();    // sections_database.cpp
SectionSpec ServerSection();      // sections_server.cpp
SectionSpec ConsoleSection();     // sections_console.cpp
SectionSpec LlmSection();         // sections_llm.cpp
SectionSpec EmbeddingsSection();  // sections_llm.cpp
SectionSpec KbSection();          // sections_kb.cpp
SectionSpec StripeSection();      // sections_stripe.cpp
SectionSpec EmailSection();       // sections_email.cpp
SectionSpec WebhooksSection();    // sections_webhooks.cpp
SectionSpec PlansSection();       // sections_plans.cpp
SectionSpec BillingSection();     // sections_billing.cpp
SectionSpec LoggingSection();     // sections_logging.cpp
SectionSpec DefaultBusinessSection();  // sections_default_business.cpp

// "<redacted>" for a set secret, "" for an unset one (redact.cpp).
std::string Secret(const std::string& value);

}  // namespace omni::config::detail
