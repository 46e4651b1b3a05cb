// Engagement events (RecordEvent): points for named non-purchase events,
// with windows, channels, once-ever and per-day limits counted in the
// program's time zone, the same idempotency as every mutation, and replay.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "ledger/common/program.h"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using testing::kApp;
using testing::kPos;
using testing::kStartMs;
using testing::TestLedger;
using v1::ProgramConfig;
using v1::RecordEventRequest;

constexpr int64_t kHourMs = 3600 * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;

// kStartMs is 2023-11-14T22:13:20Z: 2023-11-15 06:13:20 in Taipei (UTC+8).
// Taipei's next midnight is 17 h 46 min 40 s later.
constexpr int64_t kToTaipeiMidnightMs = 17 * kHourMs + 46 * 60'000 + 40'000;

ProgramConfig EventsProgram() {
  ProgramConfig program = testing::TestProgram();
  program.set_time_zone("Asia/Taipei");
  auto* survey = program.add_engagement_events();
  survey->set_event_id("survey");
  survey->set_description("Feedback survey after a visit");
  survey->set_points(20);
  survey->set_max_per_day(2);
  auto* install = program.add_engagement_events();
  install->set_event_id("app-install");
  install->set_points(500);
  install->set_max_per_member(1);
  install->add_channels(v1::CHANNEL_APP);
  auto* qr = program.add_engagement_events();
  qr->set_event_id("qr-autumn");
  qr->set_points(5);
  qr->set_starts_at_ms(kStartMs + kDayMs);
  qr->set_ends_at_ms(kStartMs + 2 * kDayMs);
  return program;
}

RecordEventRequest Event(const std::string& request_id,
                         const std::string& event_id,
                         const std::string& member_id = "ann") {
  RecordEventRequest request;
  *request.mutable_context() = testing::AppContext(request_id);
  request.set_member_id(member_id);
  request.set_event_id(event_id);
  return request;
}

absl::StatusOr<v1::RecordEventResponse> Record(TestLedger& ledger,
                                               RecordEventRequest request) {
  return testing::RecordEvent(ledger.ledger(), kApp, std::move(request));
}

TEST_CASE("an engagement event grants its points as an EVENT entry",
          "[events]") {
  TestLedger ledger(EventsProgram());
  ledger.EnrollOk("ann");
  RecordEventRequest request = Event("ev-1", "survey");
  request.set_reference("survey-response-77");
  auto recorded = Record(ledger, request);
  REQUIRE_OK(recorded);
  CHECK(recorded->points_earned() == 20);
  CHECK(recorded->entry().kind() == v1::ENTRY_KIND_EVENT);
  CHECK(recorded->entry().event_id() == "survey");
  CHECK(recorded->entry().event_reference() == "survey-response-77");
  CHECK(recorded->balance().available_points() == 20);
  CHECK(recorded->balance().earned_points_total() == 20);
  // The same request again is a replay that writes nothing.
  auto before = testing::DumpStore(ledger.store());
  auto again = Record(ledger, request);
  REQUIRE_OK(again);
  CHECK(again->replayed());
  CHECK(again->entry().sequence() == recorded->entry().sequence());
  CHECK(testing::DumpStore(ledger.store()) == before);
  ledger.RequireVerifyOk();
}

TEST_CASE("a once-ever event is refused the second time, and the refusal is "
          "remembered",
          "[events]") {
  TestLedger ledger(EventsProgram());
  ledger.EnrollOk("ann");
  REQUIRE_OK(Record(ledger, Event("install-1", "app-install")));
  auto second = Record(ledger, Event("install-2", "app-install"));
  CHECK(absl::IsFailedPrecondition(second.status()));
  CHECK(ReasonOf(second.status()) == v1::ERROR_REASON_EVENT_LIMIT_REACHED);
  CHECK(absl::StrContains(second.status().message(), "1 per member"));
  // Retried, the same answer, nothing new written.
  auto before = testing::DumpStore(ledger.store());
  auto retried = Record(ledger, Event("install-2", "app-install"));
  CHECK(retried.status() == second.status());
  CHECK(testing::DumpStore(ledger.store()) == before);
  CHECK(ledger.Available("ann") == 500);
}

TEST_CASE("a daily limit counts days in the program's time zone",
          "[events]") {
  TestLedger ledger(EventsProgram());
  ledger.EnrollOk("ann");
  REQUIRE_OK(Record(ledger, Event("s-1", "survey")));
  REQUIRE_OK(Record(ledger, Event("s-2", "survey")));
  auto third = Record(ledger, Event("s-3", "survey"));
  CHECK(ReasonOf(third.status()) == v1::ERROR_REASON_EVENT_LIMIT_REACHED);
  CHECK(absl::StrContains(third.status().message(), "2 per day"));
  // One second before Taipei's midnight: still the same day there (in UTC
  // the day changed hours ago).
  ledger.clock().AdvanceMs(kToTaipeiMidnightMs - 1000);
  CHECK(ReasonOf(Record(ledger, Event("s-4", "survey")).status()) ==
        v1::ERROR_REASON_EVENT_LIMIT_REACHED);
  // At midnight in Taipei: a new day.
  ledger.clock().AdvanceMs(1000);
  auto next_day = Record(ledger, Event("s-5", "survey"));
  REQUIRE_OK(next_day);
  CHECK(next_day->entry().event_day() ==
        Record(ledger, Event("s-1", "survey"))->entry().event_day() + 1);
  CHECK(ledger.Available("ann") == 60);
  ledger.RequireVerifyOk();
}

