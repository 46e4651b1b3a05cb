// The reference model's coupon rules: IssueCoupon, RedeemCoupon and coupons
// at checkout (Earn's coupon_codes) as the contract states them
// (loyalty_service.proto, program.proto), written without the ledger's
// code. Codes are the ledger's random draw, which the harness hands in (the
// model cannot guess it).
#include <algorithm>
#include <cctype>
#include <map>

#include "absl/strings/str_cat.h"

#include "absl/strings/str_split.h"
#include "model.h"
#include "model_rules.h"

namespace loyalty::model {
namespace {

__extension__ typedef __int128 Int128;

// Whether a coupon of `rule` may be used now from `context`: the refusal in
// the contract's order (uses, window, channel, store), or nullopt.
std::optional<v1::ErrorReason> UnusableReason(const CouponState& coupon,
                                              const CouponRule& rule,
                                              const v1::RequestContext& context,
                                              int64_t now_ms) {
  // A reward cancelled for its points is never usable again.
  if (coupon.cancelled) return v1::ERROR_REASON_COUPON_USED_UP;
  // Uses set aside by open reservations count as taken.
  if (coupon.uses + coupon.ReservedAt(now_ms) >= coupon.uses_allowed) {
    return v1::ERROR_REASON_COUPON_USED_UP;
  }
  if (now_ms < coupon.valid_from_ms || now_ms >= coupon.valid_until_ms) {
    return v1::ERROR_REASON_COUPON_NOT_VALID_NOW;
  }
  if (rule.only_channel != v1::CHANNEL_UNSPECIFIED &&
      context.channel() != rule.only_channel) {
    return v1::ERROR_REASON_COUPON_WRONG_CHANNEL;
  }
  if (!rule.only_store.empty() && context.store_id() != rule.only_store) {
    return v1::ERROR_REASON_COUPON_WRONG_STORE;
  }
  return std::nullopt;
}

Expected Refused(v1::ErrorReason reason) {
  return Rejected(absl::StatusCode::kFailedPrecondition, reason);
}

}  // namespace

const CouponRule* FindCouponRule(const std::string& template_id) {
  for (const CouponRule& rule : ModelCouponRules()) {
    if (rule.template_id == template_id) return &rule;
  }
  // Coupons issued by program rules.
  for (const CouponRule& rule : ModelRuleCouponRules()) {
    if (rule.template_id == template_id) return &rule;
  }
  return nullptr;
}

const std::vector<CouponRule>& ModelCouponRules() {
  static const std::vector<CouponRule> kRules = [] {
    std::vector<CouponRule> rules;
    // Field by field: designated initializers would have to name them all.
    auto add = [&](std::string id, int32_t percent_off, int32_t valid_days) {
      CouponRule rule;
      rule.template_id = std::move(id);
      rule.percent_off = percent_off;
      rule.valid_days = valid_days;
      rules.push_back(rule);
      return &rules.back();
    };
    add("welcome", 10, 60);
    CouponRule* triple = add("triple", 5, 10);
    triple->uses = 3;
    triple->per_member_limit = 1;
    add("scarce", 50, 10)->budget = 4;
    CouponRule* app_only = add("app-only", 15, 30);
    app_only->uses = 2;
    app_only->only_channel = v1::CHANNEL_APP;
    CouponRule* store_7 = add("store-7", 20, 10);
    store_7->uses = 3;
    store_7->only_store = "store-7";
    // For checkout: 5.00 EUR off a basket of 20.00, 10.00 in all;
    CouponRule* five_off = add("five-off", 0, 30);
    five_off->amount_off_minor = 500;
    five_off->currency = "EUR";
    five_off->min_spend_minor = 2000;
    five_off->combinable = true;
    five_off->discount_budget_minor = 1000;
    five_off->return_policy = v1::COUPON_RETURN_POLICY_RESTORE;
    // half off coffee and cake (in EUR, 1.00 of them at least);
    CouponRule* half = add("half-coffee", 50, 30);
    half->eligible_skus = {"coffee", "cake"};
    half->currency = "EUR";
    half->min_spend_minor = 100;
    half->return_policy = v1::COUPON_RETURN_POLICY_RESTORE_IF_VALID;
    half->combinable = true;
    // and double points, twice.
    CouponRule* doubled = add("double", 0, 30);
    doubled->points_multiplier_percent = 200;
    doubled->uses = 2;
    doubled->combinable = true;
    return rules;
  }();
  return kRules;
}

std::string ModelCanonicalCode(const std::string& code) {
  std::string characters;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (c == 'I' || c == 'L') c = '1';
    if (c == 'O') c = '0';
    characters.push_back(c);
  }
  if (characters.size() != 17) return code;
  characters.pop_back();
  return characters;
}

