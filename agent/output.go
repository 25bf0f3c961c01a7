package agent

import (
	"bufio"
	"strconv"
	"time"

	"github.com/packter/packter/protocol"
)

// printer is -n: what the agent would send, on stdout, exactly as PACKTER's
// agents print it: before each datagram a line `TIME <sec> <usec>` (the wall
// time it would be sent; PACKTER's pt_replay replays by these lines and
// tools split datagrams at them), then the datagram's text as sent, with
// the PACKTERAGENT line first under -A. With -B, records gather into bulk
// datagrams exactly as when sending: the window runs on the clock the
// datagrams go out by, so a file read as fast as possible (--speed 0) fills
// datagrams up to the size limit, as PACKTER's agents do.
type printer struct {
	w       *bufio.Writer
	now     func() time.Time
	agentID string
	key     []byte
	window  time.Duration // -B
	max     int           // bulk datagram size limit, agent line included
	buf     []byte        // one datagram being formatted
	line    []byte        // one bulk record line
	bulk    []byte        // pending bulk records (without header)
	first   time.Time     // when the pending bulk datagram was started
	signed  []byte
	stamp   []byte // the TIME line
	// live: the input arrives over time (interface, collectors, a paced file),
	// so each datagram is written out at once; a file read flat out is
	// buffered for speed.
	live bool
	// A file read flat out prints a datagram every few hundred nanoseconds,
	// and reading the clock costs about as much as formatting one (150 ns on
	// a loaded VM): then the clock is read once every clockEvery readings,
	// which keeps TIME lines well within a millisecond of the truth.
	last  time.Time
	reads int
}

const clockEvery = 256

func (p *printer) clock() time.Time {
	if p.live || p.reads == 0 {
		p.last = p.now()
	}
	if !p.live {
		p.reads = (p.reads + 1) % clockEvery
	}
	return p.last
}

func newPrinter(cfg Config) *printer {
	cfg.defaults()
	p := &printer{
		w:       bufio.NewWriterSize(cfg.Output.Stdout, 64<<10),
		now:     cfg.Now,
		agentID: cfg.Auth.AgentID,
		key:     cfg.Auth.Key,
		window:  cfg.Output.Bulk,
		max:     cfg.Output.BulkMax,
		buf:     make([]byte, 0, 2048),
		line:    make([]byte, 0, 512),
		signed:  make([]byte, 0, 2048),
		stamp:   make([]byte, 0, 48),
		live:    !cfg.Input.fromFile() || cfg.Input.Speed > 0,
	}
	if p.window > 0 {
		p.bulk = make([]byte, 0, cfg.Output.BulkMax)
	}
	if p.agentID != "" {
		// As protocol.Sender counts it: the agent line travels in the same datagram.
		p.max -= len("PACKTERAGENT ,1234567890,\n") + len(p.agentID) + 64
	}
	return p
}

const header = "PACKTER\n"

func (p *printer) record(_ time.Time, rec *protocol.Record) error {
	if p.window <= 0 {
		// protocol.AppendPacket's form, without copying the record into a variadic slice.
		b := append(p.buf[:0], header...)
		b = protocol.AppendRecord(b, rec)
		p.buf = append(b, '\n')
		return p.write(p.buf, p.clock())
	}
	line := protocol.AppendRecord(p.line[:0], rec)
	line = append(line, '\n')
	p.line = line
	// PACKTER's order: make room, start the window, add, then send if the
	// window has passed (the record that finds it passed goes with it).
	if len(p.bulk) > 0 && len(header)+len(p.bulk)+len(line) > p.max {
		if err := p.flushBulk(p.clock()); err != nil {
			return err
		}
	}
	now := p.clock()
	if len(p.bulk) == 0 {
		p.first = now
	}
	p.bulk = append(p.bulk, line...)
	if now.Sub(p.first) >= p.window {
		return p.flushBulk(now)
	}
	return nil
}

// expire prints the pending bulk datagram if its window has passed.
func (p *printer) expire() error {
	if len(p.bulk) == 0 {
		return nil
	}
	if now := p.clock(); now.Sub(p.first) >= p.window {
		return p.flushBulk(now)
	}
	return nil
}

func (p *printer) flushBulk(now time.Time) error {
	if len(p.bulk) == 0 {
		return nil
	}
	d := append(p.buf[:0], header...)
	d = append(d, p.bulk...)
	p.buf = d
	p.bulk = p.bulk[:0]
	return p.write(d, now)
}

func (p *printer) datagram(body []byte) error {
	now := p.clock()
	if err := p.flushBulk(now); err != nil { // keep the order, as PACKTER does
		return err
	}
	return p.write(body, now)
}

// write prints one datagram: its TIME line, then its text.
func (p *printer) write(d []byte, now time.Time) error {
	if p.agentID != "" {
		p.signed = protocol.AppendAgent(p.signed[:0], p.agentID, p.key, now, d)
		d = p.signed
	}
	t := append(p.stamp[:0], "TIME "...)
	t = strconv.AppendInt(t, now.Unix(), 10)
	t = append(t, ' ')
	t = strconv.AppendInt(t, int64(now.Nanosecond()/1000), 10)
	t = append(t, '\n')
	p.stamp = t
	if _, err := p.w.Write(t); err != nil {
		return err
	}
	if _, err := p.w.Write(d); err != nil {
		return err
	}
	if p.live {
		return p.w.Flush()
	}
	return nil
}

func (p *printer) flush() error {
	if err := p.flushBulk(p.clock()); err != nil {
		return err
	}
	return p.w.Flush()
}

func (p *printer) close() error { return p.flush() }

// senderOut sends to viewers through protocol.Sender (which bulks and signs).
type senderOut struct{ s *protocol.Sender }

func (o *senderOut) record(_ time.Time, rec *protocol.Record) error { return o.s.Record(rec) }
func (o *senderOut) datagram(body []byte) error                     { return o.s.Datagram(body) }
func (o *senderOut) flush() error                                   { return o.s.Flush() }
func (o *senderOut) close() error                                   { return o.s.Close() }

// funcOut hands records to a callback (Records); control datagrams are dropped.
type funcOut func(ts time.Time, rec *protocol.Record) error

func (f funcOut) record(ts time.Time, rec *protocol.Record) error { return f(ts, rec) }
func (f funcOut) datagram([]byte) error                           { return nil }
func (f funcOut) flush() error                                    { return nil }
func (f funcOut) close() error                                    { return nil }
