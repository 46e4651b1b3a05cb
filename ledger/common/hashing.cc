#include "ledger/common/hashing.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "ledger/common/status_util.h"
#include "loyalty/storage/v1/records.pb.h"

namespace loyalty {

const std::string& GenesisHash() {
  static const std::string* const kGenesis = new std::string(kHashBytes, '\0');
  return *kGenesis;
}

namespace {

// SHA-256 of the concatenation of `parts`, without building it. OpenSSL 3's
// one-shot SHA256() looks the algorithm up on every call (measured: about
// half of the hashing time per earn); the algorithm is fetched once here and
// each thread reuses one context.
std::string Sha256Of(std::initializer_list<absl::string_view> parts) {
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  LEDGER_CHECK(kSha256 != nullptr);
  // Freed when its thread ends.
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>
      owned_context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_MD_CTX* const context = owned_context.get();
  LEDGER_CHECK(context != nullptr);
  LEDGER_CHECK(EVP_DigestInit_ex(context, kSha256, nullptr) == 1);
  for (absl::string_view part : parts) {
    LEDGER_CHECK(EVP_DigestUpdate(context, part.data(), part.size()) == 1);
  }
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  unsigned int length = 0;
  LEDGER_CHECK(EVP_DigestFinal_ex(
                   context, reinterpret_cast<unsigned char*>(digest.data()),
                   &length) == 1);
  LEDGER_CHECK(length == SHA256_DIGEST_LENGTH);
  return digest;
}

}  // namespace

std::string Sha256(absl::string_view data) { return Sha256Of({data}); }

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
  return Sha256Of({prev_hash, body});
}

std::string SealEntry(loyalty::v1::LedgerEntry* entry,
                      const loyalty::storage::v1::EntryStorageFields* storage) {
  LEDGER_CHECK(entry->hash().empty());
  LEDGER_CHECK(entry->prev_hash().size() == kHashBytes);
  loyalty::storage::v1::StoredEntry stored;
  stored.set_body(entry->SerializeAsString());
  // Appended as more fields of the same message (see EntryStorageFields).
  if (storage != nullptr)
    stored.mutable_body()->append(DeterministicBytes(*storage));
  stored.set_hash(ChainHash(entry->prev_hash(), stored.body()));
  entry->set_hash(stored.hash());
  return stored.SerializeAsString();
}

bool ParseEntryBody(absl::string_view body, loyalty::v1::LedgerEntry* entry,
                    loyalty::storage::v1::EntryStorageFields* storage) {
  const int size = static_cast<int>(body.size());
  if (!entry->ParseFromArray(body.data(), size)) return false;
  // The storage fields are unknown to the contract's message: never hand
  // them on.
  entry->DiscardUnknownFields();
  if (storage == nullptr) return true;
  if (!storage->ParseFromArray(body.data(), size)) return false;
  storage->DiscardUnknownFields();  // The entry's own fields.
  return true;
}

absl::StatusOr<loyalty::v1::LedgerEntry> UnsealEntry(
    absl::string_view stored,
    loyalty::storage::v1::EntryStorageFields* storage) {
  loyalty::storage::v1::StoredEntry wrapper;
  loyalty::v1::LedgerEntry entry;
  if (!wrapper.ParseFromArray(stored.data(), static_cast<int>(stored.size())) ||
      !ParseEntryBody(wrapper.body(), &entry, storage)) {
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
