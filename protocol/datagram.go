package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
)

// MaxDatagram is the largest datagram accepted or sent: a UDP payload limit.
const MaxDatagram = 65507

// MaxModel bounds a FLAG that names a model: it is a file name, not a story.
const MaxModel = 64

// Header is a datagram's kind, from its first line.
type Header uint8

const (
	HeaderNone      Header = iota
	HeaderPacket           // PACKTER (also PACTER)
	HeaderBallistic        // PACKTERBALLISTIC: records as PACKTER
	HeaderGateway          // PACKTERWITHGATEWAY: 8-field records
	HeaderEarth            // PACKTEARTH
	HeaderMessage          // PACKTERMSG (also PACKTERMESG)
	HeaderHTML             // PACKTERHTML
	HeaderSound            // PACKTERSOUND
	HeaderSE               // PACKTERSE
	HeaderVoice            // PACKTERVOICE
	HeaderSky              // PACKTERSKYDOMETEXTURE
)

var headerNames = [...]string{
	HeaderNone:      "",
	HeaderPacket:    "PACKTER",
	HeaderBallistic: "PACKTERBALLISTIC",
	HeaderGateway:   "PACKTERWITHGATEWAY",
	HeaderEarth:     "PACKTEARTH",
	HeaderMessage:   "PACKTERMSG",
	HeaderHTML:      "PACKTERHTML",
	HeaderSound:     "PACKTERSOUND",
	HeaderSE:        "PACKTERSE",
	HeaderVoice:     "PACKTERVOICE",
	HeaderSky:       "PACKTERSKYDOMETEXTURE",
}

func (h Header) String() string {
	if int(h) < len(headerNames) {
		return headerNames[h]
	}
	return "unknown"
}

// Control reports whether the header is a control message (not a record) — the
// ones PACKTER 3.0 accepts only from authenticated agents once keys exist.
func (h Header) Control() bool { return h >= HeaderMessage }

func lookupHeader(tok []byte) Header {
	switch string(tok) { // no allocation: the compiler switches on the bytes
	case "PACKTER", "PACTER":
		return HeaderPacket
	case "PACKTERBALLISTIC":
		return HeaderBallistic
	case "PACKTERWITHGATEWAY":
		return HeaderGateway
	case "PACKTEARTH":
		return HeaderEarth
	case "PACKTERMSG", "PACKTERMESG":
		return HeaderMessage
	case "PACKTERHTML":
		return HeaderHTML
	case "PACKTERSOUND":
		return HeaderSound
	case "PACKTERSE":
		return HeaderSE
	case "PACKTERVOICE":
		return HeaderVoice
	case "PACKTERSKYDOMETEXTURE":
		return HeaderSky
	}
	return HeaderNone
}

// AgentLine is PACKTER 3.0's optional first line, `PACKTERAGENT id` or
// `PACKTERAGENT id,unixtime,hmac`.
type AgentLine struct {
	Present bool
	ID      []byte
	Time    int64  // unix seconds, when signed
	MAC     []byte // 64 lowercase or uppercase hex characters, when signed
	Signed  []byte // the bytes after the agent line: what the MAC covers (with "id,time\n")
}

// Datagram is one parsed PACKTER datagram. Byte slices alias the input buffer.
// Parse reuses Records and Earth between calls, so one Datagram per reader
// allocates nothing in steady state.
type Datagram struct {
	Agent   AgentLine
	Header  Header
	Records []Record      // Packet, Ballistic, Gateway
	Earth   []EarthRecord // Earth

	// Control messages. Message: Picture + Text (HTML). HTML, Voice: Text.
	// SE, Sky: File. Sound: Millis + File (HasMillis false for an empty TIME).
	Picture   []byte
	Text      []byte
	File      []byte
	Millis    int
	HasMillis bool

	// Bad counts record lines that were malformed and skipped; BadErr is the first
	// such error. A bulk datagram loses only its bad lines.
	Bad    int
	BadErr error
}

func (d *Datagram) reset() {
	d.Agent = AgentLine{}
	d.Header = HeaderNone
	d.Records = d.Records[:0]
	d.Earth = d.Earth[:0]
	d.Picture, d.Text, d.File = nil, nil, nil
	d.Millis, d.HasMillis = 0, false
	d.Bad, d.BadErr = 0, nil
}

