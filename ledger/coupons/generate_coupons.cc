#include "ledger/coupons/generate_coupons.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/codes.h"
#include "ledger/coupons/coupon_rules.h"
#include "ledger/coupons/generate_fold.h"
#include "ledger/coupons/templates.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/rule_support.h"

namespace loyalty {
namespace {

using loyalty::storage::v1::CouponBatchRecord;
using loyalty::storage::v1::CouponCount;
using loyalty::storage::v1::CouponRecord;
using loyalty::v1::GenerateCouponChunkRequest;
using loyalty::v1::LedgerEntry;

absl::Status ValidateBatchShape(const loyalty::v1::RequestContext& context,
                                absl::string_view batch_id,
                                absl::string_view template_id, int64_t count,
                                int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(ValidateAdminContext(context, now_ms));
  LEDGER_RETURN_IF_ERROR(ValidateId(batch_id, "batch_id"));
  LEDGER_RETURN_IF_ERROR(ValidateId(template_id, "template_id"));
  if (count < 1 || count > kCouponBatchCountMax) {
    return InvalidField("count",
                        absl::StrCat("must be 1..", kCouponBatchCountMax));
  }
  return absl::OkStatus();
}

// The codes of a new chunk: `count` codes no coupon has and none twice.
// 80 random bits collide with one of a billion codes about once in 10^15
// draws; drawing again makes every code unique for certain.
absl::StatusOr<std::vector<std::string>> DrawFreshCodes(int count,
                                                        Batch& batch) {
  std::vector<std::string> codes = NewCouponCodes(batch.random(), count);
  absl::flat_hash_set<std::string> drawn;
  drawn.reserve(codes.size());
  for (std::string& code : codes) {
    while (true) {
      LEDGER_ASSIGN_OR_RETURN(
          CouponRecord * coupon,
          batch.LoadRecord<CouponRecord>(Family::kCoupons, CouponKey(code)));
      if (coupon->code().empty() && drawn.insert(code).second) break;
      code = NewCouponCode(batch.random());
    }
  }
  return codes;
}

// The answer for a chunk the batch already has.
absl::StatusOr<loyalty::v1::GenerateCouponChunkResponse> WrittenChunk(
    const CouponBatchRecord& batch, int64_t first_index) {
  for (const CouponBatchRecord::Chunk& chunk : batch.chunks()) {
    if (chunk.first_index() != first_index) continue;
    loyalty::v1::GenerateCouponChunkResponse response;
    response.set_batch_id(batch.batch_id());
    response.set_sequence(chunk.sequence());
    response.set_first_index(chunk.first_index());
    response.set_codes(chunk.codes());
    response.set_generated(batch.generated());
    response.set_written_before(true);
    return response;
  }
  return CouponRefused(
      loyalty::v1::ERROR_REASON_COUPON_BATCH_CONFLICT,
      absl::StrCat("batch \"", batch.batch_id(), "\" has no chunk starting at ",
                   "code ", first_index));
}

}  // namespace

absl::Status ValidateGenerateCoupons(
    const loyalty::v1::GenerateCouponsRequest& request, int64_t now_ms) {
  LEDGER_RETURN_IF_ERROR(
      ValidateBatchShape(request.context(), request.batch_id(),
                         request.template_id(), request.count(), now_ms));
  if (request.context().request_id().size() > kGenerateRequestIdLengthMax) {
    return InvalidField(
        "context.request_id",
        absl::StrCat("at most ", kGenerateRequestIdLengthMax,
                     " characters for GenerateCoupons (each chunk appends "
                     "its own suffix)"));
  }
  return absl::OkStatus();
}

std::string ChunkRequestId(absl::string_view request_id, int64_t first_index) {
  return absl::StrCat(request_id, "/", first_index);
}

GenerateCouponChunkRequest ChunkRequestOf(
    const loyalty::v1::GenerateCouponsRequest& request, int64_t first_index) {
  GenerateCouponChunkRequest chunk;
  *chunk.mutable_context() = request.context();
  chunk.mutable_context()->set_request_id(
      ChunkRequestId(request.context().request_id(), first_index));
  chunk.set_batch_id(request.batch_id());
  chunk.set_template_id(request.template_id());
  chunk.set_count(request.count());
  chunk.set_first_index(first_index);
  return chunk;
}

int64_t ChunkCodes(int64_t count, int64_t first_index) {
  return std::min<int64_t>(kCouponsPerGenerateChunkMax, count - first_index);
}

absl::Status CheckSameBatch(const CouponBatchRecord& batch,
                            absl::string_view template_id, int64_t count) {
  if (batch.template_id() == template_id && batch.count() == count) {
    return absl::OkStatus();
  }
  return CouponRefused(
      loyalty::v1::ERROR_REASON_COUPON_BATCH_CONFLICT,
      absl::StrCat("batch_id: batch \"", batch.batch_id(), "\" is ",
                   batch.count(), " codes of template \"", batch.template_id(),
                   "\", not ", count, " of \"", template_id, "\""));
}

absl::Status GenerateCouponChunkCommand::Prepare(const Rules& rules,
                                                 int64_t now_ms,
                                                 Request& request,
                                                 Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(
      ValidateBatchShape(request.context(), request.batch_id(),
                         request.template_id(), request.count(), now_ms));
  if (request.first_index() < 0 || request.first_index() >= request.count()) {
    return InvalidField("first_index", "must be 0..count-1");
  }
  return absl::OkStatus();
}

absl::Status GenerateCouponChunkCommand::Decide(
    const Rules& rules, Batch& batch,
    Queued<GenerateCouponChunkCommand>& command) {
  const Request& request = command.request;
  const loyalty::v1::CouponTemplate* coupon_template =
      FindCouponTemplate(rules.program, request.template_id());
  if (coupon_template == nullptr) {
    return WithReason(
        absl::NotFoundError(absl::StrCat("template_id: the program has no "
                                         "coupon template \"",
                                         request.template_id(), "\"")),
        loyalty::v1::ERROR_REASON_COUPON_TEMPLATE_NOT_FOUND);
  }
  const std::string batch_key = CouponBatchKey(request.batch_id());
  LEDGER_ASSIGN_OR_RETURN(
      CouponBatchRecord * batch_record,
      batch.LoadRecord<CouponBatchRecord>(Family::kCouponBatches, batch_key));
  const bool opens_batch = batch_record->batch_id().empty();
  if (!opens_batch) {
    LEDGER_RETURN_IF_ERROR(
        CheckSameBatch(*batch_record, request.template_id(), request.count()));
    if (request.first_index() < batch_record->generated()) {
      LEDGER_ASSIGN_OR_RETURN(
          command.response, WrittenChunk(*batch_record, request.first_index()));
      return absl::OkStatus();
    }
  }
  const int64_t generated = opens_batch ? 0 : batch_record->generated();
  if (request.first_index() != generated) {
    return CouponRefused(
        loyalty::v1::ERROR_REASON_COUPON_BATCH_CONFLICT,
        absl::StrCat("first_index: batch \"", request.batch_id(), "\" has ",
                     generated, " codes; its next chunk starts there, not at ",
                     request.first_index()));
  }
  const std::string template_key =
      CouponTemplateCountKey(request.template_id());
  LEDGER_ASSIGN_OR_RETURN(
      CouponCount * template_count,
      batch.LoadRecord<CouponCount>(Family::kCouponCounts, template_key));
  if (opens_batch && coupon_template->issuance_budget() != 0 &&
      request.count() >
          coupon_template->issuance_budget() - template_count->issued()) {
    return CouponRefused(
        loyalty::v1::ERROR_REASON_COUPON_BUDGET_SPENT,
        absl::StrCat("template \"", request.template_id(), "\" has issued ",
                     template_count->issued(), " of its budget of ",
                     coupon_template->issuance_budget(),
                     " coupons: a batch of ", request.count(),
                     " does not fit"));
  }

  const int chunk_codes =
      static_cast<int>(ChunkCodes(request.count(), request.first_index()));
  // Invariant: Prepare bounded first_index, so the chunk has codes.
  LEDGER_CHECK(chunk_codes >= 1);
  LEDGER_ASSIGN_OR_RETURN(std::vector<std::string> codes,
                          DrawFreshCodes(chunk_codes, batch));

  LedgerEntry entry = EntryFor(request.context(), command.principal,
                               loyalty::v1::ENTRY_KIND_COUPON_GENERATE, "");
  entry.set_channel(loyalty::v1::CHANNEL_ADMIN);
  loyalty::v1::CouponsGenerated* details = entry.mutable_coupons_generated();
  details->set_batch_id(request.batch_id());
  details->set_template_id(request.template_id());
  details->set_batch_count(request.count());
  details->set_first_index(request.first_index());
  if (opens_batch) {
    const CouponWindow window =
        CouponWindowFor(*coupon_template, rules.time_zone, batch.now_ms());
    details->set_valid_from_ms(window.valid_from_ms);
    details->set_valid_until_ms(window.valid_until_ms);
    details->set_uses_allowed(CouponUsesAllowed(*coupon_template));
  } else {
    details->set_valid_from_ms(batch_record->valid_from_ms());
    details->set_valid_until_ms(batch_record->valid_until_ms());
    details->set_uses_allowed(batch_record->uses_allowed());
  }
  details->mutable_codes()->Reserve(chunk_codes);
  for (std::string& code : codes) details->add_codes(std::move(code));
  LedgerEntry appended = batch.AppendMemberless(std::move(entry));

  // DrawFreshCodes loaded every code's record in this batch: these lookups
  // read no store.
  auto coupon_of = [&batch](const std::string& code) {
    absl::StatusOr<CouponRecord*> coupon =
        batch.LoadRecord<CouponRecord>(Family::kCoupons, CouponKey(code));
    LEDGER_CHECK(coupon.ok());
    return *coupon;
  };
  // Invariant: the checks above are the fold's.
  LEDGER_CHECK(fold::FoldCouponsGenerated(appended, batch_record,
                                          template_count, coupon_of)
                   .ok());
  for (const std::string& code : appended.coupons_generated().codes()) {
    batch.StageRecord(Family::kCoupons, CouponKey(code));
  }
  batch.StageRecord(Family::kCouponBatches, batch_key);
  batch.StageRecord(Family::kCouponCounts, template_key);

  loyalty::v1::GenerateCouponChunkResponse response;
  response.set_batch_id(request.batch_id());
  response.set_sequence(appended.sequence());
  response.set_first_index(request.first_index());
  response.set_codes(chunk_codes);
  response.set_generated(batch_record->generated());
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
