// Outbound webhooks: endpoints, publishing (webhooks_tx.hpp), delivery and
// its log. See webhooks.hpp.
//
// A delivery is one job of the `webhooks.delivery` queue per event and
// endpoint. Its payload carries everything the request needs (endpoint id,
// event id, type, timestamp, data), so the body is the same on every
// attempt; only webhook-timestamp and the signature change. The POST is
// made outside any transaction: a slow receiver must not hold a pooled
// connection or a row lock.
#include "core/webhooks/webhooks.hpp"
#include "core/webhooks/webhooks_tx.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <date/date.h>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "core/common/utf8.hpp"
#include "core/db/ids.hpp"
#include "core/jobs/jobs.hpp"
#include "core/jobs/jobs_tx.hpp"
#include "core/webhooks/detail/post.hpp"

namespace omni::webhooks {
namespace {

using json = nlohmann::json;
using std::chrono::hours;
using std::chrono::milliseconds;

constexpr auto kRetryWindow = hours{24};
constexpr auto kLongestRetry = hours{8};
// The retry window, not this, decides when a delivery stops; this only
// bounds a job whose clock misbehaves.
constexpr int kMaxDeliveryAttempts = 50;
constexpr std::size_t kSecretPrefixChars = 10;  // "whsec_" and 4 characters
constexpr std::size_t kMaxUrlBytes = 2000;
constexpr std::size_t kMaxDescriptionChars = 200;

bool StartsWith(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }
bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::int64_t Micros(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint FromMicros(std::int64_t micros) { return TimePoint{std::chrono::microseconds{micros}}; }

std::string Base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Standard base64 with padding, as whsec_ secrets are written; nullopt for
// anything else.
std::optional<std::string> Unbase64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=') return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t size = static_cast<std::size_t>(n);
  if (text.size() >= 1 && text[text.size() - 1] == '=') --size;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

std::string SecretKey(const std::string& secret) {
  const std::string kPrefix = "whsec_";
  std::optional<std::string> key;
  if (StartsWith(secret, kPrefix)) key = Unbase64(secret.substr(kPrefix.size()));
  if (!key || key->size() < 24 || key->size() > 64) {
    throw InvalidInput("invalid webhook secret: expected \"whsec_\" followed by the base64 of 24 to 64 bytes",
                       "Leave --secret out and omni generates one.");
  }
  return *key;
}

std::string GenerateSecret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw Unavailable("could not generate a webhook secret: no randomness");
  return "whsec_" + Base64(bytes, sizeof bytes);
}

std::string NewEventId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw Unavailable("could not generate an event id: no randomness");
  static const char kHex[] = "0123456789abcdef";
  std::string id = "evt_";
  for (unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

std::string IsoTime(TimePoint t) { return date::format("%Y-%m-%dT%H:%M:%SZ", t); }

std::vector<std::string> CheckEvents(const std::vector<std::string>& wanted) {
  const auto& names = EventNames();
  if (wanted.empty() || (wanted.size() == 1 && wanted[0] == "*")) return names;
  std::set<std::string> chosen;
  for (const std::string& raw : wanted) {
    const std::string name = Lower(Trim(raw));
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw InvalidInput("unknown webhook event \"" + raw + "\": expected one of " + list + ", or *");
    }
    chosen.insert(name);
  }
  std::vector<std::string> ordered;
  for (const auto& n : names) {
    if (chosen.count(n)) ordered.push_back(n);
  }
  return ordered;
}

// A previous secret whose time is past is not shown even before omnid has
// erased it.
constexpr const char* kEndpointColumns =
    "id::text, url, left(secret, 10), events, description, enabled,"
    " (extract(epoch FROM failing_since) * 1000000)::int8, (extract(epoch FROM disabled_at) * 1000000)::int8,"
    " disabled_reason, (extract(epoch FROM created_at) * 1000000)::int8,"
    " CASE WHEN previous_secret_expires_at > now() THEN left(previous_secret, 10) END,"
    " CASE WHEN previous_secret_expires_at > now()"
    " THEN (extract(epoch FROM previous_secret_expires_at) * 1000000)::int8 END";

std::vector<std::string> ParseTextArray(const pqxx::field& field) {
  std::vector<std::string> out;
  auto parser = field.as_array();
  for (auto item = parser.get_next(); item.first != pqxx::array_parser::done; item = parser.get_next()) {
    if (item.first == pqxx::array_parser::string_value) out.push_back(item.second);
  }
  return out;
}

Endpoint ReadEndpoint(const pqxx::row& row) {
  Endpoint e;
  e.id = row[0].as<std::string>();
  e.url = row[1].as<std::string>();
  e.secret_prefix = row[2].as<std::string>();
  e.events = ParseTextArray(row[3]);
  e.description = row[4].as<std::string>();
  e.enabled = row[5].as<bool>();
  if (!row[6].is_null()) e.failing_since = FromMicros(row[6].as<std::int64_t>());
  if (!row[7].is_null()) e.disabled_at = FromMicros(row[7].as<std::int64_t>());
  e.disabled_reason = row[8].as<std::string>();
  e.created_at = FromMicros(row[9].as<std::int64_t>());
  if (!row[10].is_null()) {
    e.previous_secret_prefix = row[10].as<std::string>();
    e.previous_secret_expires_at = FromMicros(row[11].as<std::int64_t>());
  }
  return e;
}

void CheckBusiness(const std::string& business_id) {
  if (!IsUuid(business_id)) throw InvalidInput("invalid business id \"" + business_id + "\": expected a UUID");
}

NotFound EndpointNotFound(const std::string& id) {
  return NotFound("webhook endpoint " + id + " not found", "List the endpoints with `omni webhooks list`.");
}

// The business's endpoint named by its id or a unique prefix of it.
Endpoint LoadEndpoint(pqxx::work& tx, const std::string& business_id, const std::string& text) {
  const auto hex = db::IdHex(Trim(text));
  if (!hex || hex->empty()) throw InvalidInput("invalid webhook endpoint id \"" + text + "\": expected a UUID or its prefix");
  if (hex->size() < db::kMinIdPrefix) {
    throw InvalidInput("webhook endpoint id \"" + text + "\" is too short: give at least " +
                       std::to_string(db::kMinIdPrefix) + " hex digits");
  }
  const auto rows = tx.exec_params(std::string("SELECT ") + kEndpointColumns +
                                       " FROM webhook_endpoints WHERE business_id = $1::uuid"
                                       " AND replace(id::text, '-', '') LIKE $2 || '%' ORDER BY created_at LIMIT 3",
                                   business_id, *hex);
  if (rows.empty()) throw EndpointNotFound(text);
  if (rows.size() > 1) {
    throw InvalidInput("webhook endpoint id \"" + text + "\" is ambiguous: it matches " +
                       rows[0][0].as<std::string>() + " and " + rows[1][0].as<std::string>());
  }
  return ReadEndpoint(rows[0]);
}

struct Target {
  std::string url;
  std::string secret;
  std::optional<std::string> previous_secret;
  std::optional<TimePoint> previous_secret_expires_at;
  bool enabled = false;
};

std::optional<Target> LoadTarget(pqxx::work& tx, const std::string& business_id, const std::string& endpoint_id) {
  if (!IsUuid(endpoint_id)) return std::nullopt;
  const auto rows = tx.exec_params(
      "SELECT url, secret, enabled, previous_secret, (extract(epoch FROM previous_secret_expires_at) * 1000000)::int8"
      " FROM webhook_endpoints WHERE business_id = $1::uuid AND id = $2::uuid",
      business_id, endpoint_id);
  if (rows.empty()) return std::nullopt;
  Target target;
  target.url = rows[0][0].as<std::string>();
  target.secret = rows[0][1].as<std::string>();
  target.enabled = rows[0][2].as<bool>();
  if (!rows[0][3].is_null() && !rows[0][4].is_null()) {
    target.previous_secret = rows[0][3].as<std::string>();
    target.previous_secret_expires_at = FromMicros(rows[0][4].as<std::int64_t>());
  }
  return target;
}

// The request body: the same bytes on every attempt of an event.
std::string Body(const json& payload) {
  return json{{"type", payload.value("type", "")},
              {"timestamp", payload.value("timestamp", "")},
              {"data", payload.contains("data") ? payload["data"] : json::object()}}
      .dump();
}

detail::PostResult Attempt(const Target& target, const std::string& event_id, const std::string& body,
                           const DeliverySettings& settings, TimePoint now) {
  const std::int64_t timestamp = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::vector<std::string> headers = {
      "Content-Type: application/json",
      "webhook-id: " + event_id,
      "webhook-timestamp: " + std::to_string(timestamp),
      "webhook-signature: " +
          SignatureHeader(SigningSecrets(target.secret, target.previous_secret, target.previous_secret_expires_at, now),
                          event_id, timestamp, body),
  };
  return detail::Post(target.url, headers, body, settings.timeout_ms, settings.allow_private_targets);
}

void LogAttempt(pqxx::work& tx, const std::string& business_id, const std::string& endpoint_id, std::int64_t job_id,
                const std::string& event_id, const std::string& type, int attempt, const detail::PostResult& result,
                TimePoint now) {
  db::ExecPrepared(tx, "omni_webhooks_log",
                   "INSERT INTO webhook_deliveries (business_id, endpoint_id, job_id, event_id, event_type, attempt,"
                   " status_code, duration_ms, error, created_at)"
                   " VALUES ($1::uuid, $2::uuid, nullif($3::int8, 0), $4, $5, $6, $7, $8, $9,"
                   " timestamptz 'epoch' + $10::int8 * interval '1 microsecond')",
                   business_id, endpoint_id, job_id, event_id, type, attempt, result.status, result.duration_ms,
                   result.error.substr(0, 2000), Micros(now));
}

milliseconds RetryDelay(const DeliverySettings& settings, int attempts) {
  const milliseconds longest =
      std::min<milliseconds>(kLongestRetry, milliseconds{settings.first_retry_ms} * 5760);
  milliseconds delay{std::max(settings.first_retry_ms, 1)};
  for (int i = 1; i < attempts && delay < longest; ++i) delay *= 4;
  return std::min(delay, longest);
}

constexpr const char* kDeliveryColumns =
    "d.id, d.endpoint_id::text, e.url, coalesce(d.job_id, 0), d.event_id, d.event_type, d.attempt, d.status_code,"
    " d.duration_ms, d.error, (extract(epoch FROM d.created_at) * 1000000)::int8";

Delivery ReadDelivery(const pqxx::row& row) {
  Delivery d;
  d.id = row[0].as<std::int64_t>();
  d.endpoint_id = row[1].as<std::string>();
  d.url = row[2].as<std::string>();
  d.job_id = row[3].as<std::int64_t>();
  d.event_id = row[4].as<std::string>();
  d.event_type = row[5].as<std::string>();
  d.attempt = row[6].as<int>();
  if (!row[7].is_null()) d.status = row[7].as<int>();
  d.duration_ms = row[8].as<int>();
  d.error = row[9].as<std::string>();
  d.at = FromMicros(row[10].as<std::int64_t>());
  return d;
}

}  // namespace

const std::vector<std::string>& EventNames() {
  static const std::vector<std::string> kNames = {
      "conversation.created", "conversation.escalated", "conversation.resolved", "message.created",
      "appointment.created",  "appointment.rescheduled", "appointment.cancelled", "customer.created",
      "csat.submitted"};
  return kNames;
}

void CheckUrl(const std::string& url, bool allow_private_targets) {
  const std::string shown = "\"" + url.substr(0, 200) + "\"";
  if (url.size() > kMaxUrlBytes) throw InvalidInput("webhook url is too long: at most 2000 bytes");
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7F) throw InvalidInput("invalid webhook url " + shown + ": it contains a space or control character");
  }
  std::string rest;
  const std::string lower = Lower(url);
  if (StartsWith(lower, "https://")) {
    rest = url.substr(8);
  } else if (StartsWith(lower, "http://")) {
    rest = url.substr(7);
  } else {
    throw InvalidInput("invalid webhook url " + shown + ": only http:// and https:// URLs are allowed");
  }
  const std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string::npos) {
    throw InvalidInput("invalid webhook url " + shown + ": it holds a user name or password",
                       "Receivers verify the webhook-signature header; a password in the URL would be shown by "
                       "`omni webhooks list`.");
  }
  std::string host;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) throw InvalidInput("invalid webhook url " + shown + ": unclosed [ in the host");
    host = authority.substr(1, close - 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  if (host.empty()) throw InvalidInput("invalid webhook url " + shown + ": it has no host");
  if (allow_private_targets) return;
  std::string name = Lower(host);
  while (!name.empty() && name.back() == '.') name.pop_back();
  if (name == "localhost" || EndsWith(name, ".localhost") || detail::IsNonPublicAddress(name)) {
    throw InvalidInput("invalid webhook url " + shown + ": " + host + " is not a public address",
                       "Webhooks go to public addresses only; set webhooks.allow_private_targets: true in "
                       "omni.yaml to allow loopback and private networks.");
  }
}

