package hub

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// TestOptions: loopback unless asked, chosen ports, routes in either form.
func TestOptions(t *testing.T) {
	o, err := options(Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if o.Host != "127.0.0.1" || o.Port != 4222 || !o.JetStream || o.Cluster.Port != 0 {
		t.Errorf("defaults: host %q port %d jetstream %v cluster port %d", o.Host, o.Port, o.JetStream, o.Cluster.Port)
	}
	o, err = options(Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Routes: []string{"10.0.0.2:6222,nats-route://10.0.0.3:6222"}})
	if err != nil {
		t.Fatal(err)
	}
	if o.Port != server.RANDOM_PORT || o.Cluster.Host != "127.0.0.1" || o.Cluster.Port != 6222 || o.Cluster.Name != "packter" || len(o.Routes) != 2 {
		t.Errorf("cluster: port %d, cluster %s:%d %q, routes %v", o.Port, o.Cluster.Host, o.Cluster.Port, o.Cluster.Name, o.Routes)
	}
	for name, c := range map[string]Config{
		"no data dir": {},
		"bad listen":  {DataDir: "x", Listen: "nowhere"},
		"bad route":   {DataDir: "x", Routes: []string{"nats-route://"}},
	} {
		if _, err := options(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
