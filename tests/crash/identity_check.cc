#include "tests/crash/identity_check.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/message_differencer.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "tests/crash/identifier_pool.h"
#include "tests/crash/test_program.h"

namespace loyalty::crash {
namespace {

using loyalty::v1::EntryKind;
using loyalty::v1::LedgerEntry;
using loyalty::v1::MemberIdentifier;

// The API's limit of identifiers per member.
constexpr int kMemberIdentifiersMax = 8;
// Earlier import rows whose cards each check looks up again.
constexpr size_t kEarlierImportRowsSample = 100;

// How the fold keys an identifier: its kind and its stored value.
std::string StoredKey(const MemberIdentifier& stored) {
  return absl::StrCat(
      absl::StripPrefix(loyalty::v1::IdentifierKind_Name(stored.kind()),
                        "IDENTIFIER_KIND_"),
      ":", stored.value());
}

bool IsHashed(loyalty::v1::IdentifierKind kind) {
  return kind == loyalty::v1::IDENTIFIER_KIND_PHONE ||
         kind == loyalty::v1::IDENTIFIER_KIND_EMAIL;
}

bool IsHex64(const std::string& value) {
  if (value.size() != 64) return false;
  for (char c : value) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return false;
  }
  return true;
}

// Whether `stored` is how `clear` is kept: as given, or hashed.
bool StoredFormOf(const MemberIdentifier& clear,
                  const MemberIdentifier& stored) {
  if (stored.kind() != clear.kind()) return false;
  return IsHashed(clear.kind()) ? IsHex64(stored.value())
                                : stored.value() == clear.value();
}

bool Lists(const google::protobuf::RepeatedPtrField<MemberIdentifier>& list,
           const MemberIdentifier& identifier) {
  return std::any_of(list.begin(), list.end(), [&](const auto& one) {
    return one.kind() == identifier.kind() && one.value() == identifier.value();
  });
}

bool IsIdentityEntry(const LedgerEntry& entry) {
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_ENROLL:
    case loyalty::v1::ENTRY_KIND_LINK:
    case loyalty::v1::ENTRY_KIND_UNLINK:
    case loyalty::v1::ENTRY_KIND_OPENING:
      return true;
    default:
      return false;
  }
}

MemberIdentifier PhoneIdentifier(const std::string& phone) {
  MemberIdentifier identifier;
  identifier.set_kind(loyalty::v1::IDENTIFIER_KIND_PHONE);
  identifier.set_value(phone);
  return identifier;
}

}  // namespace

IdentityCheck::IdentityCheck(int pool_members) : pool_members_(pool_members) {}

int64_t IdentityCheck::ExpectedExpiryMs(int64_t earned_at_ms) const {
  const absl::CivilDay earned =
      absl::ToCivilDay(absl::FromUnixMillis(earned_at_ms), time_zone_);
  const absl::CivilDay expires(absl::CivilYear(earned) +
                               kExpiryYearsAfterEarnYearEnd + 1);
  return absl::ToUnixMillis(absl::FromCivil(expires, time_zone_));
}

void IdentityCheck::Learn(const std::vector<SentRequest>& requests,
                          Failures* failures) {
  for (const SentRequest& request : requests) {
    const Outcome& outcome = request.outcome;
    if (!IsAcknowledged(outcome)) continue;  // Already a failure.
    if (request.method == Method::kMerge) {
      LearnMerge(request);  // merge_check.h counts its answers.
      continue;
    }
    if (outcome.reason == reason::kIdentifierTaken) ++counts_.taken;
    if (outcome.reason == reason::kTooManyIdentifiers) ++counts_.too_many;
    if (outcome.reason == reason::kIdentifierNotFound) ++counts_.not_linked;
    switch (request.method) {
      case Method::kEnroll:
        if (outcome.code == grpc::StatusCode::OK) {
          LearnEnroll(request, failures);
        }
        break;
      case Method::kLink:
      case Method::kUnlink:
        // A member that did not exist got nothing; any other may have.
        if (outcome.reason != reason::kMemberNotFound) {
          touched_.insert(request.member_id);
        }
        if (outcome.code == grpc::StatusCode::OK) {
          LearnLink(request, request.method == Method::kLink, failures);
        }
        break;
      case Method::kImport:
        LearnImport(request, failures);
        break;
      case Method::kClose:
        // An erasing close frees the member's identifiers.
        if (outcome.reason != reason::kMemberNotFound) {
          touched_.insert(request.member_id);
        }
        break;
      default:
        break;
    }
  }
}