std::string Sign(const std::string& secret, const std::string& id, std::int64_t timestamp_s, const std::string& body) {
  const std::string key = SecretKey(secret);
  const std::string content = id + "." + std::to_string(timestamp_s) + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
       content.size(), mac, &mac_size);
  return "v1," + Base64(mac, mac_size);
}

std::string SignatureHeader(const std::vector<std::string>& secrets, const std::string& id, std::int64_t timestamp_s,
                            const std::string& body) {
  std::string header;
  for (const std::string& secret : secrets) header += (header.empty() ? "" : " ") + Sign(secret, id, timestamp_s, body);
  return header;
}

std::vector<std::string> SigningSecrets(const std::string& secret, const std::optional<std::string>& previous_secret,
                                        std::optional<TimePoint> previous_expires_at, TimePoint now) {
  std::vector<std::string> secrets = {secret};
  if (previous_secret && previous_expires_at && now < *previous_expires_at) secrets.push_back(*previous_secret);
  return secrets;
}

std::chrono::seconds ParseOverlap(const std::string& text) {
  const std::string trimmed = Trim(text);
  const InvalidInput invalid("invalid overlap \"" + text.substr(0, 40) + "\": expected a duration such as 24h, 90m, 7d or 0",
                             "Units are s, m, h and d; 0 stops the previous secret at once.");
  if (trimmed == "0") return std::chrono::seconds{0};
  if (trimmed.empty()) throw invalid;
  std::int64_t total_s = 0;
  std::size_t i = 0;
  while (i < trimmed.size()) {
    std::int64_t number = 0;
    const std::size_t digits_from = i;
    while (i < trimmed.size() && std::isdigit(static_cast<unsigned char>(trimmed[i]))) {
      number = number * 10 + (trimmed[i++] - '0');
      if (number > 100000000) throw invalid;
    }
    if (i == digits_from || i == trimmed.size()) throw invalid;
    switch (trimmed[i++]) {
      case 's': total_s += number; break;
      case 'm': total_s += number * 60; break;
      case 'h': total_s += number * 3600; break;
      case 'd': total_s += number * 86400; break;
      default: throw invalid;
    }
    if (total_s > std::chrono::duration_cast<std::chrono::seconds>(kMaxSecretOverlap).count()) {
      throw InvalidInput("overlap \"" + trimmed + "\" is too long: at most 30 days",
                         "Receivers should switch to the new secret well within a month.");
    }
  }
  return std::chrono::seconds{total_s};
}

