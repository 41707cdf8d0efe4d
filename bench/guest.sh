#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest.sh: the in-VM half of `make bench` (bench/run.sh boots the VM and
# renders the results).  It measures nflb against IPVS and against plain IP
# forwarding and prints every figure as a line
#
#	@@BENCH FIGURE SYSTEM RUN VALUE
#	@@NA    FIGURE SYSTEM REASON...
#	@@META  KEY VALUE...
#
# among the log of every command it runs ("# +  12.3s cmd": seconds since
# the start).
#
# Each system gets its own chain of three namespaces, all alike:
#
#   client (bc*-)          director (bd*-)                   backend (bb*-)
#  +---------------+     +--------------------------------+     +---------------------+
#  | c0 10.0.1.2   |-----| d0 10.0.1.1      b0 10.0.2.1   |-----| e0 10.0.2.2         |
#  | pktgen (UDP)  |     | ip_forward=1                   |     | tc ingress matchall |
#  | or syngen     |     | d0: GRO on, so a NAPI ring,    |     |  drop; e0's receive |
#  | (TCP SYN),    |     |  polled by a thread pinned to  |     |  count is the sink  |
#  | one per CPU   |     |  the last CPU                  |     +---------------------+
#  | but the last  |     | plain: VIP routed to 10.0.2.2  |
#  +---------------+     | ipvs: VIP on lo; nflb: nothing |
#                        +--------------------------------+
#   VIP 10.0.0.100, UDP port 53 (TCP 80 for SYNs); NAT backends listen on
#   8080, DR and TUN on the VIP's port.  Modes: nat, dr, tun (IPIP) and,
#   if asked for (NFLB_BENCH_MODES), gue (TUN over GUE, UDP port 6080).
#
# With N CPUs, CPUs 0..N-2 generate (pktgen's kpktgend_K as device c0@K,
# or a syngen, from CPU K) into d0's receive ring, and CPU N-1 forwards:
# d0's NAPI thread runs there, and so does the sink's receive (veth
# delivers b0's packets on the sending CPU).  The figure is what one CPU
# forwards, as long as the generators offer more (the "offered" figures);
# what the full ring refuses costs them, not the director.  Packets per
# second are counted at the sink over DUR seconds after WARM seconds of
# warm-up.
#
# The systems are measured in turns, the order rotating from one pair to
# the next, and only the one measured sees packets: nflb is loaded only for
# its own runs (its service set up again each time).  Both hook only a
# namespace that has (nflb: has had) a service; the "idle" system, plain
# forwarding with nflb loaded, checks what nflb costs the others.
#
# Process start-up costs about 0.2 s under TCG, so the measuring loop
# uses shell built-ins only: counters are read from /proc/PID/net/dev of a
# process that lives in the namespace, sleeps are "read -t", clocks
# $EPOCHREALTIME.
#
# Usage: guest.sh [--quick] [--pairs N] [TEST...]
#   TEST: pps newconn conns control (default: all)
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../selftests/lib.sh
. "$here/../selftests/lib.sh"

QUICK=0
PAIRS=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; shift ;;
	--pairs) PAIRS=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "guest.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
TESTS=${*:-pps newconn conns control}

if [ "$QUICK" = 1 ]; then
	PAIRS=${PAIRS:-3}
	DUR=1			# seconds counted per run
	WARM=0.3		# seconds before counting starts
	BIG=20000		# entries for the "many connections" figures
	BIG_IPVS=20000
	SERVICES=500		# control plane: services (x 4 backends)
	MODES=${NFLB_BENCH_MODES:-nat}
	NEWCONN=${NFLB_BENCH_NEWCONN:-tcp}	# kinds of new connections
else
	PAIRS=${PAIRS:-5}
	DUR=2
	WARM=0.5
	BIG=1000000
	# IPVS's memory per connection does not depend on how many there
	# are (its table is allocated at load time); fewer save minutes.
	BIG_IPVS=200000
	SERVICES=10000
	MODES=${NFLB_BENCH_MODES:-nat dr tun}
	NEWCONN=${NFLB_BENCH_NEWCONN:-tcp udp}
fi
FLOWS=1000			# UDP source ports of the pps runs
VIP=10.0.0.100
VPORT=53
GUE_PORT=6080

