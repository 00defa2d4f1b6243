"""Differential test of acar's marshal reader and writer against CPython.

For thousands of seeded values (pyvalues.ValueGen: every builtin type,
nested, shared, cyclic, deep, big) and every version V in 0..4, with
M = marshal.dumps(value, V) from CPython 3.11:

  repr     acar's repr of M == repr(marshal.loads(M)); when sets are inside
           and only their order differs, counted as a set-order note (the
           load check below still compares them, as sets)
  bytes    acar reading M and writing version V gives M, byte for byte
  load     marshal.loads(acar's output) equals marshal.loads(M) in values,
           types, sharing and cycles (pyvalues.graph_diff)
  default  writing with the default version gives the version 4 bytes
  cross    acar's output at another version (seeded) loads to what CPython's
           own output at that version loads to
  foreign  the value pickled (no marshal marks: the writer's policy) and
           written by acar at V loads to what CPython's marshal loads to,
           sharing included from version 3
  trunc    every proper prefix of M (a sample of cases) is an error,
           ACAR_ERR_TRUNCATED, where CPython raises EOFError
  mutate   seeded byte mutations of M: acar fails exactly when CPython fails
           (truncated / malformed), else reads the same value
  edge     bad type codes, REF to missing indices, counts of 2^31 - 1 with a
           few bytes, 100,000-deep nesting of each container kind (read and
           written back) and one level more (a limit error at the offset of
           the type code that goes too deep), in little memory
  py2      values dumped by Python 2.7 (pyenv) at versions 0..2 read in the
           Python 2 dialect: repr of the value Python 2 has, in Python 3 terms
  cli      `acar show F --from marshal` and `acar convert --to marshal:V` on
           a few cases; a truncated file exits 1 with "acar: F: offset N: ..."

Every answer also checks the driver's allocation counter: nothing leaked.

Usage: python3 test_marshal_diff.py PATH/TO/acar PATH/TO/TOOLS_DIR
Environment: ACAR_TEST_SCALE (default 1), ACAR_TEST_SEED, ACAR_TEST_VERBOSE=1.
Prints a summary and `N passed, N failed`; exits 1 on any failure.
"""

import collections
import glob
import marshal
import os
import pickle
import random
import re
import struct
import subprocess
import sys
import tempfile
import time

sys.setrecursionlimit(20000)
import pyvalues as pv  # noqa: E402

SEED = int(os.environ.get("ACAR_TEST_SEED", "20240704"))
VERBOSE = os.environ.get("ACAR_TEST_VERBOSE") == "1"
ERR_MALFORMED, ERR_TRUNCATED, ERR_LIMIT, ERR_UNSUPPORTED = 2, 3, 4, 5
READ_PY2 = 1 << 16
READ_PICKLE = 1 << 17
SHOW = 3  # failures shown per cause


class Report:
    def __init__(self):
        self.passed = collections.Counter()
        self.failed = collections.Counter()
        self.shown = collections.Counter()
        self.notes = collections.Counter()

    def ok(self, check, n=1):
        self.passed[check] += n

    def fail(self, check, cause, detail):
        key = (check, cause)
        self.failed[key] += 1
        if VERBOSE or self.shown[key] < SHOW:
            self.shown[key] += 1
            if callable(detail):
                detail = detail()
            print("FAIL %s: %s\n  %s" % (check, cause, str(detail).replace("\n", "\n  ")))

    def check(self, check, cond, cause, detail=""):
        if cond:
            self.ok(check)
        else:
            self.fail(check, cause, detail)

    def summary(self):
        checks = sorted(set(self.passed) | {c for c, _ in self.failed})
        for c in checks:
            nf = sum(n for (cc, _), n in self.failed.items() if cc == c)
            print("  %-8s %6d passed %5d failed" % (c, self.passed[c], nf))
        for (c, cause), n in sorted(self.failed.items()):
            print("    %s: %s (%d)" % (c, cause, n))
        for note, n in sorted(self.notes.items()):
            print("  note: %s: %d" % (note, n))
        p = sum(self.passed.values())
        f = sum(self.failed.values())
        print("%d passed, %d failed" % (p, f))
        return f


