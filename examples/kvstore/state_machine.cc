#include "state_machine.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kvstore {
namespace {

// Encoding: a version byte, then fields as little-endian fixed-width
// integers and length-prefixed strings.
constexpr char kCommandVersion = 1;
constexpr char kStateVersion = 1;

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutBytes(std::string* out, absl::string_view s) {
  PutU64(out, s.size());
  out->append(s.data(), s.size());
}

// Reads from a string_view, failing (once) on a short input.
class Reader {
 public:
  explicit Reader(absl::string_view in) : in_(in) {}
  bool U64(uint64_t* v) {
    if (in_.size() < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) {
      *v |= uint64_t{static_cast<unsigned char>(in_[i])} << (8 * i);
    }
    in_.remove_prefix(8);
    return true;
  }
  bool Bytes(std::string* s) {
    uint64_t n;
    if (!U64(&n) || n > in_.size()) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool Byte(char* c) {
    if (in_.empty()) return false;
    *c = in_[0];
    in_.remove_prefix(1);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  absl::string_view in_;
};

}  // namespace

std::string EncodeCommand(const Command& c) {
  std::string out;
  out.push_back(kCommandVersion);
  out.push_back(static_cast<char>(c.op));
  PutU64(&out, c.id);
  PutBytes(&out, c.key);
  PutBytes(&out, c.value);
  PutBytes(&out, c.expected);
  return out;
}

absl::StatusOr<Command> DecodeCommand(absl::string_view data) {
  Reader r(data);
  Command c;
  char version = 0, op = 0;
  if (!r.Byte(&version) || version != kCommandVersion || !r.Byte(&op) ||
      op < 1 || op > 4 || !r.U64(&c.id) || !r.Bytes(&c.key) ||
      !r.Bytes(&c.value) || !r.Bytes(&c.expected) || !r.done()) {
    return absl::InvalidArgumentError("not a kvstore command");
  }
  c.op = static_cast<Command::Op>(op);
  return c;
}

Outcome StateMachine::Apply(uint64_t index, const Command& c) {
  std::lock_guard<std::mutex> lock(mu_);
  if (index <= applied_) return Outcome::kOk;  // replayed after a restart
  applied_ = index;
  switch (c.op) {
    case Command::Op::kPut:
      data_[c.key] = c.value;
      return Outcome::kOk;
    case Command::Op::kDelete:
      data_.erase(c.key);
      return Outcome::kOk;
    case Command::Op::kCas: {
      auto it = data_.find(c.key);
      if (it == data_.end() || it->second != c.expected) {
        return Outcome::kMismatch;
      }
      it->second = c.value;
      return Outcome::kOk;
    }
    case Command::Op::kMember:
      break;
  }
  return Outcome::kMalformed;  // membership travels in conf changes
}

void StateMachine::Skip(uint64_t index) {
  std::lock_guard<std::mutex> lock(mu_);
  if (index > applied_) applied_ = index;
}

std::optional<std::string> StateMachine::Get(absl::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = data_.find(std::string(key));
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

uint64_t StateMachine::applied_index() const {
  std::lock_guard<std::mutex> lock(mu_);
  return applied_;
}

void StateMachine::SetMember(uint64_t id, std::string address) {
  std::lock_guard<std::mutex> lock(mu_);
  members_[id] = std::move(address);
}

void StateMachine::RemoveMember(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  members_.erase(id);
}

std::map<uint64_t, std::string> StateMachine::members() const {
  std::lock_guard<std::mutex> lock(mu_);
  return members_;
}

std::string StateMachine::Serialize() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out.push_back(kStateVersion);
  PutU64(&out, members_.size());
  for (const auto& [id, addr] : members_) {
    PutU64(&out, id);
    PutBytes(&out, addr);
  }
  PutU64(&out, data_.size());
  for (const auto& [k, v] : data_) {
    PutBytes(&out, k);
    PutBytes(&out, v);
  }
  return out;
}

absl::Status StateMachine::Restore(uint64_t index, absl::string_view data) {
  Reader r(data);
  char version = 0;
  uint64_t n = 0;
  std::map<uint64_t, std::string> members;
  std::map<std::string, std::string> kv;
  bool ok = r.Byte(&version) && version == kStateVersion && r.U64(&n);
  for (uint64_t i = 0; ok && i < n; ++i) {
    uint64_t id;
    std::string addr;
    ok = r.U64(&id) && r.Bytes(&addr);
    if (ok) members[id] = std::move(addr);
  }
  ok = ok && r.U64(&n);
  for (uint64_t i = 0; ok && i < n; ++i) {
    std::string k, v;
    ok = r.Bytes(&k) && r.Bytes(&v);
    if (ok) kv[std::move(k)] = std::move(v);
  }
  if (!ok || !r.done()) {
    return absl::DataLossError(
        absl::StrCat("snapshot at index ", index, " is not a kvstore state"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  members_ = std::move(members);
  data_ = std::move(kv);
  applied_ = index;
  return absl::OkStatus();
}

}  // namespace kvstore
