#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lbmss.sh: the LBMSS xtables target (nflb.ko, libxt_LBMSS.so) end to end.
# Run it in the VM:  selftests/vm-run -- selftests/lbmss.sh [TEST...]
#
#  +----------------+      +-------------------------------+      +----------------+
#  | client (cl-*)  |      | router (rt-*)    forwarding   |      | server (sv-*)  |
#  | 10.1.0.1/24    c0----r0 10.1.0.2          10.2.0.1  r1----s0 10.2.0.2/24    |
#  | fd01::1/64     |      |    fd01::2          fd02::1    |      | fd02::2/64     |
#  | lbmss-tool.py  |      | {ip,ip6}tables{-legacy,-nft}  |      | AF_PACKET      |
#  |  raw SYNs ---------------> -t mangle FORWARD ... -------------> capture on s0 |
#  +----------------+      |  -j LBMSS | -j TCPMSS         |      | echo on 8080   |
#                          +-------------------------------+      +----------------+
#
# lbmss-tool.py crafts each SYN (its options from a table: real stacks'
# orders, SACK, timestamps, window scale, odd offsets, duplicates, EOL,
# malformed lists) in the client, sends it from a raw socket, captures it
# at the server and reads the MSS the server would use.  The differential
# tests send the whole table through TCPMSS, then through LBMSS with the
# same parameters, and compare (lbmss-tool.py compare): identical bytes
# where the table says so, the documented differences elsewhere.
#
# KTAP output; exit 0 pass, 1 fail, 4 skip.  Every test builds its own
# three namespaces and loses them at its end.

# The test functions are called by name (run_test); constants go unquoted.
# shellcheck disable=SC2086,SC2317

set -u

selftests_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$selftests_dir/lib.sh"

TOOL="python3 -S $selftests_dir/lbmss-tool.py"	# no site: faster under TCG
T=$NFLB_TEST_TMP
CEIL=1200

TESTS=(
	set_mss
	clamp_pmtu
	syn_ack
	ipv6
	malformed
	checkentry
	save_restore
	diff_legacy_ipv4
	diff_nft_ipv4
	diff_legacy_ipv6
	diff_nft_ipv6
	diff_pmtu
	module_ref
	leak_check
)

# --- Topology and helpers ------------------------------------------------------

# setup: the three namespaces above, in CL, RT and SV.
setup() {
	ns_create CL cl
	ns_create RT rt
	ns_create SV sv
	veth_pair "$CL" c0 "$RT" r0
	veth_pair "$RT" r1 "$SV" s0
	ip -n "$CL" addr add 10.1.0.1/24 dev c0
	ip -n "$CL" addr add fd01::1/64 dev c0 nodad
	ip -n "$RT" addr add 10.1.0.2/24 dev r0
	ip -n "$RT" addr add fd01::2/64 dev r0 nodad
	ip -n "$RT" addr add 10.2.0.1/24 dev r1
	ip -n "$RT" addr add fd02::1/64 dev r1 nodad
	ip -n "$SV" addr add 10.2.0.2/24 dev s0
	ip -n "$SV" addr add fd02::2/64 dev s0 nodad
	ip -n "$CL" route add default via 10.1.0.2
	ip -n "$CL" -6 route add default via fd01::2
	ip -n "$SV" route add default via 10.2.0.1
	ip -n "$SV" -6 route add default via fd02::1
	ns_exec "$RT" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	# Checksums computed in software, so that the real connections'
	# segments carry full checksums the receiver verifies.
	ns_exec "$CL" ethtool -K c0 tx off >/dev/null
	ns_exec "$SV" ethtool -K s0 tx off >/dev/null
}

# rt CMD...: CMD in the router.
rt() {
	ns_exec "$RT" "$@"
}

# counter NAME: LBMSS's counter NAME in the router (/proc/net/nflb_lbmss).
counter() {
	# shellcheck disable=SC2016 # awk's own $1, $2
	ns_exec "$RT" awk -v n="$1" '$1 == n { print $2 }' /proc/net/nflb_lbmss
}

