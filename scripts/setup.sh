#!/usr/bin/env bash
# Installs the Debian packages Packter's build and tests need, only those missing,
# and says what it installs. Safe to run again: it does nothing when all are present.
#   scripts/setup.sh          build + demo needs (ALSA headers for audio output)
#   scripts/setup.sh test     also everything the test suite drives for real
set -euo pipefail

need=(pkg-config libasound2-dev)
# The visual board (Ebiten) links against X11 and OpenGL.
need+=(libx11-dev libxrandr-dev libxcursor-dev libxinerama-dev libxi-dev libgl1-mesa-dev libxxf86vm-dev)
if [ "${1:-}" = test ]; then
	need+=(tmux xvfb xauth espeak-ng sox tshark tcpdump tcpreplay softflowd pmacct iproute2 procps libxml2-utils xdotool)
fi
backports=()
if [ "${1:-}" = test ]; then
	backports+=(suricata)
fi

missing=()
for p in "${need[@]}" "${backports[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "setup: missing packages ${missing[*]}, and this is not a Debian-like system with apt-get: install them by hand." >&2
	exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	sudo=(sudo)
fi

echo "setup: installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Suricata 7 comes from bookworm-backports on Debian 12.
if [ ${#backports[@]} -gt 0 ] && grep -q 'VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null &&
	! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
	# Use the mirror this machine already uses for Debian itself.
	mirror=$(grep -rhoE '(https?|mirror\+[a-z]+)://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | head -n 1 | tr -d ' ')
	if [ -z "$mirror" ]; then
		echo "setup: cannot find this machine's Debian mirror to enable bookworm-backports for suricata" >&2
		exit 1
	fi
	echo "setup: enabling bookworm-backports for suricata" >&2
	echo "deb ${mirror%/} bookworm-backports main" | "${sudo[@]}" tee /etc/apt/sources.list.d/packter-backports.list >/dev/null
fi
log=$(mktemp -t packter-setup.XXXXXX)
trap 'rm -f "$log"' EXIT
apt() {
	if ! "${sudo[@]}" apt-get "$@" >>"$log" 2>&1; then
		tail -n 20 "$log" >&2
		echo "setup: apt-get $* failed" >&2
		exit 1
	fi
}
apt update -qq
plain=()
for p in "${missing[@]}"; do
	case " ${backports[*]} " in *" $p "*) ;; *) plain+=("$p") ;; esac
done
if [ ${#plain[@]} -gt 0 ]; then apt install -y -qq --no-install-recommends "${plain[@]}"; fi
for p in "${backports[@]}"; do
	case " ${missing[*]} " in
	*" $p "*)
		if grep -q 'VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null; then
			apt install -y -qq --no-install-recommends -t bookworm-backports "$p"
		else
			apt install -y -qq --no-install-recommends "$p"
		fi
		;;
	esac
done
echo "setup: done" >&2
