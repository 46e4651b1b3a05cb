#include "tests/crash/hold_check.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "tests/crash/test_program.h"

namespace loyalty::crash {
namespace {

using loyalty::v1::LedgerEntry;

constexpr int32_t kStatementPageSize = 500;
constexpr char kSystemPrincipal[] = "system";

bool IsHoldMethod(Method method) {
  return method == Method::kHold || method == Method::kCapture ||
         method == Method::kRelease;
}

std::string HoldIdOfRequest(const SentRequest& request) {
  loyalty::v1::SettleHoldRequest settle;
  settle.ParseFromString(request.request);
  return settle.hold_id();
}

}  // namespace

void HoldCheck::AddLoadPeriod(absl::Time started, absl::Time stopped) {
  load_periods_ms_.emplace_back(absl::ToUnixMillis(started),
                                absl::ToUnixMillis(stopped));
}

bool HoldCheck::WhileLoaded(int64_t recorded_at_ms) const {
  for (const auto& [started_ms, stopped_ms] : load_periods_ms_) {
    if (recorded_at_ms >= started_ms && recorded_at_ms <= stopped_ms) {
      return true;
    }
  }
  return false;
}

void HoldCheck::Learn(const std::vector<SentRequest>& requests,
                      Failures* failures) {
  for (const SentRequest& request : requests) {
    if (request.method == Method::kEarn &&
        request.outcome.code == grpc::StatusCode::OK) {
      // A pending lot matures where it is (its member, or the member that
      // one was merged into): the sweep writes there, so it is read.
      loyalty::v1::LedgerEntry entry =
          EntryOf(request.method, request.outcome.response);
      if (entry.bucket() == loyalty::v1::BUCKET_PENDING) {
        members_.insert(entry.member_id());
      }
    }
    if (request.method == Method::kReserveCoupon &&
        request.outcome.code == grpc::StatusCode::OK) {
      // A coupon reservation's timeout is written there too.
      members_.insert(EntryOf(request.method, request.outcome.response)
                          .member_id());
    }
    if (!IsHoldMethod(request.method)) continue;
    const Outcome& outcome = request.outcome;
    // A member that did not exist got nothing written (the pool's ghosts
    // never do); every other one may have a hold, so is read.
    if (outcome.reason != reason::kMemberNotFound) {
      members_.insert(request.member_id);
    }
    if (!IsAcknowledged(outcome)) continue;  // Already a failure.
    if (outcome.code == grpc::StatusCode::OK) {
      LearnOk(request, failures);
    } else if (outcome.reason == reason::kHoldNotActive) {
      ++counts_.not_active;
      not_active_.push_back(
          {RequestName(request), request.member_id, HoldIdOfRequest(request)});
    } else if (outcome.reason == reason::kHoldNotFound) {
      ++counts_.not_found;
      not_found_.push_back(
          {RequestName(request), request.member_id, HoldIdOfRequest(request)});
    } else if (outcome.reason == reason::kTooManyHolds) {
      ++counts_.too_many;
    }
  }
}

void HoldCheck::LearnOk(const SentRequest& request, Failures* failures) {
  // The entry is on the member the named id meant (merge_check.h checks
  // which): answers are kept by that member.
  if (request.method == Method::kHold) {
    loyalty::v1::HoldPointsResponse response;
    response.ParseFromString(request.outcome.response);
    const LedgerEntry& entry = response.entry();
    if (entry.kind() != loyalty::v1::ENTRY_KIND_HOLD ||
        entry.hold_id() != response.hold_id() ||
        entry.hold_expires_at_ms() != response.expires_at_ms() ||
        response.balance().held_points() != entry.held_after_points()) {
      AddDisagreeingAnswer(request, response.ShortDebugString(), failures);
      return;
    }
    ++counts_.holds_acknowledged;
    members_.insert(entry.member_id());
    Acknowledged& acknowledged = acknowledged_[entry.member_id()];
    auto [it, inserted] =
        acknowledged.holds.emplace(response.hold_id(), entry);
    if (!inserted && it->second.sequence() != entry.sequence()) {
      failures->push_back(
          absl::StrCat(RequestName(request), ": hold ", response.hold_id(),
                       " acknowledged as entry ", entry.sequence(),
                       " and before as entry ", it->second.sequence()));
    }
    return;
  }
  loyalty::v1::SettleHoldResponse response;
  response.ParseFromString(request.outcome.response);
  const LedgerEntry& entry = response.entry();
  const auto kind = request.method == Method::kCapture
                        ? loyalty::v1::ENTRY_KIND_CAPTURE
                        : loyalty::v1::ENTRY_KIND_RELEASE;
  const std::string hold_id = HoldIdOfRequest(request);
  if (entry.kind() != kind || entry.hold_id() != hold_id ||
      entry.hold_timed_out() || entry.principal() == kSystemPrincipal) {
    failures->push_back(absl::StrCat(
        RequestName(request), ": the OK answer is not this request's entry: ",
        entry.ShortDebugString()));
    return;
  }
  ++(request.method == Method::kCapture ? counts_.captures_acknowledged
                                        : counts_.releases_acknowledged);
  members_.insert(entry.member_id());
  Acknowledged& acknowledged = acknowledged_[entry.member_id()];
  acknowledged.close_sequences.insert(entry.sequence());
  auto [it, inserted] = acknowledged.closes.emplace(hold_id, entry);
  if (!inserted && it->second.sequence() != entry.sequence()) {
    failures->push_back(absl::StrCat(
        RequestName(request), ": hold ", hold_id, " of ", entry.member_id(),
        " was closed twice by acknowledged requests: entry ",
        it->second.sequence(), " (", it->second.request_id(), ") and entry ",
        entry.sequence()));
  }
}

void HoldCheck::Check(LedgerClient& client, const AliasGraph& graph,
                      HoldWindow* window, absl::Duration grace,
                      Failures* failures) {
  const std::set<std::string> members = WithMembersNow(members_, graph);
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  const int64_t grace_ms = absl::ToInt64Milliseconds(grace);
  for (const std::string& member_id : members) {
    CheckMember(client, graph, member_id, window, failures);
  }
  counts_.pending_last_check = 0;
  for (const auto& [lot_sequence, lot] : pending_lots_) {
    if (lot.close_sequence != 0) continue;
    ++counts_.pending_last_check;
    if (now_ms - lot.matures_at_ms > grace_ms) {
      failures->push_back(absl::StrCat(
          "pending lot ", lot_sequence, " of ", lot.member_id, " matured ",
          now_ms - lot.matures_at_ms,
          " ms ago and is still pending: no MATURE was written"));
    }
  }
  counts_.open_last_check = 0;
  for (const auto& [hold_id, hold] : holds_) {
    if (hold.close_sequence != 0) continue;
    ++counts_.open_last_check;
    if (now_ms - hold.expires_at_ms > grace_ms) {
      failures->push_back(absl::StrCat(
          "hold ", hold_id, " of ", hold.member_id, " expired ",
          now_ms - hold.expires_at_ms,
          " ms ago and is still open: no timeout RELEASE was written"));
    }
  }
  for (const std::string& member_id : members) {
    CheckAcknowledged(member_id, failures);
  }
  CheckRefusals(graph, failures);
}

std::optional<std::vector<LedgerEntry>> HoldCheck::ReadNew(
    LedgerClient& client, const std::string& member_id, HoldWindow* window,
    int32_t first_page_size, Failures* failures) {
  Statement& statement = statements_[member_id];
  return ReadNewEntries(
      client, member_id, first_page_size, UnknownMember::kNeverExisted,
      &statement.cursor,
      [&](const LedgerEntry& entry) {
        Fold(client, member_id, entry, &statement, window, failures);
      },
      failures);
}

void HoldCheck::CheckMember(LedgerClient& client, const AliasGraph& graph,
                            const std::string& member_id, HoldWindow* window,
                            Failures* failures) {
  if (graph.IsAlias(member_id)) {
    // Its statement ends with its MERGE_OUT; its balance is its member's.
    ReadNew(client, member_id, window, kStatementPageSize, failures);
    return;
  }
  // The balance first: the entries read next reach at least its
  // last_sequence, so the holds open at that entry are known.
  auto balance = client.GetBalance(member_id);
  Statement& statement = statements_[member_id];
  if (!balance.ok()) {
    bool never_existed =
        balance.status().code() == absl::StatusCode::kNotFound &&
        statement.cursor.scanned_through == 0;
    if (!never_existed) {
      failures->push_back(absl::StrCat("balance of ", member_id, ": ",
                                       balance.status().ToString()));
    }
    return;
  }
  // New entries, newest first, down to the one the last check ended at;
  // pages sized to what the balance's entry_count says is new (plus that
  // entry, and a few the sweep may write meanwhile).
  const uint64_t new_entries =
      balance->entry_count() > statement.entry_count
          ? balance->entry_count() - statement.entry_count
          : 0;
  const uint64_t count_before = statement.entry_count;
  int64_t available_at_balance = statement.available_after;
  uint64_t count_at_balance = statement.entry_count;
  const uint64_t as_of_sequence = balance->last_sequence();
  bool balance_entry_seen = as_of_sequence == statement.cursor.scanned_through;
  auto fresh = ReadNew(
      client, member_id, window,
      static_cast<int32_t>(
          std::min<uint64_t>(kStatementPageSize, new_entries + 8)),
      failures);
  if (!fresh.has_value()) return;
  for (size_t i = 0; i < fresh->size(); ++i) {
    if ((*fresh)[i].sequence() == as_of_sequence) {
      available_at_balance = (*fresh)[i].available_after_points();
      count_at_balance = count_before + i + 1;
      balance_entry_seen = true;
    }
  }
  if (!balance_entry_seen || count_at_balance != balance->entry_count()) {
    failures->push_back(absl::StrCat(
        "the balance of ", member_id, " is as of entry ", as_of_sequence,
        " with ", balance->entry_count(), " entries; the statement has ",
        balance_entry_seen ? absl::StrCat(count_at_balance, " up to it")
                           : "no such entry"));
    return;
  }

  // The balance: holds the member had open at its entry count as held
  // until their expiry and as available after it; pending lots as pending
  // until their maturity and as available after it. (Only the sweep writes
  // while checks run: a lot's points did not change after that entry.)
  int64_t held_wanted = 0;
  int64_t pending_wanted = 0;
  int64_t available_wanted = available_at_balance;
  auto open_then = [&](const std::string& owner, uint64_t arrived,
                       uint64_t close_sequence) {
    return owner == member_id && arrived <= as_of_sequence &&
           (close_sequence == 0 || close_sequence > as_of_sequence);
  };
  for (const std::string& hold_id : statement.holds) {
    const Hold& hold = holds_.at(hold_id);
    if (!open_then(hold.member_id, hold.arrived, hold.close_sequence)) continue;
    (hold.expires_at_ms > balance->as_of_ms() ? held_wanted
                                              : available_wanted) +=
        hold.points;
  }
  for (uint64_t lot_sequence : statement.lots) {
    const PendingLot& lot = pending_lots_.at(lot_sequence);
    if (!open_then(lot.member_id, lot.arrived, lot.close_sequence)) continue;
    (lot.matures_at_ms > balance->as_of_ms() ? pending_wanted
                                             : available_wanted) += lot.points;
  }
  if (balance->held_points() != held_wanted ||
      balance->pending_points() != pending_wanted ||
      balance->available_points() != available_wanted) {
    failures->push_back(absl::StrCat(
        "the balance of ", member_id, " has ", balance->held_points(),
        " held, ", balance->pending_points(), " pending and ",
        balance->available_points(),
        " available points; its open holds and pending lots say ",
        held_wanted, ", ", pending_wanted, " and ", available_wanted, ": ",
        balance->ShortDebugString()));
  }
}

void HoldCheck::Fold(LedgerClient& client, const std::string& member_id,
                     const LedgerEntry& entry, Statement* statement,
                     HoldWindow* window, Failures* failures) {
  const std::string where = EntryWhere(entry.sequence(), member_id);
  const bool timeout_release = entry.kind() == loyalty::v1::ENTRY_KIND_RELEASE &&
                               entry.hold_timed_out();
  // A coupon reservation's timeout is time-driven too (re-sent requests
  // settle their members first).
  const bool coupon_timeout =
      entry.has_coupon_released() && entry.coupon_released().timed_out();
  const bool time_driven = timeout_release || coupon_timeout ||
                           entry.kind() == loyalty::v1::ENTRY_KIND_MATURE;
  if (entry.sequence() > window->after && entry.sequence() <= window->through) {
    if (time_driven && entry.principal() == kSystemPrincipal) {
      ++window->time_driven;
    } else {
      failures->push_back(absl::StrCat(
          where, " was written while acknowledged requests were re-sent and "
          "is no timeout release or maturity: ", entry.ShortDebugString()));
    }
  }
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_HOLD: {
      ++counts_.holds_seen;
      const int64_t timeout_ms =
          entry.hold_expires_at_ms() - entry.recorded_at_ms();
      if (entry.hold_id() != absl::StrCat("H", entry.sequence()) ||
          entry.points_delta() >= 0 ||
          entry.bucket() != loyalty::v1::BUCKET_AVAILABLE ||
          timeout_ms < kHoldTimeoutMsMin || timeout_ms > kHoldTimeoutMsMax) {
        failures->push_back(absl::StrCat(where, " is a malformed HOLD: ",
                                         entry.ShortDebugString()));
      }
      Hold hold;
      hold.origin = member_id;
      hold.member_id = member_id;
      hold.sequence = entry.sequence();
      hold.arrived = entry.sequence();
      hold.hash = entry.hash();
      hold.points = -entry.points_delta();
      hold.expires_at_ms = entry.hold_expires_at_ms();
      if (holds_.emplace(entry.hold_id(), hold).second) {
        statement->held += hold.points;
        statement->open.insert(entry.hold_id());
        statement->holds.insert(entry.hold_id());
      } else {
        failures->push_back(absl::StrCat(where, " repeats hold id ",
                                         entry.hold_id()));
      }
      due_at_ms_max_ = std::max(due_at_ms_max_, hold.expires_at_ms);
      break;
    }
    case loyalty::v1::ENTRY_KIND_CAPTURE:
    case loyalty::v1::ENTRY_KIND_RELEASE:
      FoldClose(where, member_id, entry, statement, failures);
      break;
    case loyalty::v1::ENTRY_KIND_EARN:
    case loyalty::v1::ENTRY_KIND_RETURN:
    case loyalty::v1::ENTRY_KIND_MATURE:
      FoldPending(where, member_id, entry, statement, failures);
      break;
    case loyalty::v1::ENTRY_KIND_MERGE_OUT: {
      // Every open hold and pending lot goes to the target, whose MERGE_IN
      // takes them.
      int64_t open_points = 0;
      for (const std::string& hold_id : statement->open) {
        open_points += holds_.at(hold_id).points;
      }
      if (entry.merged_held_points() != open_points ||
          entry.merged_pending_points() != statement->pending) {
        failures->push_back(absl::StrCat(
            where, " gives away ", entry.merged_held_points(), " held and ",
            entry.merged_pending_points(),
            " pending points; its open holds add up to ", open_points,
            " and its pending lots to ", statement->pending, ": ",
            entry.ShortDebugString()));
      }
      statement->moved_out = std::move(statement->open);
      statement->open.clear();
      statement->held = 0;
      statement->lots_moved_out = std::move(statement->pending_lots);
      statement->pending_lots.clear();
      statement->pending = 0;
      break;
    }
    case loyalty::v1::ENTRY_KIND_MERGE_IN:
      FoldMergeIn(client, where, member_id, entry, statement, window,
                  failures);
      break;
    default:
      break;
  }
  if (entry.held_after_points() != statement->held ||
      entry.pending_after_points() != statement->pending) {
    failures->push_back(absl::StrCat(
        where, " has held_after_points ", entry.held_after_points(),
        " and pending_after_points ", entry.pending_after_points(),
        "; its open holds add up to ", statement->held,
        " and its pending lots to ", statement->pending));
  }
  ++statement->entry_count;
  statement->available_after = entry.available_after_points();
}