# probe FAMILY [TOOL-OPTIONS] CASE...: the cases from the client to the
# server, captured on s0.
probe() {
	local family=$1 src=10.1.0.1 dst=10.2.0.2

	shift
	[ "$family" = 6 ] && src=fd01::1 dst=fd02::2
	$TOOL probe --send-ns "$CL" --recv-ns "$SV" --recv-if s0 \
		--family "$family" --src "$src" --dst "$dst" "$@"
}

# connect ADDR syn|synack: a real connection to the echo server, printing
# the captured SYN's or SYN-ACK's MSS as JSON.
connect() {
	if [ "$2" = syn ]; then
		$TOOL connect --send-ns "$CL" --recv-ns "$SV" --recv-if s0 \
			--dst "$1" --port 8080 --capture syn
	else
		$TOOL connect --send-ns "$CL" --recv-ns "$CL" --recv-if c0 \
			--dst "$1" --port 8080 --capture synack
	fi
}

# json_get JSON KEY
json_get() {
	python3 -S -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# Marks the kernel log, so that a test reads only its own messages.
dmesg_mark() {
	echo "lbmss.sh: $1" >/dev/kmsg
}

dmesg_since() {
	dmesg --notime | sed -n "/lbmss.sh: $1\$/,\$p"
}

# --- Tests ---------------------------------------------------------------------

# --set-mss lowers, inserts, leaves lower MSS alone; counted.
test_set_mss() {
	local lowered added kept

	setup
	rt iptables-legacy -t mangle -A FORWARD -p tcp --syn -j LBMSS --set-mss $CEIL
	lowered=$(counter lowered) added=$(counter added) kept=$(counter kept)
	probe 4 --ceiling $CEIL --expect lbmss mss1460 none mss1000 mss1200 \
		linux-order payload-mss
	assert_eq $((lowered + 3)) "$(counter lowered)" "lowered"
	assert_eq $((added + 1)) "$(counter added)" "added"
	assert_eq $((kept + 2)) "$(counter kept)" "kept"
	rt iptables-legacy -t mangle -L FORWARD -n | grep -q 'LBMSS set 1200'
}

# --clamp-mss-to-pmtu: the smaller MTU of the route out and the route back.
test_clamp_pmtu() {
	setup
	rt iptables-legacy -t mangle -A FORWARD -p tcp --syn -j LBMSS --clamp-mss-to-pmtu
	probe 4 --ceiling 1460 --expect lbmss mss9000 mss1460 mss1000
	rt ip route replace 10.2.0.0/24 dev r1 mtu 1300
	probe 4 --ceiling 1260 --expect lbmss mss1460 mss1200 none linux-order
	rt ip route replace 10.2.0.0/24 dev r1 mtu 1000
	probe 4 --ceiling 960 --sport-base 21000 --expect lbmss mss1460 mss9000 none
	# The route back to the client counts too.
	rt ip route replace 10.2.0.0/24 dev r1 mtu 1300
	rt ip route replace 10.1.0.0/24 dev r0 mtu 1100
	probe 4 --ceiling 1060 --sport-base 22000 --expect lbmss mss1460 mss9000 none
}

# SYN-ACKs are clamped too (a rule matching SYN whatever ACK says), both
# crafted and from a real connection in each direction.
test_syn_ack() {
	local out

	setup
	serve_echo "$SV" tcp 8080
	rt iptables-legacy -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN \
		-j LBMSS --set-mss $CEIL
	probe 4 --ceiling $CEIL --expect lbmss synack-mss synack-none
	out=$(connect 10.2.0.2 syn)
	echo "$out"
	assert_eq $CEIL "$(json_get "$out" mss_rx)" "client's SYN at the server"
	assert_eq True "$(json_get "$out" csum_ok)" "its checksum"
	out=$(connect 10.2.0.2 synack)
	echo "$out"
	assert_eq $CEIL "$(json_get "$out" mss_rx)" "server's SYN-ACK at the client"
	assert_eq True "$(json_get "$out" csum_ok)" "its checksum"
}

# IPv6: set-mss (inserting at most 1220), clamp-mss-to-pmtu (MTU - 60),
# a real connection.
test_ipv6() {
	local out

	setup
	serve_echo "$SV" tcp 8080
	rt ip6tables-legacy -t mangle -A FORWARD -p tcp --syn -j LBMSS --set-mss $CEIL
	probe 6 --ceiling $CEIL --expect lbmss mss1460 none none-sack-ts mss1000 \
		linux-order odd-nop
	rt ip6tables-legacy -t mangle -F FORWARD
	rt ip6tables-legacy -t mangle -A FORWARD -p tcp --syn -j LBMSS --clamp-mss-to-pmtu
	# A host route: the connected /64 has a metric a replace would not hit.
	rt ip -6 route add fd02::2/128 dev r1 mtu 1300
	probe 6 --ceiling 1240 --sport-base 21000 --expect lbmss mss1460 none mss1200
	rt ip -6 route replace fd02::2/128 dev r1 mtu 1500
	probe 6 --ceiling 1440 --sport-base 22000 --expect lbmss mss1460 none
	out=$(connect fd02::2 syn)
	echo "$out"
	assert_eq 1440 "$(json_get "$out" mss_rx)" "client's SYN at the server"
	assert_eq True "$(json_get "$out" csum_ok)" "its checksum"
}

# Malformed option lists are read up to the fault and treated as the list
# before it (an MSS option there lowered, or one inserted in front); the
# bytes from the fault on arrive as sent (lbmss-tool.py checks).  All are
# counted as malformed, and as lowered or added; with dynamic debug on,
# each is logged.
test_malformed() {
	local before lowered added n ctl=/sys/kernel/debug/dynamic_debug/control
	local n_lowered=$N_MALFORMED_LOWERED n_added=$N_MALFORMED_ADDED

	setup
	n=$N_MALFORMED
	[ -e "$ctl" ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || true
	if [ -w "$ctl" ]; then
		echo 'module nflb +p' >"$ctl"
		defer sh -c "echo 'module nflb -p' >$ctl"
	fi
	dmesg_mark malformed
	rt iptables-legacy -t mangle -A FORWARD -p tcp --syn -j LBMSS --set-mss $CEIL
	rt ip6tables-legacy -t mangle -A FORWARD -p tcp --syn -j LBMSS --set-mss $CEIL
	before=$(counter malformed)
	lowered=$(counter lowered)
	added=$(counter added)
	probe 4 --ceiling $CEIL --expect lbmss malformed
	assert_eq $((before + n)) "$(counter malformed)" "malformed (IPv4)"
	assert_eq $((lowered + n_lowered)) "$(counter lowered)" "lowered (IPv4)"
	assert_eq $((added + n_added)) "$(counter added)" "added (IPv4)"
	probe 6 --ceiling $CEIL --expect lbmss malformed
	assert_eq $((before + 2 * n)) "$(counter malformed)" "malformed (IPv4 and IPv6)"
	assert_eq $((lowered + 2 * n_lowered)) "$(counter lowered)" "lowered (IPv4 and IPv6)"
	assert_eq $((added + 2 * n_added)) "$(counter added)" "added (IPv4 and IPv6)"
	if [ -w "$ctl" ]; then
		busywait 2000 sh -c "dmesg --notime | grep -q 'nflb: LBMSS: malformed TCP options from fd01::1'"
		dmesg_since malformed | grep -c 'LBMSS: malformed TCP options from 10.1.0.1' |
			grep -qx "$n"
	else
		echo "no dynamic debug control here: messages not checked"
	fi
	cat /proc/net/nflb_lbmss >/dev/null	# the initial namespace has one too
}

# checkentry refuses misuse, and says why in the kernel log.
test_checkentry() {
	local log

	setup
	dmesg_mark checkentry
	# No -p tcp: x_tables itself refuses (the target is TCP-only).
	! rt iptables-legacy -t mangle -A FORWARD -j LBMSS --set-mss $CEIL || false
	# TCP, but no SYN test, or an inverted one.
	! rt iptables-legacy -t mangle -A FORWARD -p tcp -j LBMSS --set-mss $CEIL || false
	! rt iptables-legacy -t mangle -A FORWARD -p tcp ! --syn -j LBMSS --set-mss $CEIL || false
	! rt iptables-legacy -t mangle -A FORWARD -p tcp --tcp-flags SYN,ACK ACK \
		-j LBMSS --set-mss $CEIL || false
	! rt ip6tables-legacy -t mangle -A FORWARD -p tcp -j LBMSS --set-mss $CEIL || false
	# Path MTU where no route is known yet, directly or through a chain.
	! rt iptables-legacy -t mangle -A PREROUTING -p tcp --syn -j LBMSS \
		--clamp-mss-to-pmtu || false
	! rt iptables-nft -t mangle -A PREROUTING -p tcp --syn -j LBMSS \
		--clamp-mss-to-pmtu || false
	! rt ip6tables-legacy -t mangle -A INPUT -p tcp --syn -j LBMSS \
		--clamp-mss-to-pmtu || false
	rt iptables-legacy -t mangle -N clamp
	rt iptables-legacy -t mangle -A clamp -p tcp --syn -j LBMSS --clamp-mss-to-pmtu
	! rt iptables-legacy -t mangle -A PREROUTING -j clamp || false
	rt iptables-legacy -t mangle -A FORWARD -j clamp
	# What is allowed.
	rt iptables-legacy -t mangle -A POSTROUTING -p tcp --syn -j LBMSS --clamp-mss-to-pmtu
	rt iptables-legacy -t mangle -A OUTPUT -p tcp --tcp-flags SYN,ACK SYN,ACK \
		-j LBMSS --set-mss 1000
	rt iptables-legacy -t filter -A FORWARD -p tcp --syn -j LBMSS --set-mss 1000
	# nft rules test flags with their own expressions, invisible to the
	# target: accepted (non-SYNs are left alone by the target itself).
	rt iptables-nft -t mangle -A FORWARD -p tcp -j LBMSS --set-mss $CEIL

	log=$T/checkentry.log
	dmesg_since checkentry >"$log"
	cat "$log"
	grep -q 'LBMSS target: only valid for protocol 6' "$log"
	[ "$(grep -c 'nflb: LBMSS: only for TCP SYN segments: the rule needs -p tcp --syn' "$log")" -ge 4 ]
	[ "$(grep -c 'nflb: LBMSS: --clamp-mss-to-pmtu only in FORWARD, OUTPUT and POSTROUTING' "$log")" -ge 4 ]
}

# iptables-save output loads back with iptables-restore and saves the same,
# for each of the four front ends.
test_save_restore() {
	local ipt save

	setup
	for ipt in iptables-legacy iptables-nft ip6tables-legacy ip6tables-nft; do
		save=$ipt-save
		rt "$ipt" -t mangle -A FORWARD -p tcp --syn -j LBMSS --set-mss $CEIL
		rt "$ipt" -t mangle -A POSTROUTING -o r1 -p tcp --tcp-flags SYN,RST SYN \
			-j LBMSS --clamp-mss-to-pmtu
		rt "$ipt" -t mangle -A OUTPUT -p tcp --syn -j LBMSS --set-mss 65535
		# Without comments (dates) and counters (IPv6 has its own
		# traffic: router and neighbour solicitations).
		rt "$save" -t mangle | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]$/[-]/' >"$T/$ipt.1"
		cat "$T/$ipt.1"
		grep -qx -- '-A FORWARD -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j LBMSS --set-mss 1200' "$T/$ipt.1"
		grep -q -- '-j LBMSS --clamp-mss-to-pmtu$' "$T/$ipt.1"
		grep -q -- '-j LBMSS --set-mss 65535$' "$T/$ipt.1"
		rt "$ipt" -t mangle -F
		rt "$ipt-restore" <"$T/$ipt.1"
		rt "$save" -t mangle | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]$/[-]/' >"$T/$ipt.2"
		cmp "$T/$ipt.1" "$T/$ipt.2"
		rt "$ipt" -t mangle -L POSTROUTING -n | grep -q 'LBMSS clamp to PMTU'
		rt "$ipt" -t mangle -F
	done
}

