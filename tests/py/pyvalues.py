"""pyvalues -- what the Python-driven acar tests share.

* Classes whose instances the generator pickles.  They live here (module
  ``pyvalues``) so that CPython's ``pickle.loads`` can import them again when a
  test loads what acar wrote.
* ``ValueGen``: a seeded generator of values of builtin types and of those
  classes (nested, shared, cyclic, deep, big, every float/str/int class).
* ``InertUnpickler``: CPython's own unpickler with every global replaced by an
  inert stand-in.  ``repr()`` of what it loads is the text ``acar show`` must
  print for objects (the contract form ``module.Class(args).__setstate__(..)``),
  and whether it accepts a stream is CPython's structural verdict on it.
* ``graph_diff``: compares two object graphs: values, types, sharing and
  cycles.
* ``Batch``: client of the tests/tools/batch driver (wire format in batch.c).
* Small reporting helpers (truncated repr, pickletools context).

Nothing here runs code named by a pickle.
"""

import _compat_pickle
import codecs
import concurrent.futures
import datetime
import io
import os
import pickle
import pickletools
import random
import reprlib
import struct
import subprocess
import sys
import types

# ---------------------------------------------------------------------------
# Hash seed: set order depends on it, and CPython's order is the oracle.


def ensure_hashseed():
    """Re-executes the running test with PYTHONHASHSEED=0 unless it has it."""
    if os.environ.get("PYTHONHASHSEED") != "0":
        env = dict(os.environ, PYTHONHASHSEED="0")
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


# ---------------------------------------------------------------------------
# Classes pickled by the tests.


class Plain:
    """Instance with a __dict__."""

    def __init__(self, **attrs):
        self.__dict__.update(attrs)


class Slotted:
    """__slots__ only: pickles at protocol 2+ with a (None, slots) state."""

    __slots__ = ("a", "b")


class SlotsAndDict(Plain):
    """Both __dict__ and __slots__: state (dict, slots)."""

    __slots__ = ("s",)


def make_reduced(x, y):
    r = Reduced.__new__(Reduced)
    r.x, r.y = x, y
    return r


