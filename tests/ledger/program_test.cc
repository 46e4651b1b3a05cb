// Loading and validating the program (ledger/common/program.h): every error names
// the source, the field path and the problem.
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "catch2/catch.hpp"
#include "ledger/common/program.h"
#include "ledger/common/validation.h"
#include "ledger_test_util.h"

namespace loyalty {
namespace {

using testing::TempDir;

const std::string kHash64(64, 'a');

// A valid program in text format; tests edit it with StrReplaceAll.
std::string ValidText() {
  return absl::StrCat(R"pb(
program_id: "demo"
display_name: "Demo"
earn_rates {
  rule_id: "base-eur"
  currency: "EUR"
  spend_minor_per_step: 100
  points_per_step: 1
}
earn_rates {
  rule_id: "base-usd"
  currency: "USD"
  spend_minor_per_step: 100
  points_per_step: 1
}
)pb");
}

absl::StatusOr<v1::ProgramConfig> ParseText(const std::string& text) {
  return ParseProgram(text, ProgramFormat::kTextProto, "test.textproto");
}

// Parses `text`, requires INVALID_ARGUMENT, and returns the message.
std::string RejectionOf(const std::string& text) {
  auto parsed = ParseText(text);
  INFO(text);
  REQUIRE(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

std::string Edit(const std::string& from, const std::string& to) {
  std::string text = ValidText();
  REQUIRE(absl::StrContains(text, from));
  return absl::StrReplaceAll(text, {{from, to}});
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
  REQUIRE(out.good());
}

TEST_CASE("a valid text-format program parses", "[program]") {
  auto parsed = ParseText(ValidText());
  INFO(parsed.status().ToString());
  REQUIRE(parsed.ok());
  CHECK(parsed->program_id() == "demo");
  REQUIRE(parsed->earn_rates_size() == 2);
  const v1::EarnRate* usd = FindEarnRate(*parsed, "USD");
  REQUIRE(usd != nullptr);
  CHECK(usd->rule_id() == "base-usd");
  CHECK(FindEarnRate(*parsed, "JPY") == nullptr);
}

TEST_CASE("an unknown currency is named by its field path", "[program]") {
  std::string message = RejectionOf(Edit("\"EUR\"", "\"EURO\""));
  CHECK(absl::StartsWith(message, "test.textproto: "));
  CHECK(absl::StrContains(message, "earn_rates[0].currency"));
  CHECK(absl::StrContains(message, "EURO"));
  // The second rate's path is [1].
  CHECK(absl::StrContains(RejectionOf(Edit("\"USD\"", "\"usd\"")),
                          "earn_rates[1].currency"));
}

TEST_CASE("a duplicate rule id is rejected", "[program]") {
  std::string message = RejectionOf(Edit("base-usd", "base-eur"));
  CHECK(absl::StrContains(message, "earn_rates[1].rule_id"));
}

TEST_CASE("a second earn rate for one currency is rejected", "[program]") {
  std::string message = RejectionOf(Edit("\"USD\"", "\"EUR\""));
  CHECK(absl::StrContains(message, "earn_rates[1].currency"));
}

TEST_CASE("a non-positive step is rejected", "[program]") {
  for (const char* step : {"0", "-100"}) {
    std::string text = ValidText();
    size_t at = text.find("spend_minor_per_step: 100");
    text.replace(at, std::string("spend_minor_per_step: 100").size(),
                 absl::StrCat("spend_minor_per_step: ", step));
    CHECK(absl::StrContains(RejectionOf(text),
                            "earn_rates[0].spend_minor_per_step"));
  }
}

TEST_CASE("points per step must lie in 0..10^6", "[program]") {
  std::string text = ValidText();
  size_t at = text.find("points_per_step: 1");
  text.replace(at, std::string("points_per_step: 1").size(),
               "points_per_step: 1000001");
  CHECK(absl::StrContains(RejectionOf(text), "earn_rates[0].points_per_step"));

  text = ValidText();
  at = text.find("points_per_step: 1");
  text.replace(at, std::string("points_per_step: 1").size(),
               "points_per_step: 0");
  auto zero = ParseText(text);  // A currency that earns nothing is allowed.
  INFO(zero.status().ToString());
  CHECK(zero.ok());
}

TEST_CASE("a program without earn rates is rejected", "[program]") {
  CHECK(absl::StrContains(RejectionOf("program_id: \"p\""), "earn_rates"));
}

TEST_CASE("a bad program id is rejected", "[program]") {
  CHECK(absl::StrContains(RejectionOf(Edit("\"demo\"", "\"de mo\"")),
                          "program_id"));
  CHECK(absl::StrContains(RejectionOf(Edit("program_id: \"demo\"", "")),
                          "program_id"));
}

TEST_CASE("a program that still lists API keys is refused, saying where "
          "keys went",
          "[program]") {
  const std::string old_key = absl::StrCat(
      "api_keys { principal: \"pos\" key_sha256_hex: \"", kHash64, "\" }\n");
  std::string message = RejectionOf(ValidText() + old_key);
  INFO(message);
  CHECK(absl::StrContains(message, "api_keys"));
  CHECK(absl::StrContains(message, "--keys-file"));

  auto json = ParseProgram(
      R"({"programId": "demo", "apiKeys": [{"principal": "pos"}]})",
      ProgramFormat::kJson, "p.json");
  REQUIRE(json.status().code() == absl::StatusCode::kInvalidArgument);
  INFO(json.status().message());
  CHECK(absl::StrContains(json.status().message(), "--keys-file"));
}

TEST_CASE("an unknown text-format field is reported with line and column",
          "[program]") {
  std::string message = RejectionOf("program_id: \"p\"\n  bogus_field: 1\n");
  INFO(message);
  // Lines count from 1 (the parser's 0 is line 1). The column is where the
  // parser noticed, which is just past the field name.
  CHECK(absl::StartsWith(message, "test.textproto: line 2 column "));
  CHECK_FALSE(absl::StartsWith(message, "test.textproto: line 2 column 0"));
  CHECK(absl::StrContains(message, "bogus_field"));
}

TEST_CASE("a JSON program parses, and an unknown JSON field is rejected",
          "[program]") {
  std::string json = absl::StrCat(
      R"({"programId": "demo", "earnRates": [{"ruleId": "base-eur",
          "currency": "EUR", "spendMinorPerStep": "100", "pointsPerStep": "1"}]})");
  auto parsed = ParseProgram(json, ProgramFormat::kJson, "p.json");
  INFO(parsed.status().ToString());
  REQUIRE(parsed.ok());
  CHECK(parsed->earn_rates(0).spend_minor_per_step() == 100);

