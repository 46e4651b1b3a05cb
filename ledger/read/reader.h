// File: ledger/read/reader.h
//
// Reads: straight from the store, never waiting for the writer. Every value
// read was written by a synced batch, so a read never shows an
// unacknowledged write... except one whose batch is being acknowledged at
// this instant. Views are as of `now_ms` (read/views.h).
//
// Thread-safety: const and stateless beyond its pointers; any thread.
#ifndef LOYALTY_LEDGER_READ_READER_H_
#define LOYALTY_LEDGER_READ_READER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/coupons/checkout.h"
#include "ledger/engine/command.h"
#include "ledger/storage/ledger_store.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

class Reader {
 public:
  // `store` and `rules` are not owned and must outlive the reader.
  Reader(const StoreReader* store, const Rules* rules)
      : store_(store), rules_(rules) {}

  // NotFound (MEMBER_NOT_FOUND) for an unknown member; an alias (a merged
  // member) answers as the member it was merged into.
  absl::StatusOr<loyalty::v1::Member> GetMember(absl::string_view member_id,
                                                int64_t now_ms) const;
  absl::StatusOr<loyalty::v1::Balance> GetBalance(absl::string_view member_id,
                                                  int64_t now_ms) const;
  // The member that has `identifier` (given in clear, in any notation);
  // NotFound (MEMBER_NOT_FOUND) when nobody has it, InvalidArgument for a
  // malformed one.
  absl::StatusOr<loyalty::v1::Member> LookupMember(
      const loyalty::v1::MemberIdentifier& identifier, int64_t now_ms) const;
  // What Earn would grant for `request` now, by the same rules, with the
  // same coupon checks and discounts (coupons/checkout.h) on the synced
  // state; writes nothing. InvalidArgument as Earn (request id and order id
  // optional), NotFound for an unknown member, a coupon's refusal as Earn's.
  absl::StatusOr<loyalty::v1::QuoteEarnResponse> QuoteEarn(
      const loyalty::v1::EarnRequest& request, int64_t now_ms) const;
  // The coupon with `code` (any accepted spelling) as it is at `now_ms`;
  // InvalidArgument for a malformed code or a wrong check character,
  // NotFound (COUPON_NOT_FOUND) for an unknown one.
  absl::StatusOr<loyalty::v1::Coupon> GetCoupon(absl::string_view code,
                                                int64_t now_ms) const;
  // The voucher with `code` (any accepted spelling) as it is at `now_ms`;
  // InvalidArgument for a malformed code or a wrong check character,
  // NotFound (VOUCHER_NOT_FOUND) for an unknown one.
  absl::StatusOr<loyalty::v1::Voucher> GetVoucher(absl::string_view code,
                                                  int64_t now_ms) const;
  // What RedeemCoupon would answer now (OK with the coupon, or its refusal),
  // by the same checks in the same order; writes nothing. InvalidArgument
  // for a malformed request, as RedeemCoupon (the request id may be empty).
  // With a basket (currency and lines): what an Earn with this one code
  // would answer about it, with the discount it would give.
  absl::StatusOr<loyalty::v1::ValidateCouponResponse> ValidateCoupon(
      const loyalty::v1::ValidateCouponRequest& request, int64_t now_ms) const;
  // Newest first. InvalidArgument for a bad page size or token.
  absl::StatusOr<loyalty::v1::ListEntriesResponse> ListEntries(
      const loyalty::v1::ListEntriesRequest& request) const;
  // Wallet (read/wallet.h): a page of the member's coupons and vouchers,
  // and those of the members merged into it, oldest first, as of `now_ms`.
  // InvalidArgument naming member_id, page_size or page_token; NotFound
  // (MEMBER_NOT_FOUND) for an unknown member.
  absl::StatusOr<loyalty::v1::ListWalletResponse> ListWallet(
      const loyalty::v1::ListWalletRequest& request, int64_t now_ms) const;
  // Bulk coupon codes: one entry by its sequence (NotFound past the end;
  // DataLoss when it does not decode): GenerateCoupons streams a chunk's
  // codes from its COUPON_GENERATE entry.
  absl::StatusOr<loyalty::v1::LedgerEntry> ReadEntry(uint64_t sequence) const;

 private:
  // The member `member_id` resolves to in the store (itself unless it was
  // merged); NotFound as for an unknown member.
  absl::StatusOr<loyalty::storage::v1::MemberRecord> ReadResolved(
      absl::string_view member_id) const;
  // Bulk coupon codes: a member's uses of a template's bearer codes (0 when
  // none).
  absl::StatusOr<int64_t> ReadBearerUses(const std::string& template_id,
                                         const std::string& member_id) const;
  // A canonical code's coupon, or NotFound (COUPON_NOT_FOUND).
  absl::StatusOr<loyalty::storage::v1::CouponRecord> ReadCoupon(
      const std::string& canonical_code) const;
  // The readers' CouponLoader (coupons/checkout.h).
  absl::StatusOr<PresentedCoupon> ReadPresentedCoupon(
      const std::string& canonical_code, const std::string& member_id) const;
  absl::StatusOr<loyalty::v1::ValidateCouponResponse> ValidateCouponOnBasket(
      const loyalty::v1::ValidateCouponRequest& request, int64_t now_ms) const;

  const StoreReader* const store_;
  const Rules* const rules_;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_READ_READER_H_
