#!/usr/bin/env python3
"""Writes the seed corpus of the marshal fuzz target: small marshal data made
by CPython 3 at every version (first byte 0: Python 3 dialect) and by Python
2.7 when pyenv has it (first byte 1), covering every type code.  Run from
anywhere:
    python3 fuzz/make_marshal_corpus.py
Findings of fuzz runs are added next to these by hand (crash-*/regress-*)."""
import glob, hashlib, marshal, os, subprocess

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "marshal")
os.makedirs(out, exist_ok=True)

shared = [1, 2]
cyc = []
cyc.append(cyc)
tup_cyc = ([],)
tup_cyc[0].append(tup_cyc)
s = "shared string"
values = [
    None, True, False, ..., StopIteration, 0, 1, -1, 2**31 - 1, -2**31, 2**31, 2**63, -2**64,
    10**40, 1.5, -0.0, float("inf"), float("nan"), 1e-310, 0.1, 1 + 2j, complex(-0.0, 1e300),
    "", "abc", "h\xe9llo", "\u20ac\U0001f600", "\ud800", "a" * 300, "\xe9" * 300, b"", b"\x00\xff",
    bytearray(b"xy"), (), (1,), (1, 2, 3), tuple(range(300)), [], [1], list(range(300)), {},
    {"a": 1}, {i: str(i) for i in range(20)}, set(), {1, 2, 3}, frozenset(), frozenset({"x"}),
    frozenset({frozenset({1, 2}), (3, "4"), 5.0}), [shared, shared], [s, s, (s,)], cyc,
    {"k": cyc}, tup_cyc, [[[[["deep"]]]]], (["t"],), {(1, 2): [3]},
]
n = 0
for i, v in enumerate(values):
    for version in range(5):
        try:
            data = marshal.dumps(v, version)
        except ValueError:
            continue  # a cycle below version 3
        name = "m%d-%02d-%s" % (version, i, hashlib.sha1(data).hexdigest()[:8])
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"\x00" + data)
        n += 1

PY2 = r"""
import marshal, sys
vals = [None, True, False, Ellipsis, StopIteration, 1, 2**40, 5L, 2**70, -2**70, intern('abc'),
        [intern('abc'), intern('abc'), 'xyz'], u'\xe9t\xe9', 1.5, 3j, (1, 2),
        {'a': [None, 1.0]}, set([1, 2]), frozenset(['q'])]
for v in vals:
    for ver in (0, 1, 2):
        d = marshal.dumps(v, ver)
        sys.stdout.write('%d %s\n' % (ver, d.encode('hex')))
"""
try:
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
except OSError:
    root = ""
py2 = sorted(glob.glob(os.path.join(root, "versions", "2.7*", "bin", "python"))) if root else []
if py2:
    lines = subprocess.run([py2[-1], "-c", PY2], capture_output=True, text=True, check=True).stdout
    for i, line in enumerate(lines.split("\n")):
        if not line:
            continue
        ver, hx = line.split()
        data = bytes.fromhex(hx)
        name = "py2-m%s-%02d-%s" % (ver, i, hashlib.sha1(data).hexdigest()[:8])
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"\x01" + data)
        n += 1
print("wrote %d files to %s" % (n, out))
