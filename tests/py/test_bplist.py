"""Differential test of acar's binary plist reader and writer against plistlib.

CPython 3.11's plistlib is the oracle (fmt=FMT_BINARY).  For thousands of
seeded values V (every plist type, ints at every width boundary, floats with
nan/inf/-0.0, str from every Unicode plane, dates over the whole datetime
range, UIDs, nesting, shared and cyclic containers), with V' =
pickle.loads(pickle.dumps(V)) (what acar reads from the pickle):

  write    acar reading the pickle and writing bplist gives
           plistlib.dumps(V', fmt=FMT_BINARY) byte for byte, with
           sort_keys True and False; where plistlib raises, acar fails with
           ACAR_ERR_TYPE (None is fine: plistlib writes it as 0x00).
  read     for B = plistlib.dumps(V'), acar's repr of B is
           repr(plistlib.loads(B)) (UIDs print as plistlib.UID(n), the
           form acar gives every object: plistlib.UID.__repr__ is patched
           so), and acar writing what it read gives
           plistlib.dumps(plistlib.loads(B)) with either sort_keys.
  dates    datetimes near every boundary and random doubles of seconds
           (halfway microseconds included) read and write as plistlib's
           datetime arithmetic does.
  reject   every truncation of some files and thousands of mutations
           (byte flips, trailer fields, refs, sizes): acar accepts exactly
           what plistlib.loads accepts, and then as above.
  cli      `acar show F --from bplist` and `acar convert F --to bplist`.

Usage: python3 test_bplist.py PATH/TO/acar PATH/TO/TOOLS_DIR
       python3 test_bplist.py --make-corpus DIR   (writes fuzz/corpus/bplist)
Environment: ACAR_TEST_SCALE (default 1) scales the random cases;
ACAR_TEST_SEED overrides the seed; ACAR_TEST_VERBOSE=1 lists every failure.
Prints `N passed, N failed`; exits 1 on any failure.
"""

import datetime
import math
import os
import pickle
import plistlib
import random
import struct
import subprocess
import sys
import tempfile

sys.setrecursionlimit(20000)
sys.dont_write_bytecode = True

SEED = int(os.environ.get("ACAR_TEST_SEED", "20261126"))
SCALE = float(os.environ.get("ACAR_TEST_SCALE", "1"))
VERBOSE = os.environ.get("ACAR_TEST_VERBOSE") == "1"
B = plistlib.FMT_BINARY
ERR_TYPE = 6
MAGIC = 0x42524341

# acar prints every object as CALLABLE(ARGS): plistlib.UID(n).
plistlib.UID.__repr__ = lambda self: "plistlib.UID(%r)" % (self.data,)


