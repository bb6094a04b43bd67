// OPTIONS /v1/chat/{business_slug}/...: the CORS preflight. 204 with the
// allowed methods and headers for an origin the business allows (or any,
// when its widget.allowed_origins is empty); 403 JSON otherwise.
#include "daemon/chat_handlers.hpp"
#include "daemon/webchat.hpp"

namespace omni::omnid {
namespace {

asio::awaitable<Response> Preflight(Exchange&, ChatScope&) {
  Response response;
  response.status = 204;
  response.headers.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  response.headers.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Last-Event-ID");
  response.headers.Set("Access-Control-Max-Age", "600");
  co_return response;
}

}  // namespace

asio::awaitable<Response> HandleChatPreflight(Exchange& exchange) {
  co_return co_await RunChat(exchange, ChatAuth::kNone, &Preflight);
}

}  // namespace omni::omnid
