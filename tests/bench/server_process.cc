#include "tests/bench/server_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace loyalty::bench {

absl::StatusOr<ServerProcess> ServerProcess::Start(
    const std::string& loyaltyd, const std::string& data_dir,
    const std::string& program, const std::string& keys,
    const std::string& extra_flags) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return absl::InternalError("pipe failed");
  std::vector<std::string> args = {
      loyaltyd, "--listen",  "127.0.0.1:0", "--data-dir",  data_dir,
      "--program", program, "--keys-file", keys};
  for (absl::string_view flag :
       absl::StrSplit(extra_flags, ' ', absl::SkipEmpty())) {
    args.emplace_back(flag);
  }
  auto started = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  ServerProcess process;
  process.pid_ = pid;
  FILE* out = fdopen(pipe_fds[0], "r");
  char line[512];
  while (fgets(line, sizeof(line), out) != nullptr) {
    std::string text(line);
    auto at = text.find("listening on ");
    if (at == std::string::npos) continue;
    process.start_ms_ = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - started)
                            .count();
    std::string rest = text.substr(at + 13);
    process.address_ = rest.substr(0, rest.find(' '));
    break;
  }
  // Keep draining the child's stdout so it never blocks on a full pipe.
  std::thread([out] {
    char sink[512];
    while (fgets(sink, sizeof(sink), out) != nullptr) {
    }
    fclose(out);
  }).detach();
  if (process.address_.empty()) {
    return absl::UnavailableError(
        absl::StrCat(loyaltyd, " exited before it listened"));
  }
  return process;
}

ServerProcess::ServerProcess(ServerProcess&& other) noexcept
    : pid_(other.pid_),
      address_(std::move(other.address_)),
      start_ms_(other.start_ms_) {
  other.pid_ = -1;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

int ServerProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace loyalty::bench
