#include "craft/wal/wal.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "craft/raftpb.h"
#include "wal/format.h"

namespace craft {

using wal_internal::AllZero;
using wal_internal::ReadRecord;
using wal_internal::ReadResult;
using wal_internal::RecordType;

namespace {

constexpr absl::string_view kLockName = "LOCK";
// The smallest segment size accepted (a segment must hold its header, the
// copies of the hard state and marker, and a record or so).
constexpr uint64_t kMinSegmentBytes = 256;
// Records are written out once this many bytes are buffered, so that a
// large batch never needs a buffer of its own size.
constexpr size_t kFlushBytes = size_t{1} << 20;

absl::Status Corrupt(absl::string_view path, uint64_t offset,
                     absl::string_view reason) {
  return absl::DataLossError(absl::StrFormat(
      "WAL segment %s is corrupt at byte offset %d: %s", path, offset, reason));
}

// The log as replay rebuilds it: the latest hard state and marker, and the
// entries after the marker.
struct Replay {
  HardState hard_state;
  SnapshotMarker marker;
  std::vector<Entry> ents;
  uint64_t ents_first = 1;  // the index of ents[0] (or of the next entry)
  uint64_t last = 0;        // the log's last index

  // The first segment kept begins the log at `first_index` (the segments
  // before it were released).
  void Start(uint64_t first_index) {
    ents_first = first_index;
    last = first_index - 1;
  }

  // Applies an entry record as Wal::Save wrote it; a reason if it cannot
  // follow the log (which Save never writes).
  std::optional<std::string> AddEntry(Entry e) {
    const uint64_t idx = e.index();
    if (idx <= marker.index) return std::nullopt;  // compacted
    if (idx > last + 1) {
      return absl::StrFormat("entry %d does not follow the log's last index %d",
                             idx, last);
    }
    if (idx <= last) {  // replaces the log from idx on
      if (idx < ents_first) {
        ents.clear();
        ents_first = idx;
      } else {
        ents.resize(idx - ents_first);
      }
    } else if (ents.empty()) {
      ents_first = idx;
    }
    ents.push_back(std::move(e));
    last = idx;
    return std::nullopt;
  }

  std::optional<std::string> ApplyMarker(SnapshotMarker m, bool keeps_log) {
    if (m.index < marker.index) {
      return absl::StrFormat(
          "snapshot marker at index %d follows one at the later index %d",
          m.index, marker.index);
    }
    if (keeps_log) {
      if (m.index + 1 > ents_first) {
        const uint64_t n =
            std::min<uint64_t>(ents.size(), m.index + 1 - ents_first);
        ents.erase(ents.begin(), ents.begin() + static_cast<ptrdiff_t>(n));
        ents_first = m.index + 1;
      }
      last = std::max(last, m.index);
    } else {
      ents.clear();
      ents_first = m.index + 1;
      last = m.index;
    }
    marker = std::move(m);
    return std::nullopt;
  }
};

// Reads segment files on a thread of its own, one ahead of the replay,
// into two alternating buffers. Start, then Wait, then Start the next:
// the buffer Wait returned stays valid until the Wait after.
class SegmentReader {
 public:
  explicit SegmentReader(Env* env) : env_(env) {}
  SegmentReader(const SegmentReader&) = delete;
  SegmentReader& operator=(const SegmentReader&) = delete;
  ~SegmentReader() {
    if (thread_.joinable()) thread_.join();
  }

  void Start(std::string path) {
    std::string* buf = &bufs_[next_];
    next_ ^= 1;
    thread_ = std::thread([this, buf, path = std::move(path)] {
      status_ = env_->ReadFile(path, buf);
      read_ = buf;
    });
  }
  absl::StatusOr<absl::string_view> Wait() {
    thread_.join();
    if (!status_.ok()) return status_;
    return absl::string_view(*read_);
  }