Expected Model::ApplyRules(const v1::IssueCouponRequest& request,
                           const std::string& assigned_code) {
  const CouponRule* rule = FindCouponRule(request.template_id());
  if (rule == nullptr) {
    return Rejected(absl::StatusCode::kNotFound,
                    v1::ERROR_REASON_COUPON_TEMPLATE_NOT_FOUND);
  }
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  int64_t& template_count = coupon_counts_[{rule->template_id, ""}];
  int64_t& member_count =
      coupon_counts_[{rule->template_id, request.member_id()}];
  if (rule->budget != 0 && template_count >= rule->budget) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_COUPON_BUDGET_SPENT);
  }
  if (rule->per_member_limit != 0 && member_count >= rule->per_member_limit) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_COUPON_LIMIT_REACHED);
  }
  ++template_count;
  ++member_count;
  CouponState coupon;
  coupon.code = assigned_code;
  coupon.template_id = rule->template_id;
  coupon.owner = request.member_id();
  coupon.valid_from_ms = now_ms_;
  coupon.valid_until_ms = ModelDayEndMs(now_ms_, rule->valid_days);
  coupon.uses_allowed = rule->uses;
  coupon.issued_sequence = last_sequence_ + 1;
  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_COUPON_ISSUE, request.context());
  entry.coupon_code = coupon.code;
  entry.coupon_template = coupon.template_id;
  entry.coupon_valid_from_ms = coupon.valid_from_ms;
  entry.coupon_valid_until_ms = coupon.valid_until_ms;
  entry.coupon_uses_allowed = coupon.uses_allowed;
  Append(*member, std::move(entry));
  coupons_[coupon.code] = coupon;
  coupons_written_.insert(coupon.code);
  Expected ok = Ok(*member);
  ok.coupon = coupon;
  ok.coupon_count_puts = 2;
  ok.coupon_issued = true;
  ok.coupons_created = 1;
  return ok;
}

Expected Model::ApplyRules(const v1::RedeemCouponRequest& request,
                           const std::string&) {
  // The member first, as for every write.
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  const Expected not_found =
      Rejected(absl::StatusCode::kNotFound, v1::ERROR_REASON_COUPON_NOT_FOUND);
  auto found = coupons_.find(ModelCanonicalCode(request.code()));
  if (found == coupons_.end()) return not_found;
  CouponState& coupon = found->second;
  // Its owner, or the member its owner was merged into; a bearer coupon
  // (bulk coupon codes) is anyone's.
  if (coupon.batch_id.empty() && Resolve(coupon.owner) != request.member_id()) {
    return not_found;
  }
  const CouponRule* rule = FindCouponRule(coupon.template_id);
  if (auto reason = UnusableReason(coupon, *rule, request.context(), now_ms_)) {
    return Refused(*reason);
  }
  // Rules only a basket can check: the code belongs on the order's Earn.
  if (rule->min_spend_minor != 0 || rule->discount_budget_minor != 0 ||
      rule->points_multiplier_percent != 0) {
    return Refused(v1::ERROR_REASON_COUPON_NEEDS_BASKET);
  }
  if (BearerLimitReached(coupon, request.member_id(), 0)) {
    return Refused(v1::ERROR_REASON_COUPON_BEARER_LIMIT_REACHED);
  }
  ++coupon.uses;
  const bool bearer = !coupon.batch_id.empty();
  if (bearer) ++bearer_uses_[{coupon.template_id, request.member_id()}];
  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_COUPON_REDEEM, request.context());
  entry.order_id = request.order_id();
  entry.coupon_code = coupon.code;
  entry.coupon_template = coupon.template_id;
  entry.coupon_uses_after = coupon.uses;
  Append(*member, std::move(entry));
  coupons_written_.insert(coupon.code);
  Expected ok = Ok(*member);
  ok.coupon = coupon;
  ok.bearer_use_puts = bearer ? 1 : 0;
  return ok;
}