say() { echo "== $*"; }
# A counting window's first figure (rate() sets WIN: packets, microseconds,
# the director CPU's busy and total jiffies) comes with two more: how busy
# the director's CPU was (busy.FIGURE, per mille) and what it forwarded per
# second of being busy (cpu.FIGURE): its packets per second had it been
# busy all along, however fast the generator offered.  bench/hostcpu.py
# adds how long the director's vCPU thread ran on the host (vcpu.FIGURE).
result() {
	local w
	if [ -n "${WIN:-}" ]; then
		echo "@@WINDOW $1 $2 $3 $WIN"
		read -r -a w <<<"$WIN"
		if [ "${w[2]}" -gt 0 ]; then
			echo "@@BENCH busy.$1 $2 $3 $((w[2] * 1000 / w[3]))"
			echo "@@BENCH cpu.$1 $2 $3 $((w[0] * 1000000 * w[3] / (w[1] * w[2])))"
		fi
		WIN=""
	fi
	echo "@@BENCH $*"
}
na() { echo "@@NA $*"; }
meta() { echo "@@META $*"; }
die() { echo "guest.sh: FATAL: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Built-in clock, sleep and logging

T0=${EPOCHREALTIME/./}
now() { NOW=${EPOCHREALTIME/./}; }	# microseconds, in $NOW

mkfifo "$NFLB_TEST_TMP/nap"
exec {NAP_FD}<>"$NFLB_TEST_TMP/nap"
nap() { read -r -t "$1" -u "$NAP_FD" _ || :; }

# waitfor SECONDS CMD...: poll CMD (a built-in, to be cheap) until it
# succeeds; false on timeout.
waitfor() {
	local end=$((${EPOCHREALTIME/./} + $1 * 1000000))
	shift
	until "$@"; do
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
		nap 0.05
	done
}

log() {
	local t=$((${EPOCHREALTIME/./} - T0))
	printf '# + %4d.%01ds %s\n' $((t / 1000000)) $((t / 100000 % 10)) "$*"
	"$@"
}

# probe CMD...: a command whose output is read (by $(...)): logged on
# stderr, which reaches the log all the same.
probe() {
	local t=$((${EPOCHREALTIME/./} - T0))
	printf '# + %4d.%01ds %s\n' $((t / 1000000)) $((t / 100000 % 10)) "$*" >&2
	"$@"
}

# batch NS|- TOOL LINES...: one "ip -b" or "tc -b" for many commands, each
# line logged.
batch() {
	local ns=$1 tool=$2 l
	shift 2
	for l in "$@"; do
		if [ "$ns" = - ]; then echo "#   $tool $l"; else echo "#   $tool -n $ns $l"; fi
	done
	printf '%s\n' "$@" | if [ "$ns" = - ]; then "$tool" -b -; else "$tool" -n "$ns" -b -; fi
}

# The shell and everything it starts stay on CPU 0 with a generator: the
# last CPU is the director's.
NCPUS=$(getconf _NPROCESSORS_ONLN)
[ "$NCPUS" -ge 2 ] || die "needs 2 CPUs or more (vm-run --cpus N)"
NGEN=$((NCPUS - 1))		# generators: CPUs 0 .. NGEN-1
DIR_CPU=$NGEN
taskset -p 1 $$ >/dev/null || die "taskset"

# ---------------------------------------------------------------------------
# Modules

NFLB_PARAMS=${NFLB_BENCH_PARAMS:-}	# module parameters, e.g. "fastpath=0"
# NFLB_BENCH_BASE=PATH: another build of nflb.ko (an older commit's, say),
# measured as one more system, "base", in turns with the others: a change
# to the module measured against what it changes, in the same run.  It is
# loaded with NFLB_BENCH_BASE_PARAMS if set, else with nflb's parameters
# (so the same build with other parameters is a baseline too).
BASE_KO=${NFLB_BENCH_BASE:-}
BASE_PARAMS=${NFLB_BENCH_BASE_PARAMS-$NFLB_PARAMS}
NFLB_AS=nflb		# the build nflb_load loads: nflb (installed) or base
NFLB_LOADED_AS=""
NFLB_TEST_PARAMS=""	# a test's own, before the user's (which win)
nflb_loaded() { [ -d /sys/module/nflb ]; }
nflb_load() {
	if nflb_loaded; then
		[ "$NFLB_LOADED_AS" = "$NFLB_AS" ] && return 0
		nflb_unload
	fi
	if [ "$NFLB_AS" = base ]; then
		# insmod loads no dependencies: modprobe knows them.
		# shellcheck disable=SC2046
		log modprobe -a $(modinfo -F depends "$BASE_KO" | tr , ' ') ||
			die "cannot load the dependencies of $BASE_KO"
		# shellcheck disable=SC2086
		log insmod "$BASE_KO" $NFLB_TEST_PARAMS $BASE_PARAMS || die "cannot load $BASE_KO"
	else
		# shellcheck disable=SC2086
		log modprobe nflb $NFLB_TEST_PARAMS $NFLB_PARAMS || die "cannot load nflb"
	fi
	NFLB_LOADED_AS=$NFLB_AS
}
# A namespace just deleted is torn down by a kernel worker, after which
# the module is free to go: retry a while.
unload() {
	local t
	log modprobe -r "$@" 2>/dev/null && return 0
	for ((t = 0; t < 300; t++)); do
		nap 0.2
		modprobe -r "$@" 2>/dev/null && return 0
	done
	log modprobe -r "$@" || die "cannot unload $*"
}
nflb_unload() {
	nflb_loaded || return 0
	unload nflb
}

# IPVS's connections have a timer each and outlive a deleted service (to
# a dest in the trash): unloading the module is the way to start afresh.
# Its connection table is global: 2^20 buckets, as nflb's is raised to for
# a million entries.  IPVS hooks only namespaces that have a service.
declare -A IPVS_NS	# namespaces with IPVS services: they pin the module
ipvs_fresh() {
	ipvs_unload
	log modprobe ip_vs conn_tab_bits=20 || die "cannot load ip_vs"
	log modprobe ip_vs_rr || die "cannot load ip_vs_rr"
}
ipvs_unload() {
	local ns
	[ -d /sys/module/ip_vs ] || return 0
	for ns in "${!IPVS_NS[@]}"; do
		[ -e "/run/netns/$ns" ] && log ip netns exec "$ns" ipvsadm -C
		unset "IPVS_NS[$ns]"
	done
	unload ip_vs_rr ip_vs
}

# ---------------------------------------------------------------------------
# Chains

# Fixed MAC addresses: every chain is its own Ethernet.
MAC_C0=02:00:00:00:01:02 MAC_D0=02:00:00:00:01:01
MAC_B0=02:00:00:00:02:01 MAC_E0=02:00:00:00:02:02

# chain_create NAME: namespaces $C_NAME, $D_NAME, $B_NAME wired as in the
# diagram, the sink's drop rule in place, d0's receive in a NAPI thread on
# the director's CPU, and processes living in the namespaces: $PC_NAME
# (the generators' control, see pg_worker), $PD_NAME, $PB_NAME.
chain_create() {
	local name=$1 c d b sfx pid before t
	printf -v sfx %04x%02x "$RANDOM" $((RANDOM % 256))
	c=nflb-bc$name-$sfx d=nflb-bd$name-$sfx b=nflb-bb$name-$sfx
	CHAINS[$name]="$c $d $b"
	unset "PC_$name" "PD_$name" "PB_$name"
	batch - ip "netns add $c" "netns add $d" "netns add $b" \
		"link add c0 address $MAC_C0 netns $c type veth peer name d0 address $MAC_D0 netns $d" \
		"link add b0 address $MAC_B0 netns $d type veth peer name e0 address $MAC_E0 netns $b" ||
		die "cannot create chain $name"
	batch "$c" ip "link set lo up" "addr add 10.0.1.2/24 dev c0" "link set c0 up" &&
	batch "$d" ip "link set lo up" "addr add 10.0.1.1/24 dev d0" "link set d0 up" \
		"addr add 10.0.2.1/24 dev b0" "link set b0 up" \
		"neigh replace 10.0.2.2 lladdr $MAC_E0 dev b0 nud permanent" &&
	batch "$b" ip "link set lo up" "addr add 10.0.2.2/24 dev e0" "link set e0 up" &&
	batch "$b" tc "qdisc add dev e0 clsact" \
		"filter add dev e0 ingress pref 1 matchall action drop" ||
		die "cannot set up chain $name"
	printf -v "C_$name" %s "$c"
	printf -v "D_$name" %s "$d"
	printf -v "B_$name" %s "$b"
	# A NIC's receive ring instead of the per-CPU backlog: with GRO on,
	# d0 receives through a NAPI ring that c0 fills (c0 must not offer
	# TSO for that).  A full ring costs the sender only, where a full
	# backlog would have the generators contend for its lock with the
	# director, slowing it the more, the more it is overloaded.  The
	# processes that live in the namespaces run ethtool first.
	echo "#   ethtool -K c0 tso off (in $c); ethtool -K d0 gro on (in $d)"
	pg_worker "$name" "$c"
	ip netns exec "$d" sh -c 'ethtool -K d0 gro on && exec sleep infinity' &
	printf -v "PD_$name" %s $!
	ip netns exec "$b" sleep infinity &
	printf -v "PB_$name" %s $!
	for pid in "PC_$name" "PD_$name" "PB_$name"; do
		waitfor 10 in_netns "${!pid}" || die "process ${!pid} did not enter its namespace"
	done
	# /proc/PID/root is the namespace's own view of /sys.
	pid=PD_$name
	# Its NAPI thread is the one that was not there before.
	napi_threads; before=" $NAPI "
	# (Once ethtool has turned GRO on: only then is there a NAPI.)
	waitfor 10 eval "echo 1 2>/dev/null >/proc/${!pid}/root/sys/class/net/d0/threaded" ||
		die "cannot make d0's NAPI threaded (GRO on?)"
	echo "#   echo 1 > /sys/class/net/d0/threaded (in $d)"
	waitfor 10 napi_new "$name" "$before" || die "no NAPI thread for d0 in chain $name"
	napi_pin "$name" "$((1 << DIR_CPU))"
}

napi_new() {	# NAME " PID... ": a NAPI thread not in the list is NAME's
	local t
	napi_threads
	for t in $NAPI; do
		[[ $2 == *" $t "* ]] && continue
		printf -v "PN_$1" %s "$t"
		return 0
	done
	return 1
}

napi_threads() {	# the PIDs of the napi/d0-* threads, in NAPI
	local p comm
	NAPI=""
	for p in /proc/[0-9]*; do
		read -r comm <"$p/comm" 2>/dev/null || continue
		[[ $comm == napi/d0-* ]] && NAPI+=" ${p#/proc/}"
	done
}

# napi_pin NAME MASK: the chain's NAPI thread to those CPUs.
napi_pin() {
	local t=PN_$1 mask
	printf -v mask %x "$2"
	taskset -p "$mask" "${!t}" >/dev/null || die "cannot pin NAPI thread ${!t}"
	echo "#   taskset -p $mask $(<"/proc/${!t}/comm") (chain $1)"
}

# in_netns PID: PID has left our network namespace (ip netns exec has
# switched it), so /proc/PID/net is the namespace's.
in_netns() {
	[ -e "/proc/$1/ns/net" ] && ! [ "/proc/$1/ns/net" -ef "/proc/$$/ns/net" ]
}

chain_delete() {
	local name=$1 v ns lines=()
	for v in PC PD PB; do
		v=${v}_$name
		[ -n "${!v-}" ] || continue
		kill "${!v}" 2>/dev/null
		wait "${!v}" 2>/dev/null
	done
	for ns in ${CHAINS[$name]}; do lines+=("netns del $ns"); done
	batch - ip "${lines[@]}"
	unset "CHAINS[$name]"
}

# Whatever chains are left at exit.
declare -A CHAINS
chains_cleanup() {
	local name
	for name in "${!CHAINS[@]}"; do
		chain_delete "$name" >/dev/null
	done
	[ -n "${CTL:-}" ] && [ -e "/run/netns/$CTL" ] && ip netns del "$CTL"
}
defer chains_cleanup

# netdev PID IFACE: that interface's counters in the namespace of PID, as
# RXP (received packets), TXP (sent), TXD (send drops).
netdev() {
	local name rest f
	while read -r name rest; do
		[ "$name" = "$2:" ] || continue
		read -r -a f <<<"$rest"
		RXP=${f[1]} TXP=${f[9]} TXD=${f[11]}
		return 0
	done <"/proc/$1/net/dev"
	die "no $2 in /proc/$1/net/dev"
}

# client_tx PID: packets the client sent (TXP, including TXD: those the
# director's full receive ring refused).
client_tx() {
	netdev "$1" c0
	TXP=$((TXP + TXD))
}

# ---------------------------------------------------------------------------
# Generators

# pg_worker NAME NS: a shell living in the client namespace that runs
# pktgen's start and stop (pgctrl acts on the writer's namespace):
# pg_cmd NAME start|stop|run ("run": until count packets are sent).
pg_worker() {
	local name=$1 ns=$2 fifo=$NFLB_TEST_TMP/pg-$1
	mkfifo "$fifo" "$fifo.ack"
	ip netns exec "$ns" bash -c '
		exec 3<>"$1" 4<>"$2"
		ctl=/proc/net/pktgen/pgctrl
		# See chain_create.
		ethtool -K c0 tso off || exit 1
		while read -r cmd <&3; do
			case $cmd in
			start) (echo start > $ctl) & pid=$! ;;
			stop) echo stop > $ctl; wait $pid ;;
			run) echo start > $ctl ;;
			esac
			echo done >&4
		done' pg-worker "$fifo" "$fifo.ack" &
	printf -v "PC_$name" %s $!
}

