#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh: build (or reuse) the nflb debug kernel and build nflb.ko
# and nflb_test.ko against it.  Prints the kernel image's path on stdout;
# everything else goes to stderr.
#
#   /usr/src/linux-source-6.1.tar.xz (Debian's linux-source-6.1)
#     -> $NFLB_CACHE/kernel/src-VERSION/          unpacked once, read-only
#   kunit/debug.config merged over allnoconfig
#     -> $NFLB_CACHE/kernel/KEY/build/            O= build directory
#        $NFLB_CACHE/kernel/KEY/vmlinuz-KVER      the image vm-run boots
#        $NFLB_CACHE/kernel/KEY/modroot/lib/modules/KVER/
#                                                 its module tree, where
#                                                 extra/nflb.ko and
#                                                 extra/nflb_test.ko land
#        $NFLB_CACHE/kernel/KEY/nflb/             copy of the module sources
#
# KEY hashes what decides the kernel: the config fragment, the source
# package's version, the compiler, and build_version below.  A finished
# kernel is never rebuilt; the modules are rebuilt on every run (make is
# incremental, a few seconds when nothing changed), from a copy of the tree
# so that the stock build's objects in the repository are left alone.

set -eu
set -o pipefail

# Bump when a change to this script changes the kernel it produces.
build_version=1

kunit_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$kunit_dir")
prog=build-kernel.sh
tarball=/usr/src/linux-source-6.1.tar.xz
jobs=${NFLB_JOBS:-$(nproc)}

usage() {
	cat <<EOF
Usage: kunit/build-kernel.sh [--modules-only] [--force]

Build the debug kernel (KASAN, lockdep, kmemleak, KUnit) from Debian's
linux-source-6.1 with kunit/debug.config, or reuse the cached build, then
build nflb.ko and nflb_test.ko against it.  Prints the kernel image path.

  --force     rebuild the kernel even if a finished build is cached
  -h, --help  this text

Environment: NFLB_CACHE (default /var/cache/nflb), NFLB_JOBS (make -j,
default: the number of CPUs).  The kernel build runs under nice -n 19.
EOF
}

msg() { echo "$prog: $*" >&2; }
die() { msg "$*"; exit 1; }

force=0
while [ $# -gt 0 ]; do
	case $1 in
	--force) force=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) msg "unknown option '$1'"; usage >&2; exit 2 ;;
	esac
done

[ -r "$tarball" ] ||
	die "$tarball is missing (apt-get install linux-source-6.1)"
src_version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
	die "cannot read the version of linux-source-6.1"

cache=${NFLB_CACHE:-/var/cache/nflb}/kernel
mkdir -p "$cache"

key=$(
	{
		cat "$kunit_dir/debug.config"
		echo "linux-source-6.1 $src_version"
		gcc --version | head -n 1
		echo "build_version $build_version"
	} | sha256sum | cut -c1-16
)
src=$cache/src-$src_version
kdir=$cache/$key
obj=$kdir/build

# One build at a time: concurrent "make kunit" runs would otherwise fight
# over the same build directory.  The second one waits, then reuses.
exec 9>"$cache/lock"
if ! flock -n 9; then
	msg "waiting for another build-kernel.sh to finish"
	flock 9
fi

# --- Source ------------------------------------------------------------------

# Unpack into a temporary name and rename, so a half-unpacked tree (after
# Ctrl-C) is never mistaken for a complete one.
if [ ! -d "$src" ]; then
	msg "unpacking $tarball (linux-source-6.1 $src_version)"
	rm -rf "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	mv "$src.tmp" "$src"
fi

# --- Kernel --------------------------------------------------------------------

kmake() {
	nice -n 19 make -C "$src" O="$obj" -j"$jobs" "$@"
}

