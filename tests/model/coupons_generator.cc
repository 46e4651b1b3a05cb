// The coupon kinds of the model test's generator (see generator.h):
// IssueCoupon of the test program's templates (and now and then one it
// lacks), and RedeemCoupon of coupons the model knows, mostly by their
// owner (or the member the owner was merged into), in every spelling a
// till may type, now and then by another member or with a code nobody has.
#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "generator.h"
#include "generator_kinds.h"
#include "ledger/coupons/codes.h"

namespace loyalty::model {
namespace {

using v1::GenerateCouponChunkRequest;
using v1::IssueCouponRequest;
using v1::RedeemCouponRequest;

IssueCouponRequest IssueBase(Generator& g) {
  IssueCouponRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_member_id(g.PickMember());
  const auto& rules = ModelCouponRules();
  request.set_template_id(g.Chance(0.1) ? std::string("no-such-template")
                                        : PickFrom(g, rules).template_id);
  return request;
}

Request FreshIssue(Generator& g) {
  IssueCouponRequest request = IssueBase(g);
  const auto& members = g.model().member_order();
  if (g.Chance(0.2)) {
    // A member with open coupon reservations gets another coupon, so that
    // reserving it may meet the open-reservations limit.
    for (const std::string& member_id : members) {
      std::optional<PointsState> points = g.model().Projected(member_id);
      if (points.has_value() && !points->coupon_reservations.empty()) {
        request.set_member_id(member_id);
        request.set_template_id("welcome");
        return request;
      }
    }
  }
  if (g.Chance(0.15) && !members.empty()) {
    // One "triple" per member: the three oldest members (never closed)
    // soon have theirs, so LIMIT_REACHED comes in every run.
    request.set_template_id("triple");
    request.set_member_id(members[static_cast<size_t>(g.Uniform(
        0, std::min<int64_t>(2, static_cast<int64_t>(members.size()) - 1)))]);
  } else if (g.Chance(0.2) && !members.empty()) {
    // Combinable coupons to a few members, so that orders stack them.
    static const std::vector<std::string> kCombinable = {
        "five-off", "half-coffee", "double"};
    request.set_template_id(PickFrom(g, kCombinable));
    request.set_member_id(members[static_cast<size_t>(g.Uniform(
        0, std::min<int64_t>(4, static_cast<int64_t>(members.size()) - 1)))]);
  }
  return request;
}

// The templates with limits, for members that may be at them.
Request BoundaryIssue(Generator& g) {
  IssueCouponRequest request = IssueBase(g);
  if (g.Chance(0.5)) {
    request.set_template_id("scarce");
  } else {
    // One coupon per member: the oldest member soon has it.
    request.set_template_id("triple");
    if (!g.model().member_order().empty()) {
      request.set_member_id(g.model().member_order().front());
    }
  }
  return request;
}

std::string MalformIssue(Generator& g, Request* r) {
  auto& request = std::get<IssueCouponRequest>(*r);
  switch (g.Uniform(0, 4)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.set_template_id("has space");
      return "template_id not an id";
    case 2:
      request.clear_template_id();
      return "template_id empty";
    case 3:
      request.set_member_id(std::string(kIdLengthMax + 1, 'm'));
      return "member_id 65 characters";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateIssue(Generator& g, Request* r) {
  auto& request = std::get<IssueCouponRequest>(*r);
  const auto& rules = ModelCouponRules();
  for (const CouponRule& rule : rules) {
    if (rule.template_id != request.template_id()) {
      request.set_template_id(rule.template_id);
      return;
    }
  }
}

// `canonical` as a till may type it.
std::string Spelled(Generator& g, const std::string& canonical) {
  std::string printed = FormatCouponCode(canonical);
  switch (g.Uniform(0, 3)) {
    case 0:
      return printed;
    case 1:
      return absl::AsciiStrToLower(printed);
    case 2:
      return absl::StrReplaceAll(printed, {{"-", ""}});
    default:
      return absl::StrReplaceAll(printed, {{"-", " "}});
  }
}

// A coupon the model knows, or null if none: mostly one of the latest
// issued (still valid, with uses left), sometimes any.
// Coupons issued by program rules come with many earns: the generator
// presents one in eight of them (by sequence, drawing nothing), so that
// IssueCoupon's coupons, with their checkout rules and return policies,
// stay most of what commands name.
bool PresentedByGenerator(const CouponState& coupon) {
  return coupon.rule_id.empty() || coupon.issued_sequence % 8 == 0;
}

const CouponState* PickCoupon(Generator& g, bool nearly_used_up) {
  std::vector<const CouponState*> candidates;
  for (const auto& [code, coupon] : g.model().coupons()) {
    if (!PresentedByGenerator(coupon)) continue;
    if (!nearly_used_up || coupon.uses_allowed - coupon.uses <= 1) {
      candidates.push_back(&coupon);
    }
  }
  if (candidates.empty()) return nullptr;
  std::sort(candidates.begin(), candidates.end(),
            [](const CouponState* a, const CouponState* b) {
              return a->issued_sequence > b->issued_sequence;
            });
  if (candidates.size() > 6 && g.Chance(0.75)) candidates.resize(6);
  return PickFrom(g, candidates);
}

// Bulk coupon codes: one of the newest bearer codes, or null if none.
const CouponState* PickBearerCoupon(Generator& g) {
  std::vector<const CouponState*> bearer;
  for (const auto& [code, coupon] : g.model().coupons()) {
    if (!coupon.batch_id.empty()) bearer.push_back(&coupon);
  }
  if (bearer.empty()) return nullptr;
  std::sort(bearer.begin(), bearer.end(),
            [](const CouponState* a, const CouponState* b) {
              return a->issued_sequence > b->issued_sequence;
            });
  if (bearer.size() > 10) bearer.resize(10);
  // Half the time one of "triple" (a per-member limit), when there is one.
  if (g.Chance(0.5)) {
    for (const CouponState* coupon : bearer) {
      if (coupon->template_id == "triple") return coupon;
    }
  }
  return PickFrom(g, bearer);
}

RedeemCouponRequest RedeemBase(Generator& g, bool nearly_used_up) {
  RedeemCouponRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_order_id(g.NewOrderId());
  const CouponState* coupon = g.Chance(0.3) ? PickBearerCoupon(g) : nullptr;
  // Now and then the newest store-bound coupon with uses left, which the
  // many coupons of rules and rewards would otherwise crowd out of the
  // picks (its till is the wrong store half the time, below).
  if (coupon == nullptr && g.Chance(0.08)) {
    for (const auto& [code, candidate] : g.model().coupons()) {
      if (candidate.template_id == "store-7" &&
          candidate.uses < candidate.uses_allowed &&
          (coupon == nullptr ||
           candidate.issued_sequence > coupon->issued_sequence)) {
        coupon = &candidate;
      }
    }
  }
  if (coupon == nullptr) coupon = PickCoupon(g, nearly_used_up);
  if (coupon == nullptr || g.Chance(0.05)) {
    // A code nobody has, with a right check character.
    request.set_member_id(g.PickMember());
    request.set_code(Spelled(g, g.NewCode()));
    return request;
  }
  request.set_code(Spelled(g, coupon->code));
  const int64_t roll = g.Uniform(0, 99);
  if (!coupon->batch_id.empty()) {
    // A bearer code (bulk coupon codes): any member; mostly one that has
    // used the template's bearer codes already, so its per-member limit is
    // met.
    std::vector<std::string> users;
    for (const auto& [key, uses] : g.model().bearer_uses()) {
      if (key.first == coupon->template_id && uses > 0) {
        users.push_back(key.second);
      }
    }
    request.set_member_id(!users.empty() && g.Chance(0.6) ? PickFrom(g, users)
                                                          : g.PickMember());
  } else if (roll < 80) {
    request.set_member_id(g.model().Resolve(coupon->owner));
  } else if (roll < 90) {
    request.set_member_id(coupon->owner);  // Maybe an alias now.
  } else {
    request.set_member_id(g.PickMember());  // Mostly somebody else.
  }
  // Where the template allows it, or just not: a till in the wrong store,
  // the app's coupon at a till.
  if (coupon->template_id == "app-only") {
    if (g.Chance(0.6)) {
      request.mutable_context()->set_channel(v1::CHANNEL_APP);
      request.mutable_context()->clear_store_id();
    } else {
      request.mutable_context()->set_channel(v1::CHANNEL_POS);
      request.mutable_context()->set_store_id("store-7");
    }
  }
  if (coupon->template_id == "store-7") {
    request.mutable_context()->set_channel(v1::CHANNEL_POS);
    request.mutable_context()->set_store_id(g.Chance(0.5) ? "store-7"
                                                          : "store-8");
  }
  return request;
}

Request FreshRedeemCoupon(Generator& g) { return RedeemBase(g, false); }
Request BoundaryRedeemCoupon(Generator& g) { return RedeemBase(g, true); }

std::string MalformRedeemCoupon(Generator& g, Request* r) {
  auto& request = std::get<RedeemCouponRequest>(*r);
  switch (g.Uniform(0, 6)) {
    case 0: {
      // One character changed: the check character catches it.
      std::string code = ModelCanonicalCode(request.code());
      if (code.size() != 16) code = g.NewCode();
      std::string printed = FormatCouponCode(code);
      printed[0] = printed[0] == 'A' ? 'B' : 'A';
      request.set_code(printed);
      return "code with a typo";
    }
    case 1:
      request.set_code(request.code().substr(0, 10));
      return "code too short";
    case 2:
      request.set_code("7K2M-9QXD-4HBA-T0CU-Z");
      return "code with a U";
    case 3:
      request.clear_order_id();
      return "order_id empty";
    case 4:
      request.clear_member_id();
      return "member_id empty";
    case 5:
      request.clear_code();
      return "code empty";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateRedeemCoupon(Generator& g, Request* r) {
  std::get<RedeemCouponRequest>(*r).set_order_id(g.NewOrderId());
}

// ReserveCoupon: a RedeemCoupon's choice of coupon and member, with a
// timeout that often passes before anyone commits (the clock moves up to a
// minute per command, now and then hours).
v1::ReserveCouponRequest ReserveBase(Generator& g, bool nearly_used_up) {
  const RedeemCouponRequest redeem = RedeemBase(g, nearly_used_up);
  v1::ReserveCouponRequest request;
  *request.mutable_context() = redeem.context();
  request.set_member_id(redeem.member_id());
  request.set_code(redeem.code());
  if (g.Chance(0.8)) request.set_order_id(redeem.order_id());
  const int64_t roll = g.Uniform(0, 99);
  request.set_timeout_ms(roll < 25   ? g.Uniform(kModelHoldTimeoutMinMs, 120'000)
                         : roll < 85 ? g.Uniform(600'000, 3 * 3'600'000)
                                     : kModelHoldTimeoutMaxMs);
  return request;
}

std::optional<v1::ReserveCouponRequest> ReserveMore(Generator& g);

Request FreshReserveCoupon(Generator& g) {
  if (g.in_burst(kReserveCouponKind) || g.Chance(0.6)) {
    if (std::optional<v1::ReserveCouponRequest> more = ReserveMore(g)) {
      // Now and then several reservations in a row on the busiest member,
      // before any times out: the open-reservations limit is met.
      if (!g.in_burst(kReserveCouponKind) && g.Chance(0.8)) {
        g.StartBurst(kReserveCouponKind, 4);
      }
      return *more;
    }
  }
  return ReserveBase(g, false);
}

// Towards the program's most open reservations per member: the member with
// the most open ones (then the most uses free to reserve) reserves another
// coupon of theirs with a use free (of a template any channel may use, in
// its window), for long.
std::optional<v1::ReserveCouponRequest> ReserveMore(Generator& g) {
  const Model& model = g.model();
  const int64_t now_ms = model.now_ms();
  std::map<std::string, std::vector<const CouponState*>> reservable;
  for (const auto& [code, coupon] : model.coupons()) {
    if ((coupon.template_id == "welcome" || coupon.template_id == "triple" ||
         coupon.template_id == "scarce") &&
        coupon.uses + coupon.ReservedAt(now_ms) < coupon.uses_allowed &&
        now_ms >= coupon.valid_from_ms && now_ms < coupon.valid_until_ms) {
      reservable[model.Resolve(coupon.owner)].push_back(&coupon);
    }
  }
  std::string busiest;
  int64_t best = -1;
  for (const auto& [member_id, coupons] : reservable) {
    std::optional<PointsState> points = model.Projected(member_id);
    if (!points.has_value()) continue;
    int64_t free_uses = 0;
    for (const CouponState* coupon : coupons) {
      free_uses +=
          coupon->uses_allowed - coupon->uses - coupon->ReservedAt(now_ms);
    }
    const int64_t score =
        static_cast<int64_t>(points->coupon_reservations.size()) * 100 +
        free_uses;
    if (score > best) {
      best = score;
      busiest = member_id;
    }
  }
  if (busiest.empty()) return std::nullopt;
  v1::ReserveCouponRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_member_id(busiest);
  request.set_code(Spelled(g, PickFrom(g, reservable[busiest])->code));
  request.set_timeout_ms(kModelHoldTimeoutMaxMs);
  return request;
}

Request BoundaryReserveCoupon(Generator& g) {
  if (g.Chance(0.5)) {
    if (std::optional<v1::ReserveCouponRequest> more = ReserveMore(g)) {
      return *more;
    }
  }
  v1::ReserveCouponRequest request = ReserveBase(g, true);
  if (g.Chance(0.3)) {
    request.set_timeout_ms(g.Chance(0.5) ? kModelHoldTimeoutMinMs
                                         : kModelHoldTimeoutMaxMs);
  }
  return request;
}

std::string MalformReserveCoupon(Generator& g, Request* r) {
  auto& request = std::get<v1::ReserveCouponRequest>(*r);
  switch (g.Uniform(0, 5)) {
    case 0:
      request.set_timeout_ms(g.Chance(0.5) ? kModelHoldTimeoutMinMs - 1
                                           : kModelHoldTimeoutMaxMs + 1);
      return "timeout_ms out of range";
    case 1: {
      std::string printed = FormatCouponCode(g.NewCode());
      printed[5] = printed[5] == 'A' ? 'B' : 'A';
      request.set_code(printed);
      return "code with a typo";
    }
    case 2:
      request.set_order_id(std::string(65, 'o'));
      return "order_id too long";
    case 3:
      request.clear_member_id();
      return "member_id empty";
    case 4:
      request.clear_code();
      return "code empty";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateReserveCoupon(Generator& g, Request* r) {
  auto& request = std::get<v1::ReserveCouponRequest>(*r);
  request.set_timeout_ms(request.timeout_ms() == kModelHoldTimeoutMinMs
                             ? kModelHoldTimeoutMinMs + 1
                             : kModelHoldTimeoutMinMs);
}

// CommitCoupon and ReleaseCoupon: mostly a reservation still open, by its
// member (the id that made it, or the one it resolves to after a merge);
// else an ended one (RESERVATION_NOT_ACTIVE), another member's or none
// (RESERVATION_NOT_FOUND).
v1::SettleCouponReservationRequest SettleCouponBase(Generator& g) {
  v1::SettleCouponReservationRequest request;
  *request.mutable_context() = g.ChannelContext();
  const auto& made = g.model().coupon_reservations_made();
  const int64_t roll = g.Uniform(0, 99);
  if (made.empty() || roll < 8) {
    request.set_member_id(g.PickMember());
    request.set_reservation_id(absl::StrCat("R", g.Uniform(1, 5'000'000)));
    return request;
  }
  std::pair<uint64_t, std::string> chosen =
      made[made.size() - 1 -
           g.Uniform(0, std::min<int64_t>(7, static_cast<int64_t>(made.size()) - 1))];
  if (roll < 75) {
    // An open one, if any member has one.
    for (size_t i = made.size(), looked = 0; i-- > 0 && looked < 32; ++looked) {
      std::optional<PointsState> points =
          g.model().Projected(g.model().Resolve(made[i].second));
      bool open = false;
      for (const CouponReservationState& reservation :
           points->coupon_reservations) {
        open = open || reservation.sequence == made[i].first;
      }
      if (open) {
        chosen = made[i];
        break;
      }
    }
  }
  request.set_reservation_id(absl::StrCat("R", chosen.first));
  request.set_member_id(roll >= 92      ? g.PickMember()
                        : g.Chance(0.5) ? chosen.second
                                        : g.model().Resolve(chosen.second));
  return request;
}

template <typename SettleRequest>
Request FreshSettleCoupon(Generator& g) {
  return SettleRequest{SettleCouponBase(g)};
}

template <typename SettleRequest>
Request BoundarySettleCoupon(Generator& g) {
  SettleRequest request{SettleCouponBase(g)};
  // The largest well-formed id: never a reservation.
  if (g.Chance(0.3)) {
    request.message.set_reservation_id("R18446744073709551615");
  }
  return request;
}

template <typename SettleRequest>
std::string MalformSettleCoupon(Generator& g, Request* r) {
  auto& request = std::get<SettleRequest>(*r).message;
  switch (g.Uniform(0, 4)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
    case 2: {
      static const std::vector<std::string> kBad = {
          "", "r12", "R0", "R012", "R12a", "H12", "R", "R18446744073709551616",
          "R100000000000000000000"};
      request.set_reservation_id(PickFrom(g, kBad));
      return "reservation_id not \"R\" and a sequence";
    }
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

// Commit <-> release of the same reservation: other content under the same
// request id.
template <typename SettleRequest>
void MutateSettleCoupon(Generator& g, Request* r) {
  const v1::SettleCouponReservationRequest message =
      std::get<SettleRequest>(*r).message;
  if (g.Chance(0.5)) {
    if (std::is_same_v<SettleRequest, CommitCouponRequest>) {
      *r = ReleaseCouponRequest{message};
    } else {
      *r = CommitCouponRequest{message};
    }
    return;
  }
  auto& request = std::get<SettleRequest>(*r).message;
  request.set_reservation_id(request.reservation_id() == "R1" ? "R2" : "R1");
}

}  // namespace

// Whether coupons of `template_id` may share an order (ModelCouponRules).
bool Combinable(const std::string& template_id) {
  for (const CouponRule& rule : ModelCouponRules()) {
    if (rule.template_id == template_id) return rule.combinable;
  }
  return false;
}

// An order that stacks two usable coupons of one member (mostly both
// combinable, else any two), with a basket the checkout ones accept; false
// when no member has two.
bool StackCoupons(Generator& g, v1::EarnRequest* request) {
  const Model& model = g.model();
  const bool combinable_only = g.Chance(0.5);
  std::map<std::string, std::vector<const CouponState*>> usable;
  for (const auto& [code, coupon] : model.coupons()) {
    if ((combinable_only && !Combinable(coupon.template_id)) ||
        !coupon.batch_id.empty() || !PresentedByGenerator(coupon) ||
        coupon.uses >= coupon.uses_allowed ||
        model.now_ms() >= coupon.valid_until_ms) {
      continue;
    }
    usable[model.Resolve(coupon.owner)].push_back(&coupon);
  }
  // Any two: one that may not share an order first.
  for (auto& [member_id, coupons] : usable) {
    std::stable_partition(coupons.begin(), coupons.end(),
                          [](const CouponState* coupon) {
                            return !Combinable(coupon->template_id);
                          });
  }
  std::vector<const std::vector<const CouponState*>*> stacks;
  for (const auto& [member_id, coupons] : usable) {
    if (coupons.size() >= 2 &&
        (combinable_only || !Combinable(coupons[0]->template_id))) {
      stacks.push_back(&coupons);
    }
  }
  if (stacks.empty()) return false;
  const std::vector<const CouponState*>& coupons = *PickFrom(g, stacks);
  request->set_member_id(model.Resolve(coupons[0]->owner));
  request->set_order_id(g.NewOrderId());
  request->set_currency("EUR");
  request->mutable_context()->set_channel(v1::CHANNEL_POS);
  request->mutable_context()->set_store_id("store-7");
  request->clear_lines();
  v1::BasketLine* coffee = request->add_lines();
  coffee->set_sku("coffee");
  coffee->set_quantity(g.Uniform(1, 3));
  coffee->set_unit_price_minor(g.Uniform(300, 900));
  v1::BasketLine* other = request->add_lines();
  other->set_sku(absl::StrCat("sku-", g.Uniform(1, 500)));
  other->set_quantity(1);
  other->set_unit_price_minor(g.Uniform(2000, 6000));
  request->add_coupon_codes(Spelled(g, coupons[0]->code));
  request->add_coupon_codes(Spelled(g, coupons[1]->code));
  return true;
}

void AddCouponCodes(Generator& g, v1::EarnRequest* request) {
  if (g.Chance(0.35) && StackCoupons(g, request)) return;
  const Model& model = g.model();
  // Mostly the order of a member who has a coupon with uses left: the owner
  // of one of the latest issued.
  if (g.Chance(0.8)) {
    if (const CouponState* coupon = PickCoupon(g, /*nearly_used_up=*/false);
        coupon != nullptr && coupon->batch_id.empty()) {
      request->set_member_id(model.Resolve(coupon->owner));
    }
  }
  const std::string member_id = model.Resolve(request->member_id());
  std::vector<const CouponState*> own;
  std::vector<const CouponState*> bearer;  // Bulk coupon codes: anyone's.
  for (const auto& [code, coupon] : model.coupons()) {
    if (!coupon.batch_id.empty()) {
      bearer.push_back(&coupon);
    } else if (model.Resolve(coupon.owner) == member_id &&
               PresentedByGenerator(coupon)) {
      own.push_back(&coupon);
    }
  }
  if (!bearer.empty() && g.Chance(0.3)) {
    // Newest first: a recent batch's codes have uses left.
    std::sort(bearer.begin(), bearer.end(),
              [](const CouponState* a, const CouponState* b) {
                return a->issued_sequence > b->issued_sequence;
              });
    if (bearer.size() > 8) bearer.resize(8);
    own.push_back(PickFrom(g, bearer));
    if (g.Chance(0.3)) own.push_back(PickFrom(g, bearer));
  }
  // Newest first: those are the usable ones, mostly.
  std::sort(own.begin(), own.end(),
            [](const CouponState* a, const CouponState* b) {
              return a->issued_sequence > b->issued_sequence;
            });
  if (own.size() > 5 && g.Chance(0.8)) own.resize(5);
  if (own.size() > 1 && g.Chance(0.5)) {
    // Those that may share an order, first.
    std::stable_partition(own.begin(), own.end(), [](const CouponState* c) {
      return c->template_id == "five-off" || c->template_id == "half-coffee" ||
             c->template_id == "double";
    });
    own.resize(std::min<size_t>(own.size(), 3));
  }
  const int64_t roll = g.Uniform(0, 99);
  const int count = roll < 60 ? 1 : roll < 90 ? 2 : 3;
  std::vector<std::string> codes;
  for (int c = 0; c < count; ++c) {
    const int64_t pick = g.Uniform(0, 99);
    std::string code;
    if (pick < 85 && !own.empty()) {
      code = PickFrom(g, own)->code;
    } else if (pick < 95 && !model.coupons().empty()) {
      // Any coupon: mostly somebody else's.
      auto it = model.coupons().begin();
      std::advance(it, g.Uniform(0, static_cast<int64_t>(std::min<size_t>(
                                        model.coupons().size() - 1, 200))));
      code = it->first;
    } else {
      code = g.NewCode();  // Nobody's.
    }
    if (std::find(codes.begin(), codes.end(), code) != codes.end()) continue;
    codes.push_back(code);
  }
  for (const std::string& code : codes) {
    request->add_coupon_codes(Spelled(g, code));
    auto found = model.coupons().find(code);
    if (found == model.coupons().end()) continue;
    // What the coupon asks of the basket, given mostly.
    const std::string& template_id = found->second.template_id;
    if (template_id == "half-coffee" && g.Chance(0.4)) {
      v1::BasketLine* line = request->add_lines();
      line->set_sku(g.Chance(0.6) ? "coffee" : "cake");
      line->set_quantity(g.Uniform(1, 4));
      line->set_unit_price_minor(g.Uniform(0, 900));
    }
    if (template_id == "five-off" || template_id == "half-coffee") {
      if (g.Chance(0.65)) request->set_currency("EUR");
      if (template_id == "five-off" && g.Chance(0.25)) {
        // Below its minimum spend, or just at it.
        request->clear_lines();
        v1::BasketLine* line = request->add_lines();
        line->set_sku(absl::StrCat("sku-", g.Uniform(1, 500)));
        line->set_quantity(1);
        line->set_unit_price_minor(g.Uniform(1000, 2000));
      }
    }
    // The app's and store 7's coupons where they are allowed, mostly.
    if (template_id == "app-only" && g.Chance(0.7)) {
      request->mutable_context()->set_channel(v1::CHANNEL_APP);
      request->mutable_context()->clear_store_id();
    }
    if (template_id == "store-7" && g.Chance(0.7)) {
      request->mutable_context()->set_channel(v1::CHANNEL_POS);
      request->mutable_context()->set_store_id("store-7");
    }
  }
}

std::string MalformCouponCodes(Generator& g, v1::EarnRequest* request) {
  const std::string code = g.NewCode();
  switch (g.Uniform(0, 2)) {
    case 0: {
      std::string printed = FormatCouponCode(code);
      printed[0] = printed[0] == 'A' ? 'B' : 'A';
      request->add_coupon_codes(printed);
      return "coupon_codes with a typo";
    }
    case 1:
      request->add_coupon_codes(FormatCouponCode(code));
      request->add_coupon_codes(absl::AsciiStrToLower(FormatCouponCode(code)));
      return "coupon_codes naming one coupon twice";
    default:
      for (int i = 0; i < 6; ++i) {
        request->add_coupon_codes(FormatCouponCode(g.NewCode()));
      }
      return "six coupon_codes";
  }
}

// Bulk coupon codes: chunks of GenerateCoupons batches. Batch ids come from
// a small pool, so a batch is mostly asked for again (its chunk answers as
// written) and now and then under another template or count (a conflict).
// Counts stay small: every batch here is one chunk.

namespace {

// Mostly a batch the model has (asked for again, or under another template
// or count), else a new one.
std::string PickBatchId(Generator& g) {
  const auto& batches = g.model().batches();
  if (batches.empty() || g.Chance(0.4)) {
    return absl::StrCat("batch-", g.NewOrderId());
  }
  auto it = batches.begin();
  std::advance(it, g.Uniform(0, static_cast<int64_t>(batches.size()) - 1));
  return it->first;
}

GenerateCouponChunkRequest ChunkBase(Generator& g) {
  GenerateCouponChunkRequest request;
  *request.mutable_context() = g.AdminContext();
  request.set_batch_id(PickBatchId(g));
  auto found = g.model().batches().find(request.batch_id());
  if (found != g.model().batches().end() && g.Chance(0.7)) {
    request.set_template_id(found->second.template_id);
    request.set_count(found->second.count);
  } else {
    static const std::vector<std::string> kTemplates = {
        "welcome", "triple", "triple", "scarce", "five-off", "half-coffee"};
    request.set_template_id(g.Chance(0.05) ? std::string("no-such-template")
                                           : PickFrom(g, kTemplates));
    request.set_count(g.Uniform(1, 6));
  }
  return request;
}

Request FreshChunk(Generator& g) { return ChunkBase(g); }

// A batch the budget may not hold, or a chunk that does not start where
// its batch stops.
Request BoundaryChunk(Generator& g) {
  GenerateCouponChunkRequest request = ChunkBase(g);
  if (g.Chance(0.5)) {
    request.set_batch_id(absl::StrCat("scarce-", g.Uniform(0, 30)));
    request.set_template_id("scarce");
    request.set_count(g.Uniform(1, 5));
  } else if (request.count() > 1) {
    request.set_first_index(g.Uniform(1, request.count() - 1));
  }
  return request;
}

std::string MalformChunk(Generator& g, Request* r) {
  auto& request = std::get<GenerateCouponChunkRequest>(*r);
  switch (g.Uniform(0, 7)) {
    case 0:
      request.set_count(0);
      request.set_first_index(0);
      return "count 0";
    case 1:
      request.set_count(10'000'001);
      return "count past the largest batch";
    case 2:
      request.clear_batch_id();
      return "batch_id empty";
    case 3:
      request.set_batch_id("has space");
      return "batch_id not an id";
    case 4:
      request.clear_template_id();
      return "template_id empty";
    case 5:
      request.set_first_index(-1);
      return "first_index negative";
    case 6:
      request.set_first_index(request.count());
      return "first_index at count";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/true);
  }
}

void MutateChunk(Generator& g, Request* r) {
  auto& request = std::get<GenerateCouponChunkRequest>(*r);
  request.set_count(request.count() + 1);
}

}  // namespace

extern constexpr KindSpec kGenerateCouponSpec = {
    "generate_coupons", 5,          FreshChunk, BoundaryChunk,
    MalformChunk,       MutateChunk};

extern constexpr KindSpec kIssueCouponSpec = {
    "issue_coupon", 8, FreshIssue, BoundaryIssue, MalformIssue, MutateIssue};
extern constexpr KindSpec kRedeemCouponSpec = {
    "redeem_coupon",     12,
    FreshRedeemCoupon,   BoundaryRedeemCoupon,
    MalformRedeemCoupon, MutateRedeemCoupon};
extern constexpr KindSpec kReserveCouponSpec = {
    "reserve_coupon",     12,
    FreshReserveCoupon,   BoundaryReserveCoupon,
    MalformReserveCoupon, MutateReserveCoupon};
extern constexpr KindSpec kCommitCouponSpec = {
    "commit_coupon",
    6,
    FreshSettleCoupon<CommitCouponRequest>,
    BoundarySettleCoupon<CommitCouponRequest>,
    MalformSettleCoupon<CommitCouponRequest>,
    MutateSettleCoupon<CommitCouponRequest>};
extern constexpr KindSpec kReleaseCouponSpec = {
    "release_coupon",
    3,
    FreshSettleCoupon<ReleaseCouponRequest>,
    BoundarySettleCoupon<ReleaseCouponRequest>,
    MalformSettleCoupon<ReleaseCouponRequest>,
    MutateSettleCoupon<ReleaseCouponRequest>};

}  // namespace loyalty::model