bool Model::BearerLimitReached(const CouponState& coupon,
                               const std::string& member_id,
                               int64_t extra) const {
  if (coupon.batch_id.empty()) return false;
  const CouponRule* rule = FindCouponRule(coupon.template_id);
  if (rule == nullptr || rule->per_member_limit == 0) return false;
  auto used = bearer_uses_.find({coupon.template_id, member_id});
  const int64_t uses = (used == bearer_uses_.end() ? 0 : used->second) + extra;
  return uses >= rule->per_member_limit;
}

// Bulk coupon codes: one chunk of a batch. The template first, then the
// batch: another template or count is a conflict; a chunk it has answers
// as written (no entry); else the chunk must start where the batch stopped
// and, opening the batch, the template's budget must hold the whole batch.
// The chunk is min(10,000, count - first_index) fresh codes of no owner.
Expected Model::ApplyRules(const v1::GenerateCouponChunkRequest& request,
                           const std::string& assigned_codes) {
  const CouponRule* rule = FindCouponRule(request.template_id());
  if (rule == nullptr) {
    return Rejected(absl::StatusCode::kNotFound,
                    v1::ERROR_REASON_COUPON_TEMPLATE_NOT_FOUND);
  }
  const Expected conflict = Refused(v1::ERROR_REASON_COUPON_BATCH_CONFLICT);
  auto found = batches_.find(request.batch_id());
  const bool opens = found == batches_.end();
  if (!opens) {
    const BatchState& batch = found->second;
    if (batch.template_id != request.template_id() ||
        batch.count != request.count()) {
      return conflict;
    }
    if (request.first_index() < batch.generated) {
      for (const auto& [first_index, sequence, codes] : batch.chunks) {
        if (first_index != request.first_index()) continue;
        Expected written;
        written.sequence = sequence;
        written.written_before = true;
        written.first_index = first_index;
        written.chunk_codes = codes;
        written.batch_generated = batch.generated;
        return written;
      }
      return conflict;
    }
  }
  if (request.first_index() != (opens ? 0 : found->second.generated)) {
    return conflict;
  }
  int64_t& template_count = coupon_counts_[{rule->template_id, ""}];
  if (opens && rule->budget != 0 &&
      request.count() > rule->budget - template_count) {
    return Refused(v1::ERROR_REASON_COUPON_BUDGET_SPENT);
  }
  std::vector<std::string> codes =
      absl::StrSplit(assigned_codes, ',', absl::SkipEmpty());
  BatchState& batch = batches_[request.batch_id()];
  if (opens) {
    template_count += request.count();
    batch.template_id = rule->template_id;
    batch.count = request.count();
    batch.valid_from_ms = now_ms_;
    batch.valid_until_ms = ModelDayEndMs(now_ms_, rule->valid_days);
    batch.uses_allowed = rule->uses;
  }
  ExpectedEntry entry;
  entry.kind = v1::ENTRY_KIND_COUPON_GENERATE;
  entry.principal = command_->principal;
  entry.request_id = request.context().request_id();
  entry.channel = v1::CHANNEL_ADMIN;
  entry.store_id = request.context().store_id();
  entry.terminal_id = request.context().terminal_id();
  entry.occurred_at_ms = request.context().occurred_at_ms() != 0
                             ? request.context().occurred_at_ms()
                             : now_ms_;
  entry.sequence = ++last_sequence_;
  ++memberless_entries_;
  entry.recorded_at_ms = now_ms_;
  entry.batch_id = request.batch_id();
  entry.batch_count = request.count();
  entry.first_index = request.first_index();
  entry.coupon_template = rule->template_id;
  entry.coupon_valid_from_ms = batch.valid_from_ms;
  entry.coupon_valid_until_ms = batch.valid_until_ms;
  entry.coupon_uses_allowed = batch.uses_allowed;
  entry.generated_codes = codes;
  for (const std::string& code : codes) {
    CouponState coupon;
    coupon.code = code;
    coupon.template_id = rule->template_id;
    coupon.valid_from_ms = batch.valid_from_ms;
    coupon.valid_until_ms = batch.valid_until_ms;
    coupon.uses_allowed = batch.uses_allowed;
    coupon.issued_sequence = entry.sequence;
    coupon.batch_id = request.batch_id();
    coupons_[code] = coupon;
  }
  const int32_t chunk_codes = static_cast<int32_t>(codes.size());
  batch.chunks.emplace_back(request.first_index(), entry.sequence, chunk_codes);
  batch.generated = request.first_index() + chunk_codes;
  Expected ok;
  ok.sequence = entry.sequence;
  ok.first_index = request.first_index();
  ok.chunk_codes = chunk_codes;
  ok.batch_generated = batch.generated;
  for (const std::string& code : codes) coupons_written_.insert(code);
  ok.coupons_created = chunk_codes;
  ok.coupon_count_puts = 1;
  ok.coupon_batch_puts = 1;
  ok.coupon_issued = true;
  written_.push_back(std::move(entry));
  return ok;
}

