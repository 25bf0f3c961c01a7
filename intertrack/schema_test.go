package intertrack

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestMessagesValidateAgainstSchema checks what we send against
// InterTrackMessage.xsd (a copy in testdata) with libxml2's validator.
func TestMessagesValidateAgainstSchema(t *testing.T) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint (libxml2-utils) is not installed: scripts/setup.sh test installs it")
	}
	ctx := t.Context()
	stores, cfg := threeASes(t, ctx)
	for _, s := range stores {
		s.Insert(hashN(1), time.Now())
	}
	stores[65003].Insert(hashN(2), time.Now())
	d, err := NewDP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lo := netip.MustParseAddr("127.0.0.1")
	msgs := map[string]*Message{"request": NewTraceRequest(hashN(1), lo, netip.MustParseAddr("2001:db8::1"), time.Now())}
	for name, h := range map[string][16]byte{"found": hashN(1), "internal": hashN(2), "notfound": hashN(3)} {
		ack, reply := d.handle(ctx, lo, NewTraceRequest(h, lo, lo, time.Now()).ClientTraceRequest)
		msgs["ack"] = ack
		msgs["reply-"+name] = reply(ctx)
	}
	bad := NewTraceRequest(hashN(1), lo, lo, time.Now()).ClientTraceRequest
	bad.PacketDump[0].Data = "nothex"
	_, reply := d.handle(ctx, lo, bad)
	msgs["reply-error"] = reply(ctx)
	dir := t.TempDir()
	for name, m := range msgs {
		b, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name+".xml")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("xmllint", "--noout", "--schema", "testdata/InterTrackMessage.xsd", p).CombinedOutput()
		if err != nil {
			t.Errorf("%s does not validate: %v\n%s\n%s", name, err, out, b)
		}
	}
}
