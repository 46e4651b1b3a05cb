// The reference model's points rules (see model.h): lots, maturity, expiry
// and tiers, and the commands earn, event, redeem, adjust, hold, capture,
// release and return. The shared pipeline is in model.cc.
#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "model.h"
#include "model_rules.h"

namespace loyalty::model {

// ---------------------------------------------------------------------------
// Lots. Available lots are one per expiry date, soonest first, never (0)
// last; spending takes them in that order.

namespace {

bool ExpiresBefore(int64_t a_ms, int64_t b_ms) {
  if (a_ms == 0) return false;
  return b_ms == 0 || a_ms < b_ms;
}

void AddToLot(std::vector<Lot>& lots, uint64_t sequence, int64_t points,
              int64_t expires_at_ms) {
  auto at = lots.begin();
  while (at != lots.end() && ExpiresBefore(at->expires_at_ms, expires_at_ms)) {
    ++at;
  }
  if (at != lots.end() && at->expires_at_ms == expires_at_ms) {
    at->points += points;  // Merged: keeps the sequence that opened it.
    return;
  }
  lots.insert(at, Lot{sequence, points, expires_at_ms, 0});
}

}  // namespace

std::string HoldId(uint64_t sequence) { return absl::StrCat("H", sequence); }

// "H" and a sequence without leading zeros that fits uint64, or nullopt.
std::optional<uint64_t> ParseHoldId(const std::string& hold_id) {
  if (hold_id.size() < 2 || hold_id[0] != 'H' || hold_id[1] == '0') {
    return std::nullopt;
  }
  Int128 sequence = 0;
  for (size_t i = 1; i < hold_id.size(); ++i) {
    if (hold_id[i] < '0' || hold_id[i] > '9') return std::nullopt;
    sequence = sequence * 10 + (hold_id[i] - '0');
    if (sequence > std::numeric_limits<uint64_t>::max()) return std::nullopt;
  }
  return static_cast<uint64_t>(sequence);
}

// Grants `points` into the available lots after paying off debt first.
void Credit(PointsState& p, uint64_t sequence, int64_t points,
            int64_t expires_at_ms) {
  const int64_t repaid = std::min(points, p.totals.debt);
  p.totals.debt -= repaid;
  if (points > repaid) {
    AddToLot(p.lots, sequence, points - repaid, expires_at_ms);
  }
}

// Takes `points` (at most what the lots hold), soonest expiry first.
std::vector<Lot> TakeFromLots(std::vector<Lot>& lots, int64_t points) {
  std::vector<Lot> taken;
  auto lot = lots.begin();
  while (points > 0) {
    const int64_t take = std::min(points, lot->points);
    taken.push_back(Lot{lot->sequence, take, lot->expires_at_ms, 0});
    lot->points -= take;
    points -= take;
    lot = lot->points == 0 ? lots.erase(lot) : lot + 1;
  }
  return taken;
}

// The qualifying amount of the window of `rules` that contains `month`:
// that month and the window_months - 1 before it.
int64_t WindowAmountOf(const TierProgram& rules, const TierState& tier,
                       int64_t month) {
  Int128 sum = 0;
  for (const auto& [bucket, amount] : tier.months) {
    if (bucket > month - rules.window_months && bucket <= month) sum += amount;
  }
  return FitsInt64(sum) ? static_cast<int64_t>(sum) : kInt64Max;
}

// The highest tier whose threshold `qualifying` reaches.
int SupportedOf(const TierProgram& rules, int64_t qualifying) {
  int supported = 0;
  for (size_t i = 0; i < rules.tiers.size(); ++i) {
    if (qualifying >= rules.tiers[i].threshold) supported = static_cast<int>(i);
  }
  return supported;
}

// A TIER entry (principal "system") moving `tier` to `to` at `when_ms`,
// decided on `qualifying`; applies it to `tier` (since moves to `when_ms`,
// only when the tier changes). The lowest tier is never evaluated.
ExpectedEntry TierMove(const TierProgram& rules, TierState& tier, int to,
                       int64_t qualifying, int64_t when_ms) {
  ExpectedEntry entry;
  entry.kind = v1::ENTRY_KIND_TIER;
  entry.principal = "system";
  entry.bucket = v1::BUCKET_UNSPECIFIED;  // Moves no points.
  entry.occurred_at_ms = when_ms;
  entry.tier_from = rules.tiers[tier.tier].tier_id;
  entry.tier_to = rules.tiers[to].tier_id;
  entry.qualifying_amount = qualifying;
  entry.tier_evaluation_ms =
      to == 0 ? 0
              : ModelAddCalendarMs(when_ms, rules.window_months,
                                   rules.grace_days);
  if (to != tier.tier) tier.since_ms = when_ms;
  tier.tier = to;
  tier.evaluation_ms = entry.tier_evaluation_ms;
  return entry;
}

// Applies the earliest change due by `now_ms` to `p` (a hold's timeout, a
// pending lot's maturity, the soonest lot's expiry, a tier evaluation; ties
// in that order) and returns its entry without sequence, member or time of
// recording; nullopt when nothing is due.
std::optional<ExpectedEntry> ApplyNextDue(PointsState& p, int64_t now_ms,
                                          const TierProgram& rules) {
  constexpr int64_t kNever = kInt64Max;
  auto release = p.holds.end();
  for (auto hold = p.holds.begin(); hold != p.holds.end(); ++hold) {
    if (hold->expires_at_ms <= now_ms &&
        (release == p.holds.end() ||
         hold->expires_at_ms < release->expires_at_ms)) {
      release = hold;
    }
  }
  auto mature = p.pending.end();
  for (auto lot = p.pending.begin(); lot != p.pending.end(); ++lot) {
    if (lot->matures_at_ms <= now_ms &&
        (mature == p.pending.end() ||
         lot->matures_at_ms < mature->matures_at_ms)) {
      mature = lot;
    }
  }
  const bool expire = !p.lots.empty() && p.lots.front().expires_at_ms != 0 &&
                      p.lots.front().expires_at_ms <= now_ms;
  const int64_t release_ms =
      release != p.holds.end() ? release->expires_at_ms : kNever;
  const int64_t mature_ms =
      mature != p.pending.end() ? mature->matures_at_ms : kNever;
  const int64_t expire_ms = expire ? p.lots.front().expires_at_ms : kNever;
  const int64_t evaluate_ms =
      p.tier.evaluation_ms != 0 && p.tier.evaluation_ms <= now_ms
          ? p.tier.evaluation_ms
          : kNever;

  ExpectedEntry entry;
  entry.principal = "system";
  entry.bucket = v1::BUCKET_AVAILABLE;
  Totals& t = p.totals;
  if (release != p.holds.end() && release_ms <= mature_ms &&
      release_ms <= expire_ms && release_ms <= evaluate_ms) {
    entry.kind = v1::ENTRY_KIND_RELEASE;
    entry.occurred_at_ms = release_ms;
    entry.points_delta = release->points;
    entry.hold_id = HoldId(release->sequence);
    entry.order_id = release->order_id;
    entry.hold_timed_out = true;
    t.held -= release->points;
    t.available += release->points;
    for (const Lot& piece : release->taken) {
      Credit(p, piece.sequence, piece.points, piece.expires_at_ms);
    }
    p.holds.erase(release);
    return entry;
  }
  if (mature != p.pending.end() && mature_ms <= expire_ms &&
      mature_ms <= evaluate_ms) {
    entry.kind = v1::ENTRY_KIND_MATURE;
    entry.occurred_at_ms = mature_ms;
    entry.points_delta = mature->points;
    entry.lot_sequence = mature->sequence;
    entry.lot_expires_at_ms = mature->expires_at_ms;
    t.pending -= mature->points;
    t.available += mature->points;
    Credit(p, mature->sequence, mature->points, mature->expires_at_ms);
    p.pending.erase(mature);
    return entry;
  }
  if (expire && expire_ms <= evaluate_ms) {
    const Lot lot = p.lots.front();
    entry.kind = v1::ENTRY_KIND_EXPIRE;
    entry.occurred_at_ms = expire_ms;
    entry.points_delta = -lot.points;
    entry.lot_sequence = lot.sequence;
    entry.lot_expires_at_ms = lot.expires_at_ms;
    t.available -= lot.points;
    // A lifetime figure nothing can refuse (expiry is not a request): it
    // stops at INT64_MAX.
    t.expired_total = FitsInt64(static_cast<Int128>(t.expired_total) + lot.points)
                          ? t.expired_total + lot.points
                          : kInt64Max;
    p.lots.erase(p.lots.begin());
    return entry;
  }
  if (evaluate_ms != kNever) {
    // Decided on the window at the due time (a late settlement decides as
    // a timely one would); keep or move down, never up; the next
    // evaluation is dated from the due time.
    const int64_t qualifying =
        WindowAmountOf(rules, p.tier, ModelMonthIndex(evaluate_ms));
    const int to = std::min(p.tier.tier, SupportedOf(rules, qualifying));
    return TierMove(rules, p.tier, to, qualifying, evaluate_ms);
  }
  return std::nullopt;
}

// OK when a grant of `points` keeps everything the member owns (available,
// pending and held) and the lifetime `total` it adds to within int64.
bool GrantFits(const Totals& t, int64_t total, int64_t points) {
  return FitsInt64(static_cast<Int128>(t.available) + t.pending + t.held +
                   points) &&
         FitsInt64(static_cast<Int128>(total) + points);
}

int64_t PointsState::NextDueMs() const {
  int64_t due = 0;
  auto consider = [&](int64_t at_ms) {
    if (at_ms != 0 && (due == 0 || at_ms < due)) due = at_ms;
  };
  for (const Hold& hold : holds) consider(hold.expires_at_ms);
  for (const CouponReservationState& reservation : coupon_reservations) {
    consider(reservation.expires_at_ms);
  }
  for (const Lot& lot : pending) consider(lot.matures_at_ms);
  for (const Lot& lot : lots) consider(lot.expires_at_ms);
  consider(tier.evaluation_ms);
  return due;
}

int64_t Model::WindowAmount(const TierState& tier, int64_t month) const {
  return WindowAmountOf(tiers_, tier, month);
}

int Model::SupportedTier(int64_t qualifying) const {
  return SupportedOf(tiers_, qualifying);
}

int64_t Model::TierExtra(int tier, int64_t base, int64_t granted) const {
  if (tiers_.tiers.empty()) return 0;
  const int32_t percent = tiers_.tiers[tier].multiplier_percent;
  if (percent <= 100) return 0;
  const Int128 extra = static_cast<Int128>(base) * (percent - 100) / 100;
  // Capped so the earn stays within int64 (it is then refused anyway
  // unless the member has nothing).
  return static_cast<int64_t>(
      std::min<Int128>(extra, static_cast<Int128>(kInt64Max) - granted));
}

v1::TierStatus Model::TierStatusOf(const PointsState& points) const {
  v1::TierStatus status;
  if (tiers_.tiers.empty()) return status;
  const TierState& tier = points.tier;
  const int64_t qualifying = WindowAmount(tier, ModelMonthIndex(now_ms_));
  const TierRule& current = tiers_.tiers[tier.tier];
  status.set_tier_id(current.tier_id);
  status.set_display_name(current.display_name);
  status.set_since_ms(tier.since_ms);
  status.set_qualifying_amount(qualifying);
  if (static_cast<size_t>(tier.tier) + 1 < tiers_.tiers.size()) {
    const TierRule& next = tiers_.tiers[tier.tier + 1];
    status.set_next_tier_id(next.tier_id);
    status.set_to_next_tier(std::max<int64_t>(0, next.threshold - qualifying));
  }
  status.set_evaluation_ms(tier.evaluation_ms);
  status.set_supported_tier_id(
      tiers_.tiers[SupportedTier(qualifying)].tier_id);
  return status;
}

void Model::AddQualifying(MemberState& member, int64_t month, int64_t delta) {
  if (delta == 0) return;
  std::map<int64_t, int64_t>& months = member.points.tier.months;
  months[month] += delta;
  const int64_t oldest_kept =
      months.rbegin()->first - (kModelQualifyingMonthsKept - 1);
  months.erase(months.begin(), months.lower_bound(oldest_kept));
}

int Model::MaybeUpgrade(MemberState& member) {
  if (tiers_.tiers.empty()) return -1;
  TierState& tier = member.points.tier;
  const int64_t qualifying = WindowAmount(tier, ModelMonthIndex(now_ms_));
  const int supported = SupportedTier(qualifying);
  if (supported <= tier.tier) return -1;
  const int from = tier.tier;
  ExpectedEntry entry =
      TierMove(tiers_, tier, supported, qualifying, now_ms_);
  entry.member_id = member.member_id;
  Append(member, std::move(entry));
  return from;
}

const EventRule* Model::FindEvent(const std::string& event_id) const {
  for (const EventRule& event : events_) {
    if (event.event_id == event_id) return &event;
  }
  return nullptr;
}

namespace {
// floor(a x b / c), a, b >= 0, b <= c, c > 0.
int64_t ShareOf(int64_t a, int64_t b, int64_t c) {
  return static_cast<int64_t>(static_cast<Int128>(a) * b / c);
}
}  // namespace

std::optional<Model::EarnPoints> Model::ComputeEarn(
    const v1::EarnRequest& request, const Checkout* checkout) const {
  const EarnRateRule* rate = nullptr;
  for (const EarnRateRule& candidate : rates_) {
    if (candidate.currency == request.currency()) rate = &candidate;
  }
  if (rate == nullptr) return std::nullopt;  // Not a program currency.
  // Line totals are summed first; any int64 overflow is INVALID_ARGUMENT.
  Int128 total = 0;
  for (const v1::BasketLine& line : request.lines()) {
    Int128 line_total =
        static_cast<Int128>(line.quantity()) * line.unit_price_minor();
    if (!FitsInt64(line_total)) return std::nullopt;
    total += line_total;
    if (!FitsInt64(total)) return std::nullopt;
  }
  // Points are earned on what was paid: the total less the coupons'
  // discounts (the program's default, NET).
  const Int128 paid = total - (checkout != nullptr ? checkout->discount_minor : 0);
  Int128 points = (paid / rate->spend_minor_per_step) *
                  static_cast<Int128>(rate->points_per_step);
  int64_t campaign_points = 0;
  if (campaign_.bonus_points > 0 &&
      request.context().channel() == campaign_.channel) {
    campaign_points = campaign_.bonus_points;
    points += campaign_points;
  }
  // A points coupon: the multiplier's extra on what its lines paid.
  Int128 coupon_points = 0;
  if (checkout != nullptr) {
    for (const auto& [covers, percent] : checkout->multipliers) {
      Int128 covered = 0;
      for (int i = 0; i < request.lines_size(); ++i) {
        if (!covers[static_cast<size_t>(i)]) continue;
        covered += static_cast<Int128>(request.lines(i).quantity()) *
                       request.lines(i).unit_price_minor() -
                   checkout->line_discount[static_cast<size_t>(i)];
      }
      coupon_points += covered * rate->points_per_step * (percent - 100) /
                       (static_cast<Int128>(rate->spend_minor_per_step) * 100);
    }
    points += coupon_points;
  }
  if (!FitsInt64(points)) return std::nullopt;
  return EarnPoints{static_cast<int64_t>(total), static_cast<int64_t>(points),
                    campaign_points, static_cast<int64_t>(coupon_points)};
}

int64_t Model::GrantedPoints(const MemberState& member,
                             const EarnPoints& earn) const {
  int64_t bonus = std::min({earn.campaign_points,
                            campaign_.member_cap_points - member.campaign_points,
                            campaign_.budget_points - campaign_points_total_});
  bonus = std::max<int64_t>(bonus, 0);
  return earn.points - earn.campaign_points + bonus;
}

void Model::WriteOrder(MemberState& member, const std::string& order_id,
                       Expected* ok) {
  ok->orders_written = 1;
  if (member.order_records.insert(order_id).second) {
    ok->orders_added = 1;
    ++order_records_total_;
  }
}

Expected Model::ApplyRules(const v1::EarnRequest& request, const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  Totals& totals = member->points.totals;
  if (member->orders.count(request.order_id())) {
    return Rejected(absl::StatusCode::kAlreadyExists,
                    v1::ERROR_REASON_ORDER_ALREADY_EARNED);
  }
  // Coupons: each checked against the order and priced (coupons_model.cc).
  std::optional<Checkout> checkout;
  std::vector<std::string> order_coupon_codes;
  if (request.coupon_codes_size() > 0) {
    auto priced = PriceCoupons(member->member_id, request);
    if (const Expected* coupon_refusal = std::get_if<Expected>(&priced)) {
      return *coupon_refusal;
    }
    checkout = std::move(std::get<Checkout>(priced));
  }
  // Apply checked ComputeEarn already; only a points coupon's extra can
  // take the order's points past int64 now.
  const std::optional<EarnPoints> computed =
      ComputeEarn(request, checkout.has_value() ? &*checkout : nullptr);
  if (!computed.has_value()) return BalanceOverflow();
  const EarnPoints earn = *computed;
  const int64_t granted = GrantedPoints(*member, earn);
  // What qualifies is counted before the tier's own extra, which is the
  // member's tier (settled at now) applied to the base line.
  const int64_t base = earn.points - earn.campaign_points - earn.coupon_points;
  const int64_t qualifying = tiers_.tiers.empty() ? 0 : granted;
  const int64_t extra = TierExtra(member->points.tier.tier, base, granted);
  const int64_t points = granted + extra;
  if (!GrantFits(totals, totals.earned_total, points)) return BalanceOverflow();
  const int64_t bonus = granted - (earn.points - earn.campaign_points);
  member->campaign_points += bonus;
  campaign_points_total_ += bonus;
  totals.earned_total += points;
  member->orders.insert(request.order_id());

  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_EARN, request.context());
  entry.points_delta = points;
  entry.order_id = request.order_id();
  if (checkout.has_value()) {
    entry.coupon_discount_minor = checkout->discount_minor;
    for (const CouponState* coupon : checkout->coupons) {
      entry.earn_coupon_codes.push_back(coupon->code);
    }
    order_coupon_codes = entry.earn_coupon_codes;
  }
  // The lot is dated by the order time; it waits out the return window
  // unless the order is older than that.
  const int64_t order_time_ms = entry.occurred_at_ms;
  entry.lot_expires_at_ms = ModelLotExpiresAtMs(order_time_ms);
  if (!tiers_.tiers.empty()) {
    entry.qualifying_delta = qualifying;
    entry.qualifying_month = ModelMonthIndex(order_time_ms);
    if (extra > 0) {
      entry.tier_line_id = tiers_.tiers[member->points.tier.tier].tier_id;
      entry.tier_line_points = extra;
    }
  }
  const int64_t matures_at_ms =
      order_time_ms + kModelReturnWindowDays * kModelDayMs;
  const uint64_t sequence = last_sequence_ + 1;
  if (matures_at_ms > now_ms_) {
    entry.bucket = v1::BUCKET_PENDING;
    entry.matures_at_ms = matures_at_ms;
    totals.pending += points;
    if (points > 0) {
      member->points.pending.push_back(
          Lot{sequence, points, entry.lot_expires_at_ms, matures_at_ms});
    }
  } else {
    totals.available += points;
    if (points > 0) {
      Credit(member->points, sequence, points, entry.lot_expires_at_ms);
    }
  }
  OrderState& order = member->order_state[request.order_id()];
  order.earn_sequence = sequence;
  // The order's value is what was paid.
  order.spend_minor =
      earn.spend_minor - (checkout.has_value() ? checkout->discount_minor : 0);
  order.points = points;
  order.qualifying = entry.qualifying_delta;
  order.qualifying_month = entry.qualifying_month;
  order.coupon_codes = order_coupon_codes;
  for (int i = 0; i < request.lines_size(); ++i) {
    const v1::BasketLine& line = request.lines(i);
    order.lines.push_back(OrderLine{
        line.sku(), line.quantity(), line.unit_price_minor(), 0,
        checkout.has_value() ? checkout->line_discount[static_cast<size_t>(i)]
                             : 0});
  }
  AddQualifying(*member, entry.qualifying_month, entry.qualifying_delta);
  const v1::RequestContext context = request.context();
  Append(*member, std::move(entry));
  const uint64_t earn_sequence = last_sequence_;
  // Coupons issued by program rules: the spend bonuses' right after the
  // EARN, on what was paid; the coupon-count records they and the order's
  // discounts write, each once.
  std::set<std::pair<std::string, std::string>> count_keys;
  int rule_coupons = IssueSpendBonusCoupons(
      *member, context, request.currency(),
      earn.spend_minor - (checkout.has_value() ? checkout->discount_minor : 0),
      &count_keys);
  // Right after the EARN, one COUPON_REDEEM per coupon, in the order sent.
  int64_t coupon_count_puts = 0;
  // Bulk coupon codes: the member's bearer-use counts, one record per
  // template.
  std::set<std::string> bearer_templates;
  if (checkout.has_value()) {
    std::set<std::string> discounted_templates;
    for (size_t c = 0; c < checkout->coupons.size(); ++c) {
      CouponState& coupon = coupons_[checkout->coupons[c]->code];
      ++coupon.uses;
      if (!coupon.batch_id.empty()) {
        ++bearer_uses_[{coupon.template_id, member->member_id}];
        bearer_templates.insert(coupon.template_id);
      }
      ExpectedEntry redeemed =
          CommandEntry(*member, v1::ENTRY_KIND_COUPON_REDEEM, context);
      redeemed.order_id = request.order_id();
      redeemed.coupon_code = coupon.code;
      redeemed.coupon_template = coupon.template_id;
      redeemed.coupon_uses_after = coupon.uses;
      if (checkout->discount_of[c] > 0) {
        redeemed.coupon_discount_minor = checkout->discount_of[c];
        redeemed.coupon_currency = request.currency();
        coupon_discount_given_[coupon.template_id] += checkout->discount_of[c];
        discounted_templates.insert(coupon.template_id);
      }
      coupons_written_.insert(coupon.code);
      Append(*member, std::move(redeemed));
    }
    for (const std::string& template_id : discounted_templates) {
      count_keys.insert({template_id, ""});
    }
  }
  coupon_count_puts = static_cast<int64_t>(count_keys.size());
  // An upgrade happens at once, after the EARN (and its coupons); its
  // multiplier applies from the next earn. The new tier's coupon follows.
  const int tier_from = MaybeUpgrade(*member);
  if (tier_from >= 0) {
    const int tier_coupons =
        IssueTierCoupon(*member, context, v1::CHANNEL_UNSPECIFIED, tier_from,
                        member->points.tier.tier, &count_keys);
    counts_.rule_coupons_tier += tier_coupons;
    rule_coupons += tier_coupons;
    coupon_count_puts = static_cast<int64_t>(count_keys.size());
  }
  Expected ok = Ok(*member);
  ok.points_delta = points;
  ok.sequence = earn_sequence;
  ok.own_entry_from_end = static_cast<int>(last_sequence_ - earn_sequence);
  ok.spend_minor = earn.spend_minor;
  // Coupons issued by program rules: new coupon records, and their counts.
  ok.coupon_count_puts = coupon_count_puts;
  ok.coupons_created = rule_coupons;
  if (checkout.has_value()) {
    ok.bearer_use_puts = static_cast<int64_t>(bearer_templates.size());
    ok.discount_minor = checkout->discount_minor;
  }
  WriteOrder(*member, request.order_id(), &ok);
  return ok;
}