// Coupons at checkout. Each code in the request's order: the member's own
// (else COUPON_NOT_FOUND), usable now (as RedeemCoupon), in the order's
// currency if its template names one. Several codes: every one combinable.
// Then each in order, on what the ones before it left of a line: a line it
// applies to, its minimum spend reached by those lines before any discount,
// a discount above zero (percent: floor per line; amount: the smaller of
// the amount and what is left, pro rata floored, the odd units one each to
// the first lines whose share had a remainder), and room in its template's
// discount budget.
std::variant<Expected, Model::Checkout> Model::PriceCoupons(
    const std::string& member_id, const v1::EarnRequest& request) const {
  Checkout checkout;
  std::vector<const CouponRule*> rules;
  std::map<std::string, int64_t> bearer_in_order;
  for (const std::string& sent : request.coupon_codes()) {
    auto found = coupons_.find(ModelCanonicalCode(sent));
    if (found == coupons_.end() ||
        (found->second.batch_id.empty() &&
         Resolve(found->second.owner) != member_id)) {
      return Rejected(absl::StatusCode::kNotFound,
                      v1::ERROR_REASON_COUPON_NOT_FOUND);
    }
    const CouponRule* rule = FindCouponRule(found->second.template_id);
    if (auto reason =
            UnusableReason(found->second, *rule, request.context(), now_ms_)) {
      return Refused(*reason);
    }
    // Bulk coupon codes: the order's earlier bearer codes of the template
    // count against the member's limit too.
    if (!found->second.batch_id.empty()) {
      int64_t& in_order = bearer_in_order[found->second.template_id];
      if (BearerLimitReached(found->second, member_id, in_order)) {
        return Refused(v1::ERROR_REASON_COUPON_BEARER_LIMIT_REACHED);
      }
      ++in_order;
    }
    if (!rule->currency.empty() && rule->currency != request.currency()) {
      return Refused(v1::ERROR_REASON_COUPON_WRONG_CURRENCY);
    }
    checkout.coupons.push_back(&found->second);
    rules.push_back(rule);
  }
  if (rules.size() > 1) {
    for (const CouponRule* rule : rules) {
      if (!rule->combinable) {
        return Refused(v1::ERROR_REASON_COUPON_NOT_COMBINABLE);
      }
    }
  }
  const size_t n = static_cast<size_t>(request.lines_size());
  std::vector<int64_t> left(n);
  for (size_t i = 0; i < n; ++i) {
    // Earn checked that every line total fits.
    left[i] = request.lines(static_cast<int>(i)).quantity() *
              request.lines(static_cast<int>(i)).unit_price_minor();
  }
  checkout.line_discount.assign(n, 0);
  std::map<std::string, int64_t> order_given;
  for (const CouponRule* rule : rules) {
    std::vector<bool> covers(n);
    bool any = false;
    Int128 gross = 0;
    for (size_t i = 0; i < n; ++i) {
      const v1::BasketLine& line = request.lines(static_cast<int>(i));
      covers[i] = rule->eligible_skus.empty() ||
                  std::count(rule->eligible_skus.begin(),
                             rule->eligible_skus.end(), line.sku()) > 0;
      if (!covers[i]) continue;
      any = true;
      gross += Int128{line.quantity()} * line.unit_price_minor();
    }
    if (!any) return Refused(v1::ERROR_REASON_COUPON_NO_ELIGIBLE_LINES);
    if (gross < rule->min_spend_minor) {
      return Refused(v1::ERROR_REASON_COUPON_BASKET_TOO_SMALL);
    }
    if (rule->points_multiplier_percent != 0) {
      checkout.multipliers.emplace_back(covers,
                                        rule->points_multiplier_percent);
      checkout.discount_of.push_back(0);
      continue;
    }
    std::vector<int64_t> off(n, 0);
    if (rule->percent_off != 0) {
      for (size_t i = 0; i < n; ++i) {
        if (covers[i]) {
          off[i] =
              static_cast<int64_t>(Int128{left[i]} * rule->percent_off / 100);
        }
      }
    } else {
      Int128 pool = 0;
      for (size_t i = 0; i < n; ++i) {
        if (covers[i]) pool += left[i];
      }
      const Int128 amount = std::min<Int128>(rule->amount_off_minor, pool);
      Int128 placed = 0;
      for (size_t i = 0; i < n && pool > 0; ++i) {
        if (!covers[i]) continue;
        off[i] = static_cast<int64_t>(Int128{left[i]} * amount / pool);
        placed += off[i];
      }
      for (size_t i = 0; i < n && placed < amount; ++i) {
        if (covers[i] && Int128{left[i]} * amount % pool != 0) {
          ++off[i];
          ++placed;
        }
      }
    }
    int64_t total = 0;
    for (int64_t d : off) total += d;
    if (total == 0) return Refused(v1::ERROR_REASON_COUPON_NO_ELIGIBLE_LINES);
    if (rule->discount_budget_minor != 0) {
      auto given = coupon_discount_given_.find(rule->template_id);
      const int64_t so_far =
          (given == coupon_discount_given_.end() ? 0 : given->second) +
          order_given[rule->template_id];
      if (so_far + total > rule->discount_budget_minor) {
        return Refused(v1::ERROR_REASON_COUPON_DISCOUNT_BUDGET_SPENT);
      }
    }
    order_given[rule->template_id] += total;
    for (size_t i = 0; i < n; ++i) {
      left[i] -= off[i];
      checkout.line_discount[i] += off[i];
    }
    checkout.discount_of.push_back(total);
    checkout.discount_minor += total;
  }
  return checkout;
}

}  // namespace loyalty::model

