// File: ledger/coupons/rule_coupons.h
//
// Coupons issued by program rules: a spend bonus's coupon_template_id
// (reached by an earn) and a tier's upgrade_coupon_template_id (reached by
// an upgrade: an Earn or a merge raising the member's tier). Each is a
// COUPON_ISSUE in the batch of the entry that met the rule, right after
// it, with coupon_issued.rule_id and rule_kind naming the rule; it counts
// against its template's issuance budget and per-member limit like any
// IssueCoupon. When the budget or the limit is reached the coupon is
// skipped and the earn or merge is still written: a rule's coupon is a
// gift, never a reason to refuse a purchase.
//
// A tier's coupon follows each TIER entry that moves the member up, for
// the tier that entry moves to; a tier passed over within one upgrade
// (from the first tier straight to the third) issues nothing.
// Evaluations, which keep or lower a tier, issue nothing. A return never
// takes a rule's coupon back.
#ifndef LOYALTY_LEDGER_COUPONS_RULE_COUPONS_H_
#define LOYALTY_LEDGER_COUPONS_RULE_COUPONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/repeated_field.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

class Batch;
struct Rules;

// Issues the coupon of each spend bonus in `bonus_rule_ids` (an earn's
// EarnComputation::coupon_bonus_rule_ids, in order), right after its EARN.
// `who`: the entry fields of the request (EntryFor, kind COUPON_ISSUE, the
// member's id). Each coupon issued is added to `issued`; one whose budget
// or limit is reached is skipped; with `entries`, its COUPON_ISSUE is
// added there too. Errors only for storage trouble.
absl::Status IssueSpendBonusCoupons(
    const Rules& rules, const std::vector<std::string>& bonus_rule_ids,
    const loyalty::v1::LedgerEntry& who,
    loyalty::storage::v1::MemberRecord* member, Batch& batch,
    google::protobuf::RepeatedPtrField<loyalty::v1::Coupon>* issued,
    google::protobuf::RepeatedPtrField<loyalty::v1::LedgerEntry>* entries =
        nullptr);

// Right after `tier_entry` (a TIER just appended for `member`): when it
// moves the member up to a tier with an upgrade_coupon_template_id, issues
// that coupon (skipped when its budget or limit is reached) and adds it to
// `issued`. Nothing for a TIER that keeps or lowers the tier. `who` as
// above.
absl::Status IssueTierUpgradeCoupon(
    const Rules& rules, const loyalty::v1::LedgerEntry& tier_entry,
    const loyalty::v1::LedgerEntry& who,
    loyalty::storage::v1::MemberRecord* member, Batch& batch,
    google::protobuf::RepeatedPtrField<loyalty::v1::Coupon>* issued,
    google::protobuf::RepeatedPtrField<loyalty::v1::LedgerEntry>* entries =
        nullptr);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_RULE_COUPONS_H_