Expected Model::ApplyRules(const v1::RecordEventRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  Totals& totals = member->points.totals;
  const EventRule& rule = *FindEvent(request.event_id());  // Apply checked.
  const int64_t at_ms = request.context().occurred_at_ms() != 0
                            ? request.context().occurred_at_ms()
                            : now_ms_;
  if (at_ms < rule.starts_at_ms ||
      (rule.ends_at_ms != 0 && at_ms >= rule.ends_at_ms)) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_EVENT_NOT_ACTIVE);
  }
  // The harness's clock only moves forward, so "today" is simply today.
  const int64_t today = (now_ms_ + kModelUtcOffsetMs) / kModelDayMs;
  const std::pair<std::string, int64_t> day_key{rule.event_id, today};
  if ((rule.max_per_member != 0 &&
       member->event_count[rule.event_id] >= rule.max_per_member) ||
      (rule.max_per_day != 0 &&
       member->event_count_by_day[day_key] >= rule.max_per_day)) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_EVENT_LIMIT_REACHED);
  }
  if (!GrantFits(totals, totals.earned_total, rule.points)) {
    return BalanceOverflow();
  }
  member->event_count[rule.event_id] += 1;
  member->event_count_by_day[day_key] += 1;
  totals.earned_total += rule.points;
  totals.available += rule.points;

  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_EVENT, request.context());
  entry.points_delta = rule.points;
  entry.event_day = today;
  entry.lot_expires_at_ms = ModelLotExpiresAtMs(at_ms);  // The event's time.
  Credit(member->points, last_sequence_ + 1, rule.points,
         entry.lot_expires_at_ms);
  Append(*member, std::move(entry));
  return Ok(*member);
}

