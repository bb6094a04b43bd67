// The connection pool, pqxx error translation, and db::Open.
//
// Connections are made outside the pool's lock, so one slow connect does not
// stall callers that could take an idle connection. Session settings
// (application_name, statement_timeout, connect_timeout) travel in the
// connection string, so they hold for every connection the pool makes.
#include <poll.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <regex>
#include <thread>
#include <vector>

#include "core/common/conninfo.hpp"
#include "core/db/embedded.hpp"
#include "core/db/migrations.hpp"
#include "core/db/pqxx.hpp"

namespace omni::db {
namespace {

bool IsUrl(const std::string& conninfo) {
  return conninfo.rfind("postgresql://", 0) == 0 || conninfo.rfind("postgres://", 0) == 0;
}

// Adds omni's session settings to a libpq key=value string or URL.
std::string WithSessionSettings(const std::string& conninfo, const config::DatabaseSettings& settings) {
  const int connect_timeout_s = std::max(2, (settings.connect_timeout_ms + 999) / 1000);
  const std::string timeout = std::to_string(std::max(0, settings.statement_timeout_ms));
  if (IsUrl(conninfo)) {
    const char separator = conninfo.find('?') == std::string::npos ? '?' : '&';
    return conninfo + separator + "application_name=omni&connect_timeout=" +
           std::to_string(connect_timeout_s) + "&options=-c%20statement_timeout%3D" + timeout;
  }
  return conninfo + " application_name=omni connect_timeout=" + std::to_string(connect_timeout_s) +
         " options='-c statement_timeout=" + timeout + "'";
}

std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

// The server's primary message without libpq's "ERROR:  " prefix.
std::string PrimaryMessage(const std::exception& error) {
  std::string line = FirstLine(error.what());
  for (const char* prefix : {"ERROR:  ", "FATAL:  "}) {
    if (line.rfind(prefix, 0) == 0) return line.substr(std::string(prefix).size());
  }
  return line;
}

// The DETAIL line of a server error, if any.
std::string Detail(const std::exception& error) {
  const std::string text = error.what();
  const auto at = text.find("DETAIL:  ");
  if (at == std::string::npos) return {};
  return FirstLine(text.substr(at + 9));
}

// An idle connection is usable unless the server closed it meanwhile
// (restart, pg_terminate_backend, idle timeout). Reading what is pending on
// the socket notices that without a round trip.
bool StillConnected(pqxx::connection& connection) {
  if (!connection.is_open()) return false;
  try {
    for (int i = 0; i < 4; ++i) {
      pollfd fd{connection.sock(), POLLIN, 0};
      if (::poll(&fd, 1, 0) <= 0) break;
      connection.get_notifs();
      if (!connection.is_open()) return false;
    }
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

std::unique_ptr<pqxx::connection> ConnectTo(const std::string& conninfo, const std::string& display_name) {
  try {
    return std::make_unique<pqxx::connection>(conninfo);
  } catch (const std::exception& e) {
    throw Unavailable("could not connect to database " + display_name + ": " + FirstLine(e.what()),
                      "Check database.url in the config, or run `omni db status`.");
  }
}

}  // namespace

struct Pool::Impl {
  std::string conninfo;
  std::string display_name;
  config::DatabaseSettings settings;

  std::mutex mutex;
  std::condition_variable freed;
  std::vector<std::unique_ptr<pqxx::connection>> idle;
  int open = 0;
  int in_use = 0;
  int waiting = 0;
  std::uint64_t acquired_total = 0;

  std::unique_ptr<pqxx::connection> Connect() const { return ConnectTo(conninfo, display_name); }

  void Return(std::unique_ptr<pqxx::connection> connection, bool broken) noexcept {
    std::unique_ptr<pqxx::connection> discarded;
    {
      std::lock_guard lock(mutex);
      --in_use;
      if (broken || !connection->is_open()) {
        --open;
        discarded = std::move(connection);
      } else {
        idle.push_back(std::move(connection));
      }
    }
    freed.notify_one();
  }
};

Pool::Lease::Lease(Pool::Impl* pool, std::unique_ptr<pqxx::connection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

Pool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      connection_(std::move(other.connection_)),
      broken_(other.broken_) {}

Pool::Lease& Pool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = std::exchange(other.pool_, nullptr);
    connection_ = std::move(other.connection_);
    broken_ = other.broken_;
  }
  return *this;
}

Pool::Lease::~Lease() { Release(); }

void Pool::Lease::Release() noexcept {
  if (pool_ != nullptr && connection_) pool_->Return(std::move(connection_), broken_);
  pool_ = nullptr;
  connection_.reset();
}

Pool::Pool(std::string conninfo, const config::DatabaseSettings& settings) : impl_(std::make_unique<Impl>()) {
  impl_->display_name = RedactConninfo(conninfo);
  // libpq's own complaint about such a string may quote the password.
  if (impl_->display_name == kUnparseableConninfo) {
    throw ConfigError("the database connection string is malformed",
                      "Check database.url: quote values with spaces in key=value form, and percent-encode "
                      "reserved characters such as @, / and % in a URL.");
  }
  impl_->conninfo = WithSessionSettings(conninfo, settings);
  impl_->settings = settings;
  impl_->settings.pool_size = std::max(1, settings.pool_size);
}

Pool::~Pool() = default;

Pool::Lease Pool::Acquire() {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0, impl_->settings.acquire_timeout_ms));
  return std::move(*AcquireBefore(deadline));
}

