#include "kv_store.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace kvstore {

std::string EncodePut(absl::string_view key, absl::string_view value) {
  return absl::StrCat(key, "=", value);
}

absl::Status KvStore::Apply(uint64_t index, absl::string_view command) {
  std::lock_guard<std::mutex> lock(mu_);
  applied_index_ = index;
  if (command.empty()) return absl::OkStatus();
  const size_t eq = command.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed command at index ", index));
  }
  data_[std::string(command.substr(0, eq))] =
      std::string(command.substr(eq + 1));
  return absl::OkStatus();
}

std::optional<std::string> KvStore::Get(absl::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = data_.find(std::string(key));
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

uint64_t KvStore::applied_index() const {
  std::lock_guard<std::mutex> lock(mu_);
  return applied_index_;
}

size_t KvStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return data_.size();
}

std::string KvStore::Serialize() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [k, v] : data_) absl::StrAppend(&out, k, "=", v, "\n");
  return out;
}

absl::Status KvStore::Restore(uint64_t index, absl::string_view data) {
  std::map<std::string, std::string> restored;
  for (absl::string_view line : absl::StrSplit(data, '\n', absl::SkipEmpty())) {
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::DataLossError("corrupt snapshot");
    }
    restored[std::string(line.substr(0, eq))] =
        std::string(line.substr(eq + 1));
  }
  std::lock_guard<std::mutex> lock(mu_);
  data_ = std::move(restored);
  applied_index_ = index;
  return absl::OkStatus();
}

bool KvStore::operator==(const KvStore& other) const {
  std::scoped_lock lock(mu_, other.mu_);
  return data_ == other.data_;
}

}  // namespace kvstore
