#include "ledger/members/transfer.h"

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

namespace {

absl::Status TransferLimitReached(absl::string_view what) {
  return WithReason(absl::FailedPreconditionError(what),
                    loyalty::v1::ERROR_REASON_TRANSFER_LIMIT_REACHED);
}

}  // namespace

absl::Status TransferPointsCommand::Prepare(const Rules& rules, int64_t now_ms,
                                            Request& request,
                                            Prepared& prepared) {
  return ValidateTransferPoints(request, now_ms);
}

absl::Status TransferPointsCommand::Decide(
    const Rules& rules, Batch& batch, Queued<TransferPointsCommand>& command) {
  auto& request = command.request;
  // Both ids resolve; if they resolve to one member, it would pay itself.
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_from_member_id(), batch));
  LEDGER_RETURN_IF_ERROR(
      ResolveMemberAlias(request.mutable_to_member_id(), batch));
  if (request.from_member_id() == request.to_member_id()) {
    return NamesMergedMember(
        absl::StrCat("to_member_id: resolves to \"", request.to_member_id(),
                     "\", the sender (one was merged into the other)"));
  }
  if (!rules.program.has_transfer_rules()) {
    return WithReason(absl::FailedPreconditionError(
                          "this program allows no transfers between members"),
                      loyalty::v1::ERROR_REASON_TRANSFER_NOT_ALLOWED);
  }
  const loyalty::v1::TransferRules& transfer_rules =
      rules.program.transfer_rules();
  LEDGER_ASSIGN_OR_RETURN(
      MemberRecord * from,
      LoadNamed(LoadSettled(request.from_member_id(), rules, batch),
                "from_member_id", request.from_member_id()));
  LEDGER_ASSIGN_OR_RETURN(
      MemberRecord * to,
      LoadNamed(LoadSettled(request.to_member_id(), rules, batch),
                "to_member_id", request.to_member_id()));
  // Invariant: validation made them different and points positive.
  LEDGER_CHECK(from != to);
  const int64_t points = request.points();
  LEDGER_CHECK(points > 0);
  if (points > transfer_rules.per_transfer_max_points()) {
    return TransferLimitReached(absl::StrCat(
        "points: at most ", transfer_rules.per_transfer_max_points(),
        " points per transfer"));
  }
  const int64_t today = EventDay(batch.now_ms(), rules.time_zone);
  // A day before the latest one (the clock stepped back) counts as it.
  const int64_t given_today =
      today <= from->transfer_day() ? from->transferred_out_on_day() : 0;
  if (points > transfer_rules.per_day_max_points() - given_today) {
    return TransferLimitReached(absl::StrCat(
        "points: this member may give ", transfer_rules.per_day_max_points(),
        " points a day and gave ", given_today, " today"));
  }
  LEDGER_RETURN_IF_ERROR(
      CheckDelta(*from, loyalty::v1::ENTRY_KIND_TRANSFER_OUT, -points));
  LEDGER_RETURN_IF_ERROR(
      CheckDelta(*to, loyalty::v1::ENTRY_KIND_TRANSFER_IN, points));

  // Pair assertion: a transfer moves points and never creates them.
  const int64_t owned_before =
      from->available_points() + to->available_points();
  LedgerEntry out =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_TRANSFER_OUT, request.from_member_id());
  out.set_points_delta(-points);
  out.set_counterparty_member_id(request.to_member_id());
  out.set_note(request.note());
  out.set_transfer_day(today);
  *out.mutable_transferred_lots() = LotsTakenBy(*from, points);
  LedgerEntry in =
      EntryFor(request.context(), command.principal,
               loyalty::v1::ENTRY_KIND_TRANSFER_IN, request.to_member_id());
  in.set_points_delta(points);
  in.set_counterparty_member_id(request.from_member_id());
  in.set_note(request.note());
  *in.mutable_transferred_lots() = out.transferred_lots();

  loyalty::v1::TransferPointsResponse response;
  *response.add_entries() = batch.Append(std::move(out), from);
  *response.add_entries() = batch.Append(std::move(in), to);
  LEDGER_CHECK(from->available_points() + to->available_points() ==
               owned_before);
  *response.mutable_from_balance() = BalanceAt(*from, batch.now_ms(), rules);
  *response.mutable_to_balance() = BalanceAt(*to, batch.now_ms(), rules);
  command.response = std::move(response);
  return absl::OkStatus();
}

}  // namespace loyalty