TEST_CASE("an event outside its window is refused as not active",
          "[events]") {
  TestLedger ledger(EventsProgram());
  ledger.EnrollOk("ann");
  auto early = Record(ledger, Event("qr-1", "qr-autumn"));
  CHECK(ReasonOf(early.status()) == v1::ERROR_REASON_EVENT_NOT_ACTIVE);
  ledger.clock().AdvanceMs(kDayMs);  // The window opens: inclusive.
  REQUIRE_OK(Record(ledger, Event("qr-2", "qr-autumn")));
  ledger.clock().AdvanceMs(kDayMs);  // The window closes: exclusive.
  CHECK(ReasonOf(Record(ledger, Event("qr-3", "qr-autumn")).status()) ==
        v1::ERROR_REASON_EVENT_NOT_ACTIVE);
  // Sent later by an offline channel, the time it happened decides.
  RecordEventRequest late = Event("qr-4", "qr-autumn");
  late.mutable_context()->set_occurred_at_ms(kStartMs + kDayMs + kHourMs);
  REQUIRE_OK(Record(ledger, late));
}

TEST_CASE("an unknown event, a channel the event does not allow, and a bad "
          "member are refused and change nothing",
          "[events]") {
  TestLedger ledger(EventsProgram());
  ledger.EnrollOk("ann");
  auto before = testing::DumpStore(ledger.store());
  auto unknown = Record(ledger, Event("u-1", "tweet"));
  CHECK(absl::IsInvalidArgument(unknown.status()));
  CHECK(absl::StrContains(unknown.status().message(), "event_id"));
  RecordEventRequest at_till = Event("u-2", "app-install");
  *at_till.mutable_context() = testing::PosContext("u-2");
  auto refused = testing::RecordEvent(ledger.ledger(), kPos, at_till);
  CHECK(absl::IsInvalidArgument(refused.status()));
  CHECK(absl::StrContains(refused.status().message(), "CHANNEL_POS"));
  RecordEventRequest bad_reference = Event("u-3", "survey");
  bad_reference.set_reference(std::string(65, 'x'));
  CHECK(absl::IsInvalidArgument(Record(ledger, bad_reference).status()));
  CHECK(testing::DumpStore(ledger.store()) == before);
  CHECK(absl::IsNotFound(Record(ledger, Event("u-4", "survey", "bob")).status()));
}

TEST_CASE("event counts survive a reopen and Verify replays them",
          "[events][verify]") {
  TestLedger ledger(EventsProgram());
  ledger.EnrollOk("ann");
  REQUIRE_OK(Record(ledger, Event("i-1", "app-install")));
  ledger.Reopen();
  CHECK(ReasonOf(Record(ledger, Event("i-2", "app-install")).status()) ==
        v1::ERROR_REASON_EVENT_LIMIT_REACHED);
  ledger.RequireVerifyOk();
  // A member record that forgot the install would allow a second one.
  auto bytes = ledger.store().Get(Family::kMembers, MemberKey("ann"));
  REQUIRE_OK(bytes);
  storage::v1::MemberRecord member;
  REQUIRE(member.ParseFromString(*bytes));
  REQUIRE(member.event_counts_size() == 1);
  member.clear_event_counts();
  ledger.store().PutRaw(Family::kMembers, MemberKey("ann"),
                        member.SerializeAsString());
  auto verified = ledger.ledger().Verify();
  REQUIRE_OK(verified);
  CHECK_FALSE(verified->ok());
}

TEST_CASE("events and the time zone are validated in the program",
          "[events][program]") {
  auto rejection = [](auto edit) {
    ProgramConfig program = EventsProgram();
    edit(program);
    absl::Status status = ValidateProgram(program);
    REQUIRE(absl::IsInvalidArgument(status));
    return std::string(status.message());
  };
  CHECK(absl::StrContains(
      rejection([](ProgramConfig& p) { p.set_time_zone("Mars/Olympus"); }),
      "time_zone: unknown time zone \"Mars/Olympus\""));
  CHECK(absl::StrContains(rejection([](ProgramConfig& p) {
                            p.mutable_engagement_events(0)->set_points(0);
                          }),
                          "engagement_events[0].points"));
  CHECK(absl::StrContains(rejection([](ProgramConfig& p) {
                            p.mutable_engagement_events(2)->set_ends_at_ms(
                                kStartMs);
                          }),
                          "engagement_events[2].ends_at_ms"));
  CHECK(absl::StrContains(rejection([](ProgramConfig& p) {
                            p.mutable_engagement_events(1)->set_event_id(
                                "base-eur");
                          }),
                          "used by an earlier rule"));
  CHECK(absl::StrContains(rejection([](ProgramConfig& p) {
                            p.mutable_engagement_events(0)->set_max_per_day(-1);
                          }),
                          "engagement_events[0].max_per_day"));
  ProgramConfig utc = EventsProgram();
  utc.clear_time_zone();
  CHECK(ValidateProgram(utc).ok());
}

}  // namespace
}  // namespace loyalty