def tree_size(v, limit=10**6):
    """Values a tree expansion of v writes (below version 3 every occurrence
    of a shared value is written out); inf for a cycle."""
    memo, active = {}, set()
    stack = [(v, False)]
    while stack:
        x, done = stack.pop()
        t = type(x)
        if t not in (list, tuple, dict, set, frozenset):
            continue
        i = id(x)
        items = [y for kv in x.items() for y in kv] if t is dict else list(x)
        if done:
            active.discard(i)
            memo[i] = min(limit + 1, 1 + sum(memo.get(id(y), 1) for y in items))
            continue
        if i in memo:
            continue
        if i in active:
            return float("inf")
        active.add(i)
        stack.append((x, True))
        for y in items:
            if type(y) in (list, tuple, dict, set, frozenset) and id(y) not in memo:
                if id(y) in active:
                    return float("inf")
                stack.append((y, False))
    return memo.get(id(v), 1)


def has_sets(v):
    return any(type(o) in (set, frozenset) for o in pv.walk(v))


def result_ok(rep, check, res):
    """Crash and leak checks of one answer; False when there is no answer."""
    if res.crash is not None:
        rep.fail(check, "crash", res.crash)
        return False
    if res.leaked:
        rep.fail(check, "leak", "%d bytes leaked" % res.leaked)
    return True


def same_value(a, b, version):
    """None when b (a load of acar's output at version) equals a (a load
    of CPython's): graphs from version 3, values below (no sharing)."""
    if version >= 3:
        return pv.same_graph(a, b)
    try:
        return None if marshal.dumps(a, 2) == marshal.dumps(b, 2) else "values differ"
    except ValueError as e:
        return "cannot compare: %s" % e


# ---------------------------------------------------------------------------
# The main differential run


def make_cases(scale):
    gen = pv.ValueGen(SEED)
    r = random.Random(SEED + 1)
    cases = []  # (label, value, V, M, other)
    for label, v in gen.cases(scale):
        try:
            marshal.dumps(v, 4)
        except ValueError:
            continue  # class instances and functions: not marshal's types
        small = tree_size(v) <= 10**6
        for V in range(5):
            if V < 3 and not small:
                continue
            try:
                M = marshal.dumps(v, V)
            except ValueError:
                continue
            other = r.choice([x for x in range(5) if x != V and (x >= 3 or small)])
            cases.append((label, v, V, M, other))
    return cases


def run_main(batch, rep, cases):
    reqs = []
    for label, v, V, M, other in cases:
        want = pv.WANT_REPR | (1 << V) | (1 << other)
        if V == 4:
            want |= pv.WANT_DEFAULT
        reqs.append(pv.Request(M, want))
    results = batch.run(reqs)
    for (label, v, V, M, other), res in zip(cases, results):
        if not result_ok(rep, "read", res):
            continue
        if res.code:
            rep.fail("read", "read error: %s" % res.msg[:50],
                     "%s V=%d: code %d offset %d: %s" % (label, V, res.code, res.offset, res.msg))
            continue
        rep.ok("read")
        ref = marshal.loads(M)
        # repr
        rcode, rtext = res.out[pv.WANT_REPR]
        try:
            exp = repr(ref)
        except ValueError:
            exp = None  # an int over the digit limit: repr refuses
        if exp is None:
            rep.check("repr", rcode == ERR_LIMIT, "int over the digit limit not refused",
                      "code %d" % rcode)
        else:
            got = rtext.decode("utf-8", "surrogateescape") if rcode == 0 else None
            if got == exp:
                rep.ok("repr")
            elif got is not None and has_sets(ref) and sorted(got) == sorted(exp):
                rep.notes["repr: set order differs from CPython's (compared as sets by load)"] += 1
            else:
                off = pv.first_diff(exp, got or "")
                rep.fail("repr", "repr differs" if got is not None else "repr error",
                         "%s V=%d at char %s\n  CPython: %r\n  acar:    %r"
                         % (label, V, off, exp[max(0, off - 30):off + 50],
                            (got or rtext.decode("utf-8", "replace"))[max(0, off - 30):off + 50]))
        # bytes and load
        wcode, wdata = res.out[V]
        if wcode:
            rep.fail("bytes", "write error", "%s V=%d: %s" % (label, V, wdata[:100]))
        else:
            if wdata == M:
                rep.ok("bytes")
                rep.ok("load")
            else:
                off = pv.first_diff(M, wdata)
                rep.fail("bytes", "bytes differ", lambda: "%s V=%d at byte %d: CPython %r acar %r"
                         % (label, V, off, M[max(0, off - 8):off + 16], wdata[max(0, off - 8):off + 16]))
                try:
                    d = same_value(ref, marshal.loads(wdata), V)
                except Exception as e:
                    d = "CPython cannot load it: %s" % e
                rep.check("load", d is None, "loaded value differs", "%s V=%d: %s" % (label, V, d))
        if V == 4:
            dcode, ddata = res.out[pv.WANT_DEFAULT]
            rep.check("default", dcode == 0 and ddata == wdata, "default version is not 4")
        # cross
        ccode, cdata = res.out[other]
        if ccode:
            rep.fail("cross", "write error", "%s V=%d->%d: %s" % (label, V, other, cdata[:100]))
        else:
            try:
                want = marshal.loads(marshal.dumps(ref, other))
                d = same_value(want, marshal.loads(cdata), other)
            except Exception as e:
                d = "%s: %s" % (type(e).__name__, e)
            rep.check("cross", d is None, "loaded value differs",
                      "%s V=%d->%d: %s" % (label, V, other, d))


