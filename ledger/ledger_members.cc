// The rules of commands about members themselves: identifiers, transfers
// between members, and legacy balances. Run on the writer thread inside a
// Batch; like ledger_apply.cc, each checks every rule before appending.
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "ledger/apply_common.h"
#include "ledger/batch.h"
#include "ledger/command.h"
#include "ledger/hashing.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/limits.h"
#include "ledger/member_state.h"
#include "ledger/points.h"
#include "ledger/status_util.h"
#include "ledger/tiers.h"
#include "ledger/validation.h"

namespace loyalty {
namespace {

using loyalty::v1::LedgerEntry;
using loyalty::v1::MemberIdentifier;
using loyalty::v1::MemberRecord;

absl::Status IdentifierTaken(absl::string_view field, bool by_this_member) {
  return WithReason(
      absl::AlreadyExistsError(absl::StrCat(
          field, by_this_member ? ": already linked to this member"
                                : ": already belongs to another member")),
      loyalty::v1::ERROR_REASON_IDENTIFIER_TAKEN);
}

absl::Status TooManyIdentifiers() {
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "this member has ", kIdentifiersPerMemberMax,
                        " identifiers, the most a member may have; unlink "
                        "one first")),
                    loyalty::v1::ERROR_REASON_TOO_MANY_IDENTIFIERS);
}

absl::Status OrderIdConflict(absl::string_view order_id) {
  return WithReason(
      absl::FailedPreconditionError(absl::StrCat(
          "order \"", order_id,
          "\": both members have a record of this order id, so the "
          "source's orders cannot move to the target")),
      loyalty::v1::ERROR_REASON_ORDER_ID_CONFLICT);
}

// FAILED_PRECONDITION (MEMBER_MERGED) where a command names ids that a
// merge made one member, or an alias where it must name a member itself.
absl::Status NamesMergedMember(absl::string_view problem) {
  return WithReason(absl::FailedPreconditionError(problem),
                    loyalty::v1::ERROR_REASON_MEMBER_MERGED);
}

absl::Status TransferLimitReached(absl::string_view what) {
  return WithReason(absl::FailedPreconditionError(what),
                    loyalty::v1::ERROR_REASON_TRANSFER_LIMIT_REACHED);
}

// OK when `identifier` may be linked to `member`: nobody has it and the
// member has room for one more.
absl::Status CheckLinkable(const MemberRecord& member,
                           const MemberIdentifier& identifier,
                           absl::string_view field, Batch& batch) {
  LEDGER_ASSIGN_OR_RETURN(
      std::optional<std::string> owner,
      batch.FindIdentifierOwner(
          IdentifierKey(identifier.kind(), identifier.value())));
  if (owner.has_value()) {
    return IdentifierTaken(field, *owner == member.member_id());
  }
  if (member.identifiers_size() >= kIdentifiersPerMemberMax) {
    return TooManyIdentifiers();
  }
  return absl::OkStatus();
}

bool HasIdentifier(const MemberRecord& member,
                   const MemberIdentifier& identifier) {
  for (const MemberIdentifier& own : member.identifiers()) {
    if (own.kind() == identifier.kind() && own.value() == identifier.value()) {
      return true;
    }
  }
  return false;
}

// The member, with a not-found message that names the request's field.
absl::StatusOr<MemberRecord*> LoadNamed(
    absl::StatusOr<MemberRecord*> loaded, absl::string_view field,
    absl::string_view member_id) {
  if (absl::IsNotFound(loaded.status())) {
    return WithReason(absl::NotFoundError(absl::StrCat(
                          field, ": no member \"", member_id, "\"")),
                      loyalty::v1::ERROR_REASON_MEMBER_NOT_FOUND);
  }
  return loaded;
}

}  // namespace

