package main

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/ebitenutil"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"github.com/packter/packter/event"
	"github.com/packter/packter/visual"
)

var (
	background = color.RGBA{0x0B, 0x14, 0x26, 0xFF}
	gridMajor  = color.RGBA{0x7F, 0xA8, 0xD8, 0xFF}
	gridMinor  = color.RGBA{0x3A, 0x55, 0x78, 0xFF}
	panel      = color.RGBA{0x00, 0x00, 0x00, 0xB0}
)

// Debug font cell size.
const charW, lineH = 6, 16

func (g *game) Draw(screen *ebiten.Image) {
	g.drawSky(screen)
	if g.m.Globe() {
		g.drawGlobe(screen)
	} else {
		g.drawBoards(screen)
	}

	start := time.Now()
	vs := g.vertices(g.m.Vertices())
	op := &ebiten.DrawTrianglesOptions{Filter: ebiten.FilterNearest}
	// One DrawTriangles for every ball; Ebiten's indices are 16-bit, so past
	// 16,383 balls the buffer goes in slices of that many, which Ebiten
	// merges into one GPU draw as they share image, shader and blend.
	for i := 0; i < len(vs); i += 4 * visual.MaxQuadsPerBatch {
		part := vs[i:min(len(vs), i+4*visual.MaxQuadsPerBatch)]
		screen.DrawTriangles(part, g.indices[:len(part)/4*6], g.atlas, op)
	}
	build := time.Since(start)

	g.drawSelection(screen)
	g.drawLabels(screen)
	g.drawLegend(screen)
	g.drawStatus(screen)
	g.drawMessages(screen) // stacked above the status panel
	if g.help {
		g.drawHelp(screen)
	}
	g.count(screen, build)
}

// count handles --screenshot and --measure, and counts frames for the
// readout.
func (g *game) count(screen *ebiten.Image, build time.Duration) {
	g.perf.frame()
	if g.o.Screenshot != "" && g.clk.counting {
		g.frames++
		if g.frames == g.o.Frames {
			g.err = g.writeShot(screen)
			g.quit = true
		}
	}
	if g.o.Measure > 0 {
		now := time.Now()
		if g.mStart.IsZero() {
			if g.m.Len() < g.o.Synthetic*95/100 {
				return // still filling up
			}
			g.mStart = now
			return
		}
		g.mFrames++
		g.buildTotal += build
		if el := now.Sub(g.mStart); el >= g.o.Measure {
			s := g.m.Stats()
			g.measured = fmt.Sprintf("balls=%d drawn=%d cells=%d frames=%d seconds=%.2f fps=%.1f build_ms=%.2f",
				g.m.Len(), s.Drawn, s.Cells, g.mFrames, el.Seconds(), float64(g.mFrames)/el.Seconds(),
				float64(g.buildTotal.Microseconds())/1000/float64(g.mFrames))
			g.quit = true
		}
	}
}

func (g *game) picture(name string) *ebiten.Image {
	if img, ok := g.pictures[name]; ok {
		return img
	}
	if len(g.pictures) > 64 { // a bounded cache: messages come from the network
		clear(g.pictures)
	}
	img, err := g.assets.Image(name)
	if err != nil {
		g.log.Info("picture not shown", "err", err) // once per name: the cache remembers
		g.pictures[name] = nil
		return nil
	}
	e := ebiten.NewImageFromImage(img)
	g.pictures[name] = e
	return e
}

// drawSky fills the background with the PACKTERSKYDOMETEXTURE picture, turning
// with the view as a dome would, or plain night blue.
func (g *game) drawSky(screen *ebiten.Image) {
	screen.Fill(background)
	name := g.m.Sky()
	if name == "" {
		return
	}
	sky := g.picture(name)
	if sky == nil {
		return
	}
	sw, sh := screen.Bounds().Dx(), screen.Bounds().Dy()
	iw, ih := sky.Bounds().Dx(), sky.Bounds().Dy()
	s := max(float64(sw)/float64(iw), float64(sh)/float64(ih))
	w := float64(iw) * s
	shift := -g.m.Cam.Yaw / (2 * 3.141592653589793) * w
	for shift > 0 {
		shift -= w
	}
	for x := shift; x < float64(sw); x += w {
		op := &ebiten.DrawImageOptions{Filter: ebiten.FilterNearest}
		op.GeoM.Scale(s, s)
		op.GeoM.Translate(x, 0)
		screen.DrawImage(sky, op)
	}
}