std::optional<Pool::Lease> Pool::TryAcquire() { return AcquireBefore(std::nullopt); }

std::optional<Pool::Lease> Pool::AcquireBefore(std::optional<std::chrono::steady_clock::time_point> deadline) {
  Impl& impl = *impl_;
  std::unique_lock lock(impl.mutex);
  for (;;) {
    if (!impl.idle.empty()) {
      auto connection = std::move(impl.idle.back());
      impl.idle.pop_back();
      ++impl.in_use;
      lock.unlock();
      if (StillConnected(*connection)) {
        std::lock_guard count(impl.mutex);
        ++impl.acquired_total;
        return Lease(&impl, std::move(connection));
      }
      connection.reset();
      lock.lock();
      --impl.in_use;
      --impl.open;
      continue;
    }
    if (impl.open < impl.settings.pool_size) {
      ++impl.open;
      ++impl.in_use;
      lock.unlock();
      std::unique_ptr<pqxx::connection> connection;
      try {
        connection = impl.Connect();
      } catch (...) {
        {
          std::lock_guard undo(impl.mutex);
          --impl.open;
          --impl.in_use;
        }
        impl.freed.notify_one();
        throw;
      }
      std::lock_guard count(impl.mutex);
      ++impl.acquired_total;
      return Lease(&impl, std::move(connection));
    }
    if (!deadline) return std::nullopt;
    ++impl.waiting;
    const bool freed = impl.freed.wait_until(lock, *deadline, [&] {
      return !impl.idle.empty() || impl.open < impl.settings.pool_size;
    });
    --impl.waiting;
    if (!freed) {
      throw Unavailable("no database connection became free within " +
                            std::to_string(impl.settings.acquire_timeout_ms) + " ms (all " +
                            std::to_string(impl.settings.pool_size) + " in use)",
                        "Raise database.pool_size or database.acquire_timeout_ms, or reduce concurrent work.");
    }
  }
}

PoolStats Pool::Stats() const {
  std::lock_guard lock(impl_->mutex);
  return PoolStats{impl_->settings.pool_size, impl_->open, impl_->in_use, impl_->waiting, impl_->acquired_total};
}

const std::string& Pool::DisplayName() const { return impl_->display_name; }

const std::string& Pool::ConnectionString() const { return impl_->conninfo; }

std::unique_ptr<pqxx::connection> ConnectDedicated(const Pool& pool) {
  return ConnectTo(pool.ConnectionString(), pool.DisplayName());
}

std::string SqlState(const std::exception& error) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error)) return sql->sqlstate();
  return {};
}

bool IsTransientConflict(const std::exception& error) {
  const std::string state = SqlState(error);
  return state == "40P01" || state == "40001";
}

void BackOffBeforeRetry(int attempt) {
  thread_local std::minstd_rand random(std::random_device{}());
  std::uniform_int_distribution<int> jitter_us(0, 2000 * attempt);
  std::this_thread::sleep_for(std::chrono::microseconds(500 + jitter_us(random)));
}

std::string ConstraintName(const std::exception& error) {
  static const std::regex kConstraint(R"(constraint \"([^\"]+)\")");
  const std::string message = PrimaryMessage(error);
  std::smatch match;
  if (std::regex_search(message, match, kConstraint)) return match[1];
  return {};
}

