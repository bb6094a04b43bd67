// The Beast/Asio HttpClient: one coroutine per request on a strand.
//
// This is the only core file that includes Beast and Asio (they cost about
// 20 s per translation unit). Every socket operation runs under an
// `expires_after` deadline: connect (DNS has its own watchdog timer, as the
// resolver takes no deadline), first byte, then idle between body reads.
// Cancellation closes the socket from the strand; each step then checks the
// aborted flag, so a cancel between two operations is not missed.
//
// Connections are kept alive: a response read to its end on a connection
// the server keeps open returns it to an idle pool by origin, so the next
// model call to the same host skips TCP and TLS set-up (a TLS handshake to
// a distant API costs a round trip or two). A connection carries its strand
// with it, and the request that reuses it runs on that strand. An idle
// connection the server closed is noticed when it is taken (a peek at the
// socket), and a request whose reused connection fails before any response
// byte arrives (the server closed it meanwhile) is sent once more on a new
// connection.
#include "core/http/client.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <deque>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/common/log.hpp"

namespace omni::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using Strand = net::strand<net::io_context::executor_type>;
using boost::system::error_code;

constexpr std::size_t kReadBufferBytes = 8 * 1024;
constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;
constexpr std::chrono::seconds kDnsTtl{60};
// Idle connections are dropped after this long, before most servers' own
// keep-alive timeouts end them (nginx: 75 s; many APIs: 60 s or more).
constexpr std::chrono::seconds kIdleKeepAlive{30};
constexpr std::size_t kMaxIdlePerOrigin = 32;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && IEquals(s.substr(0, prefix.size()), prefix);
}

struct Url {
  bool tls = false;
  std::string host;    // without brackets for IPv6 literals
  std::string port;
  std::string target;  // path and query, at least "/"
  std::string authority;  // as sent in Host
  std::string origin() const { return (tls ? "https://" : "http://") + authority; }
  std::string Display() const { return host + ":" + port; }
  // What a kept-alive connection may be reused for.
  std::string PoolKey() const { return (tls ? "https://" : "http://") + Display(); }
};

Url ParseUrl(const std::string& text) {
  Url url;
  std::string_view rest = text;
  if (StartsWithNoCase(rest, "https://")) {
    url.tls = true;
    rest.remove_prefix(8);
  } else if (StartsWithNoCase(rest, "http://")) {
    rest.remove_prefix(7);
  } else {
    throw InvalidInput("url \"" + text + "\" is not http:// or https://");
  }
  const std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view path = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (const std::size_t hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    throw InvalidInput("url \"" + text + "\" has no valid host");
  }
  url.authority.assign(authority);
  std::string_view port;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) throw InvalidInput("url \"" + text + "\" has a malformed IPv6 host");
    url.host.assign(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    url.host.assign(authority.substr(0, colon));
    port = authority.substr(colon + 1);
  } else {
    url.host.assign(authority);
  }
  if (url.host.empty()) throw InvalidInput("url \"" + text + "\" has no valid host");
  url.port = port.empty() ? (url.tls ? "443" : "80") : std::string(port);
  if (url.port.find_first_not_of("0123456789") != std::string::npos) {
    throw InvalidInput("url \"" + text + "\" has a malformed port");
  }
  url.target = path.empty() ? "/" : std::string(path);
  if (url.target.front() == '?') url.target.insert(0, "/");
  return url;
}

