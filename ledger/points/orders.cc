#include "ledger/points/orders.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/status_util.h"

namespace loyalty {
namespace {

using loyalty::v1::LedgerEntry;
using loyalty::storage::v1::OrderRecord;

__extension__ typedef __int128 Int128;

absl::Status Broken(const LedgerEntry& entry, absl::string_view problem) {
  return absl::InternalError(absl::StrCat("entry ", entry.sequence(),
                                          " (order \"", entry.order_id(),
                                          "\"): ", problem));
}

// floor(a x b / c) for non-negative a, b and positive c, with b <= c so the
// result fits whenever a does.
int64_t ShareOf(int64_t a, int64_t b, int64_t c) {
  LEDGER_CHECK(a >= 0 && b >= 0 && c > 0 && b <= c);
  return static_cast<int64_t>(static_cast<Int128>(a) * b / c);
}

absl::Status Exceeds(std::string what) {
  return WithReason(absl::FailedPreconditionError(std::move(what)),
                    loyalty::v1::ERROR_REASON_RETURN_EXCEEDS_ORDER);
}

absl::Status AddTo(const LedgerEntry& entry, int64_t delta, int64_t* total) {
  if (delta < 0 || __builtin_add_overflow(*total, delta, total)) {
    return Broken(entry, "an order total goes negative or overflows");
  }
  return absl::OkStatus();
}

}  // namespace

bool TouchesOrder(const LedgerEntry& entry) {
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_EARN:
    case loyalty::v1::ENTRY_KIND_RETURN:
    case loyalty::v1::ENTRY_KIND_RESTORE:
      return true;
    case loyalty::v1::ENTRY_KIND_REDEEM:
    case loyalty::v1::ENTRY_KIND_CAPTURE:
      return !entry.order_id().empty();
    default:
      return false;
  }
}

absl::Status FoldOrderEntry(const LedgerEntry& entry, OrderRecord* order) {
  OrderRecord next = *order;
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_EARN:
      if (next.earn_sequence() != 0) return Broken(entry, "earned twice");
      next.set_earn_sequence(entry.sequence());
      next.set_currency(entry.currency());
      // The order's value is what was paid: coupons' discounts are not
      // refunded by a return.
      if (entry.coupon_discount_minor() < 0 ||
          entry.coupon_discount_minor() > entry.spend_minor()) {
        return Broken(entry, "coupon discounts beyond the basket");
      }
      next.set_spend_minor(entry.spend_minor() - entry.coupon_discount_minor());
      *next.mutable_coupon_codes() = entry.coupon_codes();
      next.set_eligible_spend_minor(entry.eligible_spend_minor());
      next.set_points(entry.points_delta());
      next.set_qualifying_amount(entry.qualifying_delta());
      next.set_qualifying_month(entry.qualifying_month());
      for (const loyalty::v1::EarnedLine& line : entry.earned_lines()) {
        loyalty::storage::v1::OrderLine* kept = next.add_lines();
        kept->set_sku(line.sku());
        kept->set_quantity(line.quantity());
        kept->set_unit_price_minor(line.unit_price_minor());
        kept->set_excluded(line.excluded());
        kept->set_discount_minor(line.discount_minor());
        if (!line.excluded() && !entry.earned_on_gross()) {
          kept->set_eligible_discount_minor(line.discount_minor());
        }
      }
      break;
    case loyalty::v1::ENTRY_KIND_REDEEM:
    case loyalty::v1::ENTRY_KIND_CAPTURE: {
      int64_t redeemed = next.redeemed_points();
      LEDGER_RETURN_IF_ERROR(AddTo(entry, -entry.points_delta(), &redeemed));
      next.set_redeemed_points(redeemed);
      break;
    }
    case loyalty::v1::ENTRY_KIND_RETURN: {
      if (next.earn_sequence() == 0) {
        return Broken(entry, "a return of an order that never earned");
      }
      for (const loyalty::v1::ReturnLine& returned : entry.returned_lines()) {
        int64_t left = returned.quantity();
        for (loyalty::storage::v1::OrderLine& line : *next.mutable_lines()) {
          if (line.sku() != returned.sku() || left == 0) continue;
          int64_t take = std::min(left, line.quantity() - line.returned_quantity());
          line.set_returned_quantity(line.returned_quantity() + take);
          left -= take;
        }
        if (left != 0) return Broken(entry, "returns more than was bought");
      }
      int64_t value = next.returned_value_minor();
      int64_t eligible = next.returned_eligible_minor();
      int64_t reversed = next.reversed_points();
      LEDGER_RETURN_IF_ERROR(AddTo(entry, entry.returned_value_minor(), &value));
      LEDGER_RETURN_IF_ERROR(
          AddTo(entry, entry.returned_eligible_minor(), &eligible));
      LEDGER_RETURN_IF_ERROR(
          AddTo(entry, entry.pending_reversed_points(), &reversed));
      LEDGER_RETURN_IF_ERROR(AddTo(entry, -entry.points_delta(), &reversed));
      LEDGER_RETURN_IF_ERROR(AddTo(entry, entry.forgiven_points(), &reversed));
      if (value > next.spend_minor() ||
          eligible > next.eligible_spend_minor() || reversed > next.points()) {
        return Broken(entry, "returns more than the order had");
      }
      next.set_returned_value_minor(value);
      next.set_returned_eligible_minor(eligible);
      next.set_reversed_points(reversed);
      break;
    }
    case loyalty::v1::ENTRY_KIND_RESTORE: {
      int64_t restored = next.restored_points();
      LEDGER_RETURN_IF_ERROR(AddTo(entry, entry.points_delta(), &restored));
      if (restored > next.redeemed_points()) {
        return Broken(entry, "restores more than was redeemed on the order");
      }
      next.set_restored_points(restored);
      break;
    }
    default:
      return Broken(entry, "this kind does not change an order");
  }
  *order = std::move(next);
  return absl::OkStatus();
}

