// The Beast server behind omnid; see server.hpp. The only omnid translation
// unit that includes Beast.
//
// Threading: the acceptor, the signal set, the drain timers and the session
// registry live on one "control" strand; each connection runs on its own
// strand. A session's `idle` flag is read only from its own strand, so the
// drain can close idle connections without racing a request that just began.
#include "daemon/server.hpp"

#include <utility>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <csignal>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "core/common/error.hpp"
#include "core/common/log.hpp"
#include "daemon/app.hpp"
#include "daemon/http_errors.hpp"
#include "daemon/router.hpp"

namespace omni::omnid {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kUseAwaitable = asio::use_awaitable;
// After the grace period the server closes every socket; a session still
// stuck in blocking work gets this much longer before the loop is stopped.
constexpr auto kForceCloseWait = std::chrono::seconds(2);

// An incoming X-Request-Id is kept when it is short and plain, so that it can
// be logged and echoed safely; otherwise we make our own.
bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id) {
    const bool ok = std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string NewRequestId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = random();
    for (int i = 0; i < 16; ++i, bits >>= 4) id[half * 16 + i] = kHex[bits & 0xf];
  }
  return id;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> result;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string key = PercentDecode(std::string(pair.substr(0, eq)), true);
    const std::string value =
        eq == std::string_view::npos ? std::string() : PercentDecode(std::string(pair.substr(eq + 1)), true);
    result[key] = value;
  }
  return result;
}

// Metrics take the method as a label; unknown verbs must not mint series.
std::string MethodLabel(http::verb verb) {
  return verb == http::verb::unknown ? "OTHER" : std::string(http::to_string(verb));
}

// RFC 9110 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string HttpDate() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// Headers on every response, streamed or not.
template <class Message>
void SetCommonHeaders(Message& message, const std::string& request_id) {
  message.set("X-Request-Id", request_id);
  message.set(http::field::date, HttpDate());
  // Browsers must not guess a type other than the one we declare.
  if (message.find("X-Content-Type-Options") == message.end()) {
    message.set("X-Content-Type-Options", "nosniff");
  }
}

bool IsDisconnect(const beast::error_code& ec) {
  return ec == beast::error::timeout || ec == asio::error::operation_aborted || ec == http::error::end_of_stream ||
         ec == http::error::partial_message ||
         ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::not_connected || ec == asio::error::bad_descriptor;
}

// A write that failed because the peer left is ClientGone; a timed-out one
// (a reader too slow to keep up) stays Unavailable.
void ThrowIfWriteFailed(const beast::error_code& ec) {
  if (!ec) return;
  if (ec != beast::error::timeout && IsDisconnect(ec)) throw ClientGone("client connection closed: " + ec.message());
  throw Unavailable("client connection failed: " + ec.message());
}

void LogStreamFailure(const Request& request, const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const ClientGone& e) {
    log::Info("client left during a stream", {{"request_id", request.request_id}, {"detail", e.what()}});
    return;
  } catch (...) {
  }
  log::Warn("stream failed", {{"request_id", request.request_id}, {"error", DescribeException(error)}});
}

}  // namespace

class Session;

struct Server::Impl {
  Impl(App& app_ref, const Router& router_ref)
      : app(app_ref),
        router(router_ref),
        settings(app_ref.config().server),
        io(std::max(1, settings.io_threads)),
        control(asio::make_strand(io)),
        acceptor(control),
        signals(control, SIGINT, SIGTERM),
        drain_timer(control),
        work(io.get_executor()) {}

  asio::awaitable<void> AcceptLoop();
  void OnSignal(const beast::error_code& ec, int signal_number);
  void BeginDrain(int signal_number);
  void ForceClose();
  void SessionEnded(std::uint64_t id);
  void FinishIfDrained();

  App& app;
  const Router& router;
  const config::ServerSettings& settings;
  asio::io_context io;
  asio::strand<asio::io_context::executor_type> control;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  asio::steady_timer drain_timer;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::atomic<bool> stopping{false};
  bool forced = false;
  std::uint16_t bound_port = 0;
  // On the control strand only.
  std::uint64_t next_session_id = 1;
  std::map<std::uint64_t, std::shared_ptr<Session>> sessions;
};

