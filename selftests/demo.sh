#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: a client, a director and three backends, each in its own
# network namespace inside a VM; one NAT service balances them.
#
#   client                director                       backends
#  +-------------+      +-------------------------+      +----------------+
#  | 10.0.1.2    |------| 10.0.1.1                |------| b1 10.0.21.2:80 |
#  |             | veth |  VIP 10.0.0.100:80 (wrr) |------| b2 10.0.22.2:80 |
#  +-------------+      |  nflb + lbctl           |------| b3 10.0.23.2:80 |
#                       +-------------------------+      +----------------+
#
# Each backend answers every connection with its own name; the client makes
# REQUESTS connections to the VIP and the demo counts who answered.
set -eu
cd "$(dirname "$0")/.."

REQUESTS=${REQUESTS:-12}

if [ "${1:-}" != --in-vm ]; then
	selftests/deps.sh build vm test
	exec selftests/vm-run -- selftests/demo.sh --in-vm
fi

sfx=$(mktemp -u XXXXXX)
C=demo-client-$sfx D=demo-director-$sfx
B=(demo-b1-$sfx demo-b2-$sfx demo-b3-$sfx)

cleanup() {
	for ns in "$C" "$D" "${B[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }
run() { echo "\$ $*"; "$@"; }

say "topology"
for ns in "$C" "$D" "${B[@]}"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip -n "$D" link add c0 type veth peer name eth0 netns "$C"
ip -n "$D" addr add 10.0.1.1/24 dev c0
ip -n "$D" link set c0 up
ip -n "$C" addr add 10.0.1.2/24 dev eth0
ip -n "$C" link set eth0 up
ip -n "$C" route add default via 10.0.1.1
for i in 1 2 3; do
	ns=${B[$((i - 1))]}
	ip -n "$D" link add "b$i" type veth peer name eth0 netns "$ns"
	ip -n "$D" addr add "10.0.2$i.1/24" dev "b$i"
	ip -n "$D" link set "b$i" up
	ip -n "$ns" addr add "10.0.2$i.2/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "10.0.2$i.1"
	ip netns exec "$ns" socat TCP-LISTEN:80,fork,reuseaddr \
		SYSTEM:"echo b$i" </dev/null >/dev/null 2>&1 &
done
ip netns exec "$D" sysctl -qw net.ipv4.ip_forward=1
echo "client $C, director $D, backends ${B[*]}"

# Wait until every backend listens.
for ns in "${B[@]}"; do
	for _ in $(seq 100); do
		ip netns exec "$ns" ss -Hltn 'sport = :80' | grep -q . && break
		sleep 0.1
	done
done

say "configure the director with lbctl"
run modprobe nflb
lb() { run ip netns exec "$D" lbctl "$@"; }
lb add-service tcp 10.0.0.100:80 sched wrr
lb add-backend tcp 10.0.0.100:80 10.0.21.2 weight 1
lb add-backend tcp 10.0.0.100:80 10.0.22.2 weight 1
lb add-backend tcp 10.0.0.100:80 10.0.23.2 weight 2
lb list

say "$REQUESTS requests from the client to 10.0.0.100:80"
declare -A count
for n in $(seq "$REQUESTS"); do
	who=$(ip netns exec "$C" socat -T 5 - TCP:10.0.0.100:80,connect-timeout=5 \
		</dev/null 2>/dev/null || echo "no answer")
	printf 'request %2d answered by %s\n' "$n" "$who"
	count[$who]=$((${count[$who]:-0} + 1))
done

say "answers per backend (weights 1:1:2)"
for who in "${!count[@]}"; do
	printf '%-10s %d\n' "$who" "${count[$who]}"
done | sort

say "counters"
lb list
lb info
[ -z "${count[no answer]:-}" ]
