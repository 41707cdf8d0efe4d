#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks on the kernel sources, as KTAP:
#   checkpatch  scripts/checkpatch.pl --strict from Debian's linux-source
#   sparse      the module built with C=2 (every file checked)
#   dkms        dkms add + build into a private tree (nothing system-wide)
#   install     make install into a DESTDIR: module, module index, lbctl, man page
# Usage: selftests/static-checks.sh [checkpatch|sparse|dkms|install]... (default: all)
set -u
cd "$(dirname "$0")/.." || exit 1
source selftests/lib.sh

KVER=${KVER:-$(ls -d /lib/modules/*/build 2>/dev/null | sed 's|/lib/modules/||;s|/build||' | sort -V | tail -n 1)}
KDIR=${KDIR:-/lib/modules/$KVER/build}
CACHE=${NFLB_CACHE:-/var/cache/nflb}

# Debian ships the kernel tree as a tarball; unpack scripts/ once, outside
# the repo, keyed by the package version.
checkpatch_path() {
	local tar ver dir
	for dir in /usr/src/linux-source-6.1; do
		[ -x "$dir/scripts/checkpatch.pl" ] && { echo "$dir/scripts/checkpatch.pl"; return; }
	done
	tar=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
	[ -n "$tar" ] || return 1
	ver=$(basename "$tar" .tar.xz)
	dir=$CACHE/$ver
	if [ ! -x "$dir/scripts/checkpatch.pl" ]; then
		mkdir -p "$CACHE" &&
		tar -C "$CACHE" -xf "$tar" "$ver/scripts" "$ver/Documentation/dev-tools" || return 1
	fi
	echo "$dir/scripts/checkpatch.pl"
}

test_checkpatch() {
	local cp out
	cp=$(checkpatch_path) || { echo "# checkpatch.pl not found"; return 1; }
	# compat.h is the one place allowed to compare kernel versions.
	out=$(perl "$cp" --strict --no-tree --terse --show-types -f \
		$(ls kmod/*.c kmod/*.h kunit/*.c include/uapi/linux/*.h \
		   include/uapi/linux/netfilter/*.h 2>/dev/null | grep -v compat.h) 2>&1;
	      perl "$cp" --strict --no-tree --terse --show-types \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f kmod/compat.h 2>&1)
	if grep -Eq '(ERROR|WARNING|CHECK):' <<<"$out"; then
		grep -E '(ERROR|WARNING|CHECK):' <<<"$out" | sed 's/^/# /'
		return 1
	fi
}

test_sparse() {
	local out
	# Rebuild every object so sparse sees each file.
	out=$(make -s -C "$KDIR" M="$PWD" C=2 CHECK="sparse -Wbitwise -Wno-decl" modules 2>&1)
	if [ $? -ne 0 ] || grep -E "^$PWD/[^:]+:[0-9]+:[0-9]+: (warning|error)" <<<"$out" | grep -q .; then
		echo "$out" | sed 's/^/# /'
		return 1
	fi
}

test_dkms() {
	local tree src ver
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
	tree=$(mktemp -d)
	src=$(mktemp -d)
	defer rm -rf "$tree" "$src"
	mkdir -p "$src/nflb-$ver"
	# What a release tarball would hold: the tree without build products.
	git ls-files -z --cached --others --exclude-standard 2>/dev/null |
		xargs -0 cp --parents -t "$src/nflb-$ver" 2>/dev/null ||
		cp -r Kbuild Makefile dkms.conf kmod include "$src/nflb-$ver/"
	dkms --dkmstree "$tree" --sourcetree "$src" add -m nflb -v "$ver"
	dkms --dkmstree "$tree" --sourcetree "$src" build -m nflb -v "$ver" -k "$KVER" ||
		{ cat "$tree/nflb/$ver/build/make.log"; return 1; }
	modinfo "$tree/nflb/$ver/$KVER/x86_64/module/nflb.ko"* | grep -q "^version: *$ver"
}

test_install() {
	local d
	d=$(mktemp -d)
	defer rm -rf "$d"
	make -s install DESTDIR="$d" KVER="$KVER" >/dev/null 2>&1
	test -f "$d/lib/modules/$KVER/extra/nflb.ko"
	grep -q '^extra/nflb.ko:' "$d/lib/modules/$KVER/modules.dep"
	test -x "$d/usr/local/sbin/lbctl"
	"$d/usr/local/sbin/lbctl" -V | grep -q 0.1.0
	test -f "$d/usr/local/share/man/man8/lbctl.8"
	# The LBMSS plugin, where iptables looks for it, and its man page.
	test -f "$d$(pkg-config --variable=xtlibdir xtables)/libxt_LBMSS.so"
	test -f "$d/usr/local/share/man/man8/iptables-LBMSS.8"
}

checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=(checkpatch sparse dkms install)
ktap_header ${#checks[@]}
for c in "${checks[@]}"; do
	run_test "$c" "test_$c"
done
ktap_finish