# diff_run IPTABLES FAMILY CEILING TARGET-OPTIONS...: after setup, the
# whole table through TCPMSS, then LBMSS, with the same rule; compare.
# The same segments both times, ports included (nothing tracks them).
# LBMSS counts each malformed case once.
diff_run() {
	local ipt=$1 family=$2 ceiling=$3 target malformed

	shift 3
	for target in TCPMSS LBMSS; do
		malformed=$(counter malformed)
		rt "$ipt" -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j $target "$@"
		probe "$family" --ceiling "$ceiling" --out "$T/$target.json" all
		rt "$ipt" -t mangle -F FORWARD
	done
	$TOOL compare --family "$family" --ceiling "$ceiling" "$T/TCPMSS.json" "$T/LBMSS.json"
	assert_eq $((malformed + N_MALFORMED)) "$(counter malformed)" "malformed"
}

test_diff_legacy_ipv4() {
	setup
	diff_run iptables-legacy 4 $CEIL --set-mss $CEIL
}

test_diff_nft_ipv4() {
	setup
	diff_run iptables-nft 4 $CEIL --set-mss $CEIL
}

test_diff_legacy_ipv6() {
	setup
	diff_run ip6tables-legacy 6 $CEIL --set-mss $CEIL
}

test_diff_nft_ipv6() {
	setup
	diff_run ip6tables-nft 6 $CEIL --set-mss $CEIL
}

