// File: ledger/coupons/coupons_verify.h
//
// The coupons domain's part of VerifyLedger (read/verify_part.h): every
// coupon record is the fold of its COUPON_ISSUE and COUPON_REDEEM entries
// (so no coupon was used more often than it allows, or outside its
// window), and every count the fold of the ISSUEs, both ways. Bulk coupon
// codes: COUPON_GENERATE entries (no member) make bearer coupons, their
// batch records and their templates' counts; a bearer coupon's REDEEMs
// make its users' bearer-use counts. Each family is compared both ways.
// Coupons issued by program rules: a rule's COUPON_ISSUE must follow the
// entry that met its rule (CheckRuleCouponFollows).
#ifndef LOYALTY_LEDGER_COUPONS_COUPONS_VERIFY_H_
#define LOYALTY_LEDGER_COUPONS_COUPONS_VERIFY_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "ledger/read/verify_part.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

class CouponsVerifyPart final : public VerifyPart {
 public:
  void BeforeFold(uint64_t key_sequence, const loyalty::v1::LedgerEntry& entry,
                  const loyalty::storage::v1::MemberRecord& member_before,
                  Problems& problems) override {}
  // Folds a coupon entry into its coupon's record and counts (a
  // COUPON_GENERATE into its batch and its codes' records).
  void AfterFold(const loyalty::v1::LedgerEntry& entry,
                 const loyalty::storage::v1::EntryStorageFields& storage,
                 Problems& problems) override;
  // The coupons family, then the coupon_counts family.
  absl::Status Finish(const StoreReader& store, const ReplayedMembers& members,
                      Problems& problems) override;

 private:
  // By CouponKey / CouponTemplateCountKey / CouponMemberCountKey, as the
  // families key them.
  absl::flat_hash_map<std::string, loyalty::storage::v1::CouponRecord> coupons_;
  absl::flat_hash_map<std::string, loyalty::storage::v1::CouponCount> counts_;
  // Bulk coupon codes: by CouponBatchKey and CouponBearerUsesKey.
  absl::flat_hash_map<std::string, loyalty::storage::v1::CouponBatchRecord>
      batches_;
  absl::flat_hash_map<std::string, loyalty::storage::v1::CouponBearerUses>
      bearer_uses_;

  void AfterGenerate(const loyalty::v1::LedgerEntry& entry, Problems& problems);

  // Coupons issued by program rules: what a rule's COUPON_ISSUE is checked
  // against, of the entry before it in the ledger.
  struct PreviousEntry {
    loyalty::v1::EntryKind kind = loyalty::v1::ENTRY_KIND_UNSPECIFIED;
    std::string member_id;
    std::string request_id;
    std::string principal;
    std::string tier_from;
    std::string tier_to;
    loyalty::v1::RuleKind coupon_rule_kind = loyalty::v1::RULE_KIND_UNSPECIFIED;
  };
  PreviousEntry previous_;
  // A spend bonus's coupon follows its EARN (or the coupon of another bonus
  // of that earn): same member, request id and principal. A tier's coupon
  // follows the TIER entry that raised the member to that tier.
  void CheckRuleCouponFollows(const loyalty::v1::LedgerEntry& entry,
                              Problems& problems) const;
  void Remember(const loyalty::v1::LedgerEntry& entry);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_COUPONS_VERIFY_H_