class Driver:
    """Client of tests/tools/bplist_batch (wire format in bplist_batch.c)."""

    def __init__(self, path):
        self.path = path
        self.start()

    def start(self):
        self.p = subprocess.Popen([self.path], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def _read(self, n):
        b = self.p.stdout.read(n)
        if len(b) != n:
            raise EOFError("bplist_batch died")
        return b

    def run(self, data, frm=0, borrow=False):
        try:
            self.p.stdin.write(struct.pack("<IIQ", frm, 1 if borrow else 0, len(data)) + data)
            self.p.stdin.flush()
            magic, code, off, leaked, ml = struct.unpack("<IIQQI", self._read(28))
        except (EOFError, BrokenPipeError):
            self.p.wait()
            self.start()
            return None
        assert magic == MAGIC
        msg = self._read(ml).decode("utf-8", "replace")
        (nout,) = struct.unpack("<I", self._read(4))
        outs = []
        for _ in range(nout):
            c, n = struct.unpack("<IQ", self._read(12))
            outs.append((c, self._read(n)))
        return code, off, msg, leaked, outs

    def close(self):
        self.p.stdin.close()
        self.p.wait()


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.causes = {}
        self.verdicts = {"ok": 0, "invalid": 0, "other": 0}
        self.refused = 0  # writes plistlib refuses (and acar too)

    def ok(self):
        self.passed += 1

    def fail(self, cause, detail):
        self.failed += 1
        n = self.causes.get(cause, 0)
        self.causes[cause] = n + 1
        if VERBOSE or n < 3:
            print("FAIL [%s] %s" % (cause, detail[:600]))


T = Tally()

# ---------------------------------------------------------------------------
# Values


def edge_ints():
    out = [0, 1, -1]
    for bits in (7, 8, 15, 16, 31, 32, 53, 62, 63, 64):
        for d in (-1, 0, 1):
            out.append((1 << bits) + d)
            out.append(-(1 << bits) + d)
    return out


EDGE_INTS = edge_ints()
EDGE_FLOATS = [0.0, -0.0, 1.0, -1.5, 0.1, 1e300, -1e-300, 5e-324, 1.7976931348623157e308,
               float("inf"), float("-inf"), float("nan"), 2.0 ** 53, 123456.789]
PLANES = [(0x20, 0x7E), (0x80, 0x7FF), (0x800, 0xD7FF), (0xE000, 0xFFFD), (0x10000, 0x1FFFF),
          (0x20000, 0x2FFFF), (0xE0000, 0xE01EF), (0xF0000, 0x10FFFF)]
DT_MIN = datetime.datetime(1, 1, 1)
DT_MAX = datetime.datetime(9999, 12, 31, 23, 59, 59, 999999)


def rand_str(rng):
    n = rng.choice([0, 1, 2, 5, 14, 15, 16, 40, 300 if rng.random() < 0.1 else 7])
    if rng.random() < 0.4:
        return "".join(chr(rng.randint(0x20, 0x7E)) for _ in range(n))
    chars = []
    for _ in range(n):
        lo, hi = rng.choice(PLANES)
        chars.append(chr(rng.randint(lo, hi)))
    return "".join(chars)


def rand_dt(rng):
    r = rng.random()
    if r < 0.3:
        base = datetime.datetime(2001, 1, 1) + datetime.timedelta(
            seconds=rng.randint(-10 ** 9, 10 ** 9), microseconds=rng.randint(0, 999999))
        return base
    if r < 0.4:
        return rng.choice([DT_MIN, DT_MAX, datetime.datetime(2001, 1, 1),
                           datetime.datetime(1970, 1, 1), datetime.datetime(2000, 2, 29, 12)])
    span = (DT_MAX - DT_MIN).total_seconds()
    d = DT_MIN + datetime.timedelta(seconds=rng.random() * span)
    return d.replace(microsecond=rng.choice([0, d.microsecond, 1, 999999, 500000]))


def rand_scalar(rng):
    k = rng.randrange(13)
    if k == 0:
        return rng.choice(EDGE_INTS)
    if k == 1:
        return rng.randint(-2 ** 63, 2 ** 64 - 1)
    if k == 2:
        return rng.choice(EDGE_FLOATS)
    if k == 3:
        return struct.unpack("<d", rng.randbytes(8))[0]
    if k in (4, 5):
        return rand_str(rng)
    if k == 6:
        return rng.randbytes(rng.choice([0, 1, 14, 15, 16, 255, 256, 300]))
    if k == 7:
        return rng.choice([True, False])
    if k == 8:
        return rand_dt(rng)
    if k == 9:
        return plistlib.UID(rng.choice([0, 1, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32,
                                        2 ** 63, 2 ** 64 - 1, rng.randrange(2 ** 64)]))
    if k == 10:
        return bytearray(rng.randbytes(rng.randrange(20)))
    if k == 11:
        return None
    return rng.choice(["a", "b", "key", "", "\u00e9", 1, 1.0, 0, True])


def rand_value(rng, depth=0, pool=None, budget=None):
    """A value of at most about budget[0] nodes (containers shrink with depth)."""
    if pool is None:
        pool = []
    if budget is None:
        budget = [rng.choice([3, 10, 40, 120])]
    budget[0] -= 1
    r = rng.random()
    if depth > 6 or budget[0] <= 0 or r < 0.45:
        v = rand_scalar(rng)
    elif pool and r < 0.55:
        return rng.choice(pool)  # shared: the same object twice
    elif r < 0.75:
        n = rng.choice([0, 1, 2, 3, 14, 15, 16, 20])
        v = [rand_value(rng, depth + 1, pool, budget) for _ in range(n)]
        if rng.random() < 0.2:
            v = tuple(v)
    else:
        n = rng.choice([0, 1, 2, 3, 15, 16])
        v = {}
        for _ in range(n):
            v[rng.choice([rand_str(rng), "k%d" % rng.randrange(40)])] = rand_value(rng, depth + 1, pool, budget)
    if isinstance(v, (list, dict, bytearray)) or type(v) is plistlib.UID:
        pool.append(v)
    return v


def bad_value(rng):
    """Values plistlib refuses (TypeError, OverflowError, UnicodeEncodeError)."""
    k = rng.randrange(7)
    inner = [
        {1, 2}, frozenset([1]), 1 + 2j, {1: 2}, {"a": 1, 2: 3}, 2 ** 64, -2 ** 63 - 1, 10 ** 30,
        "x\ud800y", "\udfff", datetime.date(2020, 1, 1), ...,
        datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc),
        {1: "a", 2.5: "b", True: "c"}, {b"x": 1, b"y": 2}, {None: 1}, {None: 1, "a": 2},
        {datetime.datetime(2020, 1, 1): 1, datetime.datetime(2021, 1, 1): 2, "z": 3},
        {(1, 2): 1}, {"b": 1, "a": 2, 3: 4}, {3: 4}, {1: 2, 2: 3},
    ][rng.randrange(22)]
    if k == 0:
        return inner
    if k == 1:
        return [1, "a", inner]
    if k == 2:
        return {"a": [inner], "b": 2}
    return [rand_value(rng) for _ in range(rng.randrange(3))] + [{"z": inner}]


