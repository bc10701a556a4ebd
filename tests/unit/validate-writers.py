#!/usr/bin/env python3
"""Validate what reg-runc writes against the runtime-spec JSON schemas.

Usage: validate-writers.py REG_RUNC SCHEMA_DIR
Runs `reg-runc features`, `reg-runc spec` and `reg-runc spec --rootless`
and validates each against features-schema.json / config-schema.json.
Also checks the validator itself rejects the spec's own bad documents, so a
pass means something.  Prints TAP."""
import json
import os
import subprocess
import sys
import tempfile
import warnings

# RefResolver is deprecated in newer jsonschema but is what Debian's has.
warnings.filterwarnings("ignore", category=DeprecationWarning)

try:
    import jsonschema
except ImportError:
    print("1..0 # SKIP python3-jsonschema is not installed")
    sys.exit(0)

reg_runc, schema_dir = sys.argv[1], os.path.abspath(sys.argv[2])
results = []


def validator(name):
    with open(os.path.join(schema_dir, name)) as f:
        schema = json.load(f)
    resolver = jsonschema.RefResolver(base_uri="file://" + schema_dir + "/", referrer=schema)
    return jsonschema.Draft4Validator(schema, resolver=resolver)


def check(desc, fn):
    try:
        fn()
        results.append((True, desc, None))
    except Exception as e:  # noqa: BLE001 - any failure is a failed test
        results.append((False, desc, str(e).splitlines()[0] if str(e) else repr(e)))


def valid(v, doc):
    errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        raise AssertionError("%s at %s" % (errors[0].message, "/".join(map(str, errors[0].path))))


def invalid(v, path):
    with open(path) as f:
        doc = json.load(f)
    if not list(v.iter_errors(doc)):
        raise AssertionError("validator accepted " + path)


features_v = validator("features-schema.json")
config_v = validator("config-schema.json")


def features():
    out = subprocess.run([reg_runc, "features"], check=True, capture_output=True, text=True).stdout
    doc = json.loads(out)
    valid(features_v, doc)
    assert "run.reg." in doc["potentiallyUnsafeConfigAnnotations"]


def spec(rootless):
    def run():
        with tempfile.TemporaryDirectory() as d:
            cmd = [reg_runc, "spec", "--bundle", d] + (["--rootless"] if rootless else [])
            subprocess.run(cmd, check=True)
            with open(os.path.join(d, "config.json")) as f:
                doc = json.load(f)
            valid(config_v, doc)
            types = [n["type"] for n in doc["linux"]["namespaces"]]
            assert ("user" in types) == rootless, types
            # A second run must refuse to overwrite, with exit status 1.
            r = subprocess.run(cmd, capture_output=True, text=True)
            assert r.returncode == 1, r.returncode
            assert "already exists" in r.stderr, r.stderr
    return run


test_dir = os.path.join(schema_dir, "test")
check("features output validates against features-schema.json", features)
check("spec output validates against config-schema.json", spec(False))
check("spec --rootless output validates against config-schema.json", spec(True))
check("validator rejects features/bad/missing-ociVersionMax.json",
      lambda: invalid(features_v, os.path.join(test_dir, "features/bad/missing-ociVersionMax.json")))
check("validator rejects config/bad/linux-rdma.json",
      lambda: invalid(config_v, os.path.join(test_dir, "config/bad/linux-rdma.json")))

print("1..%d" % len(results))
for i, (ok, desc, why) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, desc))
    if why:
        print("# " + why)
sys.exit(0 if all(r[0] for r in results) else 1)