void RethrowTranslated(const std::exception& error) {
  if (dynamic_cast<const omni::Error*>(&error) != nullptr) throw;
  if (dynamic_cast<const pqxx::broken_connection*>(&error) != nullptr) {
    throw Unavailable("lost the connection to the database: " + FirstLine(error.what()),
                      "Check that PostgreSQL is running (`omni db status`), then retry.");
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&error) != nullptr) {
    throw Unavailable("the database connection broke while committing; the change may or may not be saved",
                      "Check the data before retrying.");
  }
  const std::string state = SqlState(error);
  if (state.empty()) throw;
  const std::string message = PrimaryMessage(error);
  const std::string detail = Detail(error);
  if (state == "23505" || state == "23P01") throw Conflict(message, detail);
  if (state == "40001" || state == "40P01") {
    throw Conflict(message, "A concurrent change interfered; retrying may succeed.");
  }
  if (state.rfind("23", 0) == 0 || state.rfind("22", 0) == 0) throw InvalidInput(message, detail);
  if (state == "57014") {
    throw Unavailable(message, "A statement ran longer than database.statement_timeout_ms.");
  }
  if (state.rfind("57P", 0) == 0 || state.rfind("08", 0) == 0 || state == "53300") {
    throw Unavailable("database unavailable: " + message, "Check that PostgreSQL is running, then retry.");
  }
  throw omni::Error("database error: " + message + " (sqlstate " + state + ")", detail);
}

void ReadConcurrently(Pool& pool, const std::function<void(pqxx::work&)>& first,
                      const std::function<void(pqxx::work&)>& second) {
  static const std::string kReadOnly = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  Pool::Lease lease = pool.Acquire();
  try {
    pqxx::work tx(lease.connection());
    const std::string snapshot = tx.exec(kReadOnly + "; SELECT pg_export_snapshot()")[0][0].as<std::string>();
    bool second_done = false;
    std::exception_ptr second_error;
    std::thread helper([&] {
      try {
        auto other = pool.TryAcquire();
        if (!other) return;
        try {
          pqxx::work other_tx(other->connection());
          other_tx.exec(kReadOnly + "; SET TRANSACTION SNAPSHOT " + other_tx.quote(snapshot));
          second(other_tx);
          other_tx.commit();
          second_done = true;
        } catch (const pqxx::broken_connection&) {
          other->MarkBroken();
          throw;
        }
      } catch (const std::exception& e) {
        // Translated here, so that the first's connection is not taken
        // for the one that broke.
        try {
          RethrowTranslated(e);
        } catch (...) {
          second_error = std::current_exception();
        }
      } catch (...) {
        second_error = std::current_exception();
      }
    });
    std::exception_ptr first_error;
    try {
      first(tx);
    } catch (...) {
      first_error = std::current_exception();
    }
    helper.join();
    if (first_error) std::rethrow_exception(first_error);
    if (second_error) std::rethrow_exception(second_error);
    if (!second_done) second(tx);
    tx.commit();
  } catch (const pqxx::failure&) {
    RethrowForLease(lease);
  }
}

void RethrowForLease(Pool::Lease& lease) {
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    lease.MarkBroken();
    RethrowTranslated(e);
  } catch (const pqxx::in_doubt_error& e) {
    lease.MarkBroken();
    RethrowTranslated(e);
  } catch (const std::exception& e) {
    RethrowTranslated(e);
  }
}

std::unique_ptr<Pool> Open(const config::Config& config, const OpenOptions& options) {
  std::unique_ptr<Pool> pool;
  if (!config.database.url.empty()) {
    pool = std::make_unique<Pool>(config.database.url, config.database);
  } else {
    if (options.embedded_data_dir.empty()) {
      throw ConfigError("database.embedded.data_dir is empty and database.url is not set",
                        "Set database.url, or database.embedded.data_dir to a writable directory.");
    }
    EmbeddedCluster cluster(EmbeddedSettings{options.embedded_data_dir});
    cluster.EnsureInitialized();
    cluster.Start(/*detached=*/true);
    pool = std::make_unique<Pool>(cluster.ConnInfo(kEmbeddedDatabase), config.database);
  }
  if (options.migrate && !AppliedVersionsMatch(*pool)) Migrate(*pool);
  return pool;
}

}  // namespace omni::db