def cyclic_values():
    a = []
    a.append(a)
    d = {}
    d["self"] = d
    d["list"] = [d, a]
    b = [1]
    c = [b, b, [b]]
    b.append(c)
    return [a, d, c]


# ---------------------------------------------------------------------------
# Checks


def describe(v):
    r = repr(v)
    return r if len(r) < 200 else r[:200] + "..."


WRITES = ((True, False), (False, False), (True, True), (False, True))  # (sort_keys, skipkeys)


def py_dumps(v, sort_keys=True, skipkeys=False):
    try:
        return plistlib.dumps(v, fmt=B, sort_keys=sort_keys, skipkeys=skipkeys)
    except (TypeError, OverflowError, ValueError):
        return None


def check_write(drv, v, what):
    """acar reading pickle.dumps(v) and writing bplist == plistlib.dumps."""
    try:
        p = pickle.dumps(v, 4)
    except Exception:
        return
    v2 = pickle.loads(p)
    res = drv.run(p, frm=1)
    if res is None:
        T.fail("crash", "%s: driver died on the pickle of %s" % (what, describe(v)))
        return
    code, off, msg, leaked, outs = res
    if code != 0:
        T.fail("pickle read", "%s: %s: %s" % (what, describe(v), msg))
        return
    for (c, out), (sk, skip) in zip(outs[1:], WRITES):
        exp = py_dumps(v2, sk, skip)
        if exp is None:
            T.refused += 1
            if c == ERR_TYPE:
                T.ok()
            else:
                T.fail("write refusal", "%s sort_keys=%s skipkeys=%s: plistlib refuses %s, acar code %d" % (
                    what, sk, skip, describe(v2), c))
        elif c != 0:
            T.fail("write error", "%s sort_keys=%s skipkeys=%s: %s: %s" % (
                what, sk, skip, describe(v2), out[:200]))
        elif out != exp:
            T.fail("write bytes", "%s sort_keys=%s skipkeys=%s: %s\n  plistlib %r\n  acar     %r" % (
                what, sk, skip, describe(v2), exp[:300], out[:300]))
        else:
            T.ok()


def py_load(data):
    """('ok', value) / ('invalid', None) / ('other', exception)."""
    try:
        return "ok", plistlib.loads(data, fmt=B)
    except plistlib.InvalidFileException:
        return "invalid", None
    except RecursionError as e:
        return "other", e