// Errors. ParseError wraps them with where the fault is.
var (
	ErrEmpty      = errors.New("empty datagram")
	ErrTooLarge   = errors.New("datagram too large")
	ErrHeader     = errors.New("unknown header")
	ErrAgentLine  = errors.New("malformed PACKTERAGENT line")
	ErrNoRecords  = errors.New("no valid record")
	ErrFieldCount = errors.New("wrong number of fields")
	ErrAddr       = errors.New("bad address")
	ErrPort       = errors.New("bad port")
	ErrFlag       = errors.New("bad flag")
	ErrCoord      = errors.New("bad coordinate")
	ErrBody       = errors.New("missing body")
	ErrTime       = errors.New("bad sound time")
)

// ParseError says which line of the datagram was wrong and why.
type ParseError struct {
	Line int // 1-based line within the datagram (0: the datagram as a whole)
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return "packter: " + e.Err.Error()
	}
	return fmt.Sprintf("packter: line %d: %v", e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parse decodes one datagram into d. It never panics and keeps no reference to
// b beyond d's slices. A bulk datagram with some bad record lines parses the
// good ones (d.Bad counts the rest); it fails only when nothing usable remains.
// It is one function over 80 lines on purpose: it walks the datagram once,
// the header and then each line, and every branch is one kind of line of the
// wire format (docs/protocol.md), read top to bottom.
func Parse(b []byte, d *Datagram) error {
	d.reset()
	if len(b) == 0 {
		return &ParseError{Err: ErrEmpty}
	}
	if len(b) > MaxDatagram {
		return &ParseError{Err: ErrTooLarge}
	}
	line, rest := cutLine(b)
	lineNo := 1
	if bytes.HasPrefix(line, agentPrefix) {
		if err := parseAgent(line[len(agentPrefix):], &d.Agent); err != nil {
			return &ParseError{Line: 1, Err: err}
		}
		d.Agent.Signed = rest
		if len(rest) == 0 {
			return &ParseError{Line: 2, Err: ErrEmpty}
		}
		line, rest = cutLine(rest)
		lineNo = 2
	}
	tok, inline := line, []byte(nil)
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		tok, inline = line[:i], bytes.TrimLeft(line[i+1:], " ")
	}
	d.Header = lookupHeader(tok)
	if d.Header == HeaderNone {
		return &ParseError{Line: lineNo, Err: ErrHeader}
	}
	switch d.Header {
	case HeaderPacket, HeaderBallistic, HeaderGateway, HeaderEarth:
		if len(inline) > 0 {
			d.parseRecordLine(inline, lineNo)
		}
		for len(rest) > 0 {
			line, rest = cutLine(rest)
			lineNo++
			if len(line) == 0 || (line[0] <= ' ' && len(bytes.TrimSpace(line)) == 0) {
				continue
			}
			d.parseRecordLine(line, lineNo)
		}
		if len(d.Records) == 0 && len(d.Earth) == 0 {
			if d.BadErr != nil {
				return d.BadErr
			}
			return &ParseError{Line: lineNo, Err: ErrNoRecords}
		}
		return nil
	}
	// Control messages: the body is the inline text, or everything after the
	// header line without its final line end.
	body := inline
	if len(body) == 0 {
		body = trimEOL(rest)
		lineNo++
	}
	switch d.Header {
	case HeaderMessage:
		pic, text, _ := bytes.Cut(body, comma)
		if len(body) == 0 {
			return &ParseError{Line: lineNo, Err: ErrBody}
		}
		d.Picture, d.Text = bytes.TrimSpace(pic), text
	case HeaderHTML, HeaderVoice:
		if len(body) == 0 {
			return &ParseError{Line: lineNo, Err: ErrBody}
		}
		d.Text = body
	case HeaderSE, HeaderSky:
		f := bytes.TrimSpace(firstLine(body))
		if len(f) == 0 {
			return &ParseError{Line: lineNo, Err: ErrBody}
		}
		d.File = f
	case HeaderSound:
		body = firstLine(body)
		t, f, _ := bytes.Cut(body, comma)
		t = bytes.TrimSpace(t)
		if len(t) > 0 {
			v, ok := parseInt(t)
			if !ok || v > math.MaxInt32 || v < math.MinInt32 {
				return &ParseError{Line: lineNo, Err: ErrTime}
			}
			d.Millis, d.HasMillis = v, true
		}
		d.File = bytes.TrimSpace(f)
	}
	return nil
}

var (
	agentPrefix = []byte("PACKTERAGENT ")
	comma       = []byte{','}
)

func parseAgent(s []byte, a *AgentLine) error {
	s = bytes.TrimSpace(s)
	a.Present = true
	id, rest, signed := bytes.Cut(s, comma)
	if len(id) == 0 || len(id) > 64 || bytes.IndexByte(id, ' ') >= 0 {
		return ErrAgentLine
	}
	a.ID = id
	if !signed {
		return nil
	}
	ts, mac, ok := bytes.Cut(rest, comma)
	if !ok || len(mac) != 64 || !isHex(unsafeString(mac)) {
		return ErrAgentLine
	}
	t, ok := parseInt(ts)
	if !ok {
		return ErrAgentLine
	}
	a.Time, a.MAC = int64(t), mac
	return nil
}

