// The throwaway test cluster and per-test databases.
#include "tests/support/pg_harness.hpp"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "core/db/embedded.hpp"
#include "core/db/migrations.hpp"
#include "core/db/pqxx.hpp"

namespace omni::test {
namespace fs = std::filesystem;
namespace {

constexpr const char* kTemplate = "omni_template";

// Removes clusters left by test processes that were killed (their server
// died with them through PR_SET_PDEATHSIG, the directory stayed).
void RemoveAbandonedClusters() {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/tmp", error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("omni-test-", 0) != 0) continue;
    std::ifstream owner(entry.path() / "owner.pid");
    long pid = 0;
    if (!(owner >> pid) || pid <= 0) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) continue;
    fs::remove_all(entry.path(), error);
  }
}

std::string UrlFor(const db::EmbeddedCluster& cluster, const std::string& dbname) {
  return "postgresql://postgres@/" + dbname + "?host=" + cluster.socket_dir() + "&port=5432";
}

// The cluster, the admin connection and the template, made once.
class Harness {
 public:
  Harness() {
    RemoveAbandonedClusters();
    char dir[] = "/tmp/omni-test-XXXXXX";
    if (::mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp failed for the test cluster");
    dir_ = dir;
    std::ofstream(dir_ / "owner.pid") << ::getpid() << "\n";
    db::EmbeddedSettings settings;
    settings.data_dir = dir_.string();
    settings.fast_unsafe = true;
    cluster_ = std::make_unique<db::EmbeddedCluster>(settings);
    cluster_->EnsureInitialized();
    // The server gets SIGQUIT when the thread that started it ends
    // (PR_SET_PDEATHSIG follows threads), and the first TestDatabase may be
    // made on a short-lived worker thread. So a thread that lives as long as
    // the process starts it.
    std::promise<void> started;
    auto done = started.get_future();
    std::thread([this, &started] {
      try {
        cluster_->Start(/*detached=*/false);
        started.set_value();
      } catch (...) {
        started.set_exception(std::current_exception());
        return;
      }
      for (;;) ::pause();
    }).detach();
    done.get();
    admin_ = std::make_unique<pqxx::connection>(cluster_->ConnInfo("postgres"));
    Admin("CREATE DATABASE " + std::string(kTemplate));
    {
      db::Pool pool(UrlFor(*cluster_, kTemplate), config::DatabaseSettings{});
      db::Migrate(pool);
    }
  }

  ~Harness() {
    admin_.reset();
    try {
      cluster_->Stop();
    } catch (const std::exception&) {
      // The directory goes anyway; the server has SIGQUIT coming from PDEATHSIG.
    }
    cluster_.reset();
    std::error_code error;
    fs::remove_all(dir_, error);
  }

  void Admin(const std::string& sql) {
    std::lock_guard lock(mutex_);
    pqxx::nontransaction tx(*admin_);
    tx.exec(sql);
  }

  std::string NewName() { return "t_" + std::to_string(::getpid()) + "_" + std::to_string(++counter_); }

  db::EmbeddedCluster& cluster() { return *cluster_; }

 private:
  fs::path dir_;
  std::unique_ptr<db::EmbeddedCluster> cluster_;
  std::mutex mutex_;
  std::unique_ptr<pqxx::connection> admin_;
  std::atomic<int> counter_{0};
};

Harness& TheHarness() {
  static Harness harness;
  return harness;
}

}  // namespace

db::EmbeddedCluster& TestCluster() { return TheHarness().cluster(); }

std::string TestClusterUrl(const std::string& dbname) { return UrlFor(TestCluster(), dbname); }

TestDatabase::TestDatabase() : TestDatabase(TestDatabaseOptions{}) {}

TestDatabase::TestDatabase(TestDatabaseOptions options) {
  Harness& harness = TheHarness();
  name_ = harness.NewName();
  harness.Admin("CREATE DATABASE " + name_ + (options.migrated ? std::string(" TEMPLATE ") + kTemplate : ""));
  url_ = UrlFor(harness.cluster(), name_);
  config_ = config::DefaultConfig();
  config_.database = options.settings;
  config_.database.url = url_;
  pool_ = std::make_unique<db::Pool>(url_, config_.database);
}

TestDatabase::~TestDatabase() {
  pool_.reset();
  try {
    TheHarness().Admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
    // A leftover database vanishes with the cluster at exit.
  }
}

RestartableDatabase::RestartableDatabase() {
  RemoveAbandonedClusters();
  char dir[] = "/tmp/omni-test-XXXXXX";
  if (::mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp failed for a restartable cluster");
  dir_ = dir;
  std::ofstream(fs::path(dir_) / "owner.pid") << ::getpid() << "\n";
  db::EmbeddedSettings settings;
  settings.data_dir = dir_;
  settings.fast_unsafe = true;
  cluster_ = std::make_unique<db::EmbeddedCluster>(settings);
  cluster_->EnsureInitialized();
  cluster_->Start(/*detached=*/false);
  url_ = UrlFor(*cluster_, db::kEmbeddedDatabase);
  pool_ = std::make_unique<db::Pool>(url_, config::DatabaseSettings{});
  db::Migrate(*pool_);
}

RestartableDatabase::~RestartableDatabase() {
  pool_.reset();
  try {
    cluster_->Stop();
  } catch (const std::exception&) {
    // The directory goes anyway; the server has SIGQUIT coming from PDEATHSIG.
  }
  cluster_.reset();
  std::error_code error;
  fs::remove_all(dir_, error);
}

void RestartableDatabase::Stop() { cluster_->Stop(); }

void RestartableDatabase::Start() { cluster_->Start(/*detached=*/false); }

void TestDatabase::ExecAsSuperuser(const std::string& sql) const {
  pqxx::connection connection(TestCluster().ConnInfo(name_));
  pqxx::nontransaction tx(connection);
  tx.exec(sql);
}

}  // namespace omni::test