absl::Status CheckReturnedSkus(const OrderRecord& order,
                               const loyalty::v1::ReturnRequest& request) {
  // Invariant: the caller checked the order earned.
  LEDGER_CHECK(order.earn_sequence() != 0);
  for (int i = 0; i < request.lines_size(); ++i) {
    const std::string& sku = request.lines(i).sku();
    bool in_order = false;
    for (const loyalty::storage::v1::OrderLine& line : order.lines()) {
      in_order = in_order || line.sku() == sku;
    }
    if (!in_order) {
      return InvalidField(
          absl::StrCat("lines[", i, "].sku"),
          absl::StrCat("\"", sku, "\" is no line of order \"",
                       request.order_id(), "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ReturnPlan> PlanReturn(const OrderRecord& order,
                                      const loyalty::v1::ReturnRequest& request) {
  // Invariant: the caller checked the order earned.
  LEDGER_CHECK(order.earn_sequence() != 0);
  ReturnPlan plan;
  if (request.lines_size() > 0) {
    for (int i = 0; i < request.lines_size(); ++i) {
      const loyalty::v1::ReturnLine& returned = request.lines(i);
      int64_t left = returned.quantity();
      int64_t bought = 0;
      int64_t available = 0;
      for (const loyalty::storage::v1::OrderLine& line : order.lines()) {
        if (line.sku() != returned.sku()) continue;
        bought += line.quantity();
        int64_t take =
            std::min(left, line.quantity() - line.returned_quantity());
        available += line.quantity() - line.returned_quantity();
        left -= take;
        // A line's discount goes back with its units, pro rata, so that
        // returning every unit returns exactly the whole discount.
        auto discount_share = [&](int64_t discount_minor) {
          return ShareOf(discount_minor, line.returned_quantity() + take,
                         line.quantity()) -
                 ShareOf(discount_minor, line.returned_quantity(),
                         line.quantity());
        };
        // Quantities and prices were validated at earn: the products fit.
        plan.returned_value_minor +=
            take * line.unit_price_minor() - discount_share(line.discount_minor());
        if (!line.excluded()) {
          plan.returned_eligible_minor +=
              take * line.unit_price_minor() -
              discount_share(line.eligible_discount_minor());
        }
      }
      // Invariant: CheckReturnedSkus passed.
      LEDGER_CHECK(bought > 0);
      if (left > 0) {
        return Exceeds(absl::StrCat(
            "lines[", i, "].quantity: ", returned.quantity(), " of \"",
            returned.sku(), "\" returned, but only ", available, " of ",
            bought, " bought are left to return"));
      }
    }
  } else {
    plan.returned_value_minor = request.amount_minor();
    const int64_t value_left =
        order.spend_minor() - order.returned_value_minor();
    if (plan.returned_value_minor > value_left) {
      return Exceeds(absl::StrCat("amount_minor: ", request.amount_minor(),
                                  " returned, but only ", value_left,
                                  " of the order's ", order.spend_minor(),
                                  " are left to return"));
    }
    // The amount's share of what is left, so that returning the whole
    // value left returns the whole eligible value left, however earlier
    // returns (of lines or amounts) split it.
    plan.returned_eligible_minor = ShareOf(
        order.eligible_spend_minor() - order.returned_eligible_minor(),
        plan.returned_value_minor, value_left);
  }
  const int64_t value_cum =
      order.returned_value_minor() + plan.returned_value_minor;
  if (value_cum > order.spend_minor()) {
    return Exceeds(absl::StrCat(
        "the order's value is ", order.spend_minor(), " and ",
        order.returned_value_minor(), " of it came back already; this return "
        "adds ", plan.returned_value_minor));
  }
  // Lines returned after an amount return may add more eligible value than
  // is left: the eligible figure never passes the order's.
  plan.returned_eligible_minor = std::min(
      plan.returned_eligible_minor,
      order.eligible_spend_minor() - order.returned_eligible_minor());
  const int64_t eligible_cum =
      order.returned_eligible_minor() + plan.returned_eligible_minor;
  if (order.eligible_spend_minor() > 0) {
    plan.points_due = ShareOf(order.points(), eligible_cum,
                              order.eligible_spend_minor()) -
                      order.reversed_points();
  }
  if (order.eligible_spend_minor() > 0 && order.qualifying_amount() > 0) {
    plan.qualifying_returned =
        ShareOf(order.qualifying_amount(), eligible_cum,
                order.eligible_spend_minor()) -
        ShareOf(order.qualifying_amount(), order.returned_eligible_minor(),
                order.eligible_spend_minor());
  }
  if (order.spend_minor() > 0) {
    plan.points_restored =
        ShareOf(order.redeemed_points(), value_cum, order.spend_minor()) -
        order.restored_points();
  }
  plan.points_due = std::max<int64_t>(plan.points_due, 0);
  plan.points_restored = std::max<int64_t>(plan.points_restored, 0);
  return plan;
}

}  // namespace loyalty
