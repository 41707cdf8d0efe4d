# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib.sh: helpers shared by the nflb selftests.  Source it from a bash test:
#
#	. "$(dirname "$0")/lib.sh"
#
# KTAP output (stdout; exit 0 pass, 1 fail, 4 all skipped)
#   ktap_header N               "TAP version 13" and "1..N"
#   ktap_pass NAME              "ok N NAME"
#   ktap_fail NAME              "not ok N NAME"
#   ktap_skip NAME REASON       "ok N NAME # SKIP REASON"
#   ktap_diag TEXT...           "# TEXT" (diagnostics always start with "# ")
#   ktap_skip_all REASON        "1..0 # SKIP REASON" and exit 4
#   ktap_finish                 totals, then exit 0, 1 or 4
#
# Tests
#   run_test NAME FUNC [ARGS]   run FUNC in a subshell with errexit: the first
#                               failing command fails the test.  Every command
#                               is logged as "# + cmd", output as "# ...".
#                               Variables set in FUNC do not reach the caller;
#                               defers made in FUNC run when it ends.
#   skip REASON                 (inside a test) skip the rest of it
#   log CMD...                  print "# + CMD" and run it (outside tests)
#   assert_eq WANT GOT [WHAT]   fail, printing both, unless equal
#   assert_match REGEX TEXT [WHAT]
#
# Cleanup
#   defer CMD...                run CMD at exit (of the test, or of the
#                               script at top level), last registered first
#
# Network namespaces (names nflb-<name>-<random>, deleted at cleanup)
#   ns_create VAR [NAME]        create one with lo up; its name goes in VAR
#   ns_exec NS CMD...           run CMD inside NS
#   veth_pair NS1 IF1 NS2 IF2   veth IF1 in NS1 <-> IF2 in NS2, both up
#   ns_leak_check               fail if a namespace this script made is left
#
# Waiting (poll, never a bare sleep)
#   busywait TIMEOUT_MS CMD...  retry CMD every 10 ms until it succeeds
#   slowwait TIMEOUT_S CMD...   retry CMD every 100 ms until it succeeds
#   wait_port NS PROTO PORT [TIMEOUT_S]   until something listens there
#
# Requirements (at top level: skip the whole file; in a test: skip it)
#   require_root; require_cmd CMD...; require_module MOD...
#
# Servers in namespaces (python3, IPv4 and IPv6, killed at cleanup)
#   serve_echo NS PROTO PORT    echo back what each client sends
#   serve_id NS PORT TEXT [PROTO]  answer every connection or datagram with
#                               TEXT and a newline (PROTO tcp or udp)
#   client NS PROTO ADDR PORT [DATA]  send DATA and a newline, print the
#                               answer (TCP: until the server closes; UDP:
#                               one datagram); 5 s timeout, exit 1 on error

# ---------------------------------------------------------------------------
# KTAP

_ktap_num=0
_ktap_pass=0
_ktap_fail=0
_ktap_skip=0
_ktap_planned=""
_in_test=0

ktap_header() {
	{ local -; set +x; } 2>/dev/null
	_ktap_planned=$1
	echo "TAP version 13"
	echo "1..$1"
}

ktap_diag() {
	{ local -; set +x; } 2>/dev/null
	echo "# $*"
}

ktap_pass() {
	{ local -; set +x; } 2>/dev/null
	_ktap_num=$((_ktap_num + 1))
	_ktap_pass=$((_ktap_pass + 1))
	echo "ok $_ktap_num $1"
}

ktap_fail() {
	{ local -; set +x; } 2>/dev/null
	_ktap_num=$((_ktap_num + 1))
	_ktap_fail=$((_ktap_fail + 1))
	echo "not ok $_ktap_num $1"
}

ktap_skip() {
	{ local -; set +x; } 2>/dev/null
	_ktap_num=$((_ktap_num + 1))
	_ktap_skip=$((_ktap_skip + 1))
	echo "ok $_ktap_num $1 # SKIP $2"
}

ktap_skip_all() {
	{ local -; set +x; } 2>/dev/null
	if [ -z "$_ktap_planned" ]; then
		echo "TAP version 13"
		echo "1..0 # SKIP $*"
	else
		ktap_diag "SKIP: $*"
	fi
	exit 4
}

ktap_finish() {
	{ local -; set +x; } 2>/dev/null
	ktap_diag "Totals: pass:$_ktap_pass fail:$_ktap_fail skip:$_ktap_skip"
	if [ -n "$_ktap_planned" ] && [ "$_ktap_num" != "$_ktap_planned" ]; then
		ktap_diag "planned $_ktap_planned tests but ran $_ktap_num"
		exit 1
	fi
	[ "$_ktap_fail" -eq 0 ] || exit 1
	[ "$_ktap_pass" -gt 0 ] || [ "$_ktap_skip" -eq 0 ] || exit 4
	exit 0
}

# ---------------------------------------------------------------------------
# Cleanup: a stack of commands, each stored as one shell-quoted string.

_defer_stack=()

