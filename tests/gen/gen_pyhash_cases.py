#!/usr/bin/env python3
"""Generate tests/unit/pyhash_cases.h: expected hash() values and set
iteration orders for test_pyhash.c, with CPython 3.11 as the oracle.

    python3 tests/gen/gen_pyhash_cases.py     # rewrite pyhash_cases.h

Needs CPython 3.11 (64-bit); it re-runs itself under PYTHONHASHSEED=0.  The
output is deterministic (fixed seeds), so a rerun gives the same file.

Two kinds of cases:

* hash cases: a value in a small prefix text (parsed by test_pyhash.c into
  nodes) and hash(value).
      B0 B1                 bool
      i[-]HEX;              int
      fHEX16                float by its bits
      cHEX16HEX16           complex (real, imag) by their bits
      sHEX;                 str: UTF-8 bytes, surrogates as 'surrogatepass'
      yHEX;                 bytes
      T<n>: items           tuple
      F<n>: items           frozenset
* set cases: the items come from a small value generator driven by
  splitmix64, written the same way here (gen_value) and in test_pyhash.c,
  so a set of 2000 items costs one line: seed, flavor and candidate count.
  Candidates equal to an earlier one are skipped (both sides), giving the
  stored order L.  The line holds len(L), the sum of hash(x) (mod 2^64) as
  a check that both sides made the same values, and FNV-1a checksums of
      order1: list(set(L)) as indices into L (a set built by adding L in
              order; frozenset(L) is checked to be the same), and
      order2: list(pickle.loads(pickle.dumps(set(L), p))) as indices into
              order1, which is what the pickle stores, for p = 2 and 4 and
              for frozensets (all checked to agree here).
"""
import os
import pickle
import random
import struct
import subprocess
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ, PYTHONHASHSEED="0")
    sys.exit(subprocess.call([sys.executable] + sys.argv, env=env))
assert sys.version_info[:2] == (3, 11), "needs CPython 3.11"
assert sys.hash_info.width == 64 and sys.hash_info.algorithm == "siphash13"

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "unit", "pyhash_cases.h")

M64 = (1 << 64) - 1
MOD = (1 << 61) - 1
INF = float("inf")


# -- the shared value generator (mirrored in test_pyhash.c) -----------------

class Rng:
    def __init__(self, seed):
        self.s = seed & M64

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


def from_bits(u):
    return struct.unpack("<d", struct.pack("<Q", u))[0]


def to_bits(d):
    return struct.unpack("<Q", struct.pack("<d", d))[0]


def g_smallint(r):
    return r.below(2000) - 500


def g_int(r):
    k = r.below(4)
    if k == 0:
        return r.below(65536) - 32768
    if k == 1:
        u = r.next()
        return u - (1 << 64) if u >> 63 else u
    if k == 2:
        n = 1 + r.below(6)
        v = 0
        for j in range(n):
            v |= (r.next() & 0xFFFFFFFF) << (32 * j)
        return -v if r.below(2) else v
    m = r.below(4)
    d = r.below(5) - 2
    v = m * MOD + d
    return -v if r.below(2) else v


def g_str(r):
    n = r.below(12)
    a = r.below(5)
    cps = []
    for _ in range(n):
        if a == 0:
            c = 0x20 + r.below(95)
        elif a == 1:
            c = r.below(256)
        elif a == 2:
            c = r.below(0x10000)
        elif a == 3:
            if r.below(3) == 0:
                c = 0x10000 + r.below(0x100000)
            else:
                c = r.below(0x800)
        else:
            c = r.below(0x110000)
        cps.append(c)
    return "".join(map(chr, cps))


SPECIAL = [0.0, -0.0, INF, -INF, 1e308, 5e-324, -5e-324, 2.0 ** 61, 2.0 ** 62, 1.5e-300]


def g_float(r):
    k = r.below(4)
    if k == 0:
        u = r.next()
        d = from_bits(u)
        if d != d:
            d = float(u >> 11)
        return d
    if k == 1:
        return (r.below(2001) - 1000) / 8.0
    if k == 2:
        return float(r.below(2001) - 1000)
    return SPECIAL[r.below(10)]


def g_tuple(r, depth):
    n = r.below(4)
    items = []
    for _ in range(n):
        k = r.below(4 if depth < 3 else 3)
        if k == 0:
            items.append(g_smallint(r))
        elif k == 1:
            items.append(g_str(r))
        elif k == 2:
            items.append(g_float(r))
        else:
            items.append(g_tuple(r, depth + 1))
    return tuple(items)


