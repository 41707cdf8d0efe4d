#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# lbctl end-to-end checks, run in the guest: selftests/vm-run -- sh tools/lbctl/tests/vm-smoke.sh
# A scratch notebook for lbctl's author; the real KTAP tests live in selftests/.
t() { echo "\$ lbctl $*"; lbctl "$@"; echo "[exit $?]"; }
modprobe nflb || exit 1
t add-service tcp 10.0.0.100:80 sched wrr
t add-backend tcp 10.0.0.100:80 10.0.0.2 weight 2
t add-backend tcp 10.0.0.100:80 10.0.0.3:8080
t add-service udp 10.0.0.100:53 sched sh persist 300
t add-backend udp 10.0.0.100:53 10.0.0.22:5353 weight 0
t list
t -j list
t -p list
t list tcp 10.0.0.100:80
t -j list udp 10.0.0.100:53
t info
t -p info
t save
t conns
t -j conns
echo "--- errors"
t add-service tcp 10.0.0.100:80
t add-service tcp 10.0.0.101:80 sched foo
t add-service tcp 10.0.0.101:80 mode dr
t add-service tcp [2001:db8::1]:80
t add-service tcp 10.0.0.101:80 mss-clamp 1400
t del-service tcp 10.9.9.9:80
t del-backend tcp 10.0.0.100:80 10.0.0.9
t add-backend tcp 10.0.0.100:80 10.0.0.2
t add-backend tcp 10.9.9.9:80 10.0.0.2
t list tcp 10.9.9.9:80
t set-backend tcp 10.0.0.100:80 10.0.0.2 weight 5
t set-service tcp 10.0.0.100:80 sched rr persist 10
t set-timeouts tcp 100 udp 30
t set-timeouts tcpfin 0
t info
t del-backend tcp 10.0.0.100:80 10.0.0.3:8080
t list
echo "--- save/restore round trip"
lbctl save > /tmp/saved
t flush
t list
t restore /tmp/saved
lbctl save > /tmp/saved2
cmp /tmp/saved /tmp/saved2 && echo "round trip OK"
echo "--- restore errors"
printf 'add-service tcp 10.1.0.1:80\n# comment\n\nadd-backend tcp 10.1.0.1:80 10.2.0.1 # trailing\nadd-service tcp 10.1.0.1:80 sched rr\nadd-service tcp 10.1.0.2:80\n' > /tmp/bad1
t restore /tmp/bad1
t list
printf 'add-service tcp 10.1.0.3:80\nadd-service tcp 10.1.0.4:80 bogus 1\n' > /tmp/bad2
t restore /tmp/bad2
t list tcp 10.1.0.3:80
t flush
echo "--- one service with 3000 backends (the dump splits it)"
python3 - > /tmp/big <<'PY'
print("add-service udp 10.5.5.5:53 sched rr")
for i in range(3000):
    print("add-backend udp 10.5.5.5:53 10.6.%d.%d:%d weight %d" % (i // 250, i % 250 + 1, 1000 + i, i % 7))
PY
t restore /tmp/big
time lbctl list udp 10.5.5.5:53 > /tmp/bigl; echo "[exit $?]"; wc -l /tmp/bigl
lbctl -j list | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), [len(s["backends"]) for s in d])'
lbctl -j list udp 10.5.5.5:53 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), [len(s["backends"]) for s in d])'
lbctl save | cmp - /tmp/big && echo "big save matches" || lbctl save | diff - /tmp/big | head
t flush
echo "--- 1000 services"
i=0; : > /tmp/k1
for a in $(seq 0 9); do for b in $(seq 1 100); do
	echo "add-service tcp 10.$a.$b.1:80 sched rr"; echo "add-backend tcp 10.$a.$b.1:80 192.168.$a.$b:8080 weight 3"
done; done > /tmp/k1
time lbctl restore /tmp/k1; echo "[exit $?]"
lbctl list | grep -c '^tcp'
lbctl -j list | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), sum(len(s["backends"]) for s in d))'
lbctl save | sort > /tmp/k1s; sed 's/ sched rr/ sched rr mode nat/' /tmp/k1 | sort | cmp - /tmp/k1s && echo "1000 save matches"
t flush
echo "--- 10000 x 4"
python3 - > /tmp/k10 <<'PY'
for i in range(10000):
    a, b = divmod(i, 250)
    vip = "10.%d.%d.1:80" % (a, b)
    print("add-service tcp %s sched wrr" % vip)
    for k in range(4):
        print("add-backend tcp %s 172.16.%d.%d:8080 weight %d" % (vip, a, b * 4 % 250 + k, k + 1))
PY
wc -l /tmp/k10
time lbctl restore /tmp/k10; echo "[exit $?]"
time lbctl list > /tmp/k10l; echo "[exit $?]"; wc -l /tmp/k10l
time lbctl -j list > /tmp/k10j; echo "[exit $?]"
python3 -c 'import json; d=json.load(open("/tmp/k10j")); print(len(d), sum(len(s["backends"]) for s in d))'
time lbctl save > /tmp/k10s; wc -l /tmp/k10s
t info
time lbctl flush
echo "--- restore again, 10000 x 4"
time lbctl restore /tmp/k10; echo "[exit $?]"
echo "--- a failure deep in the file (line 30001 repeats line 1)"
t flush
{ head -30000 /tmp/k10; head -1 /tmp/k10; tail -n +30001 /tmp/k10; } > /tmp/k10bad
t restore /tmp/k10bad
t info
t flush
