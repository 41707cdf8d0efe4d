#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# control.sh: the nflb control plane end to end, as a user drives it with
# lbctl, plus raw netlink (nl_raw.py) for what lbctl never sends.
#
#   +------------------------------- guest (selftests/vm-run) ---------+
#   |                                                                  |
#   |  lbctl / nl_raw.py --- genetlink "nflb" ---> nflb.ko             |
#   |                                                                  |
#   |  netns nflb-TEST-xxxxxx  one per test; the test runs inside it |
#   |                     (nsenter), so plain "lbctl" configures it    |
#   |  netns nflb-a/b-*   isolation: A's services invisible in B,      |
#   |                     gone with A; the initial namespace is only   |
#   |                     read, never configured                       |
#   |  uid 65534,         permissions: denied over a namespace of the  |
#   |  unshare -U [-r]    initial user namespace, allowed in a user    |
#   |                     namespace's own network namespace            |
#   |  python3 helper     one process answers every JSON assertion     |
#   +------------------------------------------------------------------+
#
# Every test asserts exit codes, error messages and what `lbctl list`
# (text and -j) reads back.  Output is KTAP; exit 0 pass, 1 fail, 4 skip.
# Run it as root in the guest:  selftests/vm-run -- selftests/control.sh
# (selftests/control.sh TEST... runs only those, after module_loads).
# Services are only ever configured inside namespaces this test creates.

# SERVICE is two words ("tcp VIP:PORT") that tests keep in one variable
# and split on purpose; the test functions are called by name.
# shellcheck disable=SC2046,SC2086,SC2317

set -u

selftests_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$selftests_dir/lib.sh"	# KTAP, defer, ns_create

LBCTL=${LBCTL:-lbctl}
PY="python3 -S"	# no site: starts faster in the TCG guest
T=${CTL_T:-$NFLB_TEST_TMP}	# scratch, removed at exit by lib.sh
NS_LIST=$T/netns	# every namespace created, for the leak check

# --- KTAP and logging --------------------------------------------------------

TESTS=(
	module_loads
	round_trip
	duplicates
	errors
	many_services
	many_backends
	save_restore
	modes
	netns_isolation
	permissions
	timeouts_info
	hooks
	flush
	raw_netlink
	rmmod_configured
	leak_check
)

note() {
	local line

	while IFS= read -r line; do
		printf '# %s\n' "$line"
	done <<<"$*"
}

# Shows a file as diagnostics, at most $2 lines of it.
# Shows a file as diagnostics, at most $2 lines of it; builtins only, as
# every fork costs in the TCG guest.
log_file() {
	local max=${2:-20} line
	local -a lines

	mapfile -t lines <"$1"
	for line in "${lines[@]:0:max}"; do
		printf '#   %s\n' "$line"
	done
	[ "${#lines[@]}" -le "$max" ] || printf '#   ... (%d lines)\n' "${#lines[@]}"
}

fail() {
	note "FAIL: $*"
	return 1
}

# run CMD...: logs the command, runs it with stdout in $T/out and stderr in
# $T/err, logs both (briefly) and sets $rc.  Never fails by itself.
run() {
	if [ "$1" = L ] && [ "$2" = "${CUR_NS:-}" ]; then
		note "\$ lbctl ${*:3}    (in $2)"
	elif [ "$1" = L ]; then
		note "\$ nsenter --net=/run/netns/$2 lbctl ${*:3}"
	else
		note "\$ $*"
	fi
	rc=0
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	log_file "$T/err" 10
	log_file "$T/out" "${RUN_SHOW:-8}"
	[ "$rc" -eq 0 ] || note "(exit $rc)"
	return 0
}

# ok CMD...: CMD must succeed.
ok() {
	run "$@"
	[ "$rc" -eq 0 ] || fail "expected exit 0, got $rc: $*"
}

# refused RC TEXT CMD...: CMD must exit RC with TEXT in its stderr and print
# nothing on stdout.
refused() {
	local want=$1 text=$2

	shift 2
	run "$@"
	[ "$rc" -eq "$want" ] || fail "expected exit $want, got $rc: $*" || return 1
	local err
	read -r -d '' err <"$T/err" || true
	[[ $err == *"$text"* ]] ||
		fail "expected \"$text\" in stderr of: $*" || return 1
	[ ! -s "$T/out" ] || fail "a refused command printed on stdout: $*"
}

# JSON assertions go to one python3 process started at the beginning
# (py_start): in the TCG guest each python3 start costs seconds.  A
# request is "MODE\nJSON_FILE\nARG\nCODE" written to the $T/py.req FIFO;
# the answer, "ok" or diagnostics, comes back on $T/py.rsp.  MODE eval:
# CODE is an expression over j (the JSON), true or a list of trues to
# pass.  MODE exec: CODE is statements over j and arg; an assertion that
# fails, fails.
py_start() {
	mkfifo "$T/py.req" "$T/py.rsp"
	$PY - "$T/py.req" "$T/py.rsp" <<'EOF' &
import json, sys, traceback

req, rsp = sys.argv[1], sys.argv[2]
while True:
    with open(req) as f:
        data = f.read()
    if data == "quit":
        break
    mode, path, arg, code = data.split("\n", 3)
    out = []
    try:
        j = json.load(open(path))
        env = {"j": j, "arg": arg, "json": json}
        if mode == "eval":
            r = eval("(" + code + ")", env)
            good = r is True or (isinstance(r, list) and r and
                                 all(x is True for x in r))
            if not good:
                out.append("evaluated to %r" % (r,))
        else:
            exec(code, env)
            good = True
    except Exception as e:
        good = False
        out.append("%s: %s" % (type(e).__name__, e))
        if not isinstance(e, (AssertionError, ValueError)):
            out.append(traceback.format_exc())
    if not good:
        try:
            text = open(path).read().strip()
        except OSError:
            text = "?"
        out.append("JSON: %s%s" % (text[:600], " ..." if len(text) > 600 else ""))
    with open(rsp, "w") as f:
        f.write("ok" if good else "\n".join(out))
EOF
	PY_PID=$!
}

py_stop() {
	[ -n "${PY_PID:-}" ] && kill -0 "$PY_PID" 2>/dev/null || return 0
	echo -n quit >"$T/py.req"
	wait "$PY_PID"
}

