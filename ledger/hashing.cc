#include "ledger/hashing.h"

#include <openssl/sha.h>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "ledger/status_util.h"

namespace loyalty {

const std::string& GenesisHash() {
  static const std::string* const kGenesis = new std::string(kHashBytes, '\0');
  return *kGenesis;
}

std::string Sha256(absl::string_view data) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    LEDGER_CHECK(message.SerializeToCodedStream(&coded));
  }
  return out;
}

std::string CanonicalEntryBytes(const loyalty::v1::LedgerEntry& entry) {
  loyalty::v1::LedgerEntry copy = entry;
  copy.clear_hash();
  return DeterministicBytes(copy);
}

std::string ComputeEntryHash(const loyalty::v1::LedgerEntry& entry) {
  std::string material = entry.prev_hash();
  material += CanonicalEntryBytes(entry);
  return Sha256(material);
}

std::string HexEncode(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

}  // namespace loyalty