void IdentityCheck::LearnMerge(const SentRequest& request) {
  loyalty::v1::MergeMembersRequest sent;
  sent.ParseFromString(request.request);
  // The source's identifiers move to the target: both are read (a ghost
  // named has no statement).
  touched_.insert(sent.source_member_id());
  touched_.insert(sent.target_member_id());
  if (request.outcome.code != grpc::StatusCode::OK) return;
  loyalty::v1::MergeMembersResponse response;
  response.ParseFromString(request.outcome.response);
  // The MERGE_IN is on the member the target led to.
  for (const LedgerEntry& entry : response.entries()) {
    touched_.insert(entry.member_id());
  }
}

void IdentityCheck::LearnStored(const std::string& name,
                                const std::string& stored_key,
                                Failures* failures) {
  auto [by_name, new_name] = stored_of_name_.emplace(name, stored_key);
  if (!new_name && by_name->second != stored_key) {
    failures->push_back(absl::StrCat(
        "identifier ", name, " is stored as ", stored_key, " and as ",
        by_name->second, ": every notation of it must be stored alike"));
  }
  auto [by_stored, new_stored] = name_of_stored_.emplace(stored_key, name);
  if (!new_stored && by_stored->second != name) {
    failures->push_back(absl::StrCat("identifiers ", name, " and ",
                                     by_stored->second, " are both stored as ",
                                     stored_key));
  }
}

void IdentityCheck::LearnEnroll(const SentRequest& request,
                                Failures* failures) {
  loyalty::v1::EnrollMemberResponse response;
  response.ParseFromString(request.outcome.response);
  const LedgerEntry& entry = response.entry();
  acknowledged_.Acknowledge(RequestName(request), entry, failures);
  if (entry.identifiers().empty()) return;
  touched_.insert(entry.member_id());
  for (const MemberIdentifier& stored : entry.identifiers()) {
    // The load enrols with cards and app user ids only: stored as given.
    LearnStored(*IdentifierName(stored), StoredKey(stored), failures);
  }
}

void IdentityCheck::LearnLink(const SentRequest& request, bool link,
                              Failures* failures) {
  MemberIdentifier clear;
  LedgerEntry entry;
  google::protobuf::RepeatedPtrField<MemberIdentifier> after;
  if (link) {
    loyalty::v1::LinkIdentifierRequest sent;
    loyalty::v1::LinkIdentifierResponse response;
    sent.ParseFromString(request.request);
    response.ParseFromString(request.outcome.response);
    clear = sent.identifier();
    entry = response.entry();
    after = response.identifiers();
  } else {
    loyalty::v1::UnlinkIdentifierRequest sent;
    loyalty::v1::UnlinkIdentifierResponse response;
    sent.ParseFromString(request.request);
    response.ParseFromString(request.outcome.response);
    clear = sent.identifier();
    entry = response.entry();
    after = response.identifiers();
  }
  const EntryKind kind =
      link ? loyalty::v1::ENTRY_KIND_LINK : loyalty::v1::ENTRY_KIND_UNLINK;
  std::optional<std::string> name = IdentifierName(clear);
  // The entry is on the member the named id meant (merge_check.h checks
  // which).
  const bool agrees = name.has_value() && entry.kind() == kind &&
                      entry.points_delta() == 0 &&
                      entry.request_id() == request.request_id &&
                      entry.identifiers_size() == 1 &&
                      StoredFormOf(clear, entry.identifiers(0)) &&
                      Lists(after, entry.identifiers(0)) == link &&
                      after.size() <= kMemberIdentifiersMax;
  if (!agrees) {
    AddDisagreeingAnswer(request,
                         absl::StrCat(entry.ShortDebugString(),
                                      " identifiers after: ", after.size()),
                         failures);
    return;
  }
  ++(link ? counts_.links_acknowledged : counts_.unlinks_acknowledged);
  touched_.insert(entry.member_id());
  acknowledged_.Acknowledge(RequestName(request), entry, failures);
  LearnStored(*name, StoredKey(entry.identifiers(0)), failures);
}

