// One member across channels: identifiers of every kind, their
// normalisation and keyed hashing, lookups, links and unlinks, and the
// identifier key that ties a ledger to its hashes.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "ledger/common/random_source.h"
#include "ledger/members/identifiers.h"
#include "ledger/common/limits.h"
#include "ledger/storage/memory_store.h"
#include "ledger_test_util.h"
#include "member_test_util.h"

namespace loyalty {
namespace {

using testing::CodeOf;
using testing::DumpStore;
using testing::kApp;
using testing::MessageOf;
using testing::NothingChanged;
using testing::ReasonOfResult;
using testing::TestLedger;
using v1::MemberIdentifier;

// Member ids the ledger chooses, from the random source it is given: the
// model test replays a seed exactly only because of this.
TEST_CASE("a ledger draws the member ids it chooses from its random source",
          "[members]") {
  auto chosen_ids = [](uint64_t seed) {
    SeededRandomSource random(seed);
    LedgerOptions options = testing::TestLedgerOptions();
    options.random_source = &random;
    TestLedger t(testing::TestProgram(), options);
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
      auto enrolled = testing::Enroll(
          t.ledger(), kApp,
          testing::EnrollRequest(absl::StrCat("enrol-", i), ""));
      REQUIRE(enrolled.ok());
      ids.push_back(enrolled->member().member_id());
    }
    return ids;
  };
  const std::vector<std::string> first = chosen_ids(7);
  CHECK(chosen_ids(7) == first);
  CHECK(chosen_ids(8) != first);
  CHECK(first[0] != first[1]);
  for (const std::string& id : first) {
    CHECK(id.size() == 17);
    CHECK(id[0] == 'M');
  }
}

// A Berlin landline in the notations a till, an app and a partner might use.
constexpr char kPhoneNational[] = "030 1234567";
constexpr char kPhoneSpaced[] = "+49 30 1234567";
constexpr char kPhoneDashed[] = "+49-30-1234567";
constexpr char kPhoneE164[] = "+49301234567";

TEST_CASE(
    "a phone linked in national notation is found in every international "
    "notation, and the ledger keeps only its keyed hash",
    "[members][identifiers]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("alice");
  auto linked = testing::Link(t.ledger(), "link-1", "alice",
                              testing::Phone(kPhoneNational));
  REQUIRE_OK(linked);
  REQUIRE(linked->identifiers_size() == 1);
  const MemberIdentifier& stored = linked->identifiers(0);
  CHECK(stored.kind() == v1::IDENTIFIER_KIND_PHONE);
  CHECK(stored.value().size() == 64);  // Hex HMAC-SHA256.
  CHECK(linked->entry().kind() == v1::ENTRY_KIND_LINK);

  for (const char* notation : {kPhoneSpaced, kPhoneDashed, kPhoneE164}) {
    auto found = t.ledger().LookupMember(testing::Phone(notation));
    REQUIRE_OK(found);
    CHECK(found->member_id() == "alice");
  }
  // Neither the number as typed nor its E.164 form is anywhere in storage.
  for (const auto& family : DumpStore(t.store())) {
    for (const auto& [key, value] : family) {
      CHECK_FALSE(absl::StrContains(key + value, "1234567"));
    }
  }
}

TEST_CASE("an email is found whatever its case and surrounding spaces",
          "[members][identifiers]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("ann");
  REQUIRE_OK(testing::Link(t.ledger(), "link-1", "ann",
                           testing::Email("  Ann.Lee@Example.COM ")));
  auto found = t.ledger().LookupMember(testing::Email("ann.lee@example.com"));
  REQUIRE_OK(found);
  CHECK(found->member_id() == "ann");
  auto other = t.ledger().LookupMember(testing::Email("ann.le@example.com"));
  CHECK(CodeOf(other) == absl::StatusCode::kNotFound);
}

TEST_CASE(
    "lookup finds members by card, app user id and partner account as given, "
    "and misses with MEMBER_NOT_FOUND",
    "[members][identifiers]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("bob");
  const MemberIdentifier card = testing::Card("6012000011112222");
  const MemberIdentifier app_user = testing::AppUser("app-u-77");
  const MemberIdentifier partner = testing::Partner("airline:AB123456");
  REQUIRE_OK(testing::Link(t.ledger(), "l1", "bob", card));
  REQUIRE_OK(testing::Link(t.ledger(), "l2", "bob", app_user));
  REQUIRE_OK(testing::Link(t.ledger(), "l3", "bob", partner));
  for (const MemberIdentifier& identifier : {card, app_user, partner}) {
    auto found = t.ledger().LookupMember(identifier);
    REQUIRE_OK(found);
    CHECK(found->member_id() == "bob");
    CHECK(found->identifiers_size() == 3);
  }
  auto member = t.ledger().GetMember("bob");
  REQUIRE_OK(member);
  CHECK(member->identifiers(0).value() == "6012000011112222");

  auto missing = t.ledger().LookupMember(testing::Card("6012000099999999"));
  CHECK(CodeOf(missing) == absl::StatusCode::kNotFound);
  CHECK(ReasonOfResult(missing) == v1::ERROR_REASON_MEMBER_NOT_FOUND);
  CHECK(absl::StrContains(MessageOf(missing), "CARD_NUMBER"));
}

TEST_CASE(
    "an identifier belongs to one member at a time: linking one that any "
    "member has is ALREADY_EXISTS, remembered, and links nothing",
    "[members][identifiers]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  REQUIRE_OK(testing::Link(t.ledger(), "l1", "alice",
                           testing::Phone(kPhoneNational)));

  NothingChanged unchanged(t.store());
  auto taken = testing::Link(t.ledger(), "l2", "bob",
                             testing::Phone(kPhoneSpaced));
  CHECK(CodeOf(taken) == absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOfResult(taken) == v1::ERROR_REASON_IDENTIFIER_TAKEN);
  CHECK(absl::StrContains(MessageOf(taken), "another member"));
  unchanged.CheckOnlyRequestRemembered();

  auto again = testing::Link(t.ledger(), "l3", "alice",
                             testing::Phone(kPhoneE164));
  CHECK(CodeOf(again) == absl::StatusCode::kAlreadyExists);
  CHECK(absl::StrContains(MessageOf(again), "this member"));

  auto found = t.ledger().LookupMember(testing::Phone(kPhoneE164));
  REQUIRE_OK(found);
  CHECK(found->member_id() == "alice");
  auto bob = t.ledger().GetMember("bob");
  REQUIRE_OK(bob);
  CHECK(bob->identifiers_size() == 0);
}