std::string PublishSql(const std::string& type, const std::string& business_sql, const std::string& data_sql,
                       const std::string& at_sql, const std::string& from_sql, const std::string& where_sql) {
  const auto& names = EventNames();
  if (std::find(names.begin(), names.end(), type) == names.end()) {
    throw InvalidInput("unknown webhook event \"" + type + "\"");
  }
  // The event's id and time are made once per statement, so every endpoint
  // receives the same webhook-id.
  return "INSERT INTO jobs (queue, business_id, payload, max_attempts, run_at)"
         " SELECT '" + std::string(kDeliveryQueue) + "', e.business_id, jsonb_build_object('endpoint_id', e.id::text,"
         " 'event_id', ev.id, 'type', '" + type + "', 'timestamp', to_char(ev.at AT TIME ZONE 'UTC',"
         " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'since', (extract(epoch FROM ev.at) * 1000000)::int8, 'data', " +
         data_sql + "), " + std::to_string(kMaxDeliveryAttempts) + ", ev.at"
         " FROM webhook_endpoints e, (SELECT 'evt_' || replace(gen_random_uuid()::text, '-', '') AS id, " + at_sql +
         " AS at) ev" + (from_sql.empty() ? "" : ", " + from_sql) + " WHERE e.business_id = " + business_sql +
         " AND e.enabled AND '" + type + "' = ANY (e.events)" + (where_sql.empty() ? "" : " AND " + where_sql);
}

