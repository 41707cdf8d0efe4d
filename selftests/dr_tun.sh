#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Modes dr and tun (ipip, gue), ICMP errors and path MTU, mss-clamp
# (issue 4).  Run in the VM:  selftests/vm-run -- selftests/dr_tun.sh [TEST...]
#
#  +-------------+      +---------------------------------+
#  | client cl-* |      | router rt-*      forwarding=1   |
#  | 10.0.1.2  c0------r0 10.0.1.1                        |
#  +-------------+      |  route 10.0.0.0/24 (VIPs) via   |     +-------------+
#                       |        the director 10.0.3.1    |     | b3-*        |
#                       |                     r3 10.0.4.254-----e0 10.0.4.13 |
#                       |  br0 10.0.3.254                 |     | (tun only:  |
#                       +---p0-----------p1--------p2-----+     | off-link)   |
#                           |            |         |            +-------------+
#              +------------d0---+  +----e0---+ +--e0-----+
#              | director lb-*   |  | b1-*    | | b2-*    |
#              | 10.0.3.1        |  |10.0.3.11| |10.0.3.12|
#              | default via     |  +---------+ +---------+
#              | 10.0.3.254      |
#              +-----------------+
#
# Backends: default route via the router, so that dr and tun replies go
# from them straight to the client; every VIP on lo, arp_ignore=1,
# arp_announce=2, rp_filter=0, tunl0 up (ipip), GUE on UDP $GUE_PORT (fou);
# dr_tun-tool.py serves TCP 80 and 8080 and UDP 53, answering with the
# backend's name.  Each test has VIPs of its own (10.0.0.100 and up), so
# that the client's path MTU cache starts clean in each.  The NAT tests
# route the backends' replies through the director for their duration.
#
# KTAP output; exit 0 pass, 1 fail, 4 skip.

# Addresses and ports go unquoted; jq filters splice them in on purpose.
# shellcheck disable=SC2086,SC2016

set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

TOOL="$here/dr_tun-tool.py"
T=$NFLB_TEST_TMP
GUE_PORT=7777
CLIENT=10.0.1.2
VIPS=$(echo 10.0.0.1{00..17})

# --- helpers ---------------------------------------------------------------

in_ns() {	# in_ns NS CMD...: run CMD in NS
	local ns=$1

	shift
	ip netns exec "$ns" "$@"
}

lb() {	# lb ARGS...: lbctl on the director
	ip netns exec "$LB" lbctl "$@"
}

# config LINE...: the director's configuration afresh, as restore input.
config() {
	printf '%s\n' flush "$@" >"$T/config"
	lb restore "$T/config"
}

# jcheck FILE EXPR: the jq expression over FILE must be true.
jcheck() {
	local r

	r=$(jq -c "$2" "$1") || return 1
	[ "$r" = true ] && return 0
	echo "not true: $2 (got $r) over $(head -c 1500 "$1")" >&2
	return 1
}

drops() {	# drops REASON
	lb -j info | jq ".drops.$1"
}

# sniff NS IFACE OUT: capture SYNs and ICMP errors on IFACE of NS into OUT
# (JSON lines) until the test ends.
sniff() {
	local pid

	rm -f "$3" "$3.ready"
	in_ns "$1" python3 "$TOOL" sniff "$2" "$3" --gue-port "$GUE_PORT" \
		</dev/null >>"$T/sniff.log" 2>&1 &
	pid=$!
	defer kill "$pid"
	busywait 30000 test -s "$3.ready"
}

