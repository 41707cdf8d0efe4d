#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lbctl's command line without a kernel: help, usage errors (exit 2), bad
# values (exit 1) and, where the nflb module is not loaded, the hint to
# load it.  None of these requests reaches the kernel, so this runs on any
# host.  KTAP output; exit 0 pass, 1 fail.
#
#   tools/lbctl/tests/cli.sh [path/to/lbctl]

LBCTL=${1:-$(dirname "$0")/../lbctl}
n=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# expect EXIT STDERR-SUBSTRING -- ARGS...: runs lbctl ARGS, checks both.
expect() {
	want=$1 msg=$2
	shift 3
	n=$((n + 1))
	"$LBCTL" "$@" >"$out" 2>&1
	got=$?
	if [ "$got" = "$want" ] && grep -qF -- "$msg" "$out"; then
		echo "ok $n lbctl $*"
	else
		echo "not ok $n lbctl $* (exit $got, want $want; \"$msg\" expected)"
		sed 's/^/# /' "$out"
		failed=$((failed + 1))
	fi
}

echo "TAP version 13"
echo "1..35"
expect 0 "add-service" -- help
expect 0 "Usage: lbctl" -- -h
expect 0 "weight N" -- set-backend help
expect 0 "lbctl " -- -V
expect 2 'unknown command "frob"' -- frob
expect 2 'unknown option "-x"' -- -x list
expect 2 "Usage: lbctl" --
expect 2 "missing SERVICE" -- add-service
expect 2 'missing VIP:PORT after "tcp"' -- add-service tcp
expect 2 'unknown option "foo" for add-service' -- add-service tcp 10.0.0.1:80 foo 1
expect 2 'lbctl add-service help' -- add-service tcp 10.0.0.1:80 foo 1
expect 2 'missing value after "sched"' -- add-service tcp 10.0.0.1:80 sched
expect 2 'option "mode" given twice' -- set-service tcp 10.0.0.1:80 mode nat mode nat
expect 2 'missing backend' -- add-backend tcp 10.0.0.1:80
expect 2 'missing "weight N"' -- set-backend tcp 10.0.0.1:80 10.0.0.2
expect 2 'unknown option "weight" for del-backend' -- del-backend tcp 10.0.0.1:80 10.0.0.2 weight 1
expect 2 'at least one of' -- set-timeouts
expect 2 'unknown option "x" for flush' -- flush x
expect 1 'port 0 out of range' -- add-service tcp 10.0.0.1:0
expect 1 'invalid port "http"' -- add-service tcp 10.0.0.1:http
expect 1 'invalid address "10.0.0.256:80"' -- add-service tcp 10.0.0.256:80
expect 1 'write IPv6 as [ADDR]:PORT' -- add-service tcp 2001:db8::1:80
expect 1 'missing port' -- add-service udp 10.0.0.1
expect 1 'unknown protocol "sctp"' -- add-service sctp 10.0.0.1:80
expect 1 'unknown mode "fast"' -- add-service tcp 10.0.0.1:80 mode fast
expect 1 'weight 65536 out of range' -- add-backend tcp 10.0.0.1:80 10.0.0.2 weight 65536
expect 1 'invalid weight "-1"' -- add-backend tcp 10.0.0.1:80 10.0.0.2 weight -1
expect 1 'mss-clamp 50 out of range' -- add-service tcp 10.0.0.1:80 mss-clamp 50
expect 1 'udp timeout 0 out of range' -- set-timeouts udp 0
# restore reads and checks the whole input before it sends anything.
rf=$(mktemp)
printf '# a comment\n\nadd-service tcp 10.0.0.1:80 sched rr\nadd-backend tcp 10.0.0.1:80 10.0.0.2 wieght 2\n' >"$rf"
expect 2 'line 4: unknown option "wieght" for add-backend' -- restore "$rf"
printf 'add-service tcp [2001:db8::1]:443\nadd-backend tcp [2001:db8::1]:443 2001:db8::2\nlist\n' >"$rf"
expect 2 'line 3: "list" cannot be used in restore' -- restore "$rf"
printf 'add-service tcp [2001:db8::1]:443\nadd-backend tcp [2001:db8::1]:443 [2001:db8::2]:8443 weight 0\nset-timeouts tcp 60\n' >"$rf"
expect 1 'invalid port "443x"' -- add-service tcp '[2001:db8::1]:443x'
expect 1 'brackets are for IPv6' -- add-service tcp '[10.0.0.1]:80'
if "$LBCTL" info 2>&1 | grep -q "module is not loaded"; then
	expect 1 "the nflb module is not loaded (try: modprobe nflb)" -- list
	expect 1 "the nflb module is not loaded (try: modprobe nflb)" -- restore "$rf"
else
	for i in 1 2; do
		n=$((n + 1))
		echo "ok $n module-not-loaded hint # SKIP the nflb module is loaded"
	done
fi
rm -f "$rf"
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
