// Legacy balances (ImportMember): a row finds its member by card or enrols
// one, links its phone, and credits an OPENING lot dated by its earned day;
// re-running a row credits nothing twice, and a dry run writes nothing.
#include <string>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "ledger_test_util.h"
#include "member_test_util.h"

namespace loyalty {
namespace {

using testing::CodeOf;
using testing::DumpStore;
using testing::Import;
using testing::ImportRow;
using testing::MessageOf;
using testing::NothingChanged;
using testing::ReasonOfResult;
using testing::TestLedger;

// Points earned on 2023-03-10 expire at the end of March 2024, Berlin time
// (2024-03-31T23:00Z, summer time having begun that night... it begins at
// 02:00 local on 2024-03-31, so midnight starting April 1 is 22:00Z).
constexpr int64_t kMarch2023LotExpiresMs = 1'711'922'400'000;

TEST_CASE(
    "an import row enrols a new member with its card and phone and credits "
    "an OPENING lot whose expiry follows from its earned day",
    "[members][import]") {
  TestLedger t(testing::MembersProgram());
  auto imported = Import(t.ledger(), ImportRow("import:legacy:40001111",
                                               "40001111", 1'250,
                                               "0171 2345678", "2023-03-10"));
  REQUIRE_OK(imported);
  CHECK(imported->enrolled());
  CHECK(imported->phone_linked());
  CHECK_FALSE(imported->dry_run());
  CHECK(imported->opening_points() == 1'250);
  CHECK(imported->lot_expires_at_ms() == kMarch2023LotExpiresMs);
  REQUIRE(imported->entries_size() == 2);
  CHECK(imported->entries(0).kind() == v1::ENTRY_KIND_ENROLL);
  CHECK(imported->entries(0).identifiers_size() == 2);
  CHECK(imported->entries(0).channel() == v1::CHANNEL_ADMIN);
  CHECK(imported->entries(1).kind() == v1::ENTRY_KIND_OPENING);
  CHECK(imported->entries(1).points_delta() == 1'250);
  CHECK(imported->balance().available_points() == 1'250);
  CHECK(imported->balance().opening_points_total() == 1'250);

  auto by_card = t.ledger().LookupMember(testing::Card("40001111"));
  REQUIRE_OK(by_card);
  CHECK(by_card->member_id() == imported->member_id());
  auto by_phone = t.ledger().LookupMember(testing::Phone("+49 171 2345678"));
  REQUIRE_OK(by_phone);
  CHECK(by_phone->member_id() == imported->member_id());
}

TEST_CASE(
    "an import row for a known card credits that member and links a phone "
    "it lacks",
    "[members][import]") {
  TestLedger t(testing::MembersProgram());
  v1::EnrollMemberRequest enroll = testing::EnrollRequest("e1", "alice");
  *enroll.add_identifiers() = testing::Card("40002222");
  REQUIRE_OK(testing::Enroll(t.ledger(), testing::kApp, enroll));
  auto imported = Import(t.ledger(), ImportRow("i1", "40002222", 300,
                                               "+49 171 2345678"));
  REQUIRE_OK(imported);
  CHECK_FALSE(imported->enrolled());
  CHECK(imported->member_id() == "alice");
  CHECK(imported->phone_linked());
  REQUIRE(imported->entries_size() == 2);
  CHECK(imported->entries(0).kind() == v1::ENTRY_KIND_LINK);
  CHECK(imported->entries(1).kind() == v1::ENTRY_KIND_OPENING);
  CHECK(imported->balance().available_points() == 300);

  // A second legacy balance of the same card with its phone already linked:
  // credited, nothing linked.
  auto again = Import(t.ledger(), ImportRow("i2", "40002222", 50,
                                            "0171 2345678"));
  REQUIRE_OK(again);
  CHECK_FALSE(again->phone_linked());
  REQUIRE(again->entries_size() == 1);
  CHECK(again->balance().available_points() == 350);
}

TEST_CASE(
    "a row whose phone belongs to another member fails with ALREADY_EXISTS "
    "naming that member, and writes nothing but its outcome",
    "[members][import]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("bob");
  REQUIRE_OK(testing::Link(t.ledger(), "l1", "bob",
                           testing::Phone("0171 2345678")));
  NothingChanged unchanged(t.store());
  auto refused = Import(t.ledger(), ImportRow("i1", "40003333", 500,
                                              "+491712345678"));
  CHECK(CodeOf(refused) == absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOfResult(refused) == v1::ERROR_REASON_IDENTIFIER_TAKEN);
  CHECK(absl::StartsWith(MessageOf(refused), "phone: already belongs to "
                                             "member bob"));
  unchanged.CheckOnlyRequestRemembered();
  CHECK(CodeOf(t.ledger().LookupMember(testing::Card("40003333"))) ==
        absl::StatusCode::kNotFound);
}

TEST_CASE(
    "a dry run answers as the import would and writes nothing, not even its "
    "request id",
    "[members][import]") {
  TestLedger t(testing::MembersProgram());
  t.EnrollOk("bob");
  REQUIRE_OK(testing::Link(t.ledger(), "l1", "bob", testing::Card("40004444")));
  const auto dump = DumpStore(t.store());

  auto planned_new = Import(t.ledger(), ImportRow("i1", "40005555", 700), true);
  REQUIRE_OK(planned_new);
  CHECK(planned_new->dry_run());
  CHECK(planned_new->enrolled());
  CHECK(planned_new->balance().available_points() == 700);
  auto planned_known =
      Import(t.ledger(), ImportRow("i2", "40004444", 80, "0171 2345678"), true);
  REQUIRE_OK(planned_known);
  CHECK(planned_known->member_id() == "bob");
  CHECK(planned_known->phone_linked());
  CHECK(DumpStore(t.store()) == dump);

  // The real run of the same request ids is not a replay of the dry run.
  auto real = Import(t.ledger(), ImportRow("i2", "40004444", 80,
                                           "0171 2345678"));
  REQUIRE_OK(real);
  CHECK_FALSE(real->replayed());
  CHECK_FALSE(real->dry_run());
  CHECK(real->balance().available_points() == 80);
  // After it, a dry run of the same row says it is already done.
  auto done = Import(t.ledger(), ImportRow("i2", "40004444", 80,
                                           "0171 2345678"), true);
  REQUIRE_OK(done);
  CHECK(done->replayed());
}

TEST_CASE(
    "re-running an import row replays it and credits nothing twice; another "
    "balance under the same request id is ALREADY_EXISTS",
    "[members][import][idempotency]") {
  TestLedger t(testing::MembersProgram());
  auto first = Import(t.ledger(), ImportRow("import:legacy:40006666",
                                            "40006666", 900));
  REQUIRE_OK(first);
  NothingChanged unchanged(t.store());
  auto rerun = Import(t.ledger(), ImportRow("import:legacy:40006666",
                                            "40006666", 900));
  REQUIRE_OK(rerun);
  CHECK(rerun->replayed());
  CHECK(rerun->member_id() == first->member_id());
  unchanged.Check();
  auto changed = Import(t.ledger(), ImportRow("import:legacy:40006666",
                                              "40006666", 901));
  CHECK(CodeOf(changed) == absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOfResult(changed) == v1::ERROR_REASON_REQUEST_ID_REUSED);
  auto balance = t.ledger().GetBalance(first->member_id());
  REQUIRE_OK(balance);
  CHECK(balance->available_points() == 900);
}

TEST_CASE(
    "points earned so long ago that their expiry has passed are credited "
    "and expire at once",
    "[members][import][expiry]") {
  TestLedger t(testing::MembersProgram());  // Now: 2023-11-14.
  auto imported = Import(t.ledger(), ImportRow("i1", "40007777", 400, "",
                                               "2022-06-30"));
  REQUIRE_OK(imported);
  CHECK(imported->lot_expires_at_ms() < testing::kStartMs);
  CHECK(imported->balance().available_points() == 0);
  CHECK(imported->balance().expired_points_total() == 400);
  CHECK(imported->balance().opening_points_total() == 400);
  // The next write to the member writes the EXPIRE entry.
  REQUIRE_OK(testing::Import(t.ledger(), ImportRow("i2", "40007777", 0)));
  auto verified = t.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK(verified->ok());
}

TEST_CASE(
    "a malformed row is INVALID_ARGUMENT naming its column and changes "
    "nothing",
    "[members][import][validation]") {
  TestLedger t(testing::MembersProgram());
  struct Case {
    v1::ImportMemberRequest row;
    const char* field;
  };
  const Case cases[] = {
      {ImportRow("i1", "12a4", 10), "card_number"},
      {ImportRow("i1", "123", 10), "card_number"},
      {ImportRow("i1", "40008888", -1), "opening_points"},
      {ImportRow("i1", "40008888", 1'000'000'000'001), "opening_points"},
      {ImportRow("i1", "40008888", 10, "12"), "phone"},
      {ImportRow("i1", "40008888", 10, "", "2023-02-29"), "earned_on"},
      {ImportRow("i1", "40008888", 10, "", "2023-1-05"), "earned_on"},
      {ImportRow("i1", "40008888", 10, "", "2031-01-01"), "earned_on"},
      {ImportRow("", "40008888", 10), "context.request_id"},
  };
  for (const Case& c : cases) {
    INFO(c.row.ShortDebugString());
    NothingChanged unchanged(t.store());
    auto refused = Import(t.ledger(), c.row);
    CHECK(CodeOf(refused) == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(MessageOf(refused), c.field));
    unchanged.Check();
  }
  v1::ImportMemberRequest pos_channel = ImportRow("i1", "40008888", 10);
  pos_channel.mutable_context()->set_channel(v1::CHANNEL_POS);
  auto refused = Import(t.ledger(), pos_channel);
  CHECK(absl::StartsWith(MessageOf(refused), "context.channel"));
}

}  // namespace
}  // namespace loyalty