pg_cmd() {
	local fifo=$NFLB_TEST_TMP/pg-$1 ack
	echo "$2" >"$fifo"
	read -r -t "${3:-30}" ack <"$fifo.ack" || die "pktgen $2 in chain $1: no answer"
}

# pg_setup NAME COUNT SRC_MIN SRC_MAX SPORT_MIN SPORT_MAX [FLAG...]: pktgen
# on c0 from every generator CPU K (kpktgend_K, device c0@K): UDP to VIP:VPORT, 60-byte frames,
# addresses and ports stepped through their ranges (or random, with the
# flags IPSRC_RND, UDPSRC_RND), COUNT packets in all (0: until stopped).
# The ranges are split between the generators: each sends its own flows.
# Its files are written through /proc/PID/net.
pg_setup() {
	local name=$1 count=$2 smin smax pmin=$5 pmax=$6 pid dir cmd k n a0 an pn
	local flags=("${@:7}") f
	pn=$((($6 - $5 + 1) / NGEN))
	smin=$(ip2int "$3") smax=$(ip2int "$4")
	pid=PC_$name
	dir=/proc/${!pid}/net/pktgen
	waitfor 5 test -e "$dir/kpktgend_0" || die "no pktgen in chain $name"
	for ((k = 0; k < NGEN; k++)); do
		pg_write "$dir/kpktgend_$k" rem_device_all
		pg_write "$dir/kpktgend_$k" "add_device c0@$k"
		# This generator's share of the addresses or of the ports.
		n=$((count / NGEN)); [ "$k" -lt $((count % NGEN)) ] && n=$((n + 1))
		if [ "$smin" != "$smax" ] && [[ " ${flags[*]} " != *IPSRC_RND* ]]; then
			an=$(((smax - smin + 1) / NGEN))
			a0=$((smin + k * an)); an=$((a0 + an - 1))
		else
			a0=$smin an=$smax
		fi
		if [ "$pmin" != "$pmax" ] && [[ " ${flags[*]} " != *UDPSRC_RND* ]]; then
			pmin=$(($5 + k * pn)) pmax=$(($5 + (k + 1) * pn - 1))
		fi
		echo "#   pktgen c0@$k (CPU $k): count $n clone_skb 0 pkt_size 60" \
			"dst $VIP:$VPORT dst_mac $MAC_D0 src $(int2ip $a0)-$(int2ip $an)" \
			"sport $pmin-$pmax ${flags[*]}"
		for cmd in "count $n" "clone_skb 0" "burst 1" "pkt_size 60" "delay 0" \
			"dst $VIP" "dst_mac $MAC_D0" "src_min $(int2ip $a0)" \
			"src_max $(int2ip $an)" "udp_src_min $pmin" "udp_src_max $pmax" \
			"udp_dst_min $VPORT" "udp_dst_max $VPORT" "flag NO_TIMESTAMP"; do
			pg_write "$dir/c0@$k" "$cmd"
		done
		for f in "${flags[@]}"; do pg_write "$dir/c0@$k" "flag $f"; done
	done
}

ip2int() {
	local IFS=. a
	read -r -a a <<<"$1"
	echo $(((a[0] << 24) + (a[1] << 16) + (a[2] << 8) + a[3]))
}

int2ip() {
	echo "$(($1 >> 24 & 255)).$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"
}