// One client connection: reads requests one after another on keep-alive
// and answers each through the route table.
class Session {
 public:
  Session(Server::Impl& server, tcp::socket socket, std::uint64_t id)
      : server_(server), stream_(std::move(socket)), id_(id) {
    beast::error_code ec;
    const auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string();
  }

  std::uint64_t id() const { return id_; }
  asio::any_io_executor executor() { return stream_.get_executor(); }

  asio::awaitable<void> Run();

  // On the session's strand: the drain closes a connection that waits for a
  // request, and leaves one that is answering alone.
  void CloseIfIdle() {
    if (idle_) Close();
  }
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  friend class SessionExchange;

  asio::awaitable<bool> HandleRequest(Clock::time_point started);
  asio::awaitable<void> DiscardInput();
  asio::awaitable<bool> Send(const Request& request, Response response, Clock::time_point started,
                             bool keep_alive);
  void Finish(const Request& request, int status, std::size_t bytes, Clock::time_point started);

  Server::Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  const std::uint64_t id_;
  std::string remote_;
  unsigned version_ = 11;       // of the request being answered
  bool idle_ = true;            // waiting for the first byte of a request
  bool discard_input_ = false;  // a refused request left bytes unread
};

// The Exchange a handler sees; streams straight to the session's socket.
class SessionExchange final : public Exchange {
 public:
  SessionExchange(const Request& request, App& app, Session& session, unsigned version, bool keep_alive)
      : Exchange(request, app), session_(session), version_(version), keep_alive_(keep_alive) {}

  asio::awaitable<void> StartStream(int status, Headers headers) override {
    if (streaming_) throw std::logic_error("StartStream called twice for " + request().route);
    http::response<http::empty_body> response{static_cast<http::status>(status), version_};
    for (const auto& [name, value] : headers.fields()) response.insert(name, value);
    SetCommonHeaders(response, request().request_id);
    response.keep_alive(keep_alive_);
    response.chunked(true);
    http::response_serializer<http::empty_body> serializer{response};
    beast::error_code ec;
    session_.stream_.expires_after(std::chrono::milliseconds(session_.server_.settings.write_timeout_ms));
    co_await http::async_write_header(session_.stream_, serializer, asio::redirect_error(kUseAwaitable, ec));
    ThrowIfWriteFailed(ec);
    streaming_ = true;
    status_ = status;
  }

  asio::awaitable<void> WriteChunk(std::string data) override {
    if (!streaming_) throw std::logic_error("WriteChunk before StartStream for " + request().route);
    if (request().method == "HEAD") throw Unavailable("a HEAD request gets no body");
    // An empty chunk would end the stream.
    if (data.empty()) co_return;
    beast::error_code ec;
    session_.stream_.expires_after(std::chrono::milliseconds(session_.server_.settings.write_timeout_ms));
    co_await asio::async_write(session_.stream_, http::make_chunk(asio::buffer(data)),
                               asio::redirect_error(kUseAwaitable, ec));
    ThrowIfWriteFailed(ec);
    bytes_ += data.size();
  }

  // Ends the chunked body; false when the client is gone.
  asio::awaitable<bool> EndStream() {
    beast::error_code ec;
    session_.stream_.expires_after(std::chrono::milliseconds(session_.server_.settings.write_timeout_ms));
    co_await asio::async_write(session_.stream_, http::make_chunk_last(), asio::redirect_error(kUseAwaitable, ec));
    co_return !ec;
  }

  bool stopping() const override { return session_.server_.stopping.load(); }

  bool streaming() const { return streaming_; }
  int status() const { return status_; }
  std::size_t bytes() const { return bytes_; }

 private:
  Session& session_;
  const unsigned version_;
  const bool keep_alive_;
  bool streaming_ = false;
  int status_ = 0;
  std::size_t bytes_ = 0;
};

asio::awaitable<void> Session::Run() {
  const auto& settings = server_.settings;
  bool first = true;
  while (!server_.stopping.load()) {
    // Wait for the first byte of the next request (a pipelined one may be
    // buffered already). Until it comes the connection is idle: the drain
    // may close it. A new connection gets the read timeout, a kept-alive one
    // the idle timeout.
    if (buffer_.size() == 0) {
      idle_ = true;
      stream_.expires_after(std::chrono::milliseconds(first ? settings.read_timeout_ms : settings.idle_timeout_ms));
      beast::error_code ec;
      const std::size_t n =
          co_await stream_.async_read_some(buffer_.prepare(4096), asio::redirect_error(kUseAwaitable, ec));
      idle_ = false;
      if (ec) break;
      buffer_.commit(n);
    }
    first = false;
    if (!co_await HandleRequest(Clock::now())) break;
  }
  if (discard_input_) co_await DiscardInput();
  Close();
}

