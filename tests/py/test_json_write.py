"""Differential test of acar's JSON writer against CPython 3.11's json.dumps.

For thousands of seeded values (pyvalues.ValueGen scalars: every escape and
control character, every Unicode plane, lone surrogates, ints up to 5000
digits, floats with denormals, nan, inf and -0.0; nested lists, tuples and
dicts with every key type; shared and cyclic parts; values JSON cannot hold)
pickled with protocol 4, and for option sets drawn from indent (None, N,
strings), separators, sort_keys, ensure_ascii, allow_nan and skipkeys:

  json     acar reading the pickle and writing JSON gives
           json.dumps(value, **options).encode('utf-8', 'surrogatepass'),
           byte for byte; JSON Lines (lists) gives one dumps per item, each
           followed by a newline.
  errors   where json.dumps raises, acar fails with the matching code
           (TypeError and ValueError: ACAR_ERR_TYPE; the int digit limit:
           ACAR_ERR_LIMIT), its message ends with Python's words (the int
           limit: their first sentence), and starts with the path to the
           value, which a reference walker here computes in Python.
  from-json  JSON texts (json.dumps of generated values, and the corpus in
           ../shared/bench-data/json when it is there) read by acar's JSON
           reader and written: json.dumps(json.loads(text), **options).
  cli      a few values through `acar convert F --to json|jsonl` with the
           option flags: stdout is json.dumps's bytes; an error exits 1
           with the path and Python's words on stderr.
  deep     100000-deep lists and dicts are written (CPython's own json
           raises RecursionError there; the expected text is built here);
           a max_depth below the nesting is ACAR_ERR_LIMIT.

Usage: python3 test_json_write.py PATH/TO/acar PATH/TO/TOOLS_DIR
Environment: ACAR_TEST_SCALE (default 1), ACAR_TEST_SEED,
ACAR_TEST_VERBOSE=1 lists every failure.
Prints `N passed, N failed`; exits 1 on any failure.
"""

import collections
import concurrent.futures
import datetime
import json
import math
import os
import pickle
import re
import struct
import subprocess
import sys
import tempfile
import time

sys.setrecursionlimit(20000)
sys.dont_write_bytecode = True
import pyvalues as pv  # noqa: E402

SEED = int(os.environ.get("ACAR_TEST_SEED", "20261126"))
VERBOSE = os.environ.get("ACAR_TEST_VERBOSE") == "1"
ERR_LIMIT, ERR_TYPE = 4, 6

# ---------------------------------------------------------------------------
# The driver (wire format in tests/tools/json_write_batch.c).

MAGIC = 0x574A4341


class Opts:
    """One option set: the json.dumps keywords and what the C API gets."""

    __slots__ = ("kw", "lines", "max_depth", "max_digits")

    def __init__(self, kw, lines=False, max_depth=0, max_digits=0):
        self.kw = kw
        self.lines = lines
        self.max_depth = max_depth
        self.max_digits = max_digits

    def encode(self):
        kw = self.kw
        flags = 0
        if kw.get("sort_keys"):
            flags |= 1
        if kw.get("ensure_ascii") is False:
            flags |= 2
        if kw.get("allow_nan") is False:
            flags |= 4
        if kw.get("skipkeys"):
            flags |= 8
        mode = 8 if self.lines else 0
        ind = kw.get("indent")
        ind_s = b""
        if ind is not None:
            mode |= 1
            ind_s = (" " * ind if isinstance(ind, int) else ind).encode()
        isep = ksep = b""
        if kw.get("separators") is not None:
            mode |= 6
            isep, ksep = (s.encode() for s in kw["separators"])
        return struct.pack("<IIIIIII", flags, mode, self.max_depth, self.max_digits, len(ind_s),
                           len(isep), len(ksep)) + ind_s + isep + ksep

    def __repr__(self):
        extra = " lines" if self.lines else ""
        if self.max_depth:
            extra += " max_depth=%d" % self.max_depth
        return "%r%s" % (self.kw, extra)


JSON_INPUT = 1 << 31  # request flag: the input is JSON text, not a pickle


class JsonText(bytes):
    """An input to read as JSON (acar's reader) instead of as a pickle."""