defer() {
	{ local -; set +x; } 2>/dev/null
	local cmd
	printf -v cmd '%q ' "$@"
	_defer_stack+=("${cmd% }")
}

_defer_run() {
	{ local -; set +x; } 2>/dev/null
	local i
	for ((i = ${#_defer_stack[@]} - 1; i >= 0; i--)); do
		[ "$_in_test" = 1 ] && echo "+ (cleanup) ${_defer_stack[i]}"
		eval "${_defer_stack[i]}" || true
	done
	_defer_stack=()
}

# Scratch space for this script (server logs, skip reasons); removed last.
NFLB_TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/nflb-test.XXXXXX")
defer rm -rf "$NFLB_TEST_TMP"
trap _defer_run EXIT

# ---------------------------------------------------------------------------
# Tests

# skip REASON: inside a test, stop it and report it skipped.
skip() {
	{ local -; set +x; } 2>/dev/null
	if [ "$_in_test" = 1 ]; then
		echo "$*" >"$NFLB_TEST_TMP/skip-reason"
		exit 4
	fi
	ktap_skip_all "$@"
}

log() {
	echo "# + $*"
	"$@"
}

assert_eq() {
	{ local -; set +x; } 2>/dev/null
	[ "$1" = "$2" ] && return 0
	echo "${3:-value}: expected '$1', got '$2'" >&2
	return 1
}

assert_match() {
	{ local -; set +x; } 2>/dev/null
	[[ $2 =~ $1 ]] && return 0
	echo "${3:-value}: '$2' does not match /$1/" >&2
	return 1
}

run_test() {
	local name=$1 rc had_errexit=0
	shift
	[[ $- == *e* ]] && had_errexit=1
	set +e
	rm -f "$NFLB_TEST_TMP/skip-reason"
	# The subshell must not sit in a "cmd || ..." context, where bash
	# would silently ignore errexit inside it; the pipeline is fine.
	(
		_in_test=1
		_defer_stack=()
		# Traces of the traps themselves would only be noise.
		trap '{ set +x; } 2>/dev/null; _defer_run' EXIT
		# Say which command failed and where, then let errexit end it.
		# shellcheck disable=SC2154 # _rc and _cmd are set by the trap itself
		trap '{ _rc=$? _cmd=$BASH_COMMAND; set +x; } 2>/dev/null
			echo "FAILED (status $_rc): $_cmd [${BASH_SOURCE[0]##*/}:$LINENO]"' ERR
		set -eE
		# Log every command of the test, with its arguments expanded;
		# the helpers in this file switch tracing off inside themselves
		# so that only the calls to them show.
		PS4='+ '
		set -x
		"$@"
	) 2>&1 | sed -u 's/^/# /'
	rc=${PIPESTATUS[0]}
	[ "$had_errexit" = 0 ] || set -e
	case $rc in
	0) ktap_pass "$name" ;;
	4) ktap_skip "$name" "$(cat "$NFLB_TEST_TMP/skip-reason" 2>/dev/null || echo skipped)" ;;
	*) ktap_fail "$name" ;;
	esac
	return 0
}

# ---------------------------------------------------------------------------
# Requirements

require_root() {
	{ local -; set +x; } 2>/dev/null
	[ "$(id -u)" = 0 ] || skip "needs root"
}

require_cmd() {
	{ local -; set +x; } 2>/dev/null
	local cmd
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null || skip "$cmd is not installed"
	done
}

require_module() {
	{ local -; set +x; } 2>/dev/null
	local mod
	for mod in "$@"; do
		modprobe -q "$mod" 2>/dev/null || skip "cannot load module $mod"
	done
}

# ---------------------------------------------------------------------------
# Waiting

# _wait_until DEADLINE_NS INTERVAL CMD...: the common polling loop.
_wait_until() {
	local deadline=$1 interval=$2
	shift 2
	while :; do
		"$@" && return 0
		[ "$(date +%s%N)" -lt "$deadline" ] || break
		sleep "$interval"
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

busywait() {
	{ local -; set +x; } 2>/dev/null
	local ms=$1
	shift
	_wait_until $(($(date +%s%N) + ms * 1000000)) 0.01 "$@"
}

slowwait() {
	{ local -; set +x; } 2>/dev/null
	local s=$1
	shift
	_wait_until $(($(date +%s%N) + s * 1000000000)) 0.1 "$@"
}

_port_listening() {
	local ns=$1 proto=$2 port=$3 flag
	case $proto in
	tcp) flag=-Hltn ;;
	udp) flag=-Hlun ;;
	*) echo "unknown protocol $proto" >&2; return 1 ;;
	esac
	[ -n "$(ip netns exec "$ns" ss $flag "sport = :$port")" ]
}

wait_port() {
	{ local -; set +x; } 2>/dev/null
	slowwait "${4:-30}" _port_listening "$1" "$2" "$3"
}

# ---------------------------------------------------------------------------
# Network namespaces

_ns_created=()

_random_suffix() {
	od -An -N3 -tx1 /dev/urandom | tr -d ' \n'
}