def check_read(drv, data, what, borrow=False):
    """acar reading the bplist data agrees with plistlib.loads."""
    verdict, val = py_load(data)
    T.verdicts[verdict] += 1
    if verdict == "other":
        return
    res = drv.run(data, frm=0, borrow=borrow)
    if res is None:
        T.fail("crash", "%s: driver died on %r" % (what, data[:200]))
        return
    code, off, msg, leaked, outs = res
    if leaked:
        T.fail("leak", "%s: %d bytes leaked" % (what, leaked))
    if verdict == "invalid":
        if code == 0:
            T.fail("accepts invalid", "%s: plistlib rejects, acar reads %r from %r" % (
                what, outs[0][1][:200], data[:200]))
        elif off > len(data):
            T.fail("error offset", "%s: offset %d past %d bytes" % (what, off, len(data)))
        else:
            T.ok()
        return
    if code != 0:
        T.fail("rejects valid", "%s: acar: %s (offset %d); plistlib reads %s from %r" % (
            what, msg, off, describe(val), data[:200]))
        return
    try:
        exp = repr(val)
    except ValueError:  # int too long to print
        exp = None
    c, out = outs[0]
    if exp is None:
        if c == 0:
            T.fail("repr", "%s: Python cannot print the int, acar did" % what)
        else:
            T.ok()
    elif c != 0 or out.decode("utf-8", "surrogatepass") != exp:
        T.fail("repr", "%s:\n  plistlib %s\n  acar     %s" % (what, exp[:300], out[:300]))
    else:
        T.ok()
    for (c, out), (sk, skip) in zip(outs[1:], WRITES):
        want = py_dumps(val, sk, skip)
        if want is None:
            if c == ERR_TYPE:
                T.ok()
            else:
                T.fail("rewrite refusal", "%s sort_keys=%s skipkeys=%s: plistlib refuses, acar code %d" % (
                    what, sk, skip, c))
        elif c != 0 or out != want:
            T.fail("rewrite bytes", "%s sort_keys=%s skipkeys=%s: %s\n  plistlib %r\n  acar     %r" % (
                what, sk, skip, describe(val), want[:300], out[:300]))
        else:
            T.ok()


def make_bplist(objects, top=0, osize=None, rsize=1):
    """A bplist from raw object bytes (refs already encoded with rsize)."""
    out = bytearray(b"bplist00")
    offs = []
    for o in objects:
        offs.append(len(out))
        out += o
    table = len(out)
    if osize is None:
        osize = 1 if table < 256 else 2 if table < 65536 else 4
    for o in offs:
        out += o.to_bytes(osize, "big")
    out += struct.pack(">6xBBQQQ", osize, rsize, len(objects), top, table)
    return bytes(out)


def date_file(f):
    return make_bplist([b"\x33" + struct.pack(">d", f)])


def mutate(rng, data):
    d = bytearray(data)
    k = rng.randrange(9)
    n = len(d)
    if k == 0:
        for _ in range(rng.randint(1, 3)):
            d[rng.randrange(n)] = rng.randrange(256)
    elif k == 1:
        i = rng.randrange(n)
        d[i] ^= 1 << rng.randrange(8)
    elif k == 2:  # offset size / ref size
        d[n - 26 + rng.randrange(2)] = rng.choice([0, 1, 2, 3, 4, 5, 8, 9, 16, 255])
    elif k == 3:  # num_objects / top / table
        field = n - 24 + 8 * rng.randrange(3)
        old = int.from_bytes(d[field:field + 8], "big")
        new = rng.choice([0, 1, old + 1, old - 1, old + rng.randint(-20, 20), 2 ** 63, 2 ** 64 - 1,
                          n, n - 32, rng.randrange(n + 1)]) % 2 ** 64
        d[field:field + 8] = new.to_bytes(8, "big")
    elif k == 4:  # a token's low nibble
        i = rng.randrange(8, max(9, n - 32))
        d[i] = (d[i] & 0xF0) | rng.choice([0xF, 0, 1, 14, rng.randrange(16)])
    elif k == 5:  # a token's type
        i = rng.randrange(8, max(9, n - 32))
        d[i] = rng.choice([0x00, 0x08, 0x09, 0x0F, 0x0C, 0x10, 0x13, 0x14, 0x17, 0x1F, 0x22, 0x23,
                           0x33, 0x40, 0x5F, 0x6F, 0x80, 0x8F, 0xA0, 0xAF, 0xD0, 0xDF, 0xC0, 0x70])
    elif k == 6:  # point an offset-table entry somewhere else
        table = int.from_bytes(d[n - 8:], "big")
        osize = d[n - 26]
        nobj = int.from_bytes(d[n - 24:n - 16], "big")
        if osize in (1, 2, 4, 8) and nobj and table + nobj * osize <= n:
            j = table + osize * rng.randrange(nobj)
            val = rng.choice([rng.randrange(n), n - 32, n - 1, n, 0, 8])
            d[j:j + osize] = (val % 256 ** osize).to_bytes(osize, "big")
    elif k == 7:
        i = rng.randrange(n)
        del d[i:i + rng.randint(1, 4)]
    else:
        i = rng.randrange(n)
        d[i:i] = rng.randbytes(rng.randint(1, 4))
    return bytes(d)


