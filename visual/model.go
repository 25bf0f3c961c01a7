package visual

import (
	"math"
	"time"

	"github.com/packter/packter/event"
)

// Defaults of Config.
const (
	DefaultFly         = 3 * time.Second // PACKTER 3.0's flight time
	DefaultMaxBalls    = 200_000
	DefaultBudget      = 15_000           // balls drawn one by one before density takes over; the board raises it while frames come easily
	DefaultMessageTime = 10 * time.Second // PACKTER 3.0's message time
	maxMessages        = 4
)

// Config sets up a Model. Zero fields take the defaults above.
type Config struct {
	Fly         time.Duration // time a ball takes from sender to receiver
	MaxBalls    int           // balls in flight at most; more are dropped and counted
	MessageTime time.Duration // how long a message stays on screen (wall time)
	// Budget is how many balls are drawn one by one at most; past it a
	// sample of that many is drawn over a density layer of the rest (see
	// Vertices). The shell lowers it when frames get slow.
	Budget int
}

// Mode is where the scene stands on the timeline.
type Mode uint8

const (
	Live   Mode = iota // showing events as they arrive
	Paused             // frozen
	Replay             // playing recorded events behind live
)

func (m Mode) String() string {
	switch m {
	case Paused:
		return "paused"
	case Replay:
		return "replay"
	}
	return "live"
}

// ball is the hot part of a flying object, kept small for the per-frame loop;
// its event sits at the same index in Model.evs.
type ball struct {
	a, d  Vec3    // start point, and end minus start
	born  float64 // scene clock, seconds
	id    uint64
	shape uint8 // class 0..9, or Missile
}

// Message is a PACKTERMSG / PACKTERHTML (or an alert or trace notice) on screen.
type Message struct {
	Lines   []event.Text // plain text (HTML already converted), one line each
	Picture event.Text   // file in the assets directory, empty for none
	Kind    event.Kind
	until   time.Time // wall clock; zero until the first clock after it came
}

// Stats counts what the board has seen.
type Stats struct {
	Live     int    // balls in flight
	Drawn    int    // balls drawn one by one at the last Vertices (Live when within budget)
	Cells    int    // density cells drawn for the balls not drawn one by one (0 within budget)
	Received uint64 // packet events received (earth records in a globe view)
	Dropped  uint64 // packet events not drawn because MaxBalls were in flight
}

// Selection is the record the user selected. It outlives its ball, so a
// record that has just arrived can still be traced.
type Selection struct {
	Event event.Event
	Alive bool // its ball is still flying
	At    Vec3 // where the ball is now (when Alive)
}

// Model is the board's world: balls, clocks, selection, messages. It is not
// safe for concurrent use: the shell calls it from its update loop only.
//
// Balls fly on the timeline's clock, never on frame counts: a ball born at
// event time T is at (clock − T) / Fly of its way, so slow frames show fewer
// positions, never longer flights.
type Model struct {
	Cam Camera

	cfg    Config
	fly    float64
	invFly float64
	balls  []ball
	evs    []event.Event
	verts  []Vertex // four per ball, same order
	out    []Vertex // Vertices' output when over budget
	nextID uint64

	epoch       time.Time // time of scene 0 (set by the first clock or timed event)
	hasEpoch    bool
	live, scene float64   // seconds since epoch: wall clock, shown clock
	wall        time.Time // wall clock, for messages
	clock       Clock
	budget      int

	density density

	sel    Selection
	selID  uint64
	hasSel bool

	msgs  []Message
	sky   string
	stats Stats

	shapeColor [Missile + 1][4]float32

	globe bool // a globe view: earth records fly in arcs (globe.go)
}