asio::awaitable<void> Session::DiscardInput() {
  // Closing a socket with unread input resets the connection, and the client
  // may then lose the error response we just sent (a 413 for a body it is
  // still uploading). Half-close, and swallow its bytes for a moment.
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  constexpr std::size_t kMaxDiscardBytes = 1 << 20;
  std::size_t discarded = 0;
  stream_.expires_after(std::chrono::seconds(1));
  while (!ec && discarded < kMaxDiscardBytes) {
    buffer_.consume(buffer_.size());
    discarded += co_await stream_.async_read_some(buffer_.prepare(16384), asio::redirect_error(kUseAwaitable, ec));
  }
}

asio::awaitable<bool> Session::HandleRequest(Clock::time_point started) {
  const auto& settings = server_.settings;
  App& app = server_.app;
  Metrics& metrics = app.metrics();
  beast::error_code ec;

  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(settings.max_header_bytes));
  // The body limit depends on the route, known once the head is read; until
  // then Beast must not judge a Content-Length by its default limit.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  // One deadline covers the whole request, head and body, so a client
  // trickling bytes cannot hold the connection open.
  stream_.expires_after(std::chrono::milliseconds(settings.read_timeout_ms));
  co_await http::async_read_header(stream_, buffer_, parser, asio::redirect_error(kUseAwaitable, ec));

  Request request;
  request.remote_address = remote_;
  request.request_id = NewRequestId();
  request.route = "unmatched";
  if (ec) {
    if (IsDisconnect(ec)) co_return false;
    request.method = "OTHER";
    discard_input_ = true;
    if (ec == http::error::header_limit) {
      co_return co_await Send(request,
                              ErrorResponse(431, "headers_too_large",
                                            "request headers exceed " + std::to_string(settings.max_header_bytes) +
                                                " bytes"),
                              started, false);
    }
    co_return co_await Send(request, ErrorResponse(400, "bad_request", "malformed HTTP request: " + ec.message()),
                            started, false);
  }

  auto& head = parser.get();
  version_ = head.version();
  request.method = std::string(head.method_string());
  request.target = std::string(head.target());
  const std::size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = ParseQuery(std::string_view(request.target).substr(question + 1));
  for (const auto& field : head) request.headers.Add(std::string(field.name_string()), std::string(field.value()));
  if (const auto incoming = request.headers.Get("X-Request-Id"); incoming && IsSaneRequestId(*incoming)) {
    request.request_id = *incoming;
  }
  const std::string method_label = MethodLabel(head.method());
  bool keep_alive = head.keep_alive();

  auto match = server_.router.Find(request.method, request.path);
  if (match.route == nullptr) {
    // The body, if any, is left unread, so the connection cannot be reused.
    keep_alive = keep_alive && parser.is_done();
    discard_input_ = !parser.is_done();
    if (!match.allowed.empty()) {
      std::string allow;
      for (const auto& method : match.allowed) allow += (allow.empty() ? "" : ", ") + method;
      auto response = ErrorResponse(405, "method_not_allowed",
                                    "method " + request.method + " is not allowed on " + request.path,
                                    "Use " + allow + ".");
      response.headers.Set("Allow", allow);
      co_return co_await Send(request, std::move(response), started, keep_alive);
    }
    co_return co_await Send(request, ErrorResponse(404, "not_found", "no such endpoint: " + request.path), started,
                            keep_alive);
  }
  const Route& route = *match.route;
  request.route = route.pattern;
  request.params = std::move(match.params);

  const std::size_t body_limit = route.max_body_bytes > 0 ? route.max_body_bytes : settings.max_body_bytes;
  const auto too_large = [&] {
    return ErrorResponse(413, "body_too_large",
                         "request body exceeds " + std::to_string(body_limit) + " bytes on " + route.pattern);
  };
  if (const auto length = parser.content_length(); length && *length > body_limit) {
    discard_input_ = true;
    co_return co_await Send(request, too_large(), started, false);
  }
  if (!parser.is_done()) {
    parser.body_limit(body_limit);
    if (const auto expect = request.headers.Get("Expect"); expect && beast::iequals(*expect, "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, head.version()};
      stream_.expires_after(std::chrono::milliseconds(settings.write_timeout_ms));
      co_await http::async_write(stream_, go_on, asio::redirect_error(kUseAwaitable, ec));
      if (ec) co_return false;
      stream_.expires_after(std::chrono::milliseconds(settings.read_timeout_ms));
    }
    co_await http::async_read(stream_, buffer_, parser, asio::redirect_error(kUseAwaitable, ec));
    if (ec && IsDisconnect(ec)) co_return false;
    if (ec) discard_input_ = true;
    if (ec == http::error::body_limit) co_return co_await Send(request, too_large(), started, false);
    if (ec) {
      co_return co_await Send(request, ErrorResponse(400, "bad_request", "malformed HTTP request: " + ec.message()),
                              started, false);
    }
  }
  request.body = std::move(parser.get().body());
  keep_alive = keep_alive && !server_.stopping.load();

  SessionExchange exchange(request, app, *this, head.version(), keep_alive);
  Response response;
  std::exception_ptr error;
  metrics.RequestStarted();
  try {
    response = co_await route.handler(exchange);
  } catch (...) {
    error = std::current_exception();
  }
  metrics.RequestFinished();

  if (exchange.streaming()) {
    bool ended = false;
    if (request.method == "HEAD") {
      ended = true;
    } else if (error) {
      LogStreamFailure(request, error);
    } else {
      ended = co_await exchange.EndStream();
    }
    Finish(request, exchange.status(), exchange.bytes(), started);
    metrics.RecordRequest(route.pattern, method_label, exchange.status(),
                          std::chrono::duration<double>(Clock::now() - started).count());
    co_return ended && keep_alive;
  }
  if (error) response = ResponseForException(error, request);
  co_return co_await Send(request, std::move(response), started, keep_alive);
}

