#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""hostcpu.py: how long the director's virtual CPU ran on the host during
each counting window.

    vm-run ... -- bench/guest.sh | hostcpu.py QEMU_PIDFILE | tee LOG

Under TCG a virtual CPU is a host thread, and the guest cannot tell when
the host preempts it: a director standing still for another host process
looks busy to the guest's own accounting, and its packet rate drops.  The
thread's run time on the host, against the window's wall-clock length,
shows it.

Lines pass through unchanged.  guest.sh prints "@@MARK start|end CPU"
(CPU: the director's vCPU) around each counting window, and with a window's
first figure "@@WINDOW FIGURE SYSTEM RUN ..."; after that line this adds

    @@BENCH vcpu.FIGURE SYSTEM RUN PER-MILLE-OF-THE-WINDOW

(the thread also runs while the guest handles its idle wake-ups, so a
director with idle time still shows more than the guest's busy share).
Without the pidfile, or with QEMU's threads not named "CPU N/TCG"
(vm-run names them when given NFLB_VM_PIDFILE), nothing is added.
"""
import os
import sys
import time


def vcpu_threads(pid):
    """{vCPU index: /proc path of its schedstat}"""
    out = {}
    base = "/proc/%d/task" % pid
    for tid in os.listdir(base):
        try:
            with open("%s/%s/comm" % (base, tid)) as f:
                comm = f.read().strip()
        except OSError:
            continue
        # "CPU 1/TCG" (or "CPU 1/KVM")
        if comm.startswith("CPU ") and "/" in comm:
            idx = comm[4:].split("/")[0]
            if idx.isdigit():
                out[int(idx)] = "%s/%s/schedstat" % (base, tid)
    return out


def run_ns(path):
    with open(path) as f:
        return int(f.read().split()[0])


def main():
    pidfile = sys.argv[1]
    threads = None
    marks = {}
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    # Bytes through as they come (readline: each line at once), whatever
    # their encoding; a line of ours is ASCII.
    for raw in iter(inp.readline, b""):
        out.write(raw)
        line = raw.decode("ascii", "replace")
        try:
            if line.startswith("@@MARK "):
                parts = line.split()
                if threads is None:
                    try:
                        with open(pidfile) as f:
                            threads = vcpu_threads(int(f.read().strip()))
                    except (OSError, ValueError):
                        threads = {}
                try:
                    marks[parts[1]] = (run_ns(threads[int(parts[2])]),
                                       time.monotonic_ns())
                except (IndexError, ValueError, KeyError, OSError):
                    marks.pop(parts[1] if len(parts) > 1 else "", None)
            elif line.startswith("@@WINDOW "):
                _, fig, sys_, run = line.split()[:4]
                if "start" in marks and "end" in marks:
                    ns = marks["end"][0] - marks["start"][0]
                    wall = marks["end"][1] - marks["start"][1]
                    if ns >= 0 and wall > 0:
                        out.write(b"@@BENCH vcpu.%s %s %s %.0f\n" % (
                            fig.encode(), sys_.encode(), run.encode(),
                            1000.0 * ns / wall))
                marks.clear()
        except ValueError:
            pass    # a line cut short: it only passes through
        out.flush()


if __name__ == "__main__":
    main()
