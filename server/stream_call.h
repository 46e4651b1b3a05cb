// File: server/stream_call.h
//
// Completion-queue plumbing for server-streaming RPCs (bulk coupon codes:
// GenerateCoupons), beside async_call.h's unary calls.
//
// Lifecycle of one StreamCall:
//   kWaiting   armed on a completion queue; when a call arrives, it arms its
//              successor, counts itself in its StreamRegistry and runs the
//              handler.
//   kRunning   the handler's producer owns it and may, from any thread,
//              Write responses (queued, sent one at a time in order) and
//              then Finish once. Each write's completion comes back to
//              Proceed on the queue's thread, which sends the next queued
//              response (or, when none is left and Finish was called, the
//              status) and tells the producer (on_written), so it can hold
//              back while the client reads slowly (Waiting).
//   kFinishing the status is in flight; its completion deletes the call.
// A write that fails (the client is gone, or the server is shutting down
// and cancelled the call) makes the call dead: nothing more is started on
// it, and Finish deletes it at once instead of sending a status. So once
// the server has cancelled its calls, no operation is started after the
// queues shut down: LoyaltyServer::Shutdown waits until its registry has
// no running call before it shuts them.
// Invariant: at most one operation (a write or the finish) is in flight, so
// one tag (the call itself) serves them all.
// Like UnaryCall, a StreamCall is served raw: its request passes the request
// guard before the handler runs (a refused one finishes at once), and each
// response is serialized when its write starts.
#ifndef LOYALTY_SERVER_STREAM_CALL_H_
#define LOYALTY_SERVER_STREAM_CALL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/async_stream.h"
#include "server/async_call.h"
#include "server/status_mapping.h"

namespace loyalty {

// The streaming calls a server is running (past kWaiting, not yet deleted).
class StreamRegistry {
 public:
  void Started() {
    absl::MutexLock lock(&mutex_);
    ++running_;
  }
  void Ended() {
    absl::MutexLock lock(&mutex_);
    --running_;
  }
  // Blocks until no call is running.
  void WaitUntilNone() {
    absl::MutexLock lock(&mutex_);
    mutex_.Await(absl::Condition(
        +[](int* running) { return *running == 0; }, &running_));
  }

 private:
  absl::Mutex mutex_;
  int running_ ABSL_GUARDED_BY(mutex_) = 0;
};

template <typename Request, typename Response>
class StreamCall final : public CallBase {
 public:
  using RequestFn = std::function<void(
      grpc::ServerContext*, grpc::ByteBuffer*,
      grpc::ServerAsyncWriter<grpc::ByteBuffer>*, grpc::ServerCompletionQueue*,
      void* tag)>;
  using Handler = std::function<void(StreamCall*)>;
  // After each write: whether it went out (false: the call is dead and
  // nothing more will be sent; the producer should Finish). Called on the
  // queue's thread, never after Finish.
  using OnWritten = std::function<void(bool ok)>;

  static void Arm(const RequestFn* request_fn, const Handler* handler,
                  StreamRegistry* registry,
                  grpc::ServerCompletionQueue* queue) {
    auto* call = new StreamCall(request_fn, handler, registry, queue);
    (*request_fn)(&call->context_, &call->request_bytes_, &call->writer_,
                  queue, call);
  }

  ~StreamCall() override {
    if (counted_) registry_->Ended();
  }

  void Proceed(bool ok) override {
    if (state_ == State::kWaiting) {
      if (!ok) {  // The server is shutting down; no call arrived.
        delete this;
        return;
      }
      Arm(request_fn_, handler_, registry_, queue_);
      state_ = State::kRunning;
      registry_->Started();
      counted_ = true;
      absl::Status parsed = ParseRequestBytes(request_bytes_, &request_);
      request_bytes_.Clear();
      if (!parsed.ok()) {
        Finish(parsed);  // May delete the call.
        return;
      }
      (*handler_)(this);
      return;
    }
    if (state_ == State::kFinishing) {
      // The thread that started the finish may still hold the lock.
      { absl::MutexLock lock(&mutex_); }
      delete this;
      return;
    }
    // kRunning: a write completed.
    OnWritten tell;
    bool dead_and_finished = false;
    {
      absl::MutexLock lock(&mutex_);
      in_flight_.reset();
      if (!ok) {
        dead_ = true;
        queued_.clear();
      }
      if (!finish_.has_value()) tell = on_written_;
      dead_and_finished = StartNextLocked();
    }
    if (dead_and_finished) {
      delete this;
      return;
    }
    // `this` may be gone once the lock is released (a Finish from another
    // thread may have completed it): only the copy is used.
    if (tell) tell(ok);
  }

  grpc::ServerContext& context() { return context_; }
  const Request& request() const { return request_; }

  // Before the first Write.
  void set_on_written(OnWritten on_written) {
    absl::MutexLock lock(&mutex_);
    on_written_ = std::move(on_written);
  }
  // Responses queued or being written. Any thread, before Finish.
  size_t Waiting() {
    absl::MutexLock lock(&mutex_);
    return queued_.size() + (in_flight_.has_value() ? 1 : 0);
  }
  // Any thread, before Finish. Dropped once the call is dead.
  void Write(Response response) {
    absl::MutexLock lock(&mutex_);
    if (dead_) return;
    queued_.push_back(std::move(response));
    if (!in_flight_.has_value()) StartNextLocked();
  }
  // Any thread, once: the status goes out after every queued response. The
  // call may be deleted as soon as this returns.
  void Finish(const absl::Status& status) {
    bool dead_and_finished = false;
    {
      absl::MutexLock lock(&mutex_);
      finish_ = status;
      if (!in_flight_.has_value()) dead_and_finished = StartNextLocked();
    }
    if (dead_and_finished) delete this;
  }

 private:
  enum class State { kWaiting, kRunning, kFinishing };

  StreamCall(const RequestFn* request_fn, const Handler* handler,
             StreamRegistry* registry, grpc::ServerCompletionQueue* queue)
      : request_fn_(request_fn),
        handler_(handler),
        registry_(registry),
        queue_(queue),
        writer_(&context_) {}

  // Sends the next queued response, or the status once nothing is queued.
  // True when the call is dead and finished: nothing may be started on it
  // any more, and the caller deletes it after releasing the lock.
  bool StartNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (dead_) return finish_.has_value();
    if (!queued_.empty()) {
      in_flight_ = SerializeResponse(queued_.front());
      queued_.pop_front();
      writer_.Write(*in_flight_, this);
      return false;
    }
    if (finish_.has_value()) {
      state_ = State::kFinishing;
      writer_.Finish(ToGrpcStatus(*finish_, &context_), this);
    }
    return false;
  }

  const RequestFn* request_fn_;
  const Handler* handler_;
  StreamRegistry* const registry_;
  grpc::ServerCompletionQueue* queue_;
  grpc::ServerContext context_;
  grpc::ByteBuffer request_bytes_;
  Request request_;
  grpc::ServerAsyncWriter<grpc::ByteBuffer> writer_;
  State state_ = State::kWaiting;
  bool counted_ = false;  // In the registry's running calls.
  absl::Mutex mutex_;
  // The response being written (kept alive until its write completes).
  std::optional<grpc::ByteBuffer> in_flight_ ABSL_GUARDED_BY(mutex_);
  std::deque<Response> queued_ ABSL_GUARDED_BY(mutex_);
  std::optional<absl::Status> finish_ ABSL_GUARDED_BY(mutex_);
  // A write failed: nothing more is started on the call.
  bool dead_ ABSL_GUARDED_BY(mutex_) = false;
  OnWritten on_written_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_STREAM_CALL_H_
