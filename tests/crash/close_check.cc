#include "tests/crash/close_check.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::crash {
namespace {

using loyalty::v1::LedgerEntry;

bool RefusedAsClosed(const Outcome& outcome) {
  return outcome.code == grpc::StatusCode::FAILED_PRECONDITION &&
         outcome.reason == reason::kMemberClosed;
}

}  // namespace

void CloseCheck::Learn(const std::vector<SentRequest>& requests,
                       Failures* failures) {
  // Closes and cards first: a write of this cycle may name a member closed
  // (or enrolled) by a request listed after it.
  for (const SentRequest& request : requests) {
    if (!IsAcknowledged(request.outcome)) continue;  // Already a failure.
    if (request.method == Method::kImport) LearnImportCards(request);
    if (request.method == Method::kClose) LearnClose(request, failures);
  }
  for (const SentRequest& request : requests) {
    if (!IsAcknowledged(request.outcome)) continue;
    if (request.method == Method::kImport) {
      CheckLaterRows(request, failures);
    } else {
      CheckLaterWrite(request, failures);
    }
  }
}

void CloseCheck::LearnImportCards(const SentRequest& request) {
  if (request.outcome.code != grpc::StatusCode::OK) return;
  loyalty::v1::ImportMembersRequest sent;
  loyalty::v1::ImportMembersResponse response;
  if (!sent.ParseFromString(request.request) ||
      !response.ParseFromString(request.outcome.response) ||
      sent.dry_run() || response.results_size() != sent.rows_size()) {
    return;  // identity_check.h reports a malformed answer.
  }
  for (int i = 0; i < sent.rows_size(); ++i) {
    const auto& result = response.results(i);
    if (result.code() != 0 || !result.response().enrolled()) continue;
    const std::string& member_id = result.response().member_id();
    // A replayed row names the member its first answer enrolled.
    if (!card_of_.emplace(member_id, sent.rows(i).card_number()).second) {
      continue;
    }
    members_of_card_[sent.rows(i).card_number()].push_back(member_id);
  }
}

void CloseCheck::LearnClose(const SentRequest& request, Failures* failures) {
  const Outcome& outcome = request.outcome;
  if (outcome.reason == reason::kMemberNotSettled) ++counts_.not_settled;
  if (outcome.code != grpc::StatusCode::OK) return;
  loyalty::v1::CloseMemberRequest sent;
  loyalty::v1::CloseMemberResponse response;
  sent.ParseFromString(request.request);
  response.ParseFromString(outcome.response);
  const LedgerEntry& entry = response.entry();
  const bool agrees =
      entry.kind() == loyalty::v1::ENTRY_KIND_CLOSE &&
      entry.member_id() == sent.member_id() &&
      entry.request_id() == request.request_id &&
      entry.personal_data_erased() == sent.erase_personal_data() &&
      entry.available_after_points() == 0 &&
      (sent.erase_personal_data() || entry.identifiers().empty()) &&
      response.member().member_id() == sent.member_id() &&
      response.member().status() == loyalty::v1::MEMBER_STATUS_CLOSED &&
      (!sent.erase_personal_data() || response.member().identifiers().empty());
  if (!agrees) {
    AddDisagreeingAnswer(request, response.ShortDebugString(), failures);
    return;
  }
  ++counts_.acknowledged_ok;
  if (sent.erase_personal_data()) ++counts_.acknowledged_erasing;
  Closure closure{RequestName(request), entry.sequence(), entry.hash(),
                  sent.erase_personal_data(), request.answered_at};
  auto [it, inserted] = closures_.emplace(sent.member_id(), closure);
  if (inserted) return;
  // The same close again (a replay, or the re-send of a check) is fine;
  // a second CLOSE of one member is not.
  if (it->second.sequence != closure.sequence ||
      it->second.hash != closure.hash) {
    failures->push_back(absl::StrCat(
        RequestName(request), " closed member ", sent.member_id(),
        " with entry ", closure.sequence, ", but ", it->second.name,
        " had closed it with ", it->second.sequence));
  }
  it->second.acknowledged_at =
      std::min(it->second.acknowledged_at, closure.acknowledged_at);
}

const CloseCheck::Closure* CloseCheck::ClosedBefore(
    const std::string& member_id, absl::Time sent_at) const {
  auto it = closures_.find(member_id);
  if (it == closures_.end() || it->second.acknowledged_at >= sent_at) {
    return nullptr;
  }
  return &it->second;
}

