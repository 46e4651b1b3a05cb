#include "tests/crash/return_check.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::crash {
namespace {

using loyalty::v1::LedgerEntry;

constexpr int32_t kStatementPageSize = 500;

__extension__ typedef __int128 Int128;

// floor(a x b / c) without overflow.
int64_t ShareOf(int64_t a, int64_t b, int64_t c) {
  return static_cast<int64_t>(static_cast<Int128>(a) * b / c);
}

}  // namespace

void ReturnCheck::Learn(const std::vector<SentRequest>& requests,
                        Failures* failures) {
  for (const SentRequest& request : requests) {
    if (request.method != Method::kReturn) continue;
    const Outcome& outcome = request.outcome;
    if (outcome.reason != reason::kMemberNotFound) {
      members_.insert(request.member_id);
    }
    if (!IsAcknowledged(outcome)) continue;  // Already a failure.
    loyalty::v1::ReturnRequest sent;
    sent.ParseFromString(request.request);
    if (outcome.reason == reason::kOrderNotFound) {
      ++counts_.order_not_found;
      not_found_.push_back(
          {RequestName(request), request.member_id, sent.order_id()});
      continue;
    }
    if (outcome.reason == reason::kReturnExceedsOrder) ++counts_.exceeds;
    if (outcome.code != grpc::StatusCode::OK) continue;
    loyalty::v1::ReturnResponse response;
    response.ParseFromString(outcome.response);
    const bool restored = response.points_restored() > 0;
    // RETURN, a RESTORE of redeemed points, then the coupons whose use the
    // whole return gave back (coupon_check.h counts them).
    int coupon_restores = 0;
    for (const LedgerEntry& entry : response.entries()) {
      coupon_restores += entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_RESTORE;
    }
    const int points_entries = restored ? 2 : 1;
    bool agrees =
        response.entries_size() == points_entries + coupon_restores;
    // The entries are on the member the named id meant (merge_check.h
    // checks which).
    if (agrees) {
      const LedgerEntry& entry = response.entries(0);
      agrees = entry.kind() == loyalty::v1::ENTRY_KIND_RETURN &&
               entry.order_id() == sent.order_id() &&
               entry.points_delta() <= 0 &&
               response.points_reversed() ==
                   entry.pending_reversed_points() - entry.points_delta() &&
               response.points_forgiven() == entry.forgiven_points() &&
               response.balance().last_sequence() ==
                   response.entries(response.entries_size() - 1).sequence();
    }
    if (agrees && restored) {
      const LedgerEntry& entry = response.entries(1);
      agrees = entry.kind() == loyalty::v1::ENTRY_KIND_RESTORE &&
               entry.member_id() == response.entries(0).member_id() &&
               entry.order_id() == sent.order_id() &&
               entry.points_delta() == response.points_restored() &&
               entry.sequence() == response.entries(0).sequence() + 1;
    }
    for (int i = points_entries; agrees && i < response.entries_size(); ++i) {
      const LedgerEntry& entry = response.entries(i);
      agrees = entry.kind() == loyalty::v1::ENTRY_KIND_COUPON_RESTORE &&
               entry.member_id() == response.entries(0).member_id() &&
               entry.order_id() == sent.order_id() &&
               entry.sequence() == response.entries(0).sequence() + i;
    }
    if (!agrees) {
      AddDisagreeingAnswer(request, response.ShortDebugString(), failures);
      continue;
    }
    ++counts_.acknowledged_ok;
    if (restored) ++counts_.restores_acknowledged;
    members_.insert(response.entries(0).member_id());
    AcknowledgedEntries& acknowledged =
        acknowledged_[response.entries(0).member_id()];
    for (const LedgerEntry& entry : response.entries()) {
      acknowledged.Acknowledge(RequestName(request), entry, failures);
    }
  }
}

void ReturnCheck::Check(LedgerClient& client, const AliasGraph& graph,
                        Failures* failures) {
  const std::set<std::string> members = WithMembersNow(members_, graph);
  for (const std::string& member_id : members) {
    ReadNew(client, member_id, failures);
  }
  for (const std::string& member_id : members) {
    auto acknowledged = acknowledged_.find(member_id);
    if (acknowledged != acknowledged_.end()) {
      acknowledged->second.CheckAllSeen(failures);
    }
  }
  CheckNotFound(graph, failures);
}

