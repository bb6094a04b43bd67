// The conversation steps of a chat turn inside a caller's transaction, so
// that the engine stores a turn's opening in one commit instead of one per
// step. Includes <pqxx/pqxx> through core/db/pqxx.hpp, so public headers
// must not include this one. Semantics and errors are those of the
// pool-taking functions in core/chat/conversations.hpp.
#pragma once

#include <string>
#include <vector>

#include "core/chat/conversations.hpp"
#include "core/db/pqxx.hpp"

namespace omni::chat {

Conversation Open(pqxx::work& tx, const std::string& business_id, const OpenRequest& request);
std::vector<StoredMessage> Messages(pqxx::work& tx, const std::string& business_id,
                                    const std::string& conversation_id, const MessageQuery& query = {});
Conversation VisitorConversation(pqxx::work& tx, const std::string& business_id, const Visitor& visitor,
                                 const std::string& conversation_id);
// The id of the visitor's most recent open (not RESOLVED) webchat
// conversation, "" when none: one of `verified_customer_id` ("" when the
// visitor is not verified), or one carrying `visitor_id` whose customer
// has no verified identity or is that verified customer.
std::string LatestOpenWebchatConversation(pqxx::work& tx, const std::string& business_id, const std::string& visitor_id,
                                          const std::string& verified_customer_id);
// Hands the conversation to a human (ESCALATED) in the caller's
// transaction: the plan's limit stopped the AI after the message was stored.
void Escalate(pqxx::work& tx, const std::string& business_id, const std::string& conversation_id,
              const std::string& reason, HandoffReason handoff);
// Announces on kNotifyChannel, in the caller's transaction (so at its
// commit), that the team member `user_id` is being removed and the
// conversations assigned to them become unassigned: one notice naming the
// user, {"business_id", "removed_user_id"}, however many they had, for
// live views to re-read what they show.
void NotifyTeammateRemoved(pqxx::work& tx, const std::string& business_id, const std::string& user_id);
UserMessageResult AddUserMessage(pqxx::work& tx, const std::string& business_id,
                                 const std::string& conversation_id, const std::string& text, TimePoint now);

}  // namespace omni::chat