void IdentityCheck::LearnImport(const SentRequest& request,
                                Failures* failures) {
  if (request.outcome.code != grpc::StatusCode::OK) return;
  loyalty::v1::ImportMembersRequest sent;
  loyalty::v1::ImportMembersResponse response;
  sent.ParseFromString(request.request);
  response.ParseFromString(request.outcome.response);
  if (response.results_size() != sent.rows_size()) {
    failures->push_back(absl::StrCat(RequestName(request), ": ",
                                     sent.rows_size(), " rows but ",
                                     response.results_size(), " results"));
    return;
  }
  for (int i = 0; i < sent.rows_size(); ++i) {
    const loyalty::v1::ImportMemberResult& result = response.results(i);
    const std::string name =
        absl::StrCat(RequestName(request), " rows[", i, "]");
    if (result.code() != 0) {
      const std::string row_reason =
          loyalty::v1::ErrorReason_Name(result.reason());
      if (row_reason == reason::kIdentifierTaken) ++counts_.taken;
      if (row_reason == reason::kTooManyIdentifiers) ++counts_.too_many;
      continue;
    }
    if (!LearnImportRow(name, sent.rows(i), result.response(), failures)) {
      continue;
    }
    import_rows_.push_back({sent.rows(i), result.response().member_id()});
    touched_.insert(result.response().member_id());
    for (const LedgerEntry& entry : result.response().entries()) {
      acknowledged_.Acknowledge(name, entry, failures);
      for (const MemberIdentifier& stored : entry.identifiers()) {
        const MemberIdentifier clear =
            stored.kind() == loyalty::v1::IDENTIFIER_KIND_PHONE
                ? PhoneIdentifier(sent.rows(i).phone())
                : stored;
        std::optional<std::string> identifier_name = IdentifierName(clear);
        if (!identifier_name.has_value()) {
          failures->push_back(absl::StrCat(name, ": entry ", entry.sequence(),
                                           " links ", stored.value(),
                                           ", which the row did not bring"));
          continue;
        }
        LearnStored(*identifier_name, StoredKey(stored), failures);
      }
    }
  }
}

bool IdentityCheck::LearnImportRow(
    const std::string& name, const loyalty::v1::ImportMemberRequest& row,
    const loyalty::v1::ImportMemberResponse& response, Failures* failures) {
  std::vector<EntryKind> kinds;
  if (response.enrolled()) kinds.push_back(loyalty::v1::ENTRY_KIND_ENROLL);
  if (response.phone_linked() && !response.enrolled()) {
    kinds.push_back(loyalty::v1::ENTRY_KIND_LINK);
  }
  if (row.opening_points() > 0)
    kinds.push_back(loyalty::v1::ENTRY_KIND_OPENING);
  std::string problem;
  if (response.entries_size() != static_cast<int>(kinds.size()) ||
      response.member_id().empty() || response.dry_run() ||
      response.opening_points() != row.opening_points() ||
      (response.phone_linked() && row.phone().empty())) {
    problem = "its entries or fields are not those of the row";
  }
  const MemberIdentifier card = CardIdentifier(row.card_number());
  const MemberIdentifier phone = PhoneIdentifier(row.phone());
  for (int i = 0; problem.empty() && i < response.entries_size(); ++i) {
    const LedgerEntry& entry = response.entries(i);
    if (entry.kind() != kinds[i] || entry.member_id() != response.member_id() ||
        entry.request_id() != row.context().request_id() ||
        entry.sequence() != response.entries(0).sequence() + i) {
      problem = absl::StrCat("entries[", i, "] is not the row's ",
                             loyalty::v1::EntryKind_Name(kinds[i]));
      break;
    }
    switch (entry.kind()) {
      case loyalty::v1::ENTRY_KIND_ENROLL:
        if (entry.identifiers_size() != (response.phone_linked() ? 2 : 1) ||
            !StoredFormOf(card, entry.identifiers(0)) ||
            (response.phone_linked() &&
             !StoredFormOf(phone, entry.identifiers(1)))) {
          problem = "the ENROLL does not hold the card (and linked phone)";
        }
        break;
      case loyalty::v1::ENTRY_KIND_LINK:
        if (entry.identifiers_size() != 1 ||
            !StoredFormOf(phone, entry.identifiers(0))) {
          problem = "the LINK does not hold the phone";
        }
        break;
      default: {  // OPENING.
        int64_t earned_at_ms = entry.recorded_at_ms();
        if (!row.earned_on().empty()) {
          absl::CivilDay day;
          if (!absl::ParseCivilTime(row.earned_on(), &day)) {
            problem = "the row's earned_on does not parse";
            break;
          }
          earned_at_ms = absl::ToUnixMillis(absl::FromCivil(day, time_zone_));
        }
        if (entry.points_delta() != row.opening_points() ||
            entry.bucket() != loyalty::v1::BUCKET_AVAILABLE ||
            entry.occurred_at_ms() != earned_at_ms ||
            entry.lot_expires_at_ms() != ExpectedExpiryMs(earned_at_ms) ||
            response.lot_expires_at_ms() != entry.lot_expires_at_ms()) {
          problem = absl::StrCat(
              "the OPENING is not the row's points earned at ", earned_at_ms,
              " with a lot expiring at ", ExpectedExpiryMs(earned_at_ms));
        }
        break;
      }
    }
  }
  if (!problem.empty()) {
    failures->push_back(absl::StrCat(name,
                                     ": the OK answer disagrees: ", problem,
                                     ": ", response.ShortDebugString()));
    return false;
  }
  ++counts_.import_rows_ok;
  if (response.enrolled()) ++counts_.import_rows_enrolled;
  if (response.phone_linked()) ++counts_.import_rows_phone_linked;
  if (!row.earned_on().empty()) ++counts_.import_rows_earned_on;
  return true;
}

