// The model test's checks of the members domain (see harness.h): the
// fields of enroll, link, unlink, close, transfer, import and merge
// responses, member views and merge records, LookupMember's answers, and
// what the members commands and entries count. The Ledger is called only
// from harness.cc; these methods judge what it answered.
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "ledger/common/status_util.h"
#include "runner.h"

namespace loyalty::model {

// "" when `got`, a MERGE_IN's merged_member_record, is the source exactly
// as the model had it just before the merge (every field the model keeps:
// the record is the ledger's own, so this is its storage form as
// records.proto documents it); else which fields differ.
std::string CompareRecord(const MemberState& want,
                          const storage::v1::MemberRecord& got) {
  std::vector<std::string> differ;
  auto check = [&](bool same, const char* field) {
    if (!same) differ.push_back(field);
  };
  const Totals& t = want.totals();
  check(got.member_id() == want.member_id, "member_id");
  check(got.status() == v1::MEMBER_STATUS_ACTIVE, "status");
  check(got.enrolled_at_ms() == want.enrolled_at_ms, "enrolled_at_ms");
  std::vector<std::pair<int, std::string>> identifiers, want_identifiers;
  for (const auto& identifier : got.identifiers()) {
    identifiers.emplace_back(identifier.kind(), identifier.value());
  }
  for (const ModelIdentifier& identifier : want.identifiers) {
    want_identifiers.emplace_back(identifier.kind, identifier.stored);
  }
  check(identifiers == want_identifiers, "identifiers");
  check(got.available_points() == t.available, "available_points");
  check(got.pending_points() == t.pending, "pending_points");
  check(got.held_points() == t.held, "held_points");
  check(got.debt_points() == t.debt, "debt_points");
  check(got.earned_points_total() == t.earned_total, "earned_points_total");
  check(got.redeemed_points_total() == t.redeemed_total,
        "redeemed_points_total");
  check(got.adjusted_points_total() == t.adjusted_total,
        "adjusted_points_total");
  check(got.expired_points_total() == t.expired_total, "expired_points_total");
  check(got.opening_points_total() == t.opening_total, "opening_points_total");
  check(got.transferred_out_points_total() == t.transferred_out_total,
        "transferred_out_points_total");
  check(got.transferred_in_points_total() == t.transferred_in_total,
        "transferred_in_points_total");
  check(got.forfeited_points_total() == 0, "forfeited_points_total");
  check(got.entry_count() == t.entry_count, "entry_count");
  check(got.last_sequence() == t.last_sequence, "last_sequence");
  check(got.next_due_ms() == want.NextDueMs(), "next_due_ms");
  std::vector<VoucherDue> dues;
  for (const auto& due : got.voucher_dues()) {
    dues.emplace_back(due.due_ms(), due.is_gift() ? 0 : 1, due.code());
  }
  check(dues == std::vector<VoucherDue>(want.voucher_dues.begin(),
                                        want.voucher_dues.end()),
        "voucher_dues");
  using LotTuple = std::tuple<uint64_t, int64_t, int64_t, int64_t>;
  auto lots_of = [](const auto& lots) {
    std::vector<LotTuple> out;
    for (const auto& lot : lots) {
      out.emplace_back(lot.sequence(), lot.points(), lot.expires_at_ms(),
                       lot.matures_at_ms());
    }
    return out;
  };
  auto model_lots = [](const std::vector<Lot>& lots) {
    std::vector<LotTuple> out;
    for (const Lot& lot : lots) {
      out.emplace_back(lot.sequence, lot.points, lot.expires_at_ms,
                       lot.matures_at_ms);
    }
    return out;
  };
  check(lots_of(got.lots()) == model_lots(want.points.lots), "lots");
  check(lots_of(got.pending_lots()) == model_lots(want.points.pending),
        "pending_lots");
  bool holds_same =
      got.holds_size() == static_cast<int>(want.points.holds.size());
  for (int i = 0; holds_same && i < got.holds_size(); ++i) {
    const storage::v1::Hold& hold = got.holds(i);
    const Hold& model = want.points.holds[i];
    holds_same = hold.hold_id() == absl::StrCat("H", model.sequence) &&
                 hold.sequence() == model.sequence &&
                 hold.points() == model.points &&
                 hold.expires_at_ms() == model.expires_at_ms &&
                 hold.order_id() == model.order_id &&
                 lots_of(hold.taken()) == model_lots(model.taken);
  }
  check(holds_same, "holds");
  bool reservations_same =
      got.coupon_reservations_size() ==
      static_cast<int>(want.points.coupon_reservations.size());
  for (int i = 0; reservations_same && i < got.coupon_reservations_size();
       ++i) {
    const storage::v1::CouponReservation& reservation =
        got.coupon_reservations(i);
    const CouponReservationState& model = want.points.coupon_reservations[i];
    reservations_same =
        reservation.reservation_id() == absl::StrCat("R", model.sequence) &&
        reservation.code() == model.code &&
        reservation.sequence() == model.sequence &&
        reservation.expires_at_ms() == model.expires_at_ms &&
        reservation.order_id() == model.order_id;
  }
  check(reservations_same, "coupon_reservations");
  const TierProgram tiers = ProgramTiers();
  check(got.tier_id() == tiers.tiers[want.points.tier.tier].tier_id, "tier_id");
  check(got.tier_since_ms() == want.points.tier.since_ms, "tier_since_ms");
  check(got.tier_evaluation_ms() == want.points.tier.evaluation_ms,
        "tier_evaluation_ms");
  std::vector<std::pair<int64_t, int64_t>> months;
  for (const auto& month : got.qualifying_months()) {
    months.emplace_back(month.month(), month.amount());
  }
  check(months ==
            std::vector<std::pair<int64_t, int64_t>>(
                want.points.tier.months.begin(), want.points.tier.months.end()),
        "qualifying_months");
  // Campaign points: the program's one campaign (a rule that granted
  // nothing may be listed at 0).
  int64_t campaign = 0;
  bool campaigns_known = true;
  for (const auto& rule : got.campaign_points()) {
    if (rule.rule_id() == ProgramCampaign().rule_id) {
      campaign += rule.points();
    } else {
      campaigns_known = campaigns_known && rule.points() == 0;
    }
  }
  check(campaigns_known && campaign == want.campaign_points, "campaign_points");
  // Events: how many ever, and on the latest day.
  std::vector<std::tuple<std::string, int64_t, int64_t, int64_t>> events,
      want_events;
  for (const auto& event : got.event_counts()) {
    events.emplace_back(event.event_id(), event.count(), event.last_day(),
                        event.count_on_last_day());
  }
  for (const auto& [event_id, count] : want.event_count) {
    int64_t last_day = std::numeric_limits<int64_t>::min();
    int64_t on_last_day = 0;
    for (const auto& [key, on_day] : want.event_count_by_day) {
      if (key.first == event_id && key.second >= last_day) {
        last_day = key.second;
        on_last_day = on_day;
      }
    }
    want_events.emplace_back(event_id, count, last_day, on_last_day);
  }
  check(events == want_events, "event_counts");
  check(got.transfer_day() == want.transfer_day, "transfer_day");
  check(got.transferred_out_on_day() == want.transferred_on_day,
        "transferred_out_on_day");
  check(got.merged_into_member_id().empty(), "merged_into_member_id");
  check(std::vector<std::string>(got.merged_member_ids().begin(),
                                 got.merged_member_ids().end()) ==
            want.merged_member_ids,
        "merged_member_ids");
  if (differ.empty()) return "";
  std::string text = "merged_member_record differs in ";
  for (const std::string& field : differ) absl::StrAppend(&text, field, " ");
  absl::StrAppend(&text, "\n    model: ", TotalsText(t),
                  " lots=", want.points.lots.size(),
                  " pending=", want.points.pending.size(),
                  " holds=", want.points.holds.size(),
                  "\n    ledger: ", got.ShortDebugString());
  return text;
}

std::string Runner::CompareMembersOk(const Command& command,
                                     const Expected& expected,
                                     const Observed& observed) {
  if (command.request.index() == kEnrollKind ||
      command.request.index() == kLinkKind ||
      command.request.index() == kUnlinkKind) {
    // The member's identifiers after the command, as stored (a replay's
    // are those of its first answer, compared by its hash).
    if (!expected.replayed &&
        observed.identifiers != StoredIdentifiers(expected.member_id)) {
      return "the member's identifiers in the response differ from the "
             "model's";
    }
  } else if (command.request.index() == kCloseKind) {
    if (!expected.replayed) {
      std::string problem =
          CompareMemberView(expected.member_id, observed.member);
      if (!problem.empty()) return "the closed member: " + problem;
    }
  } else if (command.request.index() == kTransferKind) {
    if (observed.entries.size() != 2) {
      return "a transfer's response has not 2 entries";
    }
    if (!expected.replayed) {
      std::string problem =
          CompareEntry(expected.entries.back(), observed.entries[1]);
      if (!problem.empty()) return "the response's " + problem;
    }
    if (!SameTotals(expected.counterparty_totals, observed.to_balance) ||
        observed.to_balance.member_id() != expected.counterparty_id) {
      return absl::StrCat(
          "to_balance differs: ", BalanceText(observed.to_balance),
          "; the model's ", TotalsText(expected.counterparty_totals));
    }
  }
  return "";
}

void Runner::CountMembersCommand(const Command& command,
                                 const Expected& expected) {
  const bool ok = expected.code == absl::StatusCode::kOk && !expected.replayed;
  const bool merge = command.request.index() == kMergeKind;
  if (merge && expected.replayed) ++report_.merges_replayed;
  if (expected.effect == Effect::kRemembered) {
    switch (expected.reason) {
      case v1::ERROR_REASON_MEMBER_NOT_SETTLED:
        ++report_.members_not_settled;
        break;
      case v1::ERROR_REASON_MEMBER_CLOSED:
        ++(merge ? report_.merges_member_closed
                 : report_.members_closed_refused);
        break;
      case v1::ERROR_REASON_MEMBER_MERGED:
        ++(merge ? report_.merges_of_aliases
           : command.request.index() == kCloseKind
               ? report_.closes_of_aliases
               : report_.transfers_within_one_member);
        break;
      case v1::ERROR_REASON_ORDER_ID_CONFLICT:
        ++report_.merges_order_id_conflict;
        break;
      case v1::ERROR_REASON_MEMBER_NOT_FOUND:
        report_.merges_member_not_found += merge;
        break;
      case v1::ERROR_REASON_BALANCE_OVERFLOW:
        report_.merges_balance_overflow += merge;
        break;
      default:
        break;
    }
  }
  if (merge && ok) {
    report_.merges_moving_orders += expected.orders_erased > 0;
    // Time-driven TIER entries may come first: only those after MERGE_IN.
    for (auto entry = expected.entries.rbegin();
         entry != expected.entries.rend() &&
         entry->kind != v1::ENTRY_KIND_MERGE_IN;
         ++entry) {
      report_.merges_raising_tier += entry->kind == v1::ENTRY_KIND_TIER;
    }
  }
  switch (expected.reason) {
    case v1::ERROR_REASON_IDENTIFIER_TAKEN:
      ++(command.request.index() == kImportKind ? report_.imports_phone_taken
                                                : report_.identifiers_taken);
      break;
    case v1::ERROR_REASON_TOO_MANY_IDENTIFIERS:
      ++(merge ? report_.merges_too_many_identifiers
               : report_.too_many_identifiers);
      break;
    case v1::ERROR_REASON_IDENTIFIER_NOT_FOUND:
      ++report_.identifiers_not_found;
      break;
    case v1::ERROR_REASON_TRANSFER_LIMIT_REACHED: {
      const auto& transfer =
          std::get<v1::TransferPointsRequest>(command.request);
      ++(transfer.points() > kModelTransferMaxPoints
             ? report_.transfer_limits_per_transfer
             : report_.transfer_limits_per_day);
      break;
    }
    case v1::ERROR_REASON_INSUFFICIENT_POINTS:
      report_.transfers_insufficient +=
          command.request.index() == kTransferKind;
      break;
    default:
      break;
  }
  if (command.request.index() == kLinkKind && !expected.replayed &&
      expected.reason == v1::ERROR_REASON_IDENTIFIER_TAKEN) {
    // Taken by the member itself?
    const auto& link = std::get<v1::LinkIdentifierRequest>(command.request);
    const std::optional<std::string> canonical =
        ModelCanonical(link.identifier().kind(), link.identifier().value());
    const std::string* owner =
        canonical.has_value()
            ? model_.IdentifierOwner(link.identifier().kind(), *canonical)
            : nullptr;
    report_.identifiers_taken_by_self +=
        owner != nullptr && *owner == link.member_id();
  }
  if (expected.dry_run) {
    ++report_.dry_runs;
    report_.dry_run_rejections += expected.code != absl::StatusCode::kOk;
    report_.dry_runs_enrolling += ok && expected.enrolled;
  }
  if (!ok || expected.dry_run) return;
  switch (command.request.index()) {
    case kLinkKind:
      ++report_.links;
      break;
    case kUnlinkKind:
      ++report_.unlinks;
      break;
    case kTransferKind:
      ++report_.transfers;
      break;
    case kImportKind:
      ++(expected.enrolled ? report_.imports_enrolled : report_.imports_found);
      report_.imports_phone_linked += expected.phone_linked;
      report_.openings += expected.opening_points > 0;
      break;
    default:
      break;
  }
}

void Runner::CountMembersEntry(const ExpectedEntry& entry) {
  switch (entry.kind) {
    case v1::ENTRY_KIND_CLOSE:
      ++report_.closes;
      report_.closes_forfeiting += entry.points_delta < 0;
      report_.closes_writing_off_debt += entry.points_delta > 0;
      report_.closes_erasing += entry.personal_data_erased;
      break;
    case v1::ENTRY_KIND_MERGE_IN:
      ++report_.merges;
      report_.merges_moving_pending += entry.merged_pending > 0;
      report_.merges_moving_holds += entry.merged_held > 0;
      report_.merges_moving_debt += entry.points_delta < 0;
      break;
    default:
      break;
  }
}

std::vector<std::pair<int, std::string>> Runner::StoredIdentifiers(
    const std::string& member_id) const {
  std::vector<std::pair<int, std::string>> stored;
  const MemberState* member = model_.FindMember(member_id);
  if (member == nullptr) return stored;
  for (const ModelIdentifier& identifier : member->identifiers) {
    stored.emplace_back(identifier.kind, identifier.stored);
  }
  return stored;
}

std::string Runner::CompareMemberView(const std::string& member_id,
                                      const v1::Member& member) {
  const MemberState* want = model_.FindMember(member_id);
  std::vector<std::pair<int, std::string>> identifiers;
  for (const auto& identifier : member.identifiers()) {
    identifiers.emplace_back(identifier.kind(), identifier.value());
  }
  if (member.member_id() != member_id ||
      identifiers != StoredIdentifiers(member_id) ||
      member.status() != want->status ||
      std::vector<std::string>(member.merged_member_ids().begin(),
                               member.merged_member_ids().end()) !=
          want->merged_member_ids) {
    return absl::StrCat(
        "member ", member.ShortDebugString(), "; the model's status ",
        v1::MemberStatus_Name(want->status), ", ", want->identifiers.size(),
        " identifiers, ", want->merged_member_ids.size(), " aliases");
  }
  model_.set_now_ms(clock_.NowMs());
  const v1::TierStatus tier = model_.TierStatusOf(*model_.Projected(member_id));
  if (!google::protobuf::util::MessageDifferencer::Equals(tier,
                                                          member.tier())) {
    return absl::StrCat("tier {", member.tier().ShortDebugString(),
                        "}; the model's {", tier.ShortDebugString(), "}");
  }
  return "";
}

std::string Runner::CompareMerge(const Expected& expected,
                                 const Observed& observed) {
  if (!SameTotals(expected.totals, observed.balance) ||
      observed.balance.member_id() != expected.member_id) {
    return "the target's balance in the response differs";
  }
  if (expected.replayed) return "";  // The rest: by the response's hash.
  if (observed.entries.size() !=
      static_cast<size_t>(expected.response_entries)) {
    return absl::StrCat("the merge's response has ", observed.entries.size(),
                        " entries; the model ", expected.response_entries);
  }
  const size_t first = expected.entries.size() - expected.response_entries;
  for (size_t i = 0; i < observed.entries.size(); ++i) {
    std::string problem =
        CompareEntry(expected.entries[first + i], observed.entries[i]);
    if (!problem.empty()) return "the response's " + problem;
  }
  std::string problem = CompareMemberView(expected.member_id, observed.member);
  return problem.empty() ? "" : "the merged member: " + problem;
}

std::string Runner::CompareImport(const Expected& expected,
                                  const Observed& observed) {
  const v1::ImportMemberResponse& response = observed.import;
  if (response.enrolled() != expected.enrolled ||
      response.phone_linked() != expected.phone_linked ||
      response.opening_points() != expected.opening_points ||
      response.lot_expires_at_ms() != expected.lot_expires_at_ms ||
      response.dry_run() != expected.dry_run) {
    return absl::StrCat(
        "import figures differ: enrolled/phone_linked/opening/lot_expires/"
        "dry_run ",
        response.enrolled(), "/", response.phone_linked(), "/",
        response.opening_points(), "/", response.lot_expires_at_ms(), "/",
        response.dry_run(), ", model ", expected.enrolled, "/",
        expected.phone_linked, "/", expected.opening_points, "/",
        expected.lot_expires_at_ms, "/", expected.dry_run);
  }
  if (!SameTotals(expected.totals, observed.balance) ||
      observed.balance.member_id() != expected.member_id) {
    return "balance in the response differs";
  }
  if (expected.replayed) return "";  // Its entries: by the response's hash.
  if (response.entries_size() != expected.response_entries) {
    return absl::StrCat("the import's response has ", response.entries_size(),
                        " entries; the model ", expected.response_entries);
  }
  const size_t first = expected.entries.size() - expected.response_entries;
  for (int i = 0; i < response.entries_size(); ++i) {
    std::string problem =
        CompareEntry(expected.entries[first + i], response.entries(i));
    if (!problem.empty()) return "the response's " + problem;
  }
  return "";
}

// LookupMember's answer (CheckLookup, harness.cc) against the model's
// owner of (kind, canonical).
bool Runner::JudgeLookup(v1::IdentifierKind kind, const std::string& canonical,
                         const absl::StatusOr<v1::Member>& member) {
  const std::string* owner = model_.IdentifierOwner(kind, canonical);
  if (owner == nullptr) {
    ++report_.lookups_missing;
    if (absl::IsNotFound(member.status()) &&
        ReasonOf(member.status()) == v1::ERROR_REASON_MEMBER_NOT_FOUND) {
      return true;
    }
    return Fail(absl::StrCat(current_, " of an identifier nobody has: ",
                             member.ok() ? "member " + member->member_id()
                                         : OutcomeText(member.status())));
  }
  if (!member.ok()) {
    return Fail(absl::StrCat(current_, ": ", OutcomeText(member.status()),
                             "; the model's owner is ", *owner));
  }
  std::vector<std::pair<int, std::string>> identifiers;
  for (const auto& own : member->identifiers()) {
    identifiers.emplace_back(own.kind(), own.value());
  }
  if (member->member_id() != *owner ||
      identifiers != StoredIdentifiers(*owner)) {
    return Fail(absl::StrCat(current_, " found ", member->ShortDebugString(),
                             "; the model's owner is ", *owner));
  }
  return true;
}

bool Runner::CheckLookupsAfter(const Command& command,
                               const Expected& expected) {
  if (command.malformed) return true;
  std::vector<std::pair<v1::IdentifierKind, std::string>> named;
  for (const auto& [kind, canonical] : expected.identifiers_changed) {
    named.emplace_back(static_cast<v1::IdentifierKind>(kind), canonical);
  }
  auto name = [&](v1::IdentifierKind kind, const std::string& value) {
    std::optional<std::string> canonical = ModelCanonical(kind, value);
    if (canonical.has_value()) named.emplace_back(kind, *canonical);
  };
  std::visit(
      [&](const auto& r) {
        using Type = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<Type, v1::EnrollMemberRequest>) {
          for (const auto& identifier : r.identifiers()) {
            name(identifier.kind(), identifier.value());
          }
        } else if constexpr (std::is_same_v<Type, v1::LinkIdentifierRequest> ||
                             std::is_same_v<Type,
                                            v1::UnlinkIdentifierRequest>) {
          name(r.identifier().kind(), r.identifier().value());
        } else if constexpr (std::is_same_v<Type, ImportRequest>) {
          name(v1::IDENTIFIER_KIND_CARD_NUMBER, r.message.card_number());
          if (!r.message.phone().empty()) {
            name(v1::IDENTIFIER_KIND_PHONE, r.message.phone());
          }
        }
      },
      command.request);
  const auto& members = model_.member_order();
  if (!members.empty()) {
    const MemberState* member =
        model_.FindMember(members[std::uniform_int_distribution<size_t>(
            0, members.size() - 1)(check_rng_)]);
    if (!member->identifiers.empty()) {
      const ModelIdentifier& own =
          member->identifiers[std::uniform_int_distribution<size_t>(
              0, member->identifiers.size() - 1)(check_rng_)];
      named.emplace_back(own.kind, own.canonical);
    }
  }
  const auto& unlinked = model_.unlinked();
  if (!unlinked.empty()) {
    const IdentifierKey& key = unlinked[std::uniform_int_distribution<size_t>(
        0, unlinked.size() - 1)(check_rng_)];
    named.emplace_back(static_cast<v1::IdentifierKind>(key.first), key.second);
  }
  for (const auto& [kind, canonical] : named) {
    if (!CheckLookup(kind, canonical)) return false;
  }
  return true;
}

bool Runner::CheckLookups(bool all) {
  std::vector<IdentifierKey> keys;
  for (const auto& [key, owner] : model_.identifiers()) keys.push_back(key);
  keys.insert(keys.end(), model_.unlinked().begin(), model_.unlinked().end());
  if (!all && keys.size() > 400) {
    std::shuffle(keys.begin(), keys.end(), check_rng_);
    keys.resize(400);
  }
  for (const IdentifierKey& key : keys) {
    if (!CheckLookup(static_cast<v1::IdentifierKind>(key.first), key.second)) {
      return false;
    }
  }
  return true;
}

}  // namespace loyalty::model
