// The embedded PostgreSQL cluster: initdb, start, stop and status.
//
// Server processes are started with fork and exec. In the child, only
// async-signal-safe calls run (the parent may have threads): everything is
// prepared before fork, and a close-on-exec pipe reports a failed setuid,
// chdir or exec back to the parent. A detached server is double-forked so it
// is never our child (no zombie, survives our exit); a foreground one gets
// PR_SET_PDEATHSIG so a crashed test run does not leak servers.
#include "core/db/embedded.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "core/db/pqxx.hpp"

namespace omni::db {
namespace fs = std::filesystem;
namespace {

constexpr const char* kPort = "5432";
constexpr std::size_t kMaxSocketPath = 107;
constexpr std::uintmax_t kMaxLogBytes = 10 * 1024 * 1024;

using Clock = std::chrono::steady_clock;

bool RunningAsRoot() { return ::geteuid() == 0; }

struct PostgresUser {
  uid_t uid;
  gid_t gid;
};

// The `postgres` system user, which runs the cluster when omni runs as root.
PostgresUser LookupPostgresUser() {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwnam_r("postgres", &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    throw Unavailable("cannot run the embedded database as root: there is no `postgres` system user",
                      "Install the postgresql-15 package (it creates the user), or run omni as an ordinary user.");
  }
  return PostgresUser{entry.pw_uid, entry.pw_gid};
}

void ChownToPostgres(const fs::path& path) {
  if (!RunningAsRoot()) return;
  const PostgresUser user = LookupPostgresUser();
  if (::chown(path.c_str(), user.uid, user.gid) != 0) {
    throw Unavailable("cannot hand " + path.string() + " to the postgres user: " + std::strerror(errno));
  }
}

std::string ShellQuote(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

// An exclusive flock on DATA_DIR/.lock, released when destroyed. The fd is
// close-on-exec so servers started while it is held do not inherit it.
class DirLock {
 public:
  DirLock(const fs::path& path, int timeout_ms) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw Unavailable("cannot open lock file " + path.string() + ": " + std::strerror(errno));
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        const int error = errno;
        ::close(fd_);
        throw Unavailable("cannot lock " + path.string() + ": " + std::strerror(error));
      }
      if (Clock::now() > deadline) {
        ::close(fd_);
        throw Unavailable("timed out waiting for another omni process to start the embedded database",
                          "Check for a stuck omni process holding " + path.string() + ".");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~DirLock() { ::close(fd_); }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

// What a child reports through the pipe: the grandchild's pid (detached), or
// the step that failed before exec and its errno.
struct ChildReport {
  enum Kind : int { kPid = 1, kFailed = 2 } kind;
  int step;
  int value;
};

enum Step : int { kStepFork = 1, kStepSetGid, kStepSetUid, kStepChdir, kStepExec };

const char* StepName(int step) {
  switch (step) {
    case kStepFork: return "fork";
    case kStepSetGid: return "switch to the postgres group";
    case kStepSetUid: return "switch to the postgres user";
    case kStepChdir: return "enter the data dir";
    default: return "run";
  }
}

struct SpawnSpec {
  std::string program;            // absolute path
  std::vector<std::string> args;  // without argv[0]
  fs::path log_file;              // stdout and stderr are appended here
  fs::path working_dir;
  bool detached = false;          // double fork, no death signal
};

void WriteReport(int fd, ChildReport report) {
  [[maybe_unused]] ssize_t written = ::write(fd, &report, sizeof report);
}

// In the child after fork: become the server process, or report and exit.
[[noreturn]] void BecomeChild(const SpawnSpec& spec, char* const* argv, int log_fd, int null_fd, int report_fd,
                              const std::optional<PostgresUser>& user, pid_t parent) {
  ::dup2(null_fd, STDIN_FILENO);
  ::dup2(log_fd, STDOUT_FILENO);
  ::dup2(log_fd, STDERR_FILENO);
  // Nothing else of ours (sockets, lock files) may leak into the server.
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3; fd < 1024; ++fd) {
      if (fd != report_fd) ::close(fd);
    }
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2}) ::signal(sig, SIG_DFL);
  if (user) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(user->gid) != 0) {
      WriteReport(report_fd, {ChildReport::kFailed, kStepSetGid, errno});
      ::_exit(127);
    }
    if (::setuid(user->uid) != 0) {
      WriteReport(report_fd, {ChildReport::kFailed, kStepSetUid, errno});
      ::_exit(127);
    }
  }
  if (!spec.detached) {
    // After setuid, which clears it. The test process dying takes its server along.
    ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (::getppid() != parent) ::_exit(0);
  }
  ::setsid();
  if (::chdir(spec.working_dir.c_str()) != 0) {
    WriteReport(report_fd, {ChildReport::kFailed, kStepChdir, errno});
    ::_exit(127);
  }
  ::execv(spec.program.c_str(), argv);
  WriteReport(report_fd, {ChildReport::kFailed, kStepExec, errno});
  ::_exit(127);
}