absl::Status Ledger::ApplyLink(Command& command, Batch& batch) {
  const auto& request =
      std::get<loyalty::v1::LinkIdentifierRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), batch));
  LEDGER_RETURN_IF_ERROR(
      CheckLinkable(*member, request.identifier(), "identifier", batch));

  LedgerEntry entry = EntryFor(request.context(), command.principal,
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

absl::Status Ledger::ApplyUnlink(Command& command, Batch& batch) {
  const auto& request =
      std::get<loyalty::v1::UnlinkIdentifierRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), batch));
  if (!HasIdentifier(*member, request.identifier())) {
    return WithReason(absl::NotFoundError(
                          "identifier: this member does not have it"),
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

absl::Status Ledger::ApplyTransfer(Command& command, Batch& batch) {
  const auto& request =
      std::get<loyalty::v1::TransferPointsRequest>(command.request);
  if (!program_.has_transfer_rules()) {
    return WithReason(absl::FailedPreconditionError(
                          "this program allows no transfers between members"),
                      loyalty::v1::ERROR_REASON_TRANSFER_NOT_ALLOWED);
  }
  const loyalty::v1::TransferRules& rules = program_.transfer_rules();
  LEDGER_ASSIGN_OR_RETURN(
      MemberRecord * from,
      LoadNamed(LoadSettled(request.from_member_id(), batch), "from_member_id",
                request.from_member_id()));
  LEDGER_ASSIGN_OR_RETURN(
      MemberRecord * to,
      LoadNamed(LoadSettled(request.to_member_id(), batch), "to_member_id",
                request.to_member_id()));
  // Invariant: validation made them different and points positive.
  LEDGER_CHECK(from != to);
  const int64_t points = request.points();
  LEDGER_CHECK(points > 0);
  if (points > rules.per_transfer_max_points()) {
    return TransferLimitReached(absl::StrCat(
        "points: at most ", rules.per_transfer_max_points(),
        " points per transfer"));
  }
  const int64_t today = EventDay(batch.now_ms(), time_zone_);
  // A day before the latest one (the clock stepped back) counts as it.
  const int64_t given_today =
      today <= from->transfer_day() ? from->transferred_out_on_day() : 0;
  if (points > rules.per_day_max_points() - given_today) {
    return TransferLimitReached(absl::StrCat(
        "points: this member may give ", rules.per_day_max_points(),
        " points a day and gave ", given_today, " today"));
  }
  LEDGER_RETURN_IF_ERROR(
      CheckDelta(*from, loyalty::v1::ENTRY_KIND_TRANSFER_OUT, -points));
  LEDGER_RETURN_IF_ERROR(
      CheckDelta(*to, loyalty::v1::ENTRY_KIND_TRANSFER_IN, points));

  // Pair assertion: a transfer moves points and never creates them.
  const int64_t owned_before = from->available_points() + to->available_points();
  LedgerEntry out = EntryFor(request.context(), command.principal,
                             loyalty::v1::ENTRY_KIND_TRANSFER_OUT,
                             request.from_member_id());
  out.set_points_delta(-points);
  out.set_counterparty_member_id(request.to_member_id());
  out.set_note(request.note());
  out.set_transfer_day(today);
  *out.mutable_transferred_lots() = LotsTakenBy(*from, points);
  LedgerEntry in = EntryFor(request.context(), command.principal,
                            loyalty::v1::ENTRY_KIND_TRANSFER_IN,
                            request.to_member_id());
  in.set_points_delta(points);
  in.set_counterparty_member_id(request.from_member_id());
  in.set_note(request.note());
  *in.mutable_transferred_lots() = out.transferred_lots();

  loyalty::v1::TransferPointsResponse response;
  *response.add_entries() = batch.Append(std::move(out), from);
  *response.add_entries() = batch.Append(std::move(in), to);
  LEDGER_CHECK(from->available_points() + to->available_points() ==
               owned_before);
  *response.mutable_from_balance() = BalanceAt(*from, batch.now_ms());
  *response.mutable_to_balance() = BalanceAt(*to, batch.now_ms());
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status Ledger::ApplyImport(Command& command, Batch& batch) {
  const auto& request =
      std::get<loyalty::v1::ImportMemberRequest>(command.request);
  MemberIdentifier card;
  card.set_kind(loyalty::v1::IDENTIFIER_KIND_CARD_NUMBER);
  card.set_value(request.card_number());
  MemberIdentifier phone;  // Already in its stored (hashed) form.
  phone.set_kind(loyalty::v1::IDENTIFIER_KIND_PHONE);
  phone.set_value(request.phone());
  const bool has_phone = !request.phone().empty();

  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> card_owner,
                          batch.FindIdentifierOwner(IdentifierKey(
                              card.kind(), card.value())));
  std::optional<std::string> phone_owner;
  if (has_phone) {
    LEDGER_ASSIGN_OR_RETURN(phone_owner,
                            batch.FindIdentifierOwner(IdentifierKey(
                                phone.kind(), phone.value())));
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
    LEDGER_ASSIGN_OR_RETURN(member, LoadSettled(*card_owner, batch));
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
    if (HasTiers(program_)) {
      enroll.set_tier_to(program_.tier_rules().tiers(0).tier_id());
    }
    member = batch.NewMember(member_id);
    *response.add_entries() = batch.Append(std::move(enroll), member);
    response.set_enrolled(true);
    for (const MemberIdentifier& identifier : member->identifiers()) {
      batch.StageIdentifier(IdentifierKey(identifier.kind(), identifier.value()),
                            member_id);
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
          CheckEarnedOn(request.earned_on(), time_zone_, batch.now_ms());
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
        LotExpiresAtMs(program_.expiry(), time_zone_, earned_at_ms));
    response.set_lot_expires_at_ms(opening.lot_expires_at_ms());
    *response.add_entries() = batch.Append(std::move(opening), member);
  }
  response.set_member_id(member->member_id());
  response.set_opening_points(points);
  *response.mutable_balance() = BalanceAt(*member, batch.now_ms());
  response.set_dry_run(command.dry_run);
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status Ledger::ApplyClose(Command& command, Batch& batch) {
  const auto& request =
      std::get<loyalty::v1::CloseMemberRequest>(command.request);
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * member,
                          LoadSettled(request.member_id(), batch));
  // Pending points and holds settle by themselves (maturity, timeout);
  // closing first would have to decide their fate out of turn.
  if (member->pending_points() != 0 || member->holds_size() != 0) {
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "member \"", request.member_id(), "\" has ",
            member->pending_points(), " pending points and ",
            member->holds_size(),
            " open holds; close it once they have matured and been "
            "captured or released")),
        loyalty::v1::ERROR_REASON_MEMBER_NOT_SETTLED);
  }

  LedgerEntry close =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_CLOSE, request.member_id());
  close.set_channel(loyalty::v1::CHANNEL_ADMIN);
  // Forfeits what is left, or writes off a debt: available ends at 0.
  close.set_points_delta(-member->available_points());
  close.set_operator_id(request.operator_id());
  close.set_reason_code(request.reason_code());
  close.set_note(request.note());
  close.set_personal_data_erased(request.erase_personal_data());
  if (request.erase_personal_data()) {
    *close.mutable_identifiers() = member->identifiers();
  }
  const LedgerEntry& appended = batch.Append(std::move(close), member);
  for (const MemberIdentifier& identifier : appended.identifiers()) {
    batch.EraseIdentifier(IdentifierKey(identifier.kind(), identifier.value()));
  }

  loyalty::v1::CloseMemberResponse response;
  *response.mutable_entry() = appended;
  *response.mutable_member() = MemberAt(*member, batch.now_ms());
  command.response = std::move(response);
  return absl::OkStatus();
}

