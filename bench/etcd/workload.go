// The reference workloads of bench/workload/workload.h (issue 9), written
// against go.etcd.io/raft/v3 so that craft and etcd-io/raft are compared
// cell by cell. Everything here mirrors bench/workload/workload.cc; read
// that file's contract first. In short:
//
//   - Common: RawNode over MemoryStorage; election tick 10, heartbeat tick
//     1, MaxSizePerMsg 1 MiB, MaxInflightMsgs 256, everything else default;
//     a logger that drops everything. Each storage starts from a snapshot
//     at index 1, term 1 whose ConfState lists all voters.
//   - throughput: V voters in one goroutine, no ticks. Node 1 campaigns,
//     the cluster is pumped until quiet, then batches of 128-byte entries
//     (one shared payload slice) are proposed on the leader and pumped
//     until quiet, until N entries were proposed. Timed part only: wall and
//     process CPU time, heap allocations (runtime.MemStats Mallocs) and
//     bytes (TotalAlloc); Readys and messages per batch. One untimed warm-up
//     of N/10, then `reps` runs on fresh clusters; medians.
//   - idle: G single-node groups (leader 1 of voters {1,2,3}) elected with
//     forged follower answers; live heap per group (HeapAlloc, HeapObjects
//     after a GC), then 21 rounds of one Tick per group and of draining
//     every group's Ready, each timed (wall); medians.
//
// Where Go differs from C++ by nature, the figures mean: CPU time includes
// the Go runtime's own threads (the garbage collector runs concurrently);
// allocation bytes are Go's size-class-rounded object sizes, not the bytes
// requested; live heap bytes are HeapAlloc after a full GC.

package main

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"syscall"
	"time"
	"unsafe"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"go.etcd.io/raft/v3/tracker"
)

const payloadSize = 128

// dropLogger drops everything, as craft's DropLogger does. Panic and Fatal
// must still not return: raft relies on that.
type dropLogger struct{}

func (dropLogger) Debug(...interface{})            {}
func (dropLogger) Debugf(string, ...interface{})   {}
func (dropLogger) Info(...interface{})             {}
func (dropLogger) Infof(string, ...interface{})    {}
func (dropLogger) Warning(...interface{})          {}
func (dropLogger) Warningf(string, ...interface{}) {}
func (dropLogger) Error(...interface{})            {}
func (dropLogger) Errorf(string, ...interface{})   {}
func (dropLogger) Fatal(v ...interface{})          { panic(fmt.Sprint(v...)) }
func (dropLogger) Fatalf(f string, v ...interface{}) {
	panic(fmt.Sprintf(f, v...))
}
func (dropLogger) Panic(v ...interface{}) { panic(fmt.Sprint(v...)) }
func (dropLogger) Panicf(f string, v ...interface{}) {
	panic(fmt.Sprintf(f, v...))
}

func init() { raft.SetLogger(dropLogger{}) } // MemoryStorage logs through it

// clock is wall time and process CPU time (CLOCK_PROCESS_CPUTIME_ID, as
// craft reads it), in nanoseconds.
type clock struct{ wall, cpu int64 }

var epoch = time.Now() // time.Since is monotonic

func now() clock {
	const clockProcessCPUTimeID = 2
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTimeID,
		uintptr(unsafe.Pointer(&ts)), 0)
	return clock{int64(time.Since(epoch)), ts.Nano()}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// member is a storage bootstrapped as the workloads specify, and a node on
// it.
type member struct {
	storage *raft.MemoryStorage
	node    *raft.RawNode
}

func newMember(id uint64, voters int) (member, error) {
	s := raft.NewMemoryStorage()
	snap := pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 1, Term: 1}}
	for v := 1; v <= voters; v++ {
		snap.Metadata.ConfState.Voters =
			append(snap.Metadata.ConfState.Voters, uint64(v))
	}
	if err := s.ApplySnapshot(snap); err != nil {
		return member{}, err
	}
	n, err := raft.NewRawNode(&raft.Config{
		ID:              id,
		Storage:         s,
		Logger:          dropLogger{},
		ElectionTick:    10,
		HeartbeatTick:   1,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 256,
	})
	return member{s, n}, err
}

// persist writes what a Ready asks to persist, in craft's order.
func persist(s *raft.MemoryStorage, rd raft.Ready) error {
	if !raft.IsEmptyHardState(rd.HardState) {
		if err := s.SetHardState(rd.HardState); err != nil {
			return err
		}
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := s.ApplySnapshot(rd.Snapshot); err != nil {
			return err
		}
	}
	return s.Append(rd.Entries)
}

// cluster is the throughput workload's cluster.
type cluster struct {
	members        []member
	applied        []uint64 // index of the last committed entry seen
	appliedEntries []uint64 // non-empty normal entries seen
	readys, msgs   uint64
}

func newCluster(voters int) (*cluster, error) {
	c := &cluster{
		applied:        make([]uint64, voters),
		appliedEntries: make([]uint64, voters),
	}
	for id := 1; id <= voters; id++ {
		m, err := newMember(uint64(id), voters)
		if err != nil {
			return nil, err
		}
		c.members = append(c.members, m)
	}
	return c, nil
}

