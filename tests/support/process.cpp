// Child processes for tests; see process.hpp.
#include "tests/support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace omni::test {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(10);

std::string MakeTempFile(const char* kind) {
  std::string path = std::string("/tmp/omni-proc-") + kind + "-XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0) throw std::runtime_error("cannot create a temp file: " + std::string(std::strerror(errno)));
  close(fd);
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

struct Process::Impl {
  std::string program;
  pid_t pid = -1;
  std::optional<int> exit_code;  // set once reaped
  std::string stdin_path;
  std::string stdout_path;
  std::string stderr_path;

  // Reaps the child without blocking; true once it has ended.
  bool Poll() {
    if (exit_code) return true;
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      exit_code = DecodeStatus(status);
      return true;
    }
    return false;
  }

  bool WaitForText(const std::string& path, const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (ReadFile(path).find(text) != std::string::npos) return true;
      // Output written just before exiting is in the file already.
      if (Poll()) return ReadFile(path).find(text) != std::string::npos;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(kPollInterval);
    }
  }
};

Process::Process(const std::string& program, ProcessOptions options) : impl_(std::make_unique<Impl>()) {
  try {
    Start(program, options);
  } catch (...) {
    std::remove(impl_->stdin_path.c_str());
    std::remove(impl_->stdout_path.c_str());
    std::remove(impl_->stderr_path.c_str());
    throw;
  }
}

void Process::Start(const std::string& program, const ProcessOptions& options) {
  impl_->program = program;
  impl_->stdin_path = MakeTempFile("in");
  impl_->stdout_path = MakeTempFile("out");
  impl_->stderr_path = MakeTempFile("err");
  {
    std::ofstream in(impl_->stdin_path, std::ios::binary);
    in << options.stdin_data;
  }

  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls are allowed.
  std::vector<std::string> argv_strings = {program};
  argv_strings.insert(argv_strings.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> env;
  if (!options.clear_env) {
    for (char** entry = environ; *entry != nullptr; ++entry) {
      const std::string text = *entry;
      const std::size_t eq = text.find('=');
      if (eq != std::string::npos) env[text.substr(0, eq)] = text.substr(eq + 1);
    }
  }
  for (const auto& name : options.unset_env) env.erase(name);
  for (const auto& [name, value] : options.env) env[name] = value;
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);

  const std::string& stdin_source = options.stdin_file.empty() ? impl_->stdin_path : options.stdin_file;
  const int in_fd = open(stdin_source.c_str(), O_RDONLY | O_CLOEXEC);
  const int out_fd = open(impl_->stdout_path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  const int err_fd = open(impl_->stderr_path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  int exec_error_pipe[2] = {-1, -1};
  if (in_fd < 0 || out_fd < 0 || err_fd < 0 || pipe2(exec_error_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("cannot set up the files for " + program + ": " + std::strerror(errno));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("cannot fork for " + program + ": " + std::strerror(errno));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the test process died already
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    signal(SIGPIPE, SIG_DFL);
    dup2(in_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    int error = 0;
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) {
      error = errno;
    } else {
      execve(program.c_str(), argv.data(), envp.data());
      error = errno;
    }
    [[maybe_unused]] const auto written = write(exec_error_pipe[1], &error, sizeof error);
    _exit(127);
  }
  close(in_fd);
  close(out_fd);
  close(err_fd);
  close(exec_error_pipe[1]);
  int child_error = 0;
  const ssize_t n = read(exec_error_pipe[0], &child_error, sizeof child_error);
  close(exec_error_pipe[0]);
  impl_->pid = pid;
  if (n == static_cast<ssize_t>(sizeof child_error)) {
    int status = 0;
    waitpid(pid, &status, 0);
    impl_->exit_code = DecodeStatus(status);
    throw std::runtime_error("cannot start " + program + (options.cwd.empty() ? "" : " in " + options.cwd) + ": " +
                             std::strerror(child_error));
  }
}

Process::~Process() {
  if (!impl_) return;
  if (impl_->pid > 0 && !impl_->Poll()) {
    kill(impl_->pid, SIGKILL);
    int status = 0;
    waitpid(impl_->pid, &status, 0);
  }
  std::remove(impl_->stdin_path.c_str());
  std::remove(impl_->stdout_path.c_str());
  std::remove(impl_->stderr_path.c_str());
}

Process::Process(Process&&) noexcept = default;
Process& Process::operator=(Process&&) noexcept = default;

pid_t Process::pid() const { return impl_->pid; }

void Process::Signal(int signal) const {
  if (!impl_->exit_code) kill(impl_->pid, signal);
}

std::optional<int> Process::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!impl_->Poll()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
  return impl_->exit_code;
}

bool Process::Running() { return !impl_->Poll(); }

std::string Process::Stdout() const { return ReadFile(impl_->stdout_path); }
std::string Process::Stderr() const { return ReadFile(impl_->stderr_path); }

bool Process::WaitForStdout(const std::string& text, std::chrono::milliseconds timeout) {
  return impl_->WaitForText(impl_->stdout_path, text, timeout);
}

bool Process::WaitForStderr(const std::string& text, std::chrono::milliseconds timeout) {
  return impl_->WaitForText(impl_->stderr_path, text, timeout);
}

RunResult Run(const std::string& program, ProcessOptions options, std::chrono::milliseconds timeout) {
  Process process(program, std::move(options));
  const auto code = process.Wait(timeout);
  if (!code) {
    throw std::runtime_error(program + " still running after " + std::to_string(timeout.count()) +
                             " ms; stdout:\n" + process.Stdout() + "\nstderr:\n" + process.Stderr());
  }
  return RunResult{*code, process.Stdout(), process.Stderr()};
}

}  // namespace omni::test
