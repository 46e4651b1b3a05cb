#include "ledger/common/random_source.h"

#include <openssl/rand.h>

#include "ledger/common/status_util.h"

namespace loyalty {

void SystemRandomSource::Fill(absl::Span<unsigned char> bytes) {
  if (bytes.empty()) return;
  // Invariant: the system's random source works (RAND_bytes answers 1 only
  // with bytes from a seeded CSPRNG).
  LEDGER_CHECK(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) == 1);
}

void SeededRandomSource::Fill(absl::Span<unsigned char> bytes) {
  for (unsigned char& byte : bytes) {
    byte = static_cast<unsigned char>(generator_() & 0xff);
  }
}

}  // namespace loyalty