def g_bytes(r):
    n = r.below(10)
    return bytes(r.below(256) for _ in range(n))


def g_complex(r):
    re = g_float(r)
    im = g_float(r)
    return complex(re, im)


def g_frozenset(r):
    n = r.below(5)
    items = []
    for _ in range(n):
        items.append(g_smallint(r) if r.below(2) == 0 else g_str(r))
    return frozenset(items)


def g_mixed(r):
    k = r.below(9)
    return [g_smallint, g_int, g_str, g_float, lambda r: g_tuple(r, 0), g_bytes,
            g_complex, lambda r: r.below(2) == 1, g_frozenset][k](r)


FLAVORS = [g_smallint, g_int, g_str, g_float, lambda r: g_tuple(r, 0), g_mixed]


def gen_items(seed, flavor, ncand):
    r = Rng(seed)
    seen = set()
    out = []
    for _ in range(ncand):
        x = FLAVORS[flavor](r)
        if x in seen:
            continue
        seen.add(x)
        out.append(x)
    return out


def fnv(indices):
    h = 0xCBF29CE484222325
    for i in indices:
        h = ((h ^ i) * 0x100000001B3) & M64
    return h


def set_case(seed, flavor, ncand):
    L = gen_items(seed, flavor, ncand)
    pos = {x: i for i, x in enumerate(L)}
    r1 = list(set(L))
    assert r1 == list(frozenset(L))
    pos1 = {x: i for i, x in enumerate(r1)}
    loaded = [list(pickle.loads(pickle.dumps(c(L), p))) for c in (set, frozenset) for p in (2, 4)]
    for other in loaded[1:]:
        assert other == loaded[0]
    hsum = sum(hash(x) for x in L) & M64
    return (seed, flavor, ncand, len(L), hsum, fnv(pos[x] for x in r1),
            fnv(pos1[x] for x in loaded[0]), r1 != L, loaded[0] != r1)


# -- hash cases ---------------------------------------------------------------

def enc(x):
    if x is True:
        return "B1"
    if x is False:
        return "B0"
    if isinstance(x, int):
        return "i%s%x;" % ("-" if x < 0 else "", abs(x))
    if isinstance(x, float):
        return "f%016x" % to_bits(x)
    if isinstance(x, complex):
        return "c%016x%016x" % (to_bits(x.real), to_bits(x.imag))
    if isinstance(x, str):
        return "s%s;" % x.encode("utf-8", "surrogatepass").hex()
    if isinstance(x, bytes):
        return "y%s;" % x.hex()
    if isinstance(x, tuple):
        return "T%d:%s" % (len(x), "".join(enc(i) for i in x))
    if isinstance(x, frozenset):
        return "F%d:%s" % (len(x), "".join(enc(i) for i in x))
    raise TypeError(type(x))


def hash_values():
    vals = [True, False, 0, 1, -1, -2, 2, 1000003, -1000003]
    for e in (31, 32, 60, 61, 62, 63, 64, 65, 90, 122, 123, 200, 1000, 4000):
        for d in (-2, -1, 0, 1, 2):
            vals += [(1 << e) + d, -((1 << e) + d)]
    for m in range(1, 6):
        for d in (-1, 0, 1):
            vals += [m * MOD + d, -(m * MOD + d)]
    vals += [10 ** 50, -(10 ** 50), 3 ** 300, -(7 ** 500)]
    vals += [0.0, -0.0, INF, -INF, 1.0, -1.0, 0.5, -0.5, 0.1, 1e-300, 5e-324, -5e-324,
             2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
             2.0 ** 61, 2.0 ** 62, -(2.0 ** 63), 2.0 ** 64, 1e16, 123.456, 2.0 ** -61, 2.0 ** -62,
             float(MOD), 3.0, 1 / 3]
    vals += [complex(0, 0), complex(1, 0), complex(0, 1), complex(-0.0, -0.0), complex(INF, 1),
             complex(1, INF), complex(-INF, -INF), complex(1.5, -2.5), complex(-1, 0)]
    vals += ["", "a", "ab", "\xe9", "\xff", "\u0100", "\u20ac", "\uffff", "\U00010000",
             "\U0001F600", "\U0010FFFF", "\ud800", "\udfff", "a\ud800b", "\ud83d\ude00",
             "\udc80\udcff", "\x00", "\x00\x00", "héllo wörld", "日本語テキスト", "mixed \xe9\u20ac\U0001F600"]
    vals += ["x" * n for n in range(1, 26)]
    vals += ["\xe9" * n for n in range(1, 13)] + ["\u20ac" * n for n in range(1, 9)]
    vals += ["\U0001F600" * n for n in range(1, 6)]
    vals += [bytes(range(n)) for n in range(0, 26)] + [b"\xff" * 100]
    vals += [(), (1,), ((),), (1, 2), (2, 1), ("a", 1.5, b"x", (1, (2, (3,)))),
             (-1,), (-2,), (0,), (True, 1, 1.0)]
    vals += [frozenset(), frozenset({1}), frozenset({frozenset()}), frozenset({1, 2, 3}),
             frozenset({"a", "b"}), frozenset({(1, 2), frozenset({3})}), frozenset({-1, -2}),
             frozenset(range(100))]
    t = ()
    for _ in range(50):
        t = (t, len(t))
    vals.append(t)
    r = random.Random(20260511)
    rng = Rng(77)
    for _ in range(2500):
        vals.append(g_mixed(rng))
    for _ in range(300):
        n = r.randrange(1, 640)
        vals.append(r.getrandbits(n) * r.choice((1, -1)))
    for _ in range(300):
        vals.append(from_bits(r.getrandbits(64)))
    vals = [v for v in vals if not (isinstance(v, float) and v != v)]
    return vals


