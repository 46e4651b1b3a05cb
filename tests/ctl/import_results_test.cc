// Tests of how `loyaltyctl import` reads the server's answers
// (clients/loyaltyctl/import_results.h): the request each row becomes, a
// refused row as a problem of a CSV column, the counts of the summary, the
// lines of a dry run's plan, and rows that would link one phone twice.
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "clients/loyaltyctl/import_results.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::ImportMemberRequest;
using loyalty::v1::ImportMemberResponse;
using loyalty::v1::ImportMemberResult;

// 64 hex digits, as the server stores a phone.
const std::string kPhoneHashA(64, 'a');
const std::string kPhoneHashB = std::string(63, 'a') + "b";

ImportRow Row(int64_t line, std::string card, std::string phone = "",
              int64_t points = 0, std::string earned_on = "") {
  return ImportRow{line, std::move(card), std::move(phone), points,
                   std::move(earned_on)};
}

ImportMemberResult Failure(int code, loyalty::v1::ErrorReason reason,
                           std::string message) {
  ImportMemberResult result;
  result.set_code(code);
  result.set_reason(reason);
  result.set_message(std::move(message));
  return result;
}

std::string Problem(const RowProblem& problem) {
  return FormatRowProblem("f.csv", problem);
}

// What a dry run answers for a new member (or, with member_id, an existing
// one) that links `phone_hash` ("" for none).
ImportMemberResponse Outcome(bool enrolled, const std::string& member_id,
                             const std::string& phone_hash, int64_t points) {
  ImportMemberResponse response;
  response.set_member_id(member_id);
  response.set_enrolled(enrolled);
  response.set_opening_points(points);
  response.mutable_balance()->set_available_points(points);
  if (!phone_hash.empty()) {
    response.set_phone_linked(true);
    loyalty::v1::LedgerEntry* entry = response.add_entries();
    entry->set_kind(enrolled ? loyalty::v1::ENTRY_KIND_ENROLL
                             : loyalty::v1::ENTRY_KIND_LINK);
    if (enrolled) {
      auto* card = entry->add_identifiers();
      card->set_kind(loyalty::v1::IDENTIFIER_KIND_CARD_NUMBER);
      card->set_value("1234");
    }
    auto* phone = entry->add_identifiers();
    phone->set_kind(loyalty::v1::IDENTIFIER_KIND_PHONE);
    phone->set_value(phone_hash);
  }
  return response;
}

TEST_CASE("a row becomes an admin request under its card's request id",
          "[import][results]") {
  const ImportMemberRequest request = BuildImportMemberRequest(
      "spring", Row(9, "00042", "+49 30 1234567", 250, "2025-01-31"));
  CHECK(request.context().request_id() == "import:spring:00042");
  CHECK(request.context().channel() == loyalty::v1::CHANNEL_ADMIN);
  // Nothing that changes between runs, or a re-run would not be a retry.
  CHECK(request.context().occurred_at_ms() == 0);
  CHECK(request.card_number() == "00042");
  CHECK(request.phone() == "+49 30 1234567");
  CHECK(request.opening_points() == 250);
  CHECK(request.earned_on() == "2025-01-31");
  // The same row on another line is the same request, byte for byte.
  CHECK(BuildImportMemberRequest(
            "spring", Row(2, "00042", "+49 30 1234567", 250, "2025-01-31"))
            .SerializeAsString() == request.SerializeAsString());
}

TEST_CASE("a refused row is a problem of the column it is about",
          "[import][results]") {
  const ImportMemberRequest request =
      BuildImportMemberRequest("legacy", Row(7, "1234", "0301", 5, ""));
  struct Case {
    ImportMemberResult result;
    std::string expected;
  };
  const Case cases[] = {
      {Failure(3, loyalty::v1::ERROR_REASON_INVALID_FIELD,
               "phone: is not a phone number"),
       "f.csv:7: column phone: \"0301\" is not a phone number"},
      {Failure(6, loyalty::v1::ERROR_REASON_IDENTIFIER_TAKEN,
               "phone: already belongs to member m-9, not to the card's "
               "member m-3"),
       "f.csv:7: column phone: \"0301\" belongs to another member (already "
       "belongs to member m-9, not to the card's member m-3)"},
      {Failure(9, loyalty::v1::ERROR_REASON_TOO_MANY_IDENTIFIERS,
               "this member has 8 identifiers"),
       "f.csv:7: column phone: \"0301\": cannot be linked: this member has 8 "
       "identifiers"},
      {Failure(3, loyalty::v1::ERROR_REASON_INVALID_FIELD,
               "opening_points: must be between 0 and 1000000000000"),
       "f.csv:7: column balance_points: must be between 0 and 1000000000000"},
      {Failure(3, loyalty::v1::ERROR_REASON_INVALID_FIELD,
               "earned_on: lies in the future"),
       "f.csv:7: column earned_on: lies in the future"},
      {Failure(3, loyalty::v1::ERROR_REASON_INVALID_FIELD,
               "card_number: a card number is 4..32 digits"),
       "f.csv:7: column card_number: a card number is 4..32 digits"},
      {Failure(9, loyalty::v1::ERROR_REASON_BALANCE_OVERFLOW,
               "the balance would overflow"),
       "f.csv:7: column balance_points: the balance would overflow"},
      {Failure(6, loyalty::v1::ERROR_REASON_REQUEST_ID_REUSED,
               "context.request_id: already used for a different request"),
       "f.csv:7: this card was imported under --name legacy before with "
       "another balance, phone or date"},
      {Failure(13, loyalty::v1::ERROR_REASON_INTERNAL, "disk on fire"),
       "f.csv:7: INTERNAL: disk on fire"},
      // A field name only counts as one when followed by ": ".
      {Failure(3, loyalty::v1::ERROR_REASON_INVALID_FIELD,
               "phone_number is odd"),
       "f.csv:7: INVALID_ARGUMENT: phone_number is odd"},
  };
  for (const Case& c : cases) {
    INFO(c.result.message());
    const std::string problem =
        Problem(ProblemOfResult(7, "legacy", request, c.result));
    CHECK(problem.rfind(c.expected, 0) == 0);
  }
}

