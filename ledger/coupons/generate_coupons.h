// File: ledger/coupons/generate_coupons.h
//
// Bulk coupon codes: GenerateCoupons writes a batch of bearer coupons (no
// owner; any member may use one) of a template, in chunks. The server's
// streaming adapter (server/generate_coupons_call.h) sends one
// GenerateCouponChunk command per chunk through the single writer, in
// batch order, each one COUPON_GENERATE entry of up to
// kCouponsPerGenerateChunkMax codes, and streams each chunk's codes once it
// is synced.
//
// A batch is named by its batch id and is idempotent and resumable by it:
// the chunk starting at first_index is written once; a command for a chunk
// already written answers with that chunk (written_before), so a call
// repeated after a crash or a cut stream continues where the batch stopped
// and ends with exactly `count` distinct codes.
//
// Each chunk is also remembered under its own request id (ChunkRequestId:
// the call's request id, "/", the chunk's first index).
#ifndef LOYALTY_LEDGER_COUPONS_GENERATE_COUPONS_H_
#define LOYALTY_LEDGER_COUPONS_GENERATE_COUPONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ledger/engine/command.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// The shape of a GenerateCoupons call: an admin context with a request id
// of at most kGenerateRequestIdLengthMax characters, a batch id and a
// template id (ValidateId), 1..kCouponBatchCountMax codes.
// InvalidArgument naming the field otherwise.
absl::Status ValidateGenerateCoupons(
    const loyalty::v1::GenerateCouponsRequest& request, int64_t now_ms);

// The request id of the chunk starting at `first_index`.
std::string ChunkRequestId(absl::string_view request_id, int64_t first_index);
// The chunk command of `request`'s batch that starts at `first_index`.
loyalty::v1::GenerateCouponChunkRequest ChunkRequestOf(
    const loyalty::v1::GenerateCouponsRequest& request, int64_t first_index);
// Codes in the chunk of a batch of `count` that starts at `first_index`.
int64_t ChunkCodes(int64_t count, int64_t first_index);

// FAILED_PRECONDITION COUPON_BATCH_CONFLICT unless `batch` (a stored batch)
// is of `template_id` and `count`.
absl::Status CheckSameBatch(
    const loyalty::storage::v1::CouponBatchRecord& batch,
    absl::string_view template_id, int64_t count);

// One chunk. NOT_FOUND COUPON_TEMPLATE_NOT_FOUND for a template the program
// does not have; FAILED_PRECONDITION COUPON_BATCH_CONFLICT for a batch id
// of another template or count (or a chunk that does not start at a chunk
// of the batch or where it stopped), COUPON_BUDGET_SPENT when the first
// chunk's batch would take the template past its issuance budget (the whole
// batch counts from its first chunk, so nothing is written for a batch the
// budget cannot hold, and an accepted batch can always be finished).
struct GenerateCouponChunkCommand {
  static constexpr CommandInfo kInfo{.name = "GenerateCouponChunk",
                                     .service = Service::kAdmin,
                                     .roles = roles::kAdminOnly,
                                     .unary_rpc = false};
  using Request = loyalty::v1::GenerateCouponChunkRequest;
  using Response = loyalty::v1::GenerateCouponChunkResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<GenerateCouponChunkCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_GENERATE_COUPONS_H_