class Reduced:
    """__reduce__ through a module function."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __reduce__(self):
        return (make_reduced, (self.x, self.y))


class Stateful:
    """__getstate__/__setstate__ with a non-dict state."""

    def __init__(self, v, tag="t"):
        self.v, self.tag = v, tag

    def __getstate__(self):
        return (self.v, self.tag)

    def __setstate__(self, state):
        self.v, self.tag = state


class MyDict(dict):
    pass


class MyList(list):
    pass


class NewArgs:
    """__getnewargs__: NEWOBJ with arguments (protocol 2+)."""

    def __new__(cls, a=None, b=None):
        self = object.__new__(cls)
        self.a, self.b = a, b
        return self

    def __getnewargs__(self):
        return (self.a, self.b)


class NewArgsEx:
    """__getnewargs_ex__: NEWOBJ_EX at protocol 4+, functools.partial before."""

    def __new__(cls, a=None, *, b=None):
        self = object.__new__(cls)
        self.a, self.b = a, b
        return self

    def __getnewargs_ex__(self):
        return ((self.a,), {"b": self.b})


class Bag:
    """__reduce__ with all five parts: APPENDS and SETITEMS on an object."""

    def __init__(self):
        self.items = []
        self.map = {}
        self.note = None

    def append(self, x):
        self.items.append(x)

    def extend(self, xs):
        self.items.extend(xs)

    def __setitem__(self, k, v):
        self.map[k] = v

    def __reduce__(self):
        return (Bag, (), {"note": self.note}, iter(self.items), iter(self.map.items()))


# Classes and functions as values: compared by identity, never walked into.
_OPAQUE = (type, types.FunctionType, types.BuiltinFunctionType)

BUILTIN_TYPES = frozenset(
    [type(None), bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set,
     frozenset, type(Ellipsis)])
CONTAINERS = (list, tuple, dict, set, frozenset)


def walk(value):
    """Every object reachable from value (each once), without recursion."""
    seen = set()
    stack = [value]
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        yield o
        t = type(o)
        if t in (list, tuple, set, frozenset):
            stack.extend(o)
        elif t is dict:
            for k, v in o.items():
                stack.append(k)
                stack.append(v)
        elif t not in BUILTIN_TYPES and not isinstance(o, _OPAQUE):
            for _, part in inst_parts(o):
                stack.append(part)


def inst_parts(o):
    """(label, value) pairs that make up an instance of a test class."""
    parts = []
    d = getattr(o, "__dict__", None)
    if d is not None:
        parts.append(("__dict__", d))
    for cls in type(o).__mro__:
        for s in cls.__dict__.get("__slots__", ()):
            if s not in ("__dict__", "__weakref__") and hasattr(o, s):
                parts.append((s, getattr(o, s)))
    if isinstance(o, dict):
        for k, v in o.items():
            parts.append(("key", k))
            parts.append(("value", v))
    if isinstance(o, list):
        for x in o:
            parts.append(("item", x))
    return parts


def classify(value):
    """Flags of a value: 'sets', 'inst' (non-builtin objects), 'bigrepr' (an
    int repr() refuses)."""
    flags = set()
    for o in walk(value):
        t = type(o)
        if t in (set, frozenset):
            flags.add("sets")
        elif t is int and o.bit_length() > 14000 and len(str_int(abs(o))) > 4300:
            flags.add("bigrepr")
        elif t not in BUILTIN_TYPES:
            flags.add("inst")
    return flags


def str_int(i):
    """str(i) with no digit limit (for sizes and messages only)."""
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return str(i)
    finally:
        sys.set_int_max_str_digits(old)


# ---------------------------------------------------------------------------
# The value generator.


def _edge_ints():
    out = {0, 1, -1, 2, 3, 100, -100, 255, 256, -255, -256, -257, 65535, 65536, -65536,
           -65537, 1000, 10**9, 10**18, 10**19, -(10**19)}
    for b in (7, 8, 15, 16, 31, 32, 33, 47, 48, 63, 64, 65, 127, 128, 255, 256, 1000, 2048):
        for d in (-1, 0, 1):
            out.add(2**b + d)
            out.add(-(2**b) + d)
    return sorted(out)


EDGE_INTS = _edge_ints()

EDGE_FLOATS = [
    0.0, -0.0, float("nan"), -float("nan"), float("inf"), -float("inf"), 5e-324, -5e-324,
    2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308,
    -1.7976931348623157e308, 1e16, 1e-5, 1e-4, 0.0001, 1e15, 9999999999999998.0,
    1e22, 1e23, 0.1, 0.2, 0.30000000000000004, 1 / 3, 2.0**53, 2.0**53 + 2, 2.0**63,
    2.0**64, -1.5, 100.0, 123456789.0, 1e100, 1e-100, 1.5e300, 3.14159, 2.5, 0.5,
    struct.unpack("<d", b"\x01\x00\x00\x00\x00\x00\xf8\x7f")[0],  # nan with a payload
    struct.unpack("<d", b"\x00\x00\x00\x00\x00\x00\xf0\x7f")[0],
]

# Characters by class, for strings.
CHAR_CLASSES = {
    "ascii": [chr(c) for c in range(0x20, 0x7F)],
    "quote": ["'", '"', "\\", "'", '"'],
    "ctrl": [chr(c) for c in list(range(0x20)) + [0x7F]],
    "c1": [chr(c) for c in range(0x80, 0xA0)],
    "latin1": [chr(c) for c in range(0xA0, 0x100)],
    "bmp": None,      # random code points 0x100..0xFFFF without surrogates
    "astral": None,   # random code points 0x10000..0x10FFFF
    "surrogate": None,
    "special": ["\n", "\r", "\t", "\\", "\x1a", "\x00", "\u2028", "\u2029", "\x85", "\ufeff",
                "\uffff", "\ufffe", "\U0010ffff", "\U0001f600", "\u0301", "\u00ad", "\ue000",
                "\u200b", "\u0378", "\U000e0001", "\u3000", "\U00020000"],
}


class ValueGen:
    """Seeded values.  Every method draws from self.r only, so a seed fixes
    every value."""

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.pool = []  # objects of the value being built, for sharing

    # ---- scalars ----

    def int_(self):
        r = self.r
        k = r.random()
        if k < 0.35:
            return r.choice(EDGE_INTS)
        if k < 0.65:
            return r.randint(-300, 300)
        if k < 0.9:
            v = r.getrandbits(r.randint(1, 200))
        else:
            v = r.getrandbits(r.randint(200, 14000))  # up to ~4200 digits
        return -v if r.random() < 0.5 else v

    def float_(self, no_nan=False):
        if no_nan:
            f = self.float_()
            while f != f:
                f = self.float_()
            return f
        r = self.r
        k = r.random()
        if k < 0.35:
            return r.choice(EDGE_FLOATS)
        if k < 0.6:
            return struct.unpack("<d", r.getrandbits(64).to_bytes(8, "little"))[0]
        if k < 0.8:
            return round(r.uniform(-1e6, 1e6), r.randint(0, 8))
        return r.random() * 10.0 ** r.randint(-30, 30) * r.choice((1, -1))

    def char(self, cls):
        r = self.r
        if cls == "bmp":
            c = r.randint(0x100, 0xFFFF - 0x800)
            return chr(c + 0x800 if c >= 0xD800 else c)
        if cls == "astral":
            return chr(r.randint(0x10000, 0x10FFFF))
        if cls == "surrogate":
            return chr(r.randint(0xD800, 0xDFFF))
        return r.choice(CHAR_CLASSES[cls])

    def length(self):
        r = self.r
        k = r.random()
        if k < 0.1:
            return 0
        if k < 0.25:
            return 1
        if k < 0.8:
            return r.randint(2, 20)
        if k < 0.97:
            return r.randint(21, 300)
        return r.randint(300, 3000)

    def str_(self, n=None):
        r = self.r
        classes = r.sample(sorted(CHAR_CLASSES), r.randint(1, 3))
        if r.random() < 0.5 and "ascii" not in classes:
            classes.append("ascii")
        n = self.length() if n is None else n
        return "".join(self.char(r.choice(classes)) for _ in range(n))

    def bytes_(self, n=None):
        r = self.r
        n = self.length() if n is None else n
        if r.random() < 0.3:
            return bytes(r.choice(b"ab\x00\xff'\"\\\n") for _ in range(n))
        return r.getrandbits(8 * n).to_bytes(n, "little") if n else b""

    def complex_(self):
        return complex(self.float_(), self.float_())

    def scalar(self):
        r = self.r
        k = r.random()
        if k < 0.22:
            return self.int_()
        if k < 0.4:
            return self.float_()
        if k < 0.7:
            return self.str_()
        if k < 0.8:
            return self.bytes_()
        if k < 0.84:
            return bytearray(self.bytes_())
        if k < 0.88:
            return self.complex_()
        return r.choice([None, True, False, Ellipsis, 0, 1, "", b""])

    def small(self, in_set=False):
        """A cheap scalar, for big containers."""
        r = self.r
        k = r.random()
        if k < 0.4:
            return r.randint(-2**40, 2**40) >> r.randint(0, 40)
        if k < 0.6:
            return self.float_(in_set)
        return self.str_(r.randint(0, 6))

    def hashable(self, depth=2, in_set=False):
        """A hashable value.  in_set: one whose hash does not depend on an
        address.  CPython 3.11 hashes None, Ellipsis and every NaN (also in a
        complex) by address, so the order of a set holding them changes from
        run to run even under PYTHONHASHSEED=0, and no oracle exists for it."""
        r = self.r
        k = r.random()
        if depth > 0 and k < 0.12:
            return tuple(self.hashable(depth - 1, in_set) for _ in range(r.randint(0, 3)))
        if depth > 0 and k < 0.17:
            return frozenset(self.hashable(depth - 1, True) for _ in range(r.randint(0, 3)))
        k = r.random()
        if k < 0.3:
            return self.int_()
        if k < 0.45:
            return self.float_(in_set)
        if k < 0.8:
            return self.str_(r.randint(0, 12))
        if k < 0.88:
            return self.bytes_(r.randint(0, 8))
        if k < 0.92:
            return complex(self.float_(in_set), self.float_(in_set))
        return r.choice([True, False] if in_set else [None, True, False, Ellipsis])

    def key(self):
        """A dict key: str/int/float/tuple/bool/None (and a few others)."""
        r = self.r
        k = r.random()
        if k < 0.5:
            return self.str_(r.randint(0, 10))
        if k < 0.7:
            return self.int_()
        if k < 0.78:
            return self.float_()
        if k < 0.88:
            return tuple(self.hashable(1) for _ in range(r.randint(0, 3)))
        return r.choice([True, False, None, b"k", frozenset([1, 2]), 1j, Ellipsis])

    # ---- containers ----

    def size(self):
        r = self.r
        k = r.random()
        if k < 0.12:
            return 0
        if k < 0.3:
            return 1
        if k < 0.5:
            return r.randint(2, 3)
        if k < 0.9:
            return r.randint(4, 12)
        return r.randint(13, 40)

    def value(self, depth=4, insts=False):
        r = self.r
        if self.pool and r.random() < 0.06:
            return r.choice(self.pool)
        if depth <= 0 or r.random() < 0.4:
            v = self.scalar()
        else:
            k = r.random()
            if insts and k < 0.12:
                v = self.instance(depth - 1)
            elif k < 0.35:
                v = [self.value(depth - 1, insts) for _ in range(self.size())]
            elif k < 0.55:
                v = tuple(self.value(depth - 1, insts) for _ in range(self.size()))
            elif k < 0.8:
                v = {self.key(): self.value(depth - 1, insts) for _ in range(self.size())}
            elif k < 0.92:
                v = set(self.hashable(in_set=True) for _ in range(self.size()))
            else:
                v = frozenset(self.hashable(in_set=True) for _ in range(self.size()))
        if not isinstance(v, (bool, type(None), type(Ellipsis))):
            self.pool.append(v)
        return v

    def instance(self, depth=2):
        r = self.r
        kind = r.randrange(11)
        sub = lambda: self.value(depth - 1, insts=r.random() < 0.3)  # noqa: E731
        if kind == 0:
            names = ["x", "y", "name", "data", "_p", "\u00fcml", "with space"]
            return Plain(**{n: sub() for n in r.sample(names, r.randint(0, 4))})
        if kind == 1:
            o = Slotted()
            o.a = sub()
            if r.random() < 0.6:
                o.b = sub()
            return o
        if kind == 2:
            o = SlotsAndDict(x=sub())
            o.s = sub()
            return o
        if kind == 3:
            return Reduced(sub(), sub())
        if kind == 4:
            return Stateful(sub(), self.str_(3))
        if kind == 5:
            o = MyDict({self.key(): sub() for _ in range(self.size())})
            if r.random() < 0.4:
                o.attr = sub()
            return o
        if kind == 6:
            o = MyList(sub() for _ in range(self.size()))
            if r.random() < 0.4:
                o.attr = sub()
            return o
        if kind == 7:
            return NewArgs(sub(), sub())
        if kind == 8:
            return NewArgsEx(sub(), b=sub())
        if kind == 9:
            b = Bag()
            b.items.extend(sub() for _ in range(self.size()))
            b.map.update((self.key(), sub()) for _ in range(self.size()))
            b.note = sub()
            return b
        return r.choice([Plain, Reduced, make_reduced, MyDict, Bag])

    # ---- named cases ----

    def cases(self, scale=1.0):
        """(label, value) pairs; scale multiplies the random ones."""
        r = self.r
        out = []

        def add(label, v):
            out.append((label, v))

        def n(k):
            return max(1, int(k * scale))

        for i in EDGE_INTS:
            add("int/edge", i)
        for f in EDGE_FLOATS:
            add("float/edge", f)
        for _ in range(n(150)):
            add("int/random", self.int_())
        for _ in range(n(200)):
            add("float/random", self.float_())
        for cls in sorted(CHAR_CLASSES):
            for _ in range(n(20)):
                add("str/" + cls, "".join(self.char(cls) for _ in range(self.length())))
        for _ in range(n(150)):
            add("str/mixed", self.str_())
        for s in ["", "'", '"', "'\"", "\\", "a\nb", "\x00", "\ud800", "\udfff\ud800",
                  "\ud83d\ude00", "\U0001f600", "a" * 255, "a" * 256, "\u00e9" * 127,
                  "\u00e9" * 128, "\u20ac" * 85, "\u20ac" * 86, "x" * 65536, "y" * 70000]:
            add("str/edge", s)
        for _ in range(n(60)):
            add("bytes/random", self.bytes_())
        for b in [b"", b"\x00", bytes(range(256)), b"a" * 255, b"a" * 256, b"b" * 70000,
                  b"\x80\xff", b"'\"\\"]:
            add("bytes/edge", b)
        for _ in range(n(20)):
            add("bytearray/random", bytearray(self.bytes_()))
        for b in [bytearray(), bytearray(b"\x00\xff"), bytearray(b"z" * 70000)]:
            add("bytearray/edge", b)
        for _ in range(n(60)):
            add("complex/random", self.complex_())
        for c in [0j, -0j, complex(-0.0, -0.0), 1j, complex(float("nan"), float("inf")),
                  complex(1e300, -5e-324)]:
            add("complex/edge", c)
        for c in [None, True, False, Ellipsis]:
            add("const", c)
        # naive datetimes (own stream: the other cases keep their values)
        dr = random.Random(1234)
        dts = [datetime.datetime(1, 1, 1), datetime.datetime(9999, 12, 31, 23, 59, 59, 999999),
               datetime.datetime(2020, 2, 29, 0, 0, 7), datetime.datetime(2021, 11, 7, 1, 30, fold=1)]
        for _ in range(n(40)):
            dts.append(datetime.datetime(dr.randint(1, 9999), dr.randint(1, 12), dr.randint(1, 28),
                                         dr.randint(0, 23), dr.randint(0, 59), dr.randint(0, 59),
                                         dr.choice([0, dr.randint(0, 999999)]), fold=dr.randint(0, 1)))
        for d in dts:
            add("datetime", d)
        # fold=0 in containers: protocols < 4 drop fold, which the graph comparison would flag
        dz = [d.replace(fold=0) for d in dts]
        add("datetime/containers", [dz, set(dz), frozenset(dz[:9]), {d: i for i, d in enumerate(dz)}])
        x = "shared"
        for e in [[], (), {}, set(), frozenset(), [x], (x,), (x, x), (x, 1, 2), (1, 2, 3, 4),
                  {x: x}, {x}, frozenset([x]), [[]], ((),), [()], {(): ()}]:
            add("empty-or-one", e)
        for k in (True, False, None, 1, 1.0, -0.0, float("nan"), (1, "a"), (), "k", b"k", 2j,
                  frozenset()):
            add("dict/key", {k: r.random()})
        add("dict/key", {1: "a", True: "b", 1.0: "c"})
        # NaN keys, each its own object, after enough numbers that the
        # pickle reader shares equal ones (it must not share NaNs: a dict
        # keeps each, as it finds keys by identity first)
        add("dict/nan_keys", [[1.5, 70000] * 40, {float("nan"): i for i in range(5)},
                              [float("nan")] * 3])
        for _ in range(n(500)):
            self.pool = []
            add("nested", self.value(r.randint(1, 5)))
        for _ in range(n(120)):
            self.pool = []
            add("shared", self.shared())
        for _ in range(n(60)):
            self.pool = []
            add("cyclic", self.cyclic())
        for size in (999, 1000, 1001, 2000, 2001, 2500):
            add("big/list", [self.small() for _ in range(size)])
            add("big/tuple", tuple(self.str_(3) for _ in range(size)))
            add("big/dict", {i: self.small() for i in range(size)})
            add("big/set", set(range(size)) | {self.str_(4) for _ in range(20)})
            add("big/frozenset", frozenset(self.small(True) for _ in range(size)))
        for size in (999, 1000, 1001):
            # inside a list: a dict or set of exactly 1000 gets an empty batch after the full one
            add("big/nested", [{i: self.small() for i in range(size)}, set(range(size)), list(range(size))])
        for _ in range(n(60)):
            # dicts of one shape, which the readers give one shared table of keys
            self.pool = []
            keys = [self.str_(r.randint(1, 6)) for _ in range(r.choice((2, 3, 8, 9, 12, 40)))]
            rows = [{k: self.value(1) for k in keys} for _ in range(r.randint(2, 6))]
            if r.random() < 0.3:
                rows.append({k: 1 for k in reversed(keys)})
            if r.random() < 0.3:
                rows.append(dict({k: 1 for k in keys}, extra=2))
            add("dict/shapes", rows if r.random() < 0.5 else {"rows": rows, "again": rows[0]})
        # Many shapes, more keys than the pickle writer keeps memo indexes
        # for in its pool, and dicts whose first value holds dicts of other
        # shapes: the writer's tables of key indexes are replaced while a
        # dict of an earlier shape is still being written (a freed table
        # once gave its later keys wrong GETs: marine_ik.json's pickles).
        shape_keys = [[f"s{i}k{j}" for j in range(8)] for i in range(200)]

        def shaped(i, first):
            d = {shape_keys[i][0]: first}
            d.update((k, i) for k in shape_keys[i][1:])
            return d
        add("dict/many_shapes",
            [shaped(i, 0) for i in range(200)]
            + [shaped(i, [shaped((i + m) % 200, m) for m in range(1, 30)]) for i in range(200)])
        for _ in range(n(4)):
            self.pool = []
            add("big/mixed", [self.value(1) for _ in range(r.choice((999, 1000, 1001, 1500)))])
        for depth in (100, 499, 500):
            add("deep/list", self.deep(depth, "list"))
            add("deep/tuple", self.deep(depth, "tuple"))
            add("deep/dict", self.deep(depth, "dict"))
            add("deep/mixed", self.deep(depth, "mixed"))
        top = bottom = []
        for _ in range(499):
            bottom.append([])
            bottom = bottom[0]
        bottom.append(top)  # the bottom points back to the top
        add("deep/cycle", top)
        for v in (10**4299, -(10**4299), 10**4300, -(10**4300) - 1, 2**14300):
            add("int/digit-limit", v)
        for _ in range(n(300)):
            self.pool = []
            add("inst/random", self.instance(r.randint(1, 3)))
        for _ in range(n(120)):
            self.pool = []
            add("inst/nested", self.value(r.randint(2, 4), insts=True))
        add("inst/cycle", self.inst_cycle())
        add("inst/classes", {"cls": Plain, "fn": make_reduced, "list": [MyList, MyDict]})
        return out

    def shared(self):
        r = self.r
        k = r.randrange(6)
        s = self.value(2) if k else self.str_(r.randint(2, 8))
        if k == 1:
            s = (self.scalar(), self.scalar())
        elif k == 2:
            s = frozenset(self.hashable(in_set=True) for _ in range(3))
        elif k == 3:
            s = bytearray(self.bytes_(4))
        elif k == 4:
            s = self.complex_()
        items = [s for _ in range(r.randint(2, 4))] + [self.value(1)]
        r.shuffle(items)
        return r.choice([lambda: items, lambda: tuple(items), lambda: {"a": s, "b": items},
                         lambda: [s, {"x": s}, (s, items)]])()

    def cyclic(self):
        r = self.r
        k = r.randrange(7)
        if k == 0:
            v = []
            v.append(v)
        elif k == 1:
            v = {}
            v["self"] = [v]
        elif k == 2:
            v = {}
            v[self.key()] = v
        elif k == 3:
            lst = []
            t = (lst, self.scalar())
            lst.append(t)  # a tuple inside its own cycle
            v = t if r.random() < 0.5 else lst
        elif k == 4:
            a, b = [], {}
            a.append(b)
            b["a"] = a
            b["x"] = self.value(2)
            v = [a, b]
        elif k == 5:
            v = [self.value(2) for _ in range(self.size())]
            v.insert(r.randint(0, len(v)), v)
            v.append((v, (v,)))
        else:
            lst = []
            t = ((lst,),)
            lst.append(t)
            lst.append(t)
            v = lst
        return v

    def deep(self, depth, kind):
        r = self.r
        v = self.scalar()
        for i in range(depth):
            k = kind if kind != "mixed" else ("list", "tuple", "dict")[i % 3]
            if k == "list":
                v = [v]
            elif k == "tuple":
                v = (v,)
            else:
                v = {"k": v}
        if kind == "mixed" and r.random() < 0.5:
            v = [v, v]
        return v

    def inst_cycle(self):
        a = Plain(name="a")
        b = Plain(name="b", peer=a)
        a.peer = b
        a.me = a
        lst = MyList([a])
        lst.append(lst)
        d = MyDict()
        d["self"] = d
        bag = Bag()
        bag.items.append(bag)
        bag.map["b"] = bag
        return [a, b, lst, d, bag]


# ---------------------------------------------------------------------------
# Inert loading: CPython's unpickler, with globals that never run.

_repr_active = set()


class _InertMeta(type):
    """The type of every inert global: repr is 'module.qualname'; calling it
    (REDUCE) records the call."""

    def __repr__(cls):
        return "%s.%s" % (cls._acar_module, cls._acar_name)

    def __call__(cls, *args, **kwargs):
        o = object.__new__(cls)
        o._acar_init(cls, args, kwargs if kwargs else None)
        return o


_UNSET = object()


class InertObj(metaclass=_InertMeta):
    """An object built by REDUCE/NEWOBJ/NEWOBJ_EX/INST/OBJ, recording what
    later opcodes do to it, with acar's repr of objects."""

    _acar_module = "?"
    _acar_name = "?"
    __slots__ = ("callable", "args", "kwargs", "state", "builds", "listitems", "dictitems",
                 "__weakref__")

    def __new__(cls, *args, **kwargs):  # NEWOBJ, NEWOBJ_EX, INST/OBJ without args
        o = object.__new__(cls)
        o._acar_init(cls, args, kwargs if kwargs else None)
        return o

    def _acar_init(self, callable_, args, kwargs):
        self.callable = callable_
        self.args = args
        self.kwargs = kwargs
        self.state = _UNSET
        self.builds = 0
        self.listitems = None
        self.dictitems = None

    def __call__(self, *args, **kwargs):  # REDUCE on an object
        o = object.__new__(InertObj)
        o._acar_init(self, args, kwargs if kwargs else None)
        return o

    def __setstate__(self, state):
        self.state = state
        self.builds += 1

    def extend(self, items):
        if self.listitems is None:
            self.listitems = []
        self.listitems.extend(items)

    def append(self, item):
        self.extend([item])

    def __setitem__(self, key, value):
        if self.dictitems is None:
            self.dictitems = {}
        self.dictitems[key] = value

    def __repr__(self):
        if id(self) in _repr_active:
            return "..."
        _repr_active.add(id(self))
        try:
            parts = [repr(a) for a in self.args]
            if self.kwargs:
                rest = {}
                for k, v in self.kwargs.items():
                    if isinstance(k, str) and k.isidentifier():
                        parts.append("%s=%r" % (k, v))
                    else:
                        rest[k] = v
                if rest:
                    parts.append("**" + repr(rest))
            s = "%r(%s)" % (self.callable, ", ".join(parts))
            if self.state is not _UNSET:
                s += ".__setstate__(%r)" % (self.state,)
            if self.listitems is not None:
                s += ".extend(%r)" % (self.listitems,)
            if self.dictitems is not None:
                s += ".update(%r)" % (self.dictitems,)
            return s
        finally:
            _repr_active.discard(id(self))