void HoldCheck::FoldClose(const std::string& where,
                          const std::string& member_id,
                          const LedgerEntry& entry, Statement* statement,
                          Failures* failures) {
  const bool timeout_release = entry.kind() == loyalty::v1::ENTRY_KIND_RELEASE &&
                               entry.hold_timed_out();
  auto it = holds_.find(entry.hold_id());
  if (it == holds_.end() || it->second.member_id != member_id) {
    failures->push_back(absl::StrCat(
        where, " closes hold ", entry.hold_id(), ", which is no hold of ",
        member_id,
        it == holds_.end() ? "" : absl::StrCat(" (", it->second.member_id,
                                               " has it)")));
    return;
  }
  Hold& hold = it->second;
  if (hold.close_sequence != 0) {
    failures->push_back(absl::StrCat(
        where, " closes hold ", entry.hold_id(), " a second time: entry ",
        hold.close_sequence, " closed it first (",
        hold.timed_out ? "timeout " : "",
        loyalty::v1::EntryKind_Name(hold.close_kind), "): ",
        entry.ShortDebugString()));
    return;
  }
  const bool capture = entry.kind() == loyalty::v1::ENTRY_KIND_CAPTURE;
  if (entry.points_delta() != (capture ? -hold.points : hold.points) ||
      entry.bucket() != (capture ? loyalty::v1::BUCKET_HELD
                                 : loyalty::v1::BUCKET_AVAILABLE)) {
    failures->push_back(absl::StrCat(where, " moves the wrong points for "
                                     "hold ", entry.hold_id(), " of ",
                                     hold.points, ": ",
                                     entry.ShortDebugString()));
  }
  if (timeout_release) {
    ++counts_.timed_out;
    if (WhileLoaded(entry.recorded_at_ms())) ++counts_.timed_out_while_loaded;
    if (entry.principal() != kSystemPrincipal ||
        entry.occurred_at_ms() != hold.expires_at_ms ||
        entry.recorded_at_ms() < hold.expires_at_ms) {
      failures->push_back(absl::StrCat(
          where, " is not a timeout release of hold ", entry.hold_id(),
          " expiring at ", hold.expires_at_ms, ": ", entry.ShortDebugString()));
    }
  } else {
    if (entry.hold_timed_out() ||
        entry.recorded_at_ms() >= hold.expires_at_ms) {
      failures->push_back(absl::StrCat(
          where, " settles hold ", entry.hold_id(),
          " by request at or after its expiry at ", hold.expires_at_ms, ": ",
          entry.ShortDebugString()));
    }
    if (acknowledged_[member_id].close_sequences.count(entry.sequence()) == 0) {
      failures->push_back(absl::StrCat(
          where, " closes hold ", entry.hold_id(),
          " by request, but no acknowledged request wrote it: ",
          entry.ShortDebugString()));
    }
  }
  statement->held -= hold.points;
  statement->open.erase(entry.hold_id());
  hold.close_sequence = entry.sequence();
  hold.close_kind = entry.kind();
  hold.timed_out = timeout_release;
}