 private:
  Env* const env_;
  std::string bufs_[2];
  int next_ = 0;
  std::thread thread_;
  absl::Status status_;          // written by the thread, read after join
  std::string* read_ = nullptr;  // likewise
};

}  // namespace

Wal::Wal(std::string dir, WalOptions options)
    : dir_(std::move(dir)),
      options_(options),
      env_(options.env != nullptr ? options.env : Env::Default()) {}

Wal::~Wal() = default;

absl::StatusOr<std::unique_ptr<Wal>> Wal::Open(std::string dir,
                                               WalOptions options,
                                               WalContents* recovered) {
  if (dir.empty()) return absl::InvalidArgumentError("empty WAL directory");
  if (options.segment_bytes < kMinSegmentBytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("WalOptions::segment_bytes %d is below the minimum %d",
                        options.segment_bytes, kMinSegmentBytes));
  }
  std::unique_ptr<Wal> wal(new Wal(std::move(dir), options));
  if (absl::Status s = wal->env_->CreateDir(wal->dir_); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<FileLock>> lock =
      wal->env_->LockFile(JoinPath(wal->dir_, kLockName));
  if (!lock.ok()) return lock.status();
  wal->lock_ = *std::move(lock);
  WalContents contents;
  if (absl::Status s = wal->Recover(&contents); !s.ok()) return s;
  if (recovered != nullptr) *recovered = std::move(contents);
  return wal;
}

std::string Wal::SegmentPath(const Segment& s) const {
  return JoinPath(dir_, wal_internal::SegmentName(s.seq, s.first_index));
}

absl::Status Wal::Recover(WalContents* out) {
  absl::StatusOr<std::vector<std::string>> names = env_->ListDir(dir_);
  if (!names.ok()) return names.status();
  std::vector<Segment> segs;
  std::string other;
  bool removed = false;
  for (const std::string& name : *names) {
    if (absl::EndsWith(name, ".wal.tmp")) {
      // A segment whose creation a crash interrupted; it was never in use.
      if (absl::Status s = env_->RemoveFile(JoinPath(dir_, name)); !s.ok()) {
        return s;
      }
      removed = true;
    } else if (auto id = wal_internal::ParseSegmentName(name)) {
      segs.push_back({id->seq, id->first_index});
    } else if (name != kLockName && other.empty()) {
      other = name;
    }
  }
  if (removed) {
    if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return s;
  }
  if (segs.empty()) {
    if (!other.empty()) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s is not a WAL directory: it holds files (such as %s) but no WAL "
          "segments",
          dir_, other));
    }
    return CreateFirstSegment();
  }
  std::sort(segs.begin(), segs.end(),
            [](const Segment& a, const Segment& b) { return a.seq < b.seq; });
  for (size_t i = 1; i < segs.size(); ++i) {
    if (segs[i].seq != segs[i - 1].seq + 1) {
      return absl::DataLossError(absl::StrFormat(
          "WAL %s is missing a segment: %s is followed by %s", dir_,
          SegmentPath(segs[i - 1]), SegmentPath(segs[i])));
    }
  }

  Replay r;
  uint32_t chain = 0;
  uint64_t end_of_records = 0;
  uint64_t header_end = 0;
  bool repair = false;
  // Segment i+1 is read on another thread while segment i is replayed, so
  // that recovery runs at the speed of the slower of the two; two buffers,
  // reused for every segment.
  SegmentReader reader(env_);
  std::vector<Entry> batch;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string path = SegmentPath(segs[i]);
    const bool last_segment = i + 1 == segs.size();
    if (i == 0) reader.Start(path);
    absl::StatusOr<absl::string_view> read = reader.Wait();
    if (!read.ok()) return read.status();
    if (!last_segment) reader.Start(SegmentPath(segs[i + 1]));
    const absl::string_view data = *read;

    // The header: the magic and version first (at fixed offsets, whatever
    // the format), then the record.
    if (data.size() < wal_internal::kVersionOffset + 4) {
      return Corrupt(path, 0,
                     absl::StrFormat("%d bytes long, too short for a segment "
                                     "header",
                                     data.size()));
    }
    if (data.substr(wal_internal::kMagicOffset, 8) !=
        wal_internal::kSegmentMagic) {
      return Corrupt(path, wal_internal::kMagicOffset,
                     "bad magic: not a craft WAL segment");
    }
    const uint32_t version =
        wal_internal::GetFixed32(data.data() + wal_internal::kVersionOffset);
    if (version > wal_internal::kFormatVersion) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "WAL segment %s was written by a newer version of craft (format "
          "version %d; this build reads version %d)",
          path, version, wal_internal::kFormatVersion));
    }
    ReadResult rr = ReadRecord(data, 0, 0);
    if (rr.kind != ReadResult::kRecord) {
      return Corrupt(path, 0, absl::StrCat("bad segment header: ", rr.reason));
    }
    if (rr.type != RecordType::kSegmentHeader) {
      return Corrupt(path, 0, "the first record is not a segment header");
    }
    absl::StatusOr<wal_internal::SegmentHeader> hdr =
        wal_internal::DecodeSegmentHeader(rr.payload);
    if (!hdr.ok()) return Corrupt(path, 0, hdr.status().message());
    if (hdr->seq != segs[i].seq || hdr->first_index != segs[i].first_index) {
      return Corrupt(
          path, 0,
          absl::StrFormat("its header names sequence %d and first index %d, "
                          "unlike its file name",
                          hdr->seq, hdr->first_index));
    }
    if (i == 0) {
      r.Start(hdr->first_index);
    } else {
      if (hdr->prev_crc != chain) {
        return Corrupt(
            path, 0,
            absl::StrFormat("the checksum chain is broken: it continues from "
                            "%08x but the previous segment ends at %08x "
                            "(records lost from the end of the previous "
                            "segment?)",
                            hdr->prev_crc, chain));
      }
      if (hdr->first_index != r.last + 1) {
        return Corrupt(path, 0,
                       absl::StrFormat("it starts the log at index %d but the "
                                       "segments before it end at index %d",
                                       hdr->first_index, r.last));
      }
    }
    chain = rr.crc;
    uint64_t pos = rr.next;
    header_end = pos;

    for (;;) {
      rr = ReadRecord(data, pos, chain);
      if (rr.kind == ReadResult::kEnd) break;
      if (rr.kind == ReadResult::kBad) {
        if (!last_segment) return Corrupt(path, pos, rr.reason);
        // In the newest segment, an interrupted write is expected: a record
        // cut short by the end of the file, or a damaged one after which
        // the file was never written (zeros). Damage followed by data is
        // not something an interrupted append leaves.
        const bool torn =
            rr.incomplete || (rr.ends_in_zero && AllZero(data, rr.rest));
        if (!torn) {
          return Corrupt(path, pos,
                         absl::StrCat(rr.reason,
                                      "; not a torn write at the end of the "
                                      "log: data follows it"));
        }
        repair = true;
        break;
      }
      std::optional<std::string> problem;
      switch (rr.type) {
        case RecordType::kEntry: {
          absl::StatusOr<Entry> e = wal_internal::DecodeEntry(rr.payload);
          if (!e.ok()) return Corrupt(path, pos, e.status().message());
          problem = r.AddEntry(*std::move(e));
          break;
        }
        case RecordType::kEntries: {
          batch.clear();
          if (absl::Status s = wal_internal::DecodeEntries(rr.payload, &batch);
              !s.ok()) {
            return Corrupt(path, pos, s.message());
          }
          for (Entry& e : batch) {
            problem = r.AddEntry(std::move(e));
            if (problem) break;
          }
          break;
        }
        case RecordType::kHardState: {
          absl::StatusOr<HardState> hs =
              wal_internal::DecodeHardState(rr.payload);
          if (!hs.ok()) return Corrupt(path, pos, hs.status().message());
          r.hard_state = *hs;
          break;
        }
        case RecordType::kSnapshotMarker: {
          absl::StatusOr<wal_internal::DecodedMarker> m =
              wal_internal::DecodeSnapshotMarker(rr.payload);
          if (!m.ok()) return Corrupt(path, pos, m.status().message());
          problem = r.ApplyMarker(std::move(m->marker), m->keeps_log);
          break;
        }
        case RecordType::kSegmentHeader:
          problem = "a segment header in the middle of a segment";
          break;
        default:
          problem = absl::StrFormat("unknown record type %d",
                                    static_cast<int>(rr.type));
          break;
      }
      if (problem) return Corrupt(path, pos, *problem);
      chain = rr.crc;
      pos = rr.next;
    }
    if (last_segment) {
      end_of_records = pos;
      // Only a torn tail leaves nonzero bytes past the last record.
      repair = repair || !AllZero(data, pos);
    }
  }

  if (r.ents.empty() ? r.last != r.marker.index
                     : r.ents_first != r.marker.index + 1) {
    return absl::DataLossError(absl::StrFormat(
        "WAL %s has a gap: the latest snapshot marker is at index %d but the "
        "log resumes at index %d (segments deleted past the snapshot?)",
        dir_, r.marker.index, r.ents.empty() ? r.last + 1 : r.ents_first));
  }

  // Cut a torn tail off (durably) before appending after it.
  const std::string last_path = SegmentPath(segs.back());
  if (repair) {
    if (absl::Status s = env_->Truncate(last_path, end_of_records); !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> f =
      env_->OpenForAppend(last_path, end_of_records, options_.segment_bytes);
  if (!f.ok()) return f.status();
  file_ = *std::move(f);
  segments_ = std::move(segs);
  segment_prefix_end_ = header_end;
  chain_ = chain;

  hard_state_ = r.hard_state;
  marker_ = r.marker;
  last_index_ = r.last;
  term_runs_.clear();
  for (const Entry& e : r.ents) {
    if (term_runs_.empty() || term_runs_.back().term != e.term()) {
      term_runs_.push_back({e.index(), e.term()});
    }
  }
  out->hard_state = r.hard_state;
  out->snapshot = std::move(r.marker);
  out->entries = std::move(r.ents);
  return absl::OkStatus();
}

absl::Status Wal::CreateFirstSegment() { return OpenSegmentFile(0, 1, 0); }

absl::Status Wal::OpenSegmentFile(uint64_t seq, uint64_t first_index,
                                  uint32_t prev_crc) {
  const Segment seg{seq, first_index};
  const std::string path = SegmentPath(seg);
  const std::string tmp = absl::StrCat(path, wal_internal::kTempSuffix);
  // The header and the copies of the state older segments hold, so that
  // releasing those segments loses nothing.
  std::string prefix;
  uint32_t chain = 0;
  wal_internal::AppendRecord(
      &prefix, RecordType::kSegmentHeader,
      wal_internal::EncodeSegmentHeader({seq, first_index, prev_crc}), &chain);
  if (!IsEmptyHardState(hard_state_)) {
    wal_internal::AppendRecord(&prefix, RecordType::kHardState,
                               wal_internal::EncodeHardState(hard_state_),
                               &chain);
  }
  if (marker_.index > 0) {
    wal_internal::AppendRecord(
        &prefix, RecordType::kSnapshotMarker,
        wal_internal::EncodeSnapshotMarker(marker_, /*keeps_log=*/true),
        &chain);
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> f =
      env_->NewWritableFile(tmp, options_.segment_bytes);
  if (!f.ok()) return f.status();
  if (absl::Status s = (*f)->Append(prefix); !s.ok()) return s;
  if (absl::Status s = (*f)->Sync(); !s.ok()) return s;
  if (absl::Status s = env_->RenameFile(tmp, path); !s.ok()) return s;
  if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return s;
  file_ = *std::move(f);
  segments_.push_back(seg);
  segment_prefix_end_ = prefix.size();
  chain_ = chain;
  return absl::OkStatus();
}

absl::Status Wal::CutSegment() {
  return OpenSegmentFile(segments_.back().seq + 1, last_index_ + 1, chain_);
}

absl::Status Wal::Fail(absl::Status s) {
  if (failed_.ok()) failed_ = s;
  buf_.clear();
  return s;
}

absl::Status Wal::Refused() const {
  return absl::FailedPreconditionError(
      absl::StrCat("WAL failed earlier: ", failed_.ToString(), "; reopen it"));
}

absl::Status Wal::FlushBuffer() {
  if (buf_.empty()) return absl::OkStatus();
  absl::Status s = file_->Append(buf_);
  buf_.clear();
  if (buf_.capacity() > 4 * kFlushBytes) std::string().swap(buf_);
  if (!s.ok()) return Fail(std::move(s));
  return absl::OkStatus();
}

absl::Status Wal::AddRecord(uint8_t type, size_t payload_size,
                            absl::FunctionRef<void(char*)> fill) {
  const uint64_t offset = file_->Size() + buf_.size();
  if (offset + wal_internal::RecordSize(payload_size) >
          options_.segment_bytes &&
      offset > segment_prefix_end_) {
    // The segment is full: finish it (synced, so that the chain the next
    // segment continues is durable before it), then start the next.
    if (absl::Status s = FlushBuffer(); !s.ok()) return s;
    if (absl::Status s = file_->Sync(); !s.ok()) return Fail(std::move(s));
    if (absl::Status s = CutSegment(); !s.ok()) return Fail(std::move(s));
  }
  const size_t pos = wal_internal::BeginRecord(
      &buf_, static_cast<RecordType>(type), payload_size);
  fill(buf_.data() + pos);
  wal_internal::FinishRecord(&buf_, pos, &chain_);
  if (buf_.size() >= kFlushBytes) return FlushBuffer();
  return absl::OkStatus();
}

void Wal::AppendTerms(absl::Span<const Entry> entries) {
  for (const Entry& e : entries) {
    if (e.index() <= last_index_) {  // replaces the log from e.index() on
      while (!term_runs_.empty() && term_runs_.back().first >= e.index()) {
        term_runs_.pop_back();
      }
    }
    last_index_ = e.index();
    if (term_runs_.empty() || term_runs_.back().term != e.term()) {
      term_runs_.push_back({e.index(), e.term()});
    }
  }
}

uint64_t Wal::TermAt(uint64_t index) const {
  if (index == marker_.index) return marker_.term;
  if (index <= marker_.index || index > last_index_ || term_runs_.empty() ||
      index < term_runs_.front().first) {
    return 0;
  }
  auto it = std::upper_bound(
      term_runs_.begin(), term_runs_.end(), index,
      [](uint64_t i, const TermRun& run) { return i < run.first; });
  return std::prev(it)->term;
}

absl::Status Wal::Save(const HardState* hs, absl::Span<const Entry> entries,
                       bool sync) {
  if (!failed_.ok()) return Refused();
  size_t skip = 0;
  if (!entries.empty()) {
    for (size_t k = 1; k < entries.size(); ++k) {
      if (entries[k].index() != entries[k - 1].index() + 1) {
        return absl::InvalidArgumentError(
            absl::StrFormat("entries are not consecutive: index %d follows %d",
                            entries[k].index(), entries[k - 1].index()));
      }
    }
    if (entries[0].index() == 0) {
      return absl::InvalidArgumentError("an entry has index 0");
    }
    // Entries already in the snapshot are skipped.
    if (entries.back().index() <= marker_.index) {
      skip = entries.size();
    } else if (entries[0].index() <= marker_.index) {
      skip = marker_.index + 1 - entries[0].index();
    }
    entries = entries.subspan(skip);
    if (!entries.empty() && entries[0].index() > last_index_ + 1) {
      return absl::InvalidArgumentError(
          absl::StrFormat("missing log entry [last: %d, append at: %d]",
                          last_index_, entries[0].index()));
    }
    for (const Entry& e : entries) {
      // (A batch record adds a length of at most 10 bytes.)
      if (wal_internal::EncodedEntrySize(e) + 10 >
          wal_internal::kMaxRecordPayload) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "entry %d is %d bytes encoded, over the WAL's limit of %d bytes",
            e.index(), wal_internal::EncodedEntrySize(e),
            wal_internal::kMaxRecordPayload));
      }
    }
  }

  // The entries go in batch records of about kFlushBytes at most.
  while (!entries.empty()) {
    size_t n = 0, bytes = 0;
    while (n < entries.size() && (n == 0 || bytes < kFlushBytes)) {
      bytes += wal_internal::EncodedEntrySize(entries[n]) + 10;
      ++n;
    }
    const absl::Span<const Entry> batch = entries.subspan(0, n);
    absl::Status s = AddRecord(
        static_cast<uint8_t>(RecordType::kEntries),
        wal_internal::EncodedEntriesSize(batch),
        [batch](char* dst) { wal_internal::EncodeEntries(batch, dst); });
    if (!s.ok()) return s;
    // Track the log as records are added: a segment cut by a later record
    // is named after the entries before it.
    AppendTerms(batch);
    entries.remove_prefix(n);
  }
  if (hs != nullptr) {
    const std::string payload = wal_internal::EncodeHardState(*hs);
    absl::Status s =
        AddRecord(static_cast<uint8_t>(RecordType::kHardState), payload.size(),
                  [&payload](char* dst) {
                    std::memcpy(dst, payload.data(), payload.size());
                  });
    if (!s.ok()) return s;
    hard_state_ = *hs;
  }
  if (absl::Status s = FlushBuffer(); !s.ok()) return s;
  if (sync) {
    if (absl::Status s = file_->Sync(); !s.ok()) return Fail(std::move(s));
  }
  return absl::OkStatus();
}

