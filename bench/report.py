#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py: turn the @@ lines of bench/guest.sh into the results of
`make bench`: raw.csv (every run), results.csv (every figure: runs, min,
median, max), ratios.csv (the ratios, median of per-pair ratios),
results.md (the table, with targets) and pps.png (gnuplot).

    report.py LOG OUTDIR [KEY=VALUE...]     KEY=VALUE: host facts for the header
"""
import csv
import os
import statistics
import subprocess
import sys

SYSTEMS = ["plain", "ipvs", "nflb"]
SYSTEM_NAMES = {"plain": "plain forwarding", "ipvs": "IPVS", "nflb": "nflb",
                "base": "nflb's baseline", "grow": "nflb growing its table",
                "client": "generators",
                "none": "no entries"}
MODES = ["nat", "dr", "tun", "gue"]
# Figures measured for a baseline build too (NFLB_BENCH_BASE): the label
# of each in the baseline's table.
BASE_FIGURES = [("pps." + m, "packets/s, " + m.upper()) for m in MODES] + \
    [("cpu.pps." + m, "packets per busy director CPU-second, " + m.upper())
     for m in MODES] + \
    [("newconn.tcp", "new connections/s, TCP SYNs"),
     ("cpu.newconn.tcp", "new connections per busy director CPU-second, TCP"),
     ("newconn.udp", "new connections/s, UDP datagrams"),
     ("cpu.newconn.udp", "new connections per busy director CPU-second, UDP")]

# figure -> (label, unit, format)
UNITS = {
    "pps": ("packets/s", "{:,.0f}"),
    "offered": ("packets/s", "{:,.0f}"),
    "gen": ("packets/s", "{:,.0f}"),
    "newconn": ("connections/s", "{:,.0f}"),
    "mem": ("bytes", "{:,.0f}"),
    "idle": ("per mille of a CPU", "{:,.0f}"),
    "ctl": ("seconds", "{:,.3f}"),
    # per second the director's CPU was busy (guest.sh), how busy it was,
    # and how long its vCPU thread ran on the host (hostcpu.py)
    "cpu": ("per busy director CPU-second", "{:,.0f}"),
    "busy": ("per mille of the window", "{:,.0f}"),
    "vcpu": ("per mille of the window", "{:,.0f}"),
}


def unit_of(fig):
    return UNITS[fig.split(".")[0]]


def parse(path):
    runs = {}       # (figure, system) -> {run: value}
    na = {}         # (figure, system) -> reason
    meta = {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("@@BENCH "):
                _, fig, sys_, run, value = line.split(None, 4)
                runs.setdefault((fig, sys_), {})[int(run)] = float(value)
            elif line.startswith("@@NA "):
                _, fig, sys_, reason = line.split(None, 3)
                na[(fig, sys_)] = reason
            elif line.startswith("@@META "):
                parts = line.split(None, 2)
                meta[parts[1]] = parts[2] if len(parts) > 2 else ""
    return runs, na, meta


def stats(values):
    v = sorted(values)
    return min(v), statistics.median(v), max(v)


def pair_ratio(runs, num, den):
    """Median, min, max of per-pair ratios num/den (pairs matched by run)."""
    if num not in runs or den not in runs:
        return None
    r = [runs[num][i] / runs[den][i] for i in runs[num]
         if i in runs[den] and runs[den][i] > 0]
    return stats(r) if r else None


def fmt(fig, x):
    return unit_of(fig)[1].format(x)


UNSATURATED = []   # cells whose director was not overloaded


def offered_fig(fig):
    """The figure holding what the generators offered during fig's runs."""
    if fig.startswith("pps.") and fig.count(".") == 1 and "conns" not in fig:
        return "offered." + fig[4:]
    if fig.startswith("newconn."):
        return "offered." + fig
    return None


def cell(runs, na, fig, sys_):
    key = (fig, sys_)
    if key in na:
        return "n/a: " + na[key]
    if key not in runs:
        return ""
    lo, med, hi = stats(runs[key].values())
    mark = ""
    # Offered within 5% of delivered: the generator, not the director,
    # may have set the pace; the figure is then a lower bound.
    off = offered_fig(fig)
    if off and (off, sys_) in runs:
        o = statistics.median(runs[(off, sys_)].values())
        if o < med * 1.05:
            mark = " †"
            UNSATURATED.append("%s %s" % (fig, sys_))
    if lo == hi:
        return fmt(fig, med) + mark
    return "%s (%s–%s)%s" % (fmt(fig, med), fmt(fig, lo), fmt(fig, hi), mark)