void Publish(pqxx::transaction_base& tx, const std::string& business_id, const char* type, const json& data,
             std::optional<TimePoint> now) {
  std::optional<std::int64_t> since;
  if (now) since = Micros(*now);
  db::ExecPrepared(tx, std::string("omni_webhooks_publish_") + type,
                   PublishSql(type, "$1::uuid", "$2::jsonb",
                              "coalesce(timestamptz 'epoch' + $3::int8 * interval '1 microsecond', now())"),
                   business_id, data.dump(), since);
}

AddedEndpoint AddEndpoint(db::Pool& pool, const std::string& business_id, const NewEndpoint& endpoint,
                          bool allow_private_targets) {
  CheckBusiness(business_id);
  const std::string url = Trim(endpoint.url);
  CheckUrl(url, allow_private_targets);
  const std::string secret = endpoint.secret.empty() ? GenerateSecret() : Trim(endpoint.secret);
  SecretKey(secret);
  const std::vector<std::string> events = CheckEvents(endpoint.events);
  RejectNul("description", endpoint.description);
  if (CountChars(endpoint.description) > kMaxDescriptionChars) {
    throw InvalidInput("webhook description is too long: at most 200 characters");
  }
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    std::string array = "{";
    for (std::size_t i = 0; i < events.size(); ++i) array += (i ? "," : "") + events[i];
    array += "}";
    const auto rows = tx.exec_params(std::string("INSERT INTO webhook_endpoints (business_id, url, secret, events,"
                                                 " description) SELECT $1::uuid, $2, $3, $4::text[], $5"
                                                 " WHERE EXISTS (SELECT 1 FROM businesses WHERE id = $1::uuid)"
                                                 " RETURNING ") +
                                         kEndpointColumns,
                                     business_id, url, secret, array, endpoint.description);
    if (rows.empty()) throw NotFound("business " + business_id + " not found");
    return AddedEndpoint{ReadEndpoint(rows[0]), secret};
  });
}