def run_foreign(batch, rep, scale):
    """Values with no marshal marks: read from a pickle, written as marshal."""
    gen = pv.ValueGen(SEED + 2)
    items = []
    for label, v in gen.cases(scale * 0.5):
        try:
            marshal.dumps(v, 4)
        except ValueError:
            continue
        items.append((label, v, pickle.dumps(v, 4), tree_size(v) <= 10**6))
    reqs = [pv.Request(P, 0x1f, read=READ_PICKLE) for _, _, P, _ in items]
    for (label, v, P, small), res in zip(items, batch.run(reqs)):
        if not result_ok(rep, "foreign", res):
            continue
        if res.code:
            rep.fail("foreign", "pickle read error", "%s: %s" % (label, res.msg))
            continue
        obj = pickle.loads(P)
        for V in range(5):
            code, out = res.out[V]
            if V < 3 and not small:
                # A cycle cannot be written below version 3.
                if code == 0:
                    rep.check("foreign", tree_size(obj) != float("inf"), "cycle written below 3")
                continue
            if code:
                rep.fail("foreign", "write error", "%s V=%d: %s" % (label, V, out[:100]))
                continue
            try:
                want = marshal.loads(marshal.dumps(obj, V))
                d = same_value(want, marshal.loads(out), V)
            except Exception as e:
                d = "%s: %s" % (type(e).__name__, e)
            rep.check("foreign", d is None, "loaded value differs", "%s V=%d: %s" % (label, V, d))


def run_shared_numbers(batch, rep):
    """Pickles of repeated numbers, written as marshal byte for byte as
    CPython writes what pickle.loads makes of them.  acar's pickle reader
    gives equal numbers one node (ACAR_F_BYVAL), where CPython makes an
    object per opcode: no FLAG_REF may come of that sharing.  A number the
    pickle itself refers to twice (PUT and GET, DUP) is one object in
    CPython too, flagged and referred to."""
    f15 = b"G?\xf8\x00\x00\x00\x00\x00\x00"       # BINFLOAT 1.5
    i257, i65536 = b"M\x01\x01", b"J\x00\x00\x01\x00"  # BININT2 257, BININT 65536
    # The reader starts sharing numbers at its first progress report, a few
    # hundred bytes in: each pickle starts with enough of them.
    nums = [1.5, 70000, 2.5, 2**40, -7, 300, 0.0, -0.0] * 40
    fill = (f15 + i65536 + i257) * 40
    pickles = [
        pickle.dumps(nums, 4),
        pickle.dumps(nums, 0),
        pickle.dumps({"ka": nums, "kb": tuple(nums), "kc": {70000: 2.5, 2.5: 70000}}, 2),
        b"\x80\x04](" + fill + f15 + b"\x94h\x00" + f15 + b"e.",             # MEMOIZE, BINGET
        b"\x80\x04](" + fill + f15 + b"2" + f15 + b"e.",                        # DUP
        b"\x80\x04](" + fill + i257 + b"q\x00h\x00" + i257 + i65536 + b"2" + i65536 + b"e.",
    ]
    res = batch.run([pv.Request(P, 0x1f, read=READ_PICKLE) for P in pickles])
    for P, r in zip(pickles, res):
        if not result_ok(rep, "numbers", r):
            continue
        for V in range(5):
            code, out = r.out[V]
            want = marshal.dumps(pickle.loads(P), V)  # no other reference to what loads makes
            rep.check("numbers", code == 0 and out == want, "marshal bytes differ from CPython's",
                      "%r V=%d: %r, want %r" % (P, V, out, want))