# The MTU the client has learned for a destination, or "none".
client_mtu() {
	local r

	r=$(in_ns "$CL" ip route get "$1")
	echo "$r" >&2
	[[ $r =~ mtu\ ([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo none
}

lines_of() {	# lines_of FILE JQ-FILTER: how many JSON lines match
	jq -c "select($2)" "$1" | wc -l
}

# nat_routes: backends answer through the director (NAT) until the test
# ends.
nat_routes() {
	local b

	for b in "$B1" "$B2"; do
		in_ns "$b" ip route add 10.0.1.0/24 via 10.0.3.1
		defer in_ns "$b" ip route del 10.0.1.0/24 via 10.0.3.1
	done
}

# --- topology --------------------------------------------------------------

setup() {
	local i b ns vip

	ns_create CL cl && ns_create RT rt && ns_create LB lb &&
		ns_create B1 b1 && ns_create B2 b2 && ns_create B3 b3 || return 1
	log modprobe ipip || return 1
	log modprobe fou || return 1

	log veth_pair "$CL" c0 "$RT" r0 || return 1
	log ip -n "$CL" addr add $CLIENT/24 dev c0
	for i in 3 4 5; do
		log ip -n "$CL" addr add 10.0.1.$i/24 dev c0
	done
	log ip -n "$CL" route add default via 10.0.1.1
	log ip -n "$RT" addr add 10.0.1.1/24 dev r0
	log ip -n "$RT" link add br0 type bridge
	log ip -n "$RT" addr add 10.0.3.254/24 dev br0
	log ip -n "$RT" link set br0 up
	log ip -n "$RT" route add 10.0.0.0/24 via 10.0.3.1
	log ip netns exec "$RT" sysctl -qw net.ipv4.ip_forward=1

	log veth_pair "$LB" d0 "$RT" p0 || return 1
	log ip -n "$RT" link set p0 master br0
	log ip -n "$LB" addr add 10.0.3.1/24 dev d0
	log ip -n "$LB" route add default via 10.0.3.254
	log ip netns exec "$LB" sysctl -qw net.ipv4.ip_forward=1

	for i in 1 2 3; do
		ns=B$i
		b=${!ns}
		if [ $i = 3 ]; then
			log veth_pair "$b" e0 "$RT" r3 || return 1
			log ip -n "$RT" addr add 10.0.4.254/24 dev r3
			log ip -n "$b" addr add 10.0.4.13/24 dev e0
			log ip -n "$b" route add default via 10.0.4.254
		else
			log veth_pair "$b" e0 "$RT" p$i || return 1
			log ip -n "$RT" link set p$i master br0
			log ip -n "$b" addr add 10.0.3.1$i/24 dev e0
			log ip -n "$b" route add default via 10.0.3.254
		fi
		# The backend's side of dr and tun, as the README shows it.
		log ip netns exec "$b" sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
			net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 \
			net.ipv4.conf.tunl0.rp_filter=0
		for vip in $VIPS; do
			echo "addr add $vip/32 dev lo"
		done >"$T/vips"
		log ip -n "$b" -batch "$T/vips"
		log ip -n "$b" link set tunl0 up
		log ip -n "$b" fou add port $GUE_PORT gue
		in_ns "$b" python3 "$TOOL" serve b$i 80 </dev/null >>"$T/serve.log" 2>&1 &
		defer kill $!
		in_ns "$b" python3 "$TOOL" serve b$i 8080 </dev/null >>"$T/serve.log" 2>&1 &
		defer kill $!
		in_ns "$b" python3 "$TOOL" serve b$i 53 --udp </dev/null >>"$T/serve.log" 2>&1 &
		defer kill $!
	done
	for ns in "$B1" "$B2" "$B3"; do
		wait_port "$ns" tcp 80 60 && wait_port "$ns" tcp 8080 60 &&
			wait_port "$ns" udp 53 60 || { cat "$T/serve.log"; return 1; }
	done
	log modprobe nflb
}

# --- tests: forwarding -----------------------------------------------------

# rr over two backends, both used; a transfer compared; UDP answered from
# the VIP; the counters: exact for one UDP flow, no "out" packets at all
# (replies do not pass through the director); the entries, which see only
# the client's packets, end in FIN_WAIT and expire.
t_dr() {
	local vip=10.0.0.100 r

	config "add-service tcp $vip:80 sched rr mode dr" \
		"add-backend tcp $vip:80 10.0.3.11" \
		"add-backend tcp $vip:80 10.0.3.12" \
		"add-service udp $vip:53 sched rr mode dr" \
		"add-backend udp $vip:53 10.0.3.11" \
		"add-backend udp $vip:53 10.0.3.12"
	r=$(in_ns "$CL" python3 "$TOOL" names $vip 80 20)
	assert_eq '{"b1": 10, "b2": 10}' "$r" "answers per backend"
	head -c 1000000 /dev/urandom >"$T/in"
	in_ns "$CL" python3 "$TOOL" echo $vip 80 "$T/in" "$T/out"
	cmp "$T/in" "$T/out"
	r=$(in_ns "$CL" python3 "$TOOL" udp $vip 53 100 10 | sort | uniq -c)
	echo "udp answers: $r"
	[ "$(echo "$r" | wc -l)" = 1 ]
	lb -j list >"$T/list.json"
	jcheck "$T/list.json" '.[0].stats.conns == 21 and
		([.[0].backends[].stats.conns] | sort) == [10, 11] and
		.[0].stats.bytes_in > 1000000 and
		([.[].stats.pkts_out, .[].backends[].stats.pkts_out] | add) == 0'
	# Ten datagrams of 100 + 8 + 20 bytes, one flow, one backend.
	jcheck "$T/list.json" '.[1].stats == {"conns": 1, "pkts_in": 10,
		"bytes_in": 1280, "pkts_out": 0, "bytes_out": 0} and
		([.[1].backends[].stats.bytes_in] | sort) == [0, 1280]'
	# A datagram larger than the MTU: reassembled here, sent on in the
	# fragments it came in.
	in_ns "$CL" python3 "$TOOL" udp $vip 53 4000 1
	# Closed by the client: FIN_WAIT, expiring with "tcpfin" (120 s).
	lb conns
	lb -j conns | jq -e '[.[] | select(.proto == "tcp")] |
		length == 21 and all(.state == "FIN_WAIT" and .expires_ms <= 120000)'
	# And so they go: two more with "tcpfin" at 2 s are gone soon, the
	# others stay.
	lb set-timeouts tcpfin 2
	defer ip netns exec "$LB" lbctl set-timeouts tcpfin 120
	in_ns "$CL" python3 "$TOOL" names $vip 80 2
	lb -j list | jq -e '.[0].stats.conns == 23'
	slowwait 15 eval '[ "$(tcp_conns)" = 21 ]'
}

tcp_conns() {	# the director's TCP entries
	lb -j conns | jq '[.[] | select(.proto == "tcp")] | length'
}

# tun ipip to an on-link backend and to one behind the router; the outer
# header comes from the director's address toward the backend; transfers
# compared; exact counters for one UDP flow.
t_tun_ipip() {
	local vip=10.0.0.101 r

	config "add-service tcp $vip:80 sched rr mode tun" \
		"add-backend tcp $vip:80 10.0.3.11" \
		"add-backend tcp $vip:80 10.0.4.13" \
		"add-service udp $vip:53 sched rr mode tun tunnel ipip" \
		"add-backend udp $vip:53 10.0.4.13"
	sniff "$B3" e0 "$T/b3.json"
	r=$(in_ns "$CL" python3 "$TOOL" names $vip 80 10)
	assert_eq '{"b1": 5, "b3": 5}' "$r" "answers per backend"
	head -c 1000000 /dev/urandom >"$T/in"
	in_ns "$CL" python3 "$TOOL" echo $vip 80 "$T/in" "$T/out"
	cmp "$T/in" "$T/out"
	in_ns "$CL" python3 "$TOOL" udp $vip 53 100 10 >/dev/null
	# The SYNs b3 got: IPIP from 10.0.3.1, the client's packet inside.
	cat "$T/b3.json"
	[ "$(lines_of "$T/b3.json" '.kind == "syn" and .dst == "'$vip'" and
		.outer.src == "10.0.3.1" and .outer.dst == "10.0.4.13" and
		.outer.proto == 4')" -ge 5 ]
	lb -j list >"$T/list.json"
	jcheck "$T/list.json" '.[0].stats.conns == 11 and
		([.[0].backends[].stats.conns] | sort) == [5, 6] and
		([.[].stats.pkts_out] | add) == 0 and
		.[1].stats == {"conns": 1, "pkts_in": 10, "bytes_in": 1280,
			       "pkts_out": 0, "bytes_out": 0}'
}

# tun gue on a port of our own to two backends, received by a stock
# kernel (fou + tunl0).
t_tun_gue() {
	local vip=10.0.0.102 r

	config "add-service tcp $vip:80 sched rr mode tun tunnel gue gue-port $GUE_PORT" \
		"add-backend tcp $vip:80 10.0.3.11" \
		"add-backend tcp $vip:80 10.0.3.12" \
		"add-service udp $vip:53 mode tun tunnel gue gue-port $GUE_PORT" \
		"add-backend udp $vip:53 10.0.3.12"
	lb list
	sniff "$B2" e0 "$T/b2.json"
	r=$(in_ns "$CL" python3 "$TOOL" names $vip 80 10)
	assert_eq '{"b1": 5, "b2": 5}' "$r" "answers per backend"
	head -c 1000000 /dev/urandom >"$T/in"
	in_ns "$CL" python3 "$TOOL" echo $vip 80 "$T/in" "$T/out"
	cmp "$T/in" "$T/out"
	# A datagram larger than the MTU: reassembled here, encapsulated,
	# fragmented outside.
	assert_eq b2 "$(in_ns "$CL" python3 "$TOOL" udp $vip 53 4000 1)" \
		"the answer to a 4000-byte datagram"
	cat "$T/b2.json"
	# UDP to the GUE port, a GUE header (version 0, IPIP), from the
	# director.
	[ "$(lines_of "$T/b2.json" '.kind == "syn" and .dst == "'$vip'" and
		.outer.src == "10.0.3.1" and .outer.dst == "10.0.3.12" and
		.outer.proto == 17 and .outer.dport == '$GUE_PORT' and
		.outer.gue == "00040000"')" -ge 5 ]
	lb -j list >"$T/list.json"
	jcheck "$T/list.json" '.[0].mode == "tun" and .[0].tunnel == "gue" and
		.[0].gue_port == '$GUE_PORT' and .[0].stats.conns == 11 and
		([.[0].backends[].stats.conns] | sort) == [5, 6]'
}

# --- tests: MSS and path MTU ------------------------------------------------

# 20 MB each way through the tunnel, every link at MTU 1500.
# $1 VIP, $2 tunnel, $3 mss-clamp (auto, off), $4 the SYN MSS the backend
# must see, $5 the MTU the client must learn ("none": none).
big_tun() {
	local vip=$1 tunnel=$2 clamp=$3 mss=$4 mtu=$5 t0 a b n0 n1 gue=""

	[ "$tunnel" = gue ] && gue="gue-port $GUE_PORT"
	config "add-service tcp $vip:80 sched rr mode tun tunnel $tunnel $gue mss-clamp $clamp" \
		"add-backend tcp $vip:80 10.0.3.11"
	lb list
	sniff "$B1" e0 "$T/b1.json"
	[ -s "$T/big" ] || head -c 20000000 /dev/urandom >"$T/big"
	rm -f "$T/big.out"
	n0=$(drops too_big)
	t0=$(date +%s)
	in_ns "$CL" python3 "$TOOL" echo $vip 80 "$T/big" "$T/big.out" --timeout 30
	echo "20 MB each way in $(($(date +%s) - t0)) s"
	n1=$(drops too_big)
	a=$(sha256sum <"$T/big") b=$(sha256sum <"$T/big.out")
	echo "sent ${a%% *}"
	echo "got  ${b%% *}"
	[ "$a" = "$b" ]
	cat "$T/b1.json"
	# The client's SYN as the backend got it (inside the tunnel).
	jq -e -s --argjson mss "$mss" \
		'[.[] | select(.kind == "syn" and .dst == "'$vip'")][0].mss == $mss' \
		"$T/b1.json"
	echo "too_big drops: $n0 -> $n1"
	assert_eq "$mtu" "$(client_mtu $vip)" "MTU the client learned"
	if [ "$mtu" = none ]; then
		assert_eq "$n0" "$n1" "too_big drops"
	else
		[ "$n1" -gt "$n0" ]
	fi
}

# mss-clamp auto (tun's default): the client's SYN reaches the backend
# with MSS 1500 - 20 - 40.  The segments the client sends are sized by the
# backend's SYN-ACK, which never passes the director: the backend
# advertises the same (advmss on its route, as the README says), and then
# nothing needs "fragmentation needed": 20 MB go without a drop.
t_mss_auto() {
	in_ns "$B1" ip route change default via 10.0.3.254 advmss 1440
	defer in_ns "$B1" ip route change default via 10.0.3.254
	big_tun 10.0.0.103 ipip auto 1440 none
}

# The clamp for GUE: 1500 - 32 - 40.
t_mss_auto_gue() {
	local vip=10.0.0.104

	config "add-service tcp $vip:80 mode tun tunnel gue gue-port $GUE_PORT" \
		"add-backend tcp $vip:80 10.0.3.11"
	lb -j list >"$T/list.json"
	jcheck "$T/list.json" '.[0].mss_clamp == "auto"'
	sniff "$B1" e0 "$T/b1.json"
	in_ns "$CL" python3 "$TOOL" names $vip 80 1
	cat "$T/b1.json"
	jq -e -s '[.[] | select(.kind == "syn")][0] |
		.mss == 1428 and .outer.dport == '$GUE_PORT "$T/b1.json"
}

# No clamp, DF set (Linux TCP's default): the director answers the
# client's 1500-byte packets with "fragmentation needed", MTU 1480 (ipip)
# or 1468 (gue), GSO aggregates included; the transfer completes by path
# MTU discovery.
t_pmtu_ipip() { big_tun 10.0.0.105 ipip off 1460 1480; }
t_pmtu_gue() { big_tun 10.0.0.106 gue off 1460 1468; }

# A router between the director and the backend has a smaller MTU (1400):
# it answers the director's IPIP packets with "fragmentation needed"; the
# director lowers its path MTU toward the backend, and the client learns
# 1400 - 20.
t_pmtu_router() {
	local vip=10.0.0.107

	in_ns "$RT" ip link set r3 mtu 1400
	defer in_ns "$RT" ip link set r3 mtu 1500
	in_ns "$B3" ip link set e0 mtu 1400
	defer in_ns "$B3" ip link set e0 mtu 1500
	config "add-service tcp $vip:80 mode tun mss-clamp off" \
		"add-backend tcp $vip:80 10.0.4.13"
	head -c 2000000 /dev/urandom >"$T/in"
	in_ns "$CL" python3 "$TOOL" echo $vip 80 "$T/in" "$T/out" --timeout 30
	cmp "$T/in" "$T/out"
	in_ns "$LB" ip route get 10.0.4.13
	assert_eq 1380 "$(client_mtu $vip)" "MTU the client learned"
}

# NAT, with the director's route toward the backend at MTU 1400 (a route
# metric; every link is at 1500): the director sends the client's
# requests itself, and answers its 1500-byte DF packets with
# "fragmentation needed" quoting them as the client sent them, to the
# VIP.  The client learns 1400 for the VIP (a quote of the rewritten
# packet, to the backend, would match no socket of the client's: a black
# hole) and the transfer completes.
t_pmtu_nat() {
	local vip=10.0.0.116 n0 n1

	nat_routes
	in_ns "$LB" ip route add 10.0.3.11/32 dev d0 mtu 1400
	defer in_ns "$LB" ip route del 10.0.3.11/32 dev d0 mtu 1400
	config "add-service tcp $vip:80 mode nat" \
		"add-backend tcp $vip:80 10.0.3.11:8080"
	n0=$(drops too_big)
	head -c 2000000 /dev/urandom >"$T/in"
	in_ns "$CL" python3 "$TOOL" echo $vip 80 "$T/in" "$T/out" --timeout 30
	cmp "$T/in" "$T/out"
	n1=$(drops too_big)
	echo "too_big drops: $n0 -> $n1"
	[ "$n1" -gt "$n0" ]
	assert_eq 1400 "$(client_mtu $vip)" "MTU the client learned"
}

# --- tests: ICMP -----------------------------------------------------------

# The client's side of the router has MTU 1400; the backend sends 1500-byte
# packets; the router's "fragmentation needed", addressed to the VIP, must
# reach the backend.  $1 VIP, $2 mode, $3 backend address:port, $4 the
# client's address (one per test: the backend remembers the path MTU
# toward each), $5 jq test of what the backend captured.
icmp_frag() {
	local vip=$1 mode=$2 be=$3 src=$4 want=$5

	in_ns "$RT" ip link set r0 mtu 1400
	defer in_ns "$RT" ip link set r0 mtu 1500
	config "add-service tcp $vip:80 sched rr mode $mode" \
		"add-backend tcp $vip:80 $be"
	sniff "$B1" e0 "$T/b1.json"
	in_ns "$CL" python3 "$TOOL" fetch $vip 80 2000000 --src "$src"
	cat "$T/b1.json"
	[ "$(lines_of "$T/b1.json" "$want")" -ge 1 ]
}

# NAT: the quoted reply comes back rewritten, from the VIP to the backend's
# own address and port.
t_icmp_nat() {
	nat_routes
	icmp_frag 10.0.0.108 nat 10.0.3.11:8080 10.0.1.3 '.kind == "icmp" and
		.type == 3 and .code == 4 and .mtu == 1400 and
		.dst == "10.0.3.11" and .q_src == "10.0.3.11" and
		.q_sport == 8080 and .q_dst == "10.0.1.3" and .q_proto == 6'
}

# dr: forwarded as it is (to the VIP), to the backend's MAC address.
t_icmp_dr() {
	icmp_frag 10.0.0.109 dr 10.0.3.11 10.0.1.4 '.kind == "icmp" and
		.type == 3 and .code == 4 and .mtu == 1400 and
		.dst == "10.0.0.109" and .q_src == "10.0.0.109" and
		.q_sport == 80 and .q_dst == "10.0.1.4" and (has("outer") | not)'
}

# tun: forwarded as it is, inside the tunnel.
t_icmp_tun() {
	icmp_frag 10.0.0.110 tun 10.0.3.11 10.0.1.5 '.kind == "icmp" and
		.type == 3 and .code == 4 and .mtu == 1400 and
		.dst == "10.0.0.110" and .q_src == "10.0.0.110" and
		.q_sport == 80 and .q_dst == "10.0.1.5" and
		.outer.src == "10.0.3.1" and .outer.proto == 4'
}

# No connection entry (it expired while the backend kept sending, or the
# director restarted): with sh, the backend that sh picks for the quoted
# flow reversed gets the error.  The router sends one about a flow the
# director has no entry for: it must reach the backend the client's
# connections go to, and only that one.
t_icmp_sh() {
	local vip=10.0.0.111 r be other

	config "add-service tcp $vip:80 sched sh mode dr" \
		"add-backend tcp $vip:80 10.0.3.11" \
		"add-backend tcp $vip:80 10.0.3.12"
	r=$(in_ns "$CL" python3 "$TOOL" names $vip 80 3)
	echo "the client's backend: $r"
	be=$(echo "$r" | jq -r 'keys[0]')
	[ "$(echo "$r" | jq -r '.[keys[0]]')" = 3 ]
	if [ "$be" = b1 ]; then other=b2; else other=b1; fi
	sniff "$B1" e0 "$T/b1.json"
	sniff "$B2" e0 "$T/b2.json"
	lb -j conns | jq -e 'all(.[]; .client_port != 45678)'
	in_ns "$RT" python3 "$TOOL" icmp-frag $vip $vip 80 $CLIENT 45678 1300
	slowwait 20 test -s "$T/$be.json"
	cat "$T/$be.json"
	jq -e -s 'length == 1 and .[0].kind == "icmp" and .[0].mtu == 1300 and
		.[0].q_dport == 45678 and .[0].dst == "'$vip'"' "$T/$be.json"
	assert_eq 0 "$(wc -l <"$T/$other.json")" "errors at the other backend"
}

# The fast path: a known connection's requests leave from the director's
# ingress, past IP's receive path (hooks.c, nflb_hook_ingress()), so they
# are not in its IP counters (InReceives); only what went the long way is.
# It must carry every mode (payloads and transfers compared), and must
# step aside when a rule is hooked where it would skip one (the rule then
# counts every packet), and when switched off (fastpath=0).
in_receives() {	# the director's IP InReceives
	in_ns "$LB" awk '$1 == "Ip:" && $4 ~ /^[0-9]+$/ { print $4 }' /proc/net/snmp
}

svc_pkts() {	# svc_pkts N in|out: packets of the Nth service listed
	lb -j list | jq ".[$1].stats.pkts_$2"
}

# udp50 WHAT PORT BACKEND: 50 datagrams of one new flow to the service on
# PORT, each answered by BACKEND with its payload; sets DELTA
# (InReceives).  The backends answer through the director here
# (nat_routes): 50 of DELTA are the answers, in every mode.
udp50() {
	local n0 r

	n0=$(in_receives)
	r=$(in_ns "$CL" python3 "$TOOL" udp 10.0.0.117 $2 200 50 | sort | uniq -c)
	DELTA=$(($(in_receives) - n0))
	echo "$1: answers $(echo $r); InReceives +$DELTA"
	[ "$(echo $r)" = "50 $3" ]
}

t_fastpath() {
	local vip=10.0.0.117 n0 in0 in cfg

	require_cmd iptables
	cfg=/boot/config-$(uname -r)
	# Hooks at a device's ingress need it (Debian's kernel has it).
	if [ -r "$cfg" ] && ! grep -q '^CONFIG_NETFILTER_INGRESS=y' "$cfg"; then
		skip "the kernel has no CONFIG_NETFILTER_INGRESS"
	fi
	nat_routes
	config "add-service udp $vip:53 mode dr" \
		"add-backend udp $vip:53 10.0.3.11" \
		"add-service tcp $vip:80 mode tun" \
		"add-backend tcp $vip:80 10.0.4.13" \
		"add-service udp $vip:5353" \
		"add-backend udp $vip:5353 10.0.3.12:53" \
		"add-service tcp $vip:8080" \
		"add-backend tcp $vip:8080 10.0.3.12:8080"
	lb list
	# dr and nat: the first datagram makes the entry at PRE_ROUTING, the
	# other 49 go from the ingress.
	udp50 dr 53 b1
	[ "$DELTA" -lt 60 ]
	udp50 nat 5353 b2
	[ "$DELTA" -lt 60 ]
	# tun (ipip, to b3 behind the router, which answers the client
	# straight): a megabyte each way; the client's segments and ACKs
	# (hundreds of packets) all from the ingress, but the SYN.
	head -c 1000000 /dev/urandom >"$T/in"
	n0=$(in_receives) in0=$(svc_pkts 1 in)
	in_ns "$CL" python3 "$TOOL" echo $vip 80 "$T/in" "$T/out"
	cmp "$T/in" "$T/out"
	in=$(($(svc_pkts 1 in) - in0))
	echo "tun: $in requests; InReceives +$(($(in_receives) - n0))"
	[ "$in" -gt 500 ] && [ $(($(in_receives) - n0)) -lt 20 ]
	# nat, TCP: a megabyte each way, GSO packets included.
	in_ns "$CL" python3 "$TOOL" echo $vip 8080 "$T/in" "$T/out"
	cmp "$T/in" "$T/out"
	# New connections too: 30 to tun, SYNs included, none of their
	# packets through IP's receive path (the long way: 30 SYNs at least).
	n0=$(in_receives)
	in_ns "$CL" python3 "$TOOL" names $vip 80 30 | tee "$T/names"
	[ "$(cat "$T/names")" = '{"b3": 30}' ]
	echo "tun, 30 new connections: InReceives +$(($(in_receives) - n0))"
	[ $(($(in_receives) - n0)) -lt 10 ]
	lb -j list | jq -e '.[1].stats.conns == 31'

	# Switched off: every datagram the long way.
	echo N >/sys/module/nflb/parameters/fastpath
	defer eval 'echo Y >/sys/module/nflb/parameters/fastpath'
	udp50 "dr, fastpath=0" 53 b1
	[ "$DELTA" -ge 100 ]
	echo Y >/sys/module/nflb/parameters/fastpath
	udp50 "dr, fastpath=1" 53 b1
	[ "$DELTA" -lt 60 ]
	# A rule at FORWARD (dr requests are forwarded packets): it sees all
	# 50.  (iptables-nft keeps the chain, and its hook, after the rule
	# goes: the tests after this one take the long way.)
	in_ns "$LB" iptables -A FORWARD -p udp --dport 53 -j ACCEPT
	defer in_ns "$LB" iptables -D FORWARD -p udp --dport 53 -j ACCEPT
	udp50 "dr, a FORWARD rule" 53 b1
	[ "$DELTA" -ge 100 ]
	in_ns "$LB" iptables -vxnL FORWARD
	in_ns "$LB" iptables -vxnL FORWARD | awk '/dpt:53/ { exit $1 != 50 }'
}

# With conntrack loaded in the director and in use (INVALID dropped, as
# firewalls do, OUTPUT included): the packets nflb sends itself are
# untracked and pass, and so do the "fragmentation needed" it sends the
# client about them, which conntrack could not relate to any connection.
t_conntrack() {
	local vip chain n0

	require_cmd iptables
	modprobe nf_conntrack
	for chain in INPUT FORWARD OUTPUT; do
		in_ns "$LB" iptables -A $chain -m conntrack --ctstate INVALID -j DROP
		defer in_ns "$LB" iptables -D $chain -m conntrack --ctstate INVALID -j DROP
	done
	in_ns "$LB" iptables -A OUTPUT -m conntrack --ctstate UNTRACKED -j ACCEPT
	defer in_ns "$LB" iptables -D OUTPUT -m conntrack --ctstate UNTRACKED -j ACCEPT
	n0=$(drops too_big)
	config "add-service tcp 10.0.0.113:80 mode dr" \
		"add-backend tcp 10.0.0.113:80 10.0.3.11" \
		"add-service tcp 10.0.0.114:80 mode tun" \
		"add-backend tcp 10.0.0.114:80 10.0.3.12" \
		"add-service tcp 10.0.0.115:80 mode tun tunnel gue gue-port $GUE_PORT" \
		"add-backend tcp 10.0.0.115:80 10.0.3.11"
	head -c 1000000 /dev/urandom >"$T/in"
	for vip in 10.0.0.113 10.0.0.114 10.0.0.115; do
		in_ns "$CL" python3 "$TOOL" echo $vip 80 "$T/in" "$T/out"
		cmp "$T/in" "$T/out"
	done
	# What went out was untracked, "fragmentation needed" included.
	in_ns "$LB" iptables -vnL OUTPUT
	in_ns "$LB" iptables -vnL OUTPUT | awk '/INVALID/ { exit $1 != 0 }'
	in_ns "$LB" iptables -vnL OUTPUT | awk '/UNTRACKED/ { exit $1 < 100 }'
	echo "too_big drops: $n0 -> $(drops too_big)"
	[ "$(drops too_big)" -gt "$n0" ]
}

# --- tests: control --------------------------------------------------------

# What the backends of dr and tun must be, refused with lbctl's message.
t_refused() {
	local vip=10.0.0.112

	config "add-service tcp $vip:80 mode dr" \
		"add-service tcp $vip:81 mode tun" \
		"add-service tcp $vip:82" \
		"add-backend tcp $vip:82 10.0.3.11:8080"
	! lb add-backend tcp $vip:80 10.0.4.13 2>"$T/err" || false
	cat "$T/err"
	grep -qx "lbctl: backend not on-link (routed through a gateway): mode dr needs it on a directly connected network" "$T/err"
	! lb add-backend tcp $vip:80 10.0.3.11:8080 2>"$T/err" || false
	cat "$T/err"
	grep -qx "lbctl: in modes dr and tun a backend's port must be the service's port" "$T/err"
	! lb add-backend tcp $vip:81 10.0.4.13:8080 2>"$T/err" || false
	grep -qx "lbctl: in modes dr and tun a backend's port must be the service's port" "$T/err"
	! lb set-service tcp $vip:82 mode dr 2>"$T/err" || false
	cat "$T/err"
	grep -qx "lbctl: in modes dr and tun a backend's port must be the service's port" "$T/err"
	# Accepted: on-link for dr, anywhere for tun.
	lb add-backend tcp $vip:80 10.0.3.12
	lb add-backend tcp $vip:81 10.0.4.13
	lb -j list >"$T/list.json"
	jcheck "$T/list.json" '[.[] | [.mode, (.backends | length)]] ==
		[["dr", 1], ["tun", 1], ["nat", 1]]'
}

t_leak() {
	lb flush
	rmmod nflb
	! grep -q '^nflb ' /proc/modules
}

# --- main ------------------------------------------------------------------

tests=(t_dr t_tun_ipip t_tun_gue t_mss_auto t_mss_auto_gue t_pmtu_ipip
	t_pmtu_gue t_pmtu_router t_pmtu_nat t_icmp_nat t_icmp_dr t_icmp_tun t_icmp_sh
	t_fastpath t_conntrack t_refused)
[ $# -gt 0 ] && tests=("$@")

require_root
require_cmd ip jq python3 sha256sum
modinfo nflb >/dev/null 2>&1 || skip "nflb.ko is not installed (run in selftests/vm-run)"
modprobe -q ipip && modprobe -q fou || skip "no ipip or fou module"

ktap_header $((${#tests[@]} + 1))
if ! setup >"$T/setup.log" 2>&1; then
	sed 's/^/# /' "$T/setup.log"
	echo "Bail out! topology setup failed"
	exit 1
fi
sed 's/^/# /' "$T/setup.log"
for t in "${tests[@]}"; do
	run_test "${t#t_}" "$t"
done
run_test leak t_leak
ktap_finish