// Resolves a Location header against the URL that sent it.
std::string ResolveLocation(const Url& base, const std::string& location) {
  if (StartsWithNoCase(location, "http://") || StartsWithNoCase(location, "https://")) return location;
  if (location.rfind("//", 0) == 0) return (base.tls ? "https:" : "http:") + location;
  if (!location.empty() && location.front() == '/') return base.origin() + location;
  std::string dir = base.target.substr(0, base.target.find('?'));
  dir = dir.substr(0, dir.rfind('/') + 1);
  return base.origin() + dir + location;
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// The pool key of a request's URL, or "" when it does not parse (the
// request then fails with the parse error).
std::string PoolKeyOf(const std::string& url) {
  try {
    return ParseUrl(url).PoolKey();
  } catch (const Error&) {
    return "";
  }
}

enum class Phase { kConnect, kFirstByte, kBody };

// An open connection to one origin, plain or TLS, with the strand every
// operation on it runs on.
struct Connection {
  explicit Connection(Strand strand_in) : strand(std::move(strand_in)) {}
  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  Strand strand;
  std::string pool_key;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  std::chrono::steady_clock::time_point idle_since;
  bool reused = false;  // it served a request before this one
};

// True when an idle connection is still open with nothing to read: the
// server neither closed it (a read would return 0) nor sent anything (TLS
// close_notify, or a stray byte) while it waited.
bool StillIdle(Connection& connection) {
  char byte;
  const auto got = ::recv(connection.tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// The ways a kept-alive connection fails when the server closed it while
// the request was on its way.
bool ClosedByPeer(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == ssl::error::stream_truncated;
}

struct Shared {
  explicit Shared(const ClientSettings& settings) : ssl_ctx(ssl::context::tls_client), user_agent(settings.user_agent) {
    ssl_ctx.set_verify_mode(ssl::verify_peer);
    error_code ec;
    if (settings.ca_file.empty()) {
      ssl_ctx.set_default_verify_paths(ec);
    } else {
      ssl_ctx.load_verify_file(settings.ca_file, ec);
    }
    if (ec) {
      throw ConfigError("could not load the CA bundle \"" + settings.ca_file + "\": " + ec.message(),
                        "Set llm.ca_file to a readable PEM file, or leave it empty to use the system store.");
    }
  }
  ssl::context ssl_ctx;
  std::string user_agent;

  // Resolved addresses by "host:port". The resolver runs getaddrinfo on one
  // background thread per io_context, so a thousand turns starting at once
  // would queue behind each other's lookups of the same model host.
  std::optional<tcp::resolver::results_type> CachedAddresses(const std::string& key) {
    std::lock_guard lock(dns_mutex);
    auto it = dns_cache.find(key);
    if (it == dns_cache.end() || it->second.second < std::chrono::steady_clock::now()) return std::nullopt;
    return it->second.first;
  }
  void CacheAddresses(const std::string& key, const tcp::resolver::results_type& results) {
    std::lock_guard lock(dns_mutex);
    dns_cache[key] = {results, std::chrono::steady_clock::now() + kDnsTtl};
  }
  void ForgetAddresses(const std::string& key) {
    std::lock_guard lock(dns_mutex);
    dns_cache.erase(key);
  }

  // The newest idle connection to `pool_key` still usable, or null.
  std::unique_ptr<Connection> TakeIdle(const std::string& pool_key) {
    std::unique_ptr<Connection> connection;
    std::lock_guard lock(idle_mutex);
    auto it = idle.find(pool_key);
    if (it == idle.end()) return nullptr;
    const auto oldest_allowed = std::chrono::steady_clock::now() - kIdleKeepAlive;
    while (!it->second.empty()) {
      connection = std::move(it->second.back());
      it->second.pop_back();
      if (connection->idle_since >= oldest_allowed && StillIdle(*connection)) break;
      connection.reset();
    }
    if (it->second.empty()) idle.erase(it);
    return connection;
  }

  void PutIdle(std::unique_ptr<Connection> connection) {
    connection->reused = true;
    connection->idle_since = std::chrono::steady_clock::now();
    std::lock_guard lock(idle_mutex);
    auto& list = idle[connection->pool_key];
    list.push_back(std::move(connection));
    if (list.size() > kMaxIdlePerOrigin) list.pop_front();
  }

  // Closes the idle connections; called while their io_context still runs.
  void CloseIdle() {
    std::lock_guard lock(idle_mutex);
    idle.clear();
  }

  std::mutex dns_mutex;
  std::map<std::string, std::pair<tcp::resolver::results_type, std::chrono::steady_clock::time_point>> dns_cache;
  std::mutex idle_mutex;
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle;  // oldest first
};

// One request, from resolve to the last body byte, across redirects.
class Operation : public std::enable_shared_from_this<Operation> {
 public:
  Operation(std::shared_ptr<Shared> shared, net::io_context& io, Request request, ResponseHandlers handlers,
            Completion done, std::shared_ptr<Cancellation> cancel)
      : shared_(std::move(shared)),
        claimed_(shared_->TakeIdle(PoolKeyOf(request.url))),
        strand_(claimed_ ? claimed_->strand : net::make_strand(io)),
        request_(std::move(request)),
        handlers_(std::move(handlers)),
        done_(std::move(done)),
        cancel_(std::move(cancel)),
        resolver_(strand_),
        resolve_watchdog_(strand_) {}

  void Start() {
    if (cancel_) {
      std::weak_ptr<Operation> weak = weak_from_this();
      cancel_handle_ = cancel_->OnCancel([weak] {
        if (auto self = weak.lock()) net::post(self->strand_, [self] { self->Abort(); });
      });
    }
    net::co_spawn(strand_, Run(shared_from_this()), net::detached);
  }

 private:
  static net::awaitable<void> Run(std::shared_ptr<Operation> self) {
    std::exception_ptr error;
    Response response;
    try {
      std::string url_text = self->request_.url;
      for (int redirects = 0;; ++redirects) {
        const Url url = ParseUrl(url_text);
        response = Response{};
        response.final_url = url_text;
        const bool follow = redirects < self->request_.max_redirects;
        co_await self->Exchange(url, response, follow);
        const auto location = response.FindHeader("Location");
        if (!(follow && IsRedirect(response.status) && location)) break;
        url_text = ResolveLocation(url, *location);
        if (response.status == 303 || ((response.status == 301 || response.status == 302) &&
                                       self->request_.method == "POST")) {
          self->request_.method = "GET";
          self->request_.body.clear();
        }
      }
    } catch (...) {
      error = std::current_exception();
    }
    self->Finish(error, std::move(response));
  }

  void Finish(std::exception_ptr error, Response response) {
    if (cancel_) cancel_->Unregister(cancel_handle_);
    if (aborted_ && !error) error = std::make_exception_ptr(Cancelled("request to " + request_.url + " canceled"));
    if (!error && handlers_.on_body) response.body.clear();
    Completion done = std::move(done_);
    try {
      done(error, std::move(response));
    } catch (const std::exception& e) {
      // A completion must not throw into the I/O loop: the caller is gone, so the log is all that is left.
      log::Error("http completion handler failed", {{"host", UrlHost(request_.url)}, {"error", e.what()}});
    } catch (...) {
      log::Error("http completion handler failed",
                 {{"host", UrlHost(request_.url)}, {"error", "an exception not derived from std::exception"}});
    }
  }

  void Abort() {
    aborted_ = true;
    resolver_.cancel();
    resolve_watchdog_.cancel();
    if (tcp_) tcp_->close();
  }

  void ThrowIfAborted() {
    if (aborted_) throw Cancelled("request to " + request_.url + " canceled");
  }

  [[noreturn]] void Fail(const error_code& ec, Phase phase, const Url& url) {
    ThrowIfAborted();
    const std::string where = url.Display();
    if (ec == beast::error::timeout) {
      switch (phase) {
        case Phase::kConnect:
          throw Timeout("could not connect to " + where + " within " +
                        std::to_string(request_.connect_timeout_ms) + " ms");
        case Phase::kFirstByte:
          throw Timeout("no response from " + where + " within " + std::to_string(request_.first_byte_timeout_ms) +
                        " ms");
        case Phase::kBody:
          throw Timeout("response from " + where + " stalled for " + std::to_string(request_.idle_timeout_ms) +
                        " ms");
      }
    }
    if (ec == bhttp::error::body_limit) {
      throw UpstreamError("response from " + where + " exceeds " + std::to_string(request_.max_body_bytes) +
                          " bytes");
    }
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      throw Unavailable("connection to " + where + " closed before the response was complete");
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
      throw UpstreamError("malformed HTTP response from " + where + ": " + ec.message());
    }
    if (phase == Phase::kConnect) {
      throw Unavailable("could not connect to " + where + ": " + ec.message(),
                        url.tls ? "Check the host name, the network, and that its certificate is trusted." : "");
    }
    throw Unavailable("connection to " + where + " failed: " + ec.message());
  }

  net::awaitable<tcp::resolver::results_type> Resolve(const Url& url) {
    if (auto cached = shared_->CachedAddresses(url.Display())) co_return *cached;
    error_code ec;
    resolve_watchdog_.expires_after(std::chrono::milliseconds(request_.connect_timeout_ms));
    resolve_timed_out_ = false;
    resolve_watchdog_.async_wait([self = shared_from_this()](error_code wait_ec) {
      if (!wait_ec) {
        self->resolve_timed_out_ = true;
        self->resolver_.cancel();
      }
    });
    auto results = co_await resolver_.async_resolve(url.host, url.port, net::redirect_error(net::use_awaitable, ec));
    resolve_watchdog_.cancel();
    ThrowIfAborted();
    if (resolve_timed_out_) Fail(beast::error::timeout, Phase::kConnect, url);
    if (ec) throw Unavailable("could not resolve host \"" + url.host + "\": " + ec.message());
    shared_->CacheAddresses(url.Display(), results);
    co_return results;
  }

  net::awaitable<void> Exchange(const Url& url, Response& response, bool follow_redirects) {
    for (;;) {
      ThrowIfAborted();  // a reused connection skips Connect, which checks too
      std::unique_ptr<Connection> connection;
      if (claimed_ && claimed_->pool_key == url.PoolKey()) connection = std::move(claimed_);
      claimed_.reset();
      if (!connection) connection = co_await Open(url);
      LiveConnection live(*this, connection->tcp());
      const Outcome outcome =
          connection->secure ? co_await Transfer(*connection->secure, url, response, follow_redirects, connection->reused)
                             : co_await Transfer(*connection->plain, url, response, follow_redirects, connection->reused);
      if (outcome == Outcome::kClosedBeforeResponse) continue;  // a new connection this time
      if (outcome == Outcome::kReusable && !aborted_) {
        connection->tcp().expires_never();
        shared_->PutIdle(std::move(connection));
      }
      co_return;
    }
  }

  net::awaitable<std::unique_ptr<Connection>> Open(const Url& url) {
    const auto results = co_await Resolve(url);
    auto connection = std::make_unique<Connection>(strand_);
    connection->pool_key = url.PoolKey();
    if (url.tls) {
      connection->secure.emplace(strand_, shared_->ssl_ctx);
    } else {
      connection->plain.emplace(strand_);
    }
    LiveConnection live(*this, connection->tcp());
    co_await Connect(connection->tcp(), results, url);
    if (!url.tls) co_return connection;
    auto& stream = *connection->secure;
    // SNI, and the certificate must name the host we asked for.
    if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
      throw Unavailable("could not set TLS server name \"" + url.host + "\"");
    }
    stream.set_verify_callback(ssl::host_name_verification(url.host));
    error_code ec;
    co_await stream.async_handshake(ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      ThrowIfAborted();
      if (ec == beast::error::timeout) Fail(ec, Phase::kConnect, url);
      throw Unavailable("TLS handshake with " + url.Display() + " failed: " + ec.message(),
                        "Check that the server's certificate is valid for \"" + url.host +
                            "\" and signed by a trusted CA (llm.ca_file or the system store).");
    }
    co_return connection;
  }

  net::awaitable<void> Connect(beast::tcp_stream& tcp, const tcp::resolver::results_type& results, const Url& url) {
    ThrowIfAborted();
    error_code ec;
    tcp.expires_after(std::chrono::milliseconds(request_.connect_timeout_ms));
    co_await tcp.async_connect(results, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      shared_->ForgetAddresses(url.Display());  // the host may have moved
      Fail(ec, Phase::kConnect, url);
    }
    // The head and body go out as separate writes; Nagle's algorithm would
    // hold the body back until the server's delayed ACK (up to 40 ms).
    tcp.socket().set_option(tcp::no_delay(true), ec);
    ThrowIfAborted();
  }

  enum class Outcome { kDone, kReusable, kClosedBeforeResponse };

  // Sends the request and reads the response. kClosedBeforeResponse: the
  // reused connection was closed by the server before any response byte
  // (only when `reused`); kReusable: the response was read to its end and
  // the server keeps the connection open.
  template <class Stream>
  net::awaitable<Outcome> Transfer(Stream& stream, const Url& url, Response& response, bool follow_redirects,
                                   bool reused) {
    bhttp::request<bhttp::string_body> req;
    req.method_string(request_.method);
    req.target(url.target);
    req.version(11);
    req.set(bhttp::field::host, url.authority);
    req.set(bhttp::field::user_agent, shared_->user_agent);
    for (const auto& h : request_.headers) req.set(h.name, h.value);
    req.body() = request_.body;
    if (!request_.body.empty() || request_.method == "POST" || request_.method == "PUT" ||
        request_.method == "PATCH") {
      req.prepare_payload();
    }

    beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
    error_code ec;
    tcp.expires_after(std::chrono::milliseconds(request_.first_byte_timeout_ms));
    co_await bhttp::async_write(stream, req, net::redirect_error(net::use_awaitable, ec));
    if (ec && reused && !aborted_ && ClosedByPeer(ec)) co_return Outcome::kClosedBeforeResponse;
    if (ec) Fail(ec, Phase::kFirstByte, url);

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(request_.max_body_bytes);
    co_await bhttp::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec && reused && !aborted_ && !parser.got_some() && ClosedByPeer(ec)) {
      co_return Outcome::kClosedBeforeResponse;
    }
    if (ec) Fail(ec, Phase::kFirstByte, url);
    ThrowIfAborted();

    const auto& head = parser.get();
    response.status = static_cast<int>(head.result_int());
    for (const auto& field : head) {
      response.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    // The redirect's body is left unread, so its connection is not reused.
    if (follow_redirects && IsRedirect(response.status) && response.FindHeader("Location")) co_return Outcome::kDone;
    if (handlers_.on_head) handlers_.on_head(response);

    std::vector<char> chunk(kReadBufferBytes);
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      tcp.expires_after(std::chrono::milliseconds(request_.idle_timeout_ms));
      co_await bhttp::async_read_some(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec == ssl::error::stream_truncated) {
        // Many TLS servers close without close_notify; for a body that ends
        // at EOF that is the normal end, otherwise the parser reports it.
        ec = {};
        parser.put_eof(ec);
      }
      if (ec) Fail(ec, Phase::kBody, url);
      ThrowIfAborted();
      const std::size_t got = chunk.size() - parser.get().body().size;
      if (got == 0) continue;
      if (handlers_.on_body) {
        handlers_.on_body(std::string_view(chunk.data(), got));
      } else {
        response.body.append(chunk.data(), got);
      }
    }
    co_return parser.keep_alive() ? Outcome::kReusable : Outcome::kDone;
  }

  // Publishes the connection to Abort while it exists.
  struct LiveConnection {
    LiveConnection(Operation& op, beast::tcp_stream& tcp) : op(op) { op.tcp_ = &tcp; }
    ~LiveConnection() { op.tcp_ = nullptr; }
    Operation& op;
  };

  std::shared_ptr<Shared> shared_;
  std::unique_ptr<Connection> claimed_;  // an idle connection to the request's origin, taken at the start
  Strand strand_;                        // claimed_'s, when there is one
  Request request_;
  ResponseHandlers handlers_;
  Completion done_;
  std::shared_ptr<Cancellation> cancel_;
  std::uint64_t cancel_handle_ = 0;
  tcp::resolver resolver_;
  net::steady_timer resolve_watchdog_;
  beast::tcp_stream* tcp_ = nullptr;  // the live connection, for Abort
  bool aborted_ = false;
  bool resolve_timed_out_ = false;
};