ns_create() {
	{ local -; set +x; } 2>/dev/null
	local var=$1 ns
	ns=nflb-${2:-ns}-$(_random_suffix)
	ip netns add "$ns" || return 1
	defer ip netns del "$ns"
	_ns_created+=("$ns")
	ip -n "$ns" link set lo up || return 1
	printf -v "$var" %s "$ns"
}

ns_exec() {
	{ local -; set +x; } 2>/dev/null
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

veth_pair() {
	{ local -; set +x; } 2>/dev/null
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" &&
		ip -n "$1" link set "$2" up &&
		ip -n "$3" link set "$4" up
}

# Run after cleanup (e.g. as the last test, once the others' defers ran):
# every namespace this script created must be gone.
ns_leak_check() {
	{ local -; set +x; } 2>/dev/null
	local ns left=""
	for ns in "${_ns_created[@]}"; do
		[ -e "/run/netns/$ns" ] && left+=" $ns"
	done
	[ -z "$left" ] && return 0
	echo "leaked network namespaces:$left" >&2
	return 1
}

# ---------------------------------------------------------------------------
# Servers and clients
#
# One small Python program does both sides.  The server listens on IPv4 and
# IPv6 (each when available); it answers UDP from the address the datagram
# was sent to (PKTINFO), as a direct-routing backend holding the VIP must;
# "id" sends TEXT, half-closes and drains the client's data so the close is
# a FIN rather than a reset that could eat the answer.

_NFLB_PY='
import select, socket, sys, threading

def server(mode, proto, port, text):
    reply = (text + "\n").encode()
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    socks = []
    for fam, any_addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        try:
            s = socket.socket(fam, kind)
        except OSError:
            continue
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if kind == socket.SOCK_DGRAM:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
        elif kind == socket.SOCK_DGRAM:
            s.setsockopt(socket.IPPROTO_IP, 8, 1)          # IP_PKTINFO
        try:
            s.bind((any_addr, port))
        except OSError:
            if fam == socket.AF_INET6:
                continue                                    # no IPv6 here
            raise
        if kind == socket.SOCK_STREAM:
            s.listen(128)
        socks.append(s)

    def handle(c):
        c.settimeout(10)
        try:
            if mode == "id":
                c.sendall(reply)
                c.shutdown(socket.SHUT_WR)
                while c.recv(65536):
                    pass
            else:
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                    c.sendall(d)
        except OSError:
            pass
        finally:
            c.close()

    while True:
        for s in select.select(socks, [], [])[0]:
            if kind == socket.SOCK_STREAM:
                c = s.accept()[0]
                threading.Thread(target=handle, args=(c,), daemon=True).start()
                continue
            data, anc, _, peer = s.recvmsg(65536, 256)
            # Reply from the destination address of the request.
            out = []
            for level, ctype, cdata in anc:
                if level == socket.IPPROTO_IPV6 and ctype == socket.IPV6_PKTINFO:
                    out = [(level, ctype, cdata[:16] + bytes(4))]
                elif level == socket.IPPROTO_IP and ctype == 8:
                    out = [(level, ctype, bytes(4) + cdata[8:12] + bytes(4))]
            s.sendmsg([reply if mode == "id" else data], out, 0, peer)

def client(proto, addr, port, data):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(fam, kind)
    s.settimeout(5)
    try:
        s.connect((addr, port))
        s.sendall((data + "\n").encode())
        if kind == socket.SOCK_DGRAM:
            sys.stdout.buffer.write(s.recv(65536))
            return 0
        s.shutdown(socket.SHUT_WR)
        while True:
            d = s.recv(65536)
            if not d:
                return 0
            sys.stdout.buffer.write(d)
    except OSError as e:
        print("client %s %s port %d: %s" % (proto, addr, port, e), file=sys.stderr)
        return 1

if sys.argv[1] == "server":
    server(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
else:
    sys.exit(client(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]))
'

# _serve NS MODE PROTO PORT TEXT: start the server in NS in the background,
# log to the scratch directory (not our stdout, which it would keep open),
# kill it at cleanup and wait until it listens.
_serve() {
	local ns=$1 mode=$2 proto=$3 port=$4 text=$5 pid
	case $proto in
	tcp|udp) ;;
	*) echo "unknown protocol $proto" >&2; return 1 ;;
	esac
	ip netns exec "$ns" python3 -c "$_NFLB_PY" server "$mode" "$proto" "$port" "$text" \
		</dev/null >>"$NFLB_TEST_TMP/serve-$ns-$proto-$port.log" 2>&1 &
	pid=$!
	defer kill "$pid"
	wait_port "$ns" "$proto" "$port" || {
		cat "$NFLB_TEST_TMP/serve-$ns-$proto-$port.log" >&2
		return 1
	}
}

serve_echo() {
	{ local -; set +x; } 2>/dev/null
	_serve "$1" echo "$2" "$3" ""
}

serve_id() {
	{ local -; set +x; } 2>/dev/null
	_serve "$1" id "${4:-tcp}" "$2" "$3"
}

client() {
	{ local -; set +x; } 2>/dev/null
	ip netns exec "$1" python3 -c "$_NFLB_PY" client "$2" "$3" "$4" "${5:-}"
}