Expected Model::ApplyRules(const v1::RedeemRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  Totals& totals = member->points.totals;
  if (request.offline()) return ApplyOfflineRedeem(request, member);
  if (request.points() > totals.available) return InsufficientPoints();
  if (!FitsInt64(static_cast<Int128>(totals.redeemed_total) +
                 request.points())) {
    return BalanceOverflow();
  }
  totals.redeemed_total += request.points();
  totals.available -= request.points();
  TakeFromLots(member->points.lots, request.points());
  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_REDEEM, request.context());
  entry.points_delta = -request.points();
  entry.order_id = request.order_id();
  Append(*member, std::move(entry));
  Expected ok = Ok(*member);
  if (!request.order_id().empty()) {
    WriteOrder(*member, request.order_id(), &ok);  // Redeemed on the order.
    member->order_state[request.order_id()].redeemed += request.points();
  }
  return ok;
}

// An offline redemption (offline/offline_redemption.h): the day's
// allowance first, then the points the member has, then the run's policy.
Expected Model::ApplyOfflineRedeem(const v1::RedeemRequest& request,
                                   MemberState* member) {
  Totals& totals = member->points.totals;
  const int64_t points = request.points();
  const int64_t occurred_at_ms = request.context().occurred_at_ms() != 0
                                     ? request.context().occurred_at_ms()
                                     : now_ms_;
  const int64_t day = (occurred_at_ms + kModelUtcOffsetMs) / kModelDayMs;
  std::map<int64_t, int64_t>& days = member->offline_days;
  // A day older than every kept one, with all kept, is no longer known.
  const bool known = days.size() < kModelOfflineDaysKept ||
                     day >= days.begin()->first;
  auto counted = days.find(day);
  const int64_t redeemed_on_day = counted != days.end() ? counted->second : 0;
  const int64_t allowance_left =
      known ? std::max<int64_t>(0, kModelOfflineAllowancePoints -
                                       redeemed_on_day)
            : 0;
  v1::LedgerEntry details;
  v1::OfflineRedemption& offline = *details.mutable_offline_redemption();
  offline.set_points(points);
  offline.set_day(day);
  offline.set_available_points(totals.available);
  offline.set_allowance_left_points(allowance_left);
  int64_t taken = 0;
  if (points > allowance_left) {
    offline.set_outcome(v1::OFFLINE_OUTCOME_REFUSED_OVER_ALLOWANCE);
  } else if (totals.available >= points) {
    offline.set_outcome(v1::OFFLINE_OUTCOME_APPLIED);
    taken = points;
  } else if (offline_policy_ == v1::OFFLINE_SHORTFALL_POLICY_DEBT) {
    const int64_t room =
        std::max<int64_t>(0, totals.available - kModelNegativeFloorPoints);
    taken = std::min(points, room);
    offline.set_outcome(v1::OFFLINE_OUTCOME_DEBT);
    offline.set_debt_points(
        taken - std::min(taken, std::max<int64_t>(totals.available, 0)));
    offline.set_written_off_points(points - taken);
  } else {
    offline.set_outcome(v1::OFFLINE_OUTCOME_REFUSED_SHORT);
  }
  const bool applied = offline.outcome() == v1::OFFLINE_OUTCOME_APPLIED ||
                       offline.outcome() == v1::OFFLINE_OUTCOME_DEBT;
  if (taken > 0 &&
      !FitsInt64(static_cast<Int128>(totals.redeemed_total) + taken)) {
    return BalanceOverflow();
  }
  switch (offline.outcome()) {
    case v1::OFFLINE_OUTCOME_APPLIED:
      ++counts_.offline_applied;
      break;
    case v1::OFFLINE_OUTCOME_DEBT:
      ++counts_.offline_debt;
      counts_.offline_written_off += offline.written_off_points() > 0;
      break;
    case v1::OFFLINE_OUTCOME_REFUSED_SHORT:
      ++counts_.offline_refused_short;
      break;
    default:
      ++counts_.offline_refused_over_allowance;
      break;
  }
  if (taken > 0) {
    int64_t in_lots = 0;
    for (const Lot& lot : member->points.lots) in_lots += lot.points;
    const int64_t from_lots = std::min(taken, in_lots);
    TakeFromLots(member->points.lots, from_lots);
    totals.debt += taken - from_lots;
    totals.available -= taken;
    totals.redeemed_total += taken;
  }
  if (applied) {
    days[day] += points;
    while (days.size() > kModelOfflineDaysKept) days.erase(days.begin());
  }
  ExpectedEntry entry = CommandEntry(
      *member,
      applied ? v1::ENTRY_KIND_REDEEM : v1::ENTRY_KIND_OFFLINE_REDEEM_REFUSED,
      request.context());
  entry.points_delta = -taken;
  entry.order_id = request.order_id();
  entry.voucher_details = std::move(details);
  Append(*member, std::move(entry));
  Expected ok = Ok(*member);
  ok.entry_kind =
      applied ? v1::ENTRY_KIND_REDEEM : v1::ENTRY_KIND_OFFLINE_REDEEM_REFUSED;
  if (applied && !request.order_id().empty()) {
    WriteOrder(*member, request.order_id(), &ok);  // Redeemed on the order.
    member->order_state[request.order_id()].redeemed += taken;
  }
  return ok;
}