class AsioHttpClient final : public HttpClient {
 public:
  AsioHttpClient(net::io_context& io, std::shared_ptr<Shared> shared) : io_(io), shared_(std::move(shared)) {}
  ~AsioHttpClient() override { shared_->CloseIdle(); }

  void Send(Request request, ResponseHandlers handlers, Completion done,
            std::shared_ptr<Cancellation> cancel) override {
    std::make_shared<Operation>(shared_, io_, std::move(request), std::move(handlers), std::move(done),
                                std::move(cancel))
        ->Start();
  }

  void Schedule(std::chrono::milliseconds delay, std::function<void(bool)> fn,
                std::shared_ptr<Cancellation> cancel) override {
    struct Wait {
      explicit Wait(net::io_context& io) : strand(net::make_strand(io)), timer(strand) {}
      Strand strand;
      net::steady_timer timer;
      bool cancelled = false;
    };
    auto wait = std::make_shared<Wait>(io_);
    wait->timer.expires_after(delay);
    std::uint64_t handle = 0;
    if (cancel) {
      std::weak_ptr<Wait> weak = wait;
      handle = cancel->OnCancel([weak] {
        if (auto w = weak.lock()) {
          net::post(w->strand, [w] {
            w->cancelled = true;
            w->timer.cancel();
          });
        }
      });
    }
    wait->timer.async_wait([wait, fn = std::move(fn), cancel, handle](error_code) {
      if (cancel) cancel->Unregister(handle);
      fn(wait->cancelled);
    });
  }

