// Outbound webhooks: a business's endpoints (URL, signing secret, events
// wanted), the events its changes publish (webhooks_tx.hpp), their delivery
// by omnid's workers and a log of every attempt.
//
// Payloads and headers follow Standard Webhooks (standardwebhooks.com): the
// body is {"type", "timestamp", "data"}; `webhook-id` is the event's id,
// the same on every retry and replay so a receiver can de-duplicate;
// `webhook-timestamp` is the attempt's time in seconds; `webhook-signature`
// is "v1,<base64 HMAC-SHA256 of id.timestamp.body>" keyed with the secret's
// base64-decoded bytes. Event names are the issue's: appointment.cancelled
// is spelled with two l's although an appointment's status is CANCELED.
//
// Rotation: RotateSecret gives an endpoint a new secret and keeps the one it
// replaces signing too for an overlap, so that every attempt in it carries
// "v1,<new> v1,<old>" and a receiver verifies with either (Standard
// Webhooks lets a header hold several signatures). Once the overlap ends
// only the new one signs and the old one is erased.
//
// Isolation: an event is only ever fanned out to endpoints of the business
// that published it, and every lookup here is scoped by business id.
// Secrets are returned once, when added or rotated, and otherwise only by
// prefix.
// Thread-safe: free functions over a db::Pool; a Deliverer holds
// references and settings only, and several may run at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/common/clock.hpp"

namespace omni::db {
class Pool;
}
namespace omni::jobs {
struct Job;
}