Expected Model::ApplyRules(const v1::AdjustRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  Totals& totals = member->points.totals;
  const int64_t delta = request.points_delta();
  if (delta < 0 && -delta > totals.available) return InsufficientPoints();
  if (delta > 0
          ? !GrantFits(totals, totals.adjusted_total, delta)
          : !FitsInt64(static_cast<Int128>(totals.adjusted_total) + delta)) {
    return BalanceOverflow();
  }
  totals.adjusted_total += delta;
  totals.available += delta;
  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_ADJUST, request.context());
  entry.channel = v1::CHANNEL_ADMIN;
  entry.points_delta = delta;
  entry.note = request.note();
  entry.operator_id = request.operator_id();
  entry.reason_code = request.reason_code();
  if (delta > 0) {
    // A credit is a lot dated by when the operator made it.
    entry.lot_expires_at_ms = ModelLotExpiresAtMs(now_ms_);
    Credit(member->points, last_sequence_ + 1, delta, entry.lot_expires_at_ms);
  } else {
    TakeFromLots(member->points.lots, -delta);
  }
  Append(*member, std::move(entry));
  return Ok(*member);
}

Expected Model::ApplyRules(const v1::HoldPointsRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  PointsState& points = member->points;
  Totals& totals = points.totals;
  if (points.holds.size() >= static_cast<size_t>(kModelHoldsPerMember)) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_TOO_MANY_HOLDS);
  }
  if (request.points() > totals.available) return InsufficientPoints();
  // A hold counts as redeemed once captured: that total must have room.
  if (!FitsInt64(static_cast<Int128>(totals.redeemed_total) +
                 request.points())) {
    return BalanceOverflow();
  }
  const uint64_t sequence = last_sequence_ + 1;
  Hold hold;
  hold.sequence = sequence;
  hold.points = request.points();
  // The server's clock: a client's occurred_at may be old.
  hold.expires_at_ms = now_ms_ + request.timeout_ms();
  hold.order_id = request.order_id();
  hold.taken = TakeFromLots(points.lots, request.points());
  totals.available -= request.points();
  totals.held += request.points();

  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_HOLD, request.context());
  entry.points_delta = -request.points();
  entry.order_id = request.order_id();
  entry.hold_id = HoldId(sequence);
  entry.hold_expires_at_ms = hold.expires_at_ms;
  points.holds.push_back(std::move(hold));
  holds_made_.emplace_back(sequence, member->member_id);
  Append(*member, std::move(entry));
  return Ok(*member);
}

