// The fake OpenAI-compatible server (see fake_openai.hpp): a Beast
// coroutine server, one coroutine per connection, keep-alive supported.
// Wire shapes follow OpenAI's chat.completion(.chunk) objects and
// OpenRouter's additions (usage.cost, keep-alive comments, mid-stream error).
#include "tests/support/fake_openai.hpp"

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <atomic>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/common/text.hpp"

namespace omni::test {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;
using nlohmann::json;

constexpr std::int64_t kCreated = 1700000000;

json Chunk(const std::string& model, json delta, json finish_reason = nullptr) {
  return {{"id", "chatcmpl-fake"},
          {"object", "chat.completion.chunk"},
          {"created", kCreated},
          {"model", model},
          {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish_reason}}})}};
}

json UsageJson(const FakeReply& r) {
  json usage = {{"prompt_tokens", r.prompt_tokens},
                {"completion_tokens", r.completion_tokens},
                {"total_tokens", r.prompt_tokens + r.completion_tokens}};
  if (r.cost) usage["cost"] = *r.cost;
  return usage;
}

std::string FinishReason(const FakeReply& r) {
  if (!r.finish_reason.empty()) return r.finish_reason;
  return r.tool_calls.empty() ? "stop" : "tool_calls";
}

std::string Event(const json& data) { return "data: " + data.dump() + "\n\n"; }

// The SSE body of a model answer, event by event.
std::vector<std::string> StreamEvents(const FakeReply& r, const std::string& model) {
  std::vector<std::string> events;
  for (int i = 0; i < r.comments; ++i) events.push_back(": OPENROUTER PROCESSING\n\n");
  events.push_back(Event(Chunk(model, {{"role", "assistant"}, {"content", ""}})));
  for (const auto& piece : r.text_pieces) events.push_back(Event(Chunk(model, {{"content", piece}})));

  // The first delta of a call names it; the others extend its arguments.
  std::vector<std::vector<json>> per_call;
  for (std::size_t i = 0; i < r.tool_calls.size(); ++i) {
    const auto& call = r.tool_calls[i];
    std::vector<json> deltas;
    deltas.push_back({{"index", i},
                      {"id", call.id},
                      {"type", "function"},
                      {"function", {{"name", call.name}, {"arguments", ""}}}});
    for (const auto& piece : call.argument_pieces) {
      deltas.push_back({{"index", i}, {"function", {{"arguments", piece}}}});
    }
    per_call.push_back(std::move(deltas));
  }
  auto emit = [&](const json& delta) {
    events.push_back(Event(Chunk(model, {{"tool_calls", json::array({delta})}})));
  };
  if (r.interleave_tool_calls) {
    for (std::size_t step = 0;; ++step) {
      bool any = false;
      for (const auto& deltas : per_call) {
        if (step < deltas.size()) {
          emit(deltas[step]);
          any = true;
        }
      }
      if (!any) break;
    }
  } else {
    for (const auto& deltas : per_call) {
      for (const auto& d : deltas) emit(d);
    }
  }

  if (r.cut_stream) return events;
  if (r.mid_stream_error) {
    json chunk = Chunk(model, {{"content", ""}}, "error");
    chunk["error"] = {{"code", r.error_code.is_null() ? json(502) : r.error_code},
                      {"message", r.error_message.empty() ? "provider returned error" : r.error_message}};
    events.push_back(Event(chunk));
    return events;
  }
  events.push_back(Event(Chunk(model, json::object(), FinishReason(r))));
  if (r.usage_chunk) {
    events.push_back(Event({{"id", "chatcmpl-fake"},
                            {"object", "chat.completion.chunk"},
                            {"created", kCreated},
                            {"model", model},
                            {"choices", json::array()},
                            {"usage", UsageJson(r)}}));
  }
  events.push_back("data: [DONE]\n\n");
  return events;
}

