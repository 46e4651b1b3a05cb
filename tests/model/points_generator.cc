// Random commands of the points domain (see generator.h): earn, redeem,
// adjust, event, hold, capture, release and return, each a fresh /
// near-a-limit / malformed / changed-content builder and its row of the
// kind table (generator_kinds.h).
#include <algorithm>
#include <optional>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "generator.h"
#include "generator_kinds.h"

namespace loyalty::model {
namespace {

constexpr int kBasketLinesMax = 200;
constexpr int64_t kQuantityMax = 1'000'000;
constexpr int64_t kUnitPriceMinorMax = 1'000'000'000'000;

using v1::AdjustRequest;
using v1::BasketLine;
using v1::EarnRequest;
using v1::EnrollMemberRequest;
using v1::HoldPointsRequest;
using v1::MemberIdentifier;
using v1::RecordEventRequest;
using v1::RedeemRequest;
using v1::RequestContext;

// ---------------------------------------------------------------------------
// Earn.

// Program currencies by weight, then ones the program does not accept.
const std::vector<std::string>& EarnCurrencies() {
  static const std::vector<std::string> kCurrencies = {
      "EUR", "EUR", "EUR", "EUR", "EUR", "EUR", "EUR", "EUR", "GBP",
      "GBP", "GBP", "USD", "USD", "USD", "JPY", "CHF", "CHF"};
  return kCurrencies;
}
const std::vector<std::string>& ForeignCurrencies() {
  static const std::vector<std::string> kForeign = {"SEK", "NOK", "DKK", "XTS",
                                                    "AUD"};
  return kForeign;
}

BasketLine RandomLine(Generator& g) {
  BasketLine line;
  line.set_sku(absl::StrCat("sku-", g.Uniform(1, 500)));
  static const std::vector<std::string> kCategories = {
      "", "", "", "grocery", "Home & Garden", "kids' toys", "caf\xc3\xa9"};
  line.set_category(PickFrom(g, kCategories));
  int64_t roll = g.Uniform(0, 99);
  line.set_quantity(roll < 85   ? g.Uniform(1, 5)
                    : roll < 95 ? g.Uniform(1, 1000)
                                : g.Uniform(1, kQuantityMax));
  roll = g.Uniform(0, 99);
  line.set_unit_price_minor(roll < 80   ? g.Uniform(0, 20'000)
                            : roll < 95 ? g.Uniform(0, 100'000'000)
                                        : g.Uniform(0, kUnitPriceMinorMax));
  return line;
}

std::string EarnOrderId(Generator& g, const std::string& member_id) {
  const MemberState* member =
      g.model().FindMember(g.model().Resolve(member_id));
  if (member != nullptr && !member->orders.empty() && g.Chance(0.12)) {
    auto it = member->orders.begin();
    std::advance(it, g.Uniform(0, static_cast<int64_t>(std::min<size_t>(
                                      member->orders.size() - 1, 50))));
    return *it;  // Already earned: ALREADY_EXISTS.
  }
  const auto& members = g.model().member_order();
  if (!members.empty() && g.Chance(0.07)) {
    // An order id another member earned: fine for this one, but the two
    // cannot be merged then (ORDER_ID_CONFLICT).
    const MemberState* other = g.model().FindMember(members[g.Uniform(
        std::max<int64_t>(0, static_cast<int64_t>(members.size()) - 16),
        static_cast<int64_t>(members.size()) - 1)]);
    if (!other->orders.empty()) return *other->orders.rbegin();
  }
  return g.NewOrderId();
}

EarnRequest EarnBase(Generator& g) {
  EarnRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_member_id(g.PickMember());
  request.set_order_id(EarnOrderId(g, request.member_id()));
  request.set_currency(g.Chance(0.06) ? PickFrom(g, ForeignCurrencies())
                                      : PickFrom(g, EarnCurrencies()));
  return request;
}

Request FreshEarn(Generator& g) {
  EarnRequest request = EarnBase(g);
  int64_t lines = g.Uniform(1, 5);
  for (int64_t i = 0; i < lines; ++i) *request.add_lines() = RandomLine(g);
  if (g.Chance(0.35)) AddCouponCodes(g, &request);
  return request;
}

// Lines summing to exactly `total` (at most 4 x 10^18 + 10^12) in at most
// five lines.
void SetBasketTotal(EarnRequest* request, int64_t total) {
  request->clear_lines();
  int64_t rest = total;
  while (rest > kUnitPriceMinorMax && request->lines_size() < 4) {
    int64_t quantity = std::min(kQuantityMax, rest / kUnitPriceMinorMax);
    BasketLine* line = request->add_lines();
    line->set_sku(absl::StrCat("bulk-", request->lines_size()));
    line->set_quantity(quantity);
    line->set_unit_price_minor(kUnitPriceMinorMax);
    rest -= quantity * kUnitPriceMinorMax;
  }
  BasketLine* line = request->add_lines();
  line->set_sku("rest");
  line->set_quantity(1);
  line->set_unit_price_minor(rest);
}

Request BoundaryEarn(Generator& g) {
  EarnRequest request = EarnBase(g);
  if (g.Chance(0.5)) request.set_member_id(g.PickRich());
  constexpr int64_t kBasketMax = 4'000'000'000'000'000'000;
  switch (g.Uniform(0, 4)) {
    case 0:
    case 1: {
      // USD earns 1 point per cent: fill the balance to INT64_MAX, or one
      // point past it, or a big step towards it.
      request.set_currency("USD");
      Int128 headroom = kInt64Max - Available(g, request.member_id());
      Int128 target = headroom + g.Uniform(-2, 1);
      if (target > kBasketMax || target < 0) {
        target = kBasketMax - g.Uniform(0, 1'000'000);  // Most of the way.
      }
      SetBasketTotal(&request, static_cast<int64_t>(target));
      return request;
    }
    case 2: {
      // JPY earns 10^6 points per yen: big baskets overflow the points.
      request.set_currency("JPY");
      SetBasketTotal(&request, g.Uniform(1, kBasketMax));
      return request;
    }
    case 3: {
      // Six to twelve lines at the line maximum: the basket total overflows.
      request.set_currency("EUR");
      request.clear_lines();
      int64_t lines = g.Uniform(6, 12);
      for (int64_t i = 0; i < lines; ++i) {
        BasketLine* line = request.add_lines();
        line->set_sku(absl::StrCat("max-", i));
        line->set_quantity(kQuantityMax);
        line->set_unit_price_minor(kUnitPriceMinorMax - g.Uniform(0, 1));
      }
      return request;
    }
    default: {
      // EUR earns 1 point per 100 cents: a total just under, at or over a
      // step, split over lines.
      request.set_currency("EUR");
      int64_t total = g.Uniform(0, 1000) * 100 + g.Uniform(-1, 1);
      if (total < 0) total = 0;
      request.clear_lines();
      int64_t first = g.Uniform(0, total);
      BasketLine* a = request.add_lines();
      a->set_sku("part-a");
      a->set_quantity(1);
      a->set_unit_price_minor(first);
      BasketLine* b = request.add_lines();
      b->set_sku("part-b");
      b->set_quantity(1);
      b->set_unit_price_minor(total - first);
      return request;
    }
  }
}

std::string MalformEarn(Generator& g, Request* r) {
  auto& request = std::get<EarnRequest>(*r);
  BasketLine* line = request.mutable_lines(
      static_cast<int>(g.Uniform(0, request.lines_size() - 1)));
  switch (g.Uniform(0, 17)) {
    case 16:
      return MalformCouponCodes(g, &request);
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.set_member_id("a b");
      return "member_id with a space";
    case 2:
      request.clear_order_id();
      return "order_id empty";
    case 3:
      request.set_order_id(std::string(kIdLengthMax + 1, 'o'));
      return "order_id 65 characters";
    case 4: {
      static const std::vector<std::string> kBad = {"eur", "EURO", "", "E1R",
                                                    "EU"};
      request.set_currency(PickFrom(g, kBad));
      return "currency not three upper-case letters";
    }
    case 5:
      request.clear_lines();
      return "no lines";
    case 6:
      while (request.lines_size() <= kBasketLinesMax) {
        *request.add_lines() = request.lines(0);
      }
      return "201 lines";
    case 7:
      line->clear_sku();
      return "sku empty";
    case 8:
      line->set_sku("sku 1");
      return "sku with a space";
    case 9:
      line->set_category(std::string(65, 'c'));
      return "category 65 characters";
    case 10:
      line->set_category("a\tb");
      return "category with a control character";
    case 11:
      line->set_quantity(g.Chance(0.5) ? 0 : -3);
      return "quantity below 1";
    case 12:
      line->set_quantity(kQuantityMax + 1);
      return "quantity above 10^6";
    case 13:
      line->set_unit_price_minor(g.Chance(0.5) ? -1 : kInt64Min);
      return "unit_price_minor negative";
    case 14:
      line->set_unit_price_minor(kUnitPriceMinorMax + 1);
      return "unit_price_minor above 10^12";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateEarn(Generator& g, Request* r) {
  auto& request = std::get<EarnRequest>(*r);
  switch (g.Uniform(0, 4)) {
    case 0: {
      BasketLine* line = request.mutable_lines(0);
      line->set_unit_price_minor(line->unit_price_minor() == kUnitPriceMinorMax
                                     ? kUnitPriceMinorMax - 1
                                     : line->unit_price_minor() + 1);
      return;
    }
    case 1:
      if (request.lines_size() < kBasketLinesMax) {
        *request.add_lines() = RandomLine(g);
        return;
      }
      [[fallthrough]];
    case 2:
      request.set_order_id(g.NewOrderId());
      return;
    case 3:
      request.set_currency(request.currency() == "EUR" ? "GBP" : "EUR");
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// ---------------------------------------------------------------------------
// Redeem.

RedeemRequest RedeemBase(Generator& g) {
  RedeemRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_member_id(g.PickMember());
  request.set_order_id(g.Chance(0.9) ? g.NewOrderId() : "shared-order");
  // Often on an order the member earned, so that returns restore points.
  const MemberState* member =
      g.model().FindMember(g.model().Resolve(request.member_id()));
  if (member != nullptr && !member->orders.empty() && g.Chance(0.45)) {
    auto it = member->orders.end();
    std::advance(it, -g.Uniform(1, static_cast<int64_t>(std::min<size_t>(
                                       member->orders.size(), 5))));
    request.set_order_id(*it);
  }
  return request;
}

Request FreshRedeem(Generator& g) {
  RedeemRequest request = RedeemBase(g);
  int64_t available = Available(g, request.member_id());
  int64_t roll = g.Uniform(0, 99);
  int64_t points = 0;
  if (roll < 45 && available > 0) {
    points = g.Uniform(1, std::min(available, kPointsPerRequestMax));
  } else if (roll < 60) {
    points = available < kPointsPerRequestMax
                 ? g.Uniform(available + 1,
                             std::min(available + 1000, kPointsPerRequestMax))
                 : g.Uniform(1, kPointsPerRequestMax);
  } else if (roll < 85) {
    points = g.Uniform(1, 100);
  } else {
    points = g.Uniform(1, kPointsPerRequestMax);
  }
  request.set_points(points);
  // A till's offline redemption, synced: mostly within the day's
  // allowance, often more than the member has (debt or a refusal, by the
  // run's policy), now and then past the allowance.
  if (g.Chance(0.2)) {
    request.set_offline(true);
    const int64_t offline_roll = g.Uniform(0, 99);
    if (offline_roll < 15) {
      // A member in debt already: the DEBT policy's floor writes off what
      // would pass it.
      request.set_member_id(g.PickInDebt());
      points = g.Uniform(kModelOfflineAllowancePoints / 2,
                         kModelOfflineAllowancePoints);
    } else if (offline_roll < 55) {
      points = g.Uniform(1, kModelOfflineAllowancePoints / 2);
    } else if (offline_roll < 80) {
      points = std::clamp<int64_t>(available + g.Uniform(1, 200), 1,
                                   kModelOfflineAllowancePoints);
    } else {
      points = g.Uniform(kModelOfflineAllowancePoints - 20,
                         kModelOfflineAllowancePoints + 20);
    }
    request.set_points(points);
  }
  return request;
}

Request BoundaryRedeem(Generator& g) {
  RedeemRequest request = RedeemBase(g);
  if (g.Chance(0.5)) request.set_member_id(g.PickRich());
  int64_t available = Available(g, request.member_id());
  int64_t points = available + g.Uniform(0, 1);  // All of it, or one more.
  if (points < 1 || points > kPointsPerRequestMax) {
    points = g.Chance(0.5) ? kPointsPerRequestMax : 1;
  }
  request.set_points(points);
  // Offline: exactly the whole allowance, or one point past it.
  if (g.Chance(0.1)) {
    request.set_offline(true);
    request.set_points(kModelOfflineAllowancePoints + g.Uniform(0, 1));
  }
  return request;
}

std::string MalformRedeem(Generator& g, Request* r) {
  auto& request = std::get<RedeemRequest>(*r);
  switch (g.Uniform(0, 6)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.clear_order_id();
      return "order_id empty";
    case 2:
      request.set_points(0);
      return "points zero";
    case 3:
      request.set_points(g.Chance(0.5) ? -5 : kInt64Min);
      return "points negative";
    case 4:
      request.set_points(g.Chance(0.5) ? kPointsPerRequestMax + 1 : kInt64Max);
      return "points above 10^15";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateRedeem(Generator& g, Request* r) {
  auto& request = std::get<RedeemRequest>(*r);
  switch (g.Uniform(0, 3)) {
    case 0:
      request.set_points(request.points() == kPointsPerRequestMax
                             ? request.points() - 1
                             : request.points() + 1);
      return;
    case 1:
      request.set_order_id(g.NewOrderId());
      return;
    case 2:
      request.set_offline(!request.offline());  // Online, or offline.
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// ---------------------------------------------------------------------------
// Adjust.

AdjustRequest AdjustBase(Generator& g) {
  AdjustRequest request;
  *request.mutable_context() = g.AdminContext();
  request.set_member_id(g.PickMember());
  static const std::vector<std::string> kReasons = {
      "GOODWILL", "MIGRATION_2023", "FRAUD_REVERSAL", "X",
      std::string(32, 'Z')};
  static const std::vector<std::string> kOperators = {"agent.kim", "ops@hq",
                                                      "j_doe-2"};
  request.set_reason_code(PickFrom(g, kReasons));
  request.set_operator_id(PickFrom(g, kOperators));
  static const std::vector<std::string> kNotes = {
      "", "", "sorry for the wait", "caf\xc3\xa9 cr\xc3\xa8me refund",
      std::string(500, 'n')};
  request.set_note(PickFrom(g, kNotes));
  return request;
}

Request FreshAdjust(Generator& g) {
  AdjustRequest request = AdjustBase(g);
  int64_t available = Available(g, request.member_id());
  int64_t roll = g.Uniform(0, 99);
  int64_t delta = 0;
  if (roll < 45) {
    delta = g.Uniform(1, 10'000);
  } else if (roll < 55) {
    delta = g.Uniform(1, kPointsPerRequestMax);
  } else if (roll < 85 && available > 0) {
    delta = -g.Uniform(1, std::min(available, kPointsPerRequestMax));
  } else {
    delta = -g.Uniform(1, kPointsPerRequestMax);  // Often overdraws.
  }
  request.set_points_delta(delta);
  return request;
}

Request BoundaryAdjust(Generator& g) {
  AdjustRequest request = AdjustBase(g);
  if (g.Chance(0.5)) request.set_member_id(g.PickRich());
  const int64_t available = Available(g, request.member_id());
  const int64_t headroom = kInt64Max - available;
  int64_t delta = 0;
  switch (g.Uniform(0, 3)) {
    case 0:
      delta = -(available + g.Uniform(0, 1));  // To zero, or one below.
      break;
    case 1:
      delta = headroom + g.Uniform(0, 1);  // To INT64_MAX, or one past.
      if (headroom == kInt64Max) delta = headroom;  // Avoid the wrap.
      break;
    case 2:
      delta = kPointsPerRequestMax;
      break;
    default:
      delta = -kPointsPerRequestMax;
  }
  if (delta == 0 || delta > kPointsPerRequestMax ||
      delta < -kPointsPerRequestMax) {
    delta = g.Chance(0.5) ? kPointsPerRequestMax : -kPointsPerRequestMax;
  }
  request.set_points_delta(delta);
  return request;
}

std::string MalformAdjust(Generator& g, Request* r) {
  auto& request = std::get<AdjustRequest>(*r);
  switch (g.Uniform(0, 11)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.set_points_delta(0);
      return "points_delta zero";
    case 2:
      request.set_points_delta(g.Chance(0.5) ? kPointsPerRequestMax + 1
                                             : kInt64Max);
      return "points_delta above 10^15";
    case 3:
      request.set_points_delta(g.Chance(0.5) ? -kPointsPerRequestMax - 1
                                             : kInt64Min);
      return "points_delta below -10^15";
    case 4:
      request.clear_reason_code();
      return "reason_code empty";
    case 5:
      request.set_reason_code(g.Chance(0.5) ? "goodwill" : "GOOD WILL");
      return "reason_code not [A-Z0-9_]";
    case 6:
      request.set_reason_code(std::string(33, 'R'));
      return "reason_code 33 characters";
    case 7:
      request.clear_operator_id();
      return "operator_id empty";
    case 8:
      request.set_operator_id("agent kim");
      return "operator_id with a space";
    case 9:
      request.set_note(g.Chance(0.5) ? std::string(501, 'n') : "line\nbreak");
      return "note too long or with a control character";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/true);
  }
}

void MutateAdjust(Generator& g, Request* r) {
  auto& request = std::get<AdjustRequest>(*r);
  switch (g.Uniform(0, 2)) {
    case 0: {
      int64_t delta = request.points_delta();
      delta = delta == kPointsPerRequestMax ? delta - 1
              : delta == -1                 ? -2
                                            : delta + 1;
      request.set_points_delta(delta);
      return;
    }
    case 1:
      if (request.note().size() < 500) {
        request.set_note(request.note() + "!");
      } else {
        request.mutable_note()->pop_back();  // Stay within 500 characters.
      }
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// ---------------------------------------------------------------------------
// Engagement events.

RecordEventRequest EventBase(Generator& g) {
  RecordEventRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_member_id(g.PickMember());
  // A third of the events go to the three oldest members, so daily and
  // once-ever limits are reached within a default run.
  const auto& members = g.model().member_order();
  if (!members.empty() && g.Chance(0.33)) {
    request.set_member_id(members[g.Uniform(
        0, std::min<int64_t>(2, static_cast<int64_t>(members.size()) - 1))]);
  }
  const auto& events = g.model().events();
  // Now and then an event the program lacks (INVALID_ARGUMENT).
  request.set_event_id(g.Chance(0.04)
                           ? "no-such-event"
                           : events[g.Uniform(0, events.size() - 1)].event_id);
  if (g.Chance(0.3)) request.set_reference(absl::StrCat("ref-", g.Uniform(1, 999)));
  return request;
}

Request FreshEvent(Generator& g) { return EventBase(g); }

Request BoundaryEvent(Generator& g) {
  // A rich member: the event's points may overflow a balance or a total.
  RecordEventRequest request = EventBase(g);
  request.set_member_id(g.PickRich());
  if (g.Chance(0.5)) {
    std::string reference(kIdLengthMax, 'r');  // At the length limit.
    request.set_reference(reference);
  }
  return request;
}

std::string MalformEvent(Generator& g, Request* r) {
  auto& request = std::get<RecordEventRequest>(*r);
  switch (g.Uniform(0, 4)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.clear_event_id();
      return "event_id empty";
    case 2:
      request.set_event_id("survey now");
      return "event_id with a space";
    case 3:
      request.set_reference(std::string(kIdLengthMax + 1, 'r'));
      return "reference 65 characters";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateEvent(Generator& g, Request* r) {
  auto& request = std::get<RecordEventRequest>(*r);
  request.set_reference(request.reference() + "x");
  if (request.reference().size() > kIdLengthMax) request.set_reference("y");
  (void)g;
}

// ---------------------------------------------------------------------------
// Holds. HoldPoints mostly for seconds to hours; a third of them go to one
// member (the rich one) for small amounts, so it reaches the open-holds
// limit. CapturePoints and ReleasePoints name recent holds (often still
// open), old ones (mostly closed: captured, released or timed out), another
// member's, or an id that is no hold at all.

int64_t HoldTimeout(Generator& g) {
  const int64_t roll = g.Uniform(0, 99);
  if (roll < 35) return g.Uniform(kModelHoldTimeoutMinMs, 60'000);
  if (roll < 65) return g.Uniform(60'000, 3'600'000);
  if (roll < 90) return g.Uniform(3'600'000, kModelHoldTimeoutMaxMs);
  return g.Chance(0.5) ? kModelHoldTimeoutMinMs : kModelHoldTimeoutMaxMs;
}

HoldPointsRequest HoldBase(Generator& g, bool* busy) {
  HoldPointsRequest request;
  *request.mutable_context() = g.ChannelContext();
  *busy = g.in_burst(kHoldKind) || g.Chance(0.35);
  request.set_member_id(*busy ? g.PickRich() : g.PickMember());
  if (g.Chance(0.6)) request.set_order_id(g.NewOrderId());
  request.set_timeout_ms(*busy ? g.Uniform(3'600'000, kModelHoldTimeoutMaxMs)
                               : HoldTimeout(g));
  // Now and then a timeout that ends exactly when the member's next
  // maturity, expiry or other hold falls due: a tie the ledger must break
  // release first, then mature, then expire.
  std::optional<PointsState> points = g.model().Projected(request.member_id());
  if (points.has_value() && g.Chance(0.25)) {
    const int64_t due_ms = points->NextDueMs();
    const int64_t timeout_ms = due_ms - g.now_ms();
    if (due_ms != 0 && timeout_ms >= kModelHoldTimeoutMinMs &&
        timeout_ms <= kModelHoldTimeoutMaxMs) {
      request.set_timeout_ms(timeout_ms);
    }
  }
  return request;
}

Request FreshHold(Generator& g) {
  bool busy = false;
  HoldPointsRequest request = HoldBase(g, &busy);
  // Now and then several holds in a row on the busy member, before any
  // times out: its open-holds limit is met.
  if (busy && !g.in_burst(kHoldKind) && g.Chance(0.15)) {
    g.StartBurst(kHoldKind, 3);
  }
  const int64_t available = Available(g, request.member_id());
  const int64_t roll = g.Uniform(0, 99);
  int64_t points = 0;
  if (busy || (roll < 25 && available > 0)) {
    points = g.Uniform(1, std::clamp<int64_t>(available / 8, 1, 1000));
  } else if (roll < 55 && available > 0) {
    points = g.Uniform(1, std::min(available, kPointsPerRequestMax));
  } else if (roll < 70) {
    points = available < kPointsPerRequestMax
                 ? g.Uniform(available + 1,
                             std::min(available + 1000, kPointsPerRequestMax))
                 : g.Uniform(1, kPointsPerRequestMax);
  } else {
    points = g.Uniform(1, 100);
  }
  request.set_points(points);
  return request;
}

Request BoundaryHold(Generator& g) {
  bool busy = false;
  HoldPointsRequest request = HoldBase(g, &busy);
  if (g.Chance(0.5)) request.set_member_id(g.PickRich());
  const int64_t available = Available(g, request.member_id());
  int64_t points = available + g.Uniform(0, 1);  // All of it, or one more.
  if (points < 1 || points > kPointsPerRequestMax) {
    points = g.Chance(0.5) ? kPointsPerRequestMax : 1;
  }
  request.set_points(points);
  request.set_timeout_ms(g.Chance(0.5) ? kModelHoldTimeoutMinMs
                                       : kModelHoldTimeoutMaxMs);
  return request;
}

std::string MalformHold(Generator& g, Request* r) {
  auto& request = std::get<HoldPointsRequest>(*r);
  switch (g.Uniform(0, 9)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.set_points(g.Chance(0.5) ? 0 : -7);
      return "points not positive";
    case 2:
      request.set_points(g.Chance(0.5) ? kPointsPerRequestMax + 1 : kInt64Max);
      return "points above 10^15";
    case 3: {
      static const std::vector<int64_t> kShort = {kModelHoldTimeoutMinMs - 1, 0,
                                                  -1000, kInt64Min};
      request.set_timeout_ms(PickFrom(g, kShort));
      return "timeout_ms below 1 s";
    }
    case 4:
      request.set_timeout_ms(g.Chance(0.5) ? kModelHoldTimeoutMaxMs + 1
                                           : kInt64Max);
      return "timeout_ms above the program's hold_timeout_max_ms";
    case 5:
      request.set_order_id(std::string(kIdLengthMax + 1, 'o'));
      return "order_id 65 characters";
    case 6:
      request.set_order_id("order 7");
      return "order_id with a space";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateHold(Generator& g, Request* r) {
  auto& request = std::get<HoldPointsRequest>(*r);
  switch (g.Uniform(0, 3)) {
    case 0:
      request.set_points(request.points() == kPointsPerRequestMax
                             ? request.points() - 1
                             : request.points() + 1);
      return;
    case 1:
      request.set_timeout_ms(request.timeout_ms() == kModelHoldTimeoutMaxMs
                                 ? request.timeout_ms() - 1
                                 : request.timeout_ms() + 1);
      return;
    case 2:
      request.set_order_id(g.NewOrderId());
      return;
    default:
      MutateContext(g, request.mutable_context());
  }
}

// The most recent holds still open as of now (at most 8), newest first.
std::vector<std::pair<uint64_t, std::string>> OpenHolds(Generator& g) {
  std::vector<std::pair<uint64_t, std::string>> open;
  const auto& holds = g.model().holds_made();
  for (size_t i = holds.size(), looked = 0;
       i-- > 0 && looked < 32 && open.size() < 8; ++looked) {
    // A merged member's holds are its target's now.
    std::optional<PointsState> points =
        g.model().Projected(g.model().Resolve(holds[i].second));
    for (const Hold& hold : points->holds) {
      if (hold.sequence == holds[i].first) open.push_back(holds[i]);
    }
  }
  return open;
}

v1::SettleHoldRequest SettleBase(Generator& g) {
  v1::SettleHoldRequest request;
  *request.mutable_context() = g.ChannelContext();
  const auto& holds = g.model().holds_made();
  const int64_t size = static_cast<int64_t>(holds.size());
  const int64_t roll = g.Uniform(0, 99);
  if (holds.empty() || roll < 8) {
    // No HOLD of anyone, or another kind of entry: NOT_FOUND.
    request.set_member_id(g.PickMember());
    request.set_hold_id(absl::StrCat("H", g.Uniform(1, 5'000'000)));
    return request;
  }
  std::pair<uint64_t, std::string> hold;
  if (roll < 55) {
    const auto open = OpenHolds(g);
    hold = open.empty()
               ? holds.back()
               : open[g.Uniform(0, static_cast<int64_t>(open.size()) - 1)];
  } else if (roll < 75) {
    hold = holds[size - 1 - g.Uniform(0, std::min<int64_t>(7, size - 1))];
  } else {
    hold = holds[g.Uniform(0, size - 1)];
  }
  request.set_hold_id(absl::StrCat("H", hold.first));
  // Mostly its own member (by the id that made it, or the id it resolves
  // to after a merge); else another member's id (NOT_FOUND).
  request.set_member_id(roll >= 90      ? g.PickMember()
                        : g.Chance(0.5) ? hold.second
                                        : g.model().Resolve(hold.second));
  return request;
}

template <typename SettleRequest>
Request FreshSettle(Generator& g) {
  return SettleRequest{SettleBase(g)};
}

template <typename SettleRequest>
Request BoundarySettle(Generator& g) {
  SettleRequest request{SettleBase(g)};
  // The largest well-formed hold id: never a hold.
  if (g.Chance(0.5)) request.message.set_hold_id("H18446744073709551615");
  return request;
}

template <typename SettleRequest>
std::string MalformSettle(Generator& g, Request* r) {
  auto& request = std::get<SettleRequest>(*r).message;
  switch (g.Uniform(0, 5)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.clear_hold_id();
      return "hold_id empty";
    case 2:
    case 3: {
      static const std::vector<std::string> kBad = {
          "h12",
          "H0",
          "H012",
          "H12a",
          "H-3",
          "12",
          "H",
          "H 1",
          "H18446744073709551616",   // One past uint64.
          "H100000000000000000000",  // 21 digits.
          std::string(65, 'H')};
      request.set_hold_id(PickFrom(g, kBad));
      return "hold_id not \"H\" and a sequence";
    }
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

// Capture <-> release of the same hold with the same message: other
// content under the same request id.
template <typename SettleRequest>
void MutateSettle(Generator& g, Request* r) {
  const v1::SettleHoldRequest message = std::get<SettleRequest>(*r).message;
  switch (g.Uniform(0, 2)) {
    case 0:
      if (std::is_same_v<SettleRequest, CaptureRequest>) {
        *r = ReleaseRequest{message};
      } else {
        *r = CaptureRequest{message};
      }
      return;
    case 1: {
      auto& request = std::get<SettleRequest>(*r).message;
      request.set_hold_id(request.hold_id() == "H1" ? "H2" : "H1");
      return;
    }
    default:
      MutateContext(g, std::get<SettleRequest>(*r).mutable_context());
  }
}

// ---------------------------------------------------------------------------
// Return.

// A member with an earned order (recent ones mostly), and that order; or
// any member and an order it did not earn.
// `*coupon_order`: whether it picked an order that used coupons (then
// mostly returned whole).
v1::ReturnRequest ReturnBase(Generator& g, const OrderState** order,
                             bool* coupon_order = nullptr) {
  v1::ReturnRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_member_id(g.PickMember());
  *order = nullptr;
  // An alias's orders are its target's.
  const MemberState* member =
      g.model().FindMember(g.model().Resolve(request.member_id()));
  if (member != nullptr && !member->orders.empty() && g.Chance(0.9)) {
    auto it = member->orders.end();
    std::advance(it, -g.Uniform(1, static_cast<int64_t>(std::min<size_t>(
                                       member->orders.size(), 6))));
    request.set_order_id(*it);
    *order = &member->order_state.at(*it);
    // Often one with points redeemed on it that a return has yet to
    // restore, if the member has one.
    if (g.Chance(0.3)) {
      for (const std::string& order_id : member->orders) {
        const OrderState& state = member->order_state.at(order_id);
        if (state.redeemed > state.restored &&
            state.returned_value < state.spend_minor) {
          request.set_order_id(order_id);
          *order = &state;
        }
      }
    }
    // Often one whose points are still pending (inside the return window),
    // so that returns taking pending points come in every run.
    if (g.Chance(0.2)) {
      for (const std::string& order_id : member->orders) {
        const OrderState& state = member->order_state.at(order_id);
        for (const Lot& lot : member->points.pending) {
          if (lot.sequence == state.earn_sequence) {
            request.set_order_id(order_id);
            *order = &state;
          }
        }
      }
    }
  } else {
    request.set_order_id(g.Chance(0.5) ? g.NewOrderId() : "shared-order");
  }
  if (g.Chance(0.12)) {
    // An order that used coupons and is not wholly returned yet, of anyone:
    // its whole return settles the coupons by their return policies.
    std::vector<std::pair<const MemberState*, const std::string*>> found;
    for (const std::string& member_id : g.model().member_order()) {
      const MemberState* owner = g.model().FindMember(member_id);
      if (owner == nullptr) continue;
      for (const auto& [order_id, state] : owner->order_state) {
        if (!state.coupon_codes.empty() &&
            state.returned_value < state.spend_minor) {
          found.emplace_back(owner, &order_id);
        }
      }
    }
    if (!found.empty()) {
      const auto& [owner, order_id] = PickFrom(g, found);
      request.set_member_id(owner->member_id);
      request.set_order_id(*order_id);
      *order = &owner->order_state.at(*order_id);
      if (coupon_order != nullptr) *coupon_order = true;
    }
  }
  return request;
}

Request FreshReturn(Generator& g) {
  const OrderState* order = nullptr;
  bool coupon_order = false;
  v1::ReturnRequest request = ReturnBase(g, &order, &coupon_order);
  const int64_t value_left =
      order != nullptr ? order->spend_minor - order->returned_value : 0;
  if (coupon_order && g.Chance(0.7)) {
    // Whole (as far as the contract's amount limit allows).
    request.set_amount_minor(
        std::clamp<int64_t>(value_left, 1, kPointsPerRequestMax));
    return request;
  }
  if (order != nullptr && !order->lines.empty() && g.Chance(0.6)) {
    // Lines: some SKUs of the order (up to what is left, sometimes one
    // more), sometimes one it does not have; each SKU once.
    std::set<std::string> skus;
    for (const OrderLine& line : order->lines) {
      if (!g.Chance(0.6) || !skus.insert(line.sku).second) continue;
      int64_t left = 0;
      for (const OrderLine& same : order->lines) {
        if (same.sku == line.sku) left += same.quantity - same.returned_quantity;
      }
      int64_t quantity = left > 0 ? g.Uniform(1, left) : 1;
      if (g.Chance(0.1)) quantity = left + 1;
      quantity = std::clamp<int64_t>(quantity, 1, kQuantityMax);
      v1::ReturnLine* returned = request.add_lines();
      returned->set_sku(line.sku);
      returned->set_quantity(quantity);
    }
    if (request.lines_size() == 0 || g.Chance(0.05)) {
      v1::ReturnLine* returned = request.add_lines();
      returned->set_sku("sku-not-bought");
      returned->set_quantity(1);
    }
  } else {
    int64_t amount = value_left > 0 ? g.Uniform(1, value_left) : 1;
    if (g.Chance(0.2)) amount = value_left;      // All that is left.
    if (g.Chance(0.05)) amount = value_left + 1;  // One more.
    amount = std::clamp<int64_t>(amount, 1, kPointsPerRequestMax);
    request.set_amount_minor(amount);
  }
  return request;
}

// The whole rest of the order at once, or one unit more.
Request BoundaryReturn(Generator& g) {
  const OrderState* order = nullptr;
  v1::ReturnRequest request = ReturnBase(g, &order);
  const int64_t value_left =
      order != nullptr ? order->spend_minor - order->returned_value : 0;
  request.set_amount_minor(std::clamp<int64_t>(
      value_left + g.Uniform(0, 1), 1, kPointsPerRequestMax));
  return request;
}

std::string MalformReturn(Generator& g, Request* r) {
  auto& request = std::get<v1::ReturnRequest>(*r);
  switch (g.Uniform(0, 5)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.clear_order_id();
      return "order_id empty";
    case 2: {
      request.clear_lines();
      request.set_amount_minor(5);
      v1::ReturnLine* line = request.add_lines();
      line->set_sku("sku-1");
      line->set_quantity(1);
      return "both lines and amount";
    }
    case 3:
      request.clear_lines();
      request.set_amount_minor(g.Chance(0.5) ? 0 : -7);
      return "neither lines nor a positive amount";
    case 4: {
      request.clear_amount_minor();
      request.clear_lines();
      v1::ReturnLine* line = request.add_lines();
      line->set_sku("sku-2");
      line->set_quantity(g.Chance(0.5) ? 0 : 1);
      if (line->quantity() == 1) {
        *request.add_lines() = *line;
        return "a SKU listed twice";
      }
      return "quantity zero";
    }
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateReturn(Generator& g, Request* r) {
  auto& request = std::get<v1::ReturnRequest>(*r);
  if (request.lines_size() > 0 && g.Chance(0.5)) {
    v1::ReturnLine* line = request.mutable_lines(0);
    line->set_quantity(line->quantity() == kQuantityMax ? 1
                                                        : line->quantity() + 1);
    return;
  }
  if (request.lines_size() == 0 && g.Chance(0.5)) {
    request.set_amount_minor(request.amount_minor() == kPointsPerRequestMax
                                 ? 1
                                 : request.amount_minor() + 1);
    return;
  }
  MutateContext(g, request.mutable_context());
}

}  // namespace

extern constexpr KindSpec kEarnSpec = {"earn",       40,          FreshEarn,
                                       BoundaryEarn, MalformEarn, MutateEarn};
extern constexpr KindSpec kRedeemSpec = {
    "redeem", 25, FreshRedeem, BoundaryRedeem, MalformRedeem, MutateRedeem};
extern constexpr KindSpec kAdjustSpec = {
    "adjust", 20, FreshAdjust, BoundaryAdjust, MalformAdjust, MutateAdjust};
extern constexpr KindSpec kEventSpec = {
    "event", 15, FreshEvent, BoundaryEvent, MalformEvent, MutateEvent};
extern constexpr KindSpec kHoldSpec = {"hold",       20,          FreshHold,
                                       BoundaryHold, MalformHold, MutateHold};
extern constexpr KindSpec kCaptureSpec = {"capture",
                                          10,
                                          FreshSettle<CaptureRequest>,
                                          BoundarySettle<CaptureRequest>,
                                          MalformSettle<CaptureRequest>,
                                          MutateSettle<CaptureRequest>};
extern constexpr KindSpec kReleaseSpec = {"release",
                                          10,
                                          FreshSettle<ReleaseRequest>,
                                          BoundarySettle<ReleaseRequest>,
                                          MalformSettle<ReleaseRequest>,
                                          MutateSettle<ReleaseRequest>};
extern constexpr KindSpec kReturnSpec = {
    "return", 15, FreshReturn, BoundaryReturn, MalformReturn, MutateReturn};

}  // namespace loyalty::model
