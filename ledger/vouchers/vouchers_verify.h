// File: ledger/vouchers/vouchers_verify.h
//
// The vouchers domain's part of VerifyLedger (read/verify_part.h): every
// voucher and gift record is the fold of the voucher entries naming it (so
// no voucher gave more units than it had, or any after its expiry, and no
// gift was claimed twice), and the families hold exactly those records.
// Units are conserved:
//   per voucher (every fold): units_bought = units_redeemed +
//     units_transferred_out + units_gifted_claimed + units_gifted_pending +
//     units_refunded + units_expired + units_left;
//   ledger-wide (Finish): the units all VOUCHER_ISSUEs bought = the units
//     all vouchers redeemed, refunded, expired, have left and have in
//     pending gifts; every VOUCHER_TRANSFER_OUT's units arrived in a
//     TRANSFER_IN and every GIFT_CLAIMED's in a CLAIM (so transfers and
//     claims only move units between vouchers); the units in pending gifts
//     are the pending gifts' units.
// And what falls due is scheduled: every voucher with units left is in
// its owner's voucher_dues (the member it resolves to), every pending gift
// in its giver's, and the members have no other items.
#ifndef LOYALTY_LEDGER_VOUCHERS_VOUCHERS_VERIFY_H_
#define LOYALTY_LEDGER_VOUCHERS_VOUCHERS_VERIFY_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ledger/read/verify_part.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

class VouchersVerifyPart final : public VerifyPart {
 public:
  void BeforeFold(uint64_t key_sequence, const loyalty::v1::LedgerEntry& entry,
                  const loyalty::storage::v1::MemberRecord& member_before,
                  Problems& problems) override {}
  // Folds a voucher entry into its voucher's (and gift's) record.
  void AfterFold(const loyalty::v1::LedgerEntry& entry,
                 const loyalty::storage::v1::EntryStorageFields& storage,
                 Problems& problems) override;
  // The vouchers and voucher_gifts families, the ledger-wide conservation
  // of units and the members' voucher_dues.
  absl::Status Finish(const StoreReader& store, const ReplayedMembers& members,
                      Problems& problems) override;

 private:
  void CheckUnits(Problems& problems) const;
  void CheckDues(const ReplayedMembers& members, Problems& problems) const;

  // By VoucherKey / VoucherGiftKey, as the families key them.
  absl::flat_hash_map<std::string, loyalty::storage::v1::VoucherRecord>
      vouchers_;
  absl::flat_hash_map<std::string, loyalty::storage::v1::VoucherGiftRecord>
      gifts_;
  int64_t units_issued_ = 0;
  // OUT units minus IN units, GIFT_CLAIMED units minus CLAIM units: 0 when
  // every one has its other side.
  int64_t units_in_transfer_ = 0;
  int64_t units_in_claim_ = 0;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_VOUCHERS_VOUCHERS_VERIFY_H_