void HoldCheck::FoldPending(const std::string& where,
                            const std::string& member_id,
                            const LedgerEntry& entry, Statement* statement,
                            Failures* failures) {
  if (entry.kind() == loyalty::v1::ENTRY_KIND_EARN) {
    if (entry.bucket() != loyalty::v1::BUCKET_PENDING) return;
    ++counts_.pending_lots_seen;
    if (entry.matures_at_ms() <= entry.recorded_at_ms() ||
        entry.points_delta() < 0) {
      failures->push_back(absl::StrCat(where, " is a malformed pending EARN: ",
                                       entry.ShortDebugString()));
      return;
    }
    statement->pending += entry.points_delta();
    if (entry.points_delta() == 0) return;  // No lot to mature.
    due_at_ms_max_ = std::max(due_at_ms_max_, entry.matures_at_ms());
    pending_lots_[entry.sequence()] = {member_id, entry.sequence(),
                                       entry.points_delta(),
                                       entry.matures_at_ms(), 0};
    statement->pending_lots.insert(entry.sequence());
    statement->lots.insert(entry.sequence());
    return;
  }
  const bool mature = entry.kind() == loyalty::v1::ENTRY_KIND_MATURE;
  const int64_t taken =
      mature ? entry.points_delta() : entry.pending_reversed_points();
  if (!mature && taken == 0) return;  // A return of available points.
  auto it = pending_lots_.find(entry.lot_sequence());
  if (it == pending_lots_.end() || it->second.member_id != member_id ||
      it->second.close_sequence != 0) {
    failures->push_back(absl::StrCat(
        where, " takes from pending lot ", entry.lot_sequence(),
        ", which is no pending lot of ", member_id, ": ",
        entry.ShortDebugString()));
    return;
  }
  PendingLot& lot = it->second;
  if (mature) {
    ++counts_.matured;
    // Whole, by the sweep or the next write, at its maturity.
    if (taken != lot.points || entry.principal() != kSystemPrincipal ||
        entry.occurred_at_ms() != lot.matures_at_ms ||
        entry.recorded_at_ms() < lot.matures_at_ms) {
      failures->push_back(absl::StrCat(
          where, " is not the maturity of pending lot ", entry.lot_sequence(),
          " (", lot.points, " points at ", lot.matures_at_ms, "): ",
          entry.ShortDebugString()));
    }
  } else if (taken < 0 || taken > lot.points ||
             entry.recorded_at_ms() >= lot.matures_at_ms) {
    failures->push_back(absl::StrCat(
        where, " takes ", taken, " points from pending lot ",
        entry.lot_sequence(), " of ", lot.points, " maturing at ",
        lot.matures_at_ms, ": ", entry.ShortDebugString()));
  }
  statement->pending -= taken;
  // A matured lot keeps its points: the balance check may look at it as of
  // an entry before its MATURE.
  if (!mature) lot.points -= taken;
  if (mature || lot.points == 0) {
    lot.close_sequence = entry.sequence();
    statement->pending_lots.erase(it->first);
  }
}

