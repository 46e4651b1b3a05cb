// File: ledger/points/orders.h
//
// One member's order as the ledger knows it (OrderRecord, orders family):
// what its EARN granted for which lines, what was redeemed on it, and what
// came back. FoldOrderEntry is the fold the writer and VerifyLedger share;
// PlanReturn decides what a return takes back and gives back.
//
// Return arithmetic (every figure cumulative over the order's returns, so
// partial returns add up exactly to a full one):
//   returned eligible  = value of the returned lines outside excluded
//                        categories; for an amount, floor(eligible value
//                        left x amount / value left), so the last return
//                        of an order always brings back all of it;
//   points due back    = floor(order points x returned eligible /
//                        eligible spend) - points already due back;
//   points restored    = floor(points redeemed on the order x returned value
//                        / spend) - points already restored.
// A line with a multiplier is not weighted more than others: the order's
// points are shared over its eligible spend pro rata.
#ifndef LOYALTY_LEDGER_POINTS_ORDERS_H_
#define LOYALTY_LEDGER_POINTS_ORDERS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/storage/v1/records.pb.h"

namespace loyalty {

// Whether `entry` changes the order it names (an EARN, a RETURN or
// RESTORE, or a REDEEM or CAPTURE with an order id).
bool TouchesOrder(const loyalty::v1::LedgerEntry& entry);

// Folds `entry` into `order` (empty before the order's first entry).
// Internal when the entry cannot follow the order's state; `order` is then
// unchanged.
absl::Status FoldOrderEntry(const loyalty::v1::LedgerEntry& entry,
                             loyalty::storage::v1::OrderRecord* order);

struct ReturnPlan {
  int64_t returned_value_minor = 0;
  int64_t returned_eligible_minor = 0;
  int64_t points_due = 0;       // To take back now (before the policy).
  int64_t points_restored = 0;  // Redeemed points to give back now.
  // The returned share of what the order qualified for tiers:
  // floor(qualifying x returned eligible / eligible spend), cumulative.
  int64_t qualifying_returned = 0;
};

// InvalidArgument naming the field when a returned line's SKU is no line
// of `order` (a typo, not a business refusal: never remembered, so a
// corrected request may reuse the request id). The order must have earned.
absl::Status CheckReturnedSkus(const loyalty::storage::v1::OrderRecord& order,
                               const loyalty::v1::ReturnRequest& request);

// What returning `request` (lines or amount) of `order` means. The order
// must have earned and CheckReturnedSkus passed. FailedPrecondition
// (RETURN_EXCEEDS_ORDER) naming the line when more of a SKU, or more value,
// comes back than is left.
absl::StatusOr<ReturnPlan> PlanReturn(const loyalty::storage::v1::OrderRecord& order,
                                      const loyalty::v1::ReturnRequest& request);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_POINTS_ORDERS_H_