void CloseCheck::CheckLaterWrite(const SentRequest& request,
                                 Failures* failures) {
  const Outcome& outcome = request.outcome;
  std::string to_member_id;
  if (request.method == Method::kTransfer) {
    loyalty::v1::TransferPointsRequest sent;
    sent.ParseFromString(request.request);
    to_member_id = sent.to_member_id();
  } else if (request.method == Method::kMerge) {
    loyalty::v1::MergeMembersRequest sent;
    sent.ParseFromString(request.request);
    to_member_id = sent.target_member_id();
  } else if (request.method == Method::kTransferVoucherUnits) {
    loyalty::v1::TransferVoucherUnitsRequest sent;
    sent.ParseFromString(request.request);
    to_member_id = sent.to_member_id();
  }
  const Closure* named = ClosedBefore(request.member_id, request.first_sent_at);
  // The sender (a merge's source) is loaded first: a missing one answers
  // MEMBER_NOT_FOUND before the closed receiver is looked at. Ids are
  // resolved before anything is loaded: a transfer or merge naming two ids
  // of one member, or an alias as source, is MEMBER_MERGED whatever else
  // (merge_check.h checks those answers).
  const Closure* receiver = ClosedBefore(to_member_id, request.first_sent_at);
  if (named == nullptr && receiver == nullptr) return;
  const bool refused =
      RefusedAsClosed(outcome) || outcome.reason == reason::kMemberMerged ||
      (named == nullptr && outcome.reason == reason::kMemberNotFound);
  if (!refused) {
    const Closure* closure = named != nullptr ? named : receiver;
    failures->push_back(absl::StrCat(
        RequestName(request), " names member ",
        named != nullptr ? request.member_id : to_member_id, ", which ",
        closure->name, " closed (entry ", closure->sequence,
        ") before it was sent; wanted FAILED_PRECONDITION MEMBER_CLOSED, got ",
        Describe(outcome)));
    return;
  }
  if (!RefusedAsClosed(outcome)) return;
  if (request.method == Method::kClose) ++counts_.later_closes_refused;
  if (request.method == Method::kTransfer) ++counts_.later_transfers_refused;
  if (request.method == Method::kMerge) ++counts_.later_merges_refused;
  if (request.method != Method::kClose && request.method != Method::kTransfer &&
      request.method != Method::kMerge) {
    ++counts_.later_writes_refused;
  }
}

void CloseCheck::CheckLaterRows(const SentRequest& request,
                                Failures* failures) {
  if (request.outcome.code != grpc::StatusCode::OK) return;
  loyalty::v1::ImportMembersRequest sent;
  loyalty::v1::ImportMembersResponse response;
  if (!sent.ParseFromString(request.request) ||
      !response.ParseFromString(request.outcome.response) ||
      response.results_size() != sent.rows_size()) {
    return;  // identity_check.h reports a malformed answer.
  }
  for (int i = 0; i < sent.rows_size(); ++i) {
    auto members = members_of_card_.find(sent.rows(i).card_number());
    if (members == members_of_card_.end()) continue;
    const auto& result = response.results(i);
    const std::string row_reason =
        loyalty::v1::ErrorReason_Name(result.reason());
    for (const std::string& member_id : members->second) {
      const Closure* closure = ClosedBefore(member_id, request.first_sent_at);
      if (closure == nullptr) continue;
      const std::string where =
          absl::StrCat(RequestName(request), " rows[", i, "] (card ",
                       sent.rows(i).card_number(), ")");
      if (closure->erased) {
        // The card was free again: the row enrols someone else (or is
        // refused for another reason), never the closed member.
        if (result.code() != 0) continue;
        if (result.response().member_id() == member_id) {
          failures->push_back(absl::StrCat(
              where, " names member ", member_id, ", whose card ",
              closure->name, " erased before it was sent: ",
              result.ShortDebugString()));
        } else {
          ++counts_.erased_cards_imported_again;
        }
        continue;
      }
      const bool closed =
          result.code() == grpc::StatusCode::FAILED_PRECONDITION &&
          row_reason == reason::kMemberClosed;
      // A phone of another member is refused before the card's member is
      // loaded.
      const bool taken = result.code() == grpc::StatusCode::ALREADY_EXISTS &&
                         row_reason == reason::kIdentifierTaken;
      if (closed) ++counts_.later_rows_refused;
      if (closed || taken) continue;
      failures->push_back(absl::StrCat(
          where, " is the card of member ", member_id, ", which ",
          closure->name, " closed (entry ", closure->sequence,
          ") before it was sent; wanted FAILED_PRECONDITION MEMBER_CLOSED, "
          "got ",
          result.ShortDebugString()));
    }
  }
}

void CloseCheck::Check(LedgerClient& client, const IdentityCheck& identities,
                       Failures* failures) {
  counts_.closes_checked_last = 0;
  counts_.points_forfeited_last = 0;
  for (const auto& [member_id, closure] : closures_) {
    CheckClosure(client, identities, member_id, closure, failures);
  }
}

