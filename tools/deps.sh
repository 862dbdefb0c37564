#!/bin/sh
# Checks the Debian packages that building and testing Moat need, and installs
# the missing ones with apt-get (as root). Prints what it does.
set -e
PKGS="build-essential pkg-config clang libclang-rt-14-dev libpcap-dev libseccomp-dev \
libjansson-dev check iproute2 iputils-ping socat tcpdump tshark ethtool python3 \
iperf3 sockperf procps busybox-static bsdutils runsc nginx wrk apache2-utils curl wget iptables \
jq docker.io containerd runc podman bubblewrap"
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "moat: installing missing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "moat: need root to install packages; run: sudo apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no, quietly.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -qq >/dev/null 2>&1 || apt-get update
apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || \
	apt-get install -y --no-install-recommends $missing
echo "moat: packages installed"
