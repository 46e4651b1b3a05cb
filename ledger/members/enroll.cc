#include "ledger/members/enroll.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/fold.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/settle.h"
#include "ledger/points/tiers.h"
#include "ledger/points/time_driven.h"
#include "ledger/read/views.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;
using loyalty::v1::MemberIdentifier;

absl::Status EnrollMemberCommand::Prepare(const Rules& rules, int64_t now_ms,
                                          Request& request,
                                          Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateEnroll(request, now_ms));
  // Before the fingerprint: phones and emails are never kept in clear, not
  // even inside the remembered request's hash.
  return rules.identifiers.StoreAll(request.mutable_identifiers());
}

absl::Status EnrollMemberCommand::Decide(const Rules& rules, Batch& batch,
                                         Queued<EnrollMemberCommand>& command) {
  auto& request = command.request;
  LEDGER_ASSIGN_OR_RETURN(std::string member_id,
                          ChooseMemberId(request.member_id(), batch));
  for (int i = 0; i < request.identifiers_size(); ++i) {
    const auto& identifier = request.identifiers(i);
    LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> owner,
                            batch.FindIdentifierOwner(IdentifierKey(
                                identifier.kind(), identifier.value())));
    if (owner.has_value()) {
      return WithReason(
          absl::AlreadyExistsError(absl::StrCat(
              "identifiers[", i, "]: already belongs to another member")),
          loyalty::v1::ERROR_REASON_IDENTIFIER_TAKEN);
    }
  }

  LedgerEntry entry = EntryFor(request.context(), command.principal,
                               loyalty::v1::ENTRY_KIND_ENROLL, member_id);
  *entry.mutable_identifiers() = request.identifiers();
  if (HasTiers(rules.program)) {
    // Everyone starts in the lowest tier, which is never evaluated.
    entry.set_tier_to(rules.program.tier_rules().tiers(0).tier_id());
  }
  MemberRecord* member = batch.NewMember(member_id);
  const LedgerEntry& appended = batch.Append(std::move(entry), member);
  for (const auto& identifier : request.identifiers()) {
    batch.StageIdentifier(IdentifierKey(identifier.kind(), identifier.value()),
                          member_id);
  }

  loyalty::v1::EnrollMemberResponse response;
  *response.mutable_entry() = appended;
  loyalty::v1::Member* view = response.mutable_member();
  view->set_member_id(member_id);
  view->set_status(member->status());
  view->set_enrolled_at_ms(member->enrolled_at_ms());
  *view->mutable_identifiers() = member->identifiers();
  *view->mutable_balance() = BalanceAt(*member, batch.now_ms(), rules);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
