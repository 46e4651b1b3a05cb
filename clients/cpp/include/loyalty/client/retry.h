// File: loyalty/client/retry.h
//
// The pauses between attempts of one call: capped exponential backoff with
// full jitter. Pure functions of the policy and a random generator, so tests
// check the bounds with a seeded generator.
#ifndef LOYALTY_CLIENT_RETRY_H_
#define LOYALTY_CLIENT_RETRY_H_

#include <algorithm>
#include <cstdint>
#include <random>

#include "loyalty/client/client_options.h"

namespace loyalty::client {

// The longest pause before retry `retry_index` (0 = before the second
// attempt): min(backoff_max_ms, initial_backoff_ms * 2^retry_index).
// Requires a policy ValidateClientOptions accepts and retry_index >= 0.
inline int64_t BackoffCeilingMs(const RetryPolicy& policy, int retry_index) {
  int64_t ceiling_ms = policy.initial_backoff_ms;
  // Doubling stops at the cap, so the product never overflows.
  for (int i = 0; i < retry_index && ceiling_ms < policy.backoff_max_ms; ++i) {
    ceiling_ms *= 2;
  }
  return std::min(ceiling_ms, policy.backoff_max_ms);
}

// A pause drawn uniformly from [0, BackoffCeilingMs(policy, retry_index)].
template <typename UniformRandomBitGenerator>
int64_t FullJitterBackoffMs(const RetryPolicy& policy, int retry_index,
                            UniformRandomBitGenerator& random) {
  std::uniform_int_distribution<int64_t> pause_ms(
      0, BackoffCeilingMs(policy, retry_index));
  return pause_ms(random);
}

}  // namespace loyalty::client

#endif  // LOYALTY_CLIENT_RETRY_H_
