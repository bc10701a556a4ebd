#!/usr/bin/env python3
"""Count the TAP results of every test in meson's testlog.json files.

Each unit test (cmocka) and integration file (bats) prints TAP; one line of
each test counts once.  A test executable that failed without printing a
failing TAP line (a crash, a timeout) counts as one failure.
Prints "N passed, N failed[, N skipped]"; exits 1 when anything failed."""
import json
import re
import sys

passed = failed = skipped = 0
lines = []
for path in sys.argv[1:]:
    with open(path) as f:
        lines.extend(f)
if True:
    for line in lines:
        entry = json.loads(line)
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
        passed += p
        failed += fl
        skipped += s

line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
