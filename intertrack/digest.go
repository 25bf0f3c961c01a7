package intertrack

import (
	"encoding/binary"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// DigestConfig sizes a DigestStore. Zero fields take the defaults noted.
type DigestConfig struct {
	Window   time.Duration // time covered by one Bloom filter (1 min)
	Windows  int           // filters kept; history = Window*Windows (10)
	Capacity int           // packets expected per window (1,000,000)
	FPRate   float64       // false-positive rate wanted at Capacity (0.01)
	MaxBytes int64         // bound on all filters' memory together (64 MiB)
}

func (c DigestConfig) withDefaults() DigestConfig {
	if c.Window <= 0 {
		c.Window = time.Minute
	}
	if c.Windows <= 0 {
		c.Windows = 10
	}
	if c.Windows > 1024 {
		c.Windows = 1024
	}
	if c.Capacity <= 0 {
		c.Capacity = 1_000_000
	}
	if !(c.FPRate > 0 && c.FPRate < 1) {
		c.FPRate = 0.01
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 64 << 20
	}
	return c
}

// DigestStore remembers traceback hashes SPIE-style: one Bloom filter per time
// window, a ring of them, the oldest cleared and reused when time moves on.
// Memory is fixed at creation. Insert and Contains are safe for concurrent use
// and lock-free except when a window rotates.
//
// A packet whose time falls in a window already rotated out is not recorded
// (counted in Stats.Late). A race between an Insert and the rotation of its slot
// can only add bits to the newer window: a false positive, never a false negative
// for a window still held.
type DigestStore struct {
	cfg    DigestConfig
	mbits  uint64 // bits per filter
	k      int    // hash functions
	window int64  // ns
	slots  []slot
	mu     sync.Mutex // serialises rotation
	late   atomic.Uint64
}

type slot struct {
	epoch atomic.Int64 // window number (time / Window); -1 = empty
	count atomic.Uint64
	words []atomic.Uint64
}

// NewDigestStore allocates the filters. Each filter gets the optimal size for
// Capacity at FPRate, shrunk if needed to keep the total within MaxBytes.
func NewDigestStore(cfg DigestConfig) *DigestStore {
	cfg = cfg.withDefaults()
	m, k := BloomSize(cfg.Capacity, cfg.FPRate)
	if maxBits := uint64(cfg.MaxBytes) * 8 / uint64(cfg.Windows); m > maxBits {
		m = maxBits
		// Optimal k for the bits we can afford: (m/n) ln 2.
		k = int(math.Round(float64(m) / float64(cfg.Capacity) * math.Ln2))
	}
	m = (m + 63) &^ 63
	if m < 64 {
		m = 64
	}
	k = max(1, min(k, 16))
	s := &DigestStore{cfg: cfg, mbits: m, k: k, window: int64(cfg.Window), slots: make([]slot, cfg.Windows)}
	for i := range s.slots {
		s.slots[i].epoch.Store(-1)
		s.slots[i].words = make([]atomic.Uint64, m/64)
	}
	return s
}

// BloomSize returns the optimal filter size in bits and number of hash
// functions for n elements at false-positive rate p: m = -n ln p / (ln 2)^2,
// k = (m/n) ln 2.
func BloomSize(n int, p float64) (m uint64, k int) {
	mf := math.Ceil(-float64(n) * math.Log(p) / (math.Ln2 * math.Ln2))
	k = int(math.Round(mf / float64(n) * math.Ln2))
	return uint64(mf), max(k, 1)
}

// Insert records a hash seen at time t (the capture time; the zero time means now).
func (s *DigestStore) Insert(hash [16]byte, t time.Time) {
	if t.IsZero() {
		t = time.Now()
	}
	e := t.UnixNano() / s.window
	sl := &s.slots[uint64(e)%uint64(len(s.slots))]
	if cur := sl.epoch.Load(); cur != e {
		if cur > e {
			s.late.Add(1)
			return
		}
		s.rotate(sl, e)
	}
	sl.count.Add(1)
	h1 := binary.LittleEndian.Uint64(hash[0:8])
	h2 := binary.LittleEndian.Uint64(hash[8:16]) | 1
	for i := 0; i < s.k; i++ {
		// Lemire's multiply-shift maps h uniformly onto [0, m) without a division.
		b, _ := bits.Mul64(h1, s.mbits)
		w, bit := &sl.words[b>>6], uint64(1)<<(b&63)
		if w.Load()&bit == 0 { // skip the locked OR when the bit is already set
			w.Or(bit)
		}
		h1 += h2
	}
}

// rotate claims a slot for window e, clearing what the slot held.
func (s *DigestStore) rotate(sl *slot, e int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := sl.epoch.Load(); cur >= e {
		return
	}
	// Mark the slot empty while clearing so Contains does not trust it.
	sl.epoch.Store(-1)
	for i := range sl.words {
		sl.words[i].Store(0)
	}
	sl.count.Store(0)
	sl.epoch.Store(e)
}

// Contains reports whether the hash may have been inserted at a time within
// [from, to] (at window granularity). A zero from or to leaves that side open.
// False positives occur at about the configured rate; false negatives do not,
// for windows still held.
func (s *DigestStore) Contains(hash [16]byte, from, to time.Time) bool {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !from.IsZero() {
		lo = from.UnixNano() / s.window
	}
	if !to.IsZero() {
		hi = to.UnixNano() / s.window
	}
	for i := range s.slots {
		sl := &s.slots[i]
		e := sl.epoch.Load()
		if e < 0 || e < lo || e > hi {
			continue
		}
		if s.test(sl, hash) {
			return true
		}
	}
	return false
}

func (s *DigestStore) test(sl *slot, hash [16]byte) bool {
	h1 := binary.LittleEndian.Uint64(hash[0:8])
	h2 := binary.LittleEndian.Uint64(hash[8:16]) | 1
	for i := 0; i < s.k; i++ {
		b, _ := bits.Mul64(h1, s.mbits)
		if sl.words[b>>6].Load()&(uint64(1)<<(b&63)) == 0 {
			return false
		}
		h1 += h2
	}
	return true
}

// DigestStats describes a store.
type DigestStats struct {
	BitsPerFilter uint64
	HashFuncs     int
	Windows       int
	Window        time.Duration
	Bytes         int64   // memory held by all filters
	Inserted      uint64  // packets in the windows held
	Late          uint64  // packets older than the oldest window, not recorded
	WorstFPRate   float64 // estimated false-positive rate of the fullest window
}

// Stats reports sizes, fill and the estimated false-positive rate.
func (s *DigestStore) Stats() DigestStats {
	st := DigestStats{
		BitsPerFilter: s.mbits, HashFuncs: s.k, Windows: len(s.slots), Window: s.cfg.Window,
		Bytes: int64(s.mbits/8) * int64(len(s.slots)), Late: s.late.Load(),
	}
	var most uint64
	for i := range s.slots {
		if s.slots[i].epoch.Load() < 0 {
			continue
		}
		c := s.slots[i].count.Load()
		st.Inserted += c
		most = max(most, c)
	}
	// (1 - e^{-kn/m})^k
	st.WorstFPRate = math.Pow(1-math.Exp(-float64(s.k)*float64(most)/float64(s.mbits)), float64(s.k))
	return st
}