// Starts spec.program; returns its pid once exec has succeeded. Throws
// Unavailable naming the failed step otherwise.
pid_t Spawn(const SpawnSpec& spec) {
  std::optional<PostgresUser> user;
  if (RunningAsRoot()) user = LookupPostgresUser();

  std::vector<std::string> args_storage;
  args_storage.push_back(spec.program);
  args_storage.insert(args_storage.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  for (auto& arg : args_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const int log_fd = ::open(spec.log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (log_fd < 0) throw Unavailable("cannot open " + spec.log_file.string() + ": " + std::strerror(errno));
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int pipe_fds[2];
  if (null_fd < 0 || ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    const int error = errno;
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    throw Unavailable(std::string("cannot start a process: ") + std::strerror(error));
  }
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    if (spec.detached) {
      const pid_t grandchild = ::fork();
      if (grandchild < 0) {
        WriteReport(pipe_fds[1], {ChildReport::kFailed, kStepFork, errno});
        ::_exit(127);
      }
      if (grandchild > 0) {
        WriteReport(pipe_fds[1], {ChildReport::kPid, 0, grandchild});
        ::_exit(0);
      }
    }
    BecomeChild(spec, argv.data(), log_fd, null_fd, pipe_fds[1], user, parent);
  }
  const int fork_error = errno;
  ::close(pipe_fds[1]);
  ::close(log_fd);
  ::close(null_fd);
  if (child < 0) {
    ::close(pipe_fds[0]);
    throw Unavailable(std::string("cannot start a process: ") + std::strerror(fork_error));
  }

  pid_t server = child;
  std::optional<ChildReport> failure;
  ChildReport report{};
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], &report, sizeof report);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof report)) break;
    if (report.kind == ChildReport::kPid) server = report.value;
    if (report.kind == ChildReport::kFailed) failure = report;
  }
  ::close(pipe_fds[0]);
  if (spec.detached) {
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (failure) {
    if (!spec.detached) ::waitpid(child, nullptr, 0);
    std::string message = std::string("cannot ") + StepName(failure->step) + " (" + spec.program + "): " +
                          std::strerror(failure->value);
    if (failure->step == kStepChdir && user) {
      throw Unavailable("the postgres user cannot enter " + spec.working_dir.string() + ": " +
                            std::strerror(failure->value),
                        "As root, keep the data dir where the postgres user can reach it (every parent "
                        "directory traversable), for example /var/lib/omni/pg.");
    }
    throw Unavailable(message);
  }
  return server;
}

// Waits for a child to exit; returns its exit status, or -1 on a signal.
int WaitExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A zombie counts as dead: where PID 1 does not reap (some containers), a
// killed detached server stays a zombie indefinitely.
bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return true;
  const char state = line[paren + 2];
  return state != 'Z' && state != 'X';
}

// Reaps `pid` if it is our child and has exited; true when it is gone.
bool ProcessGone(pid_t pid, bool our_child) {
  if (our_child) {
    const pid_t reaped = ::waitpid(pid, nullptr, WNOHANG);
    if (reaped == pid || (reaped < 0 && errno == ECHILD)) return true;
    return false;
  }
  return !ProcessAlive(pid);
}

