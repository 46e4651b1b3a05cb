#include "ledger/vouchers/vouchers_verify.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/rewards/rewards_fold.h"
#include "ledger/vouchers/vouchers_fold.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::storage::v1::VoucherGiftRecord;
using loyalty::storage::v1::VoucherRecord;
using loyalty::v1::LedgerEntry;

void VouchersVerifyPart::AfterFold(
    const LedgerEntry& entry,
    const loyalty::storage::v1::EntryStorageFields& storage,
    Problems& problems) {
  // Rewards catalog: a cancelled reward voucher's units are voided.
  if (entry.kind() == loyalty::v1::ENTRY_KIND_REWARD_CANCEL &&
      entry.reward_cancelled().voucher()) {
    const std::string cancelled_key =
        VoucherKey(entry.reward_cancelled().code());
    VoucherRecord cancelled_voucher = vouchers_[cancelled_key];
    absl::Status voided =
        fold::FoldRewardCancelOnVoucher(entry, &cancelled_voucher);
    if (!voided.ok()) {
      problems.Add(std::string(voided.message()));
      return;
    }
    vouchers_[cancelled_key] = std::move(cancelled_voucher);
    return;
  }
  if (!fold::IsVoucherEntry(entry.kind())) return;
  const std::string key = VoucherKey(fold::VoucherCodeOf(entry));
  const bool gift_entry = fold::IsVoucherGiftEntry(entry.kind());
  const std::string gift_key =
      gift_entry ? VoucherGiftKey(entry.voucher_gift().claim_code()) : "";
  VoucherRecord next = vouchers_[key];
  VoucherGiftRecord next_gift;
  if (gift_entry) next_gift = gifts_[gift_key];
  absl::Status folded =
      fold::FoldVoucherEntry(entry, &next, gift_entry ? &next_gift : nullptr);
  if (!folded.ok()) {
    problems.Add(std::string(folded.message()));
    return;
  }
  vouchers_[key] = std::move(next);
  if (gift_entry) gifts_[gift_key] = std::move(next_gift);
  // Units are at most kVoucherUnitsMax per entry: these sums stay far from
  // overflow for any ledger that fits on a disk.
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_VOUCHER_ISSUE:
      units_issued_ += entry.voucher_issued().units();
      break;
    case loyalty::v1::ENTRY_KIND_VOUCHER_TRANSFER_OUT:
      units_in_transfer_ += entry.voucher_transferred().units();
      break;
    case loyalty::v1::ENTRY_KIND_VOUCHER_TRANSFER_IN:
      units_in_transfer_ -= entry.voucher_transferred().units();
      break;
    case loyalty::v1::ENTRY_KIND_VOUCHER_GIFT_CLAIMED:
      units_in_claim_ += entry.voucher_gift().units();
      break;
    case loyalty::v1::ENTRY_KIND_VOUCHER_CLAIM:
      units_in_claim_ -= entry.voucher_gift().units();
      break;
    default:
      break;
  }
}

void VouchersVerifyPart::CheckUnits(Problems& problems) const {
  int64_t units_used = 0;  // Redeemed, refunded, expired, cancelled.
  int64_t units_left = 0;
  int64_t units_pending = 0;
  for (const auto& [key, v] : vouchers_) {
    units_used += v.units_redeemed() + v.units_refunded() + v.units_expired() +
                  v.units_cancelled();
    units_left += v.units_left();
    units_pending += v.units_gifted_pending();
  }
  int64_t gifts_pending = 0;
  for (const auto& [key, gift] : gifts_) {
    if (gift.state() == loyalty::v1::VOUCHER_GIFT_STATE_PENDING) {
      gifts_pending += gift.units();
    }
  }
  if (units_in_transfer_ != 0 || units_in_claim_ != 0) {
    problems.Add(absl::StrCat("voucher units: ", units_in_transfer_,
                              " left by transfer and ", units_in_claim_,
                              " by claim without arriving in another voucher"));
  }
  if (units_issued_ != units_used + units_left + units_pending) {
    problems.Add(
        absl::StrCat("voucher units: ", units_issued_, " bought but ",
                     units_used, " redeemed, refunded, expired or cancelled, ",
                     units_left, " left and ", units_pending, " in gifts"));
  }
  if (units_pending != gifts_pending) {
    problems.Add(absl::StrCat("voucher units: vouchers have ", units_pending,
                              " units in gifts, the pending gifts ",
                              gifts_pending));
  }
}

void VouchersVerifyPart::CheckDues(const ReplayedMembers& members,
                                   Problems& problems) const {
  // The member an owner id resolves to (itself unless merged).
  auto resolve = [&members](std::string id) -> const MemberRecord* {
    for (int hops = 0; hops <= kAliasChainMax; ++hops) {
      auto found = members.find(id);
      if (found == members.end()) return nullptr;
      if (found->second.merged_into_member_id().empty()) return &found->second;
      id = found->second.merged_into_member_id();
    }
    return nullptr;
  };
  auto has_due = [](const MemberRecord& member, const std::string& code,
                    bool is_gift, int64_t due_ms) {
    for (const auto& due : member.voucher_dues()) {
      if (due.code() == code && due.is_gift() == is_gift &&
          due.due_ms() == due_ms) {
        return true;
      }
    }
    return false;
  };
  size_t expected = 0;
  for (const auto& [key, v] : vouchers_) {
    if (v.code().empty() || v.units_left() == 0) continue;
    ++expected;
    const MemberRecord* owner = resolve(v.member_id());
    if (owner == nullptr ||
        !has_due(*owner, v.code(), false, v.expires_at_ms())) {
      problems.Add(absl::StrCat("voucher ", v.code(),
                                ": its expiry is not "
                                "in its owner's voucher_dues"));
    }
  }
  for (const auto& [key, gift] : gifts_) {
    if (gift.state() != loyalty::v1::VOUCHER_GIFT_STATE_PENDING) continue;
    ++expected;
    const MemberRecord* giver = resolve(gift.giver_member_id());
    if (giver == nullptr ||
        !has_due(*giver, gift.claim_code(), true, gift.claim_expires_at_ms())) {
      problems.Add(absl::StrCat("voucher gift ", gift.claim_code(),
                                ": its return is not in its giver's "
                                "voucher_dues"));
    }
  }
  size_t listed = 0;
  for (const auto& [id, member] : members) listed += member.voucher_dues_size();
  if (listed != expected) {
    problems.Add(absl::StrCat("voucher dues: members list ", listed,
                              " items, the vouchers and gifts need ",
                              expected));
  }
}

absl::Status VouchersVerifyPart::Finish(const StoreReader& store,
                                        const ReplayedMembers& members,
                                        Problems& problems) {
  absl::flat_hash_map<std::string, std::string> vouchers;
  for (const auto& [key, record] : vouchers_) {
    // An entry of a voucher never created was reported by the fold.
    if (!record.code().empty()) vouchers[key] = record.SerializeAsString();
  }
  absl::flat_hash_map<std::string, std::string> gifts;
  for (const auto& [key, record] : gifts_) {
    if (!record.claim_code().empty()) gifts[key] = record.SerializeAsString();
  }
  CheckUnits(problems);
  CheckDues(members, problems);
  LEDGER_RETURN_IF_ERROR(CheckFamilyMatches(store, Family::kVouchers, vouchers,
                                            "voucher", problems));
  return CheckFamilyMatches(store, Family::kVoucherGifts, gifts, "voucher gift",
                            problems);
}

}  // namespace loyalty
