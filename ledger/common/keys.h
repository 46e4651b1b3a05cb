// File: ledger/common/keys.h
//
// Key encodings of every family, chosen so RocksDB's byte order is the order
// the queries need:
//
//   entries         BE64(sequence)                  ascending = ledger order
//   member_entries  member_id 0x00 BE64(sequence)   one member's entries are
//                                                   contiguous; a statement
//                                                   page is a reverse scan
//   members         member_id
//   identifiers     u8(kind) value
//   requests        principal 0x00 request_id
//   orders          member_id 0x00 order_id         (OrderRecord)
//   meta            "head"
//   schedule        BE64(due_ms) member_id          ascending = soonest due
//   coupons, coupon_counts, coupon_batches, coupon_bearer_uses: below
//   vouchers        canonical code                  (VoucherRecord)
//   voucher_gifts   canonical claim code            (VoucherGiftRecord)
//   reward_counts   item_id [0x00 member_id]        (RewardCount)
//   wallet          member_id 0x00 BE64(sequence)   one member's wallet is
//                                                   contiguous, oldest first
//
// Invariant: ids never contain 0x00 (validation allows printable ASCII only),
// so "member_id 0x00" is a prefix no other member's keys share.
#ifndef LOYALTY_LEDGER_COMMON_KEYS_H_
#define LOYALTY_LEDGER_COMMON_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

inline constexpr absl::string_view kHeadKey = "head";

std::string EncodeBigEndian64(uint64_t value);
// nullopt unless `bytes` is exactly 8 bytes.
std::optional<uint64_t> DecodeBigEndian64(absl::string_view bytes);

std::string EntryKey(uint64_t sequence);
std::string MemberKey(absl::string_view member_id);
std::string MemberEntryKey(absl::string_view member_id, uint64_t sequence);
// [lower, upper) of all member_entries keys of one member.
std::string MemberEntriesLower(absl::string_view member_id);
std::string MemberEntriesUpper(absl::string_view member_id);
// The sequence at the end of a member_entries key; nullopt if malformed.
std::optional<uint64_t> SequenceOfMemberEntryKey(absl::string_view key);
std::string IdentifierKey(loyalty::v1::IdentifierKind kind,
                          absl::string_view value);
std::string RequestKey(absl::string_view principal,
                       absl::string_view request_id);
std::string OrderKey(absl::string_view member_id, absl::string_view order_id);
// due_ms > 0.
std::string ScheduleKey(int64_t due_ms, absl::string_view member_id);
// coupons: the canonical code (16 Crockford base32 characters) itself.
// coupon_counts: the template id (coupons issued from it), and the template
// id, 0x00, member id (coupons of it issued to that member).
std::string CouponKey(absl::string_view code);
std::string CouponTemplateCountKey(absl::string_view template_id);
std::string CouponMemberCountKey(absl::string_view template_id,
                                 absl::string_view member_id);
// vouchers: the canonical code (16 Crockford base32 characters) itself.
std::string VoucherKey(absl::string_view code);
// voucher_gifts: the canonical claim code itself.
std::string VoucherGiftKey(absl::string_view claim_code);
// Bulk coupon codes. coupon_batches: the batch id. coupon_bearer_uses: the
// template id, 0x00, member id (the member's uses of its bearer codes).
std::string CouponBatchKey(absl::string_view batch_id);
std::string CouponBearerUsesKey(absl::string_view template_id,
                                absl::string_view member_id);
// Rewards catalog. reward_counts: the item id (every member), and the item
// id, 0x00, member id (one member).
std::string RewardItemCountKey(absl::string_view item_id);
std::string RewardMemberCountKey(absl::string_view item_id,
                                 absl::string_view member_id);
// Wallet: member id, 0x00, BE64(sequence of the entry that gave the member
// the coupon or voucher); [lower, upper) of one member's keys.
std::string WalletKey(absl::string_view member_id, uint64_t sequence);
std::string WalletLower(absl::string_view member_id);
std::string WalletUpper(absl::string_view member_id);
// The upper bound of every schedule key due at or before `now_ms`.
std::string ScheduleUpper(int64_t now_ms);
struct ScheduleItem {
  int64_t due_ms;
  std::string member_id;
};
std::optional<ScheduleItem> ParseScheduleKey(absl::string_view key);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COMMON_KEYS_H_