def run_batch(exe, reqs):
    """reqs: [(pickle or JsonText, [Opts])] -> [(read_code, read_msg,
    [(code, bytes)])], or a crash text in place of the answer the process
    died on."""
    results = []
    while len(results) < len(reqs):
        todo = reqs[len(results):]
        blob = b"".join(struct.pack("<IQ", len(o) | (JSON_INPUT if isinstance(p, JsonText) else 0),
                                    len(p)) + p + b"".join(x.encode() for x in o)
                        for p, o in todo)
        proc = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        out, err = proc.communicate(blob, timeout=600)
        pos = 0
        got = []
        while len(got) < len(todo) and len(out) - pos >= 16:
            magic, code, mlen = struct.unpack_from("<III", out, pos)
            if magic != MAGIC:
                raise RuntimeError("answer stream out of step")
            pos += 12
            msg = out[pos:pos + mlen].decode("utf-8", "replace")
            pos += mlen
            (n,) = struct.unpack_from("<I", out, pos)
            pos += 4
            outs = []
            ok = True
            for _ in range(n):
                if len(out) - pos < 12:
                    ok = False
                    break
                c, ln = struct.unpack_from("<IQ", out, pos)
                pos += 12
                if len(out) - pos < ln:
                    ok = False
                    break
                outs.append((c, out[pos:pos + ln]))
                pos += ln
            if not ok:
                break
            got.append((code, msg, outs))
        results.extend(got)
        if len(got) < len(todo):
            results.append("crash (exit %s): %s" % (proc.returncode, err[-2000:].decode("utf-8", "replace")))
        elif proc.returncode != 0:
            raise RuntimeError("json_write_batch exited %s after answering:\n%s" % (
                proc.returncode, err[-3000:].decode("utf-8", "replace")))
    return results


def run_parallel(exe, reqs, jobs, chunk=200):
    chunks = [reqs[i:i + chunk] for i in range(0, len(reqs), chunk)]
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        parts = list(pool.map(lambda c: run_batch(exe, c), chunks))
    return [r for part in parts for r in part]


# ---------------------------------------------------------------------------
# Values.

BAD_MAKERS = [
    lambda g: g.bytes_(g.r.randint(0, 5)),
    lambda g: bytearray(g.bytes_(g.r.randint(0, 3))),
    lambda g: {g.int_() for _ in range(g.r.randint(0, 3))},
    lambda g: frozenset([1, 2]),
    lambda g: g.complex_(),
    lambda g: Ellipsis,
    lambda g: pv.Plain(a=1),
    lambda g: datetime.datetime(2020, 1, 2, 3, 4, 5),
]

def dec_int(text):
    """int(text) without the digit limit."""
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return int(text)
    finally:
        sys.set_int_max_str_digits(old)


NUMERIC_KEYS = [0, 1, -1, 2**53, 2**53 + 1, 2.0**53, 2**63, 2.0**63, -(2**63), -2.0**63, 10**300,
                1e300, 0.5, -0.0, 1.5, float("inf"), -float("inf"), True, False, 2**64 - 1,
                2.0**64, 3, 2.9999999999999996, 10**400, -(10**400), 5e-324]


