// The reference model's voucher rules: IssueVoucher, RedeemVoucherUnits,
// TransferVoucherUnits, GiftVoucherUnits, ClaimVoucherGift,
// RefundVoucherUnits and what time does to vouchers (gift returns, unit
// expiries), as the contract states them (loyalty_service.proto,
// common.proto), written without the ledger's code. Codes are the ledger's
// random draw, which the harness hands in.
#include <algorithm>

#include "model.h"
#include "model_rules.h"

namespace loyalty::model {
namespace {

Expected Refused(v1::ErrorReason reason) {
  return Rejected(absl::StatusCode::kFailedPrecondition, reason);
}

// Whether `units` may be taken from `voucher` now: before its expiry, no
// more than are left; the refusal in that order.
std::optional<Expected> Untakeable(const VoucherState& voucher, int64_t units,
                                   int64_t now_ms) {
  if (now_ms >= voucher.expires_at_ms) {
    return Refused(v1::ERROR_REASON_VOUCHER_EXPIRED);
  }
  if (units > voucher.left)
    return Refused(v1::ERROR_REASON_VOUCHER_UNITS_TOO_FEW);
  return std::nullopt;
}

VoucherDue DueOf(const VoucherState& voucher) {
  return {voucher.expires_at_ms, 1, voucher.code};
}
VoucherDue DueOf(const VoucherGiftState& gift) {
  return {gift.claim_expires_at_ms, 0, gift.claim_code};
}

// A voucher lost its last unit: it falls due no more.
void TakenFrom(MemberState& member, const VoucherState& voucher) {
  if (voucher.left == 0) member.voucher_dues.erase(DueOf(voucher));
}

}  // namespace

const std::vector<VoucherRule>& ModelVoucherRules() {
  static const std::vector<VoucherRule> kRules = [] {
    std::vector<VoucherRule> rules;
    // Six coffees for 20 days, refundable, gifts claimable for 2 days: the
    // clock passes both in a run.
    VoucherRule coffee;
    coffee.product_id = "coffee-6";
    coffee.sku = "coffee";
    coffee.units_max = 6;
    coffee.valid_days = 20;
    coffee.refundable = true;
    coffee.gift_claim_days = 2;
    rules.push_back(coffee);
    // Three teas for 2 days: no refunds, no gifts.
    VoucherRule tea;
    tea.product_id = "tea-3";
    tea.sku = "tea";
    tea.units_max = 3;
    tea.valid_days = 2;
    rules.push_back(tea);
    return rules;
  }();
  return kRules;
}

const VoucherRule* FindVoucherRule(const std::string& product_id) {
  for (const VoucherRule& rule : ModelVoucherRules()) {
    if (rule.product_id == product_id) return &rule;
  }
  return nullptr;
}

int64_t MemberState::NextDueMs() const {
  const int64_t points_due = points.NextDueMs();
  if (voucher_dues.empty()) return points_due;
  const int64_t voucher_due = std::get<0>(*voucher_dues.begin());
  return points_due == 0 ? voucher_due : std::min(points_due, voucher_due);
}

void Model::NoteVoucherPut(const std::string& code, bool created) {
  auto [it, inserted] = voucher_puts_.emplace(code, created);
  if (!inserted) it->second = it->second || created;
}

void Model::NoteGiftPut(const std::string& claim_code, bool created) {
  auto [it, inserted] = gift_puts_.emplace(claim_code, created);
  if (!inserted) it->second = it->second || created;
}

ExpectedEntry Model::VoucherEntry(const MemberState& member, v1::EntryKind kind,
                                  const v1::RequestContext& context) const {
  return CommandEntry(member, kind, context);
}

VoucherState* Model::OwnedVoucher(const std::string& code,
                                  const std::string& member_id,
                                  Expected* refused) {
  auto found = vouchers_.find(ModelCanonicalCode(code));
  // Its owner, or the member its owner was merged into.
  if (found == vouchers_.end() || Resolve(found->second.owner) != member_id) {
    *refused = Rejected(absl::StatusCode::kNotFound,
                        v1::ERROR_REASON_VOUCHER_NOT_FOUND);
    return nullptr;
  }
  return &found->second;
}

void Model::SettleVoucherDues(MemberState& member) {
  while (!member.voucher_dues.empty() &&
         std::get<0>(*member.voucher_dues.begin()) <= now_ms_) {
    const auto [due_ms, is_voucher, code] = *member.voucher_dues.begin();
    member.voucher_dues.erase(member.voucher_dues.begin());
    ExpectedEntry entry;
    entry.member_id = member.member_id;
    entry.principal = "system";
    entry.occurred_at_ms = due_ms;
    if (is_voucher == 0) {
      VoucherGiftState& gift = voucher_gifts_.at(code);
      VoucherState& voucher = vouchers_.at(gift.voucher_code);
      gift.state = v1::VOUCHER_GIFT_STATE_RETURNED;
      const bool had_none = voucher.left == 0;
      voucher.gifted_pending -= gift.units;
      voucher.left += gift.units;
      if (had_none) member.voucher_dues.insert(DueOf(voucher));
      entry.kind = v1::ENTRY_KIND_VOUCHER_GIFT_RETURN;
      v1::VoucherGifted* g = entry.voucher_details.mutable_voucher_gift();
      g->set_code(voucher.code);
      g->set_claim_code(gift.claim_code);
      g->set_product_id(voucher.product_id);
      g->set_sku(voucher.sku);
      g->set_units(gift.units);
      g->set_units_left_after(voucher.left);
      g->set_claim_expires_at_ms(gift.claim_expires_at_ms);
      g->set_expires_at_ms(voucher.expires_at_ms);
      NoteVoucherPut(voucher.code, false);
      NoteGiftPut(gift.claim_code, false);
      ++counts_.voucher_gifts_returned;
    } else {
      VoucherState& voucher = vouchers_.at(code);
      entry.kind = v1::ENTRY_KIND_VOUCHER_EXPIRE;
      v1::VoucherExpired* expired =
          entry.voucher_details.mutable_voucher_expired();
      expired->set_code(voucher.code);
      expired->set_product_id(voucher.product_id);
      expired->set_units(voucher.left);
      voucher.expired += voucher.left;
      voucher.left = 0;
      NoteVoucherPut(voucher.code, false);
      ++counts_.voucher_expiries;
    }
    Append(member, std::move(entry));
  }
}

Expected Model::ApplyRules(const v1::IssueVoucherRequest& request,
                           const std::string& assigned_code) {
  const VoucherRule* rule = FindVoucherRule(request.product_id());
  if (rule == nullptr) {
    return Rejected(absl::StatusCode::kNotFound,
                    v1::ERROR_REASON_VOUCHER_PRODUCT_NOT_FOUND);
  }
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  VoucherState voucher;
  voucher.code = assigned_code;
  voucher.product_id = rule->product_id;
  voucher.sku = rule->sku;
  voucher.owner = request.member_id();
  voucher.bought = request.units();
  voucher.left = request.units();
  voucher.price_minor = request.price_paid().amount_minor();
  voucher.currency = request.price_paid().currency();
  voucher.expires_at_ms = ModelDayEndMs(now_ms_, rule->valid_days);
  voucher.refundable = rule->refundable;
  voucher.issued_sequence = last_sequence_ + 1;
  voucher.order_id = request.order_id();
  ExpectedEntry entry =
      VoucherEntry(*member, v1::ENTRY_KIND_VOUCHER_ISSUE, request.context());
  entry.order_id = request.order_id();
  v1::VoucherIssued* issued = entry.voucher_details.mutable_voucher_issued();
  issued->set_code(voucher.code);
  issued->set_product_id(voucher.product_id);
  issued->set_sku(voucher.sku);
  issued->set_units(voucher.bought);
  issued->set_price_minor(voucher.price_minor);
  issued->set_currency(voucher.currency);
  issued->set_expires_at_ms(voucher.expires_at_ms);
  issued->set_refundable(voucher.refundable);
  Append(*member, std::move(entry));
  member->voucher_dues.insert(DueOf(voucher));
  vouchers_[voucher.code] = voucher;
  NoteVoucherPut(voucher.code, true);
  Expected ok = Ok(*member);
  ok.voucher = voucher;
  return ok;
}

Expected Model::ApplyRules(const v1::RedeemVoucherUnitsRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  VoucherState* voucher =
      OwnedVoucher(request.code(), request.member_id(), &refused);
  if (voucher == nullptr) return refused;
  if (auto untakeable = Untakeable(*voucher, request.units(), now_ms_)) {
    return *untakeable;
  }
  voucher->left -= request.units();
  voucher->redeemed += request.units();
  ExpectedEntry entry =
      VoucherEntry(*member, v1::ENTRY_KIND_VOUCHER_REDEEM, request.context());
  entry.order_id = request.order_id();
  v1::VoucherRedeemed* redeemed =
      entry.voucher_details.mutable_voucher_redeemed();
  redeemed->set_code(voucher->code);
  redeemed->set_product_id(voucher->product_id);
  redeemed->set_units(request.units());
  redeemed->set_units_left_after(voucher->left);
  Append(*member, std::move(entry));
  TakenFrom(*member, *voucher);
  NoteVoucherPut(voucher->code, false);
  counts_.voucher_pickups_emptying += voucher->left == 0;
  Expected ok = Ok(*member);
  ok.voucher = *voucher;
  return ok;
}

Expected Model::ApplyRules(const v1::TransferVoucherUnitsRequest& request,
                           const std::string& assigned_code) {
  Expected refused;
  MemberState* from = LoadActive(request.member_id(), &refused);
  if (from == nullptr) return refused;
  MemberState* to = LoadActive(request.to_member_id(), &refused);
  if (to == nullptr) return refused;
  VoucherState* source =
      OwnedVoucher(request.code(), request.member_id(), &refused);
  if (source == nullptr) return refused;
  if (auto untakeable = Untakeable(*source, request.units(), now_ms_)) {
    return *untakeable;
  }
  source->left -= request.units();
  source->transferred += request.units();
  VoucherState received;
  received.code = assigned_code;
  received.product_id = source->product_id;
  received.sku = source->sku;
  received.owner = request.to_member_id();
  received.bought = request.units();
  received.left = request.units();
  received.expires_at_ms = source->expires_at_ms;
  received.source_code = source->code;

  ExpectedEntry out = VoucherEntry(*from, v1::ENTRY_KIND_VOUCHER_TRANSFER_OUT,
                                   request.context());
  out.counterparty = request.to_member_id();
  out.note = request.note();
  v1::VoucherTransferred* moved =
      out.voucher_details.mutable_voucher_transferred();
  moved->set_code(source->code);
  moved->set_counterpart_code(received.code);
  moved->set_product_id(source->product_id);
  moved->set_sku(source->sku);
  moved->set_units(request.units());
  moved->set_units_left_after(source->left);
  moved->set_expires_at_ms(source->expires_at_ms);
  ExpectedEntry in =
      VoucherEntry(*to, v1::ENTRY_KIND_VOUCHER_TRANSFER_IN, request.context());
  in.counterparty = request.member_id();
  in.note = request.note();
  *in.voucher_details.mutable_voucher_transferred() = *moved;
  in.voucher_details.mutable_voucher_transferred()->set_code(received.code);
  in.voucher_details.mutable_voucher_transferred()->set_counterpart_code(
      source->code);
  in.voucher_details.mutable_voucher_transferred()->set_units_left_after(
      received.left);
  Append(*from, std::move(out));
  received.issued_sequence = last_sequence_ + 1;
  Append(*to, std::move(in));
  TakenFrom(*from, *source);
  to->voucher_dues.insert(DueOf(received));
  NoteVoucherPut(source->code, false);
  NoteVoucherPut(received.code, true);
  vouchers_[received.code] = received;
  Expected ok = Ok(*from);
  ok.own_entry_from_end = 1;
  ok.counterparty_id = to->member_id;
  ok.response_entries = 2;
  ok.voucher = *source;
  ok.received = received;
  return ok;
}

Expected Model::ApplyRules(const v1::GiftVoucherUnitsRequest& request,
                           const std::string& assigned_code) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  VoucherState* voucher =
      OwnedVoucher(request.code(), request.member_id(), &refused);
  if (voucher == nullptr) return refused;
  const VoucherRule* rule = FindVoucherRule(voucher->product_id);
  if (rule == nullptr || rule->gift_claim_days == 0) {
    return Refused(v1::ERROR_REASON_VOUCHER_GIFTS_NOT_ALLOWED);
  }
  if (auto untakeable = Untakeable(*voucher, request.units(), now_ms_)) {
    return *untakeable;
  }
  VoucherGiftState gift;
  gift.claim_code = assigned_code;
  gift.voucher_code = voucher->code;
  gift.giver = request.member_id();
  gift.units = request.units();
  gift.gift_sequence = last_sequence_ + 1;
  gift.claim_expires_at_ms = std::min(
      ModelDayEndMs(now_ms_, rule->gift_claim_days), voucher->expires_at_ms);
  voucher->left -= gift.units;
  voucher->gifted_pending += gift.units;
  ExpectedEntry entry =
      VoucherEntry(*member, v1::ENTRY_KIND_VOUCHER_GIFT, request.context());
  entry.note = request.note();
  v1::VoucherGifted* g = entry.voucher_details.mutable_voucher_gift();
  g->set_code(voucher->code);
  g->set_claim_code(gift.claim_code);
  g->set_product_id(voucher->product_id);
  g->set_sku(voucher->sku);
  g->set_units(gift.units);
  g->set_units_left_after(voucher->left);
  g->set_claim_expires_at_ms(gift.claim_expires_at_ms);
  g->set_expires_at_ms(voucher->expires_at_ms);
  Append(*member, std::move(entry));
  TakenFrom(*member, *voucher);
  member->voucher_dues.insert(DueOf(gift));
  voucher_gifts_[gift.claim_code] = gift;
  NoteVoucherPut(voucher->code, false);
  NoteGiftPut(gift.claim_code, true);
  Expected ok = Ok(*member);
  ok.voucher = *voucher;
  return ok;
}

