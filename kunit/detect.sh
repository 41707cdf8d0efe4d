#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# detect.sh: does the debug kernel, booted by selftests/vm-run, report the
# bugs it is built to catch, and does the runner fail on the report?  A
# clean KUnit or selftest run on that kernel is worth something only then.
#
# One guest loads nflb_canary.ko (kunit/canary.c) with a sleep in atomic
# context, a lock order inversion, a use-after-free and a leak.  Expected:
# vm-run exits 1, and its stderr carries one report of each kind (KASAN,
# lockdep, DEBUG_ATOMIC_SLEEP, kmemleak after the guest's final scan).
# KTAP output; exit 0 pass, 1 fail, 4 skip.

set -u

kunit_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$kunit_dir")
cd "$repo_dir" || exit 1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nflb-detect.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

checks=(
	"runner fails the run|^vm-run: the guest kernel reported a problem"
	"KASAN reports a use-after-free|BUG: KASAN: (slab-)?use-after-free in canary_uaf"
	"lockdep reports a lock order inversion|WARNING: possible circular locking dependency detected"
	"a sleep in atomic context is reported|BUG: sleeping function called from invalid context"
	"kmemleak reports the leak|kmemleak: unreferenced object 0x[0-9a-f]+ \\(size 128\\)"
)

echo "TAP version 13"
echo "1..${#checks[@]}"

image=$(kunit/build-kernel.sh) || {
	for i in "${!checks[@]}"; do
		echo "not ok $((i + 1)) ${checks[$i]%%|*} # the debug kernel did not build"
	done
	exit 1
}

echo "# \$ selftests/vm-run --kernel debug -- modprobe nflb_canary bugs=sleep,lockdep,uaf,leak"
NFLB_DEBUG_KERNEL=$image selftests/vm-run --kernel debug --no-build \
	-- modprobe nflb_canary bugs=sleep,lockdep,uaf,leak \
	>"$tmp/out" 2>"$tmp/err"
status=$?
sed 's/^/# /' "$tmp/out" "$tmp/err"
echo "# vm-run exited $status (1 expected)"
[ "$status" = 4 ] && { echo "# SKIP: no bootable debug kernel"; exit 4; }

failed=0
for i in "${!checks[@]}"; do
	name=${checks[$i]%%|*} pattern=${checks[$i]#*|}
	if [ "$status" = 1 ] && grep -Eq "$pattern" "$tmp/err"; then
		echo "ok $((i + 1)) $name"
	else
		echo "not ok $((i + 1)) $name"
		failed=1
	fi
done
exit "$failed"