json CompletionJson(const FakeReply& r, const std::string& model) {
  std::string text;
  for (const auto& piece : r.text_pieces) text += piece;
  json message = {{"role", "assistant"}, {"content", text.empty() && !r.tool_calls.empty() ? json(nullptr) : json(text)}};
  if (!r.tool_calls.empty()) {
    json calls = json::array();
    for (const auto& call : r.tool_calls) {
      std::string arguments;
      for (const auto& piece : call.argument_pieces) arguments += piece;
      calls.push_back({{"id", call.id}, {"type", "function"}, {"function", {{"name", call.name}, {"arguments", arguments}}}});
    }
    message["tool_calls"] = std::move(calls);
  }
  return {{"id", "chatcmpl-fake"},
          {"object", "chat.completion"},
          {"created", kCreated},
          {"model", model},
          {"choices", json::array({{{"index", 0}, {"message", message}, {"finish_reason", FinishReason(r)}}})},
          {"usage", UsageJson(r)}};
}

std::string ToCrlf(const std::string& s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (char c : s) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string RecordedRequest::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

FakeReply TextReply(std::vector<std::string> pieces) {
  FakeReply r;
  r.text_pieces = std::move(pieces);
  return r;
}

FakeReply ToolCallReply(std::vector<FakeToolCall> calls) {
  FakeReply r;
  r.tool_calls = std::move(calls);
  return r;
}

FakeReply ErrorReply(int status, std::string message) {
  FakeReply r;
  r.status = status;
  r.error_message = std::move(message);
  return r;
}

FakeReply FakeReplyFromJson(const json& spec) {
  FakeReply r;
  for (const auto& [key, value] : spec.items()) {
    if (key == "text_pieces") {
      r.text_pieces = value.get<std::vector<std::string>>();
    } else if (key == "tool_calls") {
      for (const auto& c : value) {
        r.tool_calls.push_back({c.at("id").get<std::string>(), c.at("name").get<std::string>(),
                                c.at("argument_pieces").get<std::vector<std::string>>()});
      }
    } else if (key == "interleave_tool_calls") {
      r.interleave_tool_calls = value.get<bool>();
    } else if (key == "finish_reason") {
      r.finish_reason = value.get<std::string>();
    } else if (key == "model") {
      r.model = value.get<std::string>();
    } else if (key == "prompt_tokens") {
      r.prompt_tokens = value.get<int>();
    } else if (key == "completion_tokens") {
      r.completion_tokens = value.get<int>();
    } else if (key == "cost") {
      r.cost = value.is_null() ? std::nullopt : std::optional<double>(value.get<double>());
    } else if (key == "usage_chunk") {
      r.usage_chunk = value.get<bool>();
    } else if (key == "status") {
      r.status = value.get<int>();
    } else if (key == "error_message") {
      r.error_message = value.get<std::string>();
    } else if (key == "error_code") {
      r.error_code = value;
    } else if (key == "headers") {
      for (const auto& [name, v] : value.items()) r.headers.emplace_back(name, v.get<std::string>());
    } else if (key == "raw_body") {
      r.raw_body = value.get<std::string>();
    } else if (key == "raw_sse") {
      r.raw_sse = value.get<std::string>();
    } else if (key == "mid_stream_error") {
      r.mid_stream_error = value.get<bool>();
    } else if (key == "cut_stream") {
      r.cut_stream = value.get<bool>();
    } else if (key == "first_byte_delay_ms") {
      r.first_byte_delay_ms = value.get<int>();
    } else if (key == "chunk_delay_ms") {
      r.chunk_delay_ms = value.get<int>();
    } else if (key == "comments") {
      r.comments = value.get<int>();
    } else if (key == "crlf") {
      r.crlf = value.get<bool>();
    } else if (key == "split_bytes") {
      r.split_bytes = value.get<std::size_t>();
    } else if (key == "close_after") {
      r.close_after = value.get<bool>();
    } else if (key == "hang_up") {
      r.hang_up = value.get<bool>();
    } else {
      throw std::invalid_argument("unknown fake reply key \"" + key + "\"");
    }
  }
  return r;
}

struct FakeOpenAi::Impl {
  net::io_context io;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  std::optional<ssl::context> tls;
  std::atomic<int> connections{0};  // accepted so far; touched by the accept loop only

  mutable std::mutex mutex;
  std::deque<FakeReply> queue;
  std::function<FakeReply(const RecordedRequest&)> fallback;
  std::vector<RecordedRequest> requests;
  std::vector<std::string> problems;

  // Picks the reply for a request; nullopt when nothing was scripted.
  std::optional<FakeReply> Take(const RecordedRequest& request) {
    std::function<FakeReply(const RecordedRequest&)> responder;
    {
      std::lock_guard lock(mutex);
      if (!queue.empty()) {
        FakeReply reply = std::move(queue.front());
        queue.pop_front();
        return reply;
      }
      responder = fallback;
      if (!responder) {
        problems.push_back("fake openai: unexpected request " + request.method + " " + request.target +
                           " with no scripted reply");
        return std::nullopt;
      }
    }
    return responder(request);
  }

  net::awaitable<void> Accept() {
    while (true) {
      error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;
      }
      // Like real services: streamed pieces go out at once (no Nagle delay).
      socket.set_option(tcp::no_delay(true), ec);
      const int number = ++connections;
      if (tls) {
        net::co_spawn(acceptor.get_executor(), TlsSession(std::move(socket), number), net::detached);
      } else {
        net::co_spawn(acceptor.get_executor(), Session(beast::tcp_stream(std::move(socket)), number), net::detached);
      }
    }
  }

  static net::awaitable<void> Sleep(int ms) {
    if (ms <= 0) co_return;
    net::steady_timer timer(co_await net::this_coro::executor);
    timer.expires_after(std::chrono::milliseconds(ms));
    error_code ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  }

  net::awaitable<void> TlsSession(tcp::socket socket, int number) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    error_code ec;
    co_await stream.async_handshake(ssl::stream_base::server, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;  // a client that refused our certificate
    co_await Session(std::move(stream), number);
  }

  template <class Stream>
  net::awaitable<void> Session(Stream stream, int number) {
    beast::flat_buffer buffer;
    error_code ec;
    while (true) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(120));
      co_await bhttp::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;
      beast::get_lowest_layer(stream).expires_never();
      auto req = parser.release();
      RecordedRequest recorded;
      recorded.connection = number;
      recorded.method = std::string(req.method_string());
      recorded.target = std::string(req.target());
      for (const auto& f : req) recorded.headers[Lower(std::string(f.name_string()))] = std::string(f.value());
      recorded.body = req.body();
      recorded.json = json::parse(recorded.body, nullptr, false);
      if (recorded.json.is_discarded()) recorded.json = nullptr;

      {
        std::lock_guard lock(mutex);
        requests.push_back(recorded);
      }
      bool keep_alive = req.keep_alive();
      const bool completions = recorded.method == "POST" && recorded.target.find("/chat/completions") != std::string::npos;
      if (!completions) {
        const bool models = recorded.method == "GET" && recorded.target.find("/models") != std::string::npos;
        const int status = models ? 200 : 404;
        const json body = models ? json{{"object", "list"}, {"data", json::array({{{"id", "fake/model"}, {"object", "model"}}})}}
                                 : json{{"error", {{"code", 404}, {"message", "no such route"}}}};
        keep_alive = co_await WriteJson(stream, status, body.dump(), {}, keep_alive);
      } else {
        std::optional<FakeReply> reply = Take(recorded);
        if (!reply) {
          reply = ErrorReply(500, "fake openai: no scripted reply");
        }
        if (reply->hang_up) break;
        keep_alive = co_await Respond(stream, *reply, recorded, keep_alive) && !reply->close_after;
      }
      if (!keep_alive) break;
    }
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  template <class Stream>
  static net::awaitable<bool> WriteJson(Stream& stream, int status, std::string body,
                                        const std::vector<std::pair<std::string, std::string>>& headers,
                                        bool keep_alive) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, "application/json");
    for (const auto& [name, value] : headers) res.set(name, value);
    res.body() = std::move(body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    error_code ec;
    co_await bhttp::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
    co_return keep_alive && !ec;
  }

  // Returns whether the connection may serve another request.
  template <class Stream>
  static net::awaitable<bool> Respond(Stream& stream, const FakeReply& reply, const RecordedRequest& request,
                                      bool keep_alive) {
    co_await Sleep(reply.first_byte_delay_ms);
    std::string model = reply.model;
    if (model.empty() && request.json.is_object() && request.json.contains("model") &&
        request.json["model"].is_string()) {
      model = request.json["model"].get<std::string>();
    }
    if (model.empty()) model = "fake/model";

    if (reply.raw_body) co_return co_await WriteJson(stream, reply.status, *reply.raw_body, reply.headers, keep_alive);
    if (reply.status != 200) {
      const json body = {{"error",
                          {{"code", reply.error_code.is_null() ? json(reply.status) : reply.error_code},
                           {"message", reply.error_message},
                           {"metadata", {{"provider_name", "Fake"}}}}}};
      co_return co_await WriteJson(stream, reply.status, body.dump(), reply.headers, keep_alive);
    }
    const bool stream_requested = request.json.is_object() && request.json.value("stream", false);
    if (!stream_requested && !reply.raw_sse) {
      co_return co_await WriteJson(stream, 200, CompletionJson(reply, model).dump(), reply.headers, keep_alive);
    }

    std::vector<std::string> pieces = reply.raw_sse ? std::vector<std::string>{*reply.raw_sse} : StreamEvents(reply, model);
    if (reply.crlf) {
      for (auto& p : pieces) p = ToCrlf(p);
    }
    if (reply.split_bytes > 0) {
      std::string all;
      for (const auto& p : pieces) all += p;
      pieces.clear();
      for (std::size_t i = 0; i < all.size(); i += reply.split_bytes) pieces.push_back(all.substr(i, reply.split_bytes));
    }

    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "text/event-stream");
    res.set(bhttp::field::cache_control, "no-cache");
    for (const auto& [name, value] : reply.headers) res.set(name, value);
    res.keep_alive(keep_alive && !reply.cut_stream);
    res.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> serializer{res};
    error_code ec;
    co_await bhttp::async_write_header(stream, serializer, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return false;
    for (const auto& piece : pieces) {
      co_await Sleep(reply.chunk_delay_ms);
      co_await net::async_write(stream, bhttp::make_chunk(net::buffer(piece)),
                                net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return false;
    }
    if (reply.cut_stream) {
      beast::get_lowest_layer(stream).socket().close(ec);
      co_return false;
    }
    co_await net::async_write(stream, bhttp::make_chunk_last(), net::redirect_error(net::use_awaitable, ec));
    co_return keep_alive && !ec;
  }
};

