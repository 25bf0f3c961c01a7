package main

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"

	"github.com/packter/packter/cmd/packter-board/internal/opts"
	"github.com/packter/packter/event"
	"github.com/packter/packter/intertrack"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/timeline"
	"github.com/packter/packter/visual"
	"github.com/packter/packter/visual/feed"
)

const tps = 60

// game is the thin Ebiten shell around the board model: input in, pixels out.
type game struct {
	ctx    context.Context
	o      opts.Options
	m      *visual.Model // the view shown: boards or globe (globe.go)
	boards *visual.Model
	globe  *visual.Model
	inbox  *visual.Inbox
	buf    []event.Event
	assets *visual.Assets
	log    *slog.Logger

	source    string
	requests  *requestWriter // fed by the monitor: timeline requests go there
	player    *timeline.Player
	control   *feed.Control // standalone: the board moves its own playhead
	received  atomic.Uint64 // standalone: records received
	trace     func(context.Context, *event.Event) error
	synth     *synth
	inputDone atomic.Bool
	clk       clockState
	perf      perf
	readout   bool

	atlas, white, ball *ebiten.Image
	lineVs             []ebiten.Vertex
	lineIs             []uint16
	indices            []uint16
	sameLayout         bool
	evs                []ebiten.Vertex // only when the layouts differ
	boardVs            []ebiten.Vertex

	keys      []binding
	labels    []visual.Label // the scene's fixed parts, made once
	grid      []visual.Segment
	globeGrid []visual.Segment // the globe's (globe.go)
	places    []visual.Place
	legend    []visual.LegendEntry
	pictures  map[string]*ebiten.Image // nil value: failed to load
	help      bool

	notice      string
	noticeUntil time.Time
	noticeMu    sync.Mutex // trace results arrive from goroutines

	drag struct {
		down, moved bool
		x0, y0      int
		x, y        int
	}

	statusTop  int // top of the status panel, for the messages above it
	frames     int // frames drawn since counting started
	quit       bool
	err        error
	measured   string
	mStart     time.Time
	mFrames    int
	buildTotal time.Duration
	msgs       []visual.Message
}

func newGame(ctx context.Context, o opts.Options, m *visual.Model, assets *visual.Assets, log *slog.Logger) *game {
	g := &game{ctx: ctx, o: o, m: m, boards: m, assets: assets, log: log, readout: o.Readout,
		inbox:      visual.NewInbox(1 << 16),
		pictures:   map[string]*ebiten.Image{},
		indices:    visual.QuadIndices(visual.MaxQuadsPerBatch),
		sameLayout: sameLayout(reflect.TypeOf(visual.Vertex{}), reflect.TypeOf(ebiten.Vertex{})),
		labels:     visual.AxisLabels(),
		grid:       visual.Grid(),
		legend:     visual.Legend(),
	}
	g.atlas = ebiten.NewImageFromImage(visual.Atlas())
	g.white = g.atlas.SubImage(image.Rect(visual.WhiteU0, visual.WhiteV0, visual.WhiteU1, visual.WhiteV1)).(*ebiten.Image)
	g.ball = g.atlas.SubImage(image.Rect(visual.BallU0, visual.BallV0, visual.BallU1, visual.BallV1)).(*ebiten.Image)
	for _, b := range visual.KeyMap {
		kb := binding{Binding: b}
		for _, name := range b.Keys {
			var k ebiten.Key
			if err := k.UnmarshalText([]byte(name)); err != nil {
				log.Warn("unknown key in the key map", "key", name)
				continue
			}
			kb.keys = append(kb.keys, k)
		}
		kb.Keys = kb.Keys[:0:0]
		for _, k := range kb.keys {
			kb.Keys = append(kb.Keys, k.String())
		}
		g.keys = append(g.keys, kb)
	}
	if !g.sameLayout {
		log.Warn("ebiten.Vertex changed layout: copying vertices each frame")
	}
	return g
}

// binding is a visual.Binding with its keys resolved once.
type binding struct {
	visual.Binding
	keys []ebiten.Key
}