def handmade():
    """Files plistlib's writer never makes but its reader takes (or not)."""
    one = lambda tok: make_bplist([tok])  # noqa: E731
    cases = [
        one(b"\x00"), one(b"\x08"), one(b"\x09"), one(b"\x0f"), one(b"\x0c"), one(b"\x01"),
        one(b"\x10\xff"), one(b"\x11\xff\xff"), one(b"\x12\x80\x00\x00\x00"), one(b"\x13" + b"\xff" * 8),
        one(b"\x14" + b"\xff" * 16), one(b"\x14" + b"\x7f" + b"\xff" * 15), one(b"\x15" + b"\x80" + b"\x00" * 31),
        one(b"\x13\x01"),  # cut short by the offset table: what bytes there are
        one(b"\x22\x3f\xc0\x00\x00"), one(b"\x22\x7f\xc0\x00\x01"), one(b"\x21\x00\x00"),
        one(b"\x23\x7f\xf0\x00\x00\x00\x00\x00\x00"),
        one(b"\x33" + struct.pack(">d", float("nan"))), one(b"\x33" + struct.pack(">d", 1e300)),
        one(b"\x33" + struct.pack(">d", -63113904000.0)), one(b"\x33" + struct.pack(">d", -63113904000.000001)),
        one(b"\x4f\x10\x03abc"), one(b"\x4f\x13" + (3).to_bytes(8, "big") + b"abc"),
        one(b"\x4f\x14\x03abc"),  # size byte read & 3
        one(b"\x4f\x10\xffab"), one(b"\x53ab\x80"), one(b"\x52\x00\x7f"),
        one(b"\x62\xd8\x3d\xde\x00"), one(b"\x61\xd8\x3d"), one(b"\x61\xdc\x00"), one(b"\x62\xd8\x00\x00\x41"),
        one(b"\x61\xfe\xff"), one(b"\x80\x05"), one(b"\x8f" + b"\x00" * 8 + b"\xff" * 8),
        one(b"\x8f\x01" + b"\x00" * 15), one(b"\x87" + b"\xff" * 8), one(b"\x83\x01"),
        one(b"\xa0"), one(b"\xd0"), one(b"\xa1\x00"), one(b"\xa1\x01"), one(b"\xc0"), one(b"\xb0"),
        one(b"\x70"), one(b"\xe0"), one(b"\xf0"),
        make_bplist([b"\xa2\x01\x01", b"\x10\x05"]),  # shared scalar
        make_bplist([b"\xa1\x00"]),  # a list that contains itself
        make_bplist([b"\xd1\x01\x00", b"\x51a"]),  # a dict that contains itself
        make_bplist([b"\xd1\x00\x01", b"\x51a"]),  # a dict as its own key
        make_bplist([b"\xd1\x01\x02", b"\xa0", b"\x51a"]),  # list key
        make_bplist([b"\xd3\x01\x02\x03\x04\x05\x06", b"\x10\x01", b"\x23" + struct.pack(">d", 1.0),
                     b"\x09", b"\x51a", b"\x51b", b"\x51c"]),  # 1 == 1.0 == True
        make_bplist([b"\xd2\x01\x02\x03\x03", b"\x80\x05", b"\x80\x05", b"\x51a"]),  # equal UID keys
        make_bplist([b"\xd2\x01\x02\x03\x03", b"\x23" + struct.pack(">d", float("nan")),
                     b"\x23" + struct.pack(">d", float("nan")), b"\x51a"]),
        make_bplist([b"\xd2\x01\x01\x02\x03", b"\x23" + struct.pack(">d", float("nan")), b"\x51a", b"\x51b"]),
        # Duplicate str keys (equal strings, and the same ref twice), with
        # and without the index acar keeps above 8 pairs.
        make_bplist([b"\xd3\x01\x02\x03\x04\x05\x06", b"\x51a", b"\x51b", b"\x51a",
                     b"\x10\x01", b"\x10\x02", b"\x10\x03"]),
        make_bplist([b"\xd3\x01\x02\x01\x03\x03\x03", b"\x51a", b"\x51b", b"\x10\x07"]),
        make_bplist([b"\xdc" + bytes(range(1, 13)) + bytes([13] * 12)]
                    + [b"\x52k" + bytes([48 + i % 11]) for i in range(12)] + [b"\x10\x05"]),
        make_bplist([b"\xdc" + bytes(range(1, 13)) + bytes([13] * 12)]
                    + [b"\x52k" + bytes([48 + i]) for i in range(12)] + [b"\x10\x05"]),
        make_bplist([b"\xa1\x00\x00\x01", b"\x10\x01"], rsize=3),
        make_bplist([b"\xa1\x00\x00\x00\x00\x00\x00\x00\x00\x01", b"\x10\x01"], rsize=9),
        make_bplist([b"\xa1\x01\x00\x00\x00\x00\x00\x00\x00\x01", b"\x10\x01"], rsize=9),
        make_bplist([b"\xa0"], rsize=0), make_bplist([b"\x10\x01"], rsize=0),
        make_bplist([b"\x10\x01"], osize=3), make_bplist([b"\x10\x01"], osize=9),
        make_bplist([b"\x10\x01", b"\x10\x02"], top=1), make_bplist([b"\x10\x01"], top=1),
    ]
    # Offsets of 9 bytes whose high byte is set; a deep chain of lists.
    deep = [b"\xa1" + (i + 1).to_bytes(2, "big") for i in range(3000)] + [b"\x10\x07"]
    cases.append(make_bplist(deep, rsize=2))
    cases.append(b"")
    cases.append(b"\x00" * 31)
    cases.append(b"\x00" * 32)
    return cases


