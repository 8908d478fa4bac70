// FaultEnv: an Env that wraps another (the POSIX one by default) and
// injects the failures a disk can give: a failed write, a short write (a
// prefix reaches the file, then an error), a full disk, a failed sync. It
// also simulates a crash: DropUnsyncedData puts every file written through
// it back to what its last successful sync made durable, and removes the
// files whose directory entry was never synced.
//
// Thread-safe.

#ifndef CRAFT_TESTS_WAL_FAULT_ENV_H_
#define CRAFT_TESTS_WAL_FAULT_ENV_H_

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "craft/wal/env.h"

namespace craft::testing {

class FaultEnv : public Env {
 public:
  explicit FaultEnv(Env* base = Env::Default()) : base_(base) {}

  // The nth file write (Append) from now on fails (n = 1: the next one)
  // with `error_number`, after writing the first `prefix_bytes` bytes of the
  // data it was given (a short write). One-shot.
  void FailWrite(int n, int error_number = EIO, size_t prefix_bytes = 0);
  // The nth file sync from now on fails with `error_number` (the data stays
  // unsynced). One-shot.
  void FailSync(int n, int error_number = EIO);
  // Every file write fails with ENOSPC while set.
  void SetDiskFull(bool full);
  void ClearFaults();

  // The number of file writes and syncs so far (fault or not).
  int writes() const;
  int syncs() const;

  // Simulates a crash (close every file first): each file written through
  // this Env loses what was written after its last successful sync (zeros,
  // as its preallocated space held, or a shorter file), and the files
  // created or renamed since their directory's last sync disappear.
  absl::Status DropUnsyncedData();

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path, uint64_t preallocate_bytes) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> OpenForAppend(
      const std::string& path, uint64_t offset,
      uint64_t preallocate_bytes) override;
  using Env::ReadFile;
  absl::Status ReadFile(const std::string& path,
                        std::string* contents) override {
    return base_->ReadFile(path, contents);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) override {
    return base_->ListDir(dir);
  }
  absl::Status CreateDir(const std::string& dir) override {
    return base_->CreateDir(dir);
  }
  absl::Status RemoveFile(const std::string& path) override;
  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override;
  absl::Status SyncDir(const std::string& dir) override;
  absl::StatusOr<bool> FileExists(const std::string& path) override {
    return base_->FileExists(path);
  }
  absl::Status Truncate(const std::string& path, uint64_t size) override;
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override {
    return base_->LockFile(path);
  }

 private:
  friend class FaultFile;

  // What is known of one file; shared by its path entry and its open
  // FaultFile, so that a rename carries it along.
  struct FileState {
    uint64_t synced = 0;     // durable up to here
    uint64_t written = 0;    // the highest offset written
    uint64_t base_size = 0;  // the durable size when opened (preallocated)
  };
  struct Fault {
    int error_number = 0;
    size_t prefix_bytes = 0;
  };

  // Called by the files; return the fault to inject, if any.
  bool OnWrite(Fault* fault);
  bool OnSync(Fault* fault);
  void Written(FileState* f, uint64_t end);
  void Synced(FileState* f, uint64_t end);

  Env* const base_;
  mutable std::mutex mu_;
  int writes_ = 0;
  int syncs_ = 0;
  int fail_write_at_ = 0;  // 0: none
  Fault write_fault_;
  int fail_sync_at_ = 0;
  Fault sync_fault_;
  bool disk_full_ = false;
  std::map<std::string, std::shared_ptr<FileState>> files_;
  std::set<std::string> unsynced_entries_;  // paths whose dir is not synced
};

}  // namespace craft::testing

#endif  // CRAFT_TESTS_WAL_FAULT_ENV_H_