# pg_sent PID: what each pktgen device sent and had refused, logged.
pg_sent() {
	local k key v rest out=""
	for ((k = 0; k < NGEN; k++)); do
		while read -r key v rest; do
			[ "$key" = pkts-sofar: ] || continue
			out+=" c0@$k: $v sent,"
			read -r key v rest <<<"$rest"	# errors: N
			out+=" $v refused;"
			break
		done <"/proc/$1/net/pktgen/c0@$k"
	done
	echo "# pktgen since start:$out"
}

# pg_write FILE COMMAND: pktgen answers "Result: OK: ..." or says why not.
# Once in a full run on a loaded host, reading the file back while its
# thread was sending showed no "Result:" line at all: then ask again.
pg_write() {
	local line try
	for try in 1 2 3 4 5; do
		echo "$2" >"$1" 2>/dev/null
		while read -r line; do
			case $line in
			"Result: OK"*) return 0 ;;
			Result:*) die "pktgen: $2: $line" ;;
			esac
		done <"$1"
		echo "# pktgen: $2: no result (try $try)"
		nap 0.2
	done
	die "pktgen: $2: no result"
}

# syngen (bench/syngen.c): TCP SYNs to VIP:80, each from a random address
# and port; one per generator CPU K, on c0, from 10.(K+1).0.0/16.  Built
# by run.sh on the host (NFLB_BENCH_SYNGEN), or here if not.
SYNGEN=${NFLB_BENCH_SYNGEN:-}
syngen_build() {
	[ -n "$SYNGEN" ] && [ -x "$SYNGEN" ] && return 0
	SYNGEN=$NFLB_TEST_TMP/syngen
	log gcc -O2 -o "$SYNGEN" "$here/syngen.c" || die "cannot build syngen"
}

syn_start() {	# NAME: sets GEN_PIDS
	local c=C_$1 k
	GEN_PIDS=()
	for ((k = 0; k < NGEN; k++)); do
		taskset -c "$k" ip netns exec "${!c}" "$SYNGEN" c0 "$MAC_D0" \
			"10.$((k + 1)).0.0/16" "$VIP" 80 >>"$NFLB_TEST_TMP/syngen.log" 2>&1 &
		GEN_PIDS+=($!)
	done
}

syn_stop() {
	kill "${GEN_PIDS[@]}" 2>/dev/null
	wait "${GEN_PIDS[@]}" 2>/dev/null
	GEN_PIDS=()
}

# ---------------------------------------------------------------------------
# Counting at the sink

# rate NAME pg|syn [PID IFACE]: start the chain's generator (set up
# already), wait for packets at the sink (the backend's e0, or IFACE in the
# namespace of PID), count for DUR seconds, stop.  Sets PPS (delivered
# per second) and OFFERED (sent by the client per second, including what
# the director's full receive ring refused: DROPPED per second).
rate() {
	local name=$1 kind=$2 pb pc pd n0 n1 s0 s1 d0 d1 t0 t1 b0 a0 r0 i sink=${4:-e0}
	pb=PB_$name pc=PC_$name pd=PD_$name
	pb=${3:-${!pb}} pc=${!pc} pd=${!pd}
	netdev "$pb" "$sink"; n0=$RXP
	[ -n "${NFLB_BENCH_PROFILE:-}" ] && profile_start "$PROFILE_CPU"
	case $kind in
	pg) pg_cmd "$name" start ;;
	syn) syn_start "$name" ;;
	esac
	for ((i = 0; i < 100; i++)); do
		netdev "$pb" "$sink"
		[ $((RXP - n0)) -ge 100 ] && break
		nap 0.1
	done
	if [ $((RXP - n0)) -lt 100 ]; then
		[ "$kind" = syn ] && syn_stop || pg_cmd "$name" stop
		cat "$NFLB_TEST_TMP/syngen.log" >&2 2>/dev/null
		die "chain $name: $((RXP - n0)) packets reached the sink in 10 s"
	fi
	nap "$WARM"
	[ -n "${NFLB_BENCH_PROFILE:-}" ] && profile_ctl enable
	client_tx "$pc"; s0=$TXP d0=$TXD
	echo "@@MARK start $DIR_CPU"
	dir_cpu; b0=$DBUSY a0=$DALL
	ip_in "$pd"; r0=$IPIN
	now; t0=$NOW; netdev "$pb" "$sink"; n0=$RXP
	nap "$DUR"
	client_tx "$pc"; s1=$TXP d1=$TXD
	now; t1=$NOW; netdev "$pb" "$sink"; n1=$RXP
	[ -n "${NFLB_BENCH_PROFILE:-}" ] && profile_ctl disable
	dir_cpu
	echo "@@MARK end $DIR_CPU"
	WIN="$((n1 - n0)) $((t1 - t0)) $((DBUSY - b0)) $((DALL - a0))"
	ip_in "$pd"
	echo "# chain $name: $((n1 - n0)) packets at the sink, $((IPIN - r0)) through the director's IP receive path (InReceives)"
	if [ "$kind" = syn ]; then
		syn_stop
	else
		pg_cmd "$name" stop
		pg_sent "$pc"
	fi
	# After the generator stops: perf report is slow under TCG, and new
	# connections meanwhile would fill the table.
	[ -n "${NFLB_BENCH_PROFILE:-}" ] && profile_report "CPU $PROFILE_CPU, chain $name"
	PPS=$(((n1 - n0) * 1000000 / (t1 - t0)))
	TXP=$s1 TXD=$d1
	OFFERED=$(((s1 - s0) * 1000000 / (t1 - t0)))
	DROPPED=$(((d1 - d0) * 1000000 / (t1 - t0)))
}

# NFLB_BENCH_PROFILE=1: a profile (perf, cpu-clock: TCG has no PMU) of
# the director's CPU (or NFLB_BENCH_PROFILE_CPU's: a generator's, say)
# over each counting window, of the whole machine over
# each control-plane command and over the idle-CPU measurement, its top
# binaries and symbols logged.  It costs the runs a little and the whole
# bench a lot (perf report takes long under TCG): for investigating only.
#
# profile_start [CPU|-a] [SECONDS]: perf in the background, sampling for
# SECONDS or, without them, only between profile_ctl enable and disable:
# perf takes a second or more to start under TCG, so a window cannot
# simply be timed from perf's start.
PROFILE_CPU=${NFLB_BENCH_PROFILE_CPU:-$DIR_CPU}
profile_start() {
	local target=(-C "${1:-$DIR_CPU}") ctl=()
	local fifo=$NFLB_TEST_TMP/perf
	[ "${1:-}" = -a ] && target=(-a)
	PERF_CTL=""
	if [ -z "${2:-}" ]; then
		rm -f "$fifo.ctl" "$fifo.ack"
		mkfifo "$fifo.ctl" "$fifo.ack"
		ctl=(-D -1 --control "fifo:$fifo.ctl,$fifo.ack")
		PERF_CTL=$fifo
	fi
	perf record -q "${target[@]}" "${ctl[@]}" -e cpu-clock -F 997 -g \
		-o "$NFLB_TEST_TMP/perf.data" -- sleep "${2:-3600}" >/dev/null 2>&1 &
	PERF_PID=$!
	[ -n "$PERF_CTL" ] || return 0
	# Both ends held open here, read and write: opening a FIFO for one
	# of them would wait for perf for ever if it never came up.
	exec {PERF_CFD}<>"$fifo.ctl" {PERF_AFD}<>"$fifo.ack"
	# Sampling is off already: this only waits for perf to be up.
	profile_ctl disable
}