// ---------------------------------------------------------------------------
// Coupon reservations (ReserveCoupon, CommitCoupon, ReleaseCoupon), as the
// contract states them: a reservation takes one use from everyone else
// until committed (a use), released, or past its timeout (the ledger
// releases it on the member's next write or sweep).

namespace loyalty::model {
namespace {

std::string ReservationIdOf(uint64_t sequence) {
  return absl::StrCat("R", sequence);
}

void EraseReservation(std::vector<CouponReservationState>* reservations,
                      uint64_t sequence) {
  std::erase_if(*reservations, [&](const CouponReservationState& open) {
    return open.sequence == sequence;
  });
}

}  // namespace

int32_t CouponState::ReservedAt(int64_t at_ms) const {
  int32_t reserved = 0;
  for (const CouponReservationState& reservation : reservations) {
    reserved += reservation.expires_at_ms > at_ms;
  }
  return reserved;
}

void Model::ReleaseTimedOutCouponReservations(MemberState& member) {
  std::vector<CouponReservationState> expired;
  for (const CouponReservationState& open : member.points.coupon_reservations) {
    if (open.expires_at_ms <= now_ms_) expired.push_back(open);
  }
  std::sort(expired.begin(), expired.end(), [](const auto& a, const auto& b) {
    return std::pair(a.expires_at_ms, a.sequence) <
           std::pair(b.expires_at_ms, b.sequence);
  });
  for (const CouponReservationState& reservation : expired) {
    CouponState& coupon = coupons_.at(reservation.code);
    EraseReservation(&coupon.reservations, reservation.sequence);
    EraseReservation(&member.points.coupon_reservations, reservation.sequence);
    ExpectedEntry entry;
    entry.member_id = member.member_id;
    entry.kind = v1::ENTRY_KIND_COUPON_RELEASE;
    entry.principal = "system";
    entry.occurred_at_ms = reservation.expires_at_ms;
    entry.order_id = reservation.order_id;
    entry.coupon_code = coupon.code;
    entry.coupon_template = coupon.template_id;
    entry.coupon_reservation_id = ReservationIdOf(reservation.sequence);
    entry.coupon_timed_out = true;
    Append(member, std::move(entry));
    coupons_written_.insert(coupon.code);
    ++counts_.coupon_reservations_timed_out;
    counts_.merged_coupon_reservations_settled +=
        merged_coupon_reservations_.count(reservation.sequence);
  }
}

Expected Model::ApplyRules(const v1::ReserveCouponRequest& request,
                           const std::string&) {
  // RedeemCoupon's checks, in its order.
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  const Expected not_found =
      Rejected(absl::StatusCode::kNotFound, v1::ERROR_REASON_COUPON_NOT_FOUND);
  auto found = coupons_.find(ModelCanonicalCode(request.code()));
  if (found == coupons_.end()) return not_found;
  CouponState& coupon = found->second;
  // A bearer code is used at once, never reserved.
  if (coupon.owner.empty()) {
    return Refused(v1::ERROR_REASON_COUPON_BEARER_NOT_RESERVABLE);
  }
  if (Resolve(coupon.owner) != request.member_id()) return not_found;
  const CouponRule* rule = FindCouponRule(coupon.template_id);
  if (auto reason = UnusableReason(coupon, *rule, request.context(), now_ms_)) {
    return Refused(*reason);
  }
  if (rule->min_spend_minor != 0 || rule->discount_budget_minor != 0 ||
      rule->points_multiplier_percent != 0) {
    return Refused(v1::ERROR_REASON_COUPON_NEEDS_BASKET);
  }
  // The program's holds_per_member_max bounds open reservations too.
  if (member->points.coupon_reservations.size() >=
      static_cast<size_t>(kModelHoldsPerMember)) {
    return Refused(v1::ERROR_REASON_TOO_MANY_COUPON_RESERVATIONS);
  }
  CouponReservationState reservation;
  reservation.sequence = last_sequence_ + 1;
  reservation.code = coupon.code;
  reservation.expires_at_ms = now_ms_ + request.timeout_ms();
  reservation.order_id = request.order_id();
  coupon.reservations.push_back(reservation);
  member->points.coupon_reservations.push_back(reservation);
  coupon_reservations_made_.emplace_back(reservation.sequence,
                                         member->member_id);
  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_COUPON_RESERVE, request.context());
  entry.order_id = request.order_id();
  entry.coupon_code = coupon.code;
  entry.coupon_template = coupon.template_id;
  entry.coupon_reservation_id = ReservationIdOf(reservation.sequence);
  entry.coupon_expires_at_ms = reservation.expires_at_ms;
  Append(*member, std::move(entry));
  coupons_written_.insert(coupon.code);
  ++counts_.coupon_reservations;
  Expected ok = Ok(*member);
  ok.coupon = coupon;
  return ok;
}

