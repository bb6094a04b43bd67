// The Stripe API client. See stripe_client.hpp.
#include "core/billing/stripe_client.hpp"

#include "core/common/error.hpp"
#include "core/config/config.hpp"
#include "core/http/client.hpp"

namespace omni::billing {
namespace {

std::string PercentEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

// Keys keep their brackets readable; Stripe accepts them unescaped.
std::string EncodeKey(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '[' || c == ']') {
      out.push_back(c);
    } else {
      out += PercentEncode(std::string(1, c));
    }
  }
  return out;
}

void Flatten(const std::string& prefix, const nlohmann::json& value, std::string& out) {
  const auto append = [&](const std::string& text) {
    if (!out.empty()) out.push_back('&');
    out += EncodeKey(prefix) + "=" + PercentEncode(text);
  };
  if (value.is_null()) return;
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) Flatten(prefix.empty() ? key : prefix + "[" + key + "]", item, out);
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) Flatten(prefix + "[" + std::to_string(i) + "]", value[i], out);
  } else if (value.is_string()) {
    append(value.get<std::string>());
  } else if (value.is_boolean()) {
    append(value.get<bool>() ? "true" : "false");
  } else {
    append(value.dump());
  }
}

std::string TrimSlash(std::string base) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

}  // namespace

StripeClientSettings StripeClientSettingsFor(const config::StripeSettings& stripe) {
  StripeClientSettings settings;
  settings.api_key = stripe.api_key;
  settings.api_base = stripe.api_base;
  return settings;
}

std::string FormEncode(const nlohmann::json& params) {
  std::string out;
  if (params.is_null()) return out;
  if (!params.is_object()) throw InvalidInput("stripe parameters must be a JSON object");
  Flatten("", params, out);
  return out;
}

std::string StripeResponse::Describe() const {
  std::string text = "stripe answered " + std::to_string(status);
  if (!error_type.empty() || !error_code.empty()) {
    text += " " + error_type + (error_code.empty() ? "" : "/" + error_code);
  }
  if (!error_message.empty()) text += ": " + error_message;
  return text;
}

StripeClient::StripeClient(http::HttpClient& http, StripeClientSettings settings)
    : http_(http), settings_(std::move(settings)) {}

StripeResponse StripeClient::Post(const std::string& path, const nlohmann::json& params,
                                  const std::string& idempotency_key) const {
  if (idempotency_key.empty()) throw InvalidInput("a Stripe POST needs an idempotency key");
  return Send("POST", path, FormEncode(params), idempotency_key);
}

StripeResponse StripeClient::Get(const std::string& path, const nlohmann::json& query) const {
  const std::string encoded = FormEncode(query);
  return Send("GET", encoded.empty() ? path : path + "?" + encoded, "", "");
}

StripeResponse StripeClient::Send(const std::string& method, const std::string& path, const std::string& body,
                                  const std::string& idempotency_key) const {
  if (settings_.api_key.empty()) {
    throw ConfigError("stripe.api_key is not set", "Set stripe.api_key in omni.yaml to a secret or restricted key.");
  }
  http::Request request;
  request.method = method;
  request.url = TrimSlash(settings_.api_base) + path;
  request.headers = {{"Authorization", "Bearer " + settings_.api_key},
                     {"Stripe-Version", kStripeApiVersion},
                     {"Accept", "application/json"}};
  if (method == "POST") {
    request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    request.headers.push_back({"Idempotency-Key", idempotency_key});
    request.body = body;
  }
  request.connect_timeout_ms = settings_.timeout_ms;
  request.first_byte_timeout_ms = settings_.timeout_ms;
  request.idle_timeout_ms = settings_.timeout_ms;
  request.max_body_bytes = 4 * 1024 * 1024;
  http::Response response;
  try {
    response = http::Fetch(http_, std::move(request));
  } catch (const Unavailable&) {
    throw;
  } catch (const UpstreamError& e) {
    // A broken HTTP answer is a transport failure: retrying may succeed.
    throw Unavailable(std::string("stripe: ") + e.what());
  }
  StripeResponse result;
  result.status = response.status;
  result.request_id = response.FindHeader("Request-Id").value_or("");
  if (const auto retry = response.FindHeader("Stripe-Should-Retry")) result.should_retry = *retry == "true";
  result.body = nlohmann::json::parse(response.body, nullptr, false);
  if (result.body.is_discarded()) result.body = nullptr;
  if (!result.ok() && result.body.is_object() && result.body.contains("error") && result.body["error"].is_object()) {
    const auto& error = result.body["error"];
    result.error_type = error.value("type", "");
    result.error_code = error.value("code", "");
    result.error_message = error.value("message", "");
  }
  return result;
}

nlohmann::json RequireOk(const StripeResponse& response, const std::string& what) {
  if (response.ok()) return response.body;
  const std::string message = what + ": " + response.Describe();
  if (response.status == 400 || response.status == 404) {
    throw InvalidInput(message, "Check the Stripe ids in omni.yaml and the business's Stripe customer.");
  }
  if (response.status == 401 || response.status == 403) {
    throw ConfigError(message, "Check stripe.api_key: it must be a secret or restricted key of this account.");
  }
  throw UpstreamError(message);
}

}  // namespace omni::billing