absl::Status Ledger::ResolveAliases(Command& command, Batch& batch) {
  return std::visit(
      [&](auto& request) -> absl::Status {
        using Request = std::decay_t<decltype(request)>;
        namespace v1 = loyalty::v1;
        auto resolve = [&](std::string* member_id) -> absl::Status {
          LEDGER_ASSIGN_OR_RETURN(*member_id,
                                  ResolveMemberId(*member_id, batch));
          return absl::OkStatus();
        };
        if constexpr (std::is_same_v<Request, v1::TransferPointsRequest>) {
          LEDGER_RETURN_IF_ERROR(resolve(request.mutable_from_member_id()));
          LEDGER_RETURN_IF_ERROR(resolve(request.mutable_to_member_id()));
          if (request.from_member_id() == request.to_member_id()) {
            return NamesMergedMember(absl::StrCat(
                "to_member_id: resolves to \"", request.to_member_id(),
                "\", the sender (one was merged into the other)"));
          }
        } else if constexpr (std::is_same_v<Request, v1::MergeMembersRequest>) {
          // The source must be named as itself; the target may be an alias
          // of the member to merge into.
          absl::StatusOr<MemberRecord*> source =
              batch.LoadMember(request.source_member_id());
          if (source.ok() &&
              (*source)->status() == v1::MEMBER_STATUS_MERGED) {
            return NamesMergedMember(absl::StrCat(
                "source_member_id: member \"", request.source_member_id(),
                "\" was merged into \"", (*source)->merged_into_member_id(),
                "\" already"));
          }
          LEDGER_RETURN_IF_ERROR(resolve(request.mutable_target_member_id()));
          if (request.target_member_id() == request.source_member_id()) {
            return NamesMergedMember(absl::StrCat(
                "target_member_id: was merged into \"",
                request.source_member_id(), "\", the source"));
          }
        } else if constexpr (std::is_same_v<Request, v1::EnrollMemberRequest> ||
                             std::is_same_v<Request, v1::CloseMemberRequest>) {
          // Enroll names a new id; closing an alias would close the member
          // it resolves to, so CloseMember must name that one itself.
        } else if constexpr (requires { request.mutable_member_id(); }) {
          LEDGER_RETURN_IF_ERROR(resolve(request.mutable_member_id()));
        }
        return absl::OkStatus();
      },
      command.request);
}