std::vector<Endpoint> ListEndpoints(db::Pool& pool, const std::string& business_id) {
  CheckBusiness(business_id);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    std::vector<Endpoint> out;
    for (const auto& row : tx.exec_params(std::string("SELECT ") + kEndpointColumns +
                                              " FROM webhook_endpoints WHERE business_id = $1::uuid"
                                              " ORDER BY created_at, id",
                                          business_id)) {
      out.push_back(ReadEndpoint(row));
    }
    return out;
  });
}

Endpoint GetEndpoint(db::Pool& pool, const std::string& business_id, const std::string& id) {
  CheckBusiness(business_id);
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return LoadEndpoint(tx, business_id, id); });
}

Endpoint RemoveEndpoint(db::Pool& pool, const std::string& business_id, const std::string& id) {
  CheckBusiness(business_id);
  // Its queued deliveries find no endpoint when claimed and end there.
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    Endpoint endpoint = LoadEndpoint(tx, business_id, id);
    tx.exec_params("DELETE FROM webhook_endpoints WHERE business_id = $1::uuid AND id = $2::uuid", business_id,
                   endpoint.id);
    return endpoint;
  });
}

Endpoint SetEnabled(db::Pool& pool, const std::string& business_id, const std::string& id, bool enabled,
                    TimePoint now, const std::string& reason) {
  CheckBusiness(business_id);
  RejectNul("reason", reason);
  if (CountChars(reason) > kMaxDescriptionChars) throw InvalidInput("disable reason is too long: at most 200 characters");
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const Endpoint endpoint = LoadEndpoint(tx, business_id, id);
    if (endpoint.enabled == enabled) return endpoint;
    const auto rows =
        enabled ? tx.exec_params(std::string("UPDATE webhook_endpoints SET enabled = true, failing_since = NULL,"
                                             " disabled_at = NULL, disabled_reason = ''"
                                             " WHERE business_id = $1::uuid AND id = $2::uuid RETURNING ") +
                                     kEndpointColumns,
                                 business_id, endpoint.id)
                : tx.exec_params(std::string("UPDATE webhook_endpoints SET enabled = false, disabled_at ="
                                             " timestamptz 'epoch' + $3::int8 * interval '1 microsecond',"
                                             " disabled_reason = $4"
                                             " WHERE business_id = $1::uuid AND id = $2::uuid RETURNING ") +
                                     kEndpointColumns,
                                 business_id, endpoint.id, Micros(now),
                                 reason.empty() ? std::string("disabled by an operator") : Trim(reason));
    return ReadEndpoint(rows[0]);
  });
}