void ReturnCheck::ReadNew(LedgerClient& client, const std::string& member_id,
                          Failures* failures) {
  Statement& statement = statements_[member_id];
  // Small pages first: most checks read a few new entries.
  ReadNewEntries(
      client, member_id,
      statement.cursor.scanned_through == 0 ? kStatementPageSize : 32,
      UnknownMember::kNeverExisted, &statement.cursor,
      [&](const LedgerEntry& entry) {
        Fold(client, member_id, entry, &statement, failures);
      },
      failures);
}

void ReturnCheck::CheckNotFound(const AliasGraph& graph, Failures* failures) {
  for (const NotFound& answer : not_found_) {
    auto earned = earned_.find(answer.order_id);
    if (earned == earned_.end()) continue;
    // Every order a return names was earned before it was sent, or never:
    // if the named id led to the earning member then, the order (which
    // moves with merges) is where it leads now.
    for (const Earned& earn : earned->second) {
      if (graph.ResolveAt(answer.member_id, earn.sequence) != earn.member_id) {
        continue;
      }
      failures->push_back(absl::StrCat(
          answer.request_name, ": a return of order ", answer.order_id,
          " of ", answer.member_id,
          " was answered ORDER_NOT_FOUND, but entry ", earn.sequence, " of ",
          earn.member_id, " earned on it"));
    }
  }
  not_found_.clear();
}

void ReturnCheck::Fold(LedgerClient& client, const std::string& member_id,
                       const LedgerEntry& entry, Statement* statement,
                       Failures* failures) {
  const std::string where = EntryWhere(entry.sequence(), member_id);
  if (entry.kind() == loyalty::v1::ENTRY_KIND_MERGE_IN) {
    FoldMergeIn(client, where, entry, statement, failures);
  }
  const int64_t floor = floor_ * (1 + statement->members_merged);
  if (entry.available_after_points() < 0 &&
      (entry.debt_after_points() != -entry.available_after_points() ||
       entry.available_after_points() < floor)) {
    failures->push_back(absl::StrCat(
        where, " has available_after_points ", entry.available_after_points(),
        " and debt_after_points ", entry.debt_after_points(),
        " (floor ", floor, "): ", entry.ShortDebugString()));
  }
  if (entry.debt_after_points() > 0) ++counts_.entries_in_debt;
  if (!entry.order_id().empty()) {
    FoldOrderEntry(where, member_id, entry, statement, failures);
  }
}

void ReturnCheck::FoldMergeIn(LedgerClient& client, const std::string& where,
                              const LedgerEntry& entry, Statement* statement,
                              Failures* failures) {
  const std::string& source_id = entry.counterparty_member_id();
  Statement& source = statements_[source_id];
  // The source's statement up to its MERGE_OUT says what its orders did.
  if (!FollowsMergeOut(
          where, entry, source.cursor,
          [&] { ReadNew(client, source_id, failures); }, failures)) {
    return;
  }
  statement->members_merged += 1 + source.members_merged;
  for (auto& [order_id, moved] : source.orders) {
    auto [it, inserted] = statement->orders.emplace(order_id, moved);
    if (inserted) continue;
    // An order id both knew: only one may have earned on it (else the
    // merge is refused ORDER_ID_CONFLICT); what was redeemed and restored
    // on it under either id counts.
    Order& order = it->second;
    if (order.earn_sequence != 0 && moved.earn_sequence != 0) {
      failures->push_back(absl::StrCat(
          where, " merges order ", order_id, " of ", source_id,
          " (EARN entry ", moved.earn_sequence, ") into ", entry.member_id(),
          ", which earned on it too (entry ", order.earn_sequence, ")"));
      continue;
    }
    if (order.earn_sequence == 0) {
      order.earn_sequence = moved.earn_sequence;
      order.points = moved.points;
      order.eligible_spend = moved.eligible_spend;
    }
    order.eligible_returned += moved.eligible_returned;
    order.due_back += moved.due_back;
    order.redeemed += moved.redeemed;
    order.restored += moved.restored;
  }
  source.orders.clear();
}

