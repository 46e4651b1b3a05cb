#include "ledger/vouchers/issue_voucher.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/settle.h"
#include "ledger/vouchers/products.h"
#include "ledger/vouchers/voucher_rules.h"
#include "ledger/vouchers/vouchers_fold.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::storage::v1::VoucherRecord;
using loyalty::v1::LedgerEntry;

namespace {

bool IsEarnCurrency(const loyalty::v1::ProgramConfig& program,
                    absl::string_view currency) {
  for (const auto& rate : program.earn_rates()) {
    if (rate.currency() == currency) return true;
  }
  return false;
}

}  // namespace

absl::Status IssueVoucherCommand::Prepare(const Rules& rules, int64_t now_ms,
                                          Request& request,
                                          Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateChannelContext(request.context(), now_ms));
  if (request.context().channel() != loyalty::v1::CHANNEL_APP &&
      request.context().channel() != loyalty::v1::CHANNEL_WEB) {
    return InvalidField("context.channel",
                        "vouchers are sold online: must be CHANNEL_APP or "
                        "CHANNEL_WEB");
  }
  LEDGER_RETURN_IF_ERROR(ValidateId(request.member_id(), "member_id"));
  LEDGER_RETURN_IF_ERROR(ValidateId(request.product_id(), "product_id"));
  LEDGER_RETURN_IF_ERROR(ValidateVoucherUnits(request.units(), "units"));
  const loyalty::v1::VoucherProduct* product =
      FindVoucherProduct(rules.program, request.product_id());
  // An unknown product is the rule's refusal (NOT_FOUND, remembered).
  if (product != nullptr &&
      request.units() > product->units_per_voucher_max()) {
    return InvalidField(
        "units",
        absl::StrCat("product \"", request.product_id(), "\" sells at most ",
                     product->units_per_voucher_max(), " units per voucher"));
  }
  if (!request.has_price_paid()) {
    return InvalidField("price_paid", "is required (0 for a free voucher)");
  }
  const loyalty::v1::MinorAmount& price = request.price_paid();
  if (price.amount_minor() < 0 ||
      price.amount_minor() > kVoucherPriceMinorMax) {
    return InvalidField(
        "price_paid.amount_minor",
        absl::StrCat("must be between 0 and ", kVoucherPriceMinorMax));
  }
  if (!IsEarnCurrency(rules.program, price.currency())) {
    return InvalidField("price_paid.currency",
                        absl::StrCat("\"", price.currency(),
                                     "\" is not one of the program's "
                                     "earn_rates currencies"));
  }
  return ValidateToken(request.order_id(), "order_id", kIdLengthMax, true);
}

absl::Status IssueVoucherCommand::Decide(const Rules& rules, Batch& batch,
                                         Queued<IssueVoucherCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  const loyalty::v1::VoucherProduct* product =
      FindVoucherProduct(rules.program, request.product_id());
  if (product == nullptr) {
    return WithReason(
        absl::NotFoundError(absl::StrCat("product_id: the program has no "
                                         "voucher product \"",
                                         request.product_id(), "\"")),
        loyalty::v1::ERROR_REASON_VOUCHER_PRODUCT_NOT_FOUND);
  }
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  const int64_t expires_at_ms =
      VoucherExpiresAtMs(*product, rules.time_zone, batch.now_ms());
  // A product with a fixed end sells nothing after it.
  if (expires_at_ms <= batch.now_ms()) {
    return VoucherRefused(loyalty::v1::ERROR_REASON_VOUCHER_EXPIRED,
                          absl::StrCat("product \"", product->product_id(),
                                       "\"'s vouchers can no longer be used"));
  }
  VoucherRecord* voucher = nullptr;
  LEDGER_ASSIGN_OR_RETURN(std::string code, NewVoucherCode(batch, &voucher));

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_VOUCHER_ISSUE, request.member_id());
  entry.set_order_id(request.order_id());
  loyalty::v1::VoucherIssued* issued = entry.mutable_voucher_issued();
  issued->set_code(code);
  issued->set_product_id(product->product_id());
  issued->set_sku(product->sku());
  issued->set_units(request.units());
  issued->set_price_minor(request.price_paid().amount_minor());
  issued->set_currency(request.price_paid().currency());
  issued->set_expires_at_ms(expires_at_ms);
  issued->set_refundable(product->refundable());
  LedgerEntry appended = batch.Append(std::move(entry), member);
  // Invariant: the checks above are the fold's.
  LEDGER_CHECK(fold::FoldVoucherEntry(appended, voucher, nullptr).ok());
  batch.StageRecord(Family::kVouchers, VoucherKey(code));

  loyalty::v1::IssueVoucherResponse response;
  *response.mutable_voucher() = VoucherView(*voucher, product, batch.now_ms());
  *response.mutable_entry() = std::move(appended);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
