// Package intertrack is Packter's IP traceback: PACKTER's second contribution,
// made to work end to end.
//
//	monitor ──T──▶ TC (UDP 11301) ──ClientTraceRequest──▶ DP (TCP 9005) ──QUERY──▶ agents' digest stores
//	monitor ◀── PACKTERMSG/SOUND/VOICE ── TC ◀── ClientMessageIDReply, ClientTraceReply ── DP
//
// # Viewer side
//
// LaunchTrace sends the selected record to the traceback client named in its
// description (`HASH-TCHOST`), as PACKTER's viewer does when T is pressed.
//
// # Traceback client (TC)
//
// TC (NewTC/Serve, or RunTC) receives records on UDP, sends one
// ClientTraceRequest per record to the decision point on its own TCP
// connection, waits for the ClientMessageIDReply (AckTimeout) and the
// ClientTraceReply (ReplyTimeout), and reports PACKTER's three outcomes to the
// monitor as PACKTERMSG + PACKTERSOUND + PACKTERVOICE: launched, succeeded
// ("Traceback succeeded: the packet came from AS 65001, through AS 65002";
// "… came from AS 65004 or from beyond it" when that AS borders ASes without
// agents; "… reached us through AS 64510; its source network was not found
// (possibly spoofed)" when the walk ends at a transit AS), failed (with the
// reason: nobody saw the packet, DP down, slow or talking garbage). The
// messages keep PACKTER's texts and `Depth N: state AS:number` lines. Texts follow PACKTER's IPTB_* keys (LoadIPTBConfig). Several traces
// run at once (MaxInFlight; more are dropped and counted). OnOutcome also hands
// every Outcome to the caller.
//
// StartPair runs a DP and a TC in-process on loopback ports the system picks:
// what the demo does so that T works out of the box (give the agent
// `-T pair.TCAddr` and `--as/--digests` matching the DPConfig).
//
// # InterTrack messages and framing
//
// Message, Encode and Decode cover ClientTraceRequest (the paper's Figure 5),
// ClientMessageIDReply and ClientTraceReply (AllResultExport with the AS list,
// or an ErrorCode) of InterTrackMessage.xsd. Messages travel back to back on a
// TCP stream, each an XML declaration plus `<InterTrackMessage type="…">` …
// `</InterTrackMessage>` with the root tags on lines of their own; Framer
// splits such a stream (PACKTER's TC frames by those tags too). Messages are
// limited to MaxMessageSize (64 KiB), 65 ASes and 16 packet dumps.
//
// # Decision point (DP)
//
// DP (NewDP/Serve, or RunDP) answers ClientTraceRequests — from our TC or
// PACKTER's packter_tc.pl, which sends many requests on one connection — by
// asking every agent's digest store at once (QueryTimeout) and walking the AS
// adjacency from the home AS outward through the ASes that saw the packet.
// Reply: the ASes on the walk, by depth: home `found`/Destination (Internal
// when it is the only one), transit ASes `found`/Transit, the farthest
// `found`/Source — or `reached` when that AS borders an AS without an agent, so
// the packet may have come from further out; or `found`/Transit, with no
// Source at all, when ASes with agents lie beyond it and none saw the packet
// (it passed through: its source address is likely spoofed). Nobody saw it:
// home alone, `notfound`/NotFound. An agent that did not answer:
// `error`/Unknown with an ErrorCode TB_WAIT_ITM_REPLY. Several sources: each
// gets degree 100/n.
//
// # Under hostile load
//
// The DP and the digest stores share one accept loop (ServerLimits,
// ServerStats). Each holds at most MaxConns connections (DP 1024, store 256):
// a new connection takes the place of the one idle longest, those that never
// sent a valid request first, so idle connections never lock out a real
// query. A new connection must send its first request within 10 s, a request
// once begun must arrive within 30 s (store: 10 s per line), and a connection
// idles at most 10 min (store: 60 s) between requests. Waiting for a request
// holds no read buffer. When accept fails (EMFILE: out of descriptors) the
// server closes its longest-idle connection, backs off (5 ms doubling to 1 s)
// and carries on. Warnings caused by peers are rate-limited.
//
// # Digest stores (agents)
//
// The agent (`packter agent … --as ASN --digests ADDR`) computes PACKTER's
// traceback MD5 of each packet and calls
//
//	s := intertrack.NewDigestStore(intertrack.DigestConfig{})   // defaults below
//	s.Insert(hash, captureTime)                                  // per packet; ~ns, lock-free
//	go intertrack.ServeDigests(ctx, ln, asn, s, log)             // ln: net.Listen("tcp", ADDR)
//
// A DigestStore is a ring of Windows Bloom filters, each covering Window of
// time and sized for Capacity packets at FPRate (m = -n ln p / ln²2 bits,
// k = m/n ln 2 hash functions, taken from the MD5 by double hashing), all
// within MaxBytes. Defaults: 1 min windows, 10 of them, 1,000,000 packets per
// window at 1 % false positives: 12 MB. When time enters a new window, the
// oldest filter is cleared and reused; packets older than the oldest window
// are counted (Stats().Late), not stored. Stats().WorstFPRate estimates the
// current false-positive rate from the fill.
//
// # Digest query protocol
//
// TCP, one request per line, one reply line each, ASCII, LF line ends (CR
// accepted), lines at most 128 bytes, many requests per connection, the
// connection closed after 60 s idle (10 s before its first query), at most
// 256 connections held (see "Under hostile load"):
//
//	QUERY <hash> [<from> <to>]   hash: 32 hex digits (PACKTER's traceback MD5);
//	                             from/to: Unix time in ms, 0 = open (default: all history)
//	  → SEEN <asn>               the store may hold it (false positives at the set rate)
//	  → UNSEEN <asn>             it certainly does not (within the windows still held)
//	  → ERROR <reason>           bad request
//	AS
//	  → AS <asn>
//
// Try it with `printf 'QUERY 0123456789abcdef0123456789abcdef\n' | nc HOST PORT`.
package intertrack