func (g *game) drawBoards(screen *ebiten.Image) {
	c := &g.m.Cam
	for _, b := range []visual.Board{visual.Sender, visual.Receiver} {
		g.boardVs = g.boardVs[:0]
		ok := true
		for _, p := range visual.Corners(b) {
			x, y, _, vis := c.Project(p)
			ok = ok && vis
			g.boardVs = append(g.boardVs, ebiten.Vertex{DstX: x, DstY: y, SrcX: visual.WhiteU0 + 1, SrcY: visual.WhiteV0 + 1,
				ColorR: 0.55, ColorG: 0.72, ColorB: 0.95, ColorA: 0.13})
		}
		if ok {
			screen.DrawTriangles(g.boardVs, []uint16{0, 1, 2, 0, 2, 3}, g.atlas, nil)
		}
	}
	// The grid in one batch of thin quads: Ebiten's anti-aliased vector
	// strokes cost a render pass each, which software renderers feel.
	g.lineVs, g.lineIs = g.lineVs[:0], g.lineIs[:0]
	for _, s := range g.grid {
		x0, y0, _, ok0 := c.Project(s.A)
		x1, y1, _, ok1 := c.Project(s.B)
		if !ok0 || !ok1 {
			continue
		}
		col, w := gridMinor, float32(1)
		if s.Major {
			col, w = gridMajor, 1.6
		}
		g.line(x0, y0, x1, y1, w, col)
	}
	screen.DrawTriangles(g.lineVs, g.lineIs, g.white, nil)
}

// line appends a w pixels wide segment to the line batch.
func (g *game) line(x0, y0, x1, y1, w float32, c color.RGBA) {
	dx, dy := x1-x0, y1-y0
	l := float32(math.Hypot(float64(dx), float64(dy)))
	if l == 0 {
		return
	}
	nx, ny := -dy/l*w/2, dx/l*w/2
	r, gg, b, a := float32(c.R)/255, float32(c.G)/255, float32(c.B)/255, float32(c.A)/255
	base := uint16(len(g.lineVs))
	for _, p := range [4][2]float32{{x0 + nx, y0 + ny}, {x1 + nx, y1 + ny}, {x0 - nx, y0 - ny}, {x1 - nx, y1 - ny}} {
		g.lineVs = append(g.lineVs, ebiten.Vertex{DstX: p[0], DstY: p[1], SrcX: visual.WhiteU0 + 1, SrcY: visual.WhiteV0 + 1,
			ColorR: r, ColorG: gg, ColorB: b, ColorA: a})
	}
	g.lineIs = append(g.lineIs, base, base+1, base+2, base+1, base+3, base+2)
}

func (g *game) drawSelection(screen *ebiten.Image) {
	sel, ok := g.m.Selection()
	if !ok || !sel.Alive {
		return
	}
	x, y, depth, vis := g.m.Cam.Project(sel.At)
	if !vis {
		return
	}
	r := max(visual.BallRadius*g.m.Cam.Focal()/depth*2.2, 7)
	ring := g.atlas.SubImage(image.Rect(visual.RingU0-1, visual.RingV0-1, visual.RingU1+1, visual.RingV1+1)).(*ebiten.Image)
	op := &ebiten.DrawImageOptions{Filter: ebiten.FilterNearest}
	op.GeoM.Translate(-32, -32)
	op.GeoM.Scale(float64(r)/28, float64(r)/28)
	op.GeoM.Translate(float64(x), float64(y))
	screen.DrawImage(ring, op)
}

func (g *game) drawLabels(screen *ebiten.Image) {
	labels := g.labels
	if g.m.Globe() {
		labels = g.globeLabels()
	}
	for _, l := range labels {
		x, y, _, ok := g.m.Cam.Project(l.At)
		if !ok {
			continue
		}
		w := float32(len([]rune(l.Text)) * charW)
		switch l.Align {
		case 0:
			x -= w / 2
		case -1:
			x -= w
		}
		ebitenutil.DebugPrintAt(screen, l.Text, int(x), int(y)-lineH/2)
	}
}

func (g *game) drawLegend(screen *ebiten.Image) {
	entries := g.legend
	vector.DrawFilledRect(screen, 4, 4, 150, float32(len(entries)*lineH+8), panel, false)
	for i, e := range entries {
		y := float32(8 + i*lineH)
		if e.Shape == visual.Missile {
			m := g.atlas.SubImage(image.Rect(visual.MissileU0, visual.MissileV0, visual.MissileU1, visual.MissileV1)).(*ebiten.Image)
			op := &ebiten.DrawImageOptions{Filter: ebiten.FilterNearest}
			op.GeoM.Scale(18.0/126, 8.0/62)
			op.GeoM.Translate(6, float64(y)+4)
			screen.DrawImage(m, op)
		} else {
			op := &ebiten.DrawImageOptions{Filter: ebiten.FilterNearest}
			op.GeoM.Scale(10.0/62, 10.0/62)
			op.GeoM.Translate(9, float64(y)+3)
			op.ColorScale.ScaleWithColor(e.Color)
			screen.DrawImage(g.ball, op)
		}
		ebitenutil.DebugPrintAt(screen, e.Text, 26, int(y))
	}
}

