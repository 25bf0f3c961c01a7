// Package bus carries PACKTER datagrams across sites on NATS JetStream, so
// that agents behind NAT, several monitors and a history longer than one
// monitor's memory share one stream (docs/protocol.md, "Many sites").
//
//	agent ──Publisher──▶ packter.<site>.<agent> ──▶ stream PACKTER ──▶ Source ──▶ monitor
//	PACKTER agent ─UDP─▶ Relay ─────────────────────┘        └──▶ History (rewind)
//
// Messages carry a PACKTER datagram unchanged (signed by the agent when it
// has a key), so a monitor reading the bus decodes and authenticates them
// exactly as it does UDP. Each message has an id (Nats-Msg-Id): the stream's
// duplicate window drops a message published twice after a reconnect.
//
// Digest queries for traceback travel as NATS request/reply on
// packter-digests.<asn> (DigestListener, DigestDialer), so a trace crosses
// sites without opening another port.
//
// Package bus/hub runs an embedded NATS server with JetStream for one
// machine or a small cluster.
package bus