# profile_ctl enable|disable: perf's sampling on or off, as perf confirms.
# Built-ins only.
profile_ctl() {
	local ack=""
	echo "$1" >&"$PERF_CFD"
	read -r -t 60 -u "$PERF_AFD" ack
	[ "$ack" = ack ] || die "perf: no answer to $1"
}

profile_report() {	# WHAT
	if [ -n "${PERF_PID:-}" ]; then
		if [ -n "$PERF_CTL" ]; then
			kill -INT "$PERF_PID"
			exec {PERF_CFD}>&- {PERF_AFD}>&-
		fi
		wait "$PERF_PID"
	fi
	PERF_PID=""
	echo "# profile of $1, by binary:"
	perf report -i "$NFLB_TEST_TMP/perf.data" --no-children --sort dso \
		-g none --percent-limit 1 --stdio 2>/dev/null |
		grep '%' | head -n 8 | sed 's/^/#   /'
	echo "# profile of $1, top symbols (self time):"
	perf report -i "$NFLB_TEST_TMP/perf.data" --no-children --sort dso,sym \
		-g none --percent-limit 1 --stdio 2>/dev/null |
		grep '%' | head -n 30 | sed 's/^/#   /'
	# NFLB_BENCH_PROFILE_SYMS="sym...": where in those functions the
	# samples fell, as offsets to look up in "objdump -dl nflb.ko".
	[ -n "${NFLB_BENCH_PROFILE_SYMS:-}" ] || return 0
	echo "# profile of $1, samples by offset in: $NFLB_BENCH_PROFILE_SYMS"
	# (perf script prints a symbol only with its address.)
	perf script -i "$NFLB_TEST_TMP/perf.data" -F ip,sym,symoff -G 2>/dev/null |
		awk -v want=" $NFLB_BENCH_PROFILE_SYMS " '
			{ split($2, a, "+"); if (index(want, " " a[1] " ")) n[$2]++ }
			END { for (k in n) print n[k], k }' |
		sort -rn | head -n 40 | sed 's/^/#   /'
}

# ---------------------------------------------------------------------------
# Systems

# sys_setup SYSTEM MODE CHAIN PROTO PORT: configure SYSTEM in CHAIN's
# director: a service PROTO VIP:PORT in MODE, its one backend 10.0.2.2.
# Returns 3 when SYSTEM refuses MODE as not supported (reason on stderr).
sys_setup() {
	local sys=$1 mode=$2 chain=$3 proto=$4 port=$5 d bport=$5 flag out
	d=D_$chain; d=${!d}
	[ "$mode" = nat ] && bport=8080
	case $sys in
	plain)
		log ip -n "$d" route replace "$VIP/32" via 10.0.2.2 dev b0 ;;
	ipvs)
		case $mode in
		nat) flag=-m ;;
		dr) flag=-g ;;
		tun) flag=-i ;;
		gue) flag="-i --tun-type gue --tun-port $GUE_PORT" ;;
		esac
		printf -- '-C\n-A --%s-service %s:%s -s rr\n-a --%s-service %s:%s -r 10.0.2.2:%s %s\n' \
			"$proto" "$VIP" "$port" "$proto" "$VIP" "$port" "$bport" "$flag" \
			>"$NFLB_TEST_TMP/ipvs.rules"
		sed 's/^/#   ipvsadm /' "$NFLB_TEST_TMP/ipvs.rules"
		IPVS_NS[$d]=1
		log ip -n "$d" addr replace "$VIP/32" dev lo &&
		log ip netns exec "$d" ipvsadm -R <"$NFLB_TEST_TMP/ipvs.rules" ;;
	nflb|base)
		NFLB_AS=$sys
		nflb_load
		case $mode in
		gue) flag="mode tun tunnel gue gue-port $GUE_PORT" ;;
		tun) flag="mode tun tunnel ipip" ;;
		*) flag="mode $mode" ;;
		esac
		printf 'flush\nadd-service %s %s:%s sched rr %s\nadd-backend %s %s:%s 10.0.2.2:%s\n' \
			"$proto" "$VIP" "$port" "$flag" "$proto" "$VIP" "$port" "$bport" \
			>"$NFLB_TEST_TMP/nflb.rules"
		sed 's/^/#   lbctl /' "$NFLB_TEST_TMP/nflb.rules"
		if ! out=$(log ip netns exec "$d" lbctl restore "$NFLB_TEST_TMP/nflb.rules" 2>&1); then
			echo "$out"
			case $out in *"not supported"*) return 3 ;; esac
			return 1
		fi ;;
	esac
}

# sys_pkts SYSTEM CHAIN: packets the system counts as handled in the
# chain's director (0 for plain), to check that what reaches the sink went
# through it rather than around it.
sys_pkts() {
	local d=D_$2 out
	case $1 in
	ipvs) out=$(probe ip netns exec "${!d}" ipvsadm -Ln --stats --exact) || return 1
	      awk '$1 == "UDP" || $1 == "TCP" { print $4; exit }' <<<"$out" ;;
	nflb|base) out=$(probe ip netns exec "${!d}" lbctl list) || return 1
	      awk '$1 == "conns" { n += $4 } END { print n + 0 }' <<<"$out" ;;
	*) echo 0 ;;
	esac
}

# ---------------------------------------------------------------------------
# Test: packets per second by mode