func (g *game) drawStatus(screen *ebiten.Image) {
	s := g.m.Stats()
	label := visual.TimeLabel(g.m.Clock(), g.wallNow())
	if !g.m.Clock().Live {
		label += " (L for live)"
	}
	dropped := g.inbox.Dropped()
	lines := []string{fmt.Sprintf("%s | %s in flight | %s received | %s dropped | %s | H readout, F1 keys",
		label, visual.Thousands(s.Live), visual.Thousands(int(s.Received)), visual.Thousands(int(s.Dropped+dropped)), g.source)}
	if load := s.Load(); load != "" {
		lines = append([]string{load}, lines...)
	}
	if g.readout {
		lines = append([]string{g.perf.line(s, g.m.Budget())}, lines...)
	}
	g.noticeMu.Lock()
	if time.Now().Before(g.noticeUntil) {
		lines = append([]string{g.notice}, lines...)
	}
	g.noticeMu.Unlock()
	h := screen.Bounds().Dy()
	y := h - 4 - len(lines)*lineH
	g.statusTop = y - 2
	vector.DrawFilledRect(screen, 4, float32(y-2), float32(maxLen(lines)*charW+8), float32(len(lines)*lineH+4), panel, false)
	for i, l := range lines {
		ebitenutil.DebugPrintAt(screen, l, 8, y+i*lineH)
	}

	sel, ok := g.m.Selection()
	if !ok {
		return
	}
	ev := &sel.Event
	info := []string{
		"selected: " + ev.Src.String() + fmt.Sprintf(" (%s) -> ", ev.SPort.AppendText(nil)) + ev.Dst.String() + fmt.Sprintf(" (%s)", ev.DPort.AppendText(nil)),
		fmt.Sprintf("flag %d", ev.Flag),
	}
	if ev.Kind == event.KindEarth {
		info[0] = "selected: " + earthEnds(ev)
	}
	if !ev.Model.Empty() {
		info[1] = "model " + ev.Model.String()
	}
	if !ev.Desc.Empty() {
		info = append(info, clip(ev.Desc.String(), 70))
	}
	if _, host, ok := ev.Traceable(); ok {
		info = append(info, "T: trace back via "+host)
	} else {
		info = append(info, "no traceback hash (agent without -T)")
	}
	if !sel.Alive {
		info = append(info, "(arrived)")
	}
	w := maxLen(info)*charW + 8
	x := screen.Bounds().Dx() - w - 4
	vector.DrawFilledRect(screen, float32(x), 4, float32(w), float32(len(info)*lineH+6), panel, false)
	for i, l := range info {
		ebitenutil.DebugPrintAt(screen, l, x+4, 6+i*lineH)
	}
}

// drawMessages shows PACKTERMSG / PACKTERHTML (and alerts, trace notices)
// with their pictures, newest at the bottom, above the status line.
func (g *game) drawMessages(screen *ebiten.Image) {
	g.msgs = g.m.Messages(g.msgs[:0])
	sw := screen.Bounds().Dx()
	y := g.statusTop - 4
	for i := len(g.msgs) - 1; i >= 0; i-- {
		msg := g.msgs[i]
		lines := make([]string, 0, 8)
		for j, l := range msg.Lines {
			if j == 7 && len(msg.Lines) > 8 {
				lines = append(lines, "...")
				break
			}
			lines = append(lines, clip(l.String(), 80))
		}
		var pic *ebiten.Image
		pw, ph := 0, 0
		if !msg.Picture.Empty() {
			if pic = g.picture(msg.Picture.String()); pic != nil {
				s := min(96/float64(pic.Bounds().Dy()), 128/float64(pic.Bounds().Dx()), 1)
				pw, ph = int(float64(pic.Bounds().Dx())*s), int(float64(pic.Bounds().Dy())*s)
			}
		}
		h := max(len(lines)*lineH, ph) + 8
		w := maxLen(lines)*charW + pw + 16
		x := sw - w - 4
		y -= h + 4
		if y < 0 {
			break
		}
		vector.DrawFilledRect(screen, float32(x), float32(y), float32(w), float32(h), color.RGBA{0x10, 0x20, 0x40, 0xD0}, false)
		if pic != nil {
			op := &ebiten.DrawImageOptions{Filter: ebiten.FilterNearest}
			op.GeoM.Scale(float64(pw)/float64(pic.Bounds().Dx()), float64(ph)/float64(pic.Bounds().Dy()))
			op.GeoM.Translate(float64(x+4), float64(y+4))
			screen.DrawImage(pic, op)
		}
		for j, l := range lines {
			ebitenutil.DebugPrintAt(screen, l, x+pw+10, y+4+j*lineH)
		}
	}
}

func (g *game) drawHelp(screen *ebiten.Image) {
	lines := append([]string{"Packter board: keys"}, visual.HelpLines()...)
	w, h := maxLen(lines)*charW+16, len(lines)*lineH+12
	x, y := (screen.Bounds().Dx()-w)/2, (screen.Bounds().Dy()-h)/2
	vector.DrawFilledRect(screen, float32(x), float32(y), float32(w), float32(h), color.RGBA{0, 0, 0, 0xE0}, false)
	for i, l := range lines {
		ebitenutil.DebugPrintAt(screen, l, x+8, y+6+i*lineH)
	}
}

func maxLen(ls []string) int {
	n := 0
	for _, l := range ls {
		n = max(n, len([]rune(l)))
	}
	return n
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "..."
}