// New returns an empty board on a w×h screen.
func New(cfg Config, w, h int) *Model {
	if cfg.Fly <= 0 {
		cfg.Fly = DefaultFly
	}
	if cfg.MaxBalls <= 0 {
		cfg.MaxBalls = DefaultMaxBalls
	}
	if cfg.MessageTime <= 0 {
		cfg.MessageTime = DefaultMessageTime
	}
	if cfg.Budget <= 0 {
		cfg.Budget = DefaultBudget
	}
	m := &Model{Cam: NewCamera(w, h), cfg: cfg, fly: cfg.Fly.Seconds(), invFly: 1 / cfg.Fly.Seconds(),
		budget: cfg.Budget, clock: Clock{Live: true, Speed: 1}}
	for i, c := range FlagColors {
		m.shapeColor[i] = [4]float32{float32(c.R) / 255, float32(c.G) / 255, float32(c.B) / 255, 1}
	}
	// The missile sprite carries its own colours.
	m.shapeColor[Missile] = [4]float32{1, 1, 1, 1}
	return m
}

// Receive takes one event from the monitor or the network. A packet's ball is
// placed by its event time on the scene clock (events without a time are born
// now); one that has already landed is counted but not drawn.
func (m *Model) Receive(ev *event.Event) {
	switch ev.Kind {
	case event.KindPacket, event.KindEarth:
		if !m.takes(ev.Kind) { // the boards draw packets, the globe earth records
			return
		}
		m.stats.Received++
		born := m.scene
		if !ev.Time.IsZero() {
			if !m.hasEpoch {
				m.setEpoch(ev.Time)
			}
			born = ev.Time.Sub(m.epoch).Seconds()
		}
		if m.scene-born >= m.fly {
			return
		}
		m.spawn(ev, born)
	case event.KindMessage, event.KindHTML, event.KindAlert, event.KindTrace:
		// Messages are shown on arrival whatever the timeline does: a trace
		// result must appear even while the scene is paused.
		lines := []event.Text{ev.Text}
		if ev.Kind != event.KindAlert && ev.Kind != event.KindTrace {
			lines = HTMLText(ev.Text)
		}
		var pic event.Text
		if ev.Kind == event.KindMessage {
			pic = ev.File
		}
		if len(m.msgs) == maxMessages {
			copy(m.msgs, m.msgs[1:])
			m.msgs = m.msgs[:maxMessages-1]
		}
		msg := Message{Lines: lines, Picture: pic, Kind: ev.Kind}
		if !m.wall.IsZero() {
			msg.until = m.wall.Add(m.cfg.MessageTime)
		}
		m.msgs = append(m.msgs, msg)
	case event.KindSky:
		m.sky = ev.File.String()
	}
	// Sound, sound effects and voice belong to the monitor.
}

func (m *Model) setEpoch(t time.Time) {
	m.epoch, m.hasEpoch = t, true
	m.live, m.scene = 0, 0
}

func (m *Model) spawn(ev *event.Event, born float64) {
	if len(m.balls) >= m.cfg.MaxBalls {
		m.stats.Dropped++
		return
	}
	a, b := m.ends(ev)
	m.nextID++
	shape := shapeOf(ev.Class(), ev.Flood())
	m.balls = append(m.balls, ball{a: a, d: b.Sub(a), born: born, id: m.nextID, shape: shape})
	m.evs = append(m.evs, *ev)
	n := len(m.verts)
	m.verts = append(m.verts, Vertex{}, Vertex{}, Vertex{}, Vertex{})
	m.setSprite(m.verts[n:], shape)
}

// SetClock moves the scene to the timeline clock c at wall time wall: balls
// are placed by c.Time, messages time out on the wall clock. A reset clears
// the balls first: the events in flight at the new position follow.
func (m *Model) SetClock(c Clock, wall time.Time) {
	if !m.hasEpoch {
		m.setEpoch(c.Time)
	}
	if c.Reset {
		m.clearBalls()
	}
	c.Reset = false
	m.clock = c
	m.scene = c.Time.Sub(m.epoch).Seconds()
	m.live = wall.Sub(m.epoch).Seconds()
	m.wall = wall
	m.expire()
}

