#include "tests/bench/async_driver.h"

#include <thread>

namespace loyalty::bench {

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Connection::Connection(const std::string& address, int channels,
                       std::string api_key)
    : api_key_(std::move(api_key)) {
  for (int i = 0; i < channels; ++i) {
    // A distinct argument per channel keeps gRPC from sharing one connection.
    grpc::ChannelArguments args;
    args.SetInt("loyalty.bench.channel", i);
    auto channel = grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args);
    loyalty_.push_back(loyalty::v1::LoyaltyService::NewStub(channel));
    admin_.push_back(loyalty::v1::AdminService::NewStub(channel));
    generic_.push_back(std::make_unique<grpc::GenericStub>(channel));
    channels_.push_back(std::move(channel));
  }
}

void Connection::Prepare(PendingCall& call, const std::string& rpc) const {
  call.rpc = rpc;
  call.started_us = NowUs();
  call.context.AddMetadata("authorization", "Bearer " + api_key_);
  call.context.set_deadline(std::chrono::system_clock::now() +
                            std::chrono::seconds(30));
}

void StartHealthCheck(Connection& connection, int channel) {
  auto* call = new GenericCall();
  connection.Prepare(*call, "health");
  // HealthCheckRequest{service: ""} encodes to zero bytes.
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  call->reader = connection.generic(channel).PrepareUnaryCall(
      &call->context, "/grpc.health.v1.Health/Check", request,
      connection.queue());
  call->reader->StartCall();
  call->reader->Finish(&call->response, &call->status, call);
}

DriveResult Drive(Connection& connection, const DriveOptions& options,
                  const IssueFn& issue) {
  DriveResult result;
  const int64_t start_us = NowUs();
  const int64_t measure_from_us =
      start_us + static_cast<int64_t>(options.warmup_s * 1e6);
  const int64_t stop_us =
      measure_from_us + static_cast<int64_t>(options.duration_s * 1e6);
  const double interval_us =
      options.rate_per_s > 0 ? 1e6 / options.rate_per_s : 0;
  double next_issue_us = static_cast<double>(start_us);
  int in_flight = 0;
  uint64_t issued = 0;
  int next_channel = 0;

  auto can_issue = [&](int64_t now_us) {
    if (now_us >= stop_us) return false;
    if (options.calls_max != 0 && issued >= options.calls_max) return false;
    if (in_flight >= options.outstanding) return false;
    return interval_us == 0 || now_us >= next_issue_us;
  };
  auto issue_one = [&] {
    issue(connection, next_channel);
    next_channel = (next_channel + 1) % connection.channel_count();
    ++in_flight;
    ++issued;
    next_issue_us += interval_us;
  };

  bool measuring = false;
  bool measured = false;
  while (true) {
    int64_t now_us = NowUs();
    if (!measuring && now_us >= measure_from_us) {
      measuring = true;
      if (options.on_measure_start) options.on_measure_start();
    }
    if (!measured && now_us >= stop_us) {
      measured = true;
      if (options.on_measure_end) options.on_measure_end();
    }
    while (can_issue(now_us)) {
      issue_one();
      now_us = NowUs();
    }
    bool done_issuing = now_us >= stop_us ||
                        (options.calls_max != 0 && issued >= options.calls_max);
    if (done_issuing && in_flight == 0) break;
    // Wake for the next completion, or for the next paced start.
    auto deadline = std::chrono::system_clock::now() +
                    std::chrono::microseconds(
                        interval_us > 0 ? std::max<int64_t>(
                                              1, static_cast<int64_t>(
                                                     next_issue_us) - now_us)
                                        : 100'000);
    void* tag = nullptr;
    bool ok = false;
    auto status = connection.queue()->AsyncNext(&tag, &ok, deadline);
    if (status == grpc::CompletionQueue::SHUTDOWN) break;
    if (status == grpc::CompletionQueue::TIMEOUT) continue;
    std::unique_ptr<PendingCall> call(static_cast<PendingCall*>(tag));
    --in_flight;
    const int64_t finished_us = NowUs();
    if (call->started_us >= measure_from_us && call->started_us < stop_us) {
      result.recorder.Record(call->rpc, finished_us - call->started_us,
                             call->accept(call->status));
    }
    if (call->on_done) call->on_done(*call);
  }
  result.measured_s = options.duration_s;
  return result;
}

}  // namespace loyalty::bench