RotatedSecret RotateSecret(db::Pool& pool, const std::string& business_id, const std::string& id,
                           const std::string& new_secret, std::chrono::seconds overlap, TimePoint now) {
  CheckBusiness(business_id);
  if (overlap < std::chrono::seconds{0} || overlap > kMaxSecretOverlap) {
    throw InvalidInput("invalid overlap of " + std::to_string(overlap.count()) + " s: expected 0 to 30 days");
  }
  const std::string secret = new_secret.empty() ? GenerateSecret() : Trim(new_secret);
  SecretKey(secret);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const Endpoint endpoint = LoadEndpoint(tx, business_id, id);
    // Locked, so that the secret compared here is the one the UPDATE
    // moves to previous_secret, also when two rotations race.
    const auto current = tx.exec_params(
        "SELECT secret FROM webhook_endpoints WHERE business_id = $1::uuid AND id = $2::uuid FOR UPDATE",
        business_id, endpoint.id);
    if (current.empty()) throw EndpointNotFound(id);
    if (current[0][0].as<std::string>() == secret) {
      throw InvalidInput("the new webhook secret is the endpoint's current secret",
                         "Leave --secret out and omni generates a new one.");
    }
    const auto rows = tx.exec_params(
        std::string("UPDATE webhook_endpoints SET secret = $3,"
                    " previous_secret = CASE WHEN $5::int8 > 0 THEN secret END,"
                    " previous_secret_expires_at = CASE WHEN $5::int8 > 0"
                    " THEN timestamptz 'epoch' + ($4::int8 + $5::int8 * 1000000) * interval '1 microsecond' END"
                    " WHERE business_id = $1::uuid AND id = $2::uuid RETURNING ") +
            kEndpointColumns,
        business_id, endpoint.id, secret, Micros(now), static_cast<std::int64_t>(overlap.count()));
    RotatedSecret rotated{ReadEndpoint(rows[0]), secret};
    // The RETURNING list judges expiry by the database's clock; the
    // rotation's own `now` decides what it reports.
    if (overlap > std::chrono::seconds{0}) {
      rotated.endpoint.previous_secret_prefix = endpoint.secret_prefix;
      rotated.endpoint.previous_secret_expires_at = now + overlap;
    }
    return rotated;
  });
}

int EraseExpiredSecrets(db::Pool& pool, TimePoint now) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        "UPDATE webhook_endpoints SET previous_secret = NULL, previous_secret_expires_at = NULL"
        " WHERE previous_secret_expires_at <= timestamptz 'epoch' + $1::int8 * interval '1 microsecond'",
        Micros(now));
    return static_cast<int>(rows.affected_rows());
  });
}

