// Visitor sessions and what visitors may see; see session.hpp.
#include "core/webchat/session.hpp"

#include <date/date.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "core/chat/conversations_tx.hpp"
#include "core/common/error.hpp"
#include "core/common/phone.hpp"
#include "core/common/text.hpp"
#include "core/customers/customers_tx.hpp"
#include "core/db/pqxx.hpp"
#include "core/webchat/policy.hpp"

namespace omni::webchat {
namespace {

using nlohmann::json;

std::string FormatUtcSeconds(TimePoint instant) {
  return date::format("%FT%TZ", date::floor<std::chrono::seconds>(instant));
}

}  // namespace

Session StartSession(db::Pool& pool, const business::Business& business, const SessionRequest& request,
                     TimePoint now, int token_ttl_s) {
  Session session;
  auto& claims = session.claims;
  claims.business_id = business.id;
  const bool carried = !request.previous.business_id.empty() && request.previous.business_id == business.id &&
                       !request.previous.visitor_id.empty();
  claims.visitor_id = carried ? request.previous.visitor_id : "v_" + RandomHex(16);
  claims.expires_at_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() + token_ttl_s;

  const auto& prechat = request.prechat;
  // The visitor reads this message in the pre-chat form, with the hint
  // showing how a number of the business's country is written.
  if (!Trim(prechat.phone).empty()) {
    RejectNul("phone", prechat.phone);
    try {
      phone::ToE164(prechat.phone, business::PhoneRegion(business.spec));
    } catch (const InvalidInput& e) {
      throw InvalidInput("the phone number \"" + Trim(prechat.phone) + "\" is not one we can call", e.hint());
    }
  }
  const bool has_claims = !prechat.name.empty() || !prechat.email.empty() || !prechat.phone.empty();
  // A verified customer of an earlier token is not carried into an
  // unverified session: signing out of the site ends access to their data.
  const std::string own_customer = carried && !request.previous.verified ? request.previous.customer_id : "";
  session.conversation_id = db::WithTransaction(pool, [&](pqxx::work& tx) {
    if (!request.verified_identity.empty()) {
      claims.customer_id =
          customers::FindOrCreateByIdentity(tx, business.id, request.verified_identity, prechat).customer.id;
      claims.verified = true;
    } else if (!own_customer.empty()) {
      claims.customer_id = customers::AddClaims(tx, business.id, own_customer, prechat).id;
    } else if (has_claims) {
      claims.customer_id = customers::CreateFromClaims(tx, business.id, prechat).id;
    }
    return chat::LatestOpenWebchatConversation(tx, business.id, claims.visitor_id,
                                               claims.verified ? claims.customer_id : std::string());
  });
  return session;
}

chat::Visitor VisitorOf(const VisitorClaims& claims) {
  return chat::Visitor{claims.visitor_id, claims.customer_id, claims.verified};
}

chat::Conversation OwnedConversation(db::Pool& pool, const VisitorClaims& claims, const std::string& conversation_id) {
  return chat::VisitorConversation(pool, claims.business_id, VisitorOf(claims), conversation_id);
}

std::vector<VisibleMessage> VisibleMessages(db::Pool& pool, const std::string& business_id,
                                            const std::string& conversation_id, std::int64_t after_seq) {
  chat::MessageQuery query;
  query.include_dropped = false;
  query.include_tools = false;
  std::vector<VisibleMessage> visible;
  for (const auto& stored : chat::Messages(pool, business_id, conversation_id, query)) {
    const char* role = VisibleRoleName(stored.role);
    if (role == nullptr || stored.seq <= after_seq || stored.content.empty()) continue;
    VisibleMessage message;
    message.id = stored.id;
    message.seq = stored.seq;
    message.role = role;
    message.content = stored.content;
    message.created_at = stored.created_at;
    const json metadata = json::parse(stored.metadata_json, nullptr, false);
    if (metadata.is_object()) {
      if (stored.role == chat::MessageRole::kHuman) message.author = metadata.value("author", "");
      if (metadata.contains("citations") && metadata["citations"].is_array()) {
        json citations = json::array();
        for (const auto& c : metadata["citations"]) {
          if (!c.is_object()) continue;
          citations.push_back({{"number", c.value("number", 0)}, {"title", c.value("title", "")},
                               {"source", VisitorSource(c.value("source", ""))}});
        }
        message.citations_json = citations.dump();
      }
    }
    visible.push_back(std::move(message));
  }
  return visible;
}

json MessageJson(const VisibleMessage& message) {
  json out = {{"id", message.id},           {"seq", message.seq},
              {"role", message.role},       {"content", message.content},
              {"created_at", FormatUtcSeconds(message.created_at)}};
  if (message.role == "human") out["author"] = message.author;
  if (message.role == "assistant") out["citations"] = json::parse(message.citations_json, nullptr, false);
  return out;
}

std::string LoadOrCreateTokenSecret(db::Pool& pool) {
  const std::string candidate = RandomHex(32);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    // The first process to commit wins; every other one reads its secret.
    tx.exec_params(
        "INSERT INTO server_settings (name, value) VALUES ('visitor_token_secret', $1)"
        " ON CONFLICT (name) DO NOTHING",
        candidate);
    return tx.exec("SELECT value FROM server_settings WHERE name = 'visitor_token_secret'")[0][0].as<std::string>();
  });
}

}  // namespace omni::webchat
