#include "server/request_guard.h"

#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"

namespace loyalty {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

namespace {

// Protobuf's wire types.
enum WireType : int {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// The wire type a field's values have when not packed.
int UnpackedWireTypeOf(const FieldDescriptor& field) {
  switch (field.type()) {
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64:
    case FieldDescriptor::TYPE_DOUBLE:
      return kFixed64;
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32:
    case FieldDescriptor::TYPE_FLOAT:
      return kFixed32;
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
    case FieldDescriptor::TYPE_MESSAGE:
      return kLengthDelimited;
    case FieldDescriptor::TYPE_GROUP:
      return kStartGroup;
    default:
      return kVarint;  // Integers, bools and enums.
  }
}

// `descriptor`'s field `number`, or null. Contract messages number their
// fields 1, 2, 3, ... in order, so the field at index number - 1 is nearly
// always it, and the hash lookup (half the walk's time on a 200-line
// basket) is the exception.
const FieldDescriptor* FieldByNumber(const Descriptor& descriptor,
                                     uint64_t number) {
  if (number <= static_cast<uint64_t>(descriptor.field_count())) {
    const FieldDescriptor* guess =
        descriptor.field(static_cast<int>(number) - 1);
    if (static_cast<uint64_t>(guess->number()) == number) return guess;
  }
  return descriptor.FindFieldByNumber(static_cast<int>(number));
}

// A cursor over one message's bytes.
class WireReader {
 public:
  explicit WireReader(absl::string_view bytes) : rest_(bytes) {}

  bool done() const { return rest_.empty(); }
  const char* position() const { return rest_.data(); }

  // At most 10 bytes, as protobuf reads them.
  bool ReadVarint(uint64_t* value) {
    uint64_t result = 0;
    for (int shift = 0, i = 0; i < 10; ++i, shift += 7) {
      if (rest_.empty()) return false;
      const auto byte = static_cast<unsigned char>(rest_.front());
      rest_.remove_prefix(1);
      result |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) {
        *value = result;
        return true;
      }
    }
    return false;
  }
  bool Take(uint64_t count, absl::string_view* taken) {
    if (count > rest_.size()) return false;
    *taken = rest_.substr(0, count);
    rest_.remove_prefix(count);
    return true;
  }

 private:
  absl::string_view rest_;
};

// The values in a packed repeated field's payload; -1 when the payload does
// not divide into whole values.
int64_t PackedValueCount(int unpacked_wire_type, absl::string_view payload) {
  if (unpacked_wire_type == kFixed32) {
    return payload.size() % 4 == 0 ? static_cast<int64_t>(payload.size() / 4)
                                   : -1;
  }
  if (unpacked_wire_type == kFixed64) {
    return payload.size() % 8 == 0 ? static_cast<int64_t>(payload.size() / 8)
                                   : -1;
  }
  WireReader reader(payload);
  int64_t count = 0;
  uint64_t ignored = 0;
  while (!reader.done()) {
    if (!reader.ReadVarint(&ignored)) return -1;
    ++count;
  }
  return count;
}

// One walk over a request's bytes. The path names the messages the walk is
// inside, so a refusal can name the field ("lines[2].sku").
class RequestWalker {
 public:
  RequestWalker(absl::string_view request, const Descriptor& root)
      : request_(request), root_(root) {}