# py_ask MODE ARG CODE: asks the python3 process about $T/out.
py_ask() {
	local answer

	kill -0 "$PY_PID" 2>/dev/null || fail "the python3 helper is gone" || return 1
	printf '%s\n%s\n%s\n%s' "$1" "$T/out" "$2" "$3" >"$T/py.req"
	read -r -d '' answer <"$T/py.rsp" || true
	[ "$answer" = ok ] && return 0
	note "$answer"
	return 1
}

# jcheck EXPR: EXPR, a Python expression over j (the JSON in $T/out), must
# be true, or a list of trues.
jcheck() {
	note "assert: $1"
	py_ask eval "" "$1" || fail "JSON assertion failed: $1"
}

# jexec ARG WHAT: Python statements from stdin, over j and arg, must not
# fail an assertion.
jexec() {
	py_ask exec "$1" "$(cat)" || fail "$2"
}

# same FILE_A FILE_B WHAT: the two files must be equal.
same() {
	cmp -s "$1" "$2" && return 0
	note "FAIL: $3 differ:"
	diff -u "$1" "$2" | head -20 | sed 's/^/#   /'
	return 1
}

# --- Namespaces and cleanup -------------------------------------------------

# ns_new VAR NAME: lib.sh's ns_create (random suffix, deleted when the
# test ends), logged and recorded for the leak check.
ns_new() {
	ns_create "$1" "$2" || fail "cannot create a namespace" || return 1
	note "\$ ip netns add ${!1}"
	echo "${!1}" >>"$NS_LIST"
}

ns_del() {
	note "\$ ip netns del $1"
	ip netns del "$1"
}

# L NS ARGS...: lbctl in namespace NS; "init" is the initial one.  A test
# runs inside its own namespace $N (see run_one), where lbctl runs as is.
L() {
	local ns=$1

	shift
	case $ns in
	"${CUR_NS:-}") "$LBCTL" "$@" ;;
	init) nsenter --net=/proc/1/ns/net "$LBCTL" "$@" ;;
	*) nsenter --net="/run/netns/$ns" "$LBCTL" "$@" ;;
	esac
}

# Each test runs in a subshell with errexit, in a fresh namespace $N
# (created before, deleted after), so a failing step ends the test at once
# and leaves nothing configured behind.
run_one() {
	local i=$1 name=$2 status

	local t0=$SECONDS

	note "--- $i $name"
	(
		_defer_stack=()
		trap '_defer_run 2>/dev/null' EXIT
		set -e
		if [ "$name" = module_loads ] || [ "$name" = leak_check ]; then
			"test_$name"
		else
			# The test runs in its namespace, saving an nsenter per
			# lbctl; scratch and python3 helper are shared.
			ns_new N "$name"
			CTL_T=$T CTL_N=$N CTL_PY=$PY_PID \
				nsenter --net="/run/netns/$N" \
				bash "$selftests_dir/control.sh" --in-netns "$name"
		fi
	)
	status=$?
	note "$name: $((SECONDS - t0)) s"
	case $status in
	0) ktap_pass "$name" ;;
	4) ktap_skip "$name" "$(cat "$T/skip" 2>/dev/null)" ;;
	*) ktap_fail "$name" ;;
	esac
}

# --- Helpers over lbctl output ----------------------------------------------

# The "PROTO VIP:PORT" of every service in a text listing ($T/out).
text_services() {
	awk '$1 == "tcp" || $1 == "udp" { print $1 " " $2 }' "$T/out"
}

# The "ADDR:PORT WEIGHT" of every backend in a text listing ($T/out).
text_backends() {
	awk '$1 == "->" { print $2 " " $4 }' "$T/out"
}

# --- Tests -------------------------------------------------------------------

test_module_loads() {
	if grep -q '^nflb ' /proc/modules; then
		note "nflb was loaded before the test; unloading it"
		ok rmmod nflb
	fi
	# Without the module (and with module autoloading out of the way, as
	# on a host without nflb installed) lbctl says so, and how to load it.
	modprobe_path=$(cat /proc/sys/kernel/modprobe)
	note "\$ echo /bin/false >/proc/sys/kernel/modprobe"
	echo /bin/false >/proc/sys/kernel/modprobe
	run "$LBCTL" list
	echo "$modprobe_path" >/proc/sys/kernel/modprobe
	[ "$rc" -eq 1 ] || fail "lbctl list without the module: exit $rc, expected 1"
	grep -qxF "lbctl: the nflb module is not loaded (try: modprobe nflb)" "$T/err" ||
		fail "lbctl list without the module: not the expected message"
	# The family's alias loads the module on first use...
	ok "$LBCTL" list
	grep -q '^nflb ' /proc/modules || fail "genl family alias did not load nflb"
	ok rmmod nflb
	# ... and so does modprobe, as the README says.
	ok modprobe nflb
	grep -q '^nflb ' /proc/modules || fail "nflb not in /proc/modules"
	ok modinfo -F filename nflb
	note "module file: $(cat "$T/out")"
	if command -v genl >/dev/null; then
		ok genl ctrl get name nflb
		grep -q 'Name: nflb' "$T/out" || fail "genl does not list family nflb"
		grep -q 'Version: 0x1' "$T/out" || fail "family nflb is not version 1"
	else
		note "no genl (iproute2): family checked through lbctl and nl_raw.py"
	fi
	ok "$LBCTL" -V
	grep -Eq '^lbctl [0-9][^ ]* \(nflb netlink version 1\)$' "$T/out" ||
		fail "unexpected lbctl -V output"
	ok "$LBCTL" --version
	ok "$LBCTL" info
	grep -q '^nflb ' "$T/out" || fail "lbctl info does not start with nflb VERSION"
	ok "$LBCTL" -j info
	if [ -r /sys/module/nflb/version ]; then
		jcheck "j['version'] == '$(cat /sys/module/nflb/version)'"
	fi
	ok "$LBCTL" help
	grep -q '^  add-service' "$T/out" || fail "lbctl help lists no add-service"
	ok "$LBCTL" add-service help
	# Empty namespace, empty listing: nothing in text, [] in JSON.
	ok "$LBCTL" list
	[ ! -s "$T/out" ] || fail "lbctl list prints something with no services"
	ok "$LBCTL" -j list
	jcheck "j == []"
}