# ---------------------------------------------------------------------------
# Malformed data


def cpython_outcome(data):
    """('ok', value) or ('EOFError' / 'ValueError' / ..., message)."""
    try:
        return "ok", marshal.loads(data)
    except (EOFError, ValueError, TypeError) as e:
        return type(e).__name__, str(e)


def run_truncations(batch, rep, cases, r):
    sample = r.sample(cases, min(len(cases), 400))
    reqs, meta = [], []
    for label, v, V, M, _ in sample:
        cuts = list(range(len(M))) if len(M) <= 48 else sorted(r.sample(range(len(M)), 48))
        for n in cuts:
            reqs.append(pv.Request(M[:n], 0))
            meta.append((label, V, M, n))
    for (label, V, M, n), res in zip(meta, batch.run(reqs)):
        if not result_ok(rep, "trunc", res):
            continue
        kind, _ = cpython_outcome(M[:n])
        if kind == "ok":
            rep.notes["trunc: a prefix CPython reads (skipped)"] += 1
            continue
        rep.check("trunc", res.code == ERR_TRUNCATED and res.offset <= n,
                  "prefix not TRUNCATED", "%s V=%d: %d of %d bytes: code %d offset %d: %s (CPython %s)"
                  % (label, V, n, len(M), res.code, res.offset, res.msg, kind))


def mutate(data, r):
    b = bytearray(data)
    for _ in range(r.randint(1, 3)):
        k = r.random()
        i = r.randrange(len(b) + 1)
        if k < 0.5 and b:
            b[min(i, len(b) - 1)] = r.randrange(256)
        elif k < 0.7 and b:
            b[min(i, len(b) - 1)] ^= 0x80  # FLAG_REF on or off
        elif k < 0.85:
            b[i:i] = bytes([r.randrange(256)])
        elif b:
            del b[min(i, len(b) - 1)]
    return bytes(b)


def run_mutations(batch, rep, cases, r):
    sample = [c for c in cases if len(c[3]) < 4000]
    datas = []
    for _ in range(3000):
        label, v, V, M, _ = r.choice(sample)
        d = mutate(M, r)
        # Code objects: CPython checks more of their fields than acar does
        # (docs/pyc.md); tests/py/test_pyc.py mutates them on its own.
        if b"c" in d or b"\xe3" in d:
            continue
        datas.append((label, V, d))
    reqs = [pv.Request(d, pv.WANT_REPR | 0x10) for _, _, d in datas]
    for (label, V, d), res in zip(datas, batch.run(reqs)):
        if not result_ok(rep, "mutate", res):
            continue
        if res.code == ERR_TRUNCATED and "more items" in res.msg:
            # More items announced than bytes left: no reader can succeed, and
            # CPython would first allocate them all (seconds for 2^30 items).
            rep.ok("mutate")
            continue
        kind, val = cpython_outcome(d)
        if res.code == ERR_UNSUPPORTED and kind != "ok" and re.search(b"[:}\xba\xfd]", d):
            rep.notes["mutate: a slice or frozendict code (acar: unsupported; CPython 3.11: unknown)"] += 1
            continue
        if kind == "ok":
            if res.code:
                rep.fail("mutate", "CPython reads it, acar refuses",
                         "%s V=%d %r: code %d offset %d: %s" % (label, V, d[:60], res.code, res.offset, res.msg))
                continue
            wcode, w = res.out[4]
            try:
                diff = pv.same_graph(marshal.loads(marshal.dumps(val, 4)), marshal.loads(w)) if wcode == 0 else w
            except Exception as e:
                diff = "%s: %s" % (type(e).__name__, e)
            rep.check("mutate", diff is None, "value differs", "%s V=%d %r: %s" % (label, V, d[:60], diff))
        else:
            ok = res.code in (ERR_TRUNCATED, ERR_MALFORMED) and res.offset <= len(d) and res.msg
            rep.check("mutate", ok, "CPython refuses it (%s), acar %s" % (
                kind, "reads it" if res.code == 0 else "gives code %d" % res.code),
                "%s V=%d %r: %s; acar code %d offset %d: %s" % (label, V, d[:60], val, res.code,
                                                               res.offset, res.msg))
            if ok and (kind == "EOFError") != (res.code == ERR_TRUNCATED):
                rep.notes["mutate: CPython %s, acar code %d (acar checks counts first)"
                          % (kind, res.code)] += 1


