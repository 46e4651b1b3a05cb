// File: ledger/coupons/coupon_reservations.h
//
// The ledger's side of coupon reservations: releasing those that timed out.
// Settling a member (points/settle.h) calls it before any rule reads the
// member, and the sweep settles every member with a due time, so a
// reservation nobody committed or released ends by itself.
#ifndef LOYALTY_LEDGER_COUPONS_COUPON_RESERVATIONS_H_
#define LOYALTY_LEDGER_COUPONS_COUPON_RESERVATIONS_H_

#include "absl/status/status.h"
#include "ledger/engine/batch.h"
#include "loyalty/storage/v1/records.pb.h"

namespace loyalty {

// Appends a COUPON_RELEASE with timed_out (principal "system", occurred at
// its expiry) for each of `member`'s open reservations expired by the
// batch's now, soonest first, and folds each into its coupon's record.
// Writer thread only.
absl::Status ReleaseTimedOutCouponReservations(
    loyalty::storage::v1::MemberRecord* member, Batch& batch);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_COUPON_RESERVATIONS_H_
