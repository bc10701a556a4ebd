#!/usr/bin/env python3
"""Lint the bats files: an assertion line `[ a ] && [ b ]` does not fail a
bats test when `a` is false and the line is not the test's last (bats runs
tests with errexit, which ignores a failing command on the left of &&).
Such lines must be split, one test per line.  Prints each offending line and
exits 1 when there is one; with --fix, splits them in place."""
import re
import sys
from pathlib import Path

TEST = re.compile(r'^(\[\[? .*\]\]?)$')


def parts(line):
    body = line.strip()
    if " && " not in body or body.startswith("#"):
        return None
    segs = body.split(" && ")
    if len(segs) < 2 or not all(TEST.match(s) and s.count("[") == s.count("]") for s in segs):
        return None
    return segs


def main():
    fix = "--fix" in sys.argv
    root = Path(__file__).resolve().parent
    print("1..1")
    bad = 0
    for f in sorted(list(root.glob("integration/*.bats")) + list(root.glob("clients/*.bats"))):
        lines = f.read_text().split("\n")
        out = []
        for n, line in enumerate(lines, 1):
            segs = parts(line)
            if segs is None:
                out.append(line)
                continue
            bad += 1
            print(f"# {f.relative_to(root.parent)}:{n}: split `&&` of tests: {line.strip()}")
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + s for s in segs)
        if fix:
            f.write_text("\n".join(out))
    if bad and not fix:
        print(f"not ok 1 bats assertions: {bad} line(s) where a false test left of && does not fail the test"
              " (tests/lint-bats.py --fix splits them)")
        return 1
    print("ok 1 bats assertions: no `[ a ] && [ b ]` line")
    return 0


if __name__ == "__main__":
    sys.exit(main())
