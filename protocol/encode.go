package protocol

import (
	"bytes"
	"strconv"
)

// Encoders append exactly what PACKTER's agents and traceback client send:
// "HEADER\n" + body + "\n" (PACKTERSE without the final newline, as pt_agent's
// -s does). Text that would break the line format has its line ends replaced.

// AppendRecord appends one record line, without its line end.
func AppendRecord(dst []byte, r *Record) []byte {
	dst = r.Src.AppendText(dst)
	dst = append(dst, ',')
	dst = r.Dst.AppendText(dst)
	dst = append(dst, ',')
	dst = r.SPort.AppendText(dst)
	dst = append(dst, ',')
	dst = r.DPort.AppendText(dst)
	dst = append(dst, ',')
	if r.HasGateway {
		dst = r.Gateway.AppendText(dst)
		dst = append(dst, ',')
		dst = r.GatewayPort.AppendText(dst)
		dst = append(dst, ',')
		dst = appendLine(dst, r.Model)
		dst = append(dst, ',')
		return strconv.AppendInt(dst, int64(r.Flag), 10)
	}
	dst = appendFlag(dst, r.Flag, r.Model)
	dst = append(dst, ',')
	return appendLine(dst, r.Desc)
}

func appendFlag(dst []byte, flag int, model []byte) []byte {
	if len(model) > 0 {
		return appendLine(dst, model)
	}
	return strconv.AppendInt(dst, int64(flag), 10)
}

// AppendPacket appends a PACKTER datagram: one record (PACKTER 2.5's form) or
// many (3.0's bulk form). Records with a gateway go in AppendGateway instead.
func AppendPacket(dst []byte, recs ...Record) []byte {
	dst = append(dst, "PACKTER\n"...)
	for i := range recs {
		dst = AppendRecord(dst, &recs[i])
		dst = append(dst, '\n')
	}
	return dst
}

// AppendGateway appends a PACKTERWITHGATEWAY datagram.
func AppendGateway(dst []byte, recs ...Record) []byte {
	dst = append(dst, "PACKTERWITHGATEWAY\n"...)
	for i := range recs {
		r := recs[i]
		r.HasGateway = true
		dst = AppendRecord(dst, &r)
		dst = append(dst, '\n')
	}
	return dst
}

// AppendEarth appends a PACKTEARTH datagram.
func AppendEarth(dst []byte, recs ...EarthRecord) []byte {
	dst = append(dst, "PACKTEARTH\n"...)
	for i := range recs {
		e := &recs[i]
		for _, v := range [4]float64{e.Lat1, e.Lon1, e.Lat2, e.Lon2} {
			dst = strconv.AppendFloat(dst, v, 'f', -1, 64)
			dst = append(dst, ',')
		}
		dst = appendFlag(dst, e.Flag, e.Model)
		dst = append(dst, ',')
		dst = appendLine(dst, e.Desc)
		dst = append(dst, '\n')
	}
	return dst
}

// AppendMessage appends PACKTERMSG: a picture file and an HTML message.
func AppendMessage(dst []byte, picture, text string) []byte {
	dst = append(dst, "PACKTERMSG\n"...)
	dst = appendLine(dst, []byte(picture))
	dst = append(dst, ',')
	dst = appendLine(dst, []byte(text))
	return append(dst, '\n')
}

// AppendHTML appends PACKTERHTML.
func AppendHTML(dst []byte, html string) []byte {
	dst = append(dst, "PACKTERHTML\n"...)
	dst = appendLine(dst, []byte(html))
	return append(dst, '\n')
}

// AppendSound appends PACKTERSOUND `TIME,FILE` (TIME in milliseconds as PACKTER
// 2.5's viewer reads it: >0 once, <0 loop, 0 stop).
func AppendSound(dst []byte, millis int, file string) []byte {
	dst = append(dst, "PACKTERSOUND\n"...)
	dst = strconv.AppendInt(dst, int64(millis), 10)
	dst = append(dst, ',')
	dst = appendLine(dst, []byte(file))
	return append(dst, '\n')
}

// AppendSE appends PACKTERSE, without a final newline as pt_agent sends it.
func AppendSE(dst []byte, file string) []byte {
	dst = append(dst, "PACKTERSE\n"...)
	return appendLine(dst, []byte(file))
}

// AppendVoice appends PACKTERVOICE.
func AppendVoice(dst []byte, text string) []byte {
	dst = append(dst, "PACKTERVOICE\n"...)
	dst = appendLine(dst, []byte(text))
	return append(dst, '\n')
}

// AppendSky appends PACKTERSKYDOMETEXTURE.
func AppendSky(dst []byte, file string) []byte {
	dst = append(dst, "PACKTERSKYDOMETEXTURE\n"...)
	dst = appendLine(dst, []byte(file))
	return append(dst, '\n')
}

// appendLine appends s with CR and LF turned into spaces, so a field can never
// start a new record or header.
func appendLine(dst, s []byte) []byte {
	if bytes.IndexByte(s, '\n') < 0 && bytes.IndexByte(s, '\r') < 0 {
		return append(dst, s...) // the usual case, in bulk
	}
	for _, c := range s {
		if c == '\n' || c == '\r' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}