def check_dates(drv, rng, n):
    # Reading: doubles of seconds, with halfway microseconds.
    fs = [0.0, -0.0, 0.5e-6, 1.5e-6, 2.5e-6, -0.5e-6, -1.5e-6, -2.5e-6, 1e-7, -1e-7, 0.1, -0.1,
          -63113904000.0, -63113904000.0000005, 252423993599.99999, 252423993599.9999995,
          252423993600.0, 1e15, -1e15, 5e-324, float("inf")]
    for _ in range(n):
        r = rng.random()
        if r < 0.3:
            f = rng.randint(-10 ** 10, 10 ** 10) + (rng.randint(0, 999999) + rng.choice([0.5, 0.25, 0.0])) / 1e6
        elif r < 0.6:
            f = rng.uniform(-63113904000.0, 252423993600.0)
        elif r < 0.8:
            f = rng.uniform(-1e6, 1e6)
        else:
            f = struct.unpack(">d", rng.randbytes(8))[0]
        fs.append(f)
    for f in fs:
        check_read(drv, date_file(f), "date %r" % f)
    # Writing: datetimes over the whole range.
    dts = [DT_MIN, DT_MAX] + [rand_dt(rng) for _ in range(n)]
    for dt in dts:
        check_write(drv, dt, "datetime")
        check_write(drv, [dt, dt.replace(fold=1)], "datetime fold")


def check_cli(acar, rng):
    v = {"b": [1, 2.5, "x\u00e9", b"\x00", datetime.datetime(2021, 5, 6, 7, 8, 9)], "a": plistlib.UID(3)}
    data = plistlib.dumps(v, fmt=B, sort_keys=False)
    with tempfile.TemporaryDirectory() as tmp:
        fn = os.path.join(tmp, "v.bplist")
        with open(fn, "wb") as f:
            f.write(data)
        r = subprocess.run([acar, "show", fn, "--from", "bplist"], capture_output=True)
        want = (repr(plistlib.loads(data)) + "\n").encode()
        if r.returncode == 0 and r.stdout == want:
            T.ok()
        else:
            T.fail("cli", "show: rc %d out %r err %r" % (r.returncode, r.stdout[:200], r.stderr[:200]))
        for flags, sk in (([], True), (["--no-sort-keys"], False)):
            r = subprocess.run([acar, "convert", fn, "--from", "bplist", "--to", "bplist"] + flags,
                               capture_output=True)
            want = plistlib.dumps(plistlib.loads(data), fmt=B, sort_keys=sk)
            if r.returncode == 0 and r.stdout == want:
                T.ok()
            else:
                T.fail("cli", "convert %s: rc %d err %r" % (flags, r.returncode, r.stderr[:200]))
        with open(fn, "wb") as f:
            f.write(data[:-3])
        r = subprocess.run([acar, "show", fn, "--from", "bplist"], capture_output=True)
        if r.returncode == 1 and b"offset" in r.stderr:
            T.ok()
        else:
            T.fail("cli", "truncated: rc %d err %r" % (r.returncode, r.stderr[:200]))