test_pps() {
	local mode sys i k order=(plain ipvs nflb) n systems ns chain
	local -A ok sum

	say "pps: UDP, $FLOWS flows, modes $MODES, $PAIRS pairs of ${DUR}s runs"
	meta pps.flows "$FLOWS"
	nflb_unload
	for sys in "${order[@]}" gen; do
		chain_create "$sys"
		pg_setup "$sys" 0 10.0.1.2 10.0.1.2 10000 $((10000 + FLOWS - 1))
	done

	# What the generators can offer: the same packets, dropped at the
	# director's ingress.  The figures below mean something only well
	# under it.
	batch "$D_gen" tc "qdisc add dev d0 clsact" \
		"filter add dev d0 ingress pref 1 matchall action drop"
	rate gen pg "$PD_gen" d0
	echo "# generators: $OFFERED/s offered, $DROPPED/s of them refused by d0's full ring"
	result gen.offered client 1 "$OFFERED"
	chain_delete gen

	for mode in $MODES; do
		ok=([plain]=1 [idle]=1) sum=([ipvs]=0)
		# In NAT mode also "idle": plain forwarding with nflb loaded
		# and nothing configured in that namespace, what the module
		# costs the traffic that is not for it (defrag and its hook).
		systems=(plain ipvs nflb)
		[ "$mode" = nat ] && systems+=(idle)
		[ -n "$BASE_KO" ] && systems+=(base)
		ns=${#systems[@]}
		nflb_unload
		# IPVS is configured once per mode: its connections persist
		# from run to run (UDP timeout 300 s), as they would; but not
		# from one mode to the next (each keeps its own method).
		ipvs_fresh
		if sys_setup ipvs "$mode" ipvs udp "$VPORT"; then
			ok[ipvs]=1
		else
			na "pps.$mode" ipvs "ipvsadm refused the service"
		fi
		sys_setup plain "$mode" plain udp "$VPORT" || die "plain setup"
		for ((i = 1; i <= PAIRS; i++)); do
			for ((k = 0; k < ns; k++)); do
				sys=${systems[$(((i - 1 + k) % ns))]}
				chain=$sys
				case $sys in
				plain|ipvs) nflb_unload ;;
				idle) NFLB_AS=nflb; nflb_load; chain=plain ;;
				nflb|base)
					[ "${ok[$sys]-}" = no ] && continue
					# Loaded afresh (the others ran without
					# it): a new table each time.  base
					# shares nflb's chain.
					chain=nflb
					sys_setup "$sys" "$mode" nflb udp "$VPORT"
					case $? in
					0) ok[$sys]=1 ;;
					3) ok[$sys]=no
					   na "pps.$mode" "$sys" "mode $mode not supported yet"
					   continue ;;
					*) die "$sys: cannot set up mode $mode" ;;
					esac ;;
				esac
				[ "${ok[$sys]-}" = 1 ] || continue
				rate "$chain" pg
				echo "# pps.$mode $sys run $i: $PPS/s at the sink; $OFFERED/s offered, $DROPPED/s refused by the full ring"
				result "pps.$mode" "$sys" "$i" "$PPS"
				result "offered.$mode" "$sys" "$i" "$OFFERED"
				[ "$sys" = ipvs ] && sum[ipvs]=$((sum[ipvs] + PPS * DUR))
				# What reached the sink must have gone through
				# nflb, not around it (its count includes the
				# warm-up).
				if [ "$chain" = nflb ]; then
					n=$(sys_pkts "$sys" nflb) || die "$sys: cannot read its counters"
					[ "$n" -ge $((PPS * DUR * 9 / 10)) ] ||
						die "pps.$mode $sys: the sink saw ~$((PPS * DUR)) packets, it handled $n"
				fi
			done
		done
		if [ "${ok[ipvs]-}" = 1 ]; then
			# IPVS folds its per-CPU counters every 2 s.
			nap 2.5
			n=$(sys_pkts ipvs ipvs) || die "ipvs: cannot read its counters"
			[ "$n" -ge $((sum[ipvs] * 9 / 10)) ] ||
				die "pps.$mode ipvs: the sink saw ~${sum[ipvs]} packets, IPVS handled $n"
		fi
	done
	nflb_unload
	ipvs_unload
	for sys in "${order[@]}"; do chain_delete "$sys"; done
}

# ---------------------------------------------------------------------------
# Test: new connections per second

# Each run starts from an empty table, the other system's module unloaded.
# Both tables are sized for a million entries up front: IPVS's at 2^20
# buckets (ipvs_fresh), nflb's too (conn_hash_bits=20).  "grow" is nflb at
# its default, 2^16 buckets, which a full run outgrows: past 131,072
# entries the collector moves them to 2^18 while new ones keep coming.
newconn_run() {
	local sys=$1 kind=$2 i=$3 n proto port as=$1
	case $kind in
	tcp) proto=tcp port=80 ;;
	udp) proto=udp port=$VPORT ;;
	esac
	case $sys in
	ipvs) nflb_unload; ipvs_fresh ;;
	nflb|base) ipvs_unload; nflb_unload; NFLB_TEST_PARAMS="conn_hash_bits=20" ;;
	grow) ipvs_unload; nflb_unload; NFLB_TEST_PARAMS=""; as=nflb ;;
	esac
	sys_setup "$as" nat nc "$proto" "$port" || die "newconn: $sys setup"
	case $kind in
	tcp) rate nc syn ;;
	udp) rate nc pg ;;
	esac
	# The entries, counted by the slab they live in (the module was
	# loaded afresh): IPVS's own count of connections is refreshed every
	# 2 s only.
	case $sys in
	nflb|base|grow) slab nflb_conn ;;
	ipvs) slab ip_vs_conn ;;
	esac
	n=$OBJS
	echo "# newconn.$kind $sys run $i: $PPS new connections/s at the backend ($OFFERED/s offered, $DROPPED/s refused by the full ring); $n connection entries"
	[ "${n:-0}" -ge $((PPS * DUR * 9 / 10)) ] ||
		die "newconn.$kind $sys: $n entries for ~$((PPS * DUR)) packets delivered"
	result "newconn.$kind" "$sys" "$i" "$PPS"
	result "offered.newconn.$kind" "$sys" "$i" "$OFFERED"
}