  absl::Status Walk(absl::string_view wire, const Descriptor& descriptor,
                    int depth) {
    // Values seen so far of each repeated field, by the field's index.
    absl::InlinedVector<int64_t, 16> items(
        static_cast<size_t>(descriptor.field_count()), 0);
    WireReader reader(wire);
    while (!reader.done()) {
      const char* field_start = reader.position();
      uint64_t tag = 0;
      if (!reader.ReadVarint(&tag)) {
        return Malformed(descriptor, field_start, "a truncated field tag");
      }
      const uint64_t number = tag >> 3;
      const int wire_type = static_cast<int>(tag & 7);
      if (number == 0 || number > FieldDescriptor::kMaxNumber) {
        return Malformed(descriptor, field_start,
                         absl::StrCat("field number ", number));
      }
      absl::string_view payload;
      uint64_t ignored = 0;
      bool whole = true;
      switch (wire_type) {
        case kVarint:
          whole = reader.ReadVarint(&ignored);
          break;
        case kFixed64:
          whole = reader.Take(8, &payload);
          break;
        case kFixed32:
          whole = reader.Take(4, &payload);
          break;
        case kLengthDelimited: {
          uint64_t length = 0;
          whole = reader.ReadVarint(&length) && reader.Take(length, &payload);
          break;
        }
        default:
          // Groups are deprecated and no contract message has one.
          return Malformed(
              descriptor, field_start,
              absl::StrCat("wire type ", wire_type, " of field ", number));
      }
      if (!whole) {
        return Malformed(descriptor, field_start,
                         absl::StrCat("a truncated field ", number));
      }
      const FieldDescriptor* field = FieldByNumber(descriptor, number);
      // Fields this build does not know (or sent with another wire type)
      // are kept by protobuf as unknown fields and read by nobody; the
      // request's size bounds them.
      if (field == nullptr) continue;
      const int unpacked = UnpackedWireTypeOf(*field);
      const bool packed = field->is_repeated() && field->is_packable() &&
                          wire_type == kLengthDelimited;
      if (wire_type != unpacked && !packed) continue;

      int64_t index = -1;
      if (field->is_repeated()) {
        int64_t values = 1;
        if (packed) {
          values = PackedValueCount(unpacked, payload);
          if (values < 0) {
            return Malformed(descriptor, field_start,
                             absl::StrCat("a packed field ", number,
                                          " that does not divide into values"));
          }
        }
        int64_t& seen = items[static_cast<size_t>(field->index())];
        index = seen;
        seen += values;
        if (seen > kRequestRepeatedItemsMax) {
          return Refuse(field, -1,
                        absl::StrCat("has more than ", kRequestRepeatedItemsMax,
                                     " items"));
        }
      }
      if (field->type() == FieldDescriptor::TYPE_STRING) {
        if (!IsValidUtf8(payload)) {
          return Refuse(field, index, "is not valid UTF-8");
        }
        if (static_cast<int64_t>(payload.size()) > kRequestStringBytesMax) {
          return Refuse(field, index,
                        absl::StrCat("is ", payload.size(),
                                     " bytes; a request's strings may be at "
                                     "most ",
                                     kRequestStringBytesMax));
        }
      } else if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
        if (depth + 1 > kRequestNestingDepthMax) {
          return Refuse(field, index,
                        absl::StrCat("nests messages deeper than ",
                                     kRequestNestingDepthMax));
        }
        path_.push_back(PathStep{field, index});
        absl::Status nested = Walk(payload, *field->message_type(), depth + 1);
        if (!nested.ok()) return nested;
        path_.pop_back();
      }
    }
    return absl::OkStatus();
  }

 private:
  struct PathStep {
    const FieldDescriptor* field;
    int64_t index;  // -1 for a field that is not repeated.
  };

  // "lines[2].sku": the path to `field` (value `index`) in the request.
  std::string PathTo(const FieldDescriptor* field, int64_t index) const {
    std::string path;
    auto append = [&path](const FieldDescriptor* step, int64_t at) {
      if (!path.empty()) path += '.';
      path += step->name();
      if (at >= 0) absl::StrAppend(&path, "[", at, "]");
    };
    for (const PathStep& step : path_) append(step.field, step.index);
    append(field, index);
    return path;
  }

  absl::Status Refuse(const FieldDescriptor* field, int64_t index,
                      absl::string_view problem) const {
    return InvalidField(PathTo(field, index), problem);
  }

  absl::Status Malformed(const Descriptor& descriptor, const char* at,
                         absl::string_view what) const {
    return InvalidField(
        "request", absl::StrCat("is not a well-formed ", root_.full_name(),
                                " message (", what, " in ", descriptor.name(),
                                " at byte ", at - request_.data(), ")"));
  }

  absl::string_view request_;
  const Descriptor& root_;
  std::vector<PathStep> path_;
};

}  // namespace

absl::Status CheckRequestWire(absl::string_view wire,
                              const Descriptor& descriptor) {
  if (static_cast<int64_t>(wire.size()) > kRequestBytesMax) {
    return InvalidField(
        "request",
        absl::StrCat("is ", wire.size(), " bytes; a request may be at most ",
                     kRequestBytesMax));
  }
  return RequestWalker(wire, descriptor).Walk(wire, descriptor, 0);
}

absl::Status ParseRequest(absl::string_view wire,
                          google::protobuf::Message* request) {
  const Descriptor& descriptor = *request->GetDescriptor();
  LEDGER_RETURN_IF_ERROR(CheckRequestWire(wire, descriptor));
  request->Clear();
  if (!request->ParseFromArray(wire.data(), static_cast<int>(wire.size()))) {
    return InvalidField(
        "request", absl::StrCat("is not a well-formed ", descriptor.full_name(),
                                " message"));
  }
  return absl::OkStatus();
}

}  // namespace loyalty