func (c *cluster) leader() *raft.RawNode { return c.members[0].node }

// pump runs rounds over the nodes in id order until one in which no node
// had a Ready. A node with a Ready persists it, steps each message at once
// into its target, records its committed entries and advances.
func (c *cluster) pump() error {
	for busy := true; busy; {
		busy = false
		for i := range c.members {
			n := c.members[i].node
			if !n.HasReady() {
				continue
			}
			busy = true
			c.readys++
			rd := n.Ready()
			if err := persist(c.members[i].storage, rd); err != nil {
				return err
			}
			for _, m := range rd.Messages {
				c.msgs++
				if m.To < 1 || m.To > uint64(len(c.members)) {
					return fmt.Errorf("a message to unknown node %d", m.To)
				}
				if err := c.members[m.To-1].node.Step(m); err != nil {
					return err
				}
			}
			for _, e := range rd.CommittedEntries {
				c.applied[i] = e.Index
				if e.Type == pb.EntryNormal && len(e.Data) > 0 {
					c.appliedEntries[i]++
				}
			}
			n.Advance(rd)
		}
	}
	return nil
}

// check verifies that every node applied index `index` and `entries`
// non-empty entries.
func (c *cluster) check(index, entries uint64) error {
	for i := range c.members {
		if c.applied[i] != index || c.appliedEntries[i] != entries {
			return fmt.Errorf("node %d applied index %d and %d entries; "+
				"want %d and %d", i+1, c.applied[i], c.appliedEntries[i],
				index, entries)
		}
	}
	return nil
}

type runFigures struct {
	start, end            clock
	heapStart, heapEnd    runtime.MemStats
	readys, msgs, batches uint64
}

// throughputRun is one run of the throughput workload of n entries on a
// fresh cluster.
func throughputRun(o throughputOptions, n uint64) (*runFigures, error) {
	c, err := newCluster(o.voters)
	if err != nil {
		return nil, err
	}
	if err := c.leader().Campaign(); err != nil {
		return nil, err
	}
	if err := c.pump(); err != nil {
		return nil, err
	}
	if st := c.leader().BasicStatus(); st.RaftState != raft.StateLeader ||
		st.Term != 1 {
		return nil, errors.New("node 1 did not become leader at term 1")
	}
	if err := c.check(2, 0); err != nil {
		return nil, err
	}

	// One payload shared by every entry.
	payload := make([]byte, payloadSize)
	for i := range payload {
		payload[i] = 'x'
	}
	f := &runFigures{}
	readysBefore, msgsBefore := c.readys, c.msgs
	runtime.GC() // start each timed part from a collected heap (untimed)
	runtime.ReadMemStats(&f.heapStart)
	f.start = now()
	for proposed := uint64(0); proposed < n; {
		b := n - proposed
		if b > uint64(o.batch) {
			b = uint64(o.batch)
		}
		if o.variant == "propose" {
			for i := uint64(0); i < b; i++ {
				if err := c.leader().Propose(payload); err != nil {
					return nil, err
				}
			}
		} else {
			// From 0: the application's own proposal, which RawNode.Step
			// accepts for a MsgProp.
			ents := make([]pb.Entry, b)
			for i := range ents {
				ents[i].Data = payload
			}
			err := c.leader().Step(
				pb.Message{Type: pb.MsgProp, To: 1, Entries: ents})
			if err != nil {
				return nil, err
			}
		}
		proposed += b
		f.batches++
		if err := c.pump(); err != nil {
			return nil, err
		}
	}
	f.end = now()
	runtime.ReadMemStats(&f.heapEnd)
	f.readys = c.readys - readysBefore
	f.msgs = c.msgs - msgsBefore
	if err := c.check(n+2, n); err != nil {
		return nil, err
	}
	return f, nil
}

type throughputOptions struct {
	voters  int
	batch   int
	variant string // "propose" or "msgprop"
	n       uint64
	reps    int
}

type throughputResult struct {
	entriesPerS, nsPerEntry, cpuNsPerEntry float64
	allocsPerEntry, bytesPerEntry          float64
	readysPerBatch, msgsPerBatch           float64
}

func runThroughput(o throughputOptions) (throughputResult, error) {
	warm := o.n / 10
	if warm < 1 {
		warm = 1
	}
	if _, err := throughputRun(o, warm); err != nil {
		return throughputResult{}, err
	}
	var rate, wall, cpu, allocs, bytes, readys, msgs []float64
	n := float64(o.n)
	for rep := 0; rep < o.reps; rep++ {
		f, err := throughputRun(o, o.n)
		if err != nil {
			return throughputResult{}, err
		}
		wallNs := float64(f.end.wall - f.start.wall)
		rate = append(rate, n/(wallNs/1e9))
		wall = append(wall, wallNs/n)
		cpu = append(cpu, float64(f.end.cpu-f.start.cpu)/n)
		allocs = append(allocs,
			float64(f.heapEnd.Mallocs-f.heapStart.Mallocs)/n)
		bytes = append(bytes,
			float64(f.heapEnd.TotalAlloc-f.heapStart.TotalAlloc)/n)
		batches := float64(f.batches)
		readys = append(readys, float64(f.readys)/batches)
		msgs = append(msgs, float64(f.msgs)/batches)
	}
	return throughputResult{
		median(rate), median(wall), median(cpu), median(allocs),
		median(bytes), median(readys), median(msgs),
	}, nil
}