def main():
    hv = hash_values()
    lines = []
    lines.append("/* pyhash_cases.h -- expected values for test_pyhash.c, generated by")
    lines.append(" * tests/gen/gen_pyhash_cases.py with CPython %s, PYTHONHASHSEED=0;"
                 % sys.version.split()[0])
    lines.append(" * do not edit.  The formats are described in the script. */")
    lines.append("#ifndef ACAR_PYHASH_CASES_H")
    lines.append("#define ACAR_PYHASH_CASES_H")
    lines.append("#include <stdint.h>")
    lines.append("")
    lines.append("/* A value in prefix text and hash(value). */")
    lines.append("static const struct { const char *enc; int64_t hash; } pyhash_cases[] = {")
    for v in hv:
        h = hash(v)
        lit = "INT64_C(%d)" % h if h != -(1 << 63) else "(-INT64_C(9223372036854775807) - 1)"
        lines.append('    {"%s", %s},' % (enc(v), lit))
    lines.append("};")
    lines.append("")

    cases = []
    seed = 1
    for flavor in range(6):
        for n in range(0, 70):          # every size through the first resizes
            cases.append(set_case(seed, flavor, n))
            seed += 1
    r = random.Random(4242)
    for i in range(3000):
        flavor = i % 6
        k = r.randrange(100)
        if k < 70:
            n = r.randrange(0, 41)
        elif k < 92:
            n = r.randrange(41, 301)
        else:
            n = r.randrange(301, 2001)
        cases.append(set_case(seed, flavor, n))
        seed += 1
    # Big sets: the used * 2 resize rule shows from 78643 items on.
    for flavor, n in ((1, 5000), (1, 20000), (1, 130000), (2, 130000)):
        cases.append(set_case(seed, flavor, n))
        seed += 1
    moved1 = sum(c[7] for c in cases)
    moved2 = sum(c[8] for c in cases)
    lines.append("/* Set cases: %d, of which %d have list(set(L)) != L and %d a loaded order"
                 % (len(cases), moved1, moved2))
    lines.append(" * that differs from the pickled one. */")
    lines.append("static const struct {")
    lines.append("    uint64_t seed;")
    lines.append("    unsigned flavor;")
    lines.append("    unsigned ncand, len;")
    lines.append("    uint64_t hash_sum, order1, order2;")
    lines.append("} pyhash_set_cases[] = {")
    for c in cases:
        lines.append("    {%du, %d, %d, %d, 0x%016xu, 0x%016xu, 0x%016xu}," % c[:7])
    lines.append("};")
    lines.append("")
    # Nesting and shared-tuple hashes for test_deep_and_budget.
    sys.setrecursionlimit(1000000)
    t = ()
    for _ in range(100000):
        t = (t, 1)
    f = frozenset()
    for _ in range(1000):
        f = frozenset({f, 1})
    e = (1,)
    for _ in range(20):
        e = (e, e)
    lines.append("#define PYHASH_DEEP INT64_C(%d)" % hash(t))
    lines.append("#define PYHASH_DEEP_FROZENSET INT64_C(%d)" % hash(f))
    lines.append("#define PYHASH_DOUBLED20 INT64_C(%d)" % hash(e))
    lines.append("")
    lines.append("#endif")
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %s: %d hash cases, %d set cases (%d reordered, %d reordered by loads)"
          % (OUT, len(hv), len(cases), moved1, moved2))


if __name__ == "__main__":
    main()