void IdentityCheck::Check(LedgerClient& client, const AliasGraph& graph,
                          std::mt19937_64& random, Failures* failures) {
  std::vector<Event> events;
  for (const std::string& member_id : touched_) {
    ReadMember(client, member_id, &events, failures);
  }
  // Identifiers move between members: fold every member's events in the
  // one order the ledger wrote them.
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.sequence < b.sequence;
  });
  for (const Event& event : events) Apply(event, failures);
  for (const std::string& member_id : touched_) {
    CheckMemberRecord(client, graph, member_id, failures);
  }
  touched_.clear();
  counts_.owned_last_check = owner_.size();
  CheckLookups(client, graph, random, failures);
}

void IdentityCheck::ReadMember(LedgerClient& client,
                               const std::string& member_id,
                               std::vector<Event>* events, Failures* failures) {
  // A ghost a merge named has no statement; any other member must.
  ReadNewEntries(
      client, member_id, kNewEntriesPageSize, UnknownMember::kNeverExisted,
      &statements_[member_id],
      [&](const LedgerEntry& entry) {
        FoldEntry(member_id, entry, events, failures);
      },
      failures);
}

void IdentityCheck::FoldEntry(const std::string& member_id,
                              const LedgerEntry& entry,
                              std::vector<Event>* events, Failures* failures) {
  // A MERGE_IN moves what it lists, the source's identifiers, to its
  // member (merge_check.h checks the entry itself). An erasing CLOSE
  // unlinks every identifier it lists (close_check.h checks the entry).
  const bool merge_in = entry.kind() == loyalty::v1::ENTRY_KIND_MERGE_IN;
  const bool erasing_close = entry.kind() == loyalty::v1::ENTRY_KIND_CLOSE &&
                             !entry.identifiers().empty();
  if (merge_in) ++counts_.merges_seen;
  if (!merge_in && !erasing_close) {
    if (!IsIdentityEntry(entry)) return;
    acknowledged_.See(EntryWhere(entry.sequence(), member_id), entry, failures);
    if (entry.kind() == loyalty::v1::ENTRY_KIND_OPENING) {
      ++counts_.openings_seen;
      return;
    }
    // An ENROLL without identifiers changes no owner (and its member may
    // be read first long after).
    if (entry.identifiers().empty()) return;
    if (entry.kind() == loyalty::v1::ENTRY_KIND_LINK) ++counts_.links_seen;
    if (entry.kind() == loyalty::v1::ENTRY_KIND_UNLINK) ++counts_.unlinks_seen;
  }
  Event event{entry.sequence(), member_id, entry.kind(), {}, ""};
  if (merge_in) event.source_id = entry.counterparty_member_id();
  for (const MemberIdentifier& stored : entry.identifiers()) {
    event.stored_keys.push_back(StoredKey(stored));
  }
  events->push_back(std::move(event));
}

