#!/usr/bin/env python3
"""reg-runc benchmarks against crun and runc, side by side in one run.

Run through tests/bench/run.sh (it installs what is missing and sets up the
mount namespace).  Every benchmark interleaves the runtimes round by round,
so drift of the machine hits all of them alike, and reports ratios.  Nothing
here is a pass/fail test: failures are counted and reported, never asserted.
"""

import argparse
import ctypes
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

DEVNULL = subprocess.DEVNULL
CACHE_DEFAULT = "/var/cache/reg-runc-bench"
DEBIAN_NAME = "debian-bookworm-python3"
# minimal mode keeps the ELF closure; python's stdlib and the program are not
# ELF, so they are named (a learned profile would do the same)
PY_INCLUDE = "/usr/lib/python3.11,/app"
PR_SET_CHILD_SUBREAPER = 36
# every benchmark, in the order they run (--only picks some)
BENCHES = ("lifecycle", "first", "exec", "idle", "cost", "sharing", "volume", "density", "first_density",
           "storm", "debian_storm", "clients")
# 1d: the idle time before each timed create or exec
IDLE_GAP = 0.5
# the clients' commands: (name, argv, minimal's run.reg.include)
CLIENT_WORKLOADS = (("true", ["/bin/true"], None),
                    ("python", ["/usr/bin/python3", "-c", "import json"], "/usr/lib/python3.11"))
# the Debian storm's containers: python that imports little and sleeps
STORM_ARGS = ["/usr/bin/python3", "-c", "import time; time.sleep(1000000)"]
PY_ARGS = ["/usr/bin/python3", "/app/main.py"]

PY_PROGRAM = """\
import collections, datetime, decimal, hashlib, json, os, re, sqlite3, sys, time
db = sqlite3.connect(":memory:")
db.execute("create table t (k text, v text)")
db.execute("insert into t values (?, ?)", ("sha", hashlib.sha256(b"reg").hexdigest()))
json.dumps({"t": str(datetime.datetime.now()), "d": str(decimal.Decimal(1) / 7)})
sys.stdout.write("ready %s\\n" % os.environ.get("BENCH_ID", "?"))
sys.stdout.flush()
time.sleep(1000000)
"""

C_PROGRAM = """\
#include <stdio.h>
int main (void) { puts ("hello from a C program"); return 0; }
"""


def log(msg):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def sh(argv, **kw):
    return subprocess.run(argv, check=True, **kw)


def out(argv):
    try:
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        return "unavailable (%s)" % e


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def p95(xs):
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(round(0.95 * len(s) + 0.5)) - 1))]


def fmt(x, nd=2):
    if x is None or x != x:
        return "–"
    return ("%." + str(nd) + "f") % x


def ratio(a, b):
    if a is None or b is None or a != a or b != b or b == 0:
        return float("nan")
    return a / b


def du_bytes(path):
    """Apparent bytes of regular files (hard links counted once)."""
    seen = set()
    total = 0
    for root, dirs, files in os.walk(path):
        for f in files:
            st = os.lstat(os.path.join(root, f))
            if not (st.st_mode & 0o170000 == 0o100000):
                continue
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += st.st_size
    return total


def meminfo():
    m = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            m[k] = int(v.split()[0]) * 1024
    return m


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")
    time.sleep(0.5)


def smaps_rollup(pid):
    r = {}
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[0].endswith(":") and parts[2] == "kB":
                    r[parts[0][:-1]] = int(parts[1]) * 1024
    except OSError:
        pass
    return r


def descendants(pid):
    """pid and every descendant (through /proc/PID/task/*/children)."""
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        try:
            for t in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, t)) as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return seen


def wait_exit(pid, timeout=10.0):
    """Wait until pid has exited and reap it when it is our child (we are a
    child subreaper, so orphaned container processes come to us)."""
    deadline = time.monotonic() + timeout
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        fd = None
    if fd is not None:
        try:
            select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        finally:
            os.close(fd)
    try:
        os.waitpid(pid, 0 if fd is not None else os.WNOHANG)
    except ChildProcessError:
        pass