class JGen(pv.ValueGen):
    """Values for JSON: pv.ValueGen's scalars in JSON's containers."""

    def __init__(self, seed, bad=0.0, odd_keys=0.0, max_depth=5):
        super().__init__(seed)
        self.bad = bad            # chance that a leaf is a value JSON cannot hold
        self.odd_keys = odd_keys  # chance that a key is no str/int/float/bool/None
        self.max_depth = max_depth

    def jint(self):
        r = self.r
        if r.random() < 0.04:  # near and past the 4300-digit limit, up to 5000 digits
            d = r.choice([639, 640, 641, 4299, 4300, 4301, r.randint(1, 5000)])
            v = dec_int(r.choice("123456789") + "".join(r.choice("0123456789") for _ in range(d - 1)))
            return -v if r.random() < 0.3 else v
        return self.int_()

    def leaf(self):
        r = self.r
        if self.bad and r.random() < self.bad:
            return r.choice(BAD_MAKERS)(self)
        k = r.random()
        if k < 0.25:
            return self.jint()
        if k < 0.5:
            return self.float_()
        if k < 0.9:
            return self.str_(r.randint(0, 40) if r.random() < 0.9 else None)
        return r.choice([None, True, False, "", 0, -0.0])

    def jkey(self):
        r = self.r
        if self.odd_keys and r.random() < self.odd_keys:
            return r.choice([(1, 2), (), b"k", frozenset([1]), 1j, Ellipsis, ("a",),
                             datetime.datetime(2020, 1, r.randint(1, 28)), pv.Plain(a=1)])
        k = r.random()
        if k < 0.6:
            return self.str_(r.randint(0, 12))
        if k < 0.75:
            return self.jint()
        if k < 0.87:
            return self.float_()
        return r.choice([True, False, None])

    def jsize(self, depth):
        r = self.r
        if r.random() < 0.03:
            return r.randint(20, 70)
        return r.randint(0, max(1, 8 >> depth))

    def jvalue(self, depth=0):
        r = self.r
        if depth >= self.max_depth or r.random() < 0.45:
            return self.leaf()
        k = r.random()
        n = self.jsize(depth)
        if k < 0.4:
            v = [self.jvalue(depth + 1) for _ in range(n)]
        elif k < 0.55:
            v = tuple(self.jvalue(depth + 1) for _ in range(n))
        else:
            v = {}
            kind = r.random()
            for _ in range(n):
                if kind < 0.15:
                    key = r.choice(NUMERIC_KEYS)
                elif kind < 0.2:
                    key = self.float_()  # NaN keys: sort_keys sees a partial order
                else:
                    key = self.jkey()
                v[key] = self.jvalue(depth + 1)
        if r.random() < 0.05:
            self.pool.append(v)
        if self.pool and r.random() < 0.03:
            return r.choice(self.pool)  # shared (a DAG; a cycle when it is an ancestor)
        return v


def make_cycle(g):
    r = g.r
    outer = {"a": [1, 2, {"b": []}]}
    inner = outer["a"][2]["b"]
    inner.append(r.choice([outer, outer["a"], outer["a"][2]]))
    return outer


# ---------------------------------------------------------------------------
# Option sets.

INDENTS = [None, None, None, 0, 1, 2, 4, "\t", "ab", -1, "", "\u00e9"]
SEPARATORS = [None, None, (",", ":"), (", ", ": "), (",", ": "), (" ,\n", " = "), ("", "")]


def random_opts(r):
    kw = {}
    ind = r.choice(INDENTS)
    if ind is not None:
        kw["indent"] = ind
    seps = r.choice(SEPARATORS)
    if seps is not None:
        kw["separators"] = seps
    if r.random() < 0.4:
        kw["sort_keys"] = True
    if r.random() < 0.35:
        kw["ensure_ascii"] = False
    if r.random() < 0.25:
        kw["allow_nan"] = False
    if r.random() < 0.25:
        kw["skipkeys"] = True
    return Opts(kw)


# ---------------------------------------------------------------------------
# Expected results.

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def key_text(k):
    """The key as acar names it in a path (its JSON text; '...' for ints
    beyond int64)."""
    if isinstance(k, str):
        return k
    if isinstance(k, float):
        if k != k:
            return "NaN"
        if math.isinf(k):
            return "Infinity" if k > 0 else "-Infinity"
        return repr(k)
    if k is True:
        return "true"
    if k is False:
        return "false"
    if k is None:
        return "null"
    if -(2**63) <= k < 2**63:
        return str(k)
    return "..."


def key_step(k):
    s = key_text(k)
    b = s.encode("utf-8", "surrogatepass")
    if IDENT.match(s) and len(b) <= 32:
        return "." + s
    lim = 24 if len(b) > 28 else len(b)
    out = bytearray(b"[\"")
    out += bytes(ord("?") if c < 0x20 or c in b'"\\' else c for c in b[:lim])
    if lim < len(b):
        while len(out) > 2 and out[-1] & 0xC0 == 0x80:
            out.pop()
        if len(out) > 2 and out[-1] >= 0xC0:
            out.pop()
        out += b"..."
    out += b"\"]"
    return out.decode("utf-8", "surrogatepass")


def int_digits(i):
    return len(pv.str_int(abs(i)))