 private:
  net::io_context& io_;
  std::shared_ptr<Shared> shared_;
};

// A client that owns its io_context and the one thread running it.
class ThreadedHttpClient final : public HttpClient {
 public:
  explicit ThreadedHttpClient(const ClientSettings& settings)
      : shared_(std::make_shared<Shared>(settings)),
        work_(net::make_work_guard(io_)),
        client_(io_, shared_),
        thread_([this] { io_.run(); }) {}

  ~ThreadedHttpClient() override {
    work_.reset();
    io_.stop();
    thread_.join();
  }

  void Send(Request request, ResponseHandlers handlers, Completion done,
            std::shared_ptr<Cancellation> cancel) override {
    client_.Send(std::move(request), std::move(handlers), std::move(done), std::move(cancel));
  }

  void Schedule(std::chrono::milliseconds delay, std::function<void(bool)> fn,
                std::shared_ptr<Cancellation> cancel) override {
    client_.Schedule(delay, std::move(fn), std::move(cancel));
  }

 private:
  std::shared_ptr<Shared> shared_;
  net::io_context io_{1};
  net::executor_work_guard<net::io_context::executor_type> work_;
  AsioHttpClient client_;
  std::thread thread_;
};

}  // namespace

void Cancellation::Cancel() {
  std::map<std::uint64_t, std::function<void()>> callbacks;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_) return;
    cancelled_ = true;
    callbacks.swap(callbacks_);
  }
  for (auto& [handle, fn] : callbacks) fn();
}

