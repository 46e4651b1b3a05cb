#include "tests/crash/merge_check.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::crash {
namespace {

using loyalty::v1::LedgerEntry;

// Members whose records each check reads again although no merge changed
// what they should answer.
constexpr int kOthersReadPerCheck = 16;

// Beyond IsPair: the MERGE_IN brings what its MERGE_OUT took, for the same
// request.
bool MovesAlike(const LedgerEntry& out, const LedgerEntry& in) {
  return in.request_id() == out.request_id() &&
         in.merged_pending_points() == out.merged_pending_points() &&
         in.merged_held_points() == out.merged_held_points();
}

std::string Listed(const std::set<std::string>& ids) {
  return ids.empty() ? "none" : absl::StrJoin(ids, ", ");
}

}  // namespace

bool AliasGraph::Add(const std::string& source, const std::string& target,
                     uint64_t sequence, int64_t recorded_at_ms) {
  auto [it, inserted] =
      edges_.emplace(source, Edge{target, sequence, recorded_at_ms});
  return inserted ||
         (it->second.target == target && it->second.sequence == sequence);
}

template <typename Accept>
std::string AliasGraph::Follow(const std::string& member_id,
                               Accept accept) const {
  std::string resolved = member_id;
  // Each hop is a later merge than the one before (a merge's target is
  // resolved when it is written), so a chain ends; the bound guards a
  // loop the statements should never show.
  for (size_t hops = 0; hops <= edges_.size(); ++hops) {
    auto it = edges_.find(resolved);
    if (it == edges_.end() || !accept(it->second)) break;
    resolved = it->second.target;
  }
  return resolved;
}

std::string AliasGraph::ResolveAt(const std::string& member_id,
                                  uint64_t sequence) const {
  return Follow(member_id,
                [&](const Edge& edge) { return edge.sequence < sequence; });
}

std::string AliasGraph::ResolveAsOf(const std::string& member_id,
                                    int64_t unix_ms) const {
  return Follow(member_id, [&](const Edge& edge) {
    return edge.recorded_at_ms <= unix_ms;
  });
}

std::string AliasGraph::Resolve(const std::string& member_id) const {
  return Follow(member_id, [](const Edge&) { return true; });
}

bool AliasGraph::IsAlias(const std::string& member_id) const {
  return edges_.count(member_id) != 0;
}

std::set<std::string> AliasGraph::AliasesOf(const std::string& member_id) const {
  std::set<std::string> aliases;
  for (const auto& [source, edge] : edges_) {
    if (Resolve(source) == member_id) aliases.insert(source);
  }
  return aliases;
}

void MergeCheck::Learn(const std::vector<SentRequest>& requests,
                       Failures* failures) {
  for (const SentRequest& request : requests) {
    if (!IsAcknowledged(request.outcome)) continue;  // Already a failure.
    if (request.outcome.code == grpc::StatusCode::OK) LearnNamed(request);
    if (request.method == Method::kMerge) LearnMerge(request, failures);
    if (request.method == Method::kImport) CheckImportRows(request, failures);
    if (request.outcome.reason != reason::kMemberMerged) continue;
    const int64_t answered_at_ms = absl::ToUnixMillis(request.answered_at);
    if (request.method == Method::kClose) {
      merged_answers_.push_back({RequestName(request), request.method,
                                 request.member_id, "", answered_at_ms});
    } else if (request.method == Method::kTransfer) {
      loyalty::v1::TransferPointsRequest sent;
      sent.ParseFromString(request.request);
      merged_answers_.push_back({RequestName(request), request.method,
                                 sent.from_member_id(), sent.to_member_id(),
                                 answered_at_ms});
    } else if (request.method == Method::kTransferVoucherUnits) {
      loyalty::v1::TransferVoucherUnitsRequest sent;
      sent.ParseFromString(request.request);
      merged_answers_.push_back({RequestName(request), request.method,
                                 sent.member_id(), sent.to_member_id(),
                                 answered_at_ms});
    } else if (request.method != Method::kMerge) {
      failures->push_back(absl::StrCat(
          RequestName(request), " naming ", request.member_id,
          " was answered MEMBER_MERGED: a write naming an alias must act on "
          "the member it was merged into; ",
          Describe(request.outcome)));
    }
  }
}

