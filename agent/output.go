package agent

import (
	"bufio"
	"time"

	"github.com/packter/packter/protocol"
)

// printer is -n: the wire text on stdout, exactly as PACKTER's agent prints it
// without its TIME lines. With -B, records within the bulk window (in capture
// time) share one datagram; with -A the PACKTERAGENT line comes first.
type printer struct {
	w         *bufio.Writer
	cfg       Config
	buf       []byte // one datagram being formatted
	line      []byte // one bulk record line
	bulk      []byte // pending bulk records (without header)
	bulkFirst time.Time
	signed    []byte
	// live: the input arrives over time (interface, collectors, a paced file),
	// so each datagram is written out at once; a file read flat out is
	// buffered for speed.
	live bool
}

func newPrinter(cfg Config) *printer {
	return &printer{
		w:      bufio.NewWriterSize(cfg.Stdout, 64<<10),
		cfg:    cfg,
		buf:    make([]byte, 0, 2048),
		line:   make([]byte, 0, 512),
		bulk:   make([]byte, 0, cfg.BulkMax),
		signed: make([]byte, 0, 2048),
		live:   (cfg.ReadFile == "" && cfg.Input == nil) || cfg.Speed > 0,
	}
}

func (p *printer) record(ts time.Time, rec *protocol.Record) error {
	if p.cfg.Bulk <= 0 {
		// protocol.AppendPacket's form, without copying the record into a variadic slice.
		b := append(p.buf[:0], "PACKTER\n"...)
		b = protocol.AppendRecord(b, rec)
		p.buf = append(b, '\n')
		return p.write(p.buf)
	}
	line := protocol.AppendRecord(p.line[:0], rec)
	line = append(line, '\n')
	p.line = line
	if len(p.bulk) > 0 && (len(p.bulk)+len(line)+len("PACKTER\n") > p.cfg.BulkMax || ts.Sub(p.bulkFirst) >= p.cfg.Bulk) {
		if err := p.flushBulk(); err != nil {
			return err
		}
	}
	if len(p.bulk) == 0 {
		p.bulkFirst = ts
	}
	p.bulk = append(p.bulk, line...)
	return nil
}

func (p *printer) flushBulk() error {
	if len(p.bulk) == 0 {
		return nil
	}
	d := append(p.buf[:0], "PACKTER\n"...)
	d = append(d, p.bulk...)
	p.buf = d
	p.bulk = p.bulk[:0]
	return p.write(d)
}

func (p *printer) datagram(body []byte) error {
	if err := p.flushBulk(); err != nil { // keep the order, as PACKTER does
		return err
	}
	return p.write(body)
}

func (p *printer) write(d []byte) error {
	if p.cfg.AgentID != "" {
		p.signed = protocol.AppendAgent(p.signed[:0], p.cfg.AgentID, p.cfg.Key, p.cfg.Now(), d)
		d = p.signed
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
	if err := p.flushBulk(); err != nil {
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
