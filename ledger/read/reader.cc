#include "ledger/read/reader.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/common/page_token.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/bearer_coupons.h"
#include "ledger/coupons/checkout.h"
#include "ledger/coupons/codes.h"
#include "ledger/coupons/coupon_rules.h"
#include "ledger/coupons/generate_fold.h"
#include "ledger/coupons/redeem_coupon.h"
#include "ledger/coupons/templates.h"
#include "ledger/engine/fold.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/earn_rules.h"
#include "ledger/points/tiers.h"
#include "ledger/points/time_driven.h"
#include "ledger/read/views.h"
#include "ledger/read/wallet.h"
#include "ledger/vouchers/products.h"
#include "ledger/vouchers/voucher_rules.h"

namespace loyalty {
namespace {

using loyalty::storage::v1::MemberRecord;

absl::StatusOr<MemberRecord> ReadMember(const StoreReader& store,
                                        absl::string_view member_id) {
  LEDGER_RETURN_IF_ERROR(ValidateId(member_id, "member_id"));
  absl::StatusOr<std::string> bytes =
      store.Get(Family::kMembers, MemberKey(member_id));
  if (absl::IsNotFound(bytes.status())) {
    return WithReason(absl::NotFoundError(absl::StrCat(
                          "member_id: no member \"", member_id, "\"")),
                      loyalty::v1::ERROR_REASON_MEMBER_NOT_FOUND);
  }
  if (!bytes.ok()) return bytes.status();
  MemberRecord record;
  if (!record.ParseFromString(*bytes)) {
    return absl::DataLossError(
        absl::StrCat("stored member \"", member_id, "\" cannot be decoded"));
  }
  return record;
}

// The head as of the last synced batch (an empty one before the first).
absl::StatusOr<loyalty::storage::v1::LedgerHead> ReadHead(
    const StoreReader& store) {
  loyalty::storage::v1::LedgerHead head;
  absl::StatusOr<std::string> bytes =
      store.Get(Family::kMeta, std::string(kHeadKey));
  if (absl::IsNotFound(bytes.status())) return head;
  if (!bytes.ok()) return bytes.status();
  if (!head.ParseFromString(*bytes)) {
    return absl::DataLossError("the ledger head cannot be decoded");
  }
  return head;
}

}  // namespace

absl::StatusOr<MemberRecord> Reader::ReadResolved(
    absl::string_view member_id) const {
  LEDGER_ASSIGN_OR_RETURN(MemberRecord record, ReadMember(*store_, member_id));
  for (int hops = 0; record.status() == loyalty::v1::MEMBER_STATUS_MERGED;
       ++hops) {
    if (hops == kAliasChainMax) {
      return absl::DataLossError(absl::StrCat(
          "member \"", member_id, "\": its merges form a chain longer than ",
          kAliasChainMax, " (or a loop)"));
    }
    LEDGER_ASSIGN_OR_RETURN(
        record, ReadMember(*store_, record.merged_into_member_id()));
  }
  return record;
}

absl::StatusOr<loyalty::v1::Member> Reader::GetMember(
    absl::string_view member_id, int64_t now_ms) const {
  LEDGER_ASSIGN_OR_RETURN(MemberRecord record, ReadResolved(member_id));
  loyalty::v1::Member member = MemberAt(record, now_ms, *rules_);
  if (record.member_id() != member_id) {
    // An alias: say which id was asked for, in the balance too.
    member.set_requested_member_id(std::string(member_id));
    member.mutable_balance()->set_requested_member_id(std::string(member_id));
  }
  return member;
}

absl::StatusOr<loyalty::v1::Member> Reader::LookupMember(
    const loyalty::v1::MemberIdentifier& identifier, int64_t now_ms) const {
  LEDGER_ASSIGN_OR_RETURN(loyalty::v1::MemberIdentifier stored,
                          rules_->identifiers.Stored(identifier, "identifier"));
  absl::StatusOr<std::string> owner = store_->Get(
      Family::kIdentifiers, IdentifierKey(stored.kind(), stored.value()));
  if (absl::IsNotFound(owner.status())) {
    return WithReason(
        absl::NotFoundError(absl::StrCat("identifier: no member has this ",
                                         IdentifierKindName(stored.kind()))),
        loyalty::v1::ERROR_REASON_MEMBER_NOT_FOUND);
  }
  if (!owner.ok()) return owner.status();
  return GetMember(*owner, now_ms);
}

absl::StatusOr<loyalty::v1::Balance> Reader::GetBalance(
    absl::string_view member_id, int64_t now_ms) const {
  LEDGER_ASSIGN_OR_RETURN(MemberRecord record, ReadResolved(member_id));
  loyalty::v1::Balance balance = BalanceAt(record, now_ms, *rules_);
  if (record.member_id() != member_id) {
    balance.set_requested_member_id(std::string(member_id));
  }
  return balance;
}

absl::StatusOr<loyalty::storage::v1::CouponRecord> Reader::ReadCoupon(
    const std::string& canonical_code) const {
  absl::StatusOr<std::string> bytes =
      store_->Get(Family::kCoupons, CouponKey(canonical_code));
  if (absl::IsNotFound(bytes.status())) return CouponNotFound();
  if (!bytes.ok()) return bytes.status();
  loyalty::storage::v1::CouponRecord record;
  if (!record.ParseFromString(*bytes)) {
    return absl::DataLossError("a stored coupon cannot be decoded");
  }
  return record;
}

absl::StatusOr<PresentedCoupon> Reader::ReadPresentedCoupon(
    const std::string& canonical_code, const std::string& member_id) const {
  PresentedCoupon presented;
  LEDGER_ASSIGN_OR_RETURN(presented.record, ReadCoupon(canonical_code));
  if (fold::IsBearerCoupon(presented.record)) {
    // Bulk coupon codes: any member may present it, within its template's
    // per-member limit.
    LEDGER_ASSIGN_OR_RETURN(
        presented.member_bearer_uses,
        ReadBearerUses(presented.record.template_id(), member_id));
  } else {
    // The owner may have been merged into the presenting member since.
    LEDGER_ASSIGN_OR_RETURN(MemberRecord owner,
                            ReadResolved(presented.record.member_id()));
    if (owner.member_id() != member_id) return CouponNotFound();
  }
  absl::StatusOr<std::string> count_bytes =
      store_->Get(Family::kCouponCounts,
                  CouponTemplateCountKey(presented.record.template_id()));
  if (!count_bytes.ok() && !absl::IsNotFound(count_bytes.status())) {
    return count_bytes.status();
  }
  if (count_bytes.ok()) {
    loyalty::storage::v1::CouponCount count;
    if (!count.ParseFromString(*count_bytes)) {
      return absl::DataLossError("a stored coupon count cannot be decoded");
    }
    presented.template_discount_given_minor = count.discount_given_minor();
  }
  return presented;
}

absl::StatusOr<int64_t> Reader::ReadBearerUses(
    const std::string& template_id, const std::string& member_id) const {
  absl::StatusOr<std::string> bytes = store_->Get(
      Family::kCouponBearerUses, CouponBearerUsesKey(template_id, member_id));
  if (absl::IsNotFound(bytes.status())) return 0;
  if (!bytes.ok()) return bytes.status();
  loyalty::storage::v1::CouponBearerUses uses;
  if (!uses.ParseFromString(*bytes)) {
    return absl::DataLossError("a stored bearer use count cannot be decoded");
  }
  return uses.uses();
}

absl::StatusOr<loyalty::v1::LedgerEntry> Reader::ReadEntry(
    uint64_t sequence) const {
  LEDGER_ASSIGN_OR_RETURN(std::string stored,
                          store_->Get(Family::kEntries, EntryKey(sequence)));
  return UnsealEntry(stored);
}

absl::StatusOr<loyalty::v1::Coupon> Reader::GetCoupon(absl::string_view code,
                                                      int64_t now_ms) const {
  LEDGER_ASSIGN_OR_RETURN(std::string canonical, ParseCouponCode(code, "code"));
  LEDGER_ASSIGN_OR_RETURN(loyalty::storage::v1::CouponRecord record,
                          ReadCoupon(canonical));
  return CouponView(record,
                    FindCouponTemplate(rules_->program, record.template_id()),
                    now_ms);
}

absl::StatusOr<loyalty::v1::Voucher> Reader::GetVoucher(absl::string_view code,
                                                        int64_t now_ms) const {
  LEDGER_ASSIGN_OR_RETURN(std::string canonical, ParseCouponCode(code, "code"));
  absl::StatusOr<std::string> bytes =
      store_->Get(Family::kVouchers, VoucherKey(canonical));
  if (absl::IsNotFound(bytes.status())) return VoucherNotFound();
  if (!bytes.ok()) return bytes.status();
  loyalty::storage::v1::VoucherRecord record;
  if (!record.ParseFromString(*bytes)) {
    return absl::DataLossError("a stored voucher cannot be decoded");
  }
  return VoucherView(
      record, FindVoucherProduct(rules_->program, record.product_id()),
      now_ms);
}

absl::StatusOr<loyalty::v1::ValidateCouponResponse> Reader::ValidateCoupon(
    const loyalty::v1::ValidateCouponRequest& request, int64_t now_ms) const {
  const bool with_basket =
      !request.currency().empty() || request.lines_size() > 0;
  if (with_basket) return ValidateCouponOnBasket(request, now_ms);
  // The same shape checks as RedeemCoupon; the ids a write needs are
  // stand-ins.
  loyalty::v1::RedeemCouponRequest as_redeem;
  *as_redeem.mutable_context() = request.context();
  if (as_redeem.context().request_id().empty()) {
    as_redeem.mutable_context()->set_request_id("validate");
  }
  as_redeem.set_member_id(request.member_id());
  as_redeem.set_code(request.code());
  as_redeem.set_order_id("validate");
  RedeemCouponCommand::Prepared nothing;
  LEDGER_RETURN_IF_ERROR(
      RedeemCouponCommand::Prepare(*rules_, now_ms, as_redeem, nothing));
  // The member first, as RedeemCoupon: an alias means its member.
  LEDGER_ASSIGN_OR_RETURN(MemberRecord member,
                          ReadResolved(request.member_id()));
  if (member.status() == loyalty::v1::MEMBER_STATUS_CLOSED) {
    return MemberClosed(member.member_id());
  }
  LEDGER_ASSIGN_OR_RETURN(
      PresentedCoupon presented,
      ReadPresentedCoupon(as_redeem.code(), member.member_id()));
  const loyalty::v1::CouponTemplate* coupon_template =
      FindCouponTemplate(rules_->program, presented.record.template_id());
  LEDGER_RETURN_IF_ERROR(CheckCouponRedeemable(
      presented.record, coupon_template, now_ms, request.context()));
  LEDGER_RETURN_IF_ERROR(CheckBearerLimit(presented.record, coupon_template,
                                          member.member_id(),
                                          presented.member_bearer_uses));
  loyalty::v1::ValidateCouponResponse response;
  *response.mutable_coupon() =
      CouponView(presented.record, coupon_template, now_ms);
  return response;
}

absl::StatusOr<loyalty::v1::ValidateCouponResponse>
Reader::ValidateCouponOnBasket(const loyalty::v1::ValidateCouponRequest& request,
                               int64_t now_ms) const {
  // Earn's question for this one code: the basket as an order would send it.
  loyalty::v1::EarnRequest order;
  *order.mutable_context() = request.context();
  order.set_member_id(request.member_id());
  order.set_currency(request.currency());
  *order.mutable_lines() = request.lines();
  order.add_coupon_codes(request.code());
  LEDGER_RETURN_IF_ERROR(ValidateQuoteEarn(order, now_ms));
  LEDGER_RETURN_IF_ERROR(CanonicalizeCouponCodes(order));
  LEDGER_ASSIGN_OR_RETURN(MemberRecord member, ReadResolved(order.member_id()));
  if (member.status() == loyalty::v1::MEMBER_STATUS_CLOSED) {
    return MemberClosed(member.member_id());
  }
  LEDGER_ASSIGN_OR_RETURN(
      CouponCheckout checkout,
      CheckOutCoupons(*rules_, order, now_ms,
                      OccurredAtMs(order.context(), now_ms),
                      [&](const std::string& code) {
                        return ReadPresentedCoupon(code, member.member_id());
                      }));
  loyalty::v1::ValidateCouponResponse response;
  *response.mutable_coupon() = CouponView(
      checkout.coupons[0],
      FindCouponTemplate(rules_->program, checkout.coupons[0].template_id()),
      now_ms);
  *response.mutable_applied() = std::move(checkout.applied[0]);
  return response;
}

absl::StatusOr<loyalty::v1::QuoteEarnResponse> Reader::QuoteEarn(
    const loyalty::v1::EarnRequest& request_in, int64_t now_ms) const {
  const loyalty::v1::ProgramConfig& program = rules_->program;
  LEDGER_RETURN_IF_ERROR(ValidateQuoteEarn(request_in, now_ms));
  loyalty::v1::EarnRequest request = request_in;
  LEDGER_RETURN_IF_ERROR(CanonicalizeCouponCodes(request));
  // The member must exist, as for Earn.
  LEDGER_ASSIGN_OR_RETURN(MemberRecord member,
                          ReadResolved(request.member_id()));
  const int64_t order_time_ms = OccurredAtMs(request.context(), now_ms);
  LEDGER_ASSIGN_OR_RETURN(EarnComputation earn,
                          ComputeEarn(program, request, order_time_ms));
  loyalty::v1::QuoteEarnResponse response;
  if (request.coupon_codes_size() > 0) {
    if (member.status() == loyalty::v1::MEMBER_STATUS_CLOSED) {
      return MemberClosed(member.member_id());
    }
    LEDGER_ASSIGN_OR_RETURN(
        CouponCheckout checkout,
        CheckOutCoupons(*rules_, request, now_ms, order_time_ms,
                        [&](const std::string& code) {
                          return ReadPresentedCoupon(code, member.member_id());
                        }));
    earn = std::move(checkout.earn);
    for (auto& applied : checkout.applied) {
      *response.add_coupons() = std::move(applied);
    }
    response.set_discount_minor(checkout.discount_minor);
  }
  // Campaign limits as of the last synced batch: an earn queued meanwhile
  // may use up a cap or budget first.
  LEDGER_ASSIGN_OR_RETURN(loyalty::storage::v1::LedgerHead head,
                          ReadHead(*store_));
  LimitCampaigns(program, member.campaign_points(), head.campaign_points(),
                 &earn);
  const MemberRecord projected =
      ProjectedAt(member, now_ms, program, rules_->time_zone);
  AddTierMultiplier(program, projected.tier_id(), &earn);
  response.set_points(earn.points);
  for (auto& line : earn.breakdown) *response.add_breakdown() = std::move(line);
  response.set_spend_minor(earn.spend_minor);
  response.set_eligible_spend_minor(earn.eligible_spend_minor);
  response.set_order_time_ms(earn.order_time_ms);
  return response;
}

absl::StatusOr<loyalty::v1::ListEntriesResponse> Reader::ListEntries(
    const loyalty::v1::ListEntriesRequest& request) const {
  LEDGER_RETURN_IF_ERROR(ValidateListEntries(request));
  const std::string& member_id = request.member_id();
  std::string upper = MemberEntriesUpper(member_id);
  if (!request.page_token().empty()) {
    LEDGER_ASSIGN_OR_RETURN(uint64_t below,
                            DecodePageToken(member_id, request.page_token()));
    upper = MemberEntryKey(member_id, below);
  }
  // Unknown members are NOT_FOUND rather than an empty statement.
  LEDGER_RETURN_IF_ERROR(ReadMember(*store_, member_id).status());

  const size_t page_size = request.page_size() == 0
                               ? static_cast<size_t>(kPageSizeDefault)
                               : static_cast<size_t>(request.page_size());
  // One more than a page tells whether another page follows.
  std::vector<uint64_t> sequences;
  absl::Status corrupt_key = absl::OkStatus();
  LEDGER_RETURN_IF_ERROR(store_->Scan(
      Family::kMemberEntries, MemberEntriesLower(member_id), upper,
      /*reverse=*/true, [&](absl::string_view key, absl::string_view) {
        std::optional<uint64_t> sequence = SequenceOfMemberEntryKey(key);
        if (!sequence.has_value()) {
          corrupt_key =
              absl::DataLossError("a statement index key is malformed");
          return false;
        }
        sequences.push_back(*sequence);
        return sequences.size() <= page_size;
      }));
  LEDGER_RETURN_IF_ERROR(corrupt_key);

  loyalty::v1::ListEntriesResponse response;
  const size_t shown = std::min(sequences.size(), page_size);
  for (size_t i = 0; i < shown; ++i) {
    absl::StatusOr<std::string> bytes =
        store_->Get(Family::kEntries, EntryKey(sequences[i]));
    if (!bytes.ok()) {
      return absl::DataLossError(absl::StrCat(
          "entry ", sequences[i],
          " is indexed but cannot be read: ", bytes.status().message()));
    }
    absl::StatusOr<loyalty::v1::LedgerEntry> entry = UnsealEntry(*bytes);
    if (!entry.ok()) {
      return absl::DataLossError(
          absl::StrCat("entry ", sequences[i], " cannot be decoded"));
    }
    *response.add_entries() = std::move(*entry);
  }
  if (sequences.size() > page_size) {
    response.set_next_page_token(
        EncodePageToken(member_id, sequences[page_size - 1]));
  }
  return response;
}

absl::StatusOr<loyalty::v1::ListWalletResponse> Reader::ListWallet(
    const loyalty::v1::ListWalletRequest& request, int64_t now_ms) const {
  LEDGER_RETURN_IF_ERROR(ValidateListWallet(request));
  std::optional<uint64_t> after_sequence;
  if (!request.page_token().empty()) {
    LEDGER_ASSIGN_OR_RETURN(
        after_sequence,
        DecodeWalletPageToken(request.member_id(), request.page_token()));
  }
  // An alias lists the wallet of the member it was merged into.
  LEDGER_ASSIGN_OR_RETURN(MemberRecord owner,
                          ReadResolved(request.member_id()));
  return ListWalletOf(*store_, *rules_, owner, request, after_sequence,
                      now_ms);
}

}  // namespace loyalty
