// FakeStripe; see fake_stripe.hpp.
#include "tests/support/fake_stripe.hpp"

#include <algorithm>

namespace omni::test {
namespace {

using Json = nlohmann::json;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseForm(const std::string& text) {
  std::map<std::string, std::string> form;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('&', start);
    if (end == std::string::npos) end = text.size();
    const std::string pair = text.substr(start, end - start);
    const std::size_t eq = pair.find('=');
    if (eq != std::string::npos) form[Decode(pair.substr(0, eq))] = Decode(pair.substr(eq + 1));
    start = end + 1;
  }
  return form;
}

LoopbackResponse JsonAnswer(int status, const Json& body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  headers.emplace_back("Content-Type", "application/json");
  headers.emplace_back("Request-Id", "req_fake");
  return LoopbackResponse{status, std::move(headers), body.dump()};
}

LoopbackResponse StripeError(int status, const std::string& type, const std::string& code, const std::string& message,
                             std::optional<bool> should_retry) {
  Json error = {{"type", type}, {"message", message}};
  if (!code.empty()) error["code"] = code;
  std::vector<std::pair<std::string, std::string>> headers;
  if (should_retry) headers.emplace_back("Stripe-Should-Retry", *should_retry ? "true" : "false");
  return JsonAnswer(status, {{"error", error}}, headers);
}

LoopbackResponse FaultAnswer(StripeFault fault) {
  switch (fault) {
    case StripeFault::kRateLimited:
      return StripeError(429, "invalid_request_error", "rate_limit", "Too many requests hit the API too quickly.",
                         true);
    case StripeFault::kServerError:
      return StripeError(500, "api_error", "", "An unknown error occurred", std::nullopt);
    case StripeFault::kIdempotencyError:
      return StripeError(400, "idempotency_error", "",
                         "Keys for idempotent requests can only be used with the same parameters they were first "
                         "used with.",
                         false);
    case StripeFault::kConflict:
      return StripeError(409, "invalid_request_error", "lock_timeout",
                         "This object cannot be accessed right now because another API request or Stripe process is "
                         "currently accessing it.",
                         true);
    case StripeFault::kDropBefore:
    case StripeFault::kDropAfter: {
      LoopbackResponse drop;
      drop.drop_connection = true;
      return drop;
    }
  }
  return {};
}

}  // namespace

FakeStripe::FakeStripe() : random_(1), server_([this](const LoopbackRequest& request) { return Answer(request); }) {}

std::string FakeStripe::base_url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

void FakeStripe::FailNext(std::vector<StripeFault> faults) {
  std::lock_guard lock(mutex_);
  next_faults_.insert(next_faults_.end(), faults.begin(), faults.end());
}

void FakeStripe::FailRandomly(double rate, std::vector<StripeFault> faults, unsigned seed) {
  std::lock_guard lock(mutex_);
  fail_rate_ = rate;
  random_faults_ = std::move(faults);
  random_.seed(seed);
}

void FakeStripe::SetDelay(int delay_ms) {
  std::lock_guard lock(mutex_);
  delay_ms_ = delay_ms;
}

void FakeStripe::SetSubscription(const Json& subscription) {
  std::lock_guard lock(mutex_);
  subscriptions_[subscription.at("id").get<std::string>()] = subscription;
}

void FakeStripe::RejectCustomer(const std::string& customer_id) {
  std::lock_guard lock(mutex_);
  rejected_customers_.push_back(customer_id);
}

std::vector<FakeStripeRequest> FakeStripe::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<FakeStripeRequest> FakeStripe::meter_events() const {
  std::lock_guard lock(mutex_);
  return meter_events_;
}

int FakeStripe::duplicate_meter_events() const {
  std::lock_guard lock(mutex_);
  return duplicate_meter_events_;
}

