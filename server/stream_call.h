// File: server/stream_call.h
//
// Completion-queue plumbing for server-streaming RPCs (bulk coupon codes:
// GenerateCoupons), beside async_call.h's unary calls.
//
// Lifecycle of one StreamCall:
//   kWaiting   armed on a completion queue; when a call arrives, it arms its
//              successor and runs the handler.
//   kRunning   the handler's producer owns it and may, from any thread,
//              Write responses (queued, sent one at a time in order) and
//              then Finish once. Each write's completion comes back to
//              Proceed on the queue's thread, which sends the next queued
//              response (or, when none is left and Finish was called, the
//              status) and tells the producer (on_written) how many
//              responses still wait, so it can hold back while the client
//              reads slowly.
//   kFinishing the status is in flight; its completion deletes the call.
// Invariant: at most one operation (a write or the finish) is in flight, so
// one tag (the call itself) serves them all.
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

template <typename Request, typename Response>
class StreamCall final : public CallBase {
 public:
  using RequestFn = std::function<void(
      grpc::ServerContext*, Request*, grpc::ServerAsyncWriter<Response>*,
      grpc::ServerCompletionQueue*, void* tag)>;
  using Handler = std::function<void(StreamCall*)>;
  // After each write: whether it went out (false: the client is gone and
  // nothing more will be sent) and how many responses still wait. Called on
  // the queue's thread, never after Finish.
  using OnWritten = std::function<void(bool ok, size_t waiting)>;

  static void Arm(const RequestFn* request_fn, const Handler* handler,
                  grpc::ServerCompletionQueue* queue) {
    auto* call = new StreamCall(request_fn, handler, queue);
    (*request_fn)(&call->context_, &call->request_, &call->writer_, queue,
                  call);
  }

  void Proceed(bool ok) override {
    if (state_ == State::kWaiting) {
      if (!ok) {  // The server is shutting down; no call arrived.
        delete this;
        return;
      }
      Arm(request_fn_, handler_, queue_);
      state_ = State::kRunning;
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
    size_t waiting = 0;
    {
      absl::MutexLock lock(&mutex_);
      in_flight_.reset();
      if (!ok) {
        broken_ = true;
        queued_.clear();
      }
      waiting = queued_.size();
      if (!finish_.has_value()) tell = on_written_;
      StartNextLocked();
    }
    // `this` may be gone once the lock is released (a Finish from another
    // thread may have completed): only the copy is used.
    if (tell) tell(ok, waiting);
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
  // Any thread, before Finish. Dropped when the client is gone.
  void Write(Response response) {
    absl::MutexLock lock(&mutex_);
    if (broken_) return;
    queued_.push_back(std::move(response));
    if (!in_flight_.has_value()) StartNextLocked();
  }
  // Any thread, once: the status goes out after every queued response.
  // The call may be deleted as soon as this returns.
  void Finish(const absl::Status& status) {
    absl::MutexLock lock(&mutex_);
    finish_ = status;
    if (!in_flight_.has_value()) StartNextLocked();
  }

 private:
  enum class State { kWaiting, kRunning, kFinishing };

  StreamCall(const RequestFn* request_fn, const Handler* handler,
             grpc::ServerCompletionQueue* queue)
      : request_fn_(request_fn),
        handler_(handler),
        queue_(queue),
        writer_(&context_) {}

  // Sends the next queued response, or the status once nothing is queued.
  void StartNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (!queued_.empty()) {
      in_flight_ = std::move(queued_.front());
      queued_.pop_front();
      writer_.Write(*in_flight_, this);
      return;
    }
    if (finish_.has_value()) {
      state_ = State::kFinishing;
      writer_.Finish(ToGrpcStatus(*finish_, &context_), this);
    }
  }

  const RequestFn* request_fn_;
  const Handler* handler_;
  grpc::ServerCompletionQueue* queue_;
  grpc::ServerContext context_;
  Request request_;
  grpc::ServerAsyncWriter<Response> writer_;
  State state_ = State::kWaiting;
  absl::Mutex mutex_;
  // The response being written (kept alive until its write completes).
  std::optional<Response> in_flight_ ABSL_GUARDED_BY(mutex_);
  std::deque<Response> queued_ ABSL_GUARDED_BY(mutex_);
  std::optional<absl::Status> finish_ ABSL_GUARDED_BY(mutex_);
  bool broken_ ABSL_GUARDED_BY(mutex_) = false;
  OnWritten on_written_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_STREAM_CALL_H_