FakeOpenAi::FakeOpenAi(Options options, FailureReporter reporter) : impl_(std::make_unique<Impl>()), reporter_(reporter) {
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), options.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(net::socket_base::max_listen_connections);
  impl_->port = impl_->acceptor.local_endpoint().port();
  if (!options.tls_cert_file.empty() && !options.tls_key_file.empty()) {
    impl_->tls.emplace(ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(options.tls_cert_file);
    impl_->tls->use_private_key_file(options.tls_key_file, ssl::context::pem);
  }
  net::co_spawn(impl_->io, impl_->Accept(), net::detached);
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
}

FakeOpenAi::~FakeOpenAi() {
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  Verify();
}

std::uint16_t FakeOpenAi::port() const { return impl_->port; }

std::string FakeOpenAi::base_url() const {
  return (impl_->tls ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(impl_->port) + "/v1";
}

void FakeOpenAi::Enqueue(FakeReply reply) {
  std::lock_guard lock(impl_->mutex);
  impl_->queue.push_back(std::move(reply));
}

void FakeOpenAi::SetFallback(std::function<FakeReply(const RecordedRequest&)> responder) {
  std::lock_guard lock(impl_->mutex);
  impl_->fallback = std::move(responder);
}

std::vector<RecordedRequest> FakeOpenAi::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

std::size_t FakeOpenAi::request_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests.size();
}

std::size_t FakeOpenAi::pending_replies() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->queue.size();
}

void FakeOpenAi::Verify() {
  std::vector<std::string> problems;
  {
    std::lock_guard lock(impl_->mutex);
    problems.swap(impl_->problems);
    if (!impl_->queue.empty()) {
      problems.push_back("fake openai: " + std::to_string(impl_->queue.size()) +
                         " scripted repl" + (impl_->queue.size() == 1 ? "y was" : "ies were") + " never requested");
      impl_->queue.clear();
    }
  }
  for (const auto& p : problems) reporter_(p);
}

}  // namespace omni::test
