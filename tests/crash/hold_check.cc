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
constexpr char kMemberNotFound[] = "ERROR_REASON_MEMBER_NOT_FOUND";
constexpr char kHoldNotActive[] = "ERROR_REASON_HOLD_NOT_ACTIVE";
constexpr char kHoldNotFound[] = "ERROR_REASON_HOLD_NOT_FOUND";
constexpr char kTooManyHolds[] = "ERROR_REASON_TOO_MANY_HOLDS";

bool IsHoldMethod(Method method) {
  return method == Method::kHold || method == Method::kCapture ||
         method == Method::kRelease;
}

std::string Name(const SentRequest& request) {
  return absl::StrCat(MethodName(request.method), " ", request.request_id,
                      " (cycle ", request.cycle, ")");
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
    if (!IsHoldMethod(request.method)) continue;
    const Outcome& outcome = request.outcome;
    // A member that did not exist got nothing written (the pool's ghosts
    // never do); every other one may have a hold, so is read.
    if (outcome.reason != kMemberNotFound) members_.insert(request.member_id);
    if (!IsAcknowledged(outcome)) continue;  // Already a failure.
    if (outcome.code == grpc::StatusCode::OK) {
      LearnOk(request, failures);
    } else if (outcome.reason == kHoldNotActive) {
      ++counts_.not_active;
      acknowledged_[request.member_id].not_active.insert(
          HoldIdOfRequest(request));
    } else if (outcome.reason == kHoldNotFound) {
      ++counts_.not_found;
      acknowledged_[request.member_id].not_found.insert(
          HoldIdOfRequest(request));
    } else if (outcome.reason == kTooManyHolds) {
      ++counts_.too_many;
    }
  }
}