TEST_CASE(
    "enrolling with two notations of one phone number is INVALID_ARGUMENT "
    "naming the second, and so is enrolling with a taken one ALREADY_EXISTS",
    "[members][identifiers]") {
  TestLedger t(testing::MembersProgram());
  v1::EnrollMemberRequest twice = testing::EnrollRequest("e1", "carol");
  *twice.add_identifiers() = testing::Phone(kPhoneNational);
  *twice.add_identifiers() = testing::Phone(kPhoneDashed);
  NothingChanged unchanged(t.store());
  auto refused = testing::Enroll(t.ledger(), kApp, twice);
  CHECK(CodeOf(refused) == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(MessageOf(refused), "identifiers[1].value"));
  unchanged.Check();

  v1::EnrollMemberRequest first = testing::EnrollRequest("e2", "carol");
  *first.add_identifiers() = testing::Phone(kPhoneNational);
  REQUIRE_OK(testing::Enroll(t.ledger(), kApp, first));
  v1::EnrollMemberRequest second = testing::EnrollRequest("e3", "dave");
  *second.add_identifiers() = testing::Phone(kPhoneE164);
  auto taken = testing::Enroll(t.ledger(), kApp, second);
  CHECK(CodeOf(taken) == absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOfResult(taken) == v1::ERROR_REASON_IDENTIFIER_TAKEN);
  CHECK(CodeOf(t.ledger().GetMember("dave")) == absl::StatusCode::kNotFound);
}