void HoldCheck::FoldMergeIn(LedgerClient& client, const std::string& where,
                            const std::string& member_id,
                            const LedgerEntry& entry, Statement* statement,
                            HoldWindow* window, Failures* failures) {
  const std::string& source_id = entry.counterparty_member_id();
  Statement& source = statements_[source_id];
  // The source's statement up to its MERGE_OUT says which holds moved.
  if (!FollowsMergeOut(
          where, entry, source.cursor,
          [&] {
            ReadNew(client, source_id, window, kStatementPageSize, failures);
          },
          failures)) {
    return;
  }
  int64_t moved_points = 0;
  for (const std::string& hold_id : source.moved_out) {
    Hold& hold = holds_.at(hold_id);
    hold.member_id = member_id;
    hold.arrived = entry.sequence();
    moved_points += hold.points;
    statement->open.insert(hold_id);
    statement->holds.insert(hold_id);
  }
  source.moved_out.clear();
  statement->held += moved_points;
  int64_t moved_pending = 0;
  for (uint64_t lot_sequence : source.lots_moved_out) {
    PendingLot& lot = pending_lots_.at(lot_sequence);
    lot.member_id = member_id;
    lot.arrived = entry.sequence();
    moved_pending += lot.points;
    statement->pending_lots.insert(lot_sequence);
    statement->lots.insert(lot_sequence);
  }
  source.lots_moved_out.clear();
  statement->pending += moved_pending;
  if (entry.merged_held_points() != moved_points ||
      entry.merged_pending_points() != moved_pending) {
    failures->push_back(absl::StrCat(
        where, " brings ", entry.merged_held_points(), " held and ",
        entry.merged_pending_points(), " pending points; the holds open at "
        "its MERGE_OUT add up to ", moved_points, " and the pending lots to ",
        moved_pending, ": ", entry.ShortDebugString()));
  }
}