  auto unknown = ParseProgram(R"({"programId": "demo", "bogus": 1})",
                              ProgramFormat::kJson, "p.json");
  REQUIRE(unknown.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(unknown.status().message(), "p.json: "));
}

TEST_CASE("loading a missing program file is not found", "[program]") {
  TempDir dir;
  auto loaded = LoadProgramFile(dir.path() + "/absent.textproto");
  REQUIRE(loaded.status().code() == absl::StatusCode::kNotFound);
  CHECK(absl::StrContains(loaded.status().message(), "absent.textproto"));
}

TEST_CASE("loading a file with an unknown extension is an invalid argument",
          "[program]") {
  TempDir dir;
  std::string path = dir.path() + "/program.yaml";
  WriteFile(path, ValidText());
  auto loaded = LoadProgramFile(path);
  REQUIRE(loaded.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(loaded.status().message(), "program.yaml"));
}

TEST_CASE("program files load by extension and prefix errors with the path",
          "[program]") {
  TempDir dir;
  for (const char* extension : {".textproto", ".txtpb", ".pbtxt"}) {
    std::string path = absl::StrCat(dir.path(), "/program", extension);
    WriteFile(path, ValidText());
    auto loaded = LoadProgramFile(path);
    INFO(path << ": " << loaded.status().ToString());
    CHECK(loaded.ok());
  }
  std::string bad = dir.path() + "/bad.textproto";
  WriteFile(bad, Edit("\"EUR\"", "\"EURO\""));
  auto loaded = LoadProgramFile(bad);
  REQUIRE(loaded.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(loaded.status().message(),
                         bad + ": earn_rates[0].currency"));
}

TEST_CASE("the points policy is checked field by field", "[program][points]") {
  struct Case {
    const char* setting;
    const char* field;
  };
  for (const Case& c : {
           Case{"return_window_days: -1", "return_window_days"},
           Case{"return_window_days: 366", "return_window_days"},
           Case{"expiry { months_after_earn: 0 }", "expiry.months_after_earn"},
           Case{"expiry { months_after_earn: 121 }",
                "expiry.months_after_earn"},
           Case{"expiry { years_after_earn_year_end: -1 }",
                "expiry.years_after_earn_year_end"},
           Case{"expiry { years_after_earn_year_end: 11 }",
                "expiry.years_after_earn_year_end"},
           Case{"hold_timeout_max_ms: 999", "hold_timeout_max_ms"},
           Case{"hold_timeout_max_ms: 604800001", "hold_timeout_max_ms"},
           Case{"holds_per_member_max: -1", "holds_per_member_max"},
           Case{"holds_per_member_max: 101", "holds_per_member_max"},
           Case{"return_policy: RETURN_POLICY_ALLOW_NEGATIVE_BALANCE",
                "negative_balance_floor_points"},
           Case{"return_policy: RETURN_POLICY_ALLOW_NEGATIVE_BALANCE "
                "negative_balance_floor_points: -1000000001",
                "negative_balance_floor_points"},
           Case{"return_policy: RETURN_POLICY_FORGIVE_SHORTFALL "
                "negative_balance_floor_points: -10",
                "negative_balance_floor_points"},
       }) {
    std::string message =
        RejectionOf(absl::StrCat(ValidText(), c.setting, "\n"));
    INFO(c.setting << " -> " << message);
    CHECK(absl::StrContains(message, absl::StrCat("test.textproto: ", c.field)));
  }
  for (const char* setting :
       {"return_window_days: 0", "return_window_days: 365",
        "expiry { months_after_earn: 1 }", "expiry { months_after_earn: 120 }",
        "expiry { years_after_earn_year_end: 0 }",
        "expiry { years_after_earn_year_end: 10 }", "hold_timeout_max_ms: 0",
        "hold_timeout_max_ms: 1000", "hold_timeout_max_ms: 604800000",
        "holds_per_member_max: 100",
        "return_policy: RETURN_POLICY_REVERSE_PENDING_ONLY",
        "return_policy: RETURN_POLICY_ALLOW_NEGATIVE_BALANCE "
        "negative_balance_floor_points: -1000000000"}) {
    auto parsed = ParseText(absl::StrCat(ValidText(), setting, "\n"));
    INFO(setting << " -> " << parsed.status().ToString());
    CHECK(parsed.ok());
  }
  auto defaults = ParseText(ValidText());
  REQUIRE(defaults.ok());
  CHECK(HoldTimeoutMaxMs(*defaults) == 24ll * 3600 * 1000);
  CHECK(HoldsPerMemberMax(*defaults) == 10);
}

TEST_CASE("the sample program in deploy/ loads", "[program]") {
  auto loaded = LoadProgramFile(std::string(LOYALTY_SOURCE_DIR) +
                                "/deploy/program.sample.textproto");
  INFO(loaded.status().ToString());
  REQUIRE(loaded.ok());
  CHECK(loaded->program_id() == "demo-retail");
  CHECK(FindEarnRate(*loaded, "EUR") != nullptr);
}

TEST_CASE("the test program used by the ledger tests is valid", "[program]") {
  absl::Status test_program = ValidateProgram(testing::TestProgram());
  INFO(test_program.ToString());
  CHECK(test_program.ok());
  absl::Status mega_program = ValidateProgram(testing::MegaProgram());
  INFO(mega_program.ToString());
  CHECK(mega_program.ok());
}

}  // namespace
}  // namespace loyalty

