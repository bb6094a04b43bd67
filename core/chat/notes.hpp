// Private notes on a conversation: what the business's team writes for each
// other ("called her back, she prefers Tuesdays"). A note is never a
// message, so neither the visitor's transcript nor the model's prompt can
// include one. Adding a note is announced on chat::kNotifyChannel as
// {"business_id","conversation_id","note_id"}, in the note's transaction.
// Every function is scoped by a business id.
// Thread-safe: free functions over a db::Pool.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/common/clock.hpp"

namespace omni::db {
class Pool;
}

namespace omni::chat {

inline constexpr std::size_t kMaxNoteChars = 4000;

struct Note {
  std::string id;
  std::string author;  // the team member's name or email, or key:<name>
  std::string body;
  TimePoint created_at;
};

// Adds a note to the conversation. InvalidInput for a malformed id, an
// empty body, one over kMaxNoteChars characters or not UTF-8; NotFound for
// a conversation that is not the business's.
Note AddNote(db::Pool& pool, const std::string& business_id, const std::string& conversation_id,
             const std::string& author, const std::string& body);

// The conversation's notes, oldest first. Errors as AddNote for the id.
std::vector<Note> Notes(db::Pool& pool, const std::string& business_id, const std::string& conversation_id);

}  // namespace omni::chat
