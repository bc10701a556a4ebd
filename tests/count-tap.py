#!/usr/bin/env python3
"""Count the TAP results of every test in meson's testlog.json files.

Each unit test (cmocka) and integration file (bats) prints TAP; one line of
each test counts once.  A test executable that failed without printing a
failing TAP line (a crash, a timeout) counts as one failure.
Prints "N passed, N failed[, N skipped]" as its last line; exits 1 when
anything failed.  Above it, every test skipped as a whole ("1..0 # SKIP ...",
or a bats file whose setup_file skipped all its tests) is named with its
reason, so a skip is never silent.

  --require SUITE  a test of SUITE skipped as a whole counts as one failure
                   (not as skips); repeatable
  --expect SUITE   at least one test of SUITE must be in the logs, else one
                   failure; repeatable
  --hint TEXT      printed after a --require or --expect failure
  --note TEXT      printed above the summary line"""
import argparse
import json
import re
import sys

ap = argparse.ArgumentParser(description="Count the TAP results of meson's testlog.json files.")
ap.add_argument("--require", action="append", default=[], metavar="SUITE")
ap.add_argument("--expect", action="append", default=[], metavar="SUITE")
ap.add_argument("--hint")
ap.add_argument("--note")
ap.add_argument("logs", nargs="*")
args = ap.parse_args()


def suites_and_name(full):
    """meson names a test "PROJECT:SUITE[+PROJECT:SUITE] / NAME"."""
    m = re.match(r"^(.*?) / (.*)$", full)
    if not m:
        return [], full
    return [s.split(":", 1)[-1] for s in m.group(1).split("+")], m.group(2)


def skip_reason(out):
    for l in out.splitlines():
        m = re.search(r"#\s*skip\b\s*(.*)$", l, re.I)
        if m:
            return m.group(1).strip() or "no reason given"
    return "no reason given"


passed = failed = skipped = 0
notes = []
seen_suites = set()
lines = []
for path in args.logs:
    with open(path) as f:
        lines.extend(f)
for line in lines:
    entry = json.loads(line)
    suites, name = suites_and_name(entry.get("name", ""))
    seen_suites.update(suites)
    out = entry.get("stdout") or ""
    p = fl = s = 0
    for l in out.splitlines():
        if re.match(r"^\s*ok\b", l):
            if re.search(r"#\s*skip", l, re.I):
                s += 1
            else:
                p += 1
        elif re.match(r"^\s*not ok\b", l):
            if re.search(r"#\s*skip", l, re.I):
                s += 1
            else:
                fl += 1
    if entry.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL") and fl == 0:
        fl = 1
    if entry.get("result") == "SKIP" and p + fl + s == 0:
        s = 1
    if p + fl == 0 and s > 0:
        reason = skip_reason(out)
        required = [x for x in suites if x in args.require]
        if required:
            notes.append(f"FAILED {name}: skipped as a whole ({reason}); the tests of suite {required[0]} are required")
            fl, s = 1, 0
        else:
            notes.append(f"skipped {name}: {reason}")
    passed += p
    failed += fl
    skipped += s

unmet = False
for suite in args.expect:
    if suite not in seen_suites:
        notes.append(f"FAILED: no test of suite {suite} ran; they are required")
        failed += 1
        unmet = True
if args.hint and (unmet or any(n.startswith("FAILED ") for n in notes)):
    notes.append(args.hint)
if args.note:
    notes.append(args.note)

for n in notes:
    print(n)
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