namespace loyalty {
namespace {

// Found by the program fuzzer: a rule id that is not UTF-8 was accepted,
// copied into every EARN entry's breakdown, and made those entries unreadable.
TEST_CASE("a rule id that is not a plain id is rejected before it can reach "
          "an entry",
          "[program][regression]") {
  std::string latin1 = RejectionOf(Edit("base-usd", "caf\xe9"));
  CHECK(absl::StrContains(latin1, "earn_rates[1].rule_id"));
  CHECK(absl::StrContains(RejectionOf(Edit("base-usd", "base usd")),
                          "earn_rates[1].rule_id"));
}

TEST_CASE("a display name that is not UTF-8 is rejected", "[program]") {
  std::string text =
      Edit("display_name: \"Demo\"", "display_name: \"Caf\\351 Rewards\"");
  CHECK(absl::StrContains(RejectionOf(text), "display_name"));
  std::string fine =
      Edit("display_name: \"Demo\"", "display_name: \"Café Rewards\"");
  CHECK(ParseText(fine).ok());
}

TEST_CASE("UTF-8 validation refuses truncated, overlong and surrogate "
          "sequences",
          "[validation]") {
  CHECK(IsValidUtf8("plain ascii"));
  CHECK(IsValidUtf8("Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\x81"));
  CHECK_FALSE(IsValidUtf8("caf\xe9"));              // Latin-1 byte.
  CHECK_FALSE(IsValidUtf8("\xc3"));                 // Truncated.
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));             // Overlong '/'.
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));         // Surrogate U+D800.
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));     // Past U+10FFFF.
}

}  // namespace
}  // namespace loyalty