class InertPersid:
    def __init__(self, pid):
        self.pid = pid

    def __repr__(self):
        return "persistent_load(%r)" % (self.pid,)


class InertOOB(bytes):
    """An out-of-band buffer that was not supplied (bytes, so that
    READONLY_BUFFER's memoryview works on it)."""

    def __new__(cls, index):
        o = super().__new__(cls)
        o.index = index
        return o

    def __repr__(self):
        return "PickleBuffer(<out-of-band %d>)" % self.index


# Globals acar turns into native values (the contract's well-known names).
NATIVE_GLOBALS = {
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "bytearray"): bytearray,
    ("builtins", "bytes"): bytes,
    ("builtins", "complex"): complex,
    ("_codecs", "encode"): codecs.encode,
    ("builtins", "Ellipsis"): Ellipsis,
    ("datetime", "datetime"): datetime.datetime,
}


class InertUnpickler(pickle.Unpickler):
    """pickle.Unpickler whose globals are inert (InertObj types).  native=True
    keeps the well-known globals acar maps to native values real."""

    def __init__(self, data, native=True, **kwargs):
        def oob():
            i = 0
            while True:
                yield InertOOB(i)
                i += 1

        super().__init__(io.BytesIO(data), buffers=oob(), **kwargs)
        self.native = native
        self.inert = {}
        self.fix_imports = kwargs.get("fix_imports", True)
        # The C unpickler does not show its protocol; the PROTO opcode at the
        # start is where CPython's writers put it.
        self.proto = data[1] if len(data) >= 2 and data[0] == 0x80 else 0

    def find_class(self, module, name):
        # The C unpickler leaves Python 2 names to find_class: map them here
        # as its own find_class does (protocol < 3, fix_imports).
        if self.proto < 3 and self.fix_imports:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        if self.native and (module, name) in NATIVE_GLOBALS:
            return NATIVE_GLOBALS[(module, name)]
        if self.native and self.proto < 4 and (module, name) == ("builtins", "getattr"):
            # Protocols 0-3 spell a nested name A.B as getattr(A, 'B'): acar
            # reads that as the global A.B (it cannot tell it from a method
            # reference, which protocol 4 leaves as getattr).
            inert_getattr = self._inert(module, name)

            def nested_name(obj, attr, *rest):
                if not rest and isinstance(obj, _InertMeta) and type(attr) is str:
                    return self.find_class(obj._acar_module, obj._acar_name + "." + attr)
                return inert_getattr(obj, attr, *rest)
            return nested_name
        return self._inert(module, name)

    def _inert(self, module, name):
        key = (module, name)
        if key not in self.inert:
            self.inert[key] = _InertMeta("Inert", (InertObj,), {
                "_acar_module": module, "_acar_name": name, "__slots__": ()})
        return self.inert[key]

    def persistent_load(self, pid):
        return InertPersid(pid)