def rcell(r):
    if not r:
        return ""
    lo, med, hi = r
    if lo == hi:
        return "%.2fx" % med
    return "%.2fx (%.2f–%.2f)" % (med, lo, hi)


def verdict(conds):
    """conds: list of (value or None, op, bound).  yes / no / n/a."""
    out = []
    for v, op, bound in conds:
        if v is None:
            return "n/a"
        out.append(v >= bound if op == ">=" else v <= bound)
    return "yes" if all(out) else "**no**"


def med(r):
    return r[1] if r else None


def main():
    log, outdir = sys.argv[1], sys.argv[2]
    host = dict(a.split("=", 1) for a in sys.argv[3:])
    runs, na, meta = parse(log)
    if not runs:
        sys.exit("report.py: no @@BENCH lines in %s" % log)
    os.makedirs(outdir, exist_ok=True)

    with open(os.path.join(outdir, "raw.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["figure", "system", "run", "value", "unit"])
        for (fig, sys_), rv in sorted(runs.items()):
            for i, v in sorted(rv.items()):
                w.writerow([fig, sys_, i, v, unit_of(fig)[0]])

    with open(os.path.join(outdir, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["figure", "system", "runs", "min", "median", "max", "unit"])
        for (fig, sys_), rv in sorted(runs.items()):
            lo, m, hi = stats(rv.values())
            w.writerow([fig, sys_, len(rv), lo, m, hi, unit_of(fig)[0]])
        for (fig, sys_), reason in sorted(na.items()):
            w.writerow([fig, sys_, 0, "", "", "", "n/a: " + reason])

    # Ratios: (name, numerator, denominator)
    ratio_defs = []
    for m in MODES:
        f = "pps." + m
        ratio_defs += [(f + " nflb/plain", (f, "nflb"), (f, "plain")),
                       (f + " idle/plain", (f, "idle"), (f, "plain")),
                       (f + " nflb/ipvs", (f, "nflb"), (f, "ipvs")),
                       (f + " ipvs/plain", (f, "ipvs"), (f, "plain"))]
    for m in MODES:
        f = "cpu.pps." + m
        ratio_defs += [(f + " nflb/plain", (f, "nflb"), (f, "plain")),
                       (f + " nflb/ipvs", (f, "nflb"), (f, "ipvs")),
                       (f + " ipvs/plain", (f, "ipvs"), (f, "plain"))]
    for k in ("tcp", "udp"):
        for f in ("newconn." + k, "cpu.newconn." + k):
            ratio_defs += [(f + " nflb/ipvs", (f, "nflb"), (f, "ipvs")),
                           (f + " grow/ipvs", (f, "grow"), (f, "ipvs"))]
    ratio_defs.append(("pps.conns big/small",
                       ("pps.conns-big", "nflb"), ("pps.conns-small", "nflb")))
    ratio_defs.append(("cpu.pps.conns big/small",
                       ("cpu.pps.conns-big", "nflb"), ("cpu.pps.conns-small", "nflb")))
    for f in ("ctl.load", "ctl.list", "ctl.save", "ctl.flush"):
        ratio_defs.append((f + " ipvs/nflb", (f, "ipvs"), (f, "nflb")))
    for f, _ in BASE_FIGURES:
        ratio_defs += [(f + " nflb/base", (f, "nflb"), (f, "base")),
                       (f + " base/ipvs", (f, "base"), (f, "ipvs"))]
    ratios = {}
    with open(os.path.join(outdir, "ratios.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ratio", "pairs", "min", "median", "max"])
        for name, num, den in ratio_defs:
            r = pair_ratio(runs, num, den)
            ratios[name] = r
            if r:
                n = len([i for i in runs[num] if i in runs[den]])
                w.writerow([name, n, "%.4f" % r[0], "%.4f" % r[1], "%.4f" % r[2]])

    def mstat(fig, sys_):
        rv = runs.get((fig, sys_))
        return statistics.median(rv.values()) if rv else None

    # The table.
    L = []
    L.append("Run of %s on %s; guest kernel %s under QEMU TCG, %s vCPUs "
             "(-cpu %s), %s MB; %s pairs per figure%s." % (
                 host.get("date", "?"), host.get("machine", "?"),
                 meta.get("kernel", "?"), meta.get("cpus", "?"),
                 host.get("vcpu", "?"),
                 meta.get("mem_mb", "?"), meta.get("pairs", "?"),
                 " (QUICK: shortened, not comparable to the targets)"
                 if meta.get("quick") == "1" else ""))
    L.append("Host load average %s before, %s after; %s other QEMU guests "
             "running at the start. Cells: median (min–max) of the runs; "
             "ratios: median (min–max) of the per-pair ratios." % (
                 host.get("load_before", "?"), host.get("load_after", "?"),
                 host.get("other_vms", "?")))
    L.append("")
    L.append("| figure | plain forwarding | IPVS | nflb | nflb / plain | nflb / IPVS | target | met |")
    L.append("|---|---|---|---|---|---|---|---|")
    targets = {"nat": 0.9, "dr": 1.0, "tun": 0.85, "gue": 0.85}
    # Each mode's packets per second, then the same windows per second of
    # the director's busy CPU.
    for pre, what in (("pps.", "packets/s, %%s, UDP, %s flows" %
                       meta.get("pps.flows", "?")),
                      ("cpu.pps.", "packets per busy director CPU-second, %s")):
        for m in MODES:
            f = pre + m
            if not any((f, s) in runs or (f, s) in na for s in SYSTEMS):
                continue
            rp, ri = ratios.get(f + " nflb/plain"), ratios.get(f + " nflb/ipvs")
            L.append("| %s | %s | %s | %s | %s | %s | ≥ %.2fx plain, ≥ 1.5x IPVS | %s |" % (
                what % {"tun": "TUN (IPIP)", "gue": "TUN (GUE)"}.get(m, m.upper()),
                cell(runs, na, f, "plain"), cell(runs, na, f, "ipvs"),
                cell(runs, na, f, "nflb"), rcell(rp), rcell(ri), targets[m],
                verdict([(med(rp), ">=", targets[m]), (med(ri), ">=", 1.5)])))
    def busy_of(fig, systems):
        """'IPVS 950/968' per system: busy and vCPU-thread per mille"""
        b = []
        for s_ in systems:
            if ("busy." + fig, s_) in runs:
                v = fmt("busy", mstat("busy." + fig, s_))
                if ("vcpu." + fig, s_) in runs:
                    v += "/" + fmt("vcpu", mstat("vcpu." + fig, s_))
                b.append("%s %s" % (SYSTEM_NAMES[s_], v))
        return ", ".join(b)

    busy = []
    for m in MODES:
        b = busy_of("pps." + m, SYSTEMS)
        if b:
            busy.append("%s: %s" % (m.upper(), b))
    if ("pps.nat", "idle") in runs:
        r = pair_ratio(runs, ("pps.nat", "idle"), ("pps.nat", "plain"))
        ratios["pps.nat idle/plain"] = r
        L.append("| packets/s, plain forwarding with nflb loaded but not configured there | %s | | | %s | | | |" % (
            cell(runs, na, "pps.nat", "idle"), rcell(r)))
    # (Both tables sized up front since the "grow" runs came.)
    sized = " (both tables 2^20 buckets)" if any(
        ("newconn." + k, "grow") in runs for k in ("tcp", "udp")) else ""
    for k, what in (("tcp", "TCP SYNs"), ("udp", "UDP datagrams")):
        # Delivered (a row if either system ran), and per busy second of
        # the director's CPU (if both have the figure).
        for pre, label, need in (
                ("", "new connections/s, %s from random addresses and ports", any),
                ("cpu.", "new connections per busy director CPU-second, %s", all)):
            f = pre + "newconn." + k
            if not need((f, s_) in runs for s_ in ("nflb", "ipvs")):
                continue
            ri = ratios.get(f + " nflb/ipvs")
            L.append("| %s | | %s | %s | | %s | ≥ 1.5x IPVS | %s |" % (
                label % what + sized, cell(runs, na, f, "ipvs"),
                cell(runs, na, f, "nflb"), rcell(ri),
                verdict([(med(ri), ">=", 1.5)])))
        # nflb at its default table size, which it outgrows meanwhile.
        for pre, label in (
                ("", "new connections/s, %s, nflb's table growing from 2^16 buckets meanwhile"),
                ("cpu.", "new connections per busy director CPU-second, %s, nflb's table growing")):
            f = pre + "newconn." + k
            if (f, "grow") in runs:
                L.append("| %s | | %s | %s | | %s | | |" % (
                    label % what, cell(runs, na, f, "ipvs"),
                    cell(runs, na, f, "grow"), rcell(ratios.get(f + " grow/ipvs"))))
        b = busy_of("newconn." + k, ("ipvs", "nflb"))
        if b:
            busy.append("new %s: %s" % (k.upper(), b))
    ent = meta.get("conns.entries")
    if ("mem.slab", "nflb") in runs:
        v = mstat("mem.slab", "nflb")
        L.append("| bytes per connection, slab, %s entries | | %s | %s | | | ≤ 128 | %s |" % (
            "{:,}".format(int(ent)) if ent else "?",
            cell(runs, na, "mem.slab", "ipvs"), cell(runs, na, "mem.slab", "nflb"),
            verdict([(-v, ">=", -128)])))
        nb = meta.get("conns.nflb_buckets")
        L.append("| bytes per connection, slab + hash table (IPVS 2^%s buckets, nflb %s) | | %s | %s | | | | |" % (
            meta.get("conns.ipvs_hash_bits", meta.get("conns.hash_bits", "?")),
            "grown to 2^%d" % (int(nb).bit_length() - 1) if nb else "2^20",
            cell(runs, na, "mem.total", "ipvs"), cell(runs, na, "mem.total", "nflb")))
    if ("idle.cpu", "nflb") in runs:
        L.append("| CPU busy without traffic holding them, per mille of one CPU (none: %s) | | %s | %s | | | | |" % (
            cell(runs, na, "idle.cpu", "none"),
            cell(runs, na, "idle.cpu", "ipvs"), cell(runs, na, "idle.cpu", "nflb")))
    for pre, what in (("", "packets/s with %s entries vs %s (NAT, UDP)"),
                      ("cpu.", "packets per busy director CPU-second with %s entries vs %s")):
        r = ratios.get(pre + "pps.conns big/small")
        if not r:
            continue
        L.append("| %s | | | %s vs %s | %s (big / small) | | ≥ 0.8x | %s |" % (
            what % ("{:,}".format(int(ent)) if ent else "?", meta.get("pps.flows", "?")),
            cell(runs, na, pre + "pps.conns-big", "nflb"),
            cell(runs, na, pre + "pps.conns-small", "nflb"),
            rcell(r), verdict([(med(r), ">=", 0.8)])))
    svc = meta.get("control.services")
    nsvc = "{:,}".format(int(svc)) if svc else "?"
    for f, what, tool_i, tool_n, tgt in (
            ("ctl.load", "load %s services x 4 backends, s" % nsvc, "ipvsadm -R", "lbctl restore", 1.0),
            ("ctl.list", "list them, s", "ipvsadm -Ln", "lbctl list", 0.5),
            ("ctl.save", "save them, s", "ipvsadm -Sn", "lbctl save", None),
            ("ctl.flush", "delete them all, s", "ipvsadm -C", "lbctl flush", None)):
        if (f, "nflb") not in runs:
            continue
        r = ratios.get(f + " ipvs/nflb")
        v = mstat(f, "nflb")
        if f == "ctl.load":
            target, met = "≤ 1 s, ≥ 15x faster than IPVS", verdict([(-v, ">=", -1.0), (med(r), ">=", 15)])
        elif tgt:
            target, met = "≤ %g s" % tgt, verdict([(-v, ">=", -tgt)])
        else:
            target, met = "", ""
        speed = ""
        if r:
            speed = rcell(r) + (" faster" if r[1] >= 1 else " (nflb slower)")
        L.append("| %s (%s; %s) | | %s | %s | | %s | %s | %s |" % (
            what, tool_i, tool_n, cell(runs, na, f, "ipvs"), cell(runs, na, f, "nflb"),
            speed, target, met))
    L.append("")
    # A baseline build, measured in turns with the others.
    rows = [(f, label) for f, label in BASE_FIGURES if (f, "base") in runs]
    if rows:
        L.append("Against the baseline build (NFLB_BENCH_BASE: %s), "
                 "in turns with the systems above:" % meta.get("base", "?"))
        L.append("")
        L.append("| figure | baseline | nflb | nflb / baseline | baseline / IPVS | nflb / IPVS |")
        L.append("|---|---|---|---|---|---|")
        for f, label in rows:
            L.append("| %s | %s | %s | %s | %s | %s |" % (
                label, cell(runs, na, f, "base"), cell(runs, na, f, "nflb"),
                rcell(ratios.get(f + " nflb/base")),
                rcell(ratios.get(f + " base/ipvs")),
                rcell(ratios.get(f + " nflb/ipvs"))))
        L.append("")
    # Offered load: the figures mean something only below it.
    off = []
    if ("gen.offered", "client") in runs:
        off.append("the generators alone offered %s packets/s" % cell(runs, na, "gen.offered", "client"))
    for m in MODES:
        for s in SYSTEMS + ["base"]:
            if ("offered." + m, s) in runs and ("pps." + m, s) in runs:
                o = statistics.median(runs[("offered." + m, s)].values())
                p = statistics.median(runs[("pps." + m, s)].values())
                off.append("%s %s %s/s offered for %s delivered" % (
                    m.upper(), SYSTEM_NAMES[s], fmt("pps", o), fmt("pps", p)))
    for k in ("tcp", "udp"):
        for s in ("ipvs", "nflb", "grow", "base"):
            if ("offered.newconn." + k, s) in runs and ("newconn." + k, s) in runs:
                o = statistics.median(runs[("offered.newconn." + k, s)].values())
                p = statistics.median(runs[("newconn." + k, s)].values())
                off.append("new %s %s %s/s offered for %s" % (
                    k.upper(), SYSTEM_NAMES[s], fmt("pps", o), fmt("pps", p)))
    if UNSATURATED:
        L.append("† The generators offered less than 5% more than was delivered "
                 "(medians): the director may not have been the bottleneck, so "
                 "the figure is a lower bound for it.")
        L.append("")
    if off:
        L.append("Offered load (medians): " + "; ".join(off) + ".")
    if busy:
        L.append("")
        L.append("Per busy director CPU-second: each counting window's packets "
                 "over the time the director's CPU was busy in it (the guest's "
                 "/proc/stat): what the director forwards with its CPU busy all "
                 "along, whether or not the generator kept it so. Its CPU was "
                 "busy, and its vCPU thread ran on the host (bench/hostcpu.py), "
                 "per mille of the window (medians): " + "; ".join(busy) + ".")
    times = [(k[5:], v) for k, v in meta.items() if k.startswith("time.")]
    if times:
        L.append("Time per test: " + ", ".join("%s %s s" % t for t in times) +
                 "; whole run %s s." % host.get("elapsed", "?"))
    md = "\n".join(L) + "\n"
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(md)
    sys.stdout.write(md)

    # The chart: packets/s by mode, bars for the three systems, min-max
    # error bars.
    dat = os.path.join(outdir, "pps.dat")
    have = False
    with open(dat, "w") as f:
        f.write("# mode " + " ".join("%s_med %s_min %s_max" % (s, s, s) for s in SYSTEMS) + "\n")
        for m in MODES:
            row = [m.upper()]
            for s in SYSTEMS:
                rv = runs.get(("pps." + m, s))
                if rv:
                    have = True
                    lo, me, hi = stats(rv.values())
                    row += ["%.0f" % me, "%.0f" % lo, "%.0f" % hi]
                else:
                    row += ["NaN", "NaN", "NaN"]
            if any(x != "NaN" for x in row[1:]):
                f.write(" ".join(row) + "\n")
    if have:
        gp = os.path.join(outdir, "pps.gp")
        with open(gp, "w") as f:
            f.write("""set terminal pngcairo size 900,540 font ",11"
set output "%s"
set title "UDP packets/s through one director CPU (median, min-max), %s"
set ylabel "packets/s"
set yrange [0:*]
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set key top right
set grid ytics
plot "%s" using 2:3:4:xtic(1) title "plain forwarding" lc rgb "#888888", \\
     "" using 5:6:7 title "IPVS" lc rgb "#4477aa", \\
     "" using 8:9:10 title "nflb" lc rgb "#ee6677"
""" % (os.path.join(outdir, "pps.png"), meta.get("kernel", ""), dat))
        try:
            subprocess.run(["gnuplot", gp], check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            sys.exit("report.py: gnuplot failed: %s" % e)


if __name__ == "__main__":
    main()