// sameLayout reports whether two struct types have the same fields at the
// same offsets, so a slice of one can be read as a slice of the other.
func sameLayout(a, b reflect.Type) bool {
	if a.Size() != b.Size() || a.NumField() != b.NumField() || a.Align() != b.Align() {
		return false
	}
	for i := 0; i < a.NumField(); i++ {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || fa.Offset != fb.Offset || fa.Type.Kind() != fb.Type.Kind() {
			return false
		}
	}
	return true
}

// vertices gives the model's vertex buffer to Ebiten: the same memory when
// the layouts agree (checked at start-up), else a copy.
func (g *game) vertices(vs []visual.Vertex) []ebiten.Vertex {
	if len(vs) == 0 {
		return nil
	}
	if g.sameLayout {
		return unsafe.Slice((*ebiten.Vertex)(unsafe.Pointer(&vs[0])), len(vs))
	}
	g.evs = g.evs[:0]
	for _, v := range vs {
		g.evs = append(g.evs, ebiten.Vertex{DstX: v.DstX, DstY: v.DstY, SrcX: v.SrcX, SrcY: v.SrcY,
			ColorR: v.ColorR, ColorG: v.ColorG, ColorB: v.ColorB, ColorA: v.ColorA})
	}
	return g.evs
}

func (g *game) Layout(w, h int) (int, int) {
	if g.o.Screenshot != "" || g.o.Measure > 0 {
		return g.o.Width, g.o.Height // fixed, so tests know where things are
	}
	g.m.Cam.SetViewport(w, h)
	return w, h
}

func (g *game) say(format string, args ...any) {
	g.noticeMu.Lock()
	g.notice = fmt.Sprintf(format, args...)
	g.noticeUntil = time.Now().Add(6 * time.Second)
	g.noticeMu.Unlock()
}

func (g *game) Update() error {
	if g.quit || g.inputDone.Load() || g.ctx.Err() != nil {
		return ebiten.Termination
	}
	g.step()
	if err := g.input(); err != nil {
		return err
	}
	g.perf.update(g)
	return nil
}

func (g *game) input() error {
	shift := ebiten.IsKeyPressed(ebiten.KeyShift)
	for _, b := range g.keys {
		if b.Shift && !shift {
			continue
		}
		for i, k := range b.keys {
			name := b.Keys[i]
			if continuous(b.Action) {
				if ebiten.IsKeyPressed(k) {
					g.act(b.Action)
				}
			} else if inpututil.IsKeyJustPressed(k) {
				if b.Action == visual.ActSelectNext && shift && name == "Tab" {
					continue // Shift+Tab is the previous one
				}
				if b.Action == visual.ActQuit {
					return ebiten.Termination
				}
				g.act(b.Action)
			}
		}
	}
	// Mouse: a click picks, a drag turns the view, the wheel zooms.
	x, y := ebiten.CursorPosition()
	if inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft) {
		g.drag.down, g.drag.moved = true, false
		g.drag.x0, g.drag.y0, g.drag.x, g.drag.y = x, y, x, y
	}
	if g.drag.down && ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft) {
		if abs(x-g.drag.x0)+abs(y-g.drag.y0) > 4 {
			g.drag.moved = true
		}
		if g.drag.moved {
			g.m.Cam.Rotate(-float64(x-g.drag.x)*0.006, float64(y-g.drag.y)*0.006)
		}
		g.drag.x, g.drag.y = x, y
	}
	if g.drag.down && inpututil.IsMouseButtonJustReleased(ebiten.MouseButtonLeft) {
		g.drag.down = false
		if !g.drag.moved && !g.m.Pick(float32(x), float32(y)) {
			g.say("no packet there")
		}
	}
	if _, wy := ebiten.Wheel(); wy != 0 {
		g.m.Cam.Zoom(math.Pow(0.9, wy))
	}
	return nil
}

