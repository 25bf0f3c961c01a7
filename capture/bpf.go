package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/bpf"
)

// ErrNoCompiler means a filter was given but tcpdump, which compiles it, is
// not installed.
var ErrNoCompiler = errors.New("BPF filters need tcpdump installed (it compiles them)")

// linkNames are the DLT names tcpdump's -y accepts for the link types we decode.
var linkNames = map[uint32]string{
	LinkNull: "NULL", LinkEthernet: "EN10MB", LinkRaw: "RAW", linkRawAlt: "RAW", linkRawAlt2: "RAW",
	LinkLoop: "LOOP", LinkSLL: "LINUX_SLL", LinkIPv4: "IPV4", LinkIPv6: "IPV6", LinkSLL2: "LINUX_SLL2",
	// The rarer link types; libpcap compiles filters for most of them. A
	// filter sees the frame as captured: addresses of a tunnel's outer header.
	LinkPPP: "PPP", LinkPPPHDLC: "PPP_SERIAL", LinkPPPoE: "PPP_ETHER", LinkCHDLC: "C_HDLC",
	LinkIEEE80211: "IEEE802_11", LinkPrism: "PRISM_HEADER", LinkRadiotap: "IEEE802_11_RADIO",
	LinkAVS: "IEEE802_11_RADIO_AVS", LinkPPI: "PPI", LinkARCNETBSD: "ARCNET", LinkARCNETLinux: "ARCNET_LINUX",
	LinkPPPPPPD: "PPP_PPPD", LinkMPLS: "MPLS", LinkIPNet: "IPNET", LinkNFLOG: "NFLOG", LinkIPoIB: "IPOIB",
	LinkPKTAP:        "PKTAP",
	LinkJuniperEther: "JUNIPER_ETHER", LinkJuniperPPP: "JUNIPER_PPP", LinkJuniperCHDLC: "JUNIPER_CHDLC",
	LinkJuniperPPPoE: "JUNIPER_PPPOE",
}

// CompileFilter compiles a pcap filter expression (the agent's trailing words)
// for a link type into classic BPF, with snapLen as the accept length.
//
// Compiling pcap's filter language needs libpcap; to stay free of cgo we run
// `tcpdump -dd` (argument list, no shell) and read its output. An empty
// expression accepts everything.
func CompileFilter(ctx context.Context, link uint32, snapLen int, expr string) ([]bpf.RawInstruction, error) {
	if strings.TrimSpace(expr) == "" {
		return []bpf.RawInstruction{{Op: 0x06 /* BPF_RET|BPF_K */, K: uint32(snapLen)}}, nil
	}
	name, ok := linkNames[link]
	if !ok {
		return nil, fmt.Errorf("filter for link type %d: %w", link, ErrUnknownLink)
	}
	path, err := exec.LookPath("tcpdump")
	if err != nil {
		return nil, ErrNoCompiler
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "-dd", "-s", strconv.Itoa(snapLen), "-y", name, "--", expr)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		msg = strings.TrimPrefix(msg, "tcpdump: ")
		return nil, fmt.Errorf("bad filter %q: %s", expr, msg)
	}
	return parseDD(out.Bytes())
}

// parseDD reads tcpdump -dd output: lines `{ 0x28, 0, 0, 0x0000000c },`.
func parseDD(b []byte) ([]bpf.RawInstruction, error) {
	var prog []bpf.RawInstruction
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, ","), "}")
		line = strings.TrimPrefix(line, "{")
		f := strings.Split(line, ",")
		if len(f) != 4 {
			return nil, fmt.Errorf("unexpected tcpdump -dd line %q", line)
		}
		var v [4]uint64
		for i := range f {
			n, err := strconv.ParseUint(strings.TrimSpace(f[i]), 0, 32)
			if err != nil {
				return nil, fmt.Errorf("unexpected tcpdump -dd line %q", line)
			}
			v[i] = n
		}
		prog = append(prog, bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])})
	}
	if len(prog) == 0 || len(prog) > 4096 /* BPF_MAXINSNS */ {
		return nil, fmt.Errorf("tcpdump produced a program of %d instructions", len(prog))
	}
	return prog, nil
}

// Filter runs a compiled program over frames in user space (for capture files).
type Filter struct {
	vm *bpf.VM
}

// NewFilter prepares a program for Match.
func NewFilter(prog []bpf.RawInstruction) (*Filter, error) {
	ins, ok := bpf.Disassemble(prog)
	if !ok {
		// Disassemble keeps raw instructions it cannot name; the VM rejects those.
		_ = ins
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		return nil, fmt.Errorf("BPF program: %w", err)
	}
	return &Filter{vm: vm}, nil
}

// Match reports whether the program accepts the frame.
func (f *Filter) Match(frame []byte) bool {
	n, err := f.vm.Run(frame)
	return err == nil && n > 0
}