test_round_trip() {
	local -a svc_line

	ok L "$N" add-service tcp 10.0.0.1:80
	ok L "$N" list
	svc_line=(
		"tcp  10.0.0.1:80  sched wlc  mode nat  persist 0"
		"  conns 0  in 0 pkts 0 bytes  out 0 pkts 0 bytes"
	)
	printf '%s\n' "${svc_line[@]}" >"$T/want"
	same "$T/want" "$T/out" "text listing of a new service"
	ok L "$N" -j list
	jcheck "[len(j) == 1, j[0]['proto'] == 'tcp', j[0]['vip'] == '10.0.0.1',
		j[0]['port'] == 80, j[0]['sched'] == 'wlc', j[0]['mode'] == 'nat',
		j[0]['persist'] == 0, j[0]['backends'] == [],
		j[0]['stats'] == {'conns': 0, 'pkts_in': 0, 'pkts_out': 0,
				  'bytes_in': 0, 'bytes_out': 0}]"
	# -p is the same JSON, indented.
	ok L "$N" -p list
	jcheck "[len(j) == 1, j[0]['vip'] == '10.0.0.1']"
	grep -q '^    ' "$T/out" || fail "-p output is not indented"

	# set-service changes what it names and keeps the rest.
	ok L "$N" set-service tcp 10.0.0.1:80 sched rr persist 300
	ok L "$N" -j list
	jcheck "[j[0]['sched'] == 'rr', j[0]['persist'] == 300, j[0]['mode'] == 'nat']"
	ok L "$N" set-service tcp 10.0.0.1:80 persist 0
	ok L "$N" -j list
	jcheck "[j[0]['sched'] == 'rr', j[0]['persist'] == 0]"
	for s in wrr lc sh wlc; do
		ok L "$N" set-service tcp 10.0.0.1:80 sched "$s"
		ok L "$N" -j list
		jcheck "j[0]['sched'] == '$s'"
	done
	ok L "$N" set-service tcp 10.0.0.1:80 mode nat mss-clamp off

	# UDP on the same VIP and port is another service; with options.
	ok L "$N" add-service udp 10.0.0.1:80 sched sh persist 60
	ok L "$N" -j list
	jcheck "[len(j) == 2, [s['proto'] for s in j] == ['tcp', 'udp'],
		j[1]['vip'] == '10.0.0.1', j[1]['port'] == 80,
		j[1]['sched'] == 'sh', j[1]['persist'] == 60,
		j[0]['sched'] == 'wlc']"

	# Backends: the port defaults to the service's; port mapping; weights.
	ok L "$N" add-backend tcp 10.0.0.1:80 10.1.0.1
	ok L "$N" add-backend tcp 10.0.0.1:80 10.1.0.2:8080 weight 5
	ok L "$N" add-backend tcp 10.0.0.1:80 10.1.0.3:80 weight 0
	ok L "$N" add-backend udp 10.0.0.1:80 10.1.0.1:53
	ok L "$N" -j list tcp 10.0.0.1:80
	jcheck "[len(j) == 1, j[0]['proto'] == 'tcp',
		[(b['addr'], b['port'], b['weight']) for b in j[0]['backends']] ==
		[('10.1.0.1', 80, 1), ('10.1.0.2', 8080, 5), ('10.1.0.3', 80, 0)],
		all(b['active_conns'] == 0 and b['inactive_conns'] == 0 and
		    b['stats']['conns'] == 0 for b in j[0]['backends'])]"
	ok L "$N" list tcp 10.0.0.1:80
	text_backends >"$T/got"
	printf '%s\n' "10.1.0.1:80 1" "10.1.0.2:8080 5" "10.1.0.3:80 0" >"$T/want"
	same "$T/want" "$T/got" "text backends of tcp 10.0.0.1:80"
	[ "$(text_services)" = "tcp 10.0.0.1:80" ] ||
		fail "list SERVICE shows other services"
	ok L "$N" -j list udp 10.0.0.1:80
	jcheck "[len(j) == 1, j[0]['proto'] == 'udp',
		[(b['addr'], b['port'], b['weight']) for b in j[0]['backends']] ==
		[('10.1.0.1', 53, 1)]]"

	# set-backend: the port defaults the same way.
	ok L "$N" set-backend tcp 10.0.0.1:80 10.1.0.1 weight 7
	ok L "$N" set-backend tcp 10.0.0.1:80 10.1.0.2:8080 weight 65535
	ok L "$N" set-backend tcp 10.0.0.1:80 10.1.0.3 weight 0
	ok L "$N" -j list tcp 10.0.0.1:80
	jcheck "[(b['addr'], b['port'], b['weight']) for b in j[0]['backends']] ==
		[('10.1.0.1', 80, 7), ('10.1.0.2', 8080, 65535), ('10.1.0.3', 80, 0)]"

	# del-backend, del-service.
	ok L "$N" del-backend tcp 10.0.0.1:80 10.1.0.1
	ok L "$N" del-backend tcp 10.0.0.1:80 10.1.0.2:8080
	ok L "$N" -j list tcp 10.0.0.1:80
	jcheck "[(b['addr'], b['port']) for b in j[0]['backends']] == [('10.1.0.3', 80)]"
	ok L "$N" del-service tcp 10.0.0.1:80
	ok L "$N" -j list
	jcheck "[len(j) == 1, j[0]['proto'] == 'udp', len(j[0]['backends']) == 1]"
	ok L "$N" del-service udp 10.0.0.1:80
	ok L "$N" list
	[ ! -s "$T/out" ] || fail "services left after deleting all"
	ok L "$N" -j list
	jcheck "j == []"
}

test_duplicates() {
	ok L "$N" add-service tcp 10.0.0.100:80 sched rr
	refused 1 "lbctl: service tcp 10.0.0.100:80 already exists" \
		L "$N" add-service tcp 10.0.0.100:80
	refused 1 "lbctl: service tcp 10.0.0.100:80 already exists" \
		L "$N" add-service tcp 10.0.0.100:80 sched sh
	ok L "$N" add-backend tcp 10.0.0.100:80 10.1.0.1 weight 3
	refused 1 "lbctl: backend 10.1.0.1:80 already exists" \
		L "$N" add-backend tcp 10.0.0.100:80 10.1.0.1
	refused 1 "lbctl: backend 10.1.0.1:80 already exists" \
		L "$N" add-backend tcp 10.0.0.100:80 10.1.0.1:80 weight 9
	# Nothing changed by the refusals.
	ok L "$N" -j list
	jcheck "[len(j) == 1, j[0]['sched'] == 'rr',
		[(b['addr'], b['port'], b['weight']) for b in j[0]['backends']] ==
		[('10.1.0.1', 80, 3)]]"
}