test_newconn() {
	local i k order=(ipvs nflb grow) kind

	[ -n "$BASE_KO" ] && order+=(base)
	say "newconn: TCP SYNs (syngen) and UDP datagrams (pktgen) from random addresses and ports, each a new connection; $PAIRS pairs"
	syngen_build
	chain_create nc
	pg_setup nc 0 10.1.0.0 10.1.255.255 1024 65535 IPSRC_RND UDPSRC_RND
	for ((i = 1; i <= PAIRS; i++)); do
		for kind in $NEWCONN; do
			for ((k = 0; k < ${#order[@]}; k++)); do
				newconn_run "${order[$(((i - 1 + k) % ${#order[@]}))]}" "$kind" "$i"
			done
		done
	done
	chain_delete nc
	nflb_unload
	NFLB_TEST_PARAMS=""
	ipvs_unload
}

# ---------------------------------------------------------------------------
# Test: memory per connection, and pps with many connections

# slab CACHE: SLAB (bytes of the pages the cache holds) and OBJS (objects
# in use).  The VM boots with slab_nomerge, so the cache is its own.
slab() {
	local name rest f
	while read -r name rest; do
		[ "$name" = "$1" ] || continue
		read -r -a f <<<"$rest"
		OBJS=${f[0]} SLAB=$((f[13] * f[4] * 4096))
		return 0
	done </proc/slabinfo
	die "no slab cache $1 in /proc/slabinfo (boot with slab_nomerge)"
}

entries() {	# SYSTEM CHAIN: connection entries in the chain's director
	local d=D_$2
	case $1 in
	nflb) probe ip netns exec "${!d}" lbctl info | awk '$1 == "conns" { print $2 }' ;;
	ipvs) probe ip netns exec "${!d}" ipvsadm -Ln --stats --exact | awk '$1 == "UDP" { print $3; exit }' ;;
	esac
}

# fill CHAIN N SYSTEM CACHE: N UDP flows (N source addresses from
# 10.64.0.0 up) through the chain's director until the system holds 99% of
# them (its slab CACHE counts them as they come).  The NAPI thread may run
# on any CPU meanwhile.  Every datagram the full ring refuses costs another
# pass over all N, so the generators' rate follows the director's: every
# second, 20% less if the ring refused more than 1% of what was sent,
# else 10% more.
fill() {
	local chain=$1 n=$2 sys=$3 cache=$4 smax t0 o0 k pid have rate=4000
	local s0 d0 ds dd
	pid=PC_$chain
	smax=$(int2ip $(($(ip2int 10.64.0.0) + n - 1)))
	pg_setup "$chain" 0 10.64.0.0 "$smax" 5000 5000
	napi_pin "$chain" "$(((1 << NCPUS) - 1))"
	fill_rate "$chain" "$rate"
	slab "$cache"; o0=$OBJS
	now; t0=$NOW
	pg_cmd "$chain" start
	client_tx "${!pid}"; s0=$TXP d0=$TXD
	until slab "$cache"; [ $((OBJS - o0)) -ge $((n * 99 / 100)) ]; do
		nap 1
		client_tx "${!pid}"
		ds=$((TXP - s0)) dd=$((TXD - d0)) s0=$TXP d0=$TXD
		if [ $((dd * 100)) -gt "$ds" ]; then
			rate=$((rate * 8 / 10))
		else
			rate=$((rate * 11 / 10))
		fi
		[ "$rate" -ge 500 ] || rate=500
		fill_rate "$chain" "$rate" quiet
		now
		[ $((NOW - t0)) -lt 1800000000 ] ||
			die "fill: $((OBJS - o0)) entries of $n after 30 minutes"
	done
	pg_cmd "$chain" stop
	now
	have=$(entries "$sys" "$chain")
	echo "# fill: $have entries in $(((NOW - t0) / 1000000)) s, last at $rate/s"
	meta "fill.$sys.entries" "$have"
	meta "fill.$sys.seconds" $(((NOW - t0) / 1000000))
	napi_pin "$chain" "$((1 << DIR_CPU))"
}

fill_rate() {	# CHAIN RATE [quiet]: the generators' pace, RATE/s in all
	local pid=PC_$1 k
	for ((k = 0; k < NGEN; k++)); do
		pg_write "/proc/${!pid}/net/pktgen/c0@$k" "ratep $(($2 / NGEN))"
	done
	[ -n "${3:-}" ] || echo "#   pktgen c0@*: ratep $(($2 / NGEN)) each"
}

# cpu_busy: jiffies (USER_HZ) all CPUs spent busy since boot, in BUSY.
cpu_busy() {
	local cpu user nice system idle iowait rest
	read -r cpu user nice system idle iowait rest </proc/stat
	BUSY=$((user + nice + system)) REST=$rest
	read -r -a rest <<<"$REST"
	BUSY=$((BUSY + rest[0] + rest[1]))	# irq, softirq
}

# ip_in PID: IP InReceives of PID's namespace (/proc/net/snmp), in IPIN.
ip_in() {
	local tag f
	IPIN=0
	while read -r tag f; do
		[ "$tag" = Ip: ] || continue
		read -r -a f <<<"$f"
		[[ ${f[2]} =~ ^[0-9]+$ ]] && IPIN=${f[2]}
	done <"/proc/$1/net/snmp"
}

# dir_cpu: jiffies the director's CPU spent busy (DBUSY) and in all
# (DALL) since boot.
dir_cpu() {
	local cpu user nice system idle iowait irq softirq rest
	while read -r cpu user nice system idle iowait irq softirq rest; do
		[ "$cpu" = "cpu$DIR_CPU" ] || continue
		DBUSY=$((user + nice + system + irq + softirq))
		DALL=$((DBUSY + idle + iowait))
		return 0
	done </proc/stat
	die "no cpu$DIR_CPU in /proc/stat"
}

# idle_cpu SYSTEM: the CPU the machine spends, with no traffic, holding
# the entries just filled (the collectors and timers that look after
# them), in per mille of one CPU over 5 seconds.
idle_cpu() {
	local b0 t0
	nap 1
	cpu_busy; b0=$BUSY; now; t0=$NOW
	[ -n "${NFLB_BENCH_PROFILE:-}" ] && profile_start -a 5
	nap 5
	cpu_busy; now
	[ -n "${NFLB_BENCH_PROFILE:-}" ] && profile_report "all CPUs, idle with $1's entries"
	# USER_HZ is 100: a jiffy is 10 ms.
	echo "# $1: $(((BUSY - b0) * 10000 / ((NOW - t0) / 1000)))/1000 of a CPU busy with the entries and no traffic"
	result idle.cpu "$1" 1 $(((BUSY - b0) * 10000 / ((NOW - t0) / 1000)))
}

test_conns() {
	local i k sys order=(small big) s0 o0 d b

	say "conns: memory per connection at $BIG entries; pps at $BIG entries vs $FLOWS"
	meta conns.entries "$BIG"
	meta conns.ipvs_hash_bits 20
	nflb_unload
	ipvs_unload
	idle_cpu none

	# IPVS (loaded with conn_tab_bits=20): UDP entries live 300 s.
	ipvs_fresh
	chain_create mem
	sys_setup ipvs nat mem udp "$VPORT" || die "ipvs setup"
	meta conns.ipvs_entries "$BIG_IPVS"
	# Entries must outlive the fill.
	log ip netns exec "$D_mem" ipvsadm --set 0 0 3600 || die "ipvsadm --set"
	slab ip_vs_conn; s0=$SLAB o0=$OBJS
	fill mem "$BIG_IPVS" ipvs ip_vs_conn
	slab ip_vs_conn
	echo "# ip_vs_conn: $((SLAB - s0)) bytes of slab for $((OBJS - o0)) more objects"
	result mem.slab ipvs 1 $(((SLAB - s0) / (OBJS - o0)))
	# Plus its hash table: one pointer per bucket, 2^20 of them.
	result mem.total ipvs 1 $(((SLAB - s0 + 8 * (1 << 20)) / (OBJS - o0)))
	idle_cpu ipvs
	chain_delete mem
	ipvs_unload

	# nflb at its defaults: its table grows with the entries.
	nflb_load
	for sys in small big; do
		chain_create "$sys"
		sys_setup nflb nat "$sys" udp "$VPORT" || die "nflb setup"
		d=D_$sys
		log ip netns exec "${!d}" lbctl set-timeouts udp 3600 || die "lbctl set-timeouts"
	done
	slab nflb_conn; s0=$SLAB o0=$OBJS
	fill big "$BIG" nflb nflb_conn
	slab nflb_conn
	echo "# nflb_conn: $((SLAB - s0)) bytes of slab for $((OBJS - o0)) more objects"
	result mem.slab nflb 1 $(((SLAB - s0) / (OBJS - o0)))
	# Plus its two hash arrays ("in" and "out"), a pointer a bucket each,
	# as many buckets as they grew to.
	b=$(ip netns exec "$D_big" lbctl -j info |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["conn_buckets"])')
	echo "# nflb: $b hash buckets"
	meta conns.nflb_buckets "$b"
	result mem.total nflb 1 $(((SLAB - s0 + 16 * b) / (OBJS - o0)))
	idle_cpu nflb

	for sys in small big; do
		pg_setup "$sys" 0 10.0.1.2 10.0.1.2 10000 $((10000 + FLOWS - 1))
	done
	for ((i = 1; i <= PAIRS; i++)); do
		for ((k = 0; k < 2; k++)); do
			sys=${order[$(((i - 1 + k) % 2))]}
			rate "$sys" pg
			echo "# pps.conns $sys table ($(entries nflb "$sys") entries), run $i: $PPS/s at the sink; $OFFERED/s offered"
			result "pps.conns-$sys" nflb "$i" "$PPS"
		done
	done
	chain_delete small
	chain_delete big
	nflb_unload
}

# ---------------------------------------------------------------------------
# Test: control plane

test_control() {
	local i k sys order=(ipvs nflb) n lb ipv out=$NFLB_TEST_TMP/out
	lb=$NFLB_TEST_TMP/services.lbctl
	ipv=$NFLB_TEST_TMP/services.ipvsadm

	say "control: $SERVICES services x 4 backends: load, list, save, flush; $PAIRS pairs"
	meta control.services "$SERVICES"
	awk -v n="$SERVICES" 'BEGIN {
		for (i = 0; i < n; i++) {
			vip = sprintf("10.100.%d.%d:80", int(i / 250), i % 250 + 1)
			print "add-service tcp " vip " sched rr"
			for (j = 1; j <= 4; j++)
				print "add-backend tcp " vip " 10.200.0." j ":8080"
		}
	}' >"$lb"
	awk -v n="$SERVICES" 'BEGIN {
		for (i = 0; i < n; i++) {
			vip = sprintf("10.100.%d.%d:80", int(i / 250), i % 250 + 1)
			print "-A -t " vip " -s rr"
			for (j = 1; j <= 4; j++)
				print "-a -t " vip " -r 10.200.0." j ":8080 -m -w 1"
		}
	}' >"$ipv"
	echo "# $(wc -l <"$lb") lines for lbctl restore, as many for ipvsadm -R; first ones:"
	head -n 5 "$lb" | sed 's/^/#   /'
	head -n 5 "$ipv" | sed 's/^/#   /'
	nflb_load
	ipvs_fresh

	# timed FIGURE SYSTEM RUN CMD...: CMD in the namespace, its output to
	# a file; the seconds it took are the figure.  The clock runs inside
	# the namespace, around CMD alone: entering it (ip netns exec mounts
	# a /sys of its own, 0.1-0.2 s here) is not the tool's time.
	timed() {
		local fig=$1 sys=$2 run=$3 us
		shift 3
		local perf=()
		[ -n "${NFLB_BENCH_PROFILE:-}" ] &&
			perf=(perf record -q -a -e cpu-clock -F 997 -g -o "$NFLB_TEST_TMP/perf.data" --)
		# shellcheck disable=SC2016 # expanded by the inner shell
		us=$("${perf[@]}" ip netns exec "$CTL" bash -c \
			't0=${EPOCHREALTIME/./}; "$@" >"$0" || exit 1
			 echo $((${EPOCHREALTIME/./} - t0))' "$out" "$@") ||
			die "$fig $sys: $* failed"
		printf -v us '%d.%06d' $((us / 1000000)) $((us % 1000000))
		echo "# + ip netns exec $CTL $*: $us s, $(wc -l <"$out") lines out"
		result "$fig" "$sys" "$run" "$us"
		[ -n "${NFLB_BENCH_PROFILE:-}" ] && profile_report "$fig $sys ($*)"
	}
	for ((i = 1; i <= PAIRS; i++)); do
		for ((k = 0; k < 2; k++)); do
			sys=${order[$(((i - 1 + k) % 2))]}
			# A namespace of its own for each run: IPVS keeps the
			# destinations of deleted services in a per-namespace
			# trash that every later add searches (a restore after
			# a flush took 4 times as long).
			# (lo up: IPVS refuses destinations in a namespace
			# whose local routing table does not exist yet.)
			CTL=nflb-ctl-$sys-$i-$RANDOM
			log ip netns add "$CTL" && log ip -n "$CTL" link set lo up ||
				die "cannot create namespace $CTL"
			case $sys in
			nflb)
				timed ctl.load nflb "$i" lbctl restore "$lb"
				n=$(probe ip netns exec "$CTL" lbctl info | awk '$1 == "services" { print $2 }')
				[ "$n" = "$SERVICES" ] || die "lbctl restore: $n services, not $SERVICES"
				timed ctl.list nflb "$i" lbctl list
				timed ctl.save nflb "$i" lbctl save
				[ "$(grep -c . "$out")" -ge "$(wc -l <"$lb")" ] ||
					die "lbctl save: fewer lines than were restored"
				timed ctl.flush nflb "$i" lbctl flush ;;
			ipvs)
				timed ctl.load ipvs "$i" ipvsadm -R <"$ipv"
				n=$(probe ip netns exec "$CTL" ipvsadm -Ln | grep -c '^TCP')
				[ "$n" = "$SERVICES" ] || die "ipvsadm -R: $n services, not $SERVICES"
				# ipvsadm lists and saves with one dump of
				# destinations per service: minutes under TCG.
				# Once is enough to compare.
				if [ "$i" = 1 ]; then
					timed ctl.list ipvs "$i" ipvsadm -Ln
					timed ctl.save ipvs "$i" ipvsadm -Sn
				fi
				timed ctl.flush ipvs "$i" ipvsadm -C ;;
			esac
			log ip netns del "$CTL"
		done
	done
	nflb_unload
	ipvs_unload
}

