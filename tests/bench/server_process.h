// File: tests/bench/server_process.h
//
// Runs a loyaltyd child process on a free loopback port, for benchmarks that
// start their own server (and time its start).
#ifndef LOYALTY_TESTS_BENCH_SERVER_PROCESS_H_
#define LOYALTY_TESTS_BENCH_SERVER_PROCESS_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"

namespace loyalty::bench {

class ServerProcess {
 public:
  // Starts `loyaltyd` with the `program` and `keys` files and waits (up to
  // 120 s) for its "listening on" line.
  static absl::StatusOr<ServerProcess> Start(const std::string& loyaltyd,
                                             const std::string& data_dir,
                                             const std::string& program,
                                             const std::string& keys,
                                             const std::string& extra_flags);
  ServerProcess(ServerProcess&& other) noexcept;
  ServerProcess& operator=(ServerProcess&&) = delete;
  ~ServerProcess();  // SIGKILL if still running.

  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }
  // From exec to the "listening" line.
  double start_ms() const { return start_ms_; }
  // SIGTERM and wait; the exit status.
  int Stop();

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  std::string address_;
  double start_ms_ = 0;
};

}  // namespace loyalty::bench

#endif  // LOYALTY_TESTS_BENCH_SERVER_PROCESS_H_
