// Env is the file layer craft::wal does all of its I/O through, in the spirit
// of leveldb's Env: the WAL and the snapshot store never call the operating
// system directly, so that tests can substitute an Env that injects faults
// (failed or short writes, failed syncs, a full disk) or simulates a crash
// by dropping what was never synced.
//
// Every error is an absl::Status whose message names the operation, the path
// and the system's reason. Codes: NotFound for a missing file (ENOENT),
// ResourceExhausted for a full disk or quota (ENOSPC, EDQUOT),
// PermissionDenied (EACCES, EPERM), AlreadyExists (EEXIST), DataLoss for an
// I/O error of the device (EIO), Internal otherwise.

#ifndef CRAFT_WAL_ENV_H_
#define CRAFT_WAL_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace craft {

// A file written sequentially from some starting offset. Not thread-safe.
// Destroying it closes it without syncing.
class WritableFile {
 public:
  virtual ~WritableFile() = default;

  // Writes `data` at Size() and advances Size() by its length. On error some
  // prefix of `data` may have reached the file: the caller must treat the
  // file's contents past the last Sync as unknown.
  virtual absl::Status Append(absl::string_view data) = 0;

  // Makes everything appended so far durable (fdatasync: the data and the
  // metadata needed to read it back, such as the file's size). A failed
  // Sync must not be retried: the kernel may have dropped the dirty pages.
  virtual absl::Status Sync() = 0;

  // Closes the file (without syncing). Further calls fail.
  virtual absl::Status Close() = 0;

  // The offset the next Append writes at.
  virtual uint64_t Size() const = 0;
};

// Holds an exclusive lock on a file until destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX Env (never destroyed).
  static Env* Default();

  // Creates `path` (truncating any existing file) for writing from offset 0.
  // If preallocate_bytes > 0, first reserves that many bytes of disk for it:
  // the file's size becomes preallocate_bytes and its contents read as
  // zeros, so that later appends inside it rarely change its metadata.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path, uint64_t preallocate_bytes) = 0;

  // Opens the existing file `path` for writing at `offset` (its contents are
  // kept; appends overwrite from there). If preallocate_bytes exceeds the
  // file's size, the file is extended with zeros to that size.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> OpenForAppend(
      const std::string& path, uint64_t offset, uint64_t preallocate_bytes) = 0;

  // Reads the whole contents of `path` into *contents, reusing its
  // capacity (a reader of many large files keeps one buffer). May be
  // called from several threads at once.
  virtual absl::Status ReadFile(const std::string& path,
                                std::string* contents) = 0;
  // The same, into a new string.
  absl::StatusOr<std::string> ReadFile(const std::string& path) {
    std::string contents;
    if (absl::Status s = ReadFile(path, &contents); !s.ok()) return s;
    return contents;
  }

  // The names (not paths) of the entries of directory `dir`, without "." and
  // "..", in no particular order.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) = 0;

  // Creates directory `dir` and any missing parents, syncing each parent
  // whose entries changed. OK if it already exists.
  virtual absl::Status CreateDir(const std::string& dir) = 0;

  // Removes the file `path`. Not durable until the directory is synced.
  virtual absl::Status RemoveFile(const std::string& path) = 0;

  // Atomically renames `from` to `to`, replacing `to` if it exists. Not
  // durable until the directory is synced.
  virtual absl::Status RenameFile(const std::string& from,
                                  const std::string& to) = 0;

  // Makes the creations, renames and removals in directory `dir` durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;

  // Whether `path` exists; an error only if that cannot be determined.
  virtual absl::StatusOr<bool> FileExists(const std::string& path) = 0;

  // Sets the size of the existing file `path` to `size` and makes that
  // durable (the file's data is synced).
  virtual absl::Status Truncate(const std::string& path, uint64_t size) = 0;

  // Takes an exclusive advisory lock on `path` (created if missing), held
  // until the returned object is destroyed. FailedPrecondition if another
  // holder (this process or another) has it.
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) = 0;
};

// The Status for a failed system call: "<op> <path>: <strerror>", with the
// code the header comment lists for `error_number` (an errno value). For
// implementations of Env.
absl::Status IoError(absl::string_view op, absl::string_view path,
                     int error_number);

// Joins a directory and a name with one '/'.
std::string JoinPath(absl::string_view dir, absl::string_view name);

}  // namespace craft

#endif  // CRAFT_WAL_ENV_H_