void MergeCheck::LearnNamed(const SentRequest& request) {
  std::vector<LedgerEntry> entries =
      EntriesOf(request.method, request.outcome.response);
  std::string first = request.member_id;
  std::string rest = request.member_id;
  switch (request.method) {
    case Method::kEnroll:
    case Method::kImport:
      return;  // They name a new member, or a card.
    case Method::kTransfer: {
      loyalty::v1::TransferPointsRequest sent;
      sent.ParseFromString(request.request);
      first = sent.from_member_id();
      rest = sent.to_member_id();
      break;
    }
    case Method::kMerge: {
      loyalty::v1::MergeMembersRequest sent;
      sent.ParseFromString(request.request);
      first = sent.source_member_id();
      rest = sent.target_member_id();
      break;
    }
    case Method::kTransferVoucherUnits: {
      loyalty::v1::TransferVoucherUnitsRequest sent;
      sent.ParseFromString(request.request);
      rest = sent.to_member_id();
      break;
    }
    case Method::kClaimVoucherGift:
      // The first entry is the giver's, whom the request does not name.
      entries.erase(entries.begin());
      first = request.member_id;
      break;
    default:
      break;
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    named_.push_back({RequestName(request), i == 0 ? first : rest,
                      entries[i].member_id(), entries[i].sequence()});
  }
}

void MergeCheck::CheckImportRows(const SentRequest& request,
                                 Failures* failures) {
  if (request.outcome.code != grpc::StatusCode::OK) return;
  loyalty::v1::ImportMembersResponse response;
  response.ParseFromString(request.outcome.response);
  for (int i = 0; i < response.results_size(); ++i) {
    const loyalty::v1::ImportMemberResult& result = response.results(i);
    if (loyalty::v1::ErrorReason_Name(result.reason()) !=
        reason::kMemberMerged) {
      continue;
    }
    failures->push_back(absl::StrCat(
        RequestName(request), " rows[", i,
        "] was answered MEMBER_MERGED: a card moves with its member's merge, "
        "so it finds the member merged into; ",
        result.ShortDebugString()));
  }
}

void MergeCheck::LearnMerge(const SentRequest& request, Failures* failures) {
  loyalty::v1::MergeMembersRequest sent;
  sent.ParseFromString(request.request);
  const Outcome& outcome = request.outcome;
  // Read whoever a merge named: a half-written merge would show there.
  members_.insert(sent.source_member_id());
  members_.insert(sent.target_member_id());
  if (request.attempts > 1) {
    ++counts_.retried;
    if (outcome.code == grpc::StatusCode::OK &&
        WasReplayed(Method::kMerge, outcome.response)) {
      ++counts_.retried_replayed;
    }
  }
  if (outcome.code == grpc::StatusCode::OK) {
    LearnMergeOk(request, sent, failures);
    return;
  }
  if (outcome.reason == reason::kMemberMerged) {
    ++counts_.member_merged;
    merged_answers_.push_back({RequestName(request), request.method,
                               sent.source_member_id(), sent.target_member_id(),
                               absl::ToUnixMillis(request.answered_at)});
  } else if (outcome.reason == reason::kTooManyIdentifiers) {
    ++counts_.too_many;
  } else if (outcome.reason == reason::kOrderIdConflict) {
    ++counts_.order_conflict;
  } else if (outcome.reason == reason::kMemberClosed) {
    ++counts_.member_closed;
  } else if (outcome.reason == reason::kMemberNotFound) {
    ++counts_.member_not_found;
  } else {
    ++counts_.other_answers[outcome.reason];
  }
}

void MergeCheck::LearnMergeOk(const SentRequest& request,
                              const loyalty::v1::MergeMembersRequest& sent,
                              Failures* failures) {
  loyalty::v1::MergeMembersResponse response;
  response.ParseFromString(request.outcome.response);
  bool agrees = response.entries_size() >= 2;
  if (agrees) {
    const LedgerEntry& out = response.entries(0);
    const LedgerEntry& in = response.entries(1);
    const auto& aliases = response.member().merged_member_ids();
    agrees =
        IsPair(kMergePair, out, in) && MovesAlike(out, in) &&
        out.member_id() == sent.source_member_id() &&
        out.request_id() == request.request_id &&
        out.available_after_points() == 0 && out.pending_after_points() == 0 &&
        out.held_after_points() == 0 && out.debt_after_points() == 0 &&
        in.member_id() != sent.source_member_id() &&
        response.member().member_id() == in.member_id() &&
        std::find(aliases.begin(), aliases.end(), sent.source_member_id()) !=
            aliases.end();
    for (int i = 2; agrees && i < response.entries_size(); ++i) {
      agrees = response.entries(i).member_id() == in.member_id() &&
               response.entries(i).sequence() == in.sequence() + i - 1;
    }
  }
  if (!agrees) {
    AddDisagreeingAnswer(request, response.ShortDebugString(), failures);
    return;
  }
  ++counts_.acknowledged_ok;
  if (response.entries(1).member_id() != sent.target_member_id()) {
    ++counts_.into_alias;
  }
  members_.insert(response.entries(1).member_id());
  for (int i = 0; i < 2; ++i) {
    acknowledged_.Acknowledge(RequestName(request), response.entries(i),
                              failures);
  }
}

