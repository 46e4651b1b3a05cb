// File: tests/fuzz/program_fuzz.cc
//
// Fuzzes the program-config parser (ledger/common/program.h). The input bytes are
// parsed twice, as text format and as JSON; loyaltyd reads either from disk.
// A parse must fail only with INVALID_ARGUMENT prefixed by the source name.
// When a parse succeeds:
//   - ValidateProgram accepts the program (ParseProgram validated it);
//   - printing it as text format and as JSON and parsing that again gives an
//     equal program (what loyaltyctl or an operator writes back is what was
//     loaded);
//   - FindEarnRate finds each rate by its currency (currencies are unique);
//   - every rate can earn: ComputeEarn on a one-line basket returns
//     floor(spend / step) x points_per_step, and the breakdown line it makes
//     (stored inside every EARN entry) survives serialization, so the ledger
//     can read back the entries this program makes it write.
#include <cstdint>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "ledger/points/earn_rules.h"
#include "ledger/common/program.h"
#include "ledger/common/status_util.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {
namespace {

using google::protobuf::util::MessageDifferencer;
using v1::ProgramConfig;

constexpr absl::string_view kSource = "fuzz.program";

// The basket every rate is tried with: 3 x 4,321.07 in any currency.
constexpr int64_t kQuantity = 3;
constexpr int64_t kUnitPriceMinor = 432'107;

void CheckReparses(const ProgramConfig& program, absl::string_view printed,
                   ProgramFormat format) {
  absl::StatusOr<ProgramConfig> again = ParseProgram(printed, format, kSource);
  LEDGER_CHECK(again.ok());
  LEDGER_CHECK(MessageDifferencer::Equals(program, *again));
}

void CheckEarns(const ProgramConfig& program, const v1::EarnRate& rate) {
  v1::EarnRequest request;
  request.set_currency(rate.currency());
  v1::BasketLine* line = request.add_lines();
  line->set_sku("sku-1");
  line->set_quantity(kQuantity);
  line->set_unit_price_minor(kUnitPriceMinor);

  absl::StatusOr<EarnComputation> earn = ComputeEarn(program, request, request.context().occurred_at_ms());
  LEDGER_CHECK(earn.ok());
  const int64_t spend = kQuantity * kUnitPriceMinor;
  LEDGER_CHECK(earn->spend_minor == spend);
  // Fits: the step count is at most `spend`, points_per_step at most 10^6.
  absl::int128 points = absl::int128(spend / rate.spend_minor_per_step()) *
                        rate.points_per_step();
  LEDGER_CHECK(absl::int128(earn->points) == points);
  LEDGER_CHECK(earn->breakdown.size() == 1);

  // Invariant: what an EARN entry stores can be parsed back. (A proto3
  // string that is not UTF-8 serializes, but then fails to parse.)
  const v1::EarnBreakdownLine& breakdown = earn->breakdown[0];
  LEDGER_CHECK(breakdown.rule_id() == rate.rule_id());
  std::string bytes;
  LEDGER_CHECK(breakdown.SerializeToString(&bytes));
  v1::EarnBreakdownLine stored;
  LEDGER_CHECK(stored.ParseFromString(bytes));
  LEDGER_CHECK(MessageDifferencer::Equals(breakdown, stored));
}

void CheckProgram(const ProgramConfig& program) {
  LEDGER_CHECK(ValidateProgram(program).ok());

  // What the ledger does with the program first, the round trips after.
  for (const v1::EarnRate& rate : program.earn_rates()) {
    LEDGER_CHECK(FindEarnRate(program, rate.currency()) == &rate);
    CheckEarns(program, rate);
  }

  std::string text;
  LEDGER_CHECK(google::protobuf::TextFormat::PrintToString(program, &text));
  CheckReparses(program, text, ProgramFormat::kTextProto);

  std::string json;
  LEDGER_CHECK(
      google::protobuf::util::MessageToJsonString(program, &json).ok());
  CheckReparses(program, json, ProgramFormat::kJson);
}

void FuzzOne(absl::string_view bytes, ProgramFormat format) {
  absl::StatusOr<ProgramConfig> program = ParseProgram(bytes, format, kSource);
  if (!program.ok()) {
    LEDGER_CHECK(program.status().code() == absl::StatusCode::kInvalidArgument);
    LEDGER_CHECK(absl::StartsWith(program.status().message(), kSource));
    return;
  }
  CheckProgram(*program);
}

}  // namespace
}  // namespace loyalty

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Program files are small; bigger inputs only slow the fuzzer down.
  if (size > (64u << 10)) return 0;
  // Fuzz inputs teem with invalid UTF-8, which libprotobuf logs as an error
  // on every parse; the checks below say what matters.
  google::protobuf::LogSilencer quiet;
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  loyalty::FuzzOne(bytes, loyalty::ProgramFormat::kTextProto);
  loyalty::FuzzOne(bytes, loyalty::ProgramFormat::kJson);
  return 0;
}