def error_path(value, kw, max_digits=4300):
    """The path acar names for the first error json.dumps(value, **kw)
    meets, walking the value in the order json does; None when none."""
    sort, skip = kw.get("sort_keys"), kw.get("skipkeys")
    allow_nan = kw.get("allow_nan", True)
    markers = set()

    def walk(o, path):
        t = type(o)
        if t is str or o is None or t is bool:
            return None
        if t is int:
            return path if int_digits(o) > max_digits else None
        if t is float:
            return path if not allow_nan and not math.isfinite(o) else None
        if t in (list, tuple):
            if not o:
                return None
            if id(o) in markers:
                return path
            markers.add(id(o))
            for i, x in enumerate(o):
                p = walk(x, path + "[%d]" % i)
                if p is not None:
                    return p
            markers.discard(id(o))
            return None
        if t is dict:
            if not o:
                return None
            if id(o) in markers:
                return path
            markers.add(id(o))
            try:
                items = sorted(o.items()) if sort else list(o.items())
            except TypeError:
                return path
            for k, v in items:
                if not (isinstance(k, (str, int, float)) or k is None):
                    if skip:
                        continue
                    return path
                if isinstance(k, float) and not allow_nan and not math.isfinite(k):
                    return path
                if type(k) is int and int_digits(k) > max_digits:
                    return path
                p = walk(v, path + key_step(k))
                if p is not None:
                    return p
            markers.discard(id(o))
            return None
        return path

    return walk(value, "$")


def python_dumps(value, kw):
    """(bytes, None) or (None, exception)."""
    try:
        return json.dumps(value, **kw).encode("utf-8", "surrogatepass"), None
    except (TypeError, ValueError, RecursionError) as e:
        return None, e


def check_error(value, kw, exc, code, msg, prefix=""):
    """None when acar's error (code, msg) matches Python's exc; else why not."""
    text = str(exc)
    if isinstance(exc, RecursionError):
        return None
    want_code = ERR_LIMIT if text.startswith("Exceeds the limit") else ERR_TYPE
    if code != want_code:
        return "code %d, expected %d (%s: %s); acar: %s" % (code, want_code, type(exc).__name__,
                                                            text, msg)
    if want_code == ERR_LIMIT:
        text = text.split(";")[0]
    if not msg.endswith(": " + text):
        return "message %r does not end with Python's %r" % (msg, text)
    head = msg[: -len(text) - 2]
    path = error_path(value, kw)
    if path is None:
        return "the test's walker finds no error but Python raised %r" % text
    path = "$" + prefix + path[1:]
    if head == path:
        return None
    # a long path is cut to $...tail to fit the message
    if head.startswith("$...") and path.endswith(head[4:]) and len(path.encode()) > 40:
        return None
    return "path %r, expected %r" % (head, path)


# ---------------------------------------------------------------------------
# Cases.


def deep_list_pickle(n):
    return b"\x80\x02" + b"]" * n + b"a" * (n - 1) + b"."


def deep_dict_pickle(n):
    key = b"X\x01\x00\x00\x00a"
    return b"\x80\x02" + (b"}" + key) * (n - 1) + b"}" + b"s" * (n - 1) + b"."


