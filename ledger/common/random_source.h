// File: ledger/common/random_source.h
//
// All randomness in the ledger (member ids, coupon, voucher and claim codes)
// comes through a RandomSource, as all time comes through a Clock: the
// service draws from the operating system's cryptographic source, and a test
// that must replay exactly from its seed (the model test) draws from a
// seeded one.
#ifndef LOYALTY_LEDGER_COMMON_RANDOM_SOURCE_H_
#define LOYALTY_LEDGER_COMMON_RANDOM_SOURCE_H_

#include <cstdint>
#include <random>

#include "absl/types/span.h"

namespace loyalty {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `bytes`. Aborts if the source fails: nothing unguessable can be
  // issued then, and nothing guessable must be.
  virtual void Fill(absl::Span<unsigned char> bytes) = 0;
};

// The operating system's cryptographic source (OpenSSL's RAND_bytes).
// Thread-safe; what the service uses.
class SystemRandomSource final : public RandomSource {
 public:
  void Fill(absl::Span<unsigned char> bytes) override;
};

// A repeatable stream from a seed; for tests only (it is guessable). Not
// thread-safe: the ledger draws only on its writer thread.
class SeededRandomSource final : public RandomSource {
 public:
  explicit SeededRandomSource(uint64_t seed) : generator_(seed) {}
  void Fill(absl::Span<unsigned char> bytes) override;

 private:
  std::mt19937_64 generator_;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COMMON_RANDOM_SOURCE_H_
