#include "ledger/members/merge.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/rule_coupons.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/fold.h"
#include "ledger/engine/rule_support.h"
#include "ledger/points/orders.h"
#include "ledger/points/settle.h"
#include "ledger/points/tiers.h"
#include "ledger/points/time_driven.h"
#include "ledger/read/views.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;
using loyalty::v1::MemberIdentifier;

namespace {

absl::Status OrderIdConflict(absl::string_view order_id) {
  return WithReason(
      absl::FailedPreconditionError(absl::StrCat(
          "order \"", order_id,
          "\": both members have a record of this order id, so the "
          "source's orders cannot move to the target")),
      loyalty::v1::ERROR_REASON_ORDER_ID_CONFLICT);
}

}  // namespace

absl::Status MergeMembersCommand::Prepare(const Rules& rules, int64_t now_ms,
                                          Request& request,
                                          Prepared& prepared) {
  return ValidateMergeMembers(request, now_ms);
}

absl::Status MergeMembersCommand::Decide(const Rules& rules, Batch& batch,
                                         Queued<MergeMembersCommand>& command) {
  auto& request = command.request;
  // The source must be named as itself; the target may be an alias of the
  // member to merge into.
  absl::StatusOr<MemberRecord*> named_source =
      batch.LoadMember(request.source_member_id());
  if (named_source.ok() &&
      (*named_source)->status() == loyalty::v1::MEMBER_STATUS_MERGED) {
    return NamesMergedMember(
        absl::StrCat("source_member_id: member \"", request.source_member_id(),
                     "\" was merged into \"",
                     (*named_source)->merged_into_member_id(), "\" already"));
  }
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_target_member_id(), batch));
  if (request.target_member_id() == request.source_member_id()) {
    return NamesMergedMember(
        absl::StrCat("target_member_id: was merged into \"",
                     request.source_member_id(), "\", the source"));
  }
  const std::string& source_id = request.source_member_id();
  const std::string& target_id = request.target_member_id();
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * source,
                          LoadNamed(LoadSettled(source_id, rules, batch),
                                    "source_member_id", source_id));
  LEDGER_ASSIGN_OR_RETURN(MemberRecord * target,
                          LoadNamed(LoadSettled(target_id, rules, batch),
                                    "target_member_id", target_id));
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
    LEDGER_RETURN_IF_ERROR(
        batch.LoadOrder(OrderKey(source_id, order_id)).status());
    LEDGER_ASSIGN_OR_RETURN(loyalty::storage::v1::OrderRecord * order,
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
  // The source's whole state rides with the stored entry only: it is the
  // ledger's record, not the contract's.
  loyalty::storage::v1::EntryStorageFields carried;
  carried.set_merged_member_record(DeterministicBytes(*source));
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
        !FoldEntry(trial_in, carried, &trial).ok() ||
        __builtin_add_overflow(trial.available_points(), trial.pending_points(),
                               &owned) ||
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
  const LedgerEntry& merged_in = batch.Append(std::move(in), target, &carried);
  for (const MemberIdentifier& identifier : merged_in.identifiers()) {
    batch.StageIdentifier(IdentifierKey(identifier.kind(), identifier.value()),
                          target_id);
  }
  *response.add_entries() = merged_in;
  LEDGER_CHECK(target->available_points() == available_before &&
               target->pending_points() == pending_before &&
               target->held_points() == held_before);
  batch.MoveOrders(source_id, target_id, order_ids);

  // Coupons issued by program rules: each TIER entry raising the target's
  // tier is followed by that tier's upgrade coupon, if it names one (the
  // response lists the COUPON_ISSUE after its TIER).
  LedgerEntry rule_coupon_who =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_COUPON_ISSUE, target_id);
  rule_coupon_who.set_channel(loyalty::v1::CHANNEL_ADMIN);
  google::protobuf::RepeatedPtrField<loyalty::v1::Coupon> rule_coupons;
  if (std::optional<LedgerEntry> tier =
          MergedTierEntry(*target, source_tier_id, source_evaluation_ms,
                          rules.program, rules.time_zone, batch.now_ms())) {
    const LedgerEntry tier_entry = batch.Append(std::move(*tier), target);
    *response.add_entries() = tier_entry;
    LEDGER_RETURN_IF_ERROR(IssueTierUpgradeCoupon(
        rules, tier_entry, rule_coupon_who, target, batch, &rule_coupons,
        response.mutable_entries()));
  }
  // The summed window may support a tier higher than either had.
  if (std::optional<LedgerEntry> upgrade = UpgradeEntry(
          *target, rules.program, rules.time_zone, batch.now_ms())) {
    const LedgerEntry tier_entry = batch.Append(std::move(*upgrade), target);
    *response.add_entries() = tier_entry;
    LEDGER_RETURN_IF_ERROR(IssueTierUpgradeCoupon(
        rules, tier_entry, rule_coupon_who, target, batch, &rule_coupons,
        response.mutable_entries()));
  }
  *response.mutable_member() = MemberAt(*target, batch.now_ms(), rules);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
