// omnid: the omni HTTP daemon (webchat, webhooks, health and metrics).
//
// Start-up: flags, config, logging, the database (opened and migrated; if it
// is unreachable omnid serves anyway and keeps retrying, with /readyz at
// 503), the sweep of customer messages left unanswered, the notifications
// worker (daemon/notify_worker.hpp), then the listener. Exit codes follow omni's (STYLE.md rule 18):
// 0 ok (also after a SIGTERM drain), 1 failure, 2 usage, 3 config invalid,
// 4 unavailable (e.g. the listen address is taken).
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/billing/plans.hpp"
#include "core/business/business.hpp"
#include "core/common/error.hpp"
#include "core/common/exit_code.hpp"
#include "core/common/log.hpp"
#include "core/config/config.hpp"
#include "core/db/pool.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/database.hpp"
#include "daemon/meter_worker.hpp"
#include "daemon/metrics.hpp"
#include "daemon/openapi.hpp"
#include "daemon/router.hpp"
#include "daemon/server.hpp"
#include "daemon/notify_worker.hpp"
#include "daemon/webhook_worker.hpp"
#include "daemon/unanswered_sweep.hpp"

namespace omni::omnid {
namespace {

constexpr const char* kVersion = "omnid 0.1.0";
// How long to wait at exit for database work still running.
constexpr auto kBlockingDrainTimeout = std::chrono::seconds(3);

constexpr const char* kHelp =
    R"(usage: omnid [--config PATH] [--listen HOST:PORT]

Serve omni's HTTP API: the webchat, webhooks, /healthz, /readyz and /metrics.
omnid applies pending database migrations at start. SIGTERM or SIGINT finish
the requests in flight and exit 0.

Options:
  -c, --config PATH       config file (default: $OMNI_CONFIG, ./omni.yaml,
                          /etc/omni/omni.yaml, else built-in defaults)
  -l, --listen HOST:PORT  listen address, overriding server.listen
                          (port 0 picks a free port)
      --routes            print every route (METHOD PATTERN, one a line) and exit
  -h, --help              show this help
  -V, --version           show the version

Examples:
  $ omnid
  $ omnid --config /etc/omni/omni.yaml --listen 0.0.0.0:8080
)";

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

struct Flags {
  std::string config_path;
  std::optional<ListenAddress> listen;
  bool help = false;
  bool version = false;
  bool routes = false;
};

// A bad command line: exits with kExitUsage, as InvalidInput does.
class UsageError : public InvalidInput {
  using InvalidInput::InvalidInput;
};

// Parses HOST:PORT or [IPv6]:PORT.
ListenAddress ParseListen(const std::string& text) {
  const auto bad = [&text]() {
    return UsageError("--listen: expected HOST:PORT, e.g. 127.0.0.1:8080, got \"" + text + "\"");
  };
  std::string host;
  std::string port;
  if (text.starts_with("[")) {
    const std::size_t close = text.find("]:");
    if (close == std::string::npos) throw bad();
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string::npos) throw bad();
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) throw bad();
  }
  if (host.empty() || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    throw bad();
  }
  return ListenAddress{host, static_cast<std::uint16_t>(std::stoi(port))};
}

Flags ParseFlags(const std::vector<std::string>& args) {
  Flags flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::optional<std::string> inline_value;
    if (const std::size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const auto value = [&]() -> std::string {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) throw UsageError("option " + arg + " needs a value");
      return args[++i];
    };
    if (arg == "-h" || arg == "--help") {
      flags.help = true;
    } else if (arg == "-V" || arg == "--version") {
      flags.version = true;
    } else if (arg == "--routes") {
      flags.routes = true;
    } else if (arg == "-c" || arg == "--config") {
      flags.config_path = value();
      if (flags.config_path.empty()) throw UsageError("option --config needs a non-empty path");
    } else if (arg == "-l" || arg == "--listen") {
      flags.listen = ParseListen(value());
    } else {
      throw UsageError("unknown argument " + arg);
    }
  }
  return flags;
}

std::string UrlFor(const std::string& host, std::uint16_t port) {
  // A wildcard address cannot be opened in a browser; the loopback can.
  const std::string shown = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host;
  const bool ipv6 = shown.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + shown + "]" : shown) + ":" + std::to_string(port);
}

