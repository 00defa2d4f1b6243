"""Python 2.7 pickles (tests/fixtures/py2, made by tests/gen/gen_py2_fixtures.py):
acar must read them as Python 3.11 does, with each `encoding`.

For every fixture and encoding (ASCII, latin1, utf-8, bytes) the index says
whether CPython 3 loads it, the repr of the value (acar's object form for
Python 2 class instances) and, for values of builtin types, the length and
hash of pickle.dumps(value, N) for N in 0..5.  Checks:
  verdict  acar reads it exactly when CPython does;
  repr     acar's repr equals the recorded one;
  pickle   acar's protocol N output equals CPython's re-dump (by hash; on a
           difference the bytes are rebuilt with CPython to show where);
           for values holding sets, loads(acar's output) equals the value
           (CPython re-pickles a set in its own hash order, acar in the
           stored order).
A refusal CPython makes only by calling a class with arguments it does not
take (TypeError), where acar reads the data, is reported, not failed.

Usage: python3 test_py2_fixtures.py PATH/TO/acar PATH/TO/TOOLS_DIR
Environment: ACAR_TEST_VERBOSE=1 lists every failure.
"""

import collections
import hashlib
import json
import os
import pickle
import sys

sys.setrecursionlimit(20000)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import pyvalues as pv  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "py2")
ENC_BITS = {"ASCII": pv.ENC_ASCII, "latin1": pv.ENC_LATIN1, "utf-8": pv.ENC_UTF8,
            "bytes": pv.ENC_BYTES}


def resolve(loads, enc, key):
    """loads[enc][key], following "KEY_as" links to another encoding."""
    e = loads[enc]
    while key not in e and (key + "_as") in e:
        e = loads[e[key + "_as"]]
    return e.get(key)


def digest(data):
    return "%d:%s" % (len(data), hashlib.sha256(data).hexdigest()[:16])


def main():
    pv.ensure_hashseed()
    if len(sys.argv) < 3:
        raise SystemExit("usage: test_py2_fixtures.py ACAR TOOLS_DIR")
    verbose = os.environ.get("ACAR_TEST_VERBOSE") == "1"
    with open(os.path.join(FIXTURES, "index.json")) as f:
        index = json.load(f)["fixtures"]

    work, reqs = [], []
    for fx in index:
        with open(os.path.join(FIXTURES, fx["file"]), "rb") as f:
            data = f.read()
        for enc, exp in fx["loads"].items():
            want = pv.WANT_REPR | 0x3F
            reqs.append(pv.Request(data, want, read=ENC_BITS[enc]))
            work.append((fx, enc, data))
    batch = pv.Batch(pv.find_batch(sys.argv[2]))
    results = batch.run(reqs)

    counts = collections.defaultdict(lambda: [0, 0])  # (check, enc) -> [pass, fail]
    failures = []
    notes = []
    for (fx, enc, data), res in zip(work, results):
        loads = fx["loads"]
        exp_ok = loads[enc]["ok"]
        where = "%s encoding=%s" % (fx["file"], enc)

        def fail(check, detail):
            counts[(check, enc)][1] += 1
            failures.append((check, where, detail))

        if res.crash is not None:
            fail("verdict", "crash: " + res.crash)
            continue
        if res.code == 0 and not exp_ok and loads[enc].get("kind") == "semantic":
            # CPython failed calling a class with these arguments; acar calls
            # nothing and may keep the object: reported, not failed.
            notes.append("%s: CPython refuses (%s); acar reads it as %s" % (
                where, loads[enc]["error"], res.out.get(pv.WANT_REPR, (0, b""))[1][:100]))
            continue
        if (res.code == 0) != exp_ok:
            fail("verdict", "CPython %s; acar %s" % (
                "loads it" if exp_ok else "refuses: " + loads[enc]["error"],
                "reads it" if res.code == 0 else "refuses: code %d offset %d: %s"
                % (res.code, res.offset, res.msg)))
            continue
        counts[("verdict", enc)][0] += 1
        if not exp_ok:
            continue
        exp_repr = resolve(loads, enc, "repr")
        code, text = res.out.get(pv.WANT_REPR, (-1, b""))
        got = text.decode("utf-8", "surrogateescape")
        if code == 0 and got == exp_repr:
            counts[("repr", enc)][0] += 1
        else:
            off = pv.first_diff(exp_repr, got) if code == 0 else 0
            fail("repr", "at char %d\n  CPython: %s\n  acar:    %s" % (
                off, exp_repr[max(0, off - 40):off + 60],
                got[max(0, off - 40):off + 60] if code == 0 else "error %d: %s" % (code, got)))
        pickles = resolve(loads, enc, "pickles")
        if not pickles:
            continue
        if fx["sets"]:
            # By value: CPython re-pickles a set in its own iteration order.
            ref = pickle.loads(data, encoding=enc)
            for p in range(6):
                wcode, out = res.out.get(p, (-1, b""))
                try:
                    d = pv.same_graph(ref, pickle.loads(out)) if wcode == 0 else "write failed"
                except Exception as e:
                    d = "CPython cannot load it: %s" % e
                if d is None:
                    counts[("pickle", enc)][0] += 1
                else:
                    fail("pickle", "protocol %d (set value, compared by value): %s" % (p, d))
            continue
        for p, want_digest in enumerate(pickles):
            if want_digest is None:
                continue
            wcode, out = res.out.get(p, (-1, b""))
            if wcode == 0 and digest(out) == want_digest:
                counts[("pickle", enc)][0] += 1
                continue
            detail = "protocol %d: acar %s" % (p, "wrote %s" % digest(out) if wcode == 0
                                               else "failed: %s" % out[:100])
            if wcode == 0:
                try:  # the expected bytes, from CPython itself
                    ref = pickle.dumps(pickle.loads(data, encoding=enc), p)
                    if digest(ref) == want_digest:
                        off = pv.first_diff(ref, out)
                        detail += "; first difference at byte %d\n  CPython:\n%s\n  acar:\n%s" % (
                            off, pv.dis_context(ref, off), pv.dis_context(out, off))
                except Exception as e:
                    detail += " (CPython here cannot rebuild the bytes: %s)" % e
            fail("pickle", detail)

    # ---- report ----
    print("acar Python 2 fixtures: %d files x %d encodings (%s)"
          % (len(index), len(ENC_BITS), FIXTURES))
    print("%-8s" % "check" + "".join("%16s" % e for e in ENC_BITS))
    for check in ("verdict", "repr", "pickle"):
        row = "%-8s" % check
        for enc in ENC_BITS:
            ok, bad = counts.get((check, enc), [0, 0])
            row += "%16s" % ("%d/%s" % (ok, "-%d" % bad if bad else "0"))
        print(row)
    print("(passed/-failed)")
    for n in notes:
        print("note: " + n)
    if failures:
        by = collections.Counter((c, d.split("\n")[0][:70]) for c, _, d in failures)
        print("\nfailures by check and first line:")
        for (c, d), v in by.most_common(30):
            print("  %5d  %-7s %s" % (v, c, d))
        shown = collections.Counter()
        for check, where, detail in failures:
            if not verbose and shown[check] >= 6:
                continue
            shown[check] += 1
            print("FAIL %s %s\n  %s" % (check, where, detail[:2500].replace("\n", "\n  ")))
    for prob in batch.problems:
        print("FAIL batch process: " + prob[:3000])
    passed = sum(v[0] for v in counts.values())
    failed = sum(v[1] for v in counts.values()) + len(batch.problems)
    print("\n%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
