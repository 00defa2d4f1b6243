#!/usr/bin/env python3
"""Writes the seed corpus of the pickle fuzz target: small pickles made by
CPython at every protocol, covering every opcode group.  Run from anywhere:
    python3 fuzz/make_corpus.py
Findings of fuzz runs are added next to these by hand (crash-*/regress-*)."""
import collections, hashlib, os, pickle

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "pickle")
os.makedirs(out, exist_ok=True)

shared = [1, 2]
cyc = []
cyc.append(cyc)
values = [
    None, True, False, 0, 1, -1, 255, 256, 65535, 65536, 2**31, -2**31 - 1, 2**63, -2**64,
    10**40, 1.5, -0.0, float("inf"), float("nan"), 1e-310, 1 + 2j, "", "abc", "h\xe9llo",
    "\u20ac\U0001f600", "\ud800", "a'b\"c\\\n", b"", b"\x00\xff", bytearray(b"xy"),
    (), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), [], [1], list(range(1005)), {}, {"a": 1},
    {i: str(i) for i in range(20)}, set(), {1, 2, 3}, frozenset(), frozenset({"x"}),
    [shared, shared], cyc, {"k": cyc}, ..., collections.OrderedDict(a=1),
    [[[[["deep"]]]]], (["t"],), {(1, 2): [3]},
    # dicts of one shape, which the reader makes share a table of keys
    [{"id": i, "name": "n%d" % i, "tags": [i]} for i in range(3)],
    [{"k%d" % j: j for j in range(10)} for _ in range(3)],
    # repeated numbers, which the reader makes share a node past its first
    # progress report (NaNs never)
    [1.5, 70000, 2**40, -7, float("nan"), {float("nan"): 1, 2.5: 2}] * 40,
]
n = 0
for i, v in enumerate(values):
    for proto in range(6):
        data = pickle.dumps(v, proto)
        name = "p%d-%02d-%s" % (proto, i, hashlib.sha1(data).hexdigest()[:8])
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        n += 1
# the same, then a shared float memoized (BINPUT, BINGET) and an int DUPed,
# which must get nodes of their own
data = pickle.dumps([1.5, 70000] * 60, 2)
data = data[:-2] + b"G?\xf8\x00\x00\x00\x00\x00\x00q\x01h\x01J\x70\x11\x01\x002" + data[-2:]
with open(os.path.join(out, "p2-numbers-put-dup-%s" % hashlib.sha1(data).hexdigest()[:8]), "wb") as f:
    f.write(data)
n += 1
print("wrote %d files to %s" % (n, out))