LoopbackResponse FakeStripe::Answer(const LoopbackRequest& raw) {
  FakeStripeRequest request;
  request.method = raw.method;
  const std::size_t question = raw.target.find('?');
  request.path = raw.target.substr(0, question);
  request.form = ParseForm(raw.method == "GET" && question != std::string::npos ? raw.target.substr(question + 1)
                                                                                  : raw.body);
  request.headers = raw.headers;
  std::lock_guard lock(mutex_);
  requests_.push_back(request);
  std::optional<StripeFault> fault;
  if (!next_faults_.empty()) {
    fault = next_faults_.front();
    next_faults_.erase(next_faults_.begin());
  } else if (fail_rate_ > 0 && !random_faults_.empty() &&
             std::uniform_real_distribution<double>(0, 1)(random_) < fail_rate_) {
    fault = random_faults_[std::uniform_int_distribution<std::size_t>(0, random_faults_.size() - 1)(random_)];
  }
  if (fault && *fault != StripeFault::kDropAfter) return FaultAnswer(*fault);
  if (request.headers["authorization"].rfind("Bearer sk_", 0) != 0 &&
      request.headers["authorization"].rfind("Bearer rk_", 0) != 0) {
    return StripeError(401, "invalid_request_error", "", "Invalid API Key provided", std::nullopt);
  }
  LoopbackResponse answer;
  const std::string key = request.headers.count("idempotency-key") ? request.headers["idempotency-key"] : "";
  if (request.method == "POST" && !key.empty()) {
    if (auto it = idempotent_.find(key); it != idempotent_.end()) {
      if (it->second.first != raw.body) return FaultAnswer(StripeFault::kIdempotencyError);
      answer = it->second.second;
      answer.headers.emplace_back("Idempotent-Replayed", "true");
    } else {
      answer = Apply(request);
      // Stripe stores the answer of a request that ran, errors included,
      // but not of one that failed before running (429, 5xx).
      if (answer.status < 500 && answer.status != 429) idempotent_[key] = {raw.body, answer};
    }
  } else {
    answer = Apply(request);
  }
  if (fault == StripeFault::kDropAfter) return FaultAnswer(*fault);
  answer.delay_ms = delay_ms_;
  return answer;
}

LoopbackResponse FakeStripe::Apply(const FakeStripeRequest& request) {
  const auto& form = request.form;
  const auto field = [&](const std::string& name) {
    const auto it = form.find(name);
    return it == form.end() ? std::string() : it->second;
  };
  if (request.method == "POST" && request.path == "/v1/billing/meter_events") {
    const std::string customer = field("payload[stripe_customer_id]");
    if (std::find(rejected_customers_.begin(), rejected_customers_.end(), customer) != rejected_customers_.end()) {
      return StripeError(400, "invalid_request_error", "resource_missing", "No such customer: '" + customer + "'",
                         false);
    }
    if (field("event_name").empty() || customer.empty() || field("payload[value]").empty()) {
      return StripeError(400, "invalid_request_error", "parameter_missing", "Missing required param.", false);
    }
    const std::string identifier = field("identifier");
    if (auto it = meter_identifiers_.find(identifier); it != meter_identifiers_.end()) {
      ++duplicate_meter_events_;
      return StripeError(400, "invalid_request_error", "resource_already_exists",
                         "An event already exists with identifier " + identifier + ".", false);
    }
    meter_identifiers_[identifier] = request.headers.count("idempotency-key") ? request.headers.at("idempotency-key")
                                                                              : "";
    meter_events_.push_back(request);
    return JsonAnswer(200, {{"object", "billing.meter_event"},
                            {"created", 1796000000},
                            {"event_name", field("event_name")},
                            {"identifier", identifier},
                            {"livemode", false},
                            {"payload", {{"stripe_customer_id", customer}, {"value", field("payload[value]")}}},
                            {"timestamp", std::stoll(field("timestamp").empty() ? "0" : field("timestamp"))}});
  }
  if (request.method == "POST" && request.path == "/v1/checkout/sessions") {
    const std::string id = "cs_test_" + std::to_string(next_id_++);
    return JsonAnswer(200, {{"id", id},
                            {"object", "checkout.session"},
                            {"mode", field("mode")},
                            {"client_reference_id", field("client_reference_id")},
                            {"url", "https://checkout.stripe.com/c/pay/" + id}});
  }
  if (request.method == "POST" && request.path == "/v1/billing_portal/sessions") {
    if (field("customer").empty()) {
      return StripeError(400, "invalid_request_error", "parameter_missing", "Missing required param: customer.",
                         false);
    }
    const std::string id = "bps_" + std::to_string(next_id_++);
    return JsonAnswer(200, {{"id", id},
                            {"object", "billing_portal.session"},
                            {"customer", field("customer")},
                            {"url", "https://billing.stripe.com/p/session/" + id}});
  }
  if (request.method == "GET" && request.path.rfind("/v1/subscriptions/", 0) == 0) {
    const std::string id = request.path.substr(std::string("/v1/subscriptions/").size());
    if (auto it = subscriptions_.find(id); it != subscriptions_.end()) return JsonAnswer(200, it->second);
    return StripeError(404, "invalid_request_error", "resource_missing", "No such subscription: '" + id + "'",
                       std::nullopt);
  }
  return StripeError(404, "invalid_request_error", "", "Unrecognized request URL (" + request.method + ": " +
                                                           request.path + ").",
                     std::nullopt);
}

}  // namespace omni::test