def build_cases(scale):
    """[(label, value or None, pickle, [Opts], expected-override or None)]"""
    cases = []
    g = JGen(SEED)
    r = g.r

    def add(label, value, opts, pickled=None, expect=None):
        if pickled is None:
            pickled = pickle.dumps(value, 4)
        cases.append((label, value, pickled, opts, expect))

    def n(k):
        return max(1, int(k * scale))

    every = [Opts({}), Opts({"indent": 2}), Opts({"ensure_ascii": False}),
             Opts({"sort_keys": True, "indent": "\t"}), Opts({"allow_nan": False}),
             Opts({"separators": (",", ":"), "skipkeys": True})]
    # scalars, each with the option sets that change scalars
    for i in pv.EDGE_INTS:
        add("int/edge", i, every[:1])
    for f in pv.EDGE_FLOATS:
        add("float/edge", f, [every[0], every[1], every[4]])
    for _ in range(n(300)):
        add("int/random", g.jint(), every[:2])
    for _ in range(n(300)):
        add("float/random", g.float_(), [every[0], every[4]])
    for d in (639, 640, 641, 4299, 4300, 4301, 5000):
        v = dec_int("7" * d)
        add("int/limit", v, every[:2])
        add("int/limit", -v, every[:1])
        add("int/limit-key", {v: 1}, every[:2])
    for cls in sorted(pv.CHAR_CLASSES):
        for _ in range(n(25)):
            s = "".join(g.char(cls) for _ in range(g.length()))
            add("str/" + cls, s, every[:3])
    for c in range(0x80):
        add("str/ascii-char", chr(c) + "abcdefgh" + chr(c) * 9, every[:3])
    for s in ["", "\ud800", "\udfff", "\udbff\udfff", "\udfff\udbff", "\U00010000", "\U0010ffff",
              "\uffff", "\u2028\u2029", "a" * 70000, "\u00e9" * 9000, "\U0001f600" * 5000,
              "\x00" * 9000, "\"\\" * 5000, "abcdefg\u00e9", "abcdefgh\U0001f600abcdefgh"]:
        add("str/edge", s, every[:3])
    for plane in range(17):
        s = "".join(chr(plane * 0x10000 + r.randint(0, 0xFFFF)) for _ in range(40))
        add("str/plane", s, every[:3])
    # one character that needs a look at every place of strings up to 300
    # long: the writer's inline paths (up to 16 bytes as two words, up to
    # 256 in 16-byte chunks, the last overlapping), as values and as keys
    compact = Opts({"separators": (",", ":"), "ensure_ascii": False})
    for special in ["\"", "\\", "\n", "\x1f", "\x7f", "\u00e9", "\u2028", "\U0001f600", "\x00"]:
        for length in list(range(0, 40)) + [47, 48, 49, 63, 64, 65, 255, 256, 257, 300]:
            vals = ["x" * length] + ["x" * k + special + "y" * (length - k) for k in range(length + 1)]
            add("str/one-dirty", vals, every[:3] + [compact])
            add("str/one-dirty-key", dict.fromkeys(vals, 1), [every[0], compact])
            if length < 40:
                # read from JSON text: the strs that needed no unescaping
                # are copied with no test (ACAR_F_JSON_PLAIN)
                text = json.dumps([vals, dict.fromkeys(vals, 1)], ensure_ascii=False)
                add("str/one-dirty-from-json", json.loads(text), [every[0], compact],
                    JsonText(text.encode("utf-8", "surrogatepass")))
    # containers
    for _ in range(n(500)):
        v = g.jvalue()
        add("clean", v, [Opts({})] + [random_opts(r) for _ in range(3)])
    bad = JGen(SEED + 1, bad=0.04, odd_keys=0.04)
    for _ in range(n(250)):
        v = bad.jvalue()
        add("errors", v, [Opts({})] + [random_opts(bad.r) for _ in range(3)])
    for _ in range(n(40)):
        add("cycle", make_cycle(g), [Opts({}), Opts({"indent": 1})])
    a = []
    a.append(a)
    add("cycle/self", a, every[:2])
    d = {}
    d["k"] = d
    add("cycle/self", d, every[:2])
    t = ([],)
    t[0].append(t)
    add("cycle/tuple", t, every[:2])
    # mixed and partial-order keys under sort_keys
    sort_sets = [Opts({"sort_keys": True}), Opts({"sort_keys": True, "indent": 1}),
                 Opts({"sort_keys": True, "skipkeys": True})]
    for _ in range(n(120)):
        kind = r.randrange(6)
        m = r.randint(2, 63) if r.random() < 0.5 else r.randint(64, 600)
        if kind == 0:
            keys = [r.choice(NUMERIC_KEYS) for _ in range(m)]
        elif kind == 1:
            keys = [float("nan") if r.random() < 0.3 else g.float_(True) for _ in range(m)]
        elif kind == 2:
            keys = [g.jkey() for _ in range(m)]
        elif kind == 3:
            keys = [r.choice([(1,), (1, 2), (2,), (0, "a"), (0, 1.5), ("a",), ()]) for _ in range(m)]
            keys.append(r.choice(["s", 1, None]))
        elif kind == 4:
            keys = [frozenset(r.sample(range(4), r.randint(0, 3))) for _ in range(m)]
        else:
            keys = [g.str_(r.randint(0, 5)) for _ in range(m)] + [r.choice(
                [1, None, 2.5, b"x", datetime.datetime(1999, 1, 1), pv.Plain(b=2), 1j])]
            r.shuffle(keys)
        dv = {}
        for k in keys:
            dv[k] = r.randint(0, 9)
        add("sort/keys%d" % kind, dv, sort_sets)
    # JSON Lines
    for _ in range(n(60)):
        v = [g.jvalue(2) for _ in range(r.randint(0, 6))]
        if r.random() < 0.3:
            v = tuple(v)
        ops = [Opts({}, lines=True), random_opts(r)]
        ops[1].lines = True
        add("jsonl", v, ops)
    for _ in range(n(20)):
        v = [bad.jvalue(2) for _ in range(r.randint(1, 5))]
        add("jsonl/errors", v, [Opts({}, lines=True)])
    # read by acar's JSON reader, then written: json.dumps(json.loads(text))
    for _ in range(n(150)):
        v = g.jvalue()
        try:
            text = json.dumps(v, sort_keys=r.random() < 0.3, indent=r.choice([None, 1]))
        except (TypeError, ValueError):
            continue
        add("from-json", json.loads(text), [Opts({})] + [random_opts(r) for _ in range(2)],
            JsonText(text.encode("utf-8", "surrogatepass")))
    data_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                            "bench-data", "json")
    for name in sorted(os.listdir(data_dir)) if os.path.isdir(data_dir) else []:
        if name.endswith(".json") and os.path.getsize(os.path.join(data_dir, name)) < 800000:
            with open(os.path.join(data_dir, name), "rb") as f:
                text = f.read()
            add("from-json/corpus", json.loads(text), [Opts({}), Opts({"ensure_ascii": False,
                "separators": (",", ":")}), Opts({"indent": 2, "sort_keys": True})], JsonText(text))
    # deep nesting: beyond CPython's recursion, so the expected text is built here
    N = 100000
    add("deep/list", None, [Opts({}), Opts({"separators": (",", ":")})], deep_list_pickle(N),
        ["[" * N + "]" * N] * 2)
    add("deep/dict", None, [Opts({}), Opts({"sort_keys": True})], deep_dict_pickle(N),
        ['{"a": ' * (N - 1) + "{}" + "}" * (N - 1)] * 2)
    add("deep/limit", None, [Opts({}, max_depth=1000)], deep_list_pickle(2000),
        [(ERR_LIMIT, "nesting deeper than the depth limit (1000)")])
    add("deep/ok", None, [Opts({}, max_depth=1000)], deep_list_pickle(1001), ["[" * 1001 + "]" * 1001])
    add("deep/indent", None, [Opts({"indent": 1})], deep_list_pickle(300),
        [json.dumps(nest(300), indent=1)])
    return cases