def find_driver(tools):
    for name in ("bplist_batch", "bplist_batch.exe"):
        p = os.path.join(tools, name)
        if os.path.exists(p):
            return p
    sys.exit("test_bplist: no bplist_batch in %s" % tools)


def make_corpus(out):
    """The fuzz corpus: hand-made files, plistlib's files of seeded values,
    and some of their mutations (fixed seed, so the same files every run)."""
    import hashlib
    rng = random.Random(SEED)
    files = handmade()[:-4]
    for _ in range(60):
        v = rand_value(rng)
        try:
            data = plistlib.dumps(pickle.loads(pickle.dumps(v, 4)), fmt=B, sort_keys=rng.random() < 0.5)
        except (TypeError, OverflowError, ValueError):
            continue
        if len(data) < 3000:
            files.append(data)
    files += [mutate(rng, rng.choice(files)) for _ in range(40)]
    os.makedirs(out, exist_ok=True)
    for i, data in enumerate(files):
        name = "b%03d-%s" % (i, hashlib.sha1(data).hexdigest()[:8])
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("wrote %d files to %s" % (len(files), out))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--make-corpus":
        make_corpus(sys.argv[2])
        return 0
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))
    acar, tools = sys.argv[1], sys.argv[2]
    drv = Driver(find_driver(tools))
    rng = random.Random(SEED)
    nvals = int(3000 * SCALE)
    files = []

    # Generated values: write (from pickles) and read (from plistlib's bytes).
    values = [s for s in EDGE_INTS] + EDGE_FLOATS + cyclic_values()
    values += [rand_value(rng) for _ in range(nvals)]
    for i, v in enumerate(values):
        check_write(drv, v, "value %d" % i)
        try:
            v2 = pickle.loads(pickle.dumps(v, 4))
        except Exception:
            continue
        for sk in (True, False):
            data = py_dumps(v2, sk)
            if data is not None:
                check_read(drv, data, "value %d sort_keys=%s" % (i, sk), borrow=(i % 2 == 0))
                if sk and len(data) < 4000:
                    files.append(data)
    for i in range(int(200 * SCALE)):
        check_write(drv, bad_value(rng), "bad value %d" % i)

    # Hand-made files, truncations and mutations.
    hm = handmade()
    for i, data in enumerate(hm):
        check_read(drv, data, "handmade %d" % i)
    small = [f for f in files if len(f) < 300]
    for j, data in enumerate(rng.sample(small, min(len(small), int(25 * SCALE))) + hm[:40]):
        for k in range(len(data)):
            check_read(drv, data[:k], "truncation %d/%d" % (j, k))
    pool = files + hm
    for i in range(int(15000 * SCALE)):
        data = rng.choice(pool)
        for _ in range(rng.choice([1, 1, 2, 3])):
            if data:
                data = mutate(rng, data)
        if data:
            check_read(drv, data, "mutation %d" % i)

    check_dates(drv, rng, int(1500 * SCALE))
    check_cli(acar, rng)
    drv.close()

    print("plistlib.loads verdicts: %d read, %d rejected, %d other (RecursionError: skipped); "
          "%d writes refused by both" % (T.verdicts["ok"], T.verdicts["invalid"], T.verdicts["other"],
                                          T.refused))
    if T.causes:
        print("failures by cause: " + ", ".join("%s %d" % kv for kv in sorted(T.causes.items())))
    print("%d passed, %d failed" % (T.passed, T.failed))
    return 1 if T.failed else 0


if __name__ == "__main__":
    sys.exit(main())
