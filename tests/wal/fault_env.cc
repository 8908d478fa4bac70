#include "wal/fault_env.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace craft::testing {

namespace {

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

class FaultFile : public WritableFile {
 public:
  FaultFile(FaultEnv* env, std::string path,
            std::shared_ptr<FaultEnv::FileState> state,
            std::unique_ptr<WritableFile> base)
      : env_(env),
        path_(std::move(path)),
        state_(std::move(state)),
        base_(std::move(base)) {}

  absl::Status Append(absl::string_view data) override {
    FaultEnv::Fault fault;
    if (env_->OnWrite(&fault)) {
      const size_t n = std::min(fault.prefix_bytes, data.size());
      if (n > 0) {
        if (absl::Status s = base_->Append(data.substr(0, n)); !s.ok()) {
          return s;
        }
        env_->Written(state_.get(), base_->Size());
      }
      return IoError("write", path_, fault.error_number);
    }
    absl::Status s = base_->Append(data);
    env_->Written(state_.get(), base_->Size());
    return s;
  }

  absl::Status Sync() override {
    FaultEnv::Fault fault;
    if (env_->OnSync(&fault)) {
      return IoError("fdatasync", path_, fault.error_number);
    }
    absl::Status s = base_->Sync();
    if (s.ok()) env_->Synced(state_.get(), base_->Size());
    return s;
  }