asio::awaitable<bool> Session::Send(const Request& request, Response response, Clock::time_point started,
                                    bool keep_alive) {
  keep_alive = keep_alive && !server_.stopping.load();
  http::response<http::string_body> message{static_cast<http::status>(response.status), version_};
  for (const auto& [name, value] : response.headers.fields()) message.insert(name, value);
  SetCommonHeaders(message, request.request_id);
  message.keep_alive(keep_alive);
  const std::size_t bytes = response.body.size();
  message.body() = std::move(response.body);
  message.prepare_payload();

  beast::error_code ec;
  stream_.expires_after(std::chrono::milliseconds(server_.settings.write_timeout_ms));
  if (request.method == "HEAD") {
    // The head alone, with the Content-Length the GET would have.
    http::response_serializer<http::string_body> serializer{message};
    co_await http::async_write_header(stream_, serializer, asio::redirect_error(kUseAwaitable, ec));
  } else {
    co_await http::async_write(stream_, message, asio::redirect_error(kUseAwaitable, ec));
  }
  Finish(request, response.status, bytes, started);
  const std::string method_label =
      request.route == "unmatched" ? MethodLabel(http::string_to_verb(request.method)) : request.method;
  server_.app.metrics().RecordRequest(request.route, method_label, response.status,
                                      std::chrono::duration<double>(Clock::now() - started).count());
  co_return keep_alive && !ec;
}

void Session::Finish(const Request& request, int status, std::size_t bytes, Clock::time_point started) {
  const double duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  log::Info("request", {{"request_id", request.request_id},
                        {"method", request.method},
                        {"path", request.path},
                        {"route", request.route},
                        {"status", status},
                        {"bytes", bytes},
                        {"duration_ms", std::round(duration_ms * 1000) / 1000},
                        {"remote", request.remote_address}});
}

