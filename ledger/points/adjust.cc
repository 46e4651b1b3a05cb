#include "ledger/points/adjust.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/fold.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/settle.h"
#include "ledger/points/time_driven.h"
#include "ledger/read/views.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

absl::Status AdjustCommand::Prepare(const Rules& rules, int64_t now_ms,
                                    Request& request, Prepared& prepared) {
  return ValidateAdjust(request, now_ms);
}

absl::Status AdjustCommand::Decide(const Rules& rules, Batch& batch,
                                   Queued<AdjustCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  LEDGER_CHECK(request.points_delta() != 0);
  LEDGER_RETURN_IF_ERROR(CheckDelta(*member, loyalty::v1::ENTRY_KIND_ADJUST,
                                    request.points_delta()));

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_ADJUST, request.member_id());
  entry.set_channel(loyalty::v1::CHANNEL_ADMIN);
  entry.set_points_delta(request.points_delta());
  entry.set_operator_id(request.operator_id());
  entry.set_reason_code(request.reason_code());
  entry.set_note(request.note());
  if (request.points_delta() > 0) {
    // A credit is a new lot, dated by when the operator made it.
    entry.set_lot_expires_at_ms(LotExpiresAtMs(
        rules.program.expiry(), rules.time_zone, batch.now_ms()));
  }
  LedgerEntry appended = batch.Append(std::move(entry), member);

  loyalty::v1::AdjustResponse response;
  *response.mutable_entry() = std::move(appended);
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms(), rules);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