def run_edges(batch, rep):
    reqs, expect = [], []

    def add(data, code, offset=None, what="", want=0, **kw):
        reqs.append(pv.Request(data, want, **kw))
        expect.append((data, code, offset, what))

    for b in range(256):
        data = bytes([b])
        kind, _ = cpython_outcome(data)
        t = b & 0x7F
        if t in b":}":
            add(data, ERR_UNSUPPORTED, 0, "code 0x%02x alone" % b)
        elif t in b"NTFS.":
            add(data, 0, None, "singleton 0x%02x" % b)
        elif kind == "EOFError":
            add(data, ERR_TRUNCATED, None, "code 0x%02x alone" % b)
        else:
            add(data, ERR_MALFORMED, 0, "code 0x%02x alone (CPython %s)" % (b, kind))
        add(b"[\x01\x00\x00\x00" + bytes([b]) + b"\x00" * 8, None, None, "code 0x%02x in a list" % b)
    for n in (1, 5, 2**31 - 1):
        add(b"r" + struct.pack("<i", n - 1), ERR_MALFORMED, 0, "REF %d of none" % (n - 1))
        add(b"[\x02\x00\x00\x00\xe9\x01\x00\x00\x00r" + struct.pack("<i", n), ERR_MALFORMED, 10,
            "REF %d of one" % n)
    for code in b"([<>":
        add(bytes([code]) + b"\xff\xff\xff\x7f" + b"N" * 16, ERR_TRUNCATED, 0,
            "count 2^31-1 of %c" % code, max_memory=1 << 20)
    for code in b"sua":
        add(bytes([code]) + b"\xff\xff\xff\x7f" + b"x" * 16, ERR_TRUNCATED, 0,
            "length 2^31-1 of %c" % code, max_memory=1 << 20)
    add(b"l\xff\xff\xff\x7f\x01\x00", ERR_TRUNCATED, 0, "2^31-1 digits", max_memory=1 << 20)
    # Deep nesting: 100,000 levels read and write back; one more is refused.
    depth = 100000
    kinds = {  # head, leaf, bytes per level, version that writes it back as is
        "list": (b"[\x01\x00\x00\x00", b"N", 5, 4),
        "tuple": (b"(\x01\x00\x00\x00", b"N", 5, 3),
        "small tuple": (b")\x01", b"N", 2, 4),
        "dict": (b"{N", b"N", 2, 4),
        "frozenset": (b">\x01\x00\x00\x00", b"N", 5, 4),
    }
    for name, (head, leaf, step, version) in kinds.items():
        tail = b"0" * depth if name == "dict" else b""
        data = head * depth + leaf + tail
        add(data, 0, version, "%d-deep %s" % (depth, name), want=1 << version)
        data = head * (depth + 1) + leaf + (b"0" * (depth + 1) if name == "dict" else b"")
        add(data, ERR_LIMIT, step * depth, "%d-deep %s" % (depth + 1, name))
    for (data, code, offset, what), res in zip(expect, batch.run(reqs)):
        if not result_ok(rep, "edge", res):
            continue
        if code is None:
            kind, _ = cpython_outcome(data)
            code_ok = (res.code == 0) == (kind == "ok") or data[5] & 0x7F in b"c:}"
            rep.check("edge", code_ok and res.code != 1, "outcome differs from CPython",
                      "%s: acar code %d (%s), CPython %s" % (what, res.code, res.msg, kind))
            continue
        if code == 0:
            rep.check("edge", res.code == 0, "read error", "%s: %s" % (what, res.msg))
            if offset is not None:  # here: the version that writes it back
                rep.check("edge", res.out.get(offset) == (0, data), "deep value not written back", what)
            continue
        ok = res.code == code and (offset is None and res.offset <= len(data) or res.offset == offset)
        rep.check("edge", ok, "wrong error", "%s: want code %s offset %s, got code %d offset %d: %s"
                  % (what, code, offset, res.code, res.offset, res.msg))
        if code in (ERR_TRUNCATED,) and res.peak > 1 << 20:
            rep.fail("edge", "memory for a short input", "%s: peak %d bytes" % (what, res.peak))


