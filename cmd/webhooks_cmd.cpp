// `omni webhooks add|list|show|rm|enable|disable|rotate-secret|test|
// deliveries|replay`: a business's outbound webhook endpoints
// (core/webhooks), their signing secrets, their delivery log and replays.
#include <chrono>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/business/business.hpp"
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "core/webhooks/webhooks.hpp"

namespace omni::cli {
namespace {

using Json = nlohmann::ordered_json;

struct AddOptions {
  std::string url;
  std::string secret;
  std::vector<std::string> events;
  std::string description;
};

struct IdOptions {
  std::string id;
};

struct DisableOptions {
  std::string id;
  std::string reason;
};

struct RotateOptions {
  std::string id;
  std::string secret;
  std::string overlap = "24h";
};

struct DeliveriesOptions {
  std::string endpoint;
  int limit = 50;
};

const std::vector<Column> kEndpointColumns = {{"id", "ID"},          {"url", "URL"},       {"events", "EVENTS"},
                                              {"secret", "SECRET"},  {"state", "STATE"},   {"failing_since", "FAILING SINCE"},
                                              {"disabled_reason", "WHY DISABLED"},
                                              {"previous_secret", "OLD SECRET"},
                                              {"previous_secret_expires_at", "OLD SECRET UNTIL"}};
const std::vector<Column> kAddedColumns = {{"id", "ID"},         {"url", "URL"},       {"events", "EVENTS"},
                                           {"secret", "SECRET"}};
const std::vector<Column> kRotatedColumns = {{"id", "ID"},
                                             {"url", "URL"},
                                             {"secret", "SECRET"},
                                             {"previous_secret", "OLD SECRET"},
                                             {"previous_secret_expires_at", "OLD SECRET UNTIL"}};
const std::vector<Column> kDeliveryColumns = {{"id", "ID"},         {"at", "AT"},          {"event_type", "EVENT"},
                                              {"event_id", "WEBHOOK-ID"}, {"attempt", "TRY"}, {"status", "STATUS"},
                                              {"duration_ms", "MS"}, {"error", "ERROR"},     {"endpoint_id", "ENDPOINT"}};

std::string Utc(TimePoint t) { return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t)); }

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

Json EndpointJson(const webhooks::Endpoint& e, bool json) {
  Json events = json ? Json(e.events) : Json(e.events.size() == webhooks::EventNames().size() ? "*" : Joined(e.events));
  return {{"id", e.id},
          {"url", e.url},
          {"events", events},
          {"secret", e.secret_prefix + "..."},
          {"state", e.enabled ? "enabled" : "disabled"},
          {"failing_since", e.failing_since ? Utc(*e.failing_since) : ""},
          {"disabled_at", e.disabled_at ? Utc(*e.disabled_at) : ""},
          {"disabled_reason", e.disabled_reason},
          {"description", e.description},
          {"created_at", Utc(e.created_at)},
          {"previous_secret", e.previous_secret_prefix.empty() ? "" : e.previous_secret_prefix + "..."},
          {"previous_secret_expires_at", e.previous_secret_expires_at ? Utc(*e.previous_secret_expires_at) : ""}};
}

Json DeliveryJson(const webhooks::Delivery& d) {
  return {{"id", d.id},
          {"at", Utc(d.at)},
          {"event_type", d.event_type},
          {"event_id", d.event_id},
          {"attempt", d.attempt},
          {"status", d.status ? Json(*d.status) : Json(nullptr)},
          {"duration_ms", d.duration_ms},
          {"error", d.error},
          {"endpoint_id", d.endpoint_id},
          {"url", d.url},
          {"job_id", d.job_id}};
}

webhooks::DeliverySettings Settings(Context& ctx) {
  webhooks::DeliverySettings settings;
  settings.timeout_ms = ctx.Config().webhooks.timeout_ms;
  settings.allow_private_targets = ctx.Config().webhooks.allow_private_targets;
  return settings;
}

std::string BusinessId(Context& ctx) { return business::FindId(ctx.Database(), ctx.RequireBusiness()); }

int RunAdd(Context& ctx, const AddOptions& opts) {
  webhooks::NewEndpoint endpoint{opts.url, opts.secret, SplitCommas(opts.events), opts.description};
  const auto added = webhooks::AddEndpoint(ctx.Database(), BusinessId(ctx), endpoint,
                                           ctx.Config().webhooks.allow_private_targets);
  Json record = EndpointJson(added.endpoint, ctx.out().format() == Format::kJson);
  // The only time the whole secret is shown: the receiver needs it.
  record["secret"] = added.secret;
  ctx.out().Record(kAddedColumns, record);
  ctx.out().Status("endpoint " + added.endpoint.id + " added; give the receiver its secret, shown only now");
  return 0;
}

