#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench [QUICK=1]`: nflb against IPVS and plain IP forwarding, in one
# QEMU guest (selftests/vm-run), then the results rendered on the host.
#
#   host                                   guest (bench/guest.sh)
#   ----                                   ----------------------
#   deps (gnuplot, ipvsadm, ...)
#   syngen built (bench/syngen.c)
#   vm-run --cpus 2 -- guest.sh  ------>   namespaces, pktgen, syngen,
#                                          IPVS, nflb; every command logged,
#   log.txt  <---- stdout ------------     figures as "@@BENCH ..." lines
#   report.py: results.md, results.csv,
#   ratios.csv, raw.csv, pps.png
#
# The guest's root is the host's, read-only with a tmpfs on top, so its
# results come back on stdout.  Results go to bench/results/ (QUICK=1:
# bench/results/quick/, a smoke run not comparable to the targets).
#
# Usage: bench/run.sh [--quick] [TEST...]     TEST: pps newconn conns control
# Environment: NFLB_BENCH_CPUS (2), NFLB_BENCH_MEM (2048 MB),
# NFLB_BENCH_MODES ("nat dr tun"), NFLB_BENCH_PAIRS, NFLB_BENCH_OUT,
# NFLB_BENCH_PARAMS (nflb's module parameters, e.g. "fastpath=0"),
# NFLB_BENCH_BASE (a baseline: a built nflb.ko, or a git revision that is
# built for it; measured in turns with the others as system "base", its
# ratios in a table of their own), NFLB_BENCH_BASE_PARAMS (its module
# parameters, if not nflb's), NFLB_BENCH_PROFILE=1 (perf profiles of the
# director in the log; NFLB_BENCH_PROFILE_CPU=0: of the generator's CPU
# instead), NFLB_BENCH_PROFILE_SYMS ("nflb_xmit ...": their samples by
# offset, for objdump -dl) and NFLB_VM_TCG_CPU (QEMU's CPU model, below).
set -u
cd "$(dirname "$0")/.." || exit 1

quick=()
out=bench/results
if [ "${1:-}" = --quick ]; then
	quick=(--quick)
	out=bench/results/quick
	shift
fi
out=${NFLB_BENCH_OUT:-$out}
pairs=()
[ -n "${NFLB_BENCH_PAIRS:-}" ] && pairs=(--pairs "$NFLB_BENCH_PAIRS")
# One generator CPU and the director's, a host core each on this 2-core
# machine.  A third vCPU (a second generator) makes sure the director is
# always overloaded, but three busy vCPUs on two cores share them unevenly
# and the figures then vary by a factor of 2 between runs.  With two, one
# generator offers about 1.5x what plain forwarding takes, provided its
# memset() is not "rep stosb" (below); the report marks figures where it
# did not offer 5% more than was delivered.
cpus=${NFLB_BENCH_CPUS:-2}
# QEMU's "max" CPU offers ERMS and FSRM, and the guest then clears and
# copies memory with "rep stosb" and "rep movsb", which TCG runs as one
# pass of a translated block per byte.  pktgen's every packet is a fresh
# skb that __alloc_skb() clears: measured, the generator offered 160,000
# to 220,000 packets/s with them, about what one director CPU forwards,
# and 330,000 to 370,000 without (memset() then stores 8 bytes at a time).
# The director's figures are then its own, not the generator's.
export NFLB_VM_TCG_CPU=${NFLB_VM_TCG_CPU:-max,-erms,-fsrm}
mem=${NFLB_BENCH_MEM:-2048}

msg() { echo "bench: $*" >&2; }

selftests/deps.sh build vm bench || exit 1

# The baseline, as a path the guest sees (the host's file system): a
# revision is built once, from its files (git archive), in the cache.
if [ -n "${NFLB_BENCH_BASE:-}" ]; then
	base=$NFLB_BENCH_BASE
	if [ ! -f "$base" ]; then
		rev=$(git rev-parse --verify -q "$base^{commit}") ||
			{ msg "NFLB_BENCH_BASE: $base is neither a file nor a revision"; exit 2; }
		wt=${NFLB_CACHE:-/var/cache/nflb}/bench-base/$rev
		if [ ! -f "$wt/nflb.ko" ]; then
			msg "building the baseline $base ($rev) in $wt"
			rm -rf "$wt"
			mkdir -p "$wt" &&
				git archive "$rev" | tar -x -C "$wt" &&
				make -s -C "$wt" module >/dev/null ||
				{ msg "cannot build the baseline $base"; exit 1; }
		fi
		base=$wt/nflb.ko
	fi
	NFLB_BENCH_BASE=$(realpath "$base") || exit 1
	export NFLB_BENCH_BASE
	msg "baseline: $NFLB_BENCH_BASE"
fi

mkdir -p "$out" || exit 1
log=$out/log.txt

# The SYN generator, for the guest (which sees this file system).
if [ ! -x bench/syngen ] || [ bench/syngen.c -nt bench/syngen ]; then
	gcc -O2 -Wall -Wextra -Werror -std=gnu11 -o bench/syngen bench/syngen.c ||
		{ msg "cannot build bench/syngen"; exit 1; }
fi

load() { cut -d ' ' -f 1-3 /proc/loadavg | tr ' ' /; }
others=$(pgrep -c -x qemu-system-x86)	# comm is cut to 15 characters
load_before=$(load)
machine="$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores, $(($(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1048576)) GB"
msg "$machine; load average $load_before; $others other QEMU guests running"
msg "full log: $log"
start=$(date +%s)

# slab_nomerge: nflb_conn and ip_vs_conn keep slab caches of their own,
# which /proc/slabinfo then accounts separately.
timeout=2400
[ ${#quick[@]} -gt 0 ] && timeout=900
# hostcpu.py reads QEMU's vCPU threads' CPU time at each counting window.
pidfile=$(mktemp)
NFLB_BENCH_SYNGEN=$PWD/bench/syngen NFLB_VM_APPEND="slab_nomerge ${NFLB_VM_APPEND:-}" \
	NFLB_VM_PIDFILE=$pidfile \
	selftests/vm-run --cpus "$cpus" --mem "$mem" --timeout "$timeout" -- \
	bench/guest.sh "${quick[@]}" "${pairs[@]}" "$@" 2>&1 |
	python3 bench/hostcpu.py "$pidfile" |
	tee "$log" |
	grep --line-buffered -E '^(== |# (pps|newconn|fill|generators|ipvs|nflb|none|ip_vs_conn|nflb_conn|test)|guest.sh:|vm-run:|@@NA)'
status=${PIPESTATUS[0]}
rm -f "$pidfile"
elapsed=$(($(date +%s) - start))
if [ "$status" != 0 ]; then
	msg "the guest failed (status $status) after $elapsed s; see $log"
	exit 1
fi

python3 bench/report.py "$log" "$out" "date=$(date -u '+%Y-%m-%d %H:%M UTC')" \
	"machine=$machine" "load_before=$load_before" "load_after=$(load)" \
	"other_vms=$others" "elapsed=$elapsed" "vcpu=$NFLB_VM_TCG_CPU" || exit 1
msg "done in $elapsed s: $out/results.md, results.csv, ratios.csv, raw.csv, pps.png"