void ReturnCheck::FoldOrderEntry(const std::string& where,
                                 const std::string& member_id,
                                 const LedgerEntry& entry,
                                 Statement* statement, Failures* failures) {
  Order& order = statement->orders[entry.order_id()];
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_EARN:
      if (order.earn_sequence != 0) {
        failures->push_back(absl::StrCat(where, " earns on order ",
                                         entry.order_id(), " again (entry ",
                                         order.earn_sequence, " did)"));
      }
      order.earn_sequence = entry.sequence();
      order.points = entry.points_delta();
      order.eligible_spend = entry.eligible_spend_minor();
      earned_[entry.order_id()].push_back({member_id, entry.sequence()});
      break;
    case loyalty::v1::ENTRY_KIND_REDEEM:
    case loyalty::v1::ENTRY_KIND_CAPTURE:
      order.redeemed -= entry.points_delta();
      break;
    case loyalty::v1::ENTRY_KIND_RETURN: {
      ++counts_.returns_seen;
      acknowledged_[member_id].See(where, entry, failures);
      const int64_t due = entry.pending_reversed_points() -
                          entry.points_delta() + entry.forgiven_points();
      counts_.points_reversed +=
          entry.pending_reversed_points() - entry.points_delta();
      counts_.points_forgiven += entry.forgiven_points();
      if (order.earn_sequence == 0 ||
          entry.lot_sequence() != order.earn_sequence) {
        failures->push_back(absl::StrCat(
            where, " returns order ", entry.order_id(),
            order.earn_sequence == 0
                ? ", which earned nothing before it"
                : absl::StrCat(" with lot_sequence ", entry.lot_sequence(),
                               "; its EARN is entry ", order.earn_sequence),
            ": ", entry.ShortDebugString()));
        break;
      }
      const bool was_whole = order.eligible_spend > 0 &&
                             order.eligible_returned == order.eligible_spend;
      order.eligible_returned += entry.returned_eligible_minor();
      order.due_back += due;
      const int64_t want =
          order.eligible_spend > 0 &&
                  order.eligible_returned <= order.eligible_spend &&
                  order.eligible_returned >= 0
              ? ShareOf(order.points, order.eligible_returned,
                        order.eligible_spend)
              : -1;
      if (entry.pending_reversed_points() < 0 || entry.points_delta() > 0 ||
          entry.forgiven_points() < 0 || order.due_back > order.points ||
          (order.eligible_spend > 0 ? order.due_back != want
                                    : order.due_back != 0)) {
        failures->push_back(absl::StrCat(
            where, ": the returns of order ", entry.order_id(),
            " (EARN entry ", order.earn_sequence, ", ", order.points,
            " points for eligible spend ", order.eligible_spend,
            ") have taken back or forgiven ", order.due_back,
            " points for eligible value ", order.eligible_returned,
            "; pro rata is ", want, ": ", entry.ShortDebugString()));
      }
      if (!was_whole && order.eligible_spend > 0 &&
          order.eligible_returned == order.eligible_spend) {
        ++counts_.orders_fully_returned;
      }
      break;
    }
    case loyalty::v1::ENTRY_KIND_RESTORE:
      acknowledged_[member_id].See(where, entry, failures);
      counts_.points_restored += entry.points_delta();
      order.restored += entry.points_delta();
      if (entry.points_delta() <= 0 || order.restored > order.redeemed) {
        failures->push_back(absl::StrCat(
            where, " restores ", entry.points_delta(), " points of order ",
            entry.order_id(), ": ", order.restored, " restored in all of ",
            order.redeemed, " redeemed on it"));
      }
      break;
    case loyalty::v1::ENTRY_KIND_COUPON_RESTORE:
      // Written only by a return (coupon_check.h checks the coupon).
      acknowledged_[member_id].See(where, entry, failures);
      break;
    default:
      break;
  }
}

}  // namespace loyalty::crash
