package collect

import (
	"bytes"
	"time"
)

// Data sets that came before their template wait here, bounded.

// hold keeps a data set whose template has not come yet.
func (fd *FlowDecoder) hold(key tmplKey, b []byte, tb timeBase, now time.Time, res *FlowResult) {
	if len(fd.pending) >= fd.MaxPending || fd.pendingBytes+len(b) > fd.MaxPendingBytes {
		res.Lost++
		return
	}
	// The datagram buffer is reused by the caller: keep a copy.
	fd.pending = append(fd.pending, pendingSet{key: key, at: now, base: tb, data: bytes.Clone(b)})
	fd.pendingBytes += len(b)
	res.Pending++
}

// release decodes the held sets whose template has now arrived.
func (fd *FlowDecoder) release(res *FlowResult) {
	kept := fd.pending[:0]
	for _, p := range fd.pending {
		if t := fd.templates[p.key]; t != nil {
			fd.data(t, p.data, p.base, res)
			fd.pendingBytes -= len(p.data)
			continue
		}
		kept = append(kept, p)
	}
	clear(fd.pending[len(kept):])
	fd.pending = kept
}

// sweep drops held sets that waited too long, and now and then expired templates.
func (fd *FlowDecoder) sweep(now time.Time, res *FlowResult) {
	if len(fd.pending) > 0 {
		kept := fd.pending[:0]
		for _, p := range fd.pending {
			if now.Sub(p.at) > fd.PendingTTL {
				res.Lost++
				fd.pendingBytes -= len(p.data)
				continue
			}
			kept = append(kept, p)
		}
		clear(fd.pending[len(kept):])
		fd.pending = kept
	}
	if now.Sub(fd.lastSweep) > time.Minute {
		fd.expire(now)
	}
}

func (fd *FlowDecoder) expire(now time.Time) {
	fd.lastSweep = now
	for k, t := range fd.templates {
		if now.Sub(t.seen) > fd.TemplateTTL {
			fd.forget(k)
		}
	}
}

// forget removes a template and its share of its exporter's count.
func (fd *FlowDecoder) forget(k tmplKey) {
	if _, ok := fd.templates[k]; !ok {
		return
	}
	delete(fd.templates, k)
	if n := fd.perExporter[k.exporter] - 1; n > 0 {
		fd.perExporter[k.exporter] = n
	} else {
		delete(fd.perExporter, k.exporter)
	}
}

// Expire drops the held data sets whose template did not come in time, and
// templates unrefreshed for too long, and reports how many sets were lost.
// Decode does this too; Expire serves quiet periods.
func (fd *FlowDecoder) Expire(now time.Time) (lost int) {
	fd.init()
	var res FlowResult
	fd.sweep(now, &res)
	return res.Lost
}

// Flush counts every held data set as lost (at shutdown) and reports how many.
func (fd *FlowDecoder) Flush() int {
	n := len(fd.pending)
	clear(fd.pending)
	fd.pending = fd.pending[:0]
	fd.pendingBytes = 0
	return n
}