test_errors() {
	local svc="tcp 10.0.0.1:80"

	ok L "$N" add-service $svc sched rr persist 10
	ok L "$N" add-backend $svc 10.1.0.1 weight 4

	# Values that are wrong: exit 1 and a message that names the problem.
	refused 1 "unknown scheduler" L "$N" add-service tcp 10.0.0.2:80 sched fifo
	refused 1 "unknown scheduler" L "$N" set-service $svc sched fifo
	refused 1 'invalid address "10.0.0.300:80"' L "$N" add-service tcp 10.0.0.300:80
	refused 1 'invalid address' L "$N" add-service tcp 10.0.0:80
	refused 1 'invalid address' L "$N" add-backend $svc 10.1.0.300
	refused 1 'missing port' L "$N" add-service tcp 10.0.0.2
	refused 1 'port 0 out of range' L "$N" add-service tcp 10.0.0.2:0
	refused 1 'port 65536 out of range' L "$N" add-service tcp 10.0.0.2:65536
	refused 1 'port 0 out of range' L "$N" add-backend $svc 10.1.0.2:0
	refused 1 'weight 65536 out of range' L "$N" add-backend $svc 10.1.0.2 weight 65536
	refused 1 'weight 65536 out of range' L "$N" set-backend $svc 10.1.0.1 weight 65536
	refused 1 'invalid weight "-1"' L "$N" set-backend $svc 10.1.0.1 weight -1
	refused 1 'persist' L "$N" set-service $svc persist 99999999999
	refused 1 'unknown protocol "sctp"' L "$N" add-service sctp 10.0.0.2:80
	refused 1 'unknown mode "fast"' L "$N" add-service tcp 10.0.0.2:80 mode fast

	# What does not exist.
	refused 1 "lbctl: service tcp 10.0.0.9:80 not found" \
		L "$N" del-service tcp 10.0.0.9:80
	refused 1 "lbctl: service udp 10.0.0.1:80 not found" \
		L "$N" del-service udp 10.0.0.1:80
	refused 1 "lbctl: service tcp 10.0.0.9:80 not found" \
		L "$N" set-service tcp 10.0.0.9:80 sched rr
	refused 1 "lbctl: service tcp 10.0.0.9:80 not found" \
		L "$N" add-backend tcp 10.0.0.9:80 10.1.0.1
	refused 1 "lbctl: service tcp 10.0.0.9:80 not found" \
		L "$N" list tcp 10.0.0.9:80
	refused 1 "lbctl: backend 10.1.0.9:80 not found" \
		L "$N" del-backend $svc 10.1.0.9
	refused 1 "lbctl: backend 10.1.0.1:81 not found" \
		L "$N" del-backend $svc 10.1.0.1:81
	refused 1 "lbctl: backend 10.1.0.9:80 not found" \
		L "$N" set-backend $svc 10.1.0.9 weight 1

	# Usage errors: exit 2, the word named.
	refused 2 'unknown command "frobnicate"' L "$N" frobnicate
	refused 2 'unknown option "colour"' L "$N" add-service tcp 10.0.0.2:80 colour red
	refused 2 'unknown option "sched"' L "$N" del-service $svc sched rr
	refused 2 'unknown option "weight"' L "$N" del-backend $svc 10.1.0.1 weight 2
	refused 2 'missing' L "$N" add-service
	refused 2 'missing' L "$N" add-service tcp
	refused 2 'missing' L "$N" add-service tcp 10.0.0.2:80 sched
	refused 2 'missing' L "$N" add-backend $svc
	refused 2 'missing' L "$N" set-backend $svc 10.1.0.1
	refused 2 'missing' L "$N" set-backend $svc 10.1.0.1 weight
	refused 2 'given twice' L "$N" add-service tcp 10.0.0.2:80 sched rr sched rr
	refused 2 '' L "$N" -x list

	# Accepted by the ABI, not by this datapath yet.
	refused 1 "not supported yet" L "$N" add-service tcp '[2001:db8::1]:80'
	refused 1 "not supported yet" L "$N" add-backend $svc '[2001:db8::2]:80'
	# dr needs its backends on-link; nothing is routed in this namespace
	# (test_modes has the other refusals of dr and tun).
	refused 1 "lbctl: no route to the backend: mode dr needs it on a directly connected network" \
		L "$N" set-service $svc mode dr

	# None of it changed anything.
	ok L "$N" -j list
	jcheck "[len(j) == 1, j[0]['sched'] == 'rr', j[0]['persist'] == 10,
		j[0]['mode'] == 'nat',
		[(b['addr'], b['port'], b['weight']) for b in j[0]['backends']] ==
		[('10.1.0.1', 80, 4)]]"
}

# 1,000 services of both protocols, added by restore (one batch), listed
# back exactly in text and JSON.
test_many_services() {
	local i

	for ((i = 0; i < 1000; i++)); do
		if ((i % 4 == 0)); then p=udp; else p=tcp; fi
		echo "$p 10.$((i / 250)).$((i % 250)).1:$((1000 + i))"
	done >"$T/want"
	sed 's/^/add-service /' "$T/want" >"$T/restore"
	note "$(wc -l <"$T/restore") lines of restore input, e.g.: $(head -1 "$T/restore")"
	ok L "$N" restore "$T/restore"
	ok L "$N" list
	text_services >"$T/got"
	same "$T/want" "$T/got" "services listed in text (order: as added)"
	ok L "$N" -j list
	jexec "$T/want" "JSON listing differs" <<'EOF'
want = [l.split() for l in open(arg)]
want = [(p, a.rsplit(":", 1)[0], int(a.rsplit(":", 1)[1])) for p, a in want]
got = [(s["proto"], s["vip"], s["port"]) for s in j]
assert got == want, "%d services, %d distinct; missing %s; extra %s" % (
    len(got), len(set(got)), sorted(set(want) - set(got))[:5],
    sorted(set(got) - set(want))[:5])
assert all(s["sched"] == "wlc" and s["backends"] == [] for s in j), "settings"
EOF
	ok L "$N" -j info
	jcheck "j['services'] == 1000"
	# A duplicate in the middle of a batch: exit 1, the line named.
	printf 'add-service tcp 10.200.0.1:80\nadd-service %s\n' \
		"$(sed -n 500p "$T/want")" >"$T/restore"
	refused 1 "lbctl: line 2: service $(sed -n 500p "$T/want") already exists" \
		L "$N" restore "$T/restore"
	ok L "$N" -j info
	jcheck "j['services'] == 1001"
	ok L "$N" del-service $(sed -n 1p "$T/want")
	ok L "$N" del-service $(sed -n 1000p "$T/want")
	ok L "$N" del-service tcp 10.200.0.1:80
	ok L "$N" -j info
	jcheck "j['services'] == 998"
}