void IdentityCheck::Apply(const Event& event, Failures* failures) {
  const std::string where =
      absl::StrCat("entry ", event.sequence, " of ", event.member_id);
  if (event.sequence <= folded_through_) {
    failures->push_back(absl::StrCat(
        where, " (", loyalty::v1::EntryKind_Name(event.kind),
        ") appeared in a statement after a check had passed entry ",
        folded_through_));
  }
  folded_through_ = std::max(folded_through_, event.sequence);
  if (event.kind == loyalty::v1::ENTRY_KIND_MERGE_IN) {
    ApplyMergeIn(where, event, failures);
    return;
  }
  std::set<std::string>& owned = owned_by_[event.member_id];
  for (const std::string& key : event.stored_keys) {
    auto owner = owner_.find(key);
    if (event.kind == loyalty::v1::ENTRY_KIND_UNLINK ||
        event.kind == loyalty::v1::ENTRY_KIND_CLOSE) {
      if (owner == owner_.end() || owner->second != event.member_id) {
        failures->push_back(absl::StrCat(
            where, " unlinks ", key, ", which ",
            owner == owner_.end() ? "nobody"
                                  : absl::StrCat("member ", owner->second),
            " has"));
        continue;
      }
      owner_.erase(owner);
      owned.erase(key);
      continue;
    }
    if (owner != owner_.end()) {
      failures->push_back(
          absl::StrCat(where, " (", loyalty::v1::EntryKind_Name(event.kind),
                       ") links ", key, ", which member ", owner->second,
                       " has: one identifier, two members"));
    }
    owner_[key] = event.member_id;
    owned.insert(key);
  }
  if (event.kind == loyalty::v1::ENTRY_KIND_CLOSE) {
    erased_members_.insert(event.member_id);
    if (!owned.empty()) {
      failures->push_back(absl::StrCat(
          where, " is an erasing CLOSE that leaves ", owned.size(),
          " identifiers its member linked (", *owned.begin(), ", ...)"));
    }
  }
  if (owned.size() > static_cast<size_t>(kMemberIdentifiersMax)) {
    failures->push_back(absl::StrCat(
        where, " leaves ", event.member_id, " with ", owned.size(),
        " identifiers; at most ", kMemberIdentifiersMax, " are allowed"));
  }
}

void IdentityCheck::ApplyMergeIn(const std::string& where, const Event& event,
                                 Failures* failures) {
  std::set<std::string>& moved = owned_by_[event.source_id];
  const std::set<std::string> listed(event.stored_keys.begin(),
                                     event.stored_keys.end());
  if (listed != moved || event.stored_keys.size() != listed.size()) {
    failures->push_back(absl::StrCat(
        where, " is a MERGE_IN that lists ", event.stored_keys.size(),
        " identifiers of ", event.source_id, " (",
        absl::StrJoin(event.stored_keys, ", "), "); the statements give it ",
        moved.size(), " (", absl::StrJoin(moved, ", "), ")"));
  }
  std::set<std::string>& owned = owned_by_[event.member_id];
  for (const std::string& key : moved) {
    owner_[key] = event.member_id;
    owned.insert(key);
  }
  moved.clear();
  if (owned.size() > static_cast<size_t>(kMemberIdentifiersMax)) {
    failures->push_back(absl::StrCat(
        where, " leaves ", event.member_id, " with ", owned.size(),
        " identifiers; at most ", kMemberIdentifiersMax, " are allowed"));
  }
}