// Advance moves both clocks on by dt, as a live clock does (tests and the
// synthetic load, which have no timeline).
func (m *Model) Advance(dt time.Duration) {
	s := dt.Seconds()
	m.live += s
	m.scene += s
	m.wall = m.wall.Add(dt)
	if m.hasEpoch {
		m.clock.Time = m.epoch.Add(time.Duration(m.scene * float64(time.Second)))
	}
	m.expire()
}

// aheadTolerance is how far (s) a ball may be born after the clock and stay:
// the clock and the events reach the board separately.
const aheadTolerance = 0.1

// expire removes the balls that have reached the receiver board (and, after
// a jump back, those not born yet) and the messages whose time is up.
func (m *Model) expire() {
	gone, unborn := m.scene-m.fly, m.scene+aheadTolerance
	bs := m.balls
	for i := 0; i < len(bs); {
		if b := bs[i].born; b > gone && b <= unborn {
			i++
			continue
		}
		m.remove(i)
		bs = m.balls
	}
	n := 0
	for _, msg := range m.msgs {
		if msg.until.IsZero() {
			msg.until = m.wall.Add(m.cfg.MessageTime)
		}
		if msg.until.After(m.wall) {
			m.msgs[n] = msg
			n++
		}
	}
	clear(m.msgs[n:])
	m.msgs = m.msgs[:n]
}

func (m *Model) remove(i int) {
	if m.hasSel && m.balls[i].id == m.selID {
		m.sel.Alive = false
	}
	last := len(m.balls) - 1
	m.balls[i] = m.balls[last]
	m.evs[i] = m.evs[last]
	m.evs[last] = event.Event{} // let go of its strings
	copy(m.verts[4*i:4*i+4], m.verts[4*last:4*last+4])
	m.balls = m.balls[:last]
	m.evs = m.evs[:last]
	m.verts = m.verts[:4*last]
}

func (m *Model) clearBalls() {
	clear(m.evs)
	m.balls, m.evs, m.verts = m.balls[:0], m.evs[:0], m.verts[:0]
	if m.hasSel {
		m.sel.Alive = false
	}
}

// Clock is the timeline position last set (or advanced to).
func (m *Model) Clock() Clock { return m.clock }

// Mode is where the scene stands on the timeline.
func (m *Model) Mode() Mode {
	switch {
	case m.clock.Live:
		return Live
	case m.clock.Speed == 0:
		return Paused
	}
	return Replay
}

// Behind is how far the scene lags the wall clock (0 when live).
func (m *Model) Behind() time.Duration {
	if m.clock.Live {
		return 0
	}
	return max(time.Duration((m.live-m.scene)*float64(time.Second)), 0)
}

// SetBudget sets how many balls are drawn one by one (at least 1000).
func (m *Model) SetBudget(n int) { m.budget = min(max(n, 1000), m.cfg.MaxBalls) }

// Budget is the current number of balls drawn one by one at most.
func (m *Model) Budget() int { return m.budget }

// Len is the number of balls in flight.
func (m *Model) Len() int { return len(m.balls) }

// Stats returns the counters.
func (m *Model) Stats() Stats {
	s := m.stats
	s.Live = len(m.balls)
	if s.Drawn > s.Live || s.Cells == 0 {
		s.Drawn = s.Live
	}
	return s
}

// Sky is the background texture file last asked for ("" for none).
func (m *Model) Sky() string { return m.sky }

// Messages appends the messages on screen, oldest first.
func (m *Model) Messages(dst []Message) []Message { return append(dst, m.msgs...) }

// position is where ball b is at scene time t.
func (m *Model) position(b *ball) Vec3 {
	k := float32(clamp01((m.scene - b.born) * m.invFly))
	if m.globe {
		return arcAt(b.a, b.d, k)
	}
	return Vec3{b.a.X + b.d.X*k, b.a.Y + b.d.Y*k, b.a.Z + b.d.Z*k}
}