# One service with 2,000 backends: more than one dump message holds, so
# lbctl must merge the continuation.
test_many_backends() {
	local i

	ok L "$N" add-service tcp 10.0.0.1:443 sched wrr
	ok L "$N" add-service tcp 10.0.0.2:443
	for ((i = 0; i < 2000; i++)); do
		echo "10.$((100 + i / 250)).$((i % 250)).$((1 + i % 7)):$((8000 + i % 3)) $((i % 100))"
	done >"$T/want"
	awk '{ print "add-backend tcp 10.0.0.1:443 " $1 " weight " $2 }' \
		"$T/want" >"$T/restore"
	ok L "$N" add-backend tcp 10.0.0.2:443 10.9.0.1
	ok L "$N" restore "$T/restore"
	RUN_SHOW=4 ok L "$N" list
	text_services >"$T/got"
	printf '%s\n' "tcp 10.0.0.1:443" "tcp 10.0.0.2:443" >"$T/svcs"
	same "$T/svcs" "$T/got" "services (the big one must not repeat)"
	text_backends | head -n 2000 >"$T/got"
	same "$T/want" "$T/got" "2000 backends in text"
	[ "$(text_backends | wc -l)" -eq 2001 ] || fail "backends in list: $(text_backends | wc -l), expected 2001"
	ok L "$N" -j list
	jexec "$T/want" "JSON listing of 2000 backends differs" <<'EOF'
want = []
for l in open(arg):
    ap, w = l.split()
    a, p = ap.rsplit(":", 1)
    want.append((a, int(p), int(w)))
assert len(j) == 2, "%d services, expected 2" % len(j)
got = [(b["addr"], b["port"], b["weight"]) for b in j[0]["backends"]]
assert got == want, "%d backends; first difference at %s" % (len(got), next(
    (i for i, (x, y) in enumerate(zip(got, want)) if x != y), min(len(got), len(want))))
assert [(b["addr"], b["port"]) for b in j[1]["backends"]] == [("10.9.0.1", 443)]
EOF
	# list SERVICE (one GET_SERVICE request, not a dump) shows the same.
	RUN_SHOW=4 ok L "$N" list tcp 10.0.0.1:443
	text_backends >"$T/got"
	same "$T/want" "$T/got" "2000 backends in text, list SERVICE"
	ok L "$N" -j list tcp 10.0.0.1:443
	jcheck "[len(j) == 1, len(j[0]['backends']) == 2000]"
}

# save prints restore input that rebuilds the same configuration.
test_save_restore() {
	ok L "$N" add-service tcp 10.0.0.1:80 sched rr persist 30
	ok L "$N" add-service udp 10.0.0.1:53
	ok L "$N" add-backend tcp 10.0.0.1:80 10.1.0.1 weight 3
	ok L "$N" add-backend tcp 10.0.0.1:80 10.1.0.2:8080 weight 0
	ok L "$N" add-backend udp 10.0.0.1:53 10.1.0.3
	ok L "$N" -j list
	cp "$T/out" "$T/before.json"
	ok L "$N" save
	cp "$T/out" "$T/saved"
	ok L "$N" flush
	ok L "$N" restore "$T/saved"
	ok L "$N" -j list
	same "$T/before.json" "$T/out" "JSON listing before save and after restore"
	# restore from stdin
	ok L "$N" flush
	note "\$ lbctl restore - < saved"
	ip netns exec "$N" "$LBCTL" restore - <"$T/saved" || fail "restore - failed"
	ok L "$N" -j list
	same "$T/before.json" "$T/out" "JSON listing after restore from stdin"
	# A bad line anywhere: nothing applied.
	ok L "$N" flush
	printf 'add-service tcp 10.0.0.5:80\nadd-service tcp 10.0.0.6:80 colour red\n' >"$T/bad"
	run L "$N" restore "$T/bad"
	[ "$rc" -eq 2 ] || fail "restore of a bad line: exit $rc, expected 2"
	grep -q 'line 2' "$T/err" || fail "restore does not name the bad line"
	ok L "$N" -j list
	jcheck "j == []"
	# add-service and the add-backend lines after it are one request: a
	# refused backend (here a duplicate) refuses them all, its line named.
	printf '%s\n' 'add-service tcp 10.0.0.5:80 sched rr' \
		'add-backend tcp 10.0.0.5:80 10.1.0.1' '# a comment' \
		'add-backend tcp 10.0.0.5:80 10.1.0.2 weight 2' \
		'add-backend tcp 10.0.0.5:80 10.1.0.1' >"$T/bad"
	refused 1 "lbctl: line 5: backend 10.1.0.1:80 already exists" \
		L "$N" restore "$T/bad"
	grep -q 'lines 1 to 5 .* none of them was applied' "$T/err" ||
		fail "restore does not say the merged lines were not applied"
	ok L "$N" -j list
	jcheck "j == []"
	# Without the duplicate, the service and its backends, in order.
	head -n 4 "$T/bad" >"$T/good"
	ok L "$N" restore "$T/good"
	ok L "$N" save
	printf '%s\n' 'add-service tcp 10.0.0.5:80 sched rr mode nat' \
		'add-backend tcp 10.0.0.5:80 10.1.0.1:80 weight 1' \
		'add-backend tcp 10.0.0.5:80 10.1.0.2:80 weight 2' >"$T/want"
	same "$T/want" "$T/out" "save after a restore of a service with backends" ||
		fail "save differs from the restored lines"
	ok L "$N" flush
}

