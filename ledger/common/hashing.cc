#include "ledger/common/hashing.h"

#include <openssl/sha.h>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "ledger/common/status_util.h"
#include "loyalty/storage/v1/records.pb.h"

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

std::string ChainHash(absl::string_view prev_hash, absl::string_view body) {
  std::string material(prev_hash);
  material.append(body.data(), body.size());
  return Sha256(material);
}

std::string SealEntry(loyalty::v1::LedgerEntry* entry) {
  LEDGER_CHECK(entry->hash().empty());
  LEDGER_CHECK(entry->prev_hash().size() == kHashBytes);
  loyalty::storage::v1::StoredEntry stored;
  stored.set_body(entry->SerializeAsString());
  stored.set_hash(ChainHash(entry->prev_hash(), stored.body()));
  entry->set_hash(stored.hash());
  return stored.SerializeAsString();
}

absl::StatusOr<loyalty::v1::LedgerEntry> UnsealEntry(absl::string_view stored) {
  loyalty::storage::v1::StoredEntry wrapper;
  loyalty::v1::LedgerEntry entry;
  if (!wrapper.ParseFromArray(stored.data(), static_cast<int>(stored.size())) ||
      !entry.ParseFromString(wrapper.body())) {
    return absl::DataLossError("a stored entry cannot be decoded");
  }
  entry.set_hash(wrapper.hash());
  return entry;
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