void HoldCheck::CheckAcknowledged(const std::string& member_id,
                                  Failures* failures) {
  auto found = acknowledged_.find(member_id);
  if (found == acknowledged_.end()) return;
  const Acknowledged& acknowledged = found->second;
  auto hold_of = [&](const std::string& hold_id) -> const Hold* {
    auto it = holds_.find(hold_id);
    return it == holds_.end() ? nullptr : &it->second;
  };
  for (const auto& [hold_id, entry] : acknowledged.holds) {
    const Hold* hold = hold_of(hold_id);
    if (hold == nullptr || hold->origin != member_id ||
        hold->sequence != entry.sequence() || hold->hash != entry.hash() ||
        hold->expires_at_ms != entry.hold_expires_at_ms()) {
      failures->push_back(absl::StrCat(
          "acknowledged hold ", hold_id, " (entry ", entry.sequence(),
          ", request ", entry.request_id(), ") is not in the statement of ",
          member_id, " as acknowledged"));
    }
  }
  for (const auto& [hold_id, entry] : acknowledged.closes) {
    const Hold* hold = hold_of(hold_id);
    if (hold == nullptr || hold->member_id != member_id ||
        hold->close_sequence != entry.sequence() ||
        hold->close_kind != entry.kind()) {
      failures->push_back(absl::StrCat(
          "acknowledged ", loyalty::v1::EntryKind_Name(entry.kind()),
          " of hold ", hold_id, " (entry ", entry.sequence(), ", request ",
          entry.request_id(), ") does not close it in the statement of ",
          member_id, hold == nullptr ? " (no such hold)" : "",
          hold != nullptr && hold->close_sequence == 0 ? " (still open)" : "",
          hold != nullptr && hold->close_sequence != 0 &&
                  hold->close_sequence != entry.sequence()
              ? absl::StrCat(" (closed by entry ", hold->close_sequence, ")")
              : ""));
    }
  }
}

