#include "tests/crash/transfer_check.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "tests/crash/test_program.h"

namespace loyalty::crash {
namespace {

using loyalty::v1::LedgerEntry;

bool SameLots(const LedgerEntry& a, const LedgerEntry& b) {
  if (a.transferred_lots_size() != b.transferred_lots_size()) return false;
  for (int i = 0; i < a.transferred_lots_size(); ++i) {
    if (!google::protobuf::util::MessageDifferencer::Equals(
            a.transferred_lots(i), b.transferred_lots(i))) {
      return false;
    }
  }
  return true;
}

// Empty when `lots` are well formed for `points`: each positive, adding up
// to them, soonest expiry first with never-expiring (0) last, and no expiry
// twice (the sender's lots are one per expiry).
std::string LotProblem(const LedgerEntry& entry, int64_t points) {
  int64_t sum = 0;
  for (int i = 0; i < entry.transferred_lots_size(); ++i) {
    const auto& lot = entry.transferred_lots(i);
    if (lot.points() <= 0) return "a transferred lot is empty";
    sum += lot.points();
    if (i == 0) continue;
    const int64_t before = entry.transferred_lots(i - 1).expires_at_ms();
    const int64_t at = lot.expires_at_ms();
    const bool ordered = at == 0 ? before != 0 : before != 0 && before < at;
    if (!ordered) return "the transferred lots are not soonest expiry first";
  }
  if (sum != points) {
    return absl::StrCat("the transferred lots add up to ", sum, ", not ",
                        points);
  }
  return "";
}

}  // namespace

int64_t TransferCheck::DayOf(int64_t unix_ms) const {
  return absl::ToCivilDay(absl::FromUnixMillis(unix_ms), time_zone_) -
         absl::CivilDay(1970, 1, 1);
}

void TransferCheck::Learn(const std::vector<SentRequest>& requests,
                          Failures* failures) {
  for (const SentRequest& request : requests) {
    if (request.method != Method::kTransfer) continue;
    const Outcome& outcome = request.outcome;
    loyalty::v1::TransferPointsRequest sent;
    sent.ParseFromString(request.request);
    if (outcome.reason == reason::kMemberNotFound) {
      ++counts_.member_not_found;
      continue;  // One of them never existed; nothing moved.
    }
    if (outcome.reason == reason::kMemberClosed) {
      // One of them is closed (close_check.h checks that it was) and the
      // other need not exist: the sender is looked at first. Nothing moved.
      ++counts_.member_closed;
      continue;
    }
    // Both exist: a pool member, or one an import answer named.
    members_.insert(sent.from_member_id());
    members_.insert(sent.to_member_id());
    if (!IsAcknowledged(outcome)) continue;  // Already a failure.
    if (outcome.reason == reason::kInsufficientPoints) ++counts_.insufficient;
    if (outcome.reason == reason::kTransferLimitReached) {
      ++counts_.limit_reached;
      limit_answers_.push_back(
          {RequestName(request), sent.from_member_id(), sent.points(),
           DayOf(absl::ToUnixMillis(request.answered_at))});
    }
    if (outcome.code == grpc::StatusCode::OK) LearnOk(request, sent, failures);
  }
}

void TransferCheck::LearnOk(const SentRequest& request,
                            const loyalty::v1::TransferPointsRequest& sent,
                            Failures* failures) {
  loyalty::v1::TransferPointsResponse response;
  response.ParseFromString(request.outcome.response);
  bool agrees = response.entries_size() == 2;
  if (agrees) {
    const LedgerEntry& out = response.entries(0);
    const LedgerEntry& in = response.entries(1);
    // The entries are on the members the named ids meant (merge_check.h
    // checks which).
    agrees = IsPair(kTransferPair, out, in) &&
             out.points_delta() == -sent.points() &&
             out.request_id() == request.request_id &&
             in.request_id() == request.request_id && SameLots(out, in) &&
             LotProblem(out, sent.points()).empty() &&
             response.from_balance().member_id() == out.member_id() &&
             response.from_balance().last_sequence() == out.sequence() &&
             response.to_balance().member_id() == in.member_id() &&
             response.to_balance().last_sequence() == in.sequence();
  }
  if (!agrees) {
    AddDisagreeingAnswer(request, response.ShortDebugString(), failures);
    return;
  }
  ++counts_.acknowledged_ok;
  members_.insert(response.entries(0).member_id());
  members_.insert(response.entries(1).member_id());
  for (const LedgerEntry& entry : response.entries()) {
    acknowledged_.Acknowledge(RequestName(request), entry, failures);
  }
}

void TransferCheck::Check(LedgerClient& client, const AliasGraph& graph,
                          Failures* failures) {
  const std::set<std::string> members = WithMembersNow(members_, graph);
  for (const std::string& member_id : members) {
    ReadNew(client, member_id, failures);
  }
  // An alias's balance is its member's.
  for (const std::string& member_id : members) {
    if (!graph.IsAlias(member_id)) CheckBalance(client, member_id, failures);
  }
  CheckPairs(failures);
  acknowledged_.CheckAllSeen(failures);
  // Conservation over every member a transfer named: their summed
  // available points equal what every non-transfer entry changed.
  if (transfer_available_change_ != 0) {
    failures->push_back(absl::StrCat(
        "transfer entries changed the members' summed available points by ",
        transfer_available_change_, "; transfers must only move points"));
  }
  // Over all members (every transfer is between members of members_).
  int64_t out_points = 0;
  int64_t in_points = 0;
  for (const auto& [member_id, statement] : statements_) {
    out_points += statement.out_points;
    in_points += statement.in_points;
  }
  if (out_points != in_points) {
    failures->push_back(absl::StrCat("the statements give away ", out_points,
                                     " points by transfer and receive ",
                                     in_points));
  }
  CheckLimitAnswers(graph, failures);
}

void TransferCheck::ReadNew(LedgerClient& client, const std::string& member_id,
                            Failures* failures) {
  Statement& statement = statements_[member_id];
  ReadNewEntries(
      client, member_id, kNewEntriesPageSize, UnknownMember::kFailure,
      &statement.cursor,
      [&](const LedgerEntry& entry) {
        Fold(client, member_id, entry, &statement, failures);
      },
      failures);
}

void TransferCheck::CheckBalance(LedgerClient& client,
                                 const std::string& member_id,
                                 Failures* failures) {
  const Statement& statement = statements_[member_id];
  // Transfers and merges are the only entries that change these totals,
  // and the sweep writes none: the balance is as of at least the entries
  // read.
  auto balance = client.GetBalance(member_id);
  if (!balance.ok()) {
    failures->push_back(absl::StrCat("balance of ", member_id, ": ",
                                     balance.status().ToString()));
    return;
  }
  const int64_t out_points = statement.out_points + statement.merged_out_points;
  const int64_t in_points = statement.in_points + statement.merged_in_points;
  if (balance->transferred_out_points_total() != out_points ||
      balance->transferred_in_points_total() != in_points) {
    failures->push_back(
        absl::StrCat("the balance of ", member_id, " has transferred out/in ",
                     balance->transferred_out_points_total(), "/",
                     balance->transferred_in_points_total(),
                     "; its statement's transfers (and merged members' "
                     "totals) add up to ",
                     out_points, "/", in_points));
  }
}

void TransferCheck::Fold(LedgerClient& client, const std::string& member_id,
                         const LedgerEntry& entry, Statement* statement,
                         Failures* failures) {
  const std::string where = EntryWhere(entry.sequence(), member_id);
  ++counts_.entries_folded;
  if (entry.kind() == loyalty::v1::ENTRY_KIND_MERGE_IN) {
    FoldMergeIn(client, where, entry, statement, failures);
  }
  const int64_t change =
      entry.available_after_points() - statement->available_after;
  const int64_t stated = entry.bucket() == loyalty::v1::BUCKET_AVAILABLE
                             ? entry.points_delta()
                             : 0;
  if (change != stated) {
    failures->push_back(absl::StrCat(
        where, " changes available points by ", change, " but moves ", stated,
        " in the available bucket: ", entry.ShortDebugString()));
  }
  statement->available_after = entry.available_after_points();
  if (IsHalfOf(kTransferPair, entry)) {
    transfer_available_change_ += change;
    FoldTransfer(where, entry, statement, failures);
  }
}

void TransferCheck::FoldMergeIn(LedgerClient& client, const std::string& where,
                                const LedgerEntry& entry, Statement* statement,
                                Failures* failures) {
  const std::string& source_id = entry.counterparty_member_id();
  const Statement& source = statements_[source_id];
  // The source's statement up to its MERGE_OUT says what it gave and got.
  if (!FollowsMergeOut(
          where, entry, source.cursor,
          [&] { ReadNew(client, source_id, failures); }, failures)) {
    return;
  }
  statement->merged_out_points += source.out_points + source.merged_out_points;
  statement->merged_in_points += source.in_points + source.merged_in_points;
  // The ledger keeps the giving of the newest day only; on that day (and
  // so on any later one) it is the sum, as here.
  for (const auto& [day, points] : source.out_points_by_day) {
    statement->out_points_by_day[day] += points;
  }
}

void TransferCheck::FoldTransfer(const std::string& where,
                                 const LedgerEntry& entry, Statement* statement,
                                 Failures* failures) {
  acknowledged_.See(where, entry, failures);
  const bool out = entry.kind() == loyalty::v1::ENTRY_KIND_TRANSFER_OUT;
  const int64_t points = out ? -entry.points_delta() : entry.points_delta();
  std::string problem = LotProblem(entry, points);
  if (points <= 0 || entry.bucket() != loyalty::v1::BUCKET_AVAILABLE ||
      entry.counterparty_member_id().empty() ||
      entry.counterparty_member_id() == entry.member_id()) {
    problem = "it moves no points or names no other member";
  }
  if (!problem.empty()) {
    failures->push_back(absl::StrCat(
        where, " is a malformed ", loyalty::v1::EntryKind_Name(entry.kind()),
        ": ", problem, ": ", entry.ShortDebugString()));
  }
  unpaired_.Add(entry);
  if (!out) {
    statement->in_points += points;
    return;
  }
  statement->out_points += points;
  if (entry.transfer_day() != DayOf(entry.recorded_at_ms())) {
    failures->push_back(
        absl::StrCat(where, " counts against day ", entry.transfer_day(),
                     " but was recorded on day ", DayOf(entry.recorded_at_ms()),
                     " in the program's time zone"));
  }
  int64_t& given = statement->out_points_by_day[entry.transfer_day()];
  given += points;
  counts_.given_on_day_max = std::max(counts_.given_on_day_max, given);
  if (points > kTransferPointsPerTransferMax ||
      given > kTransferPointsPerDayMax) {
    failures->push_back(
        absl::StrCat(where, " gives ", points, " points (", given,
                     " on its day); the "
                     "program allows ",
                     kTransferPointsPerTransferMax, " per transfer and ",
                     kTransferPointsPerDayMax, " a day"));
  }
}

void TransferCheck::CheckPairs(Failures* failures) {
  unpaired_.PairUp(
      SameLots,
      [&](const LedgerEntry& out, const LedgerEntry&) { CountPair(out); },
      failures);
}

void TransferCheck::CountPair(const LedgerEntry& out) {
  ++counts_.pairs_seen;
  counts_.points_moved -= out.points_delta();
  std::set<int64_t> expiries;
  for (const auto& lot : out.transferred_lots()) {
    expiries.insert(lot.expires_at_ms());
  }
  if (expiries.size() > 1) ++counts_.multi_lot_pairs;
}

void TransferCheck::CheckLimitAnswers(const AliasGraph& graph,
                                      Failures* failures) {
  for (const LimitAnswer& answer : limit_answers_) {
    if (answer.points > kTransferPointsPerTransferMax) continue;
    // What the sender gave on that day (or the one before, for an answer
    // just after midnight) only grows, so it now is at least what it was
    // when the answer was decided; merges since only add to it.
    const Statement& statement =
        statements_[graph.Resolve(answer.from_member_id)];
    int64_t given_max = 0;
    for (int64_t day : {answer.day - 1, answer.day}) {
      auto it = statement.out_points_by_day.find(day);
      if (it != statement.out_points_by_day.end()) {
        given_max = std::max(given_max, it->second);
      }
    }
    if (given_max + answer.points <= kTransferPointsPerDayMax) {
      failures->push_back(absl::StrCat(
          answer.request_name, ": answered TRANSFER_LIMIT_REACHED for ",
          answer.points, " points, but ", answer.from_member_id, " gave only ",
          given_max, " that day of the ", kTransferPointsPerDayMax,
          " allowed"));
    }
  }
  limit_answers_.clear();
}

}  // namespace loyalty::crash
