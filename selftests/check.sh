#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: everything CI runs, in order, each stage printing KTAP:
#   build     module (W=1) and lbctl (-Werror), warning-free
#   static    checkpatch --strict, sparse, a DKMS build
#   lbctl-cli lbctl's command-line parsing and errors, on the host
#   lib       the selftest library's own checks, on the host
#   kunit     KUnit suites on the debug kernel (built once, cached)
#   detect    that debug kernel reports a use-after-free, a lock order
#             inversion, a sleep in atomic context and a leak committed on
#             purpose, and the VM runner fails on them (kunit/detect.sh)
#   vm        each selftest below, in its own guest (selftests/vm-run)
# and a last line "N passed, N failed, N skipped" counting every KTAP
# result.  A stage that fails without saying which test (a crash, an oops
# caught by vm-run) counts as one failure.  Exit 0 only if nothing failed.
set -u
cd "$(dirname "$0")/.." || exit 1

VM_TESTS=(control.sh nat.sh dr_tun.sh lbmss.sh)

passed=0 failed=0 skipped=0
LOG=$(mktemp -d /tmp/nflb-check.XXXXXX)
trap 'rm -rf "$LOG"' EXIT

# stage NAME CMD...: run CMD with its output shown and tallied.
stage() {
	local name=$1 rc p f s
	shift
	echo "# ---- $name: $*"
	"$@" 2>&1 | tee "$LOG/$name.out"
	rc=${PIPESTATUS[0]}
	# Top-level results only: subtests are indented.
	p=$(grep -Ec '^ok [0-9]+' "$LOG/$name.out" | head -n 1)
	s=$(grep -Ec '^ok [0-9]+.*# SKIP' "$LOG/$name.out")
	f=$(grep -Ec '^not ok [0-9]+' "$LOG/$name.out")
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited $rc"
		f=1
	fi
	if [ "$rc" -eq 4 ] && [ "$p" -eq 0 ] && [ "$s" -eq 0 ]; then
		s=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	echo "# ---- $name: exit $rc, $p passed, $f failed, $s skipped"
}

build() {
	local out rc=0
	echo "TAP version 13"
	echo "1..2"
	out=$(make -s module 2>&1) || rc=1
	echo "$out" | sed 's/^/# /'
	if [ $rc -eq 0 ] && ! grep -q 'warning:' <<<"$out"; then
		echo "ok 1 module builds with W=1, no warnings"
	else
		echo "not ok 1 module builds with W=1, no warnings"
	fi
	rc=0
	out=$(make -s lbctl 2>&1) || rc=1
	echo "$out" | sed 's/^/# /'
	if [ $rc -eq 0 ] && ! grep -q 'warning:' <<<"$out"; then
		echo "ok 2 lbctl builds with -Wall -Wextra -Werror"
	else
		echo "not ok 2 lbctl builds with -Wall -Wextra -Werror"
	fi
}

selftests/deps.sh || { echo "0 passed, 1 failed"; exit 1; }

stage build build
stage static selftests/static-checks.sh
stage lbctl-cli tools/lbctl/tests/cli.sh
stage lib selftests/lib-selftest.sh
stage kunit kunit/run.sh
stage detect kunit/detect.sh
for t in "${VM_TESTS[@]}"; do
	if [ -x "selftests/$t" ]; then
		stage "${t%.sh}" selftests/vm-run --no-build -- "selftests/$t"
	fi
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