absl::Status Ledger::ApplyMerge(Command& command, Batch& batch) {
  const auto& request =
      std::get<loyalty::v1::MergeMembersRequest>(command.request);
  const std::string& source_id = request.source_member_id();
  const std::string& target_id = request.target_member_id();
  LEDGER_ASSIGN_OR_RETURN(
      MemberRecord * source,
      LoadNamed(LoadSettled(source_id, batch), "source_member_id", source_id));
  LEDGER_ASSIGN_OR_RETURN(
      MemberRecord * target,
      LoadNamed(LoadSettled(target_id, batch), "target_member_id", target_id));
  // Invariant: validation and ResolveAliases made them different.
  LEDGER_CHECK(source != target);
  const int identifiers =
      source->identifiers_size() + target->identifiers_size();
  if (identifiers > kIdentifiersPerMemberMax) {
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "together the members have ", identifiers,
            " identifiers, more than the ", kIdentifiersPerMemberMax,
            " a member may have; unlink some first")),
        loyalty::v1::ERROR_REASON_TOO_MANY_IDENTIFIERS);
  }
  // Orders move to the target under their ids (a return names them there);
  // loading both sides now also means moving them later cannot fail.
  LEDGER_ASSIGN_OR_RETURN(std::vector<std::string> order_ids,
                          batch.OrderIdsOf(source_id));
  for (const std::string& order_id : order_ids) {
    LEDGER_RETURN_IF_ERROR(batch.LoadOrder(OrderKey(source_id, order_id)).status());
    LEDGER_ASSIGN_OR_RETURN(loyalty::v1::OrderRecord * order,
                            batch.LoadOrder(OrderKey(target_id, order_id)));
    if (order->ByteSizeLong() > 0) return OrderIdConflict(order_id);
  }

  LedgerEntry out = EntryFor(request.context(), command.principal,
                             loyalty::v1::ENTRY_KIND_MERGE_OUT, source_id);
  LedgerEntry in = EntryFor(request.context(), command.principal,
                            loyalty::v1::ENTRY_KIND_MERGE_IN, target_id);
  for (LedgerEntry* entry : {&out, &in}) {
    entry->set_channel(loyalty::v1::CHANNEL_ADMIN);
    entry->set_operator_id(request.operator_id());
    entry->set_reason_code(request.reason_code());
    entry->set_note(request.note());
    entry->set_merged_pending_points(source->pending_points());
    entry->set_merged_held_points(source->held_points());
  }
  out.set_points_delta(-source->available_points());
  out.set_counterparty_member_id(target_id);
  in.set_points_delta(source->available_points());
  in.set_counterparty_member_id(source_id);
  *in.mutable_identifiers() = source->identifiers();
  in.set_merged_member_record(DeterministicBytes(*source));
  {
    // Everything summed must stay within int64, the points the target
    // owns in all buckets too (as CheckDelta keeps them for every grant:
    // maturing and releasing move points between buckets unchecked). Fold
    // the MERGE_IN into a copy of the target first, as Append will.
    MemberRecord trial = *target;
    LedgerEntry trial_in = in;
    trial_in.set_sequence(batch.head().last_sequence() + 2);
    int64_t owned = 0;
    if (!SetPointsAfter(trial, &trial_in) ||
        !ApplyEntry(trial_in, &trial).ok() ||
        __builtin_add_overflow(trial.available_points(),
                               trial.pending_points(), &owned) ||
        __builtin_add_overflow(owned, trial.held_points(), &owned)) {
      return WithReason(absl::FailedPreconditionError(
                            "together the members' balances or lifetime "
                            "totals would pass the largest number of points "
                            "the ledger keeps"),
                        loyalty::v1::ERROR_REASON_BALANCE_OVERFLOW);
    }
  }

  // Pair assertion: a merge moves points and never creates them.
  const int64_t available_before =
      source->available_points() + target->available_points();
  const int64_t pending_before =
      source->pending_points() + target->pending_points();
  const int64_t held_before = source->held_points() + target->held_points();
  const std::string source_tier_id = source->tier_id();
  const int64_t source_evaluation_ms = source->tier_evaluation_ms();
  loyalty::v1::MergeMembersResponse response;
  *response.add_entries() = batch.Append(std::move(out), source);
  const LedgerEntry& merged_in = batch.Append(std::move(in), target);
  for (const MemberIdentifier& identifier : merged_in.identifiers()) {
    batch.StageIdentifier(IdentifierKey(identifier.kind(), identifier.value()),
                          target_id);
  }
  *response.add_entries() = merged_in;
  LEDGER_CHECK(target->available_points() == available_before &&
               target->pending_points() == pending_before &&
               target->held_points() == held_before);
  batch.MoveOrders(source_id, target_id, order_ids);

  if (std::optional<LedgerEntry> tier =
          MergedTierEntry(*target, source_tier_id, source_evaluation_ms,
                          program_, time_zone_, batch.now_ms())) {
    *response.add_entries() = batch.Append(std::move(*tier), target);
  }
  // The summed window may support a tier higher than either had.
  if (std::optional<LedgerEntry> upgrade =
          UpgradeEntry(*target, program_, time_zone_, batch.now_ms())) {
    *response.add_entries() = batch.Append(std::move(*upgrade), target);
  }
  *response.mutable_member() = MemberAt(*target, batch.now_ms());
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