Expected Model::ApplyRules(const CommitCouponRequest& request,
                           const std::string&) {
  return SettleCouponReservation(request.message, /*commit=*/true);
}

Expected Model::ApplyRules(const ReleaseCouponRequest& request,
                           const std::string&) {
  return SettleCouponReservation(request.message, /*commit=*/false);
}

Expected Model::SettleCouponReservation(
    const v1::SettleCouponReservationRequest& request, bool commit) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  std::vector<CouponReservationState>& open = member->points.coupon_reservations;
  auto reservation =
      std::find_if(open.begin(), open.end(), [&](const auto& candidate) {
        return ReservationIdOf(candidate.sequence) == request.reservation_id();
      });
  if (reservation == open.end()) {
    // A COUPON_RESERVE of this member (or of one merged into it) once, or
    // not.
    for (const auto& [sequence, made_by] : coupon_reservations_made_) {
      if (ReservationIdOf(sequence) == request.reservation_id() &&
          (made_by == member->member_id ||
           std::count(member->merged_member_ids.begin(),
                      member->merged_member_ids.end(), made_by) > 0)) {
        return Rejected(absl::StatusCode::kFailedPrecondition,
                        v1::ERROR_REASON_COUPON_RESERVATION_NOT_ACTIVE);
      }
    }
    return Rejected(absl::StatusCode::kNotFound,
                    v1::ERROR_REASON_COUPON_RESERVATION_NOT_FOUND);
  }
  const CouponReservationState settled = *reservation;
  open.erase(reservation);
  CouponState& coupon = coupons_.at(settled.code);
  EraseReservation(&coupon.reservations, settled.sequence);
  ExpectedEntry entry = CommandEntry(
      *member,
      commit ? v1::ENTRY_KIND_COUPON_REDEEM : v1::ENTRY_KIND_COUPON_RELEASE,
      request.context());
  entry.order_id = settled.order_id;
  entry.coupon_code = coupon.code;
  entry.coupon_template = coupon.template_id;
  entry.coupon_reservation_id = request.reservation_id();
  if (commit) {
    ++coupon.uses;
    entry.coupon_uses_after = coupon.uses;
    ++counts_.coupon_reservations_committed;
  } else {
    ++counts_.coupon_reservations_released;
  }
  counts_.merged_coupon_reservations_settled +=
      merged_coupon_reservations_.count(settled.sequence);
  Append(*member, std::move(entry));
  coupons_written_.insert(coupon.code);
  Expected ok = Ok(*member);
  ok.coupon = coupon;
  return ok;
}

}  // namespace loyalty::model
