// The `webhooks` section of omni.yaml: how outbound webhooks are delivered
// (the per-business endpoints live in the database, `omni webhooks`).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/detail/sections.hpp"

namespace omni::config::detail {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string> kWebhooksKeys = {"timeout_ms", "allow_private_targets",
                                                "delivery_retention_days"};

void ParseWebhooks(const Parser& parser, const Entry& entry, Config& config) {
  WebhooksSettings& webhooks = config.webhooks;
  Section section(parser, entry, kWebhooksKeys);
  section.Integer("timeout_ms", &webhooks.timeout_ms, 100, 60000);
  section.Boolean("allow_private_targets", &webhooks.allow_private_targets);
  section.Integer("delivery_retention_days", &webhooks.delivery_retention_days, 1, 3650);
}

void ShowWebhooks(const Config& config, const Json&, Json& out) {
  out["webhooks"] = Json{{"timeout_ms", config.webhooks.timeout_ms},
                         {"allow_private_targets", config.webhooks.allow_private_targets},
                         {"delivery_retention_days", config.webhooks.delivery_retention_days}};
}

}  // namespace

SectionSpec WebhooksSection() { return {"webhooks", {{"webhooks", &kWebhooksKeys}}, ParseWebhooks, ShowWebhooks}; }

}  // namespace omni::config::detail