asio::awaitable<void> Server::Impl::AcceptLoop() {
  asio::steady_timer backoff(control);
  while (!stopping.load()) {
    beast::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::any_io_executor(asio::make_strand(io)),
                                                        asio::redirect_error(kUseAwaitable, ec));
    if (ec == asio::error::operation_aborted || stopping.load()) break;
    if (ec) {
      // Out of file descriptors and the like: pause rather than spin.
      log::Warn("accept failed", {{"error", ec.message()}});
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::redirect_error(kUseAwaitable, ec));
      continue;
    }
    // Streamed events are small writes: without this, Nagle's algorithm
    // holds each one back until the client's delayed ACK (up to 40 ms).
    socket.set_option(tcp::no_delay(true), ec);
    const std::uint64_t id = next_session_id++;
    auto session = std::make_shared<Session>(*this, std::move(socket), id);
    sessions.emplace(id, session);
    app.metrics().ConnectionOpened();
    asio::co_spawn(session->executor(), session->Run(),
                   [this, session](std::exception_ptr error) {
                     // Sessions catch what they expect; anything else is a bug
                     // worth a log line, never a crash.
                     if (error) log::Error("connection failed", {{"error", DescribeException(error)}});
                     session->Close();
                     app.metrics().ConnectionClosed();
                     asio::post(control, [this, id = session->id()] { SessionEnded(id); });
                   });
  }
}

void Server::Impl::OnSignal(const beast::error_code& ec, int signal_number) {
  if (ec) return;
  if (!stopping.load()) {
    // Wait for a second signal first: the drain may finish at once and
    // cancel that wait, and must not leave it pending behind.
    signals.async_wait([this](const beast::error_code& next_ec, int next) { OnSignal(next_ec, next); });
    BeginDrain(signal_number);
  } else {
    log::Warn("second signal, closing connections now", {{"signal", signal_number}});
    ForceClose();
  }
}

void Server::Impl::BeginDrain(int signal_number) {
  stopping = true;
  log::Info("shutting down", {{"signal", signal_number},
                              {"connections", sessions.size()},
                              {"grace_ms", settings.shutdown_grace_ms}});
  beast::error_code ec;
  acceptor.close(ec);
  for (auto& [id, session] : sessions) {
    asio::post(session->executor(), [session = session] { session->CloseIfIdle(); });
  }
  drain_timer.expires_after(std::chrono::milliseconds(settings.shutdown_grace_ms));
  drain_timer.async_wait([this](const beast::error_code& timer_ec) {
    if (!timer_ec) ForceClose();
  });
  FinishIfDrained();
}

void Server::Impl::ForceClose() {
  if (forced) return;
  forced = true;
  log::Warn("grace period over, closing connections", {{"connections", sessions.size()}});
  for (auto& [id, session] : sessions) {
    asio::post(session->executor(), [session = session] { session->Close(); });
  }
  drain_timer.expires_after(kForceCloseWait);
  drain_timer.async_wait([this](const beast::error_code& timer_ec) {
    if (timer_ec) return;
    log::Error("connections still busy after close, stopping", {{"connections", sessions.size()}});
    io.stop();
  });
  FinishIfDrained();
}

void Server::Impl::SessionEnded(std::uint64_t id) {
  sessions.erase(id);
  FinishIfDrained();
}

void Server::Impl::FinishIfDrained() {
  if (!stopping.load() || !sessions.empty()) return;
  beast::error_code ec;
  signals.cancel(ec);
  drain_timer.cancel();
  work.reset();
}

Server::Server(App& app, const Router& router) : impl_(std::make_unique<Impl>(app, router)) {
  impl_->signals.async_wait([impl = impl_.get()](const beast::error_code& ec, int signal_number) {
    impl->OnSignal(ec, signal_number);
  });
}

Server::~Server() = default;

void Server::Listen(const std::string& host, std::uint16_t port) {
  const std::string where = host + ":" + std::to_string(port);
  const auto fail = [&where](const beast::error_code& ec) {
    throw Unavailable("could not listen on " + where + ": " + ec.message(),
                      "Pick another address with --listen or server.listen in the config.");
  };
  beast::error_code ec;
  tcp::resolver resolver(impl_->io);
  const auto endpoints = resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
  if (ec) fail(ec);
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) fail(ec);
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) fail(ec);
  acceptor.bind(endpoint, ec);
  if (ec) fail(ec);
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) fail(ec);
  impl_->bound_port = acceptor.local_endpoint().port();
}

std::uint16_t Server::port() const { return impl_->bound_port; }

void Server::Run() {
  asio::co_spawn(impl_->control, impl_->AcceptLoop(), [](std::exception_ptr error) {
    if (error) log::Error("accept loop failed", {{"error", DescribeException(error)}});
  });
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->settings.io_threads; ++i) threads.emplace_back([this] { impl_->io.run(); });
  impl_->io.run();
  for (auto& thread : threads) thread.join();
  log::Info("shutdown complete");
}

}  // namespace omni::omnid
