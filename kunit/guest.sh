#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the debug-kernel guest (kunit/run.sh starts it through
# selftests/vm-run): loads nflb.ko and nflb_test.ko and prints, on stdout,
# the KTAP that KUnit wrote to the kernel log.
#
# KUnit runs a module's suites while the module loads (its module
# notifier), so modprobe returns once every suite has finished.  A module
# load prints each suite as an indented subtest with no top-level header;
# this script adds "KTAP version 1" and "1..N" so that kunit.py parse, and
# anyone else, reads one well-formed document.
#
# The debugfs copies (/sys/kernel/debug/kunit/SUITE/results) are not used:
# their per-test log buffer is 512 bytes in 6.1 and parameterised tests
# overflow it.
#
# Exit status: 0 when the suites ran (whatever their results), 1 when the
# modules could not be loaded.

set -u

marker="nflb-kunit: loading the test module"
echo "$marker" >/dev/kmsg

# nflb_test depends on nflb (the EXPORT_SYMBOL_IF_KUNIT entry points), so
# modprobe loads both; load nflb first anyway so a failure names it.
for mod in nflb nflb_test; do
	if ! modprobe "$mod"; then
		echo "# modprobe $mod failed"
		exit 1
	fi
done

# Everything the kernel logged since the marker, without timestamps; other
# kernel messages in between are diagnostics to the KTAP parser.
log=$(dmesg --notime | sed -n "/^$marker\$/,\$p" | sed 1d)
# Only the suite headers (one indent level) count, not parameterised
# subtests, which are indented deeper.
suites=$(grep -cE '^    # Subtest: ' <<<"$log")

echo "KTAP version 1"
echo "1..$suites"
echo "$log"

# Unload, so that kmemleak's scan after the job sees whatever the
# module's exit path failed to free; a failure here is a bug worth seeing.
modprobe -r nflb_test nflb || echo "# modprobe -r nflb_test nflb failed"
exit 0
