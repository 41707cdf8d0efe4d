#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms.conf's POST_INSTALL and POST_REMOVE: the iptables plugin of the LBMSS
# target (libxt_LBMSS.so) and its man page, installed where `make
# install-tools` puts them.  The plugin does not depend on the kernel, so:
#   install  builds it in a temporary directory (the source tree is left as it
#            is) and installs it.  Without the libxtables headers it says so
#            in one line and succeeds: the module is installed all the same.
#   remove   removes both, unless DKMS still has nflb installed for another
#            kernel (a kernel-* link left in DKMS_MODULE_DIR).
#
# Usage: dkms-hook.sh install|remove [DKMS_MODULE_DIR]
#   DKMS runs it with DKMS_MODULE_DIR = $dkms_tree/nflb; by hand, leave it out.
# Environment: DESTDIR (a root to install into), XTLIBDIR (default:
# pkg-config --variable=xtlibdir xtables), MANDIR (default
# /usr/local/share/man, as make install-tools), PKG_CONFIG.

action=${1:-}
moddir=${2:-}
src=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
pkgconfig=${PKG_CONFIG:-pkg-config}
mandir=${MANDIR:-/usr/local/share/man}
so=libxt_LBMSS.so
man=man8/iptables-LBMSS.8
tmp=
trap 'rm -rf "$tmp"' EXIT

install_plugin() {
	local version xtlibdir out

	xtlibdir=${XTLIBDIR:-$($pkgconfig --variable=xtlibdir xtables 2>/dev/null)}
	if ! $pkgconfig --exists xtables 2>/dev/null || [ -z "$xtlibdir" ]; then
		echo "nflb: iptables plugin $so skipped: no libxtables headers (apt-get install libxtables-dev pkg-config, then run $0 install)" >&2
		return 0
	fi
	version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$src/dkms.conf")
	tmp=$(mktemp -d) || return 1
	# The same layout as the source tree: the Makefile includes ../../include.
	mkdir "$tmp/tools" && cp -R "$src/include" "$tmp/" &&
		cp -R "$src/tools/iptables" "$tmp/tools/" || return 1
	# Not the make of whoever ran dkms (make dkms-install), nor the kernel's
	# compiler that DKMS exports for the module's build.
	unset MAKEFLAGS MFLAGS MAKELEVEL CC
	# The copy may hold a stale build of the tree it came from.
	if out=$(make -C "$tmp/tools/iptables" clean 2>&1 &&
		 make -C "$tmp/tools/iptables" install DESTDIR="${DESTDIR:-}" \
			XTLIBDIR="$xtlibdir" MANDIR="$mandir" \
			${version:+VERSION="$version"} 2>&1); then
		echo "nflb: installed ${DESTDIR:-}$xtlibdir/$so and ${DESTDIR:-}$mandir/$man"
	else
		printf '%s\n' "$out" >&2
		echo "nflb: iptables plugin $so not installed: its build failed" >&2
		return 1
	fi
}

remove_plugin() {
	local xtlibdir others lib l f removed=

	# Keep the plugin while nflb.ko is installed for some kernel: DKMS
	# removes this kernel's link before it runs POST_REMOVE.
	if [ -n "$moddir" ]; then
		others=
		for l in "$moddir"/kernel-*; do
			[ -L "$l" ] && others="$others ${l##*/kernel-}"
		done
		if [ -n "$others" ]; then
			echo "nflb: $so kept: DKMS still has nflb installed for$others"
			return 0
		fi
	fi
	# Where install put it; if libxtables-dev has gone since, next to
	# libxtables itself (where its xtlibdir is).
	xtlibdir=${XTLIBDIR:-$($pkgconfig --variable=xtlibdir xtables 2>/dev/null)}
	if [ -z "$xtlibdir" ]; then
		lib=$(ldconfig -p 2>/dev/null | sed -n 's|.* => \(.*/libxtables\.so\..*\)|\1|p' | head -n 1)
		[ -z "$lib" ] || xtlibdir=$(dirname "$(readlink -f "$lib")")/xtables
	fi
	for f in ${xtlibdir:+"${DESTDIR:-}$xtlibdir/$so"} "${DESTDIR:-}$mandir/$man"; do
		if [ -e "$f" ]; then
			rm -f "$f" || return 1
			removed="$removed $f"
		fi
	done
	[ -z "$removed" ] || echo "nflb: removed$removed"
}

case $action in
install) install_plugin ;;
remove) remove_plugin ;;
*)
	echo "usage: $0 install|remove [DKMS_MODULE_DIR]" >&2
	exit 2
	;;
esac
