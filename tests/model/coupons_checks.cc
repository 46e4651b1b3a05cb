// The model test's checks of the coupon kinds: each answer's coupon, and at
// the end the coupons and coupon_counts families and GetCoupon against the
// model.
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/coupons/codes.h"
#include "runner.h"

namespace loyalty::model {
namespace {

v1::CouponState StateAt(const CouponState& coupon, int64_t now_ms) {
  if (coupon.cancelled) return v1::COUPON_STATE_CANCELLED;
  if (coupon.uses >= coupon.uses_allowed) return v1::COUPON_STATE_USED_UP;
  if (now_ms < coupon.valid_from_ms) return v1::COUPON_STATE_NOT_YET_VALID;
  if (now_ms >= coupon.valid_until_ms) return v1::COUPON_STATE_EXPIRED;
  if (coupon.uses + coupon.ReservedAt(now_ms) >= coupon.uses_allowed) {
    return v1::COUPON_STATE_RESERVED;
  }
  return v1::COUPON_STATE_USABLE;
}

}  // namespace

std::string CompareCoupon(const CouponState& want, const v1::Coupon& got,
                          int64_t now_ms) {
  std::string differ;
  auto check = [&](bool same, const char* field) {
    if (!same) absl::StrAppend(&differ, field, " ");
  };
  check(got.code() == FormatCouponCode(want.code), "code");
  check(got.template_id() == want.template_id, "template_id");
  check(got.member_id() == want.owner, "member_id");
  check(got.valid_from_ms() == want.valid_from_ms, "valid_from_ms");
  check(got.valid_until_ms() == want.valid_until_ms, "valid_until_ms");
  check(got.uses_allowed() == want.uses_allowed, "uses_allowed");
  check(got.uses() == want.uses, "uses");
  check(got.uses_reserved() == want.ReservedAt(now_ms), "uses_reserved");
  check(got.issued_sequence() == want.issued_sequence, "issued_sequence");
  check(got.batch_id() == want.batch_id, "batch_id");
  check(got.reward_item_id() == want.reward_item_id, "reward_item_id");
  check(got.rule_id() == want.rule_id, "rule_id");  // Program rules'.
  check(got.state() == StateAt(want, now_ms), "state");
  if (differ.empty()) return "";
  return absl::StrCat("coupon ", want.code, " differs in ", differ,
                      "\n    ledger: ", got.ShortDebugString());
}

std::string Runner::CompareCouponsOk(const Command& command,
                                     const Expected& expected,
                                     const Observed& observed) {
  const size_t kind = command.request.index();
  if (kind != kIssueCouponKind && kind != kRedeemCouponKind &&
      kind != kReserveCouponKind && kind != kCommitCouponKind &&
      kind != kReleaseCouponKind) {
    return "";
  }
  // A replay answers with the coupon as it was then (its hash is checked).
  if (expected.replayed) return "";
  return CompareCoupon(expected.coupon, observed.coupon, clock_.NowMs());
}

void Runner::CountCouponRejection(v1::ErrorReason reason) {
  switch (reason) {
    case v1::ERROR_REASON_COUPON_BUDGET_SPENT:
      ++report_.coupon_refusals_budget;
      break;
    case v1::ERROR_REASON_COUPON_LIMIT_REACHED:
      ++report_.coupon_refusals_limit;
      break;
    case v1::ERROR_REASON_COUPON_NOT_VALID_NOW:
      ++report_.coupon_refusals_not_valid_now;
      break;
    case v1::ERROR_REASON_COUPON_USED_UP:
      ++report_.coupon_refusals_used_up;
      break;
    case v1::ERROR_REASON_COUPON_WRONG_CHANNEL:
      ++report_.coupon_refusals_wrong_channel;
      break;
    case v1::ERROR_REASON_COUPON_WRONG_STORE:
      ++report_.coupon_refusals_wrong_store;
      break;
    case v1::ERROR_REASON_COUPON_NOT_FOUND:
      ++report_.coupon_refusals_not_found;
      break;
    case v1::ERROR_REASON_COUPON_TEMPLATE_NOT_FOUND:
      ++report_.coupon_refusals_template;
      break;
    case v1::ERROR_REASON_COUPON_NEEDS_BASKET:
      ++report_.coupon_refusals_needs_basket;
      break;
    case v1::ERROR_REASON_COUPON_BASKET_TOO_SMALL:
      ++report_.coupon_refusals_basket_too_small;
      break;
    case v1::ERROR_REASON_COUPON_NO_ELIGIBLE_LINES:
      ++report_.coupon_refusals_no_eligible_lines;
      break;
    case v1::ERROR_REASON_COUPON_NOT_COMBINABLE:
      ++report_.coupon_refusals_not_combinable;
      break;
    case v1::ERROR_REASON_COUPON_DISCOUNT_BUDGET_SPENT:
      ++report_.coupon_refusals_discount_budget;
      break;
    case v1::ERROR_REASON_COUPON_WRONG_CURRENCY:
      ++report_.coupon_refusals_wrong_currency;
      break;
    case v1::ERROR_REASON_COUPON_RESERVATION_NOT_FOUND:
      ++report_.coupon_refusals_reservation_not_found;
      break;
    case v1::ERROR_REASON_COUPON_RESERVATION_NOT_ACTIVE:
      ++report_.coupon_refusals_reservation_not_active;
      break;
    case v1::ERROR_REASON_TOO_MANY_COUPON_RESERVATIONS:
      ++report_.coupon_refusals_too_many_reservations;
      break;
    case v1::ERROR_REASON_COUPON_BATCH_CONFLICT:
      ++report_.coupon_refusals_batch_conflict;
      break;
    case v1::ERROR_REASON_COUPON_BEARER_LIMIT_REACHED:
      ++report_.coupon_refusals_bearer_limit;
      break;
    default:
      break;
  }
}

absl::StatusOr<std::string> Runner::DrawnCodes(
    const v1::GenerateCouponChunkResponse& chunk) {
  absl::StatusOr<v1::LedgerEntry> entry = ledger_->ReadEntry(chunk.sequence());
  if (!entry.ok()) {
    return absl::InternalError(absl::StrCat("the chunk's entry ",
                                            chunk.sequence(), ": ",
                                            entry.status().ToString()));
  }
  std::set<std::string> seen;
  std::string joined;
  for (const std::string& code : entry->coupons_generated().codes()) {
    absl::StatusOr<std::string> canonical =
        ParseCouponCode(FormatCouponCode(code), "code");
    if (!canonical.ok() || *canonical != code || !seen.insert(code).second ||
        model_.coupons().count(code) > 0) {
      return absl::InternalError(
          absl::StrCat("the ledger generated coupon code \"", code,
                       "\", which is malformed, listed twice or taken"));
    }
    if (!joined.empty()) joined.push_back(',');
    joined += code;
  }
  return joined;
}

std::string Runner::CompareGeneratedOk(const Command& command,
                                       const Expected& expected,
                                       const Observed& observed) {
  const v1::GenerateCouponChunkResponse& chunk = observed.chunk;
  const auto& request =
      std::get<v1::GenerateCouponChunkRequest>(command.request);
  if (chunk.batch_id() != request.batch_id()) return "chunk batch_id differs";
  if (chunk.sequence() != expected.sequence) return "chunk sequence differs";
  if (chunk.first_index() != expected.first_index) {
    return "chunk first_index differs";
  }
  if (chunk.codes() != expected.chunk_codes) return "chunk codes differ";
  // A replay answers as first answered (its hash is checked).
  if (expected.replayed) return "";
  if (chunk.generated() != expected.batch_generated) {
    return "chunk generated differs";
  }
  if (chunk.written_before() != expected.written_before) {
    return "chunk written_before differs";
  }
  if (expected.written_before) return "";
  absl::StatusOr<v1::LedgerEntry> entry = ledger_->ReadEntry(chunk.sequence());
  if (!entry.ok()) return "the chunk's entry cannot be read";
  std::string problem = CompareEntry(expected.entries.back(), *entry);
  if (!problem.empty()) return "the chunk's " + problem;
  return "";
}

void Runner::CountGenerated(const Expected& expected) {
  if (expected.written_before) {
    ++report_.generated_chunks_written_before;
    return;
  }
  ++report_.generated_chunks;
  report_.generated_codes += expected.chunk_codes;
}

absl::StatusOr<v1::ValidateCouponResponse> Runner::ValidateCouponBefore(
    const v1::RedeemCouponRequest& request) {
  v1::ValidateCouponRequest validate;
  *validate.mutable_context() = request.context();
  validate.set_member_id(request.member_id());
  validate.set_code(request.code());
  return ledger_->ValidateCoupon(validate);
}

bool Runner::CheckValidatedCoupon(
    const absl::StatusOr<v1::ValidateCouponResponse>& validated,
    const Expected& expected) {
  if (expected.effect == Effect::kNothing) return true;  // Not decided now.
  ++report_.coupon_validations_judged;
  if (validated.status().code() != expected.code ||
      ReasonOf(validated.status()) != expected.reason) {
    return Fail(absl::StrCat("ValidateCoupon answered ",
                             validated.status().ToString(),
                             " just before the redemption was decided ",
                             absl::StatusCodeToString(expected.code), " ",
                             v1::ErrorReason_Name(expected.reason)));
  }
  if (validated.ok() && validated->coupon().uses() + 1 != expected.coupon.uses) {
    return Fail("ValidateCoupon showed a coupon that is not the one redeemed");
  }
  return true;
}

bool Runner::CheckCoupons() {
  current_ = "the coupon families and GetCoupon against the model";
  std::map<std::string, std::string> want_coupons;
  for (const auto& [code, coupon] : model_.coupons()) {
    storage::v1::CouponRecord record;
    record.set_code(coupon.code);
    record.set_template_id(coupon.template_id);
    record.set_member_id(coupon.owner);
    record.set_valid_from_ms(coupon.valid_from_ms);
    record.set_valid_until_ms(coupon.valid_until_ms);
    record.set_uses_allowed(coupon.uses_allowed);
    record.set_uses(coupon.uses);
    record.set_issued_sequence(coupon.issued_sequence);
    for (const CouponReservationState& open : coupon.reservations) {
      storage::v1::CouponReservation* reservation = record.add_reservations();
      reservation->set_reservation_id(absl::StrCat("R", open.sequence));
      reservation->set_code(open.code);
      reservation->set_sequence(open.sequence);
      reservation->set_expires_at_ms(open.expires_at_ms);
      reservation->set_order_id(open.order_id);
    }
    record.set_batch_id(coupon.batch_id);
    record.set_reward_item_id(coupon.reward_item_id);
    record.set_reward_points(coupon.reward_points);
    record.set_reward_cancellable(coupon.reward_cancellable);
    record.set_cancelled(coupon.cancelled);
    record.set_rule_id(coupon.rule_id);  // Coupons issued by program rules.
    want_coupons[CouponKey(code)] = record.SerializeAsString();
    auto shown = ledger_->GetCoupon(FormatCouponCode(code));
    if (!shown.ok()) {
      return Fail(absl::StrCat("GetCoupon of ", code, ": ",
                               shown.status().ToString()));
    }
    std::string problem = CompareCoupon(coupon, *shown, clock_.NowMs());
    if (!problem.empty()) return Fail("GetCoupon: " + problem);
  }
  std::map<std::string, std::string> want_counts;
  for (const auto& [key, issued] : model_.coupon_counts()) {
    if (issued == 0) continue;  // Looked at by a refused issue only.
    storage::v1::CouponCount count;
    count.set_issued(issued);
    if (key.second.empty()) {
      auto given = model_.coupon_discounts().find(key.first);
      if (given != model_.coupon_discounts().end()) {
        count.set_discount_given_minor(given->second);
      }
    }
    want_counts[key.second.empty()
                    ? CouponTemplateCountKey(key.first)
                    : CouponMemberCountKey(key.first, key.second)] =
        count.SerializeAsString();
  }
  // Bulk coupon codes: the batches and the members' bearer-use counts.
  std::map<std::string, std::string> want_batches;
  for (const auto& [batch_id, batch] : model_.batches()) {
    storage::v1::CouponBatchRecord record;
    record.set_batch_id(batch_id);
    record.set_template_id(batch.template_id);
    record.set_count(batch.count);
    record.set_generated(batch.generated);
    for (const auto& [first_index, sequence, codes] : batch.chunks) {
      storage::v1::CouponBatchRecord::Chunk* chunk = record.add_chunks();
      chunk->set_sequence(sequence);
      chunk->set_first_index(first_index);
      chunk->set_codes(codes);
    }
    record.set_valid_from_ms(batch.valid_from_ms);
    record.set_valid_until_ms(batch.valid_until_ms);
    record.set_uses_allowed(batch.uses_allowed);
    want_batches[CouponBatchKey(batch_id)] = record.SerializeAsString();
  }
  std::map<std::string, std::string> want_bearer_uses;
  for (const auto& [key, uses] : model_.bearer_uses()) {
    storage::v1::CouponBearerUses record;
    record.set_uses(uses);
    want_bearer_uses[CouponBearerUsesKey(key.first, key.second)] =
        record.SerializeAsString();
    report_.bearer_uses += uses;
  }
  for (auto [family, want] :
       {std::pair{Family::kCoupons, &want_coupons},
        std::pair{Family::kCouponCounts, &want_counts},
        std::pair{Family::kCouponBatches, &want_batches},
        std::pair{Family::kCouponBearerUses, &want_bearer_uses}}) {
    std::map<std::string, std::string> stored;
    absl::Status scanned = memory_.Scan(
        family, "", "", false,
        [&](absl::string_view key, absl::string_view value) {
          stored[std::string(key)] = std::string(value);
          return true;
        });
    if (!scanned.ok()) return Fail(scanned.ToString());
    if (stored != *want) {
      return Fail(absl::StrCat("the ", FamilyName(family), " family has ",
                               stored.size(), " keys, the model ",
                               want->size(), ", or a value differs"));
    }
  }
  report_.coupons_issued = model_.coupons().size();
  for (const auto& [code, coupon] : model_.coupons()) {
    report_.coupon_uses += coupon.uses;
    report_.coupons_used_up += coupon.uses >= coupon.uses_allowed;
  }
  return true;
}

}  // namespace loyalty::model