  absl::Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 private:
  FaultEnv* const env_;
  const std::string path_;  // as opened (for messages)
  const std::shared_ptr<FaultEnv::FileState> state_;
  std::unique_ptr<WritableFile> base_;
};

void FaultEnv::FailWrite(int n, int error_number, size_t prefix_bytes) {
  std::lock_guard<std::mutex> l(mu_);
  fail_write_at_ = writes_ + n;
  write_fault_ = {error_number, prefix_bytes};
}

void FaultEnv::FailSync(int n, int error_number) {
  std::lock_guard<std::mutex> l(mu_);
  fail_sync_at_ = syncs_ + n;
  sync_fault_ = {error_number, 0};
}

void FaultEnv::SetDiskFull(bool full) {
  std::lock_guard<std::mutex> l(mu_);
  disk_full_ = full;
}

void FaultEnv::ClearFaults() {
  std::lock_guard<std::mutex> l(mu_);
  fail_write_at_ = 0;
  fail_sync_at_ = 0;
  disk_full_ = false;
}

int FaultEnv::writes() const {
  std::lock_guard<std::mutex> l(mu_);
  return writes_;
}

int FaultEnv::syncs() const {
  std::lock_guard<std::mutex> l(mu_);
  return syncs_;
}

bool FaultEnv::OnWrite(Fault* fault) {
  std::lock_guard<std::mutex> l(mu_);
  ++writes_;
  if (disk_full_) {
    *fault = {ENOSPC, 0};
    return true;
  }
  if (fail_write_at_ != 0 && writes_ == fail_write_at_) {
    fail_write_at_ = 0;
    *fault = write_fault_;
    return true;
  }
  return false;
}

bool FaultEnv::OnSync(Fault* fault) {
  std::lock_guard<std::mutex> l(mu_);
  ++syncs_;
  if (fail_sync_at_ != 0 && syncs_ == fail_sync_at_) {
    fail_sync_at_ = 0;
    *fault = sync_fault_;
    return true;
  }
  return false;
}

void FaultEnv::Written(FileState* f, uint64_t end) {
  std::lock_guard<std::mutex> l(mu_);
  f->written = std::max(f->written, end);
}

void FaultEnv::Synced(FileState* f, uint64_t end) {
  std::lock_guard<std::mutex> l(mu_);
  f->synced = std::max(f->synced, end);
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultEnv::NewWritableFile(
    const std::string& path, uint64_t preallocate_bytes) {
  absl::StatusOr<std::unique_ptr<WritableFile>> f =
      base_->NewWritableFile(path, preallocate_bytes);
  if (!f.ok()) return f.status();
  auto state = std::make_shared<FileState>(FileState{0, 0, preallocate_bytes});
  std::lock_guard<std::mutex> l(mu_);
  files_[path] = state;
  unsynced_entries_.insert(path);
  return std::make_unique<FaultFile>(this, path, std::move(state),
                                     *std::move(f));
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultEnv::OpenForAppend(
    const std::string& path, uint64_t offset, uint64_t preallocate_bytes) {
  absl::StatusOr<std::string> contents = base_->ReadFile(path);
  if (!contents.ok()) return contents.status();
  absl::StatusOr<std::unique_ptr<WritableFile>> f =
      base_->OpenForAppend(path, offset, preallocate_bytes);
  if (!f.ok()) return f.status();
  // What is there now is taken as durable (a test crashes through
  // DropUnsyncedData, which brings files back to that): the bytes the
  // appends will overwrite from `offset` on read as they do now, zeros.
  const uint64_t size = contents->size();
  auto state = std::make_shared<FileState>(
      FileState{offset, offset, std::max<uint64_t>(size, preallocate_bytes)});
  std::lock_guard<std::mutex> l(mu_);
  files_[path] = state;
  return std::make_unique<FaultFile>(this, path, std::move(state),
                                     *std::move(f));
}

absl::Status FaultEnv::RemoveFile(const std::string& path) {
  absl::Status s = base_->RemoveFile(path);
  if (s.ok()) {
    std::lock_guard<std::mutex> l(mu_);
    files_.erase(path);
    unsynced_entries_.erase(path);
  }
  return s;
}

absl::Status FaultEnv::RenameFile(const std::string& from,
                                  const std::string& to) {
  absl::Status s = base_->RenameFile(from, to);
  if (s.ok()) {
    std::lock_guard<std::mutex> l(mu_);
    if (auto it = files_.find(from); it != files_.end()) {
      files_[to] = it->second;
      files_.erase(it);
    }
    unsynced_entries_.erase(from);
    unsynced_entries_.insert(to);
  }
  return s;
}

absl::Status FaultEnv::SyncDir(const std::string& dir) {
  absl::Status s = base_->SyncDir(dir);
  if (s.ok()) {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = unsynced_entries_.begin(); it != unsynced_entries_.end();) {
      if (DirOf(*it) == dir ||
          (absl::EndsWith(dir, "/") && DirOf(*it) + "/" == dir)) {
        it = unsynced_entries_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return s;
}

absl::Status FaultEnv::Truncate(const std::string& path, uint64_t size) {
  absl::Status s = base_->Truncate(path, size);
  if (s.ok()) {
    std::lock_guard<std::mutex> l(mu_);
    if (auto it = files_.find(path); it != files_.end()) {
      // Truncate is durable: the file now ends at `size`.
      *it->second = FileState{size, size, size};
    }
  }
  return s;
}

absl::Status FaultEnv::DropUnsyncedData() {
  // Every file is closed (the caller's contract), so the states are ours.
  std::map<std::string, std::shared_ptr<FileState>> files;
  std::set<std::string> unsynced;
  {
    std::lock_guard<std::mutex> l(mu_);
    files = files_;
    unsynced = unsynced_entries_;
  }
  for (const std::string& path : unsynced) {
    absl::StatusOr<bool> exists = base_->FileExists(path);
    if (!exists.ok()) return exists.status();
    if (*exists) {
      if (absl::Status s = base_->RemoveFile(path); !s.ok()) return s;
    }
    files.erase(path);
  }
  for (auto& [path, state] : files) {
    FileState& st = *state;
    if (st.written <= st.synced) continue;
    // Back to the durable size, then zeros where unsynced data was.
    const uint64_t size = std::max(st.synced, st.base_size);
    if (absl::Status s = base_->Truncate(path, size); !s.ok()) return s;
    const uint64_t end = std::min(st.written, size);
    if (end > st.synced) {
      absl::StatusOr<std::unique_ptr<WritableFile>> f =
          base_->OpenForAppend(path, st.synced, 0);
      if (!f.ok()) return f.status();
      const std::string zeros(end - st.synced, '\0');
      absl::Status s = (*f)->Append(zeros);
      if (s.ok()) s = (*f)->Sync();
      if (s.ok()) s = (*f)->Close();
      if (!s.ok()) return s;
    }
    st.written = st.synced;
  }
  std::lock_guard<std::mutex> l(mu_);
  files_ = std::move(files);
  unsynced_entries_.clear();
  return absl::OkStatus();
}

}  // namespace craft::testing
