// File: ledger/coupons/coupon_returns.h
//
// What a return does to the coupons an order used at checkout. A partial
// return keeps every use (the order's discount goes back pro rata with the
// returned value: points/orders.cc); the return that brings back the
// order's whole paid value applies each coupon's template return_policy:
//   KEEP_USED (and unset)  nothing: the coupon stays spent;
//   RESTORE                a COUPON_RESTORE gives its use back;
//   RESTORE_IF_VALID       the same, while the coupon is inside its window.
// A coupon whose template the program no longer has stays spent.
#ifndef LOYALTY_LEDGER_COUPONS_COUPON_RETURNS_H_
#define LOYALTY_LEDGER_COUPONS_COUPON_RETURNS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/engine/command.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

// Appends, for `member` right after the order's RETURN (same context and
// principal), a COUPON_RESTORE for each coupon of `order` whose policy
// gives its use back at the batch's time, and stages the coupons. Returns
// the entries as appended. `order` is the order record before the return
// that brought its whole value back.
absl::StatusOr<std::vector<loyalty::v1::LedgerEntry>> RestoreCouponsOfOrder(
    const Rules& rules, const loyalty::v1::RequestContext& context,
    const std::string& principal, const std::string& order_id,
    const loyalty::storage::v1::OrderRecord& order,
    loyalty::storage::v1::MemberRecord* member, Batch& batch);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_COUPON_RETURNS_H_