bool Cancellation::IsCancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

std::uint64_t Cancellation::OnCancel(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    if (!cancelled_) {
      const std::uint64_t handle = next_handle_++;
      callbacks_.emplace(handle, std::move(fn));
      return handle;
    }
  }
  fn();
  return 0;
}

void Cancellation::Unregister(std::uint64_t handle) {
  std::lock_guard lock(mutex_);
  callbacks_.erase(handle);
}

std::optional<std::string> Response::FindHeader(std::string_view name) const {
  for (const auto& h : headers) {
    if (IEquals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

std::unique_ptr<HttpClient> MakeHttpClient(const ClientSettings& settings) {
  return std::make_unique<ThreadedHttpClient>(settings);
}

std::unique_ptr<HttpClient> MakeHttpClient(boost::asio::io_context& io, const ClientSettings& settings) {
  return std::make_unique<AsioHttpClient>(io, std::make_shared<Shared>(settings));
}

std::string UrlHost(const std::string& url) {
  std::string host;
  try {
    host = ParseUrl(url).host;
  } catch (const InvalidInput&) {
    return {};
  }
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!host.empty() && host.back() == '.') host.pop_back();
  return host;
}

Response Fetch(HttpClient& client, Request request, ResponseHandlers handlers, std::shared_ptr<Cancellation> cancel) {
  auto promise = std::make_shared<std::promise<Response>>();
  auto future = promise->get_future();
  client.Send(
      std::move(request), std::move(handlers),
      [promise](std::exception_ptr error, Response response) {
        if (error) {
          promise->set_exception(error);
        } else {
          promise->set_value(std::move(response));
        }
      },
      std::move(cancel));
  return future.get();
}

}  // namespace omni::http