namespace omni::webhooks {

inline constexpr const char* kDeliveryQueue = "webhooks.delivery";

// Every event name an endpoint may subscribe to, in a fixed order.
const std::vector<std::string>& EventNames();

struct DeliverySettings {
  int timeout_ms = 10000;              // the whole attempt: connect, send, response
  // Off: a URL whose host is or resolves to a loopback, private, link-local
  // or otherwise non-public address is refused (checked on the address
  // actually connected to, so DNS cannot be used to slip past it).
  bool allow_private_targets = false;
  int first_retry_ms = 5000;           // then x4 per failure, at most 8 h; retries stop 24 h after the event
  int batch = 16;                      // jobs claimed at once
  int lease_ms = 60000;                // a job whose worker died is claimed again after this
};

struct Endpoint {
  std::string id;
  std::string url;
  std::string secret_prefix;          // "whsec_" and 4 characters: never the secret
  // The secret a rotation replaced, by prefix, while it still signs next to
  // the current one ("" and nullopt otherwise, also once its time is past).
  std::string previous_secret_prefix;
  std::optional<TimePoint> previous_secret_expires_at;
  std::vector<std::string> events;
  std::string description;
  bool enabled = true;
  std::optional<TimePoint> failing_since;  // first failure since the last success
  std::optional<TimePoint> disabled_at;
  std::string disabled_reason;
  TimePoint created_at;
};

struct NewEndpoint {
  std::string url;                  // http:// or https://, no user:password
  std::string secret;               // "whsec_<base64>" of 24 to 64 bytes; "" generates one
  std::vector<std::string> events;  // names from EventNames(); "*" or empty: all of them
  std::string description;
};

struct AddedEndpoint {
  Endpoint endpoint;
  std::string secret;  // the whole secret, shown once
};

// Checks an endpoint URL: http(s), a host, no credentials, and, unless
// `allow_private_targets`, no literal loopback/private/link-local address or
// "localhost". Throws InvalidInput naming the problem. Pure.
void CheckUrl(const std::string& url, bool allow_private_targets);

// "v1,<base64 HMAC-SHA256 of id.timestamp.body>" with the base64-decoded
// part of `secret` after "whsec_". Throws InvalidInput for a bad secret. Pure.
std::string Sign(const std::string& secret, const std::string& id, std::int64_t timestamp_s, const std::string& body);

// The webhook-signature header's value: one "v1,<base64>" per secret, in
// the given order, separated by spaces. Throws InvalidInput for a bad
// secret. Pure.
std::string SignatureHeader(const std::vector<std::string>& secrets, const std::string& id, std::int64_t timestamp_s,
                            const std::string& body);

// The secrets that sign an attempt made at `now`: `secret`, then
// `previous_secret` while `now` is before `previous_expires_at`. Pure.
std::vector<std::string> SigningSecrets(const std::string& secret, const std::optional<std::string>& previous_secret,
                                        std::optional<TimePoint> previous_expires_at, TimePoint now);

// The longest overlap a rotation accepts.
inline constexpr std::chrono::hours kMaxSecretOverlap{24 * 30};

// An overlap written as "0" or as whole numbers with units s, m, h, d,
// e.g. "24h", "90m", "1d12h". Throws InvalidInput for anything else or for
// more than kMaxSecretOverlap. Pure.
std::chrono::seconds ParseOverlap(const std::string& text);

// Adds an endpoint for the business. Throws InvalidInput for a bad URL,
// secret or event name (listing the valid ones), NotFound for an unknown
// business.
AddedEndpoint AddEndpoint(db::Pool& pool, const std::string& business_id, const NewEndpoint& endpoint,
                          bool allow_private_targets);

// The business's endpoints, oldest first.
std::vector<Endpoint> ListEndpoints(db::Pool& pool, const std::string& business_id);

// The endpoint of the business whose id is `id` or starts with it (6 hex
// digits at least). Throws InvalidInput for a malformed or ambiguous id,
// NotFound for none (another business's endpoints are never matched).
Endpoint GetEndpoint(db::Pool& pool, const std::string& business_id, const std::string& id);

// Removes the endpoint (GetEndpoint's id rules), its pending deliveries and
// its log. Returns the removed endpoint.
Endpoint RemoveEndpoint(db::Pool& pool, const std::string& business_id, const std::string& id);

// Turns the endpoint (GetEndpoint's id rules) on or off, keeping its id,
// secret, events and log, and returns it as it now is. Enabling clears the
// failure streak and the reason, so a receiver gets a full 24 h again
// before it is disabled anew. Disabling records `reason` ("" for "disabled
// by an operator") at `now`; while disabled, events are not queued for it
// and deliveries already queued end unsent (replay them once enabled).
// Idempotent: enabling an enabled endpoint changes nothing.
Endpoint SetEnabled(db::Pool& pool, const std::string& business_id, const std::string& id, bool enabled,
                    TimePoint now, const std::string& reason = "");

struct RotatedSecret {
  Endpoint endpoint;
  std::string secret;  // the whole new secret, shown once
};

// Gives the business's endpoint (GetEndpoint's id rules) `new_secret`
// ("" generates one; AddEndpoint's rules) from `now` on. For `overlap`
// after `now` the secret it replaces keeps signing next to it; a zero
// overlap drops it at once. Rotating again during an overlap replaces the
// pending previous secret with the current one, which is the one receivers
// were last given: the older one stops signing at once. Throws
// InvalidInput for a bad secret, the current secret again, or a negative
// overlap or one longer than kMaxSecretOverlap; NotFound for an unknown
// endpoint or one of another business.
RotatedSecret RotateSecret(db::Pool& pool, const std::string& business_id, const std::string& id,
                           const std::string& new_secret, std::chrono::seconds overlap, TimePoint now);

// Erases the previous secrets of every business whose overlap has ended at
// `now`, and returns how many. Deliverer::RunOnce calls it first.
int EraseExpiredSecrets(db::Pool& pool, TimePoint now);

struct Delivery {
  std::int64_t id = 0;
  std::string endpoint_id;
  std::string url;
  std::int64_t job_id = 0;       // 0 for a test
  std::string event_id;          // the webhook-id
  std::string event_type;
  int attempt = 0;
  std::optional<int> status;     // nullopt: no HTTP response
  int duration_ms = 0;
  std::string error;             // "" on success
  TimePoint at;
};

// The business's delivery attempts, newest first, at most `limit`; only
// those of one endpoint when `endpoint_id` (GetEndpoint's rules) is given.
std::vector<Delivery> ListDeliveries(db::Pool& pool, const std::string& business_id,
                                     const std::string& endpoint_id = "", int limit = 50);

// Sends the event of the business's delivery `delivery_id` again to its
// endpoint, with the same webhook-id, as a new job due at `now` that is
// retried like any other. Returns the job's id. Throws NotFound for an
// unknown delivery (or one of another business), Conflict when the
// endpoint is disabled.
std::int64_t Replay(db::Pool& pool, const std::string& business_id, std::int64_t delivery_id, TimePoint now);

// Sends a "webhook.test" event to the endpoint now, waits for the answer and
// logs it like any attempt. Never retried.
Delivery SendTest(db::Pool& pool, const std::string& business_id, const std::string& endpoint_id,
                  const DeliverySettings& settings, TimePoint now);

struct Pruned {
  int deliveries = 0;
  int jobs = 0;
};

// Deletes up to `batch` delivery attempts logged before `before`, of every
// business, and up to `batch` finished delivery jobs finished before it
// (jobs::PruneFinished). omnid calls it until a batch comes back short, so
// that no statement holds locks long. A job finishes after its last
// attempt, so a delivery that is kept still has its job to replay.
Pruned Prune(db::Pool& pool, TimePoint before, int batch);

struct DisabledEndpoint {
  std::string business_id;
  std::string endpoint_id;
  std::string url;
  std::string reason;
};

class Deliverer {
 public:
  // `on_disabled`, if set, is called once for each endpoint this worker
  // disables, after that is committed (notify mails the owner).
  Deliverer(db::Pool& pool, const Clock& clock, DeliverySettings settings,
            std::function<void(const DisabledEndpoint&)> on_disabled = {})
      : pool_(pool), clock_(clock), settings_(settings), on_disabled_(std::move(on_disabled)) {}

  // Erases expired previous secrets (EraseExpiredSecrets), then claims due
  // deliveries (up to `batch`) and attempts each, all at once, signed with
  // the secrets valid at the attempt (SigningSecrets): a 2xx answer
  // completes it; anything else (status, timeout, refused target) is logged
  // and retried with backoff until 24 h after the event. An endpoint that
  // has failed without a success for 24 h is disabled and its deliveries
  // stop. Returns the number of jobs handled. Throws Unavailable when the
  // database cannot be reached.
  int RunOnce();

 private:
  // One claimed delivery, start to end; the endpoint when this disabled it.
  std::optional<DisabledEndpoint> Deliver(const jobs::Job& job, TimePoint now);

  db::Pool& pool_;
  const Clock& clock_;
  DeliverySettings settings_;
  std::function<void(const DisabledEndpoint&)> on_disabled_;
};

}  // namespace omni::webhooks