std::vector<Delivery> ListDeliveries(db::Pool& pool, const std::string& business_id, const std::string& endpoint_id,
                                     int limit) {
  CheckBusiness(business_id);
  limit = std::clamp(limit, 1, 10000);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    std::string endpoint;
    if (!endpoint_id.empty()) endpoint = LoadEndpoint(tx, business_id, endpoint_id).id;
    std::vector<Delivery> out;
    for (const auto& row : tx.exec_params(
             std::string("SELECT ") + kDeliveryColumns +
                 " FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id"
                 " AND e.business_id = d.business_id WHERE d.business_id = $1::uuid"
                 " AND ($2 = '' OR d.endpoint_id = nullif($2, '')::uuid) ORDER BY d.id DESC LIMIT $3",
             business_id, endpoint, limit)) {
      out.push_back(ReadDelivery(row));
    }
    return out;
  });
}

std::int64_t Replay(db::Pool& pool, const std::string& business_id, std::int64_t delivery_id, TimePoint now) {
  CheckBusiness(business_id);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        "SELECT coalesce(d.job_id, 0), d.endpoint_id::text, e.enabled FROM webhook_deliveries d"
        " JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.business_id = d.business_id"
        " WHERE d.business_id = $1::uuid AND d.id = $2",
        business_id, delivery_id);
    const NotFound not_found("webhook delivery " + std::to_string(delivery_id) + " not found",
                             "List deliveries with `omni webhooks deliveries`.");
    if (rows.empty()) throw not_found;
    const std::string endpoint_id = rows[0][1].as<std::string>();
    if (!rows[0][2].as<bool>()) {
      throw Conflict("webhook endpoint " + endpoint_id + " is disabled: its deliveries cannot be replayed",
                     "Enable it with `omni webhooks enable` once the receiver works.");
    }
    const std::int64_t job_id = rows[0][0].as<std::int64_t>();
    const auto original = job_id == 0 ? std::nullopt : jobs::Find(tx, job_id, business_id);
    if (!original) {
      throw NotFound("webhook delivery " + std::to_string(delivery_id) + " has no event to replay",
                     "A test delivery is sent again with `omni webhooks test`.");
    }
    jobs::NewJob job;
    job.queue = kDeliveryQueue;
    job.business_id = business_id;
    job.payload = original->payload;
    job.payload["since"] = Micros(now);
    job.run_at = now;
    job.max_attempts = kMaxDeliveryAttempts;
    return jobs::Enqueue(tx, job).id;
  });
}

Delivery SendTest(db::Pool& pool, const std::string& business_id, const std::string& endpoint_id,
                  const DeliverySettings& settings, TimePoint now) {
  CheckBusiness(business_id);
  const auto [endpoint, target] = db::WithTransaction(pool, [&](pqxx::work& tx) {
    Endpoint e = LoadEndpoint(tx, business_id, endpoint_id);
    return std::make_pair(e, *LoadTarget(tx, business_id, e.id));
  });
  const std::string event_id = NewEventId();
  const std::string body =
      Body({{"type", "webhook.test"}, {"timestamp", IsoTime(now)}, {"data", {{"endpoint_id", endpoint.id}}}});
  const detail::PostResult result = Attempt(target, event_id, body, settings, now);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    LogAttempt(tx, business_id, endpoint.id, 0, event_id, "webhook.test", 1, result, now);
    const auto rows = tx.exec_params(std::string("SELECT ") + kDeliveryColumns +
                                         " FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id"
                                         " WHERE d.business_id = $1::uuid AND d.event_id = $2",
                                     business_id, event_id);
    return ReadDelivery(rows[0]);
  });
}

Pruned Prune(db::Pool& pool, TimePoint before, int batch) {
  Pruned pruned;
  if (batch < 1) return pruned;
  pruned.deliveries = db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries"
        " WHERE created_at < timestamptz 'epoch' + $1::int8 * interval '1 microsecond'"
        " ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        Micros(before), batch);
    return static_cast<int>(rows.affected_rows());
  });
  pruned.jobs = jobs::PruneFinished(pool, kDeliveryQueue, before, batch);
  return pruned;
}