void IdentityCheck::CheckMemberRecord(LedgerClient& client,
                                      const AliasGraph& graph,
                                      const std::string& member_id,
                                      Failures* failures) {
  auto member = client.GetMember(member_id);
  if (!member.ok()) {
    // A ghost a merge named has no record; any other member must.
    auto statement = statements_.find(member_id);
    bool never_existed = member.status().code() == absl::StatusCode::kNotFound &&
                         (statement == statements_.end() ||
                          statement->second.scanned_through == 0);
    if (!never_existed) {
      failures->push_back(absl::StrCat("member ", member_id, ": ",
                                       member.status().ToString()));
    }
    return;
  }
  // An alias reads as the member it was merged into.
  const std::string wanted = graph.Resolve(member_id);
  std::set<std::string> listed;
  for (const MemberIdentifier& stored : member->identifiers()) {
    listed.insert(StoredKey(stored));
  }
  const std::set<std::string>& folded = owned_by_[wanted];
  if (member->member_id() != wanted || listed != folded ||
      member->identifiers_size() != static_cast<int>(listed.size())) {
    failures->push_back(absl::StrCat(
        "member ", member_id, " reads as ", member->member_id(), " listing ",
        member->identifiers_size(), " identifiers (",
        member->ShortDebugString(), "); the statements' ENROLL, LINK, "
        "UNLINK and MERGE_IN entries give ", wanted, " ", folded.size()));
  }
}

std::string IdentityCheck::OwnerOfCard(const std::string& card) const {
  return OwnerOfName(*IdentifierName(CardIdentifier(card)));
}

std::string IdentityCheck::OwnerOfName(const std::string& name) const {
  std::optional<MemberIdentifier> clear = IdentifierOfName(name, 0);
  if (!clear.has_value()) return "";
  std::string stored_key;
  if (IsHashed(clear->kind())) {
    auto known = stored_of_name_.find(name);
    // Never acknowledged as linked: no entry may hold it.
    if (known == stored_of_name_.end()) return "";
    stored_key = known->second;
  } else {
    stored_key = StoredKey(*clear);
  }
  auto owner = owner_.find(stored_key);
  return owner == owner_.end() ? "" : owner->second;
}

std::optional<std::string> IdentityCheck::Lookup(LedgerClient& client,
                                                 const MemberIdentifier& clear,
                                                 Failures* failures) {
  ++counts_.lookups;
  auto member = client.LookupMember(clear);
  if (member.ok()) {
    ++counts_.lookups_found;
    return member->member_id();
  }
  if (member.status().code() == absl::StatusCode::kNotFound) return "";
  failures->push_back(absl::StrCat("looking up ", clear.ShortDebugString(),
                                   ": ", member.status().ToString()));
  return std::nullopt;
}

void IdentityCheck::CheckLookups(LedgerClient& client, const AliasGraph& graph,
                                 std::mt19937_64& random, Failures* failures) {
  std::vector<std::string> names;
  for (int k = 0; k < kPoolPhones; ++k) {
    names.push_back(*IdentifierName(PoolPhone(k, 0)));
  }
  for (int k = 0; k < kPoolEmails; ++k) {
    names.push_back(*IdentifierName(PoolEmail(k, 0)));
  }
  for (int k = 0; k < kPoolLinkCards; ++k) {
    names.push_back(*IdentifierName(PoolLinkCard(k)));
  }
  for (int k = 0; k < pool_members_; ++k) {
    names.push_back(*IdentifierName(CardIdentifier(CardOf(k))));
    MemberIdentifier app_user;
    app_user.set_kind(loyalty::v1::IDENTIFIER_KIND_APP_USER_ID);
    app_user.set_value(absl::StrCat("app-user-", k));
    names.push_back(*IdentifierName(app_user));
  }
  for (const std::string& name : names) {
    const std::string wanted = OwnerOfName(name);
    const MemberIdentifier first = *IdentifierOfName(name, 0);
    for (int notation = 0; notation < NotationCount(first.kind()); ++notation) {
      const MemberIdentifier clear = *IdentifierOfName(name, notation);
      std::optional<std::string> found = Lookup(client, clear, failures);
      if (found.has_value() && *found != wanted) {
        failures->push_back(absl::StrCat(
            "LookupMember(\"", clear.value(), "\") finds ",
            found->empty() ? "nobody" : *found, "; the statements give ", name,
            " to ", wanted.empty() ? "nobody" : wanted));
      }
    }
  }
  // Import rows: this cycle's, and a sample of earlier ones.
  std::vector<const ImportRow*> rows;
  for (size_t i = import_rows_checked_through_; i < import_rows_.size(); ++i) {
    rows.push_back(&import_rows_[i]);
  }
  std::vector<const ImportRow*> earlier;
  for (size_t i = 0; i < import_rows_checked_through_; ++i) {
    earlier.push_back(&import_rows_[i]);
  }
  std::shuffle(earlier.begin(), earlier.end(), random);
  if (earlier.size() > kEarlierImportRowsSample) {
    earlier.resize(kEarlierImportRowsSample);
  }
  rows.insert(rows.end(), earlier.begin(), earlier.end());
  import_rows_checked_through_ = import_rows_.size();
  for (const ImportRow* row : rows) {
    const MemberIdentifier card = CardIdentifier(row->row.card_number());
    const std::string folded = OwnerOfName(*IdentifierName(card));
    std::optional<std::string> found = Lookup(client, card, failures);
    if (!found.has_value()) continue;
    // The card moved with merges to the member the row's now leads to; an
    // erasing close of that one freed it: nobody has it, or a later row
    // enrolled another member with it.
    const std::string member_now = graph.Resolve(row->member_id);
    const bool erased = erased_members_.count(member_now) != 0;
    const std::string& wanted = erased ? folded : member_now;
    if (*found != wanted || folded != wanted ||
        (erased && *found == member_now)) {
      failures->push_back(absl::StrCat(
          "import row ", row->row.context().request_id(), " (card ",
          card.value(), ") was answered with member ", row->member_id,
          " (now ", member_now, "); LookupMember finds ",
          found->empty() ? "nobody" : *found,
          " and the statements give it to ",
          folded.empty() ? "nobody" : folded));
    }
  }
}