def nest(n):
    v = []
    for _ in range(n - 1):
        v = [v]
    return v


# ---------------------------------------------------------------------------
# The command line.

CLI_VALUES = [
    {"a": [1, 2.5, None, "\u00e9\U0001f600"], "b": {"c": True, "d": (1, 2)}},
    [float("nan"), float("inf"), -0.0, 10**30, "x\ny"],
    {2: "a", 10: "b", 1.5: "c", False: "d", None: "e"},
    {"k": {(1, 2): 1, "z": [b"no"]}},
    "\ud800 lone",
]
CLI_OPTS = [
    ({}, []),
    ({"indent": 2}, ["--indent", "2"]),
    ({"indent": "\t", "separators": (";", "=")}, ["--indent", "\t", "--item-sep", ";", "--key-sep", "="]),
    ({"sort_keys": True, "skipkeys": True}, ["--sort-keys", "--skipkeys"]),
    ({"ensure_ascii": False, "allow_nan": False}, ["--no-ensure-ascii", "--no-allow-nan"]),
    ({"skipkeys": True, "separators": (",", ":")}, ["--skipkeys", "--item-sep", ",", "--key-sep", ":"]),
]


def check_cli(acar, tmpdir):
    """[(label, failure or None)] for every CLI value and option set."""
    out = []
    for i, value in enumerate(CLI_VALUES):
        path = os.path.join(tmpdir, "jw%d.pickle" % i)
        with open(path, "wb") as f:
            f.write(pickle.dumps(value, 4))
        for kw, flags in CLI_OPTS:
            for fmt in ("json", "jsonl"):
                if fmt == "jsonl" and not isinstance(value, list):
                    continue
                p = subprocess.run([acar, "convert", path, "--to", fmt] + flags, capture_output=True)
                if fmt == "json":
                    want, exc = python_dumps(value, kw)
                else:
                    parts = [python_dumps(x, kw) for x in value]
                    exc = next((e for _, e in parts if e is not None), None)
                    want = b"".join(w + b"\n" for w, _ in parts) if exc is None else None
                if exc is None:
                    ok = p.returncode == 0 and p.stdout == want
                    why = "exit %d, stdout %r, expected %r; stderr %r" % (
                        p.returncode, p.stdout[:120], want[:120], p.stderr[:200])
                else:
                    text = str(exc).split(";")[0]
                    ok = p.returncode == 1 and text.encode() in p.stderr
                    why = "exit %d, stderr %r, expected exit 1 and %r" % (
                        p.returncode, p.stderr[:300], text)
                out.append(("cli/%s" % fmt, None if ok else "%r %s: %s" % (value, flags, why)))
    return out


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    pv.ensure_hashseed()
    tools = sys.argv[2]
    exe = os.path.join(tools, "json_write_batch")
    t0 = time.time()
    cases = build_cases(pv.scale())
    reqs = [(c[2], c[3]) for c in cases]
    results = run_parallel(exe, reqs, max(1, os.cpu_count() or 1))
    t1 = time.time()
    passed = failed = 0
    causes = collections.Counter()
    shown = collections.Counter()

    def bad(label, why, detail=""):
        nonlocal failed
        failed += 1
        causes["%s: %s" % (label, why[:70])] += 1
        if VERBOSE or shown[label] < 3:
            shown[label] += 1
            print("FAIL %s: %s %s" % (label, why, detail[:600]))

    for (label, value, pickled, opts, expect), res in zip(cases, results):
        if isinstance(res, str):
            bad(label, "crash", res)
            continue
        rcode, rmsg, outs = res
        if rcode != 0:
            bad(label, "read failed: %s" % rmsg)
            continue
        for k, (o, (code, data)) in enumerate(zip(opts, outs)):
            if expect is not None:
                e = expect[k]
                if isinstance(e, tuple):
                    ok = code == e[0] and data.decode().endswith(e[1])
                else:
                    ok = code == 0 and data == e.encode()
                if ok:
                    passed += 1
                else:
                    bad(label, "deep case differs", "%r: code %d %r" % (o, code, data[:120]))
                continue
            if o.lines:
                want, exc, prefix = b"", None, ""
                for i, item in enumerate(value):
                    w, exc = python_dumps(item, o.kw)
                    if exc is not None:
                        prefix = "[%d]" % i
                        break
                    want += w + b"\n"
                if exc is None and not isinstance(value, (list, tuple)):
                    exc = TypeError("jsonl")
            else:
                want, exc = python_dumps(value, o.kw)
                prefix = ""
                item = value
            if exc is None:
                if code == 0 and data == want:
                    passed += 1
                elif code != 0:
                    bad(label, "acar failed where Python wrote", "%r: %s" % (o, data[:200]))
                else:
                    off = pv.first_diff(want, data)
                    bad(label, "bytes differ", "%r at %d\n  python: %r\n  acar:   %r" % (
                        o, off, want[max(0, off - 30):off + 40], data[max(0, off - 30):off + 40]))
                continue
            if isinstance(exc, RecursionError):
                passed += 1
                continue
            if code == 0:
                bad(label, "acar wrote where Python raised %s" % type(exc).__name__,
                    "%r: %s" % (o, exc))
                continue
            why = check_error(item if o.lines else value, o.kw, exc, code,
                              data.decode("utf-8", "surrogatepass"), prefix)
            if why is None:
                passed += 1
            else:
                bad(label, why.split(";")[0][:60], "%r: %s" % (o, why))
    with tempfile.TemporaryDirectory() as tmpdir:
        for label, why in check_cli(sys.argv[1], tmpdir):
            if why is None:
                passed += 1
            else:
                bad(label, "differs from json.dumps", why)
    print("%d cases, %d option sets in %.1f s (acar), %.1f s total" % (
        len(cases), sum(len(c[3]) for c in cases), t1 - t0, time.time() - t0))
    for c, k in causes.most_common():
        print("  %5d  %s" % (k, c))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
