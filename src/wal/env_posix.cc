// Env::Default: the POSIX file layer.

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "craft/wal/env.h"

namespace craft {

absl::Status IoError(absl::string_view op, absl::string_view path,
                     int error_number) {
  const std::string msg = absl::StrCat(
      op, " ", path, ": ",
      std::error_code(error_number, std::generic_category()).message());
  switch (error_number) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    case EIO:
      return absl::DataLossError(msg);
    default:
      return absl::InternalError(msg);
  }
}

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  if (dir.empty()) return std::string(name);
  if (dir.back() == '/') return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

namespace {

// Closes a descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

int OpenRetrying(const char* path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path, flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Extends the file to at least `size` bytes of allocated zeros.
absl::Status Preallocate(int fd, const std::string& path, uint64_t from,
                         uint64_t size) {
  if (size <= from) return absl::OkStatus();
  // posix_fallocate returns the error rather than setting errno; where the
  // file system cannot allocate, glibc writes zeros instead.
  const int err = ::posix_fallocate(fd, static_cast<off_t>(from),
                                    static_cast<off_t>(size - from));
  if (err != 0) return IoError("preallocate", path, err);
  return absl::OkStatus();
}

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t offset)
      : path_(std::move(path)), fd_(fd), offset_(offset) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  absl::Status Append(absl::string_view data) override {
    if (fd_ < 0) return Closed("write");
    const char* p = data.data();
    size_t n = data.size();
    while (n > 0) {
      const ssize_t w = ::pwrite(fd_, p, n, static_cast<off_t>(offset_));
      if (w < 0) {
        if (errno == EINTR) continue;
        return IoError("write", path_, errno);
      }
      if (w == 0) return IoError("write", path_, EIO);
      p += w;
      n -= static_cast<size_t>(w);
      offset_ += static_cast<uint64_t>(w);
    }
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (fd_ < 0) return Closed("sync");
    int r;
    do {
      r = ::fdatasync(fd_);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return IoError("fdatasync", path_, errno);
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (fd_ < 0) return Closed("close");
    // close is not retried on EINTR: Linux releases the descriptor anyway.
    if (::close(std::exchange(fd_, -1)) < 0) {
      return IoError("close", path_, errno);
    }
    return absl::OkStatus();
  }

  uint64_t Size() const override { return offset_; }

 private:
  absl::Status Closed(absl::string_view op) const {
    return absl::FailedPreconditionError(
        absl::StrCat(op, " ", path_, ": the file is closed"));
  }

  const std::string path_;
  int fd_;
  uint64_t offset_;
};

class PosixFileLock : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }  // releases the flock

 private:
  int fd_;
};

class PosixEnv : public Env {
 public:
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path, uint64_t preallocate_bytes) override {
    Fd fd(OpenRetrying(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
    if (fd.get() < 0) return IoError("create", path, errno);
    if (absl::Status s = Preallocate(fd.get(), path, 0, preallocate_bytes);
        !s.ok()) {
      return s;
    }
    return std::make_unique<PosixWritableFile>(path, fd.release(), 0);
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> OpenForAppend(
      const std::string& path, uint64_t offset,
      uint64_t preallocate_bytes) override {
    Fd fd(OpenRetrying(path.c_str(), O_WRONLY));
    if (fd.get() < 0) return IoError("open", path, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return IoError("stat", path, errno);
    const auto size = static_cast<uint64_t>(st.st_size);
    if (absl::Status s = Preallocate(fd.get(), path, size, preallocate_bytes);
        !s.ok()) {
      return s;
    }
    return std::make_unique<PosixWritableFile>(path, fd.release(), offset);
  }

  absl::Status ReadFile(const std::string& path,
                        std::string* contents) override {
    Fd fd(OpenRetrying(path.c_str(), O_RDONLY));
    if (fd.get() < 0) return IoError("open", path, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return IoError("stat", path, errno);
    std::string& out = *contents;
    // Growing a reused buffer only where it must: resize zero-fills, and
    // the read overwrites it anyway.
    const auto expected = static_cast<size_t>(st.st_size);
    if (out.size() != expected) out.resize(expected);
    size_t got = 0;
    for (;;) {
      if (got == out.size()) out.resize(out.size() + 4096);
      const ssize_t r = ::pread(fd.get(), out.data() + got, out.size() - got,
                                static_cast<off_t>(got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return IoError("read", path, errno);
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    out.resize(got);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return IoError("list directory", dir, errno);
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      const struct dirent* ent = ::readdir(d);
      if (ent == nullptr) break;
      const absl::string_view name(ent->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return IoError("list directory", dir, err);
    return names;
  }

  absl::Status CreateDir(const std::string& dir) override {
    if (dir.empty()) return absl::InvalidArgumentError("empty directory path");
    // Create each missing component from the root down, syncing its parent.
    for (size_t pos = 1; pos <= dir.size(); ++pos) {
      if (pos != dir.size() && dir[pos] != '/') continue;
      if (dir[pos - 1] == '/') continue;
      const std::string path = dir.substr(0, pos);
      if (::mkdir(path.c_str(), 0755) == 0) {
        const size_t slash = path.rfind('/');
        const std::string parent = slash == std::string::npos ? "."
                                   : slash == 0               ? "/"
                                                : path.substr(0, slash);
        if (absl::Status s = SyncDir(parent); !s.ok()) return s;
        continue;
      }
      if (errno != EEXIST) return IoError("create directory", path, errno);
      struct stat st;
      if (::stat(path.c_str(), &st) < 0) return IoError("stat", path, errno);
      if (!S_ISDIR(st.st_mode)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "create directory ", path, ": exists and is not a directory"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) < 0) return IoError("remove", path, errno);
    return absl::OkStatus();
  }

  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) < 0) {
      return IoError("rename", absl::StrCat(from, " to ", to), errno);
    }
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& dir) override {
    Fd fd(OpenRetrying(dir.c_str(), O_RDONLY | O_DIRECTORY));
    if (fd.get() < 0) return IoError("open directory", dir, errno);
    if (::fsync(fd.get()) < 0) return IoError("fsync directory", dir, errno);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> FileExists(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT) return false;
    return IoError("stat", path, errno);
  }

  absl::Status Truncate(const std::string& path, uint64_t size) override {
    Fd fd(OpenRetrying(path.c_str(), O_WRONLY));
    if (fd.get() < 0) return IoError("open", path, errno);
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) < 0) {
      return IoError("truncate", path, errno);
    }
    if (::fdatasync(fd.get()) < 0) return IoError("fdatasync", path, errno);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override {
    Fd fd(OpenRetrying(path.c_str(), O_RDWR | O_CREAT, 0644));
    if (fd.get() < 0) return IoError("open lock file", path, errno);
    int r;
    do {
      r = ::flock(fd.get(), LOCK_EX | LOCK_NB);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      if (errno == EWOULDBLOCK) {
        return absl::FailedPreconditionError(
            absl::StrCat("lock ", path,
                         ": held by another process (or another open "
                         "instance in this one)"));
      }
      return IoError("lock", path, errno);
    }
    return std::make_unique<PosixFileLock>(fd.release());
  }
};

}  // namespace

Env* Env::Default() {
  static Env* const env = new PosixEnv;
  return env;
}

}  // namespace craft
