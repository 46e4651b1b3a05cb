// File: tests/crash/loyaltyd_process.h
//
// The real loyaltyd binary as a child process of a test: started with
// fork/exec on 127.0.0.1:0 (the kernel picks a free port, and loyaltyd's
// "loyaltyd listening on HOST:PORT" line tells which), its stdout and stderr
// in a log file, stopped with any signal.
//
// No process outlives the test: the destructor kills a child that is still
// running with SIGKILL and reaps it, the child gets PR_SET_PDEATHSIG=SIGKILL
// so it dies with the test process even if the test is itself killed, and
// KillAllChildrenNow() (async-signal-safe) kills every live child from a
// signal handler.
//
//   auto server = LoyaltydProcess::Start(options);
//   ... (*server)->address() ...
//   (*server)->Signal(SIGKILL);
//   absl::StatusOr<int> status = (*server)->Wait(absl::Seconds(10));
#ifndef LOYALTY_TESTS_CRASH_LOYALTYD_PROCESS_H_
#define LOYALTY_TESTS_CRASH_LOYALTYD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace loyalty::crash {

struct LoyaltydOptions {
  std::string binary;        // Path of loyaltyd.
  std::string data_dir;
  std::string program_path;
  std::string keys_path;     // The API keys file (--keys-file).
  std::string log_path;      // stdout and stderr, appended.
  std::vector<std::string> extra_args;
  absl::Duration ready_timeout = absl::Seconds(60);
};

class LoyaltydProcess {
 public:
  // Starts loyaltyd without waiting for it to serve. Internal when fork fails.
  static absl::StatusOr<std::unique_ptr<LoyaltydProcess>> Spawn(
      const LoyaltydOptions& options);
  // Spawn, then WaitUntilListening.
  static absl::StatusOr<std::unique_ptr<LoyaltydProcess>> Start(
      const LoyaltydOptions& options);

  // Kills the child with SIGKILL if it still runs, and reaps it.
  ~LoyaltydProcess();
  LoyaltydProcess(const LoyaltydProcess&) = delete;
  LoyaltydProcess& operator=(const LoyaltydProcess&) = delete;

  // Waits for the "listening on" line. Unavailable (with the log's tail) when
  // the child exits first; DeadlineExceeded after options.ready_timeout.
  absl::Status WaitUntilListening();

  // Sends `signal` to the child (no-op once it was reaped).
  void Signal(int signal);

  // Waits for the child to end and reaps it. Returns its exit code, or
  // -(signal number) when a signal ended it. DeadlineExceeded when it still
  // runs after `timeout` (the child is left running).
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // The exit status (as Wait returns it) if the child has ended on its own;
  // reaps it then. nullopt while it runs.
  std::optional<int> ExitStatusIfEnded();

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string address() const;
  // The last `bytes_max` bytes of the log, for failure messages.
  std::string LogTail(size_t bytes_max = 4000) const;

 private:
  explicit LoyaltydProcess(LoyaltydOptions options)
      : options_(std::move(options)) {}
  // Reaps the child if it has ended; true when it has.
  bool ReapIfEnded(int* exit_status);

  LoyaltydOptions options_;
  pid_t pid_ = -1;
  int port_ = 0;
  // Where this run's output starts in the (appended) log file.
  off_t log_offset_ = 0;
};

// SIGKILLs every child that LoyaltydProcess started and has not reaped.
// Async-signal-safe: for signal handlers and fatal paths.
void KillAllChildrenNow();

// Installs SIGINT/SIGTERM/SIGHUP handlers that KillAllChildrenNow() and then
// end the test process with the signal's usual status.
void KillChildrenOnTerminationSignals();

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_LOYALTYD_PROCESS_H_