TEST_CASE(
    "an unlinked identifier no longer finds the member and may be linked to "
    "another; unlinking one the member lacks is NOT_FOUND, remembered",
    "[members][identifiers]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  const MemberIdentifier card = testing::Card("4000123412341234");
  REQUIRE_OK(testing::Link(t.ledger(), "l1", "alice", card));
  auto unlinked = testing::Unlink(t.ledger(), "u1", "alice", card);
  REQUIRE_OK(unlinked);
  CHECK(unlinked->entry().kind() == v1::ENTRY_KIND_UNLINK);
  CHECK(unlinked->identifiers_size() == 0);
  CHECK(CodeOf(t.ledger().LookupMember(card)) == absl::StatusCode::kNotFound);

  REQUIRE_OK(testing::Link(t.ledger(), "l2", "bob", card));
  auto found = t.ledger().LookupMember(card);
  REQUIRE_OK(found);
  CHECK(found->member_id() == "bob");

  NothingChanged unchanged(t.store());
  auto lacking = testing::Unlink(t.ledger(), "u2", "alice", card);
  CHECK(CodeOf(lacking) == absl::StatusCode::kNotFound);
  CHECK(ReasonOfResult(lacking) == v1::ERROR_REASON_IDENTIFIER_NOT_FOUND);
  unchanged.CheckOnlyRequestRemembered();
  // The retry gets the remembered answer even though alice could now link
  // and unlink it: the outcome of a request id never changes.
  auto retried = testing::Unlink(t.ledger(), "u2", "alice", card);
  CHECK(CodeOf(retried) == absl::StatusCode::kNotFound);

  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
}

TEST_CASE(
    "a member has at most 8 identifiers: the ninth link is "
    "FAILED_PRECONDITION TOO_MANY_IDENTIFIERS",
    "[members][identifiers]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("erin");
  for (int i = 0; i < kIdentifiersPerMemberMax; ++i) {
    REQUIRE_OK(testing::Link(t.ledger(), absl::StrCat("l", i), "erin",
                             testing::Card(absl::StrCat("7000", i))));
  }
  auto ninth = testing::Link(t.ledger(), "l-9", "erin", testing::Card("70009"));
  CHECK(CodeOf(ninth) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(ninth) == v1::ERROR_REASON_TOO_MANY_IDENTIFIERS);
  CHECK(CodeOf(t.ledger().LookupMember(testing::Card("70009"))) ==
        absl::StatusCode::kNotFound);
}

