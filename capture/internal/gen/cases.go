package gen

import "bytes"

// Frame is one packet of a case and the record it must give: Want is the
// default description, or empty when Err names the decoder error expected.
type Frame struct {
	Data    []byte
	Want    string
	Tunnels int    // encapsulations stepped over to reach the described packet
	Err     string // expected error text when Want is empty
}

// Case is one test capture: a file name under capture/testdata, its link
// type, and its frames.
type Case struct {
	File      string
	Link      uint32
	NG        bool   // pcapng rather than pcap
	BigEndian bool   // a pcap written on a big-endian host
	Header    string // which header the record describes (docs/capture.md)
	Frames    []Frame
}

func ok(data []byte, want string, tunnels int) Frame {
	return Frame{Data: data, Want: want, Tunnels: tunnels}
}

func bad(data []byte, err string) Frame { return Frame{Data: data, Err: err} }

// Cases are every test capture, in a stable order.
func Cases() []Case {
	var cs []Case
	cs = append(cs, linkCases()...)
	cs = append(cs, tunnelCases()...)
	return cs
}

// Bytes is the case as a capture file.
func (c Case) Bytes() []byte {
	var b bytes.Buffer
	if c.NG {
		writeNG(&b, c.Link, c.Frames)
	} else {
		writePcap(&b, c.Link, c.BigEndian, c.Frames)
	}
	return b.Bytes()
}

const ts0 = 1700000000

func writePcap(b *bytes.Buffer, link uint32, bigEndian bool, frames []Frame) {
	u16, u32 := le16, le32
	if bigEndian {
		u16, u32 = be16, be32
	}
	h := u32(nil, 0xa1b2c3d4)
	h = u16(u16(h, 2), 4)
	h = u32(u32(u32(h, 0), 0), 65535)
	b.Write(u32(h, link))
	for i, f := range frames {
		r := u32(u32(nil, ts0+uint32(i)), 0)
		r = u32(u32(r, uint32(len(f.Data))), uint32(len(f.Data)))
		b.Write(r)
		b.Write(f.Data)
	}
}

func ngBlock(b *bytes.Buffer, typ uint32, body []byte) {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b.Write(le32(le32(nil, typ), n))
	b.Write(body)
	b.Write(le32(nil, n))
}

func writeNG(b *bytes.Buffer, link uint32, frames []Frame) {
	shb := le32(nil, 0x1a2b3c4d)
	shb = le16(le16(shb, 1), 0)
	shb = append(shb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff) // section length unknown
	ngBlock(b, 0x0a0d0d0a, shb)
	ngBlock(b, 1, le32(le16(le16(nil, uint16(link)), 0), 65535))
	for i, f := range frames {
		us := uint64(ts0+i) * 1_000_000
		e := le32(nil, 0)
		e = le32(le32(e, uint32(us>>32)), uint32(us))
		e = le32(le32(e, uint32(len(f.Data))), uint32(len(f.Data)))
		ngBlock(b, 6, append(e, f.Data...))
	}
}
