#include "craft/wal/snapshot_store.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "wal/crc32c.h"
#include "wal/format.h"

namespace craft {

using wal_internal::Crc32c;
using wal_internal::GetFixed32;
using wal_internal::GetFixed64;
using wal_internal::PutFixed32;
using wal_internal::PutFixed64;

namespace {

constexpr absl::string_view kMagic = "craftsnp";
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 32;
constexpr absl::string_view kSuffix = ".snap";
constexpr absl::string_view kTempSuffix = ".snap.tmp";

std::string SnapName(uint64_t term, uint64_t index) {
  return absl::StrFormat("%016x-%016x.snap", term, index);
}

std::optional<std::pair<uint64_t, uint64_t>> ParseSnapName(
    absl::string_view name) {
  if (name.size() != 16 + 1 + 16 + kSuffix.size() || name[16] != '-' ||
      name.substr(33) != kSuffix) {
    return std::nullopt;
  }
  auto term = wal_internal::ParseHex16(name.substr(0, 16));
  auto index = wal_internal::ParseHex16(name.substr(17, 16));
  if (!term || !index) return std::nullopt;
  return std::make_pair(*term, *index);
}

absl::Status Damaged(absl::string_view path, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("snapshot file ", path, " is corrupt: ", what));
}

}  // namespace

SnapshotStore::SnapshotStore(std::string dir, SnapshotStoreOptions options)
    : dir_(std::move(dir)),
      options_(options),
      env_(options.env != nullptr ? options.env : Env::Default()) {}

absl::StatusOr<std::unique_ptr<SnapshotStore>> SnapshotStore::Open(
    std::string dir, SnapshotStoreOptions options) {
  if (dir.empty()) {
    return absl::InvalidArgumentError("empty snapshot directory");
  }
  std::unique_ptr<SnapshotStore> store(
      new SnapshotStore(std::move(dir), options));
  Env* env = store->env_;
  if (absl::Status s = env->CreateDir(store->dir_); !s.ok()) return s;
  absl::StatusOr<std::vector<std::string>> names = env->ListDir(store->dir_);
  if (!names.ok()) return names.status();
  bool removed = false;
  for (const std::string& name : *names) {
    if (!absl::EndsWith(name, kTempSuffix)) continue;
    if (absl::Status s = env->RemoveFile(JoinPath(store->dir_, name));
        !s.ok()) {
      return s;
    }
    removed = true;
  }
  if (removed) {
    if (absl::Status s = env->SyncDir(store->dir_); !s.ok()) return s;
  }
  return store;
}

absl::Status SnapshotStore::Save(const raftpb::Snapshot& snapshot) {
  const uint64_t term = snapshot.metadata().term();
  const uint64_t index = snapshot.metadata().index();
  if (index == 0) {
    return absl::InvalidArgumentError("cannot save an empty snapshot");
  }
  const std::string body = snapshot.SerializeAsString();
  char header[kHeaderSize];
  std::memcpy(header, kMagic.data(), kMagic.size());
  PutFixed32(header + 8, kVersion);
  PutFixed32(header + 12, 0);
  PutFixed64(header + 16, body.size());
  PutFixed32(header + 24, Crc32c(0, body));
  PutFixed32(header + 28, Crc32c(0, absl::string_view(header, 28)));

  const std::string path = JoinPath(dir_, SnapName(term, index));
  const std::string tmp = absl::StrCat(path, ".tmp");  // ends in kTempSuffix
  absl::StatusOr<std::unique_ptr<WritableFile>> f =
      env_->NewWritableFile(tmp, 0);
  if (!f.ok()) return f.status();
  absl::Status s = (*f)->Append(absl::string_view(header, kHeaderSize));
  if (s.ok()) s = (*f)->Append(body);
  if (s.ok()) s = (*f)->Sync();
  if (s.ok()) s = (*f)->Close();
  if (s.ok()) s = env_->RenameFile(tmp, path);
  if (!s.ok()) {
    (void)env_->RemoveFile(tmp);  // best effort; Open removes it otherwise
    return s;
  }
  return env_->SyncDir(dir_);
}