TEST_CASE(
    "malformed identifiers are INVALID_ARGUMENT naming the field, and "
    "nothing is remembered",
    "[members][identifiers][validation]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("alice");
  struct Case {
    MemberIdentifier identifier;
    const char* message_part;
  };
  MemberIdentifier unspecified;
  unspecified.set_value("123456");
  const std::vector<Case> cases = {
      {testing::Phone("12"), "not a phone number"},
      {testing::Phone("call me"), "not a phone number"},
      {testing::Phone(std::string(80, '1')), "at most 64"},
      {testing::Email("ann.example.com"), "not an email address"},
      {testing::Email("ann@localhost"), "not an email address"},
      {testing::Email("a b@example.com"), "without spaces"},
      {testing::Card("12ab"), "4..32 digits"},
      {testing::Card("123"), "4..32 digits"},
      {testing::AppUser(""), "is required"},
      {testing::Partner("with space"), "printable ASCII"},
      {unspecified, "identifier.kind"},
  };
  for (const Case& c : cases) {
    INFO(c.identifier.ShortDebugString());
    NothingChanged unchanged(t.store());
    auto refused = testing::Link(t.ledger(), "bad-1", "alice", c.identifier);
    CHECK(CodeOf(refused) == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(MessageOf(refused), c.message_part));
    CHECK(absl::StartsWith(MessageOf(refused), "identifier"));
    unchanged.Check();
    CHECK(CodeOf(t.ledger().LookupMember(c.identifier)) ==
          absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE(
    "without a default phone region a number needs + and its country code",
    "[members][identifiers]") {
  v1::ProgramConfig program = testing::MembersProgram();
  program.clear_default_phone_region();
  TestLedger t(program);
  t.EnrollOk("alice");
  auto national = testing::Link(t.ledger(), "l1", "alice",
                                testing::Phone(kPhoneNational));
  CHECK(CodeOf(national) == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(MessageOf(national), "country code"));
  REQUIRE_OK(testing::Link(t.ledger(), "l2", "alice",
                           testing::Phone(kPhoneSpaced)));
}

TEST_CASE(
    "a ledger without an identifier key refuses phones and emails, naming "
    "the key, and keeps cards",
    "[members][identifiers]") {
  TestLedger t(testing::MembersProgram(), LedgerOptions{});
  t.EnrollOk("alice");
  auto phone = testing::Link(t.ledger(), "l1", "alice",
                             testing::Phone(kPhoneSpaced));
  CHECK(CodeOf(phone) == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(MessageOf(phone), "--identifier-key-file"));
  REQUIRE_OK(testing::Link(t.ledger(), "l2", "alice", testing::Card("1234")));
}

TEST_CASE(
    "a ledger refuses to open with another identifier key, or without the "
    "one its hashes were made with",
    "[members][identifiers]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("alice");  // The first write stores the key's check value.
  ManualClock clock(testing::kStartMs);
  LedgerOptions other;
  other.identifier_key = "another-identifier-key-0123";
  auto wrong = Ledger::Open(&t.store(), testing::MembersProgram(), &clock,
                            other);
  CHECK(CodeOf(wrong) == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(MessageOf(wrong), "identifier key differs"));
  auto keyless = Ledger::Open(&t.store(), testing::MembersProgram(), &clock,
                              LedgerOptions{});
  CHECK(CodeOf(keyless) == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(MessageOf(keyless), "--identifier-key-file"));
  LedgerOptions short_key;
  short_key.identifier_key = "too-short";
  MemoryStore fresh;
  CHECK(CodeOf(Ledger::Open(&fresh, testing::MembersProgram(), &clock,
                            short_key)) ==
        absl::StatusCode::kInvalidArgument);

  t.Reopen();  // The right key still opens it.
  auto found = t.ledger().GetMember("alice");
  REQUIRE_OK(found);
}

TEST_CASE(
    "VerifyLedger re-derives who has which identifier from ENROLL, LINK and "
    "UNLINK entries, and reports an index that disagrees",
    "[members][identifiers][verify]") {
  TestLedger t(testing::MembersProgram());
  v1::EnrollMemberRequest enroll = testing::EnrollRequest("e1", "alice");
  *enroll.add_identifiers() = testing::Card("5555000011112222");
  REQUIRE_OK(testing::Enroll(t.ledger(), kApp, enroll));
  t.EnrollOk("bob");
  REQUIRE_OK(testing::Link(t.ledger(), "l1", "alice",
                           testing::Phone(kPhoneNational)));
  REQUIRE_OK(testing::Unlink(t.ledger(), "u1", "alice",
                             testing::Card("5555000011112222")));
  REQUIRE_OK(testing::Link(t.ledger(), "l2", "bob",
                           testing::Card("5555000011112222")));
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());

  // An index entry the entries do not explain: a card pointing at alice.
  WriteSet forged;
  forged.Add(Family::kIdentifiers,
             IdentifierKey(v1::IDENTIFIER_KIND_CARD_NUMBER, "5555000011112222"),
             "alice");
  REQUIRE(t.store().Write(forged).ok());
  auto tampered = t.ledger().Verify();
  REQUIRE_OK(tampered);
  CHECK_FALSE(tampered->ok());
}

TEST_CASE(
    "closing a member forfeits its remaining points, keeps its statement "
    "readable, and refuses every later write with MEMBER_CLOSED",
    "[members][close]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  REQUIRE_OK(testing::Adjust(t.ledger(), testing::kAdmin,
                             testing::AdjustPoints("c1", "alice", 120)));
  auto closed = testing::Close(t.ledger(),
                               testing::CloseRequest("x1", "alice", false));
  REQUIRE_OK(closed);
  CHECK(closed->entry().kind() == v1::ENTRY_KIND_CLOSE);
  CHECK(closed->entry().points_delta() == -120);
  CHECK(closed->entry().operator_id() == "support.jane");
  CHECK(closed->entry().reason_code() == "MEMBER_REQUEST");
  CHECK(closed->member().status() == v1::MEMBER_STATUS_CLOSED);
  CHECK(closed->member().balance().available_points() == 0);
  CHECK(closed->member().balance().forfeited_points_total() == 120);

  NothingChanged unchanged(t.store());
  auto credit = testing::Adjust(t.ledger(), testing::kAdmin,
                                testing::AdjustPoints("c2", "alice", 5));
  CHECK(CodeOf(credit) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(credit) == v1::ERROR_REASON_MEMBER_CLOSED);
  unchanged.CheckOnlyRequestRemembered();
  auto gift = testing::Transfer(
      t.ledger(), testing::TransferRequest("t1", "bob", "alice", 1));
  CHECK(ReasonOfResult(gift) == v1::ERROR_REASON_MEMBER_CLOSED);
  auto again = testing::Close(t.ledger(),
                              testing::CloseRequest("x2", "alice", true));
  CHECK(ReasonOfResult(again) == v1::ERROR_REASON_MEMBER_CLOSED);
  // The id stays taken.
  CHECK(CodeOf(testing::Enroll(t.ledger(), kApp,
                               testing::EnrollRequest("e9", "alice"))) ==
        absl::StatusCode::kAlreadyExists);

  auto statement = testing::ListAll(t.ledger(), "alice", 50);
  REQUIRE(statement.size() == 3);  // ENROLL, ADJUST, CLOSE.
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
}

