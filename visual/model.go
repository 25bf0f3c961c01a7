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
	DefaultHistory     = 300_000
	DefaultMessageTime = 10 * time.Second // PACKTER 3.0's message time
	maxMessages        = 4
)

// Config sets up a Model. Zero fields take the defaults above.
type Config struct {
	Fly         time.Duration // time a ball takes from sender to receiver
	MaxBalls    int           // balls in flight at most; more are dropped and counted
	MessageTime time.Duration // how long a message stays on screen
	// History is how many packet events the board keeps to rewind by itself
	// (standalone). Remote (negative) means the monitor owns the timeline:
	// the board keeps none, and rewind and live only clear the scene for the
	// events the monitor sends again.
	History int
}

// Remote is the Config.History of a board fed by the monitor.
const Remote = -1

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
	Text    string // plain text (HTML already converted)
	Picture string // file in the assets directory, "" for none
	Kind    event.Kind
	until   float64
}

// Stats counts what the board has seen.
type Stats struct {
	Live     int    // balls in flight
	Received uint64 // packet events received
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
// safe for concurrent use: the shell calls it from its update loop only and
// hands it events collected by an Inbox.
type Model struct {
	Cam Camera

	cfg    Config
	invFly float64
	balls  []ball
	evs    []event.Event
	verts  []Vertex // four per ball, same order
	nextID uint64

	live, scene float64 // seconds since start: arrival clock, shown clock
	mode        Mode
	hist        *History
	cursor      uint64        // next history entry to replay
	pending     []event.Event // remote mode: arrived while paused

	sel    Selection
	selID  uint64
	hasSel bool

	msgs  []Message
	sky   string
	stats Stats

	shapeColor [Missile + 1][4]float32
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
	if cfg.History == 0 {
		cfg.History = DefaultHistory
	}
	m := &Model{Cam: NewCamera(w, h), cfg: cfg, invFly: 1 / cfg.Fly.Seconds()}
	if cfg.History > 0 {
		m.hist = NewHistory(cfg.History)
	}
	for i, c := range FlagColors {
		m.shapeColor[i] = [4]float32{float32(c.R) / 255, float32(c.G) / 255, float32(c.B) / 255, 1}
	}
	// The missile sprite carries its own colours.
	m.shapeColor[Missile] = [4]float32{1, 1, 1, 1}
	return m
}

// Receive takes one event from the monitor or the network.
func (m *Model) Receive(ev *event.Event) {
	switch ev.Kind {
	case event.KindPacket:
		m.stats.Received++
		if m.hist != nil {
			m.hist.Add(m.live, ev)
		}
		switch {
		case m.mode == Live:
			m.spawn(ev, m.scene)
		case m.hist == nil && m.mode == Paused:
			if len(m.pending) < m.cfg.MaxBalls {
				m.pending = append(m.pending, *ev)
			} else {
				m.stats.Dropped++
			}
		}
		// Replay (local history): the event is played when the scene
		// reaches it.
	case event.KindMessage, event.KindHTML, event.KindAlert, event.KindTrace:
		// Messages are shown on arrival whatever the timeline does: a trace
		// result must appear even while the scene is paused.
		text := ev.Text
		if ev.Kind != event.KindAlert && ev.Kind != event.KindTrace {
			text = HTMLText(text)
		}
		pic := ""
		if ev.Kind == event.KindMessage {
			pic = ev.File
		}
		if len(m.msgs) == maxMessages {
			copy(m.msgs, m.msgs[1:])
			m.msgs = m.msgs[:maxMessages-1]
		}
		m.msgs = append(m.msgs, Message{Text: text, Picture: pic, Kind: ev.Kind, until: m.live + m.cfg.MessageTime.Seconds()})
	case event.KindSky:
		m.sky = ev.File
	}
	// Sound, sound effects and voice belong to the monitor; earth records
	// have no place on the two boards.
}

func (m *Model) spawn(ev *event.Event, born float64) {
	if len(m.balls) >= m.cfg.MaxBalls {
		m.stats.Dropped++
		return
	}
	a, b := SenderPoint(ev), ReceiverPoint(ev)
	m.nextID++
	shape := shapeOf(ev.Class(), ev.Flood())
	m.balls = append(m.balls, ball{a: a, d: b.Sub(a), born: born, id: m.nextID, shape: shape})
	m.evs = append(m.evs, *ev)
	n := len(m.verts)
	m.verts = append(m.verts, Vertex{}, Vertex{}, Vertex{}, Vertex{})
	m.setSprite(m.verts[n:], shape)
}

// Advance moves the clocks on by dt: balls fly, arrive and vanish, replay
// catches up with recorded events, messages time out.
func (m *Model) Advance(dt time.Duration) {
	s := dt.Seconds()
	m.live += s
	switch m.mode {
	case Live:
		m.scene += s
		if m.hist != nil {
			m.scene = m.live
		}
	case Replay:
		m.scene += s
		if m.scene >= m.live {
			m.scene = m.live
			m.mode = Live
		}
		m.play(m.scene)
	}
	m.expire()
	n := 0
	for _, msg := range m.msgs {
		if msg.until > m.live {
			m.msgs[n] = msg
			n++
		}
	}
	clear(m.msgs[n:])
	m.msgs = m.msgs[:n]
}

// expire removes the balls that have reached the receiver board.
func (m *Model) expire() {
	gone := m.scene - m.cfg.Fly.Seconds()
	bs := m.balls
	for i := 0; i < len(bs); {
		if bs[i].born > gone {
			i++
			continue
		}
		m.remove(i)
		bs = m.balls
	}
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

// play spawns the recorded events up to scene time t.
func (m *Model) play(t float64) {
	if m.hist == nil {
		return
	}
	if o := m.hist.Oldest(); m.cursor < o {
		m.cursor = o
	}
	for ; m.cursor < m.hist.Total(); m.cursor++ {
		at, ev := m.hist.At(m.cursor)
		if at > t {
			break
		}
		m.spawn(ev, at)
	}
}

func (m *Model) clearBalls() {
	clear(m.evs)
	m.balls, m.evs, m.verts = m.balls[:0], m.evs[:0], m.verts[:0]
	if m.hasSel {
		m.sel.Alive = false
	}
}

// Mode is where the scene stands on the timeline.
func (m *Model) Mode() Mode { return m.mode }

// Behind is how far the scene lags the live clock.
func (m *Model) Behind() time.Duration {
	if m.hist == nil {
		return 0
	}
	return time.Duration((m.live - m.scene) * float64(time.Second))
}

// Remote reports whether the monitor owns the timeline.
func (m *Model) Remote() bool { return m.hist == nil }

// Pause freezes the scene.
func (m *Model) Pause() {
	if m.mode != Paused {
		m.mode = Paused
	}
}

// Resume continues from where the scene was paused: behind live with a local
// history, at once with the monitor's (which holds back what it has not sent).
func (m *Model) Resume() {
	if m.mode != Paused {
		return
	}
	if m.hist == nil {
		m.mode = Live
		for i := range m.pending {
			m.spawn(&m.pending[i], m.scene)
		}
		clear(m.pending)
		m.pending = m.pending[:0]
		return
	}
	m.mode = Replay
	m.cursor = m.hist.Search(m.scene)
}

// Rewind steps the scene back by d. With a local history the scene is rebuilt
// as it was then (balls in flight included) and replays from there, or stays
// paused if it was; with the monitor's timeline the scene is cleared for the
// events the monitor sends again.
func (m *Model) Rewind(d time.Duration) {
	m.clearBalls()
	if m.hist == nil {
		clear(m.pending)
		m.pending = m.pending[:0]
		m.mode = Live
		return
	}
	t := m.scene - d.Seconds()
	if m.hist.Len() > 0 {
		if o, _ := m.hist.At(m.hist.Oldest()); t < o {
			t = o
		}
	}
	if t < 0 {
		t = 0
	}
	m.rebuild(t)
	if m.mode != Paused {
		m.mode = Replay
		if m.scene >= m.live {
			m.mode = Live
		}
	}
}

// GoLive returns to the present.
func (m *Model) GoLive() {
	m.clearBalls()
	m.mode = Live
	clear(m.pending)
	m.pending = m.pending[:0]
	if m.hist != nil {
		m.rebuild(m.live)
	}
}

// rebuild shows the scene at time t: the recorded balls in flight then.
func (m *Model) rebuild(t float64) {
	m.scene = t
	m.cursor = m.hist.Search(t - m.cfg.Fly.Seconds())
	m.play(t)
}

// Len is the number of balls in flight.
func (m *Model) Len() int { return len(m.balls) }

// Stats returns the counters.
func (m *Model) Stats() Stats {
	s := m.stats
	s.Live = len(m.balls)
	return s
}

// Sky is the background texture file last asked for ("" for none).
func (m *Model) Sky() string { return m.sky }

// Messages appends the messages on screen, oldest first.
func (m *Model) Messages(dst []Message) []Message { return append(dst, m.msgs...) }

// position is where ball b is at scene time t.
func (m *Model) position(b *ball) Vec3 {
	k := float32((m.scene - b.born) * m.invFly)
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