void HoldCheck::CheckRefusals(const AliasGraph& graph, Failures* failures) {
  for (const Refusal& refusal : not_active_) {
    auto it = holds_.find(refusal.hold_id);
    // The hold was closed at the member the named id meant then; merges
    // since lead both to one member.
    if (it == holds_.end() || it->second.close_sequence == 0 ||
        graph.Resolve(it->second.member_id) !=
            graph.Resolve(refusal.member_id)) {
      failures->push_back(absl::StrCat(
          refusal.request_name, ": hold ", refusal.hold_id, " of ",
          refusal.member_id,
          " was answered HOLD_NOT_ACTIVE but the statements have it ",
          it == holds_.end() ? "not at all"
          : it->second.close_sequence == 0
              ? absl::StrCat("open at ", it->second.member_id)
              : absl::StrCat("closed at ", it->second.member_id,
                             ", another member")));
    }
  }
  not_active_.clear();
  for (const Refusal& refusal : not_found_) {
    auto it = holds_.find(refusal.hold_id);
    // Every real hold id the load sends was acknowledged before: if the
    // named id led to the hold's member when the hold was made, it still
    // leads to whoever has it now.
    if (it != holds_.end() &&
        graph.ResolveAt(refusal.member_id, it->second.sequence) ==
            it->second.origin) {
      failures->push_back(absl::StrCat(
          refusal.request_name, ": hold ", refusal.hold_id,
          " was answered HOLD_NOT_FOUND for ", refusal.member_id,
          ", but it is a hold of that member (now at ", it->second.member_id,
          ")"));
    }
  }
  not_found_.clear();
}

}  // namespace loyalty::crash