void HoldCheck::LearnOk(const SentRequest& request, Failures* failures) {
  Acknowledged& acknowledged = acknowledged_[request.member_id];
  if (request.method == Method::kHold) {
    loyalty::v1::HoldPointsResponse response;
    response.ParseFromString(request.outcome.response);
    const LedgerEntry& entry = response.entry();
    if (entry.kind() != loyalty::v1::ENTRY_KIND_HOLD ||
        entry.member_id() != request.member_id ||
        entry.hold_id() != response.hold_id() ||
        entry.hold_expires_at_ms() != response.expires_at_ms() ||
        response.balance().held_points() != entry.held_after_points()) {
      failures->push_back(absl::StrCat(
          Name(request), ": the OK answer does not agree with itself: ",
          response.ShortDebugString()));
      return;
    }
    ++counts_.holds_acknowledged;
    auto [it, inserted] =
        acknowledged.holds.emplace(response.hold_id(), entry);
    if (!inserted && it->second.sequence() != entry.sequence()) {
      failures->push_back(absl::StrCat(
          Name(request), ": hold ", response.hold_id(), " acknowledged as entry ",
          entry.sequence(), " and before as entry ", it->second.sequence()));
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
  if (entry.kind() != kind || entry.member_id() != request.member_id ||
      entry.hold_id() != hold_id || entry.hold_timed_out() ||
      entry.principal() == kSystemPrincipal) {
    failures->push_back(absl::StrCat(
        Name(request), ": the OK answer is not this request's entry: ",
        entry.ShortDebugString()));
    return;
  }
  ++(request.method == Method::kCapture ? counts_.captures_acknowledged
                                        : counts_.releases_acknowledged);
  acknowledged.close_sequences.insert(entry.sequence());
  auto [it, inserted] = acknowledged.closes.emplace(hold_id, entry);
  if (!inserted && it->second.sequence() != entry.sequence()) {
    failures->push_back(absl::StrCat(
        Name(request), ": hold ", hold_id, " of ", request.member_id,
        " was closed twice by acknowledged requests: entry ",
        it->second.sequence(), " (", it->second.request_id(), ") and entry ",
        entry.sequence()));
  }
}

void HoldCheck::Check(LedgerClient& client, HoldWindow* window,
                      absl::Duration grace, Failures* failures) {
  counts_.open_last_check = 0;
  for (const std::string& member_id : members_) {
    CheckMember(client, member_id, window, absl::ToUnixMillis(absl::Now()),
                absl::ToInt64Milliseconds(grace), failures);
  }
}

void HoldCheck::CheckMember(LedgerClient& client, const std::string& member_id,
                            HoldWindow* window, int64_t now_ms,
                            int64_t grace_ms, Failures* failures) {
  // The balance first: the entries read next reach at least its
  // last_sequence, so the holds open at that entry are known.
  auto balance = client.GetBalance(member_id);
  Statement& statement = statements_[member_id];
  if (!balance.ok()) {
    bool never_existed = balance.status().code() ==
                             absl::StatusCode::kNotFound &&
                         statement.scanned_through == 0;
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
  auto fresh = client.EntriesSince(
      member_id, statement.scanned_through, statement.scanned_hash,
      static_cast<int32_t>(
          std::min<uint64_t>(kStatementPageSize, new_entries + 8)));
  if (!fresh.ok()) {
    failures->push_back(std::string(fresh.status().message()));
    return;
  }
  const uint64_t as_of_sequence = balance->last_sequence();
  int64_t available_at_balance = statement.available_after;
  uint64_t count_at_balance = statement.entry_count;
  bool balance_entry_seen = as_of_sequence == statement.scanned_through;
  for (const LedgerEntry& entry : *fresh) {
    Fold(member_id, entry, &statement, window, failures);
    if (entry.sequence() == as_of_sequence) {
      available_at_balance = entry.available_after_points();
      count_at_balance = statement.entry_count;
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

  // The balance: holds open at its entry count as held until their expiry
  // and as available after it.
  int64_t held_wanted = 0;
  int64_t available_wanted = available_at_balance;
  for (const auto& [hold_id, hold] : statement.holds) {
    bool open_then = hold.sequence <= as_of_sequence &&
                     (hold.close_sequence == 0 ||
                      hold.close_sequence > as_of_sequence);
    if (!open_then) continue;
    (hold.expires_at_ms > balance->as_of_ms() ? held_wanted
                                              : available_wanted) +=
        hold.points;
  }
  if (balance->held_points() != held_wanted ||
      balance->available_points() != available_wanted) {
    failures->push_back(absl::StrCat(
        "the balance of ", member_id, " has ", balance->held_points(),
        " held and ", balance->available_points(),
        " available points; its open holds say ", held_wanted, " and ",
        available_wanted, ": ", balance->ShortDebugString()));
  }
  for (const auto& [hold_id, hold] : statement.holds) {
    if (hold.close_sequence != 0) continue;
    ++counts_.open_last_check;
    if (now_ms - hold.expires_at_ms > grace_ms) {
      failures->push_back(absl::StrCat(
          "hold ", hold_id, " of ", member_id, " expired ",
          now_ms - hold.expires_at_ms,
          " ms ago and is still open: no timeout RELEASE was written"));
    }
  }
  CheckAcknowledged(member_id, statement, failures);
}

void HoldCheck::Fold(const std::string& member_id, const LedgerEntry& entry,
                     Statement* statement, HoldWindow* window,
                     Failures* failures) {
  const std::string where =
      absl::StrCat("entry ", entry.sequence(), " of ", member_id);
  const bool timeout_release = entry.kind() == loyalty::v1::ENTRY_KIND_RELEASE &&
                               entry.hold_timed_out();
  if (entry.sequence() > window->after && entry.sequence() <= window->through) {
    if (timeout_release) {
      ++window->timeout_releases;
    } else {
      failures->push_back(absl::StrCat(
          where, " was written while acknowledged requests were re-sent and "
          "is no timeout release: ", entry.ShortDebugString()));
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
      hold.sequence = entry.sequence();
      hold.hash = entry.hash();
      hold.points = -entry.points_delta();
      hold.expires_at_ms = entry.hold_expires_at_ms();
      if (statement->holds.emplace(entry.hold_id(), hold).second) {
        statement->held += hold.points;
      } else {
        failures->push_back(absl::StrCat(where, " repeats hold id ",
                                         entry.hold_id()));
      }
      expires_at_ms_max_ = std::max(expires_at_ms_max_, hold.expires_at_ms);
      break;
    }
    case loyalty::v1::ENTRY_KIND_CAPTURE:
    case loyalty::v1::ENTRY_KIND_RELEASE: {
      auto it = statement->holds.find(entry.hold_id());
      if (it == statement->holds.end()) {
        failures->push_back(absl::StrCat(where, " closes hold ",
                                         entry.hold_id(),
                                         ", which is no earlier hold of ",
                                         member_id));
        break;
      }
      Hold& hold = it->second;
      if (hold.close_sequence != 0) {
        failures->push_back(absl::StrCat(
            where, " closes hold ", entry.hold_id(),
            " a second time: entry ", hold.close_sequence,
            " closed it first (", hold.timed_out ? "timeout " : "",
            loyalty::v1::EntryKind_Name(hold.close_kind), "): ",
            entry.ShortDebugString()));
        break;
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
        if (WhileLoaded(entry.recorded_at_ms())) {
          ++counts_.timed_out_while_loaded;
        }
        if (entry.principal() != kSystemPrincipal ||
            entry.occurred_at_ms() != hold.expires_at_ms ||
            entry.recorded_at_ms() < hold.expires_at_ms) {
          failures->push_back(absl::StrCat(
              where, " is not a timeout release of hold ", entry.hold_id(),
              " expiring at ", hold.expires_at_ms, ": ",
              entry.ShortDebugString()));
        }
      } else {
        if (entry.hold_timed_out() ||
            entry.recorded_at_ms() >= hold.expires_at_ms) {
          failures->push_back(absl::StrCat(
              where, " settles hold ", entry.hold_id(),
              " by request at or after its expiry at ", hold.expires_at_ms,
              ": ", entry.ShortDebugString()));
        }
        if (acknowledged_[member_id].close_sequences.count(entry.sequence()) ==
            0) {
          failures->push_back(absl::StrCat(
              where, " closes hold ", entry.hold_id(),
              " by request, but no acknowledged request wrote it: ",
              entry.ShortDebugString()));
        }
      }
      statement->held -= hold.points;
      hold.close_sequence = entry.sequence();
      hold.close_kind = entry.kind();
      hold.timed_out = timeout_release;
      break;
    }
    default:
      break;
  }
  if (entry.held_after_points() != statement->held) {
    failures->push_back(absl::StrCat(where, " has held_after_points ",
                                     entry.held_after_points(),
                                     "; its open holds add up to ",
                                     statement->held));
  }
  ++statement->entry_count;
  statement->scanned_through = entry.sequence();
  statement->scanned_hash = entry.hash();
  statement->available_after = entry.available_after_points();
}

void HoldCheck::CheckAcknowledged(const std::string& member_id,
                                  const Statement& statement,
                                  Failures* failures) {
  auto found = acknowledged_.find(member_id);
  if (found == acknowledged_.end()) return;
  const Acknowledged& acknowledged = found->second;
  auto hold_of = [&](const std::string& hold_id) -> const Hold* {
    auto it = statement.holds.find(hold_id);
    return it == statement.holds.end() ? nullptr : &it->second;
  };
  for (const auto& [hold_id, entry] : acknowledged.holds) {
    const Hold* hold = hold_of(hold_id);
    if (hold == nullptr || hold->sequence != entry.sequence() ||
        hold->hash != entry.hash() ||
        hold->expires_at_ms != entry.hold_expires_at_ms()) {
      failures->push_back(absl::StrCat(
          "acknowledged hold ", hold_id, " (entry ", entry.sequence(),
          ", request ", entry.request_id(), ") is not in the statement of ",
          member_id, " as acknowledged"));
    }
  }
  for (const auto& [hold_id, entry] : acknowledged.closes) {
    const Hold* hold = hold_of(hold_id);
    if (hold == nullptr || hold->close_sequence != entry.sequence() ||
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
  for (const std::string& hold_id : acknowledged.not_active) {
    const Hold* hold = hold_of(hold_id);
    if (hold == nullptr || hold->close_sequence == 0) {
      failures->push_back(absl::StrCat(
          "hold ", hold_id, " of ", member_id,
          " was answered HOLD_NOT_ACTIVE but the statement has it ",
          hold == nullptr ? "not at all" : "open"));
    }
  }
  for (const std::string& hold_id : acknowledged.not_found) {
    if (hold_of(hold_id) != nullptr) {
      failures->push_back(absl::StrCat(
          "hold ", hold_id, " was answered HOLD_NOT_FOUND for ", member_id,
          ", but it is a hold of that member"));
    }
  }
}

}  // namespace loyalty::crash