Expected Model::ApplyRules(const CaptureRequest& request, const std::string&) {
  return Settle(request.message, /*capture=*/true);
}

Expected Model::ApplyRules(const ReleaseRequest& request, const std::string&) {
  return Settle(request.message, /*capture=*/false);
}

Expected Model::Settle(const v1::SettleHoldRequest& request, bool capture) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  PointsState& points = member->points;
  Totals& totals = points.totals;
  auto hold = std::find_if(points.holds.begin(), points.holds.end(),
                           [&](const Hold& open) {
                             return HoldId(open.sequence) == request.hold_id();
                           });
  if (hold == points.holds.end()) {
    // A HOLD of this member once (captured, released, timed out), or not.
    std::optional<uint64_t> sequence = ParseHoldId(request.hold_id());
    if (!sequence.has_value()) return InvalidArgument();  // Not generated.
    auto made = std::lower_bound(
        holds_made_.begin(), holds_made_.end(), *sequence,
        [](const auto& item, uint64_t key) { return item.first < key; });
    // A HOLD of this member, or of one merged into it (its holds moved
    // here, open or not).
    if (made != holds_made_.end() && made->first == *sequence &&
        (made->second == member->member_id ||
         std::count(member->merged_member_ids.begin(),
                    member->merged_member_ids.end(), made->second) > 0)) {
      return Rejected(absl::StatusCode::kFailedPrecondition,
                      v1::ERROR_REASON_HOLD_NOT_ACTIVE);
    }
    return Rejected(absl::StatusCode::kNotFound,
                    v1::ERROR_REASON_HOLD_NOT_FOUND);
  }
  ExpectedEntry entry = CommandEntry(
      *member, capture ? v1::ENTRY_KIND_CAPTURE : v1::ENTRY_KIND_RELEASE,
      request.context());
  entry.hold_id = request.hold_id();
  entry.order_id = hold->order_id;
  if (capture) {
    if (!FitsInt64(static_cast<Int128>(totals.redeemed_total) + hold->points)) {
      return BalanceOverflow();
    }
    totals.redeemed_total += hold->points;
    totals.held -= hold->points;
    entry.bucket = v1::BUCKET_HELD;
    entry.points_delta = -hold->points;
  } else {
    // The points go back with the expiry they had.
    totals.held -= hold->points;
    totals.available += hold->points;
    for (const Lot& piece : hold->taken) {
      Credit(points, piece.sequence, piece.points, piece.expires_at_ms);
    }
    entry.points_delta = hold->points;
  }
  const std::string order_id = hold->order_id;
  counts_.merged_holds_settled += merged_hold_sequences_.count(hold->sequence);
  points.holds.erase(hold);
  Append(*member, std::move(entry));
  Expected ok = Ok(*member);
  if (capture && !order_id.empty()) {
    WriteOrder(*member, order_id, &ok);  // Redeemed on the order.
    member->order_state[order_id].redeemed += -ok.points_delta;
  }
  return ok;
}