def inert_loads(data, native=True, **kwargs):
    """Loads with inert globals; raises whatever CPython raises."""
    u = InertUnpickler(data, native=native, **kwargs)
    v = u.load()
    return v


# ---------------------------------------------------------------------------
# Object graph comparison.

_IDENTITY_TYPES = (list, dict, set, bytearray)


def _tracked(o):
    """Objects whose identity (sharing) must survive a load."""
    t = type(o)
    if t in _IDENTITY_TYPES:
        return True
    if t in (tuple, frozenset, str, bytes):
        return len(o) >= 2  # CPython caches empty and 1-char ones
    if t is complex:
        return True
    return t not in BUILTIN_TYPES and not isinstance(o, _OPAQUE)


def _fbits(f):
    return struct.pack("<d", f)


def _nan_eq(x, y):
    """Complex parts equal by bits, NaN parts equal to any NaN."""
    for p, q in ((x.real, y.real), (x.imag, y.imag)):
        if _fbits(p) != _fbits(q) and not (p != p and q != q):
            return False
    return True


def _fkey(f, nan_bits):
    return _fbits(f) if nan_bits or f == f else b"nan"


def canon(o, nan_bits=True):
    """A sortable key that tells hashable values apart exactly (floats by
    bits, types kept apart: 1, 1.0 and True differ)."""
    t = type(o)
    if t is float:
        return ("float", _fkey(o, nan_bits))
    if t is complex:
        return ("complex", _fkey(o.real, nan_bits) + _fkey(o.imag, nan_bits))
    if t is tuple:
        return ("tuple", tuple(canon(x, nan_bits) for x in o))
    if t is frozenset:
        return ("frozenset", tuple(sorted(canon(x, nan_bits) for x in o)))
    if t is int:
        return ("int", o.bit_length(), o)
    if t in (str, bytes, bool):
        return (t.__name__, o)
    if o is None or o is Ellipsis:
        return (repr(o),)
    return ("other", id(o))


