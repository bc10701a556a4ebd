"""Writes bench-results/report.md, the .dat files and the gnuplot PNG charts."""

import os
import platform
import subprocess
import time

from bench import fmt, median, out, p95, ratio

MiB = 1024.0 * 1024.0
BASE_NOTE = (" `base-*` are the second build (`--reg-runc-base`) in the same modes, measured in the same "
             "rounds; `reg-MODE/base-MODE (Δ ms)` is the ratio of the medians and, in brackets, their difference in ms "
             "(above 1, or positive: `reg-*` is slower than the base).")


def cgroup_layout():
    def fstype(p):
        r = subprocess.run(["stat", "-f", "-c", "%T", p], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        return r.stdout.strip()
    top = fstype("/sys/fs/cgroup")
    if top == "cgroup2fs":
        return "unified (cgroup v2)"
    return "legacy/hybrid: /sys/fs/cgroup is %s" % top


def gnuplot(out_dir, name, script):
    path = os.path.join(out_dir, name + ".gp")
    with open(path, "w") as f:
        f.write("set terminal pngcairo noenhanced size 900,520 font 'sans,10'\nset output '%s.png'\n" % name)
        f.write(script)
    r = subprocess.run(["gnuplot", name + ".gp"], cwd=out_dir, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        return "(chart %s failed: %s)" % (name, r.stderr.strip()[:200])
    return "![%s](%s.png)" % (name, name)


def build_version(binary):
    """The version and commit lines of reg-runc --version."""
    return "; ".join(l for l in out([binary, "--version"]).splitlines() if l.startswith(("reg-runc", "commit")))


def signed(x):
    return "–" if x != x else "%+.2f" % x


def build_pairs(rts):
    """(reg-MODE, base-MODE) for each REG mode that both builds measured."""
    return [(r, "base" + r[3:]) for r in rts if r.startswith("reg-") and "base" + r[3:] in rts]


def time_table(w, times, steps, dat):
    """One row per step: median (p95) ms of each runtime, its ratio to crun, and
    reg/base per REG mode when a base build ran; the medians also to the file dat."""
    rts = list(times.keys())
    others = [r for r in rts if r != "crun"]
    pairs = build_pairs(rts)
    w("| step | " + " | ".join("%s median (p95)" % r for r in rts) + " | " +
      " | ".join("%s/crun" % r for r in others) + "".join(" | %s/%s (Δ ms)" % p for p in pairs) + " |")
    w("|---" * (1 + len(rts) + len(others) + len(pairs)) + "|")
    with open(dat, "w") as f:
        f.write("step " + " ".join(rts) + "\n")
        for step in steps:
            meds = {r: median(times[r][step]) * 1000 for r in rts}
            p95s = {r: p95(times[r][step]) * 1000 for r in rts}
            base = meds.get("crun")
            w("| %s | " % step + " | ".join("%s (%s)" % (fmt(meds[r]), fmt(p95s[r])) for r in rts) + " | " +
              " | ".join(fmt(ratio(meds[r], base)) for r in others) +
              "".join(" | %s (%s)" % (fmt(ratio(meds[a], meds[bb])), signed(meds[a] - meds[bb])) for a, bb in pairs) + " |")
            f.write(step + " " + " ".join(fmt(meds[r], 3).replace("–", "NaN") for r in rts) + "\n")


def quantile(xs, q):
    """Linear-interpolated quantile of the values that are not None."""
    v = sorted(x for x in xs if x is not None)
    if not v:
        return float("nan")
    pos = q * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def paired_ratios(xs, ys):
    """Round-by-round ratios x/y (both measured in the same round)."""
    return [x / y for x, y in zip(xs, ys) if x is not None and y is not None and y > 0]


def ratio_section(w, o, name, title, series, scale=1000.0, unit="ms", bases=("crun", "runc"), note="", paired=()):
    """One row per series: median, IQR and p95 (values per round, None = failed),
    the ratio of its median to each base's, and the round-by-round ratio to
    the first base (median [IQR]), and to each of paired too; name.dat and a
    chart of the per-round ratios to the first base (median, IQR).  Returns
    {label: (per-round ratio median, p25, p75)} (to the first base), and
    {(label, base): the same} for the bases in paired."""
    bases = [x for x in bases if x in series]
    paired = [x for x in paired if x in series]
    w("| %s | median %s | IQR | p95 | " % ("case", unit) + " | ".join("median/%s" % x for x in bases) +
      "".join(" | per-round /%s median [IQR]" % x for x in bases[:1] + paired) + " | failed |")
    w("|---" * (5 + len(bases) + len(bases[:1] + paired)) + "|")
    out_ = {}
    top = 0.0
    with open(os.path.join(o, name + ".dat"), "w") as f:
        f.write("case ratio p25 p75\n")
        for label, xs in series.items():
            vals = [x * scale for x in xs if x is not None]
            med = median(vals)
            row = "| %s | %s | %s–%s | %s | " % (label, fmt(med), fmt(quantile(vals, 0.25)),
                                                fmt(quantile(vals, 0.75)), fmt(p95(vals)))
            row += " | ".join(fmt(ratio(med, median([x * scale for x in series[bb] if x is not None])))
                              for bb in bases)
            if bases:
                pr = paired_ratios(xs, series[bases[0]])
                r0, lo, hi = median(pr), quantile(pr, 0.25), quantile(pr, 0.75)
                out_[label] = (r0, lo, hi)
                top = max(top, hi if hi == hi else 0)
                row += " | %s [%s–%s]" % (fmt(median(pr)), fmt(lo), fmt(hi))
                for pb in paired:
                    pr2 = paired_ratios(xs, series[pb])
                    lo2, hi2 = quantile(pr2, 0.25), quantile(pr2, 0.75)
                    out_[(label, pb)] = (median(pr2), lo2, hi2)
                    row += " | %s [%s–%s]" % (fmt(median(pr2)), fmt(lo2), fmt(hi2))
                f.write('"%s" %s %s %s\n' % (label, fmt(r0, 3).replace("–", "NaN"), fmt(lo, 3).replace("–", "NaN"),
                                             fmt(hi, 3).replace("–", "NaN")))
            w(row + " | %d |" % sum(1 for x in xs if x is None))
    w("")
    if note:
        w(note + "\n")
    if bases:
        w(gnuplot(o, name, "set title '%s: per-round ratio to %s, median and IQR'\n"
                  "set style fill solid 0.7 border -1\nset boxwidth 0.6\n%s\nset grid ytics\n"
                  "set xtics rotate by -30\nset key off\nset ylabel 'x %s'\nset arrow from graph 0, first 1 to "
                  "graph 1, first 1 nohead dt 2\n"
                  "plot '%s.dat' u 0:2:xtic(1) w boxes, '' u 0:2:3:4 w yerrorbars lc rgb 'black' pt 0\n"
                  % (title, bases[0], "set logscale y\nset yrange [0.1:*]" if top > 10 else "set yrange [0:*]",
                     bases[0], name)))
        w("")
    return out_


def goals(b):
    """The goals of issue #17, each with the ratio this run measured and whether
    it is met (a row per case; – when its section did not run)."""
    rows = []  # (goal, case, (ratio, p25, p75) or None, limit, extra)

    def get(d, *keys):
        for k in keys:
            if not isinstance(d, dict) or k not in d:
                return None
            d = d[k]
        return d
    fr = getattr(b, "first_ratios", {})
    for mode, lim in (("share", 2.0), ("minimal", 3.0)):
        for wl in fr:
            rows.append(("cold %s create of the Debian image ≤ %.1f× crun's create" % (mode, lim),
                         "%s, %s (1c)" % (wl, "reg-%s cold" % mode), get(fr, wl, "reg-%s cold" % mode), lim, None))
    for mode in ("share", "minimal"):
        for wl in fr:
            rows.append(("new copy of a known image, warm store: %s create ≤ 1.3× crun" % mode,
                         "%s, reg-%s new-copy (1c)" % (wl, mode), get(fr, wl, "reg-%s new-copy" % mode), 1.3, None))
    cr = getattr(b, "client_ratios", {})
    for client in cr:
        for mode in ("share", "minimal"):
            rows.append(("`%s run --rm` of the Debian image with %s ≤ 1.1× off (after the first run)"
                         % (client.split()[0], mode),
                         "%s, reg-%s / reg-off (7)" % (client.split()[1], mode),
                         get(cr, client, ("reg-%s" % mode, "reg-off")), 1.1, None))
    fd = getattr(b, "fd_ratios", {})
    fdres = b.results.get("first_density")
    for mode in ("share", "minimal"):
        if not fd:
            break
        n = fdres["n"]
        rows.append(("density N=%d, first start: ΣPSS + page-cache growth ≤ 0.6× crun" % n, "reg-%s (3b)" % mode,
                     get(fd, ("first", "mem"), "reg-" + mode), 0.6, None))
        rows.append(("density N=%d, first start: time to start all ≤ 1.3× crun" % n, "reg-%s (3b)" % mode,
                     get(fd, ("first", "time"), "reg-" + mode), 1.3, None))
        rows.append(("density N=%d, steady state: ΣPSS + page-cache growth ≤ 0.45× crun" % n, "reg-%s (3b)" % mode,
                     get(fd, ("steady", "mem"), "reg-" + mode), 0.45, None))
    ds = getattr(b, "ds_ratios", {})
    dsres = b.results.get("debian_storm")
    for mode in ("share", "minimal"):
        if not ds:
            break
        fails = sum(e["failed"] for e in dsres["res"].get("reg-" + mode, []))
        rows.append(("storm of %d containers, %d parallel, from distinct Debian copies ≤ 1.3× crun, 0 failures"
                     % (dsres["count"], dsres["par"]), "reg-%s (4b)" % mode, get(ds, "reg-" + mode), 1.3, fails))
    L = ["## Goals of issue #17\n",
         "Each goal with the ratio measured in this run: the median of the per-round (or per-repetition) "
         "ratios, each of a case to its baseline measured in the same round, and in brackets their IQR; met "
         "when that median is within the limit%s. "
         "The section named in brackets has the details and the spread.%s\n" % (
             "; the storm also needs 0 failures",
             " **A `--quick` run has too few rounds and containers to judge a goal: it only shows that every "
             "measurement works.**" if b.quick else ""),
         "| goal | case | measured | limit | met |", "|---|---|---|---|---|"]
    for goal, case, r, lim, fails in rows:
        if r is None or r[0] != r[0]:
            L.append("| %s | %s | not measured | ≤ %.2f× | – |" % (goal, case, lim))
            continue
        ok = r[0] <= lim and (fails is None or fails == 0)
        L.append("| %s | %s | %s× [%s–%s]%s | ≤ %.2f× | %s |" % (
            goal, case, fmt(r[0]), fmt(r[1]), fmt(r[2]), "" if fails is None else ", %d failures" % fails, lim,
            "**met**" if ok else "missed"))
    if not rows:
        L.append("| – | none of the sections with a goal ran (first, clients, first_density, debian_storm) | | | |")
    L.append("")
    return L


def write(b):
    o = b.out
    res = b.results
    L = []
    w = L.append
    w("# reg-runc benchmarks\n")
    w("Generated %s by `tests/bench/run.sh%s` in %.0f s. These are measurements, not tests: nothing is "
      "asserted; ratios are to crun (lower is better for times and memory).\n"
      % (time.strftime("%Y-%m-%d %H:%M:%S"), " --quick" if b.quick else "", res.get("elapsed", 0)))
    w("## Machine and versions\n")
    mem = open("/proc/meminfo").readline().split()[1]
    w("| | |\n|---|---|")
    w("| CPUs (nproc) | %d |" % os.cpu_count())
    w("| kernel | %s |" % platform.release())
    w("| memory | %.1f GiB |" % (int(mem) / 1024.0 / 1024.0))
    w("| host cgroup layout | hybrid: cgroup v1 controllers + cgroup2 at /sys/fs/cgroup/unified |"
      if os.environ.get("REG_BENCH_CGROUP_VIEW", "").startswith("hybrid") else
      "| cgroup layout | %s |" % cgroup_layout())
    w("| cgroup view of the benchmark | %s |" % os.environ.get("REG_BENCH_CGROUP_VIEW", "host layout"))
    w("| crun | %s |" % out(["crun", "--version"]).splitlines()[0])
    w("| runc | %s |" % " ".join(out(["runc", "--version"]).splitlines()[:2]))
    if b.reg:
        git = out(["git", "-C", b.srcdir, "log", "-1", "--format=%h %s"])
        w("| reg-runc (`reg-*`) | %s (%s; source tree at %s) |" % (build_version(b.reg), b.reg, git))
    else:
        w("| reg-runc | not found |")
    if b.base:
        w("| reg-runc base (`base-*`) | %s (%s) |" % (build_version(b.base), b.base))
    w("| python3 in the images | Debian bookworm %s |" % out(["python3", "--version"]))
    w("")
    w("**Cgroups, and fairness.** crun 1.8 refuses this host's hybrid layout (`cgroups in hybrid mode not "
      "supported`) before it looks at its options: `--cgroup-manager=disabled` and a config without "
      "`cgroupsPath` fail the same way (tried). So `run.sh` runs the whole benchmark in a private mount "
      "namespace whose `/sys/fs/cgroup` holds only the v1 hierarchies (bind mounts of the host's); every "
      "runtime runs there, with the same `config.json` (from `runc spec`: pid, net, ipc, uts, mount "
      "namespaces, default mounts, masked/readonly paths, no seccomp, no `cgroupsPath`, so each runtime "
      "makes its default cgroup per container under the cgroupfs manager). reg-runc's REG mode comes from "
      "the `run.reg.mode` annotation; its store is private to the run (`--reg-root`).\n")
    w("**Order.** Every interleaved benchmark runs the runtimes in a new random order each round (seed %d; "
      "`--seed %d` repeats the order), so no runtime always follows the same one.\n" % (b.seed, b.seed))
    w("Runtimes:\n")
    for rt in b.runtimes:
        # reg-runc builds by path: with a base build there are two
        w("- **%s**: %s%s" % (rt.label, rt.binary if rt.mode and rt.binary else os.path.basename(rt.argv[0]),
                              "" if rt.available else " — *not measured*: " + rt.reason))
    w("")
    for n in b.notes:
        w("Note: %s\n" % n)
    goals_at = len(L)  # the goals table goes here once every section has its ratios

    # ------------------------------------------------------------ lifecycle
    lc = res.get("lifecycle")
    if lc:
        w("## 1. Lifecycle (sequential, interleaved per round)\n")
        w("`create`, `start` (then the harness waits for `/bin/true` to exit), `delete`, and `run` (create + start "
          "+ wait + delete in one call) of `/bin/true`. Times are wall-clock of the runtime command as "
          "spawned by the harness, in ms. One warm-up round (not counted) first, so REG environments are "
          "cached.%s\n" % (BASE_NOTE if b.base else ""))
        for img, d in lc.items():
            rts = list(d["times"].keys())
            w("### %s image, N=%d rounds\n" % (img, d["n"]))
            time_table(w, d["times"], ("create", "start", "delete", "run"),
                       os.path.join(o, "lifecycle-%s.dat" % img))
            for r in rts:
                if d["fails"][r]:
                    w("\n%s: %d failures, first: `%s`" % (r, len(d["fails"][r]), d["fails"][r][0][:300]))
            w("")
            cols = " ".join("'' u %d ti col" % (i + 2) for i in range(len(rts))).replace(" ''", ", ''")
            w(gnuplot(o, "lifecycle-%s" % img,
                      "set title 'Lifecycle of /bin/true, %s image: median ms (N=%d)'\n"
                      "set style data histograms\nset style histogram clustered gap 1\n"
                      "set style fill solid 0.8 border -1\nset ylabel 'ms'\nset key top left\nset grid ytics\n"
                      "plot 'lifecycle-%s.dat' u 2:xtic(1) ti col%s\n"
                      % (img, d["n"], img, "".join(", '' u %d ti col" % (i + 3) for i in range(len(rts) - 1)))))
            w("")
    wc = res.get("warmcold")
    if wc:
        w("### Warm vs cold REG: `create` with the environment cached vs an empty store\n")
        w("busybox and debian run `/bin/true`; python runs the density program with "
          "`run.reg.include=/usr/lib/python3.11,/app` (minimal then stores the whole stdlib). Cold = a new, "
          "empty `--reg-root` for each create. The crun create is the median of the lifecycle rounds above (busybox "
          "and debian; python has none: section 1c measures cold and new-copy creates beside crun's in the same "
          "rounds).\n")
        w("| image | mode | cold median ms | warm median ms | cold/warm | cold/crun create | warm/crun create |")
        w("|---|---|---|---|---|---|---|")
        for img, d in wc.items():
            crun_create = (median(lc[img]["times"]["crun"]["create"]) * 1000
                           if lc and img in lc and "crun" in lc[img]["times"] else float("nan"))
            for r, e in d.items():
                c, wm = median(e["cold"]) * 1000, median(e["warm"]) * 1000
                w("| %s | %s | %s | %s | %s | %s | %s |" % (img, r, fmt(c), fmt(wm), fmt(ratio(c, wm)),
                                                            fmt(ratio(c, crun_create)), fmt(ratio(wm, crun_create))))
                if e["fails"]:
                    w("\n%s %s: %d failures: `%s`\n" % (img, r, len(e["fails"]), e["fails"][0][:200]))
        w("")

    # ------------------------------------------------- first start: cold, new copy
    first = res.get("first")
    if first:
        w("## 1c. First start: cold and new-copy `create` of the Debian image, beside crun\n")
        w("Each round makes a new `cp -a` copy B of the Debian image (new inodes, same content) and every case "
          "creates a container from it, in random order; times are wall-clock of `create` in ms. `cold`: an empty "
          "REG store (a new `--reg-root` for each create). `new-copy`: a warm store, whose environment was built "
          "by one create from copy A before the rounds; copy B is unknown to it. crun, runc and reg-off have no "
          "store: their create of the same copy B is the baseline. `/bin/true`, and python (`python3 "
          "/app/main.py`; minimal with `run.reg.include=%s`, which puts the whole stdlib, 27 MiB in 1,140 files, "
          "into its environment: python does not start without it, and it is most of minimal's python create). "
          "Per-round ratio: this case's create / crun's create "
          "of the same copy in the same round. Copies and cold stores are removed after the last round, not "
          "between rounds: on ext4 without a journal every new inode scans past the inodes freed in the last "
          "~30 s (`recently_deleted`), and removing the previous round's store and copy just before a cold "
          "create made that scan most of its time.\n" % "/usr/lib/python3.11,/app")
        for wl, d in first.items():
            w("### %s, N=%d rounds\n" % (wl, d["n"]))
            b.first_ratios = getattr(b, "first_ratios", {})
            b.first_ratios[wl] = ratio_section(w, o, "first-" + wl.split()[-1].strip("/").replace("/", "-"),
                                               "create, %s" % wl, d["times"])
            for c, f in d["fails"].items():
                if f:
                    w("%s: %d failures, first: `%s`\n" % (c, len(f), f[0][:300]))

    # ------------------------------------------------------------- idle
    idle = res.get("idle")
    if idle:
        w("## 1d. create and exec after an idle pause, v1 and cgroup2\n")
        w("Each round, in random order per runtime: %.1f s idle, `create` of a busybox `sleep` container (timed), "
          "`start`, %.1f s idle, `exec ID /bin/true` (timed), delete; N=%d rounds after one uncounted round. "
          "Moving another process into a cgroup (a write of its pid to `cgroup.procs`) waits for an RCU grace "
          "period unless another move came just before, and on a host creates are seldom that close; a process "
          "born in its cgroup (clone3's `CLONE_INTO_CGROUP`, cgroup2) or moving only itself (`0` into a v1 "
          "`tasks`) does not wait. Two views: `v1`, this run's layout (see the header), and `cgroup2`, a mount "
          "namespace whose `/sys/fs/cgroup` is a cgroup2 mount (on a hybrid host its unified hierarchy), entered "
          "by every runtime through the same `nsenter`, which the times there include. Wall-clock in ms.%s\n"
          % (idle["gap"], idle["gap"], idle["n"], BASE_NOTE if b.base else ""))
        for view, d in idle["views"].items():
            w("### %s\n" % view)
            if d["times"]:
                time_table(w, d["times"], ("create", "exec"), os.path.join(o, "idle-%s.dat" % view))
            for r, e in d["skipped"].items():
                w("\n%s: not measured, it cannot create a container in this view: `%s`" % (r, e[:300]))
            for r, f in d["fails"].items():
                if f:
                    w("\n%s: %d failures, first: `%s`" % (r, len(f), f[0][:300]))
            w("")

    # ------------------------------------------------------------- exec
    ex = res.get("exec")
    if ex:
        w("## 1b. Exec into a running container (sequential, interleaved per round)\n")
        w("One busybox container running `sleep` per runtime, created and started once; then `exec ID /bin/true` "
          "(no `--detach`: the runtime returns once `/bin/true` has exited), N=%d rounds, one uncounted warm-up "
          "round first (minimal gets `run.reg.include=/bin/true`: its environment holds only what the entrypoint "
          "needs). Wall-clock of the runtime command, in ms; the containers are deleted at the end.%s\n"
          % (ex["n"], BASE_NOTE if b.base else ""))
        time_table(w, ex["times"], ("exec",), os.path.join(o, "exec.dat"))
        for r, f in ex["fails"].items():
            if f:
                w("\n%s: %d failures, first: `%s`" % (r, len(f), f[0][:300]))
        w("")

    # ------------------------------------------------------------- cost
    cost = res.get("cost")
    if cost:
        step = cost.pop("_step", 0)
        w("## 2. The runtime's own cost\n")
        w("Peak RSS of the runtime process during `create` (`/usr/bin/time -f %%M`, the largest of the runtime "
          "and the children it waited for), busybox `/bin/true`; and the smallest "
          "`linux.resources.memory.limit` under which `run` of `/bin/true` still succeeds (bisection to %d KiB; "
          "the container's cgroup is charged for what the runtime does inside it, e.g. runc's Go `runc init`).\n"
          % (step // 1024))
        w("| runtime | peak RSS median (KiB) | ratio to crun | smallest memory limit (KiB) | ratio to crun |")
        w("|---|---|---|---|---|")
        base_rss = median(cost.get("crun", {}).get("rss", []))
        base_mm = cost.get("crun", {}).get("minmem")
        with open(os.path.join(o, "cost.dat"), "w") as f:
            f.write("runtime rss_kib minmem_kib\n")
            for r, e in cost.items():
                rss = median(e["rss"])
                mm = e.get("minmem")
                w("| %s | %s | %s | %s | %s |" % (r, fmt(rss / 1024, 0), fmt(ratio(rss, base_rss)),
                                                  fmt(mm / 1024, 0) if mm else "did not start at 256 MiB",
                                                  fmt(ratio(mm, base_mm)) if mm else "–"))
                f.write("%s %s %s\n" % (r, fmt(rss / 1024, 0).replace("–", "NaN"),
                                        fmt(mm / 1024, 0) if mm else "NaN"))
                if e["fails"]:
                    w("\n%s: %d failed creates: `%s`\n" % (r, len(e["fails"]), e["fails"][0][:200]))
        w("")
        w(gnuplot(o, "cost", "set title 'Runtime cost: peak RSS of create, smallest memory limit (KiB)'\n"
                  "set style data histograms\nset style histogram clustered gap 1\n"
                  "set style fill solid 0.8 border -1\nset ylabel 'KiB'\nset grid ytics\nset key top left\n"
                  "plot 'cost.dat' u 2:xtic(1) ti col, '' u 3 ti col\n"))
        w("")

    # ---------------------------------------------------------- sharing
    sharing = res.get("sharing")
    if sharing:
        w("## 6. Sharing proof: libc.so.6 in two containers from two separate copies of one image\n")
        w("Device and inode of the `libc.so.6` mapping in `/proc/PID/maps` of each container's process "
          "(python image, two `cp -a` copies). The same pair means one inode, hence one page-cache copy; under `minimal` "
          "the root is an overlay per container, so maps shows each overlay's device over the store object's inode. "
          "\"KiB shared\" is smaps `Shared_Clean` of the libc mappings: pages another process maps too. "
          "The same assertion runs as a test: `tests/integration/reg-share.bats`.\n")
        w("| runtime | container 1 (dev inode, libc KiB shared) | container 2 | same inode |")
        w("|---|---|---|---|")
        for r, m in sharing.items():
            k0, k1 = m[0].split(",")[0].split(), m[1].split(",")[0].split()
            same = ("same device and inode" if k0 == k1 else
                    "same inode, device differs (per-container overlay)" if k0[1:] == k1[1:] else "no")
            if m[0].startswith("error") or m[1].startswith("error"):
                same = "–"
            w("| %s | `%s` | `%s` | %s |" % (r, m[0][:120], m[1][:120], same))
        w("")

    # ----------------------------------------------------------- volume
    vol = res.get("volume")
    if vol:
        w("## 5. Volume: image bytes vs REG environment bytes\n")
        w("Image = apparent bytes of the regular files in the rootfs. ELF closure = the files `reg-runc reg "
          "analyze` lists for the entrypoint. share / minimal = `referencedBytes` of `reg stats` after one "
          "`create` of that image in an empty store.\n")
        w("| image | image MiB | ELF closure MiB | share env MiB | minimal env MiB | minimal / image |")
        w("|---|---|---|---|---|---|")
        with open(os.path.join(o, "volume.dat"), "w") as f:
            f.write("image image ELF-closure minimal-environment\n")
            for name, e in vol["images"].items():
                img = e["image"] / MiB
                cl = e.get("closure")
                sh_ = e.get("reg-share")
                mi = e.get("reg-minimal")
                w("| %s | %s | %s | %s | %s | %s |" % (
                    name, fmt(img), fmt(cl / MiB) if cl is not None else "– %s" % e.get("closure_err", ""),
                    fmt(sh_ / MiB) if sh_ is not None else "–", fmt(mi / MiB) if mi is not None else "–",
                    fmt(ratio(mi, e["image"]), 3) if mi is not None else "–"))
                f.write('"%s" %.3f %s %s\n' % (name, img, "%.3f" % (cl / MiB) if cl is not None else "NaN",
                                               "%.3f" % (mi / MiB) if mi is not None else "NaN"))
        w("")
        w(gnuplot(o, "volume", "set title 'Image vs environment (MiB, log scale)'\nset logscale y\n"
                  "set style data histograms\nset style histogram clustered gap 1\n"
                  "set style fill solid 0.8 border -1\nset grid ytics\nset key top right\n"
                  "plot 'volume.dat' u 2:xtic(1) ti col, '' u 3 ti col, '' u 4 ti col\n"))
        s = vol.get("store")
        if s:
            st = s["stats"] or {}
            w("\n**%d distinct images through one store** (REG %s; %d python copies, %d Debian+C copies, %d busybox "
              "copies; %d of %d creates succeeded): images %.1f MiB in all; store objects %s MiB; environments "
              "reference %s MiB; saved %s MiB; sharing degree %s; %s objects, %s environments.\n" % (
                  s["images"], s["mode"], s["mix"][0], s["mix"][1], s["mix"][2], s["created"], s["images"],
                  s["image_bytes"] / MiB,
                  fmt(st.get("objectBytes", float("nan")) / MiB), fmt(st.get("referencedBytes", float("nan")) / MiB),
                  fmt(st.get("savedBytes", float("nan")) / MiB), fmt(st.get("sharingDegree"), 2),
                  st.get("objects", "–"), st.get("environments", "–")))
        else:
            w("\nStore after 10 images: not measured (no REG share/minimal runtime available).\n")

    # ---------------------------------------------------------- density
    dens = res.get("density")
    if dens and dens["res"]:
        ns, dr = dens["ns"], dens["res"]
        rts = list(dr.keys())
        w("## 3. Density: N long-running python containers, each from its own copy of the image\n")
        w("The python image (python3 3.11, its whole stdlib and the libraries its modules link, %.1f MiB, from "
          "the Debian image) copied N times with `cp -a`; each container runs a program that imports json, re, "
          "decimal, hashlib, sqlite3, datetime, uses them, and sleeps. Caches dropped before each series; REG "
          "environments built once before the series. PSS and Pss_File summed over the containers' processes "
          "(`/proc/PID/smaps_rollup`); page cache = growth of `Cached`; MemAvailable and MemFree drop. Host-wide "
          "counters also see whatever else the machine does (other jobs share it), so they are noisy.\n" % (getattr(b, "pyimg_bytes", 0) / MiB))
        w("| N | runtime | ready | PSS MiB | Pss_File MiB | Pss_Anon MiB | page cache +MiB | MemAvailable −MiB | "
          "MemFree −MiB | PSS / crun | cache / crun | MemAvailable drop / crun |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for n in ns:
            base = dr.get("crun", {}).get(n)
            for r in rts:
                e = dr[r].get(n)
                if not e:
                    continue
                w("| %d | %s | %d/%d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    n, r, e["ready"], n, fmt(e["pss"]["Pss"] / MiB, 1), fmt(e["pss"]["Pss_File"] / MiB, 1),
                    fmt(e["pss"]["Pss_Anon"] / MiB, 1), fmt(e["cached"] / MiB, 1), fmt(e["avail_drop"] / MiB, 1),
                    fmt(e.get("free_drop", float("nan")) / MiB, 1),
                    fmt(ratio(e["pss"]["Pss"], base["pss"]["Pss"]) if base else float("nan")),
                    fmt(ratio(e["cached"], base["cached"]) if base else float("nan")),
                    fmt(ratio(e["avail_drop"], base["avail_drop"]) if base else float("nan"))))
                if e["fails"]:
                    w("\n%s N=%d: %d failures: `%s`\n" % (r, n, len(e["fails"]), e["fails"][0][:200]))
        with open(os.path.join(o, "density.dat"), "w") as f:
            for r in rts:
                f.write("# %s\nN pss file cache avail\n" % r)
                for n in ns:
                    e = dr[r].get(n)
                    if e:
                        f.write("%d %.2f %.2f %.2f %.2f\n" % (n, e["pss"]["Pss"] / MiB, e["pss"]["Pss_File"] / MiB,
                                                              e["cached"] / MiB, e["avail_drop"] / MiB))
                f.write("\n\n")
        w("")
        for col, what in ((2, "sum of PSS"), (4, "page-cache growth"), (5, "MemAvailable drop")):
            name = "density-" + what.split()[-1].lower().replace("-", "")
            plots = ", ".join("'density.dat' index %d u 1:%d w lp lw 2 ti '%s'" % (i, col, r) for i, r in enumerate(rts))
            w(gnuplot(o, name, "set title 'Density: %s (MiB) against N containers'\nset xlabel 'N'\n"
                      "set ylabel 'MiB'\nset yrange [0:*]\nset grid\nset key top left\nplot %s\n" % (what, plots)))
            w("")

    # ------------------------------------------------ first-start density
    fd = res.get("first_density")
    if fd and fd["res"]:
        n, dr = fd["n"], fd["res"]
        w("## 3b. First-start density: %d python containers from %d copies of the Debian image\n" % (n, n))
        w("Each container runs `python3 /app/main.py` (imports json, re, decimal, hashlib, sqlite3, datetime, "
          "then sleeps) from its own `cp -a` copy of the Debian image (minimal: `run.reg.include=%s`). For each "
          "runtime, in random order, %d time(s): caches dropped (`echo 3 > /proc/sys/vm/drop_caches`), then "
          "**first start**: the %d containers created and started one after the other with an *empty* REG store "
          "(the environments are built during the measurement), measured once all print ready, deleted; then "
          "caches dropped again and **steady state**: the same copies started again with the store the first "
          "start left. Memory = ΣPSS of the containers' processes + growth of `Cached` (page cache, which also "
          "holds the store's new files); time = from the first `create` until every container is ready. Ratios "
          "are to crun's in the same repetition (median [IQR] over the repetitions). Host-wide counters also "
          "see whatever else the machine does.\n" % ("/usr/lib/python3.11,/app", fd["reps"], n))
        w("| runtime | phase | ready | ΣPSS MiB | Pss_File MiB | page cache +MiB | ΣPSS + cache MiB | "
          "time to all ready s |")
        w("|---|---|---|---|---|---|---|---|")
        for r, ph in dr.items():
            for phase, es in ph.items():
                w("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    r, phase, ", ".join("%d/%d" % (e["ready"], n) for e in es),
                    fmt(median([e["pss"]["Pss"] / MiB for e in es]), 1),
                    fmt(median([e["pss"]["Pss_File"] / MiB for e in es]), 1),
                    fmt(median([e["cached"] / MiB for e in es]), 1),
                    fmt(median([(e["pss"]["Pss"] + e["cached"]) / MiB for e in es]), 1),
                    fmt(median([e["t_ready"] for e in es]))))
                for e in es:
                    if e["fails"]:
                        w("\n%s %s: %d failures: `%s`\n" % (r, phase, len(e["fails"]), e["fails"][0][:200]))
        w("")
        b.fd_ratios = {}
        for phase in ("first", "steady"):
            w("**%s, ΣPSS + page-cache growth (MiB)**\n" % phase)
            b.fd_ratios[(phase, "mem")] = ratio_section(
                w, o, "first-density-mem-" + phase, "Density %s start, PSS + page cache" % phase,
                {r: [(e["pss"]["Pss"] + e["cached"]) for e in ph[phase]] for r, ph in dr.items()},
                scale=1 / MiB, unit="MiB")
            w("**%s, seconds until all %d are ready**\n" % (phase, n))
            b.fd_ratios[(phase, "time")] = ratio_section(
                w, o, "first-density-time-" + phase, "Density %s start, time to all ready" % phase,
                {r: [e["t_ready"] for e in ph[phase]] for r, ph in dr.items()}, scale=1.0, unit="s")

    # ------------------------------------------------------- Debian storm
    ds = res.get("debian_storm")
    if ds and ds["res"]:
        w("## 4b. Start-up storm from distinct copies of the Debian image\n")
        w("%d containers running `python3 -c 'import time; time.sleep(…)'` (minimal: `run.reg.include=%s`), "
          "each from its own `cp -a` copy of the Debian image, created and started (`create` then `start`, one "
          "shell per container) by `xargs -P %d`; seconds until every `start` has returned. REG runtimes start "
          "each storm with an empty store. %d repetition(s), runtimes in random order; ratios to crun's storm "
          "of the same repetition.\n" % (ds["count"], "/usr/lib/python3.11,/app", ds["par"], ds["reps"]))
        b.ds_ratios = ratio_section(w, o, "debian-storm", "Debian storm %d/P%d" % (ds["count"], ds["par"]),
                                    {r: [e["wall"] for e in es] for r, es in ds["res"].items()}, scale=1.0, unit="s")
        w("| runtime | failures per storm | running after the storm |")
        w("|---|---|---|")
        for r, es in ds["res"].items():
            w("| %s | %s | %s |" % (r, ", ".join(str(e["failed"]) for e in es),
                                   ", ".join("%d/%d" % (e["running"], ds["count"]) for e in es)))
        for r, es in ds["res"].items():
            for e in es:
                if e["failed"]:
                    w("\n%s: %d failures; stderr: `%s`" % (r, e["failed"], e["err"][:300]))
        w("")

    # ------------------------------------------------------------ clients
    cl = res.get("clients")
    if cl:
        w("## 7. Through the clients: `podman run --rm` and `ctr run --rm` of the Debian image\n")
        w("A private Podman (storage, run root and config under the bench's temp dir; `--network none`, "
          "`--cgroup-parent` of its own, cgroupfs) and a private containerd (its own root, state and socket; no CRI "
          "plugin; `ctr run --runtime io.containerd.runc.v2 --runc-binary …`), both fed the bench's Debian rootfs "
          "(`podman import`, then `podman save --format oci-archive` and `ctr images import`). Every runtime "
          "is called through an identical `#!/bin/sh exec BINARY …` wrapper named as the runtime (reg-runc's "
          "carries its store, one per mode, empty at the start, and `--config`); the REG mode is the "
          "`run.reg.mode` annotation (`--annotation`), none for off. Commands: `/bin/true`, and `python3 -c 'import "
          "json'` (minimal with `run.reg.include=/usr/lib/python3.11`); each command and client has its own "
          "stores. **First run**: each "
          "runtime's first run of the image, in random order, after one `podman create`/`ctr containers create` "
          "of it and one uncounted run with crun (the client's own first container: without it, whichever runtime "
          "came first paid for it), so crun's first run here is its second. Then N rounds, one run per runtime, in a new random order each round. "
          "Wall time of the client command, ms. The clients give the runtime a new overlay mount per container; "
          "REG knows its files by the files of the image's layers (README: REG).\n")
        b.client_ratios = {}
        for client, d in cl.items():
            w("### `%s run --rm`, %s: first run of the image\n" % tuple(client.split()))
            f0 = d["first"]
            w("| runtime | first run ms | /crun | /reg-off |")
            w("|---|---|---|---|")
            for r, v in f0.items():
                w("| %s | %s | %s | %s |" % (r, fmt(v * 1000 if v else float("nan")),
                                            fmt(ratio(v, f0.get("crun"))), fmt(ratio(v, f0.get("reg-off")))))
            w("")
            w("### `%s run --rm`, %s: after the first run, N=%d rounds\n" % (tuple(client.split()) + (d["n"],)))
            b.client_ratios[client] = ratio_section(w, o, "client-" + client.replace(" ", "-"),
                                                    "%s run --rm, %s" % tuple(client.split()), d["times"],
                                                    paired=("reg-off",))
            for r, f in d["fails"].items():
                if f:
                    w("%s: %d failures, first: `%s`\n" % (r, len(f), f[0][:300]))

    # ------------------------------------------------------------ storm
    storm = res.get("storm")
    if storm and storm["res"]:
        w("## 4. Start-up storm\n")
        w("M busybox `sleep` containers created and started (`create` then `start`, one shell per container) "
          "by `xargs -P P`; time until every `start` has returned, failures (a failed create/start, or a "
          "container not running afterwards).\n")
        rts = [rt.label for rt in b.runtimes if any(rt.label in storm["res"].get(c, {}) for c in storm["configs"])]
        w("| containers | parallel | " + " | ".join("%s s (failures)" % r for r in rts) + " | " +
          " | ".join("%s/crun" % r for r in rts if r != "crun") + " |")
        w("|---|---" + "|---" * (len(rts) * 2 - (1 if "crun" in rts else 0)) + "|")
        with open(os.path.join(o, "storm.dat"), "w") as f:
            f.write("config " + " ".join(rts) + "\n")
            for cfg in storm["configs"]:
                d = storm["res"].get(cfg, {})
                base = d.get("crun", {}).get("wall")
                w("| %d | %d | " % cfg + " | ".join("%s (%d)" % (fmt(d[r]["wall"]), d[r]["failed"]) if r in d else "–"
                                                    for r in rts) + " | " +
                  " | ".join(fmt(ratio(d[r]["wall"], base)) if r in d else "–" for r in rts if r != "crun") + " |")
                f.write("%d/P%d " % cfg + " ".join(fmt(d[r]["wall"], 3) if r in d else "NaN" for r in rts) + "\n")
        for cfg in storm["configs"]:
            for r, e in storm["res"].get(cfg, {}).items():
                if e["failed"]:
                    w("\n%s %d/P%d: %d failures, %d running; stderr: `%s`" % (r, cfg[0], cfg[1], e["failed"],
                                                                             e["running"], e["err"][:300]))
        w("")
        w(gnuplot(o, "storm", "set title 'Start-up storm: seconds until all run'\n"
                  "set style data histograms\nset style histogram clustered gap 1\n"
                  "set style fill solid 0.8 border -1\nset ylabel 's'\nset grid ytics\nset key top left\n"
                  "plot 'storm.dat' u 2:xtic(1) ti col%s\n" % "".join(
                      ", '' u %d ti col" % (i + 3) for i in range(len(rts) - 1))))
        w("")

    L[goals_at:goals_at] = goals(b)

    w("## Durations\n")
    for k, v in res.get("durations", {}).items():
        w("- %s: %.0f s" % (k, v))
    w("")
    path = os.path.join(o, "report.md")
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")
    return path
