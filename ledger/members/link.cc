#include "ledger/members/link.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/fold.h"
#include "ledger/engine/rule_support.h"
#include "ledger/members/identifier_rules.h"
#include "ledger/points/settle.h"
#include "ledger/points/tiers.h"
#include "ledger/points/time_driven.h"
#include "ledger/read/views.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;
using loyalty::v1::MemberIdentifier;

absl::Status LinkIdentifierCommand::Prepare(const Rules& rules, int64_t now_ms,
                                            Request& request,
                                            Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateLinkIdentifier(request, now_ms));
  return rules.identifiers.StoreOne(request.mutable_identifier());
}

absl::Status LinkIdentifierCommand::Decide(
    const Rules& rules, Batch& batch, Queued<LinkIdentifierCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  LEDGER_RETURN_IF_ERROR(
      CheckLinkable(*member, request.identifier(), "identifier", batch));

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_LINK, request.member_id());
  *entry.add_identifiers() = request.identifier();
  const LedgerEntry& appended = batch.Append(std::move(entry), member);
  batch.StageIdentifier(
      IdentifierKey(request.identifier().kind(), request.identifier().value()),
      request.member_id());

  loyalty::v1::LinkIdentifierResponse response;
  *response.mutable_entry() = appended;
  *response.mutable_identifiers() = member->identifiers();
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status UnlinkIdentifierCommand::Prepare(const Rules& rules,
                                              int64_t now_ms, Request& request,
                                              Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateUnlinkIdentifier(request, now_ms));
  return rules.identifiers.StoreOne(request.mutable_identifier());
}

absl::Status UnlinkIdentifierCommand::Decide(
    const Rules& rules, Batch& batch,
    Queued<UnlinkIdentifierCommand>& command) {
  auto& request = command.request;
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_member_id(), batch));
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), rules, batch));
  if (!HasIdentifier(*member, request.identifier())) {
    return WithReason(
        absl::NotFoundError("identifier: this member does not have it"),
        loyalty::v1::ERROR_REASON_IDENTIFIER_NOT_FOUND);
  }

  LedgerEntry entry =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_UNLINK, request.member_id());
  *entry.add_identifiers() = request.identifier();
  const LedgerEntry& appended = batch.Append(std::move(entry), member);
  batch.EraseIdentifier(
      IdentifierKey(request.identifier().kind(), request.identifier().value()));

  loyalty::v1::UnlinkIdentifierResponse response;
  *response.mutable_entry() = appended;
  *response.mutable_identifiers() = member->identifiers();
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
