// Private notes on a conversation of the caller's business
// (core/chat/notes.hpp): the team's, never shown to the visitor or the
// model.
//
// GET  /v1/console/conversations/{id}/notes  (conversations:read)
//   200 {"notes":[LiveNote]} oldest first.
// POST /v1/console/conversations/{id}/notes  {"body"} (conversations:write;
//   JSON, else 415): authored by the caller (the user's name or email, or
//   key:<name>). 201 {"note": LiveNote}.
// LiveNote: {"id","author","body","created_at"}. 404 for an id that is
// not a conversation of the caller's business; 400 for an empty body or
// one over 4000 characters.
#include <nlohmann/json.hpp>

#include "core/chat/notes.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;

// 4000 characters of up to 4 bytes each.
constexpr std::size_t kMaxNoteBytes = 4 * chat::kMaxNoteChars;

json NoteJson(const chat::Note& note) {
  return {{"id", note.id}, {"author", note.author}, {"body", note.body}, {"created_at", IsoUtc(note.created_at)}};
}

asio::awaitable<Response> List(Exchange& exchange, ConsoleCall& call) {
  const std::string& id = exchange.request().Param("id");
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const json body = co_await RunBlocking(exchange.app().blocking(), [&] {
    json notes = json::array();
    for (const auto& note : chat::Notes(pool, business_id, id)) notes.push_back(NoteJson(note));
    return json{{"notes", std::move(notes)}};
  });
  co_return Response::Json(200, body);
}

asio::awaitable<Response> Add(Exchange& exchange, ConsoleCall& call) {
  const Request& request = exchange.request();
  json body;
  if (auto refused = RequireJsonBody(request, body)) co_return *refused;
  const std::string text = RequiredString(body, "body", kMaxNoteBytes);
  const std::string& id = request.Param("id");
  auto& pool = exchange.app().pool();
  const auto& principal = call.principal;
  const auto note = co_await RunBlocking(exchange.app().blocking(), [&] {
    return chat::AddNote(pool, principal.business_id, id, principal.display_name, text);
  });
  co_return Response::Json(201, {{"note", NoteJson(note)}});
}

}  // namespace

asio::awaitable<Response> HandleConsoleNotes(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kConversationsRead, &List);
}

asio::awaitable<Response> HandleConsoleAddNote(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kConversationsWrite, &Add);
}

}  // namespace omni::omnid