// Return (orders.h in the contract's words): the cumulative share of the
// order's value returned decides the points due back (pending lot of the
// order first, then available down to the floor, the rest forgiven) and
// the points redeemed on the order given back as a RESTORE.
Expected Model::ApplyRules(const v1::ReturnRequest& request,
                           const std::string&) {
  // A line naming a SKU the earned order never had: a typo, refused before
  // anything else (the member is not even settled) and not remembered.
  if (const MemberState* named = FindMember(request.member_id())) {
    auto earned = named->order_state.find(request.order_id());
    if (earned != named->order_state.end() &&
        earned->second.earn_sequence != 0) {
      for (const v1::ReturnLine& returned : request.lines()) {
        bool in_order = false;
        for (const OrderLine& line : earned->second.lines) {
          in_order = in_order || line.sku == returned.sku();
        }
        if (!in_order) {
          ++counts_.return_skus_not_in_order;
          return Rejected(absl::StatusCode::kInvalidArgument,
                          v1::ERROR_REASON_INVALID_FIELD);
        }
      }
    }
  }
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  auto found = member->order_state.find(request.order_id());
  if (found == member->order_state.end() || found->second.earn_sequence == 0) {
    return Rejected(absl::StatusCode::kNotFound,
                    v1::ERROR_REASON_ORDER_NOT_FOUND);
  }
  OrderState& order = found->second;
  const Expected exceeds = Rejected(absl::StatusCode::kFailedPrecondition,
                                    v1::ERROR_REASON_RETURN_EXCEEDS_ORDER);
  std::vector<OrderLine> lines = order.lines;
  int64_t value = 0;
  if (request.lines_size() > 0) {
    for (const v1::ReturnLine& returned : request.lines()) {
      int64_t left = returned.quantity();
      bool bought = false;
      for (OrderLine& line : lines) {
        if (line.sku != returned.sku()) continue;
        bought = true;
        const int64_t take =
            std::min(left, line.quantity - line.returned_quantity);
        // The line's discount goes back with its units, pro rata.
        value += take * line.unit_price_minor -
                 (ShareOf(line.discount_minor, line.returned_quantity + take,
                          line.quantity) -
                  ShareOf(line.discount_minor, line.returned_quantity,
                          line.quantity));
        line.returned_quantity += take;
        left -= take;
      }
      if (!bought || left > 0) return exceeds;
    }
  } else {
    value = request.amount_minor();
    if (value > order.spend_minor - order.returned_value) return exceeds;
  }
  const int64_t value_cum = order.returned_value + value;
  if (value_cum > order.spend_minor) return exceeds;
  // The return that brings back the whole paid value settles the order's
  // coupons by their templates' return policies.
  const bool whole_order = value_cum == order.spend_minor;
  int64_t due = 0;
  if (order.spend_minor > 0) {
    due = std::max<int64_t>(
        0, ShareOf(order.points, value_cum, order.spend_minor) - order.reversed);
  }
  int64_t restore = 0;
  if (order.spend_minor > 0) {
    restore = std::max<int64_t>(
        0, ShareOf(order.redeemed, value_cum, order.spend_minor) -
               order.restored);
  }
  PointsState& points = member->points;
  Totals& totals = points.totals;
  auto pending_lot =
      std::find_if(points.pending.begin(), points.pending.end(),
                   [&](const Lot& lot) { return lot.sequence == order.earn_sequence; });
  const int64_t order_pending =
      pending_lot != points.pending.end() ? pending_lot->points : 0;
  const int64_t from_pending = std::min(due, order_pending);
  const int64_t rest = due - from_pending;
  const int64_t room =
      std::max<int64_t>(0, totals.available - kModelNegativeFloorPoints);
  const int64_t from_available = std::min(rest, room);
  const int64_t forgiven = rest - from_available;

  if (from_pending > 0) {
    pending_lot->points -= from_pending;
    if (pending_lot->points == 0) points.pending.erase(pending_lot);
    totals.pending -= from_pending;
  }
  if (from_available > 0) {
    int64_t in_lots = 0;
    for (const Lot& lot : points.lots) in_lots += lot.points;
    const int64_t from_lots = std::min(from_available, in_lots);
    TakeFromLots(points.lots, from_lots);
    totals.debt += from_available - from_lots;
    totals.available -= from_available;
  }
  totals.earned_total -= from_pending + from_available;
  // The returned share of what the order qualified, from its month, as far
  // as that month's amount goes.
  int64_t qualifying_back = 0;
  if (order.spend_minor > 0 && order.qualifying > 0) {
    const int64_t share =
        ShareOf(order.qualifying, value_cum, order.spend_minor) -
        ShareOf(order.qualifying, order.returned_value, order.spend_minor);
    auto month = points.tier.months.find(order.qualifying_month);
    qualifying_back = std::min(
        share, month == points.tier.months.end() ? 0 : month->second);
  }
  order.lines = std::move(lines);
  order.returned_value = value_cum;
  order.reversed += due;

  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_RETURN, request.context());
  entry.order_id = request.order_id();
  entry.points_delta = -from_available;
  entry.pending_reversed = from_pending;
  entry.forgiven = forgiven;
  entry.lot_sequence = order.earn_sequence;
  if (!tiers_.tiers.empty()) {
    entry.qualifying_month = order.qualifying_month;
    entry.qualifying_delta = -qualifying_back;
    AddQualifying(*member, order.qualifying_month, -qualifying_back);
  }
  Append(*member, std::move(entry));
  const uint64_t return_sequence = last_sequence_;

  int64_t restored = 0;
  if (restore > 0 &&
      FitsInt64(static_cast<Int128>(totals.available) + totals.pending +
                totals.held + restore)) {
    restored = restore;
    order.restored += restore;
    totals.redeemed_total -= restore;
    totals.available += restore;
    ExpectedEntry back =
        CommandEntry(*member, v1::ENTRY_KIND_RESTORE, request.context());
    back.order_id = request.order_id();
    back.points_delta = restore;
    back.lot_expires_at_ms = ModelLotExpiresAtMs(now_ms_);  // Server now.
    Credit(points, last_sequence_ + 1, restore, back.lot_expires_at_ms);
    Append(*member, std::move(back));
  }
  // RESTORE gives the use back; RESTORE_IF_VALID only inside the coupon's
  // window; KEEP_USED (and unset) never.
  int64_t coupons_restored = 0;
  if (whole_order) {
    for (const std::string& code : order.coupon_codes) {
      CouponState& coupon = coupons_[code];
      const CouponRule* rule = FindCouponRule(coupon.template_id);
      const bool back =
          rule->return_policy == v1::COUPON_RETURN_POLICY_RESTORE ||
          (rule->return_policy == v1::COUPON_RETURN_POLICY_RESTORE_IF_VALID &&
           now_ms_ >= coupon.valid_from_ms && now_ms_ < coupon.valid_until_ms);
      if (!back) continue;
      --coupon.uses;
      ExpectedEntry given_back = CommandEntry(
          *member, v1::ENTRY_KIND_COUPON_RESTORE, request.context());
      given_back.order_id = request.order_id();
      given_back.coupon_code = coupon.code;
      given_back.coupon_template = coupon.template_id;
      given_back.coupon_uses_after = coupon.uses;
      Append(*member, std::move(given_back));
      coupons_written_.insert(coupon.code);
      ++coupons_restored;
    }
  }
  Expected ok = Ok(*member);
  ok.points_delta = -from_available;
  ok.sequence = return_sequence;
  ok.own_entry_from_end =
      (restored > 0 ? 1 : 0) + static_cast<int>(coupons_restored);
  ok.points_reversed = from_pending + from_available;
  ok.points_forgiven = forgiven;
  ok.points_restored = restored;
  WriteOrder(*member, request.order_id(), &ok);
  counts_.merged_orders_returned +=
      merged_orders_.count({member->member_id, request.order_id()});
  return ok;
}

}  // namespace loyalty::model
