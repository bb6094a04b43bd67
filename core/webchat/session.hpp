// The database side of the public chat API: visitor sessions (finding or
// creating the customer, picking the conversation to resume), which
// conversations a visitor may see, what a visitor sees of them, and the
// server's token secret.
//
// Ownership (chat::VisitorMayContinue, the one rule the chat engine applies
// too): a conversation belongs to a token when it carries the token's
// visitor id, or when the token's customer was proven by identity_hash and
// the conversation is that customer's. Pre-chat fields are claims (anyone
// can type an email address): an unverified visitor is a customer of their
// own, holding what they typed as claims, and is never bound to an
// existing customer by them. A verified identity selects its own customer
// only. A conversation of a verified customer stays theirs: the visitor id
// alone no longer reaches it once the visitor signs out. Everything is
// scoped by the business id.
// Thread-safe: free functions over a db::Pool.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/business/business.hpp"
#include "core/chat/conversations.hpp"
#include "core/common/clock.hpp"
#include "core/customers/customers.hpp"
#include "core/webchat/token.hpp"

namespace omni::db {
class Pool;
}

namespace omni::webchat {

struct SessionRequest {
  // A verified identity (the caller checked identity_hash): the customer
  // with this external id is found or created. "" when none.
  std::string verified_identity;
  // Name, email, phone as typed; all may be empty. Claims only: they never
  // select an existing customer.
  customers::CustomerContact prechat;
  // The claims of an earlier token of this business (signature checked by
  // the caller), to keep the visitor, its own customer and its
  // conversation. Empty business_id when none.
  VisitorClaims previous;
};

struct Session {
  VisitorClaims claims;         // sign these into the token
  std::string conversation_id;  // the conversation to resume; "" when none
};

// Starts a visitor session for `business`: a new visitor id unless one is
// carried over; the customer of the verified identity, else the visitor's
// own customer from an earlier unverified token, else a new customer
// holding the pre-chat claims (none without any); and the most recent
// open (not RESOLVED) webchat conversation of the visitor (or of the
// verified customer). Throws InvalidInput for a malformed email, or a phone
// that is not a valid number of the business's country (or written with its
// country code), worded for the visitor with an example in the hint.
Session StartSession(db::Pool& pool, const business::Business& business, const SessionRequest& request,
                     TimePoint now, int token_ttl_s);

// The visitor a token's claims name, as the chat engine knows visitors.
chat::Visitor VisitorOf(const VisitorClaims& claims);

// The conversation `conversation_id` if `claims` own it
// (chat::VisitorMayContinue); NotFound otherwise (also for another
// business's or a malformed id), so that nothing tells a visitor whether
// someone else's conversation exists.
chat::Conversation OwnedConversation(db::Pool& pool, const VisitorClaims& claims, const std::string& conversation_id);

// What a visitor sees of a message.
struct VisibleMessage {
  std::string id;
  std::int64_t seq = 0;
  std::string role;     // "user", "assistant" or "human"
  std::string content;
  std::string author;   // human: the team member's name, else ""
  TimePoint created_at;
  std::string citations_json = "[]";  // assistant: [{"number","title","source"}]
};

// The conversation's user, assistant and human messages with seq > after_seq,
// in order: no tool steps, no dropped replies, no system notes.
std::vector<VisibleMessage> VisibleMessages(db::Pool& pool, const std::string& business_id,
                                            const std::string& conversation_id, std::int64_t after_seq = 0);

// {"id","seq","role","content","author"?,"created_at","citations"?}.
nlohmann::json MessageJson(const VisibleMessage& message);

// The secret for visitor tokens when server.token_secret is empty: a
// random 256-bit secret stored in the server_settings table on first use.
// Concurrent first calls from several processes agree on one secret.
std::string LoadOrCreateTokenSecret(db::Pool& pool);

}  // namespace omni::webchat
