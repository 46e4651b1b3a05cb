// File: clients/loyaltyctl/flag_checks.h
//
// CLI11 validators for loyaltyctl's flags. A failed check makes CLI11 throw a
// CLI::ValidationError whose message is "<flag>: <problem>", which main()
// reports as bad input (exit 2) before anything is sent.
//
// Only the shape of a value is checked here (is it an integer, is it empty).
// Range rules of the contract (points 1..10^15, page size at most 500) are
// the server's, so the CLI cannot drift from it; the server answers
// INVALID_ARGUMENT naming the field.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_FLAG_CHECKS_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_FLAG_CHECKS_H_

#include <CLI/CLI.hpp>
#include <cstdint>

namespace loyalty::ctl {

// Accepts a decimal integer in [value_min, value_max] and rewrites it to its
// canonical digits. Use with Option::transform on every integer flag: CLI11
// itself converts with strtoll base 0, which would read "010" as 8 and accept
// "0x10"; after this transform it only ever sees plain decimal.
CLI::Validator DecimalIntegerCheck(int64_t value_min, int64_t value_max);

// Accepts a value that may travel as gRPC ASCII metadata: printable ASCII.
// The error never echoes the value, since it is a secret.
CLI::Validator MetadataValueCheck();

// Rejects an empty value, for flags where "absent" has a meaning of its own
// (a generated request id, no card), so an explicit "" is surely a mistake.
CLI::Validator NotEmptyCheck();

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_FLAG_CHECKS_H_
