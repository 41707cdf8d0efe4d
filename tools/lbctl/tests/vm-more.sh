#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# More lbctl checks in the guest: selftests/vm-run -- sh tools/lbctl/tests/vm-more.sh
t() { echo "\$ lbctl $*"; lbctl "$@"; echo "[exit $?]"; }
modprobe nflb || exit 1
sh tools/lbctl/tests/cli.sh | tail -3
echo "--- big service, list SERVICE falls back to the dump"
python3 - > /tmp/big <<'PY'
print("add-service udp 10.5.5.5:53 sched rr mode nat")
for i in range(3000):
    print("add-backend udp 10.5.5.5:53 10.6.%d.%d:%d weight %d" % (i // 250, i % 250 + 1, 1000 + i, i % 7))
PY
printf 'flush\nset-timeouts tcp 77\nadd-service tcp 10.7.7.7:80\n' | lbctl restore -; echo "[exit $?]"
lbctl restore /tmp/big; echo "[exit $?]"
lbctl -j list udp 10.5.5.5:53 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), [len(s["backends"]) for s in d])'
lbctl list tcp 10.7.7.7:80
lbctl info | grep timeouts
lbctl save | grep -v 10.7.7.7 | cmp - /tmp/big && echo "big save matches"
lbctl save /tmp/saved.conf; echo "[exit $?]"; ls -l /tmp/saved.conf*; wc -l /tmp/saved.conf
t flush
echo "--- list while the configuration changes (NLM_F_DUMP_INTR)"
python3 - > /tmp/k5 <<'PY'
for i in range(5000):
    print("add-service tcp 10.%d.%d.1:80" % divmod(i, 250))
    print("add-backend tcp 10.%d.%d.1:80 10.9.9.9" % divmod(i, 250))
PY
lbctl restore /tmp/k5
( i=0; while [ $i -lt 400 ]; do lbctl add-service udp 10.200.0.1:99 2>/dev/null; lbctl del-service udp 10.200.0.1:99; i=$((i+1)); done ) &
churn=$!
for k in 1 2 3 4 5 6; do
	lbctl -j list > /tmp/l.json; rc=$?
	python3 -c 'import json; d=json.load(open("/tmp/l.json")); print("list", len(d), "services", sum(len(s["backends"]) for s in d), "backends")' 2>&1
	echo "[exit $rc]"
done
wait $churn
t flush
echo "--- -j errors stay on stderr, stdout empty"
lbctl -j list tcp 10.1.1.1:1 2>/dev/null | wc -c
