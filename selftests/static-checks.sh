#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks on the kernel sources, as KTAP:
#   checkpatch  scripts/checkpatch.pl --strict from Debian's linux-source
#   sparse      the module built with C=2 (every file checked)
#   dkms        dkms add + build + install + remove into private trees (nothing
#               system-wide), with the iptables plugin's POST_INSTALL/POST_REMOVE
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

# dkms_hook VAR TREE VER: run dkms.conf's VAR (POST_INSTALL, POST_REMOVE) as
# DKMS 3.0 does (run_build_script): the conf sourced with DKMS's variables
# set, the command taken relative to the source, run from there if it is
# executable.  Its status is DKMS's to ignore, ours to check.
dkms_hook() {
	local var=$1 tree=$2 ver=$3 cmd run
	# shellcheck disable=SC2034,SC1090 # variables for the conf, which shellcheck cannot follow
	cmd=$(dkms_tree=$tree kernel_source_dir=$KDIR kernelver=$KVER arch=$(uname -m)
	      . "$tree/nflb/$ver/source/dkms.conf" && echo "${!var}")
	test -n "$cmd"
	run="$tree/nflb/$ver/source/$cmd"
	test -x "${run%% *}"
	# shellcheck disable=SC2086 # DKMS splits the command into words
	(cd "$tree/nflb/$ver/source/" && exec $run)
}

# plugin_loads DIR: iptables loads libxt_LBMSS.so from DIR alone.  A help
# request only asks the kernel for the target's revision (a warning here).
plugin_loads() {
	XTABLES_LIBDIR=$1 iptables --modprobe=/bin/false -j LBMSS --help 2>&1 |
		grep -q -- '--set-mss VALUE'
}

test_dkms() {
	local tree src inst root ver xtlibdir so man out
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
	tree=$(mktemp -d)
	src=$(mktemp -d)
	inst=$(mktemp -d)
	root=$(mktemp -d)
	defer rm -rf "$tree" "$src" "$inst" "$root"
	mkdir -p "$src/nflb-$ver" "$inst/$KVER"
	# What a release tarball would hold: the tree without build products.
	git ls-files -z --cached --others --exclude-standard 2>/dev/null |
		xargs -0 cp --parents -t "$src/nflb-$ver" 2>/dev/null ||
		cp -r --parents Kbuild Makefile dkms.conf kmod include tools/iptables "$src/nflb-$ver/"
	# Everything private: DKMS's trees, no depmod of the system's
	# modules, and a signing key of its own (not /var/lib/dkms/mok.key).
	export mok_signing_key=$tree/mok.key mok_certificate=$tree/mok.pub
	local dkms=(dkms --dkmstree "$tree" --sourcetree "$src" --installtree "$inst" --no-depmod)
	"${dkms[@]}" add -m nflb -v "$ver"
	"${dkms[@]}" build -m nflb -v "$ver" -k "$KVER" ||
		{ cat "$tree/nflb/$ver/build/make.log"; return 1; }
	modinfo "$tree/nflb/$ver/$KVER/$(uname -m)/module/nflb.ko"* | grep -q "^version: *$ver"

	# The iptables plugin, by dkms.conf's hooks, into a private root.
	xtlibdir=$(pkg-config --variable=xtlibdir xtables)
	so=$root$xtlibdir/libxt_LBMSS.so
	man=$root/usr/local/share/man/man8/iptables-LBMSS.8
	# Without the libxtables headers: one line, success, nothing installed.
	out=$({ set +x; } 2>/dev/null
	      DESTDIR=$root PKG_CONFIG_LIBDIR=/nonexistent dkms_hook POST_INSTALL "$tree" "$ver" 2>&1)
	echo "$out"
	assert_eq 1 "$(wc -l <<<"$out")" "lines printed"
	assert_match 'skipped.*apt-get install libxtables-dev' "$out"
	assert_eq "" "$(find "$root" -type f)" "files installed"
	! plugin_loads "$root$xtlibdir" || false
	# With them: where iptables and man look, and iptables loads it.
	DESTDIR=$root dkms_hook POST_INSTALL "$tree" "$ver"
	test -f "$so"
	grep -q '^\.TH IPTABLES-LBMSS 8 .*nflb '"$ver" "$man"
	plugin_loads "$root$xtlibdir"
	# Kept while another kernel has the module, removed with the last.
	ln -s "$ver/other/x86_64" "$tree/nflb/kernel-other-x86_64"
	DESTDIR=$root dkms_hook POST_REMOVE "$tree" "$ver"
	test -f "$so"
	test -f "$man"
	rm "$tree/nflb/kernel-other-x86_64"
	DESTDIR=$root dkms_hook POST_REMOVE "$tree" "$ver"
	test ! -e "$so"
	test ! -e "$man"

	# And DKMS itself fires them: install and remove into the private trees.
	DESTDIR=$root "${dkms[@]}" install -m nflb -v "$ver" -k "$KVER"
	assert_match "^$inst/$KVER/updates/dkms/nflb.ko" "$(find "$inst" -name 'nflb.ko*')"
	plugin_loads "$root$xtlibdir"
	test -f "$man"
	DESTDIR=$root "${dkms[@]}" remove -m nflb -v "$ver" --all
	assert_eq "" "$(find "$inst" -name 'nflb.ko*')" "module left installed"
	test ! -e "$so"
	test ! -e "$man"
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