func (d *Datagram) bad(line int, err error) {
	d.Bad++
	if d.BadErr == nil {
		d.BadErr = &ParseError{Line: line, Err: err}
	}
}

func (d *Datagram) parseRecordLine(line []byte, lineNo int) {
	line = trimCR(line)
	if d.Header == HeaderEarth {
		var e EarthRecord
		if err := parseEarth(line, &e); err != nil {
			d.bad(lineNo, err)
			return
		}
		d.Earth = append(d.Earth, e)
		return
	}
	// Grow without zeroing: ParseRecord and parseGateway clear the record.
	d.Records = slices.Grow(d.Records, 1)[:len(d.Records)+1]
	r := &d.Records[len(d.Records)-1]
	var err error
	if d.Header == HeaderGateway {
		err = parseGateway(line, r)
	} else {
		err = ParseRecord(line, r)
	}
	if err != nil {
		d.Records = d.Records[:len(d.Records)-1]
		d.bad(lineNo, err)
	}
}

// ParseRecord decodes one `SRC,DST,SPORT,DPORT,FLAG,DESCRIPTION` line (the
// description may contain commas, or be absent).
func ParseRecord(line []byte, r *Record) error {
	*r = Record{}
	var f [5][]byte
	rest, ok := cutFields(line, f[:])
	if !ok {
		return ErrFieldCount
	}
	if err := parseEnds(f[:4], r); err != nil {
		return err
	}
	var err error
	if r.Flag, r.Model, err = parseFlag(f[4]); err != nil {
		return err
	}
	r.Desc = rest
	return nil
}

// cutFields fills f with the first len(f) comma-separated fields of line and
// returns what follows them (nil when the line ends with the last one); ok is
// false when the line has fewer fields.
func cutFields(line []byte, f [][]byte) (rest []byte, ok bool) {
	// A plain loop: fields are short, and a call per comma costs more than
	// the scan.
	n, start := 0, 0
	for i := 0; i < len(line); i++ {
		if line[i] != ',' {
			continue
		}
		f[n] = line[start:i]
		n++
		start = i + 1
		if n == len(f) {
			return line[start:], true
		}
	}
	if n == len(f)-1 {
		f[n] = line[start:]
		return nil, true
	}
	return nil, false
}

// parseEnds reads a record's SRC, DST, SPORT and DPORT from f[0:4].
func parseEnds(f [][]byte, r *Record) error {
	var err error
	if r.Src, err = parseAddr(f[0]); err != nil {
		return err
	}
	if r.Dst, err = parseAddr(f[1]); err != nil {
		return err
	}
	if r.SPort, err = parsePort(f[2]); err != nil {
		return err
	}
	r.DPort, err = parsePort(f[3])
	return err
}

// parseGateway decodes PACKTERWITHGATEWAY's
// `src,dst,sport,dport,gateway,gatewayport,model,flag`.
func parseGateway(line []byte, r *Record) error {
	*r = Record{HasGateway: true}
	var f [8][]byte
	if rest, ok := cutFields(line, f[:]); !ok || rest != nil {
		return ErrFieldCount
	}
	if err := parseEnds(f[:4], r); err != nil {
		return err
	}
	var err error
	if r.Gateway, err = parseAddr(f[4]); err != nil {
		return err
	}
	if r.GatewayPort, err = parsePort(f[5]); err != nil {
		return err
	}
	if m := bytes.TrimSpace(f[6]); len(m) > 0 {
		if len(m) > MaxModel || !printable(m) {
			return ErrFlag
		}
		r.Model = m
	}
	if r.Flag, _, err = parseFlag(f[7]); err != nil {
		return err
	}
	return nil
}

func parseEarth(line []byte, e *EarthRecord) error {
	*e = EarthRecord{}
	var f [5][]byte
	rest, ok := cutFields(line, f[:])
	if !ok {
		return ErrFieldCount
	}
	vals := [4]*float64{&e.Lat1, &e.Lon1, &e.Lat2, &e.Lon2}
	for i, p := range vals {
		v, ok := parseFloat(f[i])
		lim := 90.0
		if i%2 == 1 {
			lim = 180
		}
		if !ok || v < -lim || v > lim {
			return ErrCoord
		}
		*p = v
	}
	var err error
	if e.Flag, e.Model, err = parseFlag(f[4]); err != nil {
		return err
	}
	e.Desc = rest
	return nil
}