void MergeCheck::Check(LedgerClient& client, Failures* failures) {
  // Every member a merge named, and every member their merge entries name
  // (the target an alias led to, the source of a MERGE_IN): both halves of
  // every merge are read by the same check.
  std::set<std::string> to_read = members_;
  std::set<std::string> read;
  while (!to_read.empty()) {
    std::set<std::string> more;
    for (const std::string& member_id : to_read) {
      if (!read.insert(member_id).second) continue;
      ReadMember(client, member_id, &more, failures);
    }
    to_read.clear();
    for (const std::string& member_id : more) {
      if (read.count(member_id) == 0) to_read.insert(member_id);
      members_.insert(member_id);
    }
  }
  CheckPairs(failures);
  acknowledged_.CheckAllSeen(failures);
  CheckNamed(failures);
  CheckMergedAnswers(failures);
  CheckReads(client, failures);
}

void MergeCheck::ReadMember(LedgerClient& client, const std::string& member_id,
                            std::set<std::string>* more, Failures* failures) {
  Statement& statement = statements_[member_id];
  // A ghost a merge named has no statement; any other member must.
  ReadNewEntries(
      client, member_id, kNewEntriesPageSize, UnknownMember::kNeverExisted,
      &statement.cursor,
      [&](const LedgerEntry& entry) {
        Fold(member_id, entry, &statement, more, failures);
      },
      failures);
}

void MergeCheck::Fold(const std::string& member_id, const LedgerEntry& entry,
                      Statement* statement, std::set<std::string>* more,
                      Failures* failures) {
  const std::string where = EntryWhere(entry.sequence(), member_id);
  if (entry.member_id() != member_id) {
    failures->push_back(absl::StrCat(where, " is listed in its statement but "
                                     "is an entry of ", entry.member_id()));
  }
  if (statement->cursor.merged_out_sequence != 0) {
    failures->push_back(absl::StrCat(
        where, " follows the member's MERGE_OUT (entry ",
        statement->cursor.merged_out_sequence,
        "): nothing may be written to an alias: ", entry.ShortDebugString()));
  }
  if (entry.kind() == loyalty::v1::ENTRY_KIND_MERGE_OUT) {
    if (entry.points_delta() != -statement->available_after ||
        entry.merged_pending_points() != statement->pending_after ||
        entry.merged_held_points() != statement->held_after ||
        entry.available_after_points() != 0 ||
        entry.pending_after_points() != 0 || entry.held_after_points() != 0 ||
        entry.debt_after_points() != 0) {
      failures->push_back(absl::StrCat(
          where, " is a MERGE_OUT that does not take exactly what the source "
          "had (", statement->available_after, " available, ",
          statement->pending_after, " pending, ", statement->held_after,
          " held) and leave it nothing: ", entry.ShortDebugString()));
    }
    if (!graph_.Add(member_id, entry.counterparty_member_id(),
                    entry.sequence(), entry.recorded_at_ms())) {
      failures->push_back(absl::StrCat(where, " merges ", member_id,
                                       " a second time: ",
                                       entry.ShortDebugString()));
    }
  } else if (entry.kind() == loyalty::v1::ENTRY_KIND_MERGE_IN) {
    const int64_t available = statement->available_after + entry.points_delta();
    if (entry.available_after_points() != available ||
        entry.pending_after_points() !=
            statement->pending_after + entry.merged_pending_points() ||
        entry.held_after_points() !=
            statement->held_after + entry.merged_held_points() ||
        entry.debt_after_points() != std::max<int64_t>(0, -available)) {
      failures->push_back(absl::StrCat(
          where, " is a MERGE_IN that does not add what it brings to what "
          "the target had (", statement->available_after, " available, ",
          statement->pending_after, " pending, ", statement->held_after,
          " held): ", entry.ShortDebugString()));
    }
  }
  statement->available_after = entry.available_after_points();
  statement->pending_after = entry.pending_after_points();
  statement->held_after = entry.held_after_points();
  if (!IsHalfOf(kMergePair, entry)) return;
  acknowledged_.See(where, entry, failures);
  unpaired_.Add(entry);
  more->insert(entry.counterparty_member_id());
  merged_this_check_.insert(member_id);
}

void MergeCheck::CheckPairs(Failures* failures) {
  unpaired_.PairUp(
      MovesAlike,
      [&](const LedgerEntry& out, const LedgerEntry& in) {
        CountPair(out, in, failures);
      },
      failures);
}

void MergeCheck::CountPair(const LedgerEntry& out, const LedgerEntry& in,
                           Failures* failures) {
  auto [it, inserted] =
      pair_of_request_.emplace(out.request_id(), out.sequence());
  if (!inserted && it->second != out.sequence()) {
    failures->push_back(absl::StrCat("request ", out.request_id(),
                                     " merged twice: entries ", it->second,
                                     " and ", out.sequence()));
  }
  ++counts_.pairs_seen;
  counts_.points_moved += in.points_delta();
  if (in.merged_held_points() != 0) ++counts_.pairs_with_held;
  if (in.merged_pending_points() != 0) ++counts_.pairs_with_pending;
  if (in.points_delta() < 0) ++counts_.pairs_with_debt;
  if (in.identifiers_size() != 0) ++counts_.pairs_with_identifiers;
}

