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
UserMessageResult AddUserMessage(pqxx::work& tx, const std::string& business_id,
                                 const std::string& conversation_id, const std::string& text, TimePoint now);

}  // namespace omni::chat