// The postmaster's pid from postmaster.pid, when that names a live postgres.
pid_t PostmasterPid(const fs::path& pgdata) {
  std::ifstream file(pgdata / "postmaster.pid");
  long pid = 0;
  if (!(file >> pid) || pid <= 0 || !ProcessAlive(static_cast<pid_t>(pid))) return 0;
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (!std::getline(comm, name) || name.rfind("postgres", 0) != 0) return 0;
  return static_cast<pid_t>(pid);
}

// After a postmaster was killed (kill -9), its lock file stays. PostgreSQL
// removes a stale one itself, except when the dead postmaster is an unreaped
// zombie, which it takes for alive (the socket's lock file likewise). Once
// no orphaned backend is attached to the old shared memory any more, both
// are safe to remove.
void RemoveStaleLockFiles(const fs::path& pgdata, const fs::path& socket_dir, Clock::time_point deadline) {
  const fs::path lock_file = pgdata / "postmaster.pid";
  std::ifstream file(lock_file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) lines.push_back(line);
  if (lines.empty()) return;
  long shm_key = 0, shm_id = -1;
  if (lines.size() >= 7) std::istringstream(lines[6]) >> shm_key >> shm_id;
  while (shm_id >= 0) {
    shmid_ds segment{};
    if (::shmctl(static_cast<int>(shm_id), IPC_STAT, &segment) != 0 || segment.shm_nattch == 0) break;
    if (Clock::now() > deadline) {
      throw Unavailable("processes of a killed PostgreSQL server still use " + pgdata.string(),
                        "Wait for them to exit, or end the leftover `postgres:` processes.");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::error_code error;
  fs::remove(lock_file, error);
  fs::remove(socket_dir / (std::string(".s.PGSQL.") + kPort + ".lock"), error);
}

bool AcceptsConnections(const std::string& conninfo) {
  try {
    pqxx::connection connection(conninfo + " connect_timeout=2");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// The last `lines` lines of `path` after byte offset `from`.
std::string ReadTail(const fs::path& path, int lines, std::uintmax_t from = 0) {
  std::ifstream file(path);
  file.seekg(static_cast<std::streamoff>(from));
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(file, line)) {
    tail.push_back(line);
    if (static_cast<int>(tail.size()) > lines) tail.pop_front();
  }
  std::string text;
  for (const auto& kept : tail) text += kept + "\n";
  return text;
}

// The socket directory: the data dir itself, or a short directory under
// /tmp when the socket path would exceed the 107-byte limit.
std::uintmax_t FileSize(const fs::path& path) {
  std::error_code error;
  const auto size = fs::file_size(path, error);
  return error ? 0 : size;
}

std::string ChooseSocketDir(const std::string& data_dir) {
  if (data_dir.size() + std::strlen("/.s.PGSQL.") + std::strlen(kPort) <= kMaxSocketPath) return data_dir;
  char name[32];
  std::snprintf(name, sizeof name, "/tmp/omni-pg-%016zx", std::hash<std::string>{}(data_dir));
  return name;
}

void MakePrivateDir(const fs::path& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw Unavailable("cannot create " + dir.string() + ": " + error.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, error);
  ChownToPostgres(dir);
}

}  // namespace

std::string PostgresBinDir() {
  std::vector<std::string> candidates;
  if (FILE* pipe = ::popen("pg_config --bindir 2>/dev/null", "r")) {
    char line[4096];
    if (std::fgets(line, sizeof line, pipe) != nullptr) {
      std::string dir(line);
      while (!dir.empty() && (dir.back() == '\n' || dir.back() == '\r')) dir.pop_back();
      if (!dir.empty()) candidates.push_back(dir);
    }
    ::pclose(pipe);
  }
  candidates.push_back("/usr/lib/postgresql/15/bin");
  for (const auto& dir : candidates) {
    if (::access((dir + "/postgres").c_str(), X_OK) == 0 && ::access((dir + "/initdb").c_str(), X_OK) == 0) {
      return dir;
    }
  }
  throw Unavailable("PostgreSQL 15 is not installed (no initdb or postgres in /usr/lib/postgresql/15/bin)",
                    "Install it with `apt-get install postgresql-15`, or set database.url to an existing server.");
}

EmbeddedCluster::EmbeddedCluster(EmbeddedSettings settings) : settings_(std::move(settings)) {
  while (settings_.data_dir.size() > 1 && settings_.data_dir.back() == '/') settings_.data_dir.pop_back();
  settings_.data_dir = fs::absolute(settings_.data_dir).lexically_normal().string();
  socket_dir_ = ChooseSocketDir(settings_.data_dir);
}

EmbeddedCluster::~EmbeddedCluster() {
  if (foreground_pid_ > 0) {
    try {
      Stop();
    } catch (const std::exception&) {
      ::kill(foreground_pid_, SIGQUIT);
    }
  }
}

std::string EmbeddedCluster::LogFile() const { return settings_.data_dir + "/log/postgresql.log"; }

std::string EmbeddedCluster::LogTail(int lines) const { return ReadTail(LogFile(), lines); }

std::string EmbeddedCluster::ConnInfo(const std::string& dbname) const {
  return "host=" + ShellQuote(socket_dir_) + " port=" + kPort + " user=postgres dbname=" + ShellQuote(dbname);
}

void EmbeddedCluster::EnsureInitialized() {
  const fs::path root(settings_.data_dir);
  const fs::path pgdata = root / "data";
  const fs::path marker = root / "initialized";
  if (fs::exists(marker)) return;

  MakePrivateDir(root);
  MakePrivateDir(root / "log");
  DirLock lock(root / ".lock", settings_.start_timeout_ms);
  if (fs::exists(marker)) return;
  // No marker: any data dir is the remains of an interrupted initdb.
  std::error_code error;
  fs::remove_all(pgdata, error);

  const std::string bin = PostgresBinDir();
  std::vector<std::string> args = {"-D", pgdata.string(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                                   "--locale=C.UTF-8", "--no-instructions"};
  if (settings_.fast_unsafe) args.push_back("--no-sync");
  const auto log_offset = FileSize(LogFile());
  const pid_t pid = Spawn(SpawnSpec{bin + "/initdb", args, LogFile(), root, false});
  if (WaitExit(pid) != 0) {
    throw Unavailable("initdb failed for " + pgdata.string() + ":\n" + ReadTail(LogFile(), 20, log_offset),
                      "The full log is " + LogFile() + ".");
  }
  {
    std::ofstream conf(pgdata / "postgresql.conf", std::ios::app);
    conf << "\n# omni embedded cluster: Unix socket only, private to its owner\n"
         << "listen_addresses = ''\n"
         << "unix_socket_directories = " << ShellQuote(socket_dir_) << "\n"
         << "unix_socket_permissions = 0700\n"
         << "max_connections = 200\n";
    if (!conf) throw Unavailable("cannot write " + (pgdata / "postgresql.conf").string());
  }
  std::ofstream(marker) << "initdb done\n";
}

void EmbeddedCluster::Start(bool detached) {
  const fs::path root(settings_.data_dir);
  const fs::path pgdata = root / "data";
  const fs::path database_marker = root / "database-created";
  const std::string admin = ConnInfo("postgres");
  if (fs::exists(database_marker) && AcceptsConnections(admin)) return;
  if (!fs::exists(root / "initialized")) {
    throw Unavailable("the embedded database in " + settings_.data_dir + " is not initialised",
                      "Run `omni db up` to create it.");
  }

  DirLock lock(root / ".lock", settings_.start_timeout_ms);
  const auto deadline = Clock::now() + std::chrono::milliseconds(settings_.start_timeout_ms);
  // A postmaster found in the lock file may be one that is dying (killed
  // moments ago): when it vanishes instead of becoming ready, start anew.
  for (bool spawned = false; !spawned && !AcceptsConnections(admin);) {
    auto log_offset = FileSize(LogFile());
    pid_t pid = PostmasterPid(pgdata);
    bool our_child = false;
    if (pid == 0) {
      RemoveStaleLockFiles(pgdata, socket_dir_, deadline);
      if (socket_dir_ != settings_.data_dir) MakePrivateDir(socket_dir_);
      if (log_offset > kMaxLogBytes) {
        std::error_code error;
        fs::rename(LogFile(), LogFile() + ".old", error);
        log_offset = 0;
      }
      std::vector<std::string> args = {"-D", pgdata.string(), "-k", socket_dir_, "-p", kPort};
      if (settings_.fast_unsafe) {
        for (const char* setting : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
          args.insert(args.end(), {"-c", setting});
        }
      }
      pid = Spawn(SpawnSpec{PostgresBinDir() + "/postgres", args, LogFile(), root, detached});
      spawned = true;
      our_child = !detached;
      if (our_child) foreground_pid_ = pid;
    }
    while (!AcceptsConnections(admin)) {
      if (ProcessGone(pid, our_child)) {
        if (!spawned) break;
        if (our_child) foreground_pid_ = 0;
        throw Unavailable("the embedded PostgreSQL server in " + settings_.data_dir + " exited while starting:\n" +
                              ReadTail(LogFile(), 20, log_offset),
                          "The full log is " + LogFile() + ".");
      }
      if (Clock::now() > deadline) {
        throw Unavailable("the embedded PostgreSQL server in " + settings_.data_dir +
                              " did not accept connections within " + std::to_string(settings_.start_timeout_ms) +
                              " ms:\n" + ReadTail(LogFile(), 20, log_offset),
                          "The full log is " + LogFile() + ".");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (!fs::exists(database_marker)) {
    try {
      pqxx::connection connection(admin);
      pqxx::nontransaction tx(connection);
      const auto found =
          tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", std::string(kEmbeddedDatabase));
      if (found.empty()) tx.exec0(std::string("CREATE DATABASE ") + tx.quote_name(kEmbeddedDatabase));
    } catch (const std::exception& e) {
      throw Unavailable(std::string("cannot create the omni database in the embedded cluster: ") + e.what());
    }
    std::ofstream(database_marker) << "CREATE DATABASE done\n";
  }
}

bool EmbeddedCluster::Stop() {
  const fs::path pgdata = fs::path(settings_.data_dir) / "data";
  pid_t pid = PostmasterPid(pgdata);
  const bool our_child = foreground_pid_ > 0 && (pid == 0 || pid == foreground_pid_);
  if (our_child) pid = foreground_pid_;
  if (pid == 0) return false;
  if (::kill(pid, SIGINT) != 0 && errno != ESRCH) {
    throw Unavailable("cannot stop the embedded PostgreSQL server (pid " + std::to_string(pid) +
                      "): " + std::strerror(errno));
  }
  const auto wait_until_gone = [&](int timeout_ms) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!ProcessGone(pid, our_child)) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  };
  bool gone = wait_until_gone(settings_.stop_timeout_ms);
  if (!gone) {
    ::kill(pid, SIGQUIT);
    gone = wait_until_gone(5000);
  }
  if (!gone) {
    ::kill(pid, SIGKILL);
    gone = wait_until_gone(5000);
  }
  if (our_child) foreground_pid_ = 0;
  if (!gone) throw Unavailable("the embedded PostgreSQL server (pid " + std::to_string(pid) + ") did not stop");
  return true;
}

EmbeddedStatus EmbeddedCluster::Status() const {
  EmbeddedStatus status;
  status.data_dir = settings_.data_dir;
  status.socket_dir = socket_dir_;
  status.log_file = LogFile();
  status.initialized = fs::exists(fs::path(settings_.data_dir) / "initialized");
  if (status.initialized) {
    status.running = AcceptsConnections(ConnInfo("postgres"));
    if (status.running) status.pid = PostmasterPid(fs::path(settings_.data_dir) / "data");
  }
  return status;
}

}  // namespace omni::db