std::optional<DisabledEndpoint> Deliverer::Deliver(const jobs::Job& job, TimePoint now) {
  const std::string endpoint_id = job.payload.value("endpoint_id", "");
  const auto target =
      db::WithTransaction(pool_, [&](pqxx::work& tx) { return LoadTarget(tx, job.business_id, endpoint_id); });
  if (!target) {
    jobs::Complete(pool_, job, now);  // the endpoint was removed: nobody to deliver to
    return std::nullopt;
  }
  if (!target->enabled) {
    jobs::Kill(pool_, job, "the endpoint is disabled", now);
    return std::nullopt;
  }
  const std::string event_id = job.payload.value("event_id", "");
  const std::string type = job.payload.value("type", "");
  detail::PostResult result;
  try {
    result = Attempt(*target, event_id, Body(job.payload), settings_, now);
  } catch (const InvalidInput& e) {
    jobs::Kill(pool_, job, e.what(), now);  // a stored secret that no longer parses
    return std::nullopt;
  }
  const bool ok = result.error.empty();
  const bool now_disabled = db::WithTransaction(pool_, [&](pqxx::work& tx) {
    LogAttempt(tx, job.business_id, endpoint_id, job.id, event_id, type, job.attempts, result, now);
    if (ok) {
      tx.exec_params("UPDATE webhook_endpoints SET failing_since = NULL WHERE business_id = $1::uuid AND id = $2::uuid"
                     " AND failing_since IS NOT NULL",
                     job.business_id, endpoint_id);
      return false;
    }
    // failing_since is the first failure since the last success, so a
    // receiver that is down for a day is disabled, whatever the traffic.
    const auto rows = tx.exec_params(
        "UPDATE webhook_endpoints SET failing_since = coalesce(failing_since,"
        " timestamptz 'epoch' + $3::int8 * interval '1 microsecond')"
        " WHERE business_id = $1::uuid AND id = $2::uuid AND enabled"
        " RETURNING (extract(epoch FROM failing_since) * 1000000)::int8",
        job.business_id, endpoint_id, Micros(now));
    if (rows.empty() || now - FromMicros(rows[0][0].as<std::int64_t>()) < kRetryWindow) return false;
    tx.exec_params("UPDATE webhook_endpoints SET enabled = false, disabled_at = timestamptz 'epoch' + $3::int8 *"
                   " interval '1 microsecond', disabled_reason = $4 WHERE business_id = $1::uuid AND id = $2::uuid",
                   job.business_id, endpoint_id, Micros(now),
                   "failing for 24 hours; last error: " + result.error.substr(0, 500));
    return true;
  });
  if (ok) {
    jobs::Complete(pool_, job, now);
    return std::nullopt;
  }
  if (now_disabled) {
    jobs::Kill(pool_, job, "the endpoint was disabled after failing for 24 hours: " + result.error, now);
    return DisabledEndpoint{job.business_id, endpoint_id, target->url, result.error};
  }
  const TimePoint since = FromMicros(job.payload.value("since", Micros(now)));
  const TimePoint give_up = since + kRetryWindow;
  if (now >= give_up) {
    jobs::Kill(pool_, job, "gave up 24 hours after the event: " + result.error, now);
    return std::nullopt;
  }
  jobs::Fail(pool_, job, result.error, std::min(now + RetryDelay(settings_, job.attempts), give_up), now);
  return std::nullopt;
}

int Deliverer::RunOnce() {
  const TimePoint now = clock_.Now();
  EraseExpiredSecrets(pool_, now);
  const auto claimed = jobs::Claim(pool_, kDeliveryQueue, settings_.batch, milliseconds{settings_.lease_ms}, now);
  // Each delivery on a thread of its own, so that one slow or hanging
  // receiver (up to timeout_ms) does not hold back the other endpoints',
  // and other businesses', deliveries of the batch. A database connection
  // is held only around each short transaction, never during the POST.
  std::vector<std::optional<DisabledEndpoint>> disabled(claimed.size());
  std::vector<std::exception_ptr> errors(claimed.size());
  std::vector<std::thread> threads;
  threads.reserve(claimed.size());
  for (std::size_t i = 0; i < claimed.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        disabled[i] = Deliver(claimed[i], now);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  if (on_disabled_) {
    for (const auto& d : disabled) {
      if (d) on_disabled_(*d);
    }
  }
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  return static_cast<int>(claimed.size());
}

}  // namespace omni::webhooks