# Modes dr and tun and mss-clamp: accepted, listed and saved back as
# given, with mode tun's default mss-clamp; the backends they refuse (off
# the link in dr, another port in both), at add-backend and when
# set-service changes the mode.
test_modes() {
	local dr="tcp 10.0.0.1:80" ipip="tcp 10.0.0.2:80" gue="udp 10.0.0.3:53"
	local gue2="tcp 10.0.0.4:80" fixed="tcp 10.0.0.5:80" auto="tcp 10.0.0.6:80"
	local nat="tcp 10.0.0.7:80" far="tcp 10.0.0.8:80"

	# A link: 10.9.0.0/24 on it, 10.8.0.0/24 behind a gateway on it.
	ok ip link add nflb-m0 type veth peer name nflb-m1
	ok ip addr add 10.9.0.1/24 dev nflb-m0
	ok ip link set nflb-m0 up
	ok ip link set nflb-m1 up
	ok ip route add 10.8.0.0/24 via 10.9.0.254

	ok L "$N" add-service $dr sched rr mode dr
	ok L "$N" add-backend $dr 10.9.0.2
	refused 1 "lbctl: backend not on-link (routed through a gateway): mode dr needs it on a directly connected network" \
		L "$N" add-backend $dr 10.8.0.2
	refused 1 "lbctl: no route to the backend" L "$N" add-backend $dr 10.7.0.2
	refused 1 "lbctl: the backend is an address of this host" \
		L "$N" add-backend $dr 10.9.0.1
	refused 1 "lbctl: in modes dr and tun a backend's port must be the service's port" \
		L "$N" add-backend $dr 10.9.0.3:8080

	ok L "$N" add-service $ipip mode tun
	ok L "$N" add-backend $ipip 10.8.0.2	# tun: anywhere routable
	refused 1 "lbctl: in modes dr and tun a backend's port must be the service's port" \
		L "$N" add-backend $ipip 10.8.0.3:81
	ok L "$N" add-service $gue mode tun tunnel gue gue-port 7000 mss-clamp off
	ok L "$N" add-service $gue2 mode tun tunnel gue mss-clamp 1300
	ok L "$N" add-service $fixed mss-clamp 1400
	ok L "$N" add-service $auto mss-clamp auto

	# set-service checks the backends against the new mode.
	ok L "$N" add-service $nat
	ok L "$N" add-backend $nat 10.9.0.4:8080
	refused 1 "lbctl: in modes dr and tun a backend's port must be the service's port" \
		L "$N" set-service $nat mode tun
	ok L "$N" add-service $far
	ok L "$N" add-backend $far 10.8.0.5
	refused 1 "lbctl: backend not on-link" L "$N" set-service $far mode dr
	ok L "$N" set-service $far mode tun

	ok L "$N" -j list
	jcheck "[[(s['vip'], s['mode'], s.get('tunnel'), s.get('gue_port'),
		   s['mss_clamp'], s.get('mss')) for s in j] == [
		('10.0.0.1', 'dr', None, None, 'off', None),
		('10.0.0.2', 'tun', 'ipip', None, 'auto', None),
		('10.0.0.3', 'tun', 'gue', 7000, 'off', None),
		('10.0.0.4', 'tun', 'gue', 6080, 'fixed', 1300),
		('10.0.0.5', 'nat', None, None, 'fixed', 1400),
		('10.0.0.6', 'nat', None, None, 'auto', None),
		('10.0.0.7', 'nat', None, None, 'off', None),
		('10.0.0.8', 'tun', 'ipip', None, 'auto', None)],
		[(b['addr'], b['port']) for b in j[0]['backends']] ==
		[('10.9.0.2', 80)]]"
	cp "$T/out" "$T/modes.json"
	ok L "$N" list
	grep -qx 'tcp  10.0.0.1:80  sched rr  mode dr  persist 0' "$T/out" ||
		fail "list: the dr service's line"
	grep -qx 'udp  10.0.0.3:53  sched wlc  mode tun  tunnel gue  gue-port 7000  persist 0' "$T/out" ||
		fail "list: the gue service's line"
	grep -qx 'tcp  10.0.0.4:80  sched wlc  mode tun  tunnel gue  gue-port 6080  persist 0  mss-clamp 1300' "$T/out" ||
		fail "list: the line of the gue service with mss-clamp 1300"
	grep -qx 'tcp  10.0.0.8:80  sched wlc  mode tun  tunnel ipip  persist 0  mss-clamp auto' "$T/out" ||
		fail "list: the ipip service's line"
	ok L "$N" save
	cp "$T/out" "$T/modes.saved"
	cat >"$T/modes.want" <<'EOF'
add-service tcp 10.0.0.1:80 sched rr mode dr
add-backend tcp 10.0.0.1:80 10.9.0.2:80 weight 1
add-service tcp 10.0.0.2:80 sched wlc mode tun tunnel ipip mss-clamp auto
add-backend tcp 10.0.0.2:80 10.8.0.2:80 weight 1
add-service udp 10.0.0.3:53 sched wlc mode tun tunnel gue gue-port 7000 mss-clamp off
add-service tcp 10.0.0.4:80 sched wlc mode tun tunnel gue gue-port 6080 mss-clamp 1300
add-service tcp 10.0.0.5:80 sched wlc mode nat mss-clamp 1400
add-service tcp 10.0.0.6:80 sched wlc mode nat mss-clamp auto
add-service tcp 10.0.0.7:80 sched wlc mode nat
add-backend tcp 10.0.0.7:80 10.9.0.4:8080 weight 1
add-service tcp 10.0.0.8:80 sched wlc mode tun tunnel ipip mss-clamp auto
add-backend tcp 10.0.0.8:80 10.8.0.5:80 weight 1
EOF
	same "$T/modes.want" "$T/modes.saved" "save output and the expected lines"
	ok L "$N" flush
	ok L "$N" restore "$T/modes.saved"
	ok L "$N" -j list
	same "$T/modes.json" "$T/out" "JSON listing before save and after restore"

	# An mss-clamp at the old mode's default follows the new mode's;
	# one given explicitly stays.
	ok L "$N" set-service $far mode nat
	ok L "$N" set-service $gue2 mode nat
	ok L "$N" -j list
	jcheck "[(s['mode'], s['mss_clamp'], s.get('mss')) for s in j
		 if s['vip'] in ('10.0.0.4', '10.0.0.8')] ==
		[('nat', 'fixed', 1300), ('nat', 'off', None)]"
}

