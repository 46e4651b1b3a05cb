// The model test's checks of the points domain (see harness.h): QuoteEarn,
// the fields of earn, event, redeem, adjust, hold and return responses,
// and what the points entries and rejections count. The Ledger is called
// only from harness.cc; these methods judge what it answered.
#include <cstdint>
#include <limits>
#include <string>
#include <variant>

#include "absl/strings/str_cat.h"
#include "runner.h"

namespace loyalty::model {

// QuoteEarn's answer (CheckQuote, harness.cc) against the model's earn.
bool Runner::JudgeQuote(const v1::EarnRequest& request,
                        const absl::StatusOr<v1::QuoteEarnResponse>& quote) {
  // A quote for an alias is the quote for its member (closed ones too).
  const std::string member_id = model_.Resolve(request.member_id());
  const bool member_known = model_.FindMember(member_id) != nullptr;
  // Malformed requests are the generator's to know (judged with the earn).
  if (absl::IsInvalidArgument(quote.status())) return true;
  // Then, before anything is looked up, the event's age (as Earn decides).
  model_.set_now_ms(clock_.NowMs());
  if (model_.EventTooOld(request.context())) {
    if (absl::IsFailedPrecondition(quote.status()) &&
        ReasonOf(quote.status()) == v1::ERROR_REASON_EVENT_TOO_OLD) {
      ++report_.quotes_too_old;
      return true;
    }
    return Fail(absl::StrCat("a quote of an event too old answered ",
                             quote.status().ToString()));
  }
  if (!member_known) {
    if (absl::IsNotFound(quote.status()) &&
        ReasonOf(quote.status()) == v1::ERROR_REASON_MEMBER_NOT_FOUND) {
      return true;
    }
    return Fail(absl::StrCat("a quote for an unknown member answered ",
                             quote.status().ToString()));
  }
  // With coupons: a closed member is told so, and a coupon's refusal is
  // Earn's, on the state as it is.
  model_.set_now_ms(clock_.NowMs());
  std::optional<Model::Checkout> checkout;
  if (request.coupon_codes_size() > 0) {
    std::optional<v1::ErrorReason> refusal;
    absl::StatusCode refusal_code = absl::StatusCode::kFailedPrecondition;
    if (model_.FindMember(member_id)->status == v1::MEMBER_STATUS_CLOSED) {
      refusal = v1::ERROR_REASON_MEMBER_CLOSED;
    } else {
      auto priced = model_.PriceCoupons(member_id, request);
      if (const Expected* refused = std::get_if<Expected>(&priced)) {
        refusal = refused->reason;
        refusal_code = refused->code;
      } else {
        checkout = std::move(std::get<Model::Checkout>(priced));
        if (!model_.ComputeEarn(request, &*checkout).has_value() &&
            model_.ComputeEarn(request).has_value()) {
          refusal = v1::ERROR_REASON_BALANCE_OVERFLOW;
        }
      }
    }
    if (refusal.has_value()) {
      if (quote.status().code() != refusal_code ||
          ReasonOf(quote.status()) != *refusal) {
        return Fail(absl::StrCat(
            "a quote with coupons answered ", quote.status().ToString(),
            "; the model: ", v1::ErrorReason_Name(*refusal)));
      }
      ++report_.coupon_quotes_refused;
      return true;
    }
  }
  if (!quote.ok()) {
    return Fail(absl::StrCat("a quote failed: ", quote.status().ToString()));
  }
  std::optional<Model::EarnPoints> expected =
      model_.ComputeEarn(request, checkout.has_value() ? &*checkout : nullptr);
  if (!expected.has_value()) {
    return Fail("a quote answered for a basket the model rejects");
  }
  const int64_t discount = checkout.has_value() ? checkout->discount_minor : 0;
  if (quote->discount_minor() != discount ||
      quote->coupons_size() != request.coupon_codes_size()) {
    return Fail(
        absl::StrCat("a quote's coupons differ: ", quote->ShortDebugString(),
                     "; the model takes ", discount, " off"));
  }
  if (checkout.has_value()) ++report_.coupon_quotes_judged;
  const int64_t granted =
      model_.GrantedPoints(*model_.FindMember(member_id), *expected);
  // The tier multiplier of the member's tier as of now (projected).
  const int tier = model_.Projected(member_id)->tier.tier;
  const int64_t extra = model_.TierExtra(
      tier,
      expected->points - expected->campaign_points - expected->coupon_points,
      granted);
  const int64_t expected_points = granted + extra;
  int tier_lines = 0;
  bool tier_line_same = true;
  for (const v1::EarnBreakdownLine& line : quote->breakdown()) {
    if (line.kind() != v1::RULE_KIND_TIER) continue;
    ++tier_lines;
    tier_line_same = tier_line_same &&
                     line.rule_id() == model_.tiers().tiers[tier].tier_id &&
                     line.points() == extra;
  }
  if (quote->points() != expected_points ||
      quote->spend_minor() != expected->spend_minor ||
      tier_lines != (extra > 0 ? 1 : 0) || !tier_line_same) {
    return Fail(absl::StrCat("quote ", quote->points(), " points on ",
                             quote->spend_minor(), " spend, ", tier_lines,
                             " tier lines; the model: ", expected_points,
                             " on ", expected->spend_minor, ", tier line ",
                             extra, "\n  quote: ", quote->ShortDebugString()));
  }
  return true;
}

std::string Runner::ComparePointsOk(const Command& command,
                                    const Expected& expected,
                                    const Observed& observed) {
  const v1::LedgerEntry& entry = observed.entry;
  if (std::holds_alternative<v1::HoldPointsRequest>(command.request) &&
      (observed.hold_id != entry.hold_id() ||
       observed.hold_expires_at_ms != entry.hold_expires_at_ms())) {
    return "hold_id / expires_at_ms differ from the HOLD entry's";
  }

  if (const auto* earn = std::get_if<v1::EarnRequest>(&command.request)) {
    if (observed.points_earned != expected.points_delta) {
      return "points_earned differs";
    }
    if (entry.order_id() != earn->order_id() ||
        entry.currency() != earn->currency()) {
      return "entry order/currency differs";
    }
    if (entry.spend_minor() != expected.spend_minor) {
      return "entry spend_minor differs";
    }
    if (observed.discount_minor != expected.discount_minor ||
        (!expected.replayed &&
         observed.coupons_applied != earn->coupon_codes_size())) {
      return absl::StrCat("coupon discounts differ: ", observed.discount_minor,
                          " in ", observed.coupons_applied,
                          " coupons, the model ", expected.discount_minor);
    }
    Int128 breakdown = 0;
    for (const auto& line : entry.breakdown()) breakdown += line.points();
    if (breakdown != expected.points_delta) return "breakdown sum differs";
  } else if (const auto* ret =
                 std::get_if<v1::ReturnRequest>(&command.request)) {
    if (entry.order_id() != ret->order_id()) return "entry order differs";
    if (observed.points_reversed != expected.points_reversed ||
        observed.points_forgiven != expected.points_forgiven ||
        observed.points_restored != expected.points_restored) {
      return absl::StrCat(
          "return figures differ: reversed/forgiven/restored ",
          observed.points_reversed, "/", observed.points_forgiven, "/",
          observed.points_restored, ", model ", expected.points_reversed, "/",
          expected.points_forgiven, "/", expected.points_restored);
    }
    if (observed.entries.size() !=
        static_cast<size_t>(1 + expected.own_entry_from_end)) {
      return "the response's entry count differs";
    }
    // After the RETURN: a RESTORE, and the COUPON_RESTOREs, as written.
    for (int i = 1; !expected.replayed && i <= expected.own_entry_from_end;
         ++i) {
      std::string problem =
          CompareEntry(expected.entries[expected.entries.size() - 1 -
                                        expected.own_entry_from_end + i],
                       observed.entries[static_cast<size_t>(i)]);
      if (!problem.empty()) return "the response's " + problem;
    }
  } else if (const auto* redeem =
                 std::get_if<v1::RedeemRequest>(&command.request)) {
    if (entry.order_id() != redeem->order_id()) return "entry order differs";
  } else if (const auto* event =
                 std::get_if<v1::RecordEventRequest>(&command.request)) {
    if (entry.event_id() != event->event_id() ||
        entry.event_reference() != event->reference()) {
      return "entry event id/reference differs";
    }
    if (observed.points_earned != expected.points_delta) {
      return "event points_earned differs";
    }
  } else if (const auto* adjust =
                 std::get_if<v1::AdjustRequest>(&command.request)) {
    if (entry.operator_id() != adjust->operator_id() ||
        entry.reason_code() != adjust->reason_code() ||
        entry.note() != adjust->note()) {
      return "entry operator/reason/note differs";
    }
  }
  return "";
}

void Runner::CountPointsEntry(const ExpectedEntry& entry) {
  switch (entry.kind) {
    case v1::ENTRY_KIND_EARN:
      report_.pending_earns += entry.bucket == v1::BUCKET_PENDING;
      report_.tier_lines += entry.tier_line_points > 0;
      break;
    case v1::ENTRY_KIND_MATURE:
      ++report_.matures;
      break;
    case v1::ENTRY_KIND_RETURN:
      ++report_.returns;
      report_.returns_from_pending += entry.pending_reversed > 0;
      report_.returns_into_debt += entry.debt_after > 0;
      report_.returns_forgiving += entry.forgiven > 0;
      report_.qualifying_returns += entry.qualifying_delta < 0;
      break;
    case v1::ENTRY_KIND_RESTORE:
      ++report_.restores;
      break;
    case v1::ENTRY_KIND_EXPIRE:
      ++report_.expires;
      report_.expired_saturated +=
          model_.FindMember(entry.member_id)->totals().expired_total ==
          std::numeric_limits<int64_t>::max();
      break;
    case v1::ENTRY_KIND_HOLD:
      ++report_.holds;
      break;
    case v1::ENTRY_KIND_CAPTURE:
      ++report_.captures;
      break;
    case v1::ENTRY_KIND_RELEASE:
      ++(entry.hold_timed_out ? report_.hold_timeouts : report_.releases);
      break;
    case v1::ENTRY_KIND_TIER: {
      const auto index = [&](const std::string& tier_id) {
        int i = 0;
        for (const TierRule& rule : model_.tiers().tiers) {
          if (rule.tier_id == tier_id) return i;
          ++i;
        }
        return -1;
      };
      const int from = index(entry.tier_from), to = index(entry.tier_to);
      ++(to > from    ? report_.tier_upgrades
         : to == from ? report_.tier_keeps
                      : report_.tier_move_downs);
      break;
    }
    default:
      break;
  }
}

void Runner::CountPointsRejection(v1::ErrorReason reason) {
  switch (reason) {
    case v1::ERROR_REASON_TOO_MANY_HOLDS:
      ++report_.too_many_holds;
      break;
    case v1::ERROR_REASON_HOLD_NOT_ACTIVE:
      ++report_.holds_not_active;
      break;
    case v1::ERROR_REASON_HOLD_NOT_FOUND:
      ++report_.holds_not_found;
      break;
    case v1::ERROR_REASON_RETURN_EXCEEDS_ORDER:
      ++report_.return_exceeds;
      break;
    case v1::ERROR_REASON_ORDER_NOT_FOUND:
      ++report_.order_not_found;
      break;
    case v1::ERROR_REASON_EVENT_TOO_OLD:
      ++report_.events_too_old;
      break;
    default:
      break;
  }
}

}  // namespace loyalty::model