Expected Model::ApplyRules(const v1::ClaimVoucherGiftRequest& request,
                           const std::string& assigned_code) {
  Expected refused;
  MemberState* claimer = LoadActive(request.member_id(), &refused);
  if (claimer == nullptr) return refused;
  auto found = voucher_gifts_.find(ModelCanonicalCode(request.claim_code()));
  if (found == voucher_gifts_.end()) {
    return Rejected(absl::StatusCode::kNotFound,
                    v1::ERROR_REASON_VOUCHER_NOT_FOUND);
  }
  VoucherGiftState& gift = found->second;
  // The giver settled first: an expired claim code's gift goes back.
  const std::string giver_id = Resolve(gift.giver);
  MemberState* giver = LoadSettled(giver_id);
  if (gift.state != v1::VOUCHER_GIFT_STATE_PENDING) {
    return Refused(v1::ERROR_REASON_VOUCHER_GIFT_NOT_CLAIMABLE);
  }
  VoucherState& source = vouchers_.at(gift.voucher_code);
  VoucherState claimed;
  claimed.code = assigned_code;
  claimed.product_id = source.product_id;
  claimed.sku = source.sku;
  claimed.owner = request.member_id();
  claimed.bought = gift.units;
  claimed.left = gift.units;
  claimed.expires_at_ms = source.expires_at_ms;
  claimed.source_code = source.code;
  gift.state = v1::VOUCHER_GIFT_STATE_CLAIMED;
  gift.claimed_by = request.member_id();
  gift.claimed_code = claimed.code;
  source.gifted_pending -= gift.units;
  source.gifted_claimed += gift.units;

  ExpectedEntry to_giver = VoucherEntry(
      *giver, v1::ENTRY_KIND_VOUCHER_GIFT_CLAIMED, request.context());
  to_giver.counterparty = request.member_id();
  v1::VoucherGifted* g = to_giver.voucher_details.mutable_voucher_gift();
  g->set_code(source.code);
  g->set_claim_code(gift.claim_code);
  g->set_product_id(source.product_id);
  g->set_sku(source.sku);
  g->set_units(gift.units);
  g->set_units_left_after(source.left);
  g->set_claim_expires_at_ms(gift.claim_expires_at_ms);
  g->set_expires_at_ms(source.expires_at_ms);
  g->set_claimed_code(claimed.code);
  ExpectedEntry to_claimer =
      VoucherEntry(*claimer, v1::ENTRY_KIND_VOUCHER_CLAIM, request.context());
  to_claimer.counterparty = giver_id;
  *to_claimer.voucher_details.mutable_voucher_gift() = *g;
  to_claimer.voucher_details.mutable_voucher_gift()->set_units_left_after(
      gift.units);
  Append(*giver, std::move(to_giver));
  claimed.issued_sequence = last_sequence_ + 1;
  Append(*claimer, std::move(to_claimer));
  giver->voucher_dues.erase(DueOf(gift));
  claimer->voucher_dues.insert(DueOf(claimed));
  NoteVoucherPut(source.code, false);
  NoteVoucherPut(claimed.code, true);
  NoteGiftPut(gift.claim_code, false);
  counts_.voucher_gifts_claimed_by_giver += giver_id == request.member_id();
  vouchers_[claimed.code] = claimed;
  Expected ok = Ok(*claimer);
  ok.voucher = claimed;
  return ok;
}

