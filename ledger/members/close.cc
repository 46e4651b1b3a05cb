#include "ledger/members/close.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/fold.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/settle.h"
#include "ledger/points/tiers.h"
#include "ledger/points/time_driven.h"
#include "ledger/read/views.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;
using loyalty::v1::MemberIdentifier;

absl::Status CloseMemberCommand::Prepare(const Rules& rules, int64_t now_ms,
                                         Request& request, Prepared& prepared) {
  return ValidateCloseMember(request, now_ms);
}

absl::Status CloseMemberCommand::Decide(const Rules& rules, Batch& batch,
                                        Queued<CloseMemberCommand>& command) {
  auto& request = command.request;
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  // Pending points, holds and coupon reservations settle by themselves
  // (maturity, timeout); closing first would have to decide their fate out
  // of turn.
  if (member->pending_points() != 0 || member->holds_size() != 0 ||
      member->coupon_reservations_size() != 0) {
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "member \"", request.member_id(), "\" has ",
            member->pending_points(), " pending points, ",
            member->holds_size(), " open holds and ",
            member->coupon_reservations_size(),
            " open coupon reservations; close it once they have matured "
            "and been captured, committed or released")),
        loyalty::v1::ERROR_REASON_MEMBER_NOT_SETTLED);
  }
  // Voucher units are prepaid goods, not points to forfeit: they are
  // picked up, refunded, given away or left to expire first, and gifts
  // claimed or returned (a claim writes on the giver).
  if (member->voucher_dues_size() != 0) {
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "member \"", request.member_id(), "\" has ",
            member->voucher_dues_size(),
            " vouchers with units left or gifts unclaimed; close it once "
            "they are used, refunded, given away or expired")),
        loyalty::v1::ERROR_REASON_MEMBER_NOT_SETTLED);
  }

  LedgerEntry close =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_CLOSE, request.member_id());
  close.set_channel(loyalty::v1::CHANNEL_ADMIN);
  // Forfeits what is left, or writes off a debt: available ends at 0.
  close.set_points_delta(-member->available_points());
  close.set_operator_id(request.operator_id());
  close.set_reason_code(request.reason_code());
  close.set_note(request.note());
  close.set_personal_data_erased(request.erase_personal_data());
  if (request.erase_personal_data()) {
    *close.mutable_identifiers() = member->identifiers();
  }
  const LedgerEntry& appended = batch.Append(std::move(close), member);
  for (const MemberIdentifier& identifier : appended.identifiers()) {
    batch.EraseIdentifier(IdentifierKey(identifier.kind(), identifier.value()));
  }

  loyalty::v1::CloseMemberResponse response;
  *response.mutable_entry() = appended;
  *response.mutable_member() = MemberAt(*member, batch.now_ms(), rules);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