build_kernel() {
	local start=$SECONDS missing

	rm -rf "$kdir"
	mkdir -p "$obj"
	msg "building the debug kernel in $kdir (log: $kdir/build.log)"

	# allnoconfig plus the fragment; merge_config.sh names every option
	# the fragment asks for but Kconfig did not grant (a missing
	# dependency, a misspelt name): such a kernel is not the one we want.
	(cd "$src" && scripts/kconfig/merge_config.sh -n -O "$obj" \
		"$kunit_dir/debug.config") >"$kdir/config.log" 2>&1 ||
		{ cat "$kdir/config.log" >&2; die "configuration failed"; }
	missing=$(grep -A2 '^Value requested for' "$kdir/config.log" || true)
	if [ -n "$missing" ]; then
		echo "$missing" >&2
		die "kunit/debug.config asks for options the kernel did not take"
	fi

	# Progress: one line per 100 objects instead of make's thousands;
	# the whole output stays in build.log for when something fails.
	if ! kmake bzImage modules 2>&1 | tee "$kdir/build.log" |
		awk -v start="$(date +%s)" '
		/^  (CC|AS|LD|AR)/ && ++n % 100 == 0 {
			printf "build-kernel.sh: kernel: %d objects, %d s\n",
				n, systime() - start
			fflush()
		}' >&2; then
		tail -n 40 "$kdir/build.log" >&2
		die "kernel build failed (whole log: $kdir/build.log)"
	fi

	kver=$(make -s -C "$src" O="$obj" kernelrelease)
	make -s -C "$src" O="$obj" INSTALL_MOD_PATH="$kdir/modroot" \
		modules_install >>"$kdir/build.log" 2>&1 ||
		die "modules_install failed (see $kdir/build.log)"
	cp "$obj/arch/x86/boot/bzImage" "$kdir/vmlinuz-$kver"
	echo "$kver" >"$kdir/kernelrelease"
	echo $((SECONDS - start)) >"$kdir/build-seconds"
	msg "kernel $kver built in $((SECONDS - start)) s"
	touch "$kdir/.done"
}

if [ "$force" = 1 ] || [ ! -e "$kdir/.done" ]; then
	build_kernel
else
	msg "reusing the debug kernel in $kdir" \
		"(built in $(cat "$kdir/build-seconds" 2>/dev/null || echo '?') s)"
fi
kver=$(cat "$kdir/kernelrelease")
touch "$kdir/.done"	# last used

# A build directory takes about 1 GB: drop builds of other configurations
# that no run used for a week, and unfinished ones (we hold the lock, so
# nobody is working on them).
for old in "$cache"/*/; do
	old=${old%/}
	case ${old##*/} in src-*|"$key") continue ;; esac
	if [ ! -e "$old/.done" ] || [ -n "$(find "$old/.done" -mtime +7)" ]; then
		msg "removing the unused build $old"
		rm -rf "$old"
	fi
done

# --- nflb.ko and nflb_test.ko ----------------------------------------------------

# A copy of the module sources (rsync keeps mtimes, so make stays
# incremental) whose Kbuild is the project's plus the test module.
mod_src=$kdir/nflb
mkdir -p "$mod_src"
rsync -a --delete "$repo_dir/kmod" "$repo_dir/include" "$repo_dir/kunit" \
	"$mod_src/"
cat "$repo_dir/Kbuild" "$kunit_dir/Kbuild.kunit" >"$mod_src/Kbuild.new"
mv "$mod_src/Kbuild.new" "$mod_src/Kbuild"

msg "building nflb.ko and nflb_test.ko for $kver"
if ! nice -n 19 make -C "$obj" M="$mod_src" -j"$jobs" W=1 modules \
	>"$kdir/modules.log" 2>&1; then
	cat "$kdir/modules.log" >&2
	die "module build failed"
fi
# Warnings are worth seeing even when the build succeeded.
grep -E 'warning:|error:' "$kdir/modules.log" >&2 || true

# Install and index only what changed: vm-run keys its cached initramfs
# on modules.dep, which an unneeded depmod would rewrite.
extra=$kdir/modroot/lib/modules/$kver/extra
mkdir -p "$extra"
shopt -s nullglob
changed=0
for ko in "$mod_src"/*.ko; do
	cmp -s "$ko" "$extra/${ko##*/}" && continue
	cp "$ko" "$extra/"
	changed=1
done
for ko in "$extra"/*.ko; do
	[ -e "$mod_src/${ko##*/}" ] && continue
	rm "$ko"
	changed=1
done
if [ "$changed" = 1 ]; then
	depmod -b "$kdir/modroot" "$kver" || die "depmod failed"
fi

echo "$kdir/vmlinuz-$kver"