# ---------------------------------------------------------------------------
# Python 2


PY2_SCRIPT = r"""
import marshal, pickle, random, sys
r = random.Random(int(sys.argv[1]))
def s(n): return ''.join(chr(r.randrange(256)) for _ in range(n))
def u(n): return u''.join(unichr(r.choice([r.randrange(0x80), r.randrange(0x80, 0xd800), r.randrange(0xe000, 0x10000)])) for _ in range(n))
def scalar():
    k = r.randrange(12)
    if k == 0: return r.randint(-2**31, 2**31 - 1)
    if k == 1: return r.randint(-2**63, 2**63 - 1)
    if k == 2: return long(r.randint(-300, 300))
    if k == 3: return r.getrandbits(r.randint(64, 300)) * r.choice((1, -1))
    if k == 4: return r.choice([0.0, -0.0, 1.5, 1e300, 5e-324, float('inf'), -float('inf'), r.random() * 10 ** r.randint(-30, 30)])
    if k == 5: return complex(r.random(), -r.random())
    if k == 6: return s(r.randint(0, 12))
    if k == 7: return intern(s(r.randint(0, 6)))
    if k == 8: return u(r.randint(0, 8))
    return r.choice([None, True, False, StopIteration, 0, 1, '', u''])
def hashable(d):
    if d and r.random() < 0.2: return tuple(hashable(d - 1) for _ in range(r.randint(0, 3)))
    v = scalar()
    return v if not isinstance(v, float) or v == v else 0.5
def value(d):
    if d <= 0 or r.random() < 0.35: return scalar()
    k = r.randrange(5)
    n = r.randint(0, 6)
    if k == 0: return [value(d - 1) for _ in range(n)]
    if k == 1: return tuple(value(d - 1) for _ in range(n))
    if k == 2: return dict((hashable(1), value(d - 1)) for _ in range(n))
    if k == 3: return set(hashable(1) for _ in range(n))
    return frozenset(hashable(1) for _ in range(n))
out = []
for i in range(int(sys.argv[2])):
    v = value(r.randint(0, 4))
    for ver in (0, 1, 2):
        out.append((marshal.dumps(v, ver), pickle.dumps(v, 2)))
sys.stdout.write(pickle.dumps(out, 2))
"""


