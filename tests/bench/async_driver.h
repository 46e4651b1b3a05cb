// File: tests/bench/async_driver.h
//
// A completion-queue gRPC client that keeps a fixed number of calls in
// flight (closed loop), or issues them at a fixed rate (open loop, for
// latency at a given load), over several channels, and records each call's
// latency. The workload decides what each next call is.
#ifndef LOYALTY_TESTS_BENCH_ASYNC_DRIVER_H_
#define LOYALTY_TESTS_BENCH_ASYNC_DRIVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "loyalty/v1/loyalty_service.grpc.pb.h"
#include "tests/bench/latency_recorder.h"

namespace loyalty::bench {

int64_t NowUs();

// One call in flight. Subclasses hold the typed response.
struct PendingCall {
  virtual ~PendingCall() = default;
  std::string rpc;
  int64_t started_us = 0;
  grpc::ClientContext context;
  grpc::Status status;
  // Whether the outcome is an expected answer (OK, or a business rejection
  // the workload asked for); errors are counted apart.
  std::function<bool(const grpc::Status&)> accept = [](const grpc::Status& s) {
    return s.ok();
  };
  // Called on completion with the call (for workloads that chain calls).
  std::function<void(PendingCall&)> on_done;
};

template <typename Response>
struct TypedCall final : PendingCall {
  Response response;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader;
};

struct GenericCall final : PendingCall {
  grpc::ByteBuffer response;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
};

// The channels, stubs and completion queue calls are issued on.
class Connection {
 public:
  Connection(const std::string& address, int channels, std::string api_key);
  int channel_count() const { return static_cast<int>(channels_.size()); }
  loyalty::v1::LoyaltyService::Stub& loyalty(int i) { return *loyalty_[i]; }
  loyalty::v1::AdminService::Stub& admin(int i) { return *admin_[i]; }
  grpc::GenericStub& generic(int i) { return *generic_[i]; }
  grpc::CompletionQueue* queue() { return &queue_; }
  // Stamps auth metadata and a deadline on a call.
  void Prepare(PendingCall& call, const std::string& rpc) const;

 private:
  std::string api_key_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<loyalty::v1::LoyaltyService::Stub>> loyalty_;
  std::vector<std::unique_ptr<loyalty::v1::AdminService::Stub>> admin_;
  std::vector<std::unique_ptr<grpc::GenericStub>> generic_;
  grpc::CompletionQueue queue_;
};

// Issues one call on channel `channel` of `connection`; the driver owns it.
using IssueFn = std::function<void(Connection& connection, int channel)>;

struct DriveOptions {
  int outstanding = 32;
  // 0: closed loop. Otherwise calls start at this rate (open loop), with at
  // most `outstanding` in flight.
  double rate_per_s = 0;
  double warmup_s = 2;
  double duration_s = 10;
  // Stop issuing after this many calls (0: no limit); for preloading.
  uint64_t calls_max = 0;
  // Called once when warmup ends and once when the measured window ends
  // (server counters are read there).
  std::function<void()> on_measure_start;
  std::function<void()> on_measure_end;
};

struct DriveResult {
  LatencyRecorder recorder;  // Only calls that started after warmup.
  double measured_s = 0;
};

// Runs `issue` in a loop per the options, polling `connection`'s queue on
// the calling thread, until the time or call budget ends and every call in
// flight has completed.
DriveResult Drive(Connection& connection, const DriveOptions& options,
                  const IssueFn& issue);

// Starts `call` (already Prepare()d) via the stub's AsyncXxx method.
template <typename Request, typename Response, typename Stub, typename Method>
void StartCall(Connection& connection, Stub& stub, Method method,
               const Request& request, TypedCall<Response>* call) {
  call->reader = (stub.*method)(&call->context, request, connection.queue());
  call->reader->Finish(&call->response, &call->status, call);
}

// The gRPC health check (the trivial RPC of every report).
void StartHealthCheck(Connection& connection, int channel);

}  // namespace loyalty::bench

#endif  // LOYALTY_TESTS_BENCH_ASYNC_DRIVER_H_
