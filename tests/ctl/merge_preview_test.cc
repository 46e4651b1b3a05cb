// Tests of what `loyaltyctl merge` shows before asking
// (clients/loyaltyctl/merge_preview.h): the target's points and identifiers
// after the merge add up, a debt nets out, a sum past int64 is never
// wrapped, and the tier it forecasts from two member reads.
#include "clients/loyaltyctl/merge_preview.h"

#include <cstdint>
#include <sstream>
#include <string>

#include "catch2/catch.hpp"

namespace loyalty::ctl {
namespace {

using loyalty::v1::Member;

Member MemberWith(const std::string& member_id, int64_t available_points,
                  int64_t pending_points, int64_t held_points,
                  int identifier_count) {
  Member member;
  member.set_member_id(member_id);
  member.set_status(loyalty::v1::MEMBER_STATUS_ACTIVE);
  member.mutable_balance()->set_member_id(member_id);
  member.mutable_balance()->set_available_points(available_points);
  member.mutable_balance()->set_pending_points(pending_points);
  member.mutable_balance()->set_held_points(held_points);
  for (int i = 0; i < identifier_count; ++i) {
    loyalty::v1::MemberIdentifier* identifier = member.add_identifiers();
    identifier->set_kind(loyalty::v1::IDENTIFIER_KIND_APP_USER_ID);
    identifier->set_value(member_id + "-app-" + std::to_string(i));
  }
  return member;
}

// A tier as GetMember reports it: the next tier up and how far it is.
void SetTier(Member* member, const std::string& tier_id,
             int64_t qualifying_amount, const std::string& next_tier_id,
             int64_t to_next_tier) {
  loyalty::v1::TierStatus* tier = member->mutable_tier();
  tier->set_tier_id(tier_id);
  tier->set_qualifying_amount(qualifying_amount);
  tier->set_next_tier_id(next_tier_id);
  tier->set_to_next_tier(to_next_tier);
}

TEST_CASE("the forecast adds up both members' points and identifiers",
          "[ctl][merge]") {
  const Member source = MemberWith("card-1", 1500, 50, 20, 1);
  const Member target = MemberWith("app-1", 700, 30, 5, 2);
  const MergeForecast after = ForecastMerge(source, target);
  CHECK(after.identifier_count == 3);
  CHECK(after.available_points == 2200);
  CHECK(after.pending_points == 80);
  CHECK(after.held_points == 25);
  CHECK(after.tier_label.empty());  // The program has no tiers.
}

TEST_CASE("a source's debt nets out against the target's points",
          "[ctl][merge]") {
  CHECK(ForecastMerge(MemberWith("card-1", -300, 0, 0, 1),
                      MemberWith("app-1", 200, 0, 0, 1))
            .available_points == -100);
  CHECK(ForecastMerge(MemberWith("card-1", -300, 0, 0, 1),
                      MemberWith("app-1", 700, 0, 0, 1))
            .available_points == 400);
}

TEST_CASE("a sum past the largest int64 is too large, never wrapped",
          "[ctl][merge]") {
  const Member source = MemberWith("card-1", INT64_MAX, INT64_MAX - 1, 1, 1);
  const Member target = MemberWith("app-1", 1, 1, INT64_MAX - 1, 1);
  const MergeForecast after = ForecastMerge(source, target);
  CHECK_FALSE(after.available_points.has_value());
  CHECK(after.pending_points == INT64_MAX);
  CHECK(after.held_points == INT64_MAX);
  std::ostringstream out;
  PrintMergePreview(out, source, target);
  CHECK(out.str().find("too large") != std::string::npos);
}

TEST_CASE("the target keeps the higher of the two tiers", "[ctl][merge]") {
  Member source = MemberWith("card-1", 0, 0, 0, 1);
  Member target = MemberWith("app-1", 0, 0, 0, 1);
  SECTION("the same tier") {
    SetTier(&source, "silver", 1100, "gold", 3900);
    SetTier(&target, "silver", 1200, "gold", 3800);
    CHECK(ForecastMerge(source, target).tier_label == "silver");
  }
  SECTION("the source's tier is right above the target's") {
    SetTier(&source, "silver", 1100, "gold", 3900);
    SetTier(&target, "member", 100, "silver", 900);
    CHECK(ForecastMerge(source, target).tier_label == "silver");
  }
  SECTION("the target's tier is right above the source's") {
    SetTier(&source, "member", 100, "silver", 900);
    SetTier(&target, "silver", 1100, "gold", 3900);
    CHECK(ForecastMerge(source, target).tier_label == "silver");
  }
  SECTION("a top tier ranks highest") {
    SetTier(&source, "member", 10, "silver", 990);
    SetTier(&target, "gold", 100, "", 0);
    CHECK(ForecastMerge(source, target).tier_label == "gold");
  }
  SECTION("tiers further apart than the reads tell") {
    SetTier(&source, "member", 10, "silver", 990);
    SetTier(&target, "gold", 5100, "platinum", 4900);
    CHECK(ForecastMerge(source, target).tier_label ==
          "the higher of member and gold");
  }
}

TEST_CASE("summed qualifying amounts can reach the next tier", "[ctl][merge]") {
  Member source = MemberWith("card-1", 0, 0, 0, 1);
  Member target = MemberWith("app-1", 0, 0, 0, 1);
  // Silver at 1000 qualifying: 600 + 400 reach it, 600 + 399 do not.
  SetTier(&source, "member", 600, "silver", 400);
  SetTier(&target, "member", 400, "silver", 600);
  MergeForecast after = ForecastMerge(source, target);
  CHECK(after.qualifying_amount == 1000);
  CHECK(after.tier_label == "at least silver");
  SetTier(&target, "member", 399, "silver", 601);
  after = ForecastMerge(source, target);
  CHECK(after.qualifying_amount == 999);
  CHECK(after.tier_label == "member");
}

TEST_CASE("the preview shows source, target and the target after, aligned",
          "[ctl][merge]") {
  Member source = MemberWith("card-1", 1500, 50, 0, 1);
  Member target = MemberWith("app-1", 700, 0, 0, 2);
  std::ostringstream out;
  PrintMergePreview(out, source, target);
  const std::string text = out.str();
  CHECK(text.find("Everything card-1 has moves to app-1") == 0);
  CHECK(text.find("card-1 stays an alias of app-1 for good.") !=
        std::string::npos);
  CHECK(text.find("        MEMBER  STATUS  IDENTIFIERS  AVAILABLE  PENDING  "
                  "HELD\n"
                  "source  card-1  active            1       1500       50  "
                  "   0\n"
                  "target  app-1   active            2        700        0  "
                  "   0\n"
                  "after   app-1   active            3       2200       50  "
                  "   0\n") != std::string::npos);
  CHECK(text.find("TIER") == std::string::npos);

  SetTier(&source, "silver", 1100, "gold", 3900);
  SetTier(&target, "member", 100, "silver", 900);
  out.str("");
  PrintMergePreview(out, source, target);
  CHECK(out.str().find("after   app-1   active            3       2200       "
                       "50     0  silver, 1200 qualifying\n") !=
        std::string::npos);
}

}  // namespace
}  // namespace loyalty::ctl
