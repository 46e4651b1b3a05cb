// File: ledger/program.h
//
// Loading and validating the loyalty program (proto/loyalty/v1/program.proto).
// Every error names the file, the field path and the problem, e.g.
//   program.textproto: earn_rates[1].currency: "EURO" is not an ISO 4217 code
// loyaltyd refuses to start on any of them.
#ifndef LOYALTY_LEDGER_PROGRAM_H_
#define LOYALTY_LEDGER_PROGRAM_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

// The earn rate of `currency`, or nullptr when the program has none.
const loyalty::v1::EarnRate* FindEarnRate(
    const loyalty::v1::ProgramConfig& program, absl::string_view currency);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_PROGRAM_H_
