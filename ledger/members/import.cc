#include "ledger/members/import.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
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

absl::Status ImportMemberCommand::Prepare(const Rules& rules, int64_t now_ms,
                                          Request& request,
                                          Prepared& prepared) {
  LEDGER_RETURN_IF_ERROR(ValidateImportMember(request, now_ms));
  if (!request.phone().empty()) {
    loyalty::v1::MemberIdentifier phone;
    phone.set_kind(loyalty::v1::IDENTIFIER_KIND_PHONE);
    phone.set_value(request.phone());
    absl::StatusOr<loyalty::v1::MemberIdentifier> stored =
        rules.identifiers.Stored(phone, "phone");
    // The message names the row's column, not an identifier list.
    if (!stored.ok()) {
      return InvalidField("phone", absl::StripPrefix(stored.status().message(),
                                                     "phone.value: "));
    }
    request.set_phone(stored->value());
  }
  if (!request.earned_on().empty()) {
    LEDGER_RETURN_IF_ERROR(
        CheckEarnedOn(request.earned_on(), rules.time_zone, now_ms).status());
  }
  return absl::OkStatus();
}

absl::Status ImportMemberCommand::Decide(const Rules& rules, Batch& batch,
                                         Queued<ImportMemberCommand>& command) {
  auto& request = command.request;
  MemberIdentifier card;
  card.set_kind(loyalty::v1::IDENTIFIER_KIND_CARD_NUMBER);
  card.set_value(request.card_number());
  MemberIdentifier phone;  // Already in its stored (hashed) form.
  phone.set_kind(loyalty::v1::IDENTIFIER_KIND_PHONE);
  phone.set_value(request.phone());
  const bool has_phone = !request.phone().empty();

  LEDGER_ASSIGN_OR_RETURN(
      std::optional<std::string> card_owner,
      batch.FindIdentifierOwner(IdentifierKey(card.kind(), card.value())));
  std::optional<std::string> phone_owner;
  if (has_phone) {
    LEDGER_ASSIGN_OR_RETURN(
        phone_owner,
        batch.FindIdentifierOwner(IdentifierKey(phone.kind(), phone.value())));
  }
  if (phone_owner.has_value() && phone_owner != card_owner) {
    return WithReason(
        absl::AlreadyExistsError(
            card_owner.has_value()
                ? absl::StrCat("phone: already belongs to member ",
                               *phone_owner, ", not to the card's member ",
                               *card_owner)
                : absl::StrCat("phone: already belongs to member ",
                               *phone_owner,
                               " and the card is new; link the card to that "
                               "member, or leave the phone out")),
        loyalty::v1::ERROR_REASON_IDENTIFIER_TAKEN);
  }
  const bool link_phone = has_phone && !phone_owner.has_value();
  const int64_t points = request.opening_points();
  MemberRecord* member = nullptr;
  if (card_owner.has_value()) {
    LEDGER_ASSIGN_OR_RETURN(member, LoadSettled(*card_owner, rules, batch));
    if (link_phone && member->identifiers_size() >= kIdentifiersPerMemberMax) {
      return TooManyIdentifiers();
    }
    if (points > 0) {
      LEDGER_RETURN_IF_ERROR(
          CheckDelta(*member, loyalty::v1::ENTRY_KIND_OPENING, points));
    }
  }

  loyalty::v1::ImportMemberResponse response;
  if (member == nullptr) {
    LEDGER_ASSIGN_OR_RETURN(std::string member_id, ChooseMemberId("", batch));
    LedgerEntry enroll = EntryFor(request.context(), command.principal,
                                  loyalty::v1::ENTRY_KIND_ENROLL, member_id);
    enroll.set_channel(loyalty::v1::CHANNEL_ADMIN);
    *enroll.add_identifiers() = card;
    if (link_phone) *enroll.add_identifiers() = phone;
    if (HasTiers(rules.program)) {
      enroll.set_tier_to(rules.program.tier_rules().tiers(0).tier_id());
    }
    member = batch.NewMember(member_id);
    *response.add_entries() = batch.Append(std::move(enroll), member);
    response.set_enrolled(true);
    for (const MemberIdentifier& identifier : member->identifiers()) {
      batch.StageIdentifier(
          IdentifierKey(identifier.kind(), identifier.value()), member_id);
    }
  } else if (link_phone) {
    LedgerEntry link =
        EntryFor(request.context(), command.principal,
                 loyalty::v1::ENTRY_KIND_LINK, member->member_id());
    link.set_channel(loyalty::v1::CHANNEL_ADMIN);
    *link.add_identifiers() = phone;
    *response.add_entries() = batch.Append(std::move(link), member);
    batch.StageIdentifier(IdentifierKey(phone.kind(), phone.value()),
                          member->member_id());
  }
  response.set_phone_linked(link_phone);

  if (points > 0) {
    int64_t earned_at_ms = batch.now_ms();
    if (!request.earned_on().empty()) {
      // Invariant: ImportMember checked earned_on before queueing.
      absl::StatusOr<int64_t> earned =
          CheckEarnedOn(request.earned_on(), rules.time_zone, batch.now_ms());
      LEDGER_CHECK(earned.ok());
      earned_at_ms = *earned;
    }
    LedgerEntry opening =
        EntryFor(request.context(), command.principal,
                 loyalty::v1::ENTRY_KIND_OPENING, member->member_id());
    opening.set_channel(loyalty::v1::CHANNEL_ADMIN);
    opening.set_points_delta(points);
    opening.set_occurred_at_ms(earned_at_ms);
    opening.set_lot_expires_at_ms(
        LotExpiresAtMs(rules.program.expiry(), rules.time_zone, earned_at_ms));
    response.set_lot_expires_at_ms(opening.lot_expires_at_ms());
    *response.add_entries() = batch.Append(std::move(opening), member);
  }
  response.set_member_id(member->member_id());
  response.set_opening_points(points);
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms(), rules);
  response.set_dry_run(command.dry_run);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