def reap_orphans():
    """Reap exited orphans; only called when no subprocess of ours runs."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class Runtime:
    def __init__(self, label, binary, argv, mode=None):
        self.label = label
        self.binary = binary
        self.argv = argv
        self.mode = mode  # REG mode annotation, None for crun/runc
        self.available = True
        self.reason = ""

    @property
    def bundle_mode(self):
        return self.mode or "none"

    def cmd(self, *args):
        return self.argv + list(args)

    def with_store(self, store):
        """The same reg-runc runtime with another REG store (--reg-root)."""
        argv = list(self.argv)
        argv[argv.index("--reg-root") + 1] = store
        return Runtime(self.label, self.binary, argv, self.mode)


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.srcdir = args.srcdir
        self.out = os.path.abspath(args.out)
        self.cache = args.cache
        self.tmp = tempfile.mkdtemp(prefix="reg-bench.", dir="/tmp")
        self.prefix = "rb%d" % os.getpid()
        self.errlog = open(os.path.join(self.tmp, "runtime-stderr.log"), "a+")
        self.created = {}  # id -> runtime (for the final clean-up)
        self.results = {}
        self.notes = []
        os.makedirs(self.out, exist_ok=True)
        self.runtimes = []
        self.template = None
        # every interleaved benchmark shuffles the runtimes' order each round
        # (a fixed rotation biased whoever followed runc); seeded, so a run can
        # be repeated with --seed
        self.seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
        self.rng = random.Random(self.seed)

    def shuffled(self, items):
        """A new list: items in this round's random order."""
        items = list(items)
        self.rng.shuffle(items)
        return items

    # ----------------------------------------------------------------- setup
    def setup_runtimes(self):
        state = os.path.join(self.tmp, "state")
        # State roots on a tmpfs, as /run is where Podman and containerd
        # point runtimes (minimal's upper layer lives there too).
        os.makedirs(state)
        sh(["mount", "-t", "tmpfs", "-o", "mode=0700,size=1g", "reg-bench-state", state])
        self.regconf = os.path.join(self.tmp, "reg.conf")
        with open(self.regconf, "w") as f:
            f.write("# reg-runc benchmark: REG mode comes from each config.json annotation\nmode = off\n")
        crun = shutil.which("crun")
        runc = shutil.which("runc")
        self.runtimes.append(Runtime("crun", crun, [crun, "--root", state + "/crun"]))
        self.runtimes.append(Runtime("runc", runc, [runc, "--root", state + "/runc"]))
        reg = self.args.reg_runc
        if not reg:
            for cand in ("build/cmd/reg-runc", "build/reg-runc"):
                p = os.path.join(self.srcdir, cand)
                if os.access(p, os.X_OK):
                    reg = p
                    break
        self.reg = reg
        reason = "" if reg else "no reg-runc binary (build it, or pass --reg-runc)"
        self.add_reg_runtimes("reg", reg, reason)
        # a second build (e.g. the commit before a change) measured in the same
        # run; its own state root and store, so neither build reads the other's
        self.base = self.args.reg_runc_base
        if self.base:
            reason = "" if shutil.which(self.base) else "--reg-runc-base %s: no such executable" % self.base
            self.add_reg_runtimes("base", self.base, reason)

    def add_reg_runtimes(self, name, binary, reason):
        """NAME-off, NAME-share, NAME-minimal: one reg-runc build in each REG mode."""
        state = os.path.join(self.tmp, "state", name)
        store = os.path.join(self.tmp, "store-" + name)
        for mode in ("off", "share", "minimal"):
            rt = Runtime(name + "-" + mode, binary,
                         [binary or "reg-runc", "--root", state, "--reg-root", store,
                          "--config", self.regconf], mode)
            if reason:
                rt.available, rt.reason = False, reason
            self.runtimes.append(rt)

    def mk_template(self):
        d = os.path.join(self.tmp, "template")
        os.makedirs(d)
        sh(["runc", "spec", "--bundle", d])
        with open(os.path.join(d, "config.json")) as f:
            self.template = json.load(f)

    def write_bundle(self, bdir, rootfs, args, mode=None, env=None, memory=None, cwd="/", include=None):
        cfg = json.loads(json.dumps(self.template))
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = args
        cfg["process"]["cwd"] = cwd
        cfg["process"]["env"] = ["PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                                 "PYTHONDONTWRITEBYTECODE=1"] + (env or [])
        cfg["root"] = {"path": os.path.abspath(rootfs), "readonly": False}
        cfg["hostname"] = "bench"
        if mode:
            cfg.setdefault("annotations", {})["run.reg.mode"] = mode
            if include and mode == "minimal":
                cfg["annotations"]["run.reg.include"] = include
        if memory:
            cfg["linux"].setdefault("resources", {})["memory"] = {"limit": memory}
        os.makedirs(bdir, exist_ok=True)
        with open(os.path.join(bdir, "config.json"), "w") as f:
            json.dump(cfg, f, indent=1)
        return bdir

    def ensure_debian(self):
        final = os.path.join(self.cache, DEBIAN_NAME)
        stamp = final + ".complete"
        if os.path.exists(stamp) and os.path.isdir(final):
            return final
        os.makedirs(self.cache, exist_ok=True)
        mirror = "http://deb.debian.org/debian"
        for src in sorted(os.listdir("/etc/apt/sources.list.d")):
            try:
                text = open(os.path.join("/etc/apt/sources.list.d", src)).read()
            except OSError:
                continue
            m = re.search(r"^URIs:\s*(\S+/debian)\s*$", text, re.M)
            if m and "bookworm" in text:
                mirror = m.group(1)
                break
        tmp = tempfile.mkdtemp(prefix="debian.", dir=self.cache)
        log("debootstrap --variant=minbase --include=python3 bookworm from %s (cached in %s)" % (mirror, self.cache))
        sh(["debootstrap", "--variant=minbase", "--include=python3", "bookworm", tmp, mirror],
           stdout=DEVNULL)
        # what image builders drop: package caches and lists
        for g in ("var/cache/apt", "var/lib/apt/lists"):
            for root, dirs, files in os.walk(os.path.join(tmp, g)):
                for f in files:
                    os.unlink(os.path.join(root, f))
        if os.path.isdir(final):
            shutil.rmtree(final)
        os.rename(tmp, final)
        with open(stamp, "w") as f:
            f.write("debootstrap --variant=minbase --include=python3 bookworm %s\n" % mirror)
        return final

    def make_images(self):
        img = os.path.join(self.tmp, "img")
        os.makedirs(img)
        # busybox-static
        bb = os.path.join(img, "busybox")
        for d in ("bin", "proc", "dev", "sys", "tmp", "etc"):
            os.makedirs(os.path.join(bb, d))
        shutil.copy2(shutil.which("busybox") or "/bin/busybox", os.path.join(bb, "bin/busybox"))
        for a in ("sh", "true", "sleep", "cat", "echo", "ls"):
            os.symlink("busybox", os.path.join(bb, "bin", a))
        with open(os.path.join(bb, "etc/passwd"), "w") as f:
            f.write("root:x:0:0:root:/:/bin/sh\n")
        self.busybox = bb
        # Debian bookworm minbase + python3
        src = self.ensure_debian()
        self.debian = os.path.join(img, "debian")
        sh(["cp", "-a", src, self.debian])
        # the density program in the Debian image too (Debian python workloads)
        os.makedirs(os.path.join(self.debian, "app"), exist_ok=True)
        with open(os.path.join(self.debian, "app/main.py"), "w") as f:
            f.write(PY_PROGRAM)
        # the C program lives in a copy of the Debian image (as `FROM debian` + a binary)
        self.c_bin = os.path.join(self.tmp, "hello")
        with open(self.c_bin + ".c", "w") as f:
            f.write(C_PROGRAM)
        sh(["gcc", "-O2", "-o", self.c_bin, self.c_bin + ".c"])
        # the python image: python3 with its whole stdlib and the libraries its
        # modules link, taken from the Debian image (identical files, small copies)
        self.pyimg = os.path.join(img, "python")
        self.build_pyimg(self.debian, self.pyimg)

    def build_pyimg(self, deb, dst):
        def copy_path(rel):
            s = os.path.join(deb, rel)
            d = os.path.join(dst, rel)
            os.makedirs(os.path.dirname(d), exist_ok=True)
            if os.path.lexists(d):
                return
            if os.path.islink(s):
                target = os.readlink(s)
                os.symlink(target, d)
                copy_path(os.path.normpath(os.path.join(os.path.dirname(rel), target)).lstrip("/")
                          if not target.startswith("/") else target.lstrip("/"))
            elif os.path.isdir(s):
                shutil.copytree(s, d, symlinks=True)
            else:
                shutil.copy2(s, d)
        os.makedirs(dst)
        for l in ("bin", "lib", "lib64", "sbin"):
            if os.path.islink(os.path.join(deb, l)):
                os.symlink(os.readlink(os.path.join(deb, l)), os.path.join(dst, l))
        for d in ("proc", "dev", "sys", "tmp", "app", "etc"):
            os.makedirs(os.path.join(dst, d), exist_ok=True)
        for rel in ("usr/bin/python3", "usr/lib/python3.11", "etc/passwd", "etc/group",
                    "etc/ld.so.cache", "etc/nsswitch.conf"):
            copy_path(rel)
        # ELF closure of python3 and its extension modules, resolved with ldd
        # (the host is Debian 12 too; the files are copied from the image)
        objs = [os.path.join(deb, "usr/bin/python3.11")]
        dyn = os.path.join(deb, "usr/lib/python3.11/lib-dynload")
        objs += [os.path.join(dyn, f) for f in os.listdir(dyn) if f.endswith(".so")]
        libs = set()
        r = subprocess.run(["ldd"] + objs, stdout=subprocess.PIPE, stderr=DEVNULL, text=True)
        for line in r.stdout.splitlines():
            m = re.search(r"=>\s+(/\S+)", line) or re.match(r"\s+(/\S+ld-linux\S*)", line)
            if m:
                libs.add(m.group(1))
        for lib in sorted(libs):
            rel = lib.lstrip("/")
            if rel.startswith("lib/") or rel.startswith("lib64/"):
                rel = "usr/" + rel
            if os.path.lexists(os.path.join(deb, rel)):
                copy_path(rel)
        with open(os.path.join(dst, "app/main.py"), "w") as f:
            f.write(PY_PROGRAM)

    def copies(self, src, n, name):
        """n separate copies of an image (distinct inodes, identical content)."""
        base = os.path.join(self.tmp, "copies", name)
        os.makedirs(base, exist_ok=True)
        paths = []
        for i in range(n):
            p = os.path.join(base, str(i))
            if not os.path.isdir(p):
                sh(["cp", "-a", src, p])
            paths.append(p)
        return paths

    # ----------------------------------------------------- runtime actions
    def call(self, argv, timeout=120, stdout=DEVNULL):
        """Run a runtime command; returns (rc, seconds, stderr tail)."""
        pos = self.errlog.seek(0, 2)
        # Popen.wait(timeout) polls with a doubling sleep (0.5 ms, 1, 2, 4 ...),
        # which rounds every duration up to the next step; a blocking wait with
        # a watchdog thread measures the exit when it happens.
        expired = []
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=DEVNULL, stdout=stdout, stderr=self.errlog)
        dog = threading.Timer(timeout, lambda: (expired.append(1), p.kill()))
        dog.start()
        rc = p.wait()
        dt = time.perf_counter() - t0
        dog.cancel()
        if expired:
            rc = -999
        err = ""
        if rc != 0:
            self.errlog.flush()
            self.errlog.seek(pos)
            err = self.errlog.read().strip().replace("\n", " | ")[:400]
            if rc == -999:
                err = "timeout after %ds; %s" % (timeout, err)
            self.errlog.seek(0, 2)
        return rc, dt, err

    def create(self, rt, cid, bundle, stdout=DEVNULL):
        pidfile = os.path.join(self.tmp, "pids", cid)
        os.makedirs(os.path.dirname(pidfile), exist_ok=True)
        self.created[cid] = rt
        rc, dt, err = self.call(rt.cmd("create", "--bundle", bundle, "--pid-file", pidfile, cid), stdout=stdout)
        pid = None
        if rc == 0:
            try:
                pid = int(open(pidfile).read().strip())
            except (OSError, ValueError):
                pid = None
        return rc, dt, err, pid

    def destroy(self, rt, cid, pid=None):
        """Kill (by pid, never by name), reap, delete; --force as a last resort."""
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            wait_exit(pid)
        rc, _, _ = self.call(rt.cmd("delete", cid))
        if rc != 0:
            self.call(rt.cmd("delete", "--force", cid))
            reap_orphans()
        self.created.pop(cid, None)

    def cid(self, *parts):
        return "-".join([self.prefix] + [str(p) for p in parts])

    def probe(self):
        """Find out which runtimes (and REG modes) work here, on busybox /bin/true."""
        for rt in self.runtimes:
            if not rt.available:
                continue
            b = self.write_bundle(os.path.join(self.tmp, "b/probe", rt.label), self.busybox,
                                  ["/bin/true"], rt.mode)
            cid = self.cid("probe", rt.label)
            rc, _, err = self.call(rt.cmd("run", "--bundle", b, cid), timeout=60)
            if rc != 0:
                rt.available, rt.reason = False, "`run` of /bin/true failed (exit %d): %s" % (
                    rc, err.split(" | ")[0][:300])
                self.call(rt.cmd("delete", "--force", cid))
                reap_orphans()
            log("probe %-12s %s" % (rt.label, "ok" if rt.available else rt.reason))

    def avail(self, labels=None):
        return [r for r in self.runtimes if r.available and (labels is None or r.label in labels)]

    # ------------------------------------------------------------ 1 lifecycle
    def bench_lifecycle(self):
        n = 10 if self.quick else self.args.n
        rts = self.avail()
        res = {}
        images = [("busybox", self.busybox), ("debian", self.debian)]
        for img, rootfs in images:
            bundles = {rt.label: self.write_bundle(os.path.join(self.tmp, "b/lc", img, rt.label), rootfs,
                                                   ["/bin/true"], rt.mode) for rt in rts}
            times = {rt.label: {"create": [], "start": [], "delete": [], "run": []} for rt in rts}
            fails = {rt.label: [] for rt in rts}
            log("lifecycle %s: %d rounds x %d runtimes" % (img, n, len(rts)))
            for i in range(-1, n):  # round -1 warms caches (REG environments too) and is not counted
                for rt in self.shuffled(rts):
                    t = times[rt.label]
                    cid = self.cid("lc", img, rt.label, i)
                    rc, dt_c, err, pid = self.create(rt, cid, bundles[rt.label])
                    if rc != 0:
                        fails[rt.label].append("create: " + err)
                        self.destroy(rt, cid)
                        continue
                    rc, dt_s, err = self.call(rt.cmd("start", cid))
                    if rc != 0:
                        fails[rt.label].append("start: " + err)
                        self.destroy(rt, cid, pid)
                        continue
                    wait_exit(pid)
                    rc, dt_d, err = self.call(rt.cmd("delete", cid))
                    if rc != 0:
                        fails[rt.label].append("delete: " + err)
                        self.destroy(rt, cid, pid)
                        continue
                    self.created.pop(cid, None)
                    rid = cid + "r"
                    self.created[rid] = rt
                    rc, dt_r, err = self.call(rt.cmd("run", "--bundle", bundles[rt.label], rid))
                    if rc != 0:
                        fails[rt.label].append("run: " + err)
                        self.destroy(rt, rid)
                        continue
                    self.created.pop(rid, None)
                    if i >= 0:
                        t["create"].append(dt_c)
                        t["start"].append(dt_s)
                        t["delete"].append(dt_d)
                        t["run"].append(dt_r)
                reap_orphans()
            res[img] = {"times": times, "fails": fails, "n": n}
        self.results["lifecycle"] = res
        self.bench_warm_cold()

    def bench_warm_cold(self):
        """create time with the REG environment cached vs an empty store."""
        k = 3 if self.quick else 20
        rts = self.avail(["reg-share", "reg-minimal", "base-share", "base-minimal"])
        res = {}
        if not rts:
            self.results["warmcold"] = res
            return
        log("warm vs cold REG create: %d rounds" % k)
        kpy = 1 if self.quick else 5
        cases = (("busybox", self.busybox, ["/bin/true"], k), ("debian", self.debian, ["/bin/true"], k),
                 ("python", self.pyimg, ["/usr/bin/python3", "/app/main.py"], kpy))
        for img, rootfs, args, rounds in cases:
            for rt in rts:
                b = self.write_bundle(os.path.join(self.tmp, "b/wc", img, rt.label), rootfs, args, rt.mode,
                                      include=PY_INCLUDE if img == "python" else None)
                # one warm store per build (reg, base): neither reads the other's
                warm_store = os.path.join(self.tmp, "wc-store-warm-" + rt.label.split("-")[0])
                cold, warm, fails = [], [], []
                for i in range(-1, rounds):
                    # round -1 only fills the warm store
                    for kind in (("warm",) if i < 0 else self.shuffled(("cold", "warm"))):
                        store = warm_store if kind == "warm" else os.path.join(self.tmp, "wc-store-cold")
                        if kind == "cold" and os.path.isdir(store):
                            shutil.rmtree(store)
                        r = rt.with_store(store)
                        cid = self.cid("wc", img, rt.label, kind, i)
                        rc, dt, err, pid = self.create(r, cid, b)
                        if rc != 0:
                            fails.append(err)
                        elif i >= 0:
                            (cold if kind == "cold" else warm).append(dt)
                        self.destroy(r, cid, pid)
                res.setdefault(img, {})[rt.label] = {"cold": cold, "warm": warm, "fails": fails}
        shutil.rmtree(os.path.join(self.tmp, "wc-store-cold"), ignore_errors=True)
        self.results["warmcold"] = res

    # ------------------------------------------- 1c first start: cold, new copy
    def bench_first(self):
        """`create` of a Debian image REG has not seen, two ways, beside crun's and
        runc's `create` of the same copy in the same round: cold (an empty store)
        and new copy (a warm store whose environment was built from copy A, then
        a fresh `cp -a` copy B: new inodes, same content).  Each round makes a new
        copy B, shared by every runtime in that round (a create does not change it)."""
        k = 3 if self.quick else 20
        rts = self.avail()
        # (case, runtime, store): crun, runc and reg-off have no store to warm
        cases = []
        for rt in rts:
            if rt.mode in ("share", "minimal"):
                cases += [(rt.label + " new-copy", rt, "warm"), (rt.label + " cold", rt, "cold")]
            else:
                cases.append((rt.label, rt, None))
        workloads = (("debian /bin/true", ["/bin/true"]), ("debian python", PY_ARGS))
        res = {}
        for w, args in workloads:
            tag = "py" if "python" in w else "true"
            include = PY_INCLUDE if tag == "py" else None
            log("first start, %s: %d rounds x %d cases" % (w, k, len(cases)))
            copy_a = self.copies(self.debian, 1, "first-a-" + tag)[0]
            warm = {}
            for rt in rts:
                if rt.mode in ("share", "minimal"):
                    # the warm store knows the image from copy A
                    warm[rt.label] = rt.with_store(os.path.join(self.tmp, "first-store", tag, rt.label))
                    b = self.write_bundle(os.path.join(self.tmp, "b/first-a", tag, rt.label), copy_a, args,
                                          rt.mode, include=include)
                    cid = self.cid("firsta", tag, rt.label)
                    rc, _, err, pid = self.create(warm[rt.label], cid, b)
                    self.destroy(warm[rt.label], cid, pid)
            times = {c: [] for c, _, _ in cases}  # per round: seconds, None when it failed
            fails = {c: [] for c, _, _ in cases}
            # Each cold create gets a new store, and every copy B and cold
            # store is removed only after the last round: on ext4 without a
            # journal each new inode scans past the inodes freed in the last
            # ~30 s (recently_deleted), so removing the previous round's
            # store and copy just before a cold create made that scan most of
            # its time, a cost of the benchmark's own cleanup that a first
            # start on a host does not meet.
            cold_root = os.path.join(self.tmp, "first-store-cold")
            leftovers = []
            for i in range(k):
                copy_b = os.path.join(self.tmp, "copies", "first-b-%s-%d" % (tag, i))
                t = time.perf_counter()
                sh(["cp", "-a", self.debian, copy_b])
                log("first start, %s: round %d (copy B made in %.1f s)" % (w, i, time.perf_counter() - t))
                for case, rt, store in self.shuffled(cases):
                    if store == "warm":
                        r = warm[rt.label]
                    elif store == "cold":
                        r = rt.with_store(os.path.join(cold_root, "%d-%s" % (i, case.replace(" ", "_"))))
                    else:
                        r = rt
                    b = self.write_bundle(os.path.join(self.tmp, "b/first", tag, case.replace(" ", "_")), copy_b,
                                          args, rt.mode, include=include)
                    cid = self.cid("first", tag, case.replace(" ", "-"), i)
                    rc, dt, err, pid = self.create(r, cid, b)
                    times[case].append(dt if rc == 0 else None)
                    if rc != 0:
                        fails[case].append(err)
                    self.destroy(r, cid, pid)
                leftovers.append(copy_b)
                reap_orphans()
            for d in leftovers + [cold_root]:
                shutil.rmtree(d, ignore_errors=True)
            res[w] = {"times": times, "fails": fails, "n": k}
        self.results["first"] = res

    # ------------------------------------------------------------ 1d idle
    def bench_idle(self):
        """create and exec, each after an idle IDLE_GAP, in this run's cgroup
        view (v1) and in a cgroup2 one: moving another process into a cgroup
        waits for an RCU grace period unless another move came just before,
        and a host's creates are rarely that close, while a process born in
        its cgroup (clone3 CLONE_INTO_CGROUP) or moving only itself into a v1
        one does not wait.  The cgroup2 view is a mount namespace of its own
        whose /sys/fs/cgroup is a cgroup2 mount (a hybrid host's unified
        hierarchy; a v2 host's own), entered by every runtime through the
        same nsenter, which each timing there includes."""
        n = 3 if self.quick else 20
        res = {"n": n, "gap": IDLE_GAP, "views": {}}
        self.results["idle"] = res
        self.idle_view(res, "v1", [])
        holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                   "mount -t cgroup2 cgroup2 /sys/fs/cgroup && echo ok && exec sleep 1000000"],
                                  stdin=DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            if holder.stdout.readline().strip() != b"ok":
                holder.kill()
                self.notes.append("idle: no cgroup2 view (%s): not measured" % holder.communicate()[1].decode()[:200])
                return
            self.idle_view(res, "cgroup2", ["nsenter", "--mount=/proc/%d/ns/mnt" % holder.pid, "--"])
        finally:
            holder.kill()
            holder.wait()

    def idle_view(self, res, view, enter):
        """bench_idle in one cgroup view; ENTER: the command prefix that enters it."""
        n = res["n"]
        out = res["views"][view] = {"times": {}, "fails": {}, "skipped": {}}
        rts = []
        for rt in self.avail(["crun", "runc", "reg-off", "base-off"]):
            v = Runtime(rt.label, rt.binary, enter + rt.argv, rt.mode)
            b = self.write_bundle(os.path.join(self.tmp, "b/idle", view, rt.label), self.busybox,
                                  ["/bin/sleep", "100000"], rt.mode)
            # a runtime that cannot run there at all is named, not timed
            cid = self.cid("idle", view, rt.label, "probe")
            rc, _, err, pid = self.create(v, cid, b)
            self.destroy(v, cid, pid)
            if rc != 0:
                out["skipped"][rt.label] = err
                continue
            rts.append((v, b))
            out["times"][rt.label] = {"create": [], "exec": []}
            out["fails"][rt.label] = []
        log("idle, %s view: %d rounds x %d runtimes, %.1f s idle before each step" % (view, n, len(rts), IDLE_GAP))
        for i in range(-1, n):  # round -1 warms caches and is not counted
            for v, b in self.shuffled(rts):
                cid = self.cid("idle", view, v.label, i)
                time.sleep(IDLE_GAP)
                rc, dt_c, err, pid = self.create(v, cid, b)
                if rc == 0:
                    rc, _, err = self.call(v.cmd("start", cid))
                if rc == 0:
                    time.sleep(IDLE_GAP)
                    rc, dt_e, err = self.call(v.cmd("exec", cid, "/bin/true"))
                if rc != 0:
                    out["fails"][v.label].append(err)
                elif i >= 0:
                    out["times"][v.label]["create"].append(dt_c)
                    out["times"][v.label]["exec"].append(dt_e)
                self.destroy(v, cid, pid)
            reap_orphans()

    # ----------------------------------------------------------------- 1b exec
    def bench_exec(self):
        """`exec ID /bin/true` into one running busybox `sleep` container per runtime."""
        n = 10 if self.quick else self.args.n
        times = {rt.label: {"exec": []} for rt in self.avail()}
        fails = {rt.label: [] for rt in self.avail()}
        running = []  # (runtime, id, pid): created and started once, for all rounds
        for rt in self.avail():
            # minimal keeps only what the entrypoint needs: name the exec'd program
            b = self.write_bundle(os.path.join(self.tmp, "b/exec", rt.label), self.busybox,
                                  ["/bin/sleep", "100000"], rt.mode, include="/bin/true")
            cid = self.cid("exec", rt.label)
            rc, _, err, pid = self.create(rt, cid, b)
            if rc == 0:
                rc, _, err = self.call(rt.cmd("start", cid))
            if rc != 0:
                fails[rt.label].append("create/start: " + err)
                self.destroy(rt, cid, pid)
                continue
            running.append((rt, cid, pid))
        log("exec: %d rounds x %d runtimes" % (n, len(running)))
        for i in range(-1, n):  # round -1 warms caches and is not counted
            for rt, cid, pid in self.shuffled(running):
                # returns once /bin/true has exited: no --detach
                rc, dt, err = self.call(rt.cmd("exec", cid, "/bin/true"))
                if rc != 0:
                    fails[rt.label].append("exec: " + err)
                elif i >= 0:
                    times[rt.label]["exec"].append(dt)
            reap_orphans()
        for rt, cid, pid in running:
            self.destroy(rt, cid, pid)
        self.results["exec"] = {"times": times, "fails": fails, "n": n}

    # -------------------------------------------------------- 2 runtime cost
    def bench_cost(self):
        reps = 3 if self.quick else 10
        rts = self.avail()
        res = {rt.label: {"rss": [], "fails": []} for rt in rts}
        bundles = {rt.label: self.write_bundle(os.path.join(self.tmp, "b/cost", rt.label), self.busybox,
                                               ["/bin/true"], rt.mode) for rt in rts}
        log("peak RSS of create: %d reps" % reps)
        for i in range(reps):
            for rt in self.shuffled(rts):
                cid = self.cid("rss", rt.label, i)
                tf = os.path.join(self.tmp, "time.out")
                pidfile = os.path.join(self.tmp, "pids", cid)
                self.created[cid] = rt
                rc, _, err = self.call(["/usr/bin/time", "-f", "%M", "-o", tf] +
                                       rt.cmd("create", "--bundle", bundles[rt.label], "--pid-file", pidfile, cid))
                pid = None
                if rc == 0:
                    res[rt.label]["rss"].append(int(open(tf).read().split()[-1]) * 1024)
                    pid = int(open(pidfile).read())
                else:
                    res[rt.label]["fails"].append(err)
                self.destroy(rt, cid, pid)
        # smallest memory limit under which /bin/true still starts and exits 0
        log("memory limit bisection")
        lo_start, hi_start = 64 * 1024, 256 * 1024 * 1024
        step = 256 * 1024 if self.quick else 64 * 1024
        state = {rt.label: [lo_start, hi_start] for rt in rts}  # [fails, works]
        works = {}
        for rt in rts:
                works[rt.label] = self.try_limit(rt, hi_start, "hi")
        it = 0
        while True:
            active = [rt for rt in rts if works[rt.label] and state[rt.label][1] - state[rt.label][0] > step]
            if not active:
                break
            for rt in active:
                lo, hi = state[rt.label]
                mid = (lo + hi) // 2 // 4096 * 4096
                if self.try_limit(rt, mid, it):
                    state[rt.label][1] = mid
                else:
                    state[rt.label][0] = mid
            it += 1
        for rt in rts:
            res[rt.label]["minmem"] = state[rt.label][1] if works[rt.label] else None
            res[rt.label]["minmem_lo"] = state[rt.label][0]
        res["_step"] = step
        self.results["cost"] = res

    def try_limit(self, rt, limit, tag):
        b = self.write_bundle(os.path.join(self.tmp, "b/mem", rt.label, str(limit)), self.busybox,
                              ["/bin/true"], rt.mode, memory=limit)
        cid = self.cid("mem", rt.label, tag)
        self.created[cid] = rt
        rc, _, _ = self.call(rt.cmd("run", "--bundle", b, cid), timeout=30)
        if rc != 0:
            self.call(rt.cmd("delete", "--force", cid))
            reap_orphans()
        self.created.pop(cid, None)
        return rc == 0

    # -------------------------------------------------------------- 3 density
    def bench_density(self):
        ns = [2, 3] if self.quick else [10, 50, 100]
        labels = ["crun", "reg-off", "reg-share", "reg-minimal"]
        rts = self.avail(labels)
        log("density: making %d copies of the python image" % max(ns))
        self.pycopies = self.copies(self.pyimg, max(ns), "python")
        self.pyimg_bytes = du_bytes(self.pyimg)
        res = {rt.label: {} for rt in rts}
        bundles = {}
        for rt in rts:
            for i, root in enumerate(self.pycopies):
                bundles[(rt.label, i)] = self.write_bundle(
                    os.path.join(self.tmp, "b/dens", rt.label, str(i)), root,
                    ["/usr/bin/python3", "/app/main.py"], rt.mode, env=["BENCH_ID=%d" % i],
                    include=PY_INCLUDE)
        # REG modes: build the environments once so the series measure steady
        # state, not the first hashing of every copy
        for rt in rts:
            if rt.mode in ("share", "minimal"):
                log("density: %s: first create of each of the %d copies (builds the environments)"
                    % (rt.label, max(ns)))
                for i in range(max(ns)):
                    cid = self.cid("denswarm", rt.label, i)
                    rc, _, err, pid = self.create(rt, cid, bundles[(rt.label, i)])
                    self.destroy(rt, cid, pid)
        for n in ns:
            for rt in self.shuffled(rts):
                log("density: %s N=%d" % (rt.label, n))
                res[rt.label][n] = self.density_series(rt, [bundles[(rt.label, i)] for i in range(n)],
                                                       "dens-%s-%d" % (rt.label, n))
        self.results["density"] = {"ns": ns, "res": res}

    def density_series(self, rt, bundles, tag):
        """Caches dropped, then one container per bundle created and started in
        turn, each printing "ready" once python has imported its modules; once
        all are ready: ΣPSS over their processes, growth of Cached, MemAvailable
        and MemFree drop, seconds from the first create until all were ready.
        The containers are deleted afterwards."""
        n = len(bundles)
        drop_caches()
        time.sleep(1.5)  # let reclaim settle before the baseline
        before = meminfo()
        rfd, wfd = os.pipe()
        started, fails = [], []
        t0 = time.perf_counter()
        for i, b in enumerate(bundles):
            cid = self.cid(tag, i)
            rc, _, err, pid = self.create(rt, cid, b, stdout=wfd)
            if rc != 0:
                fails.append("create: " + err)
                self.destroy(rt, cid)
                continue
            rc, _, err = self.call(rt.cmd("start", cid))
            if rc != 0:
                fails.append("start: " + err)
                self.destroy(rt, cid, pid)
                continue
            started.append((cid, pid))
        os.close(wfd)
        ready = self.read_ready(rfd, len(started), 60 + 2 * n)
        os.close(rfd)
        t_ready = time.perf_counter() - t0
        time.sleep(1.0)
        after = meminfo()
        pss = {"Pss": 0, "Pss_File": 0, "Pss_Anon": 0, "Rss": 0}
        nproc = 0
        for cid, pid in started:
            for p in descendants(pid):
                sr = smaps_rollup(p)
                nproc += 1
                for k in pss:
                    pss[k] += sr.get(k, 0)
        for cid, pid in started:
            self.destroy(rt, cid, pid)
        reap_orphans()
        return {
            "pss": pss, "nproc": nproc, "ready": ready, "started": len(started), "fails": fails,
            "cached": after["Cached"] - before["Cached"],
            "avail_drop": before["MemAvailable"] - after["MemAvailable"],
            "free_drop": before["MemFree"] - after["MemFree"],
            "t_ready": t_ready,
        }

    # ------------------------------------------------ 3b first-start density
    def bench_first_density(self):
        """N python containers, each from its own copy of the Debian image, caches
        dropped first: started with an empty store (the first start builds the
        environments during the measurement), then again from the same copies
        with the store as the first start left it (steady state)."""
        n = 5 if self.quick else 50
        reps = 1 if self.quick else 3
        rts = self.avail(["crun", "runc", "reg-off", "reg-share", "reg-minimal"])
        log("first-start density: %d copies of the Debian image" % n)
        copies = self.copies(self.debian, n, "debian")
        res = {rt.label: {"first": [], "steady": []} for rt in rts}
        # a new store for each series, all removed at the end (see bench_first)
        stores = os.path.join(self.tmp, "fdens-stores")
        for rep in range(reps):
            for rt in self.shuffled(rts):
                store = os.path.join(stores, "%d-%s" % (rep, rt.label))
                r = rt.with_store(store) if "--reg-root" in rt.argv else rt
                bundles = [self.write_bundle(os.path.join(self.tmp, "b/fdens", rt.label, str(i)), root, PY_ARGS,
                                             rt.mode, env=["BENCH_ID=%d" % i], include=PY_INCLUDE)
                           for i, root in enumerate(copies)]
                for phase in ("first", "steady"):
                    log("first-start density: %s N=%d, %s (%d/%d)" % (rt.label, n, phase, rep + 1, reps))
                    res[rt.label][phase].append(self.density_series(r, bundles, "fd%s-%s-%d" % (phase[0], rt.label, rep)))
        shutil.rmtree(stores, ignore_errors=True)
        self.results["first_density"] = {"n": n, "reps": reps, "res": res}

    def read_ready(self, rfd, want, timeout):
        got, buf = 0, b""
        deadline = time.monotonic() + timeout
        while got < want and time.monotonic() < deadline:
            r, _, _ = select.select([rfd], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                break
            chunk = os.read(rfd, 65536)
            if not chunk:
                break
            buf += chunk
            got = buf.count(b"ready ")
        return got

    # ---------------------------------------------------------------- 4 storm
    def storm_scripts(self):
        """storm-one.sh ID (create and start one container; its bundle is
        $BUNDLE, or $BUNDLEDIR/ID) and storm-del.sh ID, written once."""
        script = os.path.join(self.tmp, "storm-one.sh")
        dscript = os.path.join(self.tmp, "storm-del.sh")
        if not os.path.exists(script):
            with open(script, "w") as f:
                f.write('#!/bin/sh\n# storm-one.sh ID: create and start one container\n'
                        'id=$1\nb=${BUNDLE:-$BUNDLEDIR/$id}\n'
                        '$RT create --bundle "$b" --pid-file "$PIDDIR/$id" "$id" 2>>"$ERRS" || { echo "$id" >>"$FAILS"; exit 0; }\n'
                        '$RT start "$id" 2>>"$ERRS" || echo "$id" >>"$FAILS"\n')
            with open(dscript, "w") as f:
                f.write('#!/bin/sh\n$RT delete "$1" 2>/dev/null || $RT delete --force "$1" 2>/dev/null\nexit 0\n')
        return script, dscript

    def storm_once(self, rt, ids, par, tag, bundle=None, bundledir=None):
        """Create and start the containers ids by `xargs -P par`; seconds until
        every `start` returned, failures (a failed create/start, or a container
        not running afterwards); then kill, reap and delete them all."""
        script, dscript = self.storm_scripts()
        d = os.path.join(self.tmp, "storm", tag)
        piddir = os.path.join(d, "pids")
        os.makedirs(piddir)
        for cid in ids:
            self.created[cid] = rt
        env = dict(os.environ, RT=" ".join(rt.argv), PIDDIR=piddir,
                   ERRS=os.path.join(d, "errors"), FAILS=os.path.join(d, "failed"))
        if bundle:
            env["BUNDLE"] = bundle
        else:
            env["BUNDLEDIR"] = bundledir
        reap_orphans()
        t0 = time.perf_counter()
        p = subprocess.run(["xargs", "-P", str(par), "-n", "1", "sh", script],
                           input="\n".join(ids) + "\n", text=True, env=env,
                           stdout=DEVNULL, stderr=DEVNULL)
        wall = time.perf_counter() - t0
        failed = set()
        if os.path.exists(env["FAILS"]):
            failed = set(open(env["FAILS"]).read().split())
        pids = {}
        for cid in ids:
            try:
                pids[cid] = int(open(os.path.join(piddir, cid)).read())
            except (OSError, ValueError):
                failed.add(cid)
        running = 0
        for cid, pid in pids.items():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    st = f.read().rsplit(")", 1)[1].split()[0]
                if st not in ("Z", "X") and cid not in failed:
                    running += 1
            except OSError:
                failed.add(cid)
        errs = ""
        if os.path.exists(env["ERRS"]):
            errs = open(env["ERRS"]).read()[-300:].strip().replace("\n", " | ")
        # tear down: SIGKILL by pid, reap, then delete in parallel
        for pid in pids.values():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in pids.values():
            wait_exit(pid, 5)
        subprocess.run(["xargs", "-P", "8", "-n", "1", "sh", dscript], input="\n".join(ids) + "\n",
                       text=True, env=env, stdout=DEVNULL, stderr=DEVNULL)
        reap_orphans()
        for cid in ids:
            self.created.pop(cid, None)
        return {"wall": wall, "failed": len(failed), "running": running, "err": errs, "xargs_rc": p.returncode}

    def bench_storm(self):
        configs = [(20, 8)] if self.quick else [(100, 8), (100, 32), (500, 8), (500, 32)]
        rts = self.avail()
        res = {}
        for count, par in configs:
            for rt in self.shuffled(rts):
                log("storm: %s %d containers, %d in parallel" % (rt.label, count, par))
                b = self.write_bundle(os.path.join(self.tmp, "b/storm", rt.label), self.busybox,
                                      ["/bin/sleep", "100000"], rt.mode)
                ids = [self.cid("st", rt.label, count, par, i) for i in range(count)]
                res.setdefault((count, par), {})[rt.label] = self.storm_once(
                    rt, ids, par, "%s-%d-%d" % (rt.label, count, par), bundle=b)
        self.results["storm"] = {"configs": configs, "res": res}

    def bench_debian_storm(self):
        """M python containers, P in parallel, each from its own copy of the Debian
        image, every runtime (REG: an empty store at the start of each storm)."""
        count, par = (20, 32) if self.quick else (200, 32)
        reps = 1 if self.quick else 3
        rts = self.avail()
        log("Debian storm: %d copies of the Debian image" % count)
        copies = self.copies(self.debian, count, "debian")
        res = {rt.label: [] for rt in rts}
        # a new store for each storm, all removed at the end (see bench_first)
        stores = os.path.join(self.tmp, "dstorm-stores")
        for rep in range(reps):
            for rt in self.shuffled(rts):
                log("Debian storm: %s %d containers, %d in parallel (%d/%d)" % (rt.label, count, par, rep + 1, reps))
                store = os.path.join(stores, "%d-%s" % (rep, rt.label))
                r = rt.with_store(store) if "--reg-root" in rt.argv else rt
                ids = [self.cid("dst", rt.label, rep, i) for i in range(count)]
                bdir = os.path.join(self.tmp, "b/dstorm", rt.label)
                for cid, root in zip(ids, copies):
                    self.write_bundle(os.path.join(bdir, cid), root, STORM_ARGS, rt.mode, include=PY_INCLUDE)
                res[rt.label].append(self.storm_once(r, ids, par, "deb-%s-%d" % (rt.label, rep), bundledir=bdir))
        shutil.rmtree(stores, ignore_errors=True)
        self.results["debian_storm"] = {"count": count, "par": par, "reps": reps, "res": res}

    # -------------------------------------------------------------- 7 clients
    def client_wrappers(self, rts, tag):
        """One executable per runtime for the clients, named as the runtime (Podman
        decides what a runtime supports by its name): `exec BINARY ARGS "$@"`.
        reg-runc's carry its private store (each runtime its own, empty at the
        start) and config; crun's and runc's the same sh exec, for fairness."""
        wrappers = {}
        for rt in rts:
            d = os.path.join(self.tmp, "clients", "rt", tag, rt.label)
            os.makedirs(d)
            if rt.mode:
                name = "reg-runc"
                args = [os.path.abspath(rt.binary), "--reg-root",
                        os.path.join(self.tmp, "clients", "store-%s-%s" % (tag, rt.label)),
                        "--config", self.regconf]
            else:
                name, args = os.path.basename(rt.binary), [rt.binary]
            path = os.path.join(d, name)
            with open(path, "w") as f:
                f.write("#!/bin/sh\nexec %s \"$@\"\n" % " ".join(args))
            os.chmod(path, 0o755)
            wrappers[rt.label] = path
        return wrappers

    @staticmethod
    def client_annotations(rt, include):
        """--annotation run.reg.mode=MODE (none for off), and minimal's include."""
        if rt.mode not in ("share", "minimal"):
            return []
        a = ["--annotation", "run.reg.mode=" + rt.mode]
        if include and rt.mode == "minimal":
            a += ["--annotation", "run.reg.include=" + include]
        return a

    def client_series(self, what, rts, run_cmd, n):
        """Each runtime's first run of the image (random order), then n rounds of
        one run per runtime in a new random order each round; wall time of the
        client command.  run_cmd(rt, cid) gives its argv."""
        first, times, fails = {}, {rt.label: [] for rt in rts}, {rt.label: [] for rt in rts}
        # the client's own first container (shim, overlay, caches) is paid by an
        # uncounted run with crun (or whichever runtime comes first), not by the
        # first runtime of the random order
        warm = (self.avail(["crun"]) or rts)[0]
        self.call(run_cmd(warm, self.cid(what, "warmup")), timeout=180)
        log("%s: first run of the image, %d runtimes" % (what, len(rts)))
        for rt in self.shuffled(rts):
            rc, dt, err = self.call(run_cmd(rt, self.cid(what, rt.label, "first")), timeout=180)
            first[rt.label] = dt if rc == 0 else None
            if rc != 0:
                fails[rt.label].append("first run: " + err)
                log("%s: %s first run failed: %s" % (what, rt.label, err))
        log("%s: %d rounds x %d runtimes" % (what, n, len(rts)))
        for i in range(n):
            for rt in self.shuffled(rts):
                rc, dt, err = self.call(run_cmd(rt, self.cid(what, rt.label, i)), timeout=180)
                times[rt.label].append(dt if rc == 0 else None)
                if rc != 0:
                    fails[rt.label].append(err)
                    log("%s: %s failed: %s" % (what, rt.label, err))
        return {"first": first, "times": times, "fails": fails, "n": n}

    def podman_setup(self, base):
        """A private Podman: storage, run root, tmp dir and networks under base
        (nothing of the host's Podman is read or written); returns its env."""
        conf = os.path.join(base, "conf")
        for d in ("conf", "storage", "runroot", "tmp", "networks", "volumes"):
            os.makedirs(os.path.join(base, d))
        with open(os.path.join(conf, "storage.conf"), "w") as f:
            f.write('[storage]\ndriver = "overlay"\ngraphroot = "%s/storage"\nrunroot = "%s/runroot"\n' % (base, base))
        with open(os.path.join(conf, "registries.conf"), "w") as f:
            f.write("unqualified-search-registries = []\n")
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
        nofile, nproc = [min(x, cap) if x != resource.RLIM_INFINITY else cap
                         for x, cap in ((nofile, 20000), (nproc, 32768))]
        with open(os.path.join(conf, "containers.conf"), "w") as f:
            # Podman's default nofile/nproc limits may exceed this host's hard
            # limits (setrlimit then fails): the harness's own hard limits
            f.write('[containers]\ndefault_ulimits = ["nofile=%d:%d", "nproc=%d:%d"]\nlog_driver = "k8s-file"\n\n'
                    % (nofile, nofile, nproc, nproc))
            f.write('[network]\nnetwork_backend = "cni"\nnetwork_config_dir = "%s/networks"\n\n'
                    '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "none"\npull_policy = "never"\n'
                    'tmp_dir = "%s/tmp"\nvolume_path = "%s/volumes"\n'
                    'runtime_supports_json = ["crun", "runc", "reg-runc"]\n'
                    'runtime_supports_nocgroups = ["crun", "reg-runc"]\n' % (base, base, base))
        env = dict(os.environ, CONTAINERS_CONF=os.path.join(conf, "containers.conf"),
                   CONTAINERS_STORAGE_CONF=os.path.join(conf, "storage.conf"),
                   CONTAINERS_REGISTRIES_CONF=os.path.join(conf, "registries.conf"))
        env.pop("XDG_RUNTIME_DIR", None)
        return env

    def containerd_start(self, base):
        """A private containerd (root, state, socket under base; no CRI plugin).
        Returns (Popen, address) or (None, error)."""
        os.makedirs(base)
        sock = os.path.join(base, "ctrd.sock")
        with open(os.path.join(base, "config.toml"), "w") as f:
            f.write('version = 2\nroot = "%s/root"\nstate = "%s/state"\n'
                    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt", '
                    '"io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", '
                    '"io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", '
                    '"io.containerd.tracing.processor.v1.otlp"]\n'
                    '[grpc]\n  address = "%s"\n[ttrpc]\n  address = "%s.ttrpc"\n' % (base, base, sock, sock))
        logf = open(os.path.join(base, "containerd.log"), "w")
        p = subprocess.Popen(["containerd", "--config", os.path.join(base, "config.toml")],
                             stdin=DEVNULL, stdout=logf, stderr=logf)
        for _ in range(100):
            if subprocess.run(["ctr", "--address", sock, "version"], stdout=DEVNULL, stderr=DEVNULL).returncode == 0:
                return p, sock
            if p.poll() is not None:
                break
            time.sleep(0.1)
        p.kill()
        p.wait()
        return None, open(os.path.join(base, "containerd.log")).read()[-300:]

    def bench_clients(self):
        """`podman run --rm` and `ctr run --rm` of the Debian image (/bin/true) with
        each runtime: its first run, then n interleaved rounds."""
        n = 3 if self.quick else 30
        rts = self.avail(["crun", "runc", "reg-off", "reg-share", "reg-minimal"])
        base = os.path.join(self.tmp, "clients")
        os.makedirs(base)
        res = {}
        tar = os.path.join(base, "debian.tar")
        sh(["tar", "-C", self.debian, "-cf", tar, "."])
        image = "localhost/reg-bench/debian:bookworm"
        cgparent = "/%s-clients" % self.prefix
        if shutil.which("podman"):
            env = self.podman_setup(os.path.join(base, "podman"))
            pm = ["podman", "--log-level=error"]
            log("clients: podman import of the Debian image")
            r = subprocess.run(pm + ["import", "-q", "--change", 'CMD ["/bin/bash"]', tar, image], env=env,
                               stdout=DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode == 0:
                # Podman's own first use of the image (no runtime is called)
                subprocess.run(pm + ["create", "--name", self.prefix + "-warm", image, "/bin/true"], env=env,
                               stdout=DEVNULL, stderr=DEVNULL)
                subprocess.run(pm + ["rm", self.prefix + "-warm"], env=env, stdout=DEVNULL, stderr=DEVNULL)

                def podman_run(rt, cid):
                    # wrappers, args and include: the current workload's (the loop below)
                    return (pm + ["--runtime", wrappers[rt.label], "run", "--rm", "--name", cid, "--network", "none",
                                  "--cgroup-parent", cgparent] + self.client_annotations(rt, include) + [image] + args)
                saved = os.environ.copy()
                os.environ.update({k: v for k, v in env.items() if k.startswith("CONTAINERS_")})
                try:
                    for wl, args, include in CLIENT_WORKLOADS:
                        wrappers = self.client_wrappers(rts, "podman-" + wl)
                        res["podman " + wl] = self.client_series("podman-" + wl, rts, podman_run, n)
                finally:
                    os.environ.clear()
                    os.environ.update(saved)
                subprocess.run(pm + ["rm", "-a", "-f"], env=env, stdout=DEVNULL, stderr=DEVNULL)
                if shutil.which("containerd") and shutil.which("ctr"):
                    r2 = subprocess.run(pm + ["save", "--format", "oci-archive", "-o",
                                              os.path.join(base, "debian.oci.tar"), image], env=env,
                                        stdout=DEVNULL, stderr=subprocess.PIPE, text=True)
                    if r2.returncode != 0:
                        self.notes.append("clients: podman save failed: %s" % r2.stderr.strip()[:200])
                subprocess.run(pm + ["rmi", "-a", "-f"], env=env, stdout=DEVNULL, stderr=DEVNULL)
            else:
                self.notes.append("clients: podman import failed: %s" % r.stderr.strip()[:200])
        else:
            self.notes.append("clients: podman not installed: not measured")
        oci = os.path.join(base, "debian.oci.tar")
        if os.path.exists(oci):
            had_run_containerd = os.path.exists("/run/containerd")
            proc, sock = self.containerd_start(os.path.join(base, "containerd"))
            if proc:
                ns = self.prefix + "-ctr"
                ctr = ["ctr", "--address", sock, "-n", ns]
                try:
                    log("clients: ctr images import of the Debian image")
                    r = subprocess.run(ctr + ["images", "import", oci], stdout=DEVNULL, stderr=subprocess.PIPE,
                                       text=True)
                    if r.returncode == 0:
                        runc_root = os.path.join(self.tmp, "state", "ctr-runc-root")
                        fifo = os.path.join(base, "containerd", "fifo")
                        # containerd's own first use of the image: its snapshot
                        subprocess.run(ctr + ["containers", "create", image, self.prefix + "-warm", "/bin/true"],
                                       stdout=DEVNULL, stderr=DEVNULL)
                        subprocess.run(ctr + ["containers", "delete", self.prefix + "-warm"],
                                       stdout=DEVNULL, stderr=DEVNULL)

                        def ctr_run(rt, cid):
                            # wrappers, args and include: the current workload's (the loop below)
                            return (ctr + ["run", "--rm", "--fifo-dir", fifo, "--runtime", "io.containerd.runc.v2",
                                           "--runc-binary", wrappers[rt.label], "--runc-root", runc_root,
                                           "--cgroup", "%s/%s" % (cgparent, cid)] +
                                    self.client_annotations(rt, include) + [image, cid] + args)
                        for wl, args, include in CLIENT_WORKLOADS:
                            wrappers = self.client_wrappers(rts, "ctr-" + wl)
                            res["ctr " + wl] = self.client_series("ctr-" + wl, rts, ctr_run, n)
                    else:
                        self.notes.append("clients: ctr images import failed: %s" % r.stderr.strip()[:200])
                finally:
                    self.containerd_stop(proc, ctr)
                    if not had_run_containerd:
                        # the shims' sockets go to /run/containerd/s whatever the state dir:
                        # remove what we made there (empty directories only)
                        for root, dirs, files in os.walk("/run/containerd", topdown=False):
                            try:
                                os.rmdir(root)
                            except OSError:
                                pass
            else:
                self.notes.append("clients: the private containerd did not start: %s" % sock)
        self.remove_cgroup_tree(cgparent.lstrip("/"))
        self.results["clients"] = res

    def containerd_stop(self, proc, ctr):
        """Remove every task and container of our namespace, then end containerd (by its pid)."""
        for what in ("tasks", "containers"):
            ids = subprocess.run(ctr + [what, "ls", "-q"], stdout=subprocess.PIPE, stderr=DEVNULL,
                                 text=True).stdout.split()
            for i in ids:
                if what == "tasks":
                    subprocess.run(ctr + ["tasks", "delete", "-f", i], stdout=DEVNULL, stderr=DEVNULL, timeout=60)
                else:
                    subprocess.run(ctr + ["containers", "delete", i], stdout=DEVNULL, stderr=DEVNULL, timeout=60)
        subprocess.run(ctr + ["images", "rm", "localhost/reg-bench/debian:bookworm"], stdout=DEVNULL, stderr=DEVNULL)
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def remove_cgroup_tree(self, name):
        """Remove the (empty) cgroup directories NAME of every hierarchy, deepest
        first (the clients' --cgroup-parent, conmon's cgroup included)."""
        for h in os.listdir("/sys/fs/cgroup"):
            top = os.path.join("/sys/fs/cgroup", h, name)
            if os.path.islink(os.path.join("/sys/fs/cgroup", h)) or not os.path.isdir(top):
                continue
            for root, dirs, files in os.walk(top, topdown=False):
                try:
                    os.rmdir(root)
                except OSError:
                    pass

    # --------------------------------------------------------------- 5 volume
    def bench_volume(self):
        log("volume")
        res = {"images": {}, "store": None}
        cdeb = self.copies(self.debian, 1, "debian-c")[0]
        shutil.copy2(self.c_bin, os.path.join(cdeb, "usr/local/bin/hello"))
        images = [
            ("debian+python3", self.debian, ["/usr/bin/python3", "-c", "import json"]),
            ("python (from debian)", self.pyimg, ["/usr/bin/python3", "/app/main.py"]),
            ("busybox", self.busybox, ["/bin/sh", "-c", "true"]),
            ("debian+C program", cdeb, ["/usr/local/bin/hello"]),
        ]
        for name, root, args in images:
            e = {"image": du_bytes(root)}
            if self.reg:
                r = subprocess.run([self.reg, "reg", "analyze", "--rootfs", root, "--format", "json", "--"] + args,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                e["closure"] = self.closure_bytes(root, r.stdout) if r.returncode == 0 else None
                if r.returncode != 0:
                    e["closure_err"] = r.stderr.strip()[:200]
            for rt in self.avail(["reg-minimal", "reg-share"]):
                store = os.path.join(self.tmp, "vol-store-%s" % rt.label)
                shutil.rmtree(store, ignore_errors=True)
                r = rt.with_store(store)
                b = self.write_bundle(os.path.join(self.tmp, "b/vol", rt.label, name.replace(" ", "_")), root,
                                      args, rt.mode, include=PY_INCLUDE if "python" in args[0] else None)
                cid = self.cid("vol", rt.label, len(e))
                rc, _, err, pid = self.create(r, cid, b)
                st = self.reg_stats(store) if rc == 0 else None
                e[rt.label] = st["referencedBytes"] if st else None
                self.destroy(r, cid, pid)
                shutil.rmtree(store, ignore_errors=True)
            res["images"][name] = e
        # 10 distinct images (separate copies) through one store
        rt = (self.avail(["reg-minimal"]) or self.avail(["reg-share"]) or [None])[0]
        if rt:
            store = os.path.join(self.tmp, "vol-store-10")
            r = rt.with_store(store)
            npy, nc, nbb = (1, 1, 1) if self.quick else (4, 3, 3)
            mix = ([("python", p, ["/usr/bin/python3", "/app/main.py"]) for p in self.copies(self.pyimg, npy, "python")] +
                   [("debian-c", p, ["/usr/local/bin/hello"]) for p in self.copies(cdeb, nc, "debian-c-more")] +
                   [("busybox", p, ["/bin/sh", "-c", "true"]) for p in self.copies(self.busybox, nbb, "busybox")])
            total, ok = 0, 0
            for i, (kind, root, args) in enumerate(mix):
                if kind == "debian-c" and not os.path.exists(os.path.join(root, "usr/local/bin/hello")):
                    shutil.copy2(self.c_bin, os.path.join(root, "usr/local/bin/hello"))
                total += du_bytes(root)
                b = self.write_bundle(os.path.join(self.tmp, "b/vol10", str(i)), root, args, rt.mode,
                                      include=PY_INCLUDE if "python" in args[0] else None)
                cid = self.cid("vol10", i)
                rc, _, err, pid = self.create(r, cid, b)
                ok += rc == 0
                self.destroy(r, cid, pid)
            res["store"] = {"mode": rt.mode, "images": len(mix), "mix": (npy, nc, nbb), "created": ok, "image_bytes": total,
                            "stats": self.reg_stats(store)}
            shutil.rmtree(store, ignore_errors=True)
        self.results["volume"] = res

    def closure_bytes(self, root, text):
        """Sum of the sizes of the regular files `reg analyze` lists."""
        try:
            data = json.loads(text)
        except ValueError:
            return None
        return sum(f.get("size", 0) for f in data.get("files", []) if f.get("kind") == "file")

    def reg_stats(self, store):
        r = subprocess.run([self.reg, "--reg-root", store, "reg", "stats", "--format", "json"],
                           stdout=subprocess.PIPE, stderr=DEVNULL, text=True)
        try:
            return json.loads(r.stdout)
        except ValueError:
            return None

    # ---------------------------------------------------------- 6 sharing proof
    def bench_sharing(self):
        log("sharing proof: libc.so.6 device:inode in two containers of two copies")
        copies = self.copies(self.pyimg, 2, "python")
        res = {}
        for rt in self.avail(["crun", "reg-off", "reg-share", "reg-minimal"]):
            ids = []
            for i, root in enumerate(copies[:2]):
                b = self.write_bundle(os.path.join(self.tmp, "b/share", rt.label, str(i)), root,
                                      ["/usr/bin/python3", "-c", "import time; time.sleep(1000)"], rt.mode,
                                      include=PY_INCLUDE)
                cid = self.cid("share", rt.label, i)
                rc, _, err, pid = self.create(rt, cid, b)
                if rc == 0:
                    rc, _, err = self.call(rt.cmd("start", cid))
                ids.append((cid, pid, rc, err))
            maps = []
            time.sleep(0.5)
            for cid, pid, rc, err in ids:
                m = None
                if rc == 0 and pid:
                    try:
                        for line in open("/proc/%d/maps" % pid):
                            f = line.split()
                            if len(f) >= 6 and f[5].endswith("/libc.so.6"):
                                m = "%s %s" % (f[3], f[4])
                                break
                    except OSError:
                        pass
                if m:
                    m += ", %d KiB shared" % self.libc_shared_kib(pid)
                maps.append(m if m else ("error: " + (err or "no libc.so.6 mapping")))
            res[rt.label] = maps
            for cid, pid, rc, err in ids:
                self.destroy(rt, cid, pid)
        self.results["sharing"] = res

    @staticmethod
    def libc_shared_kib(pid):
        """Shared_Clean of the libc.so.6 mappings: pages someone else maps too."""
        total, inlibc = 0, False
        try:
            for line in open("/proc/%d/smaps" % pid):
                f = line.split()
                if re.match(r"^[0-9a-f]+-[0-9a-f]+$", f[0]):
                    inlibc = len(f) >= 6 and f[5].endswith("/libc.so.6")
                elif inlibc and f[0] == "Shared_Clean:":
                    total += int(f[1])
        except OSError:
            pass
        return total

    # --------------------------------------------------------------- cleanup
    def cleanup(self):
        for cid, rt in list(self.created.items()):
            self.call(rt.cmd("delete", "--force", cid), timeout=30)
        reap_orphans()
        # cgroups the runtimes should have removed: report and remove leftovers
        left = []
        for h in os.listdir("/sys/fs/cgroup"):
            base = os.path.join("/sys/fs/cgroup", h)
            if not os.path.isdir(base) or os.path.islink(base):
                continue
            for root, dirs, files in os.walk(base, topdown=False):
                for d in dirs:
                    if d.startswith(self.prefix):
                        p = os.path.join(root, d)
                        left.append(p)
                        try:
                            os.rmdir(p)
                        except OSError:
                            pass
        if left:
            self.notes.append("%d cgroup directories were left behind by a runtime and removed by the harness "
                              "(e.g. %s)" % (len(left), left[0]))
        # no mount of ours may stay under the temp dir
        with open("/proc/self/mountinfo") as f:
            for line in f:
                mp = line.split()[4]
                if mp.startswith(self.tmp):
                    subprocess.run(["umount", "-l", mp], stderr=DEVNULL)
        shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small N: a smoke run of under two minutes")
    ap.add_argument("--only", default=",".join(BENCHES),
                    help="comma-separated subset of: " + ",".join(BENCHES))
    ap.add_argument("--out", default="bench-results")
    ap.add_argument("--cache", default=os.environ.get("REG_BENCH_CACHE", CACHE_DEFAULT))
    ap.add_argument("--reg-runc", default=os.environ.get("REG_RUNC"))
    ap.add_argument("--reg-runc-base", default=os.environ.get("REG_RUNC_BASE"),
                    help="a second reg-runc build, measured beside the first as base-off, base-share, base-minimal")
    ap.add_argument("--n", type=int, default=200, help="lifecycle and exec rounds (full run)")
    ap.add_argument("--seed", type=int, default=None,
                    help="seed of the runtimes' random order per round (default: random, printed in the report)")
    ap.add_argument("--srcdir", default=os.getcwd())
    ap.add_argument("--keep-cgroup-layout", action="store_true")
    args = ap.parse_args()

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

    import report
    b = Bench(args)
    started = time.time()
    only = args.only.split(",")
    try:
        b.setup_runtimes()
        b.mk_template()
        b.make_images()
        b.probe()
        for name in BENCHES:
            if name in only:
                t = time.time()
                getattr(b, "bench_" + name)()
                b.results.setdefault("durations", {})[name] = time.time() - t
    finally:
        b.cleanup()
    b.results["elapsed"] = time.time() - started
    path = report.write(b)
    log("report: %s (%.0f s)" % (path, b.results["elapsed"]))


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