TEST_CASE(
    "closing with erase_personal_data removes every identifier: lookups "
    "miss, and the identifiers are free for another member",
    "[members][close]") {
  TestLedger t(testing::MembersProgram());
  v1::EnrollMemberRequest enroll = testing::EnrollRequest("e1", "alice");
  *enroll.add_identifiers() = testing::Card("40009999");
  *enroll.add_identifiers() = testing::Phone(kPhoneNational);
  *enroll.add_identifiers() = testing::Email("alice@example.com");
  REQUIRE_OK(testing::Enroll(t.ledger(), kApp, enroll));
  auto closed = testing::Close(t.ledger(),
                               testing::CloseRequest("x1", "alice", true));
  REQUIRE_OK(closed);
  CHECK(closed->entry().personal_data_erased());
  CHECK(closed->entry().identifiers_size() == 3);
  CHECK(closed->member().identifiers_size() == 0);
  for (const MemberIdentifier& identifier :
       {testing::Card("40009999"), testing::Phone(kPhoneE164),
        testing::Email("alice@example.com")}) {
    CHECK(CodeOf(t.ledger().LookupMember(identifier)) ==
          absl::StatusCode::kNotFound);
  }
  t.EnrollOk("bob");
  REQUIRE_OK(testing::Link(t.ledger(), "l1", "bob",
                           testing::Phone(kPhoneSpaced)));
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
}

TEST_CASE(
    "a member with an open hold cannot be closed until it settles "
    "(MEMBER_NOT_SETTLED); after the release it can",
    "[members][close]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("alice");
  REQUIRE_OK(testing::Adjust(t.ledger(), testing::kAdmin,
                             testing::AdjustPoints("c1", "alice", 100)));
  v1::HoldPointsRequest hold;
  *hold.mutable_context() = testing::AppContext("h1");
  hold.set_member_id("alice");
  hold.set_points(40);
  hold.set_timeout_ms(60'000);
  auto held = testing::CallLedger<HoldPointsCommand>(t.ledger(), testing::kApp, hold);
  REQUIRE_OK(held);
  NothingChanged unchanged(t.store());
  auto refused = testing::Close(t.ledger(),
                                testing::CloseRequest("x1", "alice", false));
  CHECK(CodeOf(refused) == absl::StatusCode::kFailedPrecondition);
  CHECK(ReasonOfResult(refused) == v1::ERROR_REASON_MEMBER_NOT_SETTLED);
  CHECK(absl::StrContains(MessageOf(refused), "1 open holds"));
  unchanged.CheckOnlyRequestRemembered();

  t.clock().AdvanceMs(60'000);  // The hold times out; closing settles it.
  auto closed = testing::Close(t.ledger(),
                               testing::CloseRequest("x2", "alice", false));
  REQUIRE_OK(closed);
  CHECK(closed->entry().points_delta() == -100);
}

TEST_CASE("a close without reason or operator is INVALID_ARGUMENT",
          "[members][close][validation]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("alice");
  v1::CloseMemberRequest no_reason = testing::CloseRequest("x1", "alice", true);
  no_reason.clear_reason_code();
  CHECK(absl::StartsWith(MessageOf(testing::Close(t.ledger(), no_reason)),
                         "reason_code"));
  v1::CloseMemberRequest no_operator =
      testing::CloseRequest("x1", "alice", true);
  no_operator.clear_operator_id();
  CHECK(absl::StartsWith(MessageOf(testing::Close(t.ledger(), no_operator)),
                         "operator_id"));
  auto member = t.ledger().GetMember("alice");
  REQUIRE_OK(member);
  CHECK(member->status() == v1::MEMBER_STATUS_ACTIVE);
}

}  // namespace
}  // namespace loyalty