# ---------------------------------------------------------------------------

[ "$(id -u)" = 0 ] || die "needs root (run it through selftests/vm-run)"
for cmd in ip tc ipvsadm lbctl taskset ethtool gcc; do
	command -v "$cmd" >/dev/null || die "$cmd is missing (selftests/deps.sh bench)"
done
if [ -n "${NFLB_BENCH_PROFILE:-}" ]; then
	command -v perf >/dev/null || die "NFLB_BENCH_PROFILE needs perf (apt-get install linux-perf)"
fi
for t in $TESTS; do
	case $t in
	pps|newconn|conns|control) ;;
	*) die "unknown test $t (pps newconn conns control)" ;;
	esac
done

meta kernel "$(uname -r)"
meta cpus "$(getconf _NPROCESSORS_ONLN)"
meta cpu_model "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
meta mem_mb $(($(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1024))
meta pairs "$PAIRS"
meta quick "$QUICK"
meta dur "$DUR"
meta nflb "$(modinfo -F version nflb)"
if [ -n "$BASE_KO" ]; then
	[ -f "$BASE_KO" ] || die "NFLB_BENCH_BASE: no file $BASE_KO"
	meta base "$BASE_KO, srcversion $(modinfo -F srcversion "$BASE_KO"), parameters \"$BASE_PARAMS\""
fi
meta ipvsadm "$(ipvsadm -v 2>&1 | head -n 1)"

# New namespaces inherit these (IPv4 always, IPv6 with
# devconf_inherit_init_net=1): forwarding, no reverse-path filter, no
# redirects, and no IPv6, whose chatter would reach the sinks.
log sysctl -qw net.core.devconf_inherit_init_net=1 net.ipv4.ip_forward=1 \
	net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
	net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0 \
	net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 ||
	die "sysctl"
for m in pktgen sch_ingress cls_matchall act_gact; do
	log modprobe "$m" || die "cannot load $m"
done

for t in $TESTS; do
	now; start=$NOW
	"test_$t"
	now
	echo "# test $t took $(((NOW - start) / 1000000)) s"
	meta "time.$t" $(((NOW - start) / 1000000))
done
say "done"
