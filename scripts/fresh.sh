#!/usr/bin/env bash
# Tries the README's two commands as a new user would: on a fresh Debian 12
# root (debootstrap, minbase, with Go from this machine and nothing else),
# `bash scripts/demo.sh --wav d.wav` must exit 0 with the demo's spoken
# introduction in d.wav, and `bash scripts/test.sh` must pass.
#
#   bash scripts/fresh.sh            demo and the whole test suite (make fresh)
#   bash scripts/fresh.sh demo       the demo only
#   bash scripts/fresh.sh --if-changed
#                                    skip when scripts/ is as it was at the last
#                                    fresh run that passed on this machine
#
# Needs root (chroot, mounts). The pristine root is cached in $PACKTER_FRESH_CACHE
# (default /var/cache/packter-fresh) and unpacked anew for every run.
set -euo pipefail
say() { echo "fresh: $*" >&2; }
trap 'rc=$?; say "failed (exit $rc) at line $LINENO: $BASH_COMMAND"' ERR
cd "$(dirname "$0")/.."
repo=$PWD

mode=all
if_changed=false
for a in "$@"; do
	case "$a" in
	demo | all) mode=$a ;;
	--if-changed) if_changed=true ;;
	*)
		say "unknown argument $a (want demo, all or --if-changed)"
		exit 2
		;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	say "needs root (debootstrap, chroot and mounts); run it as root or skip it"
	exit 1
fi
cache=${PACKTER_FRESH_CACHE:-/var/cache/packter-fresh}
mkdir -p "$cache"
# What the set-up depends on: the scripts and the module's requirements.
stamp=$(cat scripts/*.sh go.mod go.sum | sha256sum | cut -c1-16)-$mode
if $if_changed && [ -f "$cache/passed-$stamp" ]; then
	say "scripts/ unchanged since the last fresh run that passed here; skipped (make fresh runs it)"
	exit 0
fi

goroot=$(go env GOROOT)
if ! command -v debootstrap >/dev/null 2>&1; then
	say "installing debootstrap"
	if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; } >/dev/null 2>&1; then
		say "could not install debootstrap with apt-get"
		exit 1
	fi
fi

suite=bookworm
tarball=$cache/$suite-minbase.tar
if [ ! -s "$tarball" ]; then
	say "making a fresh $suite root with debootstrap (cached in $tarball)"
	tmp=$(mktemp -d "$cache/bootstrap.XXXXXX")
	if ! debootstrap --variant=minbase "$suite" "$tmp/root" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1; then
		tail -n 20 "$cache/debootstrap.log" >&2
		say "debootstrap of $suite failed (log: $cache/debootstrap.log)"
		rm -rf "$tmp"
		exit 1
	fi
	tar -C "$tmp/root" -cf "$tarball.part" .
	mv "$tarball.part" "$tarball"
	rm -rf "$tmp"
fi

root=$(mktemp -d /tmp/packter-fresh.XXXXXX)
mounted=()
cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[i]}" 2>/dev/null || true
	done
	rm -rf --one-file-system "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$tarball"
# The root must be a mount point of its own: `ip netns exec` (the namespace
# labs in the tests) remounts / as a slave, which fails on a plain directory.
mount --bind "$root" "$root"
mounted+=("$root")

# Apt sources as on this project's machines: deb822 only, no sources.list
# (the layout an earlier setup.sh failed on).
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
# This machine's apt settings for reaching the archive (proxies, validity),
# which a new machine of the same kind has too.
for f in /etc/apt/apt.conf.d/*; do
	[ -f "$f" ] && grep -q 'Acquire::' "$f" && cp "$f" "$root/etc/apt/apt.conf.d/"
done
cp /etc/resolv.conf "$root/etc/resolv.conf"
# debootstrap writes no /etc/hosts; an installed machine has one, naming
# localhost and itself (servers in the tests resolve both).
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$(hostname)" >"$root/etc/hosts"
# Certificate authorities this machine adds to Debian's (a TLS-inspecting
# egress, say): setup.sh's ca-certificates picks them up as on a new machine.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
	mkdir -p "$root/usr/local/share/ca-certificates"
	cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi

bind() { # bind SRC DST [ro]
	mkdir -p "$root$2"
	mount --bind "$1" "$root$2"
	mounted+=("$root$2")
	if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$root$2"; fi
}
mkdir -p "$root/proc" "$root/sys"
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
bind /sys /sys
bind /dev /dev
bind /dev/pts /dev/pts
mount -t tmpfs tmpfs "$root/run" && mounted+=("$root/run")
bind "$goroot" /usr/local/go ro

# The checkout as it is (tracked and new files, no build output).
mkdir -p "$root/src/packter"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -C "$root/src/packter" -xf -
else
	tar --exclude=./bin -cf - . | tar -C "$root/src/packter" -xf -
fi

# A wrapper for espeak-ng first on PATH logs every utterance, so the test reads
# the words the demo said, not only that it said something.
mkdir -p "$root/opt/spoken"
cat >"$root/opt/spoken/espeak-ng" <<'EOF'
#!/bin/sh
# Logs what is said (text comes on stdin), then lets the real espeak-ng say it.
text=$(cat)
printf '%s\n' "$text" >>/tmp/spoken.log
printf '%s' "$text" | exec /usr/bin/espeak-ng "$@"
EOF
chmod +x "$root/opt/spoken/espeak-ng"

in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/opt/spoken:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		GOPROXY="$(go env GOPROXY)" GOSUMDB="$(go env GOSUMDB)" GOTOOLCHAIN=local \
		/bin/bash -c "$1"
}

intro="Packter demo. Playing three minutes of a small office network. Select a packet and press T to trace it."
say "running the README's demo command in the fresh root"
start=$(date +%s)
if ! in_root 'cd /src/packter && bash scripts/demo.sh --wav /tmp/d.wav --duration 20s </dev/null >/tmp/demo.out 2>/tmp/demo.err'; then
	tail -n 20 "$root/tmp/demo.err" >&2 || true
	say "the demo failed on a fresh root"
	exit 1
fi
say "demo ran in $(($(date +%s) - start)) s; its first lines:"
head -n 3 "$root/tmp/demo.err" >&2
grep -q '^packter demo: voice espeak-ng' "$root/tmp/demo.err" || {
	say "the demo's first lines do not name espeak-ng as its voice"
	exit 1
}
grep -qF "Packter demo." "$root/tmp/spoken.log" || {
	say "espeak-ng was never asked to say the demo's introduction (spoken: $(head -c 200 "$root/tmp/spoken.log" 2>/dev/null))"
	exit 1
}
if ! in_root "cd /src/packter && go run ./internal/tools/hasspeech /tmp/d.wav '$intro'" >&2; then
	say "the demo's recording does not contain its spoken introduction"
	exit 1
fi

if [ "$mode" = all ]; then
	say "running the README's test command in the fresh root"
	start=$(date +%s)
	if ! in_root 'cd /src/packter && bash scripts/test.sh' >"$cache/fresh-test.log" 2>&1; then
		tail -n 40 "$cache/fresh-test.log" >&2
		say "the test suite failed on a fresh root (log: $cache/fresh-test.log)"
		exit 1
	fi
	say "test suite passed in $(($(date +%s) - start)) s"
fi
touch "$cache/passed-$stamp"
say "passed"