// What an operator needs to try the chat at once: each business's chat URL
// and the origins its widget may be embedded on. Read at start only; a
// business applied later shows on GET /.
void PrintChatLinks(App& app, const std::string& base_url) {
  db::Pool* pool = app.pool_if_ready();
  if (pool == nullptr) {
    std::cout << "chat links: not known until the database is reached; then see " << base_url << "/" << std::endl;
    return;
  }
  std::vector<business::Business> businesses;
  try {
    businesses = business::List(*pool);
  } catch (const Error& e) {
    log::Warn("could not list the businesses for their chat links", {{"error", e.what()}});
    return;
  }
  if (businesses.empty()) {
    std::cout << "no business yet: add one with `omni business apply -f FILE`" << std::endl;
    return;
  }
  for (const auto& business : businesses) {
    const auto& origins = business.spec.widget.allowed_origins;
    std::string allowed;
    for (const auto& origin : origins) allowed += (allowed.empty() ? "" : ", ") + origin;
    std::cout << "chat of " << business.spec.slug << ": " << base_url << "/chat/" << business.spec.slug
              << " (widget allowed on " << (origins.empty() ? "any site" : allowed) << ")" << std::endl;
  }
}

// Each streaming conversation holds two sockets (the visitor's and the
// model's), so the usual soft limit of 1,024 open files caps omnid near
// 500 conversations: lift it to the hard limit, as servers do. Returns the
// limit in force.
rlim_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return raised.rlim_cur;
  }
  return limit.rlim_cur;
}

int Serve(const Flags& flags) {
  const config::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  config::Config config = config::LoadConfig(flags.config_path, env);
  billing::CheckPlanSettings(config);
  if (flags.listen) {
    config.server.listen_host = flags.listen->host;
    config.server.listen_port = flags.listen->port;
  }
  log::Setup(config.logging, "omnid");
  const auto open_files = static_cast<std::uint64_t>(RaiseOpenFileLimit());
  log::Info("starting", {{"version", kVersion},
                         {"config", config.source_path.empty() ? "built-in defaults" : config.source_path}});

  const double start_time_s =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  BlockingExecutor blocking(config.server.db_threads);
  Metrics metrics(start_time_s);
  const std::string data_dir = config::ResolveEmbeddedDataDir(config, env, geteuid() == 0);
  App app(std::move(config), blocking, metrics);
  const auto& server_settings = app.config().server;

  DatabaseConnector database(app, db::OpenOptions{data_dir, true});
  if (!database.TryConnect()) {
    try {
      app.pool();
    } catch (const Unavailable& e) {
      log::Warn("database unreachable, serving without it and retrying",
                {{"error", e.what()}, {"hint", e.hint()}});
    }
    database.RetryInBackground();
  }
  UnansweredSweep unanswered(app);
  MeterWorker meter_worker(app);
  NotifyWorker notifications(app);
  WebhookWorker webhook_worker(app);

  const Router router = MakeRouter();
  OpenApiDocumentText();  // merged now: a bad fragment stops omnid here, not at the first request
  Server server(app, router);
  server.Listen(server_settings.listen_host, server_settings.listen_port);
  const std::string url = UrlFor(server_settings.listen_host, server.port());
  log::Info("listening", {{"url", url}, {"io_threads", server_settings.io_threads},
                          {"db_threads", server_settings.db_threads},
                          {"open_files_limit", open_files}});
  std::cout << "omnid listening on " << url;
  if (!server_settings.public_url.empty()) std::cout << " (public URL " << server_settings.public_url << ")";
  std::cout << std::endl;
  PrintChatLinks(app, server_settings.public_url.empty() ? url : server_settings.public_url);

  server.Run();
  if (!blocking.Shutdown(kBlockingDrainTimeout)) {
    // A query outlived the drain; do not wait on it (or on the retry
    // thread) forever: the drain is over, so exit as a clean stop.
    log::Error("database work still running at exit, abandoning it");
    std::fflush(nullptr);
    std::_Exit(kExitOk);
  }
  return kExitOk;
}

}  // namespace
}  // namespace omni::omnid

int main(int argc, char** argv) {
  using namespace omni;
  using namespace omni::omnid;
  try {
    const Flags flags = ParseFlags(std::vector<std::string>(argv + 1, argv + argc));
    if (flags.help) {
      std::cout << kHelp;
      return kExitOk;
    }
    if (flags.version) {
      std::cout << kVersion << "\n";
      return kExitOk;
    }
    if (flags.routes) {
      const Router router = MakeRouter();
      for (const Route* route : router.routes()) std::cout << route->method << " " << route->pattern << "\n";
      return kExitOk;
    }
    return Serve(flags);
  } catch (const omni::Error& e) {
    std::cerr << "omnid: " << e.what() << "\n";
    if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << "\n";
    if (dynamic_cast<const UsageError*>(&e)) std::cerr << "Run 'omnid --help' for usage.\n";
    return ExitCodeFor(e);
  } catch (const std::exception& e) {
    std::cerr << "omnid: " << e.what() << "\n";
    return kExitFailure;
  }
}