def same_graph(a, b, nan_bits=True):
    """graph_diff with a fast path: equal protocol 5 pickles mean equal
    graphs (pickle records types, float bits and sharing), so only graphs
    whose pickles differ (set order, caches, real differences) are walked."""
    try:
        if pickle.dumps(a, 5) == pickle.dumps(b, 5):
            return None
    except Exception:
        pass
    return graph_diff(a, b, nan_bits)


def _step_text(kind, arg):
    if kind == 0:
        return "[%d]" % arg
    if kind == 1:
        return "[%s]" % short_repr(arg, 24)
    if kind == 2:
        return "<key %d>" % arg
    if kind == 3:
        return "{%s}" % short_repr(arg, 24)
    if kind == 4:
        return ".%s" % arg
    return "value"


_SCALARS = (int, str, bytes, bool, type(None), type(Ellipsis))


def graph_diff(a, b, nan_bits=True):
    """None when graphs a and b are equal in values, types, sharing and
    cycles; else a short description of the first difference.  Floats are
    compared by their bits; with nan_bits=False every NaN equals every NaN
    (protocol 0 writes NaN as text)."""
    ab, ba = {}, {}
    keep = []  # temporaries stay alive so their ids are not reused
    # Stack entries: (x, y, parent, step kind, step arg); the path to a
    # difference is rebuilt from the parents only when there is one.
    steps = []
    stack = [(a, b, -1, 5, None)]

    def path(i):
        out = []
        while i >= 0:
            parent, kind, arg = steps[i]
            out.append(_step_text(kind, arg))
            i = parent
        return "".join(reversed(out))

    while stack:
        x, y, parent, kind, arg = stack.pop()
        tx, ty = type(x), type(y)
        # Short strings, small ints and constants: no path entry unless they differ.
        if tx is ty and tx in _SCALARS and (tx is not str and tx is not bytes or len(x) < 2):
            if x == y:
                continue
        steps.append((parent, kind, arg))
        me = len(steps) - 1
        if tx is not ty:
            return "%s: type %s vs %s" % (path(me), tx.__name__, ty.__name__)
        if _tracked(x):
            if id(x) in ab or id(y) in ba:
                if ab.get(id(x)) != id(y) or ba.get(id(y)) != id(x):
                    return "%s: sharing differs (%s)" % (path(me), tx.__name__)
                continue
            ab[id(x)] = id(y)
            ba[id(y)] = id(x)
        if tx is float:
            if _fbits(x) != _fbits(y) and (nan_bits or not (x != x and y != y)):
                return "%s: %r vs %r" % (path(me), x, y)
        elif tx is complex:
            if canon(x) != canon(y) and (nan_bits or not _nan_eq(x, y)):
                return "%s: %r vs %r" % (path(me), x, y)
        elif tx in _SCALARS or tx is bytearray:
            if x != y:
                return "%s: %s vs %s" % (path(me), short_repr(x), short_repr(y))
        elif tx is list or tx is tuple:
            if len(x) != len(y):
                return "%s: len %d vs %d" % (path(me), len(x), len(y))
            for i in range(len(x) - 1, -1, -1):
                stack.append((x[i], y[i], me, 0, i))
        elif tx is dict:
            if len(x) != len(y):
                return "%s: len %d vs %d" % (path(me), len(x), len(y))
            xi, yi = list(x.items()), list(y.items())
            keep.append((xi, yi))
            for i in range(len(xi) - 1, -1, -1):
                stack.append((xi[i][1], yi[i][1], me, 1, xi[i][0]))
                stack.append((xi[i][0], yi[i][0], me, 2, i))
        elif tx is set or tx is frozenset:
            if len(x) != len(y):
                return "%s: len %d vs %d" % (path(me), len(x), len(y))
            by = {}
            for e in y:
                by.setdefault(canon(e, nan_bits), []).append(e)
            for e in x:
                lst = by.get(canon(e, nan_bits))
                if not lst:
                    return "%s: %s missing" % (path(me), short_repr(e))
                stack.append((e, lst.pop(), me, 3, e))
        elif isinstance(x, _OPAQUE):
            if x is not y:
                return "%s: %r vs %r" % (path(me), x, y)
        else:
            px, py = inst_parts(x), inst_parts(y)
            keep.append((px, py))
            if [p[0] for p in px] != [p[0] for p in py]:
                return "%s: parts %s vs %s" % (path(me), [p[0] for p in px], [p[0] for p in py])
            for i in range(len(px) - 1, -1, -1):
                stack.append((px[i][1], py[i][1], me, 4, px[i][0]))
    return None


