#include "tests/crash/loyaltyd_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace loyalty::crash {
namespace {

// Every child not yet reaped, so a signal handler can kill them all. A slot
// holds 0 when free.
constexpr size_t kChildrenMax = 64;
std::array<std::atomic<pid_t>, kChildrenMax> live_children{};

void Track(pid_t pid) {
  for (auto& slot : live_children) {
    pid_t expected = 0;
    if (slot.compare_exchange_strong(expected, pid)) return;
  }
  // More than kChildrenMax live children is a bug in the test itself.
  std::fprintf(stderr, "loyaltyd_process: too many live children\n");
  std::abort();
}

void Untrack(pid_t pid) {
  for (auto& slot : live_children) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

void OnTerminationSignal(int signal_number) {
  KillAllChildrenNow();
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

std::string ReadFrom(const std::string& path, off_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(offset);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

off_t FileSize(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return 0;
  return info.st_size;
}

constexpr absl::string_view kListeningLine = "loyaltyd listening on ";

// The port of the "listening on HOST:PORT" line in `log`, or 0.
int ParsePort(absl::string_view log) {
  size_t at = log.find(kListeningLine);
  if (at == absl::string_view::npos) return 0;
  absl::string_view rest = log.substr(at + kListeningLine.size());
  size_t end = rest.find_first_of(" \n");
  if (end == absl::string_view::npos) return 0;  // Line not complete yet.
  absl::string_view host_port = rest.substr(0, end);
  size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(host_port.substr(colon + 1), &port)) {
    return 0;
  }
  return port;
}

}  // namespace

void KillAllChildrenNow() {
  for (auto& slot : live_children) {
    pid_t pid = slot.load();
    if (pid > 0) ::kill(pid, SIGKILL);
  }
}

void KillChildrenOnTerminationSignals() {
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
    ::signal(signal_number, OnTerminationSignal);
  }
}

absl::StatusOr<std::unique_ptr<LoyaltydProcess>> LoyaltydProcess::Spawn(
    const LoyaltydOptions& options) {
  std::unique_ptr<LoyaltydProcess> process(new LoyaltydProcess(options));
  // Everything the child needs is prepared before fork: between fork and
  // exec a multi-threaded parent's child may only make async-signal-safe
  // calls.
  std::vector<std::string> args = {options.binary,   "--listen",
                                   "127.0.0.1:0",    "--data-dir",
                                   options.data_dir, "--program",
                                   options.program_path, "--keys-file",
                                   options.keys_path};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int log_fd = ::open(options.log_path.c_str(),
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(absl::StrCat("cannot open ", options.log_path,
                                            ": ", std::strerror(errno)));
  }
  process->log_offset_ = FileSize(options.log_path);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // The child dies with the test, even if the test is SIGKILLed.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  Track(pid);
  process->pid_ = pid;
  return process;
}

absl::StatusOr<std::unique_ptr<LoyaltydProcess>> LoyaltydProcess::Start(
    const LoyaltydOptions& options) {
  absl::StatusOr<std::unique_ptr<LoyaltydProcess>> process = Spawn(options);
  if (!process.ok()) return process.status();
  absl::Status listening = (*process)->WaitUntilListening();
  if (!listening.ok()) return listening;
  return process;
}

LoyaltydProcess::~LoyaltydProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  Untrack(pid_);
  pid_ = -1;
}

absl::Status LoyaltydProcess::WaitUntilListening() {
  absl::Time deadline = absl::Now() + options_.ready_timeout;
  while (true) {
    port_ = ParsePort(ReadFrom(options_.log_path, log_offset_));
    if (port_ != 0) return absl::OkStatus();
    int exit_status = 0;
    if (ReapIfEnded(&exit_status)) {
      return absl::UnavailableError(
          absl::StrCat("loyaltyd ended (status ", exit_status,
                       ") before listening; log:\n", LogTail()));
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "loyaltyd did not listen within ",
          absl::FormatDuration(options_.ready_timeout), "; log:\n", LogTail()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void LoyaltydProcess::Signal(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

bool LoyaltydProcess::ReapIfEnded(int* exit_status) {
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
  if (reaped != pid_) return false;
  *exit_status = WIFEXITED(status) ? WEXITSTATUS(status)
                                   : -WTERMSIG(status);
  Untrack(pid_);
  pid_ = -1;
  return true;
}

std::optional<int> LoyaltydProcess::ExitStatusIfEnded() {
  int exit_status = 0;
  if (pid_ <= 0 || !ReapIfEnded(&exit_status)) return std::nullopt;
  return exit_status;
}

absl::StatusOr<int> LoyaltydProcess::Wait(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int exit_status = 0;
    if (pid_ <= 0) {
      return absl::FailedPreconditionError("loyaltyd was already reaped");
    }
    if (ReapIfEnded(&exit_status)) return exit_status;
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("loyaltyd still runs after ",
                       absl::FormatDuration(timeout), "; log:\n", LogTail()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::string LoyaltydProcess::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::string LoyaltydProcess::LogTail(size_t bytes_max) const {
  std::string log = ReadFrom(options_.log_path, log_offset_);
  if (log.size() > bytes_max) log = log.substr(log.size() - bytes_max);
  return log;
}

}  // namespace loyalty::crash
