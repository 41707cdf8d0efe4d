#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-debug.sh ("make check-debug"): the KUnit suites, then the VM
# selftests, on the debug kernel (KASAN, lockdep, kmemleak,
# DEBUG_ATOMIC_SLEEP).  A clean run on the stock kernel can hide a
# use-after-free, a lock order inversion or a leak; here any such report
# fails the test that provoked it:
#
#   - selftests/vm-run fails a run whose kernel console shows a KASAN,
#     lockdep, BUG or WARN report;
#   - its guest (selftests/vm/guest-init) clears kmemleak before the job
#     and scans after it, copying any "unreferenced object" into the log;
#   - kunit/detect.sh first proves both by committing each kind of bug on
#     purpose (nflb_canary.ko) and expecting its report.
#
# Output: each stage's own KTAP, then one top-level "ok"/"not ok" per
# stage and a "N passed, N failed" line.  Exit 0 only if nothing failed.

set -u

kunit_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$kunit_dir")
cd "$repo_dir" || exit 1

# The selftests that run in a guest: the list selftests/check.sh runs.
eval "$(grep '^VM_TESTS=' selftests/check.sh)"
tests=("${VM_TESTS[@]}")

image=$(kunit/build-kernel.sh) || {
	echo "not ok 1 build the debug kernel"
	exit 1
}
export NFLB_DEBUG_KERNEL=$image
# lbctl and the iptables plugin are the stock build's; the modules are the
# debug kernel's.
make -s lbctl iptables || exit 1

echo "TAP version 13"
echo "1..$((${#tests[@]} + 2))"
n=0 passed=0 failed=0

# result N NAME STATUS: one top-level line per stage; nested output is
# indented so that counters of top-level results do not see it twice.
result() {
	case $3 in
	0)	echo "ok $1 $2"; passed=$((passed + 1)) ;;
	4)	echo "ok $1 $2 # SKIP" ;;
	*)	echo "not ok $1 $2 (exit $3)"; failed=$((failed + 1)) ;;
	esac
}

n=$((n + 1))
echo "# ---- kunit/run.sh"
kunit/run.sh 2>&1 | sed 's/^/    /'
result $n "debug kernel: KUnit" "${PIPESTATUS[0]}"

n=$((n + 1))
echo "# ---- kunit/detect.sh"
kunit/detect.sh 2>&1 | sed 's/^/    /'
result $n "debug kernel: reports bugs committed on purpose" "${PIPESTATUS[0]}"

# vm-run's 30 minutes are not enough here: nat.sh alone took 30 minutes on
# this kernel with the host loaded (load average 8), and the kmemleak scans
# after the job were cut short.  NFLB_DEBUG_TIMEOUT changes it.
timeout=${NFLB_DEBUG_TIMEOUT:-5400}

for t in "${tests[@]}"; do
	n=$((n + 1))
	echo "# ---- selftests/vm-run --kernel debug --timeout $timeout -- selftests/$t"
	start=$SECONDS
	selftests/vm-run --kernel debug --no-build --timeout "$timeout" -- "selftests/$t" 2>&1 |
		sed 's/^/    /'
	status=${PIPESTATUS[0]}
	echo "# $t: $((SECONDS - start)) s"
	result $n "debug kernel: $t" "$status"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