// Ball is a flying object as the shell and tests see it.
type Ball struct {
	ID    uint64
	At    Vec3    // now
	From  Vec3    // sender board
	To    Vec3    // receiver board
	Shape int     // class 0..9, or Missile
	Done  float64 // fraction of the flight done, 0..1
}

// Balls appends the balls in flight (for tests and tools; the frame loop uses
// Vertices).
func (m *Model) Balls(dst []Ball) []Ball {
	for i := range m.balls {
		b := &m.balls[i]
		dst = append(dst, Ball{ID: b.id, At: m.position(b), From: b.a, To: b.a.Add(b.d), Shape: int(b.shape),
			Done: (m.scene - b.born) * m.invFly})
	}
	return dst
}

// Event returns the event of the ball with the given id.
func (m *Model) Event(id uint64) (event.Event, bool) {
	for i := range m.balls {
		if m.balls[i].id == id {
			return m.evs[i], true
		}
	}
	return event.Event{}, false
}

// Pick selects the ball under screen pixel (sx, sy): the nearest ball to the
// eye among those the ray through the pixel passes within a ball's radius of
// (or MinPickPixels, for far balls). It reports whether one was hit; a miss
// keeps the current selection.
func (m *Model) Pick(sx, sy float32) bool {
	o, dir := m.Cam.Ray(sx, sy)
	pixel := MinPickPixels / m.Cam.Focal() // radius per unit of depth
	best, bestT := -1, float32(math.Inf(1))
	for i := range m.balls {
		p := m.position(&m.balls[i])
		if m.globe && hiddenByGlobe(o, p) {
			continue // behind the globe: what is seen there is the globe
		}
		v := p.Sub(o)
		t := v.Dot(dir)
		if t < nearPlane || t >= bestT {
			continue
		}
		r := max(float32(BallRadius), pixel*t)
		if m.balls[i].shape == Missile {
			r *= 2
		}
		if v.Dot(v)-t*t <= r*r {
			best, bestT = i, t
		}
	}
	if best < 0 {
		return false
	}
	m.selectIndex(best)
	return true
}

func (m *Model) selectIndex(i int) {
	m.hasSel = true
	m.selID = m.balls[i].id
	m.sel = Selection{Event: m.evs[i], Alive: true}
}

// SelectNext selects the next younger ball (dir > 0) or the next older one
// (dir < 0) than the selection, wrapping round; with no selection, the
// oldest (dir > 0) or youngest ball. It reports whether any ball is selected.
func (m *Model) SelectNext(dir int) bool {
	if len(m.balls) == 0 {
		return false
	}
	cur := uint64(0)
	if m.hasSel {
		cur = m.selID
	}
	if !m.hasSel && dir < 0 {
		cur = math.MaxUint64
	}
	best, wrap := -1, -1
	for i := range m.balls {
		id := m.balls[i].id
		if dir >= 0 {
			if id > cur && (best < 0 || id < m.balls[best].id) {
				best = i
			}
			if wrap < 0 || id < m.balls[wrap].id {
				wrap = i
			}
		} else {
			if id < cur && (best < 0 || id > m.balls[best].id) {
				best = i
			}
			if wrap < 0 || id > m.balls[wrap].id {
				wrap = i
			}
		}
	}
	if best < 0 {
		best = wrap
	}
	m.selectIndex(best)
	return true
}

// ClearSelection forgets the selection.
func (m *Model) ClearSelection() { m.hasSel, m.sel = false, Selection{} }

// Selection returns the selected record, if any.
func (m *Model) Selection() (Selection, bool) {
	if !m.hasSel {
		return Selection{}, false
	}
	s := m.sel
	if s.Alive {
		for i := range m.balls {
			if m.balls[i].id == m.selID {
				s.At = m.position(&m.balls[i])
				break
			}
		}
	}
	return s, true
}