int RunList(Context& ctx, const IdOptions&) {
  Json rows = Json::array();
  const bool json = ctx.out().format() == Format::kJson;
  for (const auto& e : webhooks::ListEndpoints(ctx.Database(), BusinessId(ctx))) rows.push_back(EndpointJson(e, json));
  ctx.out().List(kEndpointColumns, rows);
  if (rows.empty()) ctx.out().Status("no webhook endpoints; add one with omni webhooks add URL");
  return 0;
}

int RunShow(Context& ctx, const IdOptions& opts) {
  const auto endpoint = webhooks::GetEndpoint(ctx.Database(), BusinessId(ctx), opts.id);
  ctx.out().Record(kEndpointColumns, EndpointJson(endpoint, ctx.out().format() == Format::kJson));
  return 0;
}

int RunRotate(Context& ctx, const RotateOptions& opts) {
  const auto overlap = webhooks::ParseOverlap(opts.overlap);
  const auto rotated =
      webhooks::RotateSecret(ctx.Database(), BusinessId(ctx), opts.id, opts.secret, overlap, DefaultClock().Now());
  Json record = EndpointJson(rotated.endpoint, ctx.out().format() == Format::kJson);
  // The only time the new secret is shown whole: the receiver needs it.
  record["secret"] = rotated.secret;
  ctx.out().Record(kRotatedColumns, record);
  if (rotated.endpoint.previous_secret_expires_at) {
    ctx.out().Status("endpoint " + rotated.endpoint.id + " signs with the new secret, shown only now, and with " +
                     rotated.endpoint.previous_secret_prefix + "... until " +
                     Utc(*rotated.endpoint.previous_secret_expires_at) + "; give the receiver the new one before then");
  } else {
    ctx.out().Status("endpoint " + rotated.endpoint.id +
                     " signs with the new secret only, from now on; give the receiver the new one, shown only now");
  }
  return 0;
}

int RunRemove(Context& ctx, const IdOptions& opts) {
  const auto removed = webhooks::RemoveEndpoint(ctx.Database(), BusinessId(ctx), opts.id);
  ctx.out().Status("endpoint " + removed.id + " (" + removed.url + ") removed");
  return 0;
}

int RunEnable(Context& ctx, const IdOptions& opts) {
  const auto endpoint = webhooks::SetEnabled(ctx.Database(), BusinessId(ctx), opts.id, true, DefaultClock().Now());
  ctx.out().Record(kEndpointColumns, EndpointJson(endpoint, ctx.out().format() == Format::kJson));
  ctx.out().Status("endpoint " + endpoint.id + " enabled; new events are sent to it again");
  return 0;
}

int RunDisable(Context& ctx, const DisableOptions& opts) {
  const auto endpoint =
      webhooks::SetEnabled(ctx.Database(), BusinessId(ctx), opts.id, false, DefaultClock().Now(), opts.reason);
  ctx.out().Record(kEndpointColumns, EndpointJson(endpoint, ctx.out().format() == Format::kJson));
  ctx.out().Status("endpoint " + endpoint.id + " disabled; omni webhooks enable turns it back on");
  return 0;
}

int RunTest(Context& ctx, const IdOptions& opts) {
  const auto delivery =
      webhooks::SendTest(ctx.Database(), BusinessId(ctx), opts.id, Settings(ctx), DefaultClock().Now());
  ctx.out().Record(kDeliveryColumns, DeliveryJson(delivery));
  if (!delivery.error.empty()) {
    throw UpstreamError("test delivery to " + delivery.url + " failed: " + delivery.error,
                        "Check that the receiver is up and answers 2xx; omni webhooks deliveries shows the log.");
  }
  ctx.out().Status("test delivery answered " + std::to_string(delivery.status.value_or(0)) + " in " +
                   std::to_string(delivery.duration_ms) + " ms");
  return 0;
}

int RunDeliveries(Context& ctx, const DeliveriesOptions& opts) {
  Json rows = Json::array();
  for (const auto& d : webhooks::ListDeliveries(ctx.Database(), BusinessId(ctx), opts.endpoint, opts.limit)) {
    rows.push_back(DeliveryJson(d));
  }
  ctx.out().List(kDeliveryColumns, rows);
  if (rows.empty()) ctx.out().Status("no deliveries yet");
  return 0;
}

