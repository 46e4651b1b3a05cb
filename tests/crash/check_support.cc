#include "tests/crash/check_support.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "loyalty/v1/coupon_code.h"
#include "tests/crash/merge_check.h"
#include "tests/crash/test_program.h"

namespace loyalty::crash {

using loyalty::v1::LedgerEntry;

std::string CanonicalCode(const std::string& code) {
  std::string canonical;
  if (contract::CouponCodeProblem(code, &canonical).has_value()) return code;
  return canonical;
}

std::string RequestName(const SentRequest& request) {
  return absl::StrCat(MethodName(request.method), " ", request.request_id,
                      " (cycle ", request.cycle, ")");
}

std::string EntryWhere(uint64_t sequence, const std::string& member_id) {
  return absl::StrCat("entry ", sequence, " of ", member_id);
}

std::string KindName(loyalty::v1::EntryKind kind) {
  return std::string(
      absl::StripPrefix(loyalty::v1::EntryKind_Name(kind), "ENTRY_KIND_"));
}

void AddDisagreeingAnswer(const SentRequest& request, const std::string& shown,
                          Failures* failures) {
  failures->push_back(absl::StrCat(RequestName(request),
                                   ": the OK answer does not agree with "
                                   "itself: ",
                                   shown));
}

absl::TimeZone ProgramTimeZone() {
  absl::TimeZone time_zone;
  if (!absl::LoadTimeZone(kProgramTimeZone, &time_zone)) std::abort();
  return time_zone;
}

loyalty::v1::MemberIdentifier CardIdentifier(const std::string& card) {
  loyalty::v1::MemberIdentifier identifier;
  identifier.set_kind(loyalty::v1::IDENTIFIER_KIND_CARD_NUMBER);
  identifier.set_value(card);
  return identifier;
}

std::set<std::string> WithMembersNow(const std::set<std::string>& member_ids,
                                     const AliasGraph& graph) {
  std::set<std::string> members = member_ids;
  for (const std::string& member_id : member_ids) {
    members.insert(graph.Resolve(member_id));
  }
  return members;
}

std::optional<std::vector<LedgerEntry>> ReadNewEntries(
    LedgerClient& client, const std::string& member_id, int32_t page_size,
    UnknownMember unknown, StatementCursor* cursor,
    absl::FunctionRef<void(const LedgerEntry&)> fold, Failures* failures) {
  if (cursor->reading) {
    failures->push_back(absl::StrCat("the merges into ", member_id,
                                     " lead back to it: a MERGE_IN loop"));
    return std::nullopt;
  }
  auto fresh = client.EntriesSince(member_id, cursor->scanned_through,
                                   cursor->scanned_hash, page_size);
  if (!fresh.ok()) {
    const bool never_existed =
        unknown == UnknownMember::kNeverExisted &&
        fresh.status().code() == absl::StatusCode::kNotFound &&
        cursor->scanned_through == 0;
    if (!never_existed) {
      failures->push_back(absl::StrCat("statement of ", member_id, ": ",
                                       fresh.status().ToString()));
    }
    return std::nullopt;
  }
  cursor->reading = true;
  for (const LedgerEntry& entry : *fresh) {
    fold(entry);
    cursor->scanned_through = entry.sequence();
    cursor->scanned_hash = entry.hash();
    if (entry.kind() == loyalty::v1::ENTRY_KIND_MERGE_OUT) {
      cursor->merged_out_sequence = entry.sequence();
    }
  }
  cursor->reading = false;
  return std::move(*fresh);
}

bool FollowsMergeOut(const std::string& where, const LedgerEntry& merge_in,
                     const StatementCursor& source,
                     absl::FunctionRef<void()> read_source,
                     Failures* failures) {
  if (source.merged_out_sequence == 0) read_source();
  if (source.merged_out_sequence + 1 == merge_in.sequence()) return true;
  failures->push_back(absl::StrCat(
      where, " is a MERGE_IN from ", merge_in.counterparty_member_id(),
      ", whose statement has no MERGE_OUT right before it"));
  return false;
}

void AcknowledgedEntries::Acknowledge(const std::string& request_name,
                                      const LedgerEntry& entry,
                                      Failures* failures) {
  auto [it, inserted] = acknowledged_.emplace(entry.sequence(), entry);
  if (!inserted && (it->second.hash() != entry.hash() ||
                    it->second.request_id() != entry.request_id())) {
    failures->push_back(absl::StrCat(
        request_name, ": entry ", entry.sequence(),
        " acknowledged to two different requests: ", it->second.request_id(),
        " and ", entry.request_id()));
  }
}

void AcknowledgedEntries::See(const std::string& where,
                              const LedgerEntry& entry, Failures* failures) {
  seen_hashes_[entry.sequence()] = entry.hash();
  auto acknowledged = acknowledged_.find(entry.sequence());
  if (acknowledged == acknowledged_.end() ||
      acknowledged->second.hash() != entry.hash()) {
    failures->push_back(absl::StrCat(
        where, " (", KindName(entry.kind()),
        ") is no entry an answer acknowledged: ", entry.ShortDebugString()));
  }
}

void AcknowledgedEntries::CheckAllSeen(Failures* failures) const {
  for (const auto& [sequence, entry] : acknowledged_) {
    auto seen = seen_hashes_.find(sequence);
    if (seen == seen_hashes_.end() || seen->second != entry.hash()) {
      failures->push_back(absl::StrCat(
          "acknowledged ", KindName(entry.kind()), " entry ", sequence,
          " (request ", entry.request_id(), ") is not in the statement of ",
          entry.member_id(), " as acknowledged"));
    }
  }
}

bool IsHalfOf(PairKinds kinds, const LedgerEntry& entry) {
  return entry.kind() == kinds.first || entry.kind() == kinds.second;
}

bool IsPair(PairKinds kinds, const LedgerEntry& first,
            const LedgerEntry& second) {
  return first.kind() == kinds.first && second.kind() == kinds.second &&
         second.sequence() == first.sequence() + 1 &&
         second.member_id() == first.counterparty_member_id() &&
         second.counterparty_member_id() == first.member_id() &&
         second.points_delta() == -first.points_delta();
}

void EntryPairs::Add(const LedgerEntry& entry) {
  unpaired_[entry.sequence()] = entry;
}

void EntryPairs::PairUp(Check moves_alike, Visit on_pair, Failures* failures) {
  while (!unpaired_.empty()) {
    auto oldest = unpaired_.begin();
    const LedgerEntry entry = oldest->second;
    unpaired_.erase(oldest);
    // The oldest half left is a first half, or a second half whose first
    // was not in the statements (or did not match it, and was reported).
    auto next = unpaired_.find(entry.sequence() + 1);
    if (next == unpaired_.end() || !IsPair(kinds_, entry, next->second) ||
        !moves_alike(entry, next->second)) {
      ReportAlone(entry, failures);
      continue;
    }
    on_pair(entry, next->second);
    unpaired_.erase(next);
  }
}

void EntryPairs::ReportAlone(const LedgerEntry& entry,
                             Failures* failures) const {
  const bool first = entry.kind() == kinds_.first;
  failures->push_back(absl::StrCat(
      EntryWhere(entry.sequence(), entry.member_id()), ": ",
      first ? absl::StrCat("a ", KindName(kinds_.first), " to ",
                           entry.counterparty_member_id(), " without its ",
                           KindName(kinds_.second), " at entry ",
                           entry.sequence() + 1)
            : absl::StrCat("a ", KindName(kinds_.second), " from ",
                           entry.counterparty_member_id(), " without its ",
                           KindName(kinds_.first), " at entry ",
                           entry.sequence() - 1),
      ": ", entry.ShortDebugString()));
}

void CheckWallets(LedgerClient& client, const GivenCodes& given,
                  Failures* failures) {
  for (const auto& [member_id, codes] : given) {
    absl::StatusOr<std::vector<std::string>> wallet =
        client.WalletCodes(member_id);
    if (!wallet.ok()) {
      failures->push_back(absl::StrCat("the wallet of ", member_id, ": ",
                                       wallet.status().ToString()));
      continue;
    }
    std::map<std::string, int> listed;
    for (const std::string& code : *wallet) ++listed[code];
    for (const auto& [code, name] : codes) {
      if (listed[code] != 1) {
        failures->push_back(absl::StrCat("the wallet of ", member_id,
                                         " lists ", code, " (", name, ") ",
                                         listed[code], " times, not once"));
      }
    }
  }
}

}  // namespace loyalty::crash
