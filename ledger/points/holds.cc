#include "ledger/points/holds.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/program.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/fold.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/orders.h"
#include "ledger/points/settle.h"
#include "ledger/read/views.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

namespace {

absl::Status HoldNotActive(absl::string_view hold_id) {
  return WithReason(
      absl::FailedPreconditionError(absl::StrCat(
          "hold_id: hold \"", hold_id,
          "\" is no longer open (captured, released or timed out)")),
      loyalty::v1::ERROR_REASON_HOLD_NOT_ACTIVE);
}

absl::Status HoldNotFound(absl::string_view hold_id) {
  return WithReason(absl::NotFoundError(absl::StrCat(
                        "hold_id: this member has no hold \"", hold_id, "\"")),
                    loyalty::v1::ERROR_REASON_HOLD_NOT_FOUND);
}

// The rule of CapturePoints (`capture`) and ReleasePoints: both close the
// member's open hold, one spending its points, one giving them back.
absl::Status DecideSettleHold(const Rules& rules, Batch& batch,
                              const std::string& principal,
                              const loyalty::v1::SettleHoldRequest& request,
                              bool capture,
                              loyalty::v1::SettleHoldResponse* out) {
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  const loyalty::storage::v1::Hold* hold = nullptr;
  for (const loyalty::storage::v1::Hold& open : member->holds()) {
    if (open.hold_id() == request.hold_id()) hold = &open;
  }
  if (hold == nullptr) {
    std::optional<uint64_t> sequence = ParseHoldId(request.hold_id());
    // Invariant: validation accepted only well-formed hold ids.
    LEDGER_CHECK(sequence.has_value());
    LEDGER_ASSIGN_OR_RETURN(bool was_hold, batch.IsEntryOf(*member, *sequence,
                                                   loyalty::v1::ENTRY_KIND_HOLD));
    return was_hold ? HoldNotActive(request.hold_id())
                    : HoldNotFound(request.hold_id());
  }
  const int64_t points = hold->points();
  LedgerEntry entry = EntryFor(request.context(), principal,
                               capture ? loyalty::v1::ENTRY_KIND_CAPTURE
                                       : loyalty::v1::ENTRY_KIND_RELEASE,
                               request.member_id());
  entry.set_hold_id(hold->hold_id());
  entry.set_order_id(hold->order_id());
  if (capture) {
    if (!hold->order_id().empty()) {
      LEDGER_RETURN_IF_ERROR(
          batch.LoadOrder(OrderKey(request.member_id(), hold->order_id()))
              .status());
    }
    int64_t redeemed = 0;
    if (__builtin_add_overflow(member->redeemed_points_total(), points,
                               &redeemed)) {
      return TotalOverflow(member->redeemed_points_total(), points);
    }
    entry.set_bucket(loyalty::v1::BUCKET_HELD);
    entry.set_points_delta(-points);
  } else {
    entry.set_points_delta(points);
  }
  LedgerEntry appended = batch.Append(std::move(entry), member);

  loyalty::v1::SettleHoldResponse response;
  *response.mutable_entry() = std::move(appended);
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms(), rules);
  *out = std::move(response);
  return absl::OkStatus();
}

}  // namespace

absl::Status HoldPointsCommand::Prepare(const Rules& rules, int64_t now_ms,
                                        Request& request, Prepared& prepared) {
  return ValidateHoldPoints(request, now_ms, HoldTimeoutMaxMs(rules.program));
}

absl::Status HoldPointsCommand::Decide(const Rules& rules, Batch& batch,
                                       Queued<HoldPointsCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  if (member->holds_size() >= HoldsPerMemberMax(rules.program)) {
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "this member already has ", member->holds_size(),
            " open holds, the program's most; capture or release one")),
        loyalty::v1::ERROR_REASON_TOO_MANY_HOLDS);
  }
  // Invariant: validation bounds points to (0, 10^15].
  LEDGER_CHECK(request.points() > 0);
  LEDGER_RETURN_IF_ERROR(
      CheckDelta(*member, loyalty::v1::ENTRY_KIND_HOLD, -request.points()));

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_HOLD, request.member_id());
  entry.set_points_delta(-request.points());
  entry.set_order_id(request.order_id());
  entry.set_hold_id(HoldIdOf(batch.head().last_sequence() + 1));
  // Timeouts run on the server's clock: a client's occurred_at may be old.
  entry.set_hold_expires_at_ms(batch.now_ms() + request.timeout_ms());
  LedgerEntry appended = batch.Append(std::move(entry), member);

  loyalty::v1::HoldPointsResponse response;
  response.set_hold_id(appended.hold_id());
  response.set_expires_at_ms(appended.hold_expires_at_ms());
  *response.mutable_entry() = std::move(appended);
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms(), rules);
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status CapturePointsCommand::Prepare(const Rules& rules, int64_t now_ms,
                                           Request& request,
                                           Prepared& prepared) {
  return ValidateSettleHold(request, now_ms);
}

absl::Status CapturePointsCommand::Decide(
    const Rules& rules, Batch& batch, Queued<CapturePointsCommand>& command) {
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(command.request.mutable_member_id(), batch));
  return DecideSettleHold(rules, batch, command.principal, command.request,
                          /*capture=*/true, &command.response);
}

absl::Status ReleasePointsCommand::Prepare(const Rules& rules, int64_t now_ms,
                                           Request& request,
                                           Prepared& prepared) {
  return ValidateSettleHold(request, now_ms);
}

absl::Status ReleasePointsCommand::Decide(
    const Rules& rules, Batch& batch, Queued<ReleasePointsCommand>& command) {
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(command.request.mutable_member_id(), batch));
  return DecideSettleHold(rules, batch, command.principal, command.request,
                          /*capture=*/false, &command.response);
}

}  // namespace loyalty
