#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh ("make kunit"): run nflb's KUnit suites on the debug kernel.
#
#   kunit/build-kernel.sh    debug kernel (cached) + nflb.ko, nflb_test.ko
#   selftests/vm-run         boots it; kunit/guest.sh loads the modules,
#                            prints the suites' KTAP; vm-run fails the run
#                            on any KASAN, lockdep, kmemleak, WARN report
#   kunit.py parse           the kernel's own parser, from the same source
#
# Output: kunit.py's per-suite summary, then KTAP for selftests/check.sh:
# one "ok"/"not ok" per suite (every suite named in kmod/*_test.c, so a
# suite that never reported, e.g. after a crash, fails) and one for "the
# kernel reported nothing".  Exit 0 when all pass, 1 otherwise, 4 (skip)
# when no guest can be booted here.

set -u

kunit_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$kunit_dir")
cd "$repo_dir" || exit 1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nflb-kunit.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

image=$(kunit/build-kernel.sh) || {
	echo "not ok 1 build the debug kernel"
	exit 1
}
parser=$(dirname "$image")/build/source/tools/testing/kunit/kunit.py

# vm-run's own build (the stock nflb.ko and lbctl) is not needed here:
# build-kernel.sh has just built the modules for this kernel.
# kunit.enable=1: KUNIT_DEFAULT_ENABLED is off in this config, and a
# disabled KUnit loads test modules without running them.
NFLB_VM_APPEND="${NFLB_VM_APPEND:-} kunit.enable=1" NFLB_DEBUG_KERNEL=$image \
	selftests/vm-run --kernel debug --no-build \
	-- kunit/guest.sh >"$tmp/ktap" 2>"$tmp/vm-run.err"
vm_status=$?
# vm-run's stderr carries the kernel reports; show it as KTAP comments.
sed 's/^/# /' "$tmp/vm-run.err"
[ "$vm_status" = 4 ] && exit 4
# On a failure, the guest's own words too (e.g. which modprobe failed).
[ "$vm_status" != 0 ] && sed 's/^/# guest: /' "$tmp/ktap"

PYTHONDONTWRITEBYTECODE=1 python3 "$parser" parse "$tmp/ktap" |
	sed 's/^/# /'

# The suites that must have reported, from the sources.
mapfile -t expected < <(sed -n 's/^\t\.name = "\(nflb_[a-z0-9_]*\)",$/\1/p' \
	kmod/*_test.c)

echo "TAP version 13"
echo "1..$((${#expected[@]} + 1))"
n=0 failed=0
for suite in "${expected[@]}"; do
	n=$((n + 1))
	# A suite's own result line is the only unindented one with its name.
	result=$(grep -E "^(ok|not ok) [0-9]+ $suite\$" "$tmp/ktap" | tail -n 1)
	case $result in
	ok*)	echo "ok $n kunit: $suite" ;;
	"not ok"*)
		echo "not ok $n kunit: $suite"
		failed=1 ;;
	*)	echo "not ok $n kunit: $suite # no result (see the console above)"
		failed=1 ;;
	esac
done
n=$((n + 1))
if [ "$vm_status" = 0 ]; then
	echo "ok $n kunit: no KASAN, lockdep, kmemleak or WARN report"
else
	echo "not ok $n kunit: the guest exited $vm_status (kernel report or crash, above)"
	failed=1
fi
exit "$failed"
