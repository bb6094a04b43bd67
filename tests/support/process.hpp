// Child processes for tests: run the omni or omnid binary the way a user
// does, with arguments, environment and working directory, and look at its
// exit code and output.
//
//   auto result = omni::test::Run(OMNI_CLI_PATH, {.args = {"config", "check"}});
//   CHECK(result.exit_code == 0);
//
//   omni::test::Process server(OMNID_PATH, {.args = {"--config", path}});
//   REQUIRE(server.WaitForStdout("listening on", 10s));
//   server.Signal(SIGTERM);
//   CHECK(server.Wait(10s) == 0);
//
// stdout and stderr are captured into temp files (never pipes, so a chatty
// child cannot block), readable at any time. A Process still running when
// destroyed is killed (SIGKILL) and reaped; children also die with the test
// process (PR_SET_PDEATHSIG), so a crashed test leaves no daemon behind.
// Thread-safety: one Process object per thread; start children from the
// main thread (the death signal follows the thread that started them).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace omni::test {

struct ProcessOptions {
  std::vector<std::string> args{};           // argv[1..]
  std::map<std::string, std::string> env{};  // variables to set (override inherited ones)
  std::vector<std::string> unset_env{};      // inherited variables to remove
  bool clear_env = false;                    // true: inherit nothing but `env`
  std::string cwd{};                         // empty: the test's working directory
  std::string stdin_data{};                  // fed on stdin, then end of file
  std::string stdin_file{};                  // or stdin read from this file (e.g. /dev/zero)
};

class Process {
 public:
  // Starts `program` (a path, not looked up in PATH). Throws
  // std::runtime_error naming the program when it cannot be started.
  Process(const std::string& program, ProcessOptions options = {});
  // Kills (SIGKILL) and reaps the child when still running; removes the
  // capture files.
  ~Process();
  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;

  pid_t pid() const;
  // Sends `signal` to the child; does nothing once it has been reaped.
  void Signal(int signal) const;
  // Waits up to `timeout` for the child to end. Returns its exit code, or
  // 128 + N when signal N ended it (as a shell reports it); nullopt when it
  // is still running at the timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // True while the child has not ended.
  bool Running();

  // Everything the child wrote so far.
  std::string Stdout() const;
  std::string Stderr() const;
  // Waits until stdout (stderr) contains `text`. False on timeout or when
  // the child ended without writing it.
  bool WaitForStdout(const std::string& text, std::chrono::milliseconds timeout);
  bool WaitForStderr(const std::string& text, std::chrono::milliseconds timeout);

 private:
  void Start(const std::string& program, const ProcessOptions& options);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct RunResult {
  int exit_code = -1;  // as Process::Wait
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs `program` to completion. Throws std::runtime_error (with its output
// so far) when it is still running after `timeout`; it is then killed.
RunResult Run(const std::string& program, ProcessOptions options = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace omni::test
