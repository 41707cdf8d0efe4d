#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lib-selftest.sh: check selftests/lib.sh itself.  Each case writes a small
# test script that sources lib.sh, runs it and compares its exit status and
# KTAP lines with what they must be.  Needs root for the namespace cases
# (they run on the host if it allows network namespaces, else use
# "selftests/vm-run -- selftests/lib-selftest.sh").
#
#   pass        all tests pass                  -> exit 0
#   fail        one fails, the rest still run   -> exit 1, "not ok 2"
#   skip-some   one skips, one passes           -> exit 0, "# SKIP"
#   skip-all    every test skips                -> exit 4
#   skip-file   require_cmd at top level        -> exit 4, "1..0 # SKIP"
#   errexit     a failing command mid-function  -> fail, later lines not run
#   plan        fewer tests than planned        -> exit 1
#   netns       ns_create, veth, serve_id, client, defer, leak check
#
# The topology of the netns case:
#
#   +-------------------+   veth    +--------------------+
#   | nflb-a-XXXXXX     |           | nflb-b-XXXXXX      |
#   | va 192.0.2.1/24   |-----------| vb 192.0.2.2/24    |
#   | client            |           | serve_id :8080     |
#   +-------------------+           | serve_echo udp:53  |
#                                   +--------------------+

dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/lib.sh"

# check NAME WANT_STATUS REGEX... : run the script on stdin through bash and
# check its status and that each REGEX matches some line of its output.
check() {
	# The inner script's output is shown once, indented; the checks on it
	# need no tracing of their own.
	{ local -; set +x; } 2>/dev/null
	local name=$1 want=$2 script=$NFLB_TEST_TMP/$1.sh out status=0 re
	shift 2
	{ echo ". $(printf %q "$dir/lib.sh")"; cat; } >"$script"
	out=$(bash "$script" 2>&1) || status=$?
	echo "$out" | sed 's/^/  | /'
	assert_eq "$want" "$status" "exit status of $name"
	for re in "$@"; do
		echo "$out" | grep -Eq -- "$re" || {
			echo "no line matches /$re/" >&2
			return 1
		}
	done
}

case_pass() {
	check pass 0 '^TAP version 13$' '^1\.\.2$' '^ok 1 one$' '^ok 2 two$' \
		'^# Totals: pass:2 fail:0 skip:0$' <<-'EOF'
	ktap_header 2
	one() { true; }
	run_test one one
	run_test two true
	ktap_finish
	EOF
}

case_fail() {
	check fail 1 '^ok 1 one$' '^not ok 2 two$' '^ok 3 three$' \
		'^# FAILED \(status 1\): false' <<-'EOF'
	ktap_header 3
	run_test one true
	two() { false; }
	run_test two two
	run_test three true
	ktap_finish
	EOF
}

case_skip_some() {
	check skip-some 0 '^ok 1 one # SKIP not today$' '^ok 2 two$' <<-'EOF'
	ktap_header 2
	one() { skip "not today"; }
	run_test one one
	run_test two true
	ktap_finish
	EOF
}

case_skip_all() {
	check skip-all 4 '^ok 1 one # SKIP no-such-command-xyz is not installed$' \
		'^ok 2 two # SKIP needs' <<-'EOF'
	ktap_header 2
	one() { require_cmd no-such-command-xyz; }
	two() { skip "needs a unicorn"; }
	run_test one one
	run_test two two
	ktap_finish
	EOF
}

case_skip_file() {
	check skip-file 4 '^1\.\.0 # SKIP no-such-command-xyz is not installed$' <<-'EOF'
	require_cmd no-such-command-xyz
	ktap_header 1
	run_test never true
	ktap_finish
	EOF
}

# errexit must hold inside the test even though run_test's caller has it off
# and even when the failing command is inside a helper function; commands are
# logged with "# + ".
case_errexit() {
	check errexit 1 '^# \+ false$' '^not ok 1 one$' <<-'EOF'
	ktap_header 1
	helper() { false; echo "MUST NOT RUN"; }
	one() { helper; echo "MUST NOT RUN EITHER"; }
	run_test one one
	ktap_finish
	EOF
	out=$(bash "$NFLB_TEST_TMP/errexit.sh" 2>&1) || true
	[[ $out != *"MUST NOT RUN"* ]]
}

case_plan() {
	check plan 1 '^# planned 3 tests but ran 1$' <<-'EOF'
	ktap_header 3
	run_test one true
	ktap_finish
	EOF
}

# Namespaces, a veth pair, servers and clients, then cleanup: after the inner
# test ends, none of its namespaces or servers may be left.
case_netns() {
	require_root
	require_cmd ip python3 ss
	check netns 0 '^ok 1 topology$' '^ok 2 leaks$' <<-'EOF'
	ktap_header 2
	topology() {
		ns_create a a
		ns_create b b
		veth_pair "$a" va "$b" vb
		ns_exec "$a" ip addr add 192.0.2.1/24 dev va
		ns_exec "$b" ip addr add 192.0.2.2/24 dev vb
		serve_id "$b" 8080 "backend b says hi"
		serve_echo "$b" udp 5353
		got=$(client "$a" tcp 192.0.2.2 8080)
		assert_eq "backend b says hi" "$got"
		got=$(client "$a" udp 192.0.2.2 5353 ping)
		assert_eq ping "$got"
		got=$(client "$a" udp 192.0.2.2 5353 "two words")
		assert_eq "two words" "$got"
		! client "$a" tcp 192.0.2.2 9 2>/dev/null
		busywait 2000 test -e "/run/netns/$b"
		echo "$a $b" >"$NFLB_TEST_TMP/names"
	}
	leaks() {
		ns_leak_check
		for ns in $(cat "$NFLB_TEST_TMP/names"); do
			! ip netns list | grep -q "^$ns"
		done
		! pgrep -f "server id tcp 8080" >/dev/null
	}
	run_test topology topology
	run_test leaks leaks
	ktap_finish
	EOF
}

ktap_header 8
run_test pass case_pass
run_test fail case_fail
run_test skip-some case_skip_some
run_test skip-all case_skip_all
run_test skip-file case_skip_file
run_test errexit case_errexit
run_test plan case_plan
run_test netns case_netns
ktap_finish