absl::StatusOr<std::vector<SnapshotStore::File>> SnapshotStore::List() const {
  absl::StatusOr<std::vector<std::string>> names = env_->ListDir(dir_);
  if (!names.ok()) return names.status();
  std::vector<File> files;
  for (const std::string& name : *names) {
    if (auto id = ParseSnapName(name)) {
      files.push_back({id->first, id->second, JoinPath(dir_, name)});
    }
  }
  std::sort(files.begin(), files.end(), [](const File& a, const File& b) {
    return a.index != b.index ? a.index < b.index : a.term < b.term;
  });
  return files;
}

absl::StatusOr<raftpb::Snapshot> SnapshotStore::Read(const File& f) const {
  absl::StatusOr<std::string> data = env_->ReadFile(f.path);
  if (!data.ok()) return data.status();
  const absl::string_view d = *data;
  if (d.size() < kHeaderSize) {
    return Damaged(f.path, absl::StrFormat("%d bytes long, shorter than the "
                                           "%d-byte header",
                                           d.size(), kHeaderSize));
  }
  if (d.substr(0, 8) != kMagic) {
    return Damaged(f.path, "bad magic at offset 0: not a craft snapshot file");
  }
  const uint32_t version = GetFixed32(d.data() + 8);
  if (version > kVersion) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "snapshot file %s was written by a newer version of craft (format "
        "version %d; this build reads version %d)",
        f.path, version, kVersion));
  }
  if (Crc32c(0, d.substr(0, 28)) != GetFixed32(d.data() + 28)) {
    return Damaged(f.path, "header checksum mismatch (bytes 0 to 28)");
  }
  if (version != kVersion || GetFixed32(d.data() + 12) != 0) {
    return Damaged(f.path, absl::StrFormat("unknown format version %d or "
                                           "reserved bits set at offset 8",
                                           version));
  }
  const uint64_t length = GetFixed64(d.data() + 16);
  if (length != d.size() - kHeaderSize) {
    return Damaged(
        f.path, absl::StrFormat("the header gives a %d-byte body but the "
                                "file holds %d bytes after offset %d",
                                length, d.size() - kHeaderSize, kHeaderSize));
  }
  const absl::string_view body = d.substr(kHeaderSize);
  if (Crc32c(0, body) != GetFixed32(d.data() + 24)) {
    return Damaged(f.path,
                   absl::StrFormat("body checksum mismatch (bytes %d to %d)",
                                   kHeaderSize, d.size()));
  }
  raftpb::Snapshot snap;
  if (body.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !snap.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Damaged(f.path, "the body is not a raftpb.Snapshot");
  }
  if (snap.metadata().term() != f.term || snap.metadata().index() != f.index) {
    return Damaged(
        f.path,
        absl::StrFormat("it holds the snapshot at term %d index %d, "
                        "unlike its name",
                        snap.metadata().term(), snap.metadata().index()));
  }
  return snap;
}

absl::StatusOr<SnapshotStore::Loaded> SnapshotStore::LoadNewest() const {
  absl::StatusOr<std::vector<File>> files = List();
  if (!files.ok()) return files.status();
  Loaded out;
  for (auto it = files->rbegin(); it != files->rend(); ++it) {
    absl::StatusOr<raftpb::Snapshot> snap = Read(*it);
    if (snap.ok()) {
      out.snapshot = *std::move(snap);
      break;
    }
    // A file that cannot be read at all is an I/O problem, not damage.
    if (!absl::IsDataLoss(snap.status()) &&
        !absl::IsFailedPrecondition(snap.status())) {
      return snap.status();
    }
    out.skipped.push_back(snap.status());
  }
  return out;
}

absl::StatusOr<raftpb::Snapshot> SnapshotStore::Load(uint64_t index) const {
  absl::StatusOr<std::vector<File>> files = List();
  if (!files.ok()) return files.status();
  for (auto it = files->rbegin(); it != files->rend(); ++it) {
    if (it->index == index) return Read(*it);
  }
  return absl::NotFoundError(
      absl::StrFormat("no snapshot at index %d in %s", index, dir_));
}

absl::Status SnapshotStore::ReleaseBefore(uint64_t index) {
  absl::StatusOr<std::vector<File>> files = List();
  if (!files.ok()) return files.status();
  const size_t n = files->size();
  bool removed = false;
  for (size_t i = 0; i + options_.keep < n; ++i) {
    const File& f = (*files)[i];
    if (f.index >= index) break;
    if (absl::Status s = env_->RemoveFile(f.path); !s.ok()) return s;
    removed = true;
  }
  if (!removed) return absl::OkStatus();
  return env_->SyncDir(dir_);
}

}  // namespace craft