void MergeCheck::CheckNamed(Failures* failures) {
  for (const Named& named : named_) {
    const std::string wanted = graph_.ResolveAt(named.named, named.sequence);
    if (named.member_id != wanted) {
      failures->push_back(absl::StrCat(
          named.request_name, ": entry ", named.sequence, " is on ",
          named.member_id, ", but the request named ", named.named,
          ", which meant ", wanted, " then"));
    } else if (named.member_id != named.named) {
      ++counts_.writes_through_alias;
    }
  }
  named_.clear();
}

void MergeCheck::CheckMergedAnswers(Failures* failures) {
  for (const MergedAnswer& answer : merged_answers_) {
    // What the ids meant when the answer came back: the merges it rests on
    // were recorded before.
    auto meant = [&](const std::string& member_id) {
      return graph_.ResolveAsOf(member_id, answer.answered_at_ms);
    };
    bool right = false;
    switch (answer.method) {
      case Method::kClose:
        right = meant(answer.first) != answer.first;
        if (right) ++counts_.closes_refused_merged;
        break;
      case Method::kTransfer:
      case Method::kTransferVoucherUnits:
        right = meant(answer.first) == meant(answer.second);
        if (right) ++counts_.transfers_refused_merged;
        break;
      default:  // A merge.
        right = meant(answer.first) != answer.first ||
                meant(answer.second) == answer.first;
        break;
    }
    if (!right) {
      failures->push_back(absl::StrCat(
          answer.request_name, " was answered MEMBER_MERGED, but the "
          "statements merge neither ", answer.first,
          answer.second.empty() ? "" : absl::StrCat(" nor ", answer.second),
          answer.second.empty() ? "" : " into the other"));
    }
  }
  merged_answers_.clear();
}

std::set<std::string> MergeCheck::MembersToRead() {
  // Whose answers may have changed: members a merge of this check's
  // entries named, and every alias whose chain now ends elsewhere (a merge
  // of the member it led to), with the member it leads to now.
  std::set<std::string> wanted = merged_this_check_;
  merged_this_check_.clear();
  for (const std::string& member_id : members_) {
    if (!graph_.IsAlias(member_id)) continue;
    std::string now = graph_.Resolve(member_id);
    std::string& before = resolved_before_[member_id];
    if (now == before) continue;
    before = now;
    wanted.insert(member_id);
    wanted.insert(now);
  }
  // And a few others each time, in turn, so that every answer is read
  // again now and then.
  auto next = members_.upper_bound(sample_after_);
  for (int i = 0; i < kOthersReadPerCheck && !members_.empty(); ++i) {
    if (next == members_.end()) next = members_.begin();
    wanted.insert(*next);
    sample_after_ = *next;
    ++next;
  }
  return wanted;
}

void MergeCheck::CheckReads(LedgerClient& client, Failures* failures) {
  for (const std::string& member_id : MembersToRead()) {
    auto statement = statements_.find(member_id);
    if (statement == statements_.end() ||
        statement->second.cursor.scanned_through == 0) {
      continue;  // Never existed.
    }
    ++counts_.members_read;
    const std::string wanted = graph_.Resolve(member_id);
    auto member = client.GetMember(member_id);
    auto balance = client.GetBalance(member_id);
    if (!member.ok() || !balance.ok()) {
      failures->push_back(absl::StrCat(
          "member ", member_id, ": ",
          (member.ok() ? balance.status() : member.status()).ToString()));
      continue;
    }
    if (member->member_id() != wanted || balance->member_id() != wanted) {
      failures->push_back(absl::StrCat(
          "GetMember(\"", member_id, "\") answers with ", member->member_id(),
          " and GetBalance with ", balance->member_id(),
          "; the statements merge it into ", wanted));
      continue;
    }
    if (member_id != wanted) {
      ++counts_.aliases_read;
      continue;
    }
    const std::set<std::string> listed(member->merged_member_ids().begin(),
                                       member->merged_member_ids().end());
    const std::set<std::string> aliases = graph_.AliasesOf(member_id);
    if (listed != aliases ||
        member->merged_member_ids_size() != static_cast<int>(listed.size())) {
      failures->push_back(absl::StrCat(
          "member ", member_id, " lists merged members ",
          absl::StrJoin(member->merged_member_ids(), ", "),
          "; the statements merge into it ", Listed(aliases)));
    }
  }
}

}  // namespace loyalty::crash
