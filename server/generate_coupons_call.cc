#include "server/generate_coupons_call.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "ledger/common/clock.h"
#include "ledger/coupons/codes.h"
#include "ledger/coupons/generate_coupons.h"

namespace loyalty {
namespace {

using loyalty::v1::GenerateCouponChunkResponse;
using loyalty::v1::GenerateCouponsRequest;
using loyalty::v1::GenerateCouponsResponse;

class GenerateSession : public std::enable_shared_from_this<GenerateSession> {
 public:
  GenerateSession(Ledger* ledger, Caller caller, GenerateCouponsCall* call)
      : ledger_(ledger),
        caller_(std::move(caller)),
        request_(call->request()),
        call_(call) {}

  void Start() {
    call_->set_on_written(
        [self = shared_from_this()](bool ok) { self->OnWritten(ok); });
    Next();
  }

 private:
  // Sends the next chunk, or finishes the call, when no chunk is in flight.
  // Every use of call_ is under mutex_, so none can follow the Finish.
  void Next() {
    int64_t first_index = 0;
    {
      absl::MutexLock lock(&mutex_);
      if (finished_ || chunk_in_flight_) return;
      if (client_gone_) {
        FinishLocked(absl::CancelledError("the client went away"));
        return;
      }
      if (next_index_ >= request_.count()) {
        FinishLocked(absl::OkStatus());
        return;
      }
      // OnWritten calls again as the client reads.
      if (call_->Waiting() >= kStreamAheadMax) return;
      chunk_in_flight_ = true;
      first_index = next_index_;
    }
    // Outside the lock: a refusal before queueing completes inline.
    ledger_->Submit<GenerateCouponChunkCommand>(
        caller_, ChunkRequestOf(request_, first_index),
        [self = shared_from_this()](
            absl::StatusOr<GenerateCouponChunkResponse> outcome) {
          self->OnChunk(std::move(outcome));
        });
  }

  // On the ledger's completer thread (or inline for a refusal before
  // queueing): the chunk is synced; its codes go to the client.
  void OnChunk(absl::StatusOr<GenerateCouponChunkResponse> outcome) {
    absl::StatusOr<GenerateCouponsResponse> response =
        outcome.ok() ? ResponseOf(*outcome) : outcome.status();
    {
      absl::MutexLock lock(&mutex_);
      chunk_in_flight_ = false;
      if (finished_) return;
      if (!response.ok()) {
        FinishLocked(response.status());
        return;
      }
      next_index_ = response->first_index() + response->codes_size();
      call_->Write(*std::move(response));
    }
    Next();
  }

  void OnWritten(bool ok) {
    if (!ok) {
      absl::MutexLock lock(&mutex_);
      client_gone_ = true;
    }
    Next();
  }

  void FinishLocked(const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    finished_ = true;
    call_->Finish(status);
  }

  // The stream's message for a synced chunk, codes read from its entry.
  absl::StatusOr<GenerateCouponsResponse> ResponseOf(
      const GenerateCouponChunkResponse& chunk) const {
    absl::StatusOr<loyalty::v1::LedgerEntry> entry =
        ledger_->ReadEntry(chunk.sequence());
    if (!entry.ok()) return entry.status();
    const loyalty::v1::CouponsGenerated& generated = entry->coupons_generated();
    // Invariant: a chunk's answer names its own COUPON_GENERATE entry.
    if (entry->kind() != loyalty::v1::ENTRY_KIND_COUPON_GENERATE ||
        generated.batch_id() != request_.batch_id() ||
        generated.first_index() != chunk.first_index() ||
        generated.codes_size() != chunk.codes()) {
      return absl::InternalError(absl::StrCat(
          "entry ", chunk.sequence(), " is not chunk ", chunk.first_index(),
          " of batch \"", request_.batch_id(), "\""));
    }
    GenerateCouponsResponse response;
    response.set_batch_id(request_.batch_id());
    response.set_first_index(chunk.first_index());
    response.set_count(request_.count());
    response.set_replayed(chunk.written_before() || chunk.replayed());
    response.set_sequence(chunk.sequence());
    response.mutable_codes()->Reserve(generated.codes_size());
    for (const std::string& code : generated.codes()) {
      response.add_codes(FormatCouponCode(code));
    }
    return response;
  }

  Ledger* const ledger_;
  const Caller caller_;
  const GenerateCouponsRequest request_;
  // Valid until the session calls Finish on it (finished_).
  GenerateCouponsCall* const call_;
  absl::Mutex mutex_;
  int64_t next_index_ ABSL_GUARDED_BY(mutex_) = 0;
  bool chunk_in_flight_ ABSL_GUARDED_BY(mutex_) = false;
  bool client_gone_ ABSL_GUARDED_BY(mutex_) = false;
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace

void RunGenerateCoupons(Ledger* ledger, const Caller& caller,
                        GenerateCouponsCall* call) {
  absl::Status valid =
      ValidateGenerateCoupons(call->request(), SystemClock().NowMs());
  if (!valid.ok()) {
    call->Finish(valid);
    return;
  }
  std::make_shared<GenerateSession>(ledger, caller, call)->Start();
}

}  // namespace loyalty