void CloseCheck::CheckClosure(LedgerClient& client,
                              const IdentityCheck& identities,
                              const std::string& member_id,
                              const Closure& closure, Failures* failures) {
  const std::string where = absl::StrCat("member ", member_id, " (closed by ",
                                         closure.name, ", entry ",
                                         closure.sequence, ")");
  auto entries = client.EntriesSince(member_id, 0, "", kNewEntriesPageSize);
  if (!entries.ok()) {
    failures->push_back(absl::StrCat("statement of ", where, ": ",
                                     entries.status().ToString()));
    return;
  }
  auto close = std::find_if(entries->begin(), entries->end(),
                            [&](const LedgerEntry& entry) {
                              return entry.sequence() == closure.sequence;
                            });
  if (close == entries->end() ||
      close->kind() != loyalty::v1::ENTRY_KIND_CLOSE ||
      close->hash() != closure.hash) {
    failures->push_back(absl::StrCat(
        where, ": the statement does not hold the acknowledged CLOSE ",
        close == entries->end() ? "(no such entry)"
                                : close->ShortDebugString()));
    return;
  }
  if (close + 1 != entries->end()) {
    failures->push_back(absl::StrCat(where, ": entry ", (close + 1)->sequence(),
                                     " follows the CLOSE: ",
                                     (close + 1)->ShortDebugString()));
  }
  const int64_t available_before =
      close == entries->begin() ? 0 : (close - 1)->available_after_points();
  if (close->points_delta() != -available_before ||
      close->available_after_points() != 0) {
    failures->push_back(absl::StrCat(
        where, ": the CLOSE moves ", close->points_delta(), " and leaves ",
        close->available_after_points(), " points, but ", available_before,
        " were available before it"));
  }
  const int64_t forfeited = std::max<int64_t>(0, -close->points_delta());
  ++counts_.closes_checked_last;
  counts_.points_forfeited_last += forfeited;

  auto member = client.GetMember(member_id);
  if (!member.ok()) {
    failures->push_back(absl::StrCat(where, ": ", member.status().ToString()));
    return;
  }
  if (member->status() != loyalty::v1::MEMBER_STATUS_CLOSED ||
      (closure.erased && member->identifiers_size() != 0)) {
    failures->push_back(absl::StrCat(
        where, ": wanted MEMBER_STATUS_CLOSED",
        closure.erased ? " and no identifiers" : "", "; GetMember says ",
        member->ShortDebugString()));
  }
  if (closure.erased != close->personal_data_erased() ||
      (closure.erased && close->identifiers().empty())) {
    failures->push_back(absl::StrCat(
        where, ": the CLOSE does not list the identifiers an erasing close "
               "removed: ",
        close->ShortDebugString()));
  }
  auto balance = client.GetBalance(member_id);
  if (!balance.ok()) {
    failures->push_back(absl::StrCat(where, ": ", balance.status().ToString()));
    return;
  }
  if (balance->forfeited_points_total() != forfeited) {
    failures->push_back(absl::StrCat(
        where, ": the balance has forfeited_points_total ",
        balance->forfeited_points_total(), "; its CLOSE forfeited ",
        forfeited));
  }
  CheckCard(client, identities, member_id, closure, failures);
}

void CloseCheck::CheckCard(LedgerClient& client,
                           const IdentityCheck& identities,
                           const std::string& member_id,
                           const Closure& closure, Failures* failures) {
  auto card = card_of_.find(member_id);
  if (card == card_of_.end()) return;  // The load closes enrolled members.
  auto found = client.LookupMember(CardIdentifier(card->second));
  std::string found_id;
  if (found.ok()) {
    found_id = found->member_id();
  } else if (found.status().code() != absl::StatusCode::kNotFound) {
    failures->push_back(absl::StrCat("looking up card ", card->second, ": ",
                                     found.status().ToString()));
    return;
  }
  // Erased: whoever the statements give the card now, never the closed
  // member; kept: still the closed member.
  const std::string wanted =
      closure.erased ? identities.OwnerOfCard(card->second) : member_id;
  if (found_id != wanted || (closure.erased && found_id == member_id)) {
    failures->push_back(absl::StrCat(
        "member ", member_id, " (closed by ", closure.name,
        closure.erased ? ", erasing" : ", not erasing",
        "): LookupMember of its card ", card->second, " finds ",
        found_id.empty() ? "nobody" : found_id, "; wanted ",
        wanted.empty() ? "nobody" : wanted));
  }
}

}  // namespace loyalty::crash
