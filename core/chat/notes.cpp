// Private notes on a conversation; see notes.hpp.
#include "core/chat/notes.hpp"

#include "core/chat/conversations.hpp"
#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "core/common/utf8.hpp"
#include "core/db/pqxx.hpp"

namespace omni::chat {
namespace {

void RequireConversationId(const std::string& id) {
  if (!IsUuid(id)) {
    throw InvalidInput("invalid conversation id \"" + id + "\": expected a UUID",
                       "List conversations with `omni conversations list` to see their ids.");
  }
}

[[noreturn]] void ConversationNotFound(const std::string& id) {
  throw NotFound("conversation " + id + " not found",
                 "List conversations with `omni conversations list` to see their ids.");
}

Note ReadNote(const pqxx::row& row) {
  return {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
          TimePoint{std::chrono::microseconds{row[3].as<long long>()}}};
}

}  // namespace

Note AddNote(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
             const std::string& author, const std::string& body) {
  RequireConversationId(conversation_id);
  RejectNul("note", body);
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) throw InvalidInput("note: the note is empty");
  if (!IsValidUtf8(body)) throw InvalidInput("note: it is not valid UTF-8");
  if (CountChars(body) > kMaxNoteChars) {
    throw InvalidInput("note: longer than " + std::to_string(kMaxNoteChars) + " characters");
  }
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    // The insert, its scope check and the announcement in one statement:
    // no row comes back for another business's conversation.
    const auto rows = db::ExecPrepared(
        tx, "omni_chat_add_note",
        "WITH n AS (INSERT INTO conversation_notes (business_id, conversation_id, author, body)"
        " SELECT c.business_id, c.id, $3, $4 FROM conversations c WHERE c.business_id = $1 AND c.id = $2"
        " RETURNING id, author, body, created_at)"
        " SELECT n.id::text, n.author, n.body, (extract(epoch FROM n.created_at) * 1000000)::int8,"
        " pg_notify($5, json_build_object('business_id', $1::text, 'conversation_id', $2::text,"
        " 'note_id', n.id::text)::text) FROM n",
        business_id, conversation_id, author, body, std::string(kNotifyChannel));
    if (rows.empty()) ConversationNotFound(conversation_id);
    return ReadNote(rows[0]);
  });
}

std::vector<Note> Notes(db::Pool& pool, const std::string& business_id, const std::string& conversation_id) {
  RequireConversationId(conversation_id);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    if (tx.exec_params("SELECT 1 FROM conversations WHERE business_id = $1 AND id = $2", business_id,
                       conversation_id)
            .empty()) {
      ConversationNotFound(conversation_id);
    }
    std::vector<Note> notes;
    for (const auto& row :
         tx.exec_params("SELECT id::text, author, body, (extract(epoch FROM created_at) * 1000000)::int8"
                        " FROM conversation_notes WHERE business_id = $1 AND conversation_id = $2"
                        " ORDER BY created_at, id",
                        business_id, conversation_id)) {
      notes.push_back(ReadNote(row));
    }
    return notes;
  });
}

}  // namespace omni::chat