# Path MTU 1300 toward the server: both clamp to 1260.
test_diff_pmtu() {
	setup
	rt ip route replace 10.2.0.0/24 dev r1 mtu 1300
	diff_run iptables-legacy 4 1260 --clamp-mss-to-pmtu
}

# A rule using LBMSS holds nflb.ko; without rules it unloads, and its
# per-namespace counters go with it.
test_module_ref() {
	local refns

	ns_create refns ref
	ns_exec "$refns" iptables-legacy -t mangle -A FORWARD -p tcp --syn -j LBMSS --set-mss $CEIL
	! modprobe -r nflb 2>/dev/null || false
	ns_exec "$refns" iptables-legacy -t mangle -F
	# Namespaces of earlier tests may still be on their way out.
	slowwait 30 modprobe -r nflb
	[ ! -e /proc/net/nflb_lbmss ]
	modprobe nflb
	[ -e /proc/net/nflb_lbmss ]
}

# Last: every namespace the tests made is gone.
test_leak_check() {
	ns_leak_check
}

# --- Main ----------------------------------------------------------------------

main() {
	local name

	[ $# -gt 0 ] && TESTS=("$@")
	require_root
	require_cmd ip python3 ethtool iptables-legacy iptables-nft \
		ip6tables-legacy ip6tables-nft
	require_module nflb
	iptables-legacy -j LBMSS --help 2>/dev/null | grep -q -- --clamp-mss-to-pmtu ||
		skip "iptables finds no libxt_LBMSS.so (make; selftests/vm-run stages it)"
	# How many cases of the table are malformed (counted, untouched).
	N_MALFORMED=$($TOOL list --malformed | wc -l)
	# Of those, where LBMSS lowers the MSS before the fault, or adds one.
	N_MALFORMED_LOWERED=$($TOOL list --malformed --did lowered | wc -l)
	N_MALFORMED_ADDED=$($TOOL list --malformed --did added | wc -l)
	ktap_header "${#TESTS[@]}"
	for name in "${TESTS[@]}"; do
		run_test "$name" "test_$name"
	done
	ktap_finish
}

main "$@"