absl::Status Wal::SaveSnapshotMarker(const SnapshotMarker& marker) {
  if (!failed_.ok()) return Refused();
  if (marker.index < marker_.index) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "snapshot marker at index %d is older than the current one at %d",
        marker.index, marker_.index));
  }
  // As Raft restores a snapshot: a log that agrees with it at its index
  // keeps what follows; any other log is replaced by it.
  const bool keeps_log =
      marker.index <= last_index_ && TermAt(marker.index) == marker.term;
  const std::string payload =
      wal_internal::EncodeSnapshotMarker(marker, keeps_log);
  absl::Status s = AddRecord(static_cast<uint8_t>(RecordType::kSnapshotMarker),
                             payload.size(), [&payload](char* dst) {
                               std::memcpy(dst, payload.data(), payload.size());
                             });
  if (!s.ok()) return s;
  if (keeps_log) {
    // Drop the runs wholly at or below the marker; trim the one it is in.
    size_t k = 0;
    while (k + 1 < term_runs_.size() &&
           term_runs_[k + 1].first <= marker.index + 1) {
      ++k;
    }
    term_runs_.erase(term_runs_.begin(),
                     term_runs_.begin() + static_cast<ptrdiff_t>(k));
    if (marker.index >= last_index_) {
      term_runs_.clear();
    } else if (!term_runs_.empty() &&
               term_runs_.front().first <= marker.index) {
      term_runs_.front().first = marker.index + 1;
    }
  } else {
    term_runs_.clear();
    last_index_ = marker.index;
  }
  marker_ = marker;
  if (absl::Status s = FlushBuffer(); !s.ok()) return s;
  if (absl::Status s = file_->Sync(); !s.ok()) return Fail(std::move(s));
  return absl::OkStatus();
}

absl::Status Wal::Sync() {
  if (!failed_.ok()) return Refused();
  if (absl::Status s = FlushBuffer(); !s.ok()) return s;
  if (absl::Status s = file_->Sync(); !s.ok()) return Fail(std::move(s));
  return absl::OkStatus();
}

absl::Status Wal::ReleaseTo(uint64_t index) {
  if (!failed_.ok()) return Refused();
  if (index > marker_.index) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "cannot release the WAL to index %d: the latest snapshot marker is "
        "at %d",
        index, marker_.index));
  }
  // Segment k holds no entry past the index the next one starts at, less
  // one (older entries it held were replaced before that segment began).
  // Only a prefix of the segments goes, oldest first, each removal synced:
  // a crash must never leave a hole in the sequence.
  while (segments_.size() > 1 && segments_[1].first_index <= index + 1) {
    if (absl::Status s = env_->RemoveFile(SegmentPath(segments_.front()));
        !s.ok()) {
      return s;
    }
    segments_.erase(segments_.begin());
    if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace craft