TEST_CASE("the summary counts each accepted row once, replays apart",
          "[import][results]") {
  ImportTotals totals;
  CountOutcome(Outcome(true, "m-1", kPhoneHashA, 100), &totals);
  CountOutcome(Outcome(false, "m-2", "", 50), &totals);
  CountOutcome(Outcome(false, "m-3", kPhoneHashB, 0), &totals);
  ImportMemberResponse replayed = Outcome(true, "m-4", kPhoneHashA, 70);
  replayed.set_replayed(true);
  CountOutcome(replayed, &totals);
  CHECK(totals.enrolled == 1);
  CHECK(totals.found_existing == 2);
  CHECK(totals.phones_linked == 2);
  CHECK(totals.points_credited == 150);
  CHECK(totals.already_imported == 1);

  totals.rows_read = 1234567;
  const std::string summary = FormatSummary(totals, /*dry_run=*/false);
  CHECK(summary.find("rows read:        1,234,567\n") != std::string::npos);
  CHECK(summary.find("already imported: 1\n") != std::string::npos);
  CHECK(FormatSummary(totals, /*dry_run=*/true).rfind("dry run:", 0) == 0);
  CHECK(FormatSummaryJson(totals, false) ==
        "{\"dry_run\":false,\"rows_read\":1234567,\"enrolled\":1,"
        "\"found_existing\":2,\"phones_linked\":2,\"points_credited\":150,"
        "\"already_imported\":1,\"skipped_invalid\":0,\"failed\":0}");
}

TEST_CASE("a plan line says what would happen to the row", "[import][results]") {
  const int64_t now_ms = 1'800'000'000'000;  // 2027-01-15T08:00Z
  ImportMemberResponse fresh = Outcome(true, "placeholder", kPhoneHashA, 1200);
  fresh.set_lot_expires_at_ms(1'806'530'400'000);  // 2027-03-31T22:00Z
  CHECK(FormatPlanLine(Row(2, "4000"), fresh, now_ms) ==
        "line 2: card 4000: enrol new member, link phone, 1200 points, lot "
        "expires 2027-03-31T22:00Z, available after 1200");

  ImportMemberResponse existing = Outcome(false, "m-7", "", 1);
  existing.set_lot_expires_at_ms(now_ms - 1);
  existing.mutable_balance()->set_available_points(0);
  CHECK(FormatPlanLine(Row(3, "4001"), existing, now_ms) ==
        "line 3: card 4001: credit member m-7, 1 point, lot expires "
        "2027-01-15T07:59Z (already past: they expire at once), available "
        "after 0");

  ImportMemberResponse replayed = Outcome(false, "m-8", "", 5);
  replayed.set_replayed(true);
  CHECK(FormatPlanLine(Row(4, "4002"), replayed, now_ms) ==
        "line 4: card 4002: already imported (nothing to do), member m-8");
  CHECK(FormatPlanJson(Row(4, "4002"), replayed) ==
        "{\"line\":4,\"card_number\":\"4002\",\"already_imported\":true,"
        "\"enrol\":false,\"member_id\":\"m-8\",\"link_phone\":false,"
        "\"points\":5,\"lot_expires_at_ms\":0,\"available_after_points\":5}");
}

TEST_CASE("rows that would link one phone to two members are found",
          "[import][results]") {
  std::vector<PhoneLink> links;
  auto add = [&links](int64_t line, const ImportMemberResponse& outcome) {
    std::optional<PhoneLink> link = PhoneLinkOf(line, outcome);
    if (link.has_value()) links.push_back(*link);
  };
  add(2, Outcome(true, "new-1", kPhoneHashA, 1));    // Takes phone A.
  add(3, Outcome(false, "m-5", kPhoneHashB, 1));     // Takes phone B.
  add(4, Outcome(false, "m-5", kPhoneHashB, 1));     // m-5's second card.
  add(5, Outcome(false, "m-6", kPhoneHashB, 1));     // B again, other member.
  add(6, Outcome(true, "new-2", kPhoneHashA, 1));    // A again, new member.
  add(7, Outcome(true, "new-3", "", 1));             // No phone.
  ImportMemberResponse replayed = Outcome(true, "m-9", kPhoneHashA, 1);
  replayed.set_replayed(true);  // Linked by an earlier run: stored already.
  add(8, replayed);
  REQUIRE(links.size() == 5);

  std::vector<RowProblem> problems = FindSharedPhones(links);
  REQUIRE(problems.size() == 2);
  CHECK(Problem(problems[0]).rfind(
            "f.csv:5: column phone: the same phone as line 3", 0) == 0);
  CHECK(Problem(problems[1]).rfind(
            "f.csv:6: column phone: the same phone as line 2", 0) == 0);
}

}  // namespace
}  // namespace loyalty::ctl
