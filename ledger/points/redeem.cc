#include "ledger/points/redeem.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/fold.h"
#include "ledger/engine/rule_support.h"
#include "ledger/offline/offline_redemption.h"
#include "ledger/points/settle.h"
#include "ledger/read/views.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

absl::Status RedeemCommand::Prepare(const Rules& rules, int64_t now_ms,
                                    Request& request, Prepared& prepared) {
  return ValidateRedeem(request, now_ms);
}

absl::Status RedeemCommand::Decide(const Rules& rules, Batch& batch,
                                   Queued<RedeemCommand>& command) {
  auto& request = command.request;
  if (request.offline()) {
    LEDGER_RETURN_IF_ERROR(CheckOfflineRedemptionAllowed(rules));
  }
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  if (request.offline()) {
    // Reconciled by the program's offline rules, never INSUFFICIENT_POINTS.
    loyalty::v1::RedeemResponse response;
    LEDGER_RETURN_IF_ERROR(DecideOfflineRedeem(
        rules, batch, command.principal, request, member, &response));
    command.response = std::move(response);
    return absl::OkStatus();
  }
  // Invariant: validation bounds points to (0, 10^15].
  LEDGER_CHECK(request.points() > 0);
  LEDGER_RETURN_IF_ERROR(
      CheckDelta(*member, loyalty::v1::ENTRY_KIND_REDEEM, -request.points()));
  // Points redeemed on an order come back in part if it is returned.
  if (!request.order_id().empty()) {
    LEDGER_RETURN_IF_ERROR(
        batch.LoadOrder(OrderKey(request.member_id(), request.order_id()))
            .status());
  }

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_REDEEM, request.member_id());
  entry.set_points_delta(-request.points());
  entry.set_order_id(request.order_id());
  LedgerEntry appended = batch.Append(std::move(entry), member);

  loyalty::v1::RedeemResponse response;
  *response.mutable_entry() = std::move(appended);
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms(), rules);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