# ---------------------------------------------------------------------------
# The batch driver client.

WANT_REPR = 0x100
WANT_DEFAULT = 0x200
# Request.read: acar_read_opts.flags in bits 0..7, encoding in bits 8..11.
READ_BORROW = 1
READ_NO_FIX_IMPORTS = 2
READ_RAW_GLOBALS = 4
READ_ALLOW_TRAILING = 8
READ_NO_TRAILING = 16
ENC_ASCII, ENC_LATIN1, ENC_UTF8, ENC_BYTES = (0 << 8, 1 << 8, 2 << 8, 3 << 8)
_REQ = struct.Struct("<IIQIIQ")
_ANS = struct.Struct("<IIQQQQQQI")
_SEC = struct.Struct("<IIQ")
_MAGIC = 0x42524341


class Request:
    __slots__ = ("data", "want", "read", "max_memory", "max_depth")

    def __init__(self, data, want, read=0, max_memory=0, max_depth=0):
        self.data = bytes(data)
        self.want = want
        self.read = read
        self.max_memory = max_memory
        self.max_depth = max_depth

    def encode(self):
        return _REQ.pack(self.want, self.read, self.max_memory, self.max_depth, 0,
                         len(self.data)) + self.data


class Result:
    """One answer: read code/offset/message, memory (acar_doc_memory), peak
    and leaked bytes through the doc's allocator, time, bytes consumed,
    outputs by 'what'
    (0x100 repr, 0x200 default pickle, else the protocol) as (code, bytes).
    crash is None, or what happened to the process on this case."""

    __slots__ = ("code", "offset", "msg", "memory", "peak", "leaked", "nanos", "consumed", "out",
                 "crash")

    def __init__(self):
        self.code = 0
        self.offset = 0
        self.msg = ""
        self.memory = 0
        self.peak = 0
        self.leaked = 0
        self.nanos = 0
        self.consumed = 0
        self.out = {}
        self.crash = None

    @property
    def ok(self):
        return self.crash is None and self.code == 0


