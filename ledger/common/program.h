// File: ledger/common/program.h
//
// Loading and validating the loyalty program (proto/loyalty/v1/program.proto).
// Every error names the file, the field path and the problem, e.g.
//   program.textproto: earn_rates[1].currency: "EURO" is not an ISO 4217 code
// loyaltyd refuses to start on any of them.
#ifndef LOYALTY_LEDGER_COMMON_PROGRAM_H_
#define LOYALTY_LEDGER_COMMON_PROGRAM_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {

enum class ProgramFormat { kTextProto, kJson };

// Reads and validates `path`; the format follows the extension (.json is
// JSON, .textproto/.txtpb/.pbtxt are text format, anything else is an error).
// InvalidArgument for a malformed or invalid program, NotFound for a missing
// file.
absl::StatusOr<loyalty::v1::ProgramConfig> LoadProgramFile(
    const std::string& path);

// Parses and validates `text`; `source_name` prefixes every error message.
absl::StatusOr<loyalty::v1::ProgramConfig> ParseProgram(
    absl::string_view text, ProgramFormat format,
    absl::string_view source_name);

// OK, or InvalidArgument "field.path: problem" for the first problem found.
absl::Status ValidateProgram(const loyalty::v1::ProgramConfig& program);

// The program's time zone (UTC when unset). InvalidArgument naming
// time_zone when the zone is unknown (no tzdata entry).
absl::StatusOr<absl::TimeZone> ProgramTimeZone(
    const loyalty::v1::ProgramConfig& program);

// The engagement event `event_id`, or nullptr.
const loyalty::v1::EngagementEvent* FindEvent(
    const loyalty::v1::ProgramConfig& program, absl::string_view event_id);

// InvalidArgument when the program has no such event or the event may not
// be recorded through the request's channel.
absl::Status CheckEventKnown(const loyalty::v1::ProgramConfig& program,
                             const loyalty::v1::RecordEventRequest& request);

// How far before the server's clock an event's occurred_at may lie
// (event_age_max_hours with its default applied), in milliseconds.
int64_t EventAgeMaxMs(const loyalty::v1::ProgramConfig& program);

// The program's hold limits with their defaults applied.
int64_t HoldTimeoutMaxMs(const loyalty::v1::ProgramConfig& program);
int HoldsPerMemberMax(const loyalty::v1::ProgramConfig& program);

// The earn rate of `currency`, or nullptr when the program has none.
const loyalty::v1::EarnRate* FindEarnRate(
    const loyalty::v1::ProgramConfig& program, absl::string_view currency);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COMMON_PROGRAM_H_