func continuous(a visual.Action) bool {
	switch a {
	case visual.ActRotateLeft, visual.ActRotateRight, visual.ActRotateUp, visual.ActRotateDown, visual.ActZoomIn, visual.ActZoomOut:
		return true
	}
	return false
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

const turn = 1.2 / tps // radians per tick while a key is held

func (g *game) act(a visual.Action) {
	m := g.m
	switch a {
	case visual.ActTrace:
		g.startTrace()
	case visual.ActSelectNext, visual.ActSelectPrev:
		dir := 1
		if a == visual.ActSelectPrev {
			dir = -1
		}
		if !m.SelectNext(dir) {
			g.say("no packet in flight to select")
		}
	case visual.ActClearSelection:
		m.ClearSelection()
	case visual.ActPause:
		if m.Mode() == visual.Paused {
			g.request(visual.Request{Cmd: visual.CmdResume})
		} else {
			g.request(visual.Request{Cmd: visual.CmdPause})
		}
	case visual.ActRewind:
		g.request(visual.Request{Cmd: visual.CmdRewind, Seconds: visual.RewindStep})
	case visual.ActLive:
		g.request(visual.Request{Cmd: visual.CmdLive})
	case visual.ActReadout:
		g.readout = !g.readout
	case visual.ActRotateLeft:
		m.Cam.Rotate(turn, 0)
	case visual.ActRotateRight:
		m.Cam.Rotate(-turn, 0)
	case visual.ActRotateUp:
		m.Cam.Rotate(0, turn)
	case visual.ActRotateDown:
		m.Cam.Rotate(0, -turn)
	case visual.ActZoomIn:
		m.Cam.Zoom(1 - 1.5/tps)
	case visual.ActZoomOut:
		m.Cam.Zoom(1 + 1.5/tps)
	case visual.ActResetView:
		m.Cam.Reset()
	case visual.ActHelp:
		g.help = !g.help
	case visual.ActGlobe:
		g.toggleView()
	}
}

// startTrace does what the console does on T: send the selected record to
// the traceback client its description names. The result comes back later as
// PACKTER messages, to the monitor or (standalone) to this board.
func (g *game) startTrace() {
	sel, ok := g.m.Selection()
	if !ok {
		g.say("select a packet first (click it, or Tab)")
		return
	}
	ev := sel.Event
	if _, _, ok := ev.Traceable(); !ok {
		g.say("%s", intertrack.ErrNoTraceHash.Error())
		return
	}
	go func() {
		if err := g.trace(g.ctx, &ev); err != nil {
			g.say("traceback not launched: %v", err)
			return
		}
		_, host, _ := ev.Traceable()
		g.say("traceback launched: sent to the traceback client %s", host)
	}()
}

// writeShot reads the frame back and writes it as a PNG.
func (g *game) writeShot(screen *ebiten.Image) error {
	b := screen.Bounds()
	img := image.NewRGBA(b)
	screen.ReadPixels(img.Pix)
	f, err := os.Create(g.o.Screenshot)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("screenshot: %w", err)
	}
	return f.Close()
}

// synth keeps n balls flying with random records, for load tests: n per
// flight time, stamped on the board's clock.
type synth struct {
	n     int
	rate  float64 // records per second
	carry float64
	last  time.Time
	r     *rand.Rand
	ev    event.Event
}

func newSynth(n int, fly time.Duration) *synth {
	return &synth{n: n, rate: float64(n) / fly.Seconds(), r: rand.New(rand.NewPCG(1, 2))}
}

func (s *synth) tick(m *visual.Model, now time.Time) {
	if s.last.IsZero() {
		s.last = now.Add(-time.Second / tps)
	}
	s.carry += s.rate * now.Sub(s.last).Seconds()
	s.last = now
	for ; s.carry >= 1; s.carry-- {
		if m.Len() >= s.n {
			continue
		}
		r := s.r.Uint64()
		s.ev = event.Event{
			Time:  now,
			Kind:  event.KindPacket,
			Src:   protocol.AddrFrom(netip.AddrFrom4([4]byte{byte(r), byte(r >> 8), byte(r >> 16), 1})),
			Dst:   protocol.AddrFrom(netip.AddrFrom4([4]byte{byte(r >> 24), byte(r >> 32), 7, 1})),
			SPort: protocol.PortFrom(uint32(r>>40) & 0xFFFF),
			DPort: protocol.PortFrom(uint32(r>>56) * 256),
			Flag:  int(r % 10),
		}
		if r%97 == 0 {
			s.ev.Model = event.CleanText(protocol.FloodModel, event.MaxName)
		}
		m.Receive(&s.ev)
	}
}