def run_py2(batch, rep, scale):
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
    except OSError:
        root = ""
    py2 = sorted(glob.glob(os.path.join(root, "versions", "2.7*", "bin", "python"))) if root else []
    if not py2:
        rep.notes["py2: no Python 2.7 under pyenv (skipped)"] += 1
        return
    n = max(20, int(300 * scale))
    r = subprocess.run([py2[-1], "-c", PY2_SCRIPT, str(SEED), str(n)], capture_output=True)
    if r.returncode:
        rep.fail("py2", "Python 2 script failed", r.stderr.decode("utf-8", "replace")[-500:])
        return
    pairs = pickle.loads(r.stdout, encoding="bytes")
    reqs = [pv.Request(m, pv.WANT_REPR, read=READ_PY2) for m, _ in pairs]
    for (m, p), res in zip(pairs, batch.run(reqs)):
        if not result_ok(rep, "py2", res):
            continue
        exp_v = pickle.loads(p, encoding="bytes")
        try:
            exp = repr(exp_v)
        except ValueError:
            continue
        got = res.out.get(pv.WANT_REPR, (1, b""))[1].decode("utf-8", "surrogateescape") if not res.code else None
        if got == exp:
            rep.ok("py2")
        elif got is not None and has_sets(exp_v) and sorted(got) == sorted(exp):
            rep.notes["py2: set order differs from CPython's"] += 1
        else:
            rep.fail("py2", "repr differs" if got is not None else "read error",
                     "%r\n  want %r\n  got  %r" % (m[:80], exp[:200], got[:200] if got else res.msg))


# ---------------------------------------------------------------------------
# The command


def run_cli(acar, batch, rep, cases, r):
    sample = r.sample([c for c in cases if len(c[3]) < 20000], min(10, len(cases)))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.bin")
        for label, v, V, M, _ in sample:
            with open(path, "wb") as f:
                f.write(M)
            res = batch.run([pv.Request(M, pv.WANT_REPR)])[0]
            p = subprocess.run([acar, "show", path, "--from", "marshal"], capture_output=True)
            rcode, rtext = res.out.get(pv.WANT_REPR, (1, b""))
            if rcode == 0:
                rep.check("cli", p.returncode == 0 and p.stdout == rtext + b"\n",
                          "acar show differs from the library", "%s V=%d: exit %d %r"
                          % (label, V, p.returncode, p.stderr[:200]))
            p = subprocess.run([acar, "convert", path, "--from", "marshal", "--to", "marshal:%d" % V],
                               capture_output=True)
            rep.check("cli", p.returncode == 0 and p.stdout == M, "acar convert --to marshal:V differs",
                      "%s V=%d: exit %d %r" % (label, V, p.returncode, p.stderr[:200]))
            if len(M) > 8:
                with open(path, "wb") as f:
                    f.write(M[:len(M) // 2])
                p = subprocess.run([acar, "show", path, "--from", "marshal"], capture_output=True)
                msg = p.stderr.decode("utf-8", "replace")
                rep.check("cli", p.returncode == 1 and re.match(r"acar: .*: offset \d+: .+", msg),
                          "truncated input: not exit 1 with 'acar: F: offset N: ...'",
                          "exit %d, stderr %r" % (p.returncode, msg[:200]))


def find_driver(tools_dir):
    for name in ("batch", "batch.exe"):
        p = os.path.join(tools_dir, name)
        if os.path.exists(p):
            return p
    raise SystemExit("no batch driver in %s (build tests/tools/batch.c)" % tools_dir)


def main():
    pv.ensure_hashseed()
    if len(sys.argv) < 3:
        raise SystemExit("usage: test_marshal_diff.py PATH/TO/acar PATH/TO/TOOLS_DIR")
    acar, tools = sys.argv[1], sys.argv[2]
    batch = pv.Batch(find_driver(tools), args=["--marshal"])
    rep = Report()
    scale = pv.scale()
    r = random.Random(SEED)
    cases = make_cases(scale)
    print("%d (value, version) cases, seed %d, scale %g" % (len(cases), SEED, scale))
    for name, fn, args in (("main", run_main, (batch, rep, cases)),
                           ("foreign", run_foreign, (batch, rep, scale)),
                           ("numbers", run_shared_numbers, (batch, rep)),
                           ("trunc", run_truncations, (batch, rep, cases, r)),
                           ("mutate", run_mutations, (batch, rep, cases, r)),
                           ("edge", run_edges, (batch, rep)),
                           ("py2", run_py2, (batch, rep, scale)),
                           ("cli", run_cli, (acar, batch, rep, cases, r))):
        t0 = time.time()
        fn(*args)
        print("  %-8s %.1f s" % (name, time.time() - t0))
    for p in batch.problems:
        rep.fail("driver", "driver failed outside a case", p[:2000])
    return 1 if rep.summary() else 0


if __name__ == "__main__":
    sys.exit(main())