Expected Model::ApplyRules(const v1::RefundVoucherUnitsRequest& request,
                           const std::string&) {
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  VoucherState* voucher =
      OwnedVoucher(request.code(), request.member_id(), &refused);
  if (voucher == nullptr) return refused;
  if (!voucher->refundable || voucher->order_id.empty()) {
    return Refused(v1::ERROR_REASON_VOUCHER_NOT_REFUNDABLE);
  }
  if (auto untakeable = Untakeable(*voucher, request.units(), now_ms_)) {
    return *untakeable;
  }
  // Cumulative floors: every unit's refund sums to the price exactly.
  const int64_t before = voucher->refunded;
  const int64_t after = before + request.units();
  const int64_t refund = static_cast<int64_t>(
      Int128{voucher->price_minor} * after / voucher->bought -
      Int128{voucher->price_minor} * before / voucher->bought);
  voucher->left -= request.units();
  voucher->refunded = after;
  voucher->refunded_minor += refund;
  ExpectedEntry entry =
      VoucherEntry(*member, v1::ENTRY_KIND_VOUCHER_REFUND, request.context());
  entry.order_id = voucher->order_id;
  v1::VoucherRefunded* refunded =
      entry.voucher_details.mutable_voucher_refunded();
  refunded->set_code(voucher->code);
  refunded->set_product_id(voucher->product_id);
  refunded->set_units(request.units());
  refunded->set_units_left_after(voucher->left);
  refunded->set_refund_minor(refund);
  refunded->set_currency(voucher->currency);
  Append(*member, std::move(entry));
  TakenFrom(*member, *voucher);
  NoteVoucherPut(voucher->code, false);
  Expected ok = Ok(*member);
  ok.voucher = *voucher;
  return ok;
}

}  // namespace loyalty::model