void IdentityCheck::CheckDryRuns(LedgerClient& client, const AliasGraph& graph,
                                 int cycle, int rows_max,
                                 std::mt19937_64& random, Failures* failures) {
  loyalty::v1::ImportMembersRequest request;
  request.set_dry_run(true);
  // Up to half of them rows of members merged since (their cards find the
  // members they were merged into), the rest any.
  std::vector<const ImportRow*> merged;
  std::vector<const ImportRow*> known;
  for (const ImportRow& row : import_rows_) {
    (graph.IsAlias(row.member_id) ? merged : known).push_back(&row);
  }
  std::shuffle(merged.begin(), merged.end(), random);
  if (merged.size() > static_cast<size_t>(rows_max / 2)) {
    merged.resize(rows_max / 2);
  }
  std::shuffle(known.begin(), known.end(), random);
  known.insert(known.begin(), merged.begin(), merged.end());
  if (known.size() > static_cast<size_t>(rows_max)) known.resize(rows_max);
  for (const ImportRow* row : known) *request.add_rows() = row->row;
  for (int i = 0; i < 2; ++i) {
    loyalty::v1::ImportMemberRequest* row = request.add_rows();
    // "7..." cards: no load request ever brings one.
    row->set_card_number(ImportCard(cycle, 900 + i, 0).replace(0, 1, "7"));
    row->set_opening_points(i == 0 ? 0 : 25);
    if (i == 1) row->set_phone(PoolPhone(cycle + i, cycle).value());
  }
  for (int i = 0; i < request.rows_size(); ++i) {
    loyalty::v1::ImportMemberRequest* row = request.mutable_rows(i);
    row->mutable_context()->set_request_id(
        absl::StrCat("dry-c", cycle, "-r", i));
    // Another notation of the row's phone: stored alike, so the same rules.
    if (!row->phone().empty()) {
      std::optional<std::string> phone_name =
          IdentifierName(PhoneIdentifier(row->phone()));
      if (phone_name.has_value()) {
        row->set_phone(IdentifierOfName(*phone_name, i + cycle)->value());
      }
    }
  }
  // What the rows find, as the stored state says before the dry run.
  struct Wanted {
    std::string card_owner;
    std::string phone_owner;
    int card_owner_identifiers = 0;
    bool card_owner_closed = false;
  };
  std::vector<Wanted> wanted(request.rows_size());
  for (int i = 0; i < request.rows_size(); ++i) {
    const auto& row = request.rows(i);
    std::optional<std::string> card_owner =
        Lookup(client, CardIdentifier(row.card_number()), failures);
    std::optional<std::string> phone_owner = std::string();
    if (!row.phone().empty()) {
      phone_owner = Lookup(client, PhoneIdentifier(row.phone()), failures);
    }
    if (!card_owner.has_value() || !phone_owner.has_value()) return;
    wanted[i] = {*card_owner, *phone_owner, 0};
    if (!card_owner->empty()) {
      auto member = client.GetMember(*card_owner);
      if (!member.ok()) {
        failures->push_back(absl::StrCat("member ", *card_owner, ": ",
                                         member.status().ToString()));
        return;
      }
      wanted[i].card_owner_identifiers = member->identifiers_size();
      wanted[i].card_owner_closed =
          member->status() == loyalty::v1::MEMBER_STATUS_CLOSED;
    }
  }
  const std::string bytes = request.SerializeAsString();
  Outcome first = client.Mutate(Method::kImport, kAdminKey, bytes);
  Outcome again = client.Mutate(Method::kImport, kAdminKey, bytes);
  for (const Outcome* outcome : {&first, &again}) {
    if (outcome->code != grpc::StatusCode::OK) {
      failures->push_back(absl::StrCat("a dry-run import (cycle ", cycle,
                                       "): ", Describe(*outcome)));
      return;
    }
  }
  // Each answer on its own: a new member's id and its entries' times are
  // made afresh for every dry run, so the two need not be equal; neither
  // may be a replay (a dry run is never remembered).
  for (const Outcome* outcome : {&first, &again}) {
    loyalty::v1::ImportMembersResponse response;
    response.ParseFromString(outcome->response);
    if (response.results_size() != request.rows_size()) {
      failures->push_back(absl::StrCat(
          "a dry-run import (cycle ", cycle, ") of ", request.rows_size(),
          " rows has ", response.results_size(), " results"));
      return;
    }
    for (int i = 0; i < response.results_size(); ++i) {
      const auto& row = request.rows(i);
      const auto& result = response.results(i);
      const Wanted& want = wanted[i];
      const bool phone_taken =
          !want.phone_owner.empty() && want.phone_owner != want.card_owner;
      const bool link_phone = !row.phone().empty() && want.phone_owner.empty();
      // The ledger's order: phone taken, then the card's member closed,
      // then too many identifiers.
      const bool closed = !phone_taken && want.card_owner_closed;
      const bool too_many =
          !phone_taken && !closed && !want.card_owner.empty() && link_phone &&
          want.card_owner_identifiers >= kMemberIdentifiersMax;
      std::string problem;
      if (phone_taken || closed || too_many) {
        const std::string wanted_reason =
            phone_taken ? reason::kIdentifierTaken
                        : (closed ? reason::kMemberClosed
                                  : reason::kTooManyIdentifiers);
        if (loyalty::v1::ErrorReason_Name(result.reason()) != wanted_reason) {
          problem = absl::StrCat("wanted ", wanted_reason);
        }
      } else {
        const auto& answer = result.response();
        if (result.code() != 0 || !answer.dry_run() || answer.replayed() ||
            answer.enrolled() != want.card_owner.empty() ||
            (!want.card_owner.empty() &&
             answer.member_id() != want.card_owner) ||
            answer.phone_linked() != link_phone ||
            answer.opening_points() != row.opening_points()) {
          problem =
              absl::StrCat("wanted a dry run (not replayed) ",
                           want.card_owner.empty()
                               ? "enrolling a new member"
                               : absl::StrCat("finding ", want.card_owner),
                           link_phone ? ", linking the phone" : "");
        }
      }
      if (outcome == &first) ++counts_.dry_run_rows;
      if (!problem.empty()) {
        failures->push_back(absl::StrCat("dry-run row ",
                                         row.context().request_id(), " (card ",
                                         row.card_number(), "): ", problem,
                                         "; got ", result.ShortDebugString()));
      }
    }
  }
  // Nothing was written: the new cards still find nobody.
  for (int i = request.rows_size() - 2; i < request.rows_size(); ++i) {
    const std::string card = request.rows(i).card_number();
    std::optional<std::string> found =
        Lookup(client, CardIdentifier(card), failures);
    if (found.has_value() && !found->empty()) {
      failures->push_back(absl::StrCat("card ", card, " finds member ", *found,
                                       " after only a dry run imported it"));
    }
  }
}

}  // namespace loyalty::crash
