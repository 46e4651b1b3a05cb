#include "ledger/coupons/coupon_reservations.h"

#include <string>
#include <vector>

#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/engine/command.h"

namespace loyalty {

using loyalty::storage::v1::CouponRecord;
using loyalty::storage::v1::CouponReservation;
using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

absl::Status ReleaseTimedOutCouponReservations(MemberRecord* member,
                                               Batch& batch) {
  std::vector<CouponReservation> expired;
  for (const CouponReservation& reservation : member->coupon_reservations()) {
    if (reservation.expires_at_ms() <= batch.now_ms()) {
      expired.push_back(reservation);
    }
  }
  std::sort(expired.begin(), expired.end(),
            [](const CouponReservation& a, const CouponReservation& b) {
              return a.expires_at_ms() != b.expires_at_ms()
                         ? a.expires_at_ms() < b.expires_at_ms()
                         : a.sequence() < b.sequence();
            });
  for (const CouponReservation& reservation : expired) {
    const std::string coupon_key = CouponKey(reservation.code());
    LEDGER_ASSIGN_OR_RETURN(
        CouponRecord * coupon,
        batch.LoadRecord<CouponRecord>(Family::kCoupons, coupon_key));
    // Invariant: a member lists only reservations its coupon lists.
    LEDGER_CHECK(coupon->code() == reservation.code());
    LedgerEntry entry;
    entry.set_member_id(member->member_id());
    entry.set_kind(loyalty::v1::ENTRY_KIND_COUPON_RELEASE);
    entry.set_bucket(loyalty::v1::BUCKET_AVAILABLE);
    entry.set_principal(std::string(kSystemPrincipal));
    entry.set_occurred_at_ms(reservation.expires_at_ms());
    entry.set_order_id(reservation.order_id());
    loyalty::v1::CouponReleased* released = entry.mutable_coupon_released();
    released->set_code(reservation.code());
    released->set_template_id(coupon->template_id());
    released->set_reservation_id(reservation.reservation_id());
    released->set_timed_out(true);
    LedgerEntry appended = batch.Append(std::move(entry), member);
    // Invariant: the coupon lists the reservation and it has expired.
    LEDGER_CHECK(
        fold::FoldCouponEntry(appended, coupon, nullptr, nullptr).ok());
    batch.StageRecord(Family::kCoupons, coupon_key);
  }
  return absl::OkStatus();
}

}  // namespace loyalty