test_netns_isolation() {
	local A B

	ns_new A a
	ns_new B b
	ok L "$A" add-service tcp 10.0.0.1:80
	ok L "$A" add-backend tcp 10.0.0.1:80 10.1.0.1
	ok L "$A" set-timeouts udp 42
	ok L "$B" list
	[ ! -s "$T/out" ] || fail "B sees A's services"
	ok L "$B" -j list
	jcheck "j == []"
	ok L "$B" -j info
	jcheck "[j['services'] == 0, j['timeouts']['udp'] == 300]"
	refused 1 "lbctl: service tcp 10.0.0.1:80 not found" \
		L "$B" del-service tcp 10.0.0.1:80
	# The same service in B is independent of A's.
	ok L "$B" add-service tcp 10.0.0.1:80 sched rr
	ok L "$B" flush
	ok L "$A" -j list
	jcheck "[len(j) == 1, j[0]['sched'] == 'wlc', len(j[0]['backends']) == 1]"
	# The initial namespace sees neither.
	ok L init -j list
	jcheck "j == []"
	# A goes away with its service; the module stays and works.
	ns_del "$A"
	ok L init info
	note "\$ ip netns add $A"
	ip netns add "$A"
	defer ip netns del "$A"
	ok L "$A" -j list
	jcheck "j == []"
	ok L "$A" -j info
	jcheck "[j['services'] == 0, j['timeouts']['udp'] == 300]"
	ok L "$A" add-service tcp 10.0.0.1:80
	ok L "$A" -j list
	jcheck "len(j) == 1"
	# Many namespaces with services, torn down together.
	for i in 1 2 3; do
		ns_new C "c$i"
		ok L "$C" add-service tcp 10.0.0.$i:80
		ok L "$C" add-backend tcp 10.0.0.$i:80 10.1.0.$i
	done
	for i in 1 2 3; do
		ns_del "$(sed -n "/-c$i-/p" "$NS_LIST")"
	done
	ok L "$A" -j list
	jcheck "len(j) == 1"
}

test_permissions() {
	local nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"

	if ! command -v setpriv >/dev/null || ! command -v unshare >/dev/null; then
		echo "setpriv or unshare missing" >"$T/skip"
		return 4
	fi
	ok L "$N" add-service tcp 10.0.0.1:80

	# An unprivileged uid in a namespace of the initial user namespace.
	refused 1 "operation not permitted" ip netns exec "$N" $nobody "$LBCTL" list
	refused 1 "operation not permitted" ip netns exec "$N" $nobody "$LBCTL" info
	refused 1 "operation not permitted" ip netns exec "$N" $nobody "$LBCTL" \
		add-service tcp 10.0.0.2:80
	refused 1 "operation not permitted" ip netns exec "$N" $nobody "$LBCTL" \
		del-service tcp 10.0.0.1:80
	refused 1 "operation not permitted" ip netns exec "$N" $nobody "$LBCTL" flush
	# Root of a new user namespace is no one over a network namespace
	# that the initial user namespace owns.
	refused 1 "operation not permitted" ip netns exec "$N" unshare -U -r \
		"$LBCTL" list
	refused 1 "operation not permitted" ip netns exec "$N" unshare -U -r \
		"$LBCTL" add-service tcp 10.0.0.2:80
	refused 1 "operation not permitted" ip netns exec "$N" unshare -U \
		"$LBCTL" flush
	ok L "$N" -j list
	jcheck "[len(j) == 1, j[0]['vip'] == '10.0.0.1']"

	# ... but it owns a network namespace it creates: there it may.
	ok unshare -U -r -n sh -c "$LBCTL add-service tcp 10.0.0.3:80 sched rr &&
		$LBCTL add-backend tcp 10.0.0.3:80 10.1.0.3 &&
		$LBCTL -j list"
	jcheck "[len(j) == 1, j[0]['vip'] == '10.0.0.3', j[0]['sched'] == 'rr',
		len(j[0]['backends']) == 1]"
	# And so may an unprivileged uid that made its own user namespace.
	ok $nobody unshare -U -r -n sh -c "$LBCTL add-service udp 10.0.0.4:53 &&
		$LBCTL -j list"
	jcheck "[len(j) == 1, j[0]['proto'] == 'udp']"
	# Neither leaked into the namespaces they came from.
	ok L "$N" -j list
	jcheck "[len(j) == 1, j[0]['vip'] == '10.0.0.1']"
	ok L init -j list
	jcheck "j == []"
}

# A namespace gets nflb's netfilter hooks with its first service (none
# before: it costs the namespaces that never have one nothing), and keeps
# them when that service goes.
test_hooks() {
	ok L "$N" -j info
	jcheck "[j['hooked'] == False, j['services'] == 0]"
	ok L "$N" info
	grep -qx 'hooks none here yet (the first service adds them)' "$T/out" ||
		fail "info text does not say the namespace has no hooks"
	# A refused service does not hook the namespace either.
	refused 1 "unknown scheduler" L "$N" add-service tcp 10.0.0.1:80 sched nope
	ok L "$N" -j info
	jcheck "j['hooked'] == False"
	ok L "$N" add-service tcp 10.0.0.1:80
	ok L "$N" -j info
	jcheck "[j['hooked'] == True, j['services'] == 1]"
	ok L "$N" info
	grep -qx "hooks in this namespace's packet path" "$T/out" ||
		fail "info text does not say the namespace has the hooks"
	ok L "$N" del-service tcp 10.0.0.1:80
	ok L "$N" -j info
	jcheck "[j['hooked'] == True, j['services'] == 0]"
}

