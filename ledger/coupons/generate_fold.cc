#include "ledger/coupons/generate_fold.h"

#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/codes.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/engine/fold_support.h"
#include "loyalty/v1/coupon_code.h"

namespace loyalty::fold {
namespace {

using loyalty::storage::v1::CouponBatchRecord;
using loyalty::storage::v1::CouponRecord;
using loyalty::v1::LedgerEntry;

// Whether `code` is 16 characters of the code alphabet (the canonical form
// keys and entries carry).
bool IsCanonicalCode(const std::string& code) {
  if (code.size() != kCouponCodeCharacters) return false;
  for (char c : code) {
    if (contract::kCouponCodeAlphabet.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// The batch-level checks of a COUPON_GENERATE against its batch's record.
absl::Status CheckContinuesBatch(const LedgerEntry& entry,
                                 const CouponBatchRecord& batch) {
  const loyalty::v1::CouponsGenerated& generated = entry.coupons_generated();
  if (generated.batch_id().empty() || generated.template_id().empty() ||
      generated.batch_count() < 1 || generated.first_index() < 0 ||
      generated.codes().empty() || generated.uses_allowed() < 1 ||
      generated.valid_until_ms() <= generated.valid_from_ms()) {
    return Broken(entry,
                  "a COUPON_GENERATE without a batch, template, count, "
                  "codes, uses or window");
  }
  if (generated.codes_size() > kCouponsPerGenerateChunkMax) {
    return Broken(entry,
                  "a COUPON_GENERATE with more codes than a chunk holds");
  }
  if (generated.first_index() == 0) {
    if (!batch.batch_id().empty()) {
      return Broken(entry, "a COUPON_GENERATE opens a batch that exists");
    }
  } else if (batch.batch_id() != generated.batch_id() ||
             batch.template_id() != generated.template_id() ||
             batch.count() != generated.batch_count() ||
             batch.generated() != generated.first_index() ||
             batch.valid_from_ms() != generated.valid_from_ms() ||
             batch.valid_until_ms() != generated.valid_until_ms() ||
             batch.uses_allowed() != generated.uses_allowed()) {
    return Broken(entry, "a COUPON_GENERATE does not continue its batch");
  }
  if (generated.codes_size() >
      generated.batch_count() - generated.first_index()) {
    return Broken(entry, "a COUPON_GENERATE passes its batch's count");
  }
  return absl::OkStatus();
}

}  // namespace

bool IsBearerCoupon(const CouponRecord& coupon) {
  return !coupon.batch_id().empty();
}

absl::Status FoldCouponsGenerated(
    const LedgerEntry& entry, CouponBatchRecord* batch,
    loyalty::storage::v1::CouponCount* template_count,
    CouponRecordOf coupon_of) {
  LEDGER_RETURN_IF_ERROR(CheckMemberlessEntryShape(entry));
  LEDGER_RETURN_IF_ERROR(CheckContinuesBatch(entry, *batch));
  const loyalty::v1::CouponsGenerated& generated = entry.coupons_generated();
  if (generated.first_index() == 0) {
    // The whole batch is spoken for from its first chunk, so a batch the
    // budget accepted can always be finished.
    int64_t issued = template_count->issued();
    if (__builtin_add_overflow(issued, generated.batch_count(), &issued)) {
      return Broken(entry, "a template's issued count overflows");
    }
    template_count->set_issued(issued);
    batch->set_batch_id(generated.batch_id());
    batch->set_template_id(generated.template_id());
    batch->set_count(generated.batch_count());
    batch->set_valid_from_ms(generated.valid_from_ms());
    batch->set_valid_until_ms(generated.valid_until_ms());
    batch->set_uses_allowed(generated.uses_allowed());
  }
  for (const std::string& code : generated.codes()) {
    if (!IsCanonicalCode(code)) {
      return Broken(entry,
                    "a COUPON_GENERATE lists a code that is not "
                    "canonical");
    }
    CouponRecord* coupon = coupon_of(code);
    // Unique by construction: the writer drew again for any code taken.
    if (!coupon->code().empty()) {
      return Broken(entry, "a coupon code issued twice");
    }
    coupon->set_code(code);
    coupon->set_template_id(generated.template_id());
    coupon->set_valid_from_ms(generated.valid_from_ms());
    coupon->set_valid_until_ms(generated.valid_until_ms());
    coupon->set_uses_allowed(generated.uses_allowed());
    coupon->set_issued_sequence(entry.sequence());
    coupon->set_batch_id(generated.batch_id());
  }
  CouponBatchRecord::Chunk* chunk = batch->add_chunks();
  chunk->set_sequence(entry.sequence());
  chunk->set_first_index(generated.first_index());
  chunk->set_codes(generated.codes_size());
  batch->set_generated(generated.first_index() + generated.codes_size());
  return absl::OkStatus();
}

bool CountsAsBearerUse(const LedgerEntry& entry,
                       const CouponRecord& coupon_before) {
  return entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_REDEEM &&
         IsBearerCoupon(coupon_before);
}

absl::Status FoldBearerUse(const LedgerEntry& entry,
                           loyalty::storage::v1::CouponBearerUses* uses) {
  if (entry.kind() != loyalty::v1::ENTRY_KIND_COUPON_REDEEM ||
      entry.member_id().empty()) {
    return Broken(entry, "a bearer use that is not a member's COUPON_REDEEM");
  }
  uses->set_uses(uses->uses() + 1);
  return absl::OkStatus();
}

}  // namespace loyalty::fold