std::int64_t ParseDeliveryId(const std::string& text) {
  return ParsePositiveId("delivery id", text, "List deliveries with `omni webhooks deliveries` to see their ids.");
}

int RunReplay(Context& ctx, const IdOptions& opts) {
  const std::int64_t delivery_id = ParseDeliveryId(opts.id);
  const std::int64_t job = webhooks::Replay(ctx.Database(), BusinessId(ctx), delivery_id, DefaultClock().Now());
  ctx.out().Record({{"delivery_id", "DELIVERY"}, {"job_id", "JOB"}}, Json{{"delivery_id", delivery_id}, {"job_id", job}});
  ctx.out().Status("delivery " + std::to_string(delivery_id) + " queued again as job " + std::to_string(job) +
                   "; omnid sends it with the same webhook-id");
  return 0;
}

std::string EventList() { return Joined(webhooks::EventNames()); }

}  // namespace

Command MakeWebhooksCommand() {
  return MakeGroup(
      "webhooks", "send a business's events to other tools, signed",
      "Each endpoint gets the business's events it subscribes to as a POST of JSON, signed per Standard Webhooks "
      "(webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256>) with its whsec_ secret, so "
      "receivers verify with the standardwebhooks libraries. Events: " + EventList() +
      " (appointment.cancelled is spelled with two l's, though the appointment's status reads CANCELED). omnid "
      "delivers them: 10 s per attempt (webhooks.timeout_ms), no redirects followed, retries with backoff for "
      "24 h with the same webhook-id so receivers can drop duplicates; an endpoint failing for 24 h is disabled "
      "and the business's notify address is told. Only http(s) URLs on public addresses, unless omni.yaml sets "
      "webhooks.allow_private_targets. rotate-secret changes a secret with an overlap in which the old and the new "
      "one both sign, so receivers switch without losing a delivery.",
      {
          MakeCommand<AddOptions>(
              "add", "add an endpoint and print its secret once",
              "Adds an endpoint for the business. omni generates a whsec_ secret unless --secret gives one (the "
              "base64 of 24 to 64 bytes after whsec_); it is printed only now, and later only by prefix. --events "
              "takes event names separated by commas, or * (the default) for all.",
              {"$ omni webhooks add -b demo-salon https://hooks.example.com/omni",
               "$ omni webhooks add -b demo-salon https://crm.example.com/in --events appointment.created,"
               "appointment.cancelled -o json"},
              [](AddOptions& o) {
                return std::vector<Option>{{"url", "the receiver's http(s) URL", &o.url, true},
                                           {"--events", "event names separated by commas, or * (default)", &o.events},
                                           {"--secret", "a whsec_ secret to use instead of a generated one", &o.secret},
                                           {"--description", "a note shown with -o json", &o.description}};
              },
              RunAdd),
          MakeCommand<IdOptions>(
              "list", "list the business's endpoints",
              "Lists the endpoints with their events, secret prefix and state: enabled, or disabled with why and "
              "since when; FAILING SINCE is the first failure since the last success.",
              {"$ omni webhooks list -b demo-salon", "$ omni webhooks list -b demo-salon -o json"},
              [](IdOptions&) { return std::vector<Option>{}; }, RunList),
          MakeCommand<IdOptions>(
              "show", "show one endpoint",
              "Shows the endpoint with its events, secret prefix and state, and, during a secret rotation's "
              "overlap, the previous secret's prefix and when it stops signing. The id may be a unique prefix of "
              "at least 6 hex digits.",
              {"$ omni webhooks show -b demo-salon 3f2a9c", "$ omni webhooks show -b demo-salon 3f2a9c -o json"},
              [](IdOptions& o) { return std::vector<Option>{{"id", "endpoint id (omni webhooks list)", &o.id, true}}; },
              RunShow),
          MakeCommand<IdOptions>(
              "rm", "remove an endpoint",
              "Removes the endpoint, its delivery log and its pending deliveries. The id may be a unique prefix "
              "of at least 6 hex digits.",
              {"$ omni webhooks rm -b demo-salon 3f2a9c"},
              [](IdOptions& o) { return std::vector<Option>{{"id", "endpoint id (omni webhooks list)", &o.id, true}}; },
              RunRemove),
          MakeCommand<IdOptions>(
              "enable", "turn an endpoint back on, keeping its id and secret",
              "Turns on an endpoint that was disabled, by hand or after failing for 24 hours, with the same id, "
              "secret and events. Its failure streak starts again from nothing. Events that happened while it "
              "was disabled are not sent; omni webhooks replay sends one from the delivery log.",
              {"$ omni webhooks enable -b demo-salon 3f2a9c"},
              [](IdOptions& o) { return std::vector<Option>{{"id", "endpoint id (omni webhooks list)", &o.id, true}}; },
              RunEnable),
          MakeCommand<DisableOptions>(
              "disable", "stop sending to an endpoint for now",
              "Stops sending to the endpoint, e.g. while its receiver is under maintenance, keeping its id, "
              "secret and log. New events are not queued for it and deliveries already queued end unsent. "
              "omni webhooks list shows the reason.",
              {"$ omni webhooks disable -b demo-salon 3f2a9c --reason \"moving the CRM\""},
              [](DisableOptions& o) {
                return std::vector<Option>{{"id", "endpoint id (omni webhooks list)", &o.id, true},
                                           {"--reason", "shown by omni webhooks list (default: disabled by an "
                                                        "operator)", &o.reason}};
              },
              RunDisable),
          MakeCommand<RotateOptions>(
              "rotate-secret", "give an endpoint a new secret without breaking its receiver",
              "Gives the endpoint a new whsec_ secret (generated, or --secret), printed only now. For the "
              "--overlap (default 24h, at most 30d; units s, m, h, d) the secret it replaces keeps signing too: "
              "every delivery then carries two signatures, \"v1,<new> v1,<old>\", so the receiver verifies "
              "whether it has the old secret or already the new one. Retries are signed with the secrets valid "
              "when they are sent. After the overlap only the new secret signs and omnid erases the old one. "
              "--overlap 0 stops the old secret at once. Rotating again during an overlap replaces the pending "
              "old secret with the current one: the one before it stops signing at once.",
              {"$ omni webhooks rotate-secret -b demo-salon 3f2a9c",
               "$ omni webhooks rotate-secret -b demo-salon 3f2a9c --overlap 7d -o json",
               "$ omni webhooks rotate-secret -b demo-salon 3f2a9c --secret whsec_... --overlap 0"},
              [](RotateOptions& o) {
                return std::vector<Option>{
                    {"id", "endpoint id (omni webhooks list)", &o.id, true},
                    {"--secret", "a whsec_ secret to use instead of a generated one", &o.secret},
                    {"--overlap", "how long the old secret keeps signing too (default 24h, 0 to 30d)", &o.overlap}};
              },
              RunRotate),
          MakeCommand<IdOptions>(
              "test", "send a webhook.test event now and show the answer",
              "Sends a signed webhook.test event to the endpoint at once, waits for the answer and shows its HTTP "
              "status and how long it took (MS), and logs it like any delivery. During a secret rotation's overlap "
              "it carries both signatures. Exits 1 when the receiver does not answer 2xx.",
              {"$ omni webhooks test -b demo-salon 3f2a9c"},
              [](IdOptions& o) { return std::vector<Option>{{"id", "endpoint id (omni webhooks list)", &o.id, true}}; },
              RunTest),
          MakeCommand<DeliveriesOptions>(
              "deliveries", "list delivery attempts, newest first",
              "Lists each attempt: the event, its webhook-id, the try number, the HTTP status (empty when there "
              "was no answer), how long it took and the error.",
              {"$ omni webhooks deliveries -b demo-salon", "$ omni webhooks deliveries -b demo-salon --endpoint 3f2a9c -o json"},
              [](DeliveriesOptions& o) {
                return std::vector<Option>{{"--endpoint", "only this endpoint's", &o.endpoint},
                                           {"--limit", "at most this many (1 to 10000, default 50)", &o.limit}};
              },
              RunDeliveries),
          MakeCommand<IdOptions>(
              "replay", "send a delivery's event again",
              "Queues the event of a delivery again for its endpoint, with the same webhook-id; omnid sends it "
              "and retries it like a new one. A disabled endpoint's deliveries are refused (exit code 6): enable it "
              "first.",
              {"$ omni webhooks replay -b demo-salon 42"},
              [](IdOptions& o) {
                return std::vector<Option>{{"id", "delivery id (omni webhooks deliveries)", &o.id, true}};
              },
              RunReplay),
      });
}

}  // namespace omni::cli