test_timeouts_info() {
	local ms mb cm

	ok L "$N" -j info
	jcheck "j['timeouts'] == {'tcp': 900, 'tcpfin': 120, 'udp': 300}"
	ms=$(cat /sys/module/nflb/parameters/max_services)
	mb=$(cat /sys/module/nflb/parameters/max_backends)
	cm=$(cat /sys/module/nflb/parameters/conn_max)
	note "module parameters: max_services $ms max_backends $mb conn_max $cm"
	jcheck "[j['max_services'] == $ms, j['max_backends'] == $mb,
		j['conn_max'] == $cm, j['services'] == 0, j['conns'] == 0,
		set(j['drops']) >= {'malformed', 'no_backend', 'conn_limit',
				    'no_mem', 'no_conn', 'backend_gone', 'xmit'},
		all(v == 0 for v in j['drops'].values())]"

	ok L "$N" set-timeouts tcp 100 tcpfin 50 udp 30
	ok L "$N" info
	grep -qx 'timeouts  tcp 100s  tcpfin 50s  udp 30s' "$T/out" ||
		fail "info text does not show the new timeouts"
	grep -qx "services 0 of $ms  max backends per service $mb" "$T/out" ||
		fail "info text does not show the service limits"
	grep -qx "conns 0 of $cm" "$T/out" || fail "info text does not show conn_max"
	ok L "$N" -j info
	jcheck "j['timeouts'] == {'tcp': 100, 'tcpfin': 50, 'udp': 30}"
	ok L "$N" set-timeouts udp 7
	ok L "$N" -j info
	jcheck "j['timeouts'] == {'tcp': 100, 'tcpfin': 50, 'udp': 7}"

	refused 1 "out of range" L "$N" set-timeouts udp 0
	refused 1 "out of range" L "$N" set-timeouts tcp 2678401
	refused 1 "not a number" L "$N" set-timeouts tcp 1m
	refused 2 "" L "$N" set-timeouts
	refused 2 'unknown option "sctp"' L "$N" set-timeouts sctp 5
	refused 2 "missing" L "$N" set-timeouts tcp
	refused 2 "given twice" L "$N" set-timeouts tcp 5 tcp 6
	ok L "$N" -j info
	jcheck "j['timeouts'] == {'tcp': 100, 'tcpfin': 50, 'udp': 7}"

	ok L "$N" add-service tcp 10.0.0.1:80
	ok L "$N" add-service udp 10.0.0.1:80
	ok L "$N" -j info
	jcheck "j['services'] == 2"
	# Per namespace: the initial one still has the defaults.
	ok L init -j info
	jcheck "j['timeouts'] == {'tcp': 900, 'tcpfin': 120, 'udp': 300}"
}

test_flush() {
	ok L "$N" flush
	ok L "$N" add-service tcp 10.0.0.1:80
	ok L "$N" add-service tcp 10.0.0.2:80
	ok L "$N" add-service udp 10.0.0.1:53
	ok L "$N" add-backend tcp 10.0.0.1:80 10.1.0.1
	ok L "$N" add-backend udp 10.0.0.1:53 10.1.0.1
	ok L "$N" set-timeouts tcp 77
	ok L "$N" -j list
	jcheck "len(j) == 3"
	ok L "$N" flush
	ok L "$N" list
	[ ! -s "$T/out" ] || fail "flush left services"
	ok L "$N" -j list
	jcheck "j == []"
	ok L "$N" -j info
	jcheck "[j['services'] == 0, j['timeouts']['tcp'] == 77]"
	refused 2 'unknown option "all"' L "$N" flush all
	# The same services can be added again.
	ok L "$N" add-service tcp 10.0.0.1:80
	ok L "$N" add-backend tcp 10.0.0.1:80 10.1.0.1
}

test_raw_netlink() {
	note "\$ ip netns exec $N $PY $selftests_dir/nl_raw.py"
	rc=0
	ip netns exec "$N" $PY "$selftests_dir/nl_raw.py" >"$T/raw" 2>&1 || rc=$?
	sed 's/^/# /' "$T/raw"
	[ "$rc" -eq 0 ] || fail "nl_raw.py exited $rc"
	! grep -q '^not ok' "$T/raw" || fail "nl_raw.py reported failures"
	grep -q '^ok ' "$T/raw" || fail "nl_raw.py ran no test"
	ok L "$N" add-service tcp 10.0.0.1:80
	ok L "$N" -j list
	jcheck "len(j) == 1"
}

test_rmmod_configured() {
	local M

	ns_new M m
	ok L "$N" set-timeouts udp 11
	ok L "$N" add-service udp 10.0.0.1:53
	ok L "$N" add-backend udp 10.0.0.1:53 10.1.0.1
	for i in $(seq 1 20); do echo "add-service tcp 10.0.1.$i:80"; \
		echo "add-backend tcp 10.0.1.$i:80 10.1.1.$i"; done >"$T/restore"
	ok L "$M" restore "$T/restore"
	[ "$(cat /sys/module/nflb/refcnt)" = 0 ] ||
		fail "refcnt $(cat /sys/module/nflb/refcnt) with nothing open"
	ok rmmod nflb
	! grep -q '^nflb ' /proc/modules || fail "nflb still loaded"
	[ ! -e /sys/module/nflb ] || fail "/sys/module/nflb still there"
	ok modprobe nflb
	for ns in init "$N" "$M"; do
		ok L "$ns" -j list
		jcheck "j == []"
	done
	ok L "$N" -j info
	jcheck "[j['services'] == 0, j['timeouts']['udp'] == 300]"
	# And it works again.
	ok L "$M" add-service tcp 10.0.0.1:80
	ok L "$M" -j list
	jcheck "len(j) == 1"
}

test_leak_check() {
	local ns

	if [ -s "$NS_LIST" ]; then
		while read -r ns; do
			[ ! -e "/run/netns/$ns" ] || fail "namespace $ns left behind"
		done <"$NS_LIST"
	fi
	note "namespaces now: $(ip netns list | tr '\n' ' ')"
	ok "$LBCTL" -j list
	jcheck "j == []"
	[ "$(cat /sys/module/nflb/refcnt)" = 0 ] ||
		fail "nflb refcnt $(cat /sys/module/nflb/refcnt), expected 0"
	ok rmmod nflb
	! grep -q '^nflb ' /proc/modules || fail "nflb still loaded"
}

# --- Main --------------------------------------------------------------------

main() {
	local i=0 name only=${1:-}

	if [ "$only" = --in-netns ]; then
		# One test, inside namespace $CTL_N (started by run_one).
		N=$CTL_N CUR_NS=$CTL_N PY_PID=$CTL_PY
		trap '_defer_run 2>/dev/null' EXIT
		set -e
		"test_$2"
		return
	fi

	[ "$(id -u)" = 0 ] ||
		ktap_skip_all "control.sh must run as root (selftests/vm-run)"
	for cmd in ip python3 modprobe rmmod nsenter; do
		command -v "$cmd" >/dev/null || ktap_skip_all "$cmd is missing"
	done
	modinfo nflb >/dev/null 2>&1 ||
		ktap_skip_all "the nflb module is not installed (run under selftests/vm-run)"
	if [ -n "$only" ]; then
		# control.sh NAME...: only those tests (module_loads first).
		TESTS=(module_loads "$@")
	fi
	ktap_header "${#TESTS[@]}"
	py_start
	defer py_stop
	for name in "${TESTS[@]}"; do
		i=$((i + 1))
		run_one "$i" "$name"
	done
	note "run time: $SECONDS s"
	ktap_finish
}

main "$@"
exit $?
