#include "ledger/points/settle.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/coupon_reservations.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/time_driven.h"
#include "ledger/vouchers/voucher_time.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

absl::StatusOr<MemberRecord*> SettleMember(absl::string_view member_id,
                                           const Rules& rules, Batch& batch) {
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member, batch.LoadMember(member_id));
  // Coupon reservations first: they move no points, so their order among
  // the points' due entries changes nothing.
  LEDGER_RETURN_IF_ERROR(ReleaseTimedOutCouponReservations(member, batch));
  while (std::optional<LedgerEntry> due = NextDueEntry(
             *member, batch.now_ms(), rules.program, rules.time_zone)) {
    batch.Append(std::move(*due), member);
  }
  // Vouchers' own time-driven entries (gift returns, unit expiries).
  LEDGER_RETURN_IF_ERROR(SettleVoucherDues(member, batch));
  return member;
}

absl::StatusOr<MemberRecord*> LoadSettled(absl::string_view member_id,
                                          const Rules& rules, Batch& batch) {
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          SettleMember(member_id, rules, batch));
  if (member->status() == loyalty::v1::MEMBER_STATUS_CLOSED) {
    return MemberClosed(member_id);
  }
  if (member->status() == loyalty::v1::MEMBER_STATUS_MERGED) {
    return MemberMerged(*member);
  }
  return member;
}

}  // namespace loyalty
