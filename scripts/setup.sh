#!/usr/bin/env bash
# Installs the Debian packages Packter needs, only those missing, and says what
# it installs. Safe to run again: it does nothing when all are present.
#   scripts/setup.sh          what the build and the demo need (ALSA headers for
#                             the sound card, X11 for the board, espeak-ng for
#                             the voice)
#   scripts/setup.sh test     also everything the test suite drives for real
#
# Works on Debian 12/13 and Ubuntu 24.04 whatever the apt sources look like
# (one-line sources.list, deb822 .sources, both or neither). Every way it can
# fail prints one sentence saying what failed.
set -euo pipefail

say() { echo "setup: $*" >&2; }
# Nothing may end this script without a word: a failing command that no branch
# below handles is named here.
trap 'rc=$?; say "failed (exit $rc) at line $LINENO: $BASH_COMMAND"' ERR

# Where apt keeps its configuration; tests point it at a fixture.
APT_ETC=${PACKTER_APT_ETC:-/etc/apt}

need=(pkg-config gcc libc6-dev git ca-certificates libasound2-dev)
# The visual board (Ebiten) links against X11 and OpenGL.
need+=(libx11-dev libxrandr-dev libxcursor-dev libxinerama-dev libxi-dev libgl1-mesa-dev libxxf86vm-dev)
# The demo speaks: without a voice an audio-first monitor is half mute.
need+=(espeak-ng)
backports=()
if [ "${1:-}" = test ]; then
	need+=(tmux xvfb xauth sox tshark tcpdump tcpreplay softflowd pmacct iproute2 procps libxml2-utils xdotool openssl python3 tor-geoipdb)
	need+=(speech-dispatcher speech-dispatcher-espeak-ng)
	backports+=(suricata)
fi

# codename prints this system's release codename (bookworm, trixie, noble, …).
codename() {
	local c=""
	if [ -r /etc/os-release ]; then
		c=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	fi
	echo "$c"
}

# debian_mirror prints the Debian archive this machine already uses, from
# one-line lists ("deb URL suite …") and deb822 files ("URIs: URL"), or nothing.
debian_mirror() {
	local files=() f
	[ -f "$APT_ETC/sources.list" ] && files+=("$APT_ETC/sources.list")
	for f in "$APT_ETC"/sources.list.d/*.list "$APT_ETC"/sources.list.d/*.sources; do
		[ -f "$f" ] && files+=("$f")
	done
	[ ${#files[@]} -eq 0 ] && return 0
	# Archive roots end in /debian; debian-security and debian-ports do not count.
	awk '
		/^[[:space:]]*#/ { next }
		/^[[:space:]]*deb[[:space:]]/ {
			for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; break }
			next
		}
		/^[[:space:]]*URIs:/ { for (i = 2; i <= NF; i++) print $i }
	' "${files[@]}" | grep -E '^(https?|mirror\+[a-z]+)://.*/debian/?$' | head -n 1 || true
}

# has_suite reports whether any apt source already names the suite.
has_suite() {
	local suite=$1
	grep -rqsE "(^|[[:space:]])$suite([[:space:]]|$)" "$APT_ETC/sources.list" "$APT_ETC/sources.list.d/" 2>/dev/null
}

if [ "${1:-}" = --print-mirror ]; then # for the set-up's own tests
	debian_mirror
	exit 0
fi

missing=()
for p in "${need[@]}" "${backports[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	say "missing packages ${missing[*]}, and this is not a Debian-like system with apt-get: install them by hand."
	exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		say "need root or sudo to install: ${missing[*]}"
		exit 1
	fi
	sudo=(sudo)
fi

say "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
release=$(codename)
# Suricata 7 comes from bookworm-backports on Debian 12; later releases carry it.
use_backports=false
if [ ${#backports[@]} -gt 0 ] && [ "$release" = bookworm ]; then
	use_backports=true
	if ! has_suite bookworm-backports; then
		mirror=$(debian_mirror)
		if [ -z "$mirror" ]; then
			mirror=http://deb.debian.org/debian
			say "no Debian archive named in $APT_ETC; using $mirror for bookworm-backports"
		fi
		say "enabling bookworm-backports (from $mirror) for suricata"
		if ! echo "deb ${mirror%/} bookworm-backports main" | "${sudo[@]}" tee "$APT_ETC/sources.list.d/packter-backports.list" >/dev/null; then
			say "could not write $APT_ETC/sources.list.d/packter-backports.list"
			exit 1
		fi
	fi
fi

log=$(mktemp -t packter-setup.XXXXXX)
trap 'rm -f "$log"' EXIT
apt() {
	if ! "${sudo[@]}" apt-get "$@" >>"$log" 2>&1; then
		tail -n 20 "$log" >&2
		say "apt-get $* failed (its last lines are above)"
		exit 1
	fi
}
apt update -qq
plain=()
for p in "${missing[@]}"; do
	case " ${backports[*]} " in *" $p "*) ;; *) plain+=("$p") ;; esac
done
if [ ${#plain[@]} -gt 0 ]; then
	apt install -y -qq --no-install-recommends "${plain[@]}"
fi
for p in "${backports[@]}"; do
	case " ${missing[*]} " in
	*" $p "*)
		if $use_backports; then
			apt install -y -qq --no-install-recommends -t bookworm-backports "$p"
		else
			apt install -y -qq --no-install-recommends "$p"
		fi
		;;
	esac
done
say "done"
