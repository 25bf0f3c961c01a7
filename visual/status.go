package visual

import (
	"fmt"
	"strconv"
	"time"
)

// TimeLabel says where a view stands on the timeline, as every view shows it:
// "LIVE", "REWIND −0:42 ×1" (playing the past back) or "PAUSED −0:42"; the
// offset is how far the shown time lies behind wall. In history loaded from
// the stream it ends "· STREAM".
func TimeLabel(c Clock, wall time.Time) string {
	if c.Live {
		return "LIVE"
	}
	back := Offset(wall.Sub(c.Time))
	label := "REWIND " + back + " ×" + strconv.FormatFloat(c.Speed, 'f', -1, 64)
	if c.Speed == 0 {
		label = "PAUSED " + back
	}
	if c.Past {
		label += " · STREAM"
	}
	return label
}

// Offset formats how far back d is: "−0:42", "−12:05", "−1:02:03".
func Offset(d time.Duration) string {
	s := int64(max(d, 0) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("−%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("−%d:%02d", s/60, s%60)
}

// Load says how much of the traffic in flight is drawn one by one, "" when
// all of it is: "showing 50,000 of 180,000 in flight, the rest as density".
func (s Stats) Load() string {
	if s.Cells == 0 || s.Drawn >= s.Live {
		return ""
	}
	return fmt.Sprintf("showing %s of %s in flight, the rest as density", Thousands(s.Drawn), Thousands(s.Live))
}

// Thousands writes n with thousands separators: 180000 → "180,000".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
