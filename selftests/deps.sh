#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh [GROUP...]: install the Debian packages nflb needs, if missing.
#
#   build   make gcc pkg-config libmnl-dev libxtables-dev linux-headers-amd64
#   vm      qemu-system-x86 busybox-static linux-image-amd64 kmod nftables
#   test    iproute2 socat ipvsadm iptables tcpdump ethtool python3 procps jq
#   static  sparse linux-source-6.1 (checkpatch.pl: see "deps.sh checkpatch")
#   dkms    dkms
#   bench   gnuplot-nox ipvsadm iproute2 ethtool python3 gcc (make bench only)
#
# No GROUP means all of them but bench.  Quiet when everything is present;
# otherwise one line per install, e.g.
#   deps: installing qemu-system-x86 busybox-static (needed by vm)
# and "apt-get update" first, only then.
#
# "deps.sh checkpatch" prints the path of checkpatch.pl, unpacking the
# kernel source tarball into a cache directory outside the tree if needed.
#
# The kernel image and headers must be the same version: Debian's
# linux-image-amd64 and linux-headers-amd64 metapackages can drift apart
# (one upgraded, the other not), so the vm and build groups also install
# whichever half is missing for every version that has the other.

set -u

cache_dir=${NFLB_CACHE:-/var/cache/nflb}
export DEBIAN_FRONTEND=noninteractive

declare -A group_packages=(
	[build]="make gcc pkg-config libmnl-dev libxtables-dev linux-headers-amd64"
	[vm]="qemu-system-x86 busybox-static linux-image-amd64 kmod nftables"
	[test]="iproute2 socat ipvsadm iptables tcpdump ethtool python3 procps jq"
	[static]="sparse linux-source-6.1"
	[dkms]="dkms"
	[bench]="gnuplot-nox ipvsadm iproute2 ethtool python3 gcc"
)
all_groups="build vm test static dkms"

msg() { echo "deps: $*" >&2; }

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

updated=0
# install GROUP PACKAGE...: install the ones that are missing, in one go.
install() {
	local group=$1 pkg missing=()
	shift
	for pkg in "$@"; do
		installed "$pkg" || missing+=("$pkg")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	if [ "$(id -u)" != 0 ]; then
		msg "missing ${missing[*]} (needed by $group); run as root to install"
		return 1
	fi
	msg "installing ${missing[*]} (needed by $group)"
	if [ "$updated" = 0 ]; then
		apt-get update -qq >/dev/null || { msg "apt-get update failed"; return 1; }
		updated=1
	fi
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ msg "apt-get install ${missing[*]} failed"; return 1; }
}

# Kernel versions (like 6.1.0-56-amd64) that have an image, and that have
# headers, according to dpkg.
image_versions() {
	dpkg-query -W -f='${db:Status-Status} ${Package}\n' 'linux-image-[0-9]*' 2>/dev/null |
		awk '$1 == "installed" && $2 ~ /^linux-image-[0-9]+\.[0-9]+/ { sub(/^linux-image-/, "", $2); sub(/-unsigned$/, "", $2); print $2 }'
}
header_versions() {
	dpkg-query -W -f='${db:Status-Status} ${Package}\n' 'linux-headers-[0-9]*' 2>/dev/null |
		awk '$1 == "installed" && $2 ~ /^linux-headers-[0-9]+\.[0-9]+/ && $2 !~ /-common$/ { sub(/^linux-headers-/, "", $2); print $2 }'
}

# The module is built against headers and tested on an image: for each
# version that has only one of the two, install the other.
match_kernel_versions() {
	local v need=()
	for v in $(header_versions); do
		image_versions | grep -qx "$v" || need+=("linux-image-$v")
	done
	for v in $(image_versions); do
		# Only amd64 images; a cloud or rt flavour needs its own headers.
		header_versions | grep -qx "$v" || need+=("linux-headers-$v")
	done
	[ ${#need[@]} -eq 0 ] || install "matching kernel image and headers" "${need[@]}"
}

# Print the path of checkpatch.pl from linux-source-6.1, unpacking the
# tarball once into the cache (the package ships only the tarball).
checkpatch_path() {
	local tarball dir
	for dir in /usr/src/linux-source-6.1 "$cache_dir"/linux-source-6.1; do
		if [ -x "$dir/scripts/checkpatch.pl" ]; then
			echo "$dir/scripts/checkpatch.pl"
			return 0
		fi
	done
	tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1)
	[ -n "$tarball" ] || { msg "no /usr/src/linux-source-6.1.tar.*"; return 1; }
	mkdir -p "$cache_dir" || return 1
	msg "unpacking $tarball scripts into $cache_dir"
	# checkpatch needs only scripts/ (and its spelling/const_structs data).
	tar -C "$cache_dir" -xf "$tarball" linux-source-6.1/scripts \
		linux-source-6.1/MAINTAINERS 2>/dev/null ||
		tar -C "$cache_dir" -xf "$tarball" linux-source-6.1/scripts || return 1
	echo "$cache_dir/linux-source-6.1/scripts/checkpatch.pl"
}

status=0
[ $# -gt 0 ] || set -- $all_groups
for group in "$@"; do
	case $group in
	checkpatch)
		install static ${group_packages[static]} || status=1
		checkpatch_path || status=1
		continue ;;
	build|vm|test|static|dkms|bench) ;;
	*) msg "unknown group '$group' (groups: $all_groups bench checkpatch)"; exit 2 ;;
	esac
	# shellcheck disable=SC2086 # word splitting of the package list is intended
	install "$group" ${group_packages[$group]} || status=1
	case $group in
	build|vm) match_kernel_versions || status=1 ;;
	esac
done
exit $status