// answerAsFollowers mirrors craft::testing::AnswerAsFollowers: a granting
// MsgVoteResp for each MsgVote and a MsgAppResp acknowledging everything
// each MsgApp carries; each from the message's recipient, in its term.
func answerAsFollowers(msgs []pb.Message) []pb.Message {
	var answers []pb.Message
	for _, m := range msgs {
		a := pb.Message{From: m.To, To: m.From, Term: m.Term}
		switch m.Type {
		case pb.MsgVote:
			a.Type = pb.MsgVoteResp
		case pb.MsgApp:
			a.Type = pb.MsgAppResp
			a.Index = m.Index + uint64(len(m.Entries))
		default:
			continue
		}
		answers = append(answers, a)
	}
	return answers
}

// electGroup elects the group's node 1, answering its vote requests and
// appends as its followers would.
func electGroup(g member) error {
	n := g.node
	if err := n.Campaign(); err != nil {
		return err
	}
	for n.HasReady() {
		rd := n.Ready()
		if err := persist(g.storage, rd); err != nil {
			return err
		}
		answers := answerAsFollowers(rd.Messages)
		n.Advance(rd)
		for _, a := range answers {
			if err := n.Step(a); err != nil {
				return err
			}
		}
	}
	st := n.Status()
	ok := st.RaftState == raft.StateLeader && st.Term == 1 &&
		st.Commit == 2 && st.Applied == 2
	for _, f := range []uint64{2, 3} {
		pr, found := st.Progress[f]
		ok = ok && found && pr.State == tracker.StateReplicate && pr.Match == 2
	}
	if !ok {
		return errors.New("a group did not end its election")
	}
	return nil
}

type idleOptions struct {
	groups uint64
	rounds int
}

type idleResult struct {
	bytesPerGroup, allocsPerGroup, tickNsPerGroup, drainNsPerGroup float64
}

func runIdle(o idleOptions) (idleResult, error) {
	groups := make([]member, 0, o.groups)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := uint64(0); i < o.groups; i++ {
		g, err := newMember(1, 3)
		if err != nil {
			return idleResult{}, err
		}
		if err := electGroup(g); err != nil {
			return idleResult{}, err
		}
		groups = append(groups, g)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	gs := float64(o.groups)
	r := idleResult{
		bytesPerGroup: float64(int64(after.HeapAlloc)-
			int64(before.HeapAlloc)) / gs,
		allocsPerGroup: float64(int64(after.HeapObjects)-
			int64(before.HeapObjects)) / gs,
	}

	// One round untimed, to check what a tick does: with a heartbeat
	// timeout of one tick, every tick is a heartbeat round to both
	// followers.
	var heartbeats uint64
	for _, m := range groups {
		m.node.Tick()
		if m.node.HasReady() {
			rd := m.node.Ready()
			for _, msg := range rd.Messages {
				if msg.Type == pb.MsgHeartbeat {
					heartbeats++
				}
			}
			m.node.Advance(rd)
		}
	}
	if heartbeats != 2*o.groups {
		return idleResult{}, fmt.Errorf(
			"a tick of %d groups sent %d heartbeats", o.groups, heartbeats)
	}

	var tick, drain []float64
	for round := 0; round < o.rounds; round++ {
		t0 := now()
		for _, m := range groups {
			m.node.Tick()
		}
		t1 := now()
		for _, m := range groups {
			if m.node.HasReady() {
				m.node.Advance(m.node.Ready())
			}
		}
		t2 := now()
		tick = append(tick, float64(t1.wall-t0.wall)/gs)
		drain = append(drain, float64(t2.wall-t1.wall)/gs)
	}
	r.tickNsPerGroup = median(tick)
	r.drainNsPerGroup = median(drain)
	return r, nil
}

func formatThroughput(o throughputOptions, r throughputResult) string {
	return fmt.Sprintf("workload=throughput voters=%d batch=%d variant=%s "+
		"n=%d entries_per_s=%.1f ns_per_entry=%.1f cpu_ns_per_entry=%.1f "+
		"allocs_per_entry=%.4f bytes_per_entry=%.1f readys_per_batch=%.3f "+
		"msgs_per_batch=%.3f",
		o.voters, o.batch, o.variant, o.n, r.entriesPerS, r.nsPerEntry,
		r.cpuNsPerEntry, r.allocsPerEntry, r.bytesPerEntry, r.readysPerBatch,
		r.msgsPerBatch)
}

func formatIdle(o idleOptions, r idleResult) string {
	return fmt.Sprintf("workload=idle groups=%d bytes_per_group=%.1f "+
		"allocs_per_group=%.2f tick_ns_per_group=%.1f drain_ns_per_group=%.1f",
		o.groups, r.bytesPerGroup, r.allocsPerGroup, r.tickNsPerGroup,
		r.drainNsPerGroup)
}