def _parse_answers(buf, limit):
    """Complete answers at the front of buf (at most limit)."""
    out = []
    pos = 0
    while len(out) < limit:
        if len(buf) - pos < _ANS.size:
            break
        magic, code, offset, memory, peak, leaked, nanos, consumed, mlen = _ANS.unpack_from(buf, pos)
        if magic != _MAGIC:
            raise RuntimeError("batch: answer stream out of step at byte %d" % pos)
        p = pos + _ANS.size
        if len(buf) - p < mlen + 4:
            break
        res = Result()
        res.code, res.offset, res.memory, res.nanos = code, offset, memory, nanos
        res.peak, res.leaked, res.consumed = peak, leaked, consumed
        res.msg = buf[p:p + mlen].decode("utf-8", "replace")
        p += mlen
        (nout,) = struct.unpack_from("<I", buf, p)
        p += 4
        complete = True
        for _ in range(nout):
            if len(buf) - p < _SEC.size:
                complete = False
                break
            what, scode, slen = _SEC.unpack_from(buf, p)
            p += _SEC.size
            if len(buf) - p < slen:
                complete = False
                break
            res.out[what] = (scode, bytes(buf[p:p + slen]))
            p += slen
        if not complete:
            break
        out.append(res)
        pos = p
    return out


class Batch:
    """Runs requests through the batch driver: chunks in parallel processes;
    a process that dies or hangs marks the case it was on and the rest of
    its chunk goes to a fresh process.  A process that fails after its last
    answer (sanitizer leak report) is listed in problems: tests fail on it."""

    def __init__(self, exe, jobs=None, chunk=300, timeout_scale=None, args=()):
        self.exe = exe
        self.args = list(args)
        self.jobs = jobs or max(1, os.cpu_count() or 1)
        self.chunk = chunk
        if timeout_scale is None:
            timeout_scale = float(os.environ.get("ACAR_TEST_TIMEOUT_SCALE", "1"))
        self.timeout_scale = timeout_scale
        self.restarts = 0
        self.problems = []  # failures of the process itself, outside any case

    def _run_chunk(self, reqs):
        results = []
        while len(results) < len(reqs):
            todo = reqs[len(results):]
            blob = b"".join(r.encode() for r in todo)
            timeout = (20 + 0.2 * len(todo) + len(blob) / 2e6) * self.timeout_scale
            proc = subprocess.Popen([self.exe] + self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            hung = False
            try:
                out, err = proc.communicate(blob, timeout=timeout)
            except subprocess.TimeoutExpired:
                hung = True
                proc.kill()
                out, err = proc.communicate()
            got = _parse_answers(out, len(todo))
            results.extend(got)
            if len(got) == len(todo) and not hung and proc.returncode == 0:
                break
            if len(got) == len(todo):
                # Answered everything, then failed (a leak report at exit, say).
                self.problems.append("batch exited %s after answering all its cases:\n%s" % (
                    "(killed: hung at exit)" if hung else proc.returncode,
                    err[-3000:].decode("utf-8", "replace")))
                break
            self.restarts += 1
            res = Result()
            tail = err[-3000:].decode("utf-8", "replace")
            if hung:
                res.crash = "timeout after %.0f s (stuck on this case)\n%s" % (timeout, tail)
            else:
                res.crash = "exit status %s\n%s" % (proc.returncode, tail)
            results.append(res)
        return results

    def run(self, reqs, on_chunk=None):
        """Results in request order.  on_chunk(start, results) is called in
        order as chunks finish (to overlap checking with running)."""
        chunks = [reqs[i:i + self.chunk] for i in range(0, len(reqs), self.chunk)]
        results = []
        with concurrent.futures.ThreadPoolExecutor(self.jobs) as pool:
            futs = [pool.submit(self._run_chunk, c) for c in chunks]
            for i, f in enumerate(futs):
                got = f.result()
                if on_chunk:
                    on_chunk(i * self.chunk, got)
                results.extend(got)
        return results


def find_batch(tools_dir):
    for name in ("batch", "batch.exe"):
        p = os.path.join(tools_dir, name)
        if os.path.exists(p):
            return p
    raise SystemExit("no batch driver in %s (build tests/tools/batch.c)" % tools_dir)


# ---------------------------------------------------------------------------
# Reporting.

_short = reprlib.Repr()
_short.maxlevel = 4
_short.maxstring = 40
_short.maxother = 60
_short.maxlong = 40
_short.maxlist = _short.maxtuple = _short.maxdict = _short.maxset = 6
_short.maxfrozenset = 6


def short_repr(o, n=120):
    try:
        s = _short.repr(o)
    except Exception as e:  # a value reprlib cannot print
        s = "<%s: %s>" % (type(o).__name__, e)
    return s if len(s) <= n else s[: n - 3] + "..."


def first_diff(a, b):
    """Offset of the first differing byte (len of the shorter when one is a
    prefix of the other), or None when equal."""
    if a == b:
        return None
    n = min(len(a), len(b))
    lo, hi = 0, n  # binary search on prefix equality: fast for big pickles
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def op_at(data, offset):
    """Name of the opcode whose bytes hold offset ('end' past the last one,
    '?' where the stream cannot be parsed)."""
    last = "?"
    try:
        for op, _, pos in pickletools.genops(data):
            if pos > offset:
                return last
            last = op.name
    except Exception:
        return "?" if last == "?" else last
    return last if offset < len(data) else "end"


def strip_frames(data):
    """The stream without its FRAME opcodes (and their lengths), for telling
    a framing difference from a difference inside frames."""
    out = []
    last = 0
    try:
        ops = list(pickletools.genops(data))
    except Exception:
        return data
    for i, (op, _, pos) in enumerate(ops):
        if op.name == "FRAME":
            out.append(data[last:pos])
            last = pos + 9
    out.append(data[last:])
    return b"".join(out)


def dis_context(data, offset, before=3, after=2):
    """pickletools.dis lines around a byte offset (as one string)."""
    buf = io.StringIO()
    try:
        pickletools.dis(data, out=buf)
    except Exception as e:
        buf.write("  <dis stopped: %s>\n" % e)
    lines = buf.getvalue().splitlines()
    best = 0
    for i, line in enumerate(lines):
        head = line[:line.find(":")] if ":" in line else ""
        if head.strip().isdigit():
            if int(head) <= offset:
                best = i
            else:
                break
    lo, hi = max(0, best - before), min(len(lines), best + after + 1)
    return "\n".join(("  > " if i == best else "    ") + lines[i][:110] for i in range(lo, hi))


def scale():
    try:
        return float(os.environ.get("ACAR_TEST_SCALE", "1"))
    except ValueError:
        return 1.0

